"""Per-iteration bookkeeping of the loops whose memory does not grow with ``n_iter``.

``n_iter`` can be huge (a user who means "until I press Ctrl-C"): nothing may be
allocated for all iterations up front. The loss history is kept in chunks of
:data:`LOSS_CHUNK` iterations, on the device, allocated as the loop reaches them;
the augmentation's operations are drawn :data:`CHOICE_CHUNK` at a time. Both only
cost memory for the iterations actually run.
"""


import torch

LOSS_CHUNK = 256
# one draw for a run of up to this many iterations, as when they were all drawn up
# front: the random stream (and so the images distilled) of such runs is unchanged
CHOICE_CHUNK = 2**16


class DivergenceError(ValueError):
    """The matching loss became NaN or infinite: the synthetic rows are lost."""


# what to change when a loss turns NaN or infinite (a loop with other causes passes its own)
STEP_ADVICE = ("The step is too large for this data: lower learning_rate (or "
               "network_learning_rate for gradient matching); with features of extreme "
               "magnitude (near the float32 limit, about 3.4e38), rescale X first.")


class LossHistory:
    """The loss of every iteration: ``history[it] = loss`` in order, ``history[:done]``.

    Memory grows with the iterations run, one small device tensor of
    :data:`LOSS_CHUNK` values at a time. When a chunk is full (once every
    :data:`LOSS_CHUNK` iterations: one read from the device) and when the history is
    read, a NaN or infinite loss raises :class:`DivergenceError`: the optimisation
    diverged, and every later iteration would only carry the NaN along.

    Parameters
    ----------
    n_iter : int
        The iterations planned (for the message only).
    device : torch.device
    advice : str, default=STEP_ADVICE
        What the error tells the user to change.
    """

    def __init__(self, n_iter, device, advice=STEP_ADVICE):
        self._n_iter, self._advice = int(n_iter), advice
        self._device = device
        self._full = []  # chunks already checked
        self._chunk = None
        self._start = 0  # iteration of the first value of self._chunk

    def __setitem__(self, it, value):
        if self._chunk is None:
            self._chunk = torch.zeros(LOSS_CHUNK, device=self._device)
        self._chunk[it - self._start] = value
        if it - self._start == LOSS_CHUNK - 1:
            self._check(self._chunk, self._start)
            self._full.append(self._chunk)
            self._chunk, self._start = None, self._start + LOSS_CHUNK

    def __getitem__(self, key):
        if isinstance(key, slice):  # history[:done]: the values of the iterations run
            if key.start is not None or key.step is not None or key.stop is None:
                raise IndexError("LossHistory is read as history[:n_done] only")
            tail = [] if self._chunk is None else [self._chunk[: max(0, key.stop - self._start)]]
            parts = [*self._full, *tail]
            values = torch.cat(parts) if parts else torch.zeros(0, device=self._device)
            values = values[: key.stop]
            self._check(values, 0)
            return values
        if key >= self._start:
            return self._chunk[key - self._start]
        return self._full[key // LOSS_CHUNK][key % LOSS_CHUNK]

    def _check(self, values, first):
        finite = torch.isfinite(values)
        if bool(finite.all()):
            return
        it = first + int(torch.nonzero(~finite)[0, 0])
        value = float(values[it - first])
        raise DivergenceError(
            f"the distillation diverged: the matching loss was {value} at iteration {it + 1} "
            f"of {self._n_iter}, so the synthetic rows are no longer finite numbers. "
            f"{self._advice}")


class _ChunkedChoices:
    """``choices[it]``: the augmentation's operation of iteration ``it``, drawn per chunk."""

    def __init__(self, augment, n_iter, generator, first):
        self._augment, self._n_iter, self._generator = augment, int(n_iter), generator
        self._chunk, self._start = first, 0

    def __getitem__(self, it):  # read in order by the loop; a later chunk draws the ones between
        while it >= self._start + len(self._chunk):
            self._start += len(self._chunk)
            size = min(CHOICE_CHUNK, self._n_iter - self._start)
            self._chunk = self._augment.choose(size, self._generator)
        return self._chunk[it - self._start]


def choose_in_chunks(augment, n_iter, generator):
    """The augmentation's operations of ``n_iter`` iterations, drawn chunk by chunk.

    None when ``augment`` is None or draws its operation itself (see
    ``SiameseAugment.choose``). The first chunk is drawn now, exactly as
    ``augment.choose(n_iter, generator)`` did for runs of up to
    :data:`CHOICE_CHUNK` iterations.
    """
    if augment is None:
        return None
    first = augment.choose(min(int(n_iter), CHOICE_CHUNK), generator)
    if first is None:
        return None
    return _ChunkedChoices(augment, n_iter, generator, first)


__all__ = ["STEP_ADVICE", "DivergenceError", "LossHistory", "choose_in_chunks"]
