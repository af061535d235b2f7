"""MomentumSGD (skfairdistill._nn.optim) against torch.optim.SGD."""

import pytest
import torch

from skfairdistill._nn.optim import MomentumSGD


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.5, 0.0), (0.9, 0.0),
                                                    (0.9, 5e-4), (0.0, 0.1)])
def test_bit_identical_to_torch_sgd(device, momentum, weight_decay):
    generator = torch.Generator(device=device).manual_seed(0)
    start = [torch.randn(5, 3, generator=generator, device=device),
             torch.randn(4, generator=generator, device=device)]
    ours = [t.clone().requires_grad_(True) for t in start]
    theirs = [t.clone().requires_grad_(True) for t in start]
    optimizers = (MomentumSGD(ours, lr=0.1, momentum=momentum, weight_decay=weight_decay),
                  torch.optim.SGD(theirs, lr=0.1, momentum=momentum,
                                  weight_decay=weight_decay))
    for step in range(5):
        target = torch.randn(5, 3, generator=generator, device=device)
        for params, optimizer in zip((ours, theirs), optimizers):
            optimizer.zero_grad()
            loss = ((params[0] - target) ** 2).sum() + params[1].pow(3).sum() * (step % 2)
            loss.backward()
            optimizer.step()
        for a, b in zip(ours, theirs):
            assert torch.equal(a, b)
    assert all(p.grad is not None for p in ours)
    optimizers[0].zero_grad()
    assert all(p.grad is None for p in ours)


def test_parameters_without_gradient_are_left_alone():
    used = torch.zeros(3, requires_grad=True)
    unused = torch.ones(3, requires_grad=True)
    optimizer = MomentumSGD([used, unused], lr=1.0, momentum=0.5)
    used.sum().backward()
    optimizer.step()
    assert torch.equal(used.detach(), -torch.ones(3))
    assert torch.equal(unused.detach(), torch.ones(3))


def test_a_tensor_learning_rate_gives_every_row_its_step():
    rows = torch.zeros(3, 2, requires_grad=True)
    steps = torch.tensor([[1.0], [2.0], [0.5]])
    optimizer = MomentumSGD([rows], lr=steps, momentum=0.5)
    for _ in range(2):
        optimizer.zero_grad()
        rows.sum().backward()  # gradient 1 everywhere
        optimizer.step()
    # velocity 1, then 1.5: total displacement 2.5 times each row's step
    torch.testing.assert_close(rows.detach(), -2.5 * steps.expand(3, 2))
