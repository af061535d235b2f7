"""Siamese differentiable augmentation (DSA) for images.

:class:`SiameseAugment` draws one random transform from the caller's generator
(:meth:`SiameseAugment.draw`; the global random state is never used) and applies it
alike to the real and the synthetic batch (:meth:`SiameseAugment.apply`),
differentiably, so the matching loss reaches the synthetic pixels. The operations and
their ranges are the DSA authors' (``docs/method.md``, "Colour and augmentation"); scale
and rotation resample with :func:`torch.nn.functional.grid_sample`, the others are
tensor arithmetic and indexing.

Colour jitter blurs a sensitive attribute coded in colour (coloured digits): there, use
:data:`NO_COLOR_STRATEGY`, the library's default for images.
"""

import math

import torch
import torch.nn.functional as F

OPERATIONS = ("color", "crop", "cutout", "flip", "scale", "rotate")
DEFAULT_STRATEGY = "color_crop_cutout_flip_scale_rotate"
NO_COLOR_STRATEGY = "crop_cutout_flip_scale_rotate"
MODES = ("single", "multiple")

# operation -> names of its uniform [0, 1) draws (one value per transform, or per image
# when drawn with batch_size)
_DRAWS = {
    "color": ("brightness", "saturation", "contrast"),
    "crop": ("shift_h", "shift_w"),
    "cutout": ("offset_h", "offset_w"),
    "flip": ("flip",),
    "scale": ("scale_h", "scale_w"),
    "rotate": ("angle",),
}


def parse_strategy(strategy):
    """The operations of a strategy string such as ``"crop_flip"`` (a tuple; ``()`` for none)."""
    if not isinstance(strategy, str):
        raise TypeError(
            f"strategy must be a string of operations joined by '_'; got "
            f"{type(strategy).__name__}."
        )
    if strategy.lower() in ("", "none"):
        return ()
    operations = tuple(strategy.split("_"))
    unknown = [op for op in operations if op not in OPERATIONS]
    if unknown:
        raise ValueError(
            f"unknown augmentation {unknown} in strategy {strategy!r}; the operations are "
            f"{OPERATIONS}, joined by '_', or '' for none."
        )
    return operations


