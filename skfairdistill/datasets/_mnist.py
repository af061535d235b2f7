"""C-MNIST and C-FMNIST: MNIST and Fashion-MNIST coloured by group, from local IDX files.

The constructions of the fair distillation papers (FairDD, Zhou et al., arXiv
2411.19623; COBRA, Moslemi et al., arXiv 2605.00185), as written in the authors'
code: ``data_handler/colour_mnist.py`` and ``data_handler/FashionMNIST.py`` with the
settings of ``get_dataset`` in ``utils.py`` of zqhang/FairDD (COBRA's
mhmoslemi/COBRA ``utils.py`` calls the same loaders with the same settings). Their
colour-bias scheme is the Biased-MNIST of ReBias (Bahng et al., ICML 2020).
"""

import os

import numpy as np

from ._files import (
    blocks,
    check_labels,
    check_loader_args,
    find_files,
    own_count,
    per_class_subset,
    read_idx,
    to_output,
)

# The ten colours of the authors' code, in their order: class k's own colour is
# FAIRDD_PALETTE[k] (red, orange, yellow, light yellow, green, cyan, blue, violet,
# magenta, white).
FAIRDD_PALETTE = (
    np.array(
        [
            [255, 0, 0],
            [255, 128, 0],
            [255, 255, 0],
            [255, 255, 128],
            [0, 255, 0],
            [0, 255, 255],
            [0, 0, 255],
            [128, 0, 255],
            [255, 0, 255],
            [255, 255, 255],
        ],
        dtype=np.float32,
    )
    / 255.0
)
_MODES = ("foreground", "background")
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SOURCES = {
    "MNIST": "http://yann.lecun.com/exdb/mnist/ , mirrored at "
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "Fashion-MNIST": "https://github.com/zalandoresearch/fashion-mnist , files at "
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}
# The authors pad the 28x28 images to 32x32 with zeros, the image at rows and
# columns 4 to 31 (the padding is all on the top and left side).
_PAD = 4
# The share of each class in its own colour at test time: 1 / 10, i.e. uniform.
_TEST_CORRELATION = 0.1


