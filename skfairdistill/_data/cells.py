"""The (class, group) cells the distillation samples from, batched on the device."""

import numpy as np
import torch


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

    With ``weights`` (``sample_weight``), a row of weight ``w`` counts ``w`` times in its
    cell: a cell larger than the batch is drawn from with probability proportional to
    the weights (its batch mean is then a plain mean), a cell taken whole averages its
    rows with their weights, and the groups' shares of a class are their total weights.
    A row of weight 0 is in no cell: it is never drawn and never counted (not in
    :attr:`counts` either).

    Parameters
    ----------
    class_codes, group_codes : ndarray of shape (n_samples,)
        Integer codes in ``range(n_classes)`` and ``range(n_groups)``.
    n_classes, n_groups : int
    device : torch.device
    weights : ndarray of shape (n_samples,) or None, default=None
        Non-negative sample weights; None weighs every row alike.
    """

    def __init__(self, class_codes, group_codes, n_classes, n_groups, device, weights=None):
        n_cells = n_classes * n_groups
        # the one indexing pass: a stable sort by cell. An 8- or 16-bit key (fewer than
        # 65536 cells) is sorted by NumPy's radix sort, in linear time; the order is the
        # same with any key dtype, and the index (``order``) is int64 either way
        key = np.uint8 if n_cells < 2**8 else np.uint16 if n_cells < 2**16 else np.int64
        cell = np.asarray(class_codes).astype(key)
        cell *= n_groups
        np.add(cell, group_codes, out=cell, casting="unsafe")
        if weights is None:
            order = np.argsort(cell, kind="stable").astype(np.int64, copy=False)
        else:  # a row of weight 0 is in no cell
            kept = np.flatnonzero(np.asarray(weights) > 0)
            order = kept[np.argsort(cell[kept], kind="stable")]
        # where each cell starts in that order, from the sorted keys (in the key dtype:
        # np.bincount or mixed dtypes would copy all keys to int64)
        starts = np.searchsorted(cell[order], np.arange(n_cells, dtype=key))
        counts = np.diff(np.append(starts, len(order)))
        self.n_classes, self.n_groups = n_classes, n_groups
        self.counts = counts.reshape(n_classes, n_groups)
        self._weights = None
        if weights is not None:
            ordered = np.asarray(weights, dtype=np.float64)[order]
            totals = np.bincount(np.repeat(np.arange(n_cells), counts), weights=ordered,
                                 minlength=n_cells)
            self._weights = _Weights(ordered, totals.reshape(n_classes, n_groups), starts,
                                     counts, device)
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
    def weighted(self):
        """Whether the rows carry sample weights."""
        return self._weights is not None

    @property
    def totals(self):
        """Weight of each cell, shape (n_classes, n_groups): :attr:`counts` without weights."""
        return self.counts if self._weights is None else self._weights.totals

    @property
    def shares(self):
        """Share of each group within its class, pi_{a|y}, shape (n_classes, n_groups)."""
        totals = self.totals
        return totals / totals.sum(axis=1, keepdims=True)

    def weights_of_class(self, class_code):
        """Sample weights (ndarray, float64) of one class's rows in their order, or None."""
        if self._weights is None:
            return None
        start = int(self._class_starts[class_code])
        return self._weights.host[start:start + int(self.counts[class_code].sum())]

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
        if self._weights is None:
            # float rounding can land on count itself; keep draws inside the cell
            sampled = torch.minimum((uniform * self._counts).long(), self._counts - 1)
        else:
            sampled = self._weights.offsets(uniform, self._starts, self._counts)
        offsets = torch.where(small, fixed, sampled)
        positions = (self._starts + offsets).clamp(max=self._order.shape[0] - 1)
        return self._order[positions], weights

    def draw_rows(self, n_rows, generator):
        """``n_rows`` rows drawn uniformly from all rows (with replacement), and their classes.

        A plain mini-batch of the real data, as a network is trained on: unlike
        :meth:`draw`, the groups keep their shares.

        Returns
        -------
        rows, class_codes : LongTensor of shape (n_rows,)
        """
        if self._weights is None:
            positions = torch.randint(self._order.shape[0], (int(n_rows),),
                                      generator=generator, device=self._order.device)
        else:  # in proportion to the weights
            uniform = torch.rand(int(n_rows), generator=generator, device=self._order.device)
            positions = self._weights.positions(uniform)
        # the cell of a position: the last cell starting at or before it (empty ones skipped)
        cells = torch.searchsorted(self._starts.view(-1), positions, right=True) - 1
        return self._order[positions], torch.div(cells, self.n_groups, rounding_mode="floor")

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

    def slot_weights(self, batch_size):
        """The weights of the real draws of :meth:`packing`'s ``slots``, or None without weights.

        A cell taken whole gives its rows' weights (they sum to its row count), a larger
        cell 1 for every draw (drawn in proportion to the weights already).
        """
        if self._weights is None:
            return None
        slots = self.packing(batch_size)[0]
        return self._layout(batch_size)[2].reshape(-1)[slots]

    def _layout(self, batch_size):
        """What does not change between draws of one batch size, built once."""
        # padding beyond the largest cell would only be weight-0 work
        batch_size = min(batch_size, self._largest)
        if batch_size not in self._layouts:
            slots = torch.arange(batch_size, device=self._order.device).unsqueeze(0)
            small = self._counts <= batch_size  # these cells give all their rows, in order
            weights = (~small | (slots < self._counts)).float()
            fixed = torch.where(weights > 0, slots, torch.zeros_like(slots))
            if self._weights is not None:  # a cell taken whole: its rows' own weights
                weights = torch.where(small, weights * self._weights.of_slots(
                    self._starts + fixed, self._order.shape[0]), weights)
            self._layouts[batch_size] = small, fixed, weights
        return self._layouts[batch_size]


