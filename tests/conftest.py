"""Shared fixtures and helpers of the skfairdistill test suite.

The tests mirror the package: one file per module or part, named after it
(``_data/validation.py`` -> ``test_validation.py``), plus the contract files about the
estimators as a whole (test_estimator_checks.py, test_routing.py, test_persistence.py,
test_golden_rows.py, test_examples.py). The folder is flat, so basenames stay unique
under pytest's default import mode.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skfairdistill._estimators.distiller as distiller_module
import skfairdistill._matching._run as matching_run
from skfairdistill._data.rows import RealRows

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
_LOOPS = ("match_distributions", "match_gradients", "match_multiformation", "match_features",
          "match_model")


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


def fitted_attributes(estimator):
    """The names of the fitted attributes (``name_``) an estimator holds, sorted."""
    return sorted(k for k in vars(estimator) if k.endswith("_") and not k.startswith("__"))


def assert_refused(distiller, X, y, sensitive_features, exception, message,
                   method="fit_resample"):
    """``distiller.<method>`` raises ``exception`` matching ``message`` and is left unfitted.

    A rejected fit leaves nothing behind (``validate_data`` would have set
    ``n_features_in_``). Warnings are ignored (e.g. the absent-group warning of a
    bad input that reaches the group encoding).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(exception, match=message):
            getattr(distiller, method)(X, y, sensitive_features=sensitive_features)
    assert fitted_attributes(distiller) == []
    with pytest.raises(NotFittedError):
        check_is_fitted(distiller)


@pytest.fixture
def record_real_rows(monkeypatch):
    """``record(block_values=None)``: every later fit builds its RealRows with
    ``block_values`` (when given) and appends it to the list returned."""

    def record(block_values=None):
        instances = []
        blocks = {} if block_values is None else {"block_values": block_values}

        class Recording(RealRows):
            def __init__(self, X, device, **kwargs):
                super().__init__(X, device, **{**kwargs, **blocks})
                instances.append(self)

        monkeypatch.setattr(distiller_module, "RealRows", Recording)
        return instances

    return record


def usage_error(capsys, call, *args):
    """``call(*args)`` exits with argparse's usage error (code 2); return the error message.

    Only the text after ``error:``: the usage lines above it name every option, so a
    check against the whole of stderr would pass for any error.
    """
    with pytest.raises(SystemExit) as info:
        call(*args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    usage, found, message = err.partition(": error: ")
    assert "usage: " in usage and found, err
    return message.strip()


# ------------------------------------------------------------------ the command line


@pytest.fixture
def table():
    """120 rows: int, float and text features, two sensitive columns, a text target."""
    rng = np.random.default_rng(0)
    n = 120
    label = np.where(np.arange(n) % 2 == 0, "yes", "no")
    return pd.DataFrame(
        {
            "age": rng.integers(18, 70, size=n),
            "sex": rng.choice(["F", "M"], size=n, p=[0.3, 0.7]),
            "score": rng.normal(50.0, 10.0, size=n) + 5.0 * (label == "yes"),
            "job": rng.choice(["clerk", "nurse", "chef"], size=n),
            "race": rng.choice(["x", "y"], size=n),
            "label": label,
        }
    )


@pytest.fixture
def csv_path(table, tmp_path):
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def parquet_path(table, tmp_path):
    """The table as Parquet in 5 row groups of 25 rows (the last one 20)."""
    path = tmp_path / "data.parquet"
    table.to_parquet(path, row_group_size=25)
    return path


def cli_distill(data, out, *extra, n_per_class=3, n_iter=5):
    """``python -m skfairdistill distill DATA --target label --sensitive sex --out OUT``."""
    from skfairdistill._cli.main import main

    return main(
        ["distill", str(data), "--target", "label", "--sensitive", "sex",
         "--n-per-class", str(n_per_class), "--n-iter", str(n_iter), "--device", "cpu",
         "--out", str(out), *extra]
    )


def make_images(n=60, shape=(3, 6, 6), seed=0):
    """Small images in two colours (70/30) whose top row is black in every image."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    y = np.arange(n) % 2
    groups = rng.choice(["red", "green"], size=n, p=[0.7, 0.3])
    X[..., 0, :] = 0.0  # a border that is black in every image
    return X, y, groups


def make_small_table(n=60, seed=0):
    """A small mixed table: an integer, a text, a float column and a 0/1 label."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 70, size=n),
        "sex": rng.choice(["F", "M"], size=n),
        "hours": rng.normal(40, 5, size=n),
        "label": np.arange(n) % 2,
    })


def make_mixed_table():
    """Five rows of an integer, a text, a float and a boolean column."""
    return pd.DataFrame({
        "age": [25, 40, 61, 33, 52],
        "job": ["clerk", "nurse", "clerk", "chef", "nurse"],
        "hours": [40.0, 38.5, 20.0, 45.0, 36.0],
        "union": [True, False, False, True, False],
    })


class CtrlC:
    """Stands in for run_loop's progress bar: Ctrl-C at iteration ``at`` of loop ``loop``."""

    def __init__(self, at, loop=0):
        self.at, self.loop, self.loops = at, loop, 0

    def __call__(self, iterable, **kwargs):
        self.iterable, self.this_loop = iterable, self.loops
        self.loops += 1
        return self

    def __iter__(self):
        for it in self.iterable:
            if self.this_loop == self.loop and it == self.at:
                raise KeyboardInterrupt
            yield it

    def set_postfix(self, **kwargs):
        pass

    def close(self):
        pass
