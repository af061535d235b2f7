"""The hostile battery: every public entry point against damaged, odd and wrong inputs.

Each case ends one of two ways, and the test says which:

- **worked**: the result is finite, of the right shape and container, and the
  caller's inputs are unchanged (same values, dtype and writeable flag);
- **refused clearly**: a ``ValueError`` or ``TypeError`` (``OSError`` for a file or
  folder) whose message names the offending argument, and not a message from
  NumPy, pandas or torch internals (:data:`FOREIGN`). The inputs are unchanged too.

Some cases must work (read-only arrays), most must be refused (NaN, a wrong
parameter); the rest may do either (sparse input, huge values). The command line
ends with exit status 2 (usage error) or 1, one message that names the option or the
file, no traceback and no output file. Cases that could kill the process with a
signal (a memory-mapped file cut short after it was opened) run in child processes
forked from one subprocess, which must end with an exception, not a signal.

Run it on its own (about 40 s on 2 cores; the summary line counts the outcomes)::

    python -m pytest -q -p no:cacheprovider tests/test_hostile_inputs.py
"""

import collections
import copy
import dataclasses
import gzip
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill import datasets, metrics
from skfairdistill._config.parameters import MATCHING_PARAMS
from skfairdistill.evaluation import SyntheticEvaluation, evaluate_synthetic
from skfairdistill.model_selection import budget_search_table
from skfairdistill.preprocessing import TabularEncoder

from conftest import cli_distill, make_grouped_data, make_small_table

pytestmark = pytest.mark.filterwarnings("ignore")

#: Fragments of messages from the depths of NumPy, pandas, torch and Python itself.
FOREIGN = (
    "inhomogeneous", "Buffer has wrong number", "unhashable type", "zero-size array",
    "index out of range", "mat1 and mat2", "NoneType", "object is not iterable",
    "object is not subscriptable", "has no attribute", "not supported between instances",
    "truth value of", "unsupported operand", "division by zero", "list indices",
)

#: What every case ended in (printed at the end of the module).
OUTCOMES = collections.Counter()

OK, REFUSE, EITHER = "ok", "refuse", "either"

FAST = dict(n_per_class=2, n_iter=3, random_state=0, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and OUTCOMES:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nhostile battery: {OUTCOMES['worked']} worked, {OUTCOMES['refused']} "
                "refused clearly (the xfailed cases are counted by pytest)")


# ---------------------------------------------------------------------------- the harness


def _snapshot(value):
    """A deep copy to compare with after the call, and the writeable flag of an array."""
    if sp.issparse(value):
        return value.copy(), None
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True), None
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True), value.flags.writeable
    if hasattr(value, "get_params"):  # an estimator: its parameters and fitted attributes
        return _Estimator(value), None
    try:
        return copy.deepcopy(value), None
    except Exception:  # an object that cannot be copied: compared with itself
        return value, None


class _Estimator:
    """An estimator's state to compare: its parameters and its attributes' names and text."""

    def __init__(self, estimator):
        self.state = (repr(estimator.get_params(deep=False)),
                      sorted((key, repr(val)) for key, val in vars(estimator).items()))

    def __eq__(self, other):
        return self.state == other.state


def _assert_unchanged(name, before, value):
    copied, writeable = before
    if sp.issparse(copied):
        assert type(value) is type(copied), f"{name} changed type"
        for part in ("data", "indices", "indptr", "row", "col"):
            if hasattr(copied, part):
                assert np.array_equal(getattr(copied, part), getattr(value, part),
                                      equal_nan=True), f"{name}.{part} was modified"
    elif isinstance(copied, pd.DataFrame):
        pd.testing.assert_frame_equal(value, copied, obj=name)
    elif isinstance(copied, pd.Series):
        pd.testing.assert_series_equal(value, copied, obj=name)
    elif isinstance(copied, np.ndarray):
        assert value.dtype == copied.dtype and value.shape == copied.shape, f"{name} reshaped"
        assert value.flags.writeable == writeable, f"{name}'s writeable flag changed"
        if copied.dtype.kind in "biufc":
            assert np.array_equal(value, copied, equal_nan=copied.dtype.kind in "fc"), \
                f"{name} was modified"
        else:
            assert repr(value.tolist()) == repr(copied.tolist()), f"{name} was modified"
    elif isinstance(copied, _Estimator):
        assert _Estimator(value) == copied, f"{name} was modified"
    else:
        try:
            same = value is copied or bool(value == copied)
        except Exception:  # containers of arrays: compared by their text
            same = repr(value) == repr(copied)
        assert same, f"{name} was modified"


def _names(message, names):
    """Whether ``message`` names one of ``names`` as a word of its own."""
    return any(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message) for name in names)


def assert_clear(error, names):
    """``error`` is ours: the right type, names the argument, no internal message."""
    message = str(error)
    assert isinstance(error, (ValueError, TypeError, OSError)), repr(error)
    foreign = [fragment for fragment in FOREIGN if fragment in message]
    assert not foreign, f"a message from the depths ({foreign}): {message}"
    assert _names(message, names), f"the message names none of {names}: {message}"


@dataclasses.dataclass
class Case:
    """``call(**inputs)``; ``inputs()`` builds fresh inputs for every run."""

    inputs: object
    call: object
    expect: str = EITHER
    names: tuple = ()
    check: object = None