class _Weights:
    """The sample weights of a :class:`CellSampler`, in its order of the rows.

    Parameters
    ----------
    host : ndarray of shape (n_kept,)
        The positive weights, cell by cell.
    totals : ndarray of shape (n_classes, n_groups)
        Every cell's total weight.
    starts, counts : ndarray of shape (n_cells,)
        Where each cell starts in that order, and its rows.
    device : torch.device
    """

    def __init__(self, host, totals, starts, counts, device):
        self.host, self.totals = host, totals
        # float64 cumulative sums: a draw is the first row whose sum passes a uniform point
        cumulative = np.cumsum(host)
        before = np.concatenate([[0.0], cumulative])[starts]  # weight before each cell
        self._cumulative = torch.as_tensor(cumulative, device=device)
        self._device_host = torch.as_tensor(host, device=device)
        self._before = torch.as_tensor(before, device=device).unsqueeze(1)
        self._cell_totals = torch.as_tensor(totals.reshape(-1), device=device).unsqueeze(1)
        # a cell's rows weigh ``count / total`` on average: a cell taken whole keeps its
        # row count as its sum of weights (1 for an empty cell, which has no rows)
        self._scale = torch.as_tensor(
            np.where(counts > 0, counts / np.where(counts > 0, totals.reshape(-1), 1.0), 1.0),
            device=device).unsqueeze(1)

    def offsets(self, uniform, starts, counts):
        """Offsets within every cell, drawn in proportion to the weights of its rows."""
        points = self._before + uniform.double() * self._cell_totals
        positions = torch.searchsorted(self._cumulative, points, right=True)
        # float rounding can step past a cell's last row; keep draws inside the cell
        return torch.minimum((positions - starts).clamp(min=0), (counts - 1).clamp(min=0))

    def positions(self, uniform):
        """Positions among all rows, drawn in proportion to their weights."""
        points = uniform.double() * self._cumulative[-1]
        return torch.searchsorted(self._cumulative, points, right=True).clamp(
            max=len(self._cumulative) - 1)

    def of_slots(self, positions, n_rows):
        """Weights (float32) of the rows at ``positions``, scaled to their cell's count."""
        rows = positions.clamp(max=n_rows - 1)
        return (self._device_host[rows] * self._scale).float()
