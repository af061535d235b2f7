"""The optimisation loops. They see tensors only: no pandas, no scikit-learn."""

from .distribution import MatchingResult, match_distributions

__all__ = ["MatchingResult", "match_distributions"]
