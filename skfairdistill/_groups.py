"""Sensitive features -> group codes, and the (class, group) cells the distillation samples from."""

import numpy as np
import pandas as pd
import torch

from ._host_rows import is_dask_array


def encode_groups(sensitive_features, n_samples):
    """Encode sensitive features as one integer group code per row.

    Several columns (a 2-D array or a DataFrame) are combined into intersectional
    groups: every observed combination of values is one group.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Numbers, strings, booleans or categoricals; a list, NumPy array, pandas
        Series or DataFrame.
    n_samples : int
        Number of rows of ``X``; the sensitive features must have as many.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
        Group code of each row, in ``range(len(groups))``.
    groups : ndarray of shape (n_groups,)
        The group labels, sorted where the values can be ordered. With several
        columns each label is a tuple with one value per column.
    """
    if is_dask_array(sensitive_features):  # one value per row: fits in memory
        sensitive_features = sensitive_features.compute()
    columns = _as_columns(sensitive_features)
    if not columns:
        raise ValueError(
            "sensitive_features has no columns (shape (n_samples, 0)); pass at least one "
            "column of group values, or sensitive_features=None for vanilla distillation."
        )
    for name, column in columns:
        if len(column) != n_samples:
            raise ValueError(
                f"sensitive_features has {len(column)} rows but X has {n_samples}; "
                "they must describe the same rows."
            )
        if pd.isna(column).any():
            raise ValueError(
                f"sensitive_features{name} contains missing values (NaN/None); every row "
                "needs a group. Fill them with an explicit category such as 'unknown'."
            )
    factorized = [_factorize(column) for _, column in columns]
    if _typed_array(sensitive_features):
        # the group labels as a column of objects would give them: 'a' and 1, not np.str_('a')
        factorized = [(codes, uniques.astype(object)) for codes, uniques in factorized]
    if len(factorized) == 1:
        codes, uniques = factorized[0]
        return codes.astype(np.int64, copy=False), uniques
    stacked = np.column_stack([codes for codes, _ in factorized])
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    # plain Python values in the tuples, ('a', 1) rather than (np.str_('a'), np.int64(1));
    # pd.Index, unlike ndarray.tolist, keeps datetimes as Timestamps
    values = [pd.Index(uniques).tolist() for _, uniques in factorized]
    groups = np.empty(len(combos), dtype=object)
    groups[:] = [tuple(column[i] for column, i in zip(values, combo)) for combo in combos]
    return codes.reshape(-1).astype(np.int64, copy=False), groups


def _as_columns(sensitive_features):
    """Split the sensitive features into a list of (name suffix, 1-D column)."""
    if isinstance(sensitive_features, pd.DataFrame):
        return [(f"[{col!r}]", sensitive_features[col].to_numpy()) for col in sensitive_features]
    if isinstance(sensitive_features, pd.Series):
        return [("", sensitive_features.to_numpy())]
    if isinstance(sensitive_features, (str, bytes)) or np.ndim(sensitive_features) == 0:
        raise TypeError(
            "sensitive_features must be array-like with one value (or one row of values) per "
            f"sample; got {type(sensitive_features).__name__}."
        )
    if _typed_array(sensitive_features):
        array = sensitive_features
    else:
        array = np.asarray(sensitive_features, dtype=object)
    if array.ndim == 1:
        return [("", array)]
    if array.ndim == 2:
        return [(f"[:, {j}]", array[:, j]) for j in range(array.shape[1])]
    raise ValueError(
        f"sensitive_features must be 1-D or 2-D; got an array with {array.ndim} dimensions."
    )


def _typed_array(sensitive_features):
    """Whether an array of numbers, booleans or strings, factorized as it is.

    Converting it to Python objects first, as other inputs are, would cost time and
    memory (millions of objects per column) for the same codes and groups.
    """
    return isinstance(sensitive_features, np.ndarray) and sensitive_features.dtype.kind in "biufU"


def _factorize(column):
    """Codes and sorted unique values of one column; unorderable mixes sort by their text."""
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(column, sort=False)
        order = sorted(range(len(uniques)),
                       key=lambda i: (type(uniques[i]).__name__, str(uniques[i])))
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes, uniques = remap[codes], np.asarray(uniques, dtype=object)[order]
    return np.asarray(codes), np.asarray(uniques)


