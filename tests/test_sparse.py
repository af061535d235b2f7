"""SciPy sparse X: accepted as it is, densified a draw at a time, never whole.

A sparse ``X`` (CSR or CSC, matrix or array; other formats converted to CSR) gives the
synthetic rows of the same ``X`` dense: bit-identical for float32, equal to the last
bit of the mapping back for float64 (the column spreads differ by rounding). The rows
come back in the caller's sparse format and class; a DataFrame of sparse columns gives
sparse columns. The reading itself: :class:`~skfairdistill._data.host_rows.SparseRows`.
"""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._data.host_rows import SparseRows

from conftest import assert_refused, make_grouped_data

FAST = dict(n_per_class=3, n_iter=10, random_state=0, device="cpu")
FORMATS = [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array]

pytestmark = pytest.mark.filterwarnings("ignore:Class .* rows but:UserWarning")


def _sparse_data(n_samples=200, n_features=6, dtype=np.float64, seed=0):
    """A table with about half of its values 0, a column of zeros and a constant column."""
    X, y, A = make_grouped_data(n_samples=n_samples, n_features=n_features, seed=seed)
    X[X < 0.3] = 0
    X[:, 2] = 0.0  # never stored
    X[:, 3] = 1.5  # stored in every row
    return X.astype(dtype), y, A


def _same_rows(sparse_rows, dense_rows, dtype):
    """float32: bit-identical; float64: the column spreads differ in their last bit."""
    if dtype == np.float32:
        np.testing.assert_array_equal(sparse_rows, dense_rows)
    else:
        np.testing.assert_allclose(sparse_rows, dense_rows, rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------- same rows


@pytest.mark.parametrize("to_sparse", FORMATS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_x_gives_the_rows_of_the_same_x_dense(to_sparse, dtype):
    X, y, A = _sparse_data(dtype=dtype)
    X_dense, y_dense = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_sparse, y_sparse = FairDistiller(**FAST).fit_resample(to_sparse(X), y,
                                                              sensitive_features=A)
    assert type(X_sparse) is to_sparse and X_sparse.dtype == dtype
    _same_rows(X_sparse.toarray(), X_dense, dtype)
    np.testing.assert_array_equal(y_sparse, y_dense)


def test_sparse_rows_are_moved_to_every_device_as_dense_ones_are(device):
    X, y, A = _sparse_data(dtype=np.float32)
    params = {**FAST, "device": device.type}
    dense = FairDistiller(**params).fit(X, y, sensitive_features=A)
    sparse = FairDistiller(**params).fit(sp.csr_matrix(X), y, sensitive_features=A)
    assert sparse.device_.type == device.type
    np.testing.assert_array_equal(sparse.X_distilled_, dense.X_distilled_)


@pytest.mark.parametrize("params", [
    dict(matching="gradient", n_iter=3),
    dict(matching="cafe", n_iter=3),
    dict(matching="model", n_iter=2),
    dict(matching="kmeans"),
    dict(init="kmeans"),
    dict(stratify_groups=True),
], ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items() if k != "n_iter"))
def test_every_method_reads_sparse_rows_as_dense_ones(params):
    X, y, A = _sparse_data(dtype=np.float32)
    dense = FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)
    sparse = FairDistiller(**{**FAST, **params}).fit(sp.csr_matrix(X), y, sensitive_features=A)
    assert isinstance(sparse.X_distilled_, np.ndarray)  # the fitted rows are dense
    np.testing.assert_array_equal(sparse.X_distilled_, dense.X_distilled_)
    np.testing.assert_array_equal(sparse.y_distilled_, dense.y_distilled_)


def test_other_sparse_formats_are_read_as_csr_and_come_back_in_their_format():
    X, y, A = _sparse_data()
    expected, _ = FairDistiller(**FAST).fit_resample(sp.csr_matrix(X), y, sensitive_features=A)
    for to_sparse in (sp.coo_matrix, sp.coo_array, sp.lil_matrix, sp.dok_array):
        X_syn, _ = FairDistiller(**FAST).fit_resample(to_sparse(X), y, sensitive_features=A)
        assert type(X_syn) is to_sparse
        np.testing.assert_array_equal(X_syn.toarray(), expected.toarray())


def test_integer_and_boolean_sparse_x_are_read_as_float64():
    X, y, A = _sparse_data()
    ones = (X > 0).astype(np.int64)
    expected, _ = FairDistiller(**FAST).fit_resample(ones.astype(float), y, sensitive_features=A)
    for values in (sp.csr_matrix(ones), sp.csr_array(ones.astype(bool))):
        X_syn, _ = FairDistiller(**FAST).fit_resample(values, y, sensitive_features=A)
        assert X_syn.dtype == np.float64
        _same_rows(X_syn.toarray(), expected, np.float64)


