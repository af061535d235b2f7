"""Embedding networks (skfairdistill._nn.networks, public in skfairdistill.networks): RandomMLP,
the ConvNet-3 and make_embedding."""

import functools

import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._nn import convnet as _convnet
from skfairdistill._nn import networks as _networks
from skfairdistill._nn.networks import ConvNet, RandomMLP, make_embedding

from conftest import make_grouped_data


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
    with pytest.raises(ValueError, match=r"^ConvNet for images of shape \(1, 8, 8\) got input of "
                                         r"shape \(2, 1, 7, 7\); expected \(\.\.\., 1, 8, 8\) "
                                         r"or \(\.\.\., 64\)"):
        network(torch.randn(2, 1, 7, 7))


def test_convnet_embeds_large_cpu_batches_in_blocks_with_the_same_result(monkeypatch):
    # 8 channels of 8x8 float32 maps: 2 KiB per image, so blocks of 3 images here
    monkeypatch.setattr(_convnet, "CPU_BLOCK_BYTES", 3 * 8 * 64 * 4)
    network = ConvNet((1, 8, 8), _generator(), channels=8)
    X = torch.randn(2, 5, 1, 8, 8, generator=_generator(1))
    calls = []
    features = network.features
    monkeypatch.setattr(network, "features", lambda part: calls.append(len(part))
                        or features(part))
    whole = network(X)  # with gradients enabled: one batch
    assert calls == [10]
    with torch.no_grad():
        blocked = network(X)
    assert calls[1:] == [3, 3, 3, 1]
    torch.testing.assert_close(blocked, whole.detach(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 4, 8, 8), (2, 5, 4, 4), (2, 3, 5, 9), (1, 2, 2, 2)])
def test_average_pool_2x2_is_avg_pool2d_bitwise(shape):
    maps = torch.relu(torch.randn(*shape, generator=_generator(2))).requires_grad_()
    ours = _convnet.average_pool_2x2(maps)
    theirs = torch.nn.functional.avg_pool2d(maps, 2)
    assert torch.equal(ours, theirs)
    upstream = torch.randn(theirs.shape, generator=_generator(3))
    (ours_grad,) = torch.autograd.grad(ours, maps, upstream)
    (theirs_grad,) = torch.autograd.grad(theirs, maps, upstream)
    assert torch.equal(ours_grad, theirs_grad)


def test_convnet_determinism(device):
    first = ConvNet((1, 8, 8), _generator(5, device), channels=8)
    second = ConvNet((1, 8, 8), _generator(5, device), channels=8)
    other = ConvNet((1, 8, 8), _generator(6, device), channels=8)
    X = torch.randn(4, 1, 8, 8, device=device)
    assert first.weights[0].device.type == device.type
    assert torch.equal(first(X), second(X))
    assert not torch.equal(first(X), other(X))


def test_convnet_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"^ConvNet needs at least one channel and images of at "
                                         r"least 2x2 pixels; got input_shape=\(1, 1, 8\), the "
                                         r"\(C, H, W\) of one image of X .*image_shape.*"
                                         r"matching_params=\{'embedding': 'mlp'\}"):
        ConvNet((1, 1, 8), _generator())
    with pytest.raises(ValueError, match=r"^ConvNet needs input_shape=\(channels, height, width\); "
                                         r"got \(8, 8\)"):
        ConvNet((8, 8), _generator())
    with pytest.raises(ValueError, match="^norm must be 'instance' or 'none'; got 'batch'"):
        ConvNet((1, 8, 8), _generator(), norm="batch")


def test_convnet_without_norm_uses_biases():
    network = ConvNet((1, 4, 4), _generator(), channels=4, norm="none")
    X = torch.randn(2, 1, 4, 4)
    before = network(X)
    network.biases[0] += 1.0
    assert not torch.equal(before, network(X))


