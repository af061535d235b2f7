"""Experimental: what has not earned a place on the default path.

Distribution-level (optimal-transport) barycenters of the groups' embedding clouds,
``FairDistiller(matching_params={"barycenter": "wasserstein"})`` or ``"sliced"``:
on the project's benchmark they were no fairer than COBRA's mean barycenter, and
slower (figures:
:ref:`benchmarks#distribution-level-barycenters-optimal-transport-vs-cobras-mean-barycenter`;
the method: :ref:`method#experimental-optimal-transport-barycenters`).
"""

from ._wasserstein import KINDS, DistributionTarget, TransportSettings


def barycenter_target(kind, present, y_syn, generator, **transport):
    """The loss of a distribution-level barycenter ``kind`` (``"wasserstein"``, ``"sliced"``).

    Called by the distribution-matching loop once per run, with the cells that have rows,
    the synthetic rows' classes and the run's generator; ``transport`` are the fields of
    :class:`TransportSettings`.
    """
    return DistributionTarget(kind, present, y_syn, generator, TransportSettings(**transport))


__all__ = ["KINDS", "DistributionTarget", "TransportSettings", "barycenter_target"]
