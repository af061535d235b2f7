"""DistilledClassifier (skfairdistill._estimators.classifier): a classifier trained on the
distilled set; delegation, cloning, checks of its estimator and distiller.

Its metadata routing is tested in test_routing.py, its scikit-learn conformance in
test_estimator_checks.py, its class prior in test_prior.py.
"""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from fairlearn.postprocessing import ThresholdOptimizer
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._estimators import classifier as _meta

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _distiller(**params):
    defaults = dict(n_per_class=3, n_iter=20, random_state=0)
    defaults.update(params)
    return FairDistiller(**defaults)


def _classifier(estimator=None, **distiller_params):
    estimator = LogisticRegression() if estimator is None else estimator
    return DistilledClassifier(estimator, distiller=_distiller(**distiller_params))


@pytest.fixture
def data(make_data):
    """(X, y, A): 120 rows, 3 features, 2 classes, groups "a" (80%) and "b" (20%)."""
    return make_data(n_samples=120, n_features=3)


# --------------------------------------------------------------------------- fit / predict


def test_fit_predict_shapes(data):
    X, y, A = data
    clf = _classifier().fit(X, y, sensitive_features=A)
    assert clf.predict(X).shape == (len(y),)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.decision_function(X).shape == (len(y),)
    assert 0.0 <= clf.score(X, y) <= 1.0
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X.shape[1]
    assert not hasattr(clf, "feature_names_in_")


def test_estimator_is_fitted_on_the_distilled_set(data):
    """Same as distilling by hand and fitting the classifier on the synthetic rows."""
    X, y, A = data
    clf = _classifier().fit(X, y, sensitive_features=A)
    X_syn, y_syn = _distiller().fit_resample(X, y, sensitive_features=A)
    by_hand = LogisticRegression().fit(X_syn, y_syn)
    np.testing.assert_array_equal(clf.distiller_.X_distilled_, X_syn)
    assert clf.distiller_.X_distilled_.shape == (6, X.shape[1])
    np.testing.assert_allclose(clf.estimator_.coef_, by_hand.coef_)
    np.testing.assert_array_equal(clf.predict(X), by_hand.predict(X))
    assert list(clf.distiller_.groups_) == ["a", "b"]


def test_string_labels_multiclass(make_data):
    X, y, A = make_data(n_samples=150, n_features=3, n_classes=3, shares=(0.7, 0.3))
    names = np.array(["cat", "dog", "emu"], dtype=object)[y]
    clf = _classifier(n_per_class=2).fit(X, names, sensitive_features=A)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    np.testing.assert_array_equal(clf.classes_, clf.estimator_.classes_)
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    assert clf.predict_proba(X).shape == (len(y), 3)
    assert clf.decision_function(X).shape == (len(y), 3)


def test_dataframe_input_keeps_feature_names(data):
    X, y, A = data
    columns = ["age", "hours", "score"]
    frame = pd.DataFrame(X, columns=columns)
    series = pd.Series(np.where(y == 1, "yes", "no"), name="label")
    clf = _classifier().fit(frame, series, sensitive_features=pd.Series(A, name="sex"))
    np.testing.assert_array_equal(clf.feature_names_in_, columns)
    np.testing.assert_array_equal(clf.estimator_.feature_names_in_, columns)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.predict(frame).shape == (len(y),)
    # a refit on an array forgets the names of the earlier fit
    clf.fit(X, y, sensitive_features=A)
    assert not hasattr(clf, "feature_names_in_")


def test_column_vector_y_warns_and_is_raveled(data):
    X, y, A = data
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf = _classifier().fit(X, y[:, None], sensitive_features=A)
    flat = _classifier().fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(clf.predict(X), flat.predict(X))


def test_without_sensitive_features_a_fair_distiller_is_refused_before_distilling(
        data, monkeypatch):
    X, y, _ = data

    def not_reached(*args, **kwargs):
        raise AssertionError("distilled without the groups")

    monkeypatch.setattr(FairDistiller, "fit_resample", not_reached)
    clf = _classifier()
    with pytest.raises(ValueError, match="^sensitive_features is None, but the distiller's "
                                         "alignment='barycenter' aligns the groups") as info:
        clf.fit(X, y)
    for advice in ("fit(X, y, sensitive_features=A)", "<step>__sensitive_features=A",
                   "set_fit_request(sensitive_features=True)", "prefit=True",
                   "FairDistiller(alignment='none')"):
        assert advice in str(info.value)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_vanilla_and_other_samplers_need_no_groups(data, recwarn):
    X, y, _ = data
    assert _classifier(alignment="none").fit(X, y).distiller_.groups_ is None
    sampler = DistilledClassifier(LogisticRegression(),
                                  distiller=RandomUnderSampler(random_state=0)).fit(X, y)
    assert sampler.predict(X).shape == y.shape
    assert not [w for w in recwarn if "sensitive_features" in str(w.message)]


