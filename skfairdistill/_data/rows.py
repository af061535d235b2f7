"""The real rows as the optimisation sees them: one float32 copy at most, standardised.

:class:`RealRows` takes the validated ``X``: an in-memory float32 array is used in place
and standardised per gathered mini-batch; any other array is standardised in float64
blocks into one float32 copy on the device; a
:class:`~skfairdistill._data.host_rows.HostRows` (memory map or Dask) stays where it is,
and each draw reads only its rows; a SciPy sparse ``X`` (a
:class:`~skfairdistill._data.host_rows.SparseRows`) too, each draw's rows densified
alone. Column statistics are computed in blocks, without a full-size temporary,
bit-identical to NumPy's float64 mean and std in memory, and the same for a
memory-mapped or Dask ``X`` of two columns or more (hence the same synthetic rows for a
seed); for a sparse ``X`` they are computed from the stored values (the mean
bit-identical, the std equal to rounding).
"""

import warnings

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import assert_all_finite

from .host_rows import HostRows, SparseRows
from .validation import _short_list

# Rows are standardised, and column statistics computed, in float64 blocks of about
# this many values (32 MiB), so a large X never needs a float64 copy of its size.
_BLOCK_VALUES = 2**22


class RealRows:
    """Real rows of ``X`` held once on the device, standardised, with constant columns set aside.

    Features are standardised (zero mean, unit variance) so that the distillation
    sees every feature on the same scale — features of 1e-6 and 1e6 are treated
    alike — and the synthetic rows are mapped back to the original scale at the
    end. Constant columns carry no information: they are left out of the
    optimisation (unless every column is constant) and every synthetic row gets
    their value exactly.

    A float32 ``X`` is used in place (no copy on the CPU) and standardised per
    gathered mini-batch. Any other ``X`` is standardised in float64 before its one
    float32 copy is made, so values beyond the float32 range and large offsets
    with a tiny spread (e.g. 1e6 + 1e-3 noise) survive the cast. A
    :class:`HostRows` ``X`` (memory-mapped or Dask) is not copied at all: the rows
    of each draw are read from it, moved to the device and standardised there
    (float32) or before the cast (other dtypes), exactly as for the in-memory array.
    A SciPy sparse ``X`` is read the same way (as :class:`SparseRows`): each draw's
    rows are densified, and nothing larger ever is.

    Parameters
    ----------
    X : ndarray, HostRows or scipy.sparse matrix of shape (n_samples, n_features)
        Validated input (an ndarray or a sparse matrix is finite; a HostRows is
        checked here, block by block). It is never written to.
    device : torch.device
    image_shape : tuple of int or None, default=None
        ``(C, H, W)`` when each row is a flattened image (channels first). Images
        are standardised per *channel* (one mean and spread over all its pixels,
        as image pipelines do) rather than per pixel: a pixel that is always
        black in the data (a digit's border) would otherwise be blown up or set
        aside, and the synthetic images must keep every pixel.
    block_values : int, default=2**22
        About how many values a float64 block of the column statistics and of
        the standardised copy holds (32 MiB by default), so that a large ``X``
        never needs a float64 temporary of its size.
    name : str, default="X"
        The argument ``X`` came in as, named by the errors.

    Raises
    ------
    ValueError
        If the mean or variance of a column overflows float64 (values near 1e154
        and beyond), or if the spread of a varying column (image channel) is below
        float32's smallest normal number, about 1.2e-38 (for values below about 1e-162
        even its float64 variance underflows to 0); the message names the columns. For a
        HostRows ``X``, also if it holds NaN or infinite values (scikit-learn's message).
    """

    def __init__(self, X, device, image_shape=None, *, block_values=_BLOCK_VALUES, name="X"):
        self._device = device
        if sp.issparse(X):
            X = SparseRows(X)
        host = isinstance(X, (HostRows, SparseRows))
        if isinstance(X, SparseRows):
            self.low, self.high, self.mean, scale, first = X.statistics(block_values)
        elif host:
            self.low, self.high, self.mean, scale, first = _host_statistics(X, block_values)
        else:
            self.low, self.high = X.min(axis=0), X.max(axis=0)
        # min == max is exact, unlike std > 0 (the mean of equal values can be off by an ulp)
        self.constant = self.low == self.high
        if not host:
            self.mean = X.mean(axis=0, dtype=np.float64)
            with np.errstate(over="ignore"):  # reported below, naming the columns
                scale = _std(X, self.mean, block_values)
            first = X[0]
        varying = ~self.constant
        if image_shape is not None:
            self.mean, scale = _per_channel(self.mean, scale, image_shape)
            self.constant = np.zeros(len(self.mean), dtype=bool)  # every pixel is optimised
            # a channel varies if one of its pixels does
            pixels = varying.reshape(image_shape[0], -1)
            varying = np.repeat(pixels.any(axis=1), pixels.shape[1])
        self.mean[self.constant] = first[self.constant]
        overflow = ~(np.isfinite(self.mean) & np.isfinite(scale))
        if overflow.any():
            raise ValueError(
                f"{name} columns {np.flatnonzero(overflow).tolist()} have values too large to "
                "standardise (their mean or variance overflows float64); rescale them first."
            )
        _refuse_spreads_too_small(varying & (scale < _SMALLEST_SPREAD), image_shape, name)
        self.scale = np.where(self.constant | ~(scale > 0), 1.0, scale)
        # with no varying column there is nothing to distil; keep the columns as inputs
        self._columns = np.flatnonzero(~self.constant) if not self.constant.all() else None
        columns = slice(None) if self._columns is None else self._columns
        # which columns a gathered batch keeps; None: all of them
        self._gather_columns = (
            None
            if self._columns is None or len(self._columns) == len(self.mean)
            else torch.as_tensor(self._columns, device=device)
        )
        self._host = X if host else None
        self._in_float32 = X.dtype == np.float32
        if self._in_float32:
            # standardised per gathered batch, so the caller's float32 X needs no copy
            self._mean = torch.as_tensor(self.mean[columns], dtype=torch.float32, device=device)
            self._scale = torch.as_tensor(self.scale[columns], dtype=torch.float32, device=device)
        else:
            self._mean = self._scale = None
        if host:
            self._X = None
        elif self._in_float32:
            if any(stride < 0 for stride in X.strides):
                X = np.ascontiguousarray(X)  # torch cannot view negative strides (X[::-1])
            with warnings.catch_warnings():
                # read-only inputs are fine: the tensor is only ever read
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                self._X = torch.as_tensor(X, device=device)
        else:
            self._X = _standardised_float32(
                X, columns, self.mean, self.scale, device, block_values
            )

    @property
    def n_features(self):
        """Number of columns the optimisation works on (the non-constant ones)."""
        return len(self.mean) if self._columns is None else len(self._columns)

    def gather(self, rows):
        """Standardised rows ``X[rows]`` for an index tensor of any shape."""
        flat = rows.reshape(-1)
        if self._host is not None:
            # read each needed row once, in file order; then spread them to the draw
            unique, inverse = torch.unique(flat, sorted=True, return_inverse=True)
            block = self._host.take(unique.cpu().numpy())
            if self._in_float32:
                standardised = self._standardise(torch.from_numpy(block).to(self._device))
            else:
                columns = slice(None) if self._columns is None else self._columns
                standardised = torch.from_numpy(
                    _standardise_block(block, columns, self.mean, self.scale)
                ).to(self._device)
            out = standardised.index_select(0, inverse.to(self._device))
        elif self._mean is None:  # standardised when copied
            out = self._X.index_select(0, flat)
        else:
            out = self._standardise(self._X.index_select(0, flat))
        return out.reshape(*rows.shape, out.shape[-1])

    def standardise(self, X):
        """Rows of another in-memory ``X`` (same columns) standardised with these statistics.

        For held-out rows that must be seen as the rows of this ``X`` are (a test
        set scored by a network trained on them). ``X`` may be dense or SciPy sparse
        (densified a block of rows at a time). Returns a float32 tensor on the
        device, with the columns the optimisation works on.
        """
        columns = slice(None) if self._columns is None else self._columns
        return _standardised_float32(X, columns, self.mean, self.scale, self._device)

    def _standardise(self, block):
        """Float32 rows of all columns -> standardised rows of the varying columns."""
        if self._gather_columns is not None:
            block = block.index_select(1, self._gather_columns)
        return (block - self._mean) / self._scale

    def original_scale(self):
        """``(scale, offset)``, float32 on the device: a standardised row times scale plus offset is on the scale of ``X``."""
        columns = slice(None) if self._columns is None else self._columns
        return tuple(torch.as_tensor(values[columns], dtype=torch.float32, device=self._device)
                     for values in (self.scale, self.mean))

    def to_original_scale(self, X_std):
        """Map standardised synthetic rows (a tensor) back to a float64 NumPy array."""
        X = np.tile(self.mean, (X_std.shape[0], 1))  # constant columns: their exact value
        varying = ~self.constant
        if varying.any():
            X_std = X_std.detach().cpu().double().numpy()
            X[:, varying] = X_std * self.scale[varying] + self.mean[varying]
        return X


