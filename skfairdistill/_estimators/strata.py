"""Group-stratified synthetic rows (``stratify_groups=True``): every group distilled on its own.

:func:`plan_rows` splits each class's synthetic rows among its groups (equal shares for
``"barycenter"`` and ``"groupwise"``, by the groups' shares of the class for ``"none"``,
as the k-means weights of :func:`~skfairdistill._matching.kmeans.row_weights`; at least
one row a group, the remainder to the largest); :func:`distil_by_group` distils each
group as a data set of its own with the distiller's callback and pools the results class
by class into :class:`PooledRows`, with every row's group (after Ctrl-C, of the groups
reached); :func:`distil_stratified` is the distiller's whole stratified fit. With
``sample_weight``, the shares are total weights and a group's run gets its rows of
positive weight with their weights. Why a group's own standardisation and rows:
``docs/method.md``, "``stratify_groups``".
"""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from .._config.parameters import check_params
from .._data.host_rows import HostRows
from .._matching.kmeans import row_weights
from .._checks import warn


@dataclass(frozen=True)
class PooledRows:
    """The groups' synthetic sets, pooled class by class (groups in order within a class)."""

    X: np.ndarray
    class_codes: np.ndarray
    group_codes: np.ndarray
    loss_history: np.ndarray  # summed over the groups, iteration by iteration
    n_iter: int  # iterations every group ran
    stopped: tuple = None  # (n_done, n_planned) of the group Ctrl-C stopped; None if none


def split_rows(counts, n_rows, alignment):
    """Synthetic rows of each group of one class.

    Parameters
    ----------
    counts : ndarray of shape (n_groups,)
        Real rows of each group in the class (0 for an absent group), or their total
        sample weights.
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


def plan_rows(cell_counts, per_class, alignment, classes):
    """Rows of every (class, group) cell, shape (n_classes, n_groups); refuses too few rows."""
    for label, n_rows, counts in zip(classes.tolist(), per_class, cell_counts):
        if n_rows < (counts > 0).sum():
            raise ValueError(
                f"stratify_groups=True gives every group of a class at least one synthetic "
                f"row, but class {label!r} has {(counts > 0).sum()} groups and n_per_class "
                f"gives it {n_rows} rows. Raise n_per_class or set stratify_groups=False."
            )
    return np.stack([split_rows(counts, n, alignment) for counts, n in zip(cell_counts, per_class)])


def _rows_of(X, rows):
    """The rows of one group in memory; a memory map or Dask array is read for them only."""
    return X.take(np.flatnonzero(rows)) if isinstance(X, HostRows) else X[rows]


def distil_stratified(distiller, X, class_codes, group_codes, weights, cells, per_class,
                      numpy_rng, row_shape, threads):
    """``stratify_groups=True``: every group distilled on its own by a clone; sets pooled.

    Sets ``distiller``'s fitted set and returns what its ``_distil`` returns (Ctrl-C
    stops at the group it reaches).
    """
    classes, groups = distiller.classes_, distiller.groups_

    def distil_group(X_group, y_group, n_per_class, seed, weights_group):
        run = clone(distiller).set_params(stratify_groups=False, random_state=seed,
                                          n_per_class=n_per_class)
        stopped = run._distil(check_params(run.get_params(deep=False)), X_group, y_group,
                              np.zeros(len(y_group)), row_shape, threads,
                              sample_weight=weights_group)
        return run, stopped

    plan = plan_rows(cells.totals, per_class, distiller.alignment, classes)
    pooled = distil_by_group(distil_group, X, class_codes, group_codes, classes, groups,
                             plan, numpy_rng=numpy_rng, weights=weights)
    distiller.loss_history_, distiller.n_iter_ = pooled.loss_history, pooled.n_iter
    distiller.X_distilled_ = distiller.X_stored_ = pooled.X
    distiller.y_distilled_ = classes[pooled.class_codes]
    distiller.groups_distilled_ = groups[pooled.group_codes]
    return pooled.stopped


def distil_by_group(distil_group, X, class_codes, group_codes, classes, groups, plan, *,
                    numpy_rng, weights=None):
    """Distil every group's rows on their own with ``distil_group``; pool the sets.

    ``distil_group(X_group, y_group, n_per_class, seed, weights_group)`` returns the
    fitted FairDistiller of one group (seeded from ``numpy_rng``) and what its
    ``_distil`` returned; with sample ``weights``, a group's rows are those of positive
    weight, ``weights_group`` their weights (else None). Ctrl-C stops the group it
    reaches and the groups after it are not run: the pool holds the groups reached, and
    ``stopped`` says where the loop stopped.
    """
    seeds = numpy_rng.integers(2**32, size=plan.shape[1])
    runs, class_of, group_of, stopped = [], [], [], None
    for group in np.flatnonzero(plan.sum(axis=0)):
        rows = group_codes == group
        if weights is not None:  # a row of weight 0 is in no cell, nor in a group's run
            rows &= weights > 0
        present = np.flatnonzero(plan[:, group])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run, stopped = distil_group(_rows_of(X, rows), classes[class_codes[rows]],
                                        {classes[c]: int(plan[c, group]) for c in present},
                                        int(seeds[group]),
                                        None if weights is None else weights[rows])
        for warning in caught:  # said again with the group, from the caller's fit
            warn(f"In group {groups[group]!r}: {warning.message}", warning.category)
        runs.append(run)
        class_of.append(np.searchsorted(classes, run.y_distilled_))
        group_of.append(np.full(len(run.y_distilled_), group))
        if stopped is not None:  # Ctrl-C: stop here, the caller raises
            break
    class_of, group_of = np.concatenate(class_of), np.concatenate(group_of)
    order = np.lexsort((group_of, class_of))  # class by class, groups in order
    shortest = min(len(run.loss_history_) for run in runs)
    return PooledRows(
        X=np.concatenate([run.X_distilled_ for run in runs])[order],
        class_codes=class_of[order], group_codes=group_of[order],
        loss_history=sum(run.loss_history_[:shortest] for run in runs),
        n_iter=min(run.n_iter_ for run in runs), stopped=stopped)
