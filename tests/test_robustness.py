"""Robustness: bad input fails early and clearly, awkward data works, nothing is lost.

Complements tests/test_distiller.py (which covers the basic error cases, the
interrupt at a middle iteration, and unmodified float arrays and frames) with the
edges: every bad input is rejected before the matching loop and leaves no fitted
attributes behind, unusual dtypes, layouts and group encodings work, the fit is
all or nothing, and the synthetic set stays finite and exact where it should.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skfairdistill._estimators.distiller as distiller_module
import skfairdistill._nn.networks as networks_module
from skfairdistill import FairDistiller
from skfairdistill._data.cells import CellSampler

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _fitted_attributes(estimator):
    return sorted(k for k in vars(estimator) if k.endswith("_") and not k.startswith("__"))


def _data(n_samples=120, **kwargs):
    return make_grouped_data(n_samples=n_samples, **kwargs)


# --------------------------------------------------------------------------- clear errors


def _bad_inputs():
    """(id, build(X, y, A) -> (X, y, A, params), exception, message regex)."""

    def frame(X):
        return pd.DataFrame(X, columns=["age", "hours", "gain", "loss"])

    def with_column(X, name, values):
        out = frame(X)
        out[name] = values
        return out

    def nullable_with_na(X, y, A):
        out = frame(X).astype({"age": "Float64", "gain": "Float64"})
        out.loc[4, "gain"] = pd.NA
        return out, y, A, {}

    cases = [
        # X
        ("X-nan-frame", lambda X, y, A: (frame(X).mask(frame(X) > 2.5), y, A, {}),
         ValueError, "X contains NaN"),
        ("X-neg-inf-list", lambda X, y, A: ([[-np.inf, *r[1:]] for r in X.tolist()], y, A, {}),
         ValueError, "X contains infinity"),
        ("X-nullable-pd.NA", nullable_with_na, ValueError, "X contains NaN"),
        ("X-overflowing-values", lambda X, y, A: (np.c_[X, 1e300 * X[:, 0]], y, A, {}),
         ValueError, r"X columns \[4\] have values too large"),
        ("X-csr", lambda X, y, A: (sp.csr_matrix(X), y, A, {}),
         TypeError, r"X is sparse.*toarray\(\).*TruncatedSVD"),
        ("X-csc-array", lambda X, y, A: (sp.csc_array(X), y, A, {}),
         TypeError, r"X is sparse.*toarray\(\).*TruncatedSVD"),
        ("X-sparse-frame",
         lambda X, y, A: (frame(X).astype(pd.SparseDtype(float, 0.0)), y, A, {}),
         TypeError, r"X is sparse.*sparse.to_dense\(\)"),
        ("X-string-column",
         lambda X, y, A: (with_column(X, "city", np.where(y == 0, "Oslo", "Rome")), y, A, {}),
         ValueError, r"X has non-numeric columns \['city'\].*OneHotEncoder.*ColumnTransformer"),
        ("X-categorical-column",
         lambda X, y, A: (with_column(X, "job", pd.Categorical(np.where(y, "a", "b"))), y, A, {}),
         ValueError, r"non-numeric columns \['job'\].*OneHotEncoder"),
        ("X-datetime-column",
         lambda X, y, A: (with_column(X, "day", pd.date_range("2024", periods=len(y))), y, A, {}),
         TypeError, r"non-numeric columns \['day'\]"),
        ("X-string-array",
         lambda X, y, A: (np.c_[X.astype(str), np.where(y, "x", "y")], y, A, {}),
         ValueError, r"X has non-numeric columns \[4\]"),
        # sensitive_features
        ("sf-too-long", lambda X, y, A: (X, y, np.r_[A, A[:3]], {}),
         ValueError, "sensitive_features has 123 rows but X has 120"),
        ("sf-frame-too-short",
         lambda X, y, A: (X, y, pd.DataFrame({"sex": A[:-1], "race": A[:-1]}), {}),
         ValueError, "sensitive_features has 119 rows but X has 120"),
        ("sf-nan", lambda X, y, A: (X, y, np.where(A == "a", 1.0, np.nan), {}),
         ValueError, "sensitive_features contains missing values"),
        ("sf-pd.NA-Int64",
         lambda X, y, A: (X, y, pd.Series(np.arange(len(y)) % 3, dtype="Int64")
                          .mask(np.arange(len(y)) == 7), {}),
         ValueError, "sensitive_features contains missing values"),
        ("sf-frame-column-nan",
         lambda X, y, A: (X, y, pd.DataFrame({"sex": A, "age": np.where(y, 1.0, np.nan)}), {}),
         ValueError, r"sensitive_features\['age'\] contains missing values"),
        # y
        ("y-continuous", lambda X, y, A: (X, X[:, 0], A, {}),
         ValueError, r"y is 'continuous'.*KBinsDiscretizer"),
        ("y-multioutput", lambda X, y, A: (X, np.c_[y, (np.arange(len(y)) // 2) % 3], A, {}),
         ValueError, "y is multioutput"),
        ("y-multilabel", lambda X, y, A: (X, np.c_[y, y], A, {}), ValueError, "y is multilabel"),
        ("y-with-None", lambda X, y, A: (X, np.where(y, "p", None).astype(object), A, {}),
         ValueError, r"y is 'unknown'.*missing values"),
        ("y-single-class", lambda X, y, A: (X, np.full(len(y), "spam"), A, {}),
         ValueError, "y has only one class"),
        # parameters
        ("n_per_class-str", lambda X, y, A: (X, y, A, {"n_per_class": "5"}),
         ValueError, "n_per_class must be a positive integer"),
        ("n_per_class-None", lambda X, y, A: (X, y, A, {"n_per_class": None}),
         ValueError, "n_per_class must be a positive integer"),
        ("n_per_class-float-in-dict", lambda X, y, A: (X, y, A, {"n_per_class": {0: 2.0, 1: 2}}),
         ValueError, r"n_per_class\[0\] must be a positive integer"),
        ("n_per_class-dict-of-other-classes",
         lambda X, y, A: (X, np.array(["no", "yes"])[y], A, {"n_per_class": {0: 2, 1: 2}}),
         ValueError, r"classes of y: \['no', 'yes'\]"),
        ("alignment-unknown", lambda X, y, A: (X, y, A, {"alignment": "fair"}),
         ValueError, "alignment must be one of"),
        ("distance-unknown",
         lambda X, y, A: (X, y, A, {"matching_params": {"distance": "cosine"}}),
         ValueError, "matching_params\\['distance'\\] must be one of"),
        ("init-unknown", lambda X, y, A: (X, y, A, {"init": "zeros"}),
         ValueError, "init must be one of"),
        ("device-unknown", lambda X, y, A: (X, y, A, {"device": "npu"}),
         ValueError, "device must be"),
        ("device-None", lambda X, y, A: (X, y, A, {"device": None}),
         TypeError, "device must be"),
    ]
    if not torch.cuda.is_available():
        cases.append(("device-cuda-without-cuda", lambda X, y, A: (X, y, A, {"device": "cuda"}),
                      ValueError, "CUDA is not available"))
    else:
        cases.append(("device-cuda-index-out-of-range",
                      lambda X, y, A: (X, y, A, {"device": f"cuda:{torch.cuda.device_count()}"}),
                      ValueError, "CUDA device"))
    return cases


@pytest.mark.parametrize(
    "build, exception, message", [case[1:] for case in _bad_inputs()],
    ids=[case[0] for case in _bad_inputs()],
)
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, build, exception, message):
    X, y, A, params = build(*_data())
    distiller = FairDistiller(**{**FAST, "device": "auto", **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. the absent-group warning
        with pytest.raises(exception, match=message):
            distiller.fit_resample(X, y, sensitive_features=A)
    # a rejected fit leaves nothing behind (validate_data would have set n_features_in_)
    assert _fitted_attributes(distiller) == []
    with pytest.raises(NotFittedError):
        check_is_fitted(distiller)


def test_rejected_inputs_are_not_modified():
    X, y, A = _data()
    frame = pd.DataFrame(X, columns=list("abcd")).assign(city=np.where(y, "Oslo", "Rome"))
    copies = frame.copy(), y.copy(), A.copy()
    with pytest.raises(ValueError, match="non-numeric"):
        FairDistiller(**FAST).fit(frame, y, sensitive_features=A)
    pd.testing.assert_frame_equal(frame, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(A, copies[2])


def test_object_array_of_numbers_is_numeric():
    X, y, A = _data()
    X_syn, _ = FairDistiller(**FAST).fit_resample(X.astype(object), y, sensitive_features=A)
    assert X_syn.dtype == np.float64 and np.all(np.isfinite(X_syn))


# ----------------------------------------------------------- all or nothing, interrupts


def test_failed_refit_keeps_the_previous_fit_intact():
    X, y, A = _data()
    distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    before = {k: getattr(distiller, k) for k in _fitted_attributes(distiller)}
    X_new = np.c_[X, X]  # 8 features: validate_data would overwrite n_features_in_ ...
    with pytest.raises(ValueError, match="one class"):  # ... before this error
        distiller.fit(X_new, np.zeros(len(y)), sensitive_features=A)
    assert _fitted_attributes(distiller) == sorted(before)
    assert distiller.n_features_in_ == 4
    np.testing.assert_array_equal(distiller.X_distilled_, before["X_distilled_"])
    assert distiller.X_distilled_ is before["X_distilled_"]


@pytest.mark.parametrize("fitted_before", [False, True], ids=["fresh", "refit"])
def test_interrupt_before_the_loop_leaves_the_estimator_as_it_was(monkeypatch, fitted_before):
    X, y, A = _data()
    distiller = FairDistiller(**FAST)
    if fitted_before:
        distiller.fit(X, y, sensitive_features=A)
    before = dict(vars(distiller))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(distiller_module, "encode_groups", interrupted)
    with pytest.raises(KeyboardInterrupt):
        distiller.fit(X[:, :3], y, sensitive_features=A)
    assert vars(distiller).keys() == before.keys()
    assert all(vars(distiller)[k] is before[k] for k in before)
    if not fitted_before:
        assert _fitted_attributes(distiller) == []


@pytest.mark.parametrize("stop_at", [0, 9], ids=["first-iteration", "last-iteration"])
def test_interrupt_at_the_edges_of_the_loop(monkeypatch, stop_at):
    """The middle of the loop is tested in test_distiller.py; here: nothing done, or all but one."""
    X, y, A = _data()
    original = networks_module.RandomMLP
    drawn = []

    def interrupting_network(*args, **kwargs):
        if len(drawn) == stop_at:
            raise KeyboardInterrupt
        drawn.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(networks_module, "RandomMLP", interrupting_network)
    # n_threads=1: no network is drawn to size the threads, so every draw is the loop's
    distiller = FairDistiller(**{**FAST, "n_per_class": 3, "n_threads": 1})
    with pytest.warns(UserWarning, match=f"interrupted after {stop_at} of 10"):
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert distiller.interrupted_ is True
    assert distiller.n_iter_ == stop_at < distiller.n_iter
    assert len(distiller.loss_history_) == distiller.n_iter_
    assert X_syn.shape == (6, 4) and np.all(np.isfinite(X_syn))
    assert sorted(y_syn.tolist()) == [0, 0, 0, 1, 1, 1]
    check_is_fitted(distiller)
    if stop_at == 0:
        # no step was taken: the synthetic rows are the initial real rows
        assert all(any(np.allclose(row, real) for real in X) for row in X_syn)


# ------------------------------------------------------------------ awkward but valid data


def test_absent_cell_warning_names_the_class_and_the_group():
    X, y, A = _data()
    y = np.array(["neg", "pos"])[y]
    A = A.copy()
    A[(y == "pos") & (A == "b")] = "a"
    with pytest.warns(UserWarning, match=r"\{'pos': \['b'\]\}"):
        distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(distiller.cell_counts_[:, 1] > 0, [True, False])


def test_cell_with_a_single_row_works_without_warning():
    X, y, A = _data()
    A = A.copy()
    b_rows = np.flatnonzero((y == 1) & (A == "b"))
    A[b_rows[1:]] = "a"  # class 1 keeps exactly one "b" row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    assert distiller.cell_counts_[1, 1] == 1
    assert np.all(np.isfinite(distiller.X_distilled_))


@pytest.mark.parametrize("single_group", [np.zeros(120), np.full(120, "all", dtype=object)],
                         ids=["number", "string"])
def test_with_one_group_every_alignment_is_vanilla(single_group):
    X, y, _ = _data()
    results = [
        FairDistiller(alignment=alignment, **FAST, matching_params={"distance": "l1"}).fit_resample(
            X, y, sensitive_features=single_group
        )[0]
        for alignment in ("none", "barycenter", "groupwise")
    ]
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_many_intersectional_groups():
    """120 groups on 600 rows: most cells hold a handful of rows, some none."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = (X[:, 0] > 0).astype(int)
    sensitive = pd.DataFrame(
        {"region": rng.integers(0, 12, size=600), "job": rng.choice(list("abcdefghij"), 600)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # some (class, group) cells are empty
        distiller = FairDistiller(**{**FAST, "n_per_class": 5}).fit(
            X, y, sensitive_features=sensitive
        )
    n_groups = len(sensitive.drop_duplicates())
    assert n_groups > 100 and len(distiller.groups_) == n_groups
    assert distiller.cell_counts_.shape == (2, n_groups)
    assert distiller.cell_counts_.sum() == 600
    assert np.all(np.isfinite(distiller.X_distilled_))
    # the per-iteration mini-batch is as wide as the largest cell, not batch_size (256 here):
    # 240 small cells cost their rows, not 240 * 256 padded rows
    codes = pd.MultiIndex.from_frame(sensitive).codes
    group_codes = np.unique(np.c_[codes[0], codes[1]], axis=0, return_inverse=True)[1].ravel()
    cells = CellSampler(y, group_codes, 2, n_groups, torch.device("cpu"))
    rows, _ = cells.draw(256, torch.Generator().manual_seed(0))
    assert rows.shape == (2 * n_groups, cells.counts.max())


@pytest.mark.filterwarnings("ignore:Some groups have no rows")
def test_class_with_a_single_row_and_a_larger_budget():
    X, y, A = _data()
    y = y.copy()
    y[0] = 2  # class 2: a single row
    with pytest.warns(UserWarning, match=r"Class 2 has 1 rows but 4 synthetic rows"):
        X_syn, y_syn = FairDistiller(**{**FAST, "n_per_class": 4}).fit_resample(
            X, y, sensitive_features=A
        )
    tiny = X_syn[y_syn == 2]
    assert tiny.shape == (4, 4)
    assert np.all(np.isfinite(tiny))
    assert len(np.unique(tiny, axis=0)) > 1  # copies of the one row moved apart


@pytest.mark.parametrize(
    "make_groups, expected",
    [
        (lambda A: pd.Series(A, dtype="string"), ["a", "b"]),
        (lambda A: pd.Series(A == "a", dtype="boolean"), [False, True]),
        (lambda A: pd.Series(np.where(A == "a", 10, 20), dtype="Int64"), [10, 20]),
        (lambda A: pd.Series(pd.Categorical(A, categories=["b", "a", "unused"])), ["a", "b"]),
        (lambda A: (A == "a").tolist(), [False, True]),
        (lambda A: np.array(["x" if a == "a" else 3 for a in A], dtype=object), None),
    ],
    ids=["string-dtype", "nullable-boolean", "Int64", "categorical-unused-category",
         "bool-list", "mixed-str-int"],
)
def test_sensitive_feature_encodings(make_groups, expected):
    X, y, A = _data()
    distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=make_groups(A))
    assert len(distiller.groups_) == 2
    if expected is not None:
        assert sorted(distiller.groups_.tolist()) == expected
    # the group of the "a" rows has as many rows as A says
    first = int(np.argmax(distiller.cell_counts_.sum(axis=0) == np.sum(A == "a")))
    assert distiller.cell_counts_.sum(axis=0)[first] == np.sum(A == "a")


def test_mixed_type_sensitive_columns_make_intersectional_groups():
    X, y, A = _data()
    rng = np.random.default_rng(1)
    sensitive = pd.DataFrame({
        "sex": pd.Categorical(A),
        "age_band": rng.integers(1, 3, size=len(y)),
        "disabled": rng.random(len(y)) < 0.5,
    })
    distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=sensitive)
    observed = set(map(tuple, sensitive.astype(object).itertuples(index=False)))
    assert set(distiller.groups_.tolist()) == observed
    # plain Python values (readable in warnings and reprs), not NumPy scalars
    assert {type(v) for group in distiller.groups_ for v in group} == {str, int, bool}


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout",
    [
        lambda X: np.repeat(X, 2, axis=1)[:, ::2],
        np.asfortranarray,
        lambda X: X[::-1][::-1],
        lambda X: np.ascontiguousarray(X[::-1])[::-1],
        lambda X: np.ascontiguousarray(X[:, ::-1])[:, ::-1],
    ],
    ids=["strided-columns", "fortran", "views-undone", "reversed-rows", "reversed-columns"],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_memory_layouts_give_the_same_result(dtype, layout, read_only):
    X, y, A = _data()
    X = X.astype(dtype)
    X_view = layout(X.copy())
    np.testing.assert_array_equal(X_view, X)
    X_view.flags.writeable = not read_only
    expected, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(X_view, y, sensitive_features=A)
    assert X_syn.dtype == dtype
    # same values, different summation order in the column statistics: equal to rounding
    np.testing.assert_allclose(X_syn, expected, rtol=1e-4, atol=1e-5)


