"""The resolved configuration of one fit (skfairdistill._config.fit_config).

Every "auto" decided once, from the estimator and the data: the budget over the classes
of ``y``, the images' shape, the embedding network, the augmentation and the step size
(for tables, the step of every synthetic row does not shrink with the budget).
"""

import functools
import warnings
import math

import numpy as np
import pytest
import torch

import skfairdistill._nn.networks as networks_module
from skfairdistill import FairDistiller
from skfairdistill._config.fit_config import (
    augmentation,
    learning_rate,
    network_factory,
    resolve_budget,
    resolve_image_shape,
)
from skfairdistill._config.parameters import check_params
from skfairdistill._nn.augment import NO_COLOR_STRATEGY, SiameseAugment
from skfairdistill._nn.networks import make_embedding

from conftest import assert_refused, make_grouped_data, make_images

SMALL_CONVNET = functools.partial(make_embedding, "convnet", channels=4)
FAST = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu")


def _settings(**params):
    return check_params(FairDistiller(**params).get_params(deep=False))


# --------------------------------------------------------------------------- the budget


def test_an_int_budget_covers_every_class():
    assert resolve_budget(_settings(n_per_class=4), np.array(["a", "b"])) == {"a": 4, "b": 4}
    budget = {"a": 1, "b": 3}
    assert resolve_budget(_settings(n_per_class=budget), np.array(["a", "b"])) is budget


@pytest.mark.parametrize(
    "budget, message",
    [({0: 2}, r"unknown keys: \[\], missing: \[.*1\)?\]"),
     ({0: 2, 1: 2, 7: 2}, r"unknown keys: \[7\], missing: \[\]"),
     ({0: 2, 5: 2}, r"unknown keys: \[5\], missing: \[.*1\)?\]"),
     ({"0": 2, "1": 2}, r"unknown keys: \['0', '1'\]")],
    ids=["missing", "extra", "wrong", "str-keys"],
)
def test_dict_budget_with_wrong_keys_raises(grouped_data, budget, message):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match=r"^n_per_class as a dict must have exactly the classes "
                                         r"of y as keys; classes of y: \[0, 1\], " + message):
        FairDistiller(n_per_class=budget, n_iter=20, random_state=0).fit(
            X, y, sensitive_features=A)


def test_single_class_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match=r"^y has only one class \(.*0\)?\); distillation needs "
                                         "at least two classes"):
        FairDistiller(n_iter=20, random_state=0).fit(X, np.zeros_like(y), sensitive_features=A)


@pytest.mark.parametrize("build, exception, message", [
    (lambda X, y, A: (X, y, A, {"n_per_class": {0: 2.0, 1: 2}}), ValueError,
     r"n_per_class\[0\] must be a positive integer"),
    (lambda X, y, A: (X, np.array(["no", "yes"])[y], A, {"n_per_class": {0: 2, 1: 2}}),
     ValueError, r"classes of y: \['no', 'yes'\]"),
    (lambda X, y, A: (X, np.full(len(y), "spam"), A, {}), ValueError, "y has only one class"),
], ids=["n_per_class-float-in-dict", "n_per_class-dict-of-other-classes", "y-single-class"])
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, build, exception, message):
    X, y, A, params = build(*make_grouped_data(n_samples=120))
    distiller = FairDistiller(**{**dict(n_per_class=2, n_iter=10, random_state=0),
                                 "device": "auto", **params})
    assert_refused(distiller, X, y, A, exception, message)


# --------------------------------------------------------------------------- images


def test_resolve_image_shape():
    assert resolve_image_shape(_settings(), None, 12) is None  # a table
    assert resolve_image_shape(_settings(), (3, 2, 2), 12) == (3, 2, 2)
    assert resolve_image_shape(_settings(), (4, 3), 12) == (1, 4, 3)  # grey images
    assert resolve_image_shape(_settings(image_shape=(3, 2, 2)), None, 12) == (3, 2, 2)
    assert resolve_image_shape(_settings(image_shape=(3, 2, 2)), (3, 2, 2), 12) == (3, 2, 2)


@pytest.mark.parametrize("case, flat, params, message", [
    ("image_shape-size", True, dict(image_shape=(3, 5, 5)),
     r"^image_shape=\(3, 5, 5\) has 75 values, but the rows of X have 108"),
    ("image_shape-mismatch", False, dict(image_shape=(3, 3, 12)),
     r"^image_shape=\(3, 3, 12\) does not match the images in X, of shape \(3, 6, 6\)"),
])
def test_bad_image_settings_fail_before_any_work(no_long_work, case, flat, params, message):
    X, y, groups = make_images()
    X = X.reshape(len(X), -1) if flat else X
    distiller = FairDistiller(**{**FAST, **params})
    assert_refused(distiller, X, y, groups, ValueError, message, method="fit")


