"""Group metrics beyond the equalized-odds gaps, and scorers for model selection."""

from functools import partial

import numpy as np
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import make_scorer

from ._equalized_odds import deo_max, deo_mean
from ._inputs import check_metric_inputs


def _accuracy(y_true, y_pred):
    """The share of rows whose labels are equal (labels of any kind, even huge numbers).

    ``sklearn.metrics.accuracy_score`` first asks what kind of target the labels are,
    and refuses float labels such as 1e308 as "continuous".
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def worst_group_accuracy(y_true, y_pred, *, sensitive_features):
    """Accuracy of the group on which the predictions are least accurate.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Several columns form intersectional groups (fairlearn's convention).

    Returns
    -------
    float
        The smallest per-group accuracy, in [0, 1]
        (``fairlearn.metrics.MetricFrame(...).group_min()``).

    Examples
    --------
    >>> from skfairdistill.metrics import worst_group_accuracy
    >>> worst_group_accuracy([0, 1, 1, 0, 1], [0, 1, 0, 0, 0],
    ...                      sensitive_features=["a", "a", "b", "b", "b"])
    0.3333333333333333
    """
    y_true, y_pred, sensitive_features = check_metric_inputs(y_true, y_pred,
                                                             sensitive_features)
    frame = MetricFrame(
        metrics=_accuracy,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=sensitive_features,
    )
    return float(frame.group_min())


def _demographic_parity_difference(y_true, y_pred, *, sensitive_features):
    """Largest between-group difference of one-vs-rest selection rates.

    For every label ``c`` (of ``y_true`` or ``y_pred``) the selection rate of group
    ``a`` is P(y_pred = c | a); the gap of ``c`` is its max - min over groups and
    the result the largest gap over labels. With two labels both gaps are equal,
    so this is fairlearn's ``demographic_parity_difference`` whichever label is
    the positive one.
    """
    y_true, y_pred, sensitive_features = check_metric_inputs(y_true, y_pred,
                                                             sensitive_features)
    labels = np.unique(np.concatenate([np.unique(y_true), np.unique(y_pred)]))
    frame = MetricFrame(
        metrics={f"rate_{i}": partial(selection_rate, pos_label=c) for i, c in enumerate(labels)},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=sensitive_features,
    )
    return float(frame.difference(method="between_groups").max())


# name -> (metric function, greater_is_better)
_SCORER_METRICS = {
    "deo_max": (deo_max, False),
    "deo_mean": (deo_mean, False),
    "worst_group_accuracy": (worst_group_accuracy, True),
    "demographic_parity_difference": (_demographic_parity_difference, False),
}


def make_fairness_scorer(metric="deo_max"):
    """A scikit-learn scorer of a group-fairness metric, for grid search and cross-validation.

    The metrics need the sensitive features of the *test* fold. Scikit-learn passes
    them through metadata routing: enable it, ask the scorer for them with
    ``.set_score_request(sensitive_features=True)`` and pass
    ``sensitive_features=`` to ``GridSearchCV.fit`` (or ``cross_validate(...,
    params=...)``); every fold then receives its own rows.

    A grid search over budgets with it: :ref:`guides#grid-search-over-distillation-budgets`.

    Parameters
    ----------
    metric : {"deo_max", "deo_mean", "worst_group_accuracy", \
            "demographic_parity_difference"}, default="deo_max"
        The metric. The gaps (``deo_max``, ``deo_mean``: see
        :func:`deo_max`; ``demographic_parity_difference``: the largest
        between-group difference, over labels, of the one-vs-rest selection rate
        P(y_pred = c | group), fairlearn's metric for binary tasks) are built with
        ``greater_is_better=False``, so the scorer returns **minus** the gap;
        ``worst_group_accuracy`` is returned as is.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sensitive_features=...)``, from
        :func:`sklearn.metrics.make_scorer`.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skfairdistill.metrics import make_fairness_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> group = rng.choice(["a", "b"], size=200)
    >>> y = (X[:, 0] + (group == "b") * X[:, 1] > 0).astype(int)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scorer = make_fairness_scorer("deo_max").set_score_request(
    ...         sensitive_features=True)
    ...     search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]},
    ...                           scoring=scorer, cv=3)
    ...     search = search.fit(X, y, sensitive_features=group)
    >>> bool(search.best_score_ <= 0)  # minus DEO_M
    True
    """
    if not isinstance(metric, str) or metric not in _SCORER_METRICS:
        raise ValueError(f"metric must be one of {list(_SCORER_METRICS)}; got {metric!r}.")
    function, greater_is_better = _SCORER_METRICS[metric]
    return make_scorer(function, greater_is_better=greater_is_better)
