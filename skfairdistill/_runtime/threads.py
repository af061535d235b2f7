"""Intra-op threads of a fit: sized to an iteration's work, restored afterwards.

An iteration of the distillation is a few small matrix products (an MLP on a
few hundred rows) or, for images, a few convolutions. torch's default of one
intra-op thread per core pays off only for large products: for small ones the
threads spend their time waiting for each other, and when the cores are shared
(other processes, parallel fits) a thread that is not scheduled holds all the
others up at every product — the same fit was measured 1.3 s on an idle
machine and 91 s with the load near 7.

So ``n_threads="auto"`` takes one thread per ``_FLOPS_PER_THREAD``
floating-point operations of an iteration, at most the usable cores and at
most torch's current setting. It does not look at the load of the moment:
a count that followed the load would make the synthetic rows depend on it (a
different thread count can change the last bits of float sums, and then the
rows). The fit runs under that count (torch's, and through threadpoolctl the BLAS and OpenMP
pools of the process); the caller's settings are restored when the fit returns
or raises, ``KeyboardInterrupt`` included.

Tables always get one thread, whatever the load; large images get several
(on a busy machine a fixed ``n_threads=1`` may then be faster).
"""

import contextlib
import numbers
import os

import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits
from torch.overrides import TorchFunctionMode

# Floating-point operations of one iteration per intra-op thread. Measured on the
# project's 2-core machine (benchmarks/threads.py): a table's iteration (MLP,
# 10-100 columns, a few hundred to a few thousand rows: 10^7-10^8 operations) was
# fastest with one thread, idle and busy; the coloured digits' ConvNet iteration
# (about 2 x 10^10) gained from a second thread on an idle machine.
_FLOPS_PER_THREAD = 2e9


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


def auto_threads(flops_per_iteration, *, ceiling=None):
    """Threads for an iteration of ``flops_per_iteration`` floating-point operations.

    One thread per ``_FLOPS_PER_THREAD`` operations (at least one), capped at
    ``ceiling`` (default: the usable cores and torch's current setting, so that a
    caller who lowered ``torch.set_num_threads`` is never given more). The count
    depends on the work and the machine only, never on the load of the moment, so
    that one seed gives the same rows on one machine every time (a different
    thread count may change the last bits of float sums).
    """
    if ceiling is None:
        ceiling = min(usable_cores(), torch.get_num_threads())
    return max(1, min(int(flops_per_iteration // _FLOPS_PER_THREAD) + 1, ceiling))


def iteration_flops(network_factory, input_shape, rows_per_iteration, n_synthetic, device):
    """Floating-point operations of one matching iteration, from one drawn network.

    The network is drawn once with a throwaway generator (no global random state)
    and one row is pushed through it while its matrix products and convolutions
    are counted: the real rows are embedded once per iteration, the synthetic
    rows forwards and backwards (about three times the forward cost). 0 when the
    network cannot be run on one row of zeros (the fit then reports the error of
    the network itself).
    """
    generator = torch.Generator(device=device).manual_seed(0)
    counter = _CountFlops()
    try:
        network = network_factory(tuple(input_shape), generator)
        row = torch.zeros((1, *input_shape), device=device)
        with torch.no_grad(), counter:
            network(row)
    except Exception:  # a factory of the user's that fails says so in the loop itself
        return 0
    return counter.flops * (rows_per_iteration + 3 * n_synthetic)


_CONVOLUTIONS = {F.conv1d, F.conv2d, F.conv3d}
_PRODUCTS = {
    torch.mm, torch.bmm, torch.matmul, torch.addmm, torch.baddbmm, torch.addbmm, F.linear, torch.Tensor.mm, torch.Tensor.bmm, torch.Tensor.matmul,
    torch.Tensor.__matmul__, torch.Tensor.__rmatmul__,
}


class _CountFlops(TorchFunctionMode):
    """Counts ``2 * multiply-adds`` of the products and convolutions run under it.

    A :class:`~torch.overrides.TorchFunctionMode`, not torch's FLOP counter, whose
    first use takes seconds. Element-wise operations are left out: the products
    are the work that threads share.
    """

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor):
            if func in _CONVOLUTIONS:
                weight = args[1] if len(args) > 1 else kwargs["weight"]
                self.flops += 2 * out.numel() * (weight.numel() // weight.shape[0])
            elif func in _PRODUCTS:
                # the contracted length: the last axis of the left matrix operand
                with_bias = (torch.addmm, torch.baddbmm, torch.addbmm, torch.Tensor.__rmatmul__)
                left = args[1] if func in with_bias else args[0]
                self.flops += 2 * out.numel() * int(left.shape[-1])
        return out


class FitThreads:
    """Context manager: the thread setting of one fit, restored on exit.

    Parameters
    ----------
    n_threads : "auto", int or None
        ``None`` leaves every setting alone. An int is applied on entry. ``"auto"``
        applies nothing until :meth:`size_to` is told the work of an iteration
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

    def size_to(self, network_factory, input_shape, rows_per_iteration, n_synthetic, device):
        """Apply the automatic count for this work (``n_threads="auto"``, CPU only).

        Returns the count in force, None while the caller's setting stands.
        """
        if self.n_threads != "auto" or self.applied is not None:
            return self.applied
        if torch.device(device).type != "cpu":
            return None
        flops = iteration_flops(
            network_factory, input_shape, rows_per_iteration, n_synthetic, device
        )
        self._apply(auto_threads(flops))
        return self.applied

    def _apply(self, n):
        # restored in reverse order: threadpoolctl's pools, then torch's own count
        previous = torch.get_num_threads()
        self._stack.callback(torch.set_num_threads, previous)
        self._stack.enter_context(threadpool_limits(limits=n))
        torch.set_num_threads(n)
        self.applied = n

    def __exit__(self, *exc_info):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc_info)
