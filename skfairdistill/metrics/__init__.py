"""Fairness metrics of fair dataset distillation, scorers and a fairlearn-based report."""

from ._equalized_odds import deo_max, deo_mean, per_group_class_recall
from ._group_metrics import make_fairness_scorer, worst_group_accuracy
from ._report import fairness_report

__all__ = [
    "deo_max",
    "deo_mean",
    "fairness_report",
    "make_fairness_scorer",
    "per_group_class_recall",
    "worst_group_accuracy",
]
