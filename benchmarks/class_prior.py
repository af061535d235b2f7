"""The class prior a model learns from a distilled table: the set's, the data's, or between.

A distilled set has ``n_per_class`` rows of every class, so a model trained on it
learns equal class priors; Adult is 76 % / 24 %. ``class_prior_weights`` (and
``DistilledClassifier(class_prior=...)``) weight the synthetic rows so that each class
weighs its share of the real rows (``"data"``) or a share proportional to the square
root of it (``"sqrt"``, between the two). This benchmark measures what each does to
accuracy and DEO_M, for COBRA (FairDistiller's defaults), group-balanced k-means
(``matching="kmeans"``), FairDD's groupwise target (added after the screen below
found it the closest to issue 14's 200-row target under ``"sqrt"``) and COBRA with
``stratify_groups=True`` (every group distilled on its own; added after the screen), at
10, 50 and 200 rows per class, with LogReg and the MLP.

It also measures the *ceiling* of each prior: a model trained on the full training
split re-weighted to the distribution the synthetic set stands for — groups balanced
within each class (COBRA's barycenter target), the classes at the chosen prior (the
MLP's ceilings cost minutes a fit and come with ``--mlp-ceilings``, which adds those
the CSV lacks). A synthetic set cannot be expected to beat the full data it summarises.

Three phases; tuning and confirmation on disjoint data:

- ``--phase tune``: *validation* splits carved from adult-sex's training split (25 %,
  stratified by class, as in ``tabular_budget.py``); the test splits are not read.
- ``--phase confirm``: the test splits of data sets the tuning never saw: adult-race,
  and the synthetic table pi=0.7 sep=1.5 with its positives cut to a third (classes
  75 % / 25 %, like Adult's), plus adult-sex's test split, which is *not* unseen (its
  training split was tuned on) but is where issue 14's targets are stated.
- ``--phase screen``: on the tuning phase's validation splits (seeds 0-4), whether a
  longer or less noisy COBRA run (3x the iterations, 1024 real rows per cell) brings
  the set's DEO_M under the square-root prior to its ceiling's, at 200 rows per class,
  and what the distance (squared L2 instead of COBRA's L1), FairDD's groupwise target
  or the optimal-transport barycenters (exact and sliced W2) do there; random real
  rows of COBRA's target distribution (groups even within each class) for reference;
  then COBRA and ``stratify_groups=True`` at every budget. The rows of a first
  ``stratify_groups`` (commit f267d6c: the groups' rows fitted in one run, on one
  standardisation for all groups) are kept under their own name.

A run resumes from its CSV: only the missing rows are made.

Decision rule, fixed before either phase ran (the one candidate, ``"sqrt"``, is a rule
from the long-tailed-learning literature, not a tuned value):
DistilledClassifier's default ``class_prior`` becomes ``"sqrt"`` if, for COBRA, its mean
accuracy over the tuning settings (3 budgets x 2 models x seeds) is higher than
``"balanced"``'s and its mean DEO_M is not higher; and if the same holds on each unseen
confirmation set. Otherwise ``"sqrt"`` stays an option and the default stays ``"balanced"``.
(It did not hold on the unseen sets: ``docs/guides.md``.)

Second rule, fixed before the tune and confirm phases ran ``stratify_groups=True`` (added
after the screen): the docs recommend ``FairDistiller(stratify_groups=True)`` with
``DistilledClassifier(class_prior="sqrt")`` for accuracy on imbalanced tables if, against
the defaults (COBRA, ``"balanced"``), its mean accuracy over the tuning settings is higher
and its mean DEO_M not higher, and the same holds on each unseen confirmation set. No
default changes either way: FairDistiller's default also serves models trained on the
set as it is (``"balanced"``), where the screen found stratified rows less fair. Issue
14's 200-row target is read on adult-sex's test split, LogReg, seeds 0-2.
Amended before the confirm phase ran the option, on validation figures only: the recipe's
prior is ``"data"``, not ``"sqrt"``, because with ``stratify_groups=True`` it was both
more accurate and fairer than ``"sqrt"`` on the tune phase (0.817 / 0.074 against
0.816 / 0.088) and the screen. The rule is otherwise the same. (A confirm run of the
first ``stratify_groups``, commit f267d6c, was stopped and its rows deleted unread.)

The recipe failed the rule on adult-race (more accurate, less fair). On adult-sex's test
split the validation-chosen ``"data"`` missed issue 14's 200-row target and ``"sqrt"``
met it, a second look at that split; so, fixed before running them: the target counts
as met only if ``stratify_groups=True`` with ``"sqrt"``, 200 rows per class, LogReg,
has mean accuracy >= 0.830 and mean DEO_M <= 0.10 on fresh test splits (seeds 3, 4, 5;
the last command below) and on seeds 0-5 pooled.

Seeds 0, 1, 2, CPU, one thread.

    python benchmarks/class_prior.py --phase tune --seeds 0,1,2
    python benchmarks/class_prior.py --phase confirm --seeds 0,1,2
    python benchmarks/class_prior.py --phase confirm --seeds 0,1,2 --mlp-ceilings
    python benchmarks/class_prior.py --phase screen --seeds 0,1,2,3,4 --budgets 200
    python benchmarks/class_prior.py --phase screen --seeds 0,1,2,3,4 --budgets 10,50,200 \
        --method "COBRA (defaults)" --method "COBRA, stratify_groups"
    python benchmarks/class_prior.py --phase confirm --seeds 3,4,5 --budgets 200 \
        --method "COBRA (defaults)" --method "COBRA, stratify_groups" \
        --out benchmarks/results/class_prior_seeds3to5
"""

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from bench_suite import Config, _score, load_split, make_model  # noqa: E402
from tabular_budget import CONFIRM_SETS  # noqa: E402

