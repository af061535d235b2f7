"""The distillation papers' evaluation protocol: fresh networks trained on a set, scored.

:func:`evaluate_synthetic` validates everything at the door, then
:func:`_train_and_score` (no validation) trains and scores one network after the
other with one local generator. The recipe and its sources are in the docstring.
"""

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import type_of_target

from .._nn.augment import DEFAULT_STRATEGY, SiameseAugment
from .._data.rows import RealRows
from .._runtime.device import make_generators, resolve_device
from .._matching._history import DivergenceError
from .._nn.networks import make_embedding
from .._config.parameters import (check_augmentation, check_image_shape, check_int, check_positive,
                      check_random_state)
from .._data.groups import encode_groups
from .._runtime.threads import FitThreads, check_n_threads
from .._nn.training import head_logits, linear_head, train_classifier
from .._data.validation import as_chw, flatten_images, float_dtypes
from .._checks import check_memory_map, check_rows
from ..metrics._equalized_odds import _class_gaps
from ..metrics._inputs import check_groups

# The authors' optimiser of the evaluated networks (FairDD and COBRA utils.py, evaluate_synset)
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
NETWORKS = ("auto", "convnet", "mlp")
METRICS = ("accuracy", "deo_max", "deo_mean")
_PREDICT_ROWS = 512  # test rows per forward pass: bounds the activations' memory


@dataclass(frozen=True, eq=False)
class SyntheticEvaluation:
    """Scores of the networks trained by :func:`evaluate_synthetic`, one entry per network.

    Attributes
    ----------
    accuracy, deo_max, deo_mean : ndarray of shape (n_models,)
        Accuracy, DEO_M and DEO_A (fractions in [0, 1]) on the test set.
    seconds : ndarray of shape (n_models,)
        Wall time of each network (training and scoring).
    device : str
        The device the networks ran on.
    """

    accuracy: np.ndarray
    deo_max: np.ndarray
    deo_mean: np.ndarray
    seconds: np.ndarray
    device: str

    def to_frame(self):
        """One row per network, one column per metric (and ``seconds``): a DataFrame."""
        columns = {name: getattr(self, name) for name in (*METRICS, "seconds")}
        return pd.DataFrame(columns).rename_axis("model")

    def mean(self):
        """The mean of every metric over the networks: ``{"accuracy": ..., ...}``."""
        return {name: float(np.mean(getattr(self, name))) for name in METRICS}

    def std(self):
        """The standard deviation over the networks (``ddof=0``, as the papers' ``np.std``)."""
        return {name: float(np.std(getattr(self, name))) for name in METRICS}

    def summary(self):
        """A DataFrame with one row per metric and the columns ``mean`` and ``std``."""
        return pd.DataFrame({"mean": self.mean(), "std": self.std()})

    def __str__(self):
        mean, std = self.mean(), self.std()
        names = {"accuracy": "accuracy", "deo_max": "DEO_M", "deo_mean": "DEO_A"}
        cells = [f"{names[key]} {mean[key]:.3f} ± {std[key]:.3f}" for key in METRICS]
        return f"{', '.join(cells)} ({len(self.accuracy)} networks, {self.device})"


