"""Distribution matching (skfairdistill._matching.distribution, matching="distribution"):
the loop on its own, then through the estimator (every alignment and distance, the loss
going down, siamese augmentation of images)."""

import functools

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._data.cells import CellSampler
from skfairdistill._data.rows import RealRows
from skfairdistill._matching import MatchingResult, match_distributions
from skfairdistill._matching.distribution import step_sizes
from skfairdistill._nn.augment import SiameseAugment
from skfairdistill._nn.networks import make_embedding

from conftest import make_grouped_data

FAST = dict(n_iter=20, random_state=0)


def _table(device, n_per_class=4):
    X, y, A = make_grouped_data()
    codes = np.searchsorted(np.array(["a", "b"], dtype=object), A).astype(np.int64)
    real = RealRows(X, device)
    cells = CellSampler(y, codes, 2, 2, device)
    rows = np.concatenate([np.flatnonzero(y == k)[:n_per_class] for k in range(2)])
    X_init = real.gather(torch.as_tensor(rows, device=device))
    return real, cells, X_init, torch.as_tensor(y[rows], device=device)


def _run(real, cells, X_init, y_syn, seed=0, **options):
    settings = dict(alignment="barycenter", distance="l1", n_iter=5, learning_rate=0.1,
                    batch_size=32, warm_start_epochs=0,
                    network_factory=functools.partial(make_embedding, "mlp", width=16))
    settings.update(options)
    return match_distributions(real, cells, X_init.clone(), y_syn,
                               generator=torch.Generator(device=X_init.device).manual_seed(seed),
                               **settings)


# --------------------------------------------------------------------------- the loop


def test_result_and_determinism(device):
    data = _table(device)
    first, second, other = _run(*data), _run(*data), _run(*data, seed=1)
    assert isinstance(first, MatchingResult)
    assert first.n_iter == 5 and not first.interrupted
    assert first.loss_history.shape == (5,) and first.loss_history.device.type == "cpu"
    assert first.X_syn.shape == data[2].shape and first.X_syn.device.type == device.type
    assert not first.X_syn.requires_grad
    assert torch.equal(first.X_syn, second.X_syn)
    assert torch.equal(first.loss_history, second.loss_history)
    assert not torch.equal(first.X_syn, other.X_syn)
    assert not torch.equal(first.X_syn, data[2])  # the rows moved
    assert torch.isfinite(first.loss_history).all()


def test_the_alignments_and_distances_give_different_rows():
    data = _table(torch.device("cpu"))
    rows = {(alignment, distance): _run(*data, alignment=alignment, distance=distance).X_syn
            for alignment in ("none", "groupwise", "barycenter")
            for distance in ("l1", "squared_l2")}
    keys = list(rows)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not torch.allclose(rows[a], rows[b]), (a, b)


def test_a_warm_start_changes_the_rows():
    data = _table(torch.device("cpu"))
    assert not torch.equal(_run(*data, warm_start_epochs=2).X_syn, _run(*data).X_syn)


def test_the_cosine_schedule_decays_the_step_to_zero():
    steps = step_sizes(0.2, 100, "cosine")
    values = [steps(it) for it in range(100)]
    assert values[0] == pytest.approx(0.2) and values[50] == pytest.approx(0.1)
    assert all(a > b > 0 for a, b in zip(values, values[1:]))  # strictly decreasing
    assert values[-1] < 0.2 * 1e-3
    assert step_sizes(0.2, 100, "constant")(99) == 0.2
    with pytest.raises(ValueError, match="step_schedule"):
        step_sizes(0.2, 100, "linear")


