"""FairDistiller's thread choice (n_threads="auto") against fixed counts, idle and busy.

Two workloads, each fitted with four thread settings:

- ``table``: ``make_biased_classification`` at Adult's size (32,561 rows, 100
  columns, 2 classes x 2 groups), FairDistiller's defaults but ``n_iter`` (40);
- ``images``: ``make_colored_digits`` (1,347 coloured 8x8 digits, 10 classes x
  3 colours), FairDistiller's image defaults (ConvNet-3 of 128 channels,
  siamese augmentation) but ``n_iter`` (2);

settings: ``auto`` (the default, ``n_threads="auto"``), ``1`` and ``2``
(``n_threads=1``, ``2``) and ``torch default`` (``n_threads=None``: torch's own
setting at start-up, one thread per core — what every fit got before
``n_threads`` existed). Each is timed (the whole ``fit``) ``--repeats`` times,
the settings taking turns within a repeat, under two loads:

- ``idle``: nothing started by the benchmark (other users of the machine may
  still load it: the load average before each block is recorded);
- ``busy``: two processes of this benchmark spinning a Python busy loop each,
  started before the block and killed after it.

Usage::

    python benchmarks/threads.py --repeats 2    # about 5 minutes on 2 cores
    python benchmarks/threads.py --quick --out /tmp/threads   # smoke test

Writes ``threads.csv`` (one row per fit) and ``threads.md`` (min and median per
load, workload and setting; each median over the best of its block) to
``--out``, by default ``benchmarks/results``.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(_HERE, "results")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from bench_common import cpu_name  # noqa: E402
import skfairdistill._threads as threads_module  # noqa: E402
from skfairdistill import FairDistiller  # noqa: E402
from skfairdistill.datasets import make_biased_classification, make_colored_digits  # noqa: E402

SETTINGS = {"auto": "auto", "1": 1, "2": 2, "torch default": None}
BUSY_LOOP = "while True: pass"


def workloads(quick):
    X, y, A = make_biased_classification(
        2000 if quick else 32561, n_features=100, n_groups=2, random_state=0
    )
    images, digits, colours = make_colored_digits(random_state=0)
    return {
        "table": (X.astype(np.float32), y, A, dict(n_iter=10 if quick else 40)),
        # the field's normed ConvNet-3: the images' default when these figures were taken
        "images": (images, digits, colours, dict(n_iter=1 if quick else 2,
                                                 embedding="convnet")),
    }


class Busy:
    """``n`` Python busy loops in child processes, for the duration of a ``with`` block."""

    def __init__(self, n):
        self.n, self.children = n, []

    def __enter__(self):
        self.children = [
            subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(self.n)
        ]
        time.sleep(1.0)  # let them get going
        return self

    def __exit__(self, *exc_info):
        for child in self.children:
            child.kill()
        for child in self.children:
            child.wait()


def record_auto_choice():
    """Wrap auto_threads so that the count the default chose can be read after a fit."""
    chosen = []
    original = threads_module.auto_threads

    def recording(*args, **kwargs):
        n = original(*args, **kwargs)
        chosen.append(n)
        return n

    threads_module.auto_threads = recording
    return chosen


def time_fit(X, y, A, params, setting, chosen):
    chosen.clear()
    distiller = FairDistiller(n_threads=SETTINGS[setting], random_state=0, **params)
    started = time.perf_counter()
    distiller.fit(X, y, sensitive_features=A)
    seconds = time.perf_counter() - started
    if setting == "auto":
        used = chosen[-1] if chosen else torch.get_num_threads()
    elif setting == "torch default":
        used = torch.get_num_threads()
    else:
        used = SETTINGS[setting]
    return seconds, used


def run(loads, repeats, quick):
    data = workloads(quick)
    chosen = record_auto_choice()
    rows = []
    for load in loads:
        with Busy(2 if load == "busy" else 0):
            for name, (X, y, A, params) in data.items():
                load_before = os.getloadavg()[0]
                time_fit(X, y, A, {**params, "n_iter": 1}, "1", chosen)  # warm-up
                for repeat in range(repeats):
                    for setting in SETTINGS:
                        seconds, used = time_fit(X, y, A, params, setting, chosen)
                        rows.append(dict(load=load, workload=name, setting=setting,
                                         threads_used=used, repeat=repeat, fit_s=seconds,
                                         load_before=load_before, n_iter=params["n_iter"]))
                        print(f"{load:5} {name:7} {setting:14} threads={used} "
                              f"{seconds:7.2f} s", flush=True)
    return pd.DataFrame(rows)


def summarise(frame):
    table = (
        frame.groupby(["load", "workload", "setting"], sort=False)
        .agg(threads=("threads_used", lambda t: "/".join(map(str, sorted(set(t))))),
             min_s=("fit_s", "min"), median_s=("fit_s", "median"),
             load_before=("load_before", "first"))
        .reset_index()
    )
    best = table.groupby(["load", "workload"], sort=False)["median_s"].transform("min")
    table["median / best"] = table["median_s"] / best
    default = table[table.setting == "auto"].set_index(["load", "workload"])["median_s"]
    torch_default = table[table.setting == "torch default"].set_index(
        ["load", "workload"])["median_s"]
    return table, (default / torch_default).rename("auto / torch default")


def write_report(frame, command, out):
    table, versus_torch = summarise(frame)
    os.makedirs(out, exist_ok=True)
    frame.to_csv(os.path.join(out, "threads.csv"), index=False)
    lines = [
        "# Threads: the default (`n_threads=\"auto\"`) against fixed counts, idle and busy",
        "",
        f"{cpu_name()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, torch {torch.__version__}; "
        f"{time.strftime('%Y-%m-%d')}. Command: `{command}`.",
        "",
        "Whole `fit` times in seconds, min and median over "
        f"{frame.repeat.nunique()} repeats (the settings take turns within a repeat). "
        "*busy*: two Python busy loops started by the benchmark; *idle*: none (other "
        "users of the machine may still load it: *load before* is the 1-minute load "
        "average when the block started). *torch default* is `n_threads=None` under "
        "torch's start-up setting, what every fit got before `n_threads`. "
        "*median / best*: the setting's median over the best median of its block.",
        "",
        "| load | workload | setting | threads | min (s) | median (s) | median / best "
        "| load before |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in table.to_dict("records"):
        lines.append(
            f"| {row['load']} | {row['workload']} | {row['setting']} | {row['threads']} | "
            f"{row['min_s']:.2f} | {row['median_s']:.2f} | {row['median / best']:.2f} | "
            f"{row['load_before']:.1f} |"
        )
    lines += ["", "The default against torch's default (median over median):", ""]
    for (load, workload), ratio in versus_torch.items():
        lines.append(f"- {load}, {workload}: {ratio:.2f}x")
    with open(os.path.join(out, "threads.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loads", default="idle,busy")
    parser.add_argument("--quick", action="store_true", help="tiny fits, one repeat")
    parser.add_argument("--out", default=RESULTS, help="folder of threads.csv and threads.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)  # the digits' small cells
    repeats = 1 if args.quick else args.repeats
    frame = run(args.loads.split(","), repeats, args.quick)
    command = "python benchmarks/threads.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    write_report(frame, command, args.out)


if __name__ == "__main__":
    main()
