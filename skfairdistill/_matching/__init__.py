"""The optimisation loops. They see tensors only: no pandas, no scikit-learn."""

from .distribution import MatchingResult, match_distributions
from .gradient import match_gradients

__all__ = ["MatchingResult", "match_distributions", "match_gradients"]