def load_colored_mnist(
    *,
    path,
    split="train",
    mode="foreground",
    bias=0.9,
    n_per_class=None,
    dtype="float32",
    random_state=None,
):
    """C-MNIST: MNIST digits coloured by group, from a local copy of MNIST.

    The FairDD / COBRA construction. Every digit gets one of ten colours, the
    group; class ``k``'s own colour is colour ``k``:

    - ``mode="foreground"`` (C-MNIST FG) — the strokes in the group's colour on
      black;
    - ``mode="background"`` (C-MNIST BG) — black strokes on a background of the
      group's colour.

    As in the authors' code the digits are binarised (a pixel is a stroke when its
    value is at least 128 of 255) and padded to 32x32.

    **Bias (training split).** Of every class's ``n`` images, drawn in random
    order, ``floor(bias * n)`` get the class's own colour and the rest are split
    as evenly as possible over the nine other colours, in a random order of those
    colours. **Test split** (the papers' protocol): the same construction with a
    correlation of 0.1, so every class is spread evenly over the ten colours;
    ``bias`` is ignored.

    Where to get the files, and the memory the sets take:
    :ref:`guides#the-papers-image-data-sets-from-your-own-files`.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding ``train-images-idx3-ubyte`` and
        ``train-labels-idx1-ubyte`` (training split) or ``t10k-images-idx3-ubyte``
        and ``t10k-labels-idx1-ubyte`` (test split), each plain or gzipped
        (``.gz``). Its ``raw`` subfolder and ``MNIST/raw`` (torchvision's layout)
        are searched too. Nothing is downloaded; the files are only read.
    split : {"train", "test"}, default="train"
        Which split to build.
    mode : {"foreground", "background"}, default="foreground"
        Which construction (see above).
    bias : float in [0, 1], default=0.9
        Share of every class in its own colour in training (0.9 in FairDD and
        COBRA; 0.1 is unbiased). Ignored for the test split.
    n_per_class : int, default=None
        Keep at most this many images of every class (drawn by ``random_state``)
        before colouring, so that the bias holds in the subset. None keeps all.
    dtype : {"float32", "uint8"}, default="float32"
        float32 values in [0, 1], or uint8 levels ``round(255 * value)`` (4x less
        memory; divide by 255 before use). The full training split is
        60,000 x 3 x 32 x 32 values: 737 MB in float32, 184 MB in uint8.
    random_state : int, RandomState instance or None, default=None
        Draws the subset and the colours. Global random state is never touched.

    Returns
    -------
    images : ndarray of shape (n_images, 3, 32, 32)
        RGB images, channels first. Flatten them with
        ``images.reshape(len(images), -1)`` (and pass ``image_shape=(3, 32, 32)``)
        for a tabular model.
    y : ndarray of shape (n_images,), dtype int64
        The digit, 0 to 9.
    groups : ndarray of shape (n_images,), dtype int64
        The colour, an index into the authors' palette (0 red, 1 orange, 2
        yellow, 3 light yellow, 4 green, 5 cyan, 6 blue, 7 violet, 8 magenta,
        9 white).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not hold the files of the split; the message lists
        them and where MNIST comes from.

    See Also
    --------
    load_colored_fashion_mnist : The same construction on Fashion-MNIST.
    make_colored_digits : The same biases on scikit-learn's bundled 8x8 digits.

    Notes
    -----
    Followed: ``ColourBiasedMNIST`` in ``data_handler/colour_mnist.py`` and
    ``get_dataset`` in ``utils.py`` of zqhang/FairDD (``data_label_correlation``
    0.9 for training and 0.1 for test, ``n_confusing_labels=9``), which COBRA's
    ``utils.py`` (mhmoslemi/COBRA) calls unchanged. One deliberate difference: the
    code cuts the ``r`` images outside the own colour into chunks of
    ``ceil(r / 9)``, which leaves the last colours with fewer (or no) images when
    ``r`` is small; here they are split as evenly as possible (``floor(r / 9)`` or
    ``ceil(r / 9)`` each), the same cells up to a few images on full MNIST and no
    needlessly empty cell on a subset. The rows keep the order of the files (the
    authors shuffle them; shuffle yourself if your code needs it).

    Examples
    --------
    A stand-in for the real files: 200 random 28x28 "digits" written in the IDX
    format (MNIST's own files are used the same way).

    >>> import os, struct, tempfile
    >>> import numpy as np
    >>> from skfairdistill.datasets import load_colored_mnist
    >>> folder = tempfile.mkdtemp()
    >>> pixels = np.random.default_rng(0).integers(0, 256, (200, 28, 28), dtype=np.uint8)
    >>> labels = np.repeat(np.arange(10, dtype=np.uint8), 20)
    >>> with open(os.path.join(folder, "train-images-idx3-ubyte"), "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 200, 28, 28) + pixels.tobytes())
    >>> with open(os.path.join(folder, "train-labels-idx1-ubyte"), "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 200) + labels.tobytes())
    >>> images, y, groups = load_colored_mnist(path=folder, bias=0.9, random_state=0)
    >>> images.shape, images.dtype, float(images.min()), float(images.max())
    ((200, 3, 32, 32), dtype('float32'), 0.0, 1.0)
    >>> float(np.mean(groups == y))  # share of the images in their class's own colour
    0.9
    >>> import shutil; shutil.rmtree(folder)
    """
    return _load_colored("MNIST", path, split, mode, bias, n_per_class, dtype, random_state)


