"""Data sets that work offline: the bundled Adult census data and biased generators."""

from ._adult import load_adult
from ._digits import make_colored_digits
from ._synthetic import make_biased_classification

__all__ = ["load_adult", "make_biased_classification", "make_colored_digits"]
