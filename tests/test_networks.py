"""Embedding networks: RandomMLP, the ConvNet-3, make_embedding and warm_up."""

import functools

import pytest
import torch

from skfairdistill._networks import ConvNet, RandomMLP, make_embedding, warm_up


def _generator(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize(
    ("shape", "width", "poolings"),
    [
        ((1, 8, 8), 128, [True, True, True]),  # digits: 8 -> 4 -> 2 -> 1
        ((3, 32, 32), 128 * 4 * 4, [True, True, True]),  # CIFAR
        ((1, 28, 28), 128 * 3 * 3, [True, True, True]),  # MNIST: 28 -> 14 -> 7 -> 3
        ((1, 4, 4), 128, [True, False, True]),  # too small for three poolings
        ((1, 3, 3), 128, [False, False, True]),
        ((2, 2, 2), 128, [False, False, True]),
        ((1, 5, 9), 128 * 1 * 2, [True, False, True]),
    ],
)
def test_convnet_shapes_and_small_image_guard(shape, width, poolings):
    network = ConvNet(shape, _generator())
    assert network.width == width
    assert network.poolings == poolings
    out = network(torch.randn(2, *shape))
    assert out.shape == (2, width)
    assert torch.isfinite(out).all()


def test_convnet_architecture_defaults():
    network = ConvNet((3, 8, 8), _generator())
    weights = network.parameters()[:3]
    assert [tuple(w.shape) for w in weights] == [(128, 3, 3, 3), (128, 128, 3, 3), (128, 128, 3, 3)]
    assert len(network.parameters()) == 6
    assert network.output_axes() == [0, 0, 0, None, None, None]
    # ReLU after the norm, average pooling: embeddings are non-negative
    assert (network(torch.randn(4, 3, 8, 8)) >= 0).all()


def test_convnet_matches_module_reference():
    """The functional network equals the same layers built from torch.nn."""
    network = ConvNet((1, 8, 8), _generator(3), channels=8)
    layers = []
    for weight, bias, pool in zip(network.weights, network.biases, network.poolings):
        conv = torch.nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
        conv.weight.data.copy_(weight)
        conv.bias.data.copy_(bias)
        layers += [conv, torch.nn.InstanceNorm2d(8, affine=False), torch.nn.ReLU()]
        if pool:
            layers.append(torch.nn.AvgPool2d(2))
    reference = torch.nn.Sequential(*layers, torch.nn.Flatten())
    X = torch.randn(5, 1, 8, 8, generator=_generator(4))
    torch.testing.assert_close(network(X), reference(X), rtol=1e-4, atol=1e-5)


def test_convnet_leading_axes_and_flat_input():
    network = ConvNet((1, 8, 8), _generator(), channels=8)
    X = torch.randn(3, 4, 1, 8, 8, generator=_generator(1))
    batched = network(X)
    assert batched.shape == (3, 4, 8)
    torch.testing.assert_close(batched[1], network(X[1]))
    torch.testing.assert_close(network(X.reshape(3, 4, 64)), batched)
    assert network(X[0, 0]).shape == (8,)  # a single image
    assert network(X[:, :0]).shape == (3, 0, 8)  # an empty batch
    with pytest.raises(ValueError, match="input of shape"):
        network(torch.randn(2, 1, 7, 7))


def test_convnet_determinism(device):
    first = ConvNet((1, 8, 8), _generator(5, device), channels=8)
    second = ConvNet((1, 8, 8), _generator(5, device), channels=8)
    other = ConvNet((1, 8, 8), _generator(6, device), channels=8)
    X = torch.randn(4, 1, 8, 8, device=device)
    assert first.weights[0].device.type == device.type
    assert torch.equal(first(X), second(X))
    assert not torch.equal(first(X), other(X))


def test_convnet_rejects_bad_shapes():
    with pytest.raises(ValueError, match="2x2"):
        ConvNet((1, 1, 8), _generator())
    with pytest.raises(ValueError, match="channels, height, width"):
        ConvNet((8, 8), _generator())
    with pytest.raises(ValueError, match="norm"):
        ConvNet((1, 8, 8), _generator(), norm="batch")


def test_convnet_without_norm_uses_biases():
    network = ConvNet((1, 4, 4), _generator(), channels=4, norm="none")
    X = torch.randn(2, 1, 4, 4)
    before = network(X)
    network.biases[0] += 1.0
    assert not torch.equal(before, network(X))


def test_make_embedding_mlp_is_random_mlp_unchanged():
    """make_embedding("mlp") draws exactly RandomMLP's weights (same stream, same output)."""
    made = make_embedding("mlp", (5,), _generator(7), width=16, n_layers=2)
    direct = RandomMLP(5, 16, 2, _generator(7))
    assert isinstance(made, RandomMLP)
    X = torch.randn(3, 5)
    assert torch.equal(made(X), direct(X))
    assert made.output_axes() == [1, 1, None, None]
    defaults = make_embedding("auto", (5,), _generator())
    assert (defaults.width, len(defaults.weights)) == (256, 2)


def test_make_embedding_auto_picks_by_shape():
    assert isinstance(make_embedding("auto", (4,), _generator()), RandomMLP)
    convnet = make_embedding("auto", (3, 8, 8), _generator(), channels=16)
    assert isinstance(convnet, ConvNet) and convnet.width == 16
    with pytest.raises(ValueError, match=r"\(1, H, W\)"):
        make_embedding("auto", (8, 8), _generator())
    # an MLP on images flattens them: same output for image-shaped and flat input
    mlp = make_embedding("mlp", (1, 8, 8), _generator(), width=16)
    images = torch.randn(5, 1, 8, 8, generator=_generator(1))
    assert mlp.width == 16
    flat = RandomMLP(64, 16, 2, _generator())  # the same draw, for flat rows
    torch.testing.assert_close(mlp(images), flat(images.reshape(5, 64)))
    with pytest.raises(ValueError, match="embedding must be one of"):
        make_embedding("resnet", (1, 8, 8), _generator())


class _LinearEmbedding:
    """A user network: one random linear map, PyTorch layout (out, in)."""

    def __init__(self, input_shape, generator, width=3):
        self.weight = torch.randn(width, input_shape[0], generator=generator,
                                  device=generator.device)
        self.width = width

    def parameters(self):
        return [self.weight]

    def __call__(self, X):
        return X @ self.weight.T


def test_make_embedding_user_factory():
    calls = []

    def factory(input_shape, generator, **options):
        calls.append((input_shape, options))
        return _LinearEmbedding(input_shape, generator, **options)

    network = make_embedding(factory, [4], _generator(), width=2)
    assert calls == [((4,), {"width": 2})]
    assert network(torch.ones(3, 4)).shape == (3, 2)
    same = make_embedding(functools.partial(_LinearEmbedding), (4,), _generator())
    again = make_embedding(_LinearEmbedding, (4,), _generator())
    assert torch.equal(same.weight, again.weight)


def test_make_embedding_checks_the_factory_result():
    with pytest.raises(TypeError, match="lacks"):
        make_embedding(lambda shape, generator: object(), (4,), _generator())

    def bad_width(shape, generator):
        network = _LinearEmbedding(shape, generator)
        network.width = 2.5
        return network

    with pytest.raises(TypeError, match="positive int"):
        make_embedding(bad_width, (4,), _generator())


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
