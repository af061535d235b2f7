"""Per-cell pieces the loops share: packed real means, synthetic class means, group weights.

Each drawn real row is embedded once, without padding: the cell means are
segment sums over the packed rows, and the synthetic class means one product
with fixed averaging weights (distribution matching and CAFE). The group
weights of the targets serve gradient matching and CAFE.
"""

from dataclasses import dataclass

import torch

AVERAGING_MAX_ENTRIES = 2**22  # 16 MiB of float32

@dataclass(frozen=True)
class Packing:
    """Where the real draws of one batch size lie, and how to average them."""

    slots: torch.Tensor  # (n_drawn,) positions of the real draws in the flat rows block
    cell_of_slot: torch.Tensor  # (n_drawn,) cell (class * n_groups + group) of each
    inverse_counts: torch.Tensor  # (n_cells, 1) 1 / rows drawn per cell
    n_classes: int
    n_groups: int
    # (n_cells, n_drawn): the means as one product, where that matrix is small (a
    # segment sum by index_add_ costs several times more on the CPU); None otherwise
    averaging: torch.Tensor = None
    # (n_drawn,) sample weights of the draws (a cell taken whole averages with them); None
    # without sample_weight
    slot_weights: torch.Tensor = None

    def draw(self, real, cells, batch_size, generator, input_shape):
        """One draw per cell, packed: ``(rows (n_drawn, *input_shape), weights)``.

        ``weights`` is the padded ``(n_cells, batch)`` block of :meth:`CellSampler.draw`.
        """
        rows, weights = cells.draw(batch_size, generator)
        packed = real.gather(rows.reshape(-1)[self.slots])
        return packed.reshape(len(self.slots), *input_shape), weights

    def means(self, values):
        """Per-cell means of packed ``values`` ``(n_drawn, ...)``: ``(n_classes, n_groups, d)``."""
        flat = values.reshape(len(values), -1)
        if self.averaging is not None:
            return (self.averaging @ flat).view(self.n_classes, self.n_groups, -1)
        stats = flat.new_zeros(self.n_classes * self.n_groups, flat.shape[1])
        if self.slot_weights is not None:
            flat = flat * self.slot_weights.unsqueeze(1)
        stats.index_add_(0, self.cell_of_slot, flat).mul_(self.inverse_counts)
        return stats.view(self.n_classes, self.n_groups, -1)


def packing(cells, batch_size):
    """The :class:`Packing` of ``cells``'s draws of ``batch_size`` rows per cell."""
    slots, cell_of_slot, inverse_counts = cells.packing(batch_size)
    slot_weights = cells.slot_weights(batch_size)
    n_cells = cells.n_classes * cells.n_groups
    averaging = None
    if n_cells * len(slots) <= AVERAGING_MAX_ENTRIES:
        averaging = torch.zeros(n_cells, len(slots), device=slots.device)
        averaging[cell_of_slot, torch.arange(len(slots), device=slots.device)] = (
            1.0 if slot_weights is None else slot_weights)
        averaging *= inverse_counts
    return Packing(slots, cell_of_slot, inverse_counts, cells.n_classes, cells.n_groups,
                   averaging, slot_weights)


def class_averaging(y_syn, n_classes):
    """``(n_classes, n_syn)`` weights: ``weights @ values`` is every class's mean row."""
    weights = torch.nn.functional.one_hot(y_syn, n_classes).T.float()
    weights /= weights.sum(1, keepdim=True).clamp(min=1)
    return weights


def group_weights(cells, alignment, device):
    """``(n_classes, n_groups)``: how much each group counts in its class's target.

    Vanilla (``"none"``): the group's share of the class (of its total weight, with
    sample weights); FairDD and COBRA: ``1 /
    |A_y|`` for every group present, so that every group of a class counts equally.
    """
    if alignment == "none":
        return torch.as_tensor(cells.shares, dtype=torch.float32, device=device)
    mask = torch.as_tensor(cells.present, dtype=torch.float32, device=device)
    return mask / mask.sum(1, keepdim=True).clamp(min=1)


__all__ = ["Packing", "class_averaging", "group_weights", "packing"]
