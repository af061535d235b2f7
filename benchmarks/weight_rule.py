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
``results/<study>/weight_rule.md``. ``--before STUDY`` pairs the rows with those of
an earlier run of the same settings instead (``model_warm_newton`` against
``model_auto``: a change of the package that should not move the results);
``--new NAME --old NAME`` holds any two methods of the study to the rule.
"""

import argparse
import os
import shlex
import sys

import pandas as pd

from .__main__ import RESULTS
from .prior_rule import against_full, write_report

AUTO, FIXED = "model matching, weight auto", "model matching"
TOLERANCE = {"LogReg": 0.01, "MLP": 0.02}


def weight_rule(rows, new=AUTO, old=FIXED):
    """The rule's table (markdown) and whether ``new`` (``"auto"``) passes it against
    ``old`` (weight 3)."""
    means = against_full(rows.assign(prior="data"))
    means["target met"] = ((means.accuracy >= means.accuracy_full - means.model.map(TOLERANCE))
                           & (means.deo_max <= means.deo_max_full))
    keys = ["dataset", "budget", "model", "seed"]
    paired = rows[rows.method == new].set_index(keys)[["accuracy", "deo_max"]] - rows[
        rows.method == old].set_index(keys)[["accuracy", "deo_max"]]
    lines, passes = ["| model | method | settings | target met | accuracy | DEO_M |",
                     "|---|---|---|---|---|---|"], True
    for model, of_model in means.groupby("model"):
        by_method = of_model.groupby("method")
        for method, group in by_method:
            lines.append(f"| {model} | {method} | {len(group)} | {group['target met'].sum()} "
                         f"| {group.accuracy.mean():.4f} | {group.deo_max.mean():.4f} |")
        met, accuracy = by_method["target met"].sum(), by_method.accuracy.mean()
        passes &= bool(met[new] >= met[old] and accuracy[new] >= accuracy[old] - 0.002)
        pairs = paired.xs(model, level="model")
        lines.append(f"| {model} | {new} minus {old}, paired ({len(pairs)} pairs) | | | "
                     + " | ".join(f"{pairs[c].mean():+.4f} ± {pairs[c].sem():.4f}"
                                  for c in ("accuracy", "deo_max")) + " |")
    return "\n".join(lines), passes


def against_before(rows, before):
    """Each method's rows minus ``before``'s, paired by setting and seed (± standard error),
    per model; and whether each mean accuracy falls by at most 0.002 and each mean DEO_M
    rises by at most 0.005 (model_warm_newton's rule)."""
    keys, metrics = ["dataset", "budget", "method", "model", "seed"], ["accuracy", "deo_max"]
    diff = (rows.set_index(keys)[metrics] - before.set_index(keys)[metrics]).dropna().drop(
        "full data", level="method", errors="ignore").groupby(level=["model", "method"])
    lines = ["| model | method minus before | pairs | accuracy | DEO_M |", "|---|---|---|---|---|"]
    lines += [f"| {model} | {method} | {len(pairs)} | " + " | ".join(
        f"{pairs[c].mean():+.4f} ± {pairs[c].sem():.4f}" for c in metrics) + " |"
        for (model, method), pairs in diff]
    means = diff.mean()
    return "\n".join(lines), bool((means.accuracy >= -0.002).all() & (means.deo_max <= 0.005).all())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.weight_rule")
    parser.add_argument("study")
    parser.add_argument("--before", help="the same settings run earlier: the rows minus its")
    parser.add_argument("--new", default=AUTO, help="the method the rule tries (its name)")
    parser.add_argument("--old", default=FIXED, help="the method it is held against")
    args = parser.parse_args(argv)
    rows = pd.read_csv(os.path.join(RESULTS, args.study, "rows.csv"))
    table, passes = (against_before(rows, pd.read_csv(os.path.join(RESULTS, args.before,
                                                                    "rows.csv")))
                     if args.before else weight_rule(rows, args.new, args.old))
    print(write_report(args.study, "weight_rule.md", [
        f"# {args.study}: " + (f"against {args.before}" if args.before else
                               f"{args.new} against {args.old}"), "",
        f"Written by `python -m benchmarks.weight_rule {shlex.join(argv or sys.argv[1:])}`.", "",
        table, "", f"The rule's conditions {'hold' if passes else 'do not hold'} on these rows.",
        ""]))


if __name__ == "__main__":
    main()
