"""``sample_weight`` at the door: checked before any long work, equal weights set aside.

A row of weight ``w`` counts ``w`` times in its (class, group) cell; a weight of 0 takes
the row out of the fit. The cells (:class:`~skfairdistill._data.cells.CellSampler`) do
the weighting; here the weights are only checked, and weights that are all equal become
None, since they change nothing (the fit is then the unweighted one, bit for bit).
"""

import numbers

import numpy as np

from .._checks import check_memory_map


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of shape (n_samples,), or None.

    None, a number, or weights that are all equal give None (the unweighted fit). Refused,
    naming ``sample_weight``: text, a shape other than ``(n_samples,)``, NaN, infinity,
    negative weights and weights that are all zero.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        weights = np.full(n_samples, sample_weight, dtype=float)
    elif isinstance(sample_weight, (str, bytes, dict, set)):
        raise TypeError(f"sample_weight must be an array of {n_samples} non-negative numbers "
                        f"(one per row); got {type(sample_weight).__name__}.")
    else:
        weights = _as_numbers(sample_weight, n_samples)
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},), one weight per row "
                         f"of X; got shape {weights.shape}.")
    _check_values(weights)
    if not weights.any():
        raise ValueError("sample_weight is zero for every row: at least one row needs a "
                         "positive weight.")
    if (weights == weights[0]).all():  # equal weights change nothing
        return None
    return weights


def _as_numbers(sample_weight, n_samples):
    check_memory_map("sample_weight", sample_weight)  # a map cut short: before reading it
    try:
        return np.asarray(sample_weight).astype(np.float64)
    except (TypeError, ValueError):  # text, objects, a ragged list
        raise TypeError(f"sample_weight must be an array of {n_samples} non-negative numbers "
                        f"(one per row); got a {type(sample_weight).__name__} that could not "
                        "be read as numbers.") from None


def _check_values(weights):
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight must be finite; it holds NaN or infinity at rows "
                         f"{_first(~np.isfinite(weights))}.")
    if (weights < 0).any():
        raise ValueError("sample_weight must be non-negative; it is negative at rows "
                         f"{_first(weights < 0)}.")


def _first(mask, shown=5):
    rows = np.flatnonzero(mask)
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return f"{rows[:shown].tolist()}{more}"


def refuse_unweighted_targets(weights, settings):
    """The experimental sliced barycenter weighs a cell's rows alike: refused with weights."""
    if weights is not None and getattr(settings, "barycenter", "mean") == "sliced":
        raise ValueError(
            "sample_weight is not supported with matching_params={'barycenter': 'sliced'} "
            "(experimental): its quantiles weigh the rows of a cell alike. Use the "
            "barycenter 'mean' (the default) or 'wasserstein', or leave sample_weight out.")


def refuse_weightless_classes(weights, class_codes, classes):
    """A class whose rows all have weight 0 would have nothing to distil: refused."""
    if weights is None:
        return
    totals = np.bincount(class_codes, weights=weights, minlength=len(classes))
    empty = np.flatnonzero(totals <= 0)
    if len(empty):
        labels = [classes.tolist()[k] for k in empty[:5]]
        raise ValueError(
            f"sample_weight is 0 for every row of class {labels[0]!r}"
            + (f" (and of classes {labels[1:]})" if len(empty) > 1 else "")
            + ": a class needs rows of positive weight to be distilled. Give them positive "
            "weights, or leave the class's rows out of X and y.")


__all__ = ["check_sample_weight", "refuse_unweighted_targets", "refuse_weightless_classes"]
