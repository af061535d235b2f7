"""A matching result as fitted attributes, and the readable rows that ``fit_resample`` returns.

:func:`fitted_rows` maps the standardised rows of a matching run back to the caller's
scale, dtype and image shape: ``X_distilled_``, the rows as the matching left them.
:class:`ReadableRows` turns them into the rows a person can read as rows of ``X``, which
``fit_resample`` returns: every value clipped to its range in ``X``, one category per
one-hot block (found by :func:`scan_columns`, or declared by the user).
"""

import numpy as np
import scipy.sparse as sp

from .host_rows import HostRows
from .validation import check_finite_rows

# The readable rows' scan reads X in row blocks of about this many values (512 KiB of
# float64), so that it adds little to the memory of a fit however large X is.
_BLOCK_VALUES = 2**16


def fitted_rows(result, real, dtype, row_shape, classes, y_syn, learning_rate):
    """``X_distilled_``, ``y_distilled_`` and ``X_stored_`` of a :class:`MatchingResult`.

    Parameters
    ----------
    result : MatchingResult
        Standardised rows; with multi-formation (IDC) also their labels and the
        stored images they decode from.
    real : RealRows
        Maps standardised rows back to the scale of ``X``.
    dtype : numpy dtype
        The dtype of the validated ``X``.
    row_shape : tuple of int or None
        One row's shape as the caller gave it (images), else None (flat rows).
    classes : ndarray
        Class labels, indexed by the class codes.
    y_syn : LongTensor
        Class code of every synthetic row (used when the result has none).
    learning_rate : float or Tensor
        Named in the error when a row is not finite.

    Returns
    -------
    X_distilled, y_distilled, X_stored : ndarray
        ``X_stored`` is ``X_distilled`` itself unless the result has stored images.
    """

    def original(rows):
        X = real.to_original_scale(rows.reshape(len(rows), -1)).astype(dtype, copy=False)
        check_finite_rows(X, learning_rate, real.low, real.high, real.scale)
        return X if row_shape is None else X.reshape(-1, *row_shape)

    X_distilled = original(result.X_syn)
    X_stored = X_distilled if result.stored is None else original(result.stored)
    codes = y_syn if result.y_syn is None else result.y_syn
    return X_distilled, classes[codes.cpu().numpy()], X_stored


class ReadableRows:
    """Synthetic rows made readable as rows of ``X``: values within range, one category per block.

    A matching loss does not keep a synthetic age above 0 or a one-hot column within
    [0, 1]. :meth:`apply` clips every value to its range in ``X`` (a column's; for
    images a channel's, for all its pixels), then sets every one-hot block to one
    category: the column whose value lies highest relative to its range in ``X``
    takes its maximum (1 for 0/1 columns), the others their minimum (0). Both: on
    the benchmark suite, decoding the blocks of rows left unclipped cost accuracy,
    decoding clipped rows did not.

    Parameters
    ----------
    low, high : ndarray of shape (n_values,) or None
        The range of every value of a flat row; None: nothing is changed.
    blocks : list of array-like of int, default=()
        The columns of each one-hot block (two or more; no column in two blocks).
        A column constant in ``X`` (a category absent from these rows) never wins.
    """

    def __init__(self, low=None, high=None, blocks=()):
        self.low = None if low is None else np.asarray(low, dtype=np.float64)
        self.high = None if high is None else np.asarray(high, dtype=np.float64)
        self.blocks = [np.asarray(block, dtype=np.intp) for block in blocks]

    def apply(self, X):
        """A readable copy of the rows ``X`` (any shape of row); ``X`` itself if nothing changes."""
        if self.low is None:
            return X
        raw = np.reshape(X, (len(X), -1))
        rows = np.clip(raw, self.low, self.high).astype(X.dtype, copy=False)
        for block in self.blocks:
            low, high = self.low[block], self.high[block]
            width = high - low
            # the values before the clip: two columns above the range are no tie
            with np.errstate(divide="ignore", invalid="ignore"):
                position = np.where(width > 0, (raw[:, block] - low) / width, -np.inf)
            winner = np.argmax(position, axis=1)
            decoded = np.broadcast_to(low, (len(rows), len(block))).copy()
            decoded[np.arange(len(rows)), winner] = high[winner]
            rows[:, block] = decoded
        return rows.reshape(np.shape(X))


def value_range(low, high, image_shape=None):
    """The range of each value of a flat row: its column's; for images ``(C, H, W)``, its channel's.

    Images are standardised per channel; a pixel constant in ``X`` (a digit's black
    border) may take any value of its channel's range.
    """
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    if image_shape is not None:
        channels, pixels = image_shape[0], low.size // image_shape[0]
        low = np.repeat(low.reshape(channels, pixels).min(axis=1), pixels)
        high = np.repeat(high.reshape(channels, pixels).max(axis=1), pixels)
    return low, high


