"""Which classifiers split on feature values (trained on readable rows), and which boost trees.

A tree places its thresholds between the values of the rows it is trained on. A
distilled table's rows as optimised sit a little off the values real rows take (a
one-hot column at 0.01 or -0.02 instead of 0 or 1), so a tree grown on them can send
every real row down one branch; on rows in the data's own values it cannot
(``docs/benchmarks.md``, "Trees on a compact table").
"""

# packages whose classifiers are all gradient-boosted trees
_TREE_PACKAGES = ("xgboost", "lightgbm", "catboost")


def grows_trees(estimator):
    """Whether ``estimator`` learns splits of the feature values (a tree or tree ensemble).

    scikit-learn's trees and tree ensembles, bagging and AdaBoost over trees (their
    default), XGBoost, LightGBM and CatBoost; a :class:`~sklearn.pipeline.Pipeline`
    by its last step. Anything else, a logistic regression or an MLP say, is not.

    Parameters
    ----------
    estimator : object
        An unfitted scikit-learn style classifier.

    Returns
    -------
    bool
    """
    # imported here: scikit-learn's ensembles take a while to import, and only a fit needs them
    from sklearn.ensemble import (AdaBoostClassifier, BaggingClassifier, ExtraTreesClassifier,
                                  GradientBoostingClassifier, HistGradientBoostingClassifier,
                                  RandomForestClassifier)
    from sklearn.pipeline import Pipeline
    from sklearn.tree import BaseDecisionTree

    if isinstance(estimator, Pipeline):
        return grows_trees(estimator.steps[-1][1])
    if isinstance(estimator, (BaseDecisionTree, RandomForestClassifier, ExtraTreesClassifier,
                              GradientBoostingClassifier, HistGradientBoostingClassifier)):
        return True
    if isinstance(estimator, (BaggingClassifier, AdaBoostClassifier)):
        inner = estimator.estimator
        return inner is None or grows_trees(inner)  # None: a decision tree
    return type(estimator).__module__.split(".")[0] in _TREE_PACKAGES


def boosts_trees(estimator):
    """Whether ``estimator`` is a gradient-boosted tree model: scikit-learn's two, XGBoost,
    LightGBM or CatBoost; a :class:`~sklearn.pipeline.Pipeline` by its last step."""
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return boosts_trees(estimator.steps[-1][1])
    return (isinstance(estimator, (GradientBoostingClassifier, HistGradientBoostingClassifier))
            or type(estimator).__module__.split(".")[0] in _TREE_PACKAGES)


def readable_for_trees(distiller):
    """``distiller`` (a clone) returning readable rows, unless its ``readable_rows`` is set.

    A tree's thresholds fall between the values of its training rows: on rows as
    optimised (a one-hot column at 0.01 instead of 0 or 1) they can send every real row
    down one branch. Readable rows were chosen for trees on tables the choice was not
    tuned on (``docs/benchmarks.md``, "Trees on a compact table").
    """
    params = distiller.matching_params
    if params is not None and not isinstance(params, dict):
        return distiller  # the distiller's own checks name the mistake
    params = dict(params or {})
    chosen = params.get("readable_rows", "auto")
    if isinstance(chosen, str) and chosen == "auto":
        distiller.set_params(matching_params={**params, "readable_rows": True})
    return distiller


__all__ = ["boosts_trees", "grows_trees", "readable_for_trees"]
