"""CIFAR10-S: CIFAR-10 with grey versus colour as the group, from a local copy of CIFAR-10.

The skewed CIFAR-10 of Wang et al., "Towards Fairness in Visual Recognition:
Effective Strategies for Bias Mitigation" (CVPR 2020), as the fair distillation
papers (FairDD, arXiv 2411.19623; COBRA, arXiv 2605.00185) build it.
"""

import numbers

import numpy as np

from ._files import (
    blocks,
    check_labels,
    check_loader_args,
    find_files,
    own_count,
    per_class_subset,
    read_cifar_batch,
    to_output,
)

_FOLDER = "cifar-10-batches-py"
_FILES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
_SOURCE = (
    "https://www.cs.toronto.edu/~kriz/cifar.html , the 'CIFAR-10 python version' "
    "archive https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, unpacked"
)
# FairDD's CIFAR10_S_90: classes 0-4 mostly grey, 5-9 mostly colour.
_FAIRDD_COLOR_CLASSES = (5, 6, 7, 8, 9)
GREY, COLOUR = 0, 1


def load_cifar10s(
    *,
    path,
    split="train",
    bias=0.9,
    color_classes=_FAIRDD_COLOR_CLASSES,
    n_per_class=None,
    dtype="float32",
    random_state=None,
):
    """CIFAR10-S: CIFAR-10 images, grey or in colour, from a local copy of CIFAR-10.

    The group is 0 (grey) or 1 (colour). A grey image is the luma of the colour
    image, ``(19595 R + 38470 G + 7471 B + 2**15) >> 16`` on the 0-255 levels
    (what ``PIL.Image.convert("L")`` computes, as in both authors' code), copied
    into the three channels.

    **Training split.** Of every class's ``n`` images, drawn in random order,
    ``floor(bias * n)`` are in the class's majority group — colour for the
    classes in ``color_classes``, grey for the others — and the rest in the other
    group. **Test split** (the paper's protocol): every test image twice, a grey
    copy (the first ``n`` rows) and a colour copy (the last ``n`` rows), so the
    two groups are equally represented in every class; ``bias`` and
    ``color_classes`` are ignored.

    Where to get the files, and the memory the sets take:
    :ref:`guides#the-papers-image-data-sets-from-your-own-files`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``cifar-10-batches-py`` folder of the unpacked CIFAR-10 python
        archive, or the folder that holds it. The training split reads
        ``data_batch_1`` to ``data_batch_5``, the test split ``test_batch``.
        Nothing is downloaded; the files are only read.
    split : {"train", "test"}, default="train"
        Which split to build.
    bias : float in [0, 1], default=0.9
        Share of every class in its majority group in training: 0.9 in FairDD and
        COBRA (their ``CIFAR10_S_90``), 0.95 in Wang et al.'s main setting.
    color_classes : sequence of int, default=(5, 6, 7, 8, 9)
        The classes that are mostly in colour in training; the others are mostly
        grey. The default is FairDD's and COBRA's; Wang et al. use
        ``(1, 3, 5, 7, 9)`` (automobile, cat, dog, horse, truck).
    n_per_class : int, default=None
        Keep at most this many images of every class (drawn by ``random_state``)
        before the groups are drawn. None keeps all (5,000 per class in
        training, 1,000 in test).
    dtype : {"float32", "uint8"}, default="float32"
        float32 values in [0, 1], or the uint8 levels (4x less memory). The full
        training split is 50,000 x 3 x 32 x 32 values: 614 MB in float32, 154 MB
        in uint8; the test split has twice its 10,000 images.
    random_state : int, RandomState instance or None, default=None
        Draws the subset and which images are grey. Global random state is never
        touched.

    Returns
    -------
    images : ndarray of shape (n_images, 3, 32, 32)
        RGB images, channels first (flat rows with
        ``images.reshape(len(images), -1)``, for ``image_shape=(3, 32, 32)``).
    y : ndarray of shape (n_images,), dtype int64
        The CIFAR-10 class, 0 (airplane) to 9 (truck).
    groups : ndarray of shape (n_images,), dtype int64
        0 for a grey image, 1 for a colour image.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not hold the batches of the split; the message lists
        them and where CIFAR-10 comes from.

    See Also
    --------
    make_colored_digits : ``mode="grey"`` builds the same bias on 8x8 digits.

    Notes
    -----
    Followed: ``CIFAR_10S._make_skewed`` in ``data_handler/cifar10.py`` and
    ``get_dataset`` (``CIFAR10_S_90``, ``skew_ratio=0.9``) in ``utils.py`` of
    zqhang/FairDD; COBRA's ``utils.py`` (mhmoslemi/COBRA) uses the same dataset
    key and ratio. Wang et al.'s own construction (``create_cifar_s_data`` in
    ``preprocess_data.py`` of princetonvisualai/DomainBiasMitigation) draws
    ``int(5000 * p)`` images per class at random for the majority group, with
    ``p = 0.95`` in the paper's main results and odd classes mostly in colour.
    Both evaluate on the grey and the colour copy of every test image. The batches
    are unpickled with ``encoding="bytes"`` by an unpickler that only builds NumPy
    arrays, so a file that is not a CIFAR batch cannot run code.

    Examples
    --------
    A stand-in for the real batch: 20 random images pickled as CIFAR-10 does.

    >>> import os, pickle, tempfile
    >>> import numpy as np
    >>> from skfairdistill.datasets import load_cifar10s
    >>> folder = os.path.join(tempfile.mkdtemp(), "cifar-10-batches-py")
    >>> os.mkdir(folder)
    >>> rng = np.random.default_rng(0)
    >>> batch = {b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8),
    ...          b"labels": [k % 10 for k in range(20)]}
    >>> with open(os.path.join(folder, "test_batch"), "wb") as f:
    ...     pickle.dump(batch, f, protocol=2)
    >>> images, y, groups = load_cifar10s(path=os.path.dirname(folder), split="test")
    >>> images.shape, images.dtype, np.bincount(groups).tolist()
    ((40, 3, 32, 32), dtype('float32'), [20, 20])
    >>> bool(np.all(images[:20, 0] == images[:20, 2]))  # the grey copies
    True
    >>> import shutil; shutil.rmtree(os.path.dirname(folder))
    """
    dtype, rng = check_loader_args(
        split=split, bias=bias, n_per_class=n_per_class, dtype=dtype, random_state=random_state
    )
    colour_set = _check_color_classes(color_classes)
    files = find_files(
        path, _FILES[split], dataset="CIFAR-10", source=_SOURCE, subfolders=(_FOLDER,)
    )
    pixels, labels = _read_batches(files)

    rows = per_class_subset(labels, n_per_class, rng)
    y = labels[rows]
    if split == "train":
        groups = _skewed_groups(y, colour_set, float(bias), rng)
        return _render(pixels, rows, groups, dtype), y, groups
    groups = np.repeat(np.array([GREY, COLOUR], dtype=np.int64), len(rows))
    both = np.concatenate([rows, rows])
    return _render(pixels, both, groups, dtype), np.concatenate([y, y]), groups


