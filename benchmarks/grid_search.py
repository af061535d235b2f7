"""Grid search over distillation budgets: its time, and the budget it chooses.

The guide (docs/guides.md, "Grid search over distillation budgets") says: when a search
is too slow, search with a pool of networks drawn once, then refit the chosen budget
with the default. This checks that advice. Per table and seed, three searches over
``n_per_class`` in (5, 10, 50), each a ``GridSearchCV`` with 5 stratified folds of the
training split over an imbalanced-learn ``Pipeline`` (distiller, then
``LogisticRegression``), scored by accuracy and DEO_M through metadata routing:

- the default fit;
- the pool (``n_iter=600, batch_size=256, matching_params={"network_pool": 50}``), its
  chosen budget then refitted with the default;
- balanced k-means (``matching="kmeans"``), refitted as it is.

A budget is chosen as a user with a fairness bound would
(:func:`skfairdistill.model_selection.fair_refit`; the bound is the full data's gap,
cross-validated on the same folds), and by accuracy alone. The refit is scored on the
test split. Timed: the whole search, one thread per fit (the library's rule for tables).

Command: ``python -m benchmarks.grid_search`` (``--seeds 0,1,2,3,4``; ``--tables NAME...``
for other data sets; ``--smoke`` for a tiny run). Writes ``results/grid_search/rows.csv`` and ``report.md``.
"""

import argparse
import datetime
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from skfairdistill import FairDistiller
from skfairdistill.metrics import make_fairness_scorer
from skfairdistill.model_selection import fair_refit

from .data import load
from .harness import _cell, score

OUT = Path(__file__).resolve().parent / "results" / "grid_search"
BUDGETS = (5, 10, 50)
TABLES = ("adult-sex", "synthetic pi=0.7 sep=3")
POOL = {"n_iter": 600, "batch_size": 256, "matching_params": {"network_pool": 50}}
# search name -> (the distiller's parameters in the search, those of the refit)
SEARCHES = {"default": ({}, {}),
            "pool of 50, 600 steps": (POOL, {}),
            "balanced k-means": ({"matching": "kmeans"}, {"matching": "kmeans"})}


def pipeline(params, seed, n_per_class=10):
    distiller = FairDistiller(n_per_class=n_per_class, random_state=seed, device="cpu",
                              **params)
    return Pipeline([("distill", distiller.set_fit_resample_request(sensitive_features=True)),
                     ("clf", LogisticRegression(max_iter=2000))])


def one_table(name, seed, folds, smoke):
    """The rows of every search on table ``name`` for ``seed``."""
    split = load(name, seed, smoke=smoke)
    shrink = {"n_iter": 3} if smoke else {}  # k-means has no iterations to shrink
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    gap_scorer = make_fairness_scorer("deo_max").set_score_request(sensitive_features=True)
    scoring = {"accuracy": "accuracy", "deo_max": gap_scorer}
    full = cross_validate(LogisticRegression(max_iter=2000), split.X, split.y, cv=cv,
                          scoring=gap_scorer, params={"sensitive_features": split.groups})
    bound = float(np.abs(full["test_score"]).mean())
    rows = []
    for search_name, (params, refit_params) in SEARCHES.items():
        if "matching" not in params:
            params, refit_params = {**params, **shrink}, {**refit_params, **shrink}
        grid = GridSearchCV(pipeline(params, seed), {"distill__n_per_class": list(BUDGETS)},
                            scoring=scoring, refit=False, cv=cv)
        began = time.perf_counter()
        grid.fit(split.X, split.y, sensitive_features=split.groups)
        seconds = time.perf_counter() - began
        results = grid.cv_results_
        chosen = {"fair": fair_refit(bound)(results),
                  "accuracy": int(np.argmax(results["mean_test_accuracy"]))}
        for rule, index in chosen.items():
            budget = BUDGETS[index]
            model = pipeline(refit_params, seed, budget)
            model.fit(split.X, split.y, sensitive_features=split.groups)
            test = score(split.y_eval, model.predict(split.X_eval), split.groups_eval)
            rows.append(dict(table=name, seed=seed, search=search_name, rule=rule,
                             budget=budget, search_seconds=seconds, bound=bound,
                             accuracy=test["accuracy"], deo_max=test["deo_max"],
                             **{f"cv_accuracy_{b}": a for b, a in
                                zip(BUDGETS, results["mean_test_accuracy"])},
                             **{f"cv_deo_max_{b}": -g for b, g in
                                zip(BUDGETS, results["mean_test_deo_max"])}))
        print(f"{name} seed {seed} {search_name}: {seconds:.1f} s, budgets "
              f"{[r['budget'] for r in rows[-2:]]}", flush=True)
    return rows


def report(frame, command, folds):
    seeds = ", ".join(str(s) for s in sorted(frame["seed"].unique()))
    lines = ["# Grid search over distillation budgets: time and choice", "",
             f"Command: `{command}`; {datetime.date.today().isoformat()}; "
             f"{platform.machine()}, {os.cpu_count()} cores; seeds {seeds}. Budgets "
             f"{list(BUDGETS)}, {folds}-fold `GridSearchCV`, LogisticRegression; test split. "
             "Cells: mean ± std over seeds. *agrees*: seeds where the search chose the "
             "default search's budget.", ""]
    for rule, title in (("fair", "fair_refit (full data's cross-validated gap as the bound)"),
                        ("accuracy", "best accuracy")):
        lines += [f"## Chosen by {title}", "",
                  "| table | search | search (s) | budgets chosen | agrees | refit accuracy "
                  "| refit DEO_M |", "|---|---|---|---|---|---|---|"]
        part = frame[frame["rule"] == rule]
        for (table, search), rows in part.groupby(["table", "search"], sort=False):
            default = part[(part["table"] == table) & (part["search"] == "default")]
            same = (rows.set_index("seed")["budget"] == default.set_index("seed")["budget"])
            budgets = ", ".join(str(b) for b in rows.sort_values("seed")["budget"])
            lines.append(f"| {table} | {search} | {_cell(rows['search_seconds'])} | {budgets} "
                         f"| {int(same.sum())} of {len(same)} | {_cell(rows['accuracy'])} | "
                         f"{_cell(rows['deo_max'])} |")
        lines.append("")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--smoke", action="store_true", help="a tiny table, 2 folds, one seed")
    parser.add_argument("--tables", nargs="+", default=list(TABLES), help="data set names")
    args = parser.parse_args(argv)
    seeds = [0] if args.smoke else [int(s) for s in args.seeds.split(",")]
    tables = TABLES[1:] if args.smoke else args.tables
    folds = 2 if args.smoke else 5
    rows = []
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small-cell and convergence notices
        for seed in seeds:
            for name in tables:
                rows += one_table(name, seed, folds, args.smoke)
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "rows.csv", index=False)
    command = "python -m benchmarks.grid_search" + (" --smoke" if args.smoke else
                                                     f" --seeds {args.seeds}")
    if args.tables != list(TABLES):
        command += " --tables " + " ".join(f"'{t}'" for t in args.tables)
    lines = report(frame, command, folds)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