def test_a_dataframe_of_sparse_columns_gives_sparse_columns():
    X, y, A = _sparse_data()
    columns = [f"c{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns).astype(pd.SparseDtype(float, 0.0))
    frame["c0"] = frame["c0"].astype(pd.SparseDtype(np.float32, 0.0))
    distiller = FairDistiller(**FAST)
    X_syn, _ = distiller.fit_resample(frame, y, sensitive_features=A)
    assert list(X_syn.columns) == columns
    assert X_syn.dtypes["c0"] == pd.SparseDtype(np.float32, 0.0)
    assert (X_syn.dtypes.iloc[1:] == pd.SparseDtype(np.float64, 0.0)).all()
    assert list(distiller.feature_names_in_) == columns
    X[:, 0] = X[:, 0].astype(np.float32)  # the values of column c0
    expected, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    _same_rows(X_syn.iloc[:, 1:].to_numpy(dtype=np.float64), expected[:, 1:], np.float64)
    np.testing.assert_allclose(X_syn["c0"].to_numpy(dtype=np.float64), expected[:, 0],
                               rtol=1e-6)


def test_duplicate_entries_are_summed_and_the_callers_matrix_is_left_alone():
    X, y, A = _sparse_data()
    rows, cols = np.nonzero(X)
    halves = X[rows, cols] / 2
    # every stored value as two halves: a CSR matrix not in canonical form
    order = np.argsort(np.r_[rows, rows], kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(X)) * 2)]
    doubled = sp.csr_matrix((np.r_[halves, halves][order], np.r_[cols, cols][order], indptr),
                            shape=X.shape)
    assert not doubled.has_canonical_format and doubled.nnz == 2 * len(rows)
    before = doubled.data.copy(), doubled.indices.copy(), doubled.indptr.copy()
    expected, _ = FairDistiller(**FAST).fit_resample(sp.csr_matrix(X), y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(doubled, y, sensitive_features=A)
    np.testing.assert_array_equal(X_syn.toarray(), expected.toarray())
    for array, copy in zip((doubled.data, doubled.indices, doubled.indptr), before):
        np.testing.assert_array_equal(array, copy)


# --------------------------------------------------------------------------- never densified


@pytest.fixture
def densified(monkeypatch):
    """The shapes of every sparse matrix or array densified (``toarray``) from now on."""
    shapes = []

    def spy(original):
        def toarray(self, *args, **kwargs):
            shapes.append(self.shape)
            return original(self, *args, **kwargs)

        return toarray

    for kind in (*FORMATS, sp.coo_matrix, sp.coo_array):
        monkeypatch.setattr(kind, "toarray", spy(kind.toarray))
    return shapes


def _wide_one_hot(n=100_000, n_features=1_000, per_row=5, seed=0):
    """A one-hot-like CSR table: 800 MB as a dense float64 array, 6 MB sparse.

    A draw densifies about 750 rows (6 MB, and its float64 temporaries): the peak
    of a fit is about 20 MB, whatever the number of rows.
    """
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    columns = rng.integers(0, n_features, n * per_row)
    X = sp.csr_matrix((np.ones(n * per_row), (rows, columns)), shape=(n, n_features))
    return X, rng.integers(0, 2, n), rng.integers(0, 3, n)


def test_a_fit_densifies_only_the_rows_of_a_draw(densified):
    X, y, A = _wide_one_hot()
    FairDistiller(n_per_class=3, n_iter=5, random_state=0, device="cpu").fit(
        X, y, sensitive_features=A)
    assert densified  # the draws did go through toarray
    assert max(rows for rows, _ in densified) < X.shape[0] / 20


def test_a_fit_allocates_a_small_share_of_the_dense_x():
    X, y, A = _wide_one_hot()
    dense_bytes = X.shape[0] * X.shape[1] * 8
    tracemalloc.start()
    try:
        FairDistiller(n_per_class=3, n_iter=5, random_state=0, device="cpu").fit(
            X, y, sensitive_features=A)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < dense_bytes / 20


# --------------------------------------------------------------------------- the reading


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_statistics_come_from_the_stored_values(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 5.0, size=(3_000, 6)) * (rng.random((3_000, 6)) < 0.3)
    X[:, 4] = 0.0
    X[:, 5] = -2.0
    X = X.astype(dtype)
    # small slices of stored values: the sums continue from one slice to the next
    low, high, mean, scale, first = SparseRows(sp.csc_matrix(X)).statistics(block_values=97)
    np.testing.assert_array_equal(low, X.min(axis=0))
    np.testing.assert_array_equal(high, X.max(axis=0))
    assert low.dtype == dtype
    np.testing.assert_array_equal(mean, X.mean(axis=0, dtype=np.float64))  # bit for bit
    np.testing.assert_allclose(scale, X.std(axis=0, dtype=np.float64), rtol=1e-13)
    np.testing.assert_array_equal(first, X[0])


def test_a_csr_x_is_not_copied():
    X, _, _ = _sparse_data()
    csr = sp.csr_matrix(X)
    assert SparseRows(csr).matrix is csr
    csc = SparseRows(sp.csc_matrix(X)).matrix
    assert csc.format == "csr" and np.array_equal(csc.toarray(), X)


# --------------------------------------------------------------------------- bad input


def _bad_sparse_inputs():
    """(id, build(X) -> X, extra params, exception, message regex)."""

    def with_value(value):
        def build(X):
            X = sp.csr_matrix(X)
            X.data[3] = value
            return X
        return build

    def mixed_frame(X):
        frame = pd.DataFrame(X, columns=list("abcdef")).astype(pd.SparseDtype(float, 0.0))
        return frame.astype({"a": float, "b": float})

    return [
        ("nan", with_value(np.nan), {}, ValueError, "^Input X contains NaN"),
        ("inf", with_value(np.inf), {}, ValueError, "^Input X contains infinity"),
        ("mixed-frame", mixed_frame, {}, ValueError,
         r"both sparse columns \(\['c', 'd', 'e', 'f'\]\) and dense ones \(\['a', 'b'\]\).*"
         r"all sparse.*SparseDtype\(float, 0\.0\)"),
        ("nan-fill",
         lambda X: pd.DataFrame(X, columns=list("abcdef")).astype(pd.SparseDtype(float)),
         {}, ValueError, r"sparse columns \['a', .*fill value is not 0.*fillna\(0\.0\)"),
        ("images", sp.csr_matrix, {"image_shape": (2, 3)}, TypeError,
         r"X is sparse, but image_shape=\(2, 3\) asks for images.*X\.toarray\(\)"),
    ]


@pytest.mark.parametrize("build, params, exception, message",
                         [case[1:] for case in _bad_sparse_inputs()],
                         ids=[case[0] for case in _bad_sparse_inputs()])
def test_bad_sparse_input_is_refused_early_with_a_clear_error(no_long_work, build, params,
                                                              exception, message):
    X, y, A = _sparse_data()
    assert_refused(FairDistiller(**{**FAST, **params}), build(X), y, A, exception, message)


# --------------------------------------------------------------------------- in a pipeline


def _categorical_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "job": rng.choice([f"job{k}" for k in range(12)], n),
        "city": rng.choice([f"city{k}" for k in range(15)], n),
        "level": rng.choice(list("abcd"), n),
    })
    y = (table["level"].isin(["a", "b"]) ^ (rng.random(n) < 0.2)).astype(int).to_numpy()
    A = rng.choice(["f", "m"], n, p=[0.3, 0.7])
    return table, y, A


