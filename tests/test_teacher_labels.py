"""DistilledClassifier(labels="teacher"): real rows labelled by the model-matched set's model."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skfairdistill import (DistilledClassifier, FairDistiller, group_balanced_weights,
                           teacher_labelled_rows)


def _model_matching(**params):
    return FairDistiller(**{"matching": "model", "n_per_class": 4, "n_iter": 20,
                            "random_state": 0, **params})


class _Recording(LogisticRegression):
    """A logistic regression that keeps what it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.seen_ = (np.asarray(X).copy(), np.asarray(y).copy(), sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


class _RecordingTree(DecisionTreeClassifier):
    """A decision tree that keeps the rows and weights it was fitted on."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        self.rows_seen_, self.weights_seen_ = np.asarray(X).copy(), sample_weight
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def _rows_of(model, X):
    """The indices in ``X`` of the rows a recording model was fitted on, in its order."""
    return np.array([np.flatnonzero((X == row).all(axis=1))[0] for row in model.rows_seen_])


def _recorded(labels, X, y, A, **fit_params):
    """A DistilledClassifier of a recording logistic regression on a model-matched set."""
    return DistilledClassifier(_Recording(), distiller=_model_matching(), labels=labels).fit(
        X, y, sensitive_features=A, **fit_params)


def test_the_estimator_sees_rows_and_points_between_them_weighted_by_the_teacher(make_data):
    from skfairdistill._estimators.teacher import POINTS_BETWEEN

    X, y, A = make_data(n_samples=200, n_features=3)
    clf = _recorded("teacher", X, y, A)
    rows, labels, weights = clf.estimator_.seen_
    half = len(rows) // 2
    assert half == 8 + POINTS_BETWEEN  # 4 real rows per class and the points, once per class
    np.testing.assert_array_equal(rows[:half], rows[half:])
    np.testing.assert_array_equal(labels, np.repeat([0, 1], half))
    # the first rows are real rows; every weight is the teacher's probability
    assert all((X == row).all(axis=1).any() for row in rows[:8])
    np.testing.assert_allclose(weights[:half] + weights[half:], 1.0)
    np.testing.assert_allclose(weights[half:], clf.teacher_.predict_proba(rows[:half])[:, 1])
    # the teacher is the logistic regression of the model-matched set
    distiller = clf.distiller_
    expected = LogisticRegression().fit(distiller.X_distilled_, distiller.y_distilled_)
    np.testing.assert_allclose(clf.teacher_.coef_, expected.coef_, rtol=1e-4, atol=1e-6)


def test_each_class_and_group_is_represented_by_its_own_real_rows(make_data):
    X, y, A = make_data(n_samples=240, n_features=3)
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="nearest")
    chosen = [np.flatnonzero((X == row).all(axis=1))[0] for row in rows[:len(rows) // 2]]
    # per class, as many rows of each group (stratified k-means): 2 of "a", 2 of "b"
    for label in (0, 1):
        of_class = [i for i in chosen if y[i] == label]
        assert len(of_class) == 4
        assert sorted(A[of_class]) == ["a", "a", "b", "b"]
    assert np.all((weights >= 0) & (weights <= 1))


def test_rows_of_weight_zero_are_never_chosen_and_a_set_of_another_loop_is_refused(make_data):
    X, y, A = make_data(n_samples=240, n_features=3)
    weight = np.ones(len(y))
    weight[np.random.default_rng(0).random(len(y)) < 0.4] = 0.0
    distiller = _model_matching().fit(X, y, sensitive_features=A, sample_weight=weight)
    rows, _, _ = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                       sample_weight=weight, rows="nearest")
    for row in rows:
        assert weight[(X == row).all(axis=1)].max() > 0
    cobra = FairDistiller(n_per_class=2, n_iter=5, random_state=0).fit(
        X, y, sensitive_features=A)
    with pytest.raises(ValueError, match='FairDistiller\\(matching="model"\\)'):
        teacher_labelled_rows(cobra, X, y, sensitive_features=A)
    relu = _model_matching(matching_params={"kernel": "relu"})
    with pytest.raises(ValueError, match="kernel"):
        teacher_labelled_rows(relu, X, y, sensitive_features=A)


def test_same_seed_same_model_and_a_dataframe_keeps_its_names(make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    frame = pd.DataFrame(X, columns=["u", "v", "w"])

    def fitted():
        return DistilledClassifier(MLPClassifier(hidden_layer_sizes=(8,), max_iter=300,
                                                 random_state=0),
                                   distiller=_model_matching(), labels="teacher").fit(
            frame, y, sensitive_features=A)

    first, second = fitted(), fitted()
    np.testing.assert_array_equal(first.predict_proba(frame), second.predict_proba(frame))
    np.testing.assert_array_equal(first.feature_names_in_, ["u", "v", "w"])


def test_a_tree_learns_the_teacher_on_overlapping_classes(make_data):
    # classes that overlap: a tree on the model-matched set's hard labels fits noise,
    # on teacher labels it follows the linear teacher (accuracy measured, not assumed)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 2))
    y = (X[:, 0] + rng.normal(scale=1.0, size=1500) > 0).astype(int)
    A = rng.choice(["a", "b"], size=1500)
    X_test = rng.normal(size=(2000, 2))
    y_test = (X_test[:, 0] > 0).astype(int)
    tree = HistGradientBoostingClassifier(max_leaf_nodes=4, min_samples_leaf=1,
                                          random_state=0)
    scores = {labels: DistilledClassifier(tree, distiller=_model_matching(
        n_per_class=10, n_iter=100), labels=labels).fit(X, y, sensitive_features=A).score(
        X_test, y_test) for labels in ("hard", "teacher")}
    assert scores["teacher"] > 0.85
    assert scores["teacher"] > scores["hard"]


def test_bad_labels_and_unsupported_pairings_are_refused_before_distilling(make_data,
                                                                             monkeypatch):
    X, y, A = make_data(n_samples=120, n_features=3)
    monkeypatch.setattr(FairDistiller, "fit_resample", lambda *a, **k: pytest.fail("ran"))
    with pytest.raises(ValueError, match="labels must be one of"):
        DistilledClassifier(LogisticRegression(), labels="soft").fit(X, y, sensitive_features=A)
    with pytest.raises(ValueError, match='matching="model"'):
        DistilledClassifier(LogisticRegression(), labels="teacher").fit(
            X, y, sensitive_features=A)
    with pytest.raises(ValueError, match="kernel"):
        DistilledClassifier(LogisticRegression(), labels="teacher", distiller=_model_matching(
            matching_params={"kernel": "relu"})).fit(X, y, sensitive_features=A)
    with pytest.raises(TypeError, match="KNeighborsClassifier.fit does not accept"):
        DistilledClassifier(KNeighborsClassifier(), distiller=_model_matching(),
                            labels="teacher").fit(X, y, sensitive_features=A)


def test_auto_gives_teacher_labels_to_a_tree_or_an_mlp_on_a_model_matched_set_only(
        make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    tree = HistGradientBoostingClassifier(max_iter=5, random_state=0)
    mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    cobra = FairDistiller(n_per_class=3, n_iter=5, random_state=0)
    relu = _model_matching(matching_params={"kernel": "relu"})
    cases = [(tree, _model_matching(), "teacher"), (LogisticRegression(), _model_matching(),
             "hard"), (mlp, _model_matching(), "teacher"), (tree, cobra, "hard"),
             (mlp, cobra, "hard"), (tree, relu, "hard")]
    for estimator, distiller, expected in cases:
        clf = DistilledClassifier(estimator, distiller=distiller).fit(
            X, y, sensitive_features=A)
        assert clf.labels_ == expected, (estimator, distiller)
        assert (clf.teacher_ is not None) == (expected == "teacher")
    # the tree's teacher is fitted on the set as optimised, not on readable rows
    clf = DistilledClassifier(tree, distiller=_model_matching()).fit(X, y, sensitive_features=A)
    assert "readable_rows" not in (clf.distiller_.matching_params or {})


def test_three_classes_and_sparse_rows(multiclass_data):
    from scipy.sparse import csr_matrix

    X, y, A = multiclass_data
    distiller = _model_matching(n_per_class=3).fit(X, y, sensitive_features=A)
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="nearest")
    n_rows = len(rows) // 3
    assert n_rows == 9  # 3 rows per class, one per group
    np.testing.assert_array_equal(labels, np.repeat([0, 1, 2], n_rows))
    np.testing.assert_allclose(weights.reshape(3, n_rows).sum(axis=0), 1.0)
    sparse_rows, _, sparse_weights = teacher_labelled_rows(
        distiller, csr_matrix(X), y, sensitive_features=A, rows="nearest")
    assert sparse_rows.format == "csr"
    np.testing.assert_allclose(sparse_rows.toarray(), rows)
    np.testing.assert_allclose(sparse_weights, weights)
    # the points between the rows: three classes' probabilities, summing to 1 per point
    points, point_labels, point_weights = teacher_labelled_rows(
        distiller, X, y, sensitive_features=A)
    n_points = len(points) // 3
    np.testing.assert_array_equal(point_labels, np.repeat([0, 1, 2], n_points))
    np.testing.assert_allclose(point_weights.reshape(3, n_points).sum(axis=0), 1.0)


def test_groups_too_small_to_stratify_fall_back_to_the_class(make_data):
    # a group with rows of one class only cannot be distilled on its own: the rows are
    # then chosen per class, from the class's group-balanced centroids
    X, y, A = make_data(n_samples=240, n_features=3)
    A = A.astype(object)
    A[np.flatnonzero(y == 1)[:6]] = "c"  # group "c": class 1 only
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="nearest")
    half = len(rows) // 2
    chosen = [np.flatnonzero((X == row).all(axis=1))[0] for row in rows[:half]]
    np.testing.assert_array_equal(y[chosen], np.repeat([0, 1], 4))
    tree = HistGradientBoostingClassifier(min_samples_leaf=1, max_iter=20, random_state=0)
    clf = DistilledClassifier(tree, distiller=_model_matching()).fit(X, y, sensitive_features=A)
    assert clf.labels_ == "teacher"
    assert clf.score(X, y) > 0.6, clf.score(X, y)


def test_leaf_rows_vary_only_where_a_tree_fitted_to_the_teacher_splits(make_data):
    X, y, A = make_data(n_samples=400, n_features=6)
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="leaves")
    half = len(rows) // 2
    assert half <= len(distiller.y_distilled_)  # one row per leaf, at most the set's rows
    np.testing.assert_array_equal(rows[:half], rows[half:])
    np.testing.assert_array_equal(labels, np.repeat([0, 1], half))
    # the rows take the data's values, and are the teacher's where its weights come from
    assert all(np.isin(rows[:, j], X[:, j]).all() for j in range(X.shape[1]))
    teacher = LogisticRegression().fit(distiller.X_distilled_, distiller.y_distilled_)
    np.testing.assert_allclose(weights[half:], teacher.predict_proba(rows[:half])[:, 1],
                               rtol=1e-4, atol=1e-6)
    # off the fitted tree's paths every row has the data's (lower) median: a column the
    # teacher barely uses is never split on, so it is constant
    varying = [j for j in range(X.shape[1]) if np.unique(rows[:, j]).size > 1]
    assert 0 < len(varying) < X.shape[1]
    constant = [j for j in range(X.shape[1]) if j not in varying]
    np.testing.assert_array_equal(
        rows[0, constant], [np.quantile(X[:, j], 0.5, method="lower") for j in constant])
    with pytest.raises(ValueError, match="rows must be"):
        teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="medoids")


def test_leaf_rows_keep_a_dataframe_s_dtypes_and_a_sparse_matrix(make_data):
    X, y, A = make_data(n_samples=300, n_features=3)
    X = np.column_stack([X, (X[:, 0] > 0)])  # a 0/1 column, kept as integers
    frame = pd.DataFrame(X, columns=["u", "v", "w", "flag"]).astype({"flag": "int64"})
    distiller = _model_matching().fit(frame, y, sensitive_features=A)
    rows, _, weights = teacher_labelled_rows(distiller, frame, y, sensitive_features=A,
                                             rows="leaves")
    assert list(rows.columns) == ["u", "v", "w", "flag"]
    assert rows["flag"].dtype == np.int64 and set(rows["flag"]) <= {0, 1}
    sparse_rows, _, sparse_weights = teacher_labelled_rows(
        distiller, sp.csr_matrix(X), y, sensitive_features=A, rows="leaves")
    assert sp.isspmatrix_csr(sparse_rows)
    np.testing.assert_allclose(sparse_rows.toarray(), rows.to_numpy(dtype=float))
    np.testing.assert_allclose(sparse_weights, weights)


def test_leaf_rows_of_many_rows_come_from_a_draw_fixed_by_random_state(make_data,
                                                                       monkeypatch):
    from skfairdistill._estimators import teacher

    X, y, A = make_data(n_samples=400, n_features=4)
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    every_row = teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="leaves")
    monkeypatch.setattr(teacher, "LEAF_TREE_ROWS", 150)
    drawn = [teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="leaves")
             for _ in range(2)]
    np.testing.assert_array_equal(drawn[0][0], drawn[1][0])  # the same draw each time
    np.testing.assert_array_equal(drawn[0][2], drawn[1][2])
    assert not np.array_equal(drawn[0][0], every_row[0])  # a draw, not every row
    assert all(np.isin(drawn[0][0][:, j], X[:, j]).all() for j in range(X.shape[1]))


def test_mixup_rows_are_the_nearest_rows_and_points_between_them(make_data):
    from skfairdistill._estimators.teacher import POINTS_BETWEEN

    X, y, A = make_data(n_samples=300, n_features=4)
    X_before = X.copy()
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    nearest, _, _ = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                          rows="nearest")
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="mixup")
    n_nearest, half = len(nearest) // 2, len(rows) // 2
    assert half == n_nearest + POINTS_BETWEEN
    np.testing.assert_array_equal(rows[:half], rows[half:])
    np.testing.assert_array_equal(labels, np.repeat([0, 1], half))
    np.testing.assert_array_equal(rows[:n_nearest], nearest[:n_nearest])  # the rows first
    # every point lies on a segment between two of the rows: within their box; off the
    # rows but where both ends are one row (1 in 8 here)
    points, corners = rows[n_nearest:half], nearest[:n_nearest]
    assert np.all(points >= corners.min(axis=0) - 1e-6)
    assert np.all(points <= corners.max(axis=0) + 1e-6)
    on_a_row = [(corners == point).all(axis=1).any() for point in points]
    assert 0.05 < np.mean(on_a_row) < 0.25
    teacher = LogisticRegression().fit(distiller.X_distilled_, distiller.y_distilled_)
    np.testing.assert_allclose(weights[half:], teacher.predict_proba(rows[:half])[:, 1],
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(weights[:half] + weights[half:], 1.0)
    # the same random_state draws the same points; another draws others
    again = teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="mixup")
    np.testing.assert_array_equal(again[0], rows)
    other = teacher_labelled_rows(distiller.set_params(random_state=1), X, y,
                                  sensitive_features=A, rows="mixup")
    assert not np.array_equal(other[0][n_nearest:], rows[n_nearest:])
    np.testing.assert_array_equal(X, X_before)  # the caller's rows untouched


def test_mixup_rows_of_a_dataframe_are_floats_and_a_sparse_matrix_stays_sparse(make_data):
    X, y, A = make_data(n_samples=300, n_features=3)
    X = np.column_stack([X, (X[:, 0] > 0)])
    frame = pd.DataFrame(X, columns=["u", "v", "w", "flag"]).astype({"flag": "int64"})
    distiller = _model_matching().fit(frame, y, sensitive_features=A)
    rows, _, weights = teacher_labelled_rows(distiller, frame, y, sensitive_features=A,
                                             rows="mixup")
    assert list(rows.columns) == ["u", "v", "w", "flag"]
    assert rows["flag"].dtype == np.float64 and rows["flag"].between(0, 1).all()
    assert not set(rows["flag"]) <= {0, 1}  # between the values: a tree splits anywhere
    sparse_rows, _, sparse_weights = teacher_labelled_rows(
        distiller, sp.csr_matrix(X), y, sensitive_features=A, rows="mixup")
    assert sp.isspmatrix_csr(sparse_rows)
    np.testing.assert_allclose(sparse_rows.toarray(), rows.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(sparse_weights, weights, rtol=1e-6)


def test_points_of_wide_sparse_rows_stay_sparse(make_data):
    # a point has the nonzeros of its two rows only: 2,000 one-hot columns stay cheap
    X, y, A = make_data(n_samples=300, n_features=3)
    codes = np.random.default_rng(0).integers(2000, size=len(y))
    one_hot = sp.csr_matrix((np.ones(len(y)), (np.arange(len(y)), codes)), shape=(len(y), 2000))
    wide = sp.hstack([sp.csr_matrix(X), one_hot], format="csr")
    distiller = _model_matching().fit(wide, y, sensitive_features=A)
    rows, _, _ = teacher_labelled_rows(distiller, wide, y, sensitive_features=A)
    assert sp.isspmatrix_csr(rows) and rows.shape[1] == 2003
    assert np.diff(rows.indptr).max() <= 2 * 4  # two rows' nonzeros at most


def test_box_points_vary_per_feature_within_the_box_of_their_two_rows(make_data):
    from skfairdistill._estimators.teacher import POINTS_BETWEEN

    X, y, A = make_data(n_samples=300, n_features=4)
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    segment, _, _ = teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="mixup")
    rows, labels, weights = teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                                                  rows="boxes")
    half = len(rows) // 2
    n_nearest = half - POINTS_BETWEEN
    np.testing.assert_array_equal(rows[:n_nearest], segment[:n_nearest])  # the same rows
    corners, points = rows[:n_nearest], rows[n_nearest:half]
    assert np.all(points >= corners.min(axis=0) - 1e-6)
    assert np.all(points <= corners.max(axis=0) + 1e-6)
    # off the segments: a point on the segment between two rows is one share of both for
    # every feature; in the box, the shares differ from feature to feature
    assert not np.allclose(points, segment[n_nearest:half])
    first, second = corners[:, None, :], corners[None, :, :]

    def on_a_segment(point):
        differ = first != second  # where two rows agree, any share fits
        share = (point - second) / np.where(differ, first - second, 1.0)
        spread = (np.max(share, axis=2, where=differ, initial=-np.inf)
                  - np.min(share, axis=2, where=differ, initial=np.inf))
        return spread[differ.any(axis=2)].min() < 1e-6  # two rows that differ

    assert np.mean([on_a_segment(point) for point in points[:100]]) < 0.3
    teacher = LogisticRegression().fit(distiller.X_distilled_, distiller.y_distilled_)
    np.testing.assert_allclose(weights[half:], teacher.predict_proba(rows[:half])[:, 1],
                               rtol=1e-4, atol=1e-6)
    # a sparse matrix gets the same points: where both rows are zero, so is the point
    X_zeros = X * (X > 0)
    dense_rows, _, _ = teacher_labelled_rows(distiller, X_zeros, y, sensitive_features=A,
                                             rows="boxes")
    sparse_rows, _, _ = teacher_labelled_rows(distiller, sp.csr_matrix(X_zeros), y,
                                              sensitive_features=A, rows="boxes")
    assert sp.isspmatrix_csr(sparse_rows)
    np.testing.assert_allclose(sparse_rows.toarray(), dense_rows, rtol=1e-6, atol=1e-12)
    both_zero = (dense_rows[:half] == 0).mean()
    assert 0.05 < both_zero < 0.95 and sparse_rows[:half].nnz == np.count_nonzero(
        dense_rows[:half])
    with pytest.raises(ValueError, match="rows must be"):
        teacher_labelled_rows(distiller, X, y, sensitive_features=A, rows="box")


def test_blended_labels_are_the_mean_of_the_teacher_and_the_full_data_model(make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    clf = _recorded("blend", X, y, A)
    rows, labels, weights = clf.estimator_.seen_
    half = len(rows) // 2
    assert clf.labels_ == "blend"
    # the full-data model is the estimator fitted on every training row
    full = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(clf.full_data_estimator_.coef_, full.coef_, rtol=1e-5)
    blended = (clf.teacher_.predict_proba(rows[:half])
               + clf.full_data_estimator_.predict_proba(rows[:half])) / 2
    np.testing.assert_allclose(weights[half:], blended[:, 1])
    np.testing.assert_allclose(weights[:half] + weights[half:], 1.0)
    # the same rows as teacher labels, other weights
    teacher = _recorded("teacher", X, y, A)
    np.testing.assert_array_equal(teacher.estimator_.seen_[0], rows)
    assert not np.allclose(teacher.estimator_.seen_[2], weights)
    assert teacher.full_data_estimator_ is None


def test_the_full_data_model_of_a_blend_gets_the_sample_weight(make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    weight = np.where(A == "a", 1.0, 3.0)
    clf = _recorded("blend", X, y, A, sample_weight=weight)
    np.testing.assert_array_equal(clf.full_data_estimator_.seen_[2], weight)
    assert len(clf.full_data_estimator_.seen_[0]) == len(X)


def test_group_balanced_weights_keep_each_class_and_weigh_its_groups_alike():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    group = pd.DataFrame({"sex": list("aaabaabbbb"), "race": list("xxxxxxxxxy")})
    weight = np.array([1, 1, 2, 4, 1, 1, 1, 1, 0, 3], dtype=float)
    balanced = group_balanced_weights(y, group, weight)
    # class 0: (a, x) 4 of weight, (b, x) 4; class 1: (a, x) 2, (b, x) 2, (b, y) 3, 7 in all
    np.testing.assert_allclose(balanced, [1, 1, 2, 4, 7 / 6, 7 / 6, 7 / 6, 7 / 6, 0, 7 / 3])
    for c in (0, 1):  # each class keeps its total, shared equally by its groups
        of_class = y == c
        assert balanced[of_class].sum() == pytest.approx(weight[of_class].sum())
        cells = pd.Series(balanced[of_class]).groupby(
            [group.sex[of_class].to_numpy(), group.race[of_class].to_numpy()]).sum()
        np.testing.assert_allclose(cells, cells.iloc[0])
    np.testing.assert_allclose(group_balanced_weights(y, np.zeros(10)), np.ones(10))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        group_balanced_weights(y, group, -weight)
    with pytest.raises(ValueError, match="sensitive_features"):
        group_balanced_weights(y, group.iloc[:5])


def test_blend_with_is_checked_and_a_dataframe_keeps_its_names(make_data):
    from sklearn.exceptions import NotFittedError

    X, y, A = make_data(n_samples=200, n_features=3)
    distiller = _model_matching().fit(X, y, sensitive_features=A)
    with pytest.raises(NotFittedError):
        teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                              blend_with=HistGradientBoostingClassifier())
    with pytest.raises(ValueError, match="blend_with was fitted on the classes"):
        teacher_labelled_rows(distiller, X, y, sensitive_features=A,
                              blend_with=LogisticRegression().fit(X, y + 1))
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    model = HistGradientBoostingClassifier(max_iter=5).fit(frame, y)
    distiller = _model_matching().fit(frame, y, sensitive_features=A)
    rows, _, weights = teacher_labelled_rows(distiller, frame, y, sensitive_features=A,
                                             blend_with=model)
    assert list(rows.columns) == ["u", "v", "w"]
    half = len(rows) // 2
    plain = teacher_labelled_rows(distiller, frame, y, sensitive_features=A)[2]
    np.testing.assert_allclose(weights[half:], (plain[half:] + model.predict_proba(
        rows.iloc[:half])[:, 1]) / 2)


def test_blend_is_refused_without_a_model_matched_set_before_distilling(make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    with pytest.raises(ValueError, match='labels="blend" labels real rows'):
        DistilledClassifier(LogisticRegression(), distiller=FairDistiller(n_iter=5),
                            labels="blend").fit(X, y, sensitive_features=A)
    with pytest.raises(TypeError, match='labels="blend" weighs every row'):
        DistilledClassifier(KNeighborsClassifier(), distiller=_model_matching(),
                            labels="blend").fit(X, y, sensitive_features=A)


def test_a_held_out_check_blends_only_a_model_clearly_more_accurate_than_the_teacher():
    from sklearn.tree import DecisionTreeClassifier

    from skfairdistill import blend_if_more_accurate

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2))
    group = rng.choice(["a", "b"], size=2000)
    ring = ((X ** 2).sum(axis=1) > 1.4).astype(int)  # no linear model does better than chance
    linear = (X[:, 0] + 0.5 * rng.normal(size=2000) > 0).astype(int)  # the teacher's own kind
    tree = DecisionTreeClassifier(max_depth=4, random_state=0)
    for y, blends in ((ring, True), (linear, False)):
        distiller = _model_matching().fit(X, y, sensitive_features=group)
        model = blend_if_more_accurate(distiller, tree, X, y)
        assert (model is not None) == blends
    # fitted on 80% of the rows, the same ones for the same random_state
    distiller = _model_matching().fit(X, ring, sensitive_features=group)
    model = blend_if_more_accurate(distiller, tree, X, ring)
    again = blend_if_more_accurate(distiller, tree, X, ring)
    assert model.tree_.n_node_samples[0] == 1600
    np.testing.assert_array_equal(model.tree_.threshold, again.tree_.threshold)
    # rows of weight 0 are neither fitted nor judged
    weight = np.r_[np.zeros(1000), np.ones(1000)]
    model = blend_if_more_accurate(distiller, tree, X, ring, sample_weight=weight)
    assert model.tree_.n_node_samples[0] == 800
    # with the groups, a second clone on the same rows, each class's groups weighed alike
    recording = _RecordingTree(max_depth=4, random_state=0)
    judged = blend_if_more_accurate(distiller, recording, X, ring)
    model = blend_if_more_accurate(distiller, recording, X, ring, sensitive_features=group)
    assert judged.weights_seen_ is None and model.tree_.n_node_samples[0] == 1600
    rows = _rows_of(model, X)
    np.testing.assert_array_equal(rows, _rows_of(judged, X))
    np.testing.assert_allclose(model.weights_seen_,
                               group_balanced_weights(ring[rows], group[rows]))
    with pytest.raises(ValueError, match="sensitive_features"):
        blend_if_more_accurate(distiller, recording, X, ring, sensitive_features=group[:10])
    with pytest.raises(TypeError, match="sensitive_features out"):
        blend_if_more_accurate(distiller, KNeighborsClassifier(), X, ring,
                               sensitive_features=group)
    # a set of another loop, or no classifier, is refused by name
    with pytest.raises(ValueError, match='blend_if_more_accurate .*matching="model"'):
        blend_if_more_accurate(FairDistiller(n_iter=5).fit(X, ring, sensitive_features=group),
                               tree, X, ring)
    with pytest.raises(TypeError, match="estimator must be a classifier"):
        blend_if_more_accurate(distiller, DecisionTreeRegressor(), X, ring)


class _RecordingMLP(MLPClassifier):
    """An MLP that keeps the weights it was fitted with."""

    def fit(self, X, y, sample_weight=None):
        self.weights_seen_ = sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def test_auto_blends_an_mlp_fitted_with_the_groups_balanced_where_it_beats_the_teacher():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 2))
    group = rng.choice(["a", "b"], size=1500, p=[0.8, 0.2])
    ring = ((X ** 2).sum(axis=1) > 1.4).astype(int)
    linear = (X[:, 0] + 0.3 * rng.normal(size=1500) > 0).astype(int)
    mlp = _RecordingMLP(hidden_layer_sizes=(16,), max_iter=400, random_state=0)
    clf = DistilledClassifier(mlp, distiller=_model_matching()).fit(
        X, ring, sensitive_features=group)
    assert clf.labels_ == "blend"
    # the clone blended with saw 80% of the rows, each class's groups weighed alike
    weights = clf.full_data_estimator_.weights_seen_
    assert len(weights) == 1200
    assert not np.allclose(weights, 1.0) and weights.sum() == pytest.approx(1200)
    # the linear teacher alone cannot draw a ring
    taught = DistilledClassifier(mlp, distiller=_model_matching(), labels="teacher").fit(
        X, ring, sensitive_features=group)
    assert clf.score(X, ring) > taught.score(X, ring) + 0.05
    clf.fit(X, linear, sensitive_features=group)
    assert clf.labels_ == "teacher" and clf.full_data_estimator_ is None
    # without groups (a set that does not align them) the clone is fitted as the rows come
    clf = DistilledClassifier(mlp, distiller=_model_matching(alignment="none")).fit(X, ring)
    assert clf.labels_ == "blend" and clf.full_data_estimator_.weights_seen_ is None


def test_auto_blends_a_boosted_tree_only_where_it_clearly_beats_the_teacher():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 2))
    group = rng.choice(["a", "b"], size=1500)
    ring = ((X ** 2).sum(axis=1) > 1.4).astype(int)
    linear = (X[:, 0] + 0.3 * rng.normal(size=1500) > 0).astype(int)
    boosted = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    clf = DistilledClassifier(boosted, distiller=_model_matching()).fit(
        X, ring, sensitive_features=group)
    assert clf.labels_ == "blend"
    assert clf.full_data_estimator_.n_features_in_ == 2
    assert clf.score(X, ring) > 0.8  # the linear teacher alone cannot draw a ring
    clf.fit(X, linear, sensitive_features=group)
    assert clf.labels_ == "teacher" and clf.full_data_estimator_ is None
    # asked for, teacher labels are never blended; a forest is not checked
    for estimator, labels in ((boosted, "teacher"), (RandomForestClassifier(n_estimators=5),
                                                      "auto")):
        clf = DistilledClassifier(estimator, distiller=_model_matching(), labels=labels)
        assert clf.fit(X, ring, sensitive_features=group).labels_ == "teacher"
