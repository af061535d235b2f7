"""The class prior a user would choose, from the rows of a ``prior_choice`` study.

The criterion (fixed before the runs): for every (data set, budget, model) and method,
the prior whose mean accuracy over seeds is closest to the full data's among the
priors whose mean DEO_M is at or below the full data's; when none is, the prior with
the smallest DEO_M. The full data is trained as a user trains it, without weights
(the rows of ``"full data"`` under the prior ``"data"``, which weighs every row alike).

    python -m benchmarks.prior_rule prior_choice_tune
    python -m benchmarks.prior_rule prior_choice

prints, per method, the prior chosen in each setting and how often each prior is
chosen, and writes them to ``results/<study>/prior_rule.md``.

The default (fixed before the confirmation run): the prior chosen in the most
settings of the default distiller ("COBRA (default)") on the tuning data. It is
confirmed when, on the unseen tables, it is again chosen in at least as many settings
as any other prior.
"""

import argparse
import os

import pandas as pd

from .__main__ import RESULTS

PRIORS = ("balanced", "sqrt", "data")


def against_full(rows):
    """Mean figures of every (method, dataset, budget, model, prior) of a set, beside the
    full data's (``accuracy_full``, ``deo_max_full``)."""
    means = (rows.groupby(["method", "dataset", "budget", "model", "prior"])
             [["accuracy", "deo_max"]].mean().reset_index())
    full = means[(means.method == "full data") & (means.prior == "data")].set_index(
        ["dataset", "model"])[["accuracy", "deo_max"]].add_suffix("_full")
    return means[means.method != "full data"].join(full, on=["dataset", "model"])


def users_choice(candidates):
    """The candidate a user would choose, and whether it is at or below the full data's gap.

    ``candidates``: one setting's rows, with ``accuracy``, ``deo_max`` and the full
    data's ``accuracy_full`` and ``deo_max_full``. The one closest to the full data's
    accuracy among those at or below its DEO_M; when none is, the fairest.
    """
    fair = candidates[candidates.deo_max <= candidates.deo_max_full]
    if len(fair):
        return fair.loc[(fair.accuracy - fair.accuracy_full).abs().idxmin()], True
    return candidates.loc[candidates.deo_max.idxmin()], False


def choose(rows):
    """One row per (method, dataset, budget, model): the chosen prior and its figures."""
    chosen = []
    for (method, dataset, budget, model), group in against_full(rows).groupby(
            ["method", "dataset", "budget", "model"]):
        best, fair = users_choice(group)
        chosen.append(dict(method=method, dataset=dataset, budget=budget, model=model,
                           prior=best.prior, accuracy=best.accuracy, deo_max=best.deo_max,
                           full_accuracy=best.accuracy_full, full_deo_max=best.deo_max_full,
                           fair=fair))
    return pd.DataFrame(chosen)


def summary(rows):
    """Per (method, prior): settings where it is chosen, where it is at or below the full
    data's DEO_M, and its mean accuracy and DEO_M minus the full data's."""
    sets = against_full(rows)
    sets["accuracy_gap"] = sets.accuracy - sets.accuracy_full
    sets["deo_max_gap"] = sets.deo_max - sets.deo_max_full
    sets["fair"] = sets.deo_max_gap <= 0
    return sets.groupby(["method", "prior"]).agg(
        settings=("fair", "size"), fair=("fair", "sum"), accuracy_gap=("accuracy_gap", "mean"),
        deo_max_gap=("deo_max_gap", "mean")).reset_index()


def report(study):
    rows = pd.read_csv(os.path.join(RESULTS, study, "rows.csv"))
    chosen = choose(rows)
    lines = [f"# The class prior chosen against the full data: {study}", "",
             f"Written by `python -m benchmarks.prior_rule {study}` from "
             f"`results/{study}/rows.csv` (seeds {sorted(rows.seed.unique().tolist())}). "
             "Per setting, the prior whose mean accuracy is closest to the full data's "
             "among those at or below the full data's DEO_M (*fair*: one was; else the "
             "fairest). Cells: accuracy / DEO_M.", ""]
    overall = summary(rows)
    for method, group in chosen.groupby("method"):
        counts = group.prior.value_counts()
        lines += [f"## {method}", "",
                  "Chosen: " + ", ".join(f"{p} {counts.get(p, 0)}" for p in PRIORS)
                  + f" of {len(group)} settings.", "",
                  "| prior | chosen | at or below the full data's DEO_M | accuracy minus the "
                  "full data's (mean) | DEO_M minus the full data's (mean) |",
                  "|---|---|---|---|---|"]
        for r in overall[overall.method == method].itertuples():
            lines.append(f"| {r.prior} | {counts.get(r.prior, 0)} | {r.fair} of {r.settings} | "
                         f"{r.accuracy_gap:+.3f} | {r.deo_max_gap:+.3f} |")
        lines += ["",
                  "| data set | budget | model | full data | chosen prior | its figures | fair |",
                  "|---|---|---|---|---|---|---|"]
        for r in group.itertuples():
            lines.append(f"| {r.dataset} | {r.budget} | {r.model} | {r.full_accuracy:.3f} / "
                         f"{r.full_deo_max:.3f} | {r.prior} | {r.accuracy:.3f} / "
                         f"{r.deo_max:.3f} | {'yes' if r.fair else 'no'} |")
        lines.append("")
    return write_report(study, "prior_rule.md", lines)


def write_report(study, name, lines):
    """Write ``lines`` to ``results/<study>/<name>`` and return the text."""
    text = "\n".join(lines)
    with open(os.path.join(RESULTS, study, name), "w") as file:
        file.write(text)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("study")
    print(report(parser.parse_args().study))