def test_pandas_nullable_and_float16_columns():
    X, y, A = _data()
    frame = pd.DataFrame({
        "count": pd.array(np.round(10 * X[:, 0]).astype(int), dtype="Int64"),
        "ratio": pd.array(X[:, 1], dtype="Float64"),
        "flag": pd.array(X[:, 2] > 0, dtype="boolean"),
        "half": X[:, 3].astype(np.float16),
    })
    copy = frame.copy()
    X_syn, _ = FairDistiller(**FAST).fit_resample(frame, y, sensitive_features=A)
    pd.testing.assert_frame_equal(frame, copy)
    assert list(X_syn.columns) == ["count", "ratio", "flag", "half"]
    assert X_syn.dtypes.to_dict() == {
        "count": np.float64,  # synthetic counts are not integers
        "ratio": pd.Float64Dtype(),
        "flag": np.float64,
        "half": np.float32,  # float16 comes back as float32, as for arrays
    }
    assert np.all(np.isfinite(X_syn.to_numpy(dtype=float)))


# ------------------------------------------------------------------------ nothing is lost


@pytest.mark.parametrize(
    "convert",
    [
        lambda X: X.astype(np.float16),
        lambda X: np.round(10 * X).astype(np.int32),
        lambda X: np.asfortranarray(X, dtype=np.float32),
        lambda X: pd.DataFrame(X, columns=list("abcd")).astype({"a": np.float16, "b": "Float64"}),
    ],
    ids=["float16", "int32", "fortran-float32", "mixed-frame"],
)
def test_caller_data_is_not_modified(convert):
    X, y, A = _data()
    X = convert(X)
    y = pd.Series(np.array(["no", "yes"])[y], name="label")
    A = pd.DataFrame({"sex": pd.Categorical(A), "band": (np.arange(len(y)) // 2) % 2})
    copies = X.copy(order="K") if isinstance(X, np.ndarray) else X.copy(), y.copy(), A.copy()
    X_syn, _ = FairDistiller(**{**FAST, "init": "noise"}).fit_resample(
        X, y, sensitive_features=A
    )
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, copies[0])
    else:
        np.testing.assert_array_equal(X, copies[0])
        assert X.dtype == copies[0].dtype and X.flags.f_contiguous == copies[0].flags.f_contiguous
    assert not np.shares_memory(np.asarray(X_syn), np.asarray(X))
    pd.testing.assert_series_equal(y, copies[1])
    pd.testing.assert_frame_equal(A, copies[2])


# ------------------------------------------------------------------------ property-based


@st.composite
def problems(draw):
    n_classes = draw(st.integers(2, 3))
    n_groups = draw(st.integers(1, 3))
    rows_per_class = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from(["float32", "float64", "int"]))
    container = draw(st.sampled_from(["ndarray", "DataFrame", "list"]))
    n_per_class = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n = n_classes * rows_per_class
    y = np.repeat(np.arange(n_classes), rows_per_class)
    groups = rng.integers(0, n_groups, size=n)
    X = rng.normal(size=(n, n_features)) + y[:, None] + 0.5 * groups[:, None]
    X = np.round(3 * X).astype(np.int64) if dtype == "int" else X.astype(dtype)
    labels = np.array(["c0", "c1", "c2"])[y] if seed % 2 else y
    if container == "DataFrame":
        X = pd.DataFrame(X, columns=[f"f{j}" for j in range(n_features)])
        labels, groups = pd.Series(labels, name="y"), pd.Series(groups, name="g")
    elif container == "list":
        X, labels, groups = X.tolist(), labels.tolist(), groups.tolist()
    return X, labels, groups, n_per_class, n_classes, n_features, dtype, container


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(), random_state=st.integers(0, 1000))
def test_property_shapes_labels_finiteness_and_determinism(problem, random_state):
    X, y, groups, n_per_class, n_classes, n_features, dtype, container = problem
    params = dict(n_per_class=n_per_class, n_iter=5, random_state=random_state, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small classes, absent cells
        X_syn, y_syn = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)
        X_again, y_again = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)

    expected_type = {"ndarray": np.ndarray, "DataFrame": pd.DataFrame, "list": list}[container]
    assert isinstance(X_syn, expected_type)
    X_out, y_out = np.asarray(X_syn, dtype=float), np.asarray(y_syn)
    assert X_out.shape == (n_classes * n_per_class, n_features)
    assert np.all(np.isfinite(X_out))
    labels, counts = np.unique(y_out, return_counts=True)
    np.testing.assert_array_equal(labels, np.unique(np.asarray(y)))
    assert np.all(counts == n_per_class)
    if container != "list":
        out_dtype = np.float32 if dtype == "float32" else np.float64
        assert np.asarray(X_syn).dtype == out_dtype
    np.testing.assert_array_equal(np.asarray(X_again), np.asarray(X_syn))
    np.testing.assert_array_equal(np.asarray(y_again), y_out)