# The smallest spread a varying column may have: the optimisation, and the methods that
# work on the caller's scale, hold spreads in float32. Below it a spread would round to
# 0 (or lose its digits), and the column would be optimised on the scale of a constant
# one (1.0): synthetic values of 0.5 for data of 1e-200.
_SMALLEST_SPREAD = float(np.finfo(np.float32).tiny)


def _refuse_spreads_too_small(small, image_shape, name):
    """Refuse the varying columns (image channels) flagged in ``small``, naming them."""
    if not small.any():
        return
    if image_shape is None:
        what = f"{name} columns {_short_list(np.flatnonzero(small).tolist())}"
    else:
        channels = np.flatnonzero(small.reshape(image_shape[0], -1).any(axis=1)).tolist()
        what = f"the image channels {_short_list(channels)} of {name}"
    raise ValueError(
        f"{what} vary by too little to standardise: their spread is below about 1.2e-38 "
        "(the distillation computes in float32; for values below about 1e-162 even the "
        "float64 variance is 0). Rescale them first: multiply them by a constant that "
        "brings their values near 1 (e.g. 1e200 for values near 1e-200), and divide the "
        "synthetic values by it.")


def _per_channel(mean, scale, image_shape):
    """Per-pixel mean and std of flattened (C, H, W) images -> per-channel values per pixel.

    A channel's variance pools its pixels': the mean of their variances plus the
    variance of their means (the law of total variance).
    """
    channels = mean.reshape(image_shape[0], -1)
    spreads = scale.reshape(image_shape[0], -1)
    channel_mean = channels.mean(axis=1, keepdims=True)
    with np.errstate(over="ignore"):  # an overflow is reported by the caller
        variance = (spreads**2 + (channels - channel_mean) ** 2).mean(axis=1, keepdims=True)
    pixels = channels.shape[1]
    return (np.repeat(channel_mean, pixels, axis=1).ravel(),
            np.repeat(np.sqrt(variance), pixels, axis=1).ravel())


