"""Argument checks shared by the dataset generators: integers, ranges and random states."""

import numbers

import numpy as np
from sklearn.utils import check_random_state


def check_int(name, value, *, minimum):
    """``value`` as an int, if it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_real(name, value, low, high, *, closed=True):
    """A real number in [low, high] (or (low, high) when ``closed`` is False), as a float."""
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


def random_state_rng(random_state):
    """``sklearn.utils.check_random_state(random_state)``, its error naming the argument."""
    try:
        return check_random_state(random_state)
    except ValueError:
        raise ValueError(
            f"random_state must be an int, a numpy RandomState or None; got {random_state!r}."
        ) from None
