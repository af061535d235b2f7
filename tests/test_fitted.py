"""A matching result as fitted attributes (skfairdistill._data.fitted): the caller's scale,
dtype, image shape and labels, and never a NaN or infinite row."""

import functools
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._data.fitted import fitted_rows
from skfairdistill._data.rows import RealRows
from skfairdistill._nn.networks import make_embedding

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _result(X_syn, y_syn=None, stored=None):
    return SimpleNamespace(X_syn=X_syn, y_syn=y_syn, stored=stored)


def test_rows_come_back_on_the_scale_dtype_and_labels_of_the_caller():
    X = np.random.default_rng(0).normal(5.0, 2.0, size=(30, 2))
    real = RealRows(X, torch.device("cpu"))
    classes = np.array(["no", "yes"])
    X_distilled, y_distilled, X_stored = fitted_rows(
        _result(torch.zeros(3, 2)), real, np.float32, None, classes,
        torch.tensor([0, 1, 1]), 0.1)
    assert X_distilled.dtype == np.float32
    np.testing.assert_allclose(X_distilled, np.tile(X.mean(axis=0), (3, 1)), rtol=1e-6)
    np.testing.assert_array_equal(y_distilled, ["no", "yes", "yes"])
    assert X_stored is X_distilled


def test_images_and_stored_images_take_the_callers_shape():
    flat = np.random.default_rng(0).random((20, 12))
    real = RealRows(flat, torch.device("cpu"), image_shape=(3, 2, 2))
    result = _result(torch.zeros(8, 3, 2, 2), y_syn=torch.tensor([1, 0] * 4),
                     stored=torch.zeros(2, 3, 2, 2))
    X_distilled, y_distilled, X_stored = fitted_rows(
        result, real, np.float64, (3, 2, 2), np.array([3, 7]), None, 0.1)
    assert X_distilled.shape == (8, 3, 2, 2) and X_stored.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(y_distilled, [7, 3] * 4)  # the result's own labels


def test_non_finite_rows_are_refused_naming_the_step():
    real = RealRows(np.random.default_rng(0).normal(size=(10, 2)), torch.device("cpu"))
    with pytest.raises(ValueError, match=r"learning_rate=0\.5"):
        fitted_rows(_result(torch.tensor([[np.inf, 0.0]])), real, np.float64, None,
                    np.array([0]), torch.tensor([0]), 0.5)


@pytest.mark.parametrize("learning_rate", ["auto", 10.0])
def test_values_near_the_float32_limit_never_give_nan_rows(learning_rate):
    """float32 X near 3.4e38: its rows overflow (standardised, or on the way back)."""
    X, y, A = make_grouped_data(n_samples=120)
    X = (X / np.abs(X).max() * 3.3e38).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="finite numbers.*rescale X"):
            FairDistiller(**{**FAST, "learning_rate": learning_rate}).fit(
                X, y, sensitive_features=A)


@pytest.mark.parametrize("shape", [(3, 6, 6), (6, 6)], ids=["CHW", "HW"])
def test_images_come_back_as_images(shape):
    rng = np.random.default_rng(0)
    X = rng.random((60, *shape), dtype=np.float32)
    y = np.arange(60) % 2
    groups = rng.choice(["red", "green"], size=60, p=[0.7, 0.3])
    original = X.copy()
    distiller = FairDistiller(n_per_class=2, n_iter=3, batch_size=8, random_state=0,
                              device="cpu", matching_params={
                                  "embedding": functools.partial(make_embedding, "convnet",
                                                                 channels=4)})
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=groups)
    assert X_syn.shape == (4, *shape) and X_syn.dtype == np.float32
    assert distiller.X_distilled_.shape == (4, *shape)
    assert distiller.image_shape_ == (shape if len(shape) == 3 else (1, *shape))
    assert distiller.n_features_in_ == math.prod(shape)
    assert np.all(np.isfinite(X_syn)) and sorted(y_syn.tolist()) == [0, 0, 1, 1]
    np.testing.assert_array_equal(X, original)  # the caller's images are untouched
