"""The combination rules (skfairdistill._config.rules): every rule that ties two parameters
(or a parameter and the data) together raises one error that names both sides."""

import re

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.parameters import check_params
from skfairdistill._config.rules import check_images

from conftest import assert_refused, make_grouped_data


def _settings(**params):
    return {**FairDistiller().get_params(deep=False), **params}


# every rule of check_combinations: the parameters, and the two sides the error names
RULES = {
    "knob-of-another-matching": (
        dict(matching="distribution", matching_params={"outer_loops": 3}),
        "matching_params['outer_loops']", "matching='distribution'"),
    "knob-of-another-matching-kmeans": (
        dict(matching="kmeans", matching_params={"barycenter": "sliced"}),
        "matching_params['barycenter']", "matching='kmeans'"),
    "paper-preset-kmeans": (dict(preset="paper", matching="kmeans"),
                            "preset='paper'", "matching='kmeans'"),
    "paper-preset-model": (dict(preset="paper", matching="model"),
                           "preset='paper'", "matching='model'"),
    "distribution-barycenter-alignment": (
        dict(alignment="groupwise", matching_params={"barycenter": "wasserstein"}),
        "matching_params['barycenter']='wasserstein'", "alignment='groupwise'"),
    "stratify-matching": (dict(stratify_groups=True, matching="gradient"),
                          "stratify_groups=True", "matching='gradient'"),
    "stratify-barycenter": (dict(stratify_groups=True, matching_params={"barycenter": "sliced"}),
                            "stratify_groups=True", "barycenter='sliced'"),
    "stratify-preset": (dict(stratify_groups=True, preset="paper"),
                        "stratify_groups=True", "preset='paper'"),
}


@pytest.mark.parametrize("params, first, second", RULES.values(), ids=RULES.keys())
def test_each_rule_raises_one_error_naming_both_parameters(params, first, second):
    with pytest.raises(ValueError) as error:
        check_params(_settings(**params))
    message = str(error.value)
    assert first in message and second in message, message


@pytest.mark.parametrize("params", [
    dict(matching="gradient", matching_params={"outer_loops": 2, "inner_steps": 0}),
    dict(preset="paper", matching="gradient"),
    dict(alignment="barycenter", matching_params={"barycenter": "sliced"}),
    dict(alignment="groupwise", matching_params={"barycenter": "mean"}),
    dict(stratify_groups=True, matching="kmeans"),
], ids=["gradient-knobs", "paper-gradient", "sliced-barycenter", "mean-groupwise",
        "stratify-kmeans"])
def test_allowed_combinations_pass(params):
    check_params(_settings(**params))


# the rules between the parameters and whether X holds images
IMAGE_RULES = {
    "idc-on-a-table": (dict(matching="idc"), "matching='idc' needs images", "image_shape"),
    "convnet-on-a-table": (dict(matching_params={"embedding": "convnet"}),
                           "matching_params['embedding']='convnet' needs images", "image_shape"),
    "augmentation-on-a-table": (dict(matching_params={"augmentation": "crop"}),
                                "matching_params['augmentation']='crop' needs images",
                                "image_shape"),
}


@pytest.mark.parametrize("params, first, second", IMAGE_RULES.values(), ids=IMAGE_RULES.keys())
def test_each_image_rule_names_the_parameter_and_image_shape(params, first, second):
    settings = check_params(_settings(**params))
    check_images(settings, (3, 8, 8))  # images: allowed
    with pytest.raises(ValueError) as error:
        check_images(settings, None)
    message = str(error.value)
    assert first in message and second in message, message


@pytest.mark.parametrize("augmentation", ["auto", None, "none", ""])
def test_tables_take_the_augmentations_that_do_nothing(augmentation):
    check_images(check_params(_settings(matching_params={"augmentation": augmentation})), None)


# --------------------------------------------------------------------------- in a fit


def _two_groups(n=100, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 3))
    X[:, 0] += 6.0 * (group == "b")
    return X, (X[:, 1] > 0).astype(int), group


@pytest.mark.parametrize("params, match", [
    (dict(stratify_groups=True, matching="gradient"),
     "^stratify_groups=True needs matching='distribution' or 'kmeans'"),
    (dict(stratify_groups=True, matching_params={"barycenter": "sliced"}),
     "^stratify_groups=True needs matching_params\\['barycenter'\\]='mean'"),
    (dict(stratify_groups=True, preset="paper"), "and preset='library'.*got .*preset='paper'"),
], ids=["params2", "params3", "params4"])
def test_bad_combinations_are_refused(params, match):
    X, y, group = _two_groups()
    with pytest.raises(ValueError, match=match):
        FairDistiller(**params).fit(X, y, sensitive_features=group)


def test_paper_preset_refuses_kmeans():
    X, y, groups = make_grouped_data(n_samples=200)
    with pytest.raises(ValueError, match="^preset='paper'.*matching='kmeans' is not one of them"):
        FairDistiller(preset="paper", matching="kmeans").fit(X, y, sensitive_features=groups)


def test_kmeans_refuses_a_distribution_level_barycenter():
    X, y, A = make_grouped_data(n_samples=200)
    with pytest.raises(ValueError, match=re.escape(
            "barycenter'] applies to matching in ['distribution']; got matching='kmeans'")):
        FairDistiller(matching="kmeans", matching_params={"barycenter": "sliced"}).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("alignment", ["groupwise", "none"])
@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_barycenter_needs_the_barycenter_alignment(grouped_data, alignment, kind):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="barycenter.*alignment='barycenter'"):
        FairDistiller(alignment=alignment, n_iter=2, matching_params={"barycenter": kind}).fit(
            X, y, sensitive_features=A
        )
    # the mean barycenter goes with every alignment
    FairDistiller(alignment=alignment, n_iter=2, device="cpu",
                  matching_params={"barycenter": "mean"}).fit(X, y, sensitive_features=A)


def test_idc_refuses_tables():
    X = np.random.default_rng(0).normal(size=(40, 4))
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match="matching='idc' needs images.*image_shape"):
        FairDistiller(matching="idc", n_iter=1).fit(X, y)


def _images(n=60, shape=(3, 6, 6), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    return X, np.arange(n) % 2, rng.choice(["red", "green"], size=n, p=[0.7, 0.3])


@pytest.mark.parametrize("case, params, message", [
    ("convnet-on-table", dict(matching_params={"embedding": "convnet"}),
     r"^matching_params\['embedding'\]='convnet' needs images: pass X of shape \(n, C, H, W\) "
     r"or flat rows with image_shape=\(C, H, W\)"),
    ("augment-table", dict(matching_params={"augmentation": "crop"}),
     r"^matching_params\['augmentation'\]='crop' needs images"),
    ("gradient-wasserstein", dict(matching="gradient", matching_params={"barycenter": "sliced"}),
     r"^matching_params\['barycenter'\] applies to matching in \['distribution'\]; "
     "got matching='gradient'"),
])
def test_bad_image_settings_fail_before_any_work(no_long_work, case, params, message):
    X, y, groups = _images()
    X = X.reshape(len(X), -1) if case != "gradient-wasserstein" else X
    distiller = FairDistiller(n_per_class=2, n_iter=3, batch_size=8, random_state=0,
                              device="cpu", **params)
    assert_refused(distiller, X, y, groups, ValueError, message, method="fit")