def test_a_fairlearn_threshold_optimizer_fails_clearly_and_prefit_works(data):
    """ThresholdOptimizer does not pass the groups to its estimator: an error, not vanilla."""
    X, y, A = data
    optimizer = ThresholdOptimizer(estimator=_classifier(), predict_method="predict_proba")
    with pytest.raises(ValueError, match="^sensitive_features is None.*ThresholdOptimizer"
                                         r"\(\.\.\., prefit=True\)"):
        optimizer.fit(X, y, sensitive_features=A)
    # the recipe the message gives: fit with the groups first, then prefit=True
    clf = _classifier().fit(X, y, sensitive_features=A)
    optimizer = ThresholdOptimizer(estimator=clf, prefit=True, predict_method="predict_proba")
    optimizer.fit(X, y, sensitive_features=A)
    assert optimizer.predict(X, sensitive_features=A, random_state=0).shape == y.shape


def test_default_distiller_is_a_fresh_fair_distiller(data, monkeypatch):
    """distiller=None builds ``FairDistiller()``; patched to a short run to stay cheap."""
    calls = []

    def short_default(**params):
        calls.append(params)
        return FairDistiller(n_iter=5, random_state=0)

    monkeypatch.setattr(_meta, "FairDistiller", short_default)
    X, y, A = data
    clf = DistilledClassifier(LogisticRegression()).fit(X, y, sensitive_features=A)
    assert calls == [{}]
    assert isinstance(clf.distiller_, FairDistiller)
    assert clf.distiller is None


def test_bad_estimator_and_distiller_are_rejected_before_distilling(data):
    X, y, A = data
    with pytest.raises(TypeError, match="^estimator must be a scikit-learn classifier with a fit "
                                        "method; got 'logistic'"):
        DistilledClassifier("logistic", distiller=_distiller()).fit(X, y, sensitive_features=A)
    with pytest.raises(TypeError, match=r"^distiller must be a FairDistiller \(or a sampler with a "
                                        r"fit_resample method\) or None; got StandardScaler\(\)"):
        DistilledClassifier(LogisticRegression(), distiller=StandardScaler()).fit(
            X, y, sensitive_features=A
        )


# --------------------------------------------------------------------------- delegation


def test_delegation_follows_the_estimator(data):
    X, y, A = data
    svc = _classifier(LinearSVC())
    nb = _classifier(GaussianNB())
    lr = _classifier()
    for fitted in (False, True):
        if fitted:
            for clf in (svc, nb, lr):
                clf.fit(X, y, sensitive_features=A)
        assert hasattr(svc, "predict") and hasattr(svc, "decision_function")
        assert not hasattr(svc, "predict_proba")
        assert not hasattr(svc, "predict_log_proba")
        assert hasattr(nb, "predict_proba") and hasattr(nb, "predict_log_proba")
        assert not hasattr(nb, "decision_function")
        for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
            assert hasattr(lr, method)
    assert svc.decision_function(X).shape == (len(y),)
    assert nb.predict_proba(X).shape == (len(y), 2)


def test_unfitted_methods_raise_not_fitted(data):
    X, _, _ = data
    clf = _classifier()
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        with pytest.raises(NotFittedError):
            getattr(clf, method)(X)


# --------------------------------------------------------------------------- cloning


def test_passed_estimator_and_distiller_stay_unfitted(data):
    X, y, A = data
    estimator, distiller = LogisticRegression(), _distiller()
    clf = DistilledClassifier(estimator, distiller=distiller).fit(X, y, sensitive_features=A)
    assert clf.estimator is estimator and clf.distiller is distiller
    assert clf.estimator_ is not estimator and clf.distiller_ is not distiller
    for unfitted in (estimator, distiller):
        with pytest.raises(NotFittedError):
            check_is_fitted(unfitted)
    check_is_fitted(clf.estimator_)
    check_is_fitted(clf.distiller_)


def test_clone_and_refit_are_independent(data):
    X, y, A = data
    clf = _classifier().fit(X, y, sensitive_features=A)
    first_estimator = clf.estimator_
    twin = clone(clf)
    with pytest.raises(NotFittedError):
        check_is_fitted(twin)
    twin.fit(X[:80], y[:80], sensitive_features=A[:80])
    assert clf.estimator_ is first_estimator
    assert clf.distiller_.cell_counts_.sum() == len(y)
    assert twin.distiller_.cell_counts_.sum() == 80


