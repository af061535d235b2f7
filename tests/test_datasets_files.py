"""The papers' image constructions read from local files (skfairdistill.datasets._mnist,
_cifar and _files): C-MNIST, C-FMNIST, CIFAR10-S.

Every test writes tiny files in the published formats (IDX, plain and gzipped; the
CIFAR-10 pickle batches) to a temporary folder, so nothing is downloaded and the
real data sets are not needed.
"""

import functools
import gzip
import hashlib
import os
import pickle
import struct

import numpy as np
import pytest

from skfairdistill.datasets import load_cifar10s, load_colored_fashion_mnist, load_colored_mnist
from skfairdistill.datasets._cifar import _luma
from skfairdistill.datasets._mnist import FAIRDD_PALETTE

LOADERS = [load_colored_mnist, load_colored_fashion_mnist]
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ----------------------------------------------------------------------- fake files


def _idx(array):
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + (
        array.astype(np.uint8).tobytes()
    )


def write_mnist(folder, split="train", per_class=3, seed=0, gz=False):
    """A split of ``10 * per_class`` random 28x28 images in IDX files; return them."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(10 * per_class, 28, 28), dtype=np.uint8)
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), per_class))
    opener = gzip.open if gz else open
    for name, array in zip(MNIST_FILES[split], (pixels, labels)):
        with opener(os.path.join(folder, name + (".gz" if gz else "")), "wb") as handle:
            handle.write(_idx(array))
    return pixels, labels.astype(np.int64)


def write_cifar(folder, names=("test_batch",), per_class=2, seed=0, protocol=2):
    """CIFAR-10 pickle batches of ``10 * per_class`` random images each; return them all."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    all_images, all_labels = [], []
    for name in names:
        data = rng.integers(0, 256, size=(10 * per_class, 3072), dtype=np.uint8)
        labels = [int(k) for k in rng.permutation(np.repeat(np.arange(10), per_class))]
        batch = {b"batch_label": b"fake", b"labels": labels, b"data": data,
                 b"filenames": [b"x.png"] * len(labels)}
        with open(os.path.join(folder, name), "wb") as handle:
            pickle.dump(batch, handle, protocol=protocol)
        all_images.append(data.reshape(-1, 3, 32, 32))
        all_labels.extend(labels)
    return np.concatenate(all_images), np.array(all_labels)


TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


def _digest(folder):
    return {
        name: hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
        for name in sorted(os.listdir(folder))
    }


def _colours(groups):
    return FAIRDD_PALETTE[groups][:, :, None, None]


# ----------------------------------------------------------- C-MNIST and C-FMNIST


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_mnist_shapes_and_dtypes(tmp_path, loader, split, gz):
    _, labels = write_mnist(tmp_path, split=split, gz=gz)
    images, y, groups = loader(path=tmp_path, split=split, random_state=0)
    assert images.shape == (30, 3, 32, 32) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert y.dtype == np.int64 and groups.dtype == np.int64
    np.testing.assert_array_equal(y, labels)  # the order of the files
    assert set(groups) <= set(range(10))
    small, _, small_groups = loader(path=tmp_path, split=split, dtype="uint8", random_state=0)
    assert small.dtype == np.uint8
    np.testing.assert_array_equal(small, np.rint(images * 255))
    np.testing.assert_array_equal(small_groups, groups)


def test_mnist_foreground_strokes_carry_the_group_colour(tmp_path):
    pixels, _ = write_mnist(tmp_path)
    images, _, groups = load_colored_mnist(path=tmp_path, mode="foreground", random_state=0)
    assert not images[:, :, :4, :].any() and not images[:, :, :, :4].any()  # the padding
    stroke = (pixels >= 128)[:, None].astype(np.float32)
    np.testing.assert_array_equal(images[:, :, 4:, 4:], stroke * _colours(groups))


def test_mnist_background_is_the_group_colour_and_strokes_are_black(tmp_path):
    pixels, _ = write_mnist(tmp_path)
    images, _, groups = load_colored_mnist(path=tmp_path, mode="background", random_state=0)
    background = (pixels < 128)[:, None].astype(np.float32)
    np.testing.assert_array_equal(images[:, :, 4:, 4:], background * _colours(groups))
    np.testing.assert_array_equal(images[:, :, 0, 0], FAIRDD_PALETTE[groups])  # padding


@pytest.mark.parametrize("mode", ["foreground", "background"])
def test_fashion_mnist_keeps_the_grey_levels(tmp_path, mode):
    pixels, _ = write_mnist(tmp_path)
    images, _, groups = load_colored_fashion_mnist(path=tmp_path, mode=mode, random_state=0)
    level = (pixels / np.float32(255.0))[:, None].astype(np.float32)
    if mode == "background":
        level = 1.0 - level
    np.testing.assert_allclose(images[:, :, 4:, 4:], level * _colours(groups), atol=1e-6)


