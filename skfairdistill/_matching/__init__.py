"""The optimisation loops. They see tensors only: no pandas, no scikit-learn."""

from ._loop import MatchingResult, run_loop
from ._run import run_matching
from ._warm_up import warm_up
from .cafe import match_features
from .distribution import match_distributions
from .gradient import match_gradients
from .idc import match_multiformation

__all__ = [
    "MatchingResult", "match_distributions", "match_features", "match_gradients",
    "match_multiformation", "run_loop", "run_matching", "warm_up",
]