def scan_columns(X, block_values=_BLOCK_VALUES):
    """Every column's range and the one-hot blocks of ``X``, in one pass over its rows.

    A one-hot block is a run of two or more adjacent 0/1 columns with exactly one 1 in
    every row: what :class:`~skfairdistill.preprocessing.TabularEncoder`,
    scikit-learn's ``OneHotEncoder`` (in a ``ColumnTransformer`` too) and
    ``pandas.get_dummies`` write for a categorical column. Leading columns of zeros
    (a category absent from these rows) join the block. Blocks whose rows may hold
    no 1 (an encoder that ignores unknown categories, or drops one) are not
    detected: declare them.

    The pass counts, per column, its ones and the nearest column to its right that
    is also 1 in the same row: a run of columns whose ones add up to the number of
    rows, none of which meets another 1 within the run, is a block. A dense ``X`` is
    read in row blocks of about ``block_values`` values; a sparse one from its
    stored values, never densified.

    Parameters
    ----------
    X : ndarray, scipy.sparse matrix or HostRows of shape (n_samples, n_features)
        Validated, finite rows.
    block_values : int, default=2**16
        About how many values one row block (or slice of stored values) holds.

    Returns
    -------
    low, high : ndarray of shape (n_features,), float64
        Every column's minimum and maximum.
    blocks : list of ndarray of int
        The columns of every one-hot block, in order; empty when there is none.
    """
    n, n_features = X.shape
    columns = _Columns(n_features)
    if sp.issparse(X):
        _scan_sparse(X, columns, block_values)
    else:
        step = max(1, block_values // max(1, n_features))
        blocks = (X.blocks(step) if isinstance(X, HostRows)
                  else ((start, X[start : start + step]) for start in range(0, n, step)))
        for _, block in blocks:
            columns.add_dense(block)
    low, high = columns.low, columns.high
    # a run: adjacent 0/1 columns that are not all ones (a constant 1 is no category)
    member = columns.zero_one & (low == 0)
    edges = np.diff(np.concatenate([[0], member.astype(np.int8), [0]]))
    found = []
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        ones = np.concatenate([[0], np.cumsum(columns.ones[start:stop])])
        first = 0
        while first < stop - start:
            # the fewest columns from `first` whose ones add up to one per row
            end = int(np.searchsorted(ones, ones[first] + n))
            if (end <= stop - start and ones[end] == ones[first] + n
                    and columns.next_one[start + first : start + end].min() >= start + end
                    and np.count_nonzero(high[start + first : start + end] > 0) >= 2):
                found.append(np.arange(start + first, start + end))
                first = end
            else:
                first += 1
    return low.astype(np.float64), high.astype(np.float64), found


class _Columns:
    """What :func:`scan_columns` gathers per column: range, 0/1 values, ones, next one in a row."""

    def __init__(self, n_features):
        self.low = np.full(n_features, np.inf)
        self.high = np.full(n_features, -np.inf)
        self.zero_one = np.ones(n_features, dtype=bool)
        self.ones = np.zeros(n_features, dtype=np.int64)
        self.next_one = np.full(n_features, np.iinfo(np.int64).max)

    def add_dense(self, block):
        np.minimum(self.low, block.min(axis=0), out=self.low)
        np.maximum(self.high, block.max(axis=0), out=self.high)
        ones = block == 1
        self.zero_one &= (ones | (block == 0)).all(axis=0)
        self.ones += ones.sum(axis=0)
        rows, cols = np.nonzero(ones)  # row by row, columns in order
        self._add_next(rows, cols)

    def _add_next(self, rows, cols):
        """Per 1, the next 1 in the same row: the nearest column to its right that is also 1."""
        same = rows[1:] == rows[:-1]
        np.minimum.at(self.next_one, cols[:-1][same], cols[1:][same])


def _scan_sparse(X, columns, block_values):
    """:class:`_Columns` of a SciPy sparse ``X`` from its stored values (unstored: zeros)."""
    X = X.tocsr()  # X itself when already CSR
    if not X.has_canonical_format:  # unsorted or duplicate entries
        X = X.copy()  # sum_duplicates works in place: never on the caller's matrix
        X.sum_duplicates()
    n, n_features = X.shape
    stored = np.bincount(X.indices, minlength=n_features)
    np.minimum.at(columns.low, X.indices, X.data)
    np.maximum.at(columns.high, X.indices, X.data)
    unstored = stored < n  # columns with zeros that are not stored
    columns.low[unstored] = np.minimum(columns.low[unstored], 0)
    columns.high[unstored] = np.maximum(columns.high[unstored], 0)
    columns.zero_one = np.bincount(X.indices, weights=(X.data != 0) & (X.data != 1),
                                   minlength=n_features) == 0
    # the ones, in slices of rows of about block_values stored values
    row_ends = np.searchsorted(X.indptr, np.arange(block_values, X.nnz + block_values,
                                                   block_values), side="right") - 1
    start = 0
    for stop in np.unique(np.concatenate([np.maximum(row_ends, 1), [n]])):
        values = slice(X.indptr[start], X.indptr[stop])
        ones = X.data[values] == 1
        cols = X.indices[values][ones]
        rows = np.repeat(np.arange(start, stop), np.diff(X.indptr[start : stop + 1]))[ones]
        columns.ones += np.bincount(cols, minlength=n_features)
        columns._add_next(rows, cols)
        start = stop


__all__ = ["ReadableRows", "fitted_rows", "scan_columns", "value_range"]
