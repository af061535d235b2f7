"""The embedding networks drawn every iteration: a random MLP for tables, a ConvNet for images.

Written functionally (plain weight tensors), so that a draw is a few random-number calls
on the caller's generator, with no module construction and no global random state.
:func:`make_embedding` draws one, built in or from a user's factory. Every network offers
``network(X)`` (``(..., *input_shape)`` to ``(..., network.width)``),
``network.parameters()`` (leaf weight tensors on the generator's device, whose
``requires_grad`` the warm start and gradient matching switch and which they update in
place), ``network.width`` and optionally ``network.output_axes()``: per parameter, the
axis of its output channels for gradient matching's per-channel cosine distance, or
``None`` to leave it out (without the method: output channels first for tensors of two
or more axes, one-axis tensors left out).
"""

import math
import numbers

import torch
import torch.nn.functional as F

from .convnet import ConvNet, average_pool_2x2  # noqa: F401 (the networks' one home)
from .random_weights import normal_quantiles, random_signs

INITS = ("quantile", "gaussian", "sign")


def default_mlp_width(n_features):
    """The embedding MLP's default width: 128 for up to 128 input values, 256 above.

    Narrower than its input, the first layer compresses it: on the benchmark's
    coloured digits (192 values) a 128-wide MLP was clearly less fair than a 256-wide
    one, while on tables of 10-96 columns 128 was as fair at about 0.65x the time
    (:ref:`benchmarks#the-random-embedding-mlp-weights-and-width-tables`).
    """
    return 128 if n_features <= 128 else 256