def run_case(case):
    """Run one case and assert its outcome; return ``"worked"`` or ``"refused"``."""
    inputs = case.inputs()
    before = {name: _snapshot(value) for name, value in inputs.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = case.call(**inputs)
    except (ValueError, TypeError, OSError) as error:
        for name, value in inputs.items():
            _assert_unchanged(name, before[name], value)
        assert case.expect != OK, f"refused, but it must work: {error!r}"
        assert_clear(error, case.names)
        OUTCOMES["refused"] += 1
        return "refused"
    for name, value in inputs.items():
        _assert_unchanged(name, before[name], value)
    assert case.expect != REFUSE, f"accepted, but it must be refused: {result!r:.300}"
    if case.check is not None:
        case.check(result, inputs)
    OUTCOMES["worked"] += 1
    return "worked"


def _finite(values):
    values = values.toarray() if sp.issparse(values) else np.asarray(values, dtype=float)
    assert np.isfinite(values).all(), "a non-finite value came back"
    return values


def _xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


def _params(table, make_case, prefix=""):
    """``pytest.param`` for every row ``(id, ..., marks?)`` of ``table``."""
    params = []
    for row in table:
        marks = row[-1] if isinstance(row[-1], (pytest.MarkDecorator, list)) else ()
        fields = row[:-1] if marks else row
        params.append(pytest.param(make_case(*fields[1:]), id=prefix + fields[0], marks=marks))
    return params


# ------------------------------------------------------------------ the estimators' data

def _base():
    """40 rows, 3 features, classes 0/1, groups 'a' (70%) and 'b' in every class."""
    return make_grouped_data(n_samples=40, n_features=3, shares=(0.7, 0.3), seed=3)


def _set(array, index, value, dtype=None):
    array = array.astype(dtype if dtype is not None else array.dtype)
    array[index] = value
    return array


def _read_only(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


def _frame(X, **columns):
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    for name, values in columns.items():
        frame[name] = values
    return frame


def _ragged(X):
    return [list(row[: 2 + i % 2]) for i, row in enumerate(X)]


def _object_cells(values, index, cell):
    values = values.astype(object)
    for i in index:
        values[i] = cell() if callable(cell) else cell
    return values


def _one_hot(y):
    return np.eye(2, dtype=int)[y]


# (id, (X, y, A) -> (X, y, A), expected outcome, argument names the message may name)
DATA = [
    # X: types
    ("X-str", lambda X, y, A: ("a table", y, A), REFUSE, ("X",)),
    ("X-None", lambda X, y, A: (None, y, A), REFUSE, ("X",)),
    ("X-dict", lambda X, y, A: ({"f0": list(X[:, 0]), "f1": list(X[:, 1])}, y, A), REFUSE,
     ("X",)),
    ("X-list-of-lists", lambda X, y, A: (X.tolist(), y, A), OK, ()),
    ("X-ragged-list", lambda X, y, A: (_ragged(X), y, A), REFUSE, ("X",)),
    ("X-object-numbers", lambda X, y, A: (X.astype(object), y, A), OK, ()),
    ("X-object-text-cell", lambda X, y, A: (_object_cells(X, [(3, 1)], "abc"), y, A), REFUSE,
     ("X",)),
    ("X-object-None-cell", lambda X, y, A: (_object_cells(X, [(3, 1)], None), y, A), REFUSE,
     ("X",)),
    ("X-object-list-cell", lambda X, y, A: (_object_cells(X, [(3, 1)], lambda: [1, 2]), y, A),
     REFUSE, ("X",)),
    ("X-complex", lambda X, y, A: (X.astype(complex), y, A), REFUSE, ("X",)),
    # X: shapes
    ("X-1d", lambda X, y, A: (X[:, 0], y, A), REFUSE, ("X",)),
    ("X-3d-images", lambda X, y, A: (X.reshape(40, 1, 3), y, A), EITHER, ("X",)),
    ("X-5d", lambda X, y, A: (X.reshape(40, 1, 1, 1, 3), y, A), REFUSE, ("X",)),
    ("X-0-rows", lambda X, y, A: (X[:0], y[:0], A[:0]), REFUSE, ("X", "y", "sensitive_features")),
    ("X-1-row", lambda X, y, A: (X[:1], y[:1], A[:1]), REFUSE, ("X", "y", "sensitive_features")),
    ("X-1-column", lambda X, y, A: (X[:, :1], y, A), OK, ()),
    ("X-0-columns", lambda X, y, A: (X[:, :0], y, A), REFUSE, ("X",)),
    ("X-shorter-than-y", lambda X, y, A: (X[:-1], y, A), REFUSE, ("X", "y")),
    ("y-shorter-than-X", lambda X, y, A: (X, y[:-1], A), REFUSE, ("X", "y")),
    ("groups-shorter-than-X", lambda X, y, A: (X, y, A[:-1]), REFUSE, ("sensitive_features",)),
    ("X-fortran-order", lambda X, y, A: (np.asfortranarray(X), y, A), OK, ()),
    ("X-strided-view", lambda X, y, A: (np.repeat(X, 2, axis=1)[:, ::2], y, A), OK, ()),
    # X: values
    ("X-nan", lambda X, y, A: (_set(X, (3, 1), np.nan), y, A), REFUSE, ("X",)),
    ("X-inf", lambda X, y, A: (_set(X, (3, 1), np.inf), y, A), REFUSE, ("X",)),
    ("X-minus-inf", lambda X, y, A: (_set(X, (3, 1), -np.inf), y, A), REFUSE, ("X",)),
    ("X-one-1e308", lambda X, y, A: (_set(X, (3, 1), 1e308), y, A), EITHER, ("X",)),
    ("X-column-of-1e306", lambda X, y, A: (X * [1.0, 1e306, 1.0], y, A), EITHER, ("X",)),
    ("X-all-1e307", lambda X, y, A: (X * 1e307, y, A), EITHER, ("X",)),
    ("X-all-1e-200", lambda X, y, A: (X * 1e-200, y, A), EITHER, ("X",)),
    ("X-all-1e-310", lambda X, y, A: (X * 1e-310, y, A), EITHER, ("X",)),
    ("X-float16-max", lambda X, y, A: (_set(X, (3, 1), 65504, np.float16), y, A), EITHER,
     ("X",)),
    ("X-float32-max", lambda X, y, A: (_set(X, (3, 1), 3e38, np.float32), y, A), EITHER,
     ("X",)),
    ("X-constant", lambda X, y, A: (np.zeros_like(X), y, A), OK, ()),
    ("X-bool", lambda X, y, A: (X > 0, y, A), OK, ()),
    ("X-int8", lambda X, y, A: ((X * 10).astype(np.int8), y, A), OK, ()),
    ("X-uint64-max", lambda X, y, A: (_set(X, (3, 1), 2**64 - 1, np.uint64), y, A), EITHER,
     ("X",)),
    ("X-read-only", lambda X, y, A: (_read_only(X), _read_only(y), _read_only(A)), OK, ()),
    # X: DataFrames
    ("X-frame", lambda X, y, A: (_frame(X), pd.Series(y), pd.Series(A)), OK, ()),
    ("X-frame-text-column", lambda X, y, A: (_frame(X, job=np.where(y, "a", "b")), y, A),
     REFUSE, ("X", "job")),
    ("X-frame-category-column",
     lambda X, y, A: (_frame(X, job=pd.Categorical(np.where(y, "a", "b"))), y, A), REFUSE,
     ("X", "job")),
    ("X-frame-datetime-column",
     lambda X, y, A: (_frame(X, day=pd.date_range("2024-01-01", periods=40)), y, A), REFUSE,
     ("X", "day")),
    ("X-frame-Int64-with-NA",
     lambda X, y, A: (_frame(X, n=pd.array([1, None] * 20, dtype="Int64")), y, A), REFUSE,
     ("X", "n")),
    ("X-frame-Int64", lambda X, y, A: (_frame(X, n=pd.array([1, 2] * 20, dtype="Int64")), y, A),
     OK, ()),
    ("X-frame-boolean-with-NA",
     lambda X, y, A: (_frame(X, b=pd.array([True, None] * 20, dtype="boolean")), y, A), REFUSE,
     ("X", "b")),
    ("X-frame-Float64-with-NA",
     lambda X, y, A: (_frame(X, v=pd.array([0.5, None] * 20, dtype="Float64")), y, A), REFUSE,
     ("X", "v")),
    ("X-frame-bool-column", lambda X, y, A: (_frame(X, b=y == 1), y, A), OK, ()),
    ("X-frame-duplicate-columns",
     lambda X, y, A: (pd.DataFrame(X, columns=["a", "a", "b"]), y, A), EITHER, ("X", "a")),
    ("X-frame-mixed-column-names",
     lambda X, y, A: (pd.DataFrame(X, columns=[0, "b", "c"]), y, A), EITHER, ("X",)),
    ("X-frame-shifted-index",
     lambda X, y, A: (_frame(X).set_axis(range(100, 140)), pd.Series(y), pd.Series(A)), OK, ()),
    # X: sparse (accepted, or refused with our message)
    ("X-sparse-csr", lambda X, y, A: (sp.csr_matrix(X), y, A), EITHER, ("X",)),
    ("X-sparse-coo", lambda X, y, A: (sp.coo_matrix(X), y, A), EITHER, ("X",)),
    ("X-sparse-csc-array", lambda X, y, A: (sp.csc_array(X), y, A), EITHER, ("X",)),
    ("X-sparse-with-nan", lambda X, y, A: (sp.csr_matrix(_set(X, (3, 1), np.nan)), y, A),
     REFUSE, ("X",)),
    ("X-sparse-frame",
     lambda X, y, A: (_frame(X).astype(pd.SparseDtype(float, 0.0)), y, A), EITHER, ("X",)),
    # y
    ("y-None", lambda X, y, A: (X, None, A), REFUSE, ("y",)),
    ("y-str", lambda X, y, A: (X, "label", A), REFUSE, ("y",)),
    ("y-text-labels", lambda X, y, A: (X, np.where(y, "yes", "no"), A), OK, ()),
    ("y-continuous", lambda X, y, A: (X, X[:, 0], A), REFUSE, ("y",)),
    ("y-nan", lambda X, y, A: (X, _set(y, 3, np.nan, float), A), REFUSE, ("y",)),
    ("y-inf", lambda X, y, A: (X, _set(y, 3, np.inf, float), A), REFUSE, ("y",)),
    ("y-one-class", lambda X, y, A: (X, np.zeros_like(y), A), REFUSE, ("y",)),
    ("y-class-of-one-row", lambda X, y, A: (X, _set(y, 3, 2), A), EITHER, ("y",)),
    ("y-column-vector", lambda X, y, A: (X, y[:, None], A), OK, ()),
    ("y-one-hot", lambda X, y, A: (X, _one_hot(y), A), OK, ()),
    ("y-multilabel", lambda X, y, A: (X, np.column_stack([y, X[:, 0] > 0]).astype(int), A),
     REFUSE, ("y",)),
    ("y-3d", lambda X, y, A: (X, y.reshape(40, 1, 1), A), REFUSE, ("y",)),
    ("y-mixed-types", lambda X, y, A: (X, _object_cells(y, [3], "a"), A), REFUSE, ("y",)),
    ("y-bool", lambda X, y, A: (X, y == 1, A), OK, ()),
    ("y-categorical", lambda X, y, A: (X, pd.Series(pd.Categorical(y)), A), OK, ()),
    ("y-Int64-with-NA", lambda X, y, A: (X, pd.array(_object_cells(y, [3], None), dtype="Int64"),
                                         A), REFUSE, ("y",)),
    ("y-Int64", lambda X, y, A: (X, pd.array(y, dtype="Int64"), A), OK, ()),
    ("y-lists", lambda X, y, A: (X, _object_cells(y, range(40), lambda: [1]), A), REFUSE,
     ("y",)),
    ("y-None-cell", lambda X, y, A: (X, _object_cells(y, [3], None), A), REFUSE, ("y",)),
    ("y-huge-labels", lambda X, y, A: (X, y * 1e308, A), EITHER, ("y",)),
    # sensitive features
    ("groups-None", lambda X, y, A: (X, y, None), REFUSE, ("sensitive_features",)),
    ("groups-column-name", lambda X, y, A: (X, y, "sex"), REFUSE, ("sensitive_features",)),
    ("groups-nan", lambda X, y, A: (X, y, _set(np.where(A == "a", 0.0, 1.0), 3, np.nan)), REFUSE,
     ("sensitive_features",)),
    ("groups-None-cell", lambda X, y, A: (X, y, _object_cells(A, [3], None)), REFUSE,
     ("sensitive_features",)),
    ("groups-inf", lambda X, y, A: (X, y, np.where(A == "a", 0.0, np.inf)), OK, ()),
    ("groups-huge", lambda X, y, A: (X, y, np.where(A == "a", 0.0, 1e308)), OK, ()),
    ("groups-one-group", lambda X, y, A: (X, y, np.full(40, "a")), OK, ()),
    ("groups-lists", lambda X, y, A: (X, y, _object_cells(A, range(40), lambda: ["a"])), REFUSE,
     ("sensitive_features",)),
    ("groups-dicts", lambda X, y, A: (X, y, _object_cells(A, [3], lambda: {"a": 1})), REFUSE,
     ("sensitive_features",)),
    ("groups-a-dict", lambda X, y, A: (X, y, {"sex": A}), REFUSE, ("sensitive_features",)),
    ("groups-a-set", lambda X, y, A: (X, y, set(A)), REFUSE, ("sensitive_features",)),
    ("groups-frame", lambda X, y, A: (X, y, pd.DataFrame({"s": A, "r": y % 2})), OK, ()),
    ("groups-frame-duplicate-columns",
     lambda X, y, A: (X, y, pd.DataFrame(np.column_stack([A, A]), columns=["s", "s"])), REFUSE,
     ("sensitive_features",)),
    ("groups-2d-array", lambda X, y, A: (X, y, np.column_stack([A, A])), OK, ()),
    ("groups-3d-array", lambda X, y, A: (X, y, A.reshape(40, 1, 1)), REFUSE,
     ("sensitive_features",)),
    ("groups-0-columns", lambda X, y, A: (X, y, np.empty((40, 0))), REFUSE,
     ("sensitive_features",)),
    ("groups-mixed-types", lambda X, y, A: (X, y, _object_cells(A, range(0, 40, 3), 1)), OK, ()),
    ("groups-categorical-unused",
     lambda X, y, A: (X, y, pd.Series(pd.Categorical(A, categories=["a", "b", "c"]))), OK, ()),
    ("groups-Int64-with-NA",
     lambda X, y, A: (X, y, pd.array(_object_cells((A == "a").astype(int), [3], None),
                                     dtype="Int64")), REFUSE, ("sensitive_features",)),
    ("groups-bool", lambda X, y, A: (X, y, A == "a"), OK, ()),
    ("groups-every-row-its-own", lambda X, y, A: (X, y, np.arange(40)), EITHER,
     ("sensitive_features",)),
]


def _fit_resample(X, y, sensitive_features):
    distiller = FairDistiller(**FAST)
    return distiller, distiller.fit_resample(X, y, sensitive_features=sensitive_features)


def _near_the_data(values, X):
    """Synthetic values no farther outside a column's range than 100 times its width."""
    if sp.issparse(X):
        X = X.toarray()
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return
    X, values = X.reshape(len(X), -1), values.reshape(len(values), -1)
    low, high = X.min(axis=0), X.max(axis=0)
    width = np.maximum(high - low, np.abs(high) * 1e-6)
    with np.errstate(over="ignore", invalid="ignore"):
        outside = np.maximum(low - values, values - high) / np.where(width > 0, width, 1.0)
    assert not (outside > 100).any(), (
        f"synthetic values {np.nanmax(outside):.3g} column widths outside the data")


def _row_shape(X):
    return tuple(X.shape[1:]) if hasattr(X, "shape") else np.shape(X)[1:]


def _check_resampled(result, inputs):
    distiller, (X_syn, y_syn) = result
    X = inputs["X"]
    n_rows = sum(distiller.sampling_strategy_.values())
    values = _finite(X_syn)
    _near_the_data(values, X)
    assert len(values) == n_rows and len(y_syn) == n_rows
    if isinstance(X, pd.DataFrame):
        assert isinstance(X_syn, pd.DataFrame) and list(X_syn.columns) == list(X.columns)
    if isinstance(X, np.ndarray):
        assert type(X_syn) is np.ndarray
    assert values.shape[1:] == _row_shape(X)
    labels = np.asarray(y_syn)
    if labels.ndim == 1:  # else one-vs-all columns
        assert set(labels.tolist()) <= set(np.asarray(distiller.classes_).tolist())


def _fit(X, y, sensitive_features):
    distiller = FairDistiller(**FAST)
    assert distiller.fit(X, y, sensitive_features=sensitive_features) is distiller
    return distiller


def _check_fitted(distiller, inputs):
    rows = _finite(distiller.X_distilled_)
    _near_the_data(rows, inputs["X"])
    assert len(rows) == len(distiller.y_distilled_) == sum(distiller.sampling_strategy_.values())
    assert rows.shape[1:] == _row_shape(inputs["X"])


def _classifier_fit(X, y, sensitive_features):
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST))
    assert clf.fit(X, y, sensitive_features=sensitive_features) is clf
    return clf


def _check_classifier(clf, inputs):
    _near_the_data(_finite(clf.distiller_.X_distilled_), inputs["X"])
    predicted = np.asarray(clf.predict(inputs["X"]))
    X = inputs["X"]
    assert len(predicted) == (X.shape[0] if hasattr(X, "shape") else len(X))
    if predicted.ndim == 1:  # else one-vs-all columns, as y was given
        assert set(predicted.tolist()) <= set(np.asarray(clf.classes_).tolist())


def _data_case(entry, check):
    def make(transform, expect, names):
        def inputs():
            X, y, A = transform(*_base())
            return {"X": X, "y": y, "sensitive_features": A}

        return Case(inputs, entry, expect, names, check)

    return make


