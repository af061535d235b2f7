"""Images through FairDistiller: shapes in and out, the ConvNet path, augmentation, DC.

The building blocks (ConvNet, SiameseAugment, the gradient-matching loop) have
their own tests; these check how the estimator wires them: which network,
which augmentation, which schedule and step size it picks, that images come back
in the form they came in, and that bad image settings fail before any work.
"""

import functools
import math

import numpy as np
import pytest
import torch

import skfairdistill._matching._run as matching_run
import skfairdistill._nn.networks as networks_module
from skfairdistill import FairDistiller
from skfairdistill._nn.augment import NO_COLOR_STRATEGY, SiameseAugment
from skfairdistill._data.rows import RealRows
from skfairdistill._nn.networks import make_embedding

SMALL_CONVNET = functools.partial(make_embedding, "convnet", channels=4)
FAST = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu")


def _images(n=60, shape=(3, 6, 6), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    y = np.arange(n) % 2
    groups = rng.choice(["red", "green"], size=n, p=[0.7, 0.3])
    X[..., 0, :] = 0.0  # a border that is black in every image
    return X, y, groups


# ------------------------------------------------------------------ shapes in and out


@pytest.mark.parametrize("shape", [(3, 6, 6), (6, 6)], ids=["CHW", "HW"])
def test_images_come_back_as_images(shape):
    X, y, groups = _images(shape=shape)
    original = X.copy()
    distiller = FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET})
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=groups)
    assert X_syn.shape == (4, *shape) and X_syn.dtype == np.float32
    assert distiller.X_distilled_.shape == (4, *shape)
    assert distiller.image_shape_ == (shape if len(shape) == 3 else (1, *shape))
    assert distiller.n_features_in_ == math.prod(shape)
    assert np.all(np.isfinite(X_syn)) and sorted(y_syn.tolist()) == [0, 0, 1, 1]
    np.testing.assert_array_equal(X, original)  # the caller's images are untouched


def test_flat_rows_with_image_shape_give_the_same_images_flat():
    X, y, groups = _images()
    params = dict(matching_params={"embedding": SMALL_CONVNET}, **FAST)
    as_images = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)[0]
    flat = FairDistiller(image_shape=(3, 6, 6), **params).fit_resample(
        X.reshape(len(X), -1), y, sensitive_features=groups
    )[0]
    assert flat.shape == (4, 108)
    np.testing.assert_array_equal(flat, as_images.reshape(4, -1))


def test_same_seed_same_images_and_no_global_random_state():
    X, y, groups = _images()
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    first = FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET}).fit_resample(
        X, y, sensitive_features=groups)[0]
    second = FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET}).fit_resample(
        X, y, sensitive_features=groups)[0]
    np.testing.assert_array_equal(first, second)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == numpy_state[1].tolist()
    other = FairDistiller(**{**FAST, "random_state": 1}, matching_params={"embedding": SMALL_CONVNET})
    assert not np.array_equal(other.fit_resample(X, y, sensitive_features=groups)[0], first)