def test_a_column_transformers_sparse_one_hot_output_goes_through_a_pipeline():
    table, y, A = _categorical_table()
    encoder = ColumnTransformer([("onehot", OneHotEncoder(), list(table.columns))])
    assert sp.issparse(encoder.fit_transform(table))  # the default output here is sparse
    distiller = FairDistiller(**FAST)
    clf = DistilledClassifier(LogisticRegression(), distiller=distiller)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(encoder, clf.set_fit_request(sensitive_features=True))
        pipe.fit(table, y, sensitive_features=A)
    step = pipe.named_steps["distilledclassifier"]
    assert list(step.distiller_.groups_) == ["f", "m"]
    assert step.distiller_.X_distilled_.shape == (6, 31)
    assert pipe.predict(table).shape == (len(y),)
    # the same as the dense one-hot table
    dense = encoder.fit_transform(table).toarray()
    expected = FairDistiller(**FAST).fit(dense, y, sensitive_features=A).X_distilled_
    _same_rows(step.distiller_.X_distilled_, expected, np.float64)


def test_distilled_classifier_fits_and_predicts_sparse_x():
    X, y, A = _sparse_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say about sparse input
        clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
            **FAST, matching_params={"min_group_rows": 1}))  # its small cells: said elsewhere
        clf.fit(sp.csr_array(X), y, sensitive_features=A)
    assert sp.issparse(clf.distiller_.fit_resample(sp.csr_array(X), y,
                                                   sensitive_features=A)[0])
    dense = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST))
    dense.fit(X, y, sensitive_features=A)
    np.testing.assert_allclose(clf.predict_proba(sp.csr_array(X)), dense.predict_proba(X),
                               rtol=1e-6, atol=1e-9)