def _standardise_block(block, columns, mean, scale):
    """Float32 ``(block[:, columns] - mean) / scale``, computed in float64."""
    if sp.issparse(block):  # a block of rows of a sparse X: dense on its own
        block = block.toarray()
    return ((block[:, columns] - mean[columns]) / scale[columns]).astype(np.float32)


def _standardised_float32(X, columns, mean, scale, device, block_values=_BLOCK_VALUES):
    """Float32 tensor of ``(X[:, columns] - mean) / scale``, computed in float64 blocks."""
    n_columns = len(mean) if isinstance(columns, slice) else len(columns)
    out = torch.empty((X.shape[0], n_columns), dtype=torch.float32, device=device)
    step = _block_rows(X.shape[1], block_values)
    for start in range(0, X.shape[0], step):
        block = _standardise_block(X[start : start + step], columns, mean, scale)
        out[start : start + step] = torch.from_numpy(block)
    return out


def _std(X, mean, block_values=_BLOCK_VALUES):
    """``X.std(axis=0, dtype=np.float64)`` (bit for bit) without its full-size float64 temporary.

    NumPy computes ``sqrt(sum((X - mean) ** 2, axis=0) / n)`` on a float64 copy of
    all of ``X``. The sum runs row after row when ``X`` is row-major and pairwise
    down each column when it is column-major; both orders are kept here, in blocks:
    rows are added to a running float64 sum, columns are summed a few at a time.
    """
    n = X.shape[0]
    if X.flags.f_contiguous:  # column-major, and every single-column array
        width = _block_rows(n, block_values)  # columns of n values each
        total = np.empty(X.shape[1])
        for start in range(0, X.shape[1], width):
            deviation = X[:, start : start + width] - mean[start : start + width]
            np.multiply(deviation, deviation, out=deviation)
            total[start : start + width] = np.add.reduce(deviation, axis=0)
    else:
        sums = _RunningSum(X.shape[1], _block_rows(X.shape[1], block_values))
        for start in range(0, n, sums.rows):
            deviation = sums.next_block(X[start : start + sums.rows], subtract=mean)
            np.multiply(deviation, deviation, out=deviation)
            sums.add()
        total = sums.total
    return np.sqrt(total / n)


