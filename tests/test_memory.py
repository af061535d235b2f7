"""Refusing, before allocating, a fit too big for the device (skfairdistill._config.memory)."""

import numpy as np
import pytest
import torch

import skfairdistill._config.memory as memory
from skfairdistill import FairDistiller
from skfairdistill._config.memory import _format_bytes, check_memory
from skfairdistill._config.parameters import check_params
from skfairdistill._data.cells import CellSampler

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


@pytest.mark.parametrize("params, name", [
    (dict(matching_params={"embedding_width": 10**6}), "embedding_width"),
    (dict(n_per_class=10**9), "n_per_class"),
    (dict(n_per_class={0: 10**9, 1: 2}), "n_per_class"),
    (dict(matching_params={"embedding_layers": 10**6}), "embedding_layers"),
    (dict(matching_params={"network_pool": 10**8}), "network_pool"),
])
def test_absurd_sizes_are_refused_before_allocating(params, name, no_long_work):
    X, y, A = make_grouped_data(n_samples=120)
    with pytest.raises(ValueError, match=rf"{name}=.* would need about [\d.]+ [KMGTP]B of memory"):
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (5 * 2**20, "5.0 MB"),
    (3 * 2**30, "3.0 GB"), (2**40, "1.0 TB"), (2**60, "1024.0 PB"),
])
def test_sizes_read_in_binary_units(n_bytes, text):
    assert _format_bytes(n_bytes) == text


def _cells():
    y, groups = np.arange(100) % 2, (np.arange(100) // 2) % 2
    return CellSampler(y, groups, 2, 2, torch.device("cpu"))


@pytest.mark.parametrize("params, name", [
    (dict(), "n_per_class"),
    (dict(matching_params={"embedding_width": 4096}), "embedding_width"),
    (dict(matching_params={"embedding_layers": 64}), "embedding_layers"),
], ids=["rows", "width", "layers"])
def test_the_error_names_the_largest_part_and_the_device(monkeypatch, params, name):
    monkeypatch.setattr(memory, "_device_memory", lambda device: 2**20)  # a 1 MB device
    settings = check_params(FairDistiller(**params).get_params(deep=False))
    per_class = np.array([10_000, 10_000]) if name == "n_per_class" else np.array([2, 2])
    with pytest.raises(ValueError) as error:
        check_memory(settings, per_class, 64, None, _cells(), torch.device("cpu"), 16)
    message = str(error.value)
    assert message.startswith(f"{name}=") and f"use a smaller {name}" in message
    assert "more than the 1.0 MB of cpu" in message


def test_a_fit_that_fits_or_a_device_of_unknown_size_passes(monkeypatch):
    settings = check_params(FairDistiller().get_params(deep=False))
    check_memory(settings, np.array([10, 10]), 8, None, _cells(), torch.device("cpu"), 128)
    monkeypatch.setattr(memory, "_device_memory", lambda device: None)
    check_memory(settings, np.array([10**12, 10**12]), 8, None, _cells(), torch.device("cpu"),
                 128)


def test_a_pool_of_networks_counts_its_networks(monkeypatch):
    """50 MLPs of 128 values x 128 (6.2 MB of weights) refused on a 4 MB device."""
    monkeypatch.setattr(memory, "_device_memory", lambda device: 4 * 2**20)
    args = (np.array([2, 2]), 128, None, _cells(), torch.device("cpu"), 16)
    chosen = check_params(FairDistiller(matching_params={"network_pool": 50}).get_params(
        deep=False))
    check_memory(chosen, *args)  # one network at a time fits
    with pytest.raises(ValueError, match=r"^network_pool=50 would need about 6\.2 MB.*"
                                         r"use a smaller network_pool"):
        check_memory(chosen, *args, 50)
