"""Device resolution and local generators (skfairdistill._runtime.device)."""

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._runtime.device import make_generators, resolve_device

from conftest import assert_refused, make_grouped_data

FAST = dict(n_iter=20, random_state=0)
UNKNOWN = "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device"


# --------------------------------------------------------------------------- resolve_device


@pytest.mark.parametrize("device", ["cpu", "cpu:0", torch.device("cpu")])
def test_resolve_device_accepts_the_cpu(device):
    assert resolve_device(device) == torch.device(device)
    assert resolve_device(device).type == "cpu"


def test_auto_is_cuda_when_available_else_the_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == torch.device(expected)


@pytest.mark.parametrize("device, exception, message", [
    ("tpu", ValueError, f"^{UNKNOWN}; got 'tpu'"),
    ("gpu:0", ValueError, f"^{UNKNOWN}; got 'gpu:0'"),
    ("mps", ValueError, "^device must be a CPU or CUDA device; got 'mps'"),
    (torch.device("meta"), ValueError, "^device must be a CPU or CUDA device"),
    (None, TypeError, f"^{UNKNOWN}; got NoneType None"),
    (0, TypeError, f"^{UNKNOWN}; got int 0"),
], ids=["tpu", "gpu:0", "mps", "meta", "None", "int"])
def test_resolve_device_refuses_naming_device(device, exception, message):
    with pytest.raises(exception, match=message):
        resolve_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_cuda_is_refused_with_the_fix(device):
    with pytest.raises(ValueError, match=rf"^device='{device}' was requested but CUDA is not "
                                         "available on this machine; use device='cpu'"):
        resolve_device(device)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cuda_index_beyond_the_devices_is_refused():
    count = torch.cuda.device_count()
    assert resolve_device(f"cuda:{count - 1}") == torch.device("cuda", count - 1)
    with pytest.raises(ValueError, match=f"only {count} CUDA device"):
        resolve_device(f"cuda:{count}")


# --------------------------------------------------------------------------- make_generators


def test_the_same_random_state_gives_the_same_streams():
    numpy_a, torch_a = make_generators(7, torch.device("cpu"))
    numpy_b, torch_b = make_generators(np.random.RandomState(7), torch.device("cpu"))
    np.testing.assert_array_equal(numpy_a.random(5), numpy_b.random(5))
    assert torch.equal(torch.rand(5, generator=torch_a), torch.rand(5, generator=torch_b))
    numpy_c, torch_c = make_generators(8, torch.device("cpu"))
    assert not np.array_equal(numpy_c.random(5), make_generators(7, "cpu")[0].random(5))
    assert not torch.equal(torch.rand(5, generator=torch_c),
                           torch.rand(5, generator=make_generators(7, "cpu")[1]))
    assert torch_a.device.type == "cpu"


def _numpy_state():
    _, key, position, *_ = np.random.get_state()
    return key.tolist(), position


def test_a_seed_leaves_the_global_generators_alone():
    np.random.seed(3)
    torch.manual_seed(3)
    numpy_state, torch_state = _numpy_state(), torch.get_rng_state()
    make_generators(0, torch.device("cpu"))
    make_generators(np.random.RandomState(1), torch.device("cpu"))
    assert _numpy_state() == numpy_state
    assert torch.equal(torch.get_rng_state(), torch_state)
    # None draws its seed from NumPy's global generator, as scikit-learn's estimators do
    make_generators(None, torch.device("cpu"))
    assert _numpy_state() != numpy_state
    assert torch.equal(torch.get_rng_state(), torch_state)


# --------------------------------------------------------------------------- in a fit


def test_explicit_cpu_device(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, device="cpu", **FAST)
    distiller.fit(X, y, sensitive_features=A)
    assert distiller.device_ == torch.device("cpu")
    distiller = FairDistiller(n_per_class=2, device=torch.device("cpu"), **FAST)
    assert distiller.fit(X, y, sensitive_features=A).device_ == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="^device='cuda' was requested but CUDA is not available"):
        FairDistiller(device="cuda", **FAST).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("device, message", [
    ("tpu", f"^{UNKNOWN}; got 'tpu'"),
    ("gpu:0", f"^{UNKNOWN}; got 'gpu:0'"),
    ("mps", "^device must be a CPU or CUDA device; got 'mps'"),
], ids=["tpu", "gpu:0", "mps"])
def test_unknown_device_raises(grouped_data, device, message):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match=message):
        FairDistiller(device=device, **FAST).fit(X, y, sensitive_features=A)


def _bad_devices():
    cases = [
        ("device-unknown", "npu", ValueError, "device must be"),
        ("device-None", None, TypeError, "device must be"),
    ]
    if not torch.cuda.is_available():
        cases.append(("device-cuda-without-cuda", "cuda", ValueError, "CUDA is not available"))
    else:
        cases.append(("device-cuda-index-out-of-range", f"cuda:{torch.cuda.device_count()}",
                      ValueError, "CUDA device"))
    return cases


@pytest.mark.parametrize("device, exception, message", [case[1:] for case in _bad_devices()],
                         ids=[case[0] for case in _bad_devices()])
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, device, exception,
                                                        message):
    X, y, A = make_grouped_data(n_samples=120)
    distiller = FairDistiller(n_per_class=2, n_iter=10, random_state=0, device=device)
    assert_refused(distiller, X, y, A, exception, message)
