"""Device resolution and local random generators.

Everything the distillation creates follows the device resolved here; nothing in
the package names a device itself, and no global random state is ever touched.
"""

import numpy as np
import torch
from sklearn.utils import check_random_state


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device
        ``"auto"`` picks the first CUDA device when one is available, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the name is unknown or names a CUDA device this machine does not have.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device; "
            f"got {type(device).__name__} {device!r}."
        )
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device; got {device!r}."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this machine; "
                "use device='cpu' or device='auto'."
            )
        index = resolved.index or 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} "
                "CUDA device(s) are visible."
            )
    elif resolved.type != "cpu":
        raise ValueError(f"device must be a CPU or CUDA device; got {device!r}.")
    return resolved


def make_generators(random_state, device):
    """Local NumPy and torch generators derived from ``random_state``.

    The same ``random_state`` always gives the same pair of streams; the global
    NumPy and torch generators are left alone.

    Returns
    -------
    numpy_rng : numpy.random.Generator
    torch_rng : torch.Generator on ``device``
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    numpy_rng = np.random.default_rng(seed)
    torch_rng = torch.Generator(device=device)
    torch_rng.manual_seed(seed)
    return numpy_rng, torch_rng
