"""The resolved configuration of one fit: every "auto" value decided once, from estimator and data.

:func:`resolve_config` reads the estimator's parameters (already checked by
:mod:`skfairdistill._config.parameters`) and the data it needs (the images' shape, the
budget, the scale of the rows) and returns one frozen :class:`FitConfig`; the
matching package reads nothing else. The rules of the presets live in
:mod:`skfairdistill._config.presets`; explicit values win over them. The checks of
parameters against the data (``image_shape`` against ``X``, an ``n_per_class``
dict against the classes of ``y``) are here too.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from . import presets as _presets
from .rules import check_images, check_network_pool
from .._nn.augment import SiameseAugment
from .memory import check_memory
from .small_groups import warn_about_small_cells
from .._targets import group_trust
from .._nn.networks import make_embedding, stacked_embedding
from .._checks import check_int
from .._data.validation import as_chw, in_unit_range
from .._data.fitted import ReadableRows, scan_columns, value_range


@dataclass(frozen=True)
class FitConfig:
    """Every setting of one fit, resolved ("auto" decided). Built once per fit.

    ``alignment`` is the one the loops use ("none" without sensitive features);
    ``distance`` and ``warm_start_epochs`` follow the requested alignment, so a fit
    without groups keeps the requested method's settings. ``learning_rate`` is a
    number or a tensor ``(n_syn, 1)`` of per-row steps.
    """

    matching: str
    alignment: str
    n_iter: int
    learning_rate: object
    batch_size: int
    network_factory: object
    augment: object
    distance: str
    warm_start_epochs: int
    step_schedule: str  # distribution matching's step over the iterations
    network_pool: object  # distribution matching: networks drawn once and reused, or None
    outer_loops: int
    inner_steps: int
    network_learning_rate: float
    cloud_target: object  # experimental distribution-level barycenter, or None
    model_params: dict  # model matching's own knobs (matching_params), else empty
    verbose: int
    formation_factor: int = 1  # IDC: each stored image decodes into factor**2 images
    # CAFE: the discrimination loss's weight and the layer weights' rule
    discrimination_weight: float = _presets.CAFE_DISCRIMINATION_WEIGHT
    layer_weights: object = _presets.cafe_layer_weights
    # the fair targets: weight of each (class, group) cell's own statistic, an ndarray
    # (n_classes, n_groups) (matching_params['min_group_rows']), or None (all trusted)
    group_trust: object = None


def resolve_config(settings, *, X, image_shape, real, per_class, cells, device, has_groups,
                   classes=None, groups=None):
    """The :class:`FitConfig` of ``estimator`` on this data; refuses a fit too big for the device.

    The memory check (:func:`~skfairdistill._config.memory.check_memory`) runs once the batch
    size is known and before anything of the synthetic set's size is allocated.

    Parameters
    ----------
    settings : SimpleNamespace
        Every parameter, checked (:func:`~skfairdistill._config.parameters.check_params`).
    X : ndarray or HostRows
        The validated rows (read only to tell whether images lie in [0, 1]).
    image_shape : tuple of int or None
        ``(C, H, W)`` of images (see :func:`resolve_image_shape`), None for tables.
    real : RealRows
    per_class : ndarray of int
        Synthetic rows of every class.
    device : torch.device
        Where a per-row step size is put.
    has_groups : bool
        Whether sensitive features were given.
    cells : CellSampler
        The (class, group) cells (the paper preset splits a class's batch among the
        groups present in it). Cells under 30 rows are named by one warning when the
        alignment weights groups equally (:mod:`~skfairdistill._config.small_groups`).
    classes, groups : ndarray or None, default=None
        The labels, to name those cells in the warning (None: by index).
    """
    outer_loops, inner_steps = _presets.dc_loops(per_class.max(), settings.matching)
    warm_start = _auto(settings.warm_start_epochs, _presets.warm_start_epochs, settings.preset,
                       settings.matching, settings.alignment, per_class.max())
    check_network_pool(settings, warm_start)
    max_groups = int(cells.present.sum(axis=1).max())
    batch_size = _auto(settings.batch_size, _presets.batch_size, settings.preset,
                       settings.matching, max_groups)
    factor = _presets.formation_factor(settings.matching)
    # IDC: the decoded images count
    check_memory(settings, per_class * factor**2, real.n_features, image_shape, cells, device,
                 batch_size, settings.network_pool)
    alignment = settings.alignment if has_groups else "none"
    warn_about_small_cells(cells.counts, settings, alignment, classes, groups)
    return FitConfig(
        matching=settings.matching,
        alignment=alignment,
        n_iter=_auto(settings.n_iter, _presets.n_iter, settings.preset, settings.matching),
        learning_rate=learning_rate(settings, X, image_shape, real, per_class, device),
        batch_size=batch_size,
        network_factory=network_factory(settings, image_shape, settings.networks_per_step),
        augment=augmentation(settings, image_shape),
        distance=_presets.distance(settings.alignment, settings.distance),
        warm_start_epochs=warm_start,
        step_schedule=settings.step_schedule,
        network_pool=settings.network_pool,
        outer_loops=outer_loops if settings.outer_loops is None else settings.outer_loops,
        inner_steps=inner_steps if settings.inner_steps is None else settings.inner_steps,
        network_learning_rate=settings.network_learning_rate,
        cloud_target=cloud_target(settings),
        model_params=model_params(settings),
        verbose=settings.verbose,
        formation_factor=factor,
        group_trust=(group_trust(cells.counts, settings.min_group_rows)
                     if alignment in ("barycenter", "groupwise") else None),
    )


def cloud_target(settings):
    """The experimental distribution-level barycenter's factory, or None for COBRA's mean."""
    if settings.barycenter == "mean":
        return None
    from ..experimental import barycenter_target

    return functools.partial(
        barycenter_target, settings.barycenter, fixed_point_steps=settings.fixed_point_steps,
        max_cloud=settings.max_cloud, groups_per_step=settings.groups_per_step,
        n_projections=settings.n_projections)


def model_params(settings):
    """Model matching's knobs as the loop takes them; empty for the other loops."""
    if settings.matching != "model":
        return {}
    return {"fairness_weight": settings.fairness_weight, "group_balance": settings.group_balance,
            "C": settings.C, "newton_steps": settings.newton_steps, "kernel": settings.kernel}


