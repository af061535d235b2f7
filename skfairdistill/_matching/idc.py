r"""IDC: gradient matching of decoded synthetic images, the network trained on real data.

:func:`match_multiformation` takes the real images, their (class, group) cells and the
starting *stored* images and returns the moved stored images. It runs the gradient loop
of :mod:`~skfairdistill._matching.gradient` (DC's targets and distance) on the images
each stored image decodes into (:mod:`~skfairdistill._matching.multiformation`), the
step going back through the decoder, and trains the classifier between updates on
mini-batches of real rows instead of the synthetic set. The method, and what differs
from the IDC and COBRA authors' code: ``docs/method.md``, "Multi-formation gradient
matching (IDC)". Tensors only: no pandas, no scikit-learn.
"""

import torch

from .._nn.optim import MomentumSGD
from ._loop import input_shape_of
from .gradient import run_gradient_loop, train_step
from .multiformation import check_divisible, decode

# IDC's own training of the network between updates: real batches of 64, momentum 0.9
IDC_NETWORK_BATCH = 64
IDC_NETWORK_MOMENTUM = 0.9


def match_multiformation(real, cells, X_init, y_syn, *, alignment, n_iter, learning_rate,
                         batch_size, network_factory, inner_steps, outer_loops, generator,
                         factor=2, network_learning_rate=0.01,
                         network_batch_size=IDC_NETWORK_BATCH,
                         network_momentum=IDC_NETWORK_MOMENTUM, augment=None, verbose=0):
    """Optimise stored images by IDC's multi-formation gradient matching.

    Parameters
    ----------
    real : RealRows or any object with ``gather(rows)``
        Standardised access to the real images (possibly stored flattened).
    cells : CellSampler
        Per-(class, group) mini-batch sampler; also draws the network's real batches.
    X_init : Tensor of shape (n_syn, C, H, W)
        Initial stored images, on the device; ``H`` and ``W`` multiples of ``factor``.
    y_syn : LongTensor of shape (n_syn,)
        Class code of every stored image.
    alignment : {"barycenter", "groupwise", "none"}
    n_iter : int
        Iterations; each draws a fresh classifier.
    learning_rate : float
        SGD (momentum 0.5) step size of the stored images.
    batch_size : int
        Real rows per (class, group) cell in each matching step.
    network_factory : callable
        ``network_factory(input_shape, generator)``, as for
        :func:`~skfairdistill._matching.gradient.match_gradients`.
    inner_steps : int
        Classifier steps on real mini-batches between two updates of the images.
    outer_loops : int
        Updates of the stored images per drawn classifier.
    generator : torch.Generator
        The only source of randomness.
    factor : int, default=2
        Multi-formation factor: each stored image decodes into ``factor**2`` images.
    network_learning_rate : float, default=0.01
        SGD step size of the classifier (IDC: 0.01).
    network_batch_size : int, default=64
        Real rows per classifier step (IDC: 64).
    network_momentum : float, default=0.9
        Momentum of the classifier's SGD (IDC: 0.9).
    augment : SiameseAugment or None, default=None
    verbose : int, default=0

    Returns
    -------
    MatchingResult
        ``X_syn``: the decoded training images ``(n_syn * factor**2, C, H, W)``,
        ``y_syn``: their class codes, ``stored``: the optimised stored images.
        ``loss_history`` holds the mean matching loss over each iteration's outer loops.
    """
    if len(X_init.shape) != 4:
        raise ValueError(
            "matching='idc' needs images: X_init must have shape (n_syn, C, H, W); got "
            f"{tuple(X_init.shape)}."
        )
    check_divisible(X_init.shape, factor)
    input_shape = input_shape_of(X_init, augment)
    y_train = y_syn.repeat_interleave(factor * factor)

    def decoded(X):
        return decode(X, factor), y_train

    def train_on_real(classifier, optimizer, X_train, labels):
        for _ in range(inner_steps):
            rows, classes = cells.draw_rows(network_batch_size, generator)
            images = real.gather(rows).reshape(len(rows), *input_shape)
            train_step(classifier, optimizer, images, classes, augment, generator)

    result = run_gradient_loop(
        real, cells, X_init, y_syn, alignment=alignment, n_iter=n_iter,
        learning_rate=learning_rate, batch_size=batch_size, network_factory=network_factory,
        outer_loops=outer_loops, generator=generator, train=train_on_real,
        network_optimizer=lambda params: MomentumSGD(
            params, lr=network_learning_rate, momentum=network_momentum),
        augment=augment, verbose=verbose, input_shape=input_shape, desc="distilling (IDC)",
        decode=decoded,
    )
    with torch.no_grad():
        result.stored, result.X_syn = result.X_syn, decode(result.X_syn, factor)
    result.y_syn = y_train
    return result


__all__ = ["match_multiformation"]
