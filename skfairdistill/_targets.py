r"""Matching targets: what the synthetic class statistics are pulled towards.

:func:`alignment_loss` takes per-(class, group) statistics ``group_stats`` of shape
(n_classes, n_groups, dim), the mask ``present`` of the cells with rows and the groups'
shares ``shares`` (:math:`\pi_{a|y}`), both (n_classes, n_groups), and the synthetic
class statistics ``syn_stats`` (n_classes, dim), and returns the loss summed over classes:
``"none"`` against the class statistic :math:`\sum_a \pi_{a|y} \mu_{a|y}`,
``"groupwise"`` against every present group's statistic, ``"barycenter"`` against
:math:`b_y = |A_y|^{-1} \sum_{a \in A_y} \mu_{a|y}`. Used by distribution matching and
CAFE; the method: ``docs/method.md``, "Three targets".

``trust`` (``matching_params["min_group_rows"]``, :func:`group_trust`) shrinks the
statistic of a small group towards its class's pooled statistic before the two fair
targets use it, :math:`\tilde\mu_{a|y} = t_{a|y}\,\mu_{a|y} + (1 - t_{a|y})\, m_y`
with :math:`m_y = \sum_a \pi_{a|y}\mu_{a|y}`; a trust of 1 leaves a group as it is.
``docs/method.md``, "min_group_rows".
"""

import numpy as np


def distance(a, b, kind):
    """Distance between statistics along the last axis ("l1" or "squared_l2")."""
    diff = a - b
    if kind == "l1":
        return diff.abs().sum(dim=-1)
    return diff.pow(2).sum(dim=-1)


def barycenter(group_stats, present):
    """Uniform-weight mean over the present groups of each class: (n_classes, dim)."""
    weights = present.to(group_stats.dtype)
    return (weights.unsqueeze(-1) * group_stats).sum(dim=1) / weights.sum(
        dim=1, keepdim=True
    ).clamp(min=1)


def class_mean(group_stats, shares):
    """Group-size-weighted mean, i.e. the plain class statistic: (n_classes, dim)."""
    return (shares.to(group_stats.dtype).unsqueeze(-1) * group_stats).sum(dim=1)


def shrunk(group_stats, shares, trust):
    r"""Every group's statistic mixed with its class's: :math:`t\,\mu + (1 - t)\, m_y`.

    ``trust`` (n_classes, n_groups) in [0, 1]; where it is 1 the group's statistic comes
    back unchanged (``1 * mu + 0 * m``), so well-populated groups keep their own mean.
    """
    trust = trust.to(group_stats.dtype).unsqueeze(-1)
    pooled = class_mean(group_stats, shares).unsqueeze(1)
    return trust * group_stats + (1 - trust) * pooled


def alignment_loss(group_stats, present, shares, syn_stats, *, alignment, kind, trust=None):
    """Matching loss summed over classes for one alignment rule.

    ``trust`` : Tensor (n_classes, n_groups) or None, the weight of each group's own
    statistic in the two fair targets (:func:`shrunk`; None: 1 everywhere, the targets
    as defined). Returns a scalar tensor that is differentiable with respect to
    ``syn_stats``.
    """
    target = alignment_target(group_stats, present, shares, alignment=alignment, trust=trust)
    return target_loss(target, syn_stats, kind)


def alignment_target(group_stats, present, shares, *, alignment, trust=None):
    """What :func:`alignment_loss` pulls ``syn_stats`` towards, computed once.

    Returns ``(target, weights)``: for ``"barycenter"`` and ``"none"`` the target
    statistics (n_classes, dim) and None; for ``"groupwise"`` every group's statistic
    (n_classes, n_groups, dim) and the mask of the present groups.
    """
    if trust is not None and alignment != "none":
        group_stats = shrunk(group_stats, shares, trust)
    if alignment == "groupwise":
        return group_stats, present
    if alignment == "barycenter":
        return barycenter(group_stats, present), None
    return class_mean(group_stats, shares), None


def target_loss(target, syn_stats, kind):
    """The loss of ``syn_stats`` against an :func:`alignment_target`, summed over classes."""
    stats, present = target
    if present is None:
        return distance(stats, syn_stats, kind).sum()
    per_group = distance(stats, syn_stats.unsqueeze(1), kind)
    return (per_group * present.to(per_group.dtype)).sum()


def group_trust(counts, min_group_rows):
    """The weight of each (class, group) cell's own statistic: ``min(1, n / min_group_rows)``.

    Parameters
    ----------
    counts : ndarray of int, shape (n_classes, n_groups)
        Real rows per cell (``CellSampler.counts``).
    min_group_rows : int or None
        Cells with at least this many rows are trusted fully (weight 1: the fair
        targets are unchanged for them); a cell of ``n`` fewer rows gets ``n /
        min_group_rows``. None: no shrinkage.

    Returns
    -------
    ndarray of float64, shape (n_classes, n_groups), or None
        None where no present cell is below the threshold (nothing to shrink: the
        loops then run exactly as without the knob).
    """
    if min_group_rows is None:
        return None
    counts = np.asarray(counts)
    trust = np.minimum(1.0, counts / float(min_group_rows))
    if ((counts == 0) | (trust == 1)).all():
        return None
    return trust


def barycenter_weights(present, shares, trust=None):
    r"""Weights ``(n_classes, n_groups)`` of the barycenter of the shrunk statistics.

    :math:`\tilde b_y = \sum_a v_{a|y}\mu_{a|y}`, on the groups' own statistics:
    :math:`v_{a|y} = t_{a|y} / |A_y| + \pi_{a|y} \sum_{b \in A_y} (1 - t_{b|y}) / |A_y|`
    (each row of ``v`` sums to 1). With ``trust`` None it is COBRA's ``1 / |A_y|`` on
    every present group. NumPy arrays in, a NumPy array out: for loops that weight the
    groups' losses or rows rather than average statistics (gradient matching, k-means).
    """
    present = np.asarray(present, dtype=np.float64)
    n_present = np.maximum(present.sum(axis=1, keepdims=True), 1)
    if trust is None:
        return present / n_present
    trust = np.asarray(trust, dtype=np.float64) * present
    given_up = (present - trust).sum(axis=1, keepdims=True) / n_present
    return trust / n_present + np.asarray(shares, dtype=np.float64) * given_up
