"""Group-stratified synthetic rows (``stratify_groups=True``): each group gets rows of its own.

The ``n_c`` synthetic rows of class ``c`` are split among the groups present in it, and
each share is fitted to its own group's real rows alone. The alignment decides the
split, as it decides the weights of the k-means prototypes
(:func:`~skfairdistill._prototypes.row_weights`): ``"barycenter"`` and ``"groupwise"``
give every group the same number of rows, so that once each share matches its group
the class's rows have the group-balanced mixture's mean embedding, COBRA's barycenter,
under any network; ``"none"`` splits by the groups' shares of the class (vanilla's class
mean). Every group gets at least one row; when ``n_c`` does not divide evenly, the
largest groups get the extra rows.

Why: a model trained on such a set behaves like one trained on the target distribution
itself (the full data with groups balanced within each class), also when its classes
are re-weighted (``DistilledClassifier(class_prior="sqrt")``), where the shared rows of
COBRA lose fairness (``docs/guides.md``). And every synthetic row has a group, which a
fairness mitigator trained on the set (fairlearn's) needs.

The distillers run unchanged on *strata*: every (class, group) cell with rows is a class
of its own, with one group.
"""

from dataclasses import dataclass

import numpy as np

from ._groups import CellSampler
from ._prototypes import row_weights


@dataclass(frozen=True)
class Strata:
    """What the matching runs on as classes: the classes, or their (class, group) cells.

    Attributes
    ----------
    cells : CellSampler
        The real rows by stratum (strata of cells: one group each).
    per_stratum : ndarray of int
        Synthetic rows of each stratum.
    class_of : ndarray of int
        The class code of each stratum.
    group_of : ndarray of int or None
        The group code of each stratum; None when the strata are the classes.
    labels : ndarray
        The class labels, or ``"<class> in group <group>"``, for the warnings that name
        a class.
    """

    cells: CellSampler
    per_stratum: np.ndarray
    class_of: np.ndarray
    group_of: object
    labels: np.ndarray

    @classmethod
    def of_classes(cls, cells, per_class, classes):
        """The classes themselves (``stratify_groups=False``)."""
        return cls(cells=cells, per_stratum=per_class, class_of=np.arange(len(classes)),
                   group_of=None, labels=classes)


def split_rows(counts, n_rows, alignment):
    """Synthetic rows of each group of one class.

    Parameters
    ----------
    counts : ndarray of shape (n_groups,)
        Real rows of each group in the class (0 for an absent group).
    n_rows : int
        The class's synthetic rows, at least the number of groups present.
    alignment : {"barycenter", "groupwise", "none"}

    Returns
    -------
    ndarray of int, shape (n_groups,)
        At least 1 for a present group, 0 for an absent one; sums to ``n_rows``.
    """
    counts = np.asarray(counts)
    present = counts > 0
    share = row_weights(counts, alignment) * counts  # each group's weight; sums to 1
    exact = present + share * (n_rows - present.sum())  # one row each, the rest by weight
    rows = np.floor(exact).astype(np.int64)
    # largest remainder first, then the larger group (np.lexsort: last key is primary)
    order = np.lexsort((-counts, rows - exact))
    rows[order[: n_rows - rows.sum()]] += 1
    return rows


def make_strata(cells, class_codes, group_codes, per_class, alignment, classes, groups,
                device):
    """The :class:`Strata` of ``cells``; refuses a class with fewer rows than groups."""
    for label, n_rows, present in zip(classes.tolist(), per_class, cells.present):
        if n_rows < present.sum():
            raise ValueError(
                f"stratify_groups=True gives every group of a class at least one synthetic "
                f"row, but class {label!r} has {present.sum()} groups and n_per_class gives "
                f"it {n_rows} rows. Raise n_per_class or set stratify_groups=False."
            )
    rows = np.stack([split_rows(counts, n, alignment)
                     for counts, n in zip(cells.counts, per_class)])
    class_of, group_of = np.nonzero(rows)
    stratum_of_cell = np.full(rows.size, -1, dtype=np.int64)
    stratum_of_cell[class_of * cells.n_groups + group_of] = np.arange(len(class_of))
    codes = stratum_of_cell[np.asarray(class_codes) * cells.n_groups + group_codes]
    labels = np.array([f"{classes[c]} in group {groups[a]}" for c, a in zip(class_of, group_of)],
                      dtype=object)
    return Strata(
        cells=CellSampler(codes, np.zeros_like(codes), len(class_of), 1, device),
        per_stratum=rows[class_of, group_of], class_of=class_of, group_of=group_of,
        labels=labels)
