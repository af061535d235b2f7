"""Rows that stay where they are: a memory-mapped file, a Dask array, a SciPy sparse matrix.

:class:`HostRows` wraps a memory-mapped or Dask ``X``: consecutive row blocks (for the
column statistics) and gathers by row index (for the draws); a memory map is read
through NumPy's indexing (why not a reader of its own: ``docs/benchmarks.md``,
"Reading memory-mapped rows"). :func:`validate_host_rows` is scikit-learn's
``validate_data`` for such an ``X``. :class:`SparseRows` wraps a SciPy sparse ``X``:
its column statistics come from the stored values alone, and only the rows of a draw
are ever densified. No torch here: this module hands NumPy arrays to
:mod:`skfairdistill._data.rows`.
"""

import numbers
import sys

import numpy as np
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import validate_data

from .._checks import check_memory_map


def is_dask_array(X):
    # dask is optional: if dask.array was never imported, X cannot be one of its arrays
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)


def as_host_rows(X, *, estimator_name=None):
    """Wrap a memory-mapped or Dask ``X`` in :class:`HostRows`; None for anything else.

    Only a two-dimensional numeric (bool, int, float) ``X`` with at least two rows and
    one column is wrapped; for anything else (also a malformed memory map) None is
    returned, and the usual validation, which loads ``X``, raises its usual error.

    Raises
    ------
    ValueError
        For a Dask array whose number of rows is unknown (NaN chunk sizes).
    """
    if not (isinstance(X, np.memmap) or is_dask_array(X)):
        return None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        return None
    if any(not isinstance(size, numbers.Integral) for size in X.shape):
        raise ValueError(
            f"X is a Dask array of unknown shape {X.shape}: its chunk sizes are not known. "
            "Call X.compute_chunk_sizes() first (or build it with known lengths)."
        )
    if X.shape[0] < 2 or X.shape[1] < 1:
        return None
    return HostRows(X, estimator_name=estimator_name)


def validate_host_rows(estimator, X, y):
    """``validate_data`` for a memory-mapped or Dask ``X``, without loading ``X``.

    ``X`` is checked for its shape and dtype here and for finite values block by
    block when its statistics are computed (:class:`RealRows`), with scikit-learn's
    messages; ``y`` (which must fit in memory) is validated as ``check_X_y`` does.

    Returns
    -------
    (X, y) : (HostRows, ndarray) or None
        None when ``X`` is neither a memory map nor a Dask array, or is one that the
        usual in-memory validation should reject.
    """
    rows = as_host_rows(X, estimator_name=type(estimator).__name__)
    if rows is None:
        return None
    # n_features_in_ (and no feature_names_in_: these arrays have no column names)
    validate_data(estimator, rows, reset=True, skip_check_array=True)
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None"
        )
    if is_dask_array(y):
        y = y.compute()
    y = check_array(
        y,
        accept_sparse="csr",
        ensure_all_finite=True,
        ensure_2d=False,
        dtype=None,
        input_name="y",
        estimator=estimator,
    )
    check_consistent_length(rows, y)
    return rows, y


class HostRows:
    """A memory-mapped or Dask ``X`` read in row blocks and gathered by row index.

    Never loads ``X`` whole and never writes to it. ``dtype`` is the dtype that
    validation would give the in-memory array: float32 for float16 and float32,
    float64 for everything else; blocks and gathered rows come in that dtype.

    A memory map whose file is shorter than the array (cut after it was opened) is
    refused here: reading it would kill the process (SIGBUS).

    Parameters
    ----------
    X : numpy.memmap or dask.array.Array of shape (n_samples, n_features)
    estimator_name : str, optional
        Named in the error for non-finite values.
    """

    def __init__(self, X, *, estimator_name=None):
        self.array = X
        self.shape = tuple(int(size) for size in X.shape)
        self.ndim = 2
        self.dtype = np.dtype(np.float32 if X.dtype in (np.float16, np.float32) else np.float64)
        self.estimator_name = estimator_name
        self._dask = is_dask_array(X)
        if not self._dask:
            # where the view's last byte lies in the file, not its own size: X[1900:] of a
            # file cut short must be refused too
            check_memory_map("X", X)

    def __len__(self):
        return self.shape[0]

    def blocks(self, n_rows):
        """Consecutive row blocks ``(start, block)`` of at most ``n_rows`` rows, in order.

        Blocks never straddle two Dask chunks, so each read touches one chunk.
        """
        if self._dask:
            bounds = np.cumsum((0,) + tuple(self.array.chunks[0]))
        else:
            bounds = np.array([0, self.shape[0]])
        for chunk_start, chunk_stop in zip(bounds[:-1], bounds[1:]):
            for start in range(int(chunk_start), int(chunk_stop), n_rows):
                stop = min(start + n_rows, int(chunk_stop))
                yield start, self._read(slice(start, stop))

    def take(self, rows):
        """Rows ``X[rows]`` as an in-memory array, for sorted distinct int64 ``rows``."""
        # writable, so that torch can wrap it without a warning
        return np.require(self._read(rows), requirements="W")

    def _read(self, index):
        if self._dask:
            block = np.asarray(self.array[index].compute())
        else:
            block = np.array(self.array[index])  # a copy: the file is never written
        return block.astype(self.dtype, copy=False)