def test_convnet_affine_norm_starts_as_the_plain_norm_and_is_trainable():
    plain = ConvNet((3, 8, 8), torch.Generator().manual_seed(0), channels=4)
    affine = ConvNet((3, 8, 8), torch.Generator().manual_seed(0), channels=4, affine=True)
    X = torch.randn(5, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(plain(X), affine(X), atol=1e-6)  # scale 1, shift 0, nothing drawn
    assert len(affine.parameters()) == len(plain.parameters()) + 2 * 3
    assert affine.output_axes() == plain.output_axes() + [None] * 6
    scale = affine.parameters()[-6].requires_grad_(True)
    affine(X).sum().backward()
    assert scale.grad is not None and scale.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="affine=True needs norm='instance'"):
        ConvNet((3, 8, 8), torch.Generator(), norm="none", affine=True)


def test_make_embedding_mlp_is_random_mlp_unchanged():
    """make_embedding("mlp") draws exactly RandomMLP's weights (same stream, same output)."""
    made = make_embedding("mlp", (5,), _generator(7), width=16, n_layers=2)
    direct = RandomMLP(5, 16, 2, _generator(7))
    assert isinstance(made, RandomMLP)
    X = torch.randn(3, 5)
    assert torch.equal(made(X), direct(X))
    assert made.output_axes() == [1, 1, None, None]
    defaults = make_embedding("auto", (5,), _generator())
    assert (defaults.width, len(defaults.weights)) == (128, 2)


@pytest.mark.parametrize("init", ["quantile", "gaussian", "sign"])
def test_random_mlp_weight_scales(init):
    """He's variance 2 / fan_in for the weights, 0.01 for the biases, whatever the init."""
    network = RandomMLP(50, 512, 2, _generator(3), init=init)
    for weight in network.weights:
        assert weight.var().item() == pytest.approx(2.0 / weight.shape[0], rel=0.05)
    for bias in network.biases:
        assert bias.var().item() == pytest.approx(0.01, rel=0.25)
    again = RandomMLP(50, 512, 2, _generator(3), init=init)
    assert all(torch.equal(a, b) for a, b in zip(network.parameters(), again.parameters()))
    if init == "sign":
        assert torch.equal(network.weights[1].abs(),
                           torch.full_like(network.weights[1], (2.0 / 512) ** 0.5))


def test_random_mlp_gaussian_init_draws_weight_then_bias():
    """init="gaussian" draws each layer's weight, then its bias, with torch.randn."""
    network = RandomMLP(5, 16, 2, _generator(7), init="gaussian")
    generator = _generator(7)
    for weight, bias in zip(network.weights, network.biases):
        expected = torch.randn(weight.shape, generator=generator) * (2.0 / weight.shape[0]) ** 0.5
        assert torch.allclose(weight, expected)
        assert torch.allclose(bias, torch.randn(bias.shape, generator=generator) * 0.1)
    with pytest.raises(ValueError, match="init must be one of"):
        RandomMLP(5, 16, 2, _generator(), init="uniform")


def test_random_mlp_is_a_layer_normed_relu_network():
    """The forward pass is [linear -> layer norm -> ReLU] per layer, gradients included."""
    network = RandomMLP(5, 16, 2, _generator(2))

    def reference(hidden):
        for weight, bias in zip(network.weights, network.biases):
            hidden = torch.relu(torch.nn.functional.layer_norm(hidden @ weight + bias, (16,)))
        return hidden

    X = torch.randn(4, 5, generator=_generator(9), requires_grad=True)
    X_ref = X.detach().clone().requires_grad_(True)
    out, expected = network(X), reference(X_ref)
    assert torch.allclose(out, expected, atol=1e-6)
    out.sum().backward()  # the in-place ReLU keeps the graph valid
    expected.sum().backward()
    assert torch.allclose(X.grad, X_ref.grad, atol=1e-5)


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
    with pytest.raises(TypeError, match="returned object, which lacks __call__, parameters, width"):
        make_embedding(lambda shape, generator: object(), (4,), _generator())

    def bad_width(shape, generator):
        network = _LinearEmbedding(shape, generator)
        network.width = 2.5
        return network

    with pytest.raises(TypeError, match=r"returned a network whose width is 2\.5; it must be the "
                                        "embedding dimension, a positive int"):
        make_embedding(bad_width, (4,), _generator())


