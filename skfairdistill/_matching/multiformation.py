"""IDC's multi-formation: one stored image decoded into factor² training images, batched.

:func:`decode` splits each stored image ``(C, H, W)`` into a ``factor × factor`` grid of
patches and upsamples every patch bilinearly back to ``(H, W)`` (the IDC authors'
``decode_zoom``, ``align_corners=False``), each keeping the stored image's label;
:func:`encode` builds stored images from factor² real ones. Decoding is linear with
weights summing to one, so it commutes with the per-channel standardisation. Used by
:mod:`~skfairdistill._matching.idc`.
"""

import torch.nn.functional as F


def check_divisible(shape, factor):
    """Refuse images (``shape`` ends in ``(C, H, W)``) the ``factor × factor`` grid cannot split."""
    height, width = shape[-2:]
    if height % factor or width % factor:
        raise ValueError(
            f"matching='idc' splits each image into a {factor} x {factor} grid, so the "
            f"height and width must be multiples of {factor}; got image_shape="
            f"{tuple(shape)[-3:]}. Crop or pad the images first."
        )


def decode(stored, factor):
    """The ``factor²`` training images of every stored image, differentiable.

    Parameters
    ----------
    stored : Tensor of shape (n, C, H, W)
    factor : int
        ``H`` and ``W`` must be multiples of it.

    Returns
    -------
    Tensor of shape (n * factor**2, C, H, W)
        Image ``i``'s patches are rows ``i * factor**2`` to ``(i + 1) * factor**2 - 1``,
        row-major over the grid (the authors' code orders them patch by patch
        instead; the set is the same).
    """
    n, channels, height, width = stored.shape
    if factor == 1:
        return stored
    check_divisible(stored.shape, factor)
    ph, pw = height // factor, width // factor
    # (n, C, i, y, j, x) -> (n, i, j, C, y, x): one patch per (image, grid cell)
    patches = stored.reshape(n, channels, factor, ph, factor, pw).permute(0, 2, 4, 1, 3, 5)
    patches = patches.reshape(n * factor * factor, channels, ph, pw)
    return F.interpolate(patches, size=(height, width), mode="bilinear", align_corners=False)


def encode(images, factor):
    """Stored images that tile ``factor²`` downsampled images each (IDC's "mix" start).

    The authors start a stored image from ``factor²`` real images of its class,
    each resized to one grid cell (``Synthesizer.init(init_type="mix")``, nearest
    neighbour); here each is averaged over ``factor × factor`` blocks (area), which
    uses every pixel. :func:`decode` of the result gives blurred versions of the
    ``images`` back, in the same order.

    Parameters
    ----------
    images : Tensor of shape (n * factor**2, C, H, W)
        Consecutive groups of ``factor**2`` images make one stored image.
    factor : int

    Returns
    -------
    Tensor of shape (n, C, H, W)
    """
    if factor == 1:
        return images
    check_divisible(images.shape, factor)
    total, channels, height, width = images.shape
    n, ph, pw = total // (factor * factor), height // factor, width // factor
    small = F.interpolate(images, size=(ph, pw), mode="area")
    # (n, i, j, C, y, x) -> (n, C, i, y, j, x): the inverse of decode's split
    small = small.reshape(n, factor, factor, channels, ph, pw).permute(0, 3, 1, 4, 2, 5)
    return small.reshape(n, channels, height, width).contiguous()


__all__ = ["check_divisible", "decode", "encode"]
