"""Readable rows or the rows as optimised, for a tree trained on a compact table.

Reads the rows of a ``tree_rows`` study. The criterion (fixed before the confirmation
ran) is a user's, as for the class prior (:mod:`benchmarks.prior_rule`), with one
clause more: for every (data set, budget, distiller, model), with the class prior that
``DistilledClassifier(class_prior="auto")`` gives that set ("data", but "balanced" for
a model-matched set), a variant is *useful* when its mean accuracy over seeds beats the
constant classifier (the training split's majority class), since a model below that is
of no use whatever its gap. Among the useful variants, the one whose mean accuracy is
closest to the full data's among those at or below the full data's DEO_M; when none
is, the fairest useful one; when neither is useful, the more accurate.

    python -m benchmarks.tree_rows tree_rows_tune
    python -m benchmarks.tree_rows tree_rows

prints, per model, the variant chosen in each setting and how often each is chosen,
and writes them to ``results/<study>/tree_rows.md``.

The default (fixed before the confirmation run): ``DistilledClassifier`` trains a
tree-based estimator on readable rows (when the distiller's ``readable_rows`` is
``"auto"``) if, on the unseen tables, readable rows are chosen in more than half of
the settings for each of the two tree models (HGB and the random forest). LogReg is
reported, not judged.

    python -m benchmarks.tree_rows tree_prior --prior

compares, with the same criterion, the two class priors of a tree trained on a
model-matched set's readable rows (:func:`prior_report`). Rule (fixed before the
``tree_prior`` run): ``class_prior="auto"`` gives a tree the data's prior on such a set
if the data's prior is chosen in more of the settings where the priors differ than
equal classes, HGB and the forest pooled.
"""

import argparse
import os

import numpy as np
import pandas as pd

from . import data, prior_rule
from .__main__ import RESULTS
from .studies import STUDIES

VARIANTS = ("as optimised", "readable")
TREES = ("HGB", "RandomForest")


def auto_prior(distiller):
    """The class prior ``DistilledClassifier(class_prior="auto")`` gives a set."""
    return "balanced" if distiller == "model matching" else "data"


def constant_accuracy(study, datasets, seeds):
    """Per data set, the mean over seeds of the constant classifier's accuracy."""
    phase = STUDIES[study].phase
    out = {}
    for dataset in datasets:
        scores = []
        for seed in seeds:
            split = data.load(dataset, int(seed), phase=phase)
            values, counts = np.unique(split.y, return_counts=True)
            scores.append(float(np.mean(split.y_eval == values[counts.argmax()])))
        out[dataset] = float(np.mean(scores))
    return out


def beside_full(rows, constant):
    """Mean figures of every (method, data set, budget, model, prior), beside the full
    data's and the constant classifier's accuracy."""
    sets = prior_rule.against_full(rows)
    sets["constant"] = sets.dataset.map(constant)
    return sets


def against_full(rows, constant):
    """:func:`beside_full` for every (distiller, variant), with the prior ``auto`` gives it."""
    sets = beside_full(rows, constant)
    sets[["distiller", "variant"]] = sets.method.str.rsplit(", ", n=1, expand=True)
    return sets[sets.prior == sets.distiller.map(auto_prior)]


def useful_choice(candidates):
    """The candidate a user would choose among those more accurate than the constant
    classifier (:func:`~benchmarks.prior_rule.users_choice`), and whether it is at or
    below the full data's DEO_M; when none is, the more accurate."""
    useful = candidates[candidates.accuracy > candidates.constant]
    if len(useful):
        return prior_rule.users_choice(useful)
    return candidates.loc[candidates.accuracy.idxmax()], False


def choose(sets):
    """One row per (distiller, data set, budget, model): the chosen variant."""
    chosen = []
    for key, group in sets.groupby(["distiller", "dataset", "budget", "model"]):
        best, fair = useful_choice(group)
        others = group[group.variant != best.variant].iloc[0]
        chosen.append(dict(zip(["distiller", "dataset", "budget", "model"], key),
                           variant=best.variant, accuracy=best.accuracy,
                           deo_max=best.deo_max, other_accuracy=others.accuracy,
                           other_deo_max=others.deo_max, full_accuracy=best.accuracy_full,
                           full_deo_max=best.deo_max_full, constant=best.constant,
                           fair=fair))
    return pd.DataFrame(chosen)


