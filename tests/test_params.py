"""The parameter table: every parameter declared once, checked before any data work."""

import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.parameters import PARAMETERS, check_params


def test_the_table_declares_every_parameter_of_init():
    assert sorted([*PARAMETERS, "matching_params"]) == sorted(FairDistiller().get_params())


def test_the_door_has_at_most_fifteen_parameters():
    assert len(FairDistiller().get_params()) <= 15


@pytest.mark.parametrize("name, value, phrase", [
    ("warm_start_epochs", -1, "matching_params\\['warm_start_epochs'\\] must be an integer >= 0"),
    ("network_learning_rate", "auto", "network_learning_rate'\\] must be a positive finite"),
    ("outer_loops", 0, "matching_params\\['outer_loops'\\] must be a positive integer"),
    ("fairness_weight", -1.0, "fairness_weight'\\] must be a non-negative finite number"),
])
def test_a_bad_matching_param_is_refused_naming_it(name, value, phrase):
    matching = {"network_learning_rate": "gradient", "outer_loops": "gradient",
                "fairness_weight": "model"}.get(name, "distribution")
    params = {**FairDistiller().get_params(), "matching": matching,
              "matching_params": {name: value}}
    with pytest.raises(ValueError, match=phrase):
        check_params(params)


def test_unknown_and_misplaced_matching_params_are_refused():
    params = FairDistiller().get_params()
    with pytest.raises(ValueError, match="unknown keys \\['widht'\\]"):
        check_params({**params, "matching_params": {"widht": 3}})
    with pytest.raises(ValueError, match="outer_loops'\\] applies to matching in"):
        check_params({**params, "matching_params": {"outer_loops": 3}})
    with pytest.raises(TypeError, match="matching_params must be a dict"):
        check_params({**params, "matching_params": [("distance", "l1")]})


def test_the_defaults_pass():
    check_params(FairDistiller().get_params(deep=False))


@pytest.mark.parametrize("name, value, phrase", [
    ("n_iter", 0, "n_iter must be a positive integer"),
    ("learning_rate", -1.0, "learning_rate must be a positive finite number or 'auto'"),
    ("matching", "dm", "matching must be one of"),
])
def test_a_bad_value_is_refused_naming_the_parameter(name, value, phrase):
    params = {**FairDistiller().get_params(deep=False), name: value}
    with pytest.raises(ValueError, match=phrase):
        check_params(params)