def test_training_bias_ratio_per_class(tmp_path):
    write_mnist(tmp_path, per_class=200)
    _, y, groups = load_colored_mnist(path=tmp_path, bias=0.9, random_state=0)
    for label in range(10):
        counts = np.bincount(groups[y == label], minlength=10)
        assert counts[label] == 180  # floor(0.9 * 200) in the class's own colour
        others = np.delete(counts, label)
        assert sorted(others) == [2] * 7 + [3] * 2  # the other 20, evenly over nine


@pytest.mark.parametrize("loader", LOADERS)
def test_test_split_has_uniform_colours_whatever_the_bias(tmp_path, loader):
    write_mnist(tmp_path, split="test", per_class=100)
    _, y, groups = loader(path=tmp_path, split="test", bias=0.9, random_state=3)
    for label in range(10):
        np.testing.assert_array_equal(np.bincount(groups[y == label], minlength=10), 10)
    _, _, other_bias = loader(path=tmp_path, split="test", bias=0.3, random_state=3)
    np.testing.assert_array_equal(other_bias, groups)


def test_n_per_class_takes_a_subset_before_colouring(tmp_path):
    pixels, labels = write_mnist(tmp_path, per_class=40)
    images, y, groups = load_colored_mnist(path=tmp_path, n_per_class=20, random_state=0)
    np.testing.assert_array_equal(np.bincount(y), 20)
    for label in range(10):
        assert np.sum(groups[y == label] == label) == 18
    # the kept images are images of the file, of the right class, in the file's order
    stroke = (pixels >= 128)[:, None]
    matches = [np.flatnonzero((stroke == (image.max(axis=0) > 0)[None, 4:, 4:]).all(
        axis=(1, 2, 3))) for image in images]
    rows = [m[0] for m in matches]
    assert rows == sorted(rows)
    np.testing.assert_array_equal(labels[rows], y)
    everything, _, _ = load_colored_mnist(path=tmp_path, n_per_class=1000, random_state=0)
    assert len(everything) == 400


@pytest.mark.parametrize("loader", LOADERS)
def test_mnist_is_deterministic_under_random_state(tmp_path, loader):
    write_mnist(tmp_path, per_class=30)
    first = loader(path=tmp_path, random_state=7, n_per_class=20)
    again = loader(path=tmp_path, random_state=7, n_per_class=20)
    other = loader(path=tmp_path, random_state=8, n_per_class=20)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2])
    np.random.seed(0)  # the next draw from the global generator would change its key
    _, key, position, *_ = np.random.get_state()
    loader(path=tmp_path, random_state=5)
    _, key_after, position_after, *_ = np.random.get_state()
    # global state untouched: its key and the position in it
    np.testing.assert_array_equal(key_after, key)
    assert position_after == position


@pytest.mark.parametrize("layout", ["raw", "MNIST/raw"])
def test_mnist_finds_the_torchvision_layout(tmp_path, layout):
    write_mnist(tmp_path / layout, gz=True)
    images, _, _ = load_colored_mnist(path=str(tmp_path), random_state=0)
    assert len(images) == 30


def test_a_leading_tilde_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_mnist(tmp_path / "mnist")
    images, _, _ = load_colored_mnist(path="~/mnist", random_state=0)
    assert len(images) == 30


def test_fashion_mnist_finds_its_torchvision_layout(tmp_path):
    write_mnist(tmp_path / "FashionMNIST" / "raw")
    images, _, _ = load_colored_fashion_mnist(path=tmp_path, random_state=0)
    assert len(images) == 30


def test_callers_files_are_not_modified(tmp_path):
    write_mnist(tmp_path / "m", gz=True)
    write_cifar(tmp_path / "c", names=TRAIN_BATCHES)
    before = _digest(tmp_path / "m"), _digest(tmp_path / "c")
    images, _, _ = load_colored_mnist(path=tmp_path / "m", random_state=0)
    images[:] = 0.5  # the result is the caller's to write
    load_cifar10s(path=tmp_path / "c", random_state=0)
    load_cifar10s(path=tmp_path / "c", random_state=0, dtype="uint8")[0][:] = 0
    assert (_digest(tmp_path / "m"), _digest(tmp_path / "c")) == before
    assert sorted(os.listdir(tmp_path / "m")) == sorted(n + ".gz" for n in MNIST_FILES["train"])


# ------------------------------------------------------------------------ CIFAR10-S


