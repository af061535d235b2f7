"""Experimental: what has not earned a place on the default path.

Distribution-level (optimal-transport) barycenters of the groups' embedding clouds,
``FairDistiller(matching_params={"barycenter": "wasserstein"})`` or ``"sliced"``:
on the project's benchmark they were not fairer than COBRA's mean barycenter and
2-3.5 times slower (``docs/benchmarks.md``).
"""
