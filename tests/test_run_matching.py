"""The matching package's one entry point (skfairdistill._matching._run.run_matching): a
resolved FitConfig in, the loop it names called with its own knobs, a MatchingResult out."""

from types import SimpleNamespace

import pytest
import torch

import skfairdistill._matching._run as matching_run

COMMON = dict(alignment="barycenter", n_iter=3, learning_rate=0.1, batch_size=8,
              network_factory="factory", augment=None, verbose=0)
OWN = {
    "match_distributions": {"distance": "l1", "cloud_target": None, "warm_start_epochs": 2,
                            "step_schedule": "cosine", "group_trust": None,
                            "network_pool": 6},
    "match_gradients": {"outer_loops": 4, "inner_steps": 5, "network_learning_rate": 0.01},
    "match_multiformation": {"outer_loops": 4, "inner_steps": 5, "network_learning_rate": 0.01,
                             "factor": 2},
    "match_features": {"outer_loops": 4, "inner_steps": 5, "network_learning_rate": 0.01,
                       "discrimination_weight": 2.56, "layer_weights": "rule",
                       "group_trust": None},
}
LOOP = {"distribution": "match_distributions", "gradient": "match_gradients",
        "idc": "match_multiformation", "cafe": "match_features"}


def _config(matching):
    """The fields of a FitConfig that the network loops read."""
    return SimpleNamespace(
        matching=matching, distance="l1", warm_start_epochs=2, step_schedule="cosine",
        group_trust=None, network_pool=6,
        outer_loops=4, inner_steps=5,
        network_learning_rate=0.01, cloud_target=None, formation_factor=2 if matching == "idc"
        else 1, discrimination_weight=2.56, layer_weights="rule", **COMMON)


@pytest.mark.parametrize("matching", sorted(LOOP))
def test_each_matching_calls_its_loop_with_its_own_knobs(monkeypatch, matching):
    calls = {}
    for name in OWN:
        monkeypatch.setattr(matching_run, name,
                            lambda *args, _name=name, **kwargs: calls.update({_name: (args,
                                                                                      kwargs)}))
    X_init = torch.zeros(8, 3, 4, 4)
    generator = torch.Generator().manual_seed(0)
    matching_run.run_matching("real", "cells", X_init, "y_syn", _config(matching), generator)
    (name,) = calls
    assert name == LOOP[matching]
    args, kwargs = calls[name]
    assert args[:2] == ("real", "cells") and args[3] == "y_syn"
    assert kwargs == {**COMMON, **OWN[name], "generator": generator}
    # IDC optimises the stored images: four starting images tile into one of their size
    assert args[2].shape == ((2, 3, 4, 4) if matching == "idc" else (8, 3, 4, 4))


def test_a_matching_without_a_loop_is_refused():
    config = _config("kmeans")  # prototypes, computed without a loop
    with pytest.raises(ValueError, match="^no matching loop for matching='kmeans'"):
        matching_run.run_matching(None, None, torch.zeros(1, 1), None, config, None)
