"""The bundled German credit data loads offline, its codes decoded, its groups read right."""

import gzip
import hashlib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from skfairdistill import FairDistiller
from skfairdistill.datasets import load_german_credit
from skfairdistill.preprocessing import TabularEncoder


def test_the_file_is_the_one_its_provenance_names():
    source = resources.files("skfairdistill.datasets").joinpath("data", "german_credit.csv.gz")
    with source.open("rb") as handle:
        text = gzip.decompress(handle.read())
    provenance = resources.files("skfairdistill.datasets").joinpath("data", "CREDIT.md")
    assert hashlib.sha256(text).hexdigest() in provenance.read_text().replace("\n", "")


def test_default_shapes_target_and_groups():
    X, y, A = load_german_credit()
    assert X.shape == (1000, 19) and len(y) == len(A) == 1000
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series) and isinstance(A, pd.Series)
    assert int(y.sum()) == 700 and set(np.unique(y)) == {0, 1}
    assert A.value_counts().to_dict() == {"male": 690, "female": 310}
    # personal status codes sex: it is left out, and no code is left undecoded
    assert "personal_status" not in X and "credit" not in X
    text = X.select_dtypes(exclude="number")
    assert not text.apply(lambda column: column.str.fullmatch(r"A\d+")).any().any()
    assert X.isna().sum().sum() == 0


def test_sex_is_read_from_personal_status_and_age_groups_at_25():
    X, y, A = load_german_credit(sensitive=["sex", "age"], include_sensitive=True)
    assert list(A.columns) == ["sex", "age"] and X.shape == (1000, 20)
    assert (A["sex"] == X["personal_status"].str.split(",").str[0]).all()
    assert ((A["age"] == "under 25") == (X["age"] < 25)).all()
    X_age, _, A_age = load_german_credit(sensitive="age")
    assert "age" not in X_age and "personal_status" in X_age
    assert A_age.value_counts().to_dict() == {"25 and over": 851, "under 25": 149}


@pytest.mark.parametrize("sensitive", ["race", ["sex", "sex"], [], 3, ["sex", None]])
def test_bad_sensitive_names_the_argument(sensitive):
    with pytest.raises(ValueError, match="sensitive must be"):
        load_german_credit(sensitive=sensitive)


def test_bad_include_sensitive_names_the_argument():
    with pytest.raises((TypeError, ValueError), match="include_sensitive"):
        load_german_credit(include_sensitive="yes")


def test_the_table_distils():
    X, y, A = load_german_credit()
    X_enc = TabularEncoder().fit_transform(X)
    X_syn, y_syn = FairDistiller(n_per_class=5, n_iter=20, random_state=0,
                                 device="cpu").fit_resample(X_enc, y, sensitive_features=A)
    assert X_syn.shape == (10, X_enc.shape[1]) and np.isfinite(X_syn).all()
    assert np.bincount(y_syn).tolist() == [5, 5]