def evaluate_synthetic(X_train, y_train, X_test, y_test, *, sensitive_features,
                       image_shape=None, network="auto", n_models=5, n_epochs=300,
                       learning_rate=0.01, batch_size=256, augmentation="auto",
                       device="auto", n_threads="auto", random_state=None, verbose=0):
    """Train fresh networks on a (synthetic) training set and score them on real test data.

    The evaluation protocol of the dataset-distillation papers (DC, DSA, DM,
    FairDD, COBRA): ``n_models`` networks, each freshly drawn, are trained on
    ``X_train`` (typically the output of :meth:`FairDistiller.fit_resample
    <skfairdistill.FairDistiller.fit_resample>`) and scored on the real
    ``X_test``: accuracy, DEO_M and DEO_A (:func:`skfairdistill.metrics.deo_max`,
    :func:`~skfairdistill.metrics.deo_mean`) over the groups of
    ``sensitive_features``. Report the mean ± standard deviation over the networks.

    A worked example on coloured digits: :ref:`guides#the-papers-evaluation-protocol`.

    Parameters
    ----------
    X_train : array-like of shape (n_train, C, H, W), (n_train, H, W) or (n_train, n_features)
        The set to evaluate: images, flat image rows (with ``image_shape``) or table
        rows. Never modified.
    y_train : array-like of shape (n_train,)
        Its class labels (numbers or strings).
    X_test : array-like of shape (n_test, ...)
        Real held-out data in the layout of ``X_train``. Never modified.
    y_test : array-like of shape (n_test,)
        Its labels, among the classes of ``y_train``.
    sensitive_features : array-like of shape (n_test,) or (n_test, n_columns)
        The group of every *test* row (several columns form intersectional groups).
        The training set needs none: a synthetic set has no groups.
    image_shape : tuple of int or None, default=None
        ``(C, H, W)`` (or ``(H, W)``) of one image when the rows are flat images;
        read from the data for ``(n, C, H, W)`` arrays.
    network : {"auto", "convnet", "mlp"} or callable, default="auto"
        ``"convnet"``: the papers' ConvNet-3 (:class:`~skfairdistill.networks.ConvNet`,
        128 channels, instance norm with a learnable scale and shift). ``"mlp"``:
        the :class:`~skfairdistill.networks.RandomMLP` of
        :func:`~skfairdistill.networks.make_embedding`, trained. ``"auto"``: the
        ConvNet for images, the MLP for tables. A callable is a factory
        ``factory(input_shape, generator)`` returning a network of the interface of
        :func:`~skfairdistill.networks.make_embedding` (an ``nn.Module`` with a
        ``width`` attribute works too), e.g. ``functools.partial(make_embedding,
        "convnet", channels=32, affine=True)``. A linear head is added to it.
    n_models : int, default=5
        Networks to train (the authors: 5 in COBRA, 10 in FairDD's scripts).
    n_epochs : int, default=300
        Passes over ``X_train`` for each network. The learning rate is divided by
        10 after the pass ``n_epochs // 2 + 1`` (counted from 0).
    learning_rate : float, default=0.01
    batch_size : int, default=256
    augmentation : "auto", str, SiameseAugment or None, default="auto"
        Augmentation of every training mini-batch (one random transform per
        image). ``"auto"``: the papers' DSA strategy
        ``"color_crop_cutout_flip_scale_rotate"`` for images, none for tables.
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
    n_threads : "auto", int or None, default="auto"
        torch's intra-op threads while training, as for
        :class:`~skfairdistill.FairDistiller`; the caller's setting is restored.
        None leaves it alone.
    random_state : int, RandomState instance or None, default=None
        Seeds one local torch generator (the global random state is never used):
        on the CPU the same seed gives the same scores.
    verbose : int, default=0
        Above 0, one line per network.

    Returns
    -------
    SyntheticEvaluation
        Per-network arrays ``accuracy``, ``deo_max``, ``deo_mean``, ``seconds``;
        ``mean()`` and ``std()`` as dicts, ``summary()`` and ``to_frame()`` as
        DataFrames, and a one-line ``str``.

    Raises
    ------
    ValueError or TypeError
        Naming the argument, before any training: mismatched lengths or shapes,
        unknown options, missing groups, test labels unseen in training.
    DivergenceError
        A ``ValueError`` raised when a network's loss or outputs become NaN or
        infinite (lower ``learning_rate``).

    Notes
    -----
    The recipe of the authors' ``evaluate_synset`` and ``epoch`` (zqhang/FairDD
    and mhmoslemi/COBRA, ``utils.py``, which keep the DC/DSA/DM code): SGD with
    momentum 0.9 and weight decay 5e-4, learning rate 0.01 divided by 10 after
    pass ``E // 2 + 1`` with a new optimiser (the momentum restarts), shuffled
    mini-batches of 256, each augmented by DSA with one operation per mini-batch
    and one random transform per image; then the test set without augmentation.
    Their ``for ep in range(Epoch + 1)`` makes ``epoch_eval_train=E`` one more
    pass than ``E``: ``n_epochs=E + 1`` reproduces it (FairDD's DM: E = 1000;
    COBRA's DM: E = 1500; DC: E = 300). Differences: the ConvNet's convolutions
    are He-normal (PyTorch's default ``kaiming_uniform`` there), and a group
    without test rows of a class is left out of that class's gap (their counts
    read it as a recall of 0).

    Inputs are standardised per channel (images) or per column (tables) with the
    mean and spread of ``X_train``, as :class:`~skfairdistill.FairDistiller` does,
    and ``X_test`` with the same statistics: nothing is learnt from the test data.

    Examples
    --------
    >>> import functools
    >>> from skfairdistill.datasets import make_colored_digits
    >>> from skfairdistill.evaluation import evaluate_synthetic
    >>> from skfairdistill.networks import make_embedding
    >>> X, y, _ = make_colored_digits(random_state=0)
    >>> X_test, y_test, groups = make_colored_digits(split="test", random_state=0)
    >>> small = functools.partial(make_embedding, "convnet", channels=8, affine=True)
    >>> result = evaluate_synthetic(X[::4], y[::4], X_test, y_test, sensitive_features=groups,
    ...                             network=small, n_models=2, n_epochs=2, random_state=0)
    >>> result.accuracy.shape
    (2,)
    >>> sorted(result.mean())
    ['accuracy', 'deo_max', 'deo_mean']
    """
    _check_options(network, n_models, n_epochs, learning_rate, batch_size, augmentation,
                   n_threads, random_state, verbose)
    device = resolve_device(device)
    X_train, X_test, image_shape = _check_images(X_train, X_test, image_shape)
    y_train, y_test, classes = _check_labels(y_train, y_test, len(X_train), len(X_test))
    if sensitive_features is None:
        raise ValueError("sensitive_features is required: the group of every row of X_test.")
    check_groups(sensitive_features, len(X_test), "X_test", "X_test")
    groups, _ = encode_groups(sensitive_features, len(X_test))
    factory = _network_factory(network, image_shape)
    augment = _augmentation(augmentation, image_shape)
    input_shape = image_shape or (X_train.shape[1],)
    with FitThreads(n_threads) as threads:
        real = RealRows(X_train, device, image_shape=image_shape, name="X_train")
        train = real.gather(torch.arange(len(X_train), device=device))
        test = real.standardise(X_test)
        if image_shape is not None:
            train, test = train.view(-1, *image_shape), test.view(-1, *image_shape)
        else:
            input_shape = (train.shape[1],)  # constant columns are set aside
        threads.size_to(images=image_shape is not None, device=device)
        labels = torch.as_tensor(y_train, device=device)
        _, generator = make_generators(random_state, device)
        scores = _train_and_score(factory, input_shape, train, labels, test, y_test, groups,
                                  len(classes), generator, n_models=n_models,
                                  n_epochs=n_epochs, learning_rate=learning_rate,
                                  batch_size=batch_size, augment=augment, verbose=verbose)
    return SyntheticEvaluation(*(np.asarray(column) for column in zip(*scores)),
                               device=str(device))


