"""Small (class, group) cells under the fair targets: the warning that names them.

COBRA's barycenter (and FairDD's sum over groups) gives every group of a class the same
weight whatever its rows, so a cell of 8 rows moves the class's target as much as a
cell of 1,800. :func:`warn_about_small_cells` says so once per fit, naming every cell
under :data:`SMALL_CELL_ROWS` rows, and the remedy: ``matching_params["min_group_rows"]``
(:func:`skfairdistill._targets.group_trust`), ``docs/method.md``, "min_group_rows".
"""

import numpy as np

from .._checks import warn

#: Below this many rows a cell's mean is not trusted: the standard error of a mean of
#: ``n`` rows is ``sigma / sqrt(n)``, 0.18 of a feature's spread at 30 rows and 0.35 at 8
#: (30: the usual rule of thumb for a sample mean). Also the value the warning suggests.
SMALL_CELL_ROWS = 30

_EQUAL_WEIGHTS = ("barycenter", "groupwise")  # the alignments that weight groups equally
_SHOWN = 20  # cells named in the warning; the rest are counted (cell_counts_ has them all)


def small_cells(counts):
    """``(class, group)`` index pairs of the cells under :data:`SMALL_CELL_ROWS` rows.

    Only the cells that weigh more in the fair target (``1 / |A_y|``) than in the data
    (their share of the class): where every group has the same rows, equal weights are
    the class's own mean and amplify nothing. Smallest first.
    """
    counts = np.asarray(counts)
    n_present = (counts > 0).sum(axis=1, keepdims=True)
    # n / N < 1 / |A_y|, in integers
    amplified = counts * n_present < counts.sum(axis=1, keepdims=True)
    small = np.argwhere((counts > 0) & (counts < SMALL_CELL_ROWS) & amplified)
    order = np.argsort(counts[small[:, 0], small[:, 1]], kind="stable")
    return [tuple(int(i) for i in cell) for cell in small[order]]


def warn_about_small_cells(counts, settings, alignment, classes=None, groups=None):
    """One warning naming the small cells of a fit whose target weights groups equally.

    Parameters
    ----------
    counts : ndarray of int, shape (n_classes, n_groups)
        Real rows per (class, group) cell.
    settings : SimpleNamespace
        The checked parameters (:func:`~skfairdistill._config.parameters.check_params`).
    alignment : str
        The alignment the loops use (``"none"`` without groups: nothing to say).
    classes, groups : ndarray or None
        The labels, to name the cells; None names them by index of ``classes_`` and
        ``groups_``.
    """
    # model matching weights groups by its own group_balance; a chosen min_group_rows
    # (1 included: equal weights kept knowingly) has answered the warning
    if (alignment not in _EQUAL_WEIGHTS or settings.matching == "model"
            or settings.min_group_rows is not None):
        return
    cells = small_cells(counts)
    if not cells:
        return
    named = ", ".join(f"{_cell_name(k, g, classes, groups)}: {int(counts[k][g])} rows"
                      for k, g in cells[:_SHOWN])
    more = f" and {len(cells) - _SHOWN} more (see cell_counts_)" if len(cells) > _SHOWN else ""
    if settings.matching in ("distribution", "cafe"):
        remedy = (
            f"matching_params={{'min_group_rows': {SMALL_CELL_ROWS}}} shrinks the mean of a "
            f"cell of n < {SMALL_CELL_ROWS} rows towards its class's (weight "
            f"n / {SMALL_CELL_ROWS} on its own; larger cells unchanged): more accurate, but "
            "less fair where the group truly differs from its class; "
            "{'min_group_rows': 1} keeps equal weights and silences this warning")
    else:
        remedy = ("Merge the small groups into a larger one (e.g. 'other') before the fit, or "
                  "use matching='distribution', whose matching_params['min_group_rows'] "
                  "shrinks small cells towards their class")
    warn(
        f"{len(cells)} (class, group) cell(s) have fewer than {SMALL_CELL_ROWS} rows: "
        f"{named}{more}. With alignment={alignment!r} every group of a class weighs the "
        "same in its class's target, so the mean of these few rows counts as much as that "
        f"of a large group. {remedy}. A fairness gap measured on such groups is noisy too. "
        "See docs/method.md, 'min_group_rows'.",
        UserWarning)


def _cell_name(k, g, classes, groups):
    if classes is None or groups is None:
        return f"classes_[{k}] / groups_[{g}]"
    # tolist(): plain Python labels read better than np.int64(1) / np.str_('a')
    return f"class {classes.tolist()[k]!r} / group {groups.tolist()[g]!r}"


__all__ = ["SMALL_CELL_ROWS", "small_cells", "warn_about_small_cells"]
