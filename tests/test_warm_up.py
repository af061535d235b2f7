"""COBRA's warm start (skfairdistill._matching._warm_up): a freshly drawn embedding network
trained on the synthetic rows, plain SGD through a drawn linear head."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skfairdistill import FairDistiller
from skfairdistill._matching import warm_up
from skfairdistill._nn.networks import ConvNet, RandomMLP


def _generator(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


def test_warm_up_is_plain_sgd_through_a_drawn_head():
    """One epoch, one mini-batch: each weight moves by exactly -0.01 x its gradient."""
    gen = torch.Generator().manual_seed(0)
    network = RandomMLP(4, 8, 1, gen)
    X = torch.randn(6, 4, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    before = [w.clone() for w in network.parameters()]
    replay = torch.Generator().set_state(gen.get_state())

    warm_up(network, X, y, 3, 1, gen)

    # the same head, drawn from the same state, and the same shuffle
    bound = 1 / math.sqrt(network.width)
    head = (torch.rand(8, 3, generator=replay) * 2 - 1) * bound
    head_bias = (torch.rand(3, generator=replay) * 2 - 1) * bound
    order = torch.randperm(6, generator=replay)
    copy = RandomMLP(4, 8, 1, torch.Generator().manual_seed(0))
    params = copy.parameters()
    for tensor in params:
        tensor.requires_grad_(True)
    F.cross_entropy(copy(X[order]) @ head + head_bias, y[order]).backward()
    for old, new, param in zip(before, network.parameters(), params):
        assert torch.allclose(new, old - 0.01 * param.grad, atol=1e-7)
        assert not new.requires_grad


def test_warm_up_takes_mini_batches_of_256(monkeypatch):
    steps = []
    import skfairdistill._nn.training as training_module

    class Counting(training_module.MomentumSGD):
        def step(self):
            steps.append(self.momentum)
            super().step()

    monkeypatch.setattr(training_module, "MomentumSGD", Counting)
    gen = torch.Generator().manual_seed(0)
    network = RandomMLP(3, 4, 1, gen)
    X, y = torch.randn(600, 3, generator=gen), torch.arange(600) % 2
    warm_up(network, X, y, 2, 2, gen)
    assert steps == [0.0] * 6  # 2 epochs x ceil(600 / 256) batches, no momentum


def test_warm_start_works_with_a_factory_returning_an_nn_module():
    """An ``nn.Module`` gives its parameters as a generator: warm_up takes them as a list."""

    class Embedding(torch.nn.Module):
        width = 8

        def __init__(self, input_shape, generator):
            super().__init__()
            self.linear = torch.nn.Linear(input_shape[0], self.width)
            with torch.no_grad():  # drawn from the fit's generator, not the global one
                self.linear.weight.copy_(torch.randn(self.linear.weight.shape,
                                                     generator=generator))

        def forward(self, X):
            return torch.relu(self.linear(X))

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    groups = rng.choice(["a", "b"], size=60)
    model = FairDistiller(n_per_class=2, n_iter=2,
                          random_state=0, device="cpu",
                          matching_params={"embedding": Embedding, "warm_start_epochs": 1})
    X_syn, _ = model.fit_resample(X, y, sensitive_features=groups)
    assert np.isfinite(X_syn).all() and model.n_iter_ == 2


@pytest.mark.parametrize("epochs", [1, 3])
def test_warm_up_trains_a_convnet(epochs):
    """The head is random, so the very first epoch already reaches every layer."""
    network = ConvNet((1, 8, 8), _generator(), channels=8)
    X = torch.randn(6, 1, 8, 8, generator=_generator(1))
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    before = [w.clone() for w in network.weights]
    warm_up(network, X, y, n_classes=2, epochs=epochs, generator=_generator(2))
    assert all(not torch.equal(b, w) for b, w in zip(before, network.weights))
    assert not any(t.requires_grad for t in network.parameters())
    assert network(X).shape == (6, 8)
