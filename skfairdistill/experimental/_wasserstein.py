r"""Distribution-level barycenter targets with optimal transport (POT).

:class:`DistributionTarget` is called by the distribution-matching loop
(:mod:`skfairdistill._matching.distribution`) every iteration with the real cell
embeddings and the synthetic ones, and returns a loss that pulls each class's synthetic
cloud towards the uniform-weight 2-Wasserstein barycenter of its groups' clouds:
``"wasserstein"``, one warm-started fixed-point step of the free-support barycenter
(:func:`free_support_barycenter`, exact plans by :func:`ot.emd`) and the squared
displacement of that step (:func:`fixed_point_loss`); ``"sliced"``, the closed-form 1-D
barycenters along random directions (:func:`sliced_barycenter_quantiles`), batched, no
OT solver. The maths: :ref:`method#experimental-optimal-transport-barycenters`.
Everything follows the embeddings' device and dtype (:func:`ot.emd` runs on the CPU).
"""

from dataclasses import dataclass

import numpy as np
import ot
import torch

KINDS = ("wasserstein", "sliced")


@dataclass(frozen=True)
class TransportSettings:
    """The optimal-transport settings of a distribution-level target (arguments, not globals).

    Parameters
    ----------
    fixed_point_steps : int, default=1
        Fixed-point steps of the free-support barycenter per iteration (warm-started).
    max_cloud : int, default=128
        At most this many real rows per (class, group) cloud enter an exact OT problem.
    groups_per_step : int or None, default=1
        Groups whose plans enter the fixed-point step, per class and iteration: ``k``
        groups drawn uniformly at random among those present (``k`` OT problems instead
        of ``|A_y|``; with one step, an unbiased estimate of the exact step), or None
        for every present group (the exact step). Several fixed-point steps always use
        every group: iterating one group's step would converge to that group alone.
    n_projections : int, default=64
        Random directions of the sliced target per iteration.
    emd_max_iter : int, default=1_000_000
        Network simplex iterations of ``ot.emd`` (its default, 1e5, is too few for
        500 x 1000).
    """

    fixed_point_steps: int = 1
    max_cloud: int = 128
    groups_per_step: int | None = 1
    n_projections: int = 64
    emd_max_iter: int = 1_000_000


def free_support_barycenter(clouds, cloud_weights, support, *, n_steps=1,
                            emd_max_iter=1_000_000):
    r"""Uniform-weight free-support :math:`W_2` barycenter of several point clouds.

    The fixed point of :func:`ot.lp.free_support_barycenter` (Cuturi & Doucet 2014,
    Alg. 2 without line search), written out so that the exact solver
    :func:`ot.emd` gets enough iterations for large clouds and all the clouds'
    cost matrices are built in one batched operation: with :math:`N` clouds
    :math:`Y_a` (row weights :math:`w_a`) and :math:`n` support points of weight
    :math:`1/n`,

    .. math::

        X \leftarrow \frac{1}{N} \sum_{a=1}^{N} n\, T_a(X)\, Y_a,
        \qquad T_a(X) = \operatorname{emd}(1/n,\ w_a,\ \lVert X_i - Y_{a,j} \rVert^2).

    Every cloud weighs :math:`1/N` whatever its number of rows. Support point
    :math:`i` of the result is where the fixed point moved support point
    :math:`i` of ``support``. Costs (in the dtype of ``support``) and updates (in
    float64) are computed on the device of the inputs; the exact solver runs on
    the CPU (one host round trip per step, as POT's backend does for ``ot.emd``).

    Parameters
    ----------
    clouds : tensor of shape (N, m, d)
        The clouds, padded to a common number of rows ``m``.
    cloud_weights : tensor of shape (N, m)
        Non-negative row weights of each cloud (normalised here); zeros mark
        padding rows, which get no mass.
    support : tensor of shape (n, d)
        Initial support (the warm start).
    n_steps : int, default=1
        Fixed-point iterations.
    emd_max_iter : int, default=1_000_000
        Network simplex iterations of each ``ot.emd`` call.

    Returns
    -------
    tensor of shape (n, d), detached, in the dtype and device of ``support``.
    """
    X = support.detach()
    n = X.shape[0]
    Y = clouds.detach().to(X.dtype)
    Y64 = Y.double()
    a = np.full(n, 1.0 / n)
    b = cloud_weights.detach().double().cpu().numpy()
    b = b / b.sum(axis=1, keepdims=True)
    for _ in range(n_steps):
        # costs in the support's dtype (float32 is enough to rank couplings); the
        # solver and the update in float64
        costs = torch.cdist(X.expand(len(Y), -1, -1), Y).pow(2).double().cpu().numpy()
        plans = np.stack(
            [ot.emd(a, b_a, cost, numItermax=emd_max_iter) for b_a, cost in zip(b, costs)]
        )
        update = torch.as_tensor(plans, device=X.device).bmm(Y64).sum(0) * (n / len(Y))
        X = update.to(X.dtype)
    return X


