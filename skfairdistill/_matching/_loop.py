"""The loop driver every matching loop shares: progress, Ctrl-C, loss history, result.

A matching loop supplies one ``step(it)`` that moves its synthetic rows and
returns the iteration's (detached, device) loss; :func:`run_loop` runs it
``n_iter`` times with a progress bar, records the losses in a
:class:`~skfairdistill._matching._history.LossHistory` (which raises
``DivergenceError`` on a NaN or infinite loss) and turns a ``KeyboardInterrupt``
into an early stop that reports the rows reached so far (``interrupted=True``). The
loops stay free of policy: the estimator undoes the fit and raises
:class:`~skfairdistill.DistillationInterrupted` with those rows, so Ctrl-C still stops
the program.
"""

import time
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from .._checks import warn
from ._history import STEP_ADVICE, LossHistory

# The time estimate: measured over the iterations after the first (which pays one-off
# costs), once they have taken this long; a fit expected to run longer than
# LONG_FIT_SECONDS says so even without verbose (the defaults of DC, IDC and CAFE
# are sized for a GPU: on a CPU such a fit can take hours)
ESTIMATE_AFTER_SECONDS = 2.0
LONG_FIT_SECONDS = 600.0


@dataclass
class MatchingResult:
    """What a matching run produced."""

    X_syn: torch.Tensor  # standardised synthetic rows, (n_syn, *input_shape)
    loss_history: torch.Tensor  # (n_iter_done,), on the CPU
    n_iter: int
    interrupted: bool
    # multi-formation (IDC): X_syn holds the decoded training images, y_syn their class
    # codes and stored the optimised images they decode from; None for the other loops
    y_syn: torch.Tensor = None
    stored: torch.Tensor = None
    # model matching: the weight of the fairness term the rows were optimised with
    fairness_weight: float = None


def input_shape_of(X_init, augment):
    """The shape of one synthetic row; images ``(C, H, W)`` when ``augment`` is given."""
    input_shape = tuple(X_init.shape[1:])
    if augment is not None and len(input_shape) != 3:
        raise ValueError(
            "augmentation needs images: X_init must have shape (n_syn, C, H, W); got "
            f"{tuple(X_init.shape)}."
        )
    return input_shape


def run_loop(step, X_syn, n_iter, *, verbose=0, desc="distilling", report_every=50,
             advice=STEP_ADVICE):
    """Run ``step(it)`` for ``it`` in ``range(n_iter)`` and return a :class:`MatchingResult`.

    Parameters
    ----------
    step : callable
        ``step(it)`` takes one optimisation step on ``X_syn`` (in place) and returns
        the iteration's loss, a detached scalar tensor on ``X_syn``'s device.
    X_syn : Tensor
        The synthetic rows the steps optimise; returned detached.
    n_iter : int
        Iterations planned.
    verbose : int, default=0
        ``>= 1`` shows a progress bar with the loss every ``report_every`` iterations.
    desc : str, default="distilling"
        The progress bar's label.
    report_every : int, default=50
    advice : str, default=STEP_ADVICE
        What the :class:`DivergenceError` of a NaN or infinite loss tells the user to change.

    Returns
    -------
    MatchingResult
        A ``KeyboardInterrupt`` stops the loop early: the rows reached so far are
        returned with ``interrupted=True`` (the estimator raises
        ``DistillationInterrupted`` with them).
    """
    losses = LossHistory(n_iter, X_syn.device, advice)  # DivergenceError on a NaN or inf loss
    done, interrupted = 0, False
    progress = tqdm(range(n_iter), disable=verbose < 1, desc=desc, unit="it")
    estimate = TimeEstimate(n_iter, verbose, desc, X_syn.device)
    try:
        for it in progress:
            losses[it] = step(it)
            done = it + 1
            estimate.update(done)
            # reading the loss syncs with the device: only every report_every iterations
            if verbose >= 1 and (done % report_every == 0 or done == n_iter):
                progress.set_postfix(loss=f"{losses[it].item():.4f}")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
    return MatchingResult(
        X_syn=X_syn.detach(),
        loss_history=losses[:done].cpu(),
        n_iter=done,
        interrupted=interrupted,
    )


class TimeEstimate:
    """Announces how long the rest of a loop will take, once, from its first iterations.

    With ``verbose >= 1`` the estimate is always written (under the progress bar);
    without, only a fit expected to last longer than ``LONG_FIT_SECONDS`` warns, so
    that a user does not wait an hour for a fit whose defaults assume a GPU.
    """

    def __init__(self, n_iter, verbose, desc, device, clock=time.perf_counter):
        self.n_iter, self.verbose, self.desc, self.device = n_iter, verbose, desc, device
        self.clock = clock
        self.start = None  # (time, iterations done) after the first iteration
        self.pending = n_iter > 2

    def update(self, done):
        if not self.pending:
            return
        now = self.clock()
        if self.start is None:
            self.start = (now, done)
            return
        elapsed = now - self.start[0]
        if done == self.n_iter:  # over before the estimate was due: nothing to announce
            self.pending = False
        if elapsed < ESTIMATE_AFTER_SECONDS or not self.pending:
            return
        self.pending = False
        per_iteration = elapsed / (done - self.start[1])
        left = per_iteration * (self.n_iter - done)
        message = (f"{self.desc}: about {_duration(left)} more for the remaining "
                   f"{self.n_iter - done} of {self.n_iter} iterations "
                   f"({per_iteration:.3g} s each on {self.device}).")
        if self.verbose >= 1:
            tqdm.write(message)
        elif left > LONG_FIT_SECONDS:
            warn(f"{message} The defaults of this method are sized for a GPU: lower "
                 "n_iter (or the outer_loops and inner_steps of matching_params), draw a "
                 "smaller network, or use a GPU. Ctrl-C stops the fit (the estimator "
                 "raises DistillationInterrupted, which carries the rows reached).",
                 UserWarning)


def _duration(seconds):
    """``seconds`` in words: 45 s, 12 min, 3.5 h."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


__all__ = ["MatchingResult", "TimeEstimate", "input_shape_of", "run_loop"]