def prior_report(study):
    """The class prior for trees on a model-matched set's readable rows (study ``tree_prior``).

    Per (data set, budget, model), the prior a user would choose by the criterion above
    (useful first, then :func:`~benchmarks.prior_rule.users_choice`); settings where the
    two priors give the same means count for neither.
    """
    rows = pd.read_csv(os.path.join(RESULTS, study, "rows.csv"))
    constant = constant_accuracy(study, sorted(rows.dataset.unique()),
                                 sorted(rows.seed.unique()))
    sets = beside_full(rows, constant)
    lines = [f"# The class prior of a tree on readable model-matched rows: {study}", "",
             f"Written by `python -m benchmarks.tree_rows {study} --prior`. Cells: "
             "accuracy / DEO_M, means over seeds "
             f"{sorted(rows.seed.unique().tolist())}.", "",
             "| data set | budget | model | full data | constant | balanced | data | chosen |",
             "|---|---|---|---|---|---|---|---|"]
    counts = {"balanced": 0, "data": 0, "tie": 0}
    for (dataset, budget, model), group in sets.groupby(["dataset", "budget", "model"]):
        figures = group.set_index("prior")[["accuracy", "deo_max"]]
        if figures.loc["balanced"].equals(figures.loc["data"]):
            chosen = "tie"
        else:
            chosen = useful_choice(group)[0].prior
        counts[chosen] += 1
        first = group.iloc[0]
        lines.append(f"| {dataset} | {budget} | {model} | {first.accuracy_full:.3f} / "
                     f"{first.deo_max_full:.3f} | {first.constant:.3f} | "
                     + " | ".join("{:.3f} / {:.3f}".format(*figures.loc[p]) for p in
                                  ("balanced", "data")) + f" | {chosen} |")
    lines[2:2] = [f"Chosen: data {counts['data']}, balanced {counts['balanced']}, same "
                  f"figures {counts['tie']}.", ""]
    return prior_rule.write_report(study, "tree_prior.md", lines)


def report(study):
    rows = pd.read_csv(os.path.join(RESULTS, study, "rows.csv"))
    constant = constant_accuracy(study, sorted(rows.dataset.unique()),
                                 sorted(rows.seed.unique()))
    sets = against_full(rows, constant)
    chosen = choose(sets)
    lines = [f"# Readable rows or the rows as optimised, for trees: {study}", "",
             f"Written by `python -m benchmarks.tree_rows {study}` from "
             f"`results/{study}/rows.csv` (seeds {sorted(rows.seed.unique().tolist())}). "
             "Per setting, with the class prior `DistilledClassifier` gives the set, the "
             "variant closest to the full data's accuracy among the useful ones (more "
             "accurate than the constant classifier) at or below the full data's DEO_M; "
             "else the fairest useful one (*fair*: no). Cells: accuracy / DEO_M.", ""]
    for model, group in chosen.groupby("model", sort=False):
        counts = group.variant.value_counts()
        paired = sets[sets.model == model].pivot_table(
            index=["distiller", "dataset", "budget"], columns="variant",
            values=["accuracy", "deo_max"])
        difference = paired.xs("readable", axis=1, level=1) - paired.xs(
            "as optimised", axis=1, level=1)
        lines += [f"## {model}", "",
                  "Chosen: " + ", ".join(f"{v} {counts.get(v, 0)}" for v in VARIANTS)
                  + f" of {len(group)} settings. Readable minus as optimised, mean over "
                  f"settings: accuracy {difference.accuracy.mean():+.3f}, DEO_M "
                  f"{difference.deo_max.mean():+.3f}.", "",
                  "| distiller | data set | budget | full data | constant | as optimised "
                  "| readable | chosen | fair |", "|---|---|---|---|---|---|---|---|---|"]
        for r in group.itertuples():
            figures = {r.variant: (r.accuracy, r.deo_max),
                       ({*VARIANTS} - {r.variant}).pop(): (r.other_accuracy,
                                                           r.other_deo_max)}
            cells = " | ".join("{:.3f} / {:.3f}".format(*figures[v]) for v in VARIANTS)
            lines.append(f"| {r.distiller} | {r.dataset} | {r.budget} | "
                         f"{r.full_accuracy:.3f} / {r.full_deo_max:.3f} | {r.constant:.3f} | "
                         f"{cells} | {r.variant} | {'yes' if r.fair else 'no'} |")
        lines.append("")
    return prior_rule.write_report(study, "tree_rows.md", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("study")
    parser.add_argument("--prior", action="store_true",
                        help="the class prior of a tree_prior study, not the rows")
    args = parser.parse_args()
    print(prior_report(args.study) if args.prior else report(args.study))
