"""Checks of FairDistiller's hyper-parameters on their own (types and ranges), before any data."""

import inspect
import numbers

import numpy as np


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


def check_int(name, value, *, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}; got {value!r}.")


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