from skfairdistill import FairDistiller, class_prior_weights  # noqa: E402

RESULTS = os.path.join(_HERE, "results")
METHODS = {"COBRA (defaults)": {}, "balanced k-means": {"matching": "kmeans"},
           # the screen's closest to issue 14's 200-row target under "sqrt" (validation)
           "FairDD (alignment groupwise)": {"alignment": "groupwise"},
           # added after the screen below: every group fitted alone (docs/guides.md)
           "COBRA, stratify_groups": {"stratify_groups": True}}
PRIORS = {"balanced": 0.0, "sqrt": 0.5, "data": 1.0}  # the power of the real class shares
CEILING = "full data, groups balanced, prior "
IMBALANCED = "synthetic pi=0.7 sep=1.5, classes 75/25"
PHASES = {
    "tune": (CONFIRM_SETS[0],),
    "screen": (CONFIRM_SETS[0],),
    "confirm": (CONFIRM_SETS[0], CONFIRM_SETS[1],
                dataclasses.replace(CONFIRM_SETS[2], name=IMBALANCED)),
}
UNSEEN = ("adult-race", IMBALANCED)
SCREEN = {"random group-balanced real rows": None,
          "COBRA (defaults)": {}, "COBRA, n_iter 3000": dict(n_iter=3000),
          "COBRA, batch_size 1024": dict(batch_size=1024),
          "COBRA, n_iter 3000, batch_size 1024": dict(n_iter=3000, batch_size=1024),
          "COBRA, distance squared_l2": dict(distance="squared_l2"),
          "FairDD (alignment groupwise)": dict(alignment="groupwise"),
          "COBRA, barycenter wasserstein": dict(barycenter="wasserstein"),
          "COBRA, barycenter sliced": dict(barycenter="sliced"),
          "COBRA, stratify_groups": dict(stratify_groups=True)}


# the commands that made each phase's CSV (the screen's later rows: two methods only)
COMMANDS = {"screen": "python benchmarks/class_prior.py --phase screen --seeds 0,1,2,3,4 "
                      "--budgets 200`, then `python benchmarks/class_prior.py --phase screen "
                      "--seeds 0,1,2,3,4 --budgets 10,50,200 --method 'COBRA (defaults)' "
                      "--method 'COBRA, stratify_groups'"}


def _cell_weights(y, groups, power):
    """Full-data weights: groups equal within each class; classes as ``class_prior_weights``."""
    _, g = np.unique(groups, return_inverse=True)
    cells = np.zeros((y.max() + 1, g.max() + 1))
    np.add.at(cells, (y, g), 1)
    # within class c, group a's rows share 1 / n_groups(c) of the class's weight
    within = cells.sum(1)[y] / ((cells > 0).sum(1)[y] * cells[y, g])
    return class_prior_weights(y, y, power=power) * within