def test_the_schedule_and_the_networks_per_step_are_knobs_of_their_own():
    data = _table(torch.device("cpu"))
    constant = _run(*data, n_iter=40).X_syn
    assert not torch.allclose(constant, _run(*data, n_iter=40, step_schedule="cosine").X_syn)
    X, y, A = make_grouped_data()
    fitted = FairDistiller(n_per_class=3, random_state=0).fit(X, y, sensitive_features=A)
    assert fitted.n_iter_ == 1000  # the default: 1000 constant steps of one network
    explicit = FairDistiller(n_per_class=3, random_state=0, matching_params={
        "step_schedule": "constant", "networks_per_step": 1})
    assert np.array_equal(explicit.fit_resample(X, y, sensitive_features=A)[0],
                          fitted.fit_resample(X, y, sensitive_features=A)[0])
    for other in ({"step_schedule": "cosine"}, {"networks_per_step": 4}):
        rows = FairDistiller(n_per_class=3, random_state=0, matching_params=other).fit_resample(
            X, y, sensitive_features=A)[0]
        assert np.isfinite(rows).all()
        assert not np.allclose(rows, fitted.X_distilled_), other
    with pytest.raises(ValueError, match=r"matching_params\['step_schedule'\]"):
        FairDistiller(matching_params={"step_schedule": "linear"}).fit(
            X, y, sensitive_features=A)
    with pytest.raises(ValueError, match=r"matching_params\['networks_per_step'\]"):
        FairDistiller(matching_params={"networks_per_step": 0}).fit(X, y, sensitive_features=A)


def test_networks_per_step_averages_the_networks_losses(monkeypatch):
    """4 networks a step: the loss is the mean of the 4 networks' losses, so its scale
    does not grow with the count."""
    data = _table(torch.device("cpu"))
    one = _run(*data, n_iter=30).loss_history
    four = _run(*data, n_iter=30, network_factory=functools.partial(
        make_embedding, "mlp", width=16, stack=4)).loss_history
    assert 0.5 < float(four.mean() / one.mean()) < 2.0


def test_augmentation_of_a_table_is_refused():
    with pytest.raises(ValueError, match="^augmentation needs images"):
        _run(*_table(torch.device("cpu")), augment=SiameseAugment("flip"))


# --------------------------------------------------------------------------- in a fit


def test_loss_decreases_from_noise(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=5, n_iter=100, init="noise", random_state=0)
    distiller.fit(X, y, sensitive_features=A)
    history = distiller.loss_history_
    assert history[-20:].mean() < 0.7 * history[:5].mean()


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise", "none"])
@pytest.mark.parametrize("distance", ["l1", "squared_l2"])
def test_every_alignment_and_distance_runs(multiclass_data, alignment, distance):
    X, y, A = multiclass_data
    distiller = FairDistiller(
        n_per_class=2, alignment=alignment, **FAST,
        matching_params={"distance": distance, "warm_start_epochs": 1}
    )
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.shape == (6, X.shape[1])
    assert np.all(np.isfinite(X_syn))
    assert np.all(np.isfinite(distiller.loss_history_))


def test_alignments_give_different_results(multiclass_data):
    X, y, A = multiclass_data
    results = {
        alignment: FairDistiller(n_per_class=3, alignment=alignment, **FAST).fit_resample(
            X, y, sensitive_features=A
        )[0]
        for alignment in ("barycenter", "groupwise", "none")
    }
    assert not np.allclose(results["barycenter"], results["none"])
    assert not np.allclose(results["groupwise"], results["none"])


def test_distribution_matching_augments_real_and_synthetic_alike():
    """DSA is siamese: every transform drawn is applied to both batches."""
    applied = []

    class Recording(SiameseAugment):
        def apply(self, X, params):
            applied.append((id(params), tuple(X.shape)))
            return super().apply(X, params)

    rng = np.random.default_rng(0)
    X = rng.random((60, 3, 6, 6), dtype=np.float32)
    y, groups = np.arange(60) % 2, rng.choice(["red", "green"], size=60, p=[0.7, 0.3])
    n_iter = 3
    FairDistiller(n_per_class=2, n_iter=n_iter, batch_size=8, random_state=0, device="cpu",
                  matching_params={"embedding": functools.partial(make_embedding, "convnet",
                                                                  channels=4),
                                   "augmentation": Recording("crop_flip")}).fit(
        X, y, sensitive_features=groups)
    assert len(applied) == 2 * n_iter
    for (real_id, real_shape), (syn_id, syn_shape) in zip(applied[::2], applied[1::2]):
        assert real_id == syn_id  # the same drawn transform
        assert real_shape[-3:] == syn_shape[-3:] == (3, 6, 6) and syn_shape[0] == 4


