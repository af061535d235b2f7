"""Distribution-level barycenter targets (skfairdistill.experimental._wasserstein) and
matching_params["barycenter"]. The rule that ties it to alignment: test_rules.py."""

import re
import warnings

import numpy as np
import pytest
import torch
from scipy.stats import norm

from skfairdistill import FairDistiller
from skfairdistill._nn.networks import RandomMLP
from skfairdistill.experimental import KINDS, barycenter_target
from skfairdistill.experimental._wasserstein import (
    fixed_point_loss,
    free_support_barycenter,
    sliced_barycenter_quantiles,
)


def _gaussian_1d(mean, std, n, device):
    """n points at the (i + 1/2)/n quantiles of N(mean, std^2): an exact, noise-free cloud."""
    q = norm.ppf((np.arange(n) + 0.5) / n)
    return torch.as_tensor(mean + std * q, dtype=torch.float64, device=device).unsqueeze(1)


def _stacked(*clouds, weights=None):
    """Clouds padded to a common number of rows, and their row weights (0 on padding)."""
    m = max(len(c) for c in clouds)
    ref = clouds[0]
    padded = torch.zeros(len(clouds), m, ref.shape[1], dtype=ref.dtype, device=ref.device)
    mass = torch.zeros(len(clouds), m, dtype=ref.dtype, device=ref.device)
    for i, cloud in enumerate(clouds):
        padded[i, : len(cloud)] = cloud
        mass[i, : len(cloud)] = 1.0 if weights is None else weights[i]
    return padded, mass


def test_choices():
    assert KINDS == ("wasserstein", "sliced")


@pytest.mark.parametrize("n_steps", [1, 3])
def test_free_support_barycenter_1d_closed_form(device, n_steps):
    """W2 barycenter of N(m1, s1^2) and N(m2, s2^2), uniform weights: N((m1+m2)/2, ((s1+s2)/2)^2).

    The groups have different sizes (1600 and 400 rows): the weights stay 1/2 each.
    """
    a = _gaussian_1d(-2.0, 0.5, 1600, device)
    b = _gaussian_1d(3.0, 2.5, 400, device)
    init = torch.linspace(-1, 1, 200, dtype=torch.float64, device=device).unsqueeze(1)
    bary = free_support_barycenter(*_stacked(a, b), init, n_steps=n_steps)
    assert bary.shape == (200, 1) and bary.device == init.device
    bary = bary.squeeze(1).cpu()
    assert float(bary.mean()) == pytest.approx(0.5, abs=1e-6)
    # block means of the quantiles shrink the spread a little (< 1% with 200 support points)
    assert float(bary.std()) == pytest.approx(1.5, rel=0.01)
    # the mixture (what a weighted mean of the samples would describe) is far wider
    assert float(torch.cat([a, b]).std()) > 2.0
    # the whole quantile function matches, not only two moments: support point j is
    # the average over the groups of the mean of block j of their quantiles
    blocks = [c.cpu().numpy().reshape(200, -1).mean(axis=1) for c in (a, b)]
    np.testing.assert_allclose(np.sort(bary.numpy()), (blocks[0] + blocks[1]) / 2, atol=1e-9)
    interior = slice(10, 190)  # and the closed form's quantiles, away from the tails
    expected = 0.5 + 1.5 * norm.ppf((np.arange(200) + 0.5) / 200)
    np.testing.assert_allclose(np.sort(bary.numpy())[interior], expected[interior], atol=0.01)


def test_free_support_barycenter_isotropic_same_mean(device):
    """Same mean, different spread: barycenter N(0, 2^2 I) of N(0, I) and N(0, 3^2 I) in 2-D.

    The mean target sees no difference between these groups; the barycenter's
    spread is the average of the spreads (2), not the mixture's (sqrt(5)).
    """
    rng = np.random.default_rng(0)
    a = torch.as_tensor(rng.normal(size=(1500, 2)), device=device)
    b = torch.as_tensor(3.0 * rng.normal(size=(500, 2)), device=device)
    init = torch.as_tensor(rng.normal(size=(300, 2)), device=device)
    bary = free_support_barycenter(*_stacked(a, b), init, n_steps=20).cpu()
    assert bary.mean(dim=0).abs().max() < 0.15
    spread = float(bary.pow(2).sum(dim=1).mean().div(2).sqrt())  # per-coordinate std
    assert spread == pytest.approx(2.0, rel=0.06)
    assert abs(spread - np.sqrt(5.0)) > 0.1