class SiameseAugment:
    """Differentiable image augmentation whose random draw can be shared by two batches.

    ``params = augment.draw(generator)`` draws one transform; ``augment.apply(X,
    params)`` applies it to images ``X`` of shape ``(..., C, H, W)``. Applying the
    same ``params`` to the real batch and to the synthetic batch is the siamese
    augmentation of DSA: with ``batch_size=None`` (the default) one transform is
    drawn and used for every image of both batches, whatever their sizes.
    ``draw(generator, batch_size=n)`` draws one transform per image instead
    (for augmenting one batch of ``n`` images, e.g. when training a network on the
    synthetic set).

    Parameters
    ----------
    strategy : str, default="color_crop_cutout_flip_scale_rotate"
        Operations joined by ``"_"``, from :data:`OPERATIONS`; ``""`` or ``"none"``
        for no augmentation. Drop ``"color"`` when the sensitive attribute is coded
        in colour (see the module notes); :data:`NO_COLOR_STRATEGY` is the default
        strategy without it.
    mode : {"single", "multiple"}, default="single"
        ``"single"`` (the DSA authors' default) applies one operation of the
        strategy per draw, chosen uniformly at random; ``"multiple"`` applies all
        of them in order.
    flip_probability : float, default=0.5
    scale_ratio : float, default=1.2
    rotate_degrees : float, default=15.0
    crop_ratio : float, default=0.125
    cutout_ratio : float, default=0.5
    brightness : float, default=1.0
    saturation : float, default=2.0
    contrast : float, default=0.5

    Notes
    -----
    The parameters returned by :meth:`draw` are a dict: ``"ops"`` (the tuple of
    operations to apply, in order) and, for each of them, its uniform ``[0, 1)``
    draws of shape ``(n,)`` (``n`` = 1 or the batch size), named as in ``_DRAWS``.
    They are converted to pixels in :meth:`apply`, so a draw does not depend on the
    image size.
    """

    def __init__(
        self,
        strategy=DEFAULT_STRATEGY,
        *,
        mode="single",
        flip_probability=0.5,
        scale_ratio=1.2,
        rotate_degrees=15.0,
        crop_ratio=0.125,
        cutout_ratio=0.5,
        brightness=1.0,
        saturation=2.0,
        contrast=0.5,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
        self.strategy = strategy
        self.operations = parse_strategy(strategy)
        self.mode = mode
        self.flip_probability = flip_probability
        self.scale_ratio = scale_ratio
        self.rotate_degrees = rotate_degrees
        self.crop_ratio = crop_ratio
        self.cutout_ratio = cutout_ratio
        self.brightness = brightness
        self.saturation = saturation
        self.contrast = contrast

    def __repr__(self):
        return f"SiameseAugment(strategy={self.strategy!r}, mode={self.mode!r})"

    def choose(self, n, generator):
        """The operations of ``n`` future draws in ``"single"`` mode, as a list of indices.

        Drawn in one call, so that a loop on a GPU reads them from the device once
        instead of once per draw (pass each to :meth:`draw` as ``operation``).

        Parameters
        ----------
        n : int
            Number of draws to choose the operation of.
        generator : torch.Generator
            Source of randomness (on the device of the run).

        Returns
        -------
        list of int or None
            ``n`` indices into the strategy's operations; None in ``"multiple"``
            mode or with fewer than two operations (nothing is drawn).
        """
        if self.mode != "single" or len(self.operations) < 2:
            return None
        choices = torch.randint(len(self.operations), (int(n),), generator=generator,
                                device=generator.device)
        return choices.tolist()

    def draw(self, generator, batch_size=None, operation=None):
        """Draw one random transform (``batch_size=None``) or one per image.

        In ``"single"`` mode, ``operation`` (an index into the strategy's
        operations, e.g. from :meth:`choose`) fixes the operation instead of
        drawing it. An empty strategy draws nothing (the generator is left
        untouched).

        Parameters
        ----------
        generator : torch.Generator
            Source of randomness; the drawn values live on its device.
        batch_size : int or None, default=None
            None draws one transform shared by all the images it is applied to
            (siamese use: the same for the real and the synthetic images); an int
            draws one per image of a batch of that size.
        operation : int or None, default=None
            ``"single"`` mode: index of the operation to use instead of drawing it.

        Returns
        -------
        dict
            The transform: ``"ops"``, the operations applied, and the random
            values of each (tensors of length 1 or ``batch_size``), to pass to
            :meth:`apply`.
        """
        if not self.operations:
            return {"ops": ()}
        device = generator.device
        if self.mode == "single" and len(self.operations) > 1:
            if operation is None:  # one value read back from the device
                operation = int(torch.randint(len(self.operations), (1,), generator=generator,
                                              device=device).item())
            operations = (self.operations[operation],)
        else:
            operations = self.operations
        n = 1 if batch_size is None else int(batch_size)
        params = {"ops": operations}
        for op in operations:
            for name in _DRAWS[op]:
                params[name] = torch.rand(n, generator=generator, device=device)
        return params

    def apply(self, X, params):
        """Apply a drawn transform to images ``X`` of shape ``(..., C, H, W)``.

        Differentiable with respect to ``X``.

        Parameters
        ----------
        X : Tensor of shape (..., C, H, W)
            Images, with any number of leading (batch) axes.
        params : dict
            A transform from :meth:`draw`, shared (drawn with ``batch_size=None``)
            or one per image (drawn for the number of images of ``X``).

        Returns
        -------
        Tensor of the shape of ``X``
            The transformed images; ``X`` itself when the transform has no
            operation.

        Raises
        ------
        ValueError
            If ``X`` has fewer than 3 axes, or the transform was drawn for another
            number of images.
        """
        if not params["ops"]:
            return X
        if X.dim() < 3:
            raise ValueError(
                f"augmentation needs images of shape (..., C, H, W); got shape {tuple(X.shape)}."
            )
        shape = X.shape
        x = X.reshape(-1, *shape[-3:])
        for op in params["ops"]:
            draws = [params[name].to(device=x.device, dtype=x.dtype) for name in _DRAWS[op]]
            for draw in draws:
                if draw.shape[0] not in (1, x.shape[0]):
                    raise ValueError(
                        f"the transform was drawn for {draw.shape[0]} images but is applied "
                        f"to {x.shape[0]}; draw with batch_size=None (shared) or the batch size."
                    )
            x = getattr(self, "_" + op)(x, *draws)
        return x.reshape(shape)

    # --- the operations: x is (N, C, H, W); each draw is (1,) or (N,) in [0, 1) ---

    def _color(self, x, u_brightness, u_saturation, u_contrast):
        x = x + ((u_brightness - 0.5) * self.brightness).view(-1, 1, 1, 1)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (u_saturation * self.saturation).view(-1, 1, 1, 1) + mean
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return (x - mean) * (u_contrast + self.contrast).view(-1, 1, 1, 1) + mean

    def _crop(self, x, u_h, u_w):
        height, width = x.shape[-2:]
        rows, valid_rows = _shifted(height, u_h, self.crop_ratio)
        cols, valid_cols = _shifted(width, u_w, self.crop_ratio)
        n, channels = x.shape[0], x.shape[1]
        x = x.gather(2, rows.view(-1, 1, height, 1).expand(n, channels, height, width))
        x = x.gather(3, cols.view(-1, 1, 1, width).expand(n, channels, height, width))
        mask = valid_rows.view(-1, 1, height, 1) & valid_cols.view(-1, 1, 1, width)
        return x * mask.to(x.dtype)

    def _cutout(self, x, u_h, u_w):
        height, width = x.shape[-2:]
        cut_rows = _window(height, u_h, self.cutout_ratio)
        cut_cols = _window(width, u_w, self.cutout_ratio)
        cut = cut_rows.view(-1, 1, height, 1) & cut_cols.view(-1, 1, 1, width)
        return x * (~cut).to(x.dtype)

    def _flip(self, x, u):
        return torch.where((u < self.flip_probability).view(-1, 1, 1, 1), x.flip(3), x)

    def _scale(self, x, u_h, u_w):
        low, high = 1.0 / self.scale_ratio, self.scale_ratio
        s_h, s_w = u_h * (high - low) + low, u_w * (high - low) + low
        zero = torch.zeros_like(s_h)
        theta = torch.stack(
            [torch.stack([s_w, zero, zero], -1), torch.stack([zero, s_h, zero], -1)], 1
        )
        return _warp(x, theta)

    def _rotate(self, x, u):
        angle = (u - 0.5) * 2 * self.rotate_degrees / 180 * math.pi
        cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros_like(angle)
        theta = torch.stack(
            [torch.stack([cos, sin, zero], -1), torch.stack([-sin, cos, zero], -1)], 1
        )
        return _warp(x, theta)


def _warp(x, theta):
    """Resample ``x`` with affine maps ``theta`` of shape (1 or N, 2, 3)."""
    theta = theta.expand(x.shape[0], 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _shifted(size, u, ratio):
    """Source index of every output pixel after an integer shift, and whether it is inside."""
    limit = int(size * ratio + 0.5)
    shift = torch.floor(u * (2 * limit + 1)).long() - limit  # in [-limit, limit]
    source = torch.arange(size, device=u.device).unsqueeze(0) + shift.unsqueeze(1)
    valid = (source >= 0) & (source < size)
    return source.clamp(0, size - 1), valid


def _window(size, u, ratio):
    """Boolean (n, size): the pixels of a cut-out window along one axis."""
    length = int(size * ratio + 0.5)
    centre = torch.floor(u * (size + (1 - length % 2))).long()
    start = (centre - length // 2).unsqueeze(1)
    index = torch.arange(size, device=u.device).unsqueeze(0)
    return (index >= start) & (index < start + length)
