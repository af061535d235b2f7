"""make_colored_digits (skfairdistill.datasets._digits): scikit-learn's 8x8 digits coloured by
group, biased in the training split and uniform in the test split."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skfairdistill.datasets import make_colored_digits


def _cell_counts(y, groups, n_classes, n_groups):
    counts = np.zeros((n_classes, n_groups), dtype=int)
    np.add.at(counts, (y, groups), 1)
    return counts


# --------------------------------------------------------------------------------------
# make_colored_digits
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["foreground", "background", "grey"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_colored_digits_shapes_range_dtypes(mode, split):
    images, y, groups = make_colored_digits(mode=mode, split=split, random_state=0)
    assert images.ndim == 4 and images.shape[1:] == (3, 8, 8)
    assert images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert y.shape == groups.shape == (len(images),)
    assert y.dtype == groups.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    n_groups = 2 if mode == "grey" else 3
    assert set(np.unique(groups)) == set(range(n_groups))


def test_colored_digits_split_sizes_and_no_shared_image():
    _, y_train, _ = make_colored_digits(split="train", random_state=0)
    _, y_test, _ = make_colored_digits(split="test", random_state=1)
    assert len(y_train) + len(y_test) == 1797
    assert len(y_test) == pytest.approx(0.25 * 1797, abs=10)
    images_train, _, _ = make_colored_digits(split="train", random_state=0)
    images_test, _, _ = make_colored_digits(split="test", random_state=1)
    # the digit's intensity is the max over channels in foreground mode
    intensity_train = images_train.max(axis=1).reshape(len(images_train), -1)
    intensity_test = images_test.max(axis=1).reshape(len(images_test), -1)
    raw = (load_digits().data / 16.0).astype(np.float32)
    lookup = {row.tobytes(): i for i, row in enumerate(raw)}
    train_ids = {lookup[row.tobytes()] for row in intensity_train}
    test_ids = {lookup[row.tobytes()] for row in intensity_test}
    assert len(train_ids) == len(images_train) and len(test_ids) == len(images_test)
    assert not train_ids & test_ids
    assert len(train_ids | test_ids) == 1797


def test_colored_digits_split_does_not_depend_on_random_state():
    _, y_a, _ = make_colored_digits(split="test", random_state=0)
    _, y_b, _ = make_colored_digits(split="test", mode="background", random_state=5)
    np.testing.assert_array_equal(y_a, y_b)


def test_colored_digits_determinism():
    first = make_colored_digits(mode="grey", random_state=7)
    second = make_colored_digits(mode="grey", random_state=7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = make_colored_digits(mode="grey", random_state=8)
    assert not np.array_equal(first[2], other[2])


@pytest.mark.parametrize("n_colors, bias", [(2, 0.9), (3, 0.9), (5, 0.8), (3, 0.5)])
def test_colored_digits_bias_in_train_uniform_in_test(n_colors, bias):
    _, y, groups = make_colored_digits(n_colors=n_colors, bias=bias, random_state=0)
    own = groups == y % n_colors
    assert own.mean() == pytest.approx(bias, abs=0.035)
    # the others are spread evenly over the other colours
    off = groups[~own]
    shares = np.bincount((off - y[~own] % n_colors) % n_colors, minlength=n_colors)[1:]
    assert shares.min() / shares.max() > 0.6
    _, y_test, groups_test = make_colored_digits(
        n_colors=n_colors, bias=bias, split="test", random_state=0
    )
    counts = _cell_counts(y_test, groups_test, 10, n_colors)
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all()  # uniform within each class
    assert np.mean(groups_test == y_test % n_colors) == pytest.approx(1 / n_colors, abs=0.03)


@pytest.mark.parametrize("n_colors, bias", [(10, 0.9), (10, 1.0), (3, 1.0), (2, 0.0)])
def test_colored_digits_every_training_cell_non_empty(n_colors, bias):
    _, y, groups = make_colored_digits(n_colors=n_colors, bias=bias, random_state=0)
    assert (_cell_counts(y, groups, 10, n_colors) >= 1).all()


def test_colored_digits_colours():
    images, y, groups = make_colored_digits(mode="foreground", random_state=0)
    # foreground: only the group's colour channels light up (red, green, blue)
    for g in range(3):
        lit = images[groups == g].sum(axis=(0, 2, 3))
        assert lit[g] > 0 and np.delete(lit, g).sum() == 0
    images, y, groups = make_colored_digits(mode="background", random_state=0)
    # background: pixels without stroke carry the colour (red background for group 0)
    corners = images[groups == 0][:, :, 0, 0]
    np.testing.assert_allclose(corners, np.tile([1.0, 0.0, 0.0], (len(corners), 1)))
    images, y, groups = make_colored_digits(mode="grey", random_state=0)
    grey = images[groups == 0]
    np.testing.assert_array_equal(grey[:, 0], grey[:, 1])
    np.testing.assert_array_equal(grey[:, 0], grey[:, 2])
    colour = images[groups == 1]
    assert not np.array_equal(colour[:, 0], colour[:, 1])
    # grey mode: even digits mostly grey, odd digits mostly colour
    assert np.mean(groups == y % 2) == pytest.approx(0.9, abs=0.035)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"mode": "fg"}, "mode"),
        ({"split": "val"}, "split"),
        ({"n_colors": 1}, "n_colors"),
        ({"n_colors": 11}, "n_colors"),
        ({"bias": 1.2}, "bias"),
        ({"test_size": 1.0}, "test_size"),
        ({"random_state": "x"}, "random_state"),
    ],
)
def test_colored_digits_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make_colored_digits(**kwargs)


def test_colored_digits_grey_mode_accepts_one_colour():
    images, y, groups = make_colored_digits(mode="grey", n_colors=1, random_state=0)
    colour = images[groups == 1]
    assert colour[:, 1:].max() == 0  # red only
