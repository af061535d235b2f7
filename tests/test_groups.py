"""Group encoding of sensitive features and the per-(class, group) cell sampler."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairdistill._data.cells import CellSampler
from skfairdistill._data.groups import encode_groups


def _decode(codes, groups):
    return [groups[c] for c in codes]


# ------------------------------------------------------------------------ encode_groups


@pytest.mark.parametrize(
    "container",
    [list, np.array, lambda v: np.array(v, dtype=object), pd.Series,
     lambda v: pd.Series(pd.Categorical(v))],
    ids=["list", "array", "object-array", "series", "categorical"],
)
def test_encode_one_column(container):
    values = ["m", "f", "f", "m", "x"]
    codes, groups = encode_groups(container(values), 5)
    assert codes.dtype == np.int64 and codes.shape == (5,)
    assert list(groups) == ["f", "m", "x"]  # sorted
    assert _decode(codes, groups) == values


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "zz"]), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_encode_round_trip_property(values):
    codes, groups = encode_groups(values, len(values))
    assert codes.shape == (len(values),)
    assert codes.min() >= 0 and codes.max() < len(groups)
    # each code decodes to its row's value, so equal codes mean equal values ...
    assert all(d == v for d, v in zip(_decode(codes, groups), values))
    # ... and different values get different codes
    for i in range(len(values)):
        for j in range(len(values)):
            if values[i] != values[j]:
                assert codes[i] != codes[j]
    assert len(groups) == len(set(values))


def test_encode_numbers_and_bools():
    codes, groups = encode_groups(np.array([3, 1, 3, 2]), 4)
    assert list(groups) == [1, 2, 3]
    np.testing.assert_array_equal(codes, [2, 0, 2, 1])
    codes, groups = encode_groups([True, False, False], 3)
    assert list(groups) == [False, True]
    np.testing.assert_array_equal(codes, [1, 0, 0])


def test_encode_mixed_types():
    codes, groups = encode_groups([1, "a", 1, "a"], 4)
    assert len(groups) == 2
    assert set(groups.tolist()) == {1, "a"}
    assert _decode(codes, groups) == [1, "a", 1, "a"]
    assert codes[0] == codes[2] != codes[1] == codes[3]


@pytest.mark.parametrize(
    "make",
    [
        lambda s, r: pd.DataFrame({"sex": s, "race": r}),
        lambda s, r: np.column_stack([s, r]),
        lambda s, r: [[a, b] for a, b in zip(s, r)],
    ],
    ids=["dataframe", "2d-array", "nested-list"],
)
def test_encode_two_columns_gives_intersectional_tuples(make):
    sex = ["m", "f", "m", "f", "m", "m"]
    race = ["w", "w", "b", "b", "w", "b"]
    codes, groups = encode_groups(make(sex, race), 6)
    assert len(groups) == 4
    assert all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    assert [tuple(str(v) for v in groups[c]) for c in codes] == list(zip(sex, race))
    assert sorted(tuple(str(v) for v in g) for g in groups) == [
        ("f", "b"), ("f", "w"), ("m", "b"), ("m", "w")
    ]


def test_encode_two_columns_only_observed_combinations():
    frame = pd.DataFrame({"a": [0, 0, 1, 1], "b": ["x", "x", "y", "y"]})
    codes, groups = encode_groups(frame, 4)
    assert len(groups) == 2  # (0, x) and (1, y); the unseen (0, y), (1, x) are no groups
    np.testing.assert_array_equal(codes, [0, 0, 1, 1])


@pytest.mark.parametrize(
    "values",
    [["a", "b", "a"], np.array([1, 2, 1, 2, 1]), pd.Series([1, 2]),
     pd.DataFrame({"s": ["a"] * 3, "t": [1] * 3})],
)
def test_wrong_length_raises(values):
    with pytest.raises(ValueError, match="sensitive_features"):
        encode_groups(values, 4)


@pytest.mark.parametrize(
    "values",
    [["a", None, "b"], np.array([1.0, np.nan, 2.0]), pd.Series(["a", "b", pd.NA]),
     pd.DataFrame({"s": ["a", "b", "c"], "t": [1.0, np.nan, 2.0]})],
    ids=["none", "nan", "pd-na", "frame-column"],
)
def test_missing_values_raise(values):
    with pytest.raises(ValueError, match="missing"):
        encode_groups(values, 3)


def test_missing_value_error_names_the_column():
    frame = pd.DataFrame({"sex": ["m", "f", "m"], "race": ["w", None, "b"]})
    with pytest.raises(ValueError, match="race"):
        encode_groups(frame, 3)


@pytest.mark.parametrize("values", ["abc", 3, None])
def test_scalars_raise_type_error(values):
    with pytest.raises(TypeError, match="sensitive_features"):
        encode_groups(values, 3)


def test_three_dimensional_raises():
    with pytest.raises(ValueError, match="sensitive_features"):
        encode_groups(np.zeros((3, 2, 2)), 3)


# -------------------------------------------------------------------------- CellSampler


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