def test_images_are_standardised_per_channel_and_keep_every_pixel():
    X, _, _ = _images()
    flat = X.reshape(len(X), -1).astype(np.float64)
    real = RealRows(flat, torch.device("cpu"), image_shape=(3, 6, 6))
    assert real.n_features == 108  # the always-black border row is not set aside
    per_channel = flat.reshape(len(X), 3, -1)
    np.testing.assert_allclose(real.mean.reshape(3, -1),
                               np.broadcast_to(per_channel.mean(axis=(0, 2))[:, None], (3, 36)))
    np.testing.assert_allclose(real.scale.reshape(3, -1),
                               np.broadcast_to(per_channel.std(axis=(0, 2))[:, None], (3, 36)))
    # and the round trip maps standardised images back exactly
    rows = torch.arange(5)
    back = real.to_original_scale(real.gather(rows))
    np.testing.assert_allclose(back, flat[:5], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ networks and settings


def test_auto_embedding_is_the_convnet_for_images_and_the_mlp_for_tables(monkeypatch):
    drawn = []
    for name in ("ConvNet", "RandomMLP"):
        original = getattr(networks_module, name)

        def recording(*args, _original=original, _name=name, **kwargs):
            drawn.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(networks_module, name, recording)
    X, y, groups = _images(shape=(1, 4, 4))
    FairDistiller(**FAST).fit(X, y, sensitive_features=groups)
    # one network per iteration
    assert set(drawn) == {"ConvNet"} and len(drawn) == FAST["n_iter"]
    drawn.clear()
    FairDistiller(**FAST).fit(X.reshape(len(X), -1), y, sensitive_features=groups)
    assert set(drawn) == {"RandomMLP"}


def test_a_user_factory_gets_the_image_shape_and_the_generator():
    seen = []

    def factory(input_shape, generator):
        seen.append((input_shape, generator))
        return SMALL_CONVNET(input_shape, generator)

    X, y, groups = _images()
    FairDistiller(**FAST, matching_params={"embedding": factory}).fit(X, y, sensitive_features=groups)
    assert len(seen) == FAST["n_iter"]
    assert all(shape == (3, 6, 6) and isinstance(g, torch.Generator) for shape, g in seen)


def test_defaults_picked_for_images(captured):
    X, y, groups = _images()
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET}).fit(X, y, sensitive_features=groups)
    dm = captured["match_distributions"]
    assert dm["augment"].strategy == NO_COLOR_STRATEGY  # colour may code the group
    assert dm["warm_start_epochs"] == 0
    assert dm["learning_rate"] == 10.0  # images, a factory of one's own
    FairDistiller(**FAST, matching_params={"embedding": "mlp"}).fit(X, y, sensitive_features=groups)
    assert captured["match_distributions"]["learning_rate"] == 0.1  # images through an MLP
    FairDistiller(**FAST).fit(X, y, sensitive_features=groups)  # ConvNet by default
    assert captured["match_distributions"]["learning_rate"] == 10.0
    FairDistiller(**FAST).fit(X.reshape(len(X), -1), y, sensitive_features=groups)
    table = captured["match_distributions"]
    # tables: 0.1 at 10 rows per class, in proportion to the rows per class (here 2)
    assert table["augment"] is None and table["learning_rate"] == pytest.approx(0.02)
    FairDistiller(**FAST, learning_rate=0.5, matching_params={"augmentation": None}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["learning_rate"] == 0.5
    assert captured["match_distributions"]["augment"] is None


@pytest.mark.parametrize("preset, alignment, n_per_class, epochs", [
    ("library", "barycenter", 10, 0),
    ("paper", "barycenter", 1, 10),
    ("paper", "barycenter", 10, 10),
    ("paper", "barycenter", 50, 50),
    ("paper", "barycenter", 100, 100),
    ("paper", "groupwise", 50, 0),
    ("paper", "none", 10, 0),
])
def test_warm_start_auto_follows_the_preset(captured, preset, alignment, n_per_class, epochs):
    """The authors warm-start in COBRA mode only: K = 50 at 50 rows, 100 at 100, else 10."""
    X, y, groups = _images(n=240, shape=(1, 4, 4))
    params = {**FAST, "n_iter": 1, "n_per_class": n_per_class}
    FairDistiller(preset=preset, alignment=alignment, **params, matching_params={"embedding": "mlp", "embedding_width": 8}).fit(X, y, sensitive_features=groups)
    assert captured["match_distributions"]["warm_start_epochs"] == epochs


def test_strategy_string_and_instance_are_used(captured):
    X, y, groups = _images()
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET, "augmentation": "color_flip"}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["augment"].operations == ("color", "flip")
    mine = SiameseAugment("crop", mode="multiple")
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET, "augmentation": mine}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["augment"] is mine


def test_distribution_matching_augments_real_and_synthetic_alike():
    """DSA is siamese: every transform drawn is applied to both batches."""
    applied = []

    class Recording(SiameseAugment):
        def apply(self, X, params):
            applied.append((id(params), tuple(X.shape)))
            return super().apply(X, params)

    X, y, groups = _images()
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET, "augmentation": Recording("crop_flip")}).fit(
        X, y, sensitive_features=groups)
    assert len(applied) == 2 * FAST["n_iter"]
    for (real_id, real_shape), (syn_id, syn_shape) in zip(applied[::2], applied[1::2]):
        assert real_id == syn_id  # the same drawn transform
        assert real_shape[-3:] == syn_shape[-3:] == (3, 6, 6) and syn_shape[0] == 4


@pytest.mark.parametrize("n_per_class, loops", [
    (1, (5, 10)), (5, (5, 10)), (10, (10, 50)), (15, (10, 50)), (50, (50, 10)), (60, (100, 10)),
])
def test_gradient_matching_takes_dc_schedule(monkeypatch, n_per_class, loops):
    calls = []

    def refuse(*args, **kwargs):
        calls.append((kwargs["outer_loops"], kwargs["inner_steps"]))
        raise KeyboardInterrupt  # only the arguments matter here

    monkeypatch.setattr(matching_run, "match_gradients", refuse)
    X, y, groups = _images(n=120)
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(matching="gradient", **{**FAST, "n_per_class": n_per_class}).fit(
            X, y, sensitive_features=groups)
    assert calls == [loops]
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(matching="gradient", **{**FAST, "n_per_class": n_per_class}, matching_params={"outer_loops": 2, "inner_steps": 0}).fit(
            X, y, sensitive_features=groups)
    assert calls[-1] == (2, 0)


