"""class_prior_weights and DistilledClassifier(class_prior=...) (skfairdistill._estimators.prior):
the real or a tempered class prior."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from skfairdistill import DistilledClassifier, FairDistiller, class_prior_weights


def test_each_class_weighs_its_share_of_the_real_rows():
    y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    y_syn = np.array(["a", "a", "b", "b", "b", "c"])  # unequal budgets on purpose
    w = class_prior_weights(y, y_syn)
    assert w.shape == (6,)
    np.testing.assert_allclose(w.mean(), 1.0)
    totals = {c: w[y_syn == c].sum() / w.sum() for c in "abc"}
    np.testing.assert_allclose([totals["a"], totals["b"], totals["c"]], [0.6, 0.3, 0.1])


@pytest.mark.parametrize("power", [0.0, 0.5, 1.0])
def test_each_class_weighs_its_share_to_the_power(power):
    y = np.array([0] * 64 + [1] * 16 + [2] * 4)
    y_syn = np.array([0, 0, 1, 1, 1, 2])
    w = class_prior_weights(y, y_syn, power=power)
    np.testing.assert_allclose(w.mean(), 1.0)
    expected = np.array([64, 16, 4], dtype=float) ** power
    totals = [w[y_syn == c].sum() / w.sum() for c in range(3)]
    np.testing.assert_allclose(totals, expected / expected.sum())


@pytest.mark.parametrize("power", [-0.1, 1.5, "sqrt", True, None])
def test_bad_power_is_refused(power):
    with pytest.raises(ValueError, match="power must be a real number in \\[0, 1\\]"):
        class_prior_weights(np.array([0, 1, 1]), np.array([0, 1]), power=power)


def test_balanced_data_gives_unit_weights():
    y = np.repeat([0, 1, 2], 5)
    np.testing.assert_allclose(class_prior_weights(y, np.repeat([0, 1, 2], 2)), 1.0)


def test_series_and_unknown_labels():
    y = pd.Series([0, 0, 0, 1])
    np.testing.assert_allclose(class_prior_weights(y, pd.Series([0, 1])), [1.5, 0.5])
    with pytest.raises(ValueError, match=r"labels that y does not have: \[2\]"):
        class_prior_weights(y, np.array([0, 2]))
    with pytest.raises(ValueError, match="y_syn is empty"):
        class_prior_weights(y, np.array([], dtype=int))


@pytest.fixture
def imbalanced(make_data):
    X, y, A = make_data(n_samples=200, n_features=3)
    keep = (y == 0) | np.isin(np.arange(len(y)) % 8, (1, 3))  # class 1 down to half
    return X[keep], y[keep], A[keep]


def _clf(estimator, **params):
    distiller = FairDistiller(n_per_class=4, n_iter=20, random_state=0)
    return DistilledClassifier(estimator, distiller=distiller, **params)


def test_data_prior_fits_the_estimator_with_the_weights(imbalanced):
    X, y, A = imbalanced
    clf = _clf(LogisticRegression(), class_prior="data").fit(X, y, sensitive_features=A)
    X_syn, y_syn = clf.distiller_.X_distilled_, clf.distiller_.y_distilled_
    by_hand = LogisticRegression().fit(X_syn, y_syn, sample_weight=class_prior_weights(y, y_syn))
    np.testing.assert_allclose(clf.estimator_.coef_, by_hand.coef_)
    balanced = _clf(LogisticRegression(), class_prior="balanced").fit(X, y, sensitive_features=A)
    # the majority class gains: its intercept moves towards it
    assert clf.estimator_.intercept_[0] < balanced.estimator_.intercept_[0]


def test_sqrt_prior_lies_between_the_set_and_the_data(imbalanced):
    X, y, A = imbalanced
    fitted = {prior: _clf(LogisticRegression(), class_prior=prior).fit(X, y, sensitive_features=A)
              for prior in ("balanced", "sqrt", "data")}
    X_syn, y_syn = fitted["sqrt"].distiller_.X_distilled_, fitted["sqrt"].distiller_.y_distilled_
    by_hand = LogisticRegression().fit(
        X_syn, y_syn, sample_weight=class_prior_weights(y, y_syn, power=0.5))
    np.testing.assert_allclose(fitted["sqrt"].estimator_.coef_, by_hand.coef_)
    intercepts = [fitted[p].estimator_.intercept_[0] for p in ("balanced", "sqrt", "data")]
    assert intercepts[0] > intercepts[1] > intercepts[2]


def test_bad_class_prior_is_refused_before_distilling(imbalanced, monkeypatch):
    X, y, A = imbalanced
    monkeypatch.setattr(FairDistiller, "fit_resample", lambda *a, **k: pytest.fail("distilled"))
    with pytest.raises(ValueError,
                       match=r"class_prior must be one of \['auto', 'balanced', 'sqrt', 'data'\]"):
        _clf(LogisticRegression(), class_prior="prior").fit(X, y, sensitive_features=A)
    with pytest.raises(ValueError, match="class_prior must be one of"):
        _clf(LogisticRegression(), class_prior=["data"]).fit(X, y, sensitive_features=A)
    for prior in ("data", "sqrt"):
        with pytest.raises(TypeError, match=f"class_prior='{prior}' trains estimator"):
            _clf(KNeighborsClassifier(1), class_prior=prior).fit(X, y, sensitive_features=A)


def test_auto_prior_is_the_datas_where_the_estimator_takes_weights(imbalanced):
    X, y, A = imbalanced
    auto = _clf(LogisticRegression()).fit(X, y, sensitive_features=A)
    data = _clf(LogisticRegression(), class_prior="data").fit(X, y, sensitive_features=A)
    assert auto.class_prior == "auto" and auto.class_prior_ == "data"
    np.testing.assert_array_equal(auto.estimator_.coef_, data.estimator_.coef_)
    # a classifier whose fit takes no sample_weight is trained on the set's own prior
    knn = _clf(KNeighborsClassifier(1)).fit(X, y, sensitive_features=A)
    assert knn.class_prior_ == "balanced"
    # a model-matched set already carries the data's class shares
    model = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
        matching="model", n_per_class=4, n_iter=10, random_state=0))
    assert model.fit(X, y, sensitive_features=A).class_prior_ == "balanced"
    for prior in ("balanced", "sqrt"):
        fitted = _clf(LogisticRegression(), class_prior=prior).fit(X, y, sensitive_features=A)
        assert fitted.class_prior_ == prior
