"""The loop driver every matching loop shares (skfairdistill._matching._loop.run_loop):
progress, Ctrl-C (the loop reports the rows reached; a fit then raises
DistillationInterrupted with them and is undone), the loss history of the iterations run."""

import functools
import itertools
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skfairdistill._estimators.distiller as distiller_module
import skfairdistill._matching._loop as loop_module
import skfairdistill._nn.networks as networks_module
from skfairdistill import DistillationInterrupted, FairDistiller
from skfairdistill._data.cells import CellSampler
from skfairdistill._matching._history import LOSS_CHUNK
from skfairdistill._matching._loop import input_shape_of, run_loop
from skfairdistill._nn.networks import make_embedding

from conftest import CtrlC, make_grouped_data, make_images

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


def _interrupt_draws_after(monkeypatch, n_calls):
    """Ctrl-C at the draw after ``n_calls`` draws of real rows (one a loop iteration)."""
    original_draw = CellSampler.draw
    calls = []

    def interrupting_draw(self, batch_size, generator):
        calls.append(1)
        if len(calls) > n_calls:
            raise KeyboardInterrupt
        return original_draw(self, batch_size, generator)

    monkeypatch.setattr(CellSampler, "draw", interrupting_draw)


def test_ctrl_c_stops_the_fit_and_carries_the_rows_reached(grouped_data, monkeypatch):
    X, y, A = grouped_data
    _interrupt_draws_after(monkeypatch, 7)
    distiller = FairDistiller(n_per_class=3, n_iter=50, random_state=0)
    with pytest.raises(KeyboardInterrupt) as info:  # a plain except KeyboardInterrupt stops
        distiller.fit(X, y, sensitive_features=A)
    stop = info.value
    assert isinstance(stop, DistillationInterrupted)
    assert str(stop).startswith("Distillation interrupted after 7 of 50 iterations; the "
                                "estimator is left as it was.")
    assert (stop.n_iter_done, stop.n_iter_planned) == (7, 50)
    assert stop.X_partial.shape == (6, X.shape[1]) and np.all(np.isfinite(stop.X_partial))
    assert sorted(stop.y_partial.tolist()) == [0, 0, 0, 1, 1, 1]
    assert stop.groups_partial is None
    # the fit is undone: nothing of it is left on the estimator
    with pytest.raises(NotFittedError):
        check_is_fitted(distiller)
    assert vars(distiller) == vars(FairDistiller(n_per_class=3, n_iter=50, random_state=0))


def test_the_partial_rows_are_those_the_loop_reached(grouped_data, monkeypatch):
    """The rows on the exception are the loop's rows after 7 iterations, decoded."""
    X, y, A = grouped_data
    decoded = []
    original = distiller_module.fitted_rows

    def recording(result, *args, **kwargs):
        decoded.append((result.n_iter, result.interrupted, original(result, *args, **kwargs)))
        return decoded[-1][2]

    monkeypatch.setattr(distiller_module, "fitted_rows", recording)
    _interrupt_draws_after(monkeypatch, 7)
    with pytest.raises(DistillationInterrupted) as info:
        FairDistiller(n_per_class=3, n_iter=50, random_state=0).fit(X, y, sensitive_features=A)
    ((n_iter, interrupted, (X_syn, y_syn, _)),) = decoded
    assert (n_iter, interrupted) == (7, True)
    np.testing.assert_array_equal(info.value.X_partial, X_syn)
    np.testing.assert_array_equal(info.value.y_partial, y_syn)


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
    with pytest.raises(DistillationInterrupted, match=f"interrupted after {stop_at} of 10 ") \
            as info:
        distiller.fit_resample(X, y, sensitive_features=A)
    X_syn, y_syn = info.value.X_partial, info.value.y_partial
    assert info.value.n_iter_done == stop_at < distiller.n_iter
    assert X_syn.shape == (6, 4) and np.all(np.isfinite(X_syn))
    assert sorted(y_syn.tolist()) == [0, 0, 0, 1, 1, 1]
    assert not hasattr(distiller, "n_features_in_")  # undone
    if stop_at == 0:
        # no step was taken: the synthetic rows are the initial real rows
        assert all(any(np.allclose(row, real) for real in X) for row in X_syn)