# ---------------------------------------------------------------------- numerical safety


@pytest.mark.parametrize("init", ["real", "noise"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wild_scales_and_constant_columns_stay_finite_and_exact(device, init, dtype):
    X, y, A = _data(n_features=3)
    wild = np.c_[
        1e-6 * X[:, 0],
        1e6 * X[:, 1],
        np.full(len(y), 7.25),  # constant
        np.zeros(len(y)),  # constant zero
        X[:, 2],
    ].astype(dtype)
    distiller = FairDistiller(**{**FAST, "init": init, "n_per_class": 4, "device": device})
    X_syn, _ = distiller.fit_resample(wild, y, sensitive_features=A)
    assert X_syn.dtype == dtype
    assert np.all(np.isfinite(X_syn))
    # constant columns are left out of the optimisation: exactly their value
    assert np.all(X_syn[:, 2] == dtype(7.25)) and np.all(X_syn[:, 3] == 0)
    # the other columns do move
    assert X_syn[:, [0, 1, 4]].std(axis=0).min() > 0


def test_all_columns_constant():
    X, y, A = _data()
    X = np.tile([1.5, -2.0, 0.0], (len(y), 1))
    X_syn, y_syn = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    np.testing.assert_array_equal(X_syn, np.tile([1.5, -2.0, 0.0], (4, 1)))
    assert sorted(y_syn.tolist()) == [0, 0, 1, 1]


def test_result_does_not_depend_on_column_scale_or_offset():
    """Standardisation in float64 makes the run invariant to per-column affine maps,
    including an offset of 1e6 on a spread of 1e-3 (lost in a float32 cast) and
    values of 1e40 (beyond the float32 range)."""
    X, y, A = _data()
    scale = np.array([1e-3, 1e40, 1e-6, 1e6])
    offset = np.array([1e6, 0.0, -3.0, 5e6])
    reference, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(X * scale + offset, y, sensitive_features=A)
    assert np.all(np.isfinite(X_syn))
    np.testing.assert_allclose((X_syn - offset) / scale, reference, rtol=1e-3, atol=1e-3)