class RandomMLP:
    """A randomly drawn ReLU network mapping tabular rows to embeddings.

    ``n_layers`` blocks of [linear -> layer norm (no affine) -> ReLU], with He's
    variance (``2 / fan_in``). Layer norm keeps embeddings of every draw on a
    comparable scale, so the matching loss does not depend on the luck of the draw.

    Parameters
    ----------
    n_features : int
    width : int
        Width of every hidden layer and of the embedding.
    n_layers : int
    generator : torch.Generator
        Source of the random weights; its device is the network's device.
    input_ndim : int, default=1
        Number of trailing axes of one input (3 for images ``(C, H, W)``); they are
        flattened into the ``n_features`` values before the first layer.
    stack : int, default=1
        Draw this many independent networks at once; the embedding is their
        embeddings side by side (``width`` is ``stack`` times the layers' width), so
        that an L1 or squared-L2 distance of embeddings sums the networks' distances.
        Computed in one product per layer, which costs less than ``stack`` networks
        one after the other.
    init : {"quantile", "gaussian", "sign"}, default="quantile"
        Distribution of the weights, always scaled to variance ``2 / fan_in`` (biases:
        ``0.01``). ``"quantile"``: a normal distribution discretised into 256 equally
        likely values, 8 random bits per weight (:func:`normal_quantiles`), drawn for the
        whole network at once. ``"gaussian"``: ``torch.randn`` per tensor, about twice
        as slow to draw on the CPU. ``"sign"``: ±1, one bit per
        weight (the "binary coins" of Achlioptas, 2003, J. Comput. Syst. Sci. 66(4)),
        the fastest, but measurably less fair on small budgets.
        :ref:`benchmarks#the-random-embedding-mlp-weights-and-width-tables` compares
        the three.
    """

    def __init__(self, n_features, width, n_layers, generator, input_ndim=1, init="quantile",
                 stack=1):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}.")
        stack = int(stack)
        # stacked: the first layers side by side in one (n_features, stack * width)
        # matrix (one product for all), the later ones batched (stack, width, width)
        shapes, fan_in = [], n_features
        for layer in range(n_layers):
            if stack == 1:
                shapes += [(fan_in, width), (width,)]
            elif layer == 0:
                shapes += [(fan_in, stack * width), (stack * width,)]
            else:
                shapes += [(stack, fan_in, width), (stack, 1, width)]
            fan_in = width
        sizes = [math.prod(shape) for shape in shapes]
        if init == "gaussian":
            tensors = [torch.randn(shape, generator=generator, device=generator.device)
                       for shape in shapes]
        else:  # one draw for the whole network, split into its tensors
            draw = normal_quantiles if init == "quantile" else random_signs
            tensors = [flat.view(shape) for flat, shape in
                       zip(draw(sum(sizes), generator).split(sizes), shapes)]
        self.weights, self.biases = tensors[0::2], tensors[1::2]
        for weight in self.weights:
            weight.mul_(math.sqrt(2.0 / weight.shape[-2]))
        for bias in self.biases:
            bias.mul_(0.1)
        self.input_ndim = int(input_ndim)
        self.stack = stack
        self.layer_width = width
        self.width = stack * width

    def parameters(self):
        """The network's tensors: the weights, then the biases.

        Returns
        -------
        list of Tensor
            Leaf tensors (the weights and biases of every layer), which a warm
            start trains in place.
        """
        return self.weights + self.biases

    def output_axes(self):
        """Output-channel axis of each tensor of :meth:`parameters` (None: left out).

        Returns
        -------
        list of int or None
            One entry per tensor of :meth:`parameters`: the axis of its output
            channels (1 for the weights, stored ``(fan_in, width)``), None for
            the biases.
        """
        # weights are stored (fan_in, width), stacked ones (stack, fan_in, width): the
        # output channels are the last axis
        return [weight.dim() - 1 for weight in self.weights] + [None] * len(self.biases)

    def __call__(self, X):
        """Embed rows ``X`` of shape (..., n_features) into (..., width).

        Parameters
        ----------
        X : Tensor of shape (..., n_features)
            Rows, with any number of leading (batch) axes; with ``input_ndim > 1``
            the last ``input_ndim`` axes are flattened first.

        Returns
        -------
        Tensor of shape (..., width)
            The embeddings, differentiable with respect to ``X``.
        """
        hidden = X.flatten(-self.input_ndim) if self.input_ndim > 1 else X
        lead = hidden.shape[:-1]
        return self.features(hidden.reshape(-1, hidden.shape[-1]))[-1].reshape(*lead, self.width)

    def features(self, X):
        """The output of every hidden layer (CAFE aligns them all).

        Parameters
        ----------
        X : Tensor of shape (n, n_features) or (n, ...)
            Rows; an image's axes are flattened (2-D, so each bias add fuses
            into one ``addmm``).

        Returns
        -------
        list of Tensor of shape (n, width)
            One per layer, the last being the embedding.
        """
        outputs, hidden = [], X.reshape(len(X), -1)
        if self.stack > 1:
            return self._stacked_features(hidden)
        for weight, bias in zip(self.weights, self.biases):
            # in place: layer norm's backward needs its input, not its output
            hidden = F.relu(F.layer_norm(torch.addmm(bias, hidden, weight), (self.width,)),
                            inplace=True)
            outputs.append(hidden)
        return outputs

    def _stacked_features(self, X):
        """:meth:`features` of ``stack`` networks: every layer's outputs side by side."""
        n, stack, width = len(X), self.stack, self.layer_width
        hidden = torch.addmm(self.biases[0], X, self.weights[0]).view(n, stack, width)
        hidden = F.relu(F.layer_norm(hidden, (width,)), inplace=True)
        outputs = [hidden.view(n, stack * width)]
        for weight, bias in zip(self.weights[1:], self.biases[1:]):
            hidden = torch.baddbmm(bias, hidden.transpose(0, 1), weight)  # (stack, n, width)
            hidden = F.relu(F.layer_norm(hidden, (width,)), inplace=True).transpose(0, 1)
            outputs.append(hidden.reshape(n, stack * width))
        return outputs


EMBEDDINGS = ("auto", "mlp", "convnet")


