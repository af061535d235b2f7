"""Argument checks and user warnings shared by every part, torch-free; errors name the argument."""

import mmap
import numbers
import os
import re
import sys
import warnings

import numpy as np


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


def check_bool(name, value):
    """True or False (a NumPy bool too); anything else is refused, naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def check_names(name, value, allowed):
    """One name of ``allowed`` or a list of distinct ones, as a list; anything else is refused,
    naming ``name`` and the names it takes."""
    names = [value] if isinstance(value, str) else (
        list(value) if isinstance(value, (list, tuple)) else [])
    if (not names or len(set(map(repr, names))) < len(names)
            or any(not isinstance(n, str) or n not in allowed for n in names)):
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be {choices} or a list of them; got {value!r}.")
    return names


def check_rows(name, X, **options):
    """``sklearn.utils.check_array(X, input_name=name, **options)``, every error naming ``name``.

    None, text, mappings and ragged lists are refused here with a message of our own;
    scikit-learn's messages that do not name the argument ("Expected 2D array, got 1D
    array instead", "Found array with 0 sample(s)") get its name in front. A memory
    map cut short is refused before it is read (:func:`check_memory_map`).
    """
    if X is None or isinstance(X, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a 2-D array of numbers (rows, features); got "
                        f"{'None' if X is None else type(X).__name__}.")
    if isinstance(X, (list, tuple)):
        try:
            np.ndim(X)
        except ValueError:  # NumPy cannot make an array of rows of other lengths
            raise ValueError(
                f"{name} must be rectangular: its rows have different lengths (a ragged "
                "list). Give every row the same columns.") from None
    check_memory_map(name, X)
    from sklearn.utils import check_array  # here: the command line's --help needs no sklearn

    try:
        return check_array(X, input_name=name, **options)
    except (TypeError, ValueError) as error:
        message = str(error)
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message):
            raise
        raise type(error)(f"{name} must be a 2-D array of finite numbers (rows, features): "
                          f"{message}") from None


def check_memory_map(name, value):
    """Refuse an array read from a memory map whose file was cut short after it was opened.

    Reading the bytes the file lost would kill the process with SIGBUS, and NumPy cannot
    tell: compare the file's size with the last byte that ``value`` (the map itself, or
    any view or slice of it) spans. Anything that is not such an array passes.
    """
    root = _mapped_root(value)
    if root is None or root.filename is None:
        return
    try:
        size = os.path.getsize(root.filename)
    except OSError:  # deleted since: the mapping still holds every byte
        return
    if value.size == 0:
        return
    _, high = _byte_bounds(value)
    needed = root.offset + (high - root.__array_interface__["data"][0])
    if size < needed:
        raise ValueError(
            f"{name} is a memory map of {os.fspath(root.filename)!r}, but the file holds {size} "
            f"bytes where the array of shape {value.shape} and dtype {value.dtype} needs "
            f"{needed}: it was cut short after it was opened. Open it again with its current "
            "size.")


# NumPy 2 moved byte_bounds into numpy.lib.array_utils
_byte_bounds = getattr(np.lib, "array_utils", np).byte_bounds


def _mapped_root(value):
    """The ``np.memmap`` that maps a file and that ``value`` is a view of, or None."""
    for _ in range(64):  # a chain of views is short; never loop for ever
        if not isinstance(value, np.ndarray):
            return None
        if isinstance(value, np.memmap) and isinstance(value.base, mmap.mmap):
            return value
        value = value.base
    return None


def check_rng(random_state):
    """``sklearn.utils.check_random_state``, with an error that names ``random_state``."""
    from sklearn.utils import check_random_state

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


def is_hashable(value):
    """Whether ``value`` can be a group, category or column label (a dict key)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def sensitive_columns(sensitive_features):
    """Split the sensitive features into a list of (name suffix, 1-D column).

    The suffix names the column in errors (``"['sex']"``, ``"[:, 1]"``, ``""``); a
    DataFrame with duplicate column names, a scalar or an array of more than two
    dimensions is refused. The distiller encodes its groups from these columns and the
    metrics check theirs with them.
    """
    import pandas as pd  # here: the command line's --help needs no pandas

    if isinstance(sensitive_features, pd.DataFrame):
        duplicated = sensitive_features.columns[sensitive_features.columns.duplicated()]
        if len(duplicated):
            raise ValueError(
                f"sensitive_features has duplicate column names {list(dict.fromkeys(duplicated))}"
                "; give every column its own name (e.g. A.columns = [...]).")
        return [(f"[{col!r}]", sensitive_features.iloc[:, j].to_numpy())
                for j, col in enumerate(sensitive_features.columns)]
    if isinstance(sensitive_features, pd.Series):
        return [("", sensitive_features.to_numpy())]
    if isinstance(sensitive_features, (str, bytes)) or np.ndim(sensitive_features) == 0:
        raise TypeError(
            "sensitive_features must be array-like with one value (or one row of values) per "
            f"sample; got {type(sensitive_features).__name__}."
        )
    array = (sensitive_features if typed_array(sensitive_features)
             else np.asarray(sensitive_features, dtype=object))
    if array.ndim == 1:
        return [("", array)]
    if array.ndim == 2:
        return [(f"[:, {j}]", array[:, j]) for j in range(array.shape[1])]
    raise ValueError(
        f"sensitive_features must be 1-D or 2-D; got an array with {array.ndim} dimensions."
    )


def typed_array(values):
    """Whether an array of numbers, booleans or strings, used as it is.

    Converting it to Python objects first, as other inputs are, would cost time and
    memory (millions of objects per column) for the same codes and groups.
    """
    return isinstance(values, np.ndarray) and values.dtype.kind in "biufU"
