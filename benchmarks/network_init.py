"""Weights of the random embedding MLP: normal quantiles (the default), Gaussian, signs.

Usage::

    python benchmarks/network_init.py                 # the grid below, resuming from the CSV
    python benchmarks/network_init.py --from-csv      # re-render the Markdown only

Distribution matching draws a fresh random MLP every iteration. By default its weights
are a normal distribution discretised into 256 equally likely values
(``RandomMLP(init="quantile")``, 8 random bits per weight); ``init="gaussian"`` draws
them with ``torch.randn`` (32 bits each; on the CPU a draw takes about as long as the
layer's product over a mini-batch) and ``init="sign"`` as ±1 (1 bit each). All have
variance ``2 / fan_in``. This benchmark measures what the cheaper draws cost in fairness
and accuracy:
COBRA with its defaults on the tabular data sets of ``batch_size.py`` (Adult with
sex and race, six ``make_biased_classification`` tables), 10 and 50 rows per class,
seeds 0-4, paired by (data set, rows per class, seed); a logistic regression trained
on the synthetic rows, scored on the real held-out split. The other networks are
passed as ``embedding=functools.partial(make_embedding, "mlp", init=...)``.

Writes ``benchmarks/results/network_init.csv`` and ``network_init.md``.
"""

import argparse
import functools
import os
import platform
import shlex
import sys

import numpy as np
import pandas as pd
import torch

import bench_suite as suite
from batch_size import BUDGETS, DATASETS, _dataset, _pm, fit_and_score
from skfairdistill import FairDistiller
from skfairdistill.networks import make_embedding

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
SEEDS = (0, 1, 2, 3, 4)
INITS = ("quantile", "gaussian", "sign")
REFERENCE = "gaussian"


def _embedding(init):
    return "auto" if init == INITS[0] else functools.partial(make_embedding, "mlp", init=init)


def run(csv_path, datasets=DATASETS, inits=INITS, log=print):
    """Fit every missing (dataset, seed, budget, init); append to the CSV."""
    config = suite.Config(seeds=SEEDS, budgets=BUDGETS, datasets=())
    done = set()
    if os.path.exists(csv_path):
        old = pd.read_csv(csv_path)
        done = set(zip(old.dataset, old.seed, old.budget, old.init))
    for name in datasets:
        dataset = _dataset(name)
        for seed in SEEDS:
            split = None
            for budget in BUDGETS:
                for init in inits:
                    if (name, seed, budget, init) in done:
                        continue
                    if split is None:
                        split = suite.load_split(dataset, seed, config)
                        A_train = split.groups(dataset, "train")
                        A_test = split.groups(dataset, "test")
                    distiller = FairDistiller(n_per_class=budget, embedding=_embedding(init),
                                              device="cpu", random_state=seed)
                    score, seconds = fit_and_score(distiller, split, A_train, A_test)
                    row = {"dataset": name, "seed": seed, "budget": budget, "init": init,
                           "seconds": seconds, **score}
                    pd.DataFrame([row]).to_csv(csv_path, mode="a", index=False,
                                               header=not os.path.exists(csv_path))
                    log(f"  {name:26s} seed={seed} budget={budget:<3d} init={init:8s} "
                        f"acc={score['accuracy']:.3f} DEO_M={score['deo_max']:.3f} "
                        f"{seconds:5.1f}s")


def render(rows, command, out_path, note=""):
    """Markdown: per-init averages and the paired differences to the Gaussian network."""
    keys = ["dataset", "budget", "seed"]
    reference = rows[rows.init == REFERENCE].set_index(keys)
    lines = [
        "## Weights of the random embedding MLP",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores; "
        f"torch {torch.__version__} (1 thread)  ",
        *([f"Note: {note}  "] if note else []),
        "",
        "COBRA with its defaults on the suite's tabular data sets ("
        + ", ".join(sorted(rows.dataset.unique())) + f"), "
        f"{', '.join(map(str, sorted(rows.budget.unique())))} rows per class, seeds "
        f"{', '.join(map(str, sorted(rows.seed.unique())))}; logistic regression on the "
        "synthetic rows, scored on the real held-out split. *Δ vs gaussian*: mean ± std over "
        "the (data set, rows per class, seed) triples of the paired difference to the "
        "Gaussian network (positive Δ DEO_M = less fair). *time*: the median ratio of fit "
        "times on the same triple (small data sets: the fit time includes the setup).",
        "",
        "| weights | triples | accuracy | DEO_M | DEO_A | worst-group accuracy | Δ accuracy "
        "| Δ DEO_M | Δ DEO_A | time vs gaussian |",
        "|---|---:|---|---|---|---|---|---|---|---:|",
    ]
    for init in INITS:
        part = rows[rows.init == init].set_index(keys)
        common = part.index.intersection(reference.index)
        if len(common) == 0:
            continue
        part, ref = part.loc[common], reference.loc[common]
        lines.append(
            f"| {init} | {len(common)} | {_pm(part.accuracy)} | {_pm(part.deo_max)} "
            f"| {_pm(part.deo_mean)} | {_pm(part.worst_group_accuracy)} "
            f"| {_pm(part.accuracy - ref.accuracy)} | {_pm(part.deo_max - ref.deo_max)} "
            f"| {_pm(part.deo_mean - ref.deo_mean)} "
            f"| {(part.seconds / ref.seconds).median():.2f}x |"
        )
    lines += ["", "Reading (paired differences to the Gaussian network, with their standard "
              "error, std / sqrt(triples)):", ""]
    for init in INITS:
        if init == REFERENCE:
            continue
        part = rows[rows.init == init].set_index(keys)
        common = part.index.intersection(reference.index)
        if len(common) < 2:
            continue
        verdicts = []
        for metric, label in (("deo_max", "DEO_M"), ("accuracy", "accuracy")):
            delta = part.loc[common, metric] - reference.loc[common, metric]
            error = delta.std(ddof=1) / np.sqrt(len(delta))
            within = abs(delta.mean()) <= 2 * error
            verdicts.append(f"{label} {delta.mean():+.4f} (standard error {error:.4f}: "
                            + ("within" if within else "beyond") + " two standard errors)")
        lines.append(f"- {init}: " + "; ".join(verdicts) + ".")
    header = [f"{metric} {init}" for metric in ("DEO_M", "accuracy") for init in INITS]
    lines += ["", "Per data set and rows per class (mean ± std over seeds):", "",
              "| data set | rows/class | " + " | ".join(header) + " |",
              "|---|---:|" + "---|" * len(header)]
    for (name, budget), block in rows.groupby(["dataset", "budget"]):
        cells = []
        for metric in ("deo_max", "accuracy"):
            for init in INITS:
                values = block[block.init == init][metric]
                cells.append(_pm(values) if len(values) > 1 else "")
        lines.append(f"| {name} | {budget} | " + " | ".join(cells) + " |")
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/network_init.py",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-csv", action="store_true", help="only re-render the Markdown")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated subset of the data sets (to split a run)")
    parser.add_argument("--csv", default=os.path.join(RESULTS, "network_init.csv"))
    parser.add_argument("--note", default="", help="a line for the Markdown (e.g. contention)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out_path = os.path.join(RESULTS, "network_init.md")
    command = shlex.join(["python", "benchmarks/network_init.py"])
    if not args.from_csv:
        run(args.csv, datasets=[d for d in args.datasets.split(",") if d])
    render(pd.read_csv(args.csv), command, out_path, note=args.note)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    sys.exit(main())
