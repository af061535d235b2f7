"""A fitted distiller pickles, and one fitted on a GPU loads on a machine without one."""

import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller


def _fitted(data):
    X, y, groups = data
    return FairDistiller(n_per_class=3, n_iter=10, random_state=0).fit(
        X, y, sensitive_features=groups
    )


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = rng.integers(0, 2, size=120)
    groups = rng.choice(["a", "b"], size=120)
    return X, y, groups


def test_joblib_round_trip_keeps_the_synthetic_set(tmp_path):
    distiller = _fitted(_data())
    path = tmp_path / "distiller.joblib"
    joblib.dump(distiller, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.X_distilled_, distiller.X_distilled_)
    np.testing.assert_array_equal(loaded.y_distilled_, distiller.y_distilled_)
    assert loaded.get_params() == distiller.get_params()


def test_fitted_distiller_pickles(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=A)
    restored = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(restored.X_distilled_, distiller.X_distilled_)
    assert restored.device_ == distiller.device_
    assert restored.get_params() == distiller.get_params()


def test_fitted_attributes_hold_no_tensors():
    # Nothing device-bound is stored: results are NumPy, so a pickle made on a GPU
    # machine needs no CUDA to load.
    distiller = _fitted(_data())
    fitted = {k: v for k, v in vars(distiller).items() if k.endswith("_")}
    assert not any(isinstance(v, torch.Tensor) for v in fitted.values())
    assert isinstance(distiller.X_distilled_, np.ndarray)


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_gpu_fitted_pickle_loads_without_cuda(tmp_path):
    distiller = _fitted(_data())
    distiller.device_ = torch.device("cuda", 0)  # as left by a fit on a GPU machine
    path = tmp_path / "gpu_fitted.joblib"
    joblib.dump(distiller, path)
    script = (
        "import joblib, numpy as np, torch\n"
        "assert not torch.cuda.is_available()\n"
        f"d = joblib.load({str(path)!r})\n"
        "assert d.device_.type == 'cuda' and np.isfinite(d.X_distilled_).all()\n"
        "print(d.X_distilled_.shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(6, 4)"
