"""The random embedding MLP on tables: its weight distribution and its width.

Usage::

    python benchmarks/embedding_mlp.py                 # the grid below, resuming from the CSV
    python benchmarks/embedding_mlp.py --from-csv      # re-render the Markdown only

Distribution matching draws a fresh random MLP every iteration and embeds a
mini-batch of real rows through it; the iteration's cost is mostly that embedding,
which grows with the square of the width. The settings compared:

- weights (``RandomMLP(init=...)``): ``"quantile"``, a normal distribution
  discretised into 256 equally likely values (8 random bits per weight);
  ``"gaussian"``, ``torch.randn`` (32 bits each; on the CPU a draw takes about as
  long as the layer's product over a mini-batch); ``"sign"``, ±1 (1 bit each). All
  have variance ``2 / fan_in``;
- width (``embedding_width``): 128 or 256.

The reference is Gaussian weights at width 256, the defaults before this benchmark;
the defaults are now quantile weights at width 128 (the first setting;
``embedding_width="auto"`` is 128 for these tables of 10-96 columns). COBRA with
its other defaults on the tabular data sets of ``batch_size.py`` (Adult with sex
and race, six ``make_biased_classification`` tables), 10 and 50 rows per class,
seeds 0-4, paired by (data set, rows per class, seed); a logistic regression
trained on the synthetic rows, scored on the real held-out split.

Writes ``benchmarks/results/embedding_mlp.csv`` and ``embedding_mlp.md``.
"""

import argparse
import functools
import os
import shlex
import sys

import numpy as np
import pandas as pd
import torch

from batch_size import DATASETS, _pm, report_head, run_grid
from skfairdistill import FairDistiller
from skfairdistill.networks import make_embedding

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
SEEDS = (0, 1, 2, 3, 4)
#: (init, width); the first is FairDistiller's default, the reference its former default
SETTINGS = (("quantile", 128), ("quantile", 256), ("gaussian", 256), ("sign", 256))
REFERENCE = ("gaussian", 256)
KEYS = ["dataset", "budget", "seed"]


def _distiller(setting, budget, seed):
    init, width = setting
    if setting == SETTINGS[0]:  # the defaults, as a user gets them
        return FairDistiller(n_per_class=budget, device="cpu", random_state=seed)
    embedding = functools.partial(make_embedding, "mlp", init=init, width=width)
    return FairDistiller(n_per_class=budget, embedding=embedding, device="cpu",
                         random_state=seed)


def run(csv_path, datasets=DATASETS, settings=SETTINGS, log=print):
    """Fit every missing (dataset, seed, budget, init, width); append to the CSV."""
    run_grid(csv_path, ("init", "width"), settings, _distiller, datasets, SEEDS, log)


def _setting(rows, setting):
    return rows[(rows.init == setting[0]) & (rows.width == setting[1])].set_index(KEYS)


def _label(setting):
    return f"{setting[0]}, {setting[1]}"


def render(rows, command, out_path, note=""):
    """Markdown: per-setting averages and the paired differences to the reference."""
    reference = _setting(rows, REFERENCE)
    ref_label = _label(REFERENCE)
    lines = [
        *report_head("The random embedding MLP: weights and width (tables)", rows, command,
                     note),
        f"*Δ vs {ref_label}*: mean ± std "
        "over the (data set, rows per class, seed) triples of the paired difference to "
        f"Gaussian weights at width 256, the former defaults (positive Δ DEO_M = less fair). "
        f"The defaults are now {_label(SETTINGS[0])} (`embedding_width=\"auto\"`: 128 up "
        "to 128 columns, 256 above). *time*: the median ratio of fit times "
        "on the same triple (small data sets, so the fit time includes the setup).",
        "",
        "| weights, width | triples | accuracy | DEO_M | DEO_A | worst-group accuracy "
        f"| Δ accuracy | Δ DEO_M | Δ DEO_A | time vs {ref_label} |",
        "|---|---:|---|---|---|---|---|---|---|---:|",
    ]
    for setting in SETTINGS:
        part = _setting(rows, setting)
        common = part.index.intersection(reference.index)
        if len(common) == 0:
            continue
        part, ref = part.loc[common], reference.loc[common]
        lines.append(
            f"| {_label(setting)} | {len(common)} | {_pm(part.accuracy)} | {_pm(part.deo_max)} "
            f"| {_pm(part.deo_mean)} | {_pm(part.worst_group_accuracy)} "
            f"| {_pm(part.accuracy - ref.accuracy)} | {_pm(part.deo_max - ref.deo_max)} "
            f"| {_pm(part.deo_mean - ref.deo_mean)} "
            f"| {(part.seconds / ref.seconds).median():.2f}x |"
        )
    lines += ["", f"Reading (paired differences to {ref_label}, with their standard error, "
              "std / sqrt(triples)):", ""]
    for setting in SETTINGS:
        part = _setting(rows, setting)
        common = part.index.intersection(reference.index)
        if setting == REFERENCE or len(common) < 2:
            continue
        verdicts = []
        for metric, label in (("deo_max", "DEO_M"), ("accuracy", "accuracy")):
            delta = part.loc[common, metric] - reference.loc[common, metric]
            error = delta.std(ddof=1) / np.sqrt(len(delta))
            within = abs(delta.mean()) <= 2 * error
            verdicts.append(f"{label} {delta.mean():+.4f} (standard error {error:.4f}: "
                            + ("within" if within else "beyond") + " two standard errors)")
        lines.append(f"- {_label(setting)}: " + "; ".join(verdicts) + ".")
    header = [f"{metric} {_label(s)}" for metric in ("DEO_M",) for s in SETTINGS]
    lines += ["", "DEO_M per data set and rows per class (mean ± std over seeds):", "",
              "| data set | rows/class | " + " | ".join(header) + " |",
              "|---|---:|" + "---|" * len(header)]
    for (name, budget), block in rows.groupby(["dataset", "budget"]):
        cells = []
        for init, width in SETTINGS:
            values = block[(block.init == init) & (block.width == width)].deo_max
            cells.append(_pm(values) if len(values) > 1 else "")
        lines.append(f"| {name} | {budget} | " + " | ".join(cells) + " |")
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/embedding_mlp.py",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-csv", action="store_true", help="only re-render the Markdown")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated subset of the data sets (to split a run)")
    parser.add_argument("--csv", default=os.path.join(RESULTS, "embedding_mlp.csv"))
    parser.add_argument("--note", default="", help="a line for the Markdown (e.g. contention)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out_path = os.path.join(RESULTS, "embedding_mlp.md")
    command = shlex.join(["python", "benchmarks/embedding_mlp.py"])
    if not args.from_csv:
        run(args.csv, datasets=[d for d in args.datasets.split(",") if d])
    render(pd.read_csv(args.csv), command, out_path, note=args.note)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    sys.exit(main())
