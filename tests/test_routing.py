"""sensitive_features through scikit-learn metadata routing: pipelines, grid search, CV,
for FairDistiller in an imbalanced-learn Pipeline and for DistilledClassifier in any."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfairdistill import DistilledClassifier, FairDistiller


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _pipeline(**distiller_params):
    params = dict(n_per_class=3, n_iter=20, random_state=0)
    params.update(distiller_params)
    distiller = FairDistiller(**params).set_fit_resample_request(sensitive_features=True)
    return Pipeline([("distill", distiller), ("clf", LogisticRegression())])


@pytest.fixture
def data(make_data):
    return make_data(n_samples=200, n_features=3)


def test_request_method_is_set(routing):
    distiller = FairDistiller().set_fit_resample_request(sensitive_features=True)
    assert isinstance(distiller, FairDistiller)
    routing_info = distiller.get_metadata_routing()
    assert routing_info.fit_resample.requests == {"sensitive_features": True,
                                                  "sample_weight": None}
    # an imblearn Pipeline routes its fit to the step's fit as well: requested by default
    assert FairDistiller().get_metadata_routing().fit.requests == {"sensitive_features": True,
                                                                   "sample_weight": True}


def test_pipeline_routes_sensitive_features(routing, data, recwarn):
    X, y, A = data
    pipe = _pipeline().fit(X, y, sensitive_features=A)
    distiller = pipe.named_steps["distill"]
    assert list(distiller.groups_) == ["a", "b"]
    np.testing.assert_array_equal(
        distiller.cell_counts_.sum(axis=0), [np.sum(A == "a"), np.sum(A == "b")]
    )
    # the classifier was trained on the synthetic rows
    assert pipe.named_steps["clf"].n_features_in_ == X.shape[1]
    assert pipe.predict(X).shape == (len(y),)
    assert not [w for w in recwarn if "sensitive_features is None" in str(w.message)]


def test_pipeline_gets_the_same_groups_as_a_direct_call(routing, data):
    X, y, A = data
    pipe = _pipeline().fit(X, y, sensitive_features=A)
    direct = FairDistiller(n_per_class=3, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=A
    )
    np.testing.assert_array_equal(pipe.named_steps["distill"].X_distilled_, direct.X_distilled_)


def test_pipeline_without_request_raises_or_warns(routing, data):
    """Without the request, passing sensitive_features is an error, not a silent drop."""
    X, y, A = data
    distiller = FairDistiller(n_per_class=3, n_iter=20, random_state=0)
    pipe = Pipeline([("distill", distiller), ("clf", LogisticRegression())])
    with pytest.raises(ValueError, match=r"^\[sensitive_features\] are passed but are not "
                                         "explicitly set as requested or not requested for "
                                         r"FairDistiller\.fit_resample"):
        pipe.fit(X, y, sensitive_features=A)


def test_imblearn_pipeline_without_routing_refuses_instead_of_losing_the_groups(data):
    """imbalanced-learn passes ``distill__sensitive_features`` to fit, never to fit_resample:
    the distiller receives no groups, and says how to pass them instead of running vanilla."""
    X, y, A = data
    pipe = Pipeline([("distill", FairDistiller(n_per_class=3, n_iter=20, random_state=0)),
                     ("clf", LogisticRegression())])
    with pytest.raises(ValueError, match=r"^sensitive_features is None, but alignment="
                                         r"'barycenter'.*distill__sensitive_features=A\) does "
                                         r"not reach fit_resample.*enable_metadata_routing"):
        pipe.fit(X, y, distill__sensitive_features=A)
    assert not hasattr(pipe.named_steps["distill"], "groups_")
    # the routed way, as the message says, reaches it
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pipeline().fit(X, y, sensitive_features=A)
    assert list(pipe.named_steps["distill"].groups_) == ["a", "b"]


@pytest.mark.parametrize("request_value", [False, None], ids=["not-requested", "no-request"])
def test_a_search_whose_distiller_gets_no_groups_refuses(routing, data, request_value):
    """Routing on, groups not passed or not requested: refused, not a quiet vanilla search."""
    X, y, A = data
    distiller = FairDistiller(n_per_class=3, n_iter=20, random_state=0)
    if request_value is False:
        distiller.set_fit_resample_request(sensitive_features=False)
    pipe = Pipeline([("distill", distiller), ("clf", LogisticRegression())])
    search = GridSearchCV(pipe, {"distill__n_per_class": [2, 4]}, cv=2, error_score="raise")
    with pytest.raises(ValueError, match="^sensitive_features is None, but "):
        search.fit(X, y) if request_value is None else search.fit(X, y, sensitive_features=A)


def test_grid_search_routes_sensitive_features(routing, data):
    X, y, A = data
    search = GridSearchCV(_pipeline(), {"distill__n_per_class": [2, 4]}, cv=2)
    search.fit(X, y, sensitive_features=A)
    assert search.best_params_["distill__n_per_class"] in (2, 4)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["distill"]
    assert list(best.groups_) == ["a", "b"]
    assert best.X_distilled_.shape == (2 * best.n_per_class, X.shape[1])


def test_cross_validate_routes_sensitive_features(routing, data):
    X, y, A = data
    result = cross_validate(
        _pipeline(), X, y, cv=3, params={"sensitive_features": A}, return_estimator=True
    )
    assert len(result["test_score"]) == 3
    for pipe in result["estimator"]:
        distiller = pipe.named_steps["distill"]
        assert list(distiller.groups_) == ["a", "b"]
        # each fold only sees its training rows (two thirds of the data)
        assert distiller.cell_counts_.sum() < len(y)


# --------------------------------------------------------------------------- DistilledClassifier


def _classifier_distiller(**params):
    defaults = dict(n_per_class=3, n_iter=20, random_state=0)
    defaults.update(params)
    return FairDistiller(**defaults)


def _classifier():
    return DistilledClassifier(LogisticRegression(), distiller=_classifier_distiller())


@pytest.fixture
def classifier_data(make_data):
    """(X, y, A): 120 rows, 3 features, 2 classes, groups "a" (80%) and "b" (20%)."""
    return make_data(n_samples=120, n_features=3)


def _routed_pipeline():
    clf = DistilledClassifier(LogisticRegression(), distiller=_classifier_distiller())
    return make_pipeline(StandardScaler(), clf.set_fit_request(sensitive_features=True))


def test_fit_request_is_exposed(routing):
    clf = _classifier().set_fit_request(sensitive_features=True)
    assert isinstance(clf, DistilledClassifier)
    assert clf.get_metadata_routing().fit.requests == {"sensitive_features": True,
                                                       "sample_weight": None}
    clf.set_fit_request(sample_weight=True)
    assert clf.get_metadata_routing().fit.requests == {"sensitive_features": True,
                                                       "sample_weight": True}


def test_plain_pipeline_routes_sensitive_features(routing, classifier_data, recwarn):
    X, y, A = classifier_data
    pipe = _routed_pipeline().fit(X, y, sensitive_features=A)
    step = pipe.named_steps["distilledclassifier"]
    assert list(step.distiller_.groups_) == ["a", "b"]
    np.testing.assert_array_equal(
        step.distiller_.cell_counts_.sum(axis=0), [np.sum(A == "a"), np.sum(A == "b")]
    )
    assert pipe.predict(X).shape == (len(y),)
    assert pipe.predict_proba(X).shape == (len(y), 2)
    assert not [w for w in recwarn if "sensitive_features is None" in str(w.message)]


def test_pipeline_without_request_refuses_sensitive_features(routing, classifier_data):
    X, y, A = classifier_data
    pipe = make_pipeline(StandardScaler(), _classifier())
    with pytest.raises(ValueError, match=r"^\[sensitive_features\] are passed but are not "
                                         "explicitly set as requested or not requested for "
                                         r"DistilledClassifier\.fit"):
        pipe.fit(X, y, sensitive_features=A)


def test_pipeline_step_parameters_without_routing(classifier_data):
    """With routing off, the classic ``step__param`` fit parameter reaches the distiller."""
    X, y, A = classifier_data
    pipe = SklearnPipeline([("scale", StandardScaler()), ("clf", _classifier())])
    pipe.fit(X, y, clf__sensitive_features=A)
    assert list(pipe.named_steps["clf"].distiller_.groups_) == ["a", "b"]


def test_grid_search_over_budget_and_classifier(routing, classifier_data):
    X, y, A = classifier_data
    grid = {
        "distilledclassifier__distiller__n_per_class": [2, 4],
        "distilledclassifier__estimator__C": [0.1, 1.0],
    }
    search = GridSearchCV(_routed_pipeline(), grid, cv=2)
    search.fit(X, y, sensitive_features=A)
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["distilledclassifier"]
    assert list(best.distiller_.groups_) == ["a", "b"]
    n_per_class = search.best_params_["distilledclassifier__distiller__n_per_class"]
    assert best.distiller_.X_distilled_.shape == (2 * n_per_class, X.shape[1])
    assert best.estimator_.C == search.best_params_["distilledclassifier__estimator__C"]


def test_cross_validate_routes_each_fold(routing, classifier_data):
    X, y, A = classifier_data
    clf = _classifier().set_fit_request(sensitive_features=True)
    result = cross_validate(
        clf, X, y, cv=2, params={"sensitive_features": A}, return_estimator=True
    )
    for fitted in result["estimator"]:
        assert list(fitted.distiller_.groups_) == ["a", "b"]
        assert fitted.distiller_.cell_counts_.sum() == len(y) // 2


# ------------------------------------------------------------------------------ sample_weight


def _weights(y, seed=0):
    """Positive weights, and 0 for every fifth row (which the distillation must leave out)."""
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(y))
    weights[::5] = 0.0
    return weights


def test_imblearn_pipeline_routes_sample_weight_to_fit_resample(routing, data):
    X, y, A = data
    weights = _weights(y)
    distiller = FairDistiller(n_per_class=3, n_iter=20, random_state=0)
    distiller.set_fit_resample_request(sensitive_features=True, sample_weight=True)
    # the final step is trained on the synthetic rows: the real rows' weights do not apply
    clf = LogisticRegression().set_fit_request(sample_weight=False)
    pipe = Pipeline([("distill", distiller), ("clf", clf)])
    pipe.fit(X, y, sensitive_features=A, sample_weight=weights)
    fitted = pipe.named_steps["distill"]
    # the rows of weight 0 are in no cell: the weights reached fit_resample
    assert fitted.cell_counts_.sum() == np.count_nonzero(weights)
    direct = FairDistiller(n_per_class=3, n_iter=20, random_state=0).fit(
        X, y, sensitive_features=A, sample_weight=weights)
    np.testing.assert_array_equal(fitted.X_distilled_, direct.X_distilled_)


def test_imblearn_pipeline_refuses_sample_weight_not_requested(routing, data):
    X, y, A = data
    pipe = Pipeline([("distill", FairDistiller(n_per_class=3, n_iter=20).set_fit_resample_request(
        sensitive_features=True)), ("clf", LogisticRegression().set_fit_request(
            sample_weight=False))])
    with pytest.raises(ValueError, match=r"\[sample_weight\] are passed but are not explicitly "
                                         r"set as requested or not requested for "
                                         r"FairDistiller\.fit_resample"):
        pipe.fit(X, y, sensitive_features=A, sample_weight=_weights(y))


def test_distilled_classifier_set_fit_request_sample_weight(routing, classifier_data):
    """set_fit_request(sample_weight=True): a sklearn Pipeline and a grid search pass the
    weights on to the distiller (and score with them where the scorer asks)."""
    X, y, A = classifier_data
    weights = _weights(y)
    clf = DistilledClassifier(LogisticRegression(), distiller=_classifier_distiller())
    clf.set_fit_request(sensitive_features=True, sample_weight=True)
    pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), clf)
    pipe.fit(X, y, sensitive_features=A, sample_weight=weights)
    step = pipe.named_steps["distilledclassifier"]
    assert step.distiller_.cell_counts_.sum() == np.count_nonzero(weights)

    search = GridSearchCV(clone(clf).set_score_request(sample_weight=True),
                          {"distiller__n_per_class": [2, 3]}, cv=2)
    search.fit(X, y, sensitive_features=A, sample_weight=weights)
    best = search.best_estimator_
    assert best.distiller_.cell_counts_.sum() == np.count_nonzero(weights)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_distilled_classifier_refuses_sample_weight_not_requested(routing, classifier_data):
    X, y, A = classifier_data
    pipe = make_pipeline(_classifier().set_fit_request(sensitive_features=True))
    with pytest.raises(ValueError, match=r"\[sample_weight\] are passed but are not explicitly "
                                         r"set as requested or not requested for "
                                         r"DistilledClassifier\.fit"):
        pipe.fit(X, y, sensitive_features=A, sample_weight=_weights(y))


_IMPORT_ORDERS = {
    "distiller-first": """
        from skfairdistill import FairDistiller
        FairDistiller().set_fit_resample_request
        """,
    "sklearn-first": """
        import sklearn.pipeline, sklearn.linear_model
        from skfairdistill import FairDistiller
        FairDistiller().set_fit_resample_request
        """,
}


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
@pytest.mark.parametrize("order", list(_IMPORT_ORDERS))
def test_request_method_exists_whatever_the_import_order(order):
    code = textwrap.dedent(_IMPORT_ORDERS[order]) + "print('ok')\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
