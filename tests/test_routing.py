"""sensitive_features through scikit-learn metadata routing: pipelines, grid search, CV."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from skfairdistill import FairDistiller


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
    assert routing_info.fit_resample.requests == {"sensitive_features": True}
    # an imblearn Pipeline routes its fit to the step's fit as well: requested by default
    assert FairDistiller().get_metadata_routing().fit.requests == {"sensitive_features": True}


def test_pipeline_routes_sensitive_features(routing, data, recwarn):
    X, y, A = data
    pipe = _pipeline().fit(X, y, sensitive_features=A)
    distiller = pipe.named_steps["distill"]
    assert distiller.groups_ is not None
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
    with pytest.raises((ValueError, TypeError), match="sensitive_features"):
        pipe.fit(X, y, sensitive_features=A)


def test_grid_search_routes_sensitive_features(routing, data):
    X, y, A = data
    search = GridSearchCV(_pipeline(), {"distill__n_per_class": [2, 4]}, cv=2)
    search.fit(X, y, sensitive_features=A)
    assert search.best_params_["distill__n_per_class"] in (2, 4)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["distill"]
    assert best.groups_ is not None
    assert best.X_distilled_.shape == (2 * best.n_per_class, X.shape[1])


def test_cross_validate_routes_sensitive_features(routing, data):
    X, y, A = data
    result = cross_validate(
        _pipeline(), X, y, cv=3, params={"sensitive_features": A}, return_estimator=True
    )
    assert len(result["test_score"]) == 3
    for pipe in result["estimator"]:
        distiller = pipe.named_steps["distill"]
        assert distiller.groups_ is not None
        # each fold only sees its training rows (two thirds of the data)
        assert distiller.cell_counts_.sum() < len(y)


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