def load_colored_fashion_mnist(
    *,
    path,
    split="train",
    mode="foreground",
    bias=0.9,
    n_per_class=None,
    dtype="float32",
    random_state=None,
):
    """C-FMNIST: Fashion-MNIST items coloured by group, from a local copy of Fashion-MNIST.

    The construction of :func:`load_colored_mnist` (the same ten colours, bias
    and test protocol), with the authors' colouring for Fashion-MNIST, which
    keeps the grey levels instead of binarising. With ``v`` the pixel value in
    [0, 1]:

    - ``mode="foreground"`` — ``v * colour``: the item in its group's colour,
      shaded, on black;
    - ``mode="background"`` — ``(1 - v) * colour``: a dark item on a background
      of its group's colour.

    Where to get the files, and the memory the sets take:
    :ref:`guides#the-papers-image-data-sets-from-your-own-files`.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the Fashion-MNIST files of the split, named as MNIST's
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), plain or
        gzipped; ``raw`` and ``FashionMNIST/raw`` below it are searched too.
    split : {"train", "test"}, default="train"
        Which split to build.
    mode : {"foreground", "background"}, default="foreground"
        Which construction (see above).
    bias : float in [0, 1], default=0.9
        Share of every class in its own colour in training. Ignored for the test
        split, whose colours are uniform.
    n_per_class : int, default=None
        Keep at most this many images of every class before colouring.
    dtype : {"float32", "uint8"}, default="float32"
        float32 values in [0, 1] or uint8 levels ``round(255 * value)``.
    random_state : int, RandomState instance or None, default=None
        Draws the subset and the colours.

    Returns
    -------
    images : ndarray of shape (n_images, 3, 32, 32)
        RGB images, channels first.
    y : ndarray of shape (n_images,), dtype int64
        The Fashion-MNIST class, 0 (T-shirt/top) to 9 (ankle boot).
    groups : ndarray of shape (n_images,), dtype int64
        The colour, numbered as in :func:`load_colored_mnist`.

    See Also
    --------
    load_colored_mnist : The construction on MNIST, with every detail.

    Notes
    -----
    Followed: ``ColourBiasedFashionMNIST`` in ``data_handler/FashionMNIST.py`` of
    zqhang/FairDD. Its background colouring starts its colour ramp at 255 on a
    0-1 scale and overflows uint8 on the item's pixels (``(fg * 255).byte()``),
    which leaves wrapped-around values there; its comment ("content black"), the
    commented-out black start colour and the MNIST variant all say black items on
    the coloured background, which is what is built here.

    Examples
    --------
    >>> import gzip, os, struct, tempfile
    >>> import numpy as np
    >>> from skfairdistill.datasets import load_colored_fashion_mnist
    >>> folder = tempfile.mkdtemp()
    >>> pixels = np.full((20, 28, 28), 255, dtype=np.uint8)  # all "item"
    >>> labels = np.repeat(np.arange(10, dtype=np.uint8), 2)
    >>> with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz"), "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 20, 28, 28) + pixels.tobytes())
    >>> with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 20) + labels.tobytes())
    >>> images, y, groups = load_colored_fashion_mnist(
    ...     path=folder, split="test", mode="background", dtype="uint8", random_state=0)
    >>> images.shape, images.dtype
    ((20, 3, 32, 32), dtype('uint8'))
    >>> int(images[:, :, 4:, 4:].max())  # the item is black
    0
    >>> int(groups[0]), images[0, :, 0, 0].tolist()  # the padding has the group's colour
    (3, [255, 255, 128])
    >>> import shutil; shutil.rmtree(folder)
    """
    return _load_colored(
        "Fashion-MNIST", path, split, mode, bias, n_per_class, dtype, random_state
    )


def _load_colored(dataset, path, split, mode, bias, n_per_class, dtype, random_state):
    """Check, read the split's two files, draw the colours and colour the images."""
    dtype, rng = check_loader_args(
        split=split, bias=bias, n_per_class=n_per_class, dtype=dtype, random_state=random_state
    )
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)}; got {mode!r}.")
    torchvision_folder = os.path.join(dataset.replace("-", ""), "raw")
    image_file, label_file = find_files(
        path,
        _FILES[split],
        dataset=dataset,
        source=_SOURCES[dataset],
        subfolders=("raw", torchvision_folder),
        gzipped=True,
    )
    pixels = read_idx(image_file, ndim=3)
    labels = read_idx(label_file, ndim=1).astype(np.int64)
    check_labels(labels, len(pixels), label_file)
    if pixels.shape[1:] != (28, 28):
        raise ValueError(f"{image_file} holds images of {pixels.shape[1:]}, not 28x28.")

    rows = per_class_subset(labels, n_per_class, rng)
    y = labels[rows]
    correlation = float(bias) if split == "train" else _TEST_CORRELATION
    groups = confounded_colours(y, correlation, rng)
    images = _colour(pixels[rows], groups, mode, binarise=dataset == "MNIST", dtype=dtype)
    return images, y, groups


def confounded_colours(y, correlation, rng, n_colours=10):
    """Colour ``k`` for ``floor(correlation * n)`` images of class ``k``, the rest spread evenly.

    Each class's images are drawn in random order; the ones outside the own colour
    go to the other colours in a random order of those, as evenly as possible.
    """
    groups = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_own = own_count(correlation, len(members))
        groups[members[:n_own]] = label
        others = (label + 1 + rng.permutation(n_colours - 1)) % n_colours
        for colour, part in zip(others, np.array_split(members[n_own:], n_colours - 1)):
            groups[part] = colour
    return groups


def _colour(pixels, groups, mode, *, binarise, dtype):
    """Pad to 32x32 and colour every image by its group, a block of rows at a time."""
    n, height, width = pixels.shape
    padded = np.zeros((n, height + _PAD, width + _PAD), dtype=np.uint8)
    padded[:, _PAD:, _PAD:] = pixels
    images = np.empty((n, 3, height + _PAD, width + _PAD), dtype=dtype)
    for rows in blocks(n):
        block = padded[rows]
        # MNIST: a stroke is a pixel of at least 128 (the authors' threshold).
        level = (block >= 128) if binarise else block / np.float32(255.0)
        level = level.astype(np.float32)[:, None, :, :]
        if mode == "background":
            level = 1.0 - level
        colours = FAIRDD_PALETTE[groups[rows]][:, :, None, None]
        images[rows] = to_output(level * colours, dtype)
    return images