def test_cifar_train_shapes_bias_and_grey(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    pixels, labels = write_cifar(folder, names=TRAIN_BATCHES, per_class=20)  # 100 per class
    images, y, groups = load_cifar10s(path=folder, bias=0.9, random_state=0)
    assert images.shape == (1000, 3, 32, 32) and images.dtype == np.float32
    np.testing.assert_array_equal(y, labels)
    for label in range(10):
        counts = np.bincount(groups[y == label], minlength=2)
        assert counts[1 if label >= 5 else 0] == 90  # FairDD: 5-9 mostly colour
    colour, grey = groups == 1, groups == 0
    np.testing.assert_array_equal(images[colour], pixels[colour] / np.float32(255.0))
    assert np.all(images[grey][:, 0] == images[grey][:, 1])
    assert np.all(images[grey][:, 1] == images[grey][:, 2])
    np.testing.assert_array_equal(
        images[grey][:, 0], _luma(pixels[grey]) / np.float32(255.0)
    )


def test_cifar_color_classes_and_bias_of_wang_et_al(tmp_path):
    write_cifar(tmp_path, names=TRAIN_BATCHES, per_class=40)  # 200 per class
    _, y, groups = load_cifar10s(
        path=tmp_path, bias=0.95, color_classes=(1, 3, 5, 7, 9), random_state=0
    )
    for label in range(10):
        share_colour = np.mean(groups[y == label] == 1)
        assert share_colour == (0.95 if label % 2 else 0.05)


def test_cifar_test_split_has_a_grey_and_a_colour_copy_of_every_image(tmp_path):
    pixels, labels = write_cifar(tmp_path / "cifar-10-batches-py", per_class=3)
    images, y, groups = load_cifar10s(path=tmp_path, split="test", dtype="uint8", bias=0.2)
    n = len(labels)
    assert images.shape == (2 * n, 3, 32, 32) and images.dtype == np.uint8
    np.testing.assert_array_equal(groups, [0] * n + [1] * n)
    np.testing.assert_array_equal(y, np.concatenate([labels, labels]))
    np.testing.assert_array_equal(images[n:], pixels)
    np.testing.assert_array_equal(images[:n], np.repeat(_luma(pixels)[:, None], 3, axis=1))


def test_grey_is_pillows_luma():
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(0).integers(0, 256, size=(4, 3, 32, 32), dtype=np.uint8)
    expected = [np.asarray(Image.fromarray(im.transpose(1, 2, 0)).convert("L")) for im in rgb]
    np.testing.assert_array_equal(_luma(rgb), np.stack(expected))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_reads_pickles_of_every_protocol(tmp_path, protocol):
    pixels, _ = write_cifar(tmp_path, protocol=protocol)
    images, _, _ = load_cifar10s(path=tmp_path, split="test", dtype="uint8")
    np.testing.assert_array_equal(images[len(pixels):], pixels)


def test_cifar_refuses_a_pickle_that_would_run_code(tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.getcwd, ())  # harmless, but not an array

    with open(tmp_path / "test_batch", "wb") as handle:
        pickle.dump({b"data": Payload(), b"labels": [0]}, handle, protocol=2)
    with pytest.raises(ValueError, match="not a CIFAR-10 pickle batch.*not allowed"):
        load_cifar10s(path=tmp_path, split="test")


def test_cifar_subset_and_determinism(tmp_path):
    write_cifar(tmp_path, names=TRAIN_BATCHES, per_class=8)  # 40 per class
    run = functools.partial(load_cifar10s, path=tmp_path, n_per_class=20, bias=0.9)
    images, y, groups = run(random_state=1)
    np.testing.assert_array_equal(np.bincount(y), 20)
    for label in range(10):
        assert np.sum(groups[y == label] == (1 if label >= 5 else 0)) == 18
    again = run(random_state=1)
    np.testing.assert_array_equal(images, again[0])
    np.testing.assert_array_equal(groups, again[2])
    assert not np.array_equal(groups, run(random_state=2)[2])


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize("split", ["train", "test"])
def test_missing_mnist_files_say_what_and_where(tmp_path, split):
    with pytest.raises(FileNotFoundError) as error:
        load_colored_mnist(path=tmp_path / "nowhere", split=split)
    message = str(error.value)
    assert "path=" in message and "does not exist" in message
    for name in MNIST_FILES[split]:
        assert name in message
    assert "yann.lecun.com/exdb/mnist" in message and ".gz" in message
    (tmp_path / MNIST_FILES[split][0]).write_bytes(b"")  # only one of the two files
    with pytest.raises(FileNotFoundError, match="does not hold them"):
        load_colored_mnist(path=tmp_path, split=split)


def test_missing_fashion_and_cifar_files_name_their_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="zalandoresearch/fashion-mnist"):
        load_colored_fashion_mnist(path=tmp_path)
    write_cifar(tmp_path, names=TRAIN_BATCHES[:4])
    with pytest.raises(FileNotFoundError) as error:
        load_cifar10s(path=tmp_path)
    message = str(error.value)
    assert "path=" in message and "data_batch_5" in message
    assert "cifar-10-python.tar.gz" in message and "cifar-10-batches-py" in message


