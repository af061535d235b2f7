"""Argument checks and user warnings shared by every part, torch-free: each error names the argument."""

import numbers
import os
import sys
import warnings

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


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    """``warnings.warn`` attributed to the first caller outside skfairdistill.

    Python 3.12's ``skip_file_prefixes`` where there is one; on 3.11 the same frame is
    found by walking the stack, so no call depth is hard-coded.
    """
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(_PACKAGE,))
        return
    frame, level = sys._getframe(1), 2  # stacklevel 2: the caller of warn
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