def _cut_positives(X, y, g, seed):
    """Keep a third of class 1 (random, fixed by seed): classes 75 % / 25 %."""
    rng = np.random.default_rng(seed)
    keep = (y == 0) | (rng.random(len(y)) < 1 / 3)
    return X[keep], y[keep], g[keep]


def load_phase_split(dataset, seed, phase, config):
    """(X, y, g) to distil and (X_ev, y_ev, g_ev) to score on, for the phase."""
    split = load_split(dataset, seed, config)
    X, y, g = split.X_train, np.asarray(split.y_train), split.groups(dataset, "train")
    ev = split.X_test, np.asarray(split.y_test), split.groups(dataset, "test")
    if dataset.name == IMBALANCED:
        X, y, g = _cut_positives(X, y, g, seed)
        ev = _cut_positives(*ev, 10_000 + seed)
    if phase != "confirm":  # validation split carved from the training split
        X, X_ev, y, y_ev, g, g_ev = train_test_split(
            X, y, g, test_size=0.25, stratify=y, random_state=seed)
        ev = X_ev, y_ev, g_ev
    return (X, y, g), ev


def random_balanced_rows(X, y, g, n_per_class, seed):
    """Real rows drawn at random, n_per_class per class split evenly over its groups."""
    rng = np.random.default_rng(seed)
    idx = []
    for c in np.unique(y):
        groups = np.unique(g[y == c])
        for k, a in enumerate(groups):
            n = n_per_class // len(groups) + (k < n_per_class % len(groups))
            idx.append(rng.choice(np.flatnonzero((y == c) & (g == a)), n, replace=False))
    idx = np.concatenate(idx)
    return X[idx], y[idx]


def _fit_score(model_name, seed, X, y, w, ev):
    model = make_model(model_name, seed).fit(X, y, sample_weight=w)
    return _score(ev[1], model.predict(ev[0]), ev[2])


def _ceilings(dataset, seed, train, ev, models, skip=()):
    """The full-data rows: plain, and re-weighted to each prior's target distribution."""
    X, y, g = train
    rows = []
    for model_name in models:
        weights = {"full data": None,
                   **{CEILING + p: _cell_weights(y, g, power) for p, power in PRIORS.items()}}
        for label, w in weights.items():
            if label in skip:
                continue
            rows.append(dict(dataset=dataset.name, seed=seed, model=model_name, method=label,
                             prior="", budget=0, time=0.0,
                             **_fit_score(model_name, seed, X, y, w, ev)))
    return rows


def run(phase, seeds, budgets, out_csv, only=(), log=lambda m: print(m, flush=True)):
    """Make the CSV's missing rows (of the ``only`` methods, when given)."""
    config = Config(seeds=tuple(seeds), budgets=tuple(budgets), datasets=())
    methods = SCREEN if phase == "screen" else METHODS
    methods = {k: v for k, v in methods.items() if not only or k in only}
    rows, done = [], set()
    if os.path.exists(out_csv):  # resume: keep the rows there, add the missing ones
        rows = pd.read_csv(out_csv, keep_default_na=False).to_dict("records")
        done = {(r["dataset"], r["seed"], r["budget"], r["method"]) for r in rows}
    for seed in seeds:
        for dataset in PHASES[phase]:
            train, ev = load_phase_split(dataset, seed, phase, config)
            X, y, g = train
            # the MLP on the full data costs minutes a fit: its ceilings come with --mlp-ceilings
            have = {m for d, s, b, m in done if (d, s, b) == (dataset.name, seed, 0)}
            rows += _ceilings(dataset, seed, train, ev, ("LogReg",), skip=have)
            log(f"seed {seed} {dataset.name}: full-data ceilings done")
            for budget in budgets:
                for method, options in methods.items():
                    if (dataset.name, seed, budget, method) in done:
                        continue
                    start = time.perf_counter()
                    if options is None:
                        X_syn, y_syn = random_balanced_rows(X, y, g, budget, seed)
                    else:
                        X_syn, y_syn = FairDistiller(
                            n_per_class=budget, device="cpu", random_state=seed, **options
                        ).fit_resample(X, y, sensitive_features=g)
                    seconds = time.perf_counter() - start
                    for prior, power in PRIORS.items():
                        w = (None if prior == "balanced"
                             else class_prior_weights(y, y_syn, power=power))
                        for model_name in ("LogReg", "MLP"):
                            rows.append(dict(dataset=dataset.name, seed=seed, model=model_name,
                                             method=method, prior=prior, budget=budget,
                                             time=seconds,
                                             **_fit_score(model_name, seed, X_syn, y_syn, w, ev)))
                    log(f"seed {seed} {dataset.name} {method} {budget}: {seconds:.1f} s")
            pd.DataFrame(rows).to_csv(out_csv, index=False)
    return pd.DataFrame(rows)


