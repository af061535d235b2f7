"""The rule that made ``fairness_weight="auto"`` model matching's default, from the rows
of ``model_auto_tune`` or ``model_auto``.

The rule (fixed before ``model_auto`` ran; also in ``studies.py``): ``"auto"`` becomes
the default if, on ``model_auto``'s unseen tables (means over seeds per table and budget),
it meets the issue's target (accuracy within 1 point of the full data for LogReg, 2 for
the MLP, and DEO_M at or below the full data's) in at least as many settings as
``fairness_weight=3``, for LogReg and for the MLP, and its mean accuracy there is at most
0.002 below.

    python -m benchmarks.weight_rule model_auto

prints the counts, the means and the paired differences (``"auto"`` minus weight 3,
± standard error over the (table, budget, seed) pairs) and writes them to
``results/<study>/weight_rule.md``.
"""

import argparse
import os

import pandas as pd

from .__main__ import RESULTS
from .prior_rule import against_full

AUTO, FIXED = "model matching, weight auto", "model matching"
TOLERANCE = {"LogReg": 0.01, "MLP": 0.02}


def weight_rule(rows):
    """The rule's table (markdown) and whether ``"auto"`` passes it."""
    means = against_full(rows.assign(prior="data"))
    means["target met"] = ((means.accuracy >= means.accuracy_full - means.model.map(TOLERANCE))
                           & (means.deo_max <= means.deo_max_full))
    keys = ["dataset", "budget", "model", "seed"]
    paired = rows[rows.method == AUTO].set_index(keys)[["accuracy", "deo_max"]] - rows[
        rows.method == FIXED].set_index(keys)[["accuracy", "deo_max"]]
    lines, passes = ["| model | method | settings | target met | accuracy | DEO_M |",
                     "|---|---|---|---|---|---|"], True
    for model, of_model in means.groupby("model"):
        by_method = of_model.groupby("method")
        for method, group in by_method:
            lines.append(f"| {model} | {method} | {len(group)} | {group['target met'].sum()} "
                         f"| {group.accuracy.mean():.4f} | {group.deo_max.mean():.4f} |")
        met, accuracy = by_method["target met"].sum(), by_method.accuracy.mean()
        passes &= bool(met[AUTO] >= met[FIXED] and accuracy[AUTO] >= accuracy[FIXED] - 0.002)
        pairs = paired.xs(model, level="model")
        lines.append(f"| {model} | auto minus weight 3, paired ({len(pairs)} pairs) | | | "
                     + " | ".join(f"{pairs[c].mean():+.4f} ± {pairs[c].sem():.4f}"
                                  for c in ("accuracy", "deo_max")) + " |")
    return "\n".join(lines), passes


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.weight_rule")
    parser.add_argument("study")
    study = parser.parse_args(argv).study
    table, passes = weight_rule(pd.read_csv(os.path.join(RESULTS, study, "rows.csv")))
    text = (f"# {study}: fairness_weight='auto' against 3\n\nWritten by `python -m "
            f"benchmarks.weight_rule {study}`.\n\n{table}\n\nThe rule's conditions "
            f"{'hold' if passes else 'do not hold'} on these rows (it is decided on "
            "model_auto's).\n")
    with open(os.path.join(RESULTS, study, "weight_rule.md"), "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
