"""The parameter table: every parameter declared once, checked before any data work."""

import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.parameters import PARAMETERS, check_params


def test_the_table_declares_every_parameter_of_init():
    assert sorted(PARAMETERS) == sorted(FairDistiller().get_params(deep=False))


def test_the_defaults_pass():
    check_params(FairDistiller().get_params(deep=False))


@pytest.mark.parametrize("name, value, phrase", [
    ("n_iter", 0, "n_iter must be a positive integer"),
    ("warm_start_epochs", -1, "warm_start_epochs must be an integer >= 0"),
    ("learning_rate", -1.0, "learning_rate must be a positive finite number or 'auto'"),
    ("network_learning_rate", "auto", "network_learning_rate must be a positive finite number"),
    ("matching", "dm", "matching must be one of"),
    ("outer_loops", 0, "outer_loops must be a positive integer"),
])
def test_a_bad_value_is_refused_naming_the_parameter(name, value, phrase):
    params = {**FairDistiller().get_params(deep=False), name: value}
    with pytest.raises(ValueError, match=phrase):
        check_params(params)