def fixed_point_loss(X, target):
    r"""Mean squared displacement :math:`n^{-1} \sum_i \lVert X_i - \bar x_i \rVert^2`.

    ``target`` is the barycenter that :func:`free_support_barycenter` reached from
    the support ``X`` (point :math:`i` is where support point :math:`i` moved), so
    the gradient :math:`2 n^{-1} (X_i - \bar x_i)` is the fixed-point step itself.
    It bounds :math:`W_2^2(X, \bar\nu)` from above, with equality when the pairing
    :math:`i \mapsto i` is optimal, and needs no further OT solve. After one step
    its gradient is that of the barycenter functional whatever the pairing.
    """
    return (X - target.detach()).pow(2).sum(dim=1).mean()


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

    The maths: :ref:`method#experimental-optimal-transport-barycenters`.

    Parameters
    ----------
    kind : {"wasserstein", "sliced"}
    present : ndarray of bool, shape (n_classes, n_groups)
        Cells with real rows (host array; the groups of each class's barycenter).
    y_syn : LongTensor of shape (n_syn,)
        Class code of every synthetic row.
    generator : torch.Generator
        Source of the random directions (sliced) and of the sampled groups.
    settings : TransportSettings, default=TransportSettings()
        The optimal-transport settings.

    Attributes
    ----------
    cloud_size : int
        Real rows per cell that the clouds need at most: ``max(settings.max_cloud, 2 n_y)``
        for the largest synthetic class ``n_y``. The caller draws mini-batches of
        at most this size.
    """

    def __init__(self, kind, present, y_syn, generator, settings=None):
        if kind not in KINDS:
            raise ValueError(f"unknown distribution-level barycenter {kind!r}")
        self.kind = kind
        self.settings = TransportSettings() if settings is None else settings
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
        # the solver's and the sorts' cost grow with the clouds: the loop draws at
        # most this many real rows per cell (a smaller random batch, not a subsample
        # of embedded rows, so that no embedding is computed in vain)
        self.cloud_size = max(self.settings.max_cloud, 2 * max(self.sizes))
        self.groups = [
            torch.as_tensor(np.flatnonzero(self.present_host[k]), device=device)
            for k in range(self.n_classes)
        ]
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
        embedded, weights = embedded.detach().view(shape), weights.view(shape[:3])
        if self.kind == "sliced":
            return self._sliced(embedded, weights, syn_embedded)
        return self._wasserstein(embedded, weights, syn_embedded)

    def _wasserstein(self, embedded, weights, syn_embedded):
        loss = syn_embedded.new_zeros(())
        for k, rows in enumerate(self.rows):
            groups = self.groups[k]
            if len(rows) == 0 or len(groups) == 0:
                continue
            per_step, n_steps = self.settings.groups_per_step, self.settings.fixed_point_steps
            if per_step is not None and n_steps == 1 and per_step < len(groups):
                # uniform over the groups, whatever their sizes: E[step] = the exact step
                pick = torch.randperm(len(groups), generator=self.generator,
                                      device=self.generator.device)[:per_step]
                groups = groups[pick]
            syn = syn_embedded[rows]
            target = free_support_barycenter(
                embedded[k, groups], weights[k, groups], syn, n_steps=n_steps,
                emd_max_iter=self.settings.emd_max_iter,
            )
            loss = loss + fixed_point_loss(syn, target)
        return loss

    def _sliced(self, embedded, weights, syn_embedded):
        dim = embedded.shape[-1]
        directions = torch.randn(
            (dim, self.settings.n_projections), generator=self.generator, device=embedded.device
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
