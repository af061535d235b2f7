"""fairness_report (skfairdistill.metrics._report): one row per model, the metrics and the
accuracy of every group."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.tree import DecisionTreeClassifier

from skfairdistill.datasets import make_biased_classification
from skfairdistill.metrics import deo_max, deo_mean, fairness_report


class _Fixed:
    """A 'fitted model' that returns given predictions, to check the report by hand."""

    def __init__(self, y_pred):
        self.y_pred = np.asarray(y_pred)

    def predict(self, X):
        return self.y_pred


# --------------------------------------------------------------------------------------
# fairness_report
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def biased_data():
    X, y, groups = make_biased_classification(
        300, n_features=6, group_imbalance=0.75, group_separation=2.0, random_state=0
    )
    return X, y, np.where(groups == 0, "major", "minor")


_METRIC_COLUMNS = [
    "accuracy",
    "worst_group_accuracy",
    "deo_max",
    "deo_mean",
    "demographic_parity_difference",
]


def test_report_columns_and_values_match_direct_computation(biased_data):
    X, y, groups = biased_data
    models = {
        "logistic": LogisticRegression().fit(X, y),
        "tree": DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y),
        "majority": DummyClassifier().fit(X, y),
    }
    X_test, y_test, groups_test = make_biased_classification(
        300, n_features=6, group_imbalance=0.75, group_separation=2.0, test=True, random_state=0
    )
    sensitive = np.where(groups_test == 0, "major", "minor")
    report = fairness_report(models, X_test, y_test, sensitive_features=sensitive)
    assert isinstance(report, pd.DataFrame)
    assert list(report.index) == ["logistic", "tree", "majority"]
    assert report.index.name == "model"
    assert list(report.columns) == _METRIC_COLUMNS + ["accuracy[major]", "accuracy[minor]"]
    for name, model in models.items():
        y_pred = model.predict(X_test)
        row = report.loc[name]
        by_group = {
            g: accuracy_score(y_test[sensitive == g], y_pred[sensitive == g])
            for g in ("major", "minor")
        }
        assert row["accuracy"] == pytest.approx(accuracy_score(y_test, y_pred))
        assert row["accuracy[major]"] == pytest.approx(by_group["major"])
        assert row["accuracy[minor]"] == pytest.approx(by_group["minor"])
        assert row["worst_group_accuracy"] == pytest.approx(min(by_group.values()))
        assert row["deo_max"] == pytest.approx(
            deo_max(y_test, y_pred, sensitive_features=sensitive)
        )
        assert row["deo_mean"] == pytest.approx(
            deo_mean(y_test, y_pred, sensitive_features=sensitive)
        )
        assert row["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y_test, y_pred, sensitive_features=sensitive)
        )
    assert report.loc["majority", "deo_max"] == 0.0
    assert report.loc["majority", "demographic_parity_difference"] == 0.0


def test_report_by_hand_multiclass():
    y_true = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    y_pred = np.array([0, 1, 2, 1, 1, 0, 0, 2])
    groups = np.array(["x", "x", "x", "y", "y", "y", "y", "y"])
    report = fairness_report({"m": _Fixed(y_pred)}, None, y_true, sensitive_features=groups)
    row = report.loc["m"]
    # x: 3/3 correct; y: rows 3..7 -> correct at 4 and 6: 2/5
    assert row["accuracy"] == pytest.approx(5 / 8)
    assert row["accuracy[x]"] == 1.0
    assert row["accuracy[y]"] == pytest.approx(2 / 5)
    assert row["worst_group_accuracy"] == pytest.approx(2 / 5)
    # recalls x: (1, 1, 1); y: class 0 -> 1/2, class 1 -> 1/2, class 2 -> 0
    assert row["deo_max"] == pytest.approx(1.0)
    assert row["deo_mean"] == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    # selection rates x: (1/3, 1/3, 1/3); y: (2/5, 2/5, 1/5); largest gap 2/15
    assert row["demographic_parity_difference"] == pytest.approx(2 / 15)


def test_report_single_estimator_is_named_after_its_class(biased_data):
    X, y, groups = biased_data
    model = LogisticRegression().fit(X, y)
    report = fairness_report(model, X, y, sensitive_features=groups)
    assert list(report.index) == ["LogisticRegression"]
    assert report.shape == (1, 7)


def test_report_intersectional_groups_and_series():
    y_true = np.array([0, 1, 0, 1, 0, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 0])
    frame = pd.DataFrame({"sex": list("FFMMMM"), "race": list("abaabb")})
    report = fairness_report(_Fixed(y_pred), None, y_true, sensitive_features=frame)
    group_columns = [c for c in report.columns if c.startswith("accuracy[")]
    assert group_columns == ["accuracy[F, a]", "accuracy[F, b]", "accuracy[M, a]",
                             "accuracy[M, b]"]
    assert report["accuracy[M, a]"].iloc[0] == pytest.approx(0.5)
    assert report["accuracy[M, b]"].iloc[0] == pytest.approx(0.5)
    series = pd.Series(list("FFMMMM"), name="sex")
    report = fairness_report(_Fixed(y_pred), None, y_true, sensitive_features=series)
    assert [c for c in report.columns if c.startswith("accuracy[")] == ["accuracy[F]",
                                                                         "accuracy[M]"]


def test_report_bad_arguments():
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="^estimators is an empty dict; give at least one "
                                         "fitted estimator"):
        fairness_report({}, None, y, sensitive_features=list("aabb"))
    with pytest.raises(TypeError, match=r"^estimators must be a fitted estimator or a dict "
                                        r"\{name: fitted estimator\} with a predict method; "
                                        "'x' is object"):
        fairness_report({"x": object()}, None, y, sensitive_features=list("aabb"))
    with pytest.raises(ValueError, match="^sensitive_features has 3 rows but y_test has 4"):
        fairness_report(_Fixed(y), None, y, sensitive_features=list("aab"))
    with pytest.raises(ValueError, match=r"^y_test must be 1-D class labels; got shape \(2, 2\)"):
        fairness_report(_Fixed(y), None, y.reshape(2, 2), sensitive_features=list("ab"))
