"""Argument checks shared by the estimators and the data sets, torch-free: each error names the argument."""

import numbers

import numpy as np
from sklearn.utils import check_random_state


def check_int(name, value, *, minimum):
    """An integer >= ``minimum`` (not a bool), returned as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}; got {value!r}.")
    return int(value)


def check_real(name, value, low, high, *, closed=True):
    """A real number in [low, high] (or (low, high) when ``closed`` is False)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = low <= value <= high if closed else low < value < high
    if not ok:
        if high == np.inf:
            what = f"a finite number >= {low}"
        else:
            what = f"a number in [{low}, {high}]" if closed else f"a number in ({low}, {high})"
        raise ValueError(f"{name} must be {what}; got {value!r}.")
    return float(value)


def check_rng(random_state):
    """``sklearn.utils.check_random_state``, with an error that names ``random_state``."""
    try:
        return check_random_state(random_state)
    except ValueError:
        raise ValueError(
            f"random_state must be an int, a numpy RandomState or None; got {random_state!r}."
        ) from None
