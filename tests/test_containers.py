"""Container in = container out (skfairdistill._data.containers.ContainerRoundTrip).

A DataFrame gives a DataFrame with the same columns (float columns keep their dtype,
float16 comes back float32), a Series keeps its name and dtype, a list gives a list,
a one-vs-all ``y`` comes back one-vs-all, a SciPy sparse ``X`` comes back in its format
and class, sparse DataFrame columns come back sparse.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skfairdistill import FairDistiller
from skfairdistill._data.containers import ContainerRoundTrip

from conftest import make_grouped_data

FAST = dict(n_iter=20, random_state=0)


# --------------------------------------------------------------------------- the round trip


def test_dataframe_in_dataframe_out_with_the_float_dtypes_of_its_columns():
    X = pd.DataFrame({"a": np.arange(3, dtype=np.float32), "b": np.arange(3),
                      "c": np.arange(3, dtype=np.float16), "d": pd.array([1.0, 2.0, None],
                                                                           dtype="Float64")},
                     index=[10, 11, 12])
    y = pd.Series([0, 1, 0], name="label", index=[10, 11, 12])
    X_syn, y_syn = ContainerRoundTrip(X, y).restore(np.ones((2, 4)), np.array([1, 0]))
    assert isinstance(X_syn, pd.DataFrame) and list(X_syn.columns) == ["a", "b", "c", "d"]
    assert X_syn.dtypes.to_dict() == {"a": np.float32, "b": np.float64, "c": np.float32,
                                      "d": pd.Float64Dtype()}
    assert list(X_syn.index) == [0, 1]  # new rows: a fresh index
    pd.testing.assert_series_equal(y_syn, pd.Series([1, 0], name="label"))


def test_arrays_come_back_as_they_are():
    X_syn, y_syn = np.zeros((2, 3)), np.array(["a", "b"])
    out_X, out_y = ContainerRoundTrip(np.ones((5, 3)), np.arange(5)).restore(X_syn, y_syn)
    assert out_X is X_syn and out_y is y_syn


def test_lists_and_tuples_give_lists():
    X_syn, y_syn = ContainerRoundTrip([[1.0, 2.0]], (0,)).restore(
        np.array([[0.5, 1.5], [2.0, 3.0]]), np.array([1, 0]))
    assert X_syn == [[0.5, 1.5], [2.0, 3.0]] and y_syn == [1, 0]


def test_one_vs_all_y_comes_back_one_vs_all():
    y = pd.DataFrame(np.eye(3)[[0, 1, 2, 1]].astype(int), columns=["a", "b", "c"])
    _, y_syn = ContainerRoundTrip(np.zeros((4, 2)), y).restore(
        np.zeros((3, 2)), np.array([2, 0, 1]), one_vs_all_classes=np.arange(3))
    expected = pd.DataFrame([[0, 0, 1], [1, 0, 0], [0, 1, 0]], columns=["a", "b", "c"])
    pd.testing.assert_frame_equal(y_syn, expected)
    _, y_array = ContainerRoundTrip(np.zeros((4, 2)), np.eye(3)[[0, 1, 2, 1]]).restore(
        np.zeros((2, 2)), np.array([1, 1]), one_vs_all_classes=np.arange(3))
    np.testing.assert_array_equal(y_array, [[0, 1, 0], [0, 1, 0]])


def test_a_dtype_that_cannot_hold_the_labels_leaves_them_as_they_are():
    y = pd.Series([1, 2], dtype="Int64")
    _, y_syn = ContainerRoundTrip(np.zeros((2, 1)), y).restore(np.zeros((1, 1)),
                                                               np.array(["x"], dtype=object))
    assert y_syn.tolist() == ["x"] and y_syn.dtype == pd.Series(["x"]).dtype


@pytest.mark.parametrize("kind", [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array,
                                  sp.coo_array, sp.lil_matrix],
                         ids=lambda kind: kind.__name__)
def test_sparse_x_comes_back_in_its_format_and_class(kind):
    X_syn = np.array([[1.5, 0.0, -2.0], [0.0, 0.25, 3.0]], dtype=np.float32)
    out, _ = ContainerRoundTrip(kind(np.eye(3)), np.arange(3)).restore(X_syn, np.array([0, 1]))
    assert type(out) is kind and out.dtype == np.float32
    np.testing.assert_array_equal(out.toarray(), X_syn)


def test_sparse_columns_come_back_sparse_with_their_fill_value():
    X = pd.DataFrame({
        "a": pd.arrays.SparseArray([0.0, 1.0, 0.0], fill_value=0.0),
        "b": pd.arrays.SparseArray(np.array([0, 2, 0], dtype=np.float32), fill_value=0.0),
        "c": pd.arrays.SparseArray([0, 0, 3]),  # integers: synthetic values are not
        "d": pd.arrays.SparseArray(np.array([1, 0, 0], dtype=np.float16), fill_value=0.0),
        "e": pd.arrays.SparseArray([1.0, 2.0, 1.0], fill_value=1.0),
    })
    out, _ = ContainerRoundTrip(X, np.arange(3)).restore(np.ones((2, 5)), np.array([0, 1]))
    assert out.dtypes.to_dict() == {
        "a": pd.SparseDtype(np.float64, 0.0), "b": pd.SparseDtype(np.float32, 0.0),
        "c": pd.SparseDtype(np.float64, 0), "d": pd.SparseDtype(np.float32, 0.0),
        "e": pd.SparseDtype(np.float64, 1.0)}
    np.testing.assert_array_equal(out.to_numpy(dtype=float), np.ones((2, 5)))


# --------------------------------------------------------------------------- in a fit


def test_dataframe_in_dataframe_out(grouped_data):
    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    frame = frame.astype({"w": np.float32, "x": np.float32})
    X_syn, y_syn = FairDistiller(n_per_class=3, **FAST).fit_resample(
        frame, pd.Series(y, name="income"), sensitive_features=pd.Series(A, name="sex")
    )
    assert isinstance(X_syn, pd.DataFrame)
    assert list(X_syn.columns) == ["w", "x", "y", "z"]
    assert X_syn.shape == (6, 4)
    assert X_syn.dtypes["w"] == np.float32 and X_syn.dtypes["x"] == np.float32
    assert X_syn.dtypes["y"] == np.float64
    assert isinstance(y_syn, pd.Series)
    assert y_syn.name == "income"
    assert sorted(y_syn.tolist()) == [0, 0, 0, 1, 1, 1]


def test_float32_array_stays_float32(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, **FAST)
    X_syn, _ = distiller.fit_resample(X.astype(np.float32), y, sensitive_features=A)
    assert X_syn.dtype == np.float32
    assert distiller.X_distilled_.dtype == np.float32
    X_syn64, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn64.dtype == np.float64


def test_list_in_list_out(grouped_data):
    X, y, A = grouped_data
    X_syn, y_syn = FairDistiller(n_per_class=2, **FAST).fit_resample(
        X.tolist(), y.tolist(), sensitive_features=A.tolist()
    )
    assert isinstance(X_syn, list) and isinstance(y_syn, list)
    assert len(X_syn) == 4 and all(len(row) == X.shape[1] for row in X_syn)
    assert sorted(y_syn) == [0, 0, 1, 1]


@pytest.mark.parametrize("make_y", [
    lambda y: pd.Series(y, dtype="Int64", name="t"),
    lambda y: pd.Series(y.astype(bool), dtype="boolean"),
    lambda y: pd.Series(pd.Categorical(np.where(y, "hi", "lo"),
                                       categories=["lo", "mid", "hi"], ordered=True)),
    lambda y: pd.Series(pd.Categorical(y * 10, categories=[10, 0])),
    lambda y: pd.Series(np.where(y, "x", "y"), dtype="string"),
], ids=["Int64", "boolean", "ordered-category", "numeric-category", "string"])
def test_y_series_dtypes_come_back(make_y):
    X, y, A = make_grouped_data(n_samples=120)
    y_in = make_y(y)
    _, y_syn = FairDistiller(n_per_class=2, n_iter=10, random_state=0, device="cpu").fit_resample(
        X, y_in, sensitive_features=A)
    assert y_syn.dtype == y_in.dtype  # categories and their order included
    assert y_syn.name == y_in.name
    assert set(y_syn.tolist()) == set(y_in.tolist())


def test_pandas_nullable_and_float16_columns():
    X, y, A = make_grouped_data(n_samples=120)
    frame = pd.DataFrame({
        "count": pd.array(np.round(10 * X[:, 0]).astype(int), dtype="Int64"),
        "ratio": pd.array(X[:, 1], dtype="Float64"),
        "flag": pd.array(X[:, 2] > 0, dtype="boolean"),
        "half": X[:, 3].astype(np.float16),
    })
    copy = frame.copy()
    X_syn, _ = FairDistiller(n_per_class=2, n_iter=10, random_state=0, device="cpu").fit_resample(
        frame, y, sensitive_features=A)
    pd.testing.assert_frame_equal(frame, copy)
    assert list(X_syn.columns) == ["count", "ratio", "flag", "half"]
    assert X_syn.dtypes.to_dict() == {
        "count": np.float64,  # synthetic counts are not integers
        "ratio": pd.Float64Dtype(),
        "flag": np.float64,
        "half": np.float32,  # float16 comes back as float32, as for arrays
    }
    assert np.all(np.isfinite(X_syn.to_numpy(dtype=float)))
