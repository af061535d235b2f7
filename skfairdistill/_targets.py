r"""Matching targets: what the synthetic class statistics are pulled towards.

All functions take per-(class, group) statistics in one batched tensor
``group_stats`` of shape (n_classes, n_groups, dim), a boolean mask ``present``
of shape (n_classes, n_groups) for the cells that have rows, the groups' shares
within their class ``shares`` (pi_{a|y}, same shape), and the synthetic class
statistics ``syn_stats`` of shape (n_classes, dim).

- ``"none"`` (vanilla): the class statistic, :math:`\sum_a \pi_{a|y} \mu_{a|y}`.
  It leans towards the majority group.
- ``"groupwise"`` (FairDD, arXiv 2411.19623): the distance to every present group's
  statistic, summed with equal weights.
- ``"barycenter"`` (COBRA, arXiv 2605.00185): the uniform-weight mean of the present
  groups' statistics, :math:`b_y = |A_y|^{-1} \sum_{a \in A_y} \mu_{a|y}`, whatever
  the group sizes.

The barycenter itself comes in several kinds (``BARYCENTERS``): ``"mean"`` is the
above; ``"wasserstein"`` and ``"sliced"`` are distribution-level barycenters of the
groups' embedding clouds (optimal transport, :mod:`skfairdistill.experimental._wasserstein`),
built by :func:`distribution_target`.
"""

from .experimental._wasserstein import BARYCENTERS, DistributionTarget

ALIGNMENTS = ("barycenter", "groupwise", "none")
DISTANCES = ("l1", "squared_l2")


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


def check_barycenter(alignment, barycenter):
    """Raise a ValueError unless the barycenter kind fits the alignment.

    Distribution-level barycenters replace the mean of COBRA's target; FairDD's
    groupwise sum and vanilla distillation have no barycenter to replace.
    """
    if not isinstance(barycenter, str) or barycenter not in BARYCENTERS:
        raise ValueError(f"barycenter must be one of {list(BARYCENTERS)}; got {barycenter!r}.")
    if barycenter != "mean" and alignment != "barycenter":
        raise ValueError(
            f"barycenter={barycenter!r} needs alignment='barycenter' (the distribution-level "
            f"barycenter replaces COBRA's mean target); got alignment={alignment!r}. Use "
            "barycenter='mean' with the other alignments."
        )


def distribution_target(barycenter, present, y_syn, generator, transport=None):
    """The loss object of a distribution-level barycenter, or None for ``"mean"``.

    Parameters
    ----------
    barycenter : {"mean", "wasserstein", "sliced"}
    present : ndarray of bool, shape (n_classes, n_groups)
        Cells with real rows; each class's barycenter uses its present groups with
        weight ``1 / |A_y|``. With a single group (no sensitive features) the
        target is the class's own embedding distribution.
    y_syn : LongTensor of shape (n_syn,)
    generator : torch.Generator
    transport : TransportSettings or None, default=None
        The optimal-transport settings (None: the defaults).

    Returns
    -------
    DistributionTarget or None
        Called as ``target(embedded, weights, syn_embedded)`` with the per-cell
        real embeddings ``(n_cells, m, d)``, their 0/1 weights ``(n_cells, m)`` and
        the synthetic embeddings ``(n_syn, d)``; returns the loss summed over classes.
    """
    if barycenter == "mean":
        return None
    return DistributionTarget(barycenter, present, y_syn, generator, transport)
