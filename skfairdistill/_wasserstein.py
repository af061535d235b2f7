r"""Distribution-level barycenter targets with optimal transport (POT).

COBRA's target of class :math:`y` is the uniform-weight mean of the groups' mean
embeddings, :math:`b_y = |A_y|^{-1} \sum_{a \in A_y} \mu_{a|y}`: the first moment of
the 2-Wasserstein barycenter of the groups' embedding distributions
:math:`\nu_{a|y} = \phi_\# P(x \mid y, a)`,

.. math::

    \bar\nu_y = \operatorname*{arg\,min}_\nu \ \frac{1}{|A_y|} \sum_{a \in A_y}
    W_2^2(\nu, \nu_{a|y}),

with uniform weights over the groups present, whatever their sizes. The targets
here pull the *whole* synthetic embedding cloud :math:`\phi(S_y)` of every class
towards (an estimate of) :math:`\bar\nu_y`, not only its mean.

- ``"wasserstein"``: the free-support barycenter (Cuturi & Doucet, ICML 2014,
  Alg. 2; the fixed point of Álvarez-Esteban et al., 2016) computed with
  :func:`ot.lp.free_support_barycenter`: :math:`n_y` support points with weights
  :math:`1/n_y` (as many as synthetic rows of the class), updated by

  .. math::

      X \leftarrow \frac{1}{|A_y|} \sum_{a \in A_y} n_y\, T_a(X)\, Y_a,

  where :math:`T_a(X)` is the exact optimal plan (:func:`ot.emd`, network simplex)
  between the support and the real embedding cloud :math:`Y_a` of group :math:`a`
  (uniform over its rows). The embedding network is redrawn every iteration, so a
  support from the previous iteration lives in another space; the support is
  warm-started from the synthetic embeddings :math:`\phi(S_y)` instead — they are
  the previous iterations' barycenter estimates moved by gradient steps. The loss is
  the exact :math:`W_2^2(\phi(S_y), \bar\nu_y)` (:func:`ot.emd2` with POT's torch
  backend, whose gradient :math:`2 n_y^{-1} (\phi(S_i) - \bar x_{\sigma(i)})` flows
  to the synthetic rows). With one fixed-point step its gradient equals that of
  :math:`|A_y|^{-1} \sum_a W_2^2(\phi(S_y), \nu_{a|y})`, the barycenter functional
  itself (envelope theorem), so the distillation iterations continue the fixed
  point. Cost per class and iteration: :math:`|A_y|` exact OT problems of size
  :math:`n_y \times m` per step (``m`` real rows per group, capped at
  :data:`MAX_CLOUD` by random subsampling) plus one :math:`n_y \times n_y`.
- ``"sliced"``: the sliced version, all classes and groups in one batch with no
  OT solver. In one dimension the :math:`W_2` barycenter has a closed form — its
  quantile function is the average of the groups' quantile functions — so for
  :data:`N_PROJECTIONS` random unit directions :math:`\theta` the projected
  barycenter's quantiles at the levels :math:`(i + 1/2)/n_y` are averaged from the
  groups' empirical quantiles, and the loss is

  .. math::

      \frac{d}{L} \sum_{l=1}^{L} \frac{1}{n_y} \sum_{i=1}^{n_y}
      \Big(\theta_l^\top \phi(S)_{(i)} - \frac{1}{|A_y|}
      \sum_{a \in A_y} Q_{\theta_l^\top \nu_{a|y}}\big(\tfrac{i + 1/2}{n_y}\big)\Big)^2,

  the sliced Wasserstein distance (as :func:`ot.sliced_wasserstein_distance`,
  squared) to the per-direction barycenters, scaled by the dimension ``d`` so that
  it is on the scale of :math:`W_2^2`. Because 1-D Wasserstein space is flat, this
  equals :math:`|A_y|^{-1} \sum_a SW_2^2(\phi(S_y), \nu_{a|y})` up to a constant: its
  minimiser is the sliced Wasserstein barycenter (Bonneel et al., 2015).

Not offered: Bures–Wasserstein barycenters of Gaussian fits
(:func:`ot.gaussian.bures_wasserstein_barycenter`): in a 256-wide embedding one
barycenter of two Gaussians takes seconds, and the Gaussian fit of 10–50
synthetic rows in 256 dimensions is rank deficient, where the matrix square root's
gradient is unstable.

Everything follows the device and dtype of the embeddings; POT's backend follows
the torch tensors (its exact solver runs on the CPU and copies back).
"""

import numpy as np
import ot
import torch

BARYCENTERS = ("mean", "wasserstein", "sliced")

#: Fixed-point steps of the free-support barycenter per iteration (warm-started).
FIXED_POINT_STEPS = 1
#: At most this many real rows per (class, group) cloud enter an exact OT problem.
MAX_CLOUD = 128
#: Random directions of the sliced target per iteration.
N_PROJECTIONS = 64
# Network simplex iterations of ot.emd (its default, 1e5, is too few for 500 x 1000).
_EMD_MAX_ITER = 1_000_000


