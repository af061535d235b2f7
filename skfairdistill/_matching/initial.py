"""The starting rows of the synthetic set: random real rows of each class, noise, or k-means."""


import torch

from .kmeans import balanced_kmeans, warn_about_small_classes
from .._checks import warn


def initial_rows(init, real, cells, per_class, classes, numpy_rng, torch_rng, *, alignment):
    """Standardised starting rows ``(n_syn, n_features)``, class by class.

    Parameters
    ----------
    init : {"real", "noise", "kmeans"}
        Random real rows of each class (drawn in proportion to their sample weights,
        if any; with replacement, plus small noise, when a class has fewer rows than
        asked for), Gaussian noise, or the
        group-balanced k-means prototypes of ``alignment``.
    real : RealRows
    cells : CellSampler
    per_class : ndarray of int
        Synthetic rows of every class.
    classes : ndarray
        Class labels (for the warnings).
    numpy_rng : numpy.random.Generator
    torch_rng : torch.Generator
    alignment : {"barycenter", "groupwise", "none"}
    """
    device = torch_rng.device
    if init == "kmeans":
        warn_about_small_classes(per_class, cells.counts.sum(axis=1), classes, "kmeans")
        return balanced_kmeans(real, cells, per_class, alignment=alignment, rng=numpy_rng)[0]
    if init == "noise":
        return torch.randn(
            (int(per_class.sum()), real.n_features), generator=torch_rng, device=device
        )
    blocks = []
    for code, (n_syn, n_real) in enumerate(zip(per_class, cells.counts.sum(axis=1))):
        weights = cells.weights_of_class(code)  # with sample_weight: drawn by weight
        positions = numpy_rng.choice(n_real, size=n_syn, replace=n_syn > n_real,
                                     p=None if weights is None else weights / weights.sum())
        block = real.gather(cells.rows_of_class(code, positions))
        if n_syn > n_real:
            label = classes.tolist()[code]  # plain Python: 1, not np.int64(1)
            warn(
                f"Class {label!r} has {n_real} rows but {n_syn} synthetic rows "
                "were asked for; they start from its rows drawn with replacement, plus "
                "small noise so that copies can move apart.",
                UserWarning
            )
            block = block + 0.01 * torch.randn(block.shape, generator=torch_rng, device=device)
        blocks.append(block)
    return torch.cat(blocks)
