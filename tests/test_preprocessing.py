"""TabularEncoder: one-hot and scaled columns, decoded back by OneHotEncoder and the scaler."""

import numpy as np
import pandas as pd

from skfairdistill.preprocessing import TabularEncoder


def _table():
    return pd.DataFrame({
        "age": [25, 40, 61, 33, 52],
        "job": ["clerk", "nurse", "clerk", "chef", "nurse"],
        "hours": [40.0, 38.5, 20.0, 45.0, 36.0],
        "union": [True, False, False, True, False],
    })


def test_round_trip_keeps_values_order_and_dtypes():
    X = _table()
    encoder = TabularEncoder().fit(X)
    assert list(encoder.get_feature_names_out()) == [
        "job_chef", "job_clerk", "job_nurse", "union_False", "union_True", "age", "hours"]
    decoded = encoder.inverse_transform(encoder.transform(X))
    pd.testing.assert_frame_equal(decoded, X)


def test_synthetic_rows_decode_to_the_largest_column_of_each_block():
    X = _table()
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
    encoder = TabularEncoder().fit(_table())
    unseen = _table()[:1].assign(job="pilot")
    Z = encoder.transform(unseen)
    assert not Z[:, :3].any()
    assert encoder.inverse_transform(Z)["job"].isna().all()


def test_demo_encoding_is_the_encoder_in_float32():
    from skfairdistill._cli.demo import encode_tabular

    X = _table()
    Z_train, Z_test = encode_tabular(X[:3], X[3:])
    encoder = TabularEncoder().fit(X[:3])
    np.testing.assert_array_equal(Z_test, encoder.transform(X[3:]).astype(np.float32))
    assert Z_train.dtype == np.float32
