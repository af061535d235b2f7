"""The estimators users meet: the sampler, the meta-estimator, the class priors, the
teacher's labels and the interrupt that carries a partial set (no tensor maths)."""

from .blend import blend_if_more_accurate, group_balanced_weights
from .classifier import DistilledClassifier
from .distiller import FairDistiller
from .interrupted import DistillationInterrupted
from .prior import class_prior_weights
from .teacher import teacher_labelled_rows

__all__ = [
    "DistillationInterrupted", "DistilledClassifier", "FairDistiller", "blend_if_more_accurate",
    "class_prior_weights", "group_balanced_weights", "teacher_labelled_rows",
]
