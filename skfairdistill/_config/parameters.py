"""FairDistiller's parameters declared once: allowed values, checks and ``matching_params`` keys.

The allowed values, the check of each value on its own, and the method-specific knobs
of ``matching_params`` with their defaults. Torch-free at import (the command line's
``--help`` reads the choices); the checks that need torch import it when they run. The
rules that tie two parameters together live in :mod:`skfairdistill._config.rules`.
"""

import inspect
import math
import numbers
from types import MappingProxyType, SimpleNamespace

import numpy as np

from .._checks import check_int
from .rules import check_combinations

ALIGNMENTS = ("barycenter", "groupwise", "none")
MATCHINGS = ("distribution", "gradient", "kmeans", "idc", "cafe", "model")
INITS = ("real", "noise", "kmeans")
PRESETS = ("library", "paper")
DISTANCES = ("l1", "squared_l2")
STEP_SCHEDULES = ("constant", "cosine")
BARYCENTERS = ("mean", "wasserstein", "sliced")
EMBEDDINGS = ("auto", "mlp", "convnet")

# the loops that draw an embedding or classifier network
NETWORK_LOOPS = ("distribution", "gradient", "idc", "cafe")
# the loops that train their network between updates of the synthetic rows
TRAINED_LOOPS = ("gradient", "idc", "cafe")


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")


def check_positive(name, value, *, auto=False, zero=False):
    """A positive (``zero``: non-negative) finite real number, or ``"auto"`` when ``auto``."""
    if auto and isinstance(value, str) and value == "auto":
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not (value >= 0 if zero else value > 0)
    ):
        kind = "a non-negative" if zero else "a positive"
        also = " or 'auto'" if auto else ""
        raise ValueError(f"{name} must be {kind} finite number{also}; got {value!r}.")


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


def check_augmentation(value):
    """``"auto"``, a strategy string, a SiameseAugment or None."""
    from .._nn.augment import SiameseAugment, parse_strategy

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


def _learning_rate(name, value):
    """A positive finite number or "auto"; a number float32 can hold (the steps are float32)."""
    check_positive(name, value, auto=True)
    largest = float(np.finfo(np.float32).max)
    if not isinstance(value, str) and value > largest:
        raise ValueError(
            f"{name} must be at most {largest:.4g}, the largest float32 number (the "
            f"optimisation computes in float32); got {value!r}. A step this large would "
            f"diverge anyway: leave {name}='auto' (the default) or give a small value "
            "such as 0.1.")


