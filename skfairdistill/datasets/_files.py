"""Local copies of published image data sets: finding the files and reading their formats.

Nothing is ever downloaded: the loaders of :mod:`skfairdistill.datasets` that build
the papers' constructions from MNIST, Fashion-MNIST or CIFAR-10 read the copy the
user already has. This module finds the files (with an error that says what is
missing and where it comes from), reads the IDX and CIFAR pickle formats, and holds
the argument checks and the per-class subset those loaders share.
"""

import gzip
import importlib
import math
import os
import pickle
import struct

import numpy as np

from .._checks import check_int, check_real, check_rng

SPLITS = ("train", "test")
_DTYPES = (np.dtype(np.float32), np.dtype(np.uint8))
# Rows converted at a time, so that float temporaries stay small on full data sets.
_BLOCK = 1024


def check_loader_args(*, split, bias, n_per_class, dtype, random_state):
    """Check the arguments every file loader shares; return ``(dtype, rng)``."""
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}; got {split!r}.")
    check_real("bias", bias, 0.0, 1.0)
    if n_per_class is not None:
        check_int("n_per_class", n_per_class, minimum=1)
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'uint8'; got {dtype!r}.")
    return resolved, check_rng(random_state)


def find_files(path, names, *, dataset, source, subfolders=(), gzipped=False):
    """Full paths of ``names`` in ``path`` or one of its ``subfolders``, else a clear error.

    A leading ``~`` is the user's home. With ``gzipped``, ``name + ".gz"`` is
    accepted for every name. All the files
    must be in the same folder; the first folder that has them all wins.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(
            f"path must be the folder holding the {dataset} files (a str or os.PathLike); "
            f"got {'None' if path is None else f'{type(path).__name__} {path!r}'}."
        )
    root = os.path.expanduser(os.fspath(path))
    folders = [root] + [os.path.join(root, sub) for sub in subfolders]
    for folder in folders:
        found = [_find_one(folder, name, gzipped) for name in names]
        if all(found):
            return found
    variants = " (or the same names ending in .gz)" if gzipped else ""
    where = "does not exist" if not os.path.isdir(root) else "does not hold them"
    raise FileNotFoundError(
        f"path={root!r} {where}: the {dataset} loader needs the files {list(names)}"
        f"{variants} in one of the folders {folders}. Nothing is downloaded at run time: "
        f"put your copy of {dataset} (from {source}) in that folder, unpacked, and pass "
        "its location as path."
    )


def _find_one(folder, name, gzipped):
    for candidate in (name, name + ".gz") if gzipped else (name,):
        full = os.path.join(folder, candidate)
        if os.path.isfile(full):
            return full
    return None


def read_idx(filename, *, ndim):
    """The unsigned-byte array of an IDX file (plain or gzipped) with ``ndim`` dimensions.

    IDX (the format of MNIST and Fashion-MNIST): two zero bytes, a type byte (0x08
    for unsigned bytes), the number of dimensions, each dimension as a big-endian
    32-bit integer, then the values in C order.
    """
    opener = gzip.open if filename.endswith(".gz") else open
    try:
        with opener(filename, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as error:  # a corrupt .gz raises these on read
        raise ValueError(f"{filename} could not be read: {error}") from None
    header = 4 + 4 * ndim
    if len(data) < header or data[:4] != bytes([0, 0, 0x08, ndim]):
        raise ValueError(
            f"{filename} is not an IDX file of unsigned bytes with {ndim} dimension(s) "
            "(MNIST's format); check that it is the right file and not truncated."
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != math.prod(shape):
        raise ValueError(
            f"{filename} holds {len(data) - header} values where its header announces "
            f"{math.prod(shape)} (shape {shape}); the file is truncated or corrupt."
        )
    # frombuffer is a read-only view of the bytes read; callers index (copy) it.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_cifar_batch(filename):
    """Images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` of one CIFAR-10 pickle batch.

    The batches are pickled dictionaries written by Python 2, hence
    ``encoding="bytes"``. They are unpickled with an unpickler that only builds
    NumPy arrays and plain containers, so that a file that is not a CIFAR batch
    cannot run code.
    """
    try:
        with open(filename, "rb") as handle:
            entry = _ArrayUnpickler(handle, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise ValueError(f"{filename} is not a CIFAR-10 pickle batch: {error}") from None
    data = entry.get(b"data") if isinstance(entry, dict) else None
    labels = entry.get(b"labels") if isinstance(entry, dict) else None
    if data is None or labels is None:
        raise ValueError(f"{filename} is not a CIFAR-10 batch: no b'data' and b'labels' keys.")
    data = np.asarray(data)
    labels = np.asarray(labels, dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape != (len(labels), 3 * 32 * 32):
        raise ValueError(
            f"{filename} is not a CIFAR-10 batch: data of shape {data.shape} and dtype "
            f"{data.dtype} for {len(labels)} labels (expected uint8 rows of 3072 values)."
        )
    return data.reshape(-1, 3, 32, 32), labels


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle NumPy arrays (written by NumPy 1 or 2, protocols 2 to 5) and nothing else."""

    _ALLOWED = {"numpy.ndarray", "numpy.dtype", "_codecs.encode"} | {
        f"numpy.{core}.{name}"
        for core in ("core", "_core")
        for name in ("multiarray._reconstruct", "multiarray.scalar", "numeric._frombuffer")
    }

    def find_class(self, module, name):
        if f"{module}.{name}" not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR batch")
        if module.count(".") == 2:  # numpy.core.* was renamed numpy._core.* in NumPy 2
            return _numpy_attr(module.rpartition(".")[2], name)
        return super().find_class(module, name)


def _numpy_attr(submodule, name):
    """``numpy._core.<submodule>.<name>`` (NumPy 2), else the ``numpy.core`` one (NumPy 1)."""
    for prefix in ("numpy._core", "numpy.core"):
        try:
            return getattr(importlib.import_module(f"{prefix}.{submodule}"), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"numpy has no {submodule}.{name}")


def check_labels(labels, n_images, filename):
    """Labels must be 0 to 9 and as many as the images."""
    if len(labels) != n_images:
        raise ValueError(
            f"{filename} has {len(labels)} labels for {n_images} images; the image and "
            "label files do not belong together."
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{filename} has labels outside 0 to 9; it is not a 10-class file.")


def per_class_subset(y, n_per_class, rng):
    """Sorted rows keeping at most ``n_per_class`` of every class (drawn by ``rng``)."""
    if n_per_class is None:
        return np.arange(len(y))
    rows = [
        rng.permutation(np.flatnonzero(y == label))[:n_per_class] for label in np.unique(y)
    ]
    return np.sort(np.concatenate(rows)) if rows else np.arange(0)


def own_count(share, n):
    """``floor(share * n)``, as the authors' ``int(n * ratio)``, robust to float round-off."""
    return int(math.floor(share * n + 1e-9))


def to_output(unit, dtype):
    """Values in [0, 1] as float32, or as uint8 levels ``round(255 * value)``."""
    if dtype == np.uint8:
        return np.rint(unit * 255.0).astype(np.uint8)
    return unit.astype(np.float32, copy=False)


def blocks(n):
    """Row slices of at most ``_BLOCK`` rows covering ``range(n)``."""
    return (slice(start, min(start + _BLOCK, n)) for start in range(0, n, _BLOCK))


