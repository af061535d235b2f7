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

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ._history import LossHistory


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


def input_shape_of(X_init, augment):
    """The shape of one synthetic row; images ``(C, H, W)`` when ``augment`` is given."""
    input_shape = tuple(X_init.shape[1:])
    if augment is not None and len(input_shape) != 3:
        raise ValueError(
            "augmentation needs images: X_init must have shape (n_syn, C, H, W); got "
            f"{tuple(X_init.shape)}."
        )
    return input_shape


def run_loop(step, X_syn, n_iter, *, verbose=0, desc="distilling", report_every=50):
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

    Returns
    -------
    MatchingResult
        A ``KeyboardInterrupt`` stops the loop early: the rows reached so far are
        returned with ``interrupted=True`` (the estimator raises
        ``DistillationInterrupted`` with them).
    """
    losses = LossHistory(n_iter, X_syn.device)  # raises DivergenceError on a NaN or inf loss
    done, interrupted = 0, False
    progress = tqdm(range(n_iter), disable=verbose < 1, desc=desc, unit="it")
    try:
        for it in progress:
            losses[it] = step(it)
            done = it + 1
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


__all__ = ["MatchingResult", "input_shape_of", "run_loop"]
