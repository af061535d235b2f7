"""worst_group_accuracy, the multiclass demographic parity difference and make_fairness_scorer
(skfairdistill.metrics._group_metrics)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from fairlearn.metrics import demographic_parity_difference
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_biased_classification
from skfairdistill.metrics import deo_max, deo_mean, make_fairness_scorer, worst_group_accuracy
from skfairdistill.metrics._group_metrics import _demographic_parity_difference


@pytest.fixture(scope="module")
def biased_data():
    X, y, groups = make_biased_classification(
        300, n_features=6, group_imbalance=0.75, group_separation=2.0, random_state=0
    )
    return X, y, np.where(groups == 0, "major", "minor")


# --------------------------------------------------------------------------------------
# worst_group_accuracy and the multiclass demographic parity difference
# --------------------------------------------------------------------------------------


def test_worst_group_accuracy_by_hand():
    y_true = [0, 1, 1, 0, 1, 0, 1]
    y_pred = [0, 1, 0, 0, 0, 1, 1]
    groups = ["a", "a", "b", "b", "b", "c", "c"]
    # a: 2/2, b: 1/3, c: 1/2
    assert worst_group_accuracy(y_true, y_pred, sensitive_features=groups) == pytest.approx(1 / 3)


def test_worst_group_accuracy_intersectional_groups():
    y_true = np.array([1, 1, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 0, 1])
    frame = pd.DataFrame({"sex": list("FFMMMM"), "race": list("xxxyyy")})
    # (F, x): 2/2, (M, x): 1/1, (M, y): 1/3
    value = worst_group_accuracy(y_true, y_pred, sensitive_features=frame)
    assert value == pytest.approx(1 / 3)


def test_worst_group_accuracy_perfect_and_single_group():
    assert worst_group_accuracy([0, 1], [0, 1], sensitive_features=[5, 7]) == 1.0
    assert worst_group_accuracy([0, 1, 1], [0, 0, 1], sensitive_features=[1, 1, 1]) == 2 / 3


@pytest.mark.parametrize("labels", [(0, 1), ("no", "yes")])
def test_demographic_parity_equals_fairlearn_for_binary(labels):
    rng = np.random.default_rng(0)
    y_true = rng.integers(2, size=300)
    y_pred = rng.integers(2, size=300)
    groups = rng.choice(["a", "b", "c"], size=300)
    expected = demographic_parity_difference(y_true, y_pred, sensitive_features=groups)
    as_labels = np.array(labels)
    value = _demographic_parity_difference(
        as_labels[y_true], as_labels[y_pred], sensitive_features=groups
    )
    assert value == pytest.approx(expected)
    # swapping the positive label gives the same value
    flipped = _demographic_parity_difference(1 - y_true, 1 - y_pred, sensitive_features=groups)
    assert flipped == pytest.approx(expected)


def test_demographic_parity_multiclass_by_hand():
    y_pred = np.array([0, 0, 1, 2, 2, 2, 1, 0])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    y_true = np.zeros(8, dtype=int)
    # selection rates, a: (2/4, 1/4, 1/4), b: (1/4, 1/4, 2/4); largest gap 1/4
    value = _demographic_parity_difference(y_true, y_pred, sensitive_features=groups)
    assert value == pytest.approx(0.25)
    y_pred = np.array([0, 0, 0, 0, 2, 2, 2, 2])  # class 0 only in a, class 2 only in b
    assert _demographic_parity_difference(
        y_true, y_pred, sensitive_features=groups
    ) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------
# make_fairness_scorer
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric, function, sign",
    [
        ("deo_max", deo_max, -1),
        ("deo_mean", deo_mean, -1),
        ("worst_group_accuracy", worst_group_accuracy, 1),
        ("demographic_parity_difference", _demographic_parity_difference, -1),
    ],
)
def test_scorer_values(biased_data, metric, function, sign):
    X, y, groups = biased_data
    model = LogisticRegression().fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer(metric).set_score_request(sensitive_features=True)
        value = scorer(model, X, y, sensitive_features=groups)
    expected = function(y, model.predict(X), sensitive_features=groups)
    assert value == pytest.approx(sign * expected)


def test_scorer_bad_metric():
    with pytest.raises(ValueError, match=r"^metric must be one of \['deo_max', 'deo_mean', "
                                         r"'worst_group_accuracy', "
                                         r"'demographic_parity_difference'\]; got 'accuracy'"):
        make_fairness_scorer("accuracy")
    with pytest.raises(ValueError, match="^metric must be one of .*; got <function deo_max"):
        make_fairness_scorer(deo_max)


def test_scorer_in_grid_search_with_routing(biased_data):
    X, y, groups = biased_data
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        # a distiller that does not receive sensitive_features warns: make that an error
        warnings.filterwarnings("error", message="sensitive_features is None")
        distiller = (
            FairDistiller(n_per_class=4, n_iter=5, random_state=0,
                          matching_params={"embedding_width": 16})
            .set_fit_request(sensitive_features=True)
            .set_fit_resample_request(sensitive_features=True)
        )
        pipe = Pipeline([("distill", distiller), ("clf", LogisticRegression())])
        scoring = {
            "deo": make_fairness_scorer("deo_max"),
            "worst": make_fairness_scorer("worst_group_accuracy"),
        }
        for scorer in scoring.values():
            scorer.set_score_request(sensitive_features=True)
        search = GridSearchCV(
            pipe,
            {"distill__alignment": ["barycenter", "none"]},
            scoring={**scoring, "accuracy": "accuracy"},
            refit="deo",
            cv=cv,
            error_score="raise",
        )
        search.fit(X, y, sensitive_features=groups)
    results = search.cv_results_
    assert np.all(results["mean_test_deo"] <= 0)
    assert np.all((results["mean_test_worst"] >= 0) & (results["mean_test_worst"] <= 1))
    assert search.best_params_["distill__alignment"] in ("barycenter", "none")
    assert search.best_estimator_.named_steps["distill"].groups_.tolist() == ["major", "minor"]

    # the scorer saw the sensitive features of the test fold: recompute one split by hand
    train, test = next(cv.split(X))
    refit = sklearn.base.clone(pipe).set_params(distill__alignment="barycenter")
    with sklearn.config_context(enable_metadata_routing=True):
        refit.fit(X[train], y[train], sensitive_features=groups[train])
    y_pred = refit.predict(X[test])
    first = results["params"].index({"distill__alignment": "barycenter"})
    assert results["split0_test_deo"][first] == pytest.approx(
        -deo_max(y[test], y_pred, sensitive_features=groups[test])
    )
    assert results["split0_test_worst"][first] == pytest.approx(
        worst_group_accuracy(y[test], y_pred, sensitive_features=groups[test])
    )
