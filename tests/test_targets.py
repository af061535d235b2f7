"""Oracle tests of the matching targets (skfairdistill._targets): the class mean (vanilla),
the sum over groups (FairDD) and the barycenter of the group means (COBRA)."""

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller

from skfairdistill._config.parameters import ALIGNMENTS, DISTANCES
from skfairdistill._targets import (
    alignment_loss,
    barycenter,
    barycenter_weights,
    class_mean,
    distance,
    group_trust,
    shrunk,
)

from conftest import make_grouped_data


def _stats(seed=0, n_classes=2, n_groups=3, dim=4):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_classes, n_groups, dim, generator=generator, dtype=torch.float64)


def _shares(rows):
    shares = torch.tensor(rows, dtype=torch.float64)
    return shares / shares.sum(dim=1, keepdim=True)


def test_public_choices():
    assert set(ALIGNMENTS) == {"barycenter", "groupwise", "none"}
    assert set(DISTANCES) == {"l1", "squared_l2"}


def test_distance_values():
    a = torch.tensor([[1.0, -2.0, 3.0]])
    b = torch.tensor([[0.0, 1.0, 1.0]])
    assert distance(a, b, "l1").tolist() == [1.0 + 3.0 + 2.0]
    assert distance(a, b, "squared_l2").tolist() == [1.0 + 9.0 + 4.0]


def test_barycenter_is_uniform_mean_of_group_means():
    stats = _stats()
    present = torch.ones(2, 3, dtype=torch.bool)
    torch.testing.assert_close(barycenter(stats, present), stats.mean(dim=1))


@pytest.mark.parametrize(
    "shares", [[[1, 1, 1], [1, 1, 1]], [[98, 1, 1], [1, 5, 94]], [[10, 30, 60], [60, 30, 10]]]
)
def test_barycenter_ignores_group_shares(shares):
    """Whatever the group sizes, the barycenter target (hence the loss) is the same."""
    stats = _stats(1)
    present = torch.ones(2, 3, dtype=torch.bool)
    syn = torch.zeros(2, 4, dtype=torch.float64)
    reference = alignment_loss(
        stats, present, _shares([[1, 1, 1], [1, 1, 1]]), syn, alignment="barycenter", kind="l1"
    )
    loss = alignment_loss(stats, present, _shares(shares), syn, alignment="barycenter", kind="l1")
    torch.testing.assert_close(loss, reference)
    # the barycenter of the means is the uniform mean, not a share-weighted one
    assert not torch.allclose(class_mean(stats, _shares([[98, 1, 1], [1, 5, 94]])),
                              barycenter(stats, present))