def test_flat_rows_with_image_shape_give_the_same_images_flat():
    X, y, groups = make_images()
    params = dict(matching_params={"embedding": SMALL_CONVNET}, **FAST)
    as_images = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)[0]
    flat = FairDistiller(image_shape=(3, 6, 6), **params).fit_resample(
        X.reshape(len(X), -1), y, sensitive_features=groups
    )[0]
    assert flat.shape == (4, 108)
    np.testing.assert_array_equal(flat, as_images.reshape(4, -1))


# --------------------------------------------------------------------------- networks


@pytest.mark.parametrize(("n_features", "width"), [(10, 128), (128, 128), (129, 256), (192, 256)])
def test_auto_embedding_width_follows_the_number_of_columns(n_features, width):
    """128 wide up to 128 input columns; wider inputs get 256 (no compressing first layer)."""
    factory = network_factory(check_params(FairDistiller().get_params()), None)
    network = factory((n_features,), torch.Generator().manual_seed(0))
    assert network.width == width
    wide = FairDistiller(matching_params={"embedding_width": 64})
    assert network_factory(check_params(wide.get_params()), None)(
        (n_features,), torch.Generator().manual_seed(0)).width == 64


def test_the_mlp_takes_its_layers_and_a_convnet_by_name_has_the_norm():
    mlp = network_factory(_settings(matching_params={"embedding_layers": 3}), None)(
        (4,), torch.Generator().manual_seed(0))
    assert len(mlp.weights) == 3
    convnet = network_factory(_settings(matching_params={"embedding": "convnet"}), (3, 8, 8))(
        (3, 8, 8), torch.Generator().manual_seed(0))
    assert convnet.norm == "instance"  # asked by name: the field's ConvNet-3


def test_auto_embedding_is_the_convnet_for_images_and_the_mlp_for_tables(monkeypatch):
    drawn = []
    for name in ("ConvNet", "RandomMLP"):
        original = getattr(networks_module, name)

        def recording(*args, _original=original, _name=name, **kwargs):
            drawn.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(networks_module, name, recording)
    X, y, groups = make_images(shape=(1, 4, 4))
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

    X, y, groups = make_images()
    FairDistiller(**FAST, matching_params={"embedding": factory}).fit(
        X, y, sensitive_features=groups)
    assert len(seen) == FAST["n_iter"]
    assert all(shape == (3, 6, 6) and isinstance(g, torch.Generator) for shape, g in seen)


# --------------------------------------------------------------------------- augmentation


def test_augmentation_is_for_images_only():
    assert augmentation(_settings(), None) is None
    assert augmentation(_settings(), (3, 8, 8)).operations == SiameseAugment(
        NO_COLOR_STRATEGY).operations
    assert augmentation(_settings(preset="paper", matching="gradient"), (3, 8, 8)) is None
    for off in (None, "none", ""):
        assert augmentation(_settings(matching_params={"augmentation": off}), (3, 8, 8)) is None
    assert augmentation(_settings(matching_params={"augmentation": "flip"}),
                        (3, 8, 8)).operations == ("flip",)


def test_defaults_picked_for_images(captured):
    X, y, groups = make_images()
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET}).fit(
        X, y, sensitive_features=groups)
    dm = captured["match_distributions"]
    assert dm["augment"].strategy == NO_COLOR_STRATEGY  # colour may code the group
    assert dm["warm_start_epochs"] == 0
    assert dm["learning_rate"] == 10.0  # images, a factory of one's own
    FairDistiller(**FAST, matching_params={"embedding": "mlp"}).fit(
        X, y, sensitive_features=groups)
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


def test_strategy_string_and_instance_are_used(captured):
    X, y, groups = make_images()
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET,
                                           "augmentation": "color_flip"}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["augment"].operations == ("color", "flip")
    mine = SiameseAugment("crop", mode="multiple")
    FairDistiller(**FAST, matching_params={"embedding": SMALL_CONVNET, "augmentation": mine}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["augment"] is mine


# --------------------------------------------------------------------------- the step size
# learning_rate="auto" on tables: the step of every synthetic row does not shrink with the
# budget


def _budget_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    A = rng.choice(["a", "b"], n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 4)) + 2.0 * y[:, None]
    return X, y, A


