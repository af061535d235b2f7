"""TabularEncoder (skfairdistill.preprocessing): one-hot and scaled columns, decoded back by
OneHotEncoder and the scaler."""

import numpy as np
import pandas as pd
import pytest

from skfairdistill.preprocessing import TabularEncoder

from conftest import make_mixed_table


def test_round_trip_keeps_values_order_and_dtypes():
    X = make_mixed_table()
    encoder = TabularEncoder().fit(X)
    assert list(encoder.get_feature_names_out()) == [
        "job_chef", "job_clerk", "job_nurse", "union_False", "union_True", "age", "hours"]
    decoded = encoder.inverse_transform(encoder.transform(X))
    pd.testing.assert_frame_equal(decoded, X)


def test_synthetic_rows_decode_to_the_largest_column_of_each_block():
    X = make_mixed_table()
    encoder = TabularEncoder().fit(X)
    Z = encoder.transform(X[:2]).copy()
    Z[:, :3] = [[0.2, 0.5, 0.3], [0.4, -0.1, 0.35]]  # job: clerk, chef
    Z[:, 3:5] = [[0.9, 0.1], [-0.2, 0.3]]  # union: False, True
    Z[:, 5] = [10.0, -10.0]  # age far outside the range seen in fit: clipped
    decoded = encoder.inverse_transform(Z)
    assert decoded["job"].tolist() == ["clerk", "chef"]
    assert decoded["union"].tolist() == [False, True]
    assert decoded["age"].tolist() == [61, 25]


def test_unseen_category_decodes_to_missing():
    encoder = TabularEncoder().fit(make_mixed_table())
    unseen = make_mixed_table()[:1].assign(job="pilot")
    Z = encoder.transform(unseen)
    assert not Z[:, :3].any()
    assert encoder.inverse_transform(Z)["job"].isna().all()


def test_without_scaling_clipping_or_rounding_the_numbers_pass_through():
    X = make_mixed_table()
    encoder = TabularEncoder(scale_numeric=False, clip_numeric=False, round_integers=False)
    Z = encoder.fit(X).transform(X)
    assert Z[:, -2:].tolist() == X[["age", "hours"]].to_numpy(dtype=float).tolist()
    Z[:, -2] = [25.4, 80.0, 61.0, 33.0, 52.0]
    decoded = encoder.inverse_transform(Z)
    assert decoded["age"].tolist() == [25.4, 80.0, 61.0, 33.0, 52.0]  # neither rounded nor clipped


def test_categorical_columns_can_be_named():
    X = make_mixed_table()
    encoder = TabularEncoder(categorical_columns=["age", "job"]).fit(X)
    assert encoder.categorical_columns_ == ["age", "job"]
    assert encoder.numeric_columns_ == ["hours", "union"]
    assert list(encoder.get_feature_names_out()[:5]) == ["age_25", "age_33", "age_40", "age_52",
                                                         "age_61"]


@pytest.mark.parametrize("params, X, exception, message", [
    (dict(categorical_columns="job"), None, TypeError,
     "^categorical_columns must be a list of column names or None; got the string 'job'"),
    (dict(categorical_columns=["pay"]), None, ValueError,
     r"^categorical_columns \['pay'\] are not columns of X"),
    (dict(categorical_columns=["job"]), lambda X: X.assign(city=["a"] * 5), ValueError,
     r"^columns \['city'\] are neither numeric nor in categorical_columns"),
    (dict(), lambda X: X["age"].to_numpy(), ValueError,
     "^X must be a 2-D table .*; got ndarray with 1 dimensions"),
], ids=["string", "unknown-column", "text-not-categorical", "1-d"])
def test_bad_arguments_are_refused_naming_them(params, X, exception, message):
    X = make_mixed_table() if X is None else X(make_mixed_table())
    with pytest.raises(exception, match=message):
        TabularEncoder(**params).fit(X)


def test_inverse_transform_needs_the_encoded_width():
    encoder = TabularEncoder().fit(make_mixed_table())
    with pytest.raises(ValueError, match=r"^Z must be 2-D with 7 columns \(the output of "
                                         r"transform\); got shape \(2, 3\)"):
        encoder.inverse_transform(np.zeros((2, 3)))


def test_one_hot_blocks_are_the_output_columns_of_each_category_block():
    X = pd.DataFrame({"age": [25, 40, 61, 33], "job": ["clerk", "nurse", "clerk", "chef"],
                      "country": ["fr"] * 4, "smoker": [True, False, True, True]})
    encoder = TabularEncoder().fit(X)
    names = encoder.get_feature_names_out().tolist()
    # job: three columns; country: one category, a constant column (no block); smoker: two
    assert encoder.one_hot_blocks_ == [[0, 1, 2], [4, 5]]
    assert [names[j] for j in (0, 1, 2, 4, 5)] == [
        "job_chef", "job_clerk", "job_nurse", "smoker_False", "smoker_True"]
    assert TabularEncoder().fit(X[["age"]]).one_hot_blocks_ == []
