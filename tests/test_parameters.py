"""The parameter table (skfairdistill._config.parameters): every parameter declared once,
each value checked on its own, before any data work, by an error that names it.

The rules between two parameters are tested in test_rules.py.
"""

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.parameters import MATCHING_PARAMS, PARAMETERS, check_params

from conftest import assert_refused, make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _data(n_samples=120):
    return make_grouped_data(n_samples=n_samples)


def _images(n=60, shape=(3, 6, 6), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    y = np.arange(n) % 2
    groups = rng.choice(["red", "green"], size=n, p=[0.7, 0.3])
    return X, y, groups


# --------------------------------------------------------------------------- the table


def test_the_table_declares_every_parameter_of_init():
    assert sorted([*PARAMETERS, "matching_params"]) == sorted(FairDistiller().get_params())


def test_the_door_has_at_most_fifteen_parameters():
    assert len(FairDistiller().get_params()) <= 15


def test_the_defaults_pass():
    check_params(FairDistiller().get_params(deep=False))


def test_the_settings_hold_every_parameter_and_every_knob_with_its_default():
    settings = check_params({**FairDistiller().get_params(deep=False),
                             "matching_params": {"distance": "l1"}})
    assert settings.distance == "l1" and settings.given == {"distance": ("distribution",)}
    for name, (default, _, _) in MATCHING_PARAMS.items():
        if name != "distance":
            assert getattr(settings, name) == default, name
    for name, value in FairDistiller().get_params(deep=False).items():
        if name != "matching_params":
            assert getattr(settings, name) == value, name


@pytest.mark.parametrize("name, value, phrase", [
    ("warm_start_epochs", -1, "matching_params\\['warm_start_epochs'\\] must be an integer >= 0"),
    ("network_learning_rate", "auto", "network_learning_rate'\\] must be a positive finite"),
    ("outer_loops", 0, "matching_params\\['outer_loops'\\] must be a positive integer"),
    ("fairness_weight", -1.0, "fairness_weight'\\] must be a non-negative finite number"),
])
def test_a_bad_matching_param_is_refused_naming_it(name, value, phrase):
    matching = {"network_learning_rate": "gradient", "outer_loops": "gradient",
                "fairness_weight": "model"}.get(name, "distribution")
    params = {**FairDistiller().get_params(), "matching": matching,
              "matching_params": {name: value}}
    with pytest.raises(ValueError, match=phrase):
        check_params(params)


def test_unknown_and_misplaced_matching_params_are_refused():
    params = FairDistiller().get_params()
    with pytest.raises(ValueError, match="unknown keys \\['widht'\\]"):
        check_params({**params, "matching_params": {"widht": 3}})
    with pytest.raises(ValueError, match="outer_loops'\\] applies to matching in"):
        check_params({**params, "matching_params": {"outer_loops": 3}})
    with pytest.raises(TypeError, match="matching_params must be a dict"):
        check_params({**params, "matching_params": [("distance", "l1")]})


@pytest.mark.parametrize("name, value, phrase", [
    ("n_iter", 0, "n_iter must be a positive integer"),
    ("learning_rate", -1.0, "learning_rate must be a positive finite number or 'auto'"),
    ("matching", "dm", "matching must be one of"),
])
def test_a_bad_value_is_refused_naming_the_parameter(name, value, phrase):
    params = {**FairDistiller().get_params(deep=False), name: value}
    with pytest.raises(ValueError, match=phrase):
        check_params(params)


@pytest.mark.parametrize("value", [1e308, 3.5e38, 10**40])
def test_a_learning_rate_beyond_float32_is_refused_naming_it(value):
    # the steps are float32 tensors: torch's "cannot be converted to type float without
    # overflow" came from inside the loop
    params = {**FairDistiller().get_params(deep=False), "learning_rate": value}
    with pytest.raises(ValueError, match=r"^learning_rate must be at most 3\.403e\+38, the "
                                         r"largest float32 number .*learning_rate='auto'"):
        check_params(params)
    check_params({**params, "learning_rate": 3.4e38})  # a float32 number: left to the loop


# --------------------------------------------------------------------------- in a fit


@pytest.mark.parametrize(
    "param, value",
    [
        ("alignment", "cobra"),
        ("alignment", None),
        ("distance", "l2"),
        ("init", "zeros"),
        ("n_iter", 0),
        ("batch_size", 1.5),
        ("embedding_width", -3),
        ("embedding_width", "wide"),
        ("warm_start_epochs", -1),
        ("learning_rate", 0.0),
        ("learning_rate", "fast"),
    ],
)
def test_bad_parameters_raise_naming_them(grouped_data, param, value):
    X, y, A = grouped_data
    if param in FairDistiller().get_params():
        params, name = {param: value}, f"^{param} must"
    else:
        params, name = {"matching_params": {param: value}}, rf"^matching_params\['{param}'\] must"
    with pytest.raises(ValueError, match=name):
        FairDistiller(**{**dict(n_iter=20, random_state=0), **params}).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("budget, message", [
    (0, "^n_per_class must be a positive integer; got 0"),
    (-1, "^n_per_class must be a positive integer; got -1"),
    (2.5, "^n_per_class must be a positive integer; got 2.5"),
    (True, "^n_per_class must be a positive integer; got True"),
    ({0: 0, 1: 2}, r"^n_per_class\[0\] must be a positive integer; got 0"),
], ids=["0", "-1", "2.5", "True", "budget4"])
def test_bad_budget_values_raise(grouped_data, budget, message):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match=message):
        FairDistiller(n_per_class=budget, n_iter=20, random_state=0).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("build, exception, message", [
    (lambda: {"n_per_class": "5"}, ValueError, "n_per_class must be a positive integer"),
    (lambda: {"n_per_class": None}, ValueError, "n_per_class must be a positive integer"),
    (lambda: {"alignment": "fair"}, ValueError, "alignment must be one of"),
    (lambda: {"matching_params": {"distance": "cosine"}}, ValueError,
     "matching_params\\['distance'\\] must be one of"),
    (lambda: {"init": "zeros"}, ValueError, "init must be one of"),
], ids=["n_per_class-str", "n_per_class-None", "alignment-unknown", "distance-unknown",
        "init-unknown"])
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, build, exception,
                                                        message):
    X, y, A = _data()
    distiller = FairDistiller(**{**FAST, "device": "auto", **build()})
    assert_refused(distiller, X, y, A, exception, message)