#: Data cases that fail today, with where the fix lies: id -> reason (none at present).
DATA_XFAIL = {}


def _data_params(entry, check):
    table = [row + (_xfail(DATA_XFAIL[row[0]]),) if row[0] in DATA_XFAIL else row
             for row in DATA]
    return _params(table, _data_case(entry, check))


@pytest.mark.parametrize("case", _data_params(_fit_resample, _check_resampled))
def test_fair_distiller_fit_resample(case):
    run_case(case)


@pytest.mark.parametrize("case", _data_params(_fit, _check_fitted))
def test_fair_distiller_fit(case):
    run_case(case)


@pytest.mark.parametrize("case", _data_params(_classifier_fit, _check_classifier))
def test_distilled_classifier_fit(case):
    run_case(case)


# ------------------------------------------------------------------ the estimators' parameters

#: Values every parameter of FairDistiller must refuse.
BAD_PARAMETERS = {
    "n_per_class": [-1, 0, np.nan, np.inf, "ten", 1.5, True, None, {0: 2}, {0: 2, 1: 0},
                    {0: 2, 1: 2, 7: 1}],
    "matching": ["nope", None, 1, np.nan, ["distribution"]],
    "alignment": ["nope", None, 1, ["none"]],
    "stratify_groups": ["yes", None, 1, np.nan],
    "preset": ["nope", None, 0],
    "n_iter": [-1, 0, np.nan, np.inf, "ten", 1.5, True, None],
    "learning_rate": [-1, 0, np.nan, np.inf, "fast", True, None],
    "batch_size": [-1, 0, np.nan, np.inf, "big", 1.5, None],
    "init": ["nope", None, 1],
    "image_shape": [-1, 0, (0, 2), (1, -2), "1x3", (1.5, 2), (2, 2), (1, 1, 1, 3)],
    "matching_params": ["fast", [("distance", "l1")], 5, {"nope": 1}],
    "device": ["nope", -1, 1.5, "cuda:99", ["cpu"]],
    "random_state": [-1, np.nan, "seed", 2**40, 1.5, np.random.default_rng(0)],
    "verbose": [-1, np.nan, "loud", 1.5, None],
    "n_threads": [-1, 0, np.nan, "many", 1.5],
}


def _value_id(value):
    text = type(value).__name__ if isinstance(value, np.random.Generator) else repr(value)
    return re.sub(r"\s+", "", text)


def _distiller_case(params, names, check=_check_resampled, expect=REFUSE):
    def inputs():
        X, y, A = _base()
        return {"X": X, "y": y, "sensitive_features": A}

    def call(X, y, sensitive_features):
        distiller = FairDistiller(**{**FAST, **params})
        return distiller, distiller.fit_resample(X, y, sensitive_features=sensitive_features)

    return Case(inputs, call, expect, names, check)


def _parameter_params():
    params = []
    for name, values in BAD_PARAMETERS.items():
        names = ("matching_params", "nope") if name == "matching_params" else (name,)
        for value in values:
            params.append(pytest.param(_distiller_case({name: value}, names),
                                       id=f"{name}={_value_id(value)}"))
    return params


def _matching_params_params():
    """Every key of matching_params, with a value of each wrong kind, under a matching it fits."""
    params = []
    for key, (_, loops, _) in MATCHING_PARAMS.items():
        values = [-1, np.nan, np.inf, "bogus", [1]]
        if key not in ("warm_start_epochs", "inner_steps", "fairness_weight", "group_balance"):
            values.append(0)  # zero is allowed by these four
        if key == "group_balance":
            values.append(1.5)
        for value in values:
            settings = {"matching": loops[0], "matching_params": {key: value}}
            params.append(pytest.param(_distiller_case(settings, (key,)),
                                       id=f"{key}={_value_id(value)}"))
    bad_factory = {"matching_params": {"embedding": lambda input_shape: None}}
    params.append(pytest.param(_distiller_case(bad_factory, ("embedding",)),
                               id="embedding=one-argument-factory"))
    return params


@pytest.mark.parametrize("case", _parameter_params() + _matching_params_params())
def test_fair_distiller_parameters_are_refused_before_the_work(case, no_long_work):
    run_case(case)


@pytest.mark.parametrize("params", [
    {"learning_rate": 1e6},
    {"learning_rate": 1e308},
    {"learning_rate": 1e-300},
    {"learning_rate": 1e6, "matching": "model"}, {"learning_rate": 1e6, "matching": "gradient"},
    {"n_per_class": 30}, {"batch_size": 10**9}, {"n_per_class": {0: 1, 1: 5}},
    {"alignment": "groupwise", "stratify_groups": True},
], ids=lambda params: ",".join(f"{k}={v}" for k, v in params.items()))
def test_fair_distiller_extreme_settings_work_or_are_refused(params):
    """A step too large is an error naming learning_rate, never rows far from the data."""
    run_case(_distiller_case(params, ("learning_rate", "n_per_class", "batch_size"),
                             expect=EITHER))


def _classifier_case(params, names, expect=REFUSE):
    def inputs():
        X, y, A = _base()
        return {"X": X, "y": y, "sensitive_features": A}

    def call(X, y, sensitive_features):
        settings = {"estimator": LogisticRegression(), "distiller": FairDistiller(**FAST),
                    **params}
        estimator = settings.pop("estimator")
        return DistilledClassifier(estimator, **settings).fit(
            X, y, sensitive_features=sensitive_features)

    return Case(inputs, call, expect, names, _check_classifier)


def _under_sampler():
    from imblearn.under_sampling import RandomUnderSampler

    return RandomUnderSampler(random_state=0)


CLASSIFIER_PARAMETERS = [
    ("estimator=None", {"estimator": None}, ("estimator",)),
    ("estimator=str", {"estimator": "logistic"}, ("estimator",)),
    ("estimator=regressor", {"estimator": LinearRegression()}, ("estimator",)),
    ("estimator=a-class", {"estimator": LogisticRegression}, ("estimator",)),
    ("distiller=str", {"distiller": "fair"}, ("distiller",)),
    ("distiller=5", {"distiller": 5}, ("distiller",)),
    ("distiller=a-classifier", {"distiller": LogisticRegression()}, ("distiller",)),
    ("distiller=no-sensitive_features", {"distiller": _under_sampler()}, ("distiller",)),
    ("distiller=bad-n_per_class", {"distiller": FairDistiller(n_per_class=-1)},
     ("n_per_class",)),
    ("class_prior=nope", {"class_prior": "nope"}, ("class_prior",)),
    ("class_prior=None", {"class_prior": None}, ("class_prior",)),
    ("class_prior=1", {"class_prior": 1}, ("class_prior",)),
    ("class_prior=nan", {"class_prior": np.nan}, ("class_prior",)),
    ("class_prior=list", {"class_prior": ["data"]}, ("class_prior",)),
    ("class_prior=data-without-sample_weight",
     {"estimator": KNeighborsClassifier(n_neighbors=1), "class_prior": "data"},
     ("class_prior",)),
]


@pytest.mark.parametrize("case", [pytest.param(_classifier_case(params, names), id=case_id)
                                  for case_id, params, names in CLASSIFIER_PARAMETERS])
def test_distilled_classifier_parameters_are_refused(case, no_long_work):
    run_case(case)


_FITTED = {}


def _fitted_classifier():
    """One DistilledClassifier fitted on the base data (3 features, classes 0/1)."""
    if "clf" not in _FITTED:
        X, y, A = _base()
        _FITTED["clf"] = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
            **FAST)).fit(X, y, sensitive_features=A)
    return _FITTED["clf"]


def _check_predicted(predicted, inputs):
    assert isinstance(predicted, np.ndarray) and predicted.shape == (np.shape(inputs["X"])[0],)
    assert set(predicted.tolist()) <= {0, 1}


PREDICT = [
    ("X-None", lambda X: None, REFUSE),
    ("X-str", lambda X: "rows", REFUSE),
    ("X-1d", lambda X: X[0], REFUSE),
    ("X-3d", lambda X: X.reshape(-1, 1, 3), REFUSE),
    ("X-0-rows", lambda X: X[:0], EITHER),
    ("X-2-features", lambda X: X[:, :2], REFUSE),
    ("X-4-features", lambda X: np.column_stack([X, X[:, 0]]), REFUSE),
    ("X-nan", lambda X: _set(X, (3, 1), np.nan), REFUSE),
    ("X-inf", lambda X: _set(X, (3, 1), np.inf), REFUSE),
    ("X-1e308", lambda X: _set(X, (3, 1), 1e308), EITHER),
    ("X-text-cell", lambda X: _object_cells(X, [(3, 1)], "abc"), REFUSE),
    ("X-ragged", _ragged, REFUSE),
    ("X-dict", lambda X: {"f0": X[:, 0]}, REFUSE),
    ("X-sparse", sp.csr_matrix, EITHER),
    ("X-read-only", _read_only, OK),
    ("X-list", lambda X: X.tolist(), OK),
    ("X-frame", lambda X: _frame(X), OK),
    ("X-bool", lambda X: X > 0, OK),
]


def _predict_case(transform, expect):
    def inputs():
        return {"X": transform(_base()[0])}

    return Case(inputs, lambda X: _fitted_classifier().predict(X), expect, ("X",),
                _check_predicted)


@pytest.mark.parametrize("case", _params(PREDICT, _predict_case))
def test_distilled_classifier_predict(case):
    run_case(case)


# ----------------------------------------------------------------------------- the metrics

def _metric_inputs():
    X, y, A = _base()
    return y, (y + (X[:, 0] > 0.5)) % 2, A


def _frame_of(array, index):
    return pd.Series(array, index=index)