def _readable_rows(name, value):
    """``"auto"``, True, False, or a list of one-hot blocks of two or more columns each."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, str) and value == "auto":
        return
    example = "e.g. [[0, 1, 2], ['job_chef', 'job_clerk']]"
    if isinstance(value, (str, bytes, dict, set)) or not np.iterable(value):
        raise ValueError(f"{name} must be 'auto', True, False or a list of one-hot blocks, "
                         f"each a list of two or more columns (indices or names), {example}; "
                         f"got {value!r:.80}.")
    seen = set()
    for block in value:
        if (isinstance(block, (str, bytes, dict, set)) or not np.iterable(block)
                or len(block) < 2):
            raise ValueError(f"{name}: every one-hot block must list two or more columns "
                             f"(indices or names), {example}; got {block!r:.80}.")
        for column in block:
            if isinstance(column, (bool, np.bool_)) or not isinstance(
                    column, (numbers.Integral, str)):
                raise ValueError(f"{name}: a column is an int index or a str name; got "
                                 f"{column!r:.40} in block {block!r:.80}.")
            if column in seen:
                raise ValueError(f"{name}: column {column!r} is in two blocks (or twice in "
                                 "one); a column belongs to one category.")
            seen.add(column)


def _unit_interval(name, value):
    check_positive(name, value, zero=True)
    if value > 1:
        raise ValueError(f"{name} must be in [0, 1]; got {value!r}.")


def _device(name, value):
    from .._runtime.device import resolve_device

    resolve_device(value)


def _n_threads(name, value):
    from .._runtime.threads import check_n_threads

    check_n_threads(value)


#: Every parameter of ``FairDistiller.__init__`` but ``matching_params``, with its check.
PARAMETERS = MappingProxyType({
    "n_per_class": _budget,
    "matching": _choice(*MATCHINGS),
    "alignment": _choice(*ALIGNMENTS),
    "stratify_groups": check_bool,
    "preset": _choice(*PRESETS),
    "n_iter": _integer(1, allowed=("auto",)),
    "learning_rate": _learning_rate,
    "batch_size": _integer(1, allowed=("auto",)),
    "init": _choice(*INITS),
    "image_shape": lambda name, value: value is None or check_image_shape(value),
    "device": _device,
    "random_state": lambda name, value: check_random_state(value),
    "verbose": _integer(0),
    "n_threads": _n_threads,
})


#: The knobs of ``matching_params``: name -> (default, the loops it applies to, its check).
MATCHING_PARAMS = MappingProxyType({
    "distance": ("auto", ("distribution",), _choice("auto", *DISTANCES)),
    "warm_start_epochs": ("auto", ("distribution",), _integer(0, allowed=("auto",))),
    "step_schedule": ("constant", ("distribution",), _choice(*STEP_SCHEDULES)),
    "networks_per_step": (1, ("distribution",), _integer(1)),
    "network_pool": (None, ("distribution",), _integer(1, allowed=(None,))),
    "embedding": ("auto", NETWORK_LOOPS, _embedding),
    "embedding_width": ("auto", NETWORK_LOOPS, _integer(1, allowed=("auto",))),
    "embedding_layers": (2, NETWORK_LOOPS, _integer(1)),
    "augmentation": ("auto", NETWORK_LOOPS, lambda name, value: check_augmentation(value)),
    "outer_loops": (None, TRAINED_LOOPS, _integer(1, allowed=(None,))),
    "inner_steps": (None, TRAINED_LOOPS, _integer(0, allowed=(None,))),
    "network_learning_rate": (0.01, TRAINED_LOOPS, check_positive),
    # the fair targets: a (class, group) cell of fewer rows is shrunk towards its class
    "min_group_rows": (None, ("distribution", "cafe"), _integer(1, allowed=(None,))),
    # experimental (skfairdistill.experimental): distribution-level barycenters
    "barycenter": ("mean", ("distribution",), _choice(*BARYCENTERS)),
    "fixed_point_steps": (1, ("distribution",), _integer(1)),
    "max_cloud": (128, ("distribution",), _integer(2)),
    "groups_per_step": (1, ("distribution",), _integer(1, allowed=(None,))),
    "n_projections": (64, ("distribution",), _integer(1)),
    # model matching
    "fairness_weight": ("auto", ("model",),
                        lambda name, value: check_positive(name, value, auto=True, zero=True)),
    "group_balance": (0.0, ("model",), _unit_interval),
    "C": (1.0, ("model",), check_positive),
    "newton_steps": (8, ("model",), _integer(1)),
    "kernel": ("linear", ("model",), _choice("linear", "relu")),
    # the rows fit_resample returns: within the range of X, one category per one-hot block
    "readable_rows": ("auto", MATCHINGS, _readable_rows),
})

def check_params(params):
    """Check every parameter (``get_params(deep=False)``); return the resolved settings.

    The settings are a namespace of every door parameter and every ``matching_params``
    knob (its default where not given). Combination rules run last
    (:func:`skfairdistill._config.rules.check_combinations`).
    """
    for name, check in PARAMETERS.items():
        check(name, params[name])
    given = params["matching_params"]
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise TypeError(
            f"matching_params must be a dict or None; got {type(given).__name__}.")
    unknown = sorted(set(given) - set(MATCHING_PARAMS), key=str)
    if unknown:
        raise ValueError(
            f"matching_params has unknown keys {unknown}; the keys are "
            f"{sorted(MATCHING_PARAMS)} (each applies to some values of matching).")
    for name, value in given.items():
        MATCHING_PARAMS[name][2](f"matching_params[{name!r}]", value)
    settings = {name: default for name, (default, _, _) in MATCHING_PARAMS.items()}
    settings.update(given)
    settings.update({name: params[name] for name in PARAMETERS})
    # the knobs given, with the loops each applies to (a rule of _config/rules.py)
    settings["given"] = {name: MATCHING_PARAMS[name][1] for name in given}
    settings = SimpleNamespace(**settings)
    check_combinations(settings)
    return settings