def test_free_support_barycenter_matches_pot(device):
    """The fixed point is POT's ot.lp.free_support_barycenter (uniform cloud weights)."""
    import ot

    rng = np.random.default_rng(2)
    clouds = [torch.as_tensor(rng.normal(loc=k, size=(30 + 10 * k, 4)), device=device)
              for k in range(3)]
    weights = [torch.ones(len(c), dtype=c.dtype, device=device) / len(c) for c in clouds]
    init = torch.as_tensor(rng.normal(size=(8, 4)), device=device)
    expected = ot.lp.free_support_barycenter(clouds, weights, init, numItermax=4, stopThr=0.0)
    torch.testing.assert_close(
        free_support_barycenter(*_stacked(*clouds), init, n_steps=4), expected
    )


def test_duplicating_a_group_does_not_change_the_barycenter(device):
    """Uniform over groups, uniform within a group: repeated rows change nothing."""
    rng = np.random.default_rng(1)
    a = torch.as_tensor(rng.normal(size=(60, 3)), device=device)
    b = torch.as_tensor(rng.normal(loc=2.0, size=(40, 3)), device=device)
    init = torch.as_tensor(rng.normal(size=(10, 3)), device=device)
    reference = free_support_barycenter(*_stacked(a, b), init, n_steps=3)
    a4 = a.repeat(4, 1)
    duplicated = free_support_barycenter(*_stacked(a4, b), init, n_steps=3)
    torch.testing.assert_close(duplicated, reference)
    # padding rows (weight 0) are ignored, whatever they hold
    clouds, weights = _stacked(a, b)
    clouds[1, len(b):] = 100.0
    with_padding = free_support_barycenter(clouds, weights, init, n_steps=3)
    torch.testing.assert_close(with_padding, reference)


def test_sliced_quantiles_closed_form_and_uniform_over_groups(device):
    """One direction (1-D): the quantiles of the W2 barycenter, uniform over groups."""
    a = _gaussian_1d(-2.0, 0.5, 4000, device).float()
    b = _gaussian_1d(3.0, 2.5, 1000, device).float()
    m = 4000
    projected = torch.zeros(1, 2, 1, m, device=device)  # (classes, groups, directions, rows)
    projected[0, 0, 0] = a[:, 0]
    projected[0, 1, 0, :1000] = b[:, 0]
    weights = torch.zeros(1, 2, m, device=device)
    weights[0, 0] = 1
    weights[0, 1, :1000] = 1
    present = torch.ones(1, 2, dtype=torch.bool, device=device)
    levels = ((torch.arange(50, device=device) + 0.5) / 50).unsqueeze(0)
    q = sliced_barycenter_quantiles(projected, weights, present, levels)[0, :, 0].cpu().numpy()
    level = (np.arange(50) + 0.5) / 50

    def empirical_quantile(cloud):  # inf{x : F(x) >= level}
        values = np.sort(cloud.cpu().numpy().ravel())
        return values[np.ceil(level * len(values)).astype(int) - 1]

    # the larger group does not weigh more
    expected = (empirical_quantile(a) + empirical_quantile(b)) / 2
    np.testing.assert_allclose(q, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(q, 0.5 + 1.5 * norm.ppf(level), atol=0.03)  # closed form
    # an absent group does not count
    present_a = torch.tensor([[True, False]], device=device)
    q_a = sliced_barycenter_quantiles(projected, weights, present_a, levels)[0, :, 0].cpu()
    np.testing.assert_allclose(q_a.numpy(), empirical_quantile(a), rtol=1e-5, atol=1e-5)


def test_sliced_quantiles_ignore_duplicated_rows(device):
    generator = torch.Generator(device=device).manual_seed(0)
    cloud = torch.randn(1, 1, 4, 30, generator=generator, device=device)
    weights = torch.ones(1, 1, 30, device=device)
    present = torch.ones(1, 1, dtype=torch.bool, device=device)
    levels = ((torch.arange(7, device=device) + 0.5) / 7).unsqueeze(0)
    reference = sliced_barycenter_quantiles(cloud, weights, present, levels)
    doubled = sliced_barycenter_quantiles(
        cloud.repeat(1, 1, 1, 2), weights.repeat(1, 1, 2), present, levels
    )
    torch.testing.assert_close(doubled, reference)


def test_fixed_point_loss_value_and_gradient(device):
    """Mean squared displacement, gradient 2/n (X_i - target_i); the target is a constant."""
    X = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], device=device, requires_grad=True)
    target = torch.tensor([[0.0, 2.5], [1.0, 1.0], [0.0, 0.0]], device=device,
                          requires_grad=True)
    loss = fixed_point_loss(X, target)
    assert float(loss.detach()) == pytest.approx((6.25 + 1.0 + 4.0) / 3)
    loss.backward()
    torch.testing.assert_close(X.grad, 2.0 / 3.0 * (X.detach() - target.detach()))
    assert target.grad is None