def test_same_seed_gives_identical_predictions(data):
    X, y, A = data
    a = _classifier().fit(X, y, sensitive_features=A)
    b = _classifier().fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_joblib_round_trip(data, tmp_path):
    X, y, A = data
    clf = _classifier().fit(X, y, sensitive_features=A)
    path = tmp_path / "distilled.joblib"
    joblib.dump(clf, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.distiller_.X_distilled_, clf.distiller_.X_distilled_)


@pytest.mark.parametrize("estimator", [
    LinearRegression(), Ridge(), make_pipeline(StandardScaler(), LinearRegression()),
], ids=["LinearRegression", "Ridge", "pipeline-of-a-regressor"])
def test_distilled_classifier_refuses_non_classifiers(estimator, data):
    X, y, A = data
    with pytest.raises(TypeError, match="estimator must be a classifier"):
        DistilledClassifier(estimator, distiller=FairDistiller(**FAST)).fit(
            X, y, sensitive_features=A)


def test_distilled_classifier_accepts_a_classifier_pipeline(data):
    X, y, A = data
    model = DistilledClassifier(make_pipeline(StandardScaler(), LogisticRegression()),
                                distiller=FairDistiller(**FAST))
    assert model.fit(X, y, sensitive_features=A).predict(X).shape == y.shape


def test_a_sampler_without_sensitive_features_is_named_and_works_without_them():
    from imblearn.under_sampling import RandomUnderSampler

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    model = DistilledClassifier(LogisticRegression(),
                                distiller=RandomUnderSampler(random_state=0))
    with pytest.raises(TypeError, match=r"distiller=RandomUnderSampler\(\.\.\.\) does not take "
                                        r"sensitive_features .*Use a FairDistiller"):
        model.fit(X, y, sensitive_features=y)
    model.fit(X, y)  # a plain imbalanced-learn sampler, no groups
    assert model.classes_.tolist() == [0, 1] and model.n_features_in_ == 3


@pytest.mark.parametrize("bad", [{"a"}, 3.5], ids=["set", "number"])
def test_the_distillers_own_errors_about_the_groups_come_through(data, bad):
    """FairDistiller's TypeError about bad groups is its own, not 'does not take'."""
    X, y, _ = data
    with pytest.raises(TypeError, match="^sensitive_features must be array-like"):
        _classifier().fit(X, y, sensitive_features=bad)


# --------------------------------------------------------------- X of predict and the like

BAD_X = {
    "None": (lambda X: None, TypeError),
    "text": (lambda X: "rows", TypeError),
    "1-d": (lambda X: X[0], ValueError),
    "3-d": (lambda X: X.reshape(-1, 1, 3), ValueError),
    "ragged": (lambda X: [list(row[: 2 + i % 2]) for i, row in enumerate(X)], ValueError),
    "text-cell": (lambda X: np.where(np.arange(len(X))[:, None] == 3, "abc", X.astype(object)),
                  ValueError),
    "dict": (lambda X: {"f0": X[:, 0]}, TypeError),
    "no-rows": (lambda X: X[:0], ValueError),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba",
                                    "decision_function"])
@pytest.mark.parametrize("case", list(BAD_X))
def test_predict_and_the_like_name_X(data, method, case):
    X, y, A = data
    make, kind = BAD_X[case]
    clf = _classifier().fit(X, y, sensitive_features=A)
    with pytest.raises(kind, match=r"^X must be") as info:
        getattr(clf, method)(make(X))
    assert "inhomogeneous" not in str(info.value)


def test_predict_checks_for_a_memory_map_cut_short_first(data, monkeypatch):
    """Reading the bytes a cut-short map lost would kill the process (SIGBUS), so
    check_memory_map('X', X) runs before anything reads X (tests/test_hostile_inputs.py
    runs a real cut-short map, in a child process)."""
    X, y, A = data
    clf = _classifier().fit(X, y, sensitive_features=A)
    seen = []

    def refuse(name, value):
        seen.append(name)
        raise ValueError(f"{name} is a memory map cut short")

    monkeypatch.setattr(_meta, "check_memory_map", refuse)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        with pytest.raises(ValueError, match="^X is a memory map cut short"):
            getattr(clf, method)(X)
    assert seen == ["X"] * 4


def test_predict_keeps_the_callers_container(data):
    """A DataFrame reaches the estimator as a DataFrame: no feature-name warning."""
    X, y, A = data
    frame = pd.DataFrame(X, columns=["f0", "f1", "f2"])
    clf = _classifier().fit(frame, y, sensitive_features=A)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clf.predict(frame).shape == y.shape
