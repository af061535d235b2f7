"""Real rows per (class, group) cell and iterations: fairness, accuracy and time of COBRA.

Usage::

    python benchmarks/batch_size.py                 # the grid below, resuming from the CSV
    python benchmarks/batch_size.py --from-csv      # re-render the Markdown only

The cost of an iteration of distribution matching on tables is the embedding of
the real mini-batch (``batch_size`` rows per cell through the random MLP); its
number is ``n_iter``. This grid measures what smaller batches and fewer iterations
cost in fairness and accuracy, on the suite's tabular data sets (Adult with sex and
race, and ``make_biased_classification`` tables, see ``benchmarks/bench_suite.py``):
COBRA (``alignment="barycenter"``, other parameters at their defaults), 10 and 50
rows per class, seeds 0-2, a logistic regression trained on the synthetic rows
and scored on the real held-out split. It chose the default ``batch_size``.

Writes ``benchmarks/results/batch_size.csv`` and ``batch_size.md``.
"""

import argparse
import os
import shlex
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from bench_common import cpu_name
import bench_suite as suite
from skfairdistill import FairDistiller

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
#: (batch_size, n_iter) settings; 256 x 1000 was the default before this benchmark.
SETTINGS = ((256, 1000), (128, 1000), (64, 1000), (256, 400), (128, 500))
DATASETS = (
    "adult-sex", "adult-race", "synthetic pi=0.9 sep=1.5", "synthetic pi=0.7 sep=3",
    "synthetic pi=0.9 sep=0", "synthetic pi=0.5 sep=3", "synthetic pi=0.9 sep=3",
    "synthetic pi=0.7 sep=0",
)
BUDGETS = (10, 50)
SEEDS = (0, 1, 2)
REFERENCE = (256, 1000)
METRICS = ("accuracy", "deo_max", "deo_mean", "worst_group_accuracy")


def _dataset(name):
    known = suite.make_datasets(("adult", "synthetic"), (0.5, 0.7, 0.9), (0, 1.5, 3), ())
    return next(d for d in known if d.name == name)


def run(csv_path, settings=SETTINGS, datasets=DATASETS, log=print):
    """Fit every missing (dataset, seed, budget, batch_size, n_iter); append to the CSV."""
    def distiller(setting, budget, seed):
        batch_size, n_iter = setting
        return FairDistiller(n_per_class=budget, n_iter=n_iter, batch_size=batch_size,
                             device="cpu", random_state=seed)

    run_grid(csv_path, ("batch_size", "n_iter"), settings, distiller, datasets, SEEDS, log)


def run_grid(csv_path, columns, settings, make_distiller, datasets, seeds, log=print):
    """Fit every missing (dataset, seed, budget, *setting) and append its scores to the CSV.

    ``settings`` are tuples named by ``columns`` (the CSV columns that identify them);
    ``make_distiller(setting, budget, seed)`` builds the distiller. A data set's split
    is loaded once per seed, and only when one of its rows is missing.
    """
    config = suite.Config(seeds=seeds, budgets=BUDGETS, datasets=())
    done = set()
    if os.path.exists(csv_path):
        old = pd.read_csv(csv_path)
        done = set(zip(old.dataset, old.seed, old.budget, *(old[c] for c in columns)))
    for name in datasets:
        dataset = _dataset(name)
        for seed in seeds:
            split = None
            for budget in BUDGETS:
                for setting in settings:
                    if (name, seed, budget, *setting) in done:
                        continue
                    if split is None:
                        split = suite.load_split(dataset, seed, config)
                        A_train = split.groups(dataset, "train")
                        A_test = split.groups(dataset, "test")
                    distiller = make_distiller(setting, budget, seed)
                    score, seconds = fit_and_score(distiller, split, A_train, A_test)
                    named = dict(zip(columns, setting))
                    row = {"dataset": name, "seed": seed, "budget": budget, **named,
                           "seconds": seconds, **score}
                    pd.DataFrame([row]).to_csv(csv_path, mode="a", index=False,
                                               header=not os.path.exists(csv_path))
                    described = " ".join(f"{c}={v}" for c, v in named.items())
                    log(f"  {name:26s} seed={seed} budget={budget:<3d} {described} "
                        f"acc={score['accuracy']:.3f} DEO_M={score['deo_max']:.3f} "
                        f"{seconds:5.1f}s")