def test_one_fixed_point_step_has_the_gradient_of_the_barycenter_functional(device):
    """d/dX of the loss = d/dX of (1/N) sum_a W2^2(X, Y_a), computed with POT's ot.emd2.

    Uniform over the groups although their sizes differ (50 and 20 rows).
    """
    import ot

    rng = np.random.default_rng(3)
    a = torch.as_tensor(rng.normal(size=(50, 3)), device=device)
    b = torch.as_tensor(rng.normal(loc=1.5, scale=2.0, size=(20, 3)), device=device)
    X = torch.as_tensor(rng.normal(size=(12, 3)), device=device).requires_grad_(True)
    target = free_support_barycenter(*_stacked(a, b), X, n_steps=1)
    fixed_point_loss(X, target).backward()
    ours = X.grad.clone()
    X.grad = None
    uniform = torch.full((12,), 1 / 12, dtype=X.dtype, device=device)
    functional = sum(
        ot.emd2(uniform, torch.full((len(Y),), 1 / len(Y), dtype=X.dtype, device=device),
                ot.dist(X, Y))
        for Y in (a, b)
    ) / 2
    functional.backward()
    torch.testing.assert_close(ours, X.grad)


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_gradients_flow_to_the_synthetic_rows(device, kind):
    generator = torch.Generator(device=device).manual_seed(0)
    n_classes, n_groups, m, n_features = 2, 3, 40, 5
    network = RandomMLP(n_features, 32, 2, generator)
    real = torch.randn(n_classes * n_groups, m, n_features, generator=generator, device=device)
    weights = torch.ones(n_classes * n_groups, m, device=device)
    weights[1, 10:] = 0  # a small cell with padding
    present = np.ones((n_classes, n_groups), dtype=bool)
    present[1, 2] = False
    weights[5] = 0
    y_syn = torch.tensor([0, 0, 0, 0, 1, 1, 1], device=device)
    X_syn = torch.randn(7, n_features, generator=generator, device=device).requires_grad_(True)
    target = barycenter_target(kind, present, y_syn, generator)
    with torch.no_grad():
        embedded = network(real)
    loss = target(embedded, weights, network(X_syn))
    assert loss.ndim == 0 and torch.isfinite(loss) and float(loss.detach()) > 0
    loss.backward()
    assert torch.isfinite(X_syn.grad).all()
    for k in range(n_classes):  # every class's rows move
        assert X_syn.grad[y_syn == k].abs().sum() > 0


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_fair_distiller_end_to_end_deterministic(grouped_data, device, kind):
    X, y, A = grouped_data
    params = dict(n_per_class=6, n_iter=20, matching_params={"barycenter": kind},
                  random_state=0, device=device)
    first = FairDistiller(**params).fit(X, y, sensitive_features=A)
    second = FairDistiller(**params).fit(X, y, sensitive_features=A)
    assert first.X_distilled_.shape == (12, X.shape[1])
    assert np.isfinite(first.X_distilled_).all()
    assert np.isfinite(first.loss_history_).all() and first.n_iter_ == 20
    if device.type == "cpu":
        np.testing.assert_array_equal(first.X_distilled_, second.X_distilled_)
    else:
        np.testing.assert_allclose(first.X_distilled_, second.X_distilled_, rtol=1e-4, atol=1e-5)
    # the target differs from COBRA's mean target
    mean = FairDistiller(**{**params, "matching_params": {"barycenter": "mean"}}).fit(
        X, y, sensitive_features=A)
    assert not np.allclose(first.X_distilled_, mean.X_distilled_)


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_distribution_targets_reduce_their_loss(kind):
    """The synthetic clouds move towards the barycenter: the loss goes down."""
    rng = np.random.default_rng(0)
    n = 1200
    y = rng.integers(0, 2, n)
    A = rng.choice(["a", "b"], size=n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 3)) * np.where(A == "b", 3.0, 1.0)[:, None]
    X[:, 0] += 2.0 * y
    distiller = FairDistiller(n_per_class=10, n_iter=150, random_state=0,
                              device="cpu", matching_params={"barycenter": kind}).fit(
        X, y, sensitive_features=A)
    history = distiller.loss_history_
    assert history[-30:].mean() < 0.8 * history[:10].mean()


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_uneven_budgets_absent_groups_and_no_groups(multiclass_data, kind):
    X, y, A = multiclass_data
    A = A.copy()
    A[(y == 2) & (A == "z")] = "x"  # group z absent from class 2
    budget = {0: 3, 1: 5, 2: 4}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        distiller = FairDistiller(n_per_class=budget, n_iter=10, random_state=0, device="cpu",
                                  matching_params={"barycenter": kind})
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert np.bincount(y_syn).tolist() == [3, 5, 4]
    assert np.isfinite(X_syn).all()
    with pytest.raises(ValueError, match="^sensitive_features is None, but alignment='barycenter'"):
        FairDistiller(n_per_class=3, n_iter=10, random_state=0, device="cpu",
                      matching_params={"barycenter": kind}).fit_resample(X, y)


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_clouds_are_capped_mini_batches(make_data, monkeypatch, kind):
    """Cells wider than the cloud size are drawn as smaller random mini-batches."""
    from skfairdistill.experimental import _wasserstein

    seen = []
    call = _wasserstein.DistributionTarget.__call__

    def spy(self, embedded, weights, syn_embedded):
        seen.append(embedded.shape[1])
        return call(self, embedded, weights, syn_embedded)

    monkeypatch.setattr(_wasserstein.DistributionTarget, "__call__", spy)
    X, y, A = make_data(n_samples=400)
    distiller = FairDistiller(n_per_class=4, n_iter=5, batch_size=64, random_state=0,
                              device="cpu", matching_params={"barycenter": kind, "max_cloud": 16})
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert np.isfinite(X_syn).all()
    assert seen == [16] * 5  # max(max_cloud, 2 * 4) rows per cell, not 64
    assert barycenter_target(kind, np.ones((2, 2), bool), torch.tensor([0] * 20 + [1] * 3),
                             None, max_cloud=16).cloud_size == 40  # twice the largest class


