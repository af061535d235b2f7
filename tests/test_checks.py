"""Argument checks and user warnings shared by every part (skfairdistill._checks): each
error names the argument; warnings point at the caller's line, not the package's."""

import warnings

import numpy as np
import pytest

from skfairdistill._checks import check_int, check_names, check_real, check_rng, warn


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_check_int_returns_a_python_int(value):
    assert check_int("n", value, minimum=1) == int(value)
    assert type(check_int("n", value, minimum=1)) is int


@pytest.mark.parametrize("value, minimum, message", [
    (0, 1, "^n must be a positive integer; got 0."),
    (2.0, 1, "^n must be a positive integer; got 2.0."),
    (True, 0, "^n must be an integer >= 0; got True."),
    (-1, 0, "^n must be an integer >= 0; got -1."),
    ("3", 2, "^n must be an integer >= 2; got '3'."),
])
def test_check_int_refuses_naming_the_argument(value, minimum, message):
    with pytest.raises(ValueError, match=message):
        check_int("n", value, minimum=minimum)


def test_check_real_takes_a_closed_or_open_interval():
    assert check_real("p", 1, 0.0, 1.0) == 1.0 and type(check_real("p", 1, 0.0, 1.0)) is float
    with pytest.raises(ValueError, match=r"^p must be a number in \(0.0, 1.0\); got 1.0."):
        check_real("p", 1.0, 0.0, 1.0, closed=False)
    with pytest.raises(ValueError, match=r"^p must be a number in \[0.0, 1.0\]; got 1.5."):
        check_real("p", 1.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="^s must be a finite number >= 0.0; got inf."):
        check_real("s", np.inf, 0.0, np.inf)
    for bad in (True, "0.5", None):
        with pytest.raises(ValueError, match="^p must be a number in"):
            check_real("p", bad, 0.0, 1.0)


def test_check_rng_names_random_state():
    assert isinstance(check_rng(0), np.random.RandomState)
    rng = np.random.RandomState(1)
    assert check_rng(rng) is rng
    with pytest.raises(ValueError, match="^random_state must be an int, a numpy RandomState or "
                                         "None; got 'seed'."):
        check_rng("seed")


def test_a_warning_points_at_the_first_caller_outside_the_package():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warn("look here", UserWarning)
    (caught,) = record
    assert str(caught.message) == "look here" and caught.category is UserWarning
    assert caught.filename == __file__


def test_a_warning_raised_deep_in_a_fit_points_at_the_fit_call():
    from skfairdistill import FairDistiller

    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.arange(40) % 2
    with pytest.warns(UserWarning, match="classes have fewer rows") as record:
        FairDistiller(n_per_class=30, n_iter=2, alignment="none", random_state=0,
                      device="cpu").fit(X, y)
    assert {w.filename for w in record} == {__file__}


@pytest.mark.parametrize("value", ["age", [], ["sex", "sex"], ["sex", None], 3, "Sex"])
def test_check_names_refuses_what_is_not_distinct_known_names(value):
    with pytest.raises(ValueError,
                       match=r"^sensitive must be 'sex', 'race' or a list of them; got "):
        check_names("sensitive", value, ("sex", "race"))


def test_check_names_gives_a_list():
    assert check_names("sensitive", "race", ("sex", "race")) == ["race"]
    assert check_names("sensitive", ("race", "sex"), ("sex", "race")) == ["race", "sex"]