# --------------------------------------------------------------------------- a pool of networks


def test_a_network_pool_draws_its_networks_once_and_uses_each_once_a_pass():
    """network_pool=3 over 9 steps: three networks drawn (and their real rows embedded)
    once; every pass of three steps uses each of them once, in its own order."""
    drawn, used = [], []

    def factory(input_shape, generator):
        network = make_embedding("mlp", input_shape, generator, width=16)
        index = len(drawn)
        drawn.append(index)

        def embed(X):
            used.append((index, X.shape[0]))
            return network(X)
        return embed

    real, cells, X_init, y_syn = _table(torch.device("cpu"))
    result = _run(real, cells, X_init, y_syn, n_iter=9, network_factory=factory,
                  network_pool=3)
    assert drawn == [0, 1, 2] and result.n_iter == 9
    real_calls, syn_calls = used[:3], used[3:]
    assert [index for index, _ in real_calls] == [0, 1, 2]
    assert all(n > len(X_init) for _, n in real_calls)  # the real rows, packed
    assert [n for _, n in syn_calls] == [len(X_init)] * 9
    for start in (0, 3, 6):
        assert sorted(index for index, _ in syn_calls[start:start + 3]) == [0, 1, 2]
    assert torch.isfinite(result.loss_history).all()
    again = _run(real, cells, X_init, y_syn, n_iter=9, network_pool=3)
    assert torch.equal(again.X_syn, _run(real, cells, X_init, y_syn, n_iter=9,
                                         network_pool=3).X_syn)
    assert not torch.equal(again.X_syn, _run(real, cells, X_init, y_syn, n_iter=9).X_syn)


def test_a_network_pool_keeps_each_entrys_augmentation_for_real_and_synthetic():
    applied = []

    class Recording(SiameseAugment):
        def apply(self, X, params):
            applied.append((id(params), X.shape[0]))
            return super().apply(X, params)

    rng = np.random.default_rng(0)
    X = rng.random((60, 3, 6, 6), dtype=np.float32)
    y, groups = np.arange(60) % 2, rng.choice(["red", "green"], size=60, p=[0.7, 0.3])
    distiller = FairDistiller(
        n_per_class=2, n_iter=6, batch_size=8, random_state=0, device="cpu",
        matching_params={"embedding": functools.partial(make_embedding, "convnet", channels=4),
                         "augmentation": Recording("crop_flip"), "network_pool": 2})
    rows = distiller.fit_resample(X, y, sensitive_features=groups)[0]
    assert np.isfinite(rows).all()
    real, syn = applied[:2], applied[2:]
    assert len(syn) == 6 and all(n == 4 for _, n in syn)
    assert {transform for transform, _ in syn} == {transform for transform, _ in real}


def test_a_network_pool_is_refused_with_a_warm_start_or_a_cloud_target():
    X, y, A = make_grouped_data()
    with pytest.raises(ValueError, match=r"network_pool.*warm_start_epochs=2"):
        FairDistiller(matching_params={"network_pool": 5, "warm_start_epochs": 2}).fit(
            X, y, sensitive_features=A)
    with pytest.raises(ValueError, match=r"network_pool.*'barycenter'\]='sliced'"):
        FairDistiller(matching_params={"network_pool": 5, "barycenter": "sliced"}).fit(
            X, y, sensitive_features=A)
    with pytest.raises(ValueError, match=r"matching_params\['network_pool'\]"):
        FairDistiller(matching_params={"network_pool": 0}).fit(X, y, sensitive_features=A)