# (id, (y_true, y_pred, A) -> (y_true, y_pred, A), expected, names)
METRIC_DATA = [
    ("plain", lambda t, p, A: (t, p, A), OK, ()),
    ("lists", lambda t, p, A: (t.tolist(), p.tolist(), A.tolist()), OK, ()),
    ("empty", lambda t, p, A: (t[:0], p[:0], A[:0]), REFUSE, ("y_true",)),
    ("y_pred-shorter", lambda t, p, A: (t, p[:-1], A), REFUSE, ("y_pred",)),
    ("y_true-shorter", lambda t, p, A: (t[:-1], p, A), REFUSE, ("y_true", "y_pred")),
    ("groups-shorter", lambda t, p, A: (t, p, A[:-1]), REFUSE, ("sensitive_features",)),
    ("y_true-None", lambda t, p, A: (None, p, A), REFUSE, ("y_true",)),
    ("y_pred-None", lambda t, p, A: (t, None, A), REFUSE, ("y_pred",)),
    ("groups-None", lambda t, p, A: (t, p, None), REFUSE, ("sensitive_features",)),
    ("groups-column-name", lambda t, p, A: (t, p, "sex"), REFUSE, ("sensitive_features",)),
    ("y_true-scalar", lambda t, p, A: (1, p, A), REFUSE, ("y_true",)),
    ("y_true-str", lambda t, p, A: ("labels", p, A), REFUSE, ("y_true",)),
    ("y_true-dict", lambda t, p, A: ({"y": t}, p, A), REFUSE, ("y_true",)),
    ("y_true-2d", lambda t, p, A: (np.column_stack([t, t]), p, A), REFUSE, ("y_true",)),
    ("y_pred-2d", lambda t, p, A: (t, np.column_stack([p, p]), A), REFUSE, ("y_pred",)),
    ("y_true-ragged", lambda t, p, A: ([[v] * (1 + i % 2) for i, v in enumerate(t)], p, A),
     REFUSE, ("y_true",)),
    ("y_true-lists", lambda t, p, A: (_object_cells(t, range(40), lambda: [1]), p, A), REFUSE,
     ("y_true",)),
    ("y_true-nan", lambda t, p, A: (_set(t, 3, np.nan, float), p, A), REFUSE, ("y_true",)),
    ("y_pred-nan", lambda t, p, A: (t, _set(p, 3, np.nan, float), A), REFUSE, ("y_pred",)),
    ("y_true-None-cell", lambda t, p, A: (_object_cells(t, [3], None), p, A), REFUSE,
     ("y_true",)),
    ("groups-nan", lambda t, p, A: (t, p, _set((A == "a").astype(float), 3, np.nan)), REFUSE,
     ("sensitive_features",)),
    ("groups-None-cell", lambda t, p, A: (t, p, _object_cells(A, [3], None)), REFUSE,
     ("sensitive_features",)),
    ("groups-lists", lambda t, p, A: (t, p, _object_cells(A, range(40), lambda: ["a"])),
     REFUSE, ("sensitive_features",)),
    ("groups-a-set", lambda t, p, A: (t, p, set(A)), REFUSE, ("sensitive_features",)),
    ("groups-3d", lambda t, p, A: (t, p, A.reshape(40, 1, 1)), REFUSE, ("sensitive_features",)),
    ("groups-frame-duplicate-columns",
     lambda t, p, A: (t, p, pd.DataFrame(np.column_stack([A, A]), columns=["s", "s"])), REFUSE,
     ("sensitive_features",)),
    ("groups-Int64-with-NA",
     lambda t, p, A: (t, p, pd.array(_object_cells((A == "a").astype(int), [3], None),
                                     dtype="Int64")), REFUSE, ("sensitive_features",)),
    ("groups-frame", lambda t, p, A: (t, p, pd.DataFrame({"s": A, "r": t % 2})), OK, ()),
    ("groups-2d", lambda t, p, A: (t, p, np.column_stack([A, A])), OK, ()),
    ("groups-one-group", lambda t, p, A: (t, p, np.full(40, "a")), OK, ()),
    ("groups-inf", lambda t, p, A: (t, p, np.where(A == "a", 0.0, np.inf)), OK, ()),
    ("groups-mixed-types", lambda t, p, A: (t, p, _object_cells(A, range(0, 40, 3), 1)), OK, ()),
    ("groups-categorical-unused",
     lambda t, p, A: (t, p, pd.Series(pd.Categorical(A, categories=["a", "b", "c"]))), OK, ()),
    ("one-class", lambda t, p, A: (np.zeros_like(t), p, A), OK, ()),
    ("text-labels", lambda t, p, A: (np.where(t, "yes", "no"), np.where(p, "yes", "no"), A), OK,
     ()),
    ("labels-of-two-kinds", lambda t, p, A: (np.where(t, "yes", "no"), p, A), EITHER,
     ("y_true", "y_pred")),
    ("huge-labels", lambda t, p, A: (t * 1e308, p * 1e308, A), OK, ()),
    ("read-only", lambda t, p, A: (_read_only(t), _read_only(p), _read_only(A)), OK, ()),
    ("series-with-other-indexes",
     lambda t, p, A: (_frame_of(t, range(100, 140)), _frame_of(p, range(40)),
                      _frame_of(A, range(40)[::-1])), OK, ()),
]

METRICS = {
    "deo_max": metrics.deo_max,
    "deo_mean": metrics.deo_mean,
    "worst_group_accuracy": metrics.worst_group_accuracy,
    "per_group_class_recall": metrics.per_group_class_recall,
}


def _metric_case(name):
    function = METRICS[name]

    def make(transform, expect, names):
        def inputs():
            y_true, y_pred, A = transform(*_metric_inputs())
            return {"y_true": y_true, "y_pred": y_pred, "sensitive_features": A}

        def check(result, inputs):
            # the rows are matched by position, whatever the pandas indexes say
            plain = {key: np.asarray(value) if isinstance(value, pd.Series) else value
                     for key, value in inputs.items()}
            if name == "per_group_class_recall":
                assert isinstance(result, pd.DataFrame) and len(result) >= 1
                values = result.to_numpy(dtype=float)
                assert np.isfinite(values[~np.isnan(values)]).all()
                assert ((values[~np.isnan(values)] >= 0) & (values[~np.isnan(values)] <= 1)).all()
                pd.testing.assert_frame_equal(result, function(**plain))
            else:
                assert isinstance(result, float) and 0.0 <= result <= 1.0
                assert result == function(**plain)

        return Case(inputs, function, expect, names, check)

    return make


@pytest.mark.parametrize("case", [
    param for name in METRICS for param in _params(METRIC_DATA, _metric_case(name), name + ":")])
def test_metrics(case):
    run_case(case)


def _report_case(estimators, X_test, y_test, A, expect, names):
    def inputs():
        X, y, groups = _base()
        values = {"X_test": X, "y_test": y, "sensitive_features": groups}
        overrides = {"X_test": X_test, "y_test": y_test, "sensitive_features": A}
        for key, transform in overrides.items():
            if transform is not None:
                values[key] = transform(values[key])
        return values

    def call(X_test, y_test, sensitive_features):
        models = estimators() if callable(estimators) else estimators
        return metrics.fairness_report(models, X_test, y_test,
                                       sensitive_features=sensitive_features)

    def check(report, inputs):
        assert isinstance(report, pd.DataFrame) and len(report) == 1
        values = report.to_numpy(dtype=float)
        assert np.isfinite(values).all() and ((values >= 0) & (values <= 1)).all()

    return Case(inputs, call, expect, names, check)


def _logistic():
    X, y, _ = _base()
    return LogisticRegression().fit(X, y)


REPORT = [
    ("plain", _logistic, None, None, None, OK, ()),
    ("estimators-None", None, None, None, None, REFUSE, ("estimators",)),
    ("estimators-str", "model", None, None, None, REFUSE, ("estimators",)),
    ("estimators-empty-dict", {}, None, None, None, REFUSE, ("estimators",)),
    ("estimators-list", lambda: [_logistic()], None, None, None, REFUSE, ("estimators",)),
    ("estimators-unfitted", LogisticRegression(), None, None, None, REFUSE,
     ("estimators", "LogisticRegression")),
    ("X_test-nan", _logistic, lambda X: _set(X, (3, 1), np.nan), None, None, REFUSE,
     ("X_test", "X")),
    ("X_test-2-features", _logistic, lambda X: X[:, :2], None, None, REFUSE, ("X_test", "X")),
    ("X_test-shorter", _logistic, lambda X: X[:-1], None, None, REFUSE, ("X_test", "y_test")),
    ("y_test-2d", _logistic, None, lambda y: np.column_stack([y, y]), None, REFUSE, ("y_test",)),
    ("y_test-shorter", _logistic, None, lambda y: y[:-1], None, REFUSE, ("y_test", "X_test")),
    ("y_test-None", _logistic, None, lambda y: None, None, REFUSE, ("y_test",)),
    ("groups-shorter", _logistic, None, None, lambda A: A[:-1], REFUSE, ("sensitive_features",)),
    ("groups-None", _logistic, None, None, lambda A: None, REFUSE, ("sensitive_features",)),
    ("groups-lists", _logistic, None, None, lambda A: _object_cells(A, range(40), lambda: [1]),
     REFUSE, ("sensitive_features",)),
    ("empty", _logistic, lambda X: X[:0], lambda y: y[:0], lambda A: A[:0], REFUSE,
     ("y_test", "X_test")),
]


@pytest.mark.parametrize("case", _params(REPORT, _report_case))
def test_fairness_report(case):
    run_case(case)


@pytest.mark.parametrize("metric", ["nope", None, 5, ["deo_max"], "DEO_MAX"])
def test_make_fairness_scorer_refuses_unknown_metrics(metric):
    run_case(Case(lambda: {"metric": metric}, metrics.make_fairness_scorer, REFUSE, ("metric",)))


# ------------------------------------------------------------------------- the encoder

def _table(n=8):
    return pd.DataFrame({
        "age": np.arange(20, 20 + 5 * n, 5),
        "job": np.array(["clerk", "nurse", "chef", "clerk"] * n)[:n],
        "hours": np.linspace(20.0, 45.0, n),
        "union": np.arange(n) % 3 == 0,
    })


def _with_column(**columns):
    def make():
        table = _table()
        for name, values in columns.items():
            table[name] = values
        return table

    return make


def _check_encoded(result, inputs):
    encoder = result
    X = inputs["X"]
    Z = encoder.transform(X)
    assert Z.shape == (len(X), len(encoder.get_feature_names_out()))
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    missing = int(frame[encoder.numeric_columns_].isna().to_numpy().sum())
    assert not np.isinf(Z).any() and int(np.isnan(Z).sum()) == missing
    decoded = encoder.inverse_transform(np.nan_to_num(Z))
    assert decoded.shape == frame.shape


# (id, inputs of fit -> X, expected, names)
ENCODER_FIT = [
    ("plain", _table, OK, ()),
    ("X-None", lambda: None, REFUSE, ("X",)),
    ("X-str", lambda: "a table", REFUSE, ("X",)),
    ("X-dict", lambda: {"age": [1, 2]}, REFUSE, ("X",)),
    ("X-1d", lambda: [1.0, 2.0, 3.0], REFUSE, ("X",)),
    ("X-3d", lambda: np.zeros((4, 2, 2)), REFUSE, ("X",)),
    ("X-ragged", lambda: [[1.0, 2.0], [3.0]], REFUSE, ("X",)),
    ("X-0-rows", lambda: _table().iloc[:0], REFUSE, ("X",)),
    ("X-0-columns", lambda: _table()[[]], REFUSE, ("X",)),
    ("X-1-row", lambda: _table().iloc[:1], OK, ()),
    ("X-list-of-lists", lambda: [[1.0, 2.0], [3.0, 4.0]], OK, ()),
    ("X-read-only-array", lambda: _read_only(np.arange(8.0).reshape(4, 2)), OK, ()),
    ("X-sparse", lambda: sp.csr_matrix(np.eye(3)), EITHER, ("X",)),
    ("duplicate-columns", lambda: _table().set_axis(["age", "job", "age", "union"], axis=1),
     REFUSE, ("X", "age")),
    ("list-column", _with_column(tags=[["a"]] * 8), REFUSE, ("tags",)),
    ("dict-column", _with_column(meta=[{"a": 1}] * 8), REFUSE, ("meta",)),
    ("numeric-nan", _with_column(hours=[np.nan] + [1.0] * 7), EITHER, ("hours", "X")),
    ("numeric-all-nan", _with_column(hours=[np.nan] * 8), EITHER, ("hours", "X")),
    ("numeric-inf", _with_column(hours=[np.inf] + [1.0] * 7), REFUSE, ("hours", "X")),
    ("numeric-1e308", _with_column(hours=[1e308, -1e308] + [1.0] * 6), EITHER, ("hours", "X")),
    ("text-nan", _with_column(job=["clerk", np.nan] * 4), OK, ()),
    ("text-and-numbers", _with_column(job=["clerk", 5] * 4), REFUSE, ("job",)),
    ("category-column", _with_column(job=pd.Categorical(["a", "b"] * 4)), OK, ()),
    ("Int64-with-NA", _with_column(age=pd.array([1, None] * 4, dtype="Int64")), EITHER,
     ("age", "X")),
    ("boolean-with-NA", _with_column(union=pd.array([True, None] * 4, dtype="boolean")),
     EITHER, ("union", "X")),
    ("datetime-column", _with_column(day=pd.date_range("2024-01-01", periods=8)), EITHER,
     ("day",)),
    ("mixed-column-names", lambda: _table().set_axis([0, "job", "hours", "union"], axis=1),
     EITHER, ("X",)),
]


def _encoder_fit_case(make, expect, names, **params):
    return Case(lambda: {"X": make()}, lambda X: TabularEncoder(**params).fit(X), expect,
                names, _check_encoded)


