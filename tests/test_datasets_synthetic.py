"""make_biased_classification (skfairdistill.datasets._synthetic): a table whose groups are
imbalanced within every class and separated by a known distance."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skfairdistill.datasets import make_biased_classification


def _cell_counts(y, groups, n_classes, n_groups):
    counts = np.zeros((n_classes, n_groups), dtype=int)
    np.add.at(counts, (y, groups), 1)
    return counts


# --------------------------------------------------------------------------------------
# make_biased_classification
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("spurious", [False, True])
def test_shapes_and_dtypes(spurious):
    X, y, groups = make_biased_classification(
        500, n_features=7, n_classes=3, n_groups=2, spurious=spurious, random_state=0
    )
    assert X.shape == (500, 7) and X.dtype == np.float64
    assert y.shape == groups.shape == (500,)
    assert y.dtype == groups.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2}
    assert set(np.unique(groups)) == {0, 1}
    assert np.isfinite(X).all()


def test_same_seed_same_data_and_different_seed_different_data():
    first = make_biased_classification(300, spurious=True, random_state=3)
    second = make_biased_classification(300, spurious=True, random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = make_biased_classification(300, spurious=True, random_state=4)
    assert not np.allclose(first[0], other[0])


def _global_state():
    _, key, position, *_ = np.random.get_state()
    return key.tolist(), position


def test_does_not_touch_global_random_state():
    np.random.seed(0)  # the next draw from the global generator would change its key
    state = _global_state()
    make_biased_classification(100, random_state=3)
    make_biased_classification(100, random_state=np.random.RandomState(3))
    assert _global_state() == state  # the key and the position in it
    # None draws one seed from the global generator, as scikit-learn's generators do
    make_biased_classification(100, random_state=None)
    assert _global_state() != state


def test_test_split_is_a_fresh_sample_of_the_same_distribution():
    kwargs = dict(n_classes=2, n_groups=2, group_separation=2.0, random_state=0)
    X, y, groups = make_biased_classification(4000, **kwargs)
    X_test, y_test, groups_test = make_biased_classification(4000, test=True, **kwargs)
    assert not np.allclose(X[:10], X_test[:10])
    for k in range(2):
        for g in range(2):
            mean = X[(y == k) & (groups == g)].mean(axis=0)
            mean_test = X_test[(y_test == k) & (groups_test == g)].mean(axis=0)
            # cells of >= 400 rows, unit noise: means agree to ~0.05 per coordinate
            np.testing.assert_allclose(mean, mean_test, atol=0.25)


@pytest.mark.parametrize(
    "n_classes, n_groups, imbalance",
    [(2, 2, 0.8), (3, 2, 0.9), (2, 3, 0.6), (5, 4, 0.7), (4, 3, 1 / 3)],
)
def test_group_share_within_every_class(n_classes, n_groups, imbalance):
    n_features = n_classes + max(n_classes, n_groups)
    X, y, groups = make_biased_classification(
        3000,
        n_features=n_features,
        n_classes=n_classes,
        n_groups=n_groups,
        group_imbalance=imbalance,
        random_state=0,
    )
    counts = _cell_counts(y, groups, n_classes, n_groups)
    assert (counts > 0).all()
    per_class = counts.sum(axis=1)
    assert per_class.max() - per_class.min() <= 1  # balanced classes
    shares = counts / per_class[:, None]
    np.testing.assert_allclose(shares[:, 0], imbalance, atol=0.005)
    rest = (1 - imbalance) / (n_groups - 1)
    np.testing.assert_allclose(shares[:, 1:], rest, atol=0.005)


def test_every_cell_non_empty_even_when_tiny():
    # 2 classes x 3 groups, strong imbalance: the minority cells get at least one row
    X, y, groups = make_biased_classification(
        12, n_groups=3, group_imbalance=0.99, random_state=0
    )
    assert (_cell_counts(y, groups, 2, 3) >= 1).all()
    X, y, groups = make_biased_classification(6, n_groups=3, random_state=0)
    np.testing.assert_array_equal(_cell_counts(y, groups, 2, 3), np.ones((2, 3)))


@pytest.mark.parametrize("n_classes, n_groups", [(2, 2), (3, 2), (2, 4), (4, 3)])
def test_group_separation_is_the_distance_between_group_means(n_classes, n_groups):
    # the population means are exactly group_separation apart; check the sample means
    separation = 3.0
    X, y, groups = make_biased_classification(
        20000,
        n_features=n_classes + max(n_classes, n_groups),
        n_classes=n_classes,
        n_groups=n_groups,
        group_imbalance=1 / n_groups,
        group_separation=separation,
        random_state=1,
    )
    for k in range(n_classes):
        means = [X[(y == k) & (groups == g)].mean(axis=0) for g in range(n_groups)]
        for g in range(1, n_groups):
            assert np.linalg.norm(means[0] - means[g]) == pytest.approx(separation, abs=0.25)


def _group_accuracy_gap(separation, seed):
    kwargs = dict(group_imbalance=0.8, group_separation=separation, random_state=seed)
    X, y, groups = make_biased_classification(2000, **kwargs)
    X_test, y_test, groups_test = make_biased_classification(2000, test=True, **kwargs)
    correct = LogisticRegression().fit(X, y).predict(X_test) == y_test
    return correct[groups_test == 0].mean() - correct[groups_test == 1].mean()


@pytest.mark.parametrize("seed", [0, 1])
def test_larger_separation_gives_a_larger_accuracy_gap(seed):
    gaps = [_group_accuracy_gap(separation, seed) for separation in (0.0, 1.5, 3.0)]
    assert abs(gaps[0]) < 0.05  # identical groups: no systematic gap
    assert gaps[0] < gaps[1] < gaps[2]
    assert gaps[2] > 0.15  # the majority wins by a wide margin


def test_balanced_groups_without_separation_are_exchangeable():
    X, y, groups = make_biased_classification(
        4000, group_imbalance=0.5, group_separation=0.0, random_state=0
    )
    for k in range(2):
        difference = X[(y == k) & (groups == 0)].mean(0) - X[(y == k) & (groups == 1)].mean(0)
        assert np.abs(difference).max() < 0.2


def test_spurious_feature_tracks_class_in_train_only_and_group_always():
    kwargs = dict(spurious=True, spurious_strength=0.9, random_state=0)
    X, y, groups = make_biased_classification(4000, **kwargs)
    X_test, y_test, groups_test = make_biased_classification(4000, test=True, **kwargs)
    z, z_test = X[:, -1], X_test[:, -1]
    assert np.corrcoef(z, y)[0, 1] > 0.6
    assert abs(np.corrcoef(z_test, y_test)[0, 1]) < 0.1
    assert np.corrcoef(z, groups)[0, 1] > 0.2
    assert np.corrcoef(z_test, groups_test)[0, 1] > 0.2
    # the integer part is the shortcut label: equal to y with probability 0.9 in train
    shortcut = np.rint(z - groups / 2).astype(int)
    assert np.mean(shortcut == y) == pytest.approx(0.9, abs=0.02)
    shortcut_test = np.rint(z_test - groups_test / 2).astype(int)
    assert np.mean(shortcut_test == y_test) == pytest.approx(0.5, abs=0.03)
    # the other columns are the same distribution as without the spurious feature
    assert X.shape == (4000, 10)


def test_spurious_shortcut_hurts_on_the_test_split():
    kwargs = dict(n_classes=3, spurious=True, spurious_strength=0.95, random_state=0)
    X, y, groups = make_biased_classification(3000, **kwargs)
    X_test, y_test, _ = make_biased_classification(3000, test=True, **kwargs)
    model = LogisticRegression().fit(X, y)
    assert model.score(X, y) - model.score(X_test, y_test) > 0.1


def test_spurious_strength_multiclass():
    X, y, groups = make_biased_classification(
        6000, n_classes=4, n_groups=3, spurious=True, spurious_strength=0.7, random_state=0
    )
    shortcut = np.rint(X[:, -1] - groups / 3).astype(int)
    assert set(np.unique(shortcut)) == {0, 1, 2, 3}
    assert np.mean(shortcut == y) == pytest.approx(0.7, abs=0.02)
    # a wrong shortcut is any other class, uniformly
    offsets = (shortcut[shortcut != y] - y[shortcut != y]) % 4
    shares = np.bincount(offsets, minlength=4) / len(offsets)
    assert shares[0] == 0
    np.testing.assert_allclose(shares[1:], 1 / 3, atol=0.04)


def test_single_group():
    X, y, groups = make_biased_classification(100, n_groups=1, random_state=0)
    assert (groups == 0).all() and X.shape == (100, 10)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_samples": 3}, "n_samples"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_classes": 1}, "n_classes"),
        ({"n_groups": 0}, "n_groups"),
        ({"n_features": 3}, "n_features"),
        ({"n_features": 4, "spurious": True}, "n_features"),
        ({"n_features": 2.5}, "n_features"),
        ({"group_imbalance": 1.0}, "group_imbalance"),
        ({"group_imbalance": 0.0}, "group_imbalance"),
        ({"group_separation": -1.0}, "group_separation"),
        ({"group_separation": np.inf}, "group_separation"),
        ({"class_sep": "1"}, "class_sep"),
        ({"spurious_strength": 1.5}, "spurious_strength"),
        ({"spurious": "yes"}, "spurious"),
        ({"test": 1}, "test"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    kwargs = {"n_samples": 100, **kwargs}
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make_biased_classification(**kwargs)


def test_random_state_instance_is_accepted():
    rng = np.random.RandomState(0)
    X, y, groups = make_biased_classification(50, random_state=rng)
    assert X.shape == (50, 10)