def mlp_ceilings(phase, seeds, out_csv, log=lambda m: print(m, flush=True)):
    """Add the MLP's full-data rows that the CSV lacks (the slow part, run on its own)."""
    frame = pd.read_csv(out_csv, keep_default_na=False)
    config = Config(seeds=tuple(seeds), budgets=(), datasets=())
    for seed in seeds:
        for dataset in PHASES[phase]:
            have = frame[(frame.dataset == dataset.name) & (frame.seed == seed)
                         & (frame.model == "MLP") & (frame.budget == 0)]
            rows = _ceilings(dataset, seed, *load_phase_split(dataset, seed, phase, config),
                             ("MLP",), skip=set(have.method))
            log(f"seed {seed} {dataset.name}: {len(rows)} MLP ceilings added")
            frame = pd.concat([frame, pd.DataFrame(rows)])
            frame.to_csv(out_csv, index=False)
    return frame


def _cell(frame):
    if frame.empty:
        return "-"
    a, d = frame.accuracy, frame.deo_max
    return f"{a.mean():.3f} ± {a.std(ddof=0):.3f} / {d.mean():.3f} ± {d.std(ddof=0):.3f}"


# the decision rules: (method, prior) against (method, prior), see the module docstring
RULES = {"The class prior": (("COBRA (defaults)", "balanced"), ("COBRA (defaults)", "sqrt")),
         "The stratified recipe": (("COBRA (defaults)", "balanced"),
                                   ("COBRA, stratify_groups", "data"))}


def decision(frame, datasets, phase, baseline, candidate):
    """A decision rule's comparison per data set: mean accuracy / DEO_M over the settings."""
    names = [f"{method}, {prior}" for method, prior in (baseline, candidate)]
    lines = [f"| data set | {names[0]}: accuracy / DEO_M | {names[1]}: accuracy / DEO_M "
             "| rule holds |", "|---|---|---|---|"]
    for dataset in datasets:
        means = [frame[(frame.dataset == dataset) & (frame.method == method)
                       & (frame.prior == prior)][["accuracy", "deo_max"]].mean()
                 for method, prior in (baseline, candidate)]
        if means[1].isna().any():
            continue
        holds = (means[1].accuracy > means[0].accuracy
                 and means[1].deo_max <= means[0].deo_max)
        seen = phase == "confirm" and dataset not in UNSEEN
        lines.append(f"| {dataset}{' (tuned on, not in the rule)' if seen else ''} | " + " | ".join(
            f"{m.accuracy:.3f} / {m.deo_max:.3f}" for m in means)
            + f" | {'yes' if holds else 'no'} |")
    return lines


def _reading(frame):
    """Issue 14's target on adult-sex, LogReg: 200 rows/class within 2 points, DEO_M <= 0.10."""
    part = frame[(frame.dataset == "adult-sex") & (frame.model == "LogReg")]
    if part.empty or 200 not in set(part.budget):
        return []

    def mean(method, prior="", budget=0):
        rows = part[(part.method == method) & (part.prior == prior) & (part.budget == budget)]
        return f"{rows.accuracy.mean():.3f} / {rows.deo_max.mean():.3f}" if len(rows) else "-"

    lines = ["Adult-sex, LogReg, 200 rows per class (accuracy / DEO_M; issue 14 asks for "
             f"accuracy within 2 points of the full data's {mean('full data')} with DEO_M "
             "at most 0.10):", ""]
    for method in part[part.budget == 200].method.unique():
        lines.append(f"- {method}: " + "; ".join(
            f"{p} {mean(method, p, 200)} (ceiling {mean(CEILING + p)})"
            for p in PRIORS if (part.prior == p).any()))
    return lines + [""]


