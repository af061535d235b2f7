"""The estimators users meet: the sampler, the meta-estimator and the class priors (no tensor maths)."""

from .classifier import DistilledClassifier
from .distiller import FairDistiller
from .prior import class_prior_weights

__all__ = ["DistilledClassifier", "FairDistiller", "class_prior_weights"]