@pytest.mark.parametrize("bad", ["median", "Wasserstein", None, 1, ["mean"]])
def test_barycenter_validation(grouped_data, bad):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match=r"^matching_params\['barycenter'\] must be one of "
                                         r"\['mean', 'wasserstein', 'sliced'\]; got "
                                         + re.escape(repr(bad))):
        FairDistiller(n_iter=2, matching_params={"barycenter": bad}).fit(X, y, sensitive_features=A)


def test_default_is_mean():
    from skfairdistill._config.parameters import check_params

    assert check_params(FairDistiller().get_params()).barycenter == "mean"


def test_one_sampled_group_is_the_exact_step_on_average(device):
    """The mean over the groups of the one-group step is the exact step (uniform weights)."""
    rng = np.random.default_rng(4)
    a = torch.as_tensor(rng.normal(size=(40, 3)), device=device)
    b = torch.as_tensor(rng.normal(loc=2.0, size=(12, 3)), device=device)
    c = torch.as_tensor(rng.normal(loc=-1.0, scale=3.0, size=(25, 3)), device=device)
    X = torch.as_tensor(rng.normal(size=(8, 3)), device=device)
    clouds, weights = _stacked(a, b, c)
    exact = free_support_barycenter(clouds, weights, X, n_steps=1)
    one_group = [free_support_barycenter(clouds[[g]], weights[[g]], X, n_steps=1)
                 for g in range(3)]
    torch.testing.assert_close(sum(one_group) / 3, exact)


@pytest.mark.parametrize("groups_per_step, steps, solves", [(1, 1, 2), (None, 1, 5), (1, 3, 15)])
def test_groups_per_step_sets_the_number_of_ot_problems(monkeypatch, groups_per_step, steps,
                                                        solves):
    """One sampled group per class with one step; every group otherwise (3 + 2 groups)."""
    import ot

    settings = dict(groups_per_step=groups_per_step, fixed_point_steps=steps)
    calls = []
    emd = ot.emd
    monkeypatch.setattr(ot, "emd", lambda *args, **kw: calls.append(1) or emd(*args, **kw))
    generator = torch.Generator().manual_seed(0)
    present = np.array([[True, True, True], [True, False, True]])  # 3 + 2 groups
    target = barycenter_target("wasserstein", present, torch.tensor([0, 0, 1, 1]), generator,
                               **settings)
    embedded = torch.randn(6, 10, 4, generator=generator)
    target(embedded, torch.ones(6, 10), torch.randn(4, 4, generator=generator))
    assert len(calls) == solves


def test_sampled_group_is_uniform_whatever_the_group_sizes():
    """Group g's cloud sits at 10 g: the loss tells which group a call drew (one per step)."""
    generator = torch.Generator().manual_seed(0)
    present = np.ones((1, 3), dtype=bool)
    target = barycenter_target("wasserstein", present, torch.zeros(2, dtype=torch.long),
                               generator)
    embedded = torch.arange(3.0).mul(10).view(3, 1, 1).expand(3, 40, 1).contiguous()
    weights = torch.zeros(3, 40)
    weights[0], weights[1, :5], weights[2, :1] = 1, 1, 1  # 40, 5 and 1 rows
    syn = torch.zeros(2, 1)
    drawn = [round(float(target(embedded, weights, syn)) ** 0.5 / 10) for _ in range(600)]
    counts = np.bincount(drawn, minlength=3)
    assert counts.sum() == 600 and np.all(np.abs(counts - 200) < 45), counts