class CellSampler:
    """Mini-batches of row indices drawn per (class, group) cell.

    Built in one indexing pass: the rows are ordered by cell, and each cell is a
    contiguous slice of that order. A draw returns a fixed-shape
    ``(n_classes * n_groups, batch_size)`` block of row indices plus weights, so
    that every cell — however small — is represented in every iteration, and all
    cells are processed by one batched operation. A cell with fewer rows than
    ``batch_size`` contributes *all* of its rows (weight 1) and padding (weight 0),
    which makes its mean exact rather than a noisy estimate; an empty cell has
    weight 0 everywhere and is reported by :attr:`present`. The block is never
    wider than the largest cell, so many small (e.g. intersectional) cells cost
    their rows, not ``batch_size`` each.

    Parameters
    ----------
    class_codes, group_codes : ndarray of shape (n_samples,)
        Integer codes in ``range(n_classes)`` and ``range(n_groups)``.
    n_classes, n_groups : int
    device : torch.device
    """

    def __init__(self, class_codes, group_codes, n_classes, n_groups, device):
        n_cells = n_classes * n_groups
        # the one indexing pass: a stable sort by cell. An 8- or 16-bit key (fewer than
        # 65536 cells) is sorted by NumPy's radix sort, in linear time; the order is the
        # same with any key dtype, and the index (``order``) is int64 either way
        key = np.uint8 if n_cells < 2**8 else np.uint16 if n_cells < 2**16 else np.int64
        cell = np.asarray(class_codes).astype(key)
        cell *= n_groups
        np.add(cell, group_codes, out=cell, casting="unsafe")
        order = np.argsort(cell, kind="stable").astype(np.int64, copy=False)
        # where each cell starts in that order, from the sorted keys (in the key dtype:
        # np.bincount or mixed dtypes would copy all keys to int64)
        starts = np.searchsorted(cell[order], np.arange(n_cells, dtype=key))
        counts = np.diff(np.append(starts, len(order)))
        self.n_classes, self.n_groups = n_classes, n_groups
        self.counts = counts.reshape(n_classes, n_groups)
        self._largest = int(counts.max())
        self._class_starts = starts[:: n_groups]
        self._order = torch.as_tensor(order, device=device)
        self._starts = torch.as_tensor(starts, device=device).unsqueeze(1)
        self._counts = torch.as_tensor(counts, device=device).unsqueeze(1)
        self._layouts = {}  # batch_size -> (small cells, offsets, weights); packings

    @property
    def present(self):
        """Boolean array (n_classes, n_groups): which cells have at least one row."""
        return self.counts > 0

    @property
    def shares(self):
        """Share of each group within its class, pi_{a|y}, shape (n_classes, n_groups)."""
        return self.counts / self.counts.sum(axis=1, keepdims=True)

    def rows_of_class(self, class_code, positions):
        """Row indices (a tensor) of the given positions within one class's rows."""
        start = int(self._class_starts[class_code])
        return self._order[torch.as_tensor(start + positions, device=self._order.device)]

    def draw(self, batch_size, generator):
        """Row indices and weights for one mini-batch per cell.

        Returns
        -------
        rows : LongTensor of shape (n_classes * n_groups, min(batch_size, largest cell))
        weights : FloatTensor of the same shape, 1 for a real draw, 0 for padding.
            The same tensor for every draw of one batch size: read it, do not
            modify it in place.
        """
        small, fixed, weights = self._layout(batch_size)
        uniform = torch.rand(weights.shape, generator=generator, device=self._order.device)
        # float rounding can land on count itself; keep draws inside the cell
        sampled = torch.minimum((uniform * self._counts).long(), self._counts - 1)
        offsets = torch.where(small, fixed, sampled)
        positions = (self._starts + offsets).clamp(max=self._order.shape[0] - 1)
        return self._order[positions], weights

    def packing(self, batch_size):
        """Where the real draws of :meth:`draw` lie, without its padding.

        Returns
        -------
        slots : LongTensor of shape (n_drawn,)
            Positions in the flattened ``rows`` of :meth:`draw` that hold a real draw
            (weight 1), cell by cell: ``rows.reshape(-1)[slots]`` are the rows to embed,
            each once.
        cell_of_slot : LongTensor of shape (n_drawn,)
            The cell (``class * n_groups + group``) of each packed row.
        inverse_counts : FloatTensor of shape (n_classes * n_groups, 1)
            1 / (rows drawn) per cell (1 for an empty cell), so that
            ``zeros(n_cells, d).index_add_(0, cell_of_slot, values) * inverse_counts``
            gives every cell's mean. Fixed for a batch size; read-only.
        """
        batch_size = min(batch_size, self._largest)
        key = ("packed", batch_size)
        if key not in self._layouts:
            weights = self._layout(batch_size)[2]
            slots = torch.nonzero(weights.reshape(-1) > 0).squeeze(1)
            cell_of_slot = torch.div(slots, weights.shape[1], rounding_mode="floor")
            inverse_counts = 1.0 / weights.sum(1, keepdim=True).clamp(min=1)
            self._layouts[key] = slots, cell_of_slot, inverse_counts
        return self._layouts[key]

    def _layout(self, batch_size):
        """What does not change between draws of one batch size, built once."""
        # padding beyond the largest cell would only be weight-0 work
        batch_size = min(batch_size, self._largest)
        if batch_size not in self._layouts:
            slots = torch.arange(batch_size, device=self._order.device).unsqueeze(0)
            small = self._counts <= batch_size  # these cells give all their rows, in order
            weights = (~small | (slots < self._counts)).float()
            fixed = torch.where(weights > 0, slots, torch.zeros_like(slots))
            self._layouts[batch_size] = small, fixed, weights
        return self._layouts[batch_size]
