"""Training a network with a linear head on labelled rows: COBRA's warm start and evaluation.

Both train a freshly drawn network through a linear classification head with
cross-entropy, shuffled mini-batches and optional per-image augmentation; they
differ only in the optimiser's settings (:func:`train_classifier`'s keywords).
Every random number comes from the caller's generator.
"""

import math

import torch
import torch.nn.functional as F

from .optim import MomentumSGD


def linear_head(width, n_classes, generator):
    """A linear layer ``(weight (width, n_classes), bias (n_classes,))`` as PyTorch draws one.

    ``nn.Linear``'s default initialisation, uniform in ``±1 / sqrt(width)`` for the
    weight and the bias, drawn from ``generator`` (the weight first).
    """
    device = generator.device
    bound = 1.0 / math.sqrt(width)
    weight = torch.rand(width, n_classes, generator=generator, device=device) * 2 - 1
    bias = (torch.rand(n_classes, generator=generator, device=device) * 2 - 1) * bound
    weight *= bound
    return weight, bias


def head_logits(network, head, X):
    """Logits of ``X`` through ``network`` and the head ``(weight, bias)``."""
    weight, bias = head
    return torch.addmm(bias, network(X), weight)


def train_classifier(network, head, X, y, epochs, generator, *, learning_rate, batch_size,
                     augment=None, momentum=0.0, weight_decay=0.0, decay_after=None,
                     operations=None):
    """Train ``network``'s parameters and ``head`` in place; return the summed batch losses.

    Each epoch shuffles the rows (``torch.randperm``) and takes mini-batches of
    ``batch_size`` (the last one smaller), each augmented when ``augment`` is given
    (one transform per image), through SGD (:class:`~skfairdistill._nn.optim.MomentumSGD`).

    Parameters
    ----------
    network : network of the :mod:`skfairdistill._nn.networks` interface
    head : (Tensor, Tensor)
        The linear head, from :func:`linear_head`.
    X : Tensor of shape (n, ...)
        Rows or images (constants: not differentiated).
    y : LongTensor of shape (n,)
        Class codes.
    epochs : int
    generator : torch.Generator
    learning_rate, batch_size, momentum, weight_decay
        SGD's settings.
    augment : SiameseAugment or None, default=None
    decay_after : int or None, default=None
        After this epoch (counted from 0) the learning rate is divided by 10 and the
        optimiser restarted (its momentum dropped), as the evaluation protocol of
        the distillation papers does. None: a constant rate.
    operations : list of int or None, default=None
        The augmentation's operation for each mini-batch of the whole run, from
        ``augment.choose`` (one read from the device instead of one per batch);
        None draws each batch's operation when it comes.

    Returns
    -------
    Tensor
        The sum of every mini-batch's loss (a scalar on the device, detached): NaN
        or infinite when the training diverged.
    """
    params = list(network.parameters()) + list(head)  # an nn.Module gives a generator
    for tensor in params:
        tensor.requires_grad_(True)
    optimizer = MomentumSGD(params, lr=learning_rate, momentum=momentum,
                            weight_decay=weight_decay)
    total = torch.zeros((), device=X.device)
    operation = iter(operations) if operations is not None else None
    for epoch in range(epochs):
        total += train_epoch(lambda rows: head_logits(network, head, rows), optimizer, X, y,
                             generator, batch_size=batch_size, augment=augment,
                             operations=operation)
        if epoch == decay_after:
            optimizer = MomentumSGD(params, lr=learning_rate / 10, momentum=momentum,
                                    weight_decay=weight_decay)
    for tensor in params:
        tensor.requires_grad_(False)
    return total


def train_epoch(logits_of, optimizer, X, y, generator, *, batch_size=256, augment=None,
                operations=None):
    """One epoch of cross-entropy SGD over shuffled mini-batches of the (constant) ``X``.

    ``logits_of(rows)`` gives the logits; each mini-batch is augmented, one transform
    per image, when ``augment`` is given (``operations``: an iterator of the batches'
    operations, else each is drawn when it comes). Returns the summed batch losses
    (detached, on the device).
    """
    total = torch.zeros((), device=X.device)
    order = torch.randperm(len(X), generator=generator, device=generator.device)
    for batch in order.split(batch_size):
        rows = X[batch]
        if augment is not None:
            chosen = None if operations is None else next(operations)
            rows = augment.apply(rows, augment.draw(generator, batch_size=len(batch),
                                                    operation=chosen))
        optimizer.zero_grad()
        loss = F.cross_entropy(logits_of(rows), y[batch])
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return total
