r"""Group-balanced k-means prototypes: synthetic rows without an optimisation loop.

Per class, scikit-learn's ``KMeans`` runs on the class's real rows with the sample
weights of the alignment (:func:`row_weights`): ``"barycenter"`` and ``"groupwise"``
give every present group the same total weight (:math:`1 / (|A_y|\, n_{a|y})` a row),
the group-balanced mixture whose mean is COBRA's barycenter; ``"none"`` weighs every row
alike. With ``sample_weight``, a group's total is spread over its rows in proportion to
their sample weights (and ``"none"`` gives the groups their weighted shares). The centroids are the synthetic rows. The rows come from
:class:`~skfairdistill._data.rows.RealRows` and are clustered on the caller's scale
(k-means is not scale-invariant); :func:`kmeans_result` gives the distiller a
:class:`~skfairdistill._matching.MatchingResult`, and
:mod:`~skfairdistill._matching.initial` starts ``init="kmeans"`` from the centroids.
The method: ``docs/method.md``, "``matching``".
"""

import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from . import MatchingResult
from .._checks import warn

# A (class, group) cell with more rows than this is represented by a uniform random
# sample of this many, keeping the cell's total weight: the cost of k-means grows
# linearly with its rows, and beyond a few ten thousand rows per cell the centroids
# no longer change beyond noise.
MAX_ROWS_PER_CELL = 20_000


def row_weights(counts, alignment):
    """Weight of one row of each group of a class, by alignment rule.

    Parameters
    ----------
    counts : ndarray of shape (n_groups,)
        Rows of each group in the class (0 for an absent group).
    alignment : {"barycenter", "groupwise", "none"}

    Returns
    -------
    ndarray of shape (n_groups,)
        Weights summing to 1 over the class's rows (``(weights * counts).sum() == 1``);
        0 for absent groups.
    """
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    if alignment == "none":
        return np.where(present, 1.0 / counts.sum(), 0.0)
    with np.errstate(divide="ignore"):
        return np.where(present, 1.0 / (present.sum() * counts), 0.0)


def balanced_kmeans(real, cells, per_class, *, alignment, rng, n_init=1):
    """Group-balanced k-means prototypes of every class (standardised rows).

    Parameters
    ----------
    real : RealRows
        Standardised access to the real rows.
    cells : CellSampler
        The (class, group) cells; a class's rows are gathered cell by cell.
    per_class : ndarray of int, shape (n_classes,)
        Prototypes (synthetic rows) of each class.
    alignment : {"barycenter", "groupwise", "none"}
        Decides the sample weights (:func:`row_weights`).
    rng : numpy.random.Generator
        Seeds the subsampling of large cells and every ``KMeans``.
    n_init : int, default=1
        ``KMeans``' restarts (k-means++ initialisations).

    Returns
    -------
    X_syn : Tensor of shape (per_class.sum(), n_features)
        The centroids, class by class, on ``real``'s device.
    inertia : float
        Weighted within-cluster sum of squares, each class's weights summing to 1,
        summed over classes (in the units of ``X``).
    n_iter : int
        Lloyd iterations of the longest class.
    """
    blocks, inertia, n_iter = [], 0.0, 0
    device = cells._order.device
    columns = slice(None) if real._columns is None else real._columns
    spread = real.scale[columns].astype(np.float32)
    for code, n_syn in enumerate(per_class):
        counts = cells.counts[code]
        if cells.weighted:
            positions, weights = _weighted_rows(cells, code, alignment, rng)
        else:
            weights_of_group = row_weights(counts, alignment)
            positions, weights, start = [], [], 0
            for group, count in enumerate(counts):
                if count > MAX_ROWS_PER_CELL:
                    chosen = np.sort(rng.choice(count, MAX_ROWS_PER_CELL, replace=False))
                    positions.append(start + chosen)
                    weights.append(np.full(len(chosen), weights_of_group[group] * count
                                           / len(chosen)))
                elif count:
                    positions.append(start + np.arange(count))
                    weights.append(np.full(count, weights_of_group[group]))
                start += count
            positions, weights = np.concatenate(positions), np.concatenate(weights)
        # clustered on the caller's scale (standardised rows times the column spreads):
        # k-means is not scale-invariant, and standardising one-hot columns would blow
        # up rare categories (on Adult this cost 2-4 points of accuracy at 50 rows per class)
        rows = real.gather(cells.rows_of_class(code, positions)).cpu().numpy() * spread
        seed = int(rng.integers(np.iinfo(np.int32).max))
        if n_syn >= len(rows):
            centroids = _all_rows(rows, int(n_syn), np.random.default_rng(seed))
        else:
            # scikit-learn warns when a class has fewer distinct rows than clusters; the
            # duplicated centroids are then the right answer (each distinct row is one)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                kmeans = KMeans(n_clusters=int(n_syn), n_init=n_init, random_state=seed)
                # scaled to sum to the rows: k-means++ and the tolerance read the weights
                kmeans.fit(rows, sample_weight=weights * len(rows))
            centroids = kmeans.cluster_centers_
            inertia += float(kmeans.inertia_) / len(rows)
            n_iter = max(n_iter, int(kmeans.n_iter_))
        blocks.append(torch.as_tensor(centroids / spread, dtype=torch.float32, device=device))
    return torch.cat(blocks), inertia, n_iter