@pytest.mark.parametrize("case", _params(ENCODER_FIT, _encoder_fit_case))
def test_tabular_encoder_fit(case):
    run_case(case)


@pytest.mark.parametrize("params, names", [
    ({"categorical_columns": "job"}, ("categorical_columns",)),
    ({"categorical_columns": ["nope"]}, ("categorical_columns",)),
    ({"categorical_columns": 5}, ("categorical_columns",)),
    ({"categorical_columns": [["job"]]}, ("categorical_columns",)),
    ({"categorical_columns": {"job": 1}}, ("categorical_columns",)),
    ({"scale_numeric": "yes"}, ("scale_numeric",)),
    ({"scale_numeric": None}, ("scale_numeric",)),
    ({"clip_numeric": np.nan}, ("clip_numeric",)),
    ({"round_integers": "no"}, ("round_integers",)),
], ids=lambda value: _value_id(value) if isinstance(value, dict) else "")
def test_tabular_encoder_parameters(params, names):
    run_case(_encoder_fit_case(_table, REFUSE, names, **params))


def _fitted_encoder():
    return TabularEncoder().fit(_table())


def _check_transformed(Z, inputs):
    assert isinstance(Z, np.ndarray)
    assert Z.shape == (len(inputs["X"]), len(_fitted_encoder().get_feature_names_out()))
    _finite(Z)


ENCODER_TRANSFORM = [
    ("plain", _table, OK, ()),
    ("X-None", lambda: None, REFUSE, ("X",)),
    ("X-str", lambda: "rows", REFUSE, ("X",)),
    ("missing-column", lambda: _table().drop(columns="job"), REFUSE, ("job", "X")),
    ("renamed-columns", lambda: _table().set_axis(list("abcd"), axis=1), REFUSE, ("X", "age")),
    ("text-in-numeric-column", _with_column(hours=["long"] * 8), REFUSE, ("hours", "X")),
    ("unseen-category", _with_column(job=["pilot"] * 8), OK, ()),
    ("numeric-inf", _with_column(hours=[np.inf] * 8), REFUSE, ("hours", "X")),
    ("0-rows", lambda: _table().iloc[:0], EITHER, ("X",)),
    ("array-of-the-columns", lambda: _table().to_numpy(), OK, ()),
    ("array-of-other-width", lambda: _table().to_numpy()[:, :3], REFUSE, ("X",)),
]


@pytest.mark.parametrize("case", _params(ENCODER_TRANSFORM, lambda make, expect, names: Case(
    lambda: {"X": make()}, lambda X: _fitted_encoder().transform(X), expect, names,
    _check_transformed)))
def test_tabular_encoder_transform(case):
    run_case(case)


def _check_decoded(decoded, inputs):
    assert isinstance(decoded, pd.DataFrame) and list(decoded.columns) == list(_table().columns)
    assert len(decoded) == len(inputs["Z"])
    assert np.isfinite(decoded[["age", "hours"]].to_numpy(dtype=float)).all()


def _encoded(transform):
    return lambda: transform(_fitted_encoder().transform(_table()))


ENCODER_INVERSE = [
    ("plain", _encoded(lambda Z: Z), OK, ()),
    ("Z-None", lambda: None, REFUSE, ("Z",)),
    ("Z-str", lambda: "rows", REFUSE, ("Z",)),
    ("Z-1d", _encoded(lambda Z: Z[0]), REFUSE, ("Z",)),
    ("Z-3d", _encoded(lambda Z: Z[:, None, :]), REFUSE, ("Z",)),
    ("Z-wrong-columns", _encoded(lambda Z: Z[:, :-1]), REFUSE, ("Z",)),
    ("Z-nan", _encoded(lambda Z: _set(Z, (0, -1), np.nan)), REFUSE, ("Z",)),
    ("Z-nan-in-one-hot-block", _encoded(lambda Z: _set(Z, (0, 0), np.nan)), REFUSE, ("Z",)),
    ("Z-inf", _encoded(lambda Z: _set(Z, (0, -1), np.inf)), REFUSE, ("Z",)),
    ("Z-1e308", _encoded(lambda Z: Z * 1e308), OK, ()),
    ("Z-0-rows", _encoded(lambda Z: Z[:0]), EITHER, ("Z",)),
    ("Z-ragged", lambda: [[0.0] * 8, [0.0] * 7], REFUSE, ("Z",)),
    ("Z-read-only", _encoded(_read_only), OK, ()),
    ("Z-frame", _encoded(pd.DataFrame), OK, ()),
]


@pytest.mark.parametrize("case", _params(ENCODER_INVERSE, lambda make, expect, names: Case(
    lambda: {"Z": make()}, lambda Z: _fitted_encoder().inverse_transform(Z), expect, names,
    _check_decoded)))
def test_tabular_encoder_inverse_transform(case):
    run_case(case)


# ----------------------------------------------------------------------------- the data sets

def _check_generated(result, inputs):
    X, y, groups = result
    assert len(X) == len(y) == len(groups) > 0
    _finite(X)


def _loader_case(function, params, names, expect=REFUSE):
    return Case(lambda: {}, lambda: function(**params), expect, names, _check_generated)


def _loader_params(function, table, prefix):
    return [pytest.param(_loader_case(function, params, names, *rest), id=prefix + ":" + ",".join(
        f"{key}={_value_id(value)}" for key, value in params.items()))
        for params, names, *rest in table]


_MAKE_BIASED = [
    ({"n_samples": n}, ("n_samples",)) for n in (-1, 0, np.nan, "many", 1.5, 3, None)
] + [
    ({"n_features": n}, ("n_features",)) for n in (-1, 0, 3, np.nan)
] + [
    ({"n_classes": n}, ("n_classes",)) for n in (1, 0, np.nan, "two")
] + [
    ({"n_groups": n}, ("n_groups",)) for n in (0, -1, np.nan, 2.5)
] + [
    ({"group_imbalance": v}, ("group_imbalance",)) for v in (np.nan, 2, -0.5, 0, 1, "high")
] + [
    ({"group_separation": v}, ("group_separation",)) for v in (-1, np.inf, np.nan, "far")
] + [
    ({"class_sep": v}, ("class_sep",)) for v in (-1, np.inf, np.nan)
] + [
    ({"spurious": "yes"}, ("spurious",)), ({"test": 1}, ("test",)),
    ({"spurious_strength": 2}, ("spurious_strength",)),
    ({"spurious_strength": np.nan}, ("spurious_strength",)),
    ({"random_state": "seed"}, ("random_state",)), ({"random_state": -1}, ("random_state",)),
    ({"random_state": np.nan}, ("random_state",)),
    # huge but finite: the rows must stay finite, or be refused
    ({"class_sep": 1e308, "random_state": 0}, ("class_sep",), EITHER),
    ({"group_separation": 1e308, "random_state": 0}, ("group_separation",), EITHER),
    ({"n_samples": 8, "n_classes": 2, "n_groups": 4, "random_state": 0}, (), OK),
]

_DIGITS = [
    ({"mode": m}, ("mode",)) for m in ("pink", None, 5)
] + [
    ({"n_colors": n}, ("n_colors",)) for n in (0, 1, 11, np.nan, "three", 2.5)
] + [
    ({"bias": b}, ("bias",)) for b in (np.nan, 2, -1, "high")
] + [
    ({"split": "validation"}, ("split",)), ({"split": None}, ("split",)),
] + [
    ({"test_size": t}, ("test_size",)) for t in (0, 1, np.nan, "quarter", 2)
] + [
    ({"random_state": r}, ("random_state",)) for r in ("seed", -1, np.nan)
]

_ADULT = [
    ({"sensitive": s}, ("sensitive",)) for s in (None, 5, [], ["sex", "age"], "age", [["sex"]])
] + [
    ({"dropna": "yes"}, ("dropna",)), ({"include_sensitive": None}, ("include_sensitive",)),
]


@pytest.mark.parametrize("case", _loader_params(datasets.make_biased_classification,
                                                _MAKE_BIASED, "make_biased_classification")
                         + _loader_params(datasets.make_colored_digits, _DIGITS,
                                          "make_colored_digits")
                         + _loader_params(datasets.load_adult, _ADULT, "load_adult"))
def test_generators_and_adult(case):
    run_case(case)


# the files every image loader reads, by loader: (function, file names, extra arguments)
_FILE_LOADERS = {
    "mnist": (datasets.load_colored_mnist, ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")),
    "fashion": (datasets.load_colored_fashion_mnist,
                ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")),
    "cifar": (datasets.load_cifar10s, ("data_batch_1", "data_batch_2", "data_batch_3",
                                       "data_batch_4", "data_batch_5")),
}


def _folder_with(kind, content):
    """A folder holding every file ``kind`` needs, each with ``content`` (bytes)."""
    def make(tmp_path):
        for name in _FILE_LOADERS[kind][1]:
            (tmp_path / name).write_bytes(content)
        return tmp_path

    return make


def _idx_images_cut_short(tmp_path):
    """MNIST's two files, the images announcing 30 images of 28x28 and holding 10."""
    header = bytes([0, 0, 8, 3]) + (30).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    (tmp_path / "train-images-idx3-ubyte").write_bytes(header + bytes(10 * 784))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        bytes([0, 0, 8, 1]) + (30).to_bytes(4, "big") + bytes(range(30)))
    return tmp_path


def _gz_cut_short(tmp_path):
    for name in _FILE_LOADERS["mnist"][1]:
        data = gzip.compress(bytes([0, 0, 8, 1]) + (4000).to_bytes(4, "big") + bytes(4000))
        (tmp_path / (name + ".gz")).write_bytes(data[: len(data) // 2])
    return tmp_path


# (id, loader, path maker (tmp_path -> path), other arguments, names)
FILE_LOADER_CASES = [
    (f"{kind}:{case}", kind, make, params, names)
    for kind in _FILE_LOADERS
    for case, make, params, names in [
        ("path=None", lambda tmp: None, {}, ("path",)),
        ("path=5", lambda tmp: 5, {}, ("path",)),
        ("path=missing", lambda tmp: tmp / "nowhere", {}, ("path",)),
        ("path=a-file", lambda tmp: (tmp / "f.txt", (tmp / "f.txt").write_text("x"))[0], {},
         ("path",)),
        ("path=empty-folder", lambda tmp: tmp, {}, ("path",)),
        ("files=garbage", _folder_with(kind, bytes(range(256)) * 8), {},
         _FILE_LOADERS[kind][1]),
        ("files=empty", _folder_with(kind, b""), {}, _FILE_LOADERS[kind][1]),
        ("split=validation", lambda tmp: tmp, {"split": "validation"}, ("split",)),
        ("bias=nan", lambda tmp: tmp, {"bias": np.nan}, ("bias",)),
        ("n_per_class=0", lambda tmp: tmp, {"n_per_class": 0}, ("n_per_class",)),
        ("n_per_class=nan", lambda tmp: tmp, {"n_per_class": np.nan}, ("n_per_class",)),
        ("dtype=float64", lambda tmp: tmp, {"dtype": "float64"}, ("dtype",)),
        ("dtype=nonsense", lambda tmp: tmp, {"dtype": "nonsense"}, ("dtype",)),
        ("random_state=seed", lambda tmp: tmp, {"random_state": "seed"}, ("random_state",)),
    ]
] + [
    ("mnist:images-cut-short", "mnist", _idx_images_cut_short, {}, ("train-images-idx3-ubyte",)),
    ("mnist:gz-cut-short", "mnist", _gz_cut_short, {}, ("train-images-idx3-ubyte.gz",
                                                        "train-labels-idx1-ubyte.gz")),
    ("mnist:mode=pink", "mnist", lambda tmp: tmp, {"mode": "pink"}, ("mode",)),
] + [
    (f"cifar:color_classes={_value_id(value)}", "cifar", lambda tmp: tmp,
     {"color_classes": value}, ("color_classes",))
    for value in ([11], "13", [1, 1], [-1], [1.5], None)
]


@pytest.mark.parametrize("case_id, kind, make, params, names", FILE_LOADER_CASES,
                         ids=[row[0] for row in FILE_LOADER_CASES])
def test_image_loaders(case_id, kind, make, params, names, tmp_path):
    function = _FILE_LOADERS[kind][0]
    path = make(tmp_path)
    names = tuple(str(tmp_path / name) for name in names) + names
    run_case(Case(lambda: {"path": path}, lambda path: function(path=path, **params), REFUSE,
                  names))


# ---------------------------------------------------------------------------- model selection

def _fitted_search():
    if "search" not in _FITTED:
        X, y, _ = _base()
        clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
            alignment="none", **FAST))
        _FITTED["search"] = GridSearchCV(clf, {"distiller__n_per_class": [2, 3]}, cv=2).fit(X, y)
    return _FITTED["search"]


def _search_without_budget():
    X, y, _ = _base()
    return GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)