def _auto(value, rule, *args):
    """``value``, or what the preset ``rule(*args)`` gives for ``"auto"``."""
    if isinstance(value, str) and value == "auto":
        return rule(*args)
    return value


def resolve_image_shape(settings, row_shape, n_features):
    """``(C, H, W)`` of the images, or None for tables; checked against the data."""
    data_shape = None if row_shape is None else as_chw(row_shape)
    if settings.image_shape is None:
        shape = data_shape
    else:
        shape = as_chw(settings.image_shape)
        if data_shape is not None and shape != data_shape:
            raise ValueError(
                f"image_shape={tuple(settings.image_shape)} does not match the images in X, "
                f"of shape {tuple(row_shape)}."
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(settings.image_shape)} has {math.prod(shape)} values, "
                f"but the rows of X have {n_features}."
            )
    check_images(settings, shape)
    return shape


def resolve_budget(settings, classes):
    """``n_per_class`` as a dict over exactly the classes of ``y`` (at least two)."""
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes.tolist()[0]!r}); distillation needs at least two classes."
        )
    n_per_class = settings.n_per_class
    if not isinstance(n_per_class, dict):
        return {c: n_per_class for c in classes}
    unknown = [k for k in n_per_class if k not in set(classes.tolist())]
    missing = [c for c in classes.tolist() if c not in n_per_class]
    if unknown or missing:
        raise ValueError(
            "n_per_class as a dict must have exactly the classes of y as keys; "
            f"classes of y: {classes.tolist()}, unknown keys: {unknown}, missing: {missing}."
        )
    for label, n in n_per_class.items():
        check_int(f"n_per_class[{label!r}]", n, minimum=1)
    return n_per_class


def network_factory(settings, image_shape, stack=1):
    """``factory(input_shape, generator)`` drawing the estimator's embedding network.

    ``stack`` networks side by side (distribution matching's ``networks_per_step``):
    the MLP draws and runs them as one network; other networks are drawn one by one
    and concatenated (:class:`~skfairdistill._nn.networks.NetworkStack`).
    """
    if stack > 1 and not (settings.embedding in ("auto", "mlp") and image_shape is None
                          or settings.embedding == "mlp"):
        return functools.partial(stacked_embedding, network_factory(settings, image_shape), stack)
    if callable(settings.embedding):
        return functools.partial(make_embedding, settings.embedding)
    kind = settings.embedding
    if kind == "auto":
        kind = "mlp" if image_shape is None else "convnet"
    if kind == "mlp":
        options = {"n_layers": settings.embedding_layers, "stack": stack}
        if settings.embedding_width != "auto":  # "auto": make_embedding's default width
            options["width"] = settings.embedding_width
        return functools.partial(make_embedding, "mlp", **options)
    # the preset shapes the ConvNet "auto" draws; "convnet" asked by name is the field's
    options = (_presets.convnet_options(settings.preset, settings.matching)
               if settings.embedding == "auto" else {})
    return functools.partial(make_embedding, kind, **options)


def augmentation(settings, image_shape):
    """The SiameseAugment of this fit, or None."""
    value = settings.augmentation
    if image_shape is None or value in (None, "none", ""):
        return None
    if isinstance(value, SiameseAugment):
        return value
    if value == "auto":
        strategy = _presets.augmentation(settings.preset, settings.matching)
        return None if strategy is None else SiameseAugment(strategy)
    return SiameseAugment(value)


