"""Embedding networks for distribution matching.

Distribution matching draws a fresh, randomly initialised network every
iteration and compares real and synthetic rows through it. The networks are
written functionally (plain weight tensors) so a draw is a handful of
``torch.randn`` calls with the caller's generator — no module construction and
no global random state.
"""

import math

import torch
import torch.nn.functional as F


class RandomMLP:
    """A randomly drawn ReLU network mapping tabular rows to embeddings.

    ``n_layers`` blocks of [linear -> layer norm (no affine) -> ReLU], He-initialised.
    Layer norm keeps embeddings of every draw on a comparable scale, so the matching
    loss does not depend on the luck of the draw.

    Parameters
    ----------
    n_features : int
    width : int
        Width of every hidden layer and of the embedding.
    n_layers : int
    generator : torch.Generator
        Source of the random weights; its device is the network's device.
    """

    def __init__(self, n_features, width, n_layers, generator):
        device = generator.device
        self.weights, self.biases = [], []
        fan_in = n_features
        for _ in range(n_layers):
            std = math.sqrt(2.0 / fan_in)
            self.weights.append(
                torch.randn(fan_in, width, generator=generator, device=device) * std
            )
            self.biases.append(torch.randn(width, generator=generator, device=device) * 0.1)
            fan_in = width
        self.width = width

    def parameters(self):
        return self.weights + self.biases

    def __call__(self, X):
        """Embed rows ``X`` of shape (..., n_features) into (..., width)."""
        hidden = X
        for weight, bias in zip(self.weights, self.biases):
            hidden = F.relu(F.layer_norm(hidden @ weight + bias, (self.width,)))
        return hidden


def warm_up(network, X_syn, y_syn, n_classes, epochs, learning_rate=0.01):
    """Train ``network`` (plus a throw-away linear head) on the synthetic rows.

    COBRA's warm start (arXiv 2605.00185): before a matching step, the freshly drawn
    embedding network is trained for a few epochs on the current synthetic set, so
    that the embedding reflects class-discriminative directions rather than pure
    random features. Full-batch SGD with momentum; the synthetic rows are treated
    as constants here.
    """
    params = network.parameters()
    head = torch.zeros(network.width, n_classes, device=X_syn.device)
    for tensor in params + [head]:
        tensor.requires_grad_(True)
    optimizer = torch.optim.SGD(params + [head], lr=learning_rate, momentum=0.9)
    inputs = X_syn.detach()
    for _ in range(epochs):
        optimizer.zero_grad()
        F.cross_entropy(network(inputs) @ head, y_syn).backward()
        optimizer.step()
    for tensor in params:
        tensor.requires_grad_(False)
    return network
