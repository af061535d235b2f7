"""Reading rows of a memory-mapped file or a Dask array without loading it whole.

:class:`HostRows` wraps such an ``X``: consecutive row blocks (for the column
statistics) and gathers by row index (for the draws). The rows of a memory map are
read from its file with ``pread`` (located through ``/proc/self/maps``, several
reads in flight on a small thread pool) where that is possible, through the
mapping otherwise. :func:`validate_host_rows` is scikit-learn's ``validate_data``
for such an ``X``. No torch here: this module hands NumPy arrays to
:mod:`skfairdistill._data.rows`.
"""

import mmap
import numbers
import os
import sys
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import validate_data

# Rows of a memory-mapped file closer than this (bytes) are read in one piece: reading
# the gap costs less than another system call.
_MAX_GAP = 2**10
# A gather of at least _PARALLEL_PIECES separate pieces is shared by _READ_THREADS threads.
_PARALLEL_PIECES = 256
_READ_THREADS = 8


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

    The rows of a memory map are read from its file with ``pread`` where that is
    possible (Linux, a shared mapping of a regular file, rows contiguous in the
    file), not through the mapping: the rows read are then copies, nothing of the
    file is mapped into the process (the kernel may map whole large folios, megabytes,
    per touched row), and the random reads of the draws do not trigger readahead.
    Otherwise the rows are read through the mapping. Measured on 10^7 rows
    (``benchmarks/results/host_rows_read.md``): the draws about a third faster than
    through the mapping, and 13 MB instead of the whole 1.9 GB file mapped in.

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
        self._file = None if self._dask else _FileRows.open(X)

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
        if self._file is not None:
            self._file.random_access()
        # writable, so that torch can wrap it without a warning
        return np.require(self._read(rows), requirements="W")

    def _read(self, index):
        if self._dask:
            block = np.asarray(self.array[index].compute())
        elif self._file is not None:
            block = self._file.read(index)
        else:
            block = np.array(self.array[index])  # through the mapping; always a copy
        return block.astype(self.dtype, copy=False)


class _FileRows:
    """Rows of a memory map read from its file with ``os.pread``; see :class:`HostRows`."""

    def __init__(self, fd, start, row_stride, dtype, n_features):
        self._fd = fd
        self._start = start
        self._stride = row_stride
        self._dtype = dtype
        self._n_features = n_features
        self._row_bytes = n_features * dtype.itemsize
        self._random = False
        self._pool = None
        self._finalizer = weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, X):
        """A reader of ``X``'s rows, or None when they cannot be read from its file."""
        if not hasattr(os, "pread") or X.strides[1] != X.itemsize or X.strides[0] <= 0:
            return None
        root = X  # the memmap that owns the mapping: its base is the mmap object
        while isinstance(root.base, np.ndarray):
            root = root.base
        filename = getattr(root, "filename", None)
        if not isinstance(root.base, mmap.mmap) or not filename:
            return None
        mapping = _mapping_of(X.ctypes.data)
        # a private (copy-on-write) mapping may differ from its file; a deleted file's
        # inode number may already belong to the file now at that path
        if mapping is None or "s" not in mapping["perms"] or mapping["deleted"]:
            return None
        try:
            fd = os.open(filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        stat = os.fstat(fd)
        start = mapping["offset"] + X.ctypes.data - mapping["start"]
        end = start + (X.shape[0] - 1) * X.strides[0] + X.shape[1] * X.itemsize
        # the file at that path must be the mapped one (not replaced since), and long enough
        if (
            (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino) != mapping["file"]
            or stat.st_size < end
        ):
            os.close(fd)
            return None
        return cls(fd, start, X.strides[0], X.dtype, X.shape[1])

    def read(self, index):
        if isinstance(index, slice):
            return self._read_span(index.start, index.stop)
        # one pread per run of rows that lie close together in the file (gaps of at most
        # _MAX_GAP bytes are read along): one per row for a few rows of a large file
        positions = self._start + index * self._stride
        ends = positions + self._row_bytes
        breaks = np.flatnonzero(positions[1:] - ends[:-1] > _MAX_GAP) + 1
        firsts = positions[np.concatenate([[0], breaks])]
        sizes = ends[np.concatenate([breaks - 1, [len(index) - 1]])] - firsts
        data = self._pread_all(firsts.tolist(), sizes.tolist())
        if len(data) != sizes.sum():
            raise OSError("X's file is shorter than its memory map: was it truncated?")
        if len(firsts) == len(index):  # every row read on its own: they are back to back
            return np.frombuffer(data, dtype=self._dtype).reshape(len(index), self._n_features)
        rows_per_run = np.diff(np.concatenate([[0], breaks, [len(index)]]))
        run = np.repeat(np.arange(len(firsts)), rows_per_run)
        offsets = (np.cumsum(sizes) - sizes)[run] + positions - firsts[run]  # bytes into data
        itemsize = self._dtype.itemsize
        if np.all(offsets % itemsize == 0):
            values = np.frombuffer(data, dtype=self._dtype)
            return values[(offsets // itemsize)[:, None] + np.arange(self._n_features)]
        raw = np.frombuffer(data, dtype=np.uint8)
        return raw[offsets[:, None] + np.arange(self._row_bytes)].view(self._dtype)

    def _pread_all(self, firsts, sizes):
        """The bytes of all (offset, size) pieces, in order; many pieces by several threads.

        Rows that are not in the page cache are read from the disk one system call
        each; a few threads keep several reads in flight (``os.pread`` releases the GIL).
        """
        fd = self._fd

        def read(part):
            return b"".join([os.pread(fd, size, first) for first, size in part])

        pieces = list(zip(firsts, sizes))
        if len(pieces) < _PARALLEL_PIECES:
            return bytearray(read(pieces))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="skfairdistill-read")
            weakref.finalize(self, self._pool.shutdown, wait=False)
        bounds = np.linspace(0, len(pieces), _READ_THREADS + 1).astype(int)
        parts = [pieces[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        return bytearray().join(self._pool.map(read, parts))

    def _read_span(self, first, stop):
        """Rows ``first:stop``: their bytes read in one piece, then the rows picked out."""
        span = (stop - first - 1) * self._stride + self._row_bytes
        data = bytearray(span)
        view, done = memoryview(data), 0
        while done < span:
            count = os.preadv(self._fd, [view[done:]], self._start + first * self._stride + done)
            if count == 0:
                raise OSError("X's file is shorter than its memory map: was it truncated?")
            done += count
        rows = np.ndarray(
            (stop - first, self._n_features),
            dtype=self._dtype,
            buffer=data,
            strides=(self._stride, self._dtype.itemsize),
        )
        return rows if self._stride == self._row_bytes else rows.copy()

    def random_access(self):
        """Tell the kernel that reads are random from now on: no readahead around them."""
        if not self._random and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)
        self._random = True


def _mapping_of(address):
    """The line of ``/proc/self/maps`` that maps ``address`` (Linux), parsed; else None."""
    try:
        with open("/proc/self/maps") as handle:
            for line in handle:
                fields = line.split(maxsplit=5)
                low, high = (int(bound, 16) for bound in fields[0].split("-"))
                if low <= address < high:
                    major, minor = (int(number, 16) for number in fields[3].split(":"))
                    return {
                        "start": low,
                        "perms": fields[1],
                        "offset": int(fields[2], 16),
                        "file": (major, minor, int(fields[4])),
                        "deleted": line.rstrip().endswith("(deleted)"),
                    }
    except (OSError, ValueError, IndexError):
        pass
    return None


__all__ = ["HostRows", "as_host_rows", "is_dask_array", "validate_host_rows"]
