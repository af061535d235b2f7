r"""Gradient matching (DC): the optimisation loop that moves the synthetic set.

:func:`match_gradients` takes the real rows, their (class, group) cells and the starting
synthetic rows and returns the moved rows. Per iteration a fresh classifier is drawn;
then ``outer_loops`` times, per class, the gradient of its loss on the synthetic rows
(``create_graph=True``, so the comparison reaches the rows) is compared by
:func:`layerwise_cosine_distance` with the target gradient on real cells, one step moves
the rows, and the classifier trains ``inner_steps`` steps on them. A combined target is
the gradient of the correspondingly weighted sum of group losses (gradients are linear):
one backward pass per class, one per cell for ``"groupwise"``. The loop,
:func:`run_gradient_loop`, is shared with :mod:`~skfairdistill._matching.idc`. The
method: ``docs/method.md``, "What one iteration does". Tensors only.
"""

import math

import torch
import torch.nn.functional as F

from .._nn.optim import MomentumSGD
from ._cells import group_weights as cell_weights
from ._loop import input_shape_of, run_loop

_EPS = 1e-6  # as in the DC authors' distance


def layerwise_cosine_distance(real_grads, syn_grads, output_axes):
    r"""DC's gradient distance: :math:`\sum_\ell \sum_i (1 - \cos(g^T_{\ell,i}, g^S_{\ell,i}))`.

    For every weight tensor :math:`\ell`, the gradient is split into one vector
    per output channel :math:`i` (a convolution's output channel, a linear layer's
    output unit) and the cosine dissimilarities are summed — the distance the DC
    paper calls "ours". Tensors whose axis is ``None`` (biases, norm parameters)
    are left out, as in the authors' code.

    Parameters
    ----------
    real_grads, syn_grads : sequence of Tensor
        Gradients with respect to the same parameters.
    output_axes : sequence of int or None
        Output-channel axis of each parameter.

    Returns
    -------
    Tensor
        A scalar, differentiable with respect to both arguments.
    """
    total = None
    for real, syn, axis in zip(real_grads, syn_grads, output_axes):
        if axis is None or real.dim() < 2:
            continue
        channels = real.shape[axis]
        real = real.movedim(axis, 0).reshape(channels, -1)
        syn = syn.movedim(axis, 0).reshape(channels, -1)
        cosine = (real * syn).sum(-1) / (real.norm(dim=-1) * syn.norm(dim=-1) + _EPS)
        term = (1 - cosine).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError(
            "gradient matching found no weight tensor to compare: every parameter of the "
            "classifier has output axis None or fewer than two axes."
        )
    return total


def default_output_axes(parameters):
    """Output-channel axes for PyTorch-layout parameters: 0 for weights, None for 1-D tensors."""
    return [0 if tensor.dim() >= 2 else None for tensor in parameters]


class _Classifier:
    """An embedding network with a linear head drawn from the same generator."""

    def __init__(self, embedding, n_classes, generator):
        device = generator.device
        width = int(embedding.width)
        self.embedding = embedding
        # a zero head would make every embedding gradient zero on the first step
        self.head_weight = torch.randn(
            n_classes, width, generator=generator, device=device
        ) / math.sqrt(width)
        self.head_bias = torch.zeros(n_classes, device=device)
        embedding_params = list(embedding.parameters())
        axes = (
            list(embedding.output_axes())
            if hasattr(embedding, "output_axes")
            else default_output_axes(embedding_params)
        )
        if len(axes) != len(embedding_params):
            raise ValueError(
                f"the embedding network's output_axes() gives {len(axes)} axes for "
                f"{len(embedding_params)} parameters."
            )
        self.params = embedding_params + [self.head_weight, self.head_bias]
        self.output_axes = axes + [0, None]
        for tensor in self.params:
            tensor.requires_grad_(True)

    def __call__(self, X):
        return self.embedding(X) @ self.head_weight.T + self.head_bias

    def release(self):
        for tensor in self.params:
            tensor.requires_grad_(False)


def _group_losses(classifier, x, weights, label):
    """Weighted mean loss of each group: x is (n_groups, batch, ...), weights (n_groups, batch)."""
    n_groups, batch = weights.shape
    logits = classifier(x.reshape(n_groups * batch, *x.shape[2:]))
    targets = torch.full((n_groups * batch,), label, dtype=torch.long, device=x.device)
    losses = F.cross_entropy(logits, targets, reduction="none").view(n_groups, batch)
    return (losses * weights).sum(1) / weights.sum(1).clamp(min=1)