class SparseRows:
    """A SciPy sparse ``X`` gathered by row index, only the rows of a draw densified.

    Held in CSR, the format whose rows are cheap to gather: a CSR ``X`` is used as it
    is (a CSR matrix with duplicate entries is copied once, duplicates summed), a CSC
    ``X`` is converted once (a sparse copy, as large as its stored values). The
    caller's matrix is never written to. ``dtype`` is the dtype of the stored values
    (float32 or float64 after validation); gathered rows come in that dtype.

    Parameters
    ----------
    X : scipy.sparse matrix or array of shape (n_samples, n_features)
        Validated (finite) CSR or CSC.
    """

    def __init__(self, X):
        X = X.tocsr()  # X itself when already CSR
        if not X.has_canonical_format:
            X = X.copy()  # sum_duplicates works in place: never on the caller's matrix
            X.sum_duplicates()
        self.matrix = X
        self.shape = tuple(int(size) for size in X.shape)
        self.ndim = 2
        self.dtype = X.dtype

    def __len__(self):
        return self.shape[0]

    def take(self, rows):
        """Rows ``X[rows]`` as a dense, writable array, for int64 ``rows``."""
        return self.matrix[rows].toarray()

    def statistics(self, block_values):
        """Minimum, maximum, mean, std and first row of every column, from the stored values.

        Nothing is densified: a column's unstored entries are zeros, counted without
        being read. The float64 mean is bit-identical to NumPy's ``X.mean(axis=0,
        dtype=np.float64)`` of the dense row-major array (a column's values are
        added in row order, and adding a zero changes no sum); the std differs from
        NumPy's only by rounding (the zeros' squared deviations are added as one
        product, not one by one). The stored values are read in slices of about
        ``block_values``, so the float64 temporaries stay small.
        """
        X = self.matrix
        n, n_features = self.shape
        stored = np.bincount(X.indices, minlength=n_features)
        low = np.full(n_features, np.inf, dtype=self.dtype)
        high = np.full(n_features, -np.inf, dtype=self.dtype)
        sums = np.zeros(n_features)
        squares = np.zeros(n_features)
        step = max(1, int(block_values))
        with np.errstate(over="ignore", invalid="ignore"):  # reported by the caller
            # ufunc.at works in index order: each column's values in row order, as NumPy adds them
            for start in range(0, X.nnz, step):
                columns, values = X.indices[start : start + step], X.data[start : start + step]
                np.minimum.at(low, columns, values)
                np.maximum.at(high, columns, values)
                np.add.at(sums, columns, values.astype(np.float64))
            zeros = stored < n  # columns with unstored entries
            low[zeros] = np.minimum(low[zeros], 0)
            high[zeros] = np.maximum(high[zeros], 0)
            mean = sums / n
            for start in range(0, X.nnz, step):
                columns = X.indices[start : start + step]
                deviation = X.data[start : start + step] - mean[columns]
                np.add.at(squares, columns, deviation * deviation)
            squares += (n - stored) * mean**2  # the unstored zeros
            scale = np.sqrt(squares / n)
        first = self.take(np.array([0]))[0].astype(np.float64)
        return low, high, mean, scale, first
