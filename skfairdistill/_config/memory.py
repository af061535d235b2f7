"""Refusing, before allocating, a fit whose tensors cannot fit in the device's memory."""

import math
import os

import numpy as np
import torch

from .._nn.networks import default_mlp_width


def _device_memory(device):
    """Bytes of memory of ``device`` (the host's RAM for the CPU); None when unknown."""
    try:
        if device.type == "cuda":
            return int(torch.cuda.get_device_properties(device).total_memory)
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None


def _format_bytes(n_bytes):
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1024 or unit == "PB":
            return f"{n_bytes:.1f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    return ""  # not reached


def check_memory(estimator, per_class, n_values, image_shape, cells, device, batch_size,
                 network_pool=None):
    """Refuse, before allocating, a run whose tensors cannot fit in the device's memory.

    A rough lower bound of the float32 memory of the main tensors, split by the
    parameter that drives each part: the synthetic rows (``n_per_class``: the rows,
    their gradient and momentum, their embeddings), the embedding MLP's weights
    (``embedding_width`` / ``embedding_layers``) and the real mini-batch
    (``batch_size``, per (class, group) cell), and the MLPs of a ``network_pool``
    (None: no pool), kept for the whole fit. A user's embedding factory is not
    counted (its size is unknown), nor is the ConvNet's (fixed) size.
    """
    limit = _device_memory(device)
    if limit is None:
        return
    n_syn = int(np.sum(per_class, dtype=np.float64))
    batch = min(batch_size, int(cells.counts.max()))
    n_cells = int(cells.counts.size)
    width, layers, network, pool = 0, 0, 0.0, 0.0
    kind = estimator.embedding
    if kind == "auto":
        kind = "mlp" if image_shape is None else "convnet"
    if kind == "mlp":
        width = estimator.embedding_width
        if width == "auto":
            width = default_mlp_width(n_values)
        layers = estimator.embedding_layers
        network = 4.0 * 2 * (n_values * width + (layers - 1) * width * width)  # weights, grads
        pool = (network_pool or 0) * network / 2  # weights only, never trained
    elif kind == "convnet":
        width, layers = 128 * math.prod(image_shape[1:]), 3  # activations of the first block
    # activations of the first layer count with the rows; of the others, with the network
    network += 4.0 * (n_cells * batch + 2 * n_syn) * width * max(layers - 1, 0)
    parts = {
        "n_per_class": 4.0 * n_syn * (5 * n_values + 2 * width) + 8.0 * n_syn,
        "embedding_width" if estimator.embedding_width != "auto" else "embedding_layers": network,
        "batch_size": 4.0 * n_cells * batch * (2 * n_values + width),
        "network_pool": pool,
    }
    total = sum(parts.values())
    if total <= limit:
        return
    name = max(parts, key=parts.get)
    value = network_pool if name == "network_pool" else getattr(estimator, name)
    raise ValueError(
        f"{name}={value!r} would need about {_format_bytes(parts[name])} of memory "
        f"({_format_bytes(total)} in all for this run), more than the "
        f"{_format_bytes(limit)} of {device}; use a smaller {name}."
    )
