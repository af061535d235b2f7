"""Group-balanced k-means prototypes (skfairdistill._matching.kmeans, matching="kmeans").

init="kmeans", which starts distribution matching from them: test_initial.py."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from skfairdistill import FairDistiller
from skfairdistill._matching.kmeans import row_weights


def _imbalanced(seed=0, n=600):
    """Two classes; group 'b' is 10% of each class and sits 6 units away on feature 1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    A = np.where(rng.random(n) < 0.1, "b", "a")
    X = rng.normal(size=(n, 3))
    X[:, 0] += 3.0 * y
    X[:, 1] += np.where(A == "b", 6.0, 0.0)
    return X, y, A


def test_row_weights_balance_the_groups():
    counts = np.array([90, 10, 0])
    w = row_weights(counts, "barycenter")
    np.testing.assert_allclose(w * counts, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(row_weights(counts, "groupwise"), w)
    np.testing.assert_allclose(row_weights(counts, "none") * counts, [0.9, 0.1, 0.0])


def test_one_prototype_per_class_is_the_barycenter_or_the_class_mean():
    X, y, A = _imbalanced()
    for alignment in ("barycenter", "none"):
        distiller = FairDistiller(n_per_class=1, matching="kmeans", alignment=alignment,
                                  random_state=0).fit(X, y, sensitive_features=A)
        for k in (0, 1):
            cls = y == k
            if alignment == "none":
                expected = X[cls].mean(axis=0)
            else:  # mean of the group means
                expected = (X[cls & (A == "a")].mean(0) + X[cls & (A == "b")].mean(0)) / 2
            np.testing.assert_allclose(distiller.X_distilled_[k], expected, atol=1e-4)


def test_barycenter_prototypes_cover_the_minority_group_plain_kmeans_less():
    X, y, A = _imbalanced()
    per_class = 4

    def minority_prototypes(alignment):
        d = FairDistiller(n_per_class=per_class, matching="kmeans", alignment=alignment,
                          random_state=0).fit(X, y, sensitive_features=A)
        return int(np.sum(d.X_distilled_[:, 1] > 3.0))

    # balanced: half of the weight of every class is group b -> about half the centroids
    assert minority_prototypes("barycenter") >= 2 * 2
    assert minority_prototypes("none") < minority_prototypes("barycenter")


def test_matches_sklearn_weighted_kmeans_on_the_callers_scale():
    X, y, A = _imbalanced()
    X = X * np.array([1.0, 10.0, 0.1])  # scale matters to k-means: it must be the caller's
    d = FairDistiller(n_per_class=3, matching="kmeans", random_state=0).fit(
        X, y, sensitive_features=A)
    for k in (0, 1):
        cls = y == k
        counts = {g: np.sum(cls & (A == g)) for g in ("a", "b")}
        w = np.array([1.0 / (2 * counts[g]) for g in A[cls]])
        ref = KMeans(3, n_init=10, random_state=0).fit(X[cls], sample_weight=w)
        ours = d.X_distilled_[y_syn_rows(d, k)]
        # k-means has local optima, so compare the objective: the weighted inertia of our
        # centroids, on the caller's scale, is near scikit-learn's best of 10 (ours: one run)
        ours_inertia = np.sum(w * ((X[cls][:, None] - ours[None]) ** 2).sum(-1).min(1))
        assert ours_inertia <= 1.15 * ref.inertia_
        # while centroids clustered on standardised columns would be far worse here
        std = X[cls].std(0)
        naive = KMeans(3, n_init=10, random_state=0).fit(X[cls] / std, sample_weight=w)
        naive_centers = naive.cluster_centers_ * std
        naive_inertia = np.sum(w * ((X[cls][:, None] - naive_centers[None]) ** 2).sum(-1).min(1))
        assert ours_inertia < 0.9 * naive_inertia


def y_syn_rows(distiller, k):
    return np.flatnonzero(distiller.y_distilled_ == distiller.classes_[k])


def test_attributes_containers_dict_budget_and_reproducibility():
    X, y, A = _imbalanced()
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    labels = pd.Series(np.array(["no", "yes"])[y], name="label")
    d = FairDistiller(n_per_class={"no": 2, "yes": 5}, matching="kmeans", random_state=3)
    X_syn, y_syn = d.fit_resample(frame, labels, sensitive_features=A)
    assert isinstance(X_syn, pd.DataFrame) and list(X_syn.columns) == ["u", "v", "w"]
    assert isinstance(y_syn, pd.Series) and y_syn.value_counts().to_dict() == {"yes": 5, "no": 2}
    assert d.loss_history_.shape == (1,) and d.loss_history_[0] > 0
    assert d.n_iter_ >= 1
    assert d.sampling_strategy_ == {"no": 2, "yes": 5}
    again = FairDistiller(n_per_class={"no": 2, "yes": 5}, matching="kmeans", random_state=3)
    np.testing.assert_array_equal(again.fit_resample(frame, labels, sensitive_features=A)[0],
                                  X_syn)
    other = FairDistiller(n_per_class={"no": 2, "yes": 5}, matching="kmeans", random_state=4)
    assert not np.array_equal(other.fit_resample(frame, labels, sensitive_features=A)[0], X_syn)


def test_does_not_modify_the_input():
    X, y, A = _imbalanced()
    copies = X.copy(), y.copy(), A.copy()
    FairDistiller(n_per_class=3, matching="kmeans", random_state=0).fit(X, y,
                                                                      sensitive_features=A)
    for before, after in zip(copies, (X, y, A)):
        np.testing.assert_array_equal(before, after)


def test_images_given_as_rows_come_back_as_images():
    rng = np.random.default_rng(0)
    images = rng.random((40, 3, 4, 4), dtype=np.float32)
    digit, colour = np.arange(40) % 2, rng.choice(["r", "g"], 40)
    d = FairDistiller(n_per_class=3, matching="kmeans", random_state=0)
    X_syn, y_syn = d.fit_resample(images, digit, sensitive_features=colour)
    assert X_syn.shape == (6, 3, 4, 4) and X_syn.dtype == np.float32
    flat = FairDistiller(n_per_class=3, matching="kmeans", image_shape=(3, 4, 4),
                         random_state=0).fit(images.reshape(40, -1), digit,
                                             sensitive_features=colour)
    np.testing.assert_allclose(flat.X_distilled_.reshape(X_syn.shape), X_syn, atol=1e-6)


def test_more_rows_asked_than_a_class_has_warns_and_keeps_every_row():
    X, y, A = _imbalanced(n=20)
    with pytest.warns(UserWarning, match="kmeans keeps each of its rows"):
        d = FairDistiller(n_per_class=15, matching="kmeans", random_state=0).fit(
            X, y, sensitive_features=A)
    assert d.X_distilled_.shape == (30, 3)
    first = d.X_distilled_[:10]
    for row in X[y == 0]:
        assert np.abs(first - row).max(axis=1).min() < 1e-5


def test_without_sensitive_features_is_plain_kmeans():
    X, y, A = _imbalanced()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = FairDistiller(n_per_class=1, matching="kmeans", alignment="none",
                              random_state=0).fit(X, y)
    np.testing.assert_allclose(plain.X_distilled_[0], X[y == 0].mean(0), atol=1e-4)
