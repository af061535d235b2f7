"""Shared fixtures of the skfairdistill test suite."""

import numpy as np
import pytest
import torch

import skfairdistill._matching._run as matching_run

# The tensors of the unit tests are tiny: intra-op threads only add synchronisation
# cost, which becomes dramatic (seconds per fit) when the CPU is shared with other
# processes. One thread keeps the suite fast and does not change any result.
torch.set_num_threads(1)


def make_grouped_data(n_samples=240, n_features=4, n_classes=2, groups=("a", "b"),
                      shares=(0.8, 0.2), seed=0):
    """A small classification table with a sensitive attribute.

    Every class has rows of every group (in the given shares); the class shifts
    feature 0 and the group shifts feature 1.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    A = rng.choice(np.asarray(groups, dtype=object), size=n_samples, p=shares)
    # make sure every (class, group) cell has rows
    for k in range(n_classes):
        rows = np.flatnonzero(y == k)
        A[rows[: len(groups)]] = list(groups)
    group_index = {g: i for i, g in enumerate(groups)}
    X = rng.normal(size=(n_samples, n_features))
    X[:, 0] += 2.0 * y
    if n_features > 1:
        X[:, 1] += np.array([group_index[a] for a in A], dtype=float)
    return X, y, A


@pytest.fixture(
    params=[
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
            ],
        ),
    ]
)
def device(request):
    """Every available torch device: numerical tests run on each of them."""
    return torch.device(request.param)


@pytest.fixture
def make_data():
    """The :func:`make_grouped_data` factory, for tests that need their own shape."""
    return make_grouped_data


@pytest.fixture
def grouped_data():
    """(X, y, A): 240 rows, 4 features, 2 classes, groups "a" (80%) and "b" (20%)."""
    return make_grouped_data()


@pytest.fixture
def multiclass_data():
    """(X, y, A): 300 rows, 3 features, 3 classes, 3 groups."""
    return make_grouped_data(
        n_samples=300, n_features=3, n_classes=3, groups=("x", "y", "z"),
        shares=(0.6, 0.3, 0.1), seed=1,
    )


# every loop run_matching can start
_LOOPS = ("match_distributions", "match_gradients", "match_multiformation", "match_features")


@pytest.fixture
def captured(monkeypatch):
    """Record the keyword arguments the estimator passes to the matching loops."""
    calls = {}

    def spy(name, original):
        def wrapper(*args, **kwargs):
            calls[name] = kwargs
            return original(*args, **kwargs)

        return wrapper

    for name in _LOOPS:
        monkeypatch.setattr(matching_run, name, spy(name, getattr(matching_run, name)))
    return calls


@pytest.fixture
def no_long_work(monkeypatch):
    """Fail the test if the matching loop is ever entered."""

    def refuse(*args, **kwargs):
        raise AssertionError("the matching loop started before the input was rejected")

    for name in _LOOPS:
        monkeypatch.setattr(matching_run, name, refuse)
