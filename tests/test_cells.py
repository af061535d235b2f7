"""The (class, group) cells the distillation samples from (skfairdistill._data.cells).

One indexing pass orders the rows by cell; every draw gives every non-empty cell rows
of that cell only (all of a small cell's rows: an exact mean), in a block no wider
than the largest cell.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._data.cells import CellSampler

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")

def _sampler(class_codes, group_codes, n_classes, n_groups):
    return CellSampler(
        np.asarray(class_codes), np.asarray(group_codes), n_classes, n_groups, torch.device("cpu")
    )


@pytest.fixture
def cells():
    """3 classes x 2 groups with cells of 50, 3, 1, 20, 0 and 7 rows, rows shuffled."""
    sizes = {(0, 0): 50, (0, 1): 3, (1, 0): 1, (1, 1): 20, (2, 0): 0, (2, 1): 7}
    class_codes = np.concatenate([np.full(n, k, dtype=np.int64) for (k, _), n in sizes.items()])
    group_codes = np.concatenate([np.full(n, g, dtype=np.int64) for (_, g), n in sizes.items()])
    perm = np.random.default_rng(0).permutation(len(class_codes))
    return class_codes[perm], group_codes[perm], sizes


def test_counts_present_shares(cells):
    class_codes, group_codes, sizes = cells
    sampler = _sampler(class_codes, group_codes, 3, 2)
    expected = np.array([[sizes[(k, g)] for g in range(2)] for k in range(3)])
    np.testing.assert_array_equal(sampler.counts, expected)
    np.testing.assert_array_equal(sampler.present, expected > 0)
    np.testing.assert_allclose(sampler.shares, expected / expected.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(sampler.shares.sum(axis=1), 1.0)


@pytest.mark.parametrize("batch_size", [1, 5, 30])
def test_draws_cover_every_cell_with_rows_of_that_cell(cells, batch_size):
    class_codes, group_codes, sizes = cells
    sampler = _sampler(class_codes, group_codes, 3, 2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        rows, weights = sampler.draw(batch_size, generator)
        assert rows.shape == weights.shape == (6, batch_size)
        assert rows.dtype == torch.int64
        assert set(torch.unique(weights).tolist()) <= {0.0, 1.0}
        rows, weights = rows.numpy(), weights.numpy()
        for k in range(3):
            for g in range(2):
                cell = k * 2 + g
                n = sizes[(k, g)]
                taken = rows[cell][weights[cell] > 0]
                if n == 0:
                    # an empty cell never contributes
                    assert weights[cell].sum() == 0
                    continue
                # every non-empty cell is in every draw ...
                assert weights[cell].sum() == min(n, batch_size)
                # ... with rows of that cell only
                assert np.all(class_codes[taken] == k)
                assert np.all(group_codes[taken] == g)
                if n <= batch_size:
                    # a small cell gives each of its rows exactly once: an exact mean
                    assert sorted(taken.tolist()) == sorted(
                        np.flatnonzero((class_codes == k) & (group_codes == g)).tolist()
                    )
        # padding indices are valid row numbers
        assert rows.min() >= 0 and rows.max() < len(class_codes)


def test_large_cells_are_sampled_at_random(cells):
    class_codes, group_codes, _ = cells
    sampler = _sampler(class_codes, group_codes, 3, 2)
    generator = torch.Generator().manual_seed(0)
    draws = [sampler.draw(10, generator)[0][0].tolist() for _ in range(30)]
    # cell (0, 0) has 50 rows > 10: draws differ and over many draws reach most rows
    assert len({tuple(d) for d in draws}) > 1
    assert len(set(sum(draws, []))) > 40


def test_draws_are_reproducible_from_the_generator(cells):
    class_codes, group_codes, _ = cells
    sampler = _sampler(class_codes, group_codes, 3, 2)
    first = sampler.draw(8, torch.Generator().manual_seed(3))
    second = sampler.draw(8, torch.Generator().manual_seed(3))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_weighted_mean_of_small_cells_is_exact(cells):
    class_codes, group_codes, sizes = cells
    values = np.random.default_rng(1).normal(size=len(class_codes))
    sampler = _sampler(class_codes, group_codes, 3, 2)
    rows, weights = sampler.draw(25, torch.Generator().manual_seed(0))
    vals = torch.as_tensor(values)[rows]
    means = (weights * vals).sum(1) / weights.sum(1).clamp(min=1)
    for k, g in [(0, 1), (1, 0), (1, 1), (2, 1)]:  # the cells with <= 25 rows
        exact = values[(class_codes == k) & (group_codes == g)].mean()
        assert means[k * 2 + g].item() == pytest.approx(exact)
    # the packing keeps exactly the real draws, each once, and gives the same means
    slots, cell_of_slot, inverse_counts = sampler.packing(25)
    assert sampler.packing(25)[0] is slots  # fixed for a batch size
    assert torch.equal(slots, torch.nonzero(weights.reshape(-1) > 0).squeeze(1))
    assert len(slots) == int(weights.sum())
    packed = vals.reshape(-1)[slots]
    segment = torch.zeros(len(weights), dtype=packed.dtype).index_add_(0, cell_of_slot, packed)
    segment *= inverse_counts.squeeze(1).double()
    assert torch.allclose(segment, means)
    present = torch.as_tensor(sampler.present.reshape(-1))
    assert (segment[~present] == 0).all()


def test_rows_of_class(cells):
    class_codes, group_codes, _ = cells
    sampler = _sampler(class_codes, group_codes, 3, 2)
    for k in range(3):
        n = int(np.sum(class_codes == k))
        rows = sampler.rows_of_class(k, np.arange(n)).numpy()
        assert sorted(rows.tolist()) == np.flatnonzero(class_codes == k).tolist()


def test_draws_on_every_device(cells, device):
    class_codes, group_codes, sizes = cells
    sampler = CellSampler(class_codes, group_codes, 3, 2, device)
    rows, weights = sampler.draw(4, torch.Generator(device=device).manual_seed(0))
    assert rows.device.type == weights.device.type == device.type
    expected = [min(sizes[(k, g)], 4) for k in range(3) for g in range(2)]
    assert weights.sum(dim=1).cpu().tolist() == expected
    rows, weights = rows.cpu().numpy(), weights.cpu().numpy()
    for cell in range(6):
        taken = rows[cell][weights[cell] > 0]
        assert np.all(class_codes[taken] * 2 + group_codes[taken] == cell)


def test_cell_index_is_int64_with_one_entry_per_row():
    rng = np.random.default_rng(0)
    n = 5000
    y, groups = rng.integers(0, 3, n), rng.integers(0, 5, n)
    cells = CellSampler(y, groups, 3, 5, torch.device("cpu"))
    assert cells._order.dtype == torch.int64
    assert cells._order.numel() == n
    assert sorted(cells._order.tolist()) == list(range(n))  # a permutation: each row once
    cell = (y * 5 + groups)[cells._order.numpy()]
    assert np.all(np.diff(cell) >= 0)  # rows grouped by cell
    np.testing.assert_array_equal(cells.counts.ravel(), np.bincount(y * 5 + groups, minlength=15))
    rows, _ = cells.draw(64, torch.Generator().manual_seed(0))
    assert rows.dtype == torch.int64 and rows.shape == (15, 64)


@pytest.mark.parametrize("n_groups", [300, 70_000], ids=["16-bit-key", "64-bit-key"])
def test_the_order_is_the_same_whatever_the_key_dtype(n_groups):
    rng = np.random.default_rng(1)
    n = 3000
    y, groups = rng.integers(0, 2, n), rng.integers(0, n_groups, n)
    cells = CellSampler(y, groups, 2, n_groups, torch.device("cpu"))
    expected = np.argsort(y.astype(np.int64) * n_groups + groups, kind="stable")
    np.testing.assert_array_equal(cells._order.numpy(), expected)
    assert cells.counts.shape == (2, n_groups) and cells.counts.sum() == n


def test_draw_rows_labels_match_the_rows():
    y = np.array([0, 0, 1, 1, 1, 2])
    groups = np.array([0, 1, 1, 1, 0, 1])  # cell (2, 0) is empty
    cells = CellSampler(y, groups, 3, 2, torch.device("cpu"))
    rows, classes = cells.draw_rows(500, torch.Generator().manual_seed(0))
    assert torch.equal(torch.as_tensor(y)[rows], classes)
    assert set(rows.tolist()) == set(range(6))


# --------------------------------------------------------------------------- in a fit


def test_cell_with_a_single_row_works_without_warning():
    X, y, A = make_grouped_data(n_samples=120)
    A = A.copy()
    b_rows = np.flatnonzero((y == 1) & (A == "b"))
    A[b_rows[1:]] = "a"  # class 1 keeps exactly one "b" row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # min_group_rows=1: keep the equal group weights, without the small-cell warning
        distiller = FairDistiller(**FAST, matching_params={"min_group_rows": 1}).fit(
            X, y, sensitive_features=A)
    assert distiller.cell_counts_[1, 1] == 1
    assert np.all(np.isfinite(distiller.X_distilled_))


def test_many_intersectional_groups():
    """120 groups on 600 rows: most cells hold a handful of rows, some none."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = (X[:, 0] > 0).astype(int)
    sensitive = pd.DataFrame(
        {"region": rng.integers(0, 12, size=600), "job": rng.choice(list("abcdefghij"), 600)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # some (class, group) cells are empty
        distiller = FairDistiller(**{**FAST, "n_per_class": 5}).fit(
            X, y, sensitive_features=sensitive
        )
    n_groups = len(sensitive.drop_duplicates())
    assert n_groups > 100 and len(distiller.groups_) == n_groups
    assert distiller.cell_counts_.shape == (2, n_groups)
    assert distiller.cell_counts_.sum() == 600
    assert np.all(np.isfinite(distiller.X_distilled_))
    # the per-iteration mini-batch is as wide as the largest cell, not batch_size (256 here):
    # 240 small cells cost their rows, not 240 * 256 padded rows
    codes = pd.MultiIndex.from_frame(sensitive).codes
    group_codes = np.unique(np.c_[codes[0], codes[1]], axis=0, return_inverse=True)[1].ravel()
    cells = CellSampler(y, group_codes, 2, n_groups, torch.device("cpu"))
    rows, _ = cells.draw(256, torch.Generator().manual_seed(0))
    assert rows.shape == (2 * n_groups, cells.counts.max())
