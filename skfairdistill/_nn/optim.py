"""Stochastic gradient descent with momentum, as ``torch.optim.SGD`` computes it.

Written out rather than taken from ``torch.optim`` for two reasons: the first
``torch.optim`` optimizer of a process imports ``torch._dynamo``, slow on a CPU
machine next to a small distillation, and the loops build one optimizer per drawn
network, where the general optimizer's set-up adds up. The update is the few lines
below, bit for bit the same as ``torch.optim.SGD`` without dampening or Nesterov
momentum (tests/test_optim.py checks it).
"""

import torch


class MomentumSGD:
    """``v <- momentum * v + grad + weight_decay * p; p <- p - lr * v`` for every parameter ``p``.

    Parameters
    ----------
    params : iterable of Tensor
        Leaf tensors updated in place; a parameter without a gradient is skipped.
    lr : float or Tensor
        A tensor gives every entry its own step size; it must broadcast against
        every parameter (e.g. one step per synthetic row, shape ``(n_rows, 1)``).
    momentum : float, default=0.0
        With 0 the update is plain ``p <- p - lr * grad``. The velocity starts as
        the first gradient.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, as ``torch.optim.SGD(weight_decay=...)``
        (the evaluation protocol of the distillation papers uses 5e-4).
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._velocity = [None] * len(self.params)

    def zero_grad(self):
        """Drop the gradients (as ``torch.optim``'s default, ``set_to_none=True``)."""
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self):
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            direction = param.grad
            if self.weight_decay:
                direction = direction.add(param, alpha=self.weight_decay)
            if self.momentum:
                if self._velocity[i] is None:
                    self._velocity[i] = direction.detach().clone()
                else:
                    self._velocity[i].mul_(self.momentum).add_(direction)
                direction = self._velocity[i]
            if isinstance(self.lr, torch.Tensor):
                param.sub_(direction * self.lr)
            else:
                param.add_(direction, alpha=-self.lr)
