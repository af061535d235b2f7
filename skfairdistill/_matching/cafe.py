r"""CAFE: the optimisation loop that aligns layer-wise features, with the fair targets.

:func:`match_features` takes the real rows, their (class, group) cells and the starting
synthetic rows and returns the moved rows. Per iteration a fresh network with a linear
head is drawn; up to ``outer_loops`` times, the per-cell mean features of every layer
are pulled towards the synthetic class means by the alignment's target
(:func:`~skfairdistill._targets.alignment_loss`, squared L2) plus a discrimination loss,
then the network trains on the synthetic set (:mod:`skfairdistill._nn.training`); both
loops stop early on the network's accuracy on a real probe (:class:`EarlyStop`). The
method, its weights, and where the early stops part from the authors' code:
``docs/method.md``, "CAFE". Tensors only: no pandas, no scikit-learn.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._nn.optim import MomentumSGD
from .._nn.training import linear_head, train_epoch
from .._targets import alignment_loss, barycenter_weights
from ._cells import class_averaging, group_weights, packing
from ._loop import input_shape_of, run_loop

# real rows per cell in the accuracy probe, drawn once per network (CAFE: 128
# fresh rows per class at every check)
PROBE_ROWS = 16
# the synthetic step halves at these fractions of n_iter (CAFE: 1200, 1600, 1800 of 2000)
MILESTONES = (0.6, 0.8, 0.9)


@dataclass(frozen=True)
class EarlyStop:
    """CAFE's early stops: window ``tau`` and thresholds (the authors' ``distill.py``)."""

    window: int = 10
    lambda_1: float = 0.04  # outer loop: stop when the accuracy varies less than this
    lambda_2: float = 0.03  # inner loop: stop when the accuracy has moved more than this

    def outer_done(self, accuracies):
        """Whether the last ``window`` accuracies vary by less than ``lambda_1``."""
        spread = _spread(accuracies, self.window)
        return spread is not None and spread < self.lambda_1

    def inner_done(self, accuracies):
        """Whether the last ``window`` accuracies vary by more than ``lambda_2``."""
        spread = _spread(accuracies, self.window)
        return spread is not None and spread > self.lambda_2


def _spread(values, window):
    if len(values) < window:
        return None
    last = values[-window:]
    return max(last) - min(last)


def layerwise_loss(real_stats, syn_stats, present, shares, *, alignment, layer_weights,
                   trust=None):
    r""":math:`\sum_\ell w_\ell\,` the alignment loss (squared L2) of layer :math:`\ell`.

    ``real_stats[l]`` is ``(n_classes, n_groups, d_l)`` (per-cell mean features),
    ``syn_stats[l]`` is ``(n_classes, d_l)`` (synthetic class means).
    """
    loss = None
    for weight, group_stats, syn in zip(layer_weights, real_stats, syn_stats):
        term = weight * alignment_loss(group_stats, present, shares, syn, alignment=alignment,
                                       kind="squared_l2", trust=trust)
        loss = term if loss is None else loss + term
    return loss


def discrimination_loss(real_features, labels, row_weights, syn_centres):
    """Real rows classified by the synthetic class centres: weighted cross-entropy.

    Parameters
    ----------
    real_features : Tensor of shape (n, d)
        Last-layer features of real rows.
    labels : LongTensor of shape (n,)
    row_weights : Tensor of shape (n,)
        Each row's weight (a class's weights sum to 1: the loss is the sum over
        classes of their weighted mean cross-entropy).
    syn_centres : Tensor of shape (n_classes, d)
        Synthetic class means of the last-layer features.
    """
    logits = real_features @ syn_centres.T
    return (F.cross_entropy(logits, labels, reduction="none") * row_weights).sum()


def weighted_accuracy(logits, labels, row_weights, n_classes):
    """Mean over classes of the weighted share of rows classified right (a 0-d tensor)."""
    correct = (logits.argmax(1) == labels).to(row_weights.dtype) * row_weights
    return correct.sum() / n_classes


def layer_features(network, X):
    """``network.features(X)`` flattened to ``(n, d_l)`` per layer; a clear error without it."""
    if not hasattr(network, "features"):
        raise TypeError(
            f"matching='cafe' aligns every layer, so the embedding network needs a "
            f"features(X) method returning each layer's output; {type(network).__name__} "
            "has none. Use embedding='convnet' or 'mlp', or add features() to your network."
        )
    return [layer.reshape(len(layer), -1) for layer in network.features(X)]


def match_features(
    real,
    cells,
    X_init,
    y_syn,
    *,
    alignment,
    n_iter,
    learning_rate,
    batch_size,
    network_factory,
    outer_loops,
    inner_steps,
    generator,
    layer_weights,
    discrimination_weight,
    network_learning_rate=0.01,
    early_stop=EarlyStop(),
    augment=None,
    verbose=0,
    group_trust=None,
):
    """Optimise the synthetic set by CAFE's layer-wise feature alignment.

    Parameters
    ----------
    real : RealRows
        Standardised access to the real rows.
    cells : CellSampler
        Per-(class, group) mini-batch sampler.
    X_init : Tensor of shape (n_syn, *input_shape)
        Initial synthetic rows (tables) or images ``(n_syn, C, H, W)``, on the device.
    y_syn : LongTensor of shape (n_syn,)
    alignment : {"barycenter", "groupwise", "none"}
    n_iter : int
        Iterations; each draws a fresh network.
    learning_rate : float
        SGD (momentum 0.5) step of the synthetic rows, halved at 60, 80 and 90 % of
        ``n_iter`` (CAFE's schedule).
    batch_size : int
        Real rows per (class, group) cell and synthetic update.
    network_factory : callable
        ``network_factory(input_shape, generator)``; the network needs
        ``features(X)`` (:class:`~skfairdistill._nn.networks.ConvNet`,
        :class:`~skfairdistill._nn.networks.RandomMLP`).
    outer_loops : int
        Most synthetic updates per drawn network.
    inner_steps : int
        Most training epochs of the network between two updates.
    generator : torch.Generator
        The only source of randomness.
    layer_weights : callable
        ``layer_weights(n_layers)`` gives the weight of every layer.
    discrimination_weight : float
        beta, the weight of the discrimination loss.
    network_learning_rate : float, default=0.01
        SGD step of the network's training (no momentum, batches of 256, as CAFE).
    early_stop : EarlyStop, default=EarlyStop()
    augment : SiameseAugment or None, default=None
        Images: one transform per update for the real and synthetic batches; the
        network's training augments one transform per image.
    verbose : int, default=0
    group_trust : ndarray of shape (n_classes, n_groups) or None, default=None
        The weight of each cell's own statistic in the fair targets and the discrimination
        loss's row weights (``matching_params["min_group_rows"]``).

    Returns
    -------
    MatchingResult
        ``loss_history`` holds, per iteration, the mean loss over its updates.
    """
    device = X_init.device
    input_shape = input_shape_of(X_init, augment)
    n_classes = cells.n_classes
    present = torch.as_tensor(cells.present, device=device)
    shares = torch.as_tensor(cells.shares, dtype=torch.float32, device=device)
    n_real_classes = max(1, int(cells.present.any(axis=1).sum()))
    packed, probe = packing(cells, batch_size), packing(cells, PROBE_ROWS)
    # per packed row: its label and weight (a class's weights sum to 1)
    weights = group_weights(cells, alignment, device).reshape(-1, 1)
    trust = None
    if group_trust is not None:  # min_group_rows: the shrunk targets' weights of the groups
        trust = torch.as_tensor(group_trust, dtype=torch.float32, device=device)
        weights = torch.as_tensor(barycenter_weights(cells.present, cells.shares, group_trust),
                                  dtype=torch.float32, device=device).reshape(-1, 1)

    def labelled(pack):
        row_weights = (weights * pack.inverse_counts)[pack.cell_of_slot].squeeze(1)
        return torch.div(pack.cell_of_slot, cells.n_groups, rounding_mode="floor"), row_weights

    labels, row_weights = labelled(packed)
    probe_labels, probe_weights = labelled(probe)
    syn_means = class_averaging(y_syn, n_classes)

    X_syn = X_init.clone().requires_grad_(True)
    optimizer = MomentumSGD([X_syn], lr=learning_rate, momentum=0.5)
    milestones = [round(fraction * n_iter) for fraction in MILESTONES]

    def step(it):
        optimizer.lr = learning_rate * 0.5 ** sum(it >= m for m in milestones)
        network = network_factory(input_shape, generator)
        head, head_bias = linear_head(network.width, n_classes, generator)
        params = list(network.parameters()) + [head, head_bias]
        for tensor in params:
            tensor.requires_grad_(True)
        network_optimizer = MomentumSGD(params, lr=network_learning_rate)
        probe_rows = probe.draw(real, cells, PROBE_ROWS, generator, input_shape)[0]

        def accuracy():
            with torch.no_grad():
                logits = torch.addmm(head_bias, network(probe_rows), head)
                return float(weighted_accuracy(logits, probe_labels, probe_weights,
                                               n_real_classes))

        total, accuracies, done = torch.zeros((), device=device), [], 0
        for outer in range(outer_loops):
            real_rows = packed.draw(real, cells, batch_size, generator, input_shape)[0]
            syn_rows = X_syn
            if augment is not None:  # siamese: one transform for both
                transform = augment.draw(generator)
                real_rows = augment.apply(real_rows, transform)
                syn_rows = augment.apply(X_syn, transform)
            with torch.no_grad():
                real_layers = layer_features(network, real_rows)
            syn_layers = [syn_means @ layer for layer in layer_features(network, syn_rows)]
            loss = layerwise_loss(
                [packed.means(layer) for layer in real_layers], syn_layers, present, shares,
                alignment=alignment, layer_weights=layer_weights(len(syn_layers)), trust=trust,
            ) + discrimination_weight * discrimination_loss(
                real_layers[-1], labels, row_weights, syn_layers[-1]
            )
            X_syn.grad = torch.autograd.grad(loss, X_syn)[0]
            optimizer.step()
            total, done = total + loss.detach(), outer + 1
            accuracies.append(accuracy())
            if outer == outer_loops - 1 or early_stop.outer_done(accuracies):
                break
            _train(network, head, head_bias, network_optimizer, X_syn.detach(), y_syn,
                   inner_steps, accuracy, early_stop, generator, augment)
        for tensor in params:
            tensor.requires_grad_(False)
        return total / done

    return run_loop(step, X_syn, n_iter, verbose=verbose, desc="distilling (CAFE)",
                    report_every=10)


def _train(network, head, head_bias, optimizer, X_syn, y_syn, max_epochs, accuracy,
           early_stop, generator, augment):
    """Train the network on the synthetic set until CAFE's inner stop; returns the epochs."""
    accuracies = []
    for epoch in range(max_epochs):
        train_epoch(lambda rows: torch.addmm(head_bias, network(rows), head), optimizer,
                    X_syn, y_syn, generator, augment=augment)
        accuracies.append(accuracy())
        if early_stop.inner_done(accuracies):
            return epoch + 1
    return max_epochs