def _block_rows(n_features, block_values):
    """How many rows of ``n_features`` values make a block of about ``block_values``."""
    return max(1, block_values // max(1, n_features))


class _RunningSum:
    """Column sums in float64, adding blocks of rows in order as NumPy sums a row-major array.

    NumPy sums a row-major array down its rows one after the other; continuing that
    running sum block by block (the running total as the first row of the next
    reduction) gives the same float64 result as one reduction over all rows.
    """

    def __init__(self, n_features, rows):
        self.rows = rows
        self._buffer = np.empty((rows + 1, n_features))
        self.total = None
        self._n = 0

    def next_block(self, block, subtract=None):
        """Copy ``block`` (minus ``subtract``) in float64 into the buffer; return that view."""
        self._n = len(block)
        view = self._buffer[1 : self._n + 1]
        if subtract is None:
            np.copyto(view, block, casting="safe")
        else:
            np.subtract(block, subtract, out=view)
        return view

    def add(self):
        """Add the block last returned by :meth:`next_block` to the running total."""
        if self.total is None:
            self.total = np.add.reduce(self._buffer[1 : self._n + 1], axis=0)
        else:
            self._buffer[0] = self.total
            self.total = np.add.reduce(self._buffer[: self._n + 1], axis=0)


def _host_statistics(X, block_values=_BLOCK_VALUES):
    """Minimum, maximum, mean, std and first row of a HostRows, in two passes of row blocks.

    The first pass checks that the values are finite (scikit-learn's message naming
    X) and collects minimum, maximum and the running sum; the second sums the
    squared deviations from the mean. Same results as for the array in memory.
    """
    n, n_features = X.shape
    rows = _block_rows(n_features, block_values)
    sums = _RunningSum(n_features, rows)
    low = high = None
    for _, block in X.blocks(rows):
        assert_all_finite(block, input_name="X", estimator_name=X.estimator_name)
        low = block.min(axis=0) if low is None else np.minimum(low, block.min(axis=0))
        high = block.max(axis=0) if high is None else np.maximum(high, block.max(axis=0))
        sums.next_block(block)
        with np.errstate(over="ignore"):  # reported by the caller, naming the columns
            sums.add()
    with np.errstate(invalid="ignore"):
        mean = sums.total / n
    squares = _RunningSum(n_features, rows)
    with np.errstate(over="ignore", invalid="ignore"):
        for _, block in X.blocks(rows):
            deviation = squares.next_block(block, subtract=mean)
            np.multiply(deviation, deviation, out=deviation)
            squares.add()
        scale = np.sqrt(squares.total / n)
    first = X.take(np.array([0]))[0].astype(np.float64)
    return low, high, mean, scale, first