def free_support_barycenter(clouds, cloud_weights, support, *, n_steps=FIXED_POINT_STEPS):
    r"""Uniform-weight free-support :math:`W_2` barycenter of several point clouds.

    The fixed point of :func:`ot.lp.free_support_barycenter` (Cuturi & Doucet 2014,
    Alg. 2 without line search), written out so that the exact solver
    :func:`ot.emd` gets enough iterations for large clouds: with :math:`N` clouds
    :math:`Y_a` (row weights :math:`w_a`) and :math:`n` support points of weight
    :math:`1/n`,

    .. math::

        X \leftarrow rac{1}{N} \sum_{a=1}^{N} n\, T_a(X)\, Y_a,
        \qquad T_a(X) = \operatorname{emd}(1/n,\ w_a,\ \lVert X_i - Y_{a,j} Vert^2).

    Every cloud weighs :math:`1/N` whatever its number of rows. Computed in float64
    on the device of the inputs (POT's torch backend; the solver itself runs on the CPU).

    Parameters
    ----------
    clouds : sequence of N tensors of shape (m_a, d)
    cloud_weights : sequence of N tensors of shape (m_a,)
        Non-negative row weights of each cloud (normalised here); zeros mark
        padding rows, which get no mass.
    support : tensor of shape (n, d)
        Initial support (the warm start).
    n_steps : int
        Fixed-point iterations.

    Returns
    -------
    tensor of shape (n, d), detached, in the dtype and device of ``support``.
    """
    X = support.detach().double()
    n = X.shape[0]
    a = torch.full((n,), 1.0 / n, dtype=torch.float64, device=X.device)
    locations = [cloud.detach().double() for cloud in clouds]
    weights = [w.detach().double() / w.detach().double().sum() for w in cloud_weights]
    for _ in range(n_steps):
        update = torch.zeros_like(X)
        for Y, b in zip(locations, weights):
            plan = ot.emd(a, b, ot.dist(X, Y), numItermax=_EMD_MAX_ITER)
            update = update + plan @ Y
        X = update * (n / len(locations))
    return X.to(support.dtype)


def wasserstein_loss(X, Y):
    r"""Exact :math:`W_2^2` between two uniform clouds, differentiable in ``X``.

    :func:`ot.emd2` on the squared Euclidean cost :func:`ot.dist`; with POT's torch
    backend the gradient is :math:`\partial/\partial X_i = 2 \sum_j T_{ij} (X_i - Y_j)`.
    """
    cost = ot.dist(X, Y.detach()).double()
    a = torch.full((X.shape[0],), 1.0 / X.shape[0], dtype=torch.float64, device=X.device)
    b = torch.full((Y.shape[0],), 1.0 / Y.shape[0], dtype=torch.float64, device=X.device)
    return ot.emd2(a, b, cost).to(X.dtype)


def sliced_barycenter_quantiles(projected, weights, present, levels):
    r"""Quantiles of the per-direction 1-D :math:`W_2` barycenters of the groups.

    Parameters
    ----------
    projected : tensor of shape (n_classes, n_groups, L, m)
        Real embeddings of each cell projected on ``L`` directions (padding rows
        included); rows last, so that the sort runs along the contiguous axis.
    weights : tensor of shape (n_classes, n_groups, m)
        1 for a real row, 0 for padding.
    present : bool tensor of shape (n_classes, n_groups)
    levels : tensor of shape (n_classes, n)
        Quantile levels in (0, 1) per class.

    Returns
    -------
    tensor of shape (n_classes, n, L): :math:`|A_y|^{-1} \sum_{a \in A_y} Q_a(\text{level})`,
    the quantile function of the 1-D barycenter with uniform group weights, where
    :math:`Q_a` is the quantile function of group :math:`a`'s empirical measure
    (uniform over its rows, so repeated rows change nothing).
    """
    valid = (weights > 0).unsqueeze(2)  # (K, G, 1, m)
    values = projected.masked_fill(~valid, float("inf")).sort(dim=-1).values
    count = valid.sum(dim=-1)  # (K, G, 1)
    # the empirical quantile function Q(l) = inf{x : F(x) >= l}: sorted value ceil(l m) - 1
    index = torch.ceil(levels.unsqueeze(1) * count).long() - 1  # (K, G, n)
    index = torch.minimum(index.clamp(min=0), (count - 1).clamp(min=0))
    index = index.unsqueeze(2).expand(-1, -1, values.shape[2], -1)  # (K, G, L, n)
    quantiles = values.gather(-1, index)
    mask = present.unsqueeze(-1).unsqueeze(-1)
    quantiles = torch.where(mask, quantiles, torch.zeros_like(quantiles))
    n_present = present.sum(dim=1).clamp(min=1).to(quantiles.dtype)
    return (quantiles.sum(dim=1) / n_present.view(-1, 1, 1)).transpose(1, 2)


