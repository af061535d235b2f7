"""Intra-op threads of a fit: a fixed rule by the kind of data, restored afterwards.

:class:`FitThreads` runs a fit under its thread count (torch's, and through
threadpoolctl the BLAS and OpenMP pools) and restores the caller's settings when the fit
returns or raises; fits side by side share them (the first to enter saves, the last to
leave restores). ``"auto"`` (:func:`auto_threads`): one thread for tables, the usable
cores for images, never by the load of the moment. Why, and the measurements:
``docs/method.md``, "``n_threads``", and ``docs/benchmarks.md``.
"""

import contextlib
import numbers
import os
import threading

import torch
from threadpoolctl import threadpool_limits

def check_n_threads(n_threads):
    """Raise a ValueError naming ``n_threads`` unless it is "auto", None or an int >= 1."""
    if n_threads is None or (isinstance(n_threads, str) and n_threads == "auto"):
        return
    if (
        isinstance(n_threads, bool)
        or not isinstance(n_threads, numbers.Integral)
        or n_threads < 1
    ):
        raise ValueError(
            "n_threads must be 'auto', a positive integer or None (leave torch's "
            f"thread setting alone); got {n_threads!r}."
        )


def usable_cores():
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def auto_threads(images):
    """Threads of a fit: one for tables; for images the usable cores, at most torch's setting."""
    return min(usable_cores(), torch.get_num_threads()) if images else 1


class FitThreads:
    """Context manager: the thread setting of one fit, restored on exit.

    Parameters
    ----------
    n_threads : "auto", int or None
        ``None`` leaves every setting alone. An int is applied on entry. ``"auto"``
        applies nothing until :meth:`size_to` is told the kind of data
        (what runs before — validation, statistics in blocks — keeps the caller's
        setting).

    ``"auto"`` only sizes the threads of CPU fits; on a GPU the host's threads
    are left alone.
    """

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.applied = None  # the count in force, None while the caller's stands
        self._stack = None

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        self._stack.__enter__()
        if self.n_threads is not None and self.n_threads != "auto":
            self._apply(int(self.n_threads))
        return self

    def size_to(self, *, images, device):
        """Apply the automatic count (``n_threads="auto"``, CPU only); return the count in force.

        None while the caller's setting stands.
        """
        if self.n_threads != "auto" or self.applied is not None:
            return self.applied
        if torch.device(device).type != "cpu":
            return None
        self._apply(auto_threads(images))
        return self.applied

    def _apply(self, n):
        _ACTIVE.enter(n)
        self._stack.callback(_ACTIVE.leave)
        self.applied = n

    def __exit__(self, *exc_info):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc_info)


class _ActiveFits:
    """The process-wide thread settings that the fits running now share.

    torch's thread count and the BLAS/OpenMP pools belong to the process, so fits run
    side by side (threads, joblib's threading backend) must not each save and restore
    them: the first fit to apply a count saves the caller's settings, the last to leave
    restores them, whatever the order in which they end.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0
        self._saved = None  # (torch's count, threadpoolctl's limiter) of the caller

    def enter(self, n):
        with self._lock:
            if self._count == 0:
                self._saved = (torch.get_num_threads(), threadpool_limits(limits=n))
            else:
                threadpool_limits(limits=n)
            self._count += 1
            torch.set_num_threads(n)

    def leave(self):
        with self._lock:
            self._count -= 1
            if self._count == 0:
                count, limiter = self._saved
                limiter.restore_original_limits()
                torch.set_num_threads(count)
                self._saved = None


_ACTIVE = _ActiveFits()
