"""Distribution matching (DM): the optimisation loop that moves the synthetic rows.

:func:`match_distributions` takes the real rows, their (class, group) cells and the
starting synthetic rows and returns the moved rows. Per iteration: draw a fresh
embedding network (warm-started by :mod:`~skfairdistill._matching._warm_up` if asked),
embed one packed mini-batch per cell and the synthetic rows (images: one siamese
transform for both), and take one SGD step against the alignment's target
(:mod:`skfairdistill._targets`, or an experimental cloud target). All on the device, no
Python loop over classes or groups. Tensors only: no pandas, no scikit-learn.
"""

import math

import torch

from .._nn.optim import MomentumSGD
from .._targets import alignment_target, target_loss
from ._cells import class_averaging, packing
from ._history import choose_in_chunks
from ._loop import input_shape_of, run_loop
from ._warm_up import warm_up


def match_distributions(
    real,
    cells,
    X_init,
    y_syn,
    *,
    alignment,
    distance,
    n_iter,
    learning_rate,
    batch_size,
    network_factory,
    warm_start_epochs,
    generator,
    augment=None,
    verbose=0,
    cloud_target=None,
    step_schedule="constant",
    group_trust=None,
    network_pool=None,
):
    """Optimise the synthetic rows by distribution matching.

    Parameters
    ----------
    real : RealRows
        Standardised access to the real rows.
    cells : CellSampler
        Per-(class, group) mini-batch sampler.
    X_init : Tensor of shape (n_syn, *input_shape)
        Initial synthetic rows (standardised), on the device: ``(n_syn,
        n_features)`` for tables, ``(n_syn, C, H, W)`` for images. The real rows
        (gathered flat) are reshaped to the same per-row shape.
    y_syn : LongTensor of shape (n_syn,)
        Class code of every synthetic row.
    alignment : {"barycenter", "groupwise", "none"}
    distance : {"l1", "squared_l2"}
        Distance of the mean targets (``barycenter="mean"``).
    batch_size : int
        Real rows per (class, group) cell and iteration.
    network_factory : callable
        ``network_factory(input_shape, generator)`` draws a fresh embedding network
        (see :func:`skfairdistill._nn.networks.make_embedding`).
    warm_start_epochs : int
        COBRA's warm start: epochs of training of each drawn network on the
        current synthetic rows before it is used (0: purely random networks;
        :func:`skfairdistill._matching.warm_up`, with ``augment`` on images).
    generator : torch.Generator
        The only source of randomness.
    augment : SiameseAugment or None, default=None
        Images only: one transform per iteration, applied to the real and the
        synthetic images alike.
    cloud_target : callable or None, default=None
        Experimental (:mod:`skfairdistill.experimental`): ``cloud_target(present, y_syn,
        generator)`` builds a loss on the groups' embedding clouds that replaces the
        alignment's mean target; None keeps the mean target.

    step_schedule : {"constant", "cosine"}, default="constant"
        The step size over the iterations: ``learning_rate`` throughout, or decayed
        from ``learning_rate`` towards 0 along half a cosine (:func:`step_sizes`).
    group_trust : ndarray of shape (n_classes, n_groups) or None, default=None
        The weight of each cell's own statistic in the fair targets
        (``matching_params["min_group_rows"]``, :func:`skfairdistill._targets.group_trust`).
    network_pool : int or None, default=None
        Draw this many networks once, each with its real cell statistics on its own
        draw of ``batch_size`` rows per cell (and its own augmentation), and let every
        iteration use one of them, in a fresh random order each pass over the pool:
        the real rows are embedded once per pool entry instead of once per iteration.
        None draws a fresh network (and batch) every iteration. Needs no warm start
        and the mean target (a pool entry is never trained nor re-drawn).

    Returns
    -------
    MatchingResult
        A ``KeyboardInterrupt`` stops the loop early: the rows reached so far are
        returned with ``interrupted=True``.
    """
    device = X_init.device
    input_shape = input_shape_of(X_init, augment)
    n_classes = cells.n_classes
    present = torch.as_tensor(cells.present, device=device)
    shares = torch.as_tensor(cells.shares, dtype=torch.float32, device=device)
    trust = None if group_trust is None else torch.as_tensor(group_trust, dtype=torch.float32,
                                                             device=device)
    clouds_target = None if cloud_target is None else cloud_target(cells.present, y_syn,
                                                                    generator)
    if clouds_target is not None:  # larger clouds would only slow its solver down
        batch_size = min(batch_size, clouds_target.cloud_size)
    # each drawn real row is embedded once (packed, no padding); the cell means are
    # segment sums, the synthetic class means one product with fixed averaging weights
    packed = packing(cells, batch_size)
    syn_means = class_averaging(y_syn, n_classes)  # (n_classes, n_syn)

    # the augmentation's operations, read from the device a chunk of iterations at once
    operations = choose_in_chunks(augment, network_pool or n_iter, generator)

    X_syn = X_init.clone().requires_grad_(True)
    optimizer = MomentumSGD([X_syn], lr=learning_rate, momentum=0.5)
    step_size = step_sizes(learning_rate, n_iter, step_schedule)

    def draw(it):
        """A network, its transform and the real rows' cell statistics under both."""
        network = network_factory(input_shape, generator)
        if warm_start_epochs > 0:
            warm_up(network, X_syn, y_syn, n_classes, warm_start_epochs, generator,
                    augment=augment)
        real_rows, weights = packed.draw(real, cells, batch_size, generator, input_shape)
        transform = None
        if augment is not None:  # siamese: the same transform for both
            transform = augment.draw(
                generator, operation=None if operations is None else operations[it]
            )
            real_rows = augment.apply(real_rows, transform)
        with torch.no_grad():
            embedded = network(real_rows)  # (n_drawn, width)
            group_stats = packed.means(embedded)
        return network, transform, group_stats, embedded, weights

    if network_pool is not None:  # each entry: a network, its transform and its target
        with torch.no_grad():
            pool = [(network, transform, alignment_target(
                        group_stats, present, shares, alignment=alignment, trust=trust))
                    for network, transform, group_stats, *_ in map(draw, range(network_pool))]
        order = []  # the pool's order in the current pass, drawn as each pass begins

    def step(it):
        optimizer.lr = step_size(it)
        if network_pool is None:
            network, transform, group_stats, embedded, weights = draw(it)
            if clouds_target is None:
                target = alignment_target(group_stats, present, shares, alignment=alignment,
                                          trust=trust)
        else:
            if it % network_pool == 0:
                order[:] = torch.randperm(network_pool, generator=generator,
                                          device=generator.device).tolist()
            network, transform, target = pool[order[it % network_pool]]
        syn_rows = X_syn if transform is None else augment.apply(X_syn, transform)
        syn_embedded = network(syn_rows)
        syn_stats = syn_means @ syn_embedded
        if clouds_target is None:
            loss = target_loss(target, syn_stats, distance)
        else:  # distribution-level barycenter of the per-group embedding clouds
            padded = embedded.new_zeros(weights.numel(), embedded.shape[1])
            padded[packed.slots] = embedded
            loss = clouds_target(padded.view(*weights.shape, -1), weights, syn_embedded)
        # a stack of networks (networks_per_step) sums their distances: average them
        loss = loss / getattr(network, "stack", 1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.detach()

    return run_loop(step, X_syn, n_iter, verbose=verbose, desc="distilling", report_every=50)


def step_sizes(learning_rate, n_iter, schedule):
    """``step_size(it)``: the step of iteration ``it`` under ``schedule``.

    ``"cosine"`` decays the step from ``learning_rate`` at the first iteration towards
    0 at the last, along half a cosine: a drawn network's noise moves the rows less
    and less as the fit ends. It lowers the matching loss that the rows reach, but on
    Adult it also moved them less far and cost accuracy, so it is not the default
    (``docs/benchmarks.md``, "Speed of the default tabular fit").
    """
    if schedule == "constant":
        return lambda it: learning_rate
    if schedule != "cosine":
        raise ValueError(f"step_schedule must be 'constant' or 'cosine'; got {schedule!r}")
    return lambda it: learning_rate * (0.5 + 0.5 * math.cos(math.pi * it / n_iter))