@pytest.mark.parametrize(
    "loader, kwargs, name",
    [
        (load_colored_mnist, dict(split="validation"), "split"),
        (load_colored_mnist, dict(mode="grey"), "mode"),
        (load_colored_fashion_mnist, dict(bias=1.5), "bias"),
        (load_colored_mnist, dict(bias=True), "bias"),
        (load_colored_mnist, dict(n_per_class=0), "n_per_class"),
        (load_colored_mnist, dict(n_per_class=2.5), "n_per_class"),
        (load_colored_mnist, dict(dtype="float64"), "dtype"),
        (load_colored_mnist, dict(dtype="nonsense"), "dtype"),
        (load_colored_mnist, dict(random_state="seed"), "random_state"),
        (load_colored_mnist, dict(path=3), "path"),
        (load_cifar10s, dict(color_classes=(4, 4)), "color_classes"),
        (load_cifar10s, dict(color_classes=(10,)), "color_classes"),
        (load_cifar10s, dict(color_classes="56789"), "color_classes"),
        (load_cifar10s, dict(color_classes=5), "color_classes"),
        (load_cifar10s, dict(bias=-0.1), "bias"),
    ],
)
def test_bad_arguments_name_the_argument_before_reading(tmp_path, loader, kwargs, name):
    # tmp_path is empty: a check that ran after the file search would raise FileNotFoundError
    with pytest.raises(ValueError, match=rf"^{name} must"):
        loader(**{"path": tmp_path, **kwargs})


def test_path_is_keyword_only_and_required():
    with pytest.raises(TypeError, match="takes 0 positional arguments but 1 was given"):
        load_colored_mnist("somewhere")
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'path'"):
        load_cifar10s()


def test_corrupt_files_are_named(tmp_path):
    write_mnist(tmp_path)
    image_file = tmp_path / MNIST_FILES["train"][0]
    image_file.write_bytes(image_file.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"holds 23510 values where its header announces 23520 "
                                         r"\(shape \(30, 28, 28\)\); the file is truncated"):
        load_colored_mnist(path=tmp_path)
    image_file.write_bytes(b"\x00\x00\x0d\x03" + bytes(12))  # float IDX, not bytes
    with pytest.raises(ValueError, match="not an IDX file"):
        load_colored_mnist(path=tmp_path)
    (tmp_path / "bad").mkdir()
    write_mnist(tmp_path / "bad", per_class=2)
    labels_file = tmp_path / "bad" / MNIST_FILES["train"][1]
    labels_file.write_bytes(_idx(np.arange(5)))
    with pytest.raises(ValueError, match="5 labels for 20 images"):
        load_colored_mnist(path=tmp_path / "bad")
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="not a CIFAR-10 pickle batch"):
        load_cifar10s(path=tmp_path, split="test")


def test_bad_gzip_is_named(tmp_path):
    write_mnist(tmp_path)
    image_file = tmp_path / MNIST_FILES["train"][0]
    os.rename(image_file, str(image_file) + ".gz")  # not gzipped inside
    with pytest.raises(ValueError, match="could not be read"):
        load_colored_mnist(path=tmp_path)


# ------------------------------------------------------------------- the estimator


# ten colours and six images per class leave empty (class, colour) cells, as expected
@pytest.mark.filterwarnings("ignore:Some groups have no rows")
def test_loaded_images_go_through_the_distiller_flat_with_image_shape(tmp_path):
    from skfairdistill import FairDistiller
    from skfairdistill._nn.networks import make_embedding

    write_mnist(tmp_path, per_class=6)
    images, y, groups = load_colored_mnist(path=tmp_path, bias=0.5, random_state=0)
    flat = images.reshape(len(images), -1)
    distiller = FairDistiller(
        image_shape=(3, 32, 32),
        n_per_class=1, n_iter=2, batch_size=8, random_state=0, device="cpu",
        matching_params={"embedding": functools.partial(make_embedding, "convnet", channels=4)}
    )
    X_syn, y_syn = distiller.fit_resample(flat, y, sensitive_features=groups)
    assert X_syn.shape == (10, 3 * 32 * 32) and sorted(y_syn) == list(range(10))