@pytest.mark.parametrize("alignment", ["none", "groupwise", "barycenter"])
def test_gradient_matching_on_images_end_to_end(captured, alignment):
    X, y, groups = _images()
    distiller = FairDistiller(matching="gradient", alignment=alignment, **FAST, matching_params={"embedding": SMALL_CONVNET, "outer_loops": 2, "inner_steps": 1})
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=groups)
    assert X_syn.shape == (4, 3, 6, 6) and np.all(np.isfinite(X_syn))
    assert distiller.n_iter_ == FAST["n_iter"] and len(distiller.loss_history_) == 3
    kwargs = captured["match_gradients"]
    assert kwargs["learning_rate"] == 0.1 and kwargs["augment"] is not None
    assert kwargs["alignment"] == alignment
    # the images start as real images and moved away from them
    assert not any(np.allclose(image, real, atol=1e-4) for image in X_syn for real in X)


def test_gradient_matching_on_tables_runs_without_augmentation(captured):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] > 0).astype(int)
    groups = rng.choice(["a", "b"], size=80)
    X_syn, _ = FairDistiller(matching="gradient", **FAST, matching_params={"outer_loops": 2, "inner_steps": 1})\
        .fit_resample(X, y, sensitive_features=groups)
    assert X_syn.shape == (4, 5) and captured["match_gradients"]["augment"] is None


# ------------------------------------------------------------------ bad settings fail early


def _bad_image_settings():
    X, y, groups = _images()
    flat = X.reshape(len(X), -1)
    return [
        ("image_shape-size", flat, dict(image_shape=(3, 5, 5)), "image_shape"),
        ("image_shape-mismatch", X, dict(image_shape=(3, 3, 12)), "image_shape"),
        ("image_shape-type", flat, dict(image_shape=108), "image_shape"),
        ("convnet-on-table", flat, dict(matching_params={"embedding": "convnet"}),
         "embedding'\\]='convnet'"),
        ("augment-table", flat, dict(matching_params={"augmentation": "crop"}), "augmentation"),
        ("augment-unknown", X, dict(matching_params={"augmentation": "crop_blur"}), "blur"),
        ("augment-type", X, dict(matching_params={"augmentation": 3}), "augmentation"),
        ("embedding", X, dict(matching_params={"embedding": "resnet"}), "embedding"),
        ("matching", X, dict(matching="trajectory"), "matching"),
        ("gradient-wasserstein", X,
         dict(matching="gradient", matching_params={"barycenter": "sliced"}), "barycenter"),
        ("outer_loops", X, dict(matching="gradient", matching_params={"outer_loops": 0}),
         "outer_loops"),
        ("inner_steps", X, dict(matching="gradient", matching_params={"inner_steps": -1}),
         "inner_steps"),
        ("network_learning_rate", X,
         dict(matching="gradient", matching_params={"network_learning_rate": 0}),
         "network_learning_rate"),
        ("warm_start", X, dict(matching_params={"warm_start_epochs": "often"}),
         "warm_start_epochs"),
        ("learning_rate", X, dict(learning_rate="fast"), "learning_rate"),
        ("five-axes", X[:, None], {}, "5 axes"),
    ], y, groups


@pytest.mark.parametrize("case", range(16))
def test_bad_image_settings_fail_before_any_work(monkeypatch, case):
    cases, y, groups = _bad_image_settings()
    _, X, params, message = cases[case]

    def refuse(*args, **kwargs):
        raise AssertionError("the matching loop started before the input was rejected")

    monkeypatch.setattr(matching_run, "match_distributions", refuse)
    monkeypatch.setattr(matching_run, "match_gradients", refuse)
    distiller = FairDistiller(**{**FAST, **params})
    with pytest.raises(ValueError, match=message):
        distiller.fit(X, y, sensitive_features=groups)
    assert not hasattr(distiller, "n_features_in_")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_images_on_the_gpu():
    X, y, groups = _images()
    distiller = FairDistiller(**{**FAST, "device": "cuda"})
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=groups)
    assert distiller.device_.type == "cuda" and X_syn.shape == (4, 3, 6, 6)
