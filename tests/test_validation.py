"""Checks and conversions of the data FairDistiller is given (skfairdistill._data.validation).

Bad ``X`` and ``y`` fail before the matching loop with an error that names the argument
and the fix, and leave no fitted attributes behind; awkward but valid dtypes work; the
warnings about absent groups stay short. (Sparse X, accepted, and its bad forms:
test_sparse.py.)
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skfairdistill import FairDistiller
from skfairdistill._data.validation import (
    as_chw,
    check_classification_target,
    check_finite_rows,
    flatten_images,
    in_unit_range,
    non_numeric_columns,
)

from conftest import assert_refused, make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _data(n_samples=120, **kwargs):
    return make_grouped_data(n_samples=n_samples, **kwargs)


# --------------------------------------------------------------------------- clear errors


def _bad_inputs():
    """(id, build(X, y, A) -> (X, y, A), exception, message regex)."""

    def frame(X):
        return pd.DataFrame(X, columns=["age", "hours", "gain", "loss"])

    def with_column(X, name, values):
        out = frame(X)
        out[name] = values
        return out

    def nullable_with_na(X, y, A):
        out = frame(X).astype({"age": "Float64", "gain": "Float64"})
        out.loc[4, "gain"] = pd.NA
        return out, y, A

    return [
        # X
        ("X-nan-frame", lambda X, y, A: (frame(X).mask(frame(X) > 2.5), y, A),
         ValueError, "X contains NaN"),
        ("X-neg-inf-list", lambda X, y, A: ([[-np.inf, *r[1:]] for r in X.tolist()], y, A),
         ValueError, "X contains infinity"),
        ("X-nullable-pd.NA", nullable_with_na, ValueError, "X contains NaN"),
        ("X-string-column",
         lambda X, y, A: (with_column(X, "city", np.where(y == 0, "Oslo", "Rome")), y, A),
         ValueError, r"X has non-numeric columns \['city'\].*OneHotEncoder.*ColumnTransformer"),
        ("X-categorical-column",
         lambda X, y, A: (with_column(X, "job", pd.Categorical(np.where(y, "a", "b"))), y, A),
         ValueError, r"non-numeric columns \['job'\].*OneHotEncoder"),
        ("X-datetime-column",
         lambda X, y, A: (with_column(X, "day", pd.date_range("2024", periods=len(y))), y, A),
         TypeError, r"non-numeric columns \['day'\]"),
        ("X-string-array",
         lambda X, y, A: (np.c_[X.astype(str), np.where(y, "x", "y")], y, A),
         ValueError, r"X has non-numeric columns \[4\]"),
        # y
        ("y-continuous", lambda X, y, A: (X, X[:, 0], A),
         ValueError, r"y is 'continuous'.*KBinsDiscretizer"),
        ("y-multioutput", lambda X, y, A: (X, np.c_[y, (np.arange(len(y)) // 2) % 3], A),
         ValueError, "y is multioutput"),
        ("y-multilabel", lambda X, y, A: (X, np.c_[y, y], A), ValueError, "y is multilabel"),
        ("y-with-None", lambda X, y, A: (X, np.where(y, "p", None).astype(object), A),
         ValueError, r"y is 'unknown'.*missing values"),
    ]


@pytest.mark.parametrize(
    "build, exception, message", [case[1:] for case in _bad_inputs()],
    ids=[case[0] for case in _bad_inputs()],
)
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, build, exception, message):
    X, y, A = build(*_data())
    distiller = FairDistiller(**{**FAST, "device": "auto"})
    assert_refused(distiller, X, y, A, exception, message)


@pytest.mark.parametrize("bad, message", [(np.nan, "^Input X contains NaN"),
                                          (np.inf, "^Input X contains infinity")],
                         ids=["nan", "inf"])
def test_non_finite_x_raises(grouped_data, bad, message):
    X, y, A = grouped_data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        FairDistiller(n_iter=20, random_state=0).fit(X, y, sensitive_features=A)


def test_rejected_inputs_are_not_modified():
    X, y, A = _data()
    frame = pd.DataFrame(X, columns=list("abcd")).assign(city=np.where(y, "Oslo", "Rome"))
    copies = frame.copy(), y.copy(), A.copy()
    with pytest.raises(ValueError, match="non-numeric"):
        FairDistiller(**FAST).fit(frame, y, sensitive_features=A)
    pd.testing.assert_frame_equal(frame, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(A, copies[2])


@pytest.mark.parametrize("categories", [[1, 2, 3], [0.5, 1.5, 2.5]])
def test_categorical_columns_of_numbers_are_refused(categories, no_long_work):
    X, y, A = _data()
    frame = pd.DataFrame(X).rename(columns=str)
    frame["level"] = pd.Categorical(np.resize(categories, len(y)))
    with pytest.raises(ValueError, match=r"categorical .* columns of numbers \['level'\].*"
                                         r"OneHotEncoder.*astype"):
        FairDistiller(**FAST).fit(frame, y, sensitive_features=A)


def test_five_axes_are_refused_before_any_work(no_long_work):
    rng = np.random.default_rng(0)
    X = rng.random((60, 1, 3, 6, 6), dtype=np.float32)
    y, groups = np.arange(60) % 2, rng.choice(["red", "green"], size=60)
    distiller = FairDistiller(n_per_class=2, n_iter=3, batch_size=8, random_state=0,
                              device="cpu")
    assert_refused(distiller, X, y, groups, ValueError,
                   r"^X has 5 axes; FairDistiller takes rows \(n_samples, n_features\) or "
                   r"images \(n_samples, C, H, W\) or \(n_samples, H, W\)", method="fit")


# --------------------------------------------------------------------------- dtypes


def test_object_array_of_numbers_is_numeric():
    X, y, A = _data()
    X_syn, _ = FairDistiller(**FAST).fit_resample(X.astype(object), y, sensitive_features=A)
    assert X_syn.dtype == np.float64 and np.all(np.isfinite(X_syn))


@pytest.mark.parametrize(
    "convert, out_dtype",
    [
        (lambda X: X.astype(np.float16), np.float32),
        (lambda X: np.round(10 * X).astype(np.int64), np.float64),
        (lambda X: np.round(10 * X).astype(np.int8), np.float64),
        (lambda X: X > 0, np.float64),
    ],
    ids=["float16", "int64", "int8", "bool"],
)
def test_x_dtypes(convert, out_dtype):
    X, y, A = _data()
    X = convert(X)
    distiller = FairDistiller(**FAST)
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.dtype == out_dtype == distiller.X_distilled_.dtype
    assert np.all(np.isfinite(X_syn))


def test_float16_is_computed_as_float32():
    """float16 -> float32 is exact, so the result equals the float32 run's."""
    X, y, A = _data()
    X16 = X.astype(np.float16)
    X_from_16, _ = FairDistiller(**FAST).fit_resample(X16, y, sensitive_features=A)
    X_from_32, _ = FairDistiller(**FAST).fit_resample(
        X16.astype(np.float32), y, sensitive_features=A
    )
    np.testing.assert_array_equal(X_from_16, X_from_32)


