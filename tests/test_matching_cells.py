"""The per-cell pieces the loops share (skfairdistill._matching._cells): packed real means,
synthetic class means, the group weights of the targets."""

import numpy as np
import torch

from skfairdistill._data.cells import CellSampler
from skfairdistill._matching._cells import class_averaging, group_weights, packing


def test_packed_draws_give_every_cells_mean():
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    groups = np.array([0, 1, 1, 0, 0, 0, 1])
    values = torch.arange(7.0).unsqueeze(1) * torch.tensor([[1.0, 10.0]])
    cells = CellSampler(y, groups, 2, 2, torch.device("cpu"))

    class Rows:
        def gather(self, rows):
            return values[rows]

    pack = packing(cells, batch_size=8)  # every cell smaller than the batch: exact means
    rows, weights = pack.draw(Rows(), cells, 8, torch.Generator().manual_seed(0), (2,))
    assert rows.shape == (7, 2) and weights.shape == (4, 3)
    means = pack.means(rows)
    assert means.shape == (2, 2, 2)
    for k in range(2):
        for g in range(2):
            expected = values[torch.as_tensor((y == k) & (groups == g))].mean(0)
            torch.testing.assert_close(means[k, g], expected)


def test_class_averaging_weights_give_every_class_mean():
    y_syn = torch.tensor([0, 0, 1, 1, 1])
    weights = class_averaging(y_syn, 3)
    assert weights.shape == (3, 5)
    values = torch.tensor([[1.0], [3.0], [2.0], [4.0], [6.0]])
    torch.testing.assert_close(weights @ values, torch.tensor([[2.0], [4.0], [0.0]]))


def test_group_weights_make_every_group_count_equally_in_fair_targets():
    class Cells:
        present = np.array([[True, True, False], [True, True, True]])
        shares = np.array([[0.9, 0.1, 0.0], [0.5, 0.3, 0.2]])

    fair = group_weights(Cells, "barycenter", torch.device("cpu"))
    np.testing.assert_allclose(fair.numpy(), [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    vanilla = group_weights(Cells, "none", torch.device("cpu"))
    np.testing.assert_allclose(vanilla.numpy(), Cells.shares)