def _check_table(table, inputs):
    assert isinstance(table, pd.DataFrame) and table["budget"].tolist() == [2, 3]
    _finite(table.drop(columns="budget"))


# (id, search maker, keyword arguments, expected, names)
BUDGET_TABLE = [
    ("plain", _fitted_search, {}, OK, ()),
    ("search=None", lambda: None, {}, REFUSE, ("search",)),
    ("search=str", lambda: "grid", {}, REFUSE, ("search",)),
    ("search=unfitted-estimator", LogisticRegression, {}, REFUSE, ("search",)),
    ("search=unfitted-search", lambda: GridSearchCV(LogisticRegression(), {"C": [1.0]}), {},
     REFUSE, ("search", "GridSearchCV")),
    ("search=no-budget", _search_without_budget, {}, REFUSE, ("n_per_class", "param")),
    ("param=nope", _fitted_search, {"param": "nope"}, REFUSE, ("param",)),
    ("param=5", _fitted_search, {"param": 5}, REFUSE, ("param",)),
    ("param=list", _fitted_search, {"param": ["distiller__n_per_class"]}, REFUSE, ("param",)),
    ("flip=nope", _fitted_search, {"flip": ["nope"]}, REFUSE, ("flip",)),
    ("flip=5", _fitted_search, {"flip": 5}, REFUSE, ("flip",)),
    ("flip=nested", _fitted_search, {"flip": [["score"]]}, REFUSE, ("flip",)),
    ("flip=None-in-list", _fitted_search, {"flip": [None]}, REFUSE, ("flip",)),
]


@pytest.mark.parametrize("case", _params(BUDGET_TABLE, lambda make, params, expect, names: Case(
    lambda: {}, lambda: budget_search_table(make(), **params), expect, names, _check_table)))
def test_budget_search_table(case):
    run_case(case)


# ---------------------------------------------------------------------------------- plotting

@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _check_axes(ax, inputs):
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)


def _budget_results(**changes):
    def make():
        frame = pd.DataFrame({"method": ["COBRA"] * 3, "budget": [1, 10, 50],
                              "accuracy": [0.7, 0.8, 0.82], "deo_max": [0.2, 0.1, 0.1]})
        for column, values in changes.items():
            frame[column] = values
        return frame

    return make


# (id, function name, inputs maker -> dict, expected, names)
PLOTS = [
    ("budget:plain", "plot_budget_curve", lambda: {"results": _budget_results()()}, OK, ()),
    ("budget:results=None", "plot_budget_curve", lambda: {"results": None}, REFUSE,
     ("results",)),
    ("budget:results=list", "plot_budget_curve", lambda: {"results": [[1, 0.7, 0.2]]}, REFUSE,
     ("results",)),
    ("budget:results=dict", "plot_budget_curve",
     lambda: {"results": {"budget": [1], "accuracy": [0.7], "deo_max": [0.2]}}, REFUSE,
     ("results",)),
    ("budget:missing-columns", "plot_budget_curve",
     lambda: {"results": _budget_results()().drop(columns="deo_max")}, REFUSE,
     ("results", "deo_max")),
    ("budget:no-rows", "plot_budget_curve", lambda: {"results": _budget_results()().iloc[:0]},
     REFUSE, ("results",)),
    ("budget:text-budget", "plot_budget_curve",
     lambda: {"results": _budget_results(budget=["one", "ten", "fifty"])()}, REFUSE,
     ("budget", "results")),
    ("budget:text-accuracy", "plot_budget_curve",
     lambda: {"results": _budget_results(accuracy=["high"] * 3)()}, REFUSE,
     ("accuracy", "results")),
    ("budget:nan-accuracy", "plot_budget_curve",
     lambda: {"results": _budget_results(accuracy=[0.7, np.nan, 0.8])()}, EITHER,
     ("accuracy", "results")),
    ("budget:ax=str", "plot_budget_curve",
     lambda: {"results": _budget_results()(), "ax": "axes"}, REFUSE, ("ax",)),
    ("group:plain", "plot_group_accuracy", lambda: {"report": pd.DataFrame(
        {"accuracy[a]": [0.8], "accuracy[b]": [0.7]}, index=["m"])}, OK, ()),
    ("group:report=None", "plot_group_accuracy", lambda: {"report": None}, REFUSE, ("report",)),
    ("group:no-group-columns", "plot_group_accuracy",
     lambda: {"report": pd.DataFrame({"accuracy": [0.8]})}, REFUSE, ("report",)),
    ("group:no-rows", "plot_group_accuracy",
     lambda: {"report": pd.DataFrame({"accuracy[a]": [], "accuracy[b]": []})}, REFUSE,
     ("report",)),
    ("group:text-values", "plot_group_accuracy",
     lambda: {"report": pd.DataFrame({"accuracy[a]": ["high"]})}, REFUSE, ("report",)),
    ("group:ax=5", "plot_group_accuracy",
     lambda: {"report": pd.DataFrame({"accuracy[a]": [0.8]}), "ax": 5}, REFUSE, ("ax",)),
]


def _embedding_inputs(**changes):
    def make():
        X, _, A = _base()
        values = {"X": X, "sensitive_features": A, "X_syn": X[:4] + 0.1,
                  "y_syn": np.array([0, 0, 1, 1])}
        for name, change in changes.items():
            values[name] = change(values[name]) if callable(change) else change
        return values

    return make


EMBEDDING = [
    ("plain", {}, OK, ()),
    ("X=None", {"X": None}, REFUSE, ("X",)),
    ("X-1d", {"X": lambda X: X[:, 0]}, REFUSE, ("X",)),
    ("X-nan", {"X": lambda X: _set(X, (3, 1), np.nan)}, REFUSE, ("X",)),
    ("X-1-column", {"X": lambda X: X[:, :1], "X_syn": lambda X: X[:, :1]}, REFUSE, ("X",)),
    ("X-0-rows", {"X": lambda X: X[:0], "sensitive_features": lambda A: A[:0]}, REFUSE, ("X",)),
    ("X-ragged", {"X": _ragged}, REFUSE, ("X",)),
    ("X-sparse", {"X": sp.csr_matrix}, EITHER, ("X",)),
    ("X-read-only", {"X": _read_only}, OK, ()),
    ("X_syn=None", {"X_syn": None}, REFUSE, ("X_syn",)),
    ("X_syn-2-features", {"X_syn": lambda X: X[:, :2]}, REFUSE, ("X_syn",)),
    ("X_syn-inf", {"X_syn": lambda X: _set(X, (0, 0), np.inf)}, REFUSE, ("X_syn",)),
    ("groups=None", {"sensitive_features": None}, REFUSE, ("sensitive_features",)),
    ("groups-shorter", {"sensitive_features": lambda A: A[:-1]}, REFUSE,
     ("sensitive_features",)),
    ("groups-lists", {"sensitive_features": lambda A: _object_cells(A, range(40),
                                                                    lambda: [1])},
     REFUSE, ("sensitive_features",)),
    ("y_syn-shorter", {"y_syn": lambda y: y[:-1]}, REFUSE, ("y_syn",)),
    ("y_syn-str", {"y_syn": "class"}, REFUSE, ("y_syn",)),
    ("max_points=0", {"max_points": 0}, REFUSE, ("max_points",)),
    ("max_points=-1", {"max_points": -1}, REFUSE, ("max_points",)),
    ("max_points=nan", {"max_points": np.nan}, REFUSE, ("max_points",)),
    ("max_points=5", {"max_points": 5}, OK, ()),
    ("random_state=seed", {"random_state": "seed", "max_points": 5}, REFUSE, ("random_state",)),
    ("ax=str", {"ax": "axes"}, REFUSE, ("ax",)),
]


def _fitted_distiller():
    if "distiller" not in _FITTED:
        X, y, A = _base()
        _FITTED["distiller"] = FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    return _FITTED["distiller"]


LOSS = [
    ("plain", lambda: {"distiller": _fitted_distiller()}, OK, ()),
    ("distiller=None", lambda: {"distiller": None}, REFUSE, ("distiller",)),
    ("distiller=str", lambda: {"distiller": "cobra"}, REFUSE, ("distiller",)),
    ("distiller=unfitted", lambda: {"distiller": FairDistiller()}, REFUSE, ("distiller",)),
    ("ax=str", lambda: {"distiller": _fitted_distiller(), "ax": "axes"}, REFUSE, ("ax",)),
]

PLOT_CASES = PLOTS + [
    (f"embedding:{case}", "plot_embedding", _embedding_inputs(**changes), expect, names)
    for case, changes, expect, names in EMBEDDING
] + [(f"loss:{case}", "plot_loss", make, expect, names) for case, make, expect, names in LOSS]


@pytest.mark.parametrize("case", _params(PLOT_CASES, lambda name, make, expect, names: Case(
    make, lambda **inputs: getattr(__import__("skfairdistill.plotting").plotting, name)(
        **inputs), expect, names, _check_axes)))
def test_plotting(case, pyplot):
    run_case(case)


# --------------------------------------------------------------------------------- evaluation

def _evaluation_inputs(**changes):
    def make():
        X, y, A = _base()
        values = {"X_train": X[:20], "y_train": y[:20], "X_test": X[20:], "y_test": y[20:],
                  "sensitive_features": A[20:]}
        for name, change in changes.items():
            values[name] = change(values[name]) if callable(change) else change
        return values

    return make


def _check_evaluation(result, inputs):
    assert isinstance(result, SyntheticEvaluation) and result.accuracy.shape == (1,)
    for scores in (result.accuracy, result.deo_max, result.deo_mean):
        assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()


QUICK = dict(network="mlp", n_models=1, n_epochs=1, device="cpu", random_state=0)