def _train_and_score(factory, input_shape, train, labels, test, y_test, groups, n_classes,
                     generator, *, n_models, n_epochs, learning_rate, batch_size, augment,
                     verbose):
    """(accuracy, DEO_M, DEO_A, seconds) of each network; no input validation."""
    n_batches = math.ceil(len(train) / batch_size)
    scores = []
    for model in range(n_models):
        start = time.perf_counter()
        network = factory(input_shape, generator)
        head = linear_head(network.width, n_classes, generator)
        operations = None if augment is None else augment.choose(n_epochs * n_batches,
                                                                 generator)
        _set_mode(network, training=True)
        total = train_classifier(network, head, train, labels, n_epochs, generator,
                                 learning_rate=learning_rate, batch_size=batch_size,
                                 augment=augment, momentum=MOMENTUM,
                                 weight_decay=WEIGHT_DECAY, decay_after=n_epochs // 2 + 1,
                                 operations=operations)
        _set_mode(network, training=False)
        with torch.no_grad():
            logits = torch.cat([head_logits(network, head, rows)
                                for rows in test.split(_PREDICT_ROWS)])
            finite = torch.isfinite(total) & torch.isfinite(logits).all()
            predicted = logits.argmax(1)
        if not bool(finite):
            raise DivergenceError(
                f"network {model + 1} of {n_models} diverged: its training loss or its "
                f"outputs became NaN or infinite; lower learning_rate={learning_rate!r}."
            )
        predicted = predicted.cpu().numpy()
        gaps = _class_gaps(y_test, predicted, groups)
        scores.append((float(np.mean(predicted == y_test)), float(gaps.max()),
                       float(gaps.mean()), time.perf_counter() - start))
        if verbose > 0:
            accuracy, deo_m, deo_a, seconds = scores[-1]
            print(f"network {model + 1}/{n_models}: accuracy {accuracy:.4f}, DEO_M "
                  f"{deo_m:.4f}, DEO_A {deo_a:.4f} ({seconds:.1f} s)", flush=True)
    return scores


def _set_mode(network, *, training):
    """``train()`` / ``eval()`` for an ``nn.Module`` (batch norm, dropout); ours have no mode."""
    if isinstance(network, torch.nn.Module):
        network.train(training)


