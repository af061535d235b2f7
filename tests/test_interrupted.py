"""Ctrl-C stops a fit (skfairdistill._estimators.interrupted.DistillationInterrupted): the
estimator is left as it was, a script or a search stops, and the rows reached ride on the
exception in the caller's containers. The loop driver's side: test_loop.py; the command
line's: test_cli.py."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted

import skfairdistill._matching._loop as loop_module
from skfairdistill import DistillationInterrupted, DistilledClassifier, FairDistiller

from conftest import CtrlC, fitted_attributes, make_grouped_data

SMALL = dict(n_per_class=3, n_iter=20, random_state=0, device="cpu")


@pytest.fixture
def data():
    return make_grouped_data(n_samples=120)


def test_a_refit_that_is_interrupted_leaves_the_earlier_fit(data, monkeypatch):
    X, y, A = data
    distiller = FairDistiller(**SMALL).fit(X, y, sensitive_features=A)
    before = dict(vars(distiller))
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=5))
    with pytest.raises(DistillationInterrupted):
        distiller.set_params(n_per_class=4).fit(X[:, :3], y, sensitive_features=A)
    assert set(vars(distiller)) == set(before)
    assert all(vars(distiller)[key] is before[key] for key in before if key != "n_per_class")
    assert distiller.n_features_in_ == 4 and distiller.X_distilled_.shape == (6, 4)


def test_the_partial_set_comes_in_the_callers_containers(data, monkeypatch):
    X, y, A = data
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b", "c", "d"])
    labels = pd.Series(np.where(y == 1, "yes", "no"), name="label", dtype="category")
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=5))
    with pytest.raises(DistillationInterrupted) as info:
        FairDistiller(**SMALL).fit_resample(frame, labels, sensitive_features=A)
    stop = info.value
    assert isinstance(stop.X_partial, pd.DataFrame) and list(stop.X_partial.columns) == list("abcd")
    assert (stop.X_partial.dtypes == np.float32).all()
    assert isinstance(stop.y_partial, pd.Series) and stop.y_partial.name == "label"
    assert stop.y_partial.dtype == labels.dtype
    assert (stop.n_iter_done, stop.n_iter_planned) == (5, 20)


def test_stratified_groups_stop_at_the_group_reached(data, monkeypatch):
    """Ctrl-C in the first group: the groups after it are not run, and the message says so."""
    X, y, A = data
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=7))
    distiller = FairDistiller(**SMALL, stratify_groups=True)
    with pytest.raises(DistillationInterrupted, match=r"after 7 of 20 iterations.*groups not "
                                                      r"reached: \['b'\]\.$") as info:
        distiller.fit(X, y, sensitive_features=A)
    stop = info.value
    assert set(stop.groups_partial) == {"a"} and len(stop.groups_partial) == len(stop.y_partial)
    assert stop.X_partial.shape[1] == X.shape[1] and np.isfinite(stop.X_partial).all()
    assert fitted_attributes(distiller) == []


def test_a_stratified_fit_stopped_in_a_later_group_keeps_the_groups_before(data, monkeypatch):
    X, y, A = data
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=2, loop=1))
    with pytest.raises(DistillationInterrupted) as info:
        FairDistiller(**SMALL, stratify_groups=True).fit(X, y, sensitive_features=A)
    assert set(info.value.groups_partial) == {"a", "b"}
    assert info.value.n_iter_done == 2


def test_a_grid_search_stops_at_the_first_interrupted_fit(data, monkeypatch):
    """Ctrl-C stops the search: no later candidate is fitted, no best model is picked."""
    X, y, A = data
    ctrl_c = CtrlC(at=3, loop=1)  # the search's second fit
    monkeypatch.setattr(loop_module, "tqdm", ctrl_c)
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**SMALL))
    search = GridSearchCV(clf, {"distiller__n_per_class": [2, 3, 4]}, cv=2)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y, sensitive_features=A)
    assert ctrl_c.loops == 2  # of the six fits, none after the interrupted one
    assert not hasattr(search, "best_estimator_")


def test_a_routed_imblearn_pipeline_in_a_search_stops_too(data, monkeypatch):
    X, y, A = data
    ctrl_c = CtrlC(at=0)
    monkeypatch.setattr(loop_module, "tqdm", ctrl_c)
    with sklearn.config_context(enable_metadata_routing=True):
        distiller = FairDistiller(**SMALL).set_fit_resample_request(sensitive_features=True)
        pipe = Pipeline([("distill", distiller), ("clf", LogisticRegression())])
        search = GridSearchCV(pipe, {"distill__n_per_class": [2, 3]}, cv=2)
        with pytest.raises(DistillationInterrupted):
            search.fit(X, y, sensitive_features=A)
    assert ctrl_c.loops == 1


def test_distilled_classifier_is_left_unfitted(data, monkeypatch):
    X, y, A = data
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=4))
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**SMALL))
    with pytest.raises(DistillationInterrupted) as info:
        clf.fit(X, y, sensitive_features=A)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert fitted_attributes(clf) == [] and fitted_attributes(clf.distiller) == []
    assert info.value.X_partial.shape == (6, X.shape[1])


def test_the_exception_survives_pickling(data, monkeypatch):
    """joblib and Dask send a worker's exception back pickled: the rows come with it."""
    X, y, A = data
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(at=5))
    with pytest.raises(DistillationInterrupted) as info:
        FairDistiller(**SMALL).fit(X, y, sensitive_features=A)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is DistillationInterrupted and str(again) == str(info.value)
    np.testing.assert_array_equal(again.X_partial, info.value.X_partial)
    assert (again.n_iter_done, again.n_iter_planned) == (5, 20)


def test_it_is_a_keyboard_interrupt_and_public():
    import skfairdistill

    assert issubclass(DistillationInterrupted, KeyboardInterrupt)
    assert not issubclass(DistillationInterrupted, Exception)  # `except Exception` lets it by
    assert "DistillationInterrupted" in skfairdistill.__all__
    assert DistillationInterrupted().X_partial is None