def test_class_mean_is_share_weighted_mean():
    stats = _stats(2)
    shares = _shares([[7, 2, 1], [1, 1, 8]])
    expected = torch.stack(
        [sum(shares[k, g] * stats[k, g] for g in range(3)) for k in range(2)]
    )
    torch.testing.assert_close(class_mean(stats, shares), expected)
    syn = torch.randn(2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    present = torch.ones(2, 3, dtype=torch.bool)
    loss = alignment_loss(stats, present, shares, syn, alignment="none", kind="squared_l2")
    torch.testing.assert_close(loss, ((expected - syn) ** 2).sum())


def test_class_mean_follows_the_majority():
    stats = torch.tensor([[[10.0], [0.0]]], dtype=torch.float64)  # 1 class, 2 groups, 1-d
    target = class_mean(stats, _shares([[9, 1]]))
    torch.testing.assert_close(target, torch.tensor([[9.0]], dtype=torch.float64))
    torch.testing.assert_close(
        barycenter(stats, torch.ones(1, 2, dtype=torch.bool)),
        torch.tensor([[5.0]], dtype=torch.float64),
    )


def test_absent_groups_are_ignored_by_barycenter():
    stats = _stats(3)
    present = torch.tensor([[True, False, True], [False, True, False]])
    stats_garbage = stats.clone()
    stats_garbage[~present] = 1e6  # whatever an absent cell holds must not matter
    expected = torch.stack([(stats[0, 0] + stats[0, 2]) / 2, stats[1, 1]])
    torch.testing.assert_close(barycenter(stats_garbage, present), expected)


@pytest.mark.parametrize("kind", ["l1", "squared_l2"])
def test_absent_groups_are_ignored_by_groupwise(kind):
    stats = _stats(4)
    present = torch.tensor([[True, False, True], [True, True, False]])
    shares = _shares([[1, 0, 1], [1, 1, 0]])
    syn = torch.randn(2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    garbage = stats.clone()
    garbage[~present] = 1e6
    loss = alignment_loss(garbage, present, shares, syn, alignment="groupwise", kind=kind)
    expected = sum(
        distance(stats[k, g], syn[k], kind)
        for k in range(2) for g in range(3) if present[k, g]
    )
    torch.testing.assert_close(loss, expected)


def test_groupwise_is_sum_of_per_group_distances():
    stats = _stats(5)
    present = torch.ones(2, 3, dtype=torch.bool)
    syn = torch.randn(2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    loss = alignment_loss(stats, present, _shares([[8, 1, 1]] * 2), syn,
                          alignment="groupwise", kind="l1")
    expected = (stats - syn[:, None, :]).abs().sum()
    torch.testing.assert_close(loss, expected)


def _minimise(loss_fn, start, steps=3000, lr=0.05):
    """Plain gradient descent with a decaying step (works for the non-smooth L1 too)."""
    syn = start.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([syn], lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + 0.01 * t))
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(syn).backward()
        optimizer.step()
        scheduler.step()
    return syn.detach()


def test_groupwise_squared_l2_minimiser_is_the_barycenter():
    stats = _stats(6)
    present = torch.tensor([[True, True, True], [True, False, True]])
    shares = _shares([[80, 15, 5], [9, 0, 1]])
    target = barycenter(stats, present)

    def loss_fn(syn):
        return alignment_loss(stats, present, shares, syn, alignment="groupwise",
                              kind="squared_l2")

    # the gradient vanishes at the barycenter ...
    at_target = target.clone().requires_grad_(True)
    loss_fn(at_target).backward()
    torch.testing.assert_close(at_target.grad, torch.zeros_like(target), atol=1e-10, rtol=0)
    # ... every other point has a larger loss ...
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        step = 0.1 * torch.randn(target.shape, generator=generator, dtype=torch.float64)
        assert loss_fn(target + step) > loss_fn(target)
    # ... and gradient descent from anywhere lands on it
    found = _minimise(loss_fn, torch.zeros_like(target), steps=500, lr=0.05)
    torch.testing.assert_close(found, target, atol=1e-6, rtol=0)


def test_groupwise_and_barycenter_share_minimiser_with_squared_l2():
    stats = _stats(7)
    present = torch.ones(2, 3, dtype=torch.bool)
    shares = _shares([[90, 5, 5], [1, 1, 1]])
    found = {
        alignment: _minimise(
            lambda syn, a=alignment: alignment_loss(stats, present, shares, syn,
                                                    alignment=a, kind="squared_l2"),
            torch.zeros(2, 4, dtype=torch.float64), steps=500,
        )
        for alignment in ("groupwise", "barycenter", "none")
    }
    torch.testing.assert_close(found["groupwise"], found["barycenter"], atol=1e-6, rtol=0)
    # vanilla distillation goes to the share-weighted mean instead
    torch.testing.assert_close(found["none"], class_mean(stats, shares), atol=1e-6, rtol=0)
    assert not torch.allclose(found["none"], found["barycenter"], atol=1e-2)


def test_groupwise_l1_minimiser_is_coordinatewise_median():
    # 1 class, 3 groups, 3 dims; the median differs from the mean in every coordinate
    stats = torch.tensor(
        [[[0.0, 10.0, -1.0], [1.0, 0.0, -2.0], [9.0, 1.0, 6.0]]], dtype=torch.float64
    )
    present = torch.ones(1, 3, dtype=torch.bool)
    shares = _shares([[1, 1, 1]])
    median = stats.median(dim=1).values  # [1, 1, -1]
    mean = barycenter(stats, present)  # [10/3, 11/3, 1]
    assert not torch.allclose(median, mean, atol=0.5)

    def loss_fn(syn):
        return alignment_loss(stats, present, shares, syn, alignment="groupwise", kind="l1")

    # the median is optimal and strictly better than the barycenter
    assert loss_fn(median) < loss_fn(mean)
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        step = 0.05 * torch.randn(median.shape, generator=generator, dtype=torch.float64)
        assert loss_fn(median + step) > loss_fn(median)
    # subgradient descent from the barycenter ends at the median
    found = _minimise(loss_fn, mean, steps=3000, lr=0.05)
    torch.testing.assert_close(found, median, atol=0.05, rtol=0)


def test_barycenter_l1_minimiser_is_the_barycenter():
    stats = _stats(8)
    present = torch.ones(2, 3, dtype=torch.bool)
    shares = _shares([[90, 5, 5], [1, 2, 3]])
    target = barycenter(stats, present)
    loss = alignment_loss(stats, present, shares, target, alignment="barycenter", kind="l1")
    assert loss.item() == pytest.approx(0.0, abs=1e-12)
    other = alignment_loss(stats, present, shares, class_mean(stats, shares),
                           alignment="barycenter", kind="l1")
    assert other.item() > 0.01


def test_loss_is_differentiable_wrt_syn_stats_only():
    stats = _stats(9, dim=2).to(torch.float32)
    present = torch.ones(2, 3, dtype=torch.bool)
    shares = _shares([[1, 1, 1]] * 2).to(torch.float32)
    syn = torch.zeros(2, 2, requires_grad=True)
    for alignment in ALIGNMENTS:
        for kind in DISTANCES:
            loss = alignment_loss(stats, present, shares, syn, alignment=alignment, kind=kind)
            assert loss.shape == () and loss.dtype == torch.float32
            (grad,) = torch.autograd.grad(loss, syn)
            assert grad.shape == syn.shape and torch.isfinite(grad).all()
            assert grad.abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_targets_follow_device_and_dtype(device, dtype):
    stats = _stats(10).to(device=device, dtype=dtype)
    present = torch.tensor([[True, True, False], [True, True, True]], device=device)
    shares = _shares([[3, 1, 0], [1, 1, 1]]).to(device=device, dtype=dtype)
    syn = torch.zeros(2, 4, device=device, dtype=dtype)
    for target in (barycenter(stats, present), class_mean(stats, shares)):
        assert target.device.type == device.type and target.dtype == dtype
    for alignment in ALIGNMENTS:
        loss = alignment_loss(stats, present, shares, syn, alignment=alignment, kind="l1")
        assert loss.device.type == device.type and loss.dtype == dtype
    expected = torch.stack([(stats[0, 0] + stats[0, 1]) / 2, stats[1].mean(0)])
    torch.testing.assert_close(barycenter(stats, present), expected)


@pytest.mark.parametrize("single_group", [np.zeros(120), np.full(120, "all", dtype=object)],
                         ids=["number", "string"])
def test_with_one_group_every_alignment_is_vanilla(single_group):
    X, y, _ = make_grouped_data(n_samples=120)
    results = [
        FairDistiller(alignment=alignment, n_per_class=2, n_iter=10, random_state=0,
                      device="cpu", matching_params={"distance": "l1"}).fit_resample(
            X, y, sensitive_features=single_group
        )[0]
        for alignment in ("none", "barycenter", "groupwise")
    ]
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


# --------------------------------------------------------------------------- small groups


def test_group_trust_is_rows_over_the_threshold_capped_at_one():
    counts = np.array([[1800, 8, 0], [30, 45, 3]])
    np.testing.assert_allclose(group_trust(counts, 30), [[1, 8 / 30, 0], [1, 1, 0.1]])
    assert group_trust(counts, None) is None
    # no present cell below the threshold (the empty one does not count): nothing to shrink
    assert group_trust(counts, 3) is None and group_trust(counts, 1) is None


def test_a_trusted_group_keeps_its_statistic_exactly():
    stats = _stats(20)
    shares = _shares([[90, 8, 2], [50, 49, 1]])
    trust = torch.tensor([[1.0, 0.25, 0.0], [1.0, 1.0, 0.5]], dtype=torch.float64)
    out = shrunk(stats, shares, trust)
    pooled = class_mean(stats, shares)
    assert torch.equal(out[0, 0], stats[0, 0]) and torch.equal(out[1, :2], stats[1, :2])
    torch.testing.assert_close(out[0, 1], 0.25 * stats[0, 1] + 0.75 * pooled[0])
    torch.testing.assert_close(out[0, 2], pooled[0])
    torch.testing.assert_close(out[1, 2], 0.5 * stats[1, 2] + 0.5 * pooled[1])


@pytest.mark.parametrize("alignment", ALIGNMENTS)
@pytest.mark.parametrize("kind", DISTANCES)
def test_full_trust_leaves_every_loss_unchanged_bit_for_bit(alignment, kind):
    stats, syn = _stats(21), _stats(22)[:, 0]
    present = torch.tensor([[True, True, False], [True, True, True]])
    shares = _shares([[9, 1, 0], [5, 3, 2]])
    reference = alignment_loss(stats, present, shares, syn, alignment=alignment, kind=kind)
    loss = alignment_loss(stats, present, shares, syn, alignment=alignment, kind=kind,
                          trust=torch.ones(2, 3, dtype=torch.float64))
    assert torch.equal(loss, reference)


def test_trust_moves_the_fair_targets_towards_the_class_and_leaves_vanilla():
    stats, syn = _stats(23), torch.zeros(2, 4, dtype=torch.float64)
    present = torch.ones(2, 3, dtype=torch.bool)
    shares = _shares([[90, 9, 1], [80, 15, 5]])
    trust = torch.tensor([[1.0, 1.0, 0.1], [1.0, 0.5, 0.2]], dtype=torch.float64)
    none = dict(alignment="none", kind="squared_l2")
    assert torch.equal(alignment_loss(stats, present, shares, syn, **none, trust=trust),
                       alignment_loss(stats, present, shares, syn, **none))
    # the barycenter of the shrunk statistics, against an oracle
    expected = shrunk(stats, shares, trust).mean(dim=1)
    loss = alignment_loss(stats, present, shares, syn, alignment="barycenter", kind="l1",
                          trust=trust)
    torch.testing.assert_close(loss, expected.abs().sum())
    # groupwise: each group's shrunk statistic
    expected = ((shrunk(stats, shares, trust) - syn.unsqueeze(1)) ** 2).sum()
    torch.testing.assert_close(
        alignment_loss(stats, present, shares, syn, alignment="groupwise", kind="squared_l2",
                       trust=trust), expected)
    # no trust at all: every group is its class, and the barycenter is the class mean
    zero = torch.zeros(2, 3, dtype=torch.float64)
    torch.testing.assert_close(barycenter(shrunk(stats, shares, zero), present),
                               class_mean(stats, shares))


def test_barycenter_weights_give_the_barycenter_of_the_shrunk_statistics():
    stats = _stats(24)
    present = torch.tensor([[True, True, False], [True, True, True]])
    shares = _shares([[97, 3, 0], [60, 35, 5]])
    trust = np.array([[1.0, 0.1, 0.0], [1.0, 1.0, 0.25]])
    weights = barycenter_weights(present.numpy(), shares.numpy(), trust)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert weights[0, 2] == 0  # an absent group gets nothing
    combined = (torch.as_tensor(weights).unsqueeze(-1) * stats).sum(dim=1)
    torch.testing.assert_close(
        combined, barycenter(shrunk(stats, shares, torch.as_tensor(trust)), present))
    # without trust: COBRA's 1 / |A_y| on every present group
    np.testing.assert_allclose(barycenter_weights(present.numpy(), shares.numpy()),
                               [[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]])