def fit_and_score(distiller, split, A_train, A_test):
    """Distil the training split, fit a logistic regression on the synthetic rows, score it
    on the real test split: (scores, fit seconds)."""
    start = time.perf_counter()
    X_syn, y_syn = distiller.fit_resample(split.X_train, split.y_train,
                                          sensitive_features=A_train)
    seconds = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=2000).fit(X_syn, y_syn)
    return suite._score(split.y_test, model.predict(split.X_test), A_test), seconds


def _pm(values, digits=3):
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def report_head(title, rows, command, note):
    """The heading, command, machine and grid of a tabular COBRA sweep's report (lines)."""
    return [
        f"## {title}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {cpu_name()}, {os.cpu_count()} CPU cores; "
        f"torch {torch.__version__} (1 thread)  ",
        *([f"Note: {note}  "] if note else []),
        "",
        "COBRA on the suite's tabular data sets (" + ", ".join(sorted(rows.dataset.unique()))
        + f"), {', '.join(map(str, sorted(rows.budget.unique())))} rows per class, seeds "
        f"{', '.join(map(str, sorted(rows.seed.unique())))}; logistic regression on the "
        "synthetic rows, scored on the real held-out split.",
    ]


def render(rows, command, out_path, note=""):
    """Markdown: per-setting averages over the grid, and paired differences to 256 x 1000."""
    rows = rows.copy()
    rows["setting"] = list(zip(rows.batch_size, rows.n_iter))
    keys = ["dataset", "budget", "seed"]
    reference = rows[rows.setting == REFERENCE].set_index(keys)
    lines = [
        *report_head("Batch size and iterations (tables)", rows, command, note),
        "*Δ vs 256 x 1000*: mean ± std "
        "over the (data set, rows per class, seed) triples of the paired difference to "
        "`batch_size=256, n_iter=1000` (positive Δ DEO_M = less fair). *time*: the median "
        "fit time relative to 256 x 1000 on the same triple.",
        "",
        "| batch per cell | iterations | triples | accuracy | DEO_M | DEO_A | Δ accuracy "
        "| Δ DEO_M | time vs 256 x 1000 |",
        "|---:|---:|---:|---|---|---|---|---|---:|",
    ]
    for setting in sorted(rows.setting.unique(), key=lambda s: (-s[1], -s[0])):
        part = rows[rows.setting == setting].set_index(keys)
        common = part.index.intersection(reference.index)
        part, ref = part.loc[common], reference.loc[common]
        delta_acc = part.accuracy - ref.accuracy
        delta_deo = part.deo_max - ref.deo_max
        ratio = (part.seconds / ref.seconds).median()
        lines.append(
            f"| {setting[0]} | {setting[1]} | {len(common)} | {_pm(part.accuracy)} "
            f"| {_pm(part.deo_max)} | {_pm(part.deo_mean)} | {_pm(delta_acc)} "
            f"| {_pm(delta_deo)} | {ratio:.2f}x |"
        )
    lines += ["", "Per data set and rows per class (mean over seeds, DEO_M):", ""]
    table = rows.pivot_table(index=["dataset", "budget"], columns="setting",
                             values="deo_max", aggfunc="mean")
    header = [f"{b} x {n}" for b, n in table.columns]
    lines.append("| data set | rows/class | " + " | ".join(header) + " |")
    lines.append("|---|---:|" + "---:|" * len(header))
    for (name, budget), values in table.iterrows():
        cells = " | ".join("" if np.isnan(v) else f"{v:.3f}" for v in values)
        lines.append(f"| {name} | {budget} | {cells} |")
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/batch_size.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-csv", action="store_true", help="only re-render the Markdown")
    parser.add_argument("--note", default="", help="a line for the Markdown (e.g. contention)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    csv_path = os.path.join(RESULTS, "batch_size.csv")
    out_path = os.path.join(RESULTS, "batch_size.md")
    command = shlex.join(["python", "benchmarks/batch_size.py"])
    if not args.from_csv:
        run(csv_path)
    render(pd.read_csv(csv_path), command, out_path, note=args.note)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    sys.exit(main())