def _read_batches(files):
    """The images and labels of all the batches, in the order of ``files``."""
    batches = [read_cifar_batch(name) for name in files]
    pixels = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    check_labels(labels, len(pixels), files[-1])
    return pixels, labels


def _check_color_classes(color_classes):
    """A set of distinct class ids from 0 to 9."""
    try:
        classes = list(color_classes)
    except TypeError:
        classes = None
    if classes is None or isinstance(color_classes, (str, bytes)) or not all(
        isinstance(k, numbers.Integral) and not isinstance(k, bool) and 0 <= k <= 9
        for k in classes
    ) or len(set(classes)) != len(classes):
        raise ValueError(
            "color_classes must be a sequence of distinct class ids from 0 to 9 (the "
            f"classes mostly in colour in training); got {color_classes!r}."
        )
    return {int(k) for k in classes}


def _skewed_groups(y, colour_set, bias, rng):
    """``floor(bias * n)`` random images of each class in its majority group, the rest not."""
    groups = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        majority = COLOUR if int(label) in colour_set else GREY
        n_major = own_count(bias, len(members))
        groups[members[:n_major]] = majority
        groups[members[n_major:]] = 1 - majority
    return groups


def _render(pixels, rows, groups, dtype):
    """The images ``pixels[rows]``, grey where ``groups`` is 0, a block of rows at a time."""
    images = np.empty((len(rows), 3, 32, 32), dtype=dtype)
    for part in blocks(len(rows)):
        block = pixels[rows[part]]
        grey = groups[part] == GREY
        block[grey] = _luma(block[grey])[:, None, :, :]
        images[part] = block if dtype == np.uint8 else to_output(block / np.float32(255.0), dtype)
    return images


def _luma(images):
    """ITU-R 601-2 luma of uint8 RGB images, rounded as Pillow's ``convert("L")``."""
    r, g, b = (images[:, channel].astype(np.uint32) for channel in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)