def test_huge_n_iter_starts_at_once_and_is_interruptible(monkeypatch):
    """n_iter=10**9 allocates nothing per planned iteration; Ctrl-C stops it at once."""
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
    # one network a step: the factory's calls count the iterations
    distiller = FairDistiller(**{**FAST, "n_iter": 10**9,
                                 "matching_params": {"embedding": factory,
                                                     "networks_per_step": 1}})
    with pytest.raises(DistillationInterrupted, match=r"^Distillation interrupted after 515 of "
                                                      r"1000000000 iterations") as info:
        distiller.fit(X, y, sensitive_features=A)
    assert info.value.n_iter_done == 2 * LOSS_CHUNK + 3
    assert np.isfinite(info.value.X_partial).all()
    sizes = [np.prod(a[0]) if isinstance(a[0], tuple) else a[0] for a in allocated if a]
    assert max(int(s) for s in sizes if isinstance(s, (int, np.integer))) < 10**6


_NET = functools.partial(make_embedding, "mlp", width=8)
_CONVNET = functools.partial(make_embedding, "convnet", channels=4)
_LOOP_KNOBS = dict(outer_loops=1, inner_steps=1)
LOOPS = {  # every loop that runs through run_loop, on the data it takes
    "distribution": (False, dict(matching="distribution", matching_params={"embedding": _NET})),
    "gradient": (False, dict(matching="gradient",
                             matching_params={"embedding": _NET, **_LOOP_KNOBS})),
    "cafe": (False, dict(matching="cafe", matching_params={"embedding": _NET, **_LOOP_KNOBS})),
    "model": (False, dict(matching="model")),
    "distribution-images": (True, dict(matching_params={"embedding": _CONVNET})),
    "idc-images": (True, dict(matching="idc",
                              matching_params={"embedding": _CONVNET, **_LOOP_KNOBS})),
}


@pytest.mark.parametrize("loop", list(LOOPS))
def test_every_loop_stops_on_ctrl_c_and_the_fit_is_undone(monkeypatch, loop):
    images, params = LOOPS[loop]
    X, y, A = make_images() if images else _data()
    distiller = FairDistiller(n_per_class=2, n_iter=6, batch_size=8, random_state=0,
                              device="cpu", **params)
    monkeypatch.setattr(loop_module, "tqdm", CtrlC(3))
    with pytest.raises(DistillationInterrupted, match="after 3 of 6 iterations") as info:
        distiller.fit_resample(X, y, sensitive_features=A)
    rows = 4 * 2 * 2 if loop == "idc-images" else 2 * 2  # IDC: four images per stored one
    assert info.value.X_partial.shape == (rows, *X.shape[1:])
    assert np.isfinite(info.value.X_partial).all() and len(info.value.y_partial) == rows
    with pytest.raises(NotFittedError):
        check_is_fitted(distiller)


def test_kmeans_has_no_loop_so_ctrl_c_is_a_plain_interrupt(monkeypatch):
    X, y, A = _data()
    distiller = FairDistiller(n_per_class=2, matching="kmeans", random_state=0)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(distiller_module, "kmeans_result", interrupted)
    with pytest.raises(KeyboardInterrupt) as info:
        distiller.fit(X, y, sensitive_features=A)
    assert type(info.value) is KeyboardInterrupt  # no partial set: there is no loop
    assert vars(distiller) == vars(FairDistiller(n_per_class=2, matching="kmeans",
                                                 random_state=0))


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


def _estimate(n_iter, verbose, seconds_per_iteration):
    """A TimeEstimate on a fake clock that advances by seconds_per_iteration a step."""
    ticks = itertools.count()
    estimate = loop_module.TimeEstimate(n_iter, verbose, "distilling", "cpu",
                                        clock=lambda: next(ticks) * seconds_per_iteration)
    for done in range(1, n_iter + 1):
        estimate.update(done)
    return estimate


def test_a_fit_expected_to_be_long_says_so_from_its_first_iterations():
    # 1000 iterations of 3 s: about 50 min; said once, without verbose
    with pytest.warns(UserWarning, match=r"about 50 min more for the remaining 99[0-9] of "
                                         r"1000 iterations \(3 s each on cpu\).*GPU"):
        _estimate(1000, 0, 3.0)


def test_a_short_fit_stays_quiet_and_verbose_always_gets_the_estimate(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 300 iterations of 5 ms: nothing to say
        _estimate(300, 0, 0.005)
    _estimate(300, 1, 0.005)  # over in 1.5 s, before an estimate is due
    assert capsys.readouterr().out == ""
    _estimate(2000, 1, 0.005)  # 8 s left after the first 2 s
    assert "distilling: about 8 s more for the remaining 159" in capsys.readouterr().out


def test_the_estimate_is_made_once():
    with pytest.warns(UserWarning) as record:
        _estimate(5000, 0, 1.0)
    assert len(record) == 1
