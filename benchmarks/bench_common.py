"""Helpers the benchmark scripts share: random subsets, Markdown tables, the machine, output."""

import os
import platform

import numpy as np


def random_subset(y, n_per_class, rng):
    """Indices of ``n_per_class`` random rows of every class."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), n_per_class, replace=False) for c in np.unique(y)]
    )


def markdown_table(header, lines):
    """A Markdown table: a header row, then one row per sequence of cells."""
    out = ["| " + " | ".join(str(v) for v in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(v) for v in line) + " |" for line in lines]
    return "\n".join(out)


def cpu_name():
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def memory_gib():
    """Total memory of the machine in GiB (``/proc/meminfo``); NaN where unknown."""
    try:
        with open("/proc/meminfo") as handle:
            return int(handle.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        return float("nan")


def machine_description():
    """CPU, cores, memory and operating system in one line."""
    memory = memory_gib()
    memory = "" if np.isnan(memory) else f", {memory:.0f} GiB RAM"
    return (f"{cpu_name()}, {os.cpu_count()} CPU cores{memory}, {platform.system()} "
            f"{platform.release()} ({platform.machine()}), no GPU used")


def write_text(text, out=None):
    """Write ``text`` to the file ``out`` (if given) and print it."""
    if out:
        with open(out, "w") as stream:
            stream.write(text)
    print(text)
