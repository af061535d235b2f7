"""COBRA's warm start: training a freshly drawn embedding network on the synthetic rows."""

from .._nn.training import linear_head, train_classifier


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
    here. The distiller's networks have no affine normalisation parameters
    (``ConvNet(affine=False)``), so unlike the authors' ConvNet only the weights,
    biases and head are trained. The loop is :func:`~skfairdistill._nn.training.train_classifier`.
    """
    head = linear_head(network.width, n_classes, generator)
    train_classifier(network, head, X_syn.detach(), y_syn, epochs, generator,
                     learning_rate=learning_rate, batch_size=batch_size, augment=augment)
    return network

