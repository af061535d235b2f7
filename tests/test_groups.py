"""Sensitive features -> one group code per row (skfairdistill._data.groups).

One column or several (intersectional groups), of any kind of label; missing values,
a wrong length or no column at all are refused naming sensitive_features. The cells
that the groups make with the classes are tested in test_cells.py.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairdistill import FairDistiller
from skfairdistill._data.groups import encode_groups

from conftest import assert_refused, make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _decode(codes, groups):
    return [groups[c] for c in codes]


# ------------------------------------------------------------------------ encode_groups


@pytest.mark.parametrize(
    "container",
    [list, np.array, lambda v: np.array(v, dtype=object), pd.Series,
     lambda v: pd.Series(pd.Categorical(v))],
    ids=["list", "array", "object-array", "series", "categorical"],
)
def test_encode_one_column(container):
    values = ["m", "f", "f", "m", "x"]
    codes, groups = encode_groups(container(values), 5)
    assert codes.dtype == np.int64 and codes.shape == (5,)
    assert list(groups) == ["f", "m", "x"]  # sorted
    assert _decode(codes, groups) == values


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "zz"]), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_encode_round_trip_property(values):
    codes, groups = encode_groups(values, len(values))
    assert codes.shape == (len(values),)
    assert codes.min() >= 0 and codes.max() < len(groups)
    # each code decodes to its row's value, so equal codes mean equal values ...
    assert all(d == v for d, v in zip(_decode(codes, groups), values))
    # ... and different values get different codes
    for i in range(len(values)):
        for j in range(len(values)):
            if values[i] != values[j]:
                assert codes[i] != codes[j]
    assert len(groups) == len(set(values))


def test_encode_numbers_and_bools():
    codes, groups = encode_groups(np.array([3, 1, 3, 2]), 4)
    assert list(groups) == [1, 2, 3]
    np.testing.assert_array_equal(codes, [2, 0, 2, 1])
    codes, groups = encode_groups([True, False, False], 3)
    assert list(groups) == [False, True]
    np.testing.assert_array_equal(codes, [1, 0, 0])


def test_encode_mixed_types():
    codes, groups = encode_groups([1, "a", 1, "a"], 4)
    assert len(groups) == 2
    assert set(groups.tolist()) == {1, "a"}
    assert _decode(codes, groups) == [1, "a", 1, "a"]
    assert codes[0] == codes[2] != codes[1] == codes[3]


@pytest.mark.parametrize(
    "make",
    [
        lambda s, r: pd.DataFrame({"sex": s, "race": r}),
        lambda s, r: np.column_stack([s, r]),
        lambda s, r: [[a, b] for a, b in zip(s, r)],
    ],
    ids=["dataframe", "2d-array", "nested-list"],
)
def test_encode_two_columns_gives_intersectional_tuples(make):
    sex = ["m", "f", "m", "f", "m", "m"]
    race = ["w", "w", "b", "b", "w", "b"]
    codes, groups = encode_groups(make(sex, race), 6)
    assert len(groups) == 4
    assert all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    assert [tuple(str(v) for v in groups[c]) for c in codes] == list(zip(sex, race))
    assert sorted(tuple(str(v) for v in g) for g in groups) == [
        ("f", "b"), ("f", "w"), ("m", "b"), ("m", "w")
    ]


def test_encode_two_columns_only_observed_combinations():
    frame = pd.DataFrame({"a": [0, 0, 1, 1], "b": ["x", "x", "y", "y"]})
    codes, groups = encode_groups(frame, 4)
    assert len(groups) == 2  # (0, x) and (1, y); the unseen (0, y), (1, x) are no groups
    np.testing.assert_array_equal(codes, [0, 0, 1, 1])


@pytest.mark.parametrize(
    "values",
    [["a", "b", "a"], np.array([1, 2, 1, 2, 1]), pd.Series([1, 2]),
     pd.DataFrame({"s": ["a"] * 3, "t": [1] * 3})],
)
def test_wrong_length_raises(values):
    with pytest.raises(ValueError, match=f"^sensitive_features has {len(values)} rows but X "
                                         "has 4; they must describe the same rows"):
        encode_groups(values, 4)


@pytest.mark.parametrize(
    "values",
    [["a", None, "b"], np.array([1.0, np.nan, 2.0]), pd.Series(["a", "b", pd.NA]),
     pd.DataFrame({"s": ["a", "b", "c"], "t": [1.0, np.nan, 2.0]})],
    ids=["none", "nan", "pd-na", "frame-column"],
)
def test_missing_values_raise(values):
    column = r"\['t'\]" if isinstance(values, pd.DataFrame) else ""
    with pytest.raises(ValueError, match=rf"^sensitive_features{column} contains missing "
                                         r"values \(NaN/None\); every row needs a group"):
        encode_groups(values, 3)


def test_missing_value_error_names_the_column():
    frame = pd.DataFrame({"sex": ["m", "f", "m"], "race": ["w", None, "b"]})
    with pytest.raises(ValueError, match=r"^sensitive_features\['race'\] contains missing"):
        encode_groups(frame, 3)


@pytest.mark.parametrize("values", ["abc", 3, None])
def test_scalars_raise_type_error(values):
    with pytest.raises(TypeError, match="^sensitive_features must be array-like with one value "
                                        rf"\(or one row of values\) per sample; got "
                                        rf"{type(values).__name__}"):
        encode_groups(values, 3)


def test_three_dimensional_raises():
    with pytest.raises(ValueError, match="^sensitive_features must be 1-D or 2-D; got an array "
                                         "with 3 dimensions"):
        encode_groups(np.zeros((3, 2, 2)), 3)


@pytest.mark.parametrize("sensitive", [
    lambda n: np.empty((n, 0)),
    lambda n: pd.DataFrame(index=range(n)),
], ids=["array", "frame"])
def test_sensitive_features_without_columns_are_refused(sensitive, no_long_work):
    X, y, _ = make_grouped_data(n_samples=120)
    with pytest.raises(ValueError, match="sensitive_features has no columns"):
        FairDistiller(**FAST).fit(X, y, sensitive_features=sensitive(len(y)))


def test_datetimes_stay_timestamps_in_intersectional_groups():
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"])
    codes, groups = encode_groups(pd.DataFrame({"day": days, "g": ["a", "a", "b"]}), 3)
    assert set(groups.tolist()) == {(pd.Timestamp("2024-01-01"), "a"),
                                    (pd.Timestamp("2024-01-02"), "a"),
                                    (pd.Timestamp("2024-01-01"), "b")}
    assert len(set(codes.tolist())) == 3


def test_typed_arrays_give_plain_python_labels():
    _, groups = encode_groups(np.array(["b", "a", "b"]), 3)
    assert groups.dtype == object and [type(g) for g in groups] == [str, str]
    _, groups = encode_groups(np.array([3, 1]), 2)
    assert groups.dtype == object and groups.tolist() == [1, 3]


# --------------------------------------------------------------------------- in a fit


def _sensitive_inputs():
    """(id, build(A, n) -> sensitive_features, exception, message regex)."""
    return [
        ("sf-too-long", lambda A, n: np.r_[A, A[:3]],
         ValueError, "sensitive_features has 123 rows but X has 120"),
        ("sf-frame-too-short",
         lambda A, n: pd.DataFrame({"sex": A[:-1], "race": A[:-1]}),
         ValueError, "sensitive_features has 119 rows but X has 120"),
        ("sf-nan", lambda A, n: np.where(A == "a", 1.0, np.nan),
         ValueError, "sensitive_features contains missing values"),
        ("sf-pd.NA-Int64",
         lambda A, n: pd.Series(np.arange(n) % 3, dtype="Int64").mask(np.arange(n) == 7),
         ValueError, "sensitive_features contains missing values"),
        ("sf-frame-column-nan",
         lambda A, n: pd.DataFrame({"sex": A, "age": np.where(np.arange(n) % 2, 1.0, np.nan)}),
         ValueError, r"sensitive_features\['age'\] contains missing values"),
    ]


@pytest.mark.parametrize(
    "build, exception, message", [case[1:] for case in _sensitive_inputs()],
    ids=[case[0] for case in _sensitive_inputs()],
)
def test_bad_input_is_rejected_early_with_a_clear_error(no_long_work, build, exception, message):
    X, y, A = make_grouped_data(n_samples=120)
    distiller = FairDistiller(**{**FAST, "device": "auto"})
    assert_refused(distiller, X, y, build(A, len(y)), exception, message)


def test_wrong_length_sensitive_features_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="^sensitive_features has 239 rows but X has 240"):
        FairDistiller(n_iter=20, random_state=0).fit(X, y, sensitive_features=A[:-1])


def test_missing_group_raises(grouped_data):
    X, y, A = grouped_data
    A = A.copy()
    A[5] = None
    with pytest.raises(ValueError, match=r"^sensitive_features contains missing values "
                                         r"\(NaN/None\)"):
        FairDistiller(n_iter=20, random_state=0).fit(X, y, sensitive_features=A)


def test_intersectional_groups_from_dataframe(grouped_data):
    X, y, A = grouped_data
    rng = np.random.default_rng(0)
    race = rng.choice(["r1", "r2"], size=len(y))
    sensitive = pd.DataFrame({"sex": A, "race": race})
    distiller = FairDistiller(n_per_class=2, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=sensitive)
    groups = distiller.groups_
    assert all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    assert {tuple(str(v) for v in g) for g in groups} == {
        (s, r) for s in ("a", "b") for r in ("r1", "r2")
    }
    assert distiller.cell_counts_.shape == (2, 4)
    for j, (s, r) in enumerate(groups):
        for k in (0, 1):
            expected = np.sum((y == k) & (A == s) & (race == r))
            assert distiller.cell_counts_[k, j] == expected


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["f", "m"], dtype=object),
        np.array([3, 11]),
        np.array([0.5, 2.5]),
        np.array([False, True]),
        np.array([1, "a"], dtype=object),
    ],
    ids=["str", "int", "float", "bool", "mixed"],
)
def test_group_labels_of_any_kind(grouped_data, labels):
    X, y, A = grouped_data
    sensitive = np.empty(len(A), dtype=labels.dtype)
    sensitive[A == "a"], sensitive[A != "a"] = labels[0], labels[1]
    distiller = FairDistiller(n_per_class=2, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=sensitive)
    assert len(distiller.groups_) == 2
    assert set(distiller.groups_.tolist()) == set(labels.tolist())
    counts = distiller.cell_counts_.sum(axis=0)
    first = list(distiller.groups_).index(labels[0])
    assert counts[first] == np.sum(A == "a")


def test_categorical_series_as_groups(grouped_data):
    X, y, A = grouped_data
    sensitive = pd.Series(pd.Categorical(A), name="grp")
    distiller = FairDistiller(n_per_class=2, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=sensitive)
    assert list(distiller.groups_) == ["a", "b"]


@pytest.mark.parametrize(
    "make_groups, expected",
    [
        (lambda A: pd.Series(A, dtype="string"), ["a", "b"]),
        (lambda A: pd.Series(A == "a", dtype="boolean"), [False, True]),
        (lambda A: pd.Series(np.where(A == "a", 10, 20), dtype="Int64"), [10, 20]),
        (lambda A: pd.Series(pd.Categorical(A, categories=["b", "a", "unused"])), ["a", "b"]),
        (lambda A: (A == "a").tolist(), [False, True]),
        # an unorderable mix sorts by type name, then text: int before str
        (lambda A: np.array(["x" if a == "a" else 3 for a in A], dtype=object), [3, "x"]),
    ],
    ids=["string-dtype", "nullable-boolean", "Int64", "categorical-unused-category",
         "bool-list", "mixed-str-int"],
)
def test_sensitive_feature_encodings(make_groups, expected):
    X, y, A = make_grouped_data(n_samples=120)
    distiller = FairDistiller(**FAST).fit(X, y, sensitive_features=make_groups(A))
    assert len(distiller.groups_) == 2
    assert distiller.groups_.tolist() == expected
    # the group of the "a" rows has as many rows as A says
    first = int(np.argmax(distiller.cell_counts_.sum(axis=0) == np.sum(A == "a")))
    assert distiller.cell_counts_.sum(axis=0)[first] == np.sum(A == "a")


def test_mixed_type_sensitive_columns_make_intersectional_groups():
    X, y, A = make_grouped_data(n_samples=120)
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


def test_duplicate_column_names_are_refused_naming_them():
    X, y, A = make_grouped_data()
    frame = pd.DataFrame({"sex": A, "race": A})
    frame.columns = ["sex", "sex"]
    with pytest.raises(ValueError, match=r"sensitive_features has duplicate column names "
                                         r"\['sex'\]; give every column its own name"):
        encode_groups(frame, len(y))


def test_unhashable_group_values_are_refused_naming_the_type():
    with pytest.raises(TypeError, match=r"sensitive_features holds a list value \(\[1\]\); "
                                        r"group values must be labels"):
        encode_groups(pd.Series([[1], [2, 3]] * 5), 10)