def match_gradients(
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
    inner_steps,
    outer_loops,
    generator,
    network_learning_rate=0.01,
    augment=None,
    verbose=0,
):
    """Optimise the synthetic set by gradient matching.

    Parameters
    ----------
    real : RealRows or any object with ``gather(rows)``
        Standardised access to the real rows. ``gather`` may return rows flat,
        ``(..., n_values)``, or shaped like the synthetic rows; they are reshaped
        to ``X_init``'s per-row shape (so images may be stored flattened).
    cells : CellSampler
        Per-(class, group) mini-batch sampler.
    X_init : Tensor of shape (n_syn, *input_shape)
        Initial synthetic rows ``(n_syn, n_features)`` or images
        ``(n_syn, C, H, W)``, on the device.
    y_syn : LongTensor of shape (n_syn,)
        Class code of every synthetic row.
    alignment : {"barycenter", "groupwise", "none"}
    n_iter : int
        Iterations; each draws a fresh classifier and takes ``outer_loops`` steps
        on the synthetic set.
    learning_rate : float
        SGD (momentum 0.5) step size of the synthetic rows.
    batch_size : int
        Real rows per (class, group) cell and step.
    network_factory : callable
        ``network_factory(input_shape, generator)`` returns a freshly drawn
        embedding network (see :func:`skfairdistill._nn.networks.make_embedding`,
        e.g. ``functools.partial(make_embedding, "auto")``); a linear head is added.
    inner_steps : int
        Classifier training steps on the synthetic set between outer loops.
    outer_loops : int
        Synthetic-set updates per drawn classifier.
    generator : torch.Generator
        The only source of randomness.
    network_learning_rate : float, default=0.01
        SGD step size of the classifier's training on the synthetic set.
    augment : SiameseAugment or None, default=None
        Image augmentation: per class, one transform is drawn and applied to the
        real and the synthetic images (siamese); the classifier's training steps
        augment the synthetic images with one transform per image. Needs images.
    verbose : int, default=0

    Returns
    -------
    MatchingResult
        ``loss_history`` holds, per iteration, the mean matching loss over its
        outer loops. A ``KeyboardInterrupt`` stops the loop early: the rows
        reached so far are returned with ``interrupted=True``.
    """
    input_shape = input_shape_of(X_init, augment)

    def train(classifier, optimizer, X_train, y_train):
        _train(classifier, optimizer, X_train, y_train, inner_steps, augment, generator)

    return run_gradient_loop(
        real, cells, X_init, y_syn, alignment=alignment, n_iter=n_iter,
        learning_rate=learning_rate, batch_size=batch_size, network_factory=network_factory,
        outer_loops=outer_loops, generator=generator, train=train,
        network_optimizer=lambda params: MomentumSGD(params, lr=network_learning_rate),
        augment=augment, verbose=verbose, input_shape=input_shape, desc="distilling (DC)",
    )