def make_embedding(kind, input_shape, generator, **options):
    """Draw an embedding network for inputs of ``input_shape``.

    What the ``"embedding"`` key of ``matching_params`` accepts: :ref:`method#embedding`.

    Parameters
    ----------
    kind : {"auto", "mlp", "convnet"} or callable
        ``"mlp"``: a :class:`RandomMLP` for table rows, ``input_shape=(n_features,)``
        (options ``width`` — by default :func:`default_mlp_width`: 128 up to 128 input
        values, 256 above —, ``n_layers=2``, ``init="quantile"``); an image shape is
        flattened. ``"convnet"``: a :class:`ConvNet` for images,
        ``input_shape=(channels, height, width)`` (options ``channels=128``,
        ``depth=3``, ``norm="instance"``, ``affine=False``). ``"auto"``: the MLP for
        one-axis shapes, the ConvNet for three-axis shapes.

        A callable is a user factory, called as
        ``kind(input_shape, generator, **options)``. It must return a freshly drawn
        network with the interface described in this module's docstring:
        ``network(X)`` mapping ``(..., *input_shape)`` to ``(..., network.width)``,
        ``network.parameters()`` returning a list of leaf tensors, ``network.width``,
        and optionally ``network.output_axes()``. Draw every random number from
        ``generator`` (``torch.randn(..., generator=generator,
        device=generator.device)``) so that runs are reproducible, and never touch
        the global random state.
    input_shape : tuple of int
        Shape of one row (``(n_features,)``) or one image (``(C, H, W)``).
    generator : torch.Generator
        The only source of randomness; its device is the network's device.
    **options
        Passed to the network's constructor (or to the factory).

    Returns
    -------
    network
    """
    input_shape = tuple(int(size) for size in input_shape)
    if callable(kind):
        network = kind(input_shape, generator, **options)
        _check_network(network, kind)
        return network
    if kind not in EMBEDDINGS:
        raise ValueError(
            f"embedding must be one of {EMBEDDINGS} or a callable "
            f"factory(input_shape, generator); got {kind!r}."
        )
    if kind == "auto":
        if len(input_shape) not in (1, 3):
            raise ValueError(
                "embedding='auto' needs input_shape=(n_features,) for tables or "
                f"(channels, height, width) for images; got {input_shape}. A grey-scale "
                "image of shape (H, W) is (1, H, W)."
            )
        kind = "mlp" if len(input_shape) == 1 else "convnet"
    if kind == "mlp":
        if len(input_shape) < 1:
            raise ValueError(f"embedding='mlp' needs a non-empty input_shape; got {input_shape}.")
        options = {"width": default_mlp_width(math.prod(input_shape)), "n_layers": 2, **options}
        return RandomMLP(math.prod(input_shape), options.pop("width"), options.pop("n_layers"),
                         generator, input_ndim=len(input_shape), **options)
    return ConvNet(input_shape, generator, **options)


class NetworkStack:
    """Several drawn networks side by side: their embeddings concatenated.

    The generic form of :class:`RandomMLP`'s ``stack`` for any network (a ConvNet, a
    user's factory): each network embeds the rows in turn.
    """

    def __init__(self, networks):
        self.networks = list(networks)
        self.stack = len(self.networks)
        self.width = sum(network.width for network in self.networks)

    def __call__(self, X):
        return torch.cat([network(X) for network in self.networks], dim=-1)

    def parameters(self):
        return [tensor for network in self.networks for tensor in network.parameters()]


def stacked_embedding(factory, stack, input_shape, generator):
    """A :class:`NetworkStack` of ``stack`` networks drawn by ``factory(input_shape, generator)``."""
    return NetworkStack(factory(input_shape, generator) for _ in range(stack))


def _check_network(network, factory):
    name = getattr(factory, "__name__", repr(factory))
    missing = [
        attribute for attribute in ("__call__", "parameters", "width")
        if not hasattr(network, attribute)
    ]
    if missing:
        raise TypeError(
            f"the embedding factory {name} returned {type(network).__name__}, which lacks "
            f"{', '.join(missing)}; a network needs network(X), network.parameters() "
            "and network.width."
        )
    width = network.width
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise TypeError(
            f"the embedding factory {name} returned a network whose width is "
            f"{network.width!r}; it must be the embedding dimension, a positive int."
        )