# (id, changes of the inputs, options, expected, names)
EVALUATION = [
    ("plain", {}, {}, OK, ()),
    ("read-only", {name: _read_only for name in ("X_train", "y_train", "X_test", "y_test",
                                                 "sensitive_features")}, {}, OK, ()),
    ("frames", {"X_train": _frame, "X_test": _frame, "y_train": pd.Series,
                "sensitive_features": pd.Series}, {}, OK, ()),
    ("X_train=None", {"X_train": None}, {}, REFUSE, ("X_train",)),
    ("X_train=str", {"X_train": "rows"}, {}, REFUSE, ("X_train",)),
    ("X_train-1d", {"X_train": lambda X: X[:, 0]}, {}, REFUSE, ("X_train",)),
    ("X_train-0-rows", {"X_train": lambda X: X[:0], "y_train": lambda y: y[:0]}, {}, REFUSE,
     ("X_train", "y_train")),
    ("X_train-nan", {"X_train": lambda X: _set(X, (3, 1), np.nan)}, {}, REFUSE, ("X_train",)),
    ("X_train-inf", {"X_train": lambda X: _set(X, (3, 1), np.inf)}, {}, REFUSE, ("X_train",)),
    ("X_train-1e308", {"X_train": lambda X: _set(X, (3, 1), 1e308)}, {}, EITHER,
     ("X_train", "learning_rate")),
    ("X_train-ragged", {"X_train": _ragged}, {}, REFUSE, ("X_train",)),
    ("X_train-text", {"X_train": lambda X: _object_cells(X, [(3, 1)], "abc")}, {}, REFUSE,
     ("X_train",)),
    ("X_train-sparse", {"X_train": sp.csr_matrix}, {}, EITHER, ("X_train",)),
    ("X_train-shorter", {"X_train": lambda X: X[:-1]}, {}, REFUSE, ("X_train", "y_train")),
    ("X_test-2-features", {"X_test": lambda X: X[:, :2]}, {}, REFUSE, ("X_test", "X_train")),
    ("X_test-nan", {"X_test": lambda X: _set(X, (3, 1), np.nan)}, {}, REFUSE, ("X_test",)),
    ("y_train-one-class", {"y_train": np.zeros(20, dtype=int)}, {}, REFUSE, ("y_train",)),
    ("y_train-nan", {"y_train": lambda y: _set(y, 3, np.nan, float)}, {}, REFUSE, ("y_train",)),
    ("y_train-continuous", {"y_train": lambda y: y + 0.5 * np.arange(20)}, {}, REFUSE,
     ("y_train",)),
    ("y_train-None", {"y_train": None}, {}, REFUSE, ("y_train",)),
    ("y_test-unseen-class", {"y_test": lambda y: _set(y, 3, 7)}, {}, REFUSE, ("y_test",)),
    ("y_test-shorter", {"y_test": lambda y: y[:-1]}, {}, REFUSE, ("y_test", "X_test")),
    ("groups=None", {"sensitive_features": None}, {}, REFUSE, ("sensitive_features",)),
    ("groups=str", {"sensitive_features": "sex"}, {}, REFUSE, ("sensitive_features",)),
    ("groups-shorter", {"sensitive_features": lambda A: A[:-1]}, {}, REFUSE,
     ("sensitive_features",)),
    ("groups-nan", {"sensitive_features": lambda A: _object_cells(A, [3], np.nan)}, {}, REFUSE,
     ("sensitive_features",)),
    ("groups-lists", {"sensitive_features": lambda A: _object_cells(A, range(20), lambda: [1])},
     {}, REFUSE, ("sensitive_features",)),
    ("learning_rate=1e308", {}, {"learning_rate": 1e308}, EITHER, ("learning_rate",)),
    ("image_shape=(2, 2)", {}, {"image_shape": (2, 2)}, REFUSE, ("image_shape",)),
    ("image_shape=str", {}, {"image_shape": "3x1"}, REFUSE, ("image_shape",)),
    ("network=nope", {}, {"network": "nope"}, REFUSE, ("network",)),
    ("network=convnet-for-a-table", {}, {"network": "convnet"}, REFUSE, ("network",)),
    ("augmentation=bogus", {}, {"augmentation": "bogus"}, REFUSE, ("augmentation", "bogus")),
    ("augmentation=5", {}, {"augmentation": 5}, REFUSE, ("augmentation",)),
    ("device=nope", {}, {"device": "nope"}, REFUSE, ("device",)),
] + [
    (f"{option}={_value_id(value)}", {}, {option: value}, REFUSE, (option,))
    for option, values in {
        "n_models": (0, -1, np.nan, "five"), "n_epochs": (0, -1, np.nan, 1.5),
        "learning_rate": (0, -1, np.nan, np.inf, "fast"), "batch_size": (0, -1, np.nan),
        "n_threads": (0, -1, "many"), "random_state": ("seed", -1, np.nan),
        "verbose": (-1, np.nan),
    }.items()
    for value in values
]


@pytest.mark.parametrize("case", _params(EVALUATION, lambda changes, options, expect, names: Case(
    _evaluation_inputs(**changes), lambda **inputs: evaluate_synthetic(
        **inputs, **{**QUICK, **options}), expect, names, _check_evaluation)))
def test_evaluate_synthetic(case):
    run_case(case)


# --------------------------------------------------------------------------- the command line

def _cli_frame(**changes):
    frame = make_small_table(n=60)
    for column, values in changes.items():
        frame[column] = values
    return frame


def _csv(frame=None, name="data.csv", **to_csv):
    def make(tmp_path):
        path = tmp_path / name
        (_cli_frame() if frame is None else frame() if callable(frame) else frame).to_csv(
            path, index=False, **to_csv)
        return path

    return make


def _raw(content, name="data.csv"):
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(content(tmp_path) if callable(content) else content)
        return path

    return make


def _csv_bytes(fraction):
    return lambda tmp: _cli_frame().to_csv(index=False).encode()[
        : int(len(_cli_frame().to_csv(index=False)) * fraction)]


def _parquet(frame=None, cut=None, name="data.parquet"):
    def make(tmp_path):
        path = tmp_path / name
        pytest.importorskip("pyarrow")
        (_cli_frame() if frame is None else frame()).to_parquet(path)
        if cut is not None:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * cut)])
        return path

    return make


def _gz(content):
    return _raw(lambda tmp: content, name="data.csv.gz")


def _unwritable_folder(tmp_path):
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder / "out.csv"
    return Path("/sys") / "skfairdistill-out.csv"  # not writable, even for root


# (id, data maker, out maker (tmp_path -> path) or None, extra options, expected, names)
CLI = [
    # damaged or odd files
    ("truncated-csv", _raw(_csv_bytes(0.6)), None, [], EITHER, ("data.csv",)),
    ("csv-cut-in-its-header", _raw(_csv_bytes(0.01)), None, [], REFUSE,
     ("data.csv", "label", "sex")),
    ("binary-garbage", _raw(bytes(np.random.default_rng(0).integers(0, 256, 4096,
                                                                    dtype=np.uint8))),
     None, [], REFUSE, ("data.csv",)),
    ("nul-bytes", _raw(bytes(4096)), None, [], REFUSE, ("data.csv",)),
    ("empty-file", _raw(b""), None, [], REFUSE, ("data.csv",)),
    ("header-only", _raw(b"age,sex,hours,label\n"), None, [], REFUSE, ("data.csv",)),
    ("semicolon-delimited", _csv(sep=";"), None, [], REFUSE, ("data.csv", "label", "sex")),
    ("tab-delimited", _csv(sep="\t"), None, [], REFUSE, ("data.csv", "label", "sex")),
    ("latin-1-text", _raw(lambda tmp: _cli_frame(sex=["Fé", "Mà"] * 30).to_csv(
        index=False).encode("latin-1")), None, [], EITHER, ("data.csv",)),
    ("gz-not-gzip", _gz(b"age,sex,label\n1,F,0\n"), None, [], REFUSE, ("data.csv.gz",)),
    ("gz-cut-short", _gz(gzip.compress(_cli_frame().to_csv(index=False).encode())[:200]),
     None, [], REFUSE, ("data.csv.gz",)),
    ("parquet-cut-short", _parquet(cut=0.5), None, [], REFUSE, ("data.parquet",)),
    ("parquet-of-garbage", _raw(b"PAR1" + bytes(range(256)) * 4, name="data.parquet"), None,
     [], REFUSE, ("data.parquet",)),
    ("csv-named-parquet", _csv(name="data.parquet"), None, [], REFUSE, ("data.parquet",)),
    ("parquet-list-column", _parquet(lambda: _cli_frame(tags=[["a", "b"]] * 60)), None, [],
     REFUSE, ("tags",)),
    ("parquet-struct-column", _parquet(lambda: _cli_frame(meta=[{"a": 1}] * 60)), None, [],
     REFUSE, ("meta",)),
    ("missing-file", lambda tmp: tmp / "nowhere.csv", None, [], REFUSE, ("nowhere.csv",)),
    ("directory-as-data", lambda tmp: (tmp / "d.csv", (tmp / "d.csv").mkdir())[0], None, [],
     REFUSE, ("DATA", "d.csv")),
    ("unknown-extension", _csv(name="data.txt"), None, [], REFUSE, ("DATA", "data.txt")),
    # the output
    ("directory-as-out", _csv(), lambda tmp: (tmp / "o.csv", (tmp / "o.csv").mkdir())[0], [],
     REFUSE, ("--out",)),
    ("out-folder-missing", _csv(), lambda tmp: tmp / "none" / "o.csv", [], REFUSE, ("--out",)),
    ("out-folder-is-a-file", _csv(), lambda tmp: tmp / "data.csv" / "o.csv", [], REFUSE,
     ("--out",)),
    ("out-folder-unwritable", _csv(), _unwritable_folder, [], REFUSE,
     ("--out", "skfairdistill-out.csv", "out.csv")),
    ("out-unknown-extension", _csv(), lambda tmp: tmp / "o.txt", [], REFUSE, ("--out",)),
    ("out-is-the-input", _csv(), lambda tmp: tmp / "." / "data.csv", ["--overwrite"], REFUSE,
     ("--out",)),
    # the table's content
    ("one-class", _csv(lambda: _cli_frame(label=0)), None, [], REFUSE, ("label",)),
    ("one-row", _csv(lambda: _cli_frame().iloc[:1]), None, [], REFUSE, ("data.csv",)),
    ("target-all-blank", _csv(lambda: _cli_frame(label=np.nan)), None, [], REFUSE,
     ("data.csv", "label")),
    ("sensitive-all-blank", _csv(lambda: _cli_frame(sex=np.nan)), None, [], REFUSE,
     ("data.csv", "sex")),
    ("inf-in-a-column", _csv(lambda: _cli_frame(hours=[np.inf] + [40.0] * 59)), None, [],
     REFUSE, ("data.csv", "hours")),
    ("1e308-in-a-column", _csv(lambda: _cli_frame(hours=[1e308, -1e308] + [40.0] * 58)), None,
     [], EITHER, ("data.csv", "hours")),
    ("duplicate-header", _raw(b"age,sex,age,label\n" + b"".join(
        f"{20 + i},{'FM'[i % 2]},{i},{i % 2}\n".encode() for i in range(60))), None, [], EITHER,
     ("data.csv", "age")),
    ("no-feature-column", _csv(lambda: _cli_frame()[["sex", "label"]]), None, [], REFUSE,
     ("data.csv", "--features", "feature")),
    ("a-class-per-row", _csv(lambda: _cli_frame(label=np.arange(60))), None, [], REFUSE,
     ("label", "--target")),
    # options
    *[(f"option{option}={value}", _csv(), None, [option, value], REFUSE, (option,))
      for option, value in [("--n-per-class", "0"), ("--n-per-class", "-1"),
                            ("--n-per-class", "ten"), ("--n-iter", "0"), ("--threads", "0"),
                            ("--batch-rows", "0"), ("--device", "nope"),
                            ("--alignment", "median"), ("--random-state", "seed")]],
    ("option--random-state=-1", _csv(), None, ["--random-state", "-1"], REFUSE,
     ("--random-state", "random_state")),
    ("option--random-state=2**40", _csv(), None, ["--random-state", str(2**40)], REFUSE,
     ("--random-state", "random_state")),
    ("option--n-per-class=10**9", _csv(), None, ["--n-per-class", str(10**9)], REFUSE,
     ("--n-per-class", "n_per_class")),
    ("option--features=nope", _csv(), None, ["--features", "nope"], REFUSE, ("--features",)),
    ("option--drop=everything", _csv(), None, ["--drop", "age,hours"], REFUSE,
     ("--drop", "--features")),
]


