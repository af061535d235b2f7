r"""Matching targets: what the synthetic class statistics are pulled towards.

:func:`alignment_loss` takes per-(class, group) statistics ``group_stats`` of shape
(n_classes, n_groups, dim), the mask ``present`` of the cells with rows and the groups'
shares ``shares`` (:math:`\pi_{a|y}`), both (n_classes, n_groups), and the synthetic
class statistics ``syn_stats`` (n_classes, dim), and returns the loss summed over classes:
``"none"`` against the class statistic :math:`\sum_a \pi_{a|y} \mu_{a|y}`,
``"groupwise"`` against every present group's statistic, ``"barycenter"`` against
:math:`b_y = |A_y|^{-1} \sum_{a \in A_y} \mu_{a|y}`. Used by distribution matching and
CAFE; the method: ``docs/method.md``, "Three targets".
"""

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


def alignment_loss(group_stats, present, shares, syn_stats, *, alignment, kind):
    """Matching loss summed over classes for one alignment rule.

    Returns a scalar tensor that is differentiable with respect to ``syn_stats``.
    """
    if alignment == "groupwise":
        per_group = distance(group_stats, syn_stats.unsqueeze(1), kind)
        return (per_group * present.to(per_group.dtype)).sum()
    if alignment == "barycenter":
        target = barycenter(group_stats, present)
    else:
        target = class_mean(group_stats, shares)
    return distance(target, syn_stats, kind).sum()