# --------------------------------------------------------------------------- warnings


def test_absent_cell_warning_names_the_class_and_the_group():
    X, y, A = _data()
    y = np.array(["neg", "pos"])[y]
    A = A.copy()
    A[(y == "pos") & (A == "b")] = "a"
    with pytest.warns(UserWarning, match=r"\{'pos': \['b'\]\}"):
        distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(distiller.cell_counts_[:, 1] > 0, [True, False])


def test_group_absent_from_a_class_warns(grouped_data):
    X, y, A = grouped_data
    A = A.copy()
    A[(y == 1) & (A == "b")] = "a"  # no "b" rows left in class 1
    distiller = FairDistiller(n_per_class=2, n_iter=20, random_state=0)
    with pytest.warns(UserWarning, match=r"^Some groups have no rows in some classes \(\{1: "
                                         r"\['b'\]\}\); the targets"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.cell_counts_[1, 1] == 0
    assert np.all(np.isfinite(distiller.X_distilled_))


def test_many_groups_give_a_short_warning():
    rng = np.random.default_rng(0)
    n = 6000
    X = rng.normal(size=(n, 2))
    y = np.arange(n) % 2
    groups = np.arange(n) // 2 * 2 + y  # every group lives in one class only
    with pytest.warns(UserWarning, match="Some groups have no rows") as record:
        FairDistiller(**{**FAST, "n_iter": 1}).fit(X, y, sensitive_features=groups)
    assert max(len(str(w.message)) for w in record) < 500
    message = next(str(w.message) for w in record if "Some groups" in str(w.message))
    assert "'... 2995 more'" in message  # five groups of a class shown, the rest counted


# --------------------------------------------------------------------------- the helpers


def test_flatten_images_is_a_view_with_the_shape_of_one_image():
    images = np.zeros((4, 3, 2, 5), dtype=np.float32)
    rows, shape = flatten_images(images)
    assert rows.shape == (4, 30) and shape == (3, 2, 5)
    assert np.shares_memory(rows, images)
    grey, shape = flatten_images(np.zeros((4, 2, 5)))
    assert grey.shape == (4, 10) and shape == (2, 5)
    table = pd.DataFrame(np.zeros((4, 3)))
    assert flatten_images(table)[0] is table and flatten_images(table)[1] is None
    matrix = np.zeros((4, 3))
    assert flatten_images(matrix)[0] is matrix and flatten_images(matrix)[1] is None
    assert flatten_images([[1.0, 2.0]]) == ([[1.0, 2.0]], None)


def test_as_chw_gives_grey_images_one_channel():
    assert as_chw((8, 6)) == (1, 8, 6)
    assert as_chw([3, 8, 6]) == (3, 8, 6)
    assert as_chw((np.int64(1), 4, 4)) == (1, 4, 4)


def test_in_unit_range_reads_in_memory_arrays_only():
    assert in_unit_range(np.array([[0.0, 1.0], [0.5, 0.25]]))
    assert not in_unit_range(np.array([[0.0, 1.5]]))
    assert not in_unit_range(np.array([[-0.1, 0.5]]))
    assert not in_unit_range([[0.0, 1.0]])  # not an ndarray: not read


def test_non_numeric_columns_names_frame_columns_and_array_indices():
    frame = pd.DataFrame({"n": [1.0, 2.0], "s": ["a", "b"], "digits": ["1", "2"],
                          "day": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    assert non_numeric_columns(frame) == ["s", "day"]  # text of numbers counts as numbers
    array = np.array([[1.0, "x"], [2.0, "y"]], dtype=object)
    assert non_numeric_columns(array) == [1]
    assert non_numeric_columns([[1, "x", None], [2, "y", 3]]) == [1]
    assert non_numeric_columns([[1, 2], [3]]) == []  # ragged: validate_data's error stands


def test_one_vs_all_y_is_read_as_labels():
    labels, one_vs_all = check_classification_target(np.eye(3)[[0, 2, 1, 2]])
    np.testing.assert_array_equal(labels, [0, 2, 1, 2])
    assert one_vs_all is True
    labels, one_vs_all = check_classification_target(np.array([[1], [0], [1]]))
    np.testing.assert_array_equal(labels, [1, 0, 1])
    assert one_vs_all is False


def test_non_finite_rows_are_refused_naming_the_step():
    low, high = np.zeros(2), np.ones(2)
    check_finite_rows(np.ones((2, 2)), 0.1, low, high)
    with pytest.raises(ValueError, match=r"not finite numbers \(NaN or infinite\).*"
                                         r"learning_rate=0\.5.*Lower learning_rate"):
        check_finite_rows(np.array([[1.0, np.nan]]), 0.5, low, high)


def test_rows_blown_far_outside_the_range_of_x_are_refused_naming_the_column():
    low, high = np.zeros(3), np.array([1.0, 2.0, 1.0])
    check_finite_rows(np.array([[-50.0, 150.0, 0.5]]), 0.1, low, high)  # within 100 ranges
    with pytest.raises(ValueError, match=r"^the distillation diverged: synthetic values of "
                                         r"column 1 lie 500 times the column's range outside "
                                         r"the values in X \(\[0, 2\]\).*learning_rate=3"):
        check_finite_rows(np.array([[0.5, 1002.0, 0.5]]), 3, low, high)


# --------------------------------------------------------------------------- fuzzing

_DTYPES = ["float64", "float32", "int64", "Int64", "boolean", "bool", "string", "category"]


@st.composite
def _frames(draw):
    n = draw(st.integers(4, 24))
    n_cols = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    columns = {}
    for j in range(n_cols):
        dtype = draw(st.sampled_from(_DTYPES))
        values = pd.Series(rng.normal(size=n) * draw(st.sampled_from([1e-6, 1.0, 1e6])))
        if dtype in ("int64", "Int64"):
            values = values.round().astype(dtype)
        elif dtype in ("bool", "boolean"):
            values = (values > 0).astype(dtype)
        elif dtype in ("string", "category"):
            values = pd.Series(rng.choice(["a", "b", "c"], size=n)).astype(dtype)
        else:
            values = values.astype(dtype)
        if dtype not in ("int64", "bool") and draw(st.booleans()):
            values = values.astype(object if dtype == "float32" else values.dtype)
            values[rng.random(n) < 0.2] = None
        columns[f"c{j}"] = values
    y = rng.integers(0, draw(st.integers(1, 3)), size=n)
    group = rng.choice(["g", "h"], size=n)
    return pd.DataFrame(columns), y, group, seed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_frames(), st.sampled_from(["distribution", "gradient"]))
def test_fuzz_fair_distiller_is_clear_or_finite(case, matching):
    frame, y, group, seed = case
    before = frame.copy(deep=True)
    knobs = {"outer_loops": 1, "inner_steps": 1} if matching == "gradient" else None
    distiller = FairDistiller(n_per_class=2, n_iter=2, random_state=seed, device="cpu",
                              matching=matching, matching_params=knobs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_syn, y_syn = distiller.fit_resample(frame, y, sensitive_features=group)
    except (ValueError, TypeError) as error:
        message = str(error)
        # the argument at fault is named as a word ("X", "y"), not found inside another
        assert re.search(r"(?<!\w)(X|y|sensitive_features)(?!\w)", message), message
        assert len(message) < 2000
        assert not hasattr(distiller, "X_distilled_")
    else:
        assert np.isfinite(np.asarray(X_syn, dtype=float)).all()
        assert len(X_syn) == len(y_syn) == 2 * len(np.unique(y))
        assert list(X_syn.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(frame, before)  # the caller's data untouched


def test_a_ragged_list_is_refused_as_not_rectangular():
    y = np.arange(40) % 2
    assert_refused(FairDistiller(n_iter=2), [[1.0, 2.0], [3.0]] * 20, y, None, ValueError,
                   r"^X must be rectangular: its rows have different lengths")


def test_a_finite_blow_up_is_refused_naming_learning_rate():
    X, y, A = make_grouped_data()
    distiller = FairDistiller(n_per_class=3, n_iter=100, learning_rate=1e6, random_state=0)
    with pytest.raises(ValueError, match=r"diverged: .*learning_rate=1000000\.0.*lower "
                                         r"learning_rate"):
        distiller.fit(X, y, sensitive_features=A)


# ------------------------------------------------- scikit-learn's messages, naming X or y

def _labels_as_lists(y):
    labels = np.empty(len(y), dtype=object)
    labels[:] = [[label] for label in y]
    return labels


@pytest.mark.parametrize("build, exception, message", [
    (lambda X, y: (None, y), TypeError,
     r"^X must be a 2-D array of numbers \(rows, features\); got None\.$"),
    (lambda X, y: ({"age": X[:, 0]}, y), TypeError, r"^X must be a 2-D array of numbers .*dict"),
    (lambda X, y: (X[:, 0], y), ValueError,
     r"^X must be a 2-D array of finite numbers \(rows, features\): Expected 2D array, got 1D"),
    (lambda X, y: (X[:1], y[:1]), ValueError,
     r"^X must be a 2-D array .*Found array with 1 sample\(s\).*minimum of 2 is required"),
    (lambda X, y: (X[:, :0], y), ValueError, r"^X must be a 2-D array .*0 feature\(s\)"),
    (lambda X, y: (X.astype(complex), y), ValueError,
     r"^X must be a 2-D array .*Complex data not supported"),
    (lambda X, y: (X[:-1], y), ValueError,
     r"^X has 119 rows but y has 120 labels; they must describe the same rows"),
    (lambda X, y: (X, y[:-1]), ValueError, r"^X has 120 rows but y has 119 labels"),
    (lambda X, y: (X, "label"), TypeError,
     r"^y must be an array-like of class labels, one per row of X; got str\.$"),
    (lambda X, y: (X, y.reshape(-1, 1, 1)), ValueError,
     r"^y must be an array-like of class labels, one per row of X \(1-D, or 2-D for "
     r"one-vs-all columns\): Found array with dim 3"),
    (lambda X, y: (X, _labels_as_lists(y)), ValueError,
     r"^y must hold one class label \(a number or a string\) per row: .*legacy multi-label"),
], ids=["X-None", "X-dict", "X-1d", "X-1-row", "X-0-columns", "X-complex", "X-shorter",
        "y-shorter", "y-str", "y-3d", "y-lists"])
def test_what_scikit_learn_refuses_is_refused_naming_the_argument(no_long_work, build,
                                                                  exception, message):
    # scikit-learn's own messages name neither argument; the message is still its own
    X, y, A = _data()
    X, y = build(X, y)
    assert_refused(FairDistiller(**FAST), X, y, A, exception, message)


def test_a_scikit_learn_message_that_names_the_argument_is_kept():
    X, y, A = _data()
    with pytest.raises(ValueError, match=r"^FairDistiller requires y to be passed|^This "
                                         r"FairDistiller estimator requires y to be passed"):
        FairDistiller(**FAST).fit(X, None, sensitive_features=A)


def test_a_ragged_y_is_not_blamed_on_x(no_long_work):
    X, y, A = _data(n_samples=40)
    ragged = [[0]] * 20 + [[0, 1]] * 20
    assert_refused(FairDistiller(**FAST), X, ragged, A, ValueError,
                   r"^y must be an array-like of class labels.*inhomogeneous")


def test_check_classification_target_names_y_for_a_column_of_lists():
    with pytest.raises(ValueError, match=r"^y must hold one class label .*legacy multi-label"):
        check_classification_target(_labels_as_lists(np.arange(6) % 2))


def test_the_blow_up_floor_is_relative_to_the_values_of_the_column():
    # values near 1e-20: a floor of float32's eps (1.2e-7) let them blow up to 1e-6 unseen
    low, high = np.array([0.0, 5.0]), np.array([1e-20, 5.0])
    check_finite_rows(np.array([[5e-19, 5.0]]), 0.1, low, high)  # 50 ranges: kept
    with pytest.raises(ValueError, match=r"^the distillation diverged: synthetic values of "
                                         r"column 0 lie 1e\+14 times"):
        check_finite_rows(np.array([[1e-6, 5.0]]), 0.1, low, high)
    with pytest.raises(ValueError, match="column 1"):  # a constant column moved at all
        check_finite_rows(np.array([[0.0, 5.0 + 1e-3]]), 0.1, low, high)
    with np.errstate(all="raise"):  # a column of zeros given back exactly: no 0 / 0
        check_finite_rows(np.zeros((2, 2)), 0.1, np.zeros(2), np.zeros(2))