def _check_options(network, n_models, n_epochs, learning_rate, batch_size, augmentation,
                   n_threads, random_state, verbose):
    if not callable(network) and not (isinstance(network, str) and network in NETWORKS):
        raise ValueError(
            f"network must be one of {list(NETWORKS)} or a callable factory(input_shape, "
            f"generator); got {network!r}."
        )
    check_int("n_models", n_models, minimum=1)
    check_int("n_epochs", n_epochs, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    check_int("verbose", verbose, minimum=0)
    check_positive("learning_rate", learning_rate)
    if learning_rate > np.finfo(np.float32).max:  # torch's float32 steps would overflow
        raise ValueError(
            f"learning_rate must be at most {np.finfo(np.float32).max:.3g} (float32's "
            f"largest number); got {learning_rate!r}.")
    check_augmentation(augmentation)
    check_n_threads(n_threads)
    check_random_state(random_state)


def _check_images(X_train, X_test, image_shape):
    """Flat float arrays of both sets and the image shape (None for tables), checked."""
    arrays, shapes = [], []
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        check_memory_map(name, X)
        flat, row_shape = flatten_images(X)
        arrays.append(check_rows(name, flat, dtype=float_dtypes(flat)))
        shapes.append(None if row_shape is None else as_chw(row_shape))
    (train, test), (train_shape, test_shape) = arrays, shapes
    if train.shape[1] != test.shape[1]:
        raise ValueError(
            f"X_train has {train.shape[1]} values per row but X_test has {test.shape[1]}; "
            "they must have the same layout."
        )
    if image_shape is not None:
        check_image_shape(image_shape)
        image_shape = as_chw(image_shape)
        if math.prod(image_shape) != train.shape[1]:
            raise ValueError(
                f"image_shape={image_shape} has {math.prod(image_shape)} values, but the "
                f"rows of X_train have {train.shape[1]}."
            )
    for name, shape in (("X_train", train_shape), ("X_test", test_shape)):
        if shape is not None and image_shape is not None and shape != image_shape:
            raise ValueError(f"the images of {name} have shape {shape}, not image_shape="
                             f"{image_shape}.")
        image_shape = image_shape or shape
    return train, test, image_shape


def _check_labels(y_train, y_test, n_train, n_test):
    """Class codes of both label arrays (codes of ``y_train``'s sorted classes), checked."""
    checked = []
    for name, y, n_rows, X_name in (("y_train", y_train, n_train, "X_train"),
                                    ("y_test", y_test, n_test, "X_test")):
        if y is None or isinstance(y, (str, bytes, dict, set)):
            raise TypeError(f"{name} must hold one class label per row; got "
                            f"{'None' if y is None else type(y).__name__}.")
        check_memory_map(name, y)
        kind = type_of_target(y, input_name=name)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{name} must hold one class label per row; it is {kind!r}.")
        y = column_or_1d(y, warn=False)
        if len(y) != n_rows:
            raise ValueError(f"{X_name} has {n_rows} rows but {name} has {len(y)}.")
        checked.append(y)
    classes, train_codes = np.unique(checked[0], return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y_train has only one class ({classes[0]!r}); it needs two or more.")
    unseen = np.setdiff1d(checked[1], classes)
    if len(unseen):
        raise ValueError(
            f"y_test has classes {unseen.tolist()} that y_train lacks; the networks cannot "
            "predict them."
        )
    return train_codes, np.searchsorted(classes, checked[1]), classes


def _network_factory(network, image_shape):
    """``factory(input_shape, generator)`` of the networks to train."""
    if callable(network):
        return functools.partial(make_embedding, network)
    if network == "auto":
        network = "mlp" if image_shape is None else "convnet"
    if network == "mlp":
        return functools.partial(make_embedding, "mlp")
    if image_shape is None:
        raise ValueError(
            "network='convnet' needs images: pass X_train of shape (n, C, H, W) or flat "
            "rows with image_shape=(C, H, W)."
        )
    return functools.partial(make_embedding, "convnet", affine=True)


def _augmentation(augmentation, image_shape):
    """The SiameseAugment of the training mini-batches, or None."""
    if isinstance(augmentation, SiameseAugment):
        augment = augmentation
    elif augmentation in (None, "none", ""):
        return None
    elif augmentation == "auto":
        return None if image_shape is None else SiameseAugment(DEFAULT_STRATEGY)
    else:
        augment = SiameseAugment(augmentation)
    if image_shape is None:
        raise ValueError(
            f"augmentation={augmentation!r} needs images: pass X_train of shape "
            "(n, C, H, W) or flat rows with image_shape=(C, H, W), or augmentation=None."
        )
    return augment


__all__ = ["SyntheticEvaluation", "evaluate_synthetic"]
