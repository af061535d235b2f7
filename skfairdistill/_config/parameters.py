"""FairDistiller's hyper-parameters declared once: one table of their types and ranges.

:data:`PARAMETERS` maps every parameter of ``FairDistiller.__init__`` to the
check of its value on its own; :func:`check_params` runs the table, then the few
checks that involve two parameters (:func:`check_combinations`). Checks that need
the data (an ``n_per_class`` dict against the classes of ``y``, ``image_shape``
against ``X``) happen in the fit. Every error names the argument and what to do.
"""

import inspect
import math
import numbers

import numpy as np

from . import presets as _presets
from .._nn.augment import SiameseAugment, parse_strategy
from .._checks import check_int
from .._runtime.device import resolve_device
from .._targets import ALIGNMENTS
from .._nn.networks import EMBEDDINGS
from .._targets import BARYCENTERS, DISTANCES, check_barycenter
from .._runtime.threads import check_n_threads

INITS = ("real", "noise", "kmeans")
MATCHINGS = ("distribution", "gradient", "kmeans", "idc", "cafe")


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")


def check_random_state(random_state):
    """Accept what ``sklearn.utils.check_random_state`` accepts; refuse the rest clearly."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return
    if isinstance(random_state, np.random.Generator):
        raise TypeError(
            "random_state must be None, an int in [0, 2**32 - 1] or a "
            "numpy.random.RandomState; got a numpy.random.Generator, which scikit-learn "
            "estimators do not take. Pass a seed drawn from it, e.g. "
            "random_state=int(rng.integers(2**32))."
        )
    if not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be None, an int in [0, 2**32 - 1] or a "
            f"numpy.random.RandomState; got {type(random_state).__name__} {random_state!r}."
        )
    if not 0 <= random_state <= 2**32 - 1:
        raise ValueError(
            f"random_state must be an int in [0, 2**32 - 1] (a NumPy seed); got {random_state}."
        )


def check_embedding_factory(factory):
    """A user's ``embedding`` must be callable as ``factory(input_shape, generator)``."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # no signature to read (some builtins): trust it
        return
    try:
        signature.bind(None, None)
    except TypeError as error:
        raise TypeError(
            f"embedding={factory!r} must be a factory called as factory(input_shape, "
            f"generator), but its signature is {signature} ({error}). Wrap it, e.g. "
            "embedding=lambda input_shape, generator: MyNetwork(input_shape, generator), or "
            "use functools.partial(skfairdistill.networks.make_embedding, 'mlp', width=64)."
        ) from None


def check_image_shape(shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) not in (2, 3)
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
                   for s in shape)
    ):
        raise ValueError(
            "image_shape must be (C, H, W) or (H, W), positive integers, channels first; "
            f"got {shape!r}."
        )


def check_positive(name, value, *, auto=False):
    """A positive finite real number (``"auto"`` too when ``auto``)."""
    if auto and isinstance(value, str) and value == "auto":
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (value > 0 and math.isfinite(value))
    ):
        also = " or 'auto'" if auto else ""
        raise ValueError(f"{name} must be a positive finite number{also}; got {value!r}.")


def check_augmentation(value):
    """``"auto"``, a strategy string, a SiameseAugment or None."""
    if value is None or isinstance(value, SiameseAugment):
        return
    if not isinstance(value, str):
        raise ValueError(
            "augmentation must be 'auto', a strategy string such as 'crop_flip', a "
            f"SiameseAugment or None; got {type(value).__name__}."
        )
    if value != "auto":
        parse_strategy(value)  # names the unknown operations


def _choice(*choices):
    return lambda name, value: check_choice(name, value, choices)


def _integer(minimum, *, allowed=()):
    """An int >= ``minimum``, or one of the ``allowed`` special values ("auto", None)."""

    def check(name, value):
        if any(value is special or (isinstance(value, str) and value == special)
               for special in allowed):
            return
        check_int(name, value, minimum=minimum)

    return check


def _budget(name, value):
    if not isinstance(value, dict):  # a dict is checked against the classes of y in fit
        check_int(name, value, minimum=1)


def _embedding(name, value):
    if callable(value):
        check_embedding_factory(value)
    else:
        check_choice(name, value, EMBEDDINGS)


#: Every parameter of ``FairDistiller.__init__``, with the check of its value on its own.
PARAMETERS = {
    "matching": _choice(*MATCHINGS),
    "alignment": _choice(*ALIGNMENTS),
    "preset": _choice(*_presets.PRESETS),
    "distance": _choice("auto", *DISTANCES),
    "barycenter": _choice(*BARYCENTERS),
    "init": _choice(*INITS),
    "n_iter": _integer(1, allowed=("auto",)),
    "batch_size": _integer(1, allowed=("auto",)),
    "embedding_width": _integer(1, allowed=("auto",)),
    "embedding_layers": _integer(1),
    "warm_start_epochs": _integer(0, allowed=("auto",)),
    "verbose": _integer(0),
    "learning_rate": lambda name, value: check_positive(name, value, auto=True),
    "network_learning_rate": check_positive,
    "embedding": _embedding,
    "random_state": lambda name, value: check_random_state(value),
    "image_shape": lambda name, value: value is None or check_image_shape(value),
    "augmentation": lambda name, value: check_augmentation(value),
    "outer_loops": _integer(1, allowed=(None,)),
    "inner_steps": _integer(0, allowed=(None,)),
    "n_per_class": _budget,
    "device": lambda name, value: resolve_device(value),
    "n_threads": lambda name, value: check_n_threads(value),
    "stratify_groups": lambda name, value: check_bool(name, value),
}


def check_params(params):
    """Check a dict of every parameter (``get_params(deep=False)``): the table, then pairs."""
    for name, check in PARAMETERS.items():
        check(name, params[name])
    check_combinations(params)


def check_combinations(params):
    """The checks that involve two parameters (all of them, in one place)."""
    if params["preset"] == "paper" and params["matching"] == "kmeans":
        raise ValueError(
            "preset='paper' reproduces the papers' distribution and gradient matching; "
            "matching='kmeans' is not one of them. Use preset='library' with it."
        )
    check_barycenter(params["alignment"], params["barycenter"])
    if params["matching"] != "distribution" and params["barycenter"] != "mean":
        raise ValueError(
            f"barycenter={params['barycenter']!r} needs matching='distribution' (it aligns "
            f"embedding distributions); matching={params['matching']!r} uses barycenter='mean'."
        )
    if params["stratify_groups"]:
        _check_stratified(params)


def _check_stratified(params):
    """``stratify_groups=True`` runs the library's DM or k-means on every group alone."""
    if params["matching"] not in ("distribution", "kmeans"):
        raise ValueError(
            "stratify_groups=True needs matching='distribution' or 'kmeans' (every group is "
            f"distilled on its own); got matching={params['matching']!r}."
        )
    if params["barycenter"] != "mean" or params["preset"] != "library":
        raise ValueError(
            "stratify_groups=True needs barycenter='mean' and preset='library' (each group "
            f"is matched alone); got barycenter={params['barycenter']!r}, "
            f"preset={params['preset']!r}."
        )
