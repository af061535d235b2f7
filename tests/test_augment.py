"""Siamese differentiable augmentation (skfairdistill._nn.augment, public in
skfairdistill.networks)."""

import pytest
import torch

from skfairdistill._nn.augment import (
    DEFAULT_STRATEGY,
    NO_COLOR_STRATEGY,
    OPERATIONS,
    SiameseAugment,
    parse_strategy,
)


def _generator(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


def _images(n=4, channels=3, size=8, seed=0, device="cpu"):
    return torch.rand(n, channels, size, size, generator=_generator(seed, device), device=device)


def test_strategies():
    assert parse_strategy(DEFAULT_STRATEGY) == OPERATIONS
    assert "color" not in parse_strategy(NO_COLOR_STRATEGY)
    assert parse_strategy("") == parse_strategy("none") == ()
    with pytest.raises(ValueError, match=r"^unknown augmentation \['blur'\] in strategy "
                                         "'crop_blur'"):
        SiameseAugment("crop_blur")
    with pytest.raises(TypeError, match="^strategy must be a string of operations joined by "
                                        "'_'; got NoneType"):
        SiameseAugment(None)
    with pytest.raises(ValueError, match=r"^mode must be one of \('single', 'multiple'\); "
                                         "got 'both'"):
        SiameseAugment(mode="both")


@pytest.mark.parametrize("strategy", ["", "none"])
def test_identity_strategy_returns_the_input(strategy):
    augment = SiameseAugment(strategy)
    generator = _generator()
    state = generator.get_state()
    params = augment.draw(generator)
    assert torch.equal(generator.get_state(), state)  # nothing drawn
    X = _images()
    assert augment.apply(X, params) is X
    real, syn = augment_pair(X, X[:2], strategy, generator)
    assert real is X


@pytest.mark.parametrize("op", OPERATIONS)
def test_same_params_same_transform_and_gradients_flow(op):
    augment = SiameseAugment(op)
    params = augment.draw(_generator(1))
    assert params["ops"] == (op,)
    real = _images(5, seed=2)
    syn = real[:2].clone().requires_grad_(True)
    out_real, out_syn = augment.apply(real, params), augment.apply(syn, params)
    # siamese: one transform for every image of both batches, whatever their sizes
    torch.testing.assert_close(out_syn, out_real[:2])
    assert out_real.shape == real.shape
    weights = torch.rand(out_syn.shape, generator=_generator(3))
    (out_syn * weights).sum().backward()
    assert syn.grad is not None and syn.grad.abs().sum() > 0


def test_full_strategy_in_multiple_mode():
    augment = SiameseAugment(DEFAULT_STRATEGY, mode="multiple")
    params = augment.draw(_generator())
    assert params["ops"] == OPERATIONS
    X = _images(3)
    syn = X.clone().requires_grad_(True)
    out = augment.apply(syn, params)
    torch.testing.assert_close(out, augment.apply(X, params))
    assert not torch.equal(out, X)
    out.pow(2).sum().backward()
    assert torch.isfinite(syn.grad).all() and syn.grad.abs().sum() > 0


def test_single_mode_picks_one_operation_per_draw():
    augment = SiameseAugment(DEFAULT_STRATEGY)
    generator = _generator()
    chosen = {augment.draw(generator)["ops"] for _ in range(60)}
    assert all(len(ops) == 1 for ops in chosen)
    assert {ops[0] for ops in chosen} == set(OPERATIONS)


def test_determinism(device):
    augment = SiameseAugment(DEFAULT_STRATEGY, mode="multiple")
    X = _images(device=device)
    first = augment.apply(X, augment.draw(_generator(7, device)))
    second = augment.apply(X, augment.draw(_generator(7, device)))
    other = augment.apply(X, augment.draw(_generator(8, device)))
    assert first.device.type == device.type
    assert torch.equal(first, second)
    assert not torch.equal(first, other)
    real, syn = augment_pair(X, X[:1], DEFAULT_STRATEGY, _generator(9, device))
    real2, syn2 = augment_pair(X, X[:1], DEFAULT_STRATEGY, _generator(9, device))
    assert torch.equal(real, real2) and torch.equal(syn, syn2)
    torch.testing.assert_close(syn, real[:1])


def test_per_image_draws():
    augment = SiameseAugment("flip")
    params = augment.draw(_generator(), batch_size=64)
    assert params["flip"].shape == (64,)
    X = _images(64, channels=1)
    out = augment.apply(X, params)
    flipped = params["flip"] < 0.5
    assert 0 < flipped.sum() < 64
    assert torch.equal(out[flipped], X[flipped].flip(3))
    assert torch.equal(out[~flipped], X[~flipped])
    with pytest.raises(ValueError, match="drawn for 64 images"):
        augment.apply(_images(3), params)


def test_leading_axes():
    augment = SiameseAugment("rotate")
    params = augment.draw(_generator())
    X = torch.rand(2, 3, 1, 8, 8, generator=_generator(1))
    out = augment.apply(X, params)
    assert out.shape == X.shape
    torch.testing.assert_close(out[1], augment.apply(X[1], params))
    with pytest.raises(ValueError, match=r"^augmentation needs images of shape "
                                         r"\(\.\.\., C, H, W\); "
                                         r"got shape \(4, 8\)"):
        augment.apply(torch.rand(4, 8), params)


def _params(op, **draws):
    return {"ops": (op,), **{name: torch.tensor([value]) for name, value in draws.items()}}


def test_operation_values():
    augment = SiameseAugment(DEFAULT_STRATEGY)
    X = _images(2)
    # neutral draws leave the images unchanged
    torch.testing.assert_close(augment.apply(X, _params("rotate", angle=0.5)), X)
    torch.testing.assert_close(augment.apply(X, _params("crop", shift_h=0.5, shift_w=0.5)), X)
    assert torch.equal(augment.apply(X, _params("flip", flip=0.9)), X)
    assert torch.equal(augment.apply(X, _params("flip", flip=0.1)), X.flip(3))
    # crop is an integer translation with zero fill: shift of +1 row (limit 1 on 8 pixels)
    shifted = augment.apply(X, _params("crop", shift_h=0.99, shift_w=0.5))
    assert torch.equal(shifted[:, :, :-1], X[:, :, 1:])
    assert (shifted[:, :, -1] == 0).all()
    # cutout zeroes a 4x4 square and keeps the rest
    cut = augment.apply(X, _params("cutout", offset_h=0.5, offset_w=0.5))
    zeroed = cut == 0
    assert zeroed[0, 0].sum() == 16
    assert torch.equal(cut[~zeroed], X[~zeroed])
    # scale by 1.2 on both axes (draw 1 -> ratio) zooms out: the corner samples 0.7 px
    # outside the image on both axes, so bilinear zero fill keeps 0.3 * 0.3 of the corner
    zoomed = augment.apply(X, _params("scale", scale_h=1.0, scale_w=1.0))
    torch.testing.assert_close(zoomed[..., 0, 0], 0.09 * X[..., 0, 0])
    # saturation has no effect on one channel; brightness shifts every pixel alike
    grey = _images(2, channels=1)
    colour = augment.apply(grey, _params("color", brightness=0.75, saturation=0.0, contrast=0.5))
    torch.testing.assert_close(colour, grey + 0.25)


def test_choose_then_draw_fixes_the_operation():
    """choose() draws the operations of many draws at once; draw(operation=k) uses op k."""
    augment = SiameseAugment("crop_flip_rotate")
    generator = torch.Generator().manual_seed(0)
    choices = augment.choose(50, generator)
    assert len(choices) == 50 and set(choices) == {0, 1, 2}
    for k in range(3):
        assert augment.draw(generator, operation=k)["ops"] == (augment.operations[k],)
    assert SiameseAugment("crop_flip", mode="multiple").choose(5, generator) is None
    assert SiameseAugment("crop").choose(5, generator) is None


def augment_pair(real, syn, strategy, generator):
    """One shared random transform applied to a real and a synthetic batch (siamese)."""
    augment = SiameseAugment(strategy)
    params = augment.draw(generator)
    return augment.apply(real, params), augment.apply(syn, params)
