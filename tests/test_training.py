"""Training a network through a linear head (skfairdistill._nn.training): the head drawn as
PyTorch draws nn.Linear, SGD over shuffled mini-batches, parameters left frozen."""

import math

import pytest
import torch
import torch.nn.functional as F

from skfairdistill._nn.networks import RandomMLP
from skfairdistill._nn.training import head_logits, linear_head, train_classifier, train_epoch


def test_the_head_is_uniform_in_one_over_sqrt_width_weight_first():
    weight, bias = linear_head(16, 3, torch.Generator().manual_seed(0))
    assert weight.shape == (16, 3) and bias.shape == (3,)
    bound = 1 / math.sqrt(16)
    assert weight.abs().max() <= bound and bias.abs().max() <= bound
    replay = torch.Generator().manual_seed(0)
    expected_weight = (torch.rand(16, 3, generator=replay) * 2 - 1) * bound
    expected_bias = (torch.rand(3, generator=replay) * 2 - 1) * bound
    torch.testing.assert_close(weight, expected_weight)
    torch.testing.assert_close(bias, expected_bias)


def test_logits_are_the_embedding_times_the_head_plus_its_bias():
    network = RandomMLP(4, 8, 1, torch.Generator().manual_seed(0))
    head = linear_head(8, 2, torch.Generator().manual_seed(1))
    X = torch.randn(5, 4, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(head_logits(network, head, X), network(X) @ head[0] + head[1])


def _problem():
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, generator=generator)
    y = (X[:, 0] > 0).long()
    return X, y, RandomMLP(4, 16, 1, generator), linear_head(16, 2, generator)


def test_training_lowers_the_loss_and_leaves_the_parameters_frozen():
    X, y, network, head = _problem()
    before = F.cross_entropy(head_logits(network, head, X), y).item()
    total = train_classifier(network, head, X, y, 30, torch.Generator().manual_seed(3),
                             learning_rate=0.1, batch_size=16, momentum=0.9)
    after = F.cross_entropy(head_logits(network, head, X), y).item()
    assert after < 0.7 * before
    assert total.ndim == 0 and torch.isfinite(total)
    assert not any(t.requires_grad for t in [*network.parameters(), *head])


def test_the_same_generator_gives_the_same_training():
    runs = []
    for _ in range(2):
        X, y, network, head = _problem()
        train_classifier(network, head, X, y, 3, torch.Generator().manual_seed(3),
                         learning_rate=0.1, batch_size=16)
        runs.append([t.clone() for t in [*network.parameters(), *head]])
    assert all(torch.equal(a, b) for a, b in zip(*runs))


@pytest.mark.parametrize("n_rows, batch_size, batches", [(10, 4, 3), (8, 4, 2), (3, 256, 1)])
def test_an_epoch_takes_shuffled_mini_batches_the_last_one_smaller(n_rows, batch_size, batches):
    seen = []

    class Counting(torch.optim.SGD):
        def step(self):
            seen.append(1)
            super().step()

    weight = torch.zeros(2, 2, requires_grad=True)
    X, y = torch.randn(n_rows, 2), torch.arange(n_rows) % 2
    train_epoch(lambda rows: rows @ weight, Counting([weight], lr=0.1), X, y,
                torch.Generator().manual_seed(0), batch_size=batch_size)
    assert len(seen) == batches
