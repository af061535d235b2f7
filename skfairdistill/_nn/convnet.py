"""The ConvNet-3 of the dataset-distillation field, drawn at random, for images.

Written functionally, as the MLP of :mod:`skfairdistill._nn.networks` (which
:func:`~skfairdistill._nn.networks.make_embedding` draws it through).
"""

import math

import torch
import torch.nn.functional as F

# Without gradients, a ConvNet on a CPU embeds a large batch in blocks whose first
# feature maps take about this many bytes: they stay in the cache between the
# convolution, the norm and the pooling, which saves 15-20 % of the real images'
# embedding (128 channels, 8x8 and 32x32 images, 1 thread; docs/benchmarks.md).
# Each image's embedding is independent of the others in its batch.
CPU_BLOCK_BYTES = 4 * 2**20


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
            # reached from a fit with images of X too small to convolve: say where the
            # shape came from and what works instead
            raise ValueError(
                "ConvNet needs at least one channel and images of at least 2x2 pixels; "
                f"got input_shape={input_shape}, the (C, H, W) of one image of X (its axes "
                "after the first, or image_shape). Pass X as rows (n_samples, n_features) "
                "to distil a table, set image_shape to the images' true shape, or use a "
                "network that takes any shape (matching_params={'embedding': 'mlp'})."
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
