"""A fairlearn mitigator trained on a distilled set and its groups (``stratify_groups=True``).

``FairDistiller(stratify_groups=True)`` gives every synthetic row a group
(``groups_distilled_``), so a fairness mitigator can be trained on the small set
itself. This benchmark measures what fairlearn's ``ExponentiatedGradient`` with an
``EqualizedOdds`` constraint (around LogisticRegression) does there, against
LogisticRegression on the same set and both models on the full training split.
Adult with sex and with race as the sensitive attribute, COBRA with
``stratify_groups=True`` at 50 and 200 rows per class (equal classes, as the set comes),
test splits, seeds 0, 1, 2; cells are accuracy / DEO_M, mean ± std (population). Nothing
is tuned here: every setting is fairlearn's default (``eps=0.01``, 50 iterations).

    python benchmarks/mitigate.py --seeds 0,1,2
"""

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import torch
from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient
from sklearn.linear_model import LogisticRegression

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from bench_common import markdown_table  # noqa: E402
from bench_suite import Config, _score, load_split  # noqa: E402
from tabular_budget import CONFIRM_SETS  # noqa: E402

from skfairdistill import FairDistiller  # noqa: E402

RESULTS = os.path.join(_HERE, "results")
DATASETS = CONFIRM_SETS[:2]  # adult-sex, adult-race
MODELS = ("LogReg", "ExponentiatedGradient, EqualizedOdds")


def make_model(name):
    if name == "LogReg":
        return LogisticRegression(max_iter=2000)
    return ExponentiatedGradient(LogisticRegression(max_iter=2000), EqualizedOdds())


def _fit_score(name, seed, X, y, groups, ev):
    model = make_model(name)
    start = time.perf_counter()
    if name == "LogReg":
        predict = model.fit(X, y).predict
    else:  # a randomised classifier: its draws are seeded
        model.fit(X, y, sensitive_features=groups)
        predict = lambda rows: model.predict(rows, random_state=seed)  # noqa: E731
    seconds = time.perf_counter() - start
    return dict(model=name, fit_seconds=seconds, **_score(ev[1], predict(ev[0]), ev[2]))


def run(seeds, budgets, out_csv, log=lambda m: print(m, flush=True)):
    config = Config(seeds=tuple(seeds), budgets=tuple(budgets), datasets=())
    rows = []
    for seed in seeds:
        for dataset in DATASETS:
            split = load_split(dataset, seed, config)
            X, y = split.X_train, np.asarray(split.y_train)
            g = split.groups(dataset, "train")
            ev = split.X_test, np.asarray(split.y_test), split.groups(dataset, "test")
            for name in MODELS:
                rows.append(dict(dataset=dataset.name, seed=seed, budget=0,
                                 **_fit_score(name, seed, X, y, g, ev)))
            for budget in budgets:
                distiller = FairDistiller(n_per_class=budget, stratify_groups=True,
                                          device="cpu", random_state=seed)
                X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=g)
                for name in MODELS:
                    rows.append(dict(dataset=dataset.name, seed=seed, budget=budget,
                                     **_fit_score(name, seed, X_syn, y_syn,
                                                  distiller.groups_distilled_, ev)))
            log(f"seed {seed} {dataset.name} done")
            pd.DataFrame(rows).to_csv(out_csv, index=False)
    return pd.DataFrame(rows)


def _cell(part):
    a, d = part.accuracy, part.deo_max
    return f"{a.mean():.3f} ± {a.std(ddof=0):.3f} / {d.mean():.3f} ± {d.std(ddof=0):.3f}"


def report(frame, command):
    seeds = sorted(int(s) for s in frame.seed.unique())
    lines = ["# A fairlearn mitigator trained on a distilled set and its groups", "",
             f"Command: `{command}`. Test splits, seeds {seeds}; cells are accuracy / DEO_M, "
             "mean ± std (population). The set: `FairDistiller(stratify_groups=True)` "
             "(COBRA's target, every group distilled on its own), equal classes; the mitigator "
             "gets `groups_distilled_` as `sensitive_features`. fairlearn's defaults "
             "throughout.", ""]
    for dataset, part in frame.groupby("dataset", sort=False):
        table = []
        for budget, at in part.groupby("budget"):
            label = "full training split" if budget == 0 else f"{budget} rows per class"
            table.append([label] + [_cell(at[at.model == name]) for name in MODELS]
                         + [f"{at[at.model == MODELS[1]].fit_seconds.mean():.1f}"])
        lines += [f"## {dataset}", "",
                  markdown_table(["trained on", *MODELS, "mitigator fit (s)"], table), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budgets", default="50,200")
    parser.add_argument("--from-csv", action="store_true", help="only re-render the report")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = os.path.join(RESULTS, "mitigate")
    if args.from_csv:
        frame = pd.read_csv(out + ".csv")
    else:
        frame = run([int(s) for s in args.seeds.split(",")],
                    [int(b) for b in args.budgets.split(",")], out + ".csv")
    command = f"python benchmarks/mitigate.py --seeds {args.seeds}"
    with open(out + ".md", "w") as f:
        f.write(report(frame, command) + "\n")


if __name__ == "__main__":
    main()
