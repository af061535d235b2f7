"""DistilledClassifier trains tree-based classifiers on readable rows."""

import numpy as np
import pytest
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._estimators.tree_models import boosts_trees, grows_trees


@pytest.mark.parametrize("estimator", [
    DecisionTreeClassifier(), ExtraTreeClassifier(), RandomForestClassifier(),
    ExtraTreesClassifier(), GradientBoostingClassifier(), HistGradientBoostingClassifier(),
    BaggingClassifier(), AdaBoostClassifier(),
    BaggingClassifier(DecisionTreeClassifier(max_depth=2)),
    make_pipeline(StandardScaler(), HistGradientBoostingClassifier()),
])
def test_trees_and_tree_ensembles_grow_trees(estimator):
    assert grows_trees(estimator)


@pytest.mark.parametrize("estimator", [
    LogisticRegression(), MLPClassifier(), BaggingClassifier(LogisticRegression()),
    make_pipeline(StandardScaler(), LogisticRegression()),
    make_pipeline(DecisionTreeClassifier(), LogisticRegression()),  # by the last step
])
def test_other_classifiers_do_not(estimator):
    assert not grows_trees(estimator)


def test_a_boosting_package_is_told_by_its_module():
    booster = type("XGBClassifier", (), {"__module__": "xgboost.sklearn"})()
    assert grows_trees(booster)
    assert not grows_trees(type("Model", (), {"__module__": "mypackage.models"})())


def table(seed=0, n=400):
    """Two numeric columns and a 3-category one-hot block; the class follows the first
    column and the category."""
    rng = np.random.default_rng(seed)
    category = rng.integers(0, 3, n)
    X = np.column_stack([rng.normal(size=(n, 2)), np.eye(3)[category]])
    y = (X[:, 0] + (category == 2) > 0.5).astype(int)
    groups = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    return X, y, groups


DISTILLER = FairDistiller(n_per_class=6, n_iter=60, random_state=0)


def test_a_tree_is_trained_on_readable_rows():
    X, y, groups = table()
    clf = DistilledClassifier(DecisionTreeClassifier(random_state=0), distiller=DISTILLER)
    clf.fit(X, y, sensitive_features=groups)
    assert clf.distiller_.matching_params == {"readable_rows": True}
    assert DISTILLER.matching_params is None  # the caller's distiller is untouched
    tree = clf.estimator_.tree_
    split = tree.feature >= 0
    block = np.isin(tree.feature, [2, 3, 4]) & split
    assert split.any()
    # the tree saw 0/1 categories: a split of the one-hot block falls halfway between them
    np.testing.assert_array_equal(tree.threshold[block], 0.5)
    # the readable rows themselves: one category per row, every value within X's range
    X_syn, _ = clf.distiller_.fit_resample(X, y, sensitive_features=groups)
    np.testing.assert_array_equal(np.sort(np.unique(X_syn[:, 2:])), [0.0, 1.0])
    np.testing.assert_array_equal(X_syn[:, 2:].sum(axis=1), 1.0)
    assert (X_syn >= X.min(axis=0)).all() and (X_syn <= X.max(axis=0)).all()


def test_a_linear_model_keeps_the_rows_as_optimised():
    X, y, groups = table()
    clf = DistilledClassifier(LogisticRegression(), distiller=DISTILLER)
    clf.fit(X, y, sensitive_features=groups)
    assert clf.distiller_.matching_params is None
    X_syn, _ = clf.distiller_.fit_resample(X, y, sensitive_features=groups)
    assert not np.isin(X_syn[:, 2:], [0.0, 1.0]).all()  # as optimised: between categories


@pytest.mark.parametrize("chosen", [False, [], [[2, 3, 4]]])
def test_a_readable_rows_setting_of_the_user_is_kept(chosen):
    X, y, groups = table()
    distiller = FairDistiller(n_per_class=6, n_iter=60, random_state=0,
                              matching_params={"readable_rows": chosen})
    clf = DistilledClassifier(HistGradientBoostingClassifier(), distiller=distiller)
    clf.fit(X, y, sensitive_features=groups)
    assert clf.distiller_.matching_params == {"readable_rows": chosen}


def test_other_matching_params_are_kept_beside():
    X, y, groups = table()
    distiller = FairDistiller(n_per_class=6, n_iter=60, random_state=0,
                              matching_params={"networks_per_step": 2})
    clf = DistilledClassifier(RandomForestClassifier(n_estimators=5, random_state=0),
                              distiller=distiller)
    clf.fit(X, y, sensitive_features=groups)
    assert clf.distiller_.matching_params == {"networks_per_step": 2, "readable_rows": True}
    assert distiller.matching_params == {"networks_per_step": 2}


def test_a_bad_matching_params_still_gets_the_distillers_error():
    X, y, groups = table()
    clf = DistilledClassifier(DecisionTreeClassifier(),
                              distiller=FairDistiller(matching_params=["readable_rows"]))
    with pytest.raises((TypeError, ValueError), match="matching_params"):
        clf.fit(X, y, sensitive_features=groups)


def test_a_tree_on_readable_rows_beats_the_rows_as_optimised_here():
    """On this table the tree on rows as optimised splits where no real row goes."""
    X, y, groups = table()
    X_test, y_test, _ = table(seed=1)
    scores = {}
    for rows in ("auto", False):
        distiller = FairDistiller(n_per_class=6, n_iter=60, random_state=0,
                                  matching_params=None if rows == "auto"
                                  else {"readable_rows": rows})
        clf = DistilledClassifier(DecisionTreeClassifier(random_state=0), distiller=distiller)
        scores[rows] = clf.fit(X, y, sensitive_features=groups).score(X_test, y_test)
    assert scores["auto"] > scores[False] + 0.05  # 0.94 against 0.85


def test_a_tree_trained_on_the_set_is_refused_nan_at_predict():
    """The fit refuses NaN, so predict does too, though a tree alone would take it."""
    X, y, groups = table()
    clf = DistilledClassifier(DecisionTreeClassifier(random_state=0), distiller=DISTILLER)
    clf.fit(X, y, sensitive_features=groups)
    X_nan = X[:5].copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        clf.predict(X_nan)
    assert clf.estimator_.predict(X_nan).shape == (5,)  # the tree itself takes it


def test_boosted_trees_are_told_from_other_trees():
    from sklearn.ensemble import (GradientBoostingClassifier, HistGradientBoostingClassifier,
                                  RandomForestClassifier)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    assert boosts_trees(HistGradientBoostingClassifier())
    assert boosts_trees(make_pipeline(StandardScaler(), GradientBoostingClassifier()))
    assert not boosts_trees(RandomForestClassifier())
    assert boosts_trees(type("XGBClassifier", (), {"__module__": "xgboost.sklearn"})())
