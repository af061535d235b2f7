"""Random weights drawn cheaply from the caller's generator: 8-bit normals and 1-bit signs.

Distribution matching draws a fresh network every iteration; on the CPU, drawing its
weights with ``torch.randn`` (32 random bits a value) is a large part of the cost. These
draw 8 bits (or 1 bit) a value; the choice: ``docs/benchmarks.md``, "The random
embedding MLP".
"""

import functools

import torch


def random_bytes(n_bytes, generator):
    """``n_bytes`` independent uniform random bytes (uint8) on the generator's device."""
    words = torch.empty(-(-n_bytes // 8), dtype=torch.int64, device=generator.device)
    words.random_(-(2**63), None, generator=generator)  # from the int64 minimum: all 64 bits
    return words.view(torch.uint8)[:n_bytes]


def normal_quantiles(n_values, generator):
    """``n_values`` standard-normal values drawn with 8 random bits each (float32).

    A random byte ``b`` gives the ``(b + 1/2) / 256`` quantile of the standard normal,
    rescaled so that the 256 values have variance 1: a normal distribution discretised
    into 256 equally likely values (the largest is 2.9). ``torch.randn`` spends 32
    random bits per value; on the CPU, drawing a 256 x 256 layer with it takes more
    than half as long as that layer's product over a whole mini-batch. The 256 values
    are computed once (in float64) and looked up, which costs less than an ``erfinv``
    per value.
    """
    codes = random_bytes(n_values, generator).long()
    return _quantile_levels(generator.device).index_select(0, codes)


@functools.lru_cache(maxsize=None)
def _quantile_levels(device):
    """The 256 values of :func:`normal_quantiles`, float32, on ``device``."""
    # Phi^-1(u) = sqrt(2) erfinv(2u - 1), and 2u - 1 = (2b + 1) / 256 - 1
    levels = torch.erfinv((2 * torch.arange(256, dtype=torch.float64) + 1) / 256 - 1)
    levels *= levels.pow(2).mean().rsqrt()  # variance 1; their mean is 0 by symmetry
    return levels.to(device=device, dtype=torch.float32)


def random_signs(n_values, generator):
    """``n_values`` independent fair ±1 values (float32), one random bit each."""
    codes = random_bytes(-(-n_values // 8), generator).long()
    return _byte_signs(generator.device).index_select(0, codes).view(-1)[:n_values]


@functools.lru_cache(maxsize=None)
def _byte_signs(device):
    """Row b holds the 8 bits of the byte b as ±1 values: a lookup table for unpacking."""
    bits = (torch.arange(256).unsqueeze(1) >> torch.arange(8)) & 1
    return (2.0 * bits - 1.0).to(device=device, dtype=torch.float32)