class DistributionTarget:
    """The per-iteration loss of a distribution-level barycenter target.

    Built once per run; called every iteration with the real cell embeddings and
    the synthetic embeddings.

    Parameters
    ----------
    kind : {"wasserstein", "sliced"}
    present : ndarray of bool, shape (n_classes, n_groups)
        Cells with real rows (host array; the groups of each class's barycenter).
    y_syn : LongTensor of shape (n_syn,)
        Class code of every synthetic row.
    generator : torch.Generator
        Source of the random directions (sliced) and cloud subsamples (wasserstein).
    """

    def __init__(self, kind, present, y_syn, generator):
        if kind not in BARYCENTERS[1:]:
            raise ValueError(f"unknown distribution-level barycenter {kind!r}")
        self.kind = kind
        self.generator = generator
        self.present_host = np.asarray(present, dtype=bool)
        self.n_classes, self.n_groups = self.present_host.shape
        device = y_syn.device
        self.present = torch.as_tensor(self.present_host, device=device)
        labels = y_syn.cpu().numpy()  # once per run: no host round trip in the loop
        self.rows = [
            torch.as_tensor(np.flatnonzero(labels == k), device=device)
            for k in range(self.n_classes)
        ]
        self.sizes = [len(r) for r in self.rows]
        n_max = max(self.sizes)
        levels = np.full((self.n_classes, n_max), 0.5)
        for k, n in enumerate(self.sizes):
            levels[k, :n] = (np.arange(n) + 0.5) / max(n, 1)
        self.levels = torch.as_tensor(levels, dtype=torch.float32, device=device)

    def __call__(self, embedded, weights, syn_embedded):
        """Loss summed over classes.

        Parameters
        ----------
        embedded : tensor of shape (n_classes * n_groups, m, d)
            Real embeddings of one mini-batch per cell (no gradient needed).
        weights : tensor of shape (n_classes * n_groups, m)
            1 for a real row, 0 for padding.
        syn_embedded : tensor of shape (n_syn, d)
            Synthetic embeddings (carry the gradient).
        """
        shape = (self.n_classes, self.n_groups) + tuple(embedded.shape[1:])
        embedded, weights = self._subsample(embedded.detach().view(shape), weights.view(shape[:3]))
        if self.kind == "sliced":
            return self._sliced(embedded, weights, syn_embedded)
        return self._wasserstein(embedded, weights, syn_embedded)

    def _subsample(self, embedded, weights):
        """At most ``max(MAX_CLOUD, 2 n_y)`` rows per cell, drawn at random among its real rows.

        The cost of the exact solver and of the sorts grows with the cloud size;
        a random subset keeps the cloud an unbiased sample of the cell.
        """
        cap = max(MAX_CLOUD, 2 * max(self.sizes))
        if embedded.shape[2] <= cap:
            return embedded, weights
        keys = torch.rand(weights.shape, generator=self.generator, device=weights.device)
        keys = keys + (weights <= 0).to(keys.dtype) * 2.0  # padding last
        pick = keys.topk(cap, dim=2, largest=False).indices
        rows = embedded.gather(2, pick.unsqueeze(-1).expand(-1, -1, -1, embedded.shape[-1]))
        return rows, weights.gather(2, pick)

    def _wasserstein(self, embedded, weights, syn_embedded):
        loss = syn_embedded.new_zeros(())
        for k, rows in enumerate(self.rows):
            groups = np.flatnonzero(self.present_host[k])
            if len(rows) == 0 or len(groups) == 0:
                continue
            syn = syn_embedded[rows]
            target = free_support_barycenter(
                [embedded[k, g] for g in groups], [weights[k, g] for g in groups], syn,
                n_steps=FIXED_POINT_STEPS,
            )
            loss = loss + wasserstein_loss(syn, target)
        return loss

    def _sliced(self, embedded, weights, syn_embedded):
        dim = embedded.shape[-1]
        directions = torch.randn(
            (dim, N_PROJECTIONS), generator=self.generator, device=embedded.device
        ).to(embedded.dtype)
        directions = directions / directions.norm(dim=0, keepdim=True)
        # (K, G, L, m): sorting along the last, contiguous axis is the fast one
        projected_real = torch.einsum("kgmd,dl->kglm", embedded, directions)
        target = sliced_barycenter_quantiles(
            projected_real, weights, self.present, self.levels
        )  # (K, n_max, L)
        projected = syn_embedded @ directions
        loss = syn_embedded.new_zeros(())
        for k, rows in enumerate(self.rows):
            if len(rows) == 0 or not self.present_host[k].any():
                continue
            ordered = projected[rows].sort(dim=0).values
            loss = loss + (ordered - target[k, : len(rows)]).pow(2).mean()
        return loss * dim
