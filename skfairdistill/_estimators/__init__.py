"""The estimators users meet: the sampler, the meta-estimator, the class priors and the
interrupt that carries a partial set (no tensor maths)."""

from .classifier import DistilledClassifier
from .distiller import FairDistiller
from .interrupted import DistillationInterrupted
from .prior import class_prior_weights
from .teacher import teacher_labelled_rows

__all__ = [
    "DistillationInterrupted", "DistilledClassifier", "FairDistiller", "class_prior_weights",
    "teacher_labelled_rows",
]
