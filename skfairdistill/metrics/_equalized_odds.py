r"""Multiclass equalized-odds gaps, the fairness metrics of the fair distillation papers.

With :math:`r_{y,a} = P(\hat y = y \mid y, a)`, the recall of class :math:`y` within
group :math:`a`, the gap of class :math:`y` is :math:`\max_a r_{y,a} - \min_a r_{y,a}`
over the groups with rows of class :math:`y`; DEO_M is the largest gap, DEO_A the mean
(FairDD, arXiv 2411.19623; COBRA, arXiv 2605.00185), fractions in [0, 1]. For two classes
and two groups DEO_M is fairlearn's ``equalized_odds_difference``.
"""

from functools import partial

import numpy as np
from fairlearn.metrics import MetricFrame

from ._inputs import check_metric_inputs


def _recall_of(y_true, y_pred, *, label):
    mask = np.asarray(y_true) == label
    if not mask.any():
        return np.nan
    return float(np.mean(np.asarray(y_pred)[mask] == label))


def per_group_class_recall(y_true, y_pred, *, sensitive_features):
    """Recall of every class within every group, P(y_pred = y | y, group).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Several columns form intersectional groups (fairlearn's convention).

    Returns
    -------
    pandas.DataFrame
        One row per group, one column per class; NaN where a group has no row of
        that class.

    Examples
    --------
    >>> from skfairdistill.metrics import per_group_class_recall
    >>> per_group_class_recall([0, 1, 1, 0], [0, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
                           0    1
    sensitive_feature_0
    a                    1.0  1.0
    b                    1.0  0.0
    """
    y_true, y_pred, sensitive_features = check_metric_inputs(y_true, y_pred,
                                                             sensitive_features)
    labels = np.unique(y_true)
    frame = MetricFrame(
        metrics={label: partial(_recall_of, label=label) for label in labels},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=sensitive_features,
    )
    return frame.by_group


def _class_gaps(y_true, y_pred, sensitive_features):
    recalls = per_group_class_recall(y_true, y_pred, sensitive_features=sensitive_features)
    gaps = (recalls.max(axis=0) - recalls.min(axis=0)).to_numpy(dtype=float)
    return gaps[~np.isnan(gaps)]


def deo_max(y_true, y_pred, *, sensitive_features):
    """DEO_M: the largest over classes of the between-group recall gap.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)

    Returns
    -------
    float
        In [0, 1]; 0 means every class is recognised equally well in every group.

    Examples
    --------
    >>> from skfairdistill.metrics import deo_max
    >>> deo_max([0, 1, 1, 0], [0, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    return float(np.max(_class_gaps(y_true, y_pred, sensitive_features)))


def deo_mean(y_true, y_pred, *, sensitive_features):
    """DEO_A: the mean over classes of the between-group recall gap.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> from skfairdistill.metrics import deo_mean
    >>> deo_mean([0, 1, 1, 0], [0, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return float(np.mean(_class_gaps(y_true, y_pred, sensitive_features)))