def _moved(**params):
    """Distance each synthetic row moved in one iteration (same start for the same seed)."""
    X, y, A = _budget_data()
    start = FairDistiller(n_iter=1, learning_rate=1e-12, random_state=0, **params).fit(
        X, y, sensitive_features=A).X_distilled_
    end = FairDistiller(n_iter=1, random_state=0, **params).fit(
        X, y, sensitive_features=A).X_distilled_
    return np.linalg.norm(end - start, axis=1), end


@pytest.mark.parametrize("n", [10, 50])
def test_auto_is_a_tenth_times_rows_per_class_over_ten(n):
    X, y, A = _budget_data()
    auto = FairDistiller(n_per_class=n, n_iter=5, random_state=0).fit(
        X, y, sensitive_features=A).X_distilled_
    fixed = FairDistiller(n_per_class=n, n_iter=5, learning_rate=0.1 * n / 10,
                          random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    np.testing.assert_array_equal(auto, fixed)


def test_row_steps_do_not_shrink_with_the_budget():
    small, _ = _moved(n_per_class=10)
    large, _ = _moved(n_per_class=80)
    # with a fixed learning rate each row's step would be 8x smaller at 80 rows
    assert 0.4 < np.median(large) / np.median(small) < 2.5


def test_dict_budget_scales_each_class_by_its_own_rows():
    budget = {0: 5, 1: 40}
    auto, _ = _moved(n_per_class=budget)
    X, y, A = _budget_data()
    start = FairDistiller(n_per_class=budget, n_iter=1, learning_rate=1e-12,
                          random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    end = FairDistiller(n_per_class=budget, n_iter=1, learning_rate=1.0,
                        random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    unit = np.linalg.norm(end - start, axis=1)  # displacement per unit step
    expected = np.repeat([0.1 * 5 / 10, 0.1 * 40 / 10], [5, 40])
    np.testing.assert_allclose(auto, unit * expected, rtol=1e-4, atol=1e-7)


def test_gradient_matching_and_a_number_keep_their_step():
    def settings(**params):
        return check_params(FairDistiller(**params).get_params())

    assert learning_rate(settings(n_per_class=20), None, None, None, np.array([20, 20]),
                         None) == pytest.approx(0.2)
    assert learning_rate(settings(matching="gradient"), None, None, None, np.array([20, 20]),
                         None) == 0.1
    assert learning_rate(settings(learning_rate=0.3), None, None, None, np.array([50, 50]),
                         None) == 0.3


def test_a_dict_budget_gives_one_step_per_synthetic_row():
    steps = learning_rate(_settings(), None, None, None, np.array([5, 40]),
                          torch.device("cpu"))
    assert steps.shape == (45, 1) and steps.dtype == torch.float32
    np.testing.assert_allclose(steps[:5].numpy(), 0.05)
    np.testing.assert_allclose(steps[5:].numpy(), 0.4)
    assert math.isclose(float(steps.sum()), 5 * 0.05 + 40 * 0.4, rel_tol=1e-6)


# --------------------------------------------------------------------------- small groups


def _trust_of(monkeypatch, **params):
    """The FitConfig's group_trust of a fit where group "b" of class 1 has 8 rows."""
    import skfairdistill._estimators.distiller as distiller_module

    X, y, A = make_grouped_data(n_samples=400)
    keep = np.ones(len(y), dtype=bool)
    keep[np.flatnonzero((y == 1) & (A == "b"))[8:]] = False
    configs, original = [], distiller_module.resolve_config

    def spy(*args, **kwargs):
        configs.append(original(*args, **kwargs))
        return configs[-1]

    monkeypatch.setattr(distiller_module, "resolve_config", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the small cell's
        FairDistiller(**{**FAST, **params}).fit(X[keep], y[keep], sensitive_features=A[keep])
    return configs[0].group_trust


def test_min_group_rows_gives_the_small_cells_their_trust(monkeypatch):
    trust = _trust_of(monkeypatch, matching_params={"min_group_rows": 30})
    np.testing.assert_allclose(trust, [[1, 1], [1, 8 / 30]])
    trust = _trust_of(monkeypatch, alignment="groupwise", matching_params={"min_group_rows": 16})
    np.testing.assert_allclose(trust, [[1, 1], [1, 0.5]])


@pytest.mark.parametrize("params", [
    {}, {"matching_params": {"min_group_rows": 8}}, {"matching_params": {"min_group_rows": 1}},
    {"alignment": "none", "matching_params": {"min_group_rows": 30}},
], ids=["default", "no-cell-below", "one", "vanilla"])
def test_without_a_cell_to_shrink_the_config_has_no_trust(monkeypatch, params):
    assert _trust_of(monkeypatch, **params) is None
