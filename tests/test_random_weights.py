"""The random draws of the networks' weights (skfairdistill._nn.random_weights): bytes with
every bit random, a discretised standard normal, fair signs; all from the generator."""

import pytest
import torch

from skfairdistill._nn.random_weights import normal_quantiles, random_bytes, random_signs


def _generator(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


def test_random_bytes_use_every_bit(device):
    """Every bit of the drawn int64 words is random (torch's plain random_() on int64
    leaves the top bit at 0), and the draw follows the generator."""
    codes = random_bytes(80_000, _generator(0, device)).cpu()
    assert codes.dtype == torch.uint8 and codes.shape == (80_000,)
    bits = ((codes.unsqueeze(1).long() >> torch.arange(8)) & 1).double()
    by_position = bits.view(-1, 8, 8).mean(0)  # (byte of the word, bit of the byte)
    # 10,000 words: each position is 1 with frequency 0.5 +- 0.005 (1 std)
    assert by_position.min() > 0.47 and by_position.max() < 0.53
    assert torch.equal(codes, random_bytes(80_000, _generator(0, device)).cpu())
    assert not torch.equal(codes, random_bytes(80_000, _generator(1, device)).cpu())


def test_normal_quantiles_are_a_discretised_standard_normal(device):
    values = normal_quantiles(200_000, _generator(0, device))
    assert values.dtype == torch.float32 and values.device.type == device.type
    values = values.cpu().double()
    levels = values.unique()
    assert len(levels) == 256
    # the 256 levels are symmetric, of variance 1, at the normal's (b + 1/2) / 256 quantiles
    assert torch.allclose(levels, -levels.flip(0), atol=1e-6)
    assert levels.pow(2).mean().item() == pytest.approx(1.0, abs=1e-5)
    normal = torch.distributions.Normal(0.0, 1.0)
    quantiles = normal.icdf((torch.arange(256, dtype=torch.float64) + 0.5) / 256)
    assert torch.allclose(levels / quantiles, levels[-1] / quantiles[-1], rtol=1e-4)
    # and the draws are close to a standard normal's moments
    assert abs(values.mean().item()) < 0.01
    assert values.var().item() == pytest.approx(1.0, abs=0.01)
    assert (values.pow(4).mean() / values.var() ** 2).item() == pytest.approx(2.92, abs=0.05)


def test_random_signs_are_fair(device):
    values = random_signs(13_000, _generator(0, device)).cpu()
    assert values.dtype == torch.float32 and values.shape == (13_000,)
    assert set(values.unique().tolist()) == {-1.0, 1.0}
    assert abs((values > 0).double().mean().item() - 0.5) < 0.02  # 0.5 +- 0.0044 (1 std)
