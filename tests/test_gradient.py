"""Gradient matching (skfairdistill._matching.gradient, matching="gradient") on tiny tables and
8x8 images: the layer-wise loss, the loop, and the estimator's wiring."""

import functools

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from skfairdistill import FairDistiller
from skfairdistill._nn.augment import NO_COLOR_STRATEGY, SiameseAugment
from skfairdistill._data.rows import RealRows
from skfairdistill._data.cells import CellSampler
from skfairdistill._matching import MatchingResult
from skfairdistill._matching.gradient import layerwise_cosine_distance, match_gradients
from skfairdistill._nn.networks import make_embedding

from conftest import make_grouped_data, make_images


def _table(device, groups=("a", "b"), shares=(0.8, 0.2), n_per_class=4):
    X, y, A = make_grouped_data(groups=groups, shares=shares)
    codes = np.searchsorted(np.asarray(groups, dtype=object), A).astype(np.int64)
    real = RealRows(X, device)
    cells = CellSampler(y, codes, 2, len(groups), device)
    rows = np.concatenate([np.flatnonzero(y == k)[:n_per_class] for k in range(2)])
    X_init = real.gather(torch.as_tensor(rows, device=device))
    return real, cells, X_init, torch.as_tensor(y[rows], device=device)


class _FlatImages:
    """Real images stored flattened, (n, C*H*W), like a table."""

    def __init__(self, X):
        self.X = torch.as_tensor(X)

    def gather(self, rows):
        return self.X[rows]


def _digits(n_per_class=4):
    digits = load_digits()
    keep = np.flatnonzero(digits.target < 2)[:160]
    X = (digits.data[keep] / 16.0).astype(np.float32)
    y = digits.target[keep]
    groups = (np.random.default_rng(0).random(len(y)) < 0.25).astype(np.int64)
    cells = CellSampler(y, groups, 2, 2, torch.device("cpu"))
    rows = np.concatenate([np.flatnonzero(y == k)[:n_per_class] for k in range(2)])
    X_init = torch.as_tensor(X[rows]).reshape(-1, 1, 8, 8)
    return _FlatImages(X), cells, X_init, torch.as_tensor(y[rows])


def _run(real, cells, X_init, y_syn, seed=0, **options):
    settings = dict(
        alignment="barycenter", n_iter=3, learning_rate=0.05, batch_size=32,
        network_factory=functools.partial(make_embedding, "mlp", width=16),
        inner_steps=2, outer_loops=2,
    )
    settings.update(options)
    return match_gradients(
        real, cells, X_init, y_syn, generator=torch.Generator().manual_seed(seed), **settings
    )


def _fixed_network(kind, **options):
    """A factory that draws the same classifier every iteration (it reseeds the generator,
    so the linear head drawn after it is fixed too): with full-cell batches the matching
    loss is then a deterministic function of the synthetic set."""

    def factory(input_shape, generator):
        generator.manual_seed(123)
        return make_embedding(kind, input_shape, generator, **options)

    return factory


def test_layerwise_cosine_distance():
    generator = torch.Generator().manual_seed(0)
    conv = torch.randn(4, 3, 3, 3, generator=generator)
    linear = torch.randn(5, 2, generator=generator)
    bias = torch.randn(4, generator=generator)
    axes = [0, 1, None]
    same = layerwise_cosine_distance([conv, linear, bias], [conv, linear, -bias], axes)
    assert same.item() == pytest.approx(0.0, abs=1e-5)  # biases are left out
    scaled = layerwise_cosine_distance([conv, linear, bias], [3 * conv, 0.5 * linear, bias], axes)
    assert scaled.item() == pytest.approx(0.0, abs=1e-5)  # per-channel scale does not count
    opposite = layerwise_cosine_distance([conv, linear], [-conv, -linear], axes[:2])
    assert opposite.item() == pytest.approx(2 * (4 + 2), abs=1e-4)  # 4 + 2 output channels
    # one channel orthogonal, the others identical
    other = conv.clone()
    other[0] = 0
    other[0, 0, 0, 0] = 1.0
    other[0] -= (other[0] * conv[0]).sum() / conv[0].pow(2).sum() * conv[0]
    assert layerwise_cosine_distance([conv], [other], [0]).item() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="no weight tensor"):
        layerwise_cosine_distance([bias], [bias], [None])


def test_result_and_determinism(device):
    data = _table(device)
    first = _run(*data)
    second = _run(*data)
    other = _run(*data, seed=1)
    assert isinstance(first, MatchingResult)
    assert first.n_iter == 3 and not first.interrupted
    assert first.loss_history.shape == (3,) and first.loss_history.device.type == "cpu"
    assert first.X_syn.shape == data[2].shape and first.X_syn.device.type == device.type
    assert not first.X_syn.requires_grad
    assert torch.equal(first.X_syn, second.X_syn)
    assert torch.equal(first.loss_history, second.loss_history)
    assert not torch.equal(first.X_syn, other.X_syn)
    assert not torch.equal(first.X_syn, data[2])  # the rows moved; the input did not
    assert torch.isfinite(first.loss_history).all()


def test_loss_decreases_on_a_table():
    data = _table(torch.device("cpu"))
    result = _run(
        *data, n_iter=25, learning_rate=0.05, batch_size=1000, inner_steps=0, outer_loops=1,
        network_factory=_fixed_network("mlp", width=32),
    )
    history = result.loss_history
    assert history[-5:].mean() < 0.8 * history[:5].mean()


