"""Multiclass equalized-odds gaps (skfairdistill.metrics._equalized_odds): hand-computed
examples, fairlearn equivalence, and a column name refused as sensitive_features."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import equalized_odds_difference
from sklearn.linear_model import LogisticRegression

from skfairdistill.metrics import (
    deo_max,
    deo_mean,
    fairness_report,
    per_group_class_recall,
    worst_group_accuracy,
)

from conftest import make_grouped_data

# Three classes, three groups. Recall of each class within each group:
#   g1: class 0 -> 2/2, class 1 -> 1/2, class 2 -> 2/2
#   g2: class 0 -> 1/2, class 1 -> 2/2, class 2 -> 0/2
#   g3: class 0 -> 1/1, class 1 -> 1/1, class 2 -> 1/1
# gaps: class 0 -> 0.5, class 1 -> 0.5, class 2 -> 1.0
Y_TRUE = [0, 0, 1, 1, 2, 2] + [0, 0, 1, 1, 2, 2] + [0, 1, 2]
Y_PRED = [0, 0, 1, 0, 2, 2] + [0, 1, 1, 1, 0, 1] + [0, 1, 2]
GROUPS = ["g1"] * 6 + ["g2"] * 6 + ["g3"] * 3


def test_per_group_class_recall_by_hand():
    recall = per_group_class_recall(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    assert list(recall.index) == ["g1", "g2", "g3"]
    assert list(recall.columns) == [0, 1, 2]
    expected = np.array([[1.0, 0.5, 1.0], [0.5, 1.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(recall.to_numpy(dtype=float), expected)


def test_deo_by_hand_multiclass_three_groups():
    assert deo_max(Y_TRUE, Y_PRED, sensitive_features=GROUPS) == pytest.approx(1.0)
    assert deo_mean(Y_TRUE, Y_PRED, sensitive_features=GROUPS) == pytest.approx(2.0 / 3.0)


def test_deo_by_hand_equal_gaps():
    y_pred = list(Y_PRED)
    y_pred[10] = 2  # g2 now recognises one of its two class-2 rows: gap of class 2 is 0.5
    assert deo_max(Y_TRUE, y_pred, sensitive_features=GROUPS) == pytest.approx(0.5)
    assert deo_mean(Y_TRUE, y_pred, sensitive_features=GROUPS) == pytest.approx(0.5)


def test_deo_with_string_labels_and_series():
    labels = np.array(["cat", "dog", "eel"])
    y_true = pd.Series(labels[Y_TRUE])
    y_pred = pd.Series(labels[Y_PRED])
    groups = pd.Series(GROUPS, name="grp")
    assert deo_max(y_true, y_pred, sensitive_features=groups) == pytest.approx(1.0)
    assert deo_mean(y_true, y_pred, sensitive_features=groups) == pytest.approx(2.0 / 3.0)


def test_perfect_classifier_has_zero_gap():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=200)
    groups = rng.choice(["a", "b", "c"], size=200)
    assert deo_max(y, y, sensitive_features=groups) == 0.0
    assert deo_mean(y, y, sensitive_features=groups) == 0.0


def test_group_blind_errors_have_zero_gap():
    """Same recalls in every group (even if poor) means no gap."""
    y_true = [0, 1, 0, 1] * 2
    y_pred = [1, 1, 0, 0] * 2
    groups = ["a"] * 4 + ["b"] * 4
    assert deo_max(y_true, y_pred, sensitive_features=groups) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_values_lie_in_unit_interval(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, size=60)
    y_pred = rng.integers(0, 3, size=60)
    groups = rng.choice(["a", "b", "c"], size=60, p=[0.6, 0.3, 0.1])
    high = deo_max(y_true, y_pred, sensitive_features=groups)
    mean = deo_mean(y_true, y_pred, sensitive_features=groups)
    assert 0.0 <= mean <= high <= 1.0
    assert high > 0  # random predictions on small groups are never exactly fair
    assert isinstance(high, float) and isinstance(mean, float)


@pytest.mark.parametrize("seed", range(6))
def test_binary_two_groups_equals_fairlearn_equalized_odds_difference(seed):
    rng = np.random.default_rng(seed)
    n = 150
    y_true = rng.integers(0, 2, size=n)
    # predictions that depend on the group, so that the gaps are far from zero
    groups = rng.choice(["f", "m"], size=n, p=[0.3, 0.7])
    flip = rng.random(n) < np.where(groups == "f", 0.4, 0.1)
    y_pred = np.where(flip, 1 - y_true, y_true)
    expected = equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    assert expected > 0
    assert deo_max(y_true, y_pred, sensitive_features=groups) == pytest.approx(expected)


def test_intersectional_sensitive_features_dataframe():
    rng = np.random.default_rng(0)
    n = 120
    y_true = rng.integers(0, 2, size=n)
    y_pred = np.where(rng.random(n) < 0.3, 1 - y_true, y_true)
    sex = rng.choice(["f", "m"], size=n)
    race = rng.choice(["r1", "r2"], size=n)
    frame = pd.DataFrame({"sex": sex, "race": race})
    combined = np.char.add(np.char.add(sex, "|"), race)

    recall = per_group_class_recall(y_true, y_pred, sensitive_features=frame)
    assert len(recall) == 4  # one row per (sex, race) combination
    for name in ("deo_max", "deo_mean"):
        metric = {"deo_max": deo_max, "deo_mean": deo_mean}[name]
        assert metric(y_true, y_pred, sensitive_features=frame) == pytest.approx(
            metric(y_true, y_pred, sensitive_features=combined)
        )
    # the intersection shows gaps that a single column can hide
    assert deo_max(y_true, y_pred, sensitive_features=frame) >= deo_max(
        y_true, y_pred, sensitive_features=sex
    )


def test_group_without_rows_of_a_class_is_ignored_for_that_class():
    # add group g4 with class-0 rows only, all misclassified
    y_true = Y_TRUE + [0, 0]
    y_pred = Y_PRED + [1, 2]
    groups = GROUPS + ["g4", "g4"]
    recall = per_group_class_recall(y_true, y_pred, sensitive_features=groups)
    assert recall.loc["g4", 0] == 0.0
    assert np.isnan(recall.loc["g4", 1]) and np.isnan(recall.loc["g4", 2])
    # class 0 gap grows to 1.0; classes 1 and 2 keep 0.5 and 1.0 (g4 is not a 0 there)
    assert deo_mean(y_true, y_pred, sensitive_features=groups) == pytest.approx(2.5 / 3)
    assert deo_max(y_true, y_pred, sensitive_features=groups) == pytest.approx(1.0)


def test_class_seen_by_one_group_only_has_zero_gap():
    y_true = [0, 0, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 0]
    groups = ["a", "b", "a", "b", "a"]  # class 2 only in group a
    # class 0: a 1.0, b 0.0 -> 1; class 1: 1 vs 1 -> 0; class 2: only a -> 0
    assert deo_max(y_true, y_pred, sensitive_features=groups) == pytest.approx(1.0)
    assert deo_mean(y_true, y_pred, sensitive_features=groups) == pytest.approx(1.0 / 3)


@pytest.mark.parametrize("metric", ["report", "deo_max", "worst_group_accuracy"])
@pytest.mark.parametrize("value", ["g", b"g", 3])
def test_metrics_refuse_a_column_name_as_sensitive_features(metric, value):
    X, y, A = make_grouped_data(n_samples=120)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match=rf"^sensitive_features must hold one group value per "
                                        rf"row .*got {type(value).__name__} .*pass the column "
                                        "itself"):
        if metric == "report":
            fairness_report({"m": model}, X, y, sensitive_features=value)
        elif metric == "deo_max":
            deo_max(y, model.predict(X), sensitive_features=value)
        else:
            worst_group_accuracy(y, model.predict(X), sensitive_features=value)


@pytest.mark.parametrize("metric", ["deo_max", "deo_mean", "worst_group_accuracy"])
def test_empty_inputs_are_refused_by_name(metric):
    import skfairdistill.metrics as metrics

    with pytest.raises(ValueError, match="^y_true is empty: a group metric needs at least one row"):
        getattr(metrics, metric)([], [], sensitive_features=[])