def test_features_end_with_the_embedding():
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(5, 3, 8, 8)
    network = make_embedding("convnet", (3, 8, 8), generator, channels=4)
    layers = network.features(X)
    assert [tuple(layer.shape) for layer in layers] == [
        (5, 4, 8, 8), (5, 4, 4, 4), (5, 4, 2, 2), (5, 4)]
    torch.testing.assert_close(layers[-1], network(X), rtol=0, atol=0)
    mlp = make_embedding("mlp", (6,), generator, width=8)
    rows = torch.randn(5, 6)
    assert len(mlp.features(rows)) == 2
    torch.testing.assert_close(mlp.features(rows)[-1], mlp(rows), rtol=0, atol=0)


def test_the_public_module_is_the_private_one():
    import skfairdistill._nn.augment as augment
    import skfairdistill.networks as public

    for name in public.__all__:
        home = augment if hasattr(augment, name) else _networks
        assert getattr(public, name) is getattr(home, name), name


def test_a_stack_of_mlps_is_its_networks_side_by_side():
    """RandomMLP(stack=k): k independent networks computed at once; each block of the
    embedding is what that network alone gives."""
    import torch.nn.functional as F
    from skfairdistill._nn.networks import RandomMLP

    net = RandomMLP(7, 5, 3, torch.Generator().manual_seed(0), stack=4)
    assert net.width == 20 and net.stack == 4
    X = torch.randn(11, 7, generator=torch.Generator().manual_seed(1))
    out = net(X)
    assert out.shape == (11, 20)
    blocks = []
    for k in range(4):
        hidden = F.relu(F.layer_norm(X @ net.weights[0][:, 5 * k:5 * k + 5]
                                     + net.biases[0][5 * k:5 * k + 5], (5,)))
        for weight, bias in zip(net.weights[1:], net.biases[1:]):
            hidden = F.relu(F.layer_norm(hidden @ weight[k] + bias[k], (5,)))
        blocks.append(hidden)
    torch.testing.assert_close(out, torch.cat(blocks, 1), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(blocks[0], blocks[1])  # independent draws


def test_a_network_stack_concatenates_any_factory():
    from skfairdistill._nn.networks import make_embedding, stacked_embedding

    factory = functools.partial(make_embedding, "convnet", channels=4, depth=1)
    stack = stacked_embedding(factory, 3, (3, 4, 4), torch.Generator().manual_seed(0))
    assert stack.stack == 3 and stack.width == 3 * stack.networks[0].width
    images = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    out = stack(images)
    assert out.shape == (2, stack.width)
    torch.testing.assert_close(out[:, :stack.networks[0].width], stack.networks[0](images))
    assert len(stack.parameters()) == 3 * len(stack.networks[0].parameters())


def test_a_fit_on_images_too_small_to_convolve_names_x_and_image_shape():
    # X of shape (n, 1, 3) reads as images of 1x3 pixels; the MLP takes them as they are
    X, y, A = make_grouped_data(n_samples=40, n_features=3)
    images = X.reshape(40, 1, 3)
    fast = dict(n_per_class=2, n_iter=2, random_state=0, device="cpu")
    with pytest.raises(ValueError, match=r"got input_shape=\(1, 1, 3\), the \(C, H, W\) of one "
                                         r"image of X \(its axes after the first, or "
                                         r"image_shape\)"):
        FairDistiller(**fast).fit(images, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**fast, matching_params={"embedding": "mlp"}).fit_resample(
        images, y, sensitive_features=A)
    assert X_syn.shape == (4, 1, 3)