def _cli_run(capsys, data, out, extra):
    """Exit status and stderr of ``distill``; an exception escaping it is a traceback."""
    argv = [str(data), out, *extra]
    try:
        code = cli_distill(*argv)
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


def _count_rows(path):
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    numbers = frame.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numbers).all(), "non-finite synthetic values were written"
    return len(frame)


@pytest.mark.parametrize(
    "make_data, make_out, extra, expect, names",
    [pytest.param(*row[1:6], id=row[0], marks=row[6] if len(row) > 6 else ()) for row in CLI])
def test_command_line(make_data, make_out, extra, expect, names, tmp_path, capsys):
    data = make_data(tmp_path)
    out = make_out(tmp_path) if make_out is not None else tmp_path / "synthetic.csv"
    before = data.read_bytes() if data.is_file() else None
    try:
        code, err = _cli_run(capsys, data, out, extra)
    finally:
        if out.parent.name == "read-only":
            out.parent.chmod(0o755)
    if before is not None:
        assert data.read_bytes() == before, "the input file was modified"
    assert "Traceback" not in err
    if out.parent.is_dir():
        assert not list(out.parent.glob(".skfairdistill-*")), "a temporary file was left"
    if code == 0:
        assert expect != REFUSE, f"accepted, but it must be refused; stderr: {err}"
        assert _count_rows(out) == 6  # 3 per class
        OUTCOMES["worked"] += 1
        return
    assert expect != OK, err
    assert code in (1, 2), code
    message = err.partition("error: ")[2].strip()
    assert message, err
    assert not [fragment for fragment in FOREIGN if fragment in message], message
    assert _names(message, names), f"the message names none of {names}: {message}"
    if out.name != "data.csv" and not out.is_dir():
        assert not out.exists(), "an output file was left behind"
    OUTCOMES["refused"] += 1


# ------------------------------------------- crashes: each case in a child process of its own

def _cut_map(folder, array, name="X.npy"):
    """``array`` saved and memory-mapped, then its file cut to 4 KiB: reading past is SIGBUS."""
    path = os.path.join(folder, name)
    np.save(path, array)
    mapped = np.load(path, mmap_mode="r")
    os.truncate(path, 4096)
    return mapped


def _crash_data():
    return make_grouped_data(n_samples=2000, n_features=4, seed=0)


def _crash_fit(part):
    def run(folder):
        X, y, A = _crash_data()
        values = {"X": X, "y": y, "A": (A == "a").astype(np.int64)}
        values[part] = _cut_map(folder, values[part])
        FairDistiller(**FAST).fit(values["X"], values["y"], sensitive_features=values["A"])

    return run


def _crash_fit_tail(folder):
    """A view of rows that all lie past the cut: its own size fits in what is left."""
    X, y, A = _crash_data()
    mapped = _cut_map(folder, X)
    FairDistiller(**FAST).fit(mapped[1900:], y[1900:], sensitive_features=A[1900:])


def _crash_fit_images(folder):
    X, y, A = make_grouped_data(n_samples=200, n_features=192, seed=0)
    images = _cut_map(folder, X.reshape(200, 3, 8, 8).astype(np.float32))
    FairDistiller(**FAST).fit(images, y, sensitive_features=A)


def _crash_classifier_fit(folder):
    X, y, A = _crash_data()
    DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST)).fit(
        _cut_map(folder, X), y, sensitive_features=A)


def _crash_classifier_predict(folder):
    X, y, A = _crash_data()
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST)).fit(
        X, y, sensitive_features=A)
    clf.predict(_cut_map(folder, X))


def _crash_encoder_fit(folder):
    X, _, _ = _crash_data()
    TabularEncoder().fit(_cut_map(folder, X))


def _crash_encoder_inverse(folder):
    X, _, _ = _crash_data()
    TabularEncoder().fit(X).inverse_transform(_cut_map(folder, X))


def _crash_metric(folder):
    X, y, A = _crash_data()
    metrics.deo_max(_cut_map(folder, y), y, sensitive_features=A)


def _crash_report(folder):
    X, y, A = _crash_data()
    metrics.fairness_report(LogisticRegression().fit(X, y), _cut_map(folder, X), y,
                            sensitive_features=A)


def _crash_evaluation(part):
    def run(folder):
        X, y, A = _crash_data()
        values = {"X_train": X[:1000], "y_train": y[:1000], "X_test": X, "y_test": y}
        values[part] = _cut_map(folder, values[part])
        evaluate_synthetic(**values, sensitive_features=A, **QUICK)

    return run


def _crash_plot_embedding(folder):
    import matplotlib

    matplotlib.use("Agg")
    from skfairdistill.plotting import plot_embedding

    X, y, A = _crash_data()
    plot_embedding(_cut_map(folder, X), A, X[:4])


def _crash_cli(make_data):
    """The command line on a damaged file: its exit status and what it wrote on stderr."""
    def run(folder):
        data = make_data(Path(folder))
        try:
            code = cli_distill(data, Path(folder) / "out.csv")
        except SystemExit as exit:
            code = exit.code
        sys.stderr.flush()
        return {"code": code, "stderr": (Path(folder) / "stderr").read_text(),
                "out": (Path(folder) / "out.csv").exists()}

    return run


#: name -> (function(folder), names the message must name, marks)
CRASH_CASES = {
    "FairDistiller.fit:X": (_crash_fit("X"), ("X", "X.npy"), ()),
    "FairDistiller.fit:X[1900:]": (_crash_fit_tail, ("X",), ()),
    "FairDistiller.fit:images": (_crash_fit_images, ("X",), ()),
    "FairDistiller.fit:y": (_crash_fit("y"), ("y",), ()),
    "FairDistiller.fit:sensitive_features": (_crash_fit("A"), ("sensitive_features",), ()),
    "DistilledClassifier.fit:X": (_crash_classifier_fit, ("X",), ()),
    "DistilledClassifier.predict:X": (_crash_classifier_predict, ("X",), ()),
    "TabularEncoder.fit:X": (_crash_encoder_fit, ("X",), ()),
    "TabularEncoder.inverse_transform:Z": (_crash_encoder_inverse, ("Z",), ()),
    "deo_max:y_true": (_crash_metric, ("y_true",), ()),
    "fairness_report:X_test": (_crash_report, ("X_test",), ()),
    "evaluate_synthetic:X_train": (_crash_evaluation("X_train"), ("X_train",), ()),
    "evaluate_synthetic:X_test": (_crash_evaluation("X_test"), ("X_test",), ()),
    "evaluate_synthetic:y_test": (_crash_evaluation("y_test"), ("y_test",), ()),
    "plot_embedding:X": (_crash_plot_embedding, ("X",), ()),
    "cli:binary-garbage": (_crash_cli(_raw(bytes(range(256)) * 16)), ("data.csv",), ()),
    "cli:parquet-cut-short": (_crash_cli(_parquet(cut=0.5)), ("data.parquet",), ()),
}

# Runs in a fresh interpreter: imports this module once, then forks a child per case, so
# that a case killed by a signal is seen as such and the others still run.
_DRIVER = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import test_hostile_inputs as battery
results = {}
for index, name in enumerate(sys.argv[3:]):
    folder = os.path.join(sys.argv[2], str(index))
    os.makedirs(folder)
    record = os.path.join(folder, "record.json")
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.path.join(folder, "stderr"), os.O_WRONLY | os.O_CREAT), 2)
        try:
            value = battery.CRASH_CASES[name][0](folder)
            outcome = {"outcome": "returned", "value": value}
        except BaseException as error:
            outcome = {"outcome": "raised", "type": type(error).__name__,
                       "bases": [kind.__name__ for kind in type(error).__mro__],
                       "message": str(error)}
        with open(record, "w") as handle:
            json.dump(outcome, handle, default=repr)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        results[name] = {"outcome": "signal", "signal": os.WTERMSIG(status)}
    elif os.path.exists(record):
        with open(record) as handle:
            results[name] = json.load(handle)
    else:
        results[name] = {"outcome": "no record", "status": status}
print(json.dumps(results))
"""


@pytest.fixture(scope="module", autouse=True)
def _crash_driver(request, tmp_path_factory):
    """The process of the crash cases, started with the module: it runs beside the others."""
    selected = any(item.module is request.module and item.name.startswith("test_no_crash")
                   for item in request.session.items)
    if not selected or not hasattr(os, "fork"):
        yield None
        return
    folder = tmp_path_factory.mktemp("crashes")
    process = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(Path(__file__).parent), str(folder),
         *CRASH_CASES], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    yield process
    if process.poll() is None:  # the module stopped early
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def crash_results(_crash_driver):
    """Every crash case run in its own child process; their outcomes by name."""
    if _crash_driver is None:
        pytest.skip("needs os.fork")
    out, err = _crash_driver.communicate(timeout=300)
    assert _crash_driver.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("name", [pytest.param(name, marks=marks, id=name)
                                  for name, (_, _, marks) in CRASH_CASES.items()])
def test_no_crash(name, crash_results):
    result = crash_results[name]
    names = CRASH_CASES[name][1]
    assert result["outcome"] != "signal", f"killed by signal {result.get('signal')}"
    if name.startswith("cli:"):
        assert result["outcome"] == "returned", result
        value = result["value"]
        assert value["code"] in (1, 2) and "Traceback" not in value["stderr"], value
        message = value["stderr"].partition("error: ")[2]
        assert _names(message, names) and not value["out"], value
    else:
        assert result["outcome"] == "raised", result
        assert {"ValueError", "TypeError", "OSError"} & set(result["bases"]), result
        message = result["message"]
        assert not [fragment for fragment in FOREIGN if fragment in message], message
        assert _names(message, names), f"the message names none of {names}: {message}"
    OUTCOMES["refused"] += 1


# ------------------------------------------------------------ the checks the refusals rely on

def test_check_memory_map_measures_where_a_view_ends(tmp_path):
    from skfairdistill._checks import check_memory_map

    mapped = _cut_map(tmp_path, np.arange(4000.0).reshape(1000, 4))  # 127 rows left
    check_memory_map("X", mapped[:100])  # within what is left: read as usual
    check_memory_map("X", np.asarray(mapped[10:20]))
    check_memory_map("X", np.arange(3.0))  # not a map
    for view in (mapped, mapped[900:], np.asarray(mapped)[500:], mapped[:, 1], mapped.T):
        with pytest.raises(ValueError, match="^X is a memory map of .*X.npy', but the file "
                                             "holds 4096 bytes .* cut short"):
            check_memory_map("X", view)


@pytest.mark.parametrize("value, message", [
    (None, "^X must be a 2-D array of numbers \\(rows, features\\); got None"),
    ("rows", "^X must be a 2-D array of numbers .*; got str"),
    ([[1.0, 2.0], [3.0]], "^X must be rectangular: its rows have different lengths"),
    ([1.0, 2.0], "^X must be a 2-D array of finite numbers .*: Expected 2D array, got 1D"),
    (np.zeros((0, 2)), "^X must be a 2-D array of finite numbers .*Found array with 0 sample"),
    (np.array([[np.nan]]), "^Input X contains NaN"),  # scikit-learn's message names X
])
def test_check_rows_names_the_argument(value, message):
    from skfairdistill._checks import check_rows

    with pytest.raises((TypeError, ValueError), match=message):
        check_rows("X", value, dtype=np.float64)


@pytest.mark.parametrize("value", ["yes", None, 1, np.nan])
def test_check_bool(value):
    from skfairdistill._checks import check_bool

    with pytest.raises(ValueError, match="^flag must be True or False; got "):
        check_bool("flag", value)
    assert check_bool("flag", np.bool_(True)) is True
