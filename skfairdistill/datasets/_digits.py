"""Coloured 8x8 digits: the C-MNIST and CIFAR10-S constructions on scikit-learn's digits.

The fair distillation papers (FairDD, Zhou et al., arXiv 2411.19623; COBRA, Moslemi et
al., arXiv 2605.00185) evaluate on C-MNIST — MNIST digits whose foreground (FG) or
background (BG) colour is the group and, in training, strongly tied to the class —
and on CIFAR10-S (Wang et al., "Towards Fairness in Visual Recognition", CVPR 2020),
where half of the classes are mostly grey-scale and the other half mostly in colour.
:func:`make_colored_digits` builds the same biases from the 1,797 8x8 digits bundled
with scikit-learn, so it works offline and in seconds.
"""

import numbers

import numpy as np
from sklearn.datasets import load_digits

from .._checks import check_rng

# Fully saturated colours: every one has a channel at 1 and a channel at 0, so the
# digit's intensity can be read back from the coloured image (max or min over channels).
PALETTE = np.array(
    [
        [1.0, 0.0, 0.0],  # red
        [0.0, 1.0, 0.0],  # green
        [0.0, 0.0, 1.0],  # blue
        [1.0, 1.0, 0.0],  # yellow
        [1.0, 0.0, 1.0],  # magenta
        [0.0, 1.0, 1.0],  # cyan
        [1.0, 0.5, 0.0],  # orange
        [0.5, 0.0, 1.0],  # violet
        [0.0, 1.0, 0.5],  # spring green
        [1.0, 0.0, 0.5],  # rose
    ]
)
_MODES = ("foreground", "background", "grey")
_SPLITS = ("train", "test")
# The train/test split of the digits is fixed by this seed, not by random_state, so
# that train and test never share an image whatever seeds the caller uses.
_SPLIT_SEED = 20260500