@pytest.mark.parametrize("case, params, message", [
    ("image_shape-type", dict(image_shape=108),
     r"^image_shape must be \(C, H, W\) or \(H, W\), positive integers, channels first; "
     "got 108"),
    ("augment-unknown", dict(matching_params={"augmentation": "crop_blur"}),
     r"^unknown augmentation \['blur'\] in strategy 'crop_blur'"),
    ("augment-type", dict(matching_params={"augmentation": 3}),
     "^augmentation must be 'auto', a strategy string such as 'crop_flip', a SiameseAugment "
     "or None; got int"),
    ("embedding", dict(matching_params={"embedding": "resnet"}),
     r"^matching_params\['embedding'\] must be one of \['auto', 'mlp', 'convnet'\]; "
     "got 'resnet'"),
    ("matching", dict(matching="trajectory"),
     r"^matching must be one of \[.*\]; got 'trajectory'"),
    ("outer_loops", dict(matching="gradient", matching_params={"outer_loops": 0}),
     r"^matching_params\['outer_loops'\] must be a positive integer; got 0"),
    ("inner_steps", dict(matching="gradient", matching_params={"inner_steps": -1}),
     r"^matching_params\['inner_steps'\] must be an integer >= 0; got -1"),
    ("network_learning_rate",
     dict(matching="gradient", matching_params={"network_learning_rate": 0}),
     r"^matching_params\['network_learning_rate'\] must be a positive finite number; got 0"),
    ("warm_start", dict(matching_params={"warm_start_epochs": "often"}),
     r"^matching_params\['warm_start_epochs'\] must be an integer >= 0; got 'often'"),
    ("learning_rate", dict(learning_rate="fast"),
     "^learning_rate must be a positive finite number or 'auto'; got 'fast'"),
])
def test_bad_image_settings_fail_before_any_work(no_long_work, case, params, message):
    X, y, groups = _images()
    X = X.reshape(len(X), -1) if case == "image_shape-type" else X
    distiller = FairDistiller(n_per_class=2, n_iter=3, batch_size=8, random_state=0,
                              device="cpu", **params)
    assert_refused(distiller, X, y, groups, ValueError, message, method="fit")


