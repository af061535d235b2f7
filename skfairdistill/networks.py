"""Embedding networks and image augmentation, for ``FairDistiller(matching_params={"embedding": ..., "augmentation": ...})``.

The public face of the building blocks the distiller draws every iteration: use
:func:`make_embedding` with options to build an embedding factory (for example
a narrower ConvNet, with or without instance norm), or write a factory of your
own following the contract described in :func:`make_embedding`; use
:class:`SiameseAugment` to choose the image augmentation. Colour jitter blurs a
sensitive attribute coded in colour (coloured digits, grey versus colour images):
there, leave ``"color"`` out, as :data:`NO_COLOR_STRATEGY`, the default for images, does.

Examples
--------
>>> import functools
>>> from skfairdistill import FairDistiller
>>> from skfairdistill.networks import SiameseAugment, make_embedding
>>> narrow = functools.partial(make_embedding, "convnet", channels=32, norm="none")
>>> distiller = FairDistiller(matching_params={
...     "embedding": narrow, "augmentation": SiameseAugment("crop_flip")})
"""

from ._nn.augment import DEFAULT_STRATEGY, NO_COLOR_STRATEGY, OPERATIONS, SiameseAugment
from ._nn.networks import ConvNet, RandomMLP, default_mlp_width, make_embedding

__all__ = [
    "ConvNet",
    "DEFAULT_STRATEGY",
    "NO_COLOR_STRATEGY",
    "OPERATIONS",
    "RandomMLP",
    "SiameseAugment",
    "default_mlp_width",
    "make_embedding",
]
