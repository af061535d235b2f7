"""Multi-formation (skfairdistill._matching.multiformation): every stored image decodes into
factor**2 training images (IDC), and images encode back into the stored ones."""

import pytest
import torch

from skfairdistill._matching.multiformation import check_divisible, decode, encode


def test_decode_shapes_order_and_constants():
    stored = torch.rand(3, 2, 8, 6, generator=torch.Generator().manual_seed(0))
    decoded = decode(stored, 2)
    assert decoded.shape == (12, 2, 8, 6)
    # image 1's top-right patch (rows 0-3, columns 3-5), upsampled, is decoded row 4 + 1
    patch = stored[1:2, :, :4, 3:]
    expected = torch.nn.functional.interpolate(patch, size=(8, 6), mode="bilinear")
    torch.testing.assert_close(decoded[5:6], expected)
    constant = torch.full((2, 3, 8, 8), 0.25)
    torch.testing.assert_close(decode(constant, 2), torch.full((8, 3, 8, 8), 0.25))
    assert decode(stored, 1) is stored
    with pytest.raises(ValueError, match="multiples of 2"):
        decode(torch.zeros(1, 1, 7, 8), 2)


def test_encode_tiles_images_in_decode_order():
    images = torch.arange(8.0).view(8, 1, 1, 1).expand(8, 2, 8, 8).contiguous()
    stored = encode(images, 2)
    assert stored.shape == (2, 2, 8, 8)
    torch.testing.assert_close(decode(stored, 2), images)


def test_gradient_flows_through_the_decoder_to_every_stored_pixel():
    stored = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    stored.requires_grad_(True)
    weights = torch.rand(8, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    (decode(stored, 2) * weights).sum().backward()
    assert stored.grad.shape == stored.shape
    assert (stored.grad.abs() > 0).all()


def test_a_size_the_factor_does_not_divide_is_refused_naming_the_shape():
    check_divisible((3, 8, 6), 2)
    with pytest.raises(ValueError, match=r"^matching='idc' splits each image into a 2 x 2 grid, "
                                         r"so the height and width must be multiples of 2; "
                                         r"got image_shape=\(3, 7, 8\)"):
        check_divisible((3, 7, 8), 2)