@pytest.mark.parametrize("value", [1, "yes"])
def test_stratify_groups_must_be_a_bool(value):
    X, y, A = make_grouped_data(n_samples=100)
    with pytest.raises(ValueError, match=f"^stratify_groups must be True or False; got {value!r}"):
        FairDistiller(stratify_groups=value).fit(X, y, sensitive_features=A)


def test_preset_is_validated():
    X, y, A = make_grouped_data(n_samples=200)
    with pytest.raises(ValueError, match="^preset must be one of \\['library', 'paper'\\]"):
        FairDistiller(preset="published").fit(X, y, sensitive_features=A)


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize("name", ["learning_rate", "network_learning_rate"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), np.float64("inf")])
def test_non_finite_rates_are_refused(name, value, no_long_work):
    X, y, A = _data()
    params = ({name: value} if name == "learning_rate"
              else {"matching": "gradient", "matching_params": {name: value}})
    with pytest.raises(ValueError, match=f"{name}'?\\]? must be a positive finite number"):
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)


# --------------------------------------------------------------------------- random_state


@pytest.mark.parametrize("random_state, exception, message", [
    (np.random.default_rng(0), TypeError, r"numpy.random.Generator.*rng.integers\(2\*\*32\)"),
    (-1, ValueError, r"random_state must be an int in \[0, 2\*\*32 - 1\]"),
    (2**32, ValueError, r"random_state must be an int in \[0, 2\*\*32 - 1\]"),
    (1.5, TypeError, "random_state must be None, an int"),
    ("0", TypeError, "random_state must be None, an int"),
])
def test_bad_random_states_are_refused(random_state, exception, message, no_long_work):
    X, y, A = _data()
    with pytest.raises(exception, match=message):
        FairDistiller(**{**FAST, "random_state": random_state}).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("random_state", [None, 0, 2**32 - 1, np.int64(7),
                                          np.random.RandomState(0)])
def test_random_states_sklearn_accepts_are_accepted(random_state):
    X, y, A = _data()
    params = {**FAST, "n_iter": 2, "random_state": random_state}
    X_syn, _ = FairDistiller(**params).fit_resample(X, y, sensitive_features=A)
    assert np.isfinite(X_syn).all()


# --------------------------------------------------------------------------- embedding


@pytest.mark.parametrize("factory", [
    lambda: None,
    lambda input_shape: None,
    lambda input_shape, generator, extra: None,
], ids=["no-argument", "one-argument", "three-arguments"])
def test_embedding_factories_with_a_wrong_signature_are_refused(factory, no_long_work):
    X, y, A = _data()
    with pytest.raises(TypeError, match=r"factory\(input_shape, generator\).*signature"):
        FairDistiller(**{**FAST, "matching_params": {"embedding": factory}}).fit(
            X, y, sensitive_features=A)


def test_factories_with_defaults_or_without_a_signature_are_accepted():
    for factory in (lambda input_shape, generator, width=8: None, max):
        settings = check_params({**FairDistiller().get_params(deep=False),
                                 "matching_params": {"embedding": factory}})
        assert settings.embedding is factory