def report(frame, phase, command):
    budgets = sorted(b for b in frame.budget.unique() if b > 0)
    seeds = sorted(int(s) for s in frame.seed.unique())
    extra = f", seeds {seeds[0]}-{seeds[-1]}" if phase == "confirm" and seeds != [0, 1, 2] else ""
    where = ("validation splits carved from adult-sex's training split" if phase != "confirm"
             else "test splits (adult-race and the 75/25 synthetic table unseen by the tuning)")
    lines = [
        f"# Class prior ({phase}{extra}): the synthetic set's, the data's, or the square-root one",
        "",
        f"Command: `{command}`. {where[0].upper() + where[1:]}; cells are accuracy / DEO_M, "
        f"mean ± std (population) over seeds {sorted(int(s) for s in frame.seed.unique())}. "
        "*prior data* / *prior sqrt*: the model is fitted with `class_prior_weights(y, y_syn, "
        "power=1 / 0.5)`, as `DistilledClassifier(class_prior=\"data\" / \"sqrt\")` does. The "
        "full-data rows re-weighted to each prior (groups balanced within each class) are the "
        "ceilings of a set with that target (`benchmarks/class_prior.py`).",
        "",
    ]
    if phase != "screen" and budgets == [10, 50, 200]:  # the rules' settings
        for title, (baseline, candidate) in RULES.items():
            lines += [f"## Decision rule: {title.lower()} (mean over budgets, models and seeds)",
                      "", *decision(frame, [d.name for d in PHASES[phase]], phase, baseline,
                                    candidate), ""]
    lines += _reading(frame)
    for (dataset, model), part in frame.groupby(["dataset", "model"], sort=False):
        lines += [f"## {dataset}, {model}", "",
                  "| training set | " + " | ".join(f"{b} rows/class" for b in budgets) + " |",
                  "|---|" + "---|" * len(budgets)]
        full = part[part.budget == 0]
        for method in ["full data", *(CEILING + p for p in PRIORS)]:
            if (full.method == method).any():
                lines.append(f"| {method} | {_cell(full[full.method == method])} |"
                             + " |" * (len(budgets) - 1))
        for (method, prior), rows in part[part.budget > 0].groupby(["method", "prior"], sort=False):
            cells = [_cell(rows[rows.budget == b]) for b in budgets]
            lines.append(f"| {method}, prior {prior} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=sorted(PHASES), default="confirm")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budgets", default="10,50,200")
    parser.add_argument("--out", default=None,
                        help="path without extension (default results/class_prior[_tune|_screen])")
    parser.add_argument("--method", action="append", default=[],
                        help="run only this method (repeatable; default: all of the phase)")
    parser.add_argument("--from-csv", action="store_true", help="only re-render the report")
    parser.add_argument("--mlp-ceilings", action="store_true",
                        help="add the MLP's full-data rows to the CSV, then render")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = args.out or os.path.join(
        RESULTS, "class_prior" + ("" if args.phase == "confirm" else "_" + args.phase))
    csv = out + ".csv"
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.mlp_ceilings:
        frame = mlp_ceilings(args.phase, seeds, csv)
    elif args.from_csv:
        frame = pd.read_csv(csv, keep_default_na=False)
    else:
        frame = run(args.phase, seeds, [int(b) for b in args.budgets.split(",")], csv,
                    only=args.method)
    command = f"python benchmarks/class_prior.py --phase {args.phase} --seeds {args.seeds}"
    if args.budgets != parser.get_default("budgets"):
        command += f" --budgets {args.budgets}"
    command += "".join(f" --method '{method}'" for method in args.method)
    if args.out:
        command += f" --out {os.path.relpath(args.out)}"
    if args.phase == "screen":  # its CSV was made by two commands
        command = COMMANDS["screen"]
    with open(out + ".md", "w") as f:
        f.write(report(frame, args.phase, command) + "\n")


if __name__ == "__main__":
    main()
