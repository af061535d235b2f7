"""Fairness metrics of fair dataset distillation."""

from ._equalized_odds import deo_max, deo_mean, per_group_class_recall

__all__ = ["deo_max", "deo_mean", "per_group_class_recall"]