def _weighted_rows(cells, code, alignment, rng):
    """Positions and k-means weights of one class's rows under ``sample_weight``.

    A group's total is that of :func:`row_weights` on the groups' total weights (equal
    groups, or their weighted shares for ``"none"``), spread over its rows in proportion
    to their sample weights; a cell above :data:`MAX_ROWS_PER_CELL` is represented by a
    uniform sample that keeps the cell's total.
    """
    counts, sample_weights = cells.counts[code], cells.weights_of_class(code)
    totals = cells.totals[code]
    group_totals = row_weights(totals, alignment) * totals  # sums to 1 over the class
    positions, weights, start = [], [], 0
    for group, count in enumerate(counts):
        if count:
            chosen = np.arange(count)
            if count > MAX_ROWS_PER_CELL:
                chosen = np.sort(rng.choice(count, MAX_ROWS_PER_CELL, replace=False))
            cell = sample_weights[start + chosen]
            positions.append(start + chosen)
            weights.append(group_totals[group] * cell / cell.sum())
        start += count
    return np.concatenate(positions), np.concatenate(weights)


def _all_rows(rows, n_syn, rng):
    """Every row once, then rows drawn again with small noise, ``n_syn`` in all."""
    extra = n_syn - len(rows)
    if extra == 0:
        return rows
    again = rows[rng.integers(len(rows), size=extra)]
    noise = 0.01 * rng.standard_normal(again.shape).astype(rows.dtype)
    return np.concatenate([rows, again + noise])


def kmeans_result(real, cells, per_class, classes, alignment, rng, input_shape):
    """``matching="kmeans"``: the prototypes of :func:`balanced_kmeans` as a MatchingResult.

    Its loss history is one value, the weighted inertia; ``n_iter`` the Lloyd
    iterations of the longest class.
    """
    warn_about_small_classes(per_class, cells.counts.sum(axis=1), classes, "kmeans")
    X_syn, inertia, n_iter = balanced_kmeans(real, cells, per_class, alignment=alignment,
                                             rng=rng)
    return MatchingResult(
        X_syn=X_syn.reshape(len(X_syn), *input_shape),
        loss_history=torch.tensor([inertia], dtype=torch.float32),
        n_iter=n_iter,
        interrupted=False,
    )


def warn_about_small_classes(per_class, class_counts, classes, how):
    """Warn when a class has fewer real rows than synthetic rows asked for (k-means)."""
    for label, n_syn, n_real in zip(classes.tolist(), per_class, class_counts):
        if n_syn > n_real:
            warn(
                f"Class {label!r} has {n_real} rows but {n_syn} synthetic rows were asked "
                f"for; {how} keeps each of its rows once and draws the others again with "
                "small noise.",
                UserWarning
            )
