"""The loop driver every matching loop shares (skfairdistill._matching._loop.run_loop):
progress, Ctrl-C (the rows reached are kept), the loss history of the iterations run."""

import numpy as np
import pytest
import torch
from sklearn.utils.validation import check_is_fitted

import skfairdistill._nn.networks as networks_module
from skfairdistill import FairDistiller
from skfairdistill._data.cells import CellSampler
from skfairdistill._matching._history import LOSS_CHUNK
from skfairdistill._matching._loop import input_shape_of, run_loop

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _data(n_samples=120):
    return make_grouped_data(n_samples=n_samples)


# --------------------------------------------------------------------------- run_loop


def test_run_loop_runs_every_step_and_records_its_loss():
    X_syn = torch.zeros(3, 2, requires_grad=True)
    steps = []

    def step(it):
        steps.append(it)
        return torch.tensor(float(10 - it))

    result = run_loop(step, X_syn, 4)
    assert steps == [0, 1, 2, 3]
    assert result.n_iter == 4 and result.interrupted is False
    np.testing.assert_array_equal(result.loss_history.numpy(), [10.0, 9.0, 8.0, 7.0])
    assert not result.X_syn.requires_grad and result.y_syn is None and result.stored is None


@pytest.mark.parametrize("stop_at", [0, 3])
def test_run_loop_turns_ctrl_c_into_an_early_stop(stop_at):
    def step(it):
        if it == stop_at:
            raise KeyboardInterrupt
        return torch.tensor(1.0)

    result = run_loop(step, torch.zeros(2), 10)
    assert result.interrupted is True and result.n_iter == stop_at
    assert result.loss_history.shape == (stop_at,)


def test_augmentation_needs_images():
    assert input_shape_of(torch.zeros(4, 3, 8, 8), object()) == (3, 8, 8)
    assert input_shape_of(torch.zeros(4, 5), None) == (5,)
    with pytest.raises(ValueError, match=r"^augmentation needs images: X_init must have shape "
                                         r"\(n_syn, C, H, W\); got \(4, 5\)"):
        input_shape_of(torch.zeros(4, 5), object())


# --------------------------------------------------------------------------- in a fit


def test_keyboard_interrupt_keeps_the_rows_reached(grouped_data, monkeypatch):
    X, y, A = grouped_data
    original_draw = CellSampler.draw
    calls = []

    def interrupting_draw(self, batch_size, generator):
        calls.append(1)
        if len(calls) > 7:
            raise KeyboardInterrupt
        return original_draw(self, batch_size, generator)

    monkeypatch.setattr(CellSampler, "draw", interrupting_draw)
    distiller = FairDistiller(n_per_class=3, n_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 7 of 50"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.interrupted_ is True
    assert distiller.n_iter_ == 7
    assert distiller.loss_history_.shape == (7,)
    assert distiller.X_distilled_.shape == (6, X.shape[1])
    assert np.all(np.isfinite(distiller.X_distilled_))


@pytest.mark.parametrize("stop_at", [0, 9], ids=["first-iteration", "last-iteration"])
def test_interrupt_at_the_edges_of_the_loop(monkeypatch, stop_at):
    """The middle of the loop is tested above; here: nothing done, or all but one."""
    X, y, A = _data()
    original = networks_module.RandomMLP
    drawn = []

    def interrupting_network(*args, **kwargs):
        if len(drawn) == stop_at:
            raise KeyboardInterrupt
        drawn.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(networks_module, "RandomMLP", interrupting_network)
    # n_threads=1: no network is drawn to size the threads, so every draw is the loop's
    distiller = FairDistiller(**{**FAST, "n_per_class": 3, "n_threads": 1})
    with pytest.warns(UserWarning, match=f"interrupted after {stop_at} of 10"):
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert distiller.interrupted_ is True
    assert distiller.n_iter_ == stop_at < distiller.n_iter
    assert len(distiller.loss_history_) == distiller.n_iter_
    assert X_syn.shape == (6, 4) and np.all(np.isfinite(X_syn))
    assert sorted(y_syn.tolist()) == [0, 0, 0, 1, 1, 1]
    check_is_fitted(distiller)
    if stop_at == 0:
        # no step was taken: the synthetic rows are the initial real rows
        assert all(any(np.allclose(row, real) for real in X) for row in X_syn)


def test_huge_n_iter_starts_at_once_and_is_interruptible(monkeypatch):
    """n_iter=10**9 allocates nothing per planned iteration; Ctrl-C keeps the rows."""
    X, y, A = _data()
    calls = []

    def factory(input_shape, generator):
        from skfairdistill.networks import make_embedding

        calls.append(1)
        if len(calls) > 2 * LOSS_CHUNK + 3:
            raise KeyboardInterrupt
        return make_embedding("mlp", input_shape, generator, width=8)

    allocated = []
    real_zeros = torch.zeros
    monkeypatch.setattr(torch, "zeros", lambda *a, **k: allocated.append(a) or real_zeros(*a, **k))
    distiller = FairDistiller(**{**FAST, "n_iter": 10**9,
                                 "matching_params": {"embedding": factory}})
    with pytest.warns(UserWarning, match=r"^Distillation interrupted after 515 of 1000000000 "
                                         r"iterations; the synthetic set reached so far is kept"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.interrupted_ and distiller.n_iter_ == 2 * LOSS_CHUNK + 3
    assert distiller.loss_history_.shape == (distiller.n_iter_,)
    assert np.isfinite(distiller.X_distilled_).all()
    sizes = [np.prod(a[0]) if isinstance(a[0], tuple) else a[0] for a in allocated if a]
    assert max(int(s) for s in sizes if isinstance(s, (int, np.integer))) < 10**6


def test_verbose_shows_progress(grouped_data, capsys):
    X, y, A = grouped_data
    FairDistiller(n_per_class=2, n_iter=60, verbose=1, random_state=0).fit(
        X, y, sensitive_features=A
    )
    err = capsys.readouterr().err
    assert "distilling" in err and "loss=" in err


def test_silent_by_default(grouped_data, capsys):
    X, y, A = grouped_data
    FairDistiller(n_per_class=2, n_iter=20, random_state=0).fit(X, y, sensitive_features=A)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
