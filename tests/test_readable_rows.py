"""Readable synthetic rows: every value within its observed range, one category per one-hot block.

``fit_resample`` returns the rows made readable (:class:`ReadableRows`, resolved from
``matching_params['readable_rows']`` by ``resolve_readable_rows``): images by default,
tables with ``readable_rows=True`` or declared blocks; ``X_distilled_`` keeps the rows
as optimised. The one-hot blocks: found by :func:`scan_columns`, or
declared.
"""

import functools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._config.fit_config import resolve_readable_rows
from skfairdistill._config.parameters import check_params
from skfairdistill._data.fitted import ReadableRows, scan_columns, value_range
from skfairdistill._nn.networks import make_embedding
from skfairdistill.datasets import make_colored_digits
from skfairdistill.preprocessing import TabularEncoder

CPU = dict(random_state=0, device="cpu", n_threads=1)
SMALL_CONVNET = functools.partial(make_embedding, "convnet", channels=4)


def _counts_table(n=300, seed=0):
    """An age in [18, 69], a count of prior offences (many zeros) and a number."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    A = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    X = np.column_stack([rng.integers(18, 70, n).astype(float),
                         rng.poisson(0.3 + 1.5 * y).astype(float),
                         rng.normal(size=n) + y])
    return X, y, A


def _fit(X, y, A, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        distiller = FairDistiller(**{**CPU, **params})
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    return distiller, X_syn, y_syn


def _within(rows, low, high):
    rows = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    return bool((rows >= low).all() and (rows <= high).all())


# ----------------------------------------------------------------------------- the range


@pytest.mark.parametrize("params", [
    dict(n_iter=200, matching_params=dict(readable_rows=True)),
    dict(matching="gradient", n_iter=10,
         matching_params=dict(outer_loops=2, inner_steps=1, readable_rows=True)),
    dict(matching="cafe", n_iter=5,
         matching_params=dict(outer_loops=2, inner_steps=1, readable_rows=[])),
    dict(matching="model", n_iter=100, matching_params=dict(readable_rows=True)),
], ids=["distribution", "gradient", "cafe, clip only", "model"])
def test_returned_rows_stay_within_every_columns_observed_range(params):
    X, y, A = _counts_table()
    distiller, X_syn, _ = _fit(X, y, A, n_per_class=10, **params)
    low, high = X.min(axis=0), X.max(axis=0)
    assert _within(X_syn, low, high)  # no negative count, no age of 15
    assert not _within(distiller.X_distilled_, low, high)  # the rows as optimised
    inside = (distiller.X_distilled_ >= low) & (distiller.X_distilled_ <= high)
    np.testing.assert_array_equal(X_syn[inside], distiller.X_distilled_[inside])
    np.testing.assert_array_equal(X_syn[~inside], np.where(
        distiller.X_distilled_ < low, low, high)[~inside])


@pytest.mark.parametrize("params", [dict(n_iter=200), dict(matching="model", n_iter=100),
                                    dict(matching="kmeans")], ids=["distribution", "model",
                                                                   "kmeans"])
def test_table_rows_stay_as_optimised_by_default(params):
    X, y, A = _counts_table()
    distiller, X_syn, _ = _fit(X, y, A, n_per_class=10, **params)
    np.testing.assert_array_equal(X_syn, distiller.X_distilled_)
    if params.get("matching") != "kmeans":  # a k-means centre lies within the range
        assert not _within(X_syn, X.min(axis=0), X.max(axis=0))


def test_readable_rows_false_returns_the_rows_as_optimised():
    X, y, A = _counts_table()
    distiller, X_syn, _ = _fit(X, y, A, n_per_class=10, n_iter=200,
                               matching_params={"readable_rows": False})
    np.testing.assert_array_equal(X_syn, distiller.X_distilled_)
    assert not _within(X_syn, X.min(axis=0), X.max(axis=0))


def test_a_dataframe_of_raw_columns_comes_back_within_range():
    X, y, A = _counts_table()
    frame = pd.DataFrame(X, columns=["age", "priors_count", "score"])
    _, X_syn, _ = _fit(frame, y, A, n_per_class=10, n_iter=200, matching_params=dict(readable_rows=True))
    assert list(X_syn.columns) == list(frame.columns)
    assert (X_syn.min() >= frame.min()).all() and (X_syn.max() <= frame.max()).all()


@pytest.mark.parametrize("params", [
    dict(n_iter=3, learning_rate=1.0, batch_size=8,
         matching_params=dict(embedding=SMALL_CONVNET, augmentation="crop_flip")),
    dict(matching="gradient", n_iter=2, learning_rate=1.0, batch_size=8,
         matching_params=dict(embedding=SMALL_CONVNET, outer_loops=2, inner_steps=1)),
    dict(matching="idc", n_iter=2, learning_rate=1.0, batch_size=8,
         matching_params=dict(embedding=SMALL_CONVNET, outer_loops=2, inner_steps=1)),
], ids=["distribution", "gradient", "idc"])
def test_returned_images_stay_within_each_channels_range(params):
    X, y, A = make_colored_digits(n_colors=2, random_state=0)
    keep = y < 2
    X, y, A = X[keep], y[keep], A[keep]
    distiller, X_syn, _ = _fit(X, y, A, n_per_class=2, **params)
    assert X_syn.shape[1:] == X.shape[1:]
    for channel in range(X.shape[1]):  # each channel's range, for all its pixels
        values = X[:, channel]
        assert values.min() <= X_syn[:, channel].min()
        assert X_syn[:, channel].max() <= values.max()
    assert not _within(distiller.X_distilled_, X.min(), X.max())  # as optimised


def test_images_are_bounded_by_their_channels_range_not_each_pixels():
    X = np.random.default_rng(0).random((20, 2, 4, 4))
    X[:, :, 0, 0] = 0.0  # a border pixel that is always black
    X[:, 1] *= 3.0
    flat = X.reshape(20, -1)
    low, high = value_range(flat.min(axis=0), flat.max(axis=0), (2, 4, 4))
    np.testing.assert_array_equal(low.reshape(2, 16), np.broadcast_to(
        X.reshape(20, 2, 16).min(axis=(0, 2))[:, None], (2, 16)))
    np.testing.assert_array_equal(high.reshape(2, 16), np.broadcast_to(
        X.reshape(20, 2, 16).max(axis=(0, 2))[:, None], (2, 16)))
    assert high[0] > 0  # the black pixel may be drawn on
    settings = _settings("auto")
    settings.image_shape = (2, 4, 4)
    readable = resolve_readable_rows(settings, flat)
    np.testing.assert_array_equal(readable.low, low)
    assert readable.blocks == []


def test_clipping_keeps_the_dtype_and_shape_and_leaves_the_rows_alone():
    readable = ReadableRows(np.zeros(4), np.ones(4))
    X = np.array([[[-0.5, 0.5], [1.5, 1.0]]], dtype=np.float32)
    clipped = readable.apply(X)
    assert clipped.dtype == np.float32 and clipped.shape == X.shape
    np.testing.assert_array_equal(clipped, [[[0.0, 0.5], [1.0, 1.0]]])
    assert X[0, 0, 0] == -0.5
    assert ReadableRows().apply(X) is X


# ----------------------------------------------------------------------------- one-hot blocks


def _mixed_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"job": rng.choice(["chef", "clerk", "nurse"], n),
                         "age": rng.integers(18, 70, n),
                         "smoker": rng.choice(["no", "yes"], n),
                         "city": rng.choice(list("pqrst"), n),
                         "flag": rng.integers(0, 2, n).astype(float)})


def _blocks(found):
    return [np.asarray(block).tolist() for block in getattr(found, "blocks", found)]


def detect_one_hot_blocks(X, **options):
    low, high, blocks = scan_columns(X, **options)
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    np.testing.assert_array_equal(low, dense.min(axis=0))
    np.testing.assert_array_equal(high, dense.max(axis=0))
    return blocks


def test_tabular_encoders_blocks_are_detected_and_match_its_own():
    frame = _mixed_frame()
    encoder = TabularEncoder(categorical_columns=["job", "smoker", "city"]).fit(frame)
    Z = encoder.transform(frame)
    assert _blocks(detect_one_hot_blocks(Z)) == encoder.one_hot_blocks_ == [
        [0, 1, 2], [3, 4], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize("container", ["array", "csr", "csc"])
def test_a_column_transformers_one_hot_output_is_detected_dense_or_sparse(container):
    frame = _mixed_frame()
    transformer = ColumnTransformer([("num", StandardScaler(), ["age"]),
                                     ("cat", OneHotEncoder(), ["job", "smoker"])],
                                    sparse_threshold=1.0 if container != "array" else 0.0)
    Z = transformer.fit_transform(frame)
    if container == "csc":
        Z = sp.csc_matrix(Z)
    assert sp.issparse(Z) == (container != "array")
    assert _blocks(detect_one_hot_blocks(Z, block_values=64)) == [[1, 2, 3], [4, 5]]


def test_get_dummies_blocks_with_a_column_of_zeros_inside():
    frame = _mixed_frame()
    dummies = pd.get_dummies(frame[["job", "city"]], dtype=float)
    dummies.insert(1, "job_absent", 0.0)  # a category of the encoder absent from these rows
    assert _blocks(detect_one_hot_blocks(dummies.to_numpy())) == [[0, 1, 2, 3],
                                                                   [4, 5, 6, 7, 8]]


def test_a_memory_mapped_x_is_scanned_once_in_blocks(tmp_path, monkeypatch):
    from skfairdistill._data.host_rows import HostRows

    frame = _mixed_frame(n=500)
    Z = TabularEncoder().fit(frame).transform(frame)
    path = tmp_path / "Z.npy"
    np.save(path, Z)
    reads = []
    original = HostRows._read
    monkeypatch.setattr(HostRows, "_read", lambda self, index: reads.append(index) or original(
        self, index))
    low, high, blocks = scan_columns(HostRows(np.load(path, mmap_mode="r")), block_values=600)
    assert sum(index.stop - index.start for index in reads) == len(Z)  # one pass
    assert max(index.stop - index.start for index in reads) <= 600 // Z.shape[1]
    assert _blocks(blocks) == [[0, 1, 2], [3, 4], [5, 6, 7, 8, 9]]
    np.testing.assert_array_equal(low, Z.min(axis=0))


def test_sparse_rows_are_scanned_from_their_stored_values_in_slices():
    frame = _mixed_frame()
    Z = OneHotEncoder().fit_transform(frame[["job", "city", "smoker"]])  # CSR
    Z = sp.hstack([Z, sp.csr_matrix(np.full((len(frame), 1), -2.5))], format="csr")
    shuffled = Z.copy()  # the same matrix, its indices unsorted within the rows
    for start, stop in zip(shuffled.indptr[:-1], shuffled.indptr[1:]):
        shuffled.indices[start:stop] = shuffled.indices[start:stop][::-1]
        shuffled.data[start:stop] = shuffled.data[start:stop][::-1]
    shuffled.has_sorted_indices = False
    for matrix in (Z, Z.tocsc(), shuffled):
        blocks = detect_one_hot_blocks(matrix, block_values=7)  # slices of a few rows
        assert _blocks(blocks) == [[0, 1, 2], [3, 4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("case", ["flags", "scaled", "unknown", "numbers", "dropped",
                                  "two ones"])
def test_columns_that_are_not_one_hot_blocks_are_not_detected(case):
    rng = np.random.default_rng(0)
    one_hot = np.eye(3)[rng.integers(0, 3, 50)]
    X = {
        "two ones": np.vstack([one_hot, [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]),  # n ones in all
        "flags": rng.integers(0, 2, (50, 3)).astype(float),  # independent 0/1 columns
        "scaled": one_hot * 2.0 - 0.5,  # not 0/1: declare it
        "unknown": np.vstack([one_hot, np.zeros((1, 3))]),  # a row of no category
        "numbers": rng.normal(size=(50, 3)),
        "dropped": one_hot[:, 1:],  # drop="first": a row of zeros is a category
    }[case]
    assert _blocks(detect_one_hot_blocks(X)) == []


def test_decoding_picks_each_blocks_highest_value_within_its_range():
    low, high = np.zeros(6), np.array([1.0, 1.0, 1.0, 9.0, 1.0, 5.0])
    readable = ReadableRows(low, high, [[0, 1, 2], [3, 4]])
    X = np.array([[0.2, 0.7, 0.4, 4.5, 0.4, 7.0], [1.3, -0.2, 0.0, 0.9, 0.2, -1.0]])
    before = X.copy()
    # column 3 spans [0, 9]: 4.5 is half its range, 0.9 a tenth; column 5 is clipped
    np.testing.assert_array_equal(readable.apply(X), [[0, 1, 0, 9, 0, 5],
                                                       [1, 0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(X, before)


def test_values_above_the_range_are_no_tie():
    readable = ReadableRows(np.zeros(3), np.ones(3), [[0, 1, 2]])
    np.testing.assert_array_equal(readable.apply(np.array([[1.3, 1.8, -0.2]])), [[0, 1, 0]])


def test_a_column_constant_in_x_never_wins():
    readable = ReadableRows(np.zeros(3), np.array([1.0, 0.0, 1.0]), [[0, 1, 2]])
    np.testing.assert_array_equal(readable.apply(np.array([[0.1, 0.9, 0.2]])), [[0, 0, 1]])


def _settings(value, matching="distribution"):
    return check_params({**FairDistiller(matching=matching).get_params(deep=False),
                         "matching_params": {"readable_rows": value}})


@pytest.mark.parametrize("value, phrase", [
    ("bogus", "must be 'auto', True, False or a list of one-hot blocks"),
    (3, "must be 'auto', True, False or a list of one-hot blocks"),
    ([[0]], "every one-hot block must list two or more columns"),
    (["ab"], "every one-hot block must list two or more columns"),
    ([[0, 1.5]], "a column is an int index or a str name"),
    ([[0, True]], "a column is an int index or a str name"),
    ([[0, 1], [1, 2]], "column 1 is in two blocks"),
])
def test_a_bad_readable_rows_value_is_refused_naming_the_key(value, phrase):
    with pytest.raises(ValueError, match=r"matching_params\['readable_rows'\].*"
                                         + re.escape(phrase)):
        _settings(value)


@pytest.mark.parametrize("matching", ["distribution", "gradient", "kmeans", "idc", "cafe",
                                      "model"])
def test_readable_rows_applies_to_every_matching(matching):
    assert _settings([[0, 1]], matching).readable_rows == [[0, 1]]


def test_declared_blocks_by_name_or_index_resolve_against_x():
    X = np.eye(4)[[0, 1, 2, 3, 0, 1]] * 2.0  # 0/2 columns: detection leaves them alone
    names = np.array(["a_x", "a_y", "b_x", "b_y"], dtype=object)
    readable = resolve_readable_rows(_settings([["a_x", "a_y"], [2, -1]]), X, names)
    assert _blocks(readable) == [[0, 1], [2, 3]]
    np.testing.assert_array_equal(readable.apply(np.array([[0.3, 0.5, 1.9, 0.1]])),
                                  [[0, 2, 2, 0]])
    assert resolve_readable_rows(_settings("auto"), X, names).low is None  # a table
    assert _blocks(resolve_readable_rows(_settings(True), X, names)) == []  # 0/2: no block
    clip_only = resolve_readable_rows(_settings([]), np.eye(3))
    assert _blocks(clip_only) == [] and clip_only.low is not None
    assert resolve_readable_rows(_settings(False), np.eye(3)).low is None


def test_model_matching_is_readable_only_when_asked():
    assert resolve_readable_rows(_settings("auto", "model"), np.eye(3)).low is None
    assert _blocks(resolve_readable_rows(_settings(True, "model"), np.eye(3))) == [[0, 1, 2]]


@pytest.mark.parametrize("value, names, phrase", [
    ([["a_x", "nope"]], ["a_x", "a_y", "b_x", "b_y"],
     r"names column 'nope', which X does not have; the columns of X are \['a_x'"),
    ([["a_x", "a_y"]], None, "X has no column names"),
    ([[0, 4]], None, r"column index 4, but X has 4 columns \(indices 0 to 3\)"),
    ([["a_x", 1], [0, 2]], ["a_x", "a_y", "b_x", "b_y"], "puts a column in two one-hot blocks"),
])
def test_declared_blocks_that_x_lacks_are_refused(value, names, phrase):
    names = None if names is None else np.array(names, dtype=object)
    with pytest.raises(ValueError, match=r"matching_params\['readable_rows'\].*" + phrase):
        resolve_readable_rows(_settings(value), np.eye(4), names)


def test_images_refuse_declared_blocks():
    with pytest.raises(ValueError, match=r"readable_rows'\] declares one-hot blocks, but X "
                                         r"holds images"):
        resolve_readable_rows(_settings([[0, 1]]), np.eye(4), row_shape=(1, 2, 2))


# ----------------------------------------------------------------------------- fit_resample


def _encoded(n=400, seed=0):
    frame = _mixed_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    y = ((frame["job"] == "nurse") ^ (rng.random(n) < 0.3)).astype(int).to_numpy()
    A = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    encoder = TabularEncoder().fit(frame)
    return encoder, encoder.transform(frame), y, A


def _assert_one_hot(rows, blocks):
    rows = np.asarray(rows, dtype=np.float64)
    for block in blocks:
        assert set(np.unique(rows[:, block])) <= {0.0, 1.0}
        np.testing.assert_array_equal(rows[:, block].sum(axis=1), 1.0)


def test_fit_resample_returns_one_category_per_block_and_keeps_the_optimised_values():
    encoder, Z, y, A = _encoded()
    distiller, X_syn, y_syn = _fit(Z, y, A, n_per_class=5, n_iter=100, matching_params=dict(readable_rows=True))
    _assert_one_hot(X_syn, encoder.one_hot_blocks_)
    continuous = distiller.X_distilled_
    block = encoder.one_hot_blocks_[0]
    assert not np.isin(continuous[:, block], [0.0, 1.0]).all()  # the optimised values
    clipped = np.clip(continuous, Z.min(axis=0), Z.max(axis=0))
    np.testing.assert_array_equal(  # the category: the largest value of the block
        np.argmax(X_syn[:, block], axis=1), np.argmax(continuous[:, block], axis=1))
    numeric = [j for j in range(Z.shape[1]) if not any(j in b for b in encoder.one_hot_blocks_)]
    np.testing.assert_array_equal(X_syn[:, numeric], clipped[:, numeric])
    decoded = encoder.inverse_transform(X_syn)  # a readable table
    assert set(decoded["job"]) <= {"chef", "clerk", "nurse"}


def test_readable_rows_false_returns_the_optimised_values():
    _, Z, y, A = _encoded()
    distiller, X_syn, _ = _fit(Z, y, A, n_per_class=5, n_iter=100,
                               matching_params={"readable_rows": False})
    np.testing.assert_array_equal(X_syn, distiller.X_distilled_)


def test_declared_blocks_of_a_dataframe_decode_by_name():
    frame = _mixed_frame()
    transformer = ColumnTransformer([("cat", OneHotEncoder(sparse_output=False), ["job"]),
                                     ("num", StandardScaler(), ["age"])],
                                    verbose_feature_names_out=False)
    encoded = transformer.set_output(transform="pandas").fit_transform(frame)
    encoded[["job_chef", "job_clerk", "job_nurse"]] *= 3.0  # scaled: not detected
    y = np.arange(len(frame)) % 2
    A = np.where(np.arange(len(frame)) % 3, "a", "b")
    _, X_syn, _ = _fit(encoded, y, A, n_per_class=4, n_iter=50, matching_params={
        "readable_rows": [["job_chef", "job_clerk", "job_nurse"]]})
    assert isinstance(X_syn, pd.DataFrame) and list(X_syn.columns) == list(encoded.columns)
    block = X_syn[["job_chef", "job_clerk", "job_nurse"]].to_numpy()
    np.testing.assert_array_equal(np.sort(block, axis=1), np.tile([0.0, 0.0, 3.0], (8, 1)))


def test_a_sparse_one_hot_table_comes_back_decoded():
    frame = _mixed_frame()
    transformer = ColumnTransformer([("cat", OneHotEncoder(), ["job", "city"])],
                                    sparse_threshold=1.0)
    Z = transformer.fit_transform(frame)
    assert sp.issparse(Z)
    y = np.arange(len(frame)) % 2
    A = np.where(np.arange(len(frame)) % 3, "a", "b")
    _, X_syn, _ = _fit(Z, y, A, n_per_class=3, n_iter=20, matching_params=dict(readable_rows=True))
    assert sp.issparse(X_syn)
    _assert_one_hot(X_syn.toarray(), [[0, 1, 2], [3, 4, 5, 6, 7]])


def test_stratified_and_kmeans_sets_are_decoded_too():
    encoder, Z, y, A = _encoded()
    for params in (dict(stratify_groups=True, n_iter=20), dict(matching="kmeans")):
        _, X_syn, _ = _fit(Z, y, A, n_per_class=4, **params, matching_params=dict(readable_rows=True))
        _assert_one_hot(X_syn, encoder.one_hot_blocks_)


def test_a_distilled_classifier_trains_on_the_readable_rows():
    encoder, Z, y, A = _encoded()
    classifier = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
        n_per_class=5, n_iter=50, **CPU, matching_params=dict(readable_rows=True)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier.fit(Z, y, sensitive_features=A)
    assert classifier.score(Z, y) > 0.6
    _assert_one_hot(classifier.distiller_.fit_resample(Z, y, sensitive_features=A)[0],
                    encoder.one_hot_blocks_)