def make_colored_digits(
    *,
    mode="foreground",
    n_colors=3,
    bias=0.9,
    split="train",
    test_size=0.25,
    random_state=None,
):
    """Coloured 8x8 digits whose colour is the group and, in training, tied to the class.

    Built from :func:`sklearn.datasets.load_digits` (1,797 images of 10 classes,
    bundled with scikit-learn, no download). The pixel intensity ``v`` in [0, 1] of
    a digit is turned into an RGB image:

    - ``mode="foreground"`` — the strokes are drawn in the group's colour on black,
      ``v * colour`` (C-MNIST FG of the fair distillation papers);
    - ``mode="background"`` — white strokes on a background of the group's colour,
      ``v + (1 - v) * colour`` (C-MNIST BG);
    - ``mode="grey"`` — the grey-versus-colour construction of CIFAR10-S: group 0
      is a grey image (``v`` in all three channels), group 1 a colour image (the
      strokes in one of ``n_colors`` colours, drawn uniformly per image).

    **Bias.** Class ``k`` has its "own" group ``k % n_groups`` (its colour in the
    colour modes; grey for even and colour for odd digits in ``"grey"`` mode). In
    the training split every image of class ``k`` is put in its own group with
    probability ``bias`` and otherwise in one of the other groups, uniformly. In
    the test split the groups are uniform and independent of the class: each
    class's test images are spread evenly over the groups (in random order), so
    the bias of the training data does not hold there.

    **Every cell non-empty.** After the draw, a training (class, group) cell that
    is still empty (likely when ``bias`` is close to 1 or there are many colours)
    receives one image of that class taken from its largest cell. The measured
    bias is then a little below ``bias`` in the extreme cases, never the empty
    cell the distillers cannot handle.

    **Split.** The digits are first split into train and test images, stratified
    by class, with a fixed seed that does not depend on ``random_state``: the two
    splits never share an image, and the same image always lands in the same
    split for a given ``test_size``. ``random_state`` only draws the colours.

    Distilling them, with the settings images need: :ref:`guides#images`.

    Parameters
    ----------
    mode : {"foreground", "background", "grey"}, default="foreground"
        Which construction (see above).
    n_colors : int, default=3
        Number of colours, from 2 to 10 (1 to 10 in ``"grey"`` mode). In the
        colour modes it is the number of groups; keep it small (digits has about
        135 training images per class), so that the minority cells have images.
        In ``"grey"`` mode the colour images use this many colours and there are
        always two groups.
    bias : float in [0, 1], default=0.9
        Probability that a training image is in its class's own group (the bias
        ratio of C-MNIST). ``1 / n_groups`` gives unbiased training data. Ignored
        for the test split.
    split : {"train", "test"}, default="train"
        Which split to return.
    test_size : float in (0, 1), default=0.25
        Share of every class's images that go to the test split.
    random_state : int, RandomState instance or None, default=None
        Draws the groups (and the colours of ``"grey"`` mode). Global random state
        is never touched.

    Returns
    -------
    images : ndarray of shape (n_images, 3, 8, 8), dtype float32
        RGB images, channels first, values in [0, 1]. Flatten them with
        ``images.reshape(len(images), -1)`` for a tabular model.
    y : ndarray of shape (n_images,), dtype int64
        The digit, 0 to 9.
    groups : ndarray of shape (n_images,), dtype int64
        The group: in the colour modes the colour index, in the order red, green,
        blue, yellow, magenta, cyan, orange, violet, spring green, rose (pure RGB
        colours); in ``"grey"`` mode 0 (grey) or 1 (colour).

    See Also
    --------
    make_biased_classification : Biased tables with group imbalance and separation.

    Notes
    -----
    C-MNIST in FairDD and COBRA has ten colours, one per class, and a bias of
    about 0.9 or more; scikit-learn's digits are ~100x fewer than MNIST's, hence
    the smaller default number of colours. The rows keep the order of
    ``load_digits`` within each split.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairdistill.datasets import make_colored_digits
    >>> images, y, groups = make_colored_digits(n_colors=3, bias=0.9, random_state=0)
    >>> images.shape, images.dtype, float(images.min()), float(images.max())
    ((1347, 3, 8, 8), dtype('float32'), 0.0, 1.0)
    >>> round(float(np.mean(groups == y % 3)), 2)  # share in the class's own colour, ~bias
    0.88
    >>> images_test, y_test, groups_test = make_colored_digits(split="test", random_state=0)
    >>> len(images_test), round(float(np.mean(groups_test == y_test % 3)), 2)
    (450, 0.34)
    """
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)}; got {mode!r}.")
    if not isinstance(split, str) or split not in _SPLITS:
        raise ValueError(f"split must be one of {list(_SPLITS)}; got {split!r}.")
    fewest = 1 if mode == "grey" else 2
    if (
        isinstance(n_colors, bool)
        or not isinstance(n_colors, numbers.Integral)
        or not fewest <= n_colors <= len(PALETTE)
    ):
        raise ValueError(
            f"n_colors must be an integer from {fewest} to {len(PALETTE)} in {mode!r} mode; "
            f"got {n_colors!r}."
        )
    if (
        isinstance(bias, bool)
        or not isinstance(bias, numbers.Real)
        or not 0.0 <= bias <= 1.0
    ):
        raise ValueError(f"bias must be a number in [0, 1]; got {bias!r}.")
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0.0 < test_size < 1.0
    ):
        raise ValueError(f"test_size must be a number in (0, 1); got {test_size!r}.")
    rng = check_rng(random_state)

    digits = load_digits()
    intensity_all = digits.images / 16.0
    target_all = digits.target.astype(np.int64)
    rows = _split_rows(target_all, test_size)[split]
    intensity, y = intensity_all[rows], target_all[rows]

    n_groups = 2 if mode == "grey" else int(n_colors)
    own = y % n_groups
    if split == "train":
        groups = _biased_groups(y, own, n_groups, float(bias), rng)
    else:
        groups = _uniform_groups(y, n_groups, rng)

    v = intensity[:, None, :, :]
    if mode == "foreground":
        images = v * PALETTE[groups][:, :, None, None]
    elif mode == "background":
        images = v + (1.0 - v) * PALETTE[groups][:, :, None, None]
    else:
        colours = PALETTE[rng.randint(n_colors, size=len(y))]
        colours[groups == 0] = 1.0  # grey: the same intensity in every channel
        images = v * colours[:, :, None, None]
    images = np.clip(images, 0.0, 1.0).astype(np.float32)
    return images, y, groups.astype(np.int64)


def _split_rows(target, test_size):
    """Indices of the train and test images: stratified by class, fixed seed."""
    rng = np.random.default_rng(_SPLIT_SEED)
    train, test = [], []
    for label in np.unique(target):
        members = rng.permutation(np.flatnonzero(target == label))
        n_test = min(max(int(round(test_size * len(members))), 1), len(members) - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return {"train": np.sort(np.concatenate(train)), "test": np.sort(np.concatenate(test))}


def _biased_groups(y, own, n_groups, bias, rng):
    """Own group with probability ``bias``, else a uniformly drawn other group; no empty cell."""
    in_own = rng.random_sample(len(y)) < bias
    other = (own + rng.randint(1, n_groups, size=len(y))) % n_groups
    groups = np.where(in_own, own, other)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        for group in range(n_groups):
            counts = np.bincount(groups[members], minlength=n_groups)
            if counts[group] == 0:
                donors = members[groups[members] == np.argmax(counts)]
                groups[donors[rng.randint(len(donors))]] = group
    return groups


def _uniform_groups(y, n_groups, rng):
    """Each class's images spread evenly over the groups, in random order."""
    groups = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        start = rng.randint(n_groups)
        groups[members] = rng.permutation((start + np.arange(len(members))) % n_groups)
    return groups