def test_alignments_differ():
    data = _table(torch.device("cpu"))
    results = {
        alignment: _run(*data, alignment=alignment)
        for alignment in ("none", "groupwise", "barycenter")
    }
    names = list(results)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not torch.allclose(results[a].X_syn, results[b].X_syn), (a, b)
    # FairDD sums one distance per present group: twice as many terms here
    assert results["groupwise"].loss_history[0] > results["barycenter"].loss_history[0]


def test_single_group_barycenter_equals_vanilla():
    data = _table(torch.device("cpu"), groups=("a",), shares=(1.0,))
    vanilla = _run(*data, alignment="none")
    for alignment in ("barycenter", "groupwise"):
        result = _run(*data, alignment=alignment)
        torch.testing.assert_close(result.X_syn, vanilla.X_syn, rtol=0, atol=1e-6)
        torch.testing.assert_close(result.loss_history, vanilla.loss_history, rtol=0, atol=1e-5)


def test_images_with_convnet_and_siamese_augmentation():
    real, cells, X_init, y_syn = _digits()
    options = dict(network_factory=functools.partial(make_embedding, "convnet", channels=8))
    augment = SiameseAugment(NO_COLOR_STRATEGY)
    first = _run(real, cells, X_init, y_syn, augment=augment, **options)
    second = _run(real, cells, X_init, y_syn, augment=augment, **options)
    plain = _run(real, cells, X_init, y_syn, **options)
    assert first.X_syn.shape == (8, 1, 8, 8)
    assert torch.equal(first.X_syn, second.X_syn)
    assert not torch.equal(first.X_syn, plain.X_syn)
    assert not torch.equal(first.X_syn, X_init)
    assert torch.isfinite(first.loss_history).all()


def test_loss_decreases_on_images():
    # Without instance norm: with it, the 2x2 maps of the last block make the matching
    # loss of 8x8 images very rough (every ReLU flip of a synthetic image changes the
    # gradients at once), which a short descent test cannot average out.
    real, cells, X_init, y_syn = _digits()
    result = _run(
        real, cells, X_init, y_syn, n_iter=20, learning_rate=0.1, batch_size=1000,
        inner_steps=0, outer_loops=1,
        network_factory=_fixed_network("convnet", channels=16, norm="none"),
    )
    history = result.loss_history
    assert history[-5:].mean() < 0.85 * history[:5].mean()


def test_inner_training_changes_the_classifier():
    """With several outer loops the classifier is trained between synthetic updates."""
    data = _table(torch.device("cpu"))
    trained = _run(*data, inner_steps=5, outer_loops=3)
    untrained = _run(*data, inner_steps=0, outer_loops=3)
    assert not torch.equal(trained.X_syn, untrained.X_syn)


def test_keyboard_interrupt_keeps_the_rows_reached():
    data = _table(torch.device("cpu"))
    calls = []

    def factory(input_shape, generator):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return make_embedding("mlp", input_shape, generator, width=8)

    result = _run(*data, n_iter=10, network_factory=factory)
    assert result.interrupted and result.n_iter == 2
    assert result.loss_history.shape == (2,)


def test_bad_arguments():
    data = _table(torch.device("cpu"))
    with pytest.raises(ValueError, match=r"^augmentation needs images: X_init must have shape "
                                         r"\(n_syn, C, H, W\); got \(8, 4\)"):
        _run(*data, augment=SiameseAugment("flip"))
    real, cells, X_init, y_syn = _digits()
    with pytest.raises(ValueError, match=r"^real rows have 64 values each but the synthetic rows "
                                         r"have shape \(1, 4, 4\)"):
        _run(real, cells, X_init[:, :, :4, :4], y_syn,
             network_factory=functools.partial(make_embedding, "convnet", channels=4))


# --------------------------------------------------------------------------- in a fit

FAST = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu")


@pytest.mark.parametrize("alignment", ["none", "groupwise", "barycenter"])
def test_gradient_matching_on_images_end_to_end(captured, alignment):
    X, y, groups = make_images()
    distiller = FairDistiller(matching="gradient", alignment=alignment, **FAST,
                              matching_params={"embedding": functools.partial(
                                  make_embedding, "convnet", channels=4),
                                  "outer_loops": 2, "inner_steps": 1})
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=groups)
    assert X_syn.shape == (4, 3, 6, 6) and np.all(np.isfinite(X_syn))
    assert distiller.n_iter_ == FAST["n_iter"] and len(distiller.loss_history_) == 3
    kwargs = captured["match_gradients"]
    assert kwargs["learning_rate"] == 0.1
    # the library's augmentation of images: every operation but colour
    assert kwargs["augment"].strategy == NO_COLOR_STRATEGY
    assert kwargs["alignment"] == alignment
    # the images start as real images and moved away from them
    assert not any(np.allclose(image, real, atol=1e-4) for image in X_syn for real in X)


def test_gradient_matching_on_tables_runs_without_augmentation(captured):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] > 0).astype(int)
    groups = rng.choice(["a", "b"], size=80)
    X_syn, _ = FairDistiller(matching="gradient", **FAST,
                             matching_params={"outer_loops": 2, "inner_steps": 1}).fit_resample(
        X, y, sensitive_features=groups)
    assert X_syn.shape == (4, 5) and captured["match_gradients"]["augment"] is None