def run_gradient_loop(real, cells, X_init, y_syn, *, alignment, n_iter, learning_rate,
                      batch_size, network_factory, outer_loops, generator, train,
                      network_optimizer, augment, verbose, input_shape, desc, decode=None):
    """The gradient-matching loop DC and IDC share; the two differ in ``decode`` and ``train``.

    Per iteration a fresh classifier is drawn; then ``outer_loops`` times: the
    synthetic set is matched class by class (:func:`_class_loss`) and moved by one
    SGD step, and (except after the last) ``train(classifier, optimizer, X_train,
    y_train)`` trains the classifier, given the detached training images.

    Parameters
    ----------
    decode : callable or None, default=None
        ``decode(X_syn) -> (X_train, y_train)``: the training images the stored rows
        ``X_syn`` stand for (differentiable) and their class codes; None: the rows
        themselves with ``y_syn``. ``y_train`` must not depend on ``X_syn``.
    network_optimizer : callable
        ``network_optimizer(params)`` returns the classifier's optimizer.

    The other parameters are :func:`match_gradients`'s.
    """
    device = X_init.device
    n_classes, n_groups = cells.n_classes, cells.n_groups
    present = cells.present
    # per class: how much each group's loss counts in the combined real gradient
    group_weights = cell_weights(cells, alignment, device)
    X_syn = X_init.clone().requires_grad_(True)
    if decode is None:
        def decode(X):
            return X, y_syn
    y_train = decode(X_init)[1]  # labels do not depend on the rows
    syn_rows = [torch.nonzero(y_train == k).squeeze(1) for k in range(n_classes)]
    syn_counts = torch.bincount(y_train, minlength=n_classes).tolist()
    # classes with both real and synthetic rows; groups present in each
    classes = [k for k in range(n_classes) if present[k].any() and syn_counts[k] > 0]
    groups_of = {k: torch.as_tensor(present[k].nonzero()[0], device=device) for k in classes}
    optimizer = MomentumSGD([X_syn], lr=learning_rate, momentum=0.5)

    def step(it):
        classifier = _Classifier(network_factory(input_shape, generator), n_classes, generator)
        classifier_optimizer = network_optimizer(classifier.params)
        total = torch.zeros((), device=device)
        for loop in range(outer_loops):
            rows, weights = cells.draw(batch_size, generator)
            batch = rows.shape[1]
            real_rows = real.gather(rows)
            if real_rows[0, 0].numel() != X_syn[0].numel():
                raise ValueError(
                    f"real rows have {real_rows[0, 0].numel()} values each but the "
                    f"synthetic rows have shape {input_shape}."
                )
            real_rows = real_rows.reshape(n_classes, n_groups, batch, *input_shape)
            weights = weights.view(n_classes, n_groups, batch)
            X_train = decode(X_syn)[0]
            loss = torch.zeros((), device=device)
            for k in classes:
                loss = loss + _class_loss(
                    classifier, real_rows[k], weights[k], X_train[syn_rows[k]], k,
                    groups_of[k], group_weights[k], alignment, augment, generator,
                )
            if loss.requires_grad:  # False only when no class has real and synthetic rows
                optimizer.zero_grad()
                X_syn.grad = torch.autograd.grad(loss, X_syn)[0]
                optimizer.step()
            total = total + loss.detach()
            if loop < outer_loops - 1:
                with torch.no_grad():
                    X_detached = decode(X_syn.detach())[0]
                train(classifier, classifier_optimizer, X_detached, y_train)
        classifier.release()
        return total / outer_loops

    return run_loop(step, X_syn, n_iter, verbose=verbose, desc=desc, report_every=10)


def _class_loss(classifier, real_rows, weights, syn, label, groups, group_weights, alignment,
                augment, generator):
    """Gradient-matching loss of one class, differentiable with respect to ``syn``."""
    real_rows, weights = real_rows[groups], weights[groups]  # the groups present
    if augment is not None:
        params = augment.draw(generator)  # siamese: one transform for both batches
        real_rows = augment.apply(real_rows, params)
        syn = augment.apply(syn, params)
    logits = classifier(syn)
    targets = torch.full((syn.shape[0],), label, dtype=torch.long, device=syn.device)
    syn_grads = _gradients(F.cross_entropy(logits, targets), classifier.params, create_graph=True)
    axes = classifier.output_axes
    if alignment == "groupwise":
        loss = None
        for g in range(real_rows.shape[0]):
            group_loss = _group_losses(classifier, real_rows[g : g + 1], weights[g : g + 1], label)
            real_grads = _gradients(group_loss.sum(), classifier.params)
            term = layerwise_cosine_distance(real_grads, syn_grads, axes)
            loss = term if loss is None else loss + term
        return loss
    group_losses = _group_losses(classifier, real_rows, weights, label)
    combined = (group_losses * group_weights[groups]).sum()
    real_grads = _gradients(combined, classifier.params)
    return layerwise_cosine_distance(real_grads, syn_grads, axes)


def _gradients(loss, params, create_graph=False):
    """Gradients of ``loss`` (zeros for unused parameters); detached unless ``create_graph``."""
    grads = torch.autograd.grad(loss, params, create_graph=create_graph, allow_unused=True)
    return [
        torch.zeros_like(param) if grad is None else (grad if create_graph else grad.detach())
        for grad, param in zip(grads, params)
    ]


def _train(classifier, optimizer, X_syn, y_syn, steps, augment, generator):
    """Full-batch SGD steps of the classifier on the (detached) synthetic set."""
    for _ in range(steps):
        train_step(classifier, optimizer, X_syn, y_syn, augment, generator)


def train_step(classifier, optimizer, inputs, labels, augment, generator):
    """One SGD step of the classifier on a batch, each image augmented on its own."""
    if augment is not None:
        inputs = augment.apply(inputs, augment.draw(generator, batch_size=inputs.shape[0]))
    optimizer.zero_grad()
    F.cross_entropy(classifier(inputs), labels).backward()
    optimizer.step()