def learning_rate(settings, X, image_shape, real, per_class, device):
    """The step size: a number, or one per synthetic row (a tensor ``(n_syn, 1)``)."""
    if settings.learning_rate != "auto":
        return settings.learning_rate
    preset, matching = settings.preset, settings.matching
    pixel_scale = None
    if preset == "paper" and image_shape is not None and in_unit_range(X):
        pixel_scale = float(np.mean(real.scale**2))
    rate = _presets.learning_rate(
        preset,
        matching,
        images=image_shape is not None,
        convnet=settings.embedding != "mlp",
        pixel_scale=pixel_scale,
    )
    if preset != "library" or matching != "distribution" or image_shape:
        return rate
    # tables: the loss compares class means, so a row's gradient is 1 / n_c of its
    # class's; rate * n_c / 10 keeps every row's step what it is at 10 rows
    if (per_class == per_class[0]).all():
        return rate * float(per_class[0]) / 10
    steps = torch.as_tensor(rate * per_class / 10, dtype=torch.float32, device=device)
    # the synthetic rows are ordered by class, per_class of each
    return steps.repeat_interleave(torch.as_tensor(per_class, device=device)).unsqueeze(1)


def resolve_readable_rows(settings, X, feature_names=None, row_shape=None):
    """How ``fit_resample`` makes the rows readable (``matching_params['readable_rows']``).

    ``"auto"``: images are clipped to their channel's range in ``X``, which made the
    ConvNet sets more accurate and fairer; table rows stay as optimised, because on
    Adult clipping them cost fairness and decoding their one-hot blocks cost accuracy
    (``docs/benchmarks.md``, "Readable rows"). True: every value clipped to its range
    (a column's; an image channel's) and every one-hot block found in ``X``
    (:func:`~skfairdistill._data.fitted.scan_columns`) set to one category. False:
    the rows as optimised. A list declares the one-hot blocks instead (column
    indices, or names for a DataFrame ``X``; ``[]`` clips only). Resolved, and
    checked against ``X``, before the distillation starts, in one pass over ``X``
    (row blocks, or the stored values of a sparse ``X``), which is never copied whole.

    Parameters
    ----------
    settings : SimpleNamespace
        The checked parameters (``settings.readable_rows``, ``settings.matching``,
        ``settings.image_shape``).
    X : ndarray, scipy.sparse matrix or HostRows
        The validated rows (flat images included).
    feature_names : ndarray of str or None, default=None
        The column names of a DataFrame ``X`` (``feature_names_in_``).
    row_shape : tuple of int or None, default=None
        One row's shape as the caller gave it (images), else None.

    Returns
    -------
    ReadableRows
    """
    value = settings.readable_rows
    switch = isinstance(value, (str, bool, np.bool_))  # "auto", True, False: no list
    image_shape = row_shape if row_shape is not None else settings.image_shape
    auto = isinstance(value, str)
    if switch and not value or auto and (image_shape is None or settings.matching == "model"):
        return ReadableRows()
    if image_shape is not None:
        image_shape = as_chw(image_shape)
        if math.prod(image_shape) != X.shape[1]:
            return ReadableRows()  # refused with a clear error when the fit starts
        if not switch and len(value):
            raise ValueError(
                "matching_params['readable_rows'] declares one-hot blocks, but X holds images "
                "(whose pixels are no categories); use 'auto', True or False for images.")
    declared = None if switch else _declared_blocks(value, X.shape[1], feature_names)
    low, high, found = scan_columns(X)
    if image_shape is not None:
        return ReadableRows(*value_range(low, high, image_shape))
    return ReadableRows(low, high, found if declared is None else declared)


def _declared_blocks(value, n_features, feature_names):
    """The declared one-hot blocks as column indices; errors name what ``X`` lacks."""
    names = {} if feature_names is None else {
        str(name): j for j, name in enumerate(feature_names)}
    blocks = []
    for block in value:
        columns = []
        for column in block:
            if isinstance(column, str):
                if column not in names:
                    known = ("X has no column names (pass a DataFrame, or give indices)"
                             if feature_names is None else f"the columns of X are "
                             f"{list(names)[:20]}{' ...' if len(names) > 20 else ''}")
                    raise ValueError(
                        f"matching_params['readable_rows'] names column {column!r}, which X "
                        f"does not have; {known}.")
                column = names[column]
            elif not -n_features <= column < n_features:
                raise ValueError(
                    f"matching_params['readable_rows'] has column index {column}, but X has "
                    f"{n_features} columns (indices 0 to {n_features - 1}).")
            columns.append(int(column) % n_features)
        blocks.append(columns)
    taken = [column for block in blocks for column in block]
    if len(set(taken)) < len(taken):
        raise ValueError(
            "matching_params['readable_rows'] puts a column in two one-hot blocks (by name "
            "and by index); a column belongs to one category.")
    return blocks


__all__ = ["FitConfig", "resolve_budget", "resolve_config", "resolve_image_shape",
           "resolve_readable_rows"]
