"""COBRA's warm start: training a freshly drawn embedding network on the synthetic rows."""

import math

import torch
import torch.nn.functional as F

from .._optim import MomentumSGD


def warm_up(network, X_syn, y_syn, n_classes, epochs, generator, *, learning_rate=0.01,
            batch_size=256, augment=None):
    """Train ``network`` and a linear classification head on the synthetic rows.

    COBRA's warm start, as the authors' code does it (mhmoslemi/COBRA,
    ``train_dm.py``): before a matching step the freshly drawn embedding network
    is trained for ``epochs`` epochs on the current synthetic set — plain SGD
    (``learning_rate`` 0.01, no momentum), shuffled mini-batches of ``batch_size``,
    each augmented (images, when ``augment`` is given; one transform per image,
    as their DSA call without a shared seed), cross-entropy through a linear head
    with a bias. The head stands for their network's own classifier layer and is
    drawn as PyTorch's default initialisation of one, uniform in
    ``±1 / sqrt(width)``, from ``generator``. The synthetic rows are constants
    here. Our networks have no affine normalisation parameters, so unlike the
    authors' ConvNet only the weights, biases and head are trained.
    """
    # list(): a factory's nn.Module gives a generator of parameters, ours a list
    params = list(network.parameters())
    head, head_bias = linear_head(network.width, n_classes, generator)
    for tensor in params + [head, head_bias]:
        tensor.requires_grad_(True)
    optimizer = MomentumSGD(params + [head, head_bias], lr=learning_rate)
    for _ in range(epochs):
        train_epoch(lambda rows: torch.addmm(head_bias, network(rows), head), optimizer,
                    X_syn.detach(), y_syn, generator, batch_size=batch_size, augment=augment)
    for tensor in params:
        tensor.requires_grad_(False)
    return network


def linear_head(width, n_classes, generator):
    """``(weight (width, n_classes), bias)`` drawn as PyTorch's default ``nn.Linear``.

    Uniform in ``±1 / sqrt(width)``, from ``generator``.
    """
    device = generator.device
    bound = 1.0 / math.sqrt(width)
    head = (torch.rand(width, n_classes, generator=generator, device=device) * 2 - 1)
    head_bias = (torch.rand(n_classes, generator=generator, device=device) * 2 - 1) * bound
    head *= bound
    return head, head_bias


def train_epoch(logits_of, optimizer, inputs, labels, generator, *, batch_size=256,
                augment=None):
    """One epoch of cross-entropy SGD over shuffled mini-batches of the (constant) ``inputs``.

    ``logits_of(rows)`` gives the logits; each batch is augmented one transform per
    image when ``augment`` is given (as DSA's training epochs).
    """
    order = torch.randperm(len(inputs), generator=generator, device=generator.device)
    for batch in order.split(batch_size):
        rows = inputs[batch]
        if augment is not None:
            rows = augment.apply(rows, augment.draw(generator, batch_size=len(batch)))
        optimizer.zero_grad()
        F.cross_entropy(logits_of(rows), labels[batch]).backward()
        optimizer.step()
