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

from .random_weights import normal_quantiles, random_signs



INITS = ("quantile", "gaussian", "sign")
# Without gradients, a ConvNet on a CPU embeds a large batch in blocks whose first
# feature maps take about this many bytes: they stay in the cache between the
# convolution, the norm and the pooling, which saves 15-20 % of the real images'
# embedding (128 channels, 8x8 and 32x32 images, 1 thread; docs/benchmarks.md).
# Each image's embedding is independent of the others in its batch.
CPU_BLOCK_BYTES = 4 * 2**20


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


class ConvNet:
    """A randomly drawn ConvNet-3 mapping images to embeddings.

    The dataset-distillation field's standard network (DC, DSA, DM, FairDD, COBRA):
    ``depth`` blocks of [3x3 convolution (padding 1), ``channels`` channels ->
    instance norm without affine parameters -> ReLU -> 2x2 average pooling],
    then the feature map is flattened. He-initialised convolution weights, zero
    biases (instance norm removes a per-channel bias anyway).

    Small images: a block pools only while the map it hands on keeps at least
    2x2 pixels (instance norm over a single pixel would output zeros); the last
    block always pools when it can. So 32x32 -> 4x4 maps (``width`` = 2048 for 128
    channels), 28x28 -> 3x3 (1152), 8x8 digits -> 1x1 (128) with all three
    poolings, 4x4 -> 1x1 with two poolings, 3x3 -> 1x1 with one. Images need at
    least 2 pixels on each side.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image.
    generator : torch.Generator
        Source of the random weights; its device is the network's device.
    channels : int, default=128
        Channels of every convolution.
    depth : int, default=3
        Number of blocks.
    norm : {"instance", "none"}, default="instance"
    affine : bool, default=False
        Give instance norm a learnable per-channel scale and shift (ones and
        zeros, no random draw), as the authors' ``nn.GroupNorm(C, C, affine=True)``
        of the networks they train in evaluation. Useless for a network that is
        drawn and never trained, so off by default.

    Attributes
    ----------
    width : int
        Embedding dimension: ``channels * final_height * final_width``.
    poolings : list of bool
        Whether each block pools.
    """

    def __init__(self, input_shape, generator, channels=128, depth=3, norm="instance",
                 affine=False):
        input_shape = tuple(int(size) for size in input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"ConvNet needs input_shape=(channels, height, width); got {input_shape}."
            )
        in_channels, height, width = input_shape
        if in_channels < 1 or min(height, width) < 2:
            raise ValueError(
                "ConvNet needs at least one channel and images of at least 2x2 pixels; "
                f"got input_shape={input_shape}."
            )
        if int(channels) < 1 or int(depth) < 1:
            raise ValueError(f"channels and depth must be >= 1; got {channels} and {depth}.")
        if norm not in ("instance", "none"):
            raise ValueError(f"norm must be 'instance' or 'none'; got {norm!r}.")
        if affine and norm != "instance":
            raise ValueError("affine=True needs norm='instance' (the scale and shift are its).")
        device = generator.device
        self.input_shape = input_shape
        self.channels, self.depth, self.norm = int(channels), int(depth), norm
        self.weights, self.biases, self.poolings = [], [], []
        fan_in = in_channels
        for block in range(self.depth):
            std = math.sqrt(2.0 / (fan_in * 9))
            self.weights.append(
                torch.randn(self.channels, fan_in, 3, 3, generator=generator, device=device) * std
            )
            self.biases.append(torch.zeros(self.channels, device=device))
            last = block == self.depth - 1
            pool = min(height, width) // 2 >= 2 or (last and min(height, width) >= 2)
            self.poolings.append(pool)
            if pool:
                height, width = height // 2, width // 2
            fan_in = self.channels
        self.width = self.channels * height * width
        # one scale and shift per channel and block: trained in evaluation, absent otherwise
        self.norm_weights = [torch.ones(self.channels, device=device)
                             for _ in range(self.depth) if affine]
        self.norm_biases = [torch.zeros(self.channels, device=device)
                            for _ in range(self.depth) if affine]

    def parameters(self):
        """The network's tensors: the weights, then the biases.

        Returns
        -------
        list of Tensor
            Leaf tensors (the weights and biases of every layer, then the norm's
            scales and shifts with ``affine=True``), which a warm start trains in
            place.
        """
        return self.weights + self.biases + self.norm_weights + self.norm_biases

    def output_axes(self):
        """Output-channel axis of each tensor of :meth:`parameters` (None: left out).

        Returns
        -------
        list of int or None
            One entry per tensor of :meth:`parameters`: the axis of its output
            channels (0 for the convolution weights), None for the biases and
            the norm's scales and shifts.
        """
        n_vectors = len(self.biases) + len(self.norm_weights) + len(self.norm_biases)
        return [0] * len(self.weights) + [None] * n_vectors

    def __call__(self, X):
        """Embed images ``X`` of shape (..., C, H, W), or flat (..., C*H*W), into (..., width).

        Parameters
        ----------
        X : Tensor of shape (..., C, H, W) or (..., C*H*W)
            Images of ``input_shape``, with any number of leading (batch) axes.

        Returns
        -------
        Tensor of shape (..., width)
            The embeddings, differentiable with respect to ``X``.

        Raises
        ------
        ValueError
            If the trailing axes of ``X`` are neither ``input_shape`` nor its size.
        """
        n_values = math.prod(self.input_shape)
        if X.dim() >= 3 and tuple(X.shape[-3:]) == self.input_shape:
            lead = X.shape[:-3]
        elif X.dim() >= 1 and X.shape[-1] == n_values:
            lead = X.shape[:-1]
        else:
            raise ValueError(
                f"ConvNet for images of shape {self.input_shape} got input of shape "
                f"{tuple(X.shape)}; expected (..., {', '.join(map(str, self.input_shape))}) "
                f"or (..., {n_values})."
            )
        images = X.reshape(math.prod(lead), *self.input_shape)
        map_bytes = self.channels * math.prod(self.input_shape[1:]) * images.element_size()
        block = max(1, CPU_BLOCK_BYTES // map_bytes)
        if images.device.type == "cpu" and not torch.is_grad_enabled() and len(images) > block:
            embedded = torch.cat([self.features(part)[-1] for part in images.split(block)])
        else:
            embedded = self.features(images)[-1]
        return embedded.reshape(*lead, self.width)

    def features(self, X):
        """Every block's feature map before its pooling, then the embedding (CAFE's layers).

        Parameters
        ----------
        X : Tensor of shape (n, C, H, W)

        Returns
        -------
        list of Tensor
            ``depth`` maps of shape ``(n, channels, h, w)`` (after the ReLU, before
            the pooling: the layers the CAFE authors' ConvNet returns), then the
            flattened embedding ``(n, width)``.
        """
        outputs, hidden = [], X
        scales = self.norm_weights or [None] * self.depth
        shifts = self.norm_biases or [None] * self.depth
        for weight, bias, pool, scale, shift in zip(self.weights, self.biases, self.poolings,
                                                    scales, shifts):
            hidden = F.conv2d(hidden, weight, bias, padding=1)
            if self.norm == "instance":
                hidden = F.group_norm(hidden, self.channels, scale, shift)  # a group per channel
            hidden = F.relu(hidden, inplace=True)  # backward needs the norm's input only
            outputs.append(hidden)
            if pool:
                hidden = average_pool_2x2(hidden)
        return outputs + [hidden.reshape(len(hidden), self.width)]


def average_pool_2x2(maps):
    """``F.avg_pool2d(maps, 2)``, bitwise; on a CPU as the sum of the four strided quarters.

    The sum takes the window's pixels in the order the CPU kernel of ``avg_pool2d``
    does, so the values and the gradients are the same bits, at half the forward
    time for the ConvNet's maps (docs/benchmarks.md). Other devices keep the kernel.
    """
    if maps.device.type != "cpu":
        return F.avg_pool2d(maps, 2)
    even = maps[..., : maps.shape[-2] // 2 * 2, : maps.shape[-1] // 2 * 2]  # floor, as the kernel
    return (((even[..., 0::2, 0::2] + even[..., 0::2, 1::2]) + even[..., 1::2, 0::2])
            + even[..., 1::2, 1::2]) / 4


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
