"""The bundled Adult census-income data loads offline."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skfairdistill.datasets import load_adult

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult"


@pytest.fixture(scope="module")
def adult_sex():
    return load_adult()


@pytest.fixture(scope="module")
def adult_full():
    return load_adult(dropna=False, sensitive=["sex", "race"], include_sensitive=True)


def test_default_shapes_and_target(adult_sex):
    X, y, A = adult_sex
    assert X.shape == (45222, 13)
    assert len(y) == len(A) == 45222
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series) and isinstance(A, pd.Series)
    assert set(np.unique(y)) == {0, 1}
    assert pd.api.types.is_integer_dtype(y)
    assert 0.2 < y.mean() < 0.3  # about a quarter earn more than 50K
    assert not X.isna().any().any()
    assert "income" not in X.columns
    assert "sex" not in X.columns and "race" in X.columns
    assert A.name == "sex"
    assert set(A.unique()) == {"Male", "Female"}
    assert X.index.equals(pd.RangeIndex(45222)) and y.index.equals(X.index)


def test_numeric_columns_are_numeric(adult_sex):
    X, _, _ = adult_sex
    for column in ("age", "fnlwgt", "education-num", "capital-gain", "capital-loss",
                   "hours-per-week"):
        assert pd.api.types.is_numeric_dtype(X[column]), column
    assert X["age"].between(17, 90).all()


def test_without_dropna_keeps_all_rows(adult_full):
    X, y, A = adult_full
    assert X.shape == (48842, 14)
    assert len(y) == len(A) == 48842
    assert X.isna().any(axis=1).sum() == 48842 - 45222
    assert set(np.unique(y)) == {0, 1}


def test_race_as_sensitive():
    X, y, A = load_adult(sensitive="race")
    assert A.name == "race"
    assert "race" not in X.columns and "sex" in X.columns
    assert A.nunique() == 5
    assert "White" in set(A) and "Black" in set(A)
    assert len(A) == len(y) == len(X) == 45222


def test_two_sensitive_columns_give_a_dataframe():
    X, y, A = load_adult(sensitive=["sex", "race"])
    assert isinstance(A, pd.DataFrame)
    assert list(A.columns) == ["sex", "race"]
    assert A.shape == (45222, 2)
    assert "sex" not in X.columns and "race" not in X.columns
    assert X.shape == (45222, 12)


def test_include_sensitive_keeps_the_columns(adult_full):
    X, _, A = adult_full
    assert "sex" in X.columns and "race" in X.columns
    pd.testing.assert_series_equal(X["sex"], A["sex"])
    # A is a copy: changing it leaves X alone
    A.iloc[0, 0] = "changed"
    assert X["sex"].iloc[0] != "changed"


@pytest.mark.parametrize("sensitive", ["age", ["sex", "income"], [], "Sex"])
def test_bad_sensitive_raises(sensitive):
    with pytest.raises(ValueError, match="^sensitive must be 'sex', 'race' or a list of them; "
                                         "got "):
        load_adult(sensitive=sensitive)


def _raw_rows(path):
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("|")]


@pytest.mark.skipif(not RAW.is_dir(), reason="the raw Adult files are not available")
def test_bundled_copy_matches_the_raw_files(adult_full):
    rows = _raw_rows(RAW / "adult.data") + _raw_rows(RAW / "adult.test")
    X, y, _ = adult_full
    assert len(rows) == len(X) == 48842
    complete = [row for row in rows if "?" not in row]
    assert X.dropna().shape[0] == len(complete) == 45222
    rich = sum(row.rstrip(".").endswith(">50K") for row in rows)
    assert int(y.sum()) == rich
    # first row of adult.data and first row of adult.test, in order
    assert X["age"].iloc[0] == int(rows[0].split(",")[0])
    assert X["age"].iloc[32561] == int(rows[32561].split(",")[0])
