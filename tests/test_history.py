"""Per-iteration bookkeeping whose memory does not grow with n_iter
(skfairdistill._matching._history): the loss history, divergence, augmentation choices."""

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._matching._history import (
    CHOICE_CHUNK,
    LOSS_CHUNK,
    DivergenceError,
    LossHistory,
    choose_in_chunks,
)
from skfairdistill._nn.augment import SiameseAugment

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def test_loss_history_raises_on_non_finite_values_and_reads_back():
    history = LossHistory(3 * LOSS_CHUNK, torch.device("cpu"))
    for it in range(LOSS_CHUNK + 5):
        history[it] = float(it)
    assert history[LOSS_CHUNK + 2].item() == LOSS_CHUNK + 2
    assert history[3].item() == 3
    np.testing.assert_array_equal(history[:LOSS_CHUNK + 5].numpy(),
                                  np.arange(LOSS_CHUNK + 5, dtype=np.float32))
    history[LOSS_CHUNK + 5] = float("nan")
    with pytest.raises(DivergenceError, match=f"iteration {LOSS_CHUNK + 6} of"):
        history[:LOSS_CHUNK + 6]
    full = LossHistory(10, torch.device("cpu"))
    with pytest.raises(DivergenceError, match="matching loss was inf at iteration 8 of 10"):
        for it in range(LOSS_CHUNK):
            full[it] = float("inf") if it == 7 else 1.0
    assert issubclass(DivergenceError, ValueError)


def test_an_empty_history_reads_as_no_values_and_only_as_a_prefix():
    history = LossHistory(5, torch.device("cpu"))
    assert history[:0].shape == (0,)
    history[0] = 2.0
    for key in (slice(1, 2), slice(None, 1, 2), slice(None)):
        with pytest.raises(IndexError, match=r"history\[:n_done\] only"):
            history[key]


def test_the_divergence_error_names_the_value_the_iteration_and_the_fix():
    history = LossHistory(1000, torch.device("cpu"))
    history[0], history[1] = 1.0, float("-inf")
    with pytest.raises(DivergenceError, match=r"^the distillation diverged: the matching loss "
                                              r"was -inf at iteration 2 of 1000.*lower "
                                              r"learning_rate"):
        history[:2]
    other = LossHistory(5, torch.device("cpu"), advice="Rescale X.")
    other[0] = float("nan")
    with pytest.raises(DivergenceError, match=r"was nan at iteration 1 of 5, .* Rescale X\.$"):
        other[:1]


@pytest.mark.parametrize("matching, params", [
    ("distribution", dict(learning_rate=1e30)),
    ("distribution", dict(learning_rate=1e30, n_iter=10**9)),  # stops at the first check
    # a pool's order is drawn pass by pass: nothing allocated for all iterations
    ("distribution", dict(learning_rate=1e30, n_iter=10**9, matching_params={
        "network_pool": 5, "warm_start_epochs": 0})),
    ("gradient", dict(learning_rate=1e30, n_iter=3)),
])
def test_divergence_stops_with_a_clear_error(matching, params):
    X, y, A = make_grouped_data(n_samples=120)
    distiller = FairDistiller(**{**FAST, "matching": matching, **params})
    with pytest.raises(ValueError, match="diverged.*lower learning_rate"):
        distiller.fit(X, y, sensitive_features=A)
    assert not hasattr(distiller, "X_distilled_")  # all or nothing


def test_augmentation_choices_are_drawn_per_chunk_with_the_same_stream():
    augment = SiameseAugment("crop_flip_rotate")
    for n in (1, 37, 1000):
        g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
        chunked = choose_in_chunks(augment, n, g1)
        assert [chunked[i] for i in range(n)] == augment.choose(n, g2)
        assert torch.equal(g1.get_state(), g2.get_state())
    g = torch.Generator().manual_seed(0)
    huge = choose_in_chunks(augment, 10**12, g)  # nothing drawn for all iterations
    assert len(huge._chunk) == CHOICE_CHUNK
    assert all(0 <= huge[i] < 3 for i in (0, CHOICE_CHUNK - 1, CHOICE_CHUNK, 3 * CHOICE_CHUNK))
    assert choose_in_chunks(None, 10, g) is None
    assert choose_in_chunks(SiameseAugment("flip"), 10, g) is None
