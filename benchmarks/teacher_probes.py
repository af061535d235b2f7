"""Probes for trees on teacher labels: other teachers, and rows spread along the teacher.

The nearest rows of ``teacher_labelled_rows(rows="nearest")`` (10 and 50 per class) are relabelled
by other teachers, or other rows are chosen, and HGB and the random forest are trained on
them; validation splits only (a probe, no rule):

- ``linear``: the rows and labels of ``teacher_labelled_rows(rows="nearest")`` (the
  model-matched set's logistic regression);
- ``hgb``: the same rows labelled by the full data's HistGradientBoostingClassifier;
- ``hgb+offsets``, ``hgb+offsets cv``: that tree with one logit offset per group, the one
  that minimises its DEO_M on the training rows (its own predictions, or 3-fold
  cross-fitted ones); the offset reads the row's group;
- ``bins``, ``k-means+logit 5``, ``k-means+logit 20``: other rows labelled by the linear
  teacher: per (class, group) cell, equal-count bins of the teacher's logit with the row
  nearest each bin's mean, or k-means on the standardised features plus the logit as one
  column weighing as 5 or 20 features, with the row nearest each centroid;
- ``leaves``: ``teacher_labelled_rows(rows="leaves")``; ``leaves, the leaf's value``: the
  same rows labelled by the regression tree they come from (its mean of the teacher over
  the leaf) instead of the teacher at the row; ``leaves, weighted by mass``: the teacher's
  labels times the leaf's share of the (group-balanced) rows.

    python -m benchmarks.teacher_probes --datasets adult-sex,credit-sex,recidivism-race

writes ``results/teacher_probes/rows.csv`` and ``report.md`` (mean ± std over seeds 0-2).
"""

import argparse
import os
import warnings

import numpy as np
import pandas as pd

from .data import load
from .harness import _cell, _model_matched, make_model, score

MODELS = ("HGB", "RandomForest")


def best_offsets(logit, y, groups, grid=np.linspace(-3, 3, 121)):
    """Per group, the logit offset (the largest group's is 0) of the smallest DEO_M."""
    names, counts = np.unique(groups, return_counts=True)
    offset, codes = np.zeros(len(names)), np.searchsorted(names, groups)
    for _ in range(2):  # coordinate passes
        for g in np.flatnonzero(np.arange(len(names)) != counts.argmax()):
            def cost(value):
                offset[g] = value
                pred = (logit + offset[codes] > 0).astype(int)
                return round(score(y, pred, groups)["deo_max"], 3), -np.mean(pred == y)
            offset[g] = min(grid, key=cost)
    return dict(zip(names, offset))


def spread_rows(X, y, groups, logit, per_group, mode, seed):
    """Per (class, group) cell, rows spread along the teacher's logit (see the docstring)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin

    scale = X.std(0) + 1e-9
    chosen = []
    for c in np.unique(y):
        for g, n in per_group.items():
            cell = np.flatnonzero((y == c) & (groups == g))
            if mode == "bins":
                for part in np.array_split(cell[np.argsort(logit[cell], kind="stable")], n):
                    centre = X[part].mean(0, keepdims=True)
                    chosen.append(part[pairwise_distances_argmin(centre, X[part])[0]])
                continue
            Z = np.column_stack([(X[cell] - X.mean(0)) / scale, np.sqrt(int(mode.split()[-1]))
                                 * (logit[cell] - logit.mean()) / logit.std()])
            centres = KMeans(n, n_init=1, random_state=seed).fit(Z).cluster_centers_
            chosen.extend(cell[pairwise_distances_argmin(centres, Z)])
    return np.array(chosen)


def probe(name, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.tree import DecisionTreeRegressor
    from skfairdistill import teacher_labelled_rows

    split = load(name, seed, phase="validation")
    X, y, groups = split.X, split.y, split.groups
    tree = HistGradientBoostingClassifier(random_state=seed)
    tree_logit = tree.fit(X, y).decision_function
    offsets = {"hgb": None, "hgb+offsets": best_offsets(tree_logit(X), y, groups),
               "hgb+offsets cv": best_offsets(cross_val_predict(
                   tree, X, y, cv=3, method="decision_function"), y, groups)}
    row_of = {row.tobytes(): i for i, row in enumerate(X)}  # to find the chosen rows' groups
    codes = np.unique(groups, return_inverse=True)[1]
    balance = 1 / np.bincount(codes)[codes]  # every group the same weight, as for leaf rows
    results = []
    for budget in (10, 50):
        distiller = _model_matched(split, budget, seed)
        X_rows, y_rows, weights = teacher_labelled_rows(distiller, X, y, rows="nearest",
                                                        sensitive_features=groups)
        rows = X_rows[:len(X_rows) // 2]
        row_groups = groups[[row_of[row.tobytes()] for row in rows]]
        sets = {"linear": (X_rows, y_rows, weights)}
        for teacher, offset in offsets.items():
            shift = 0 if offset is None else np.vectorize(offset.get)(row_groups)
            p = 1 / (1 + np.exp(-(tree_logit(rows) + shift)))
            sets[teacher] = (X_rows, y_rows, np.concatenate([1 - p, p]))
        linear = LogisticRegression(max_iter=1000).fit(distiller.X_distilled_,
                                                       distiller.y_distilled_)
        names, counts = np.unique(row_groups, return_counts=True)
        for mode in ("bins", "k-means+logit 5", "k-means+logit 20"):
            chosen = spread_rows(X, y, groups, linear.decision_function(X),
                                 dict(zip(names, counts)), mode, seed)
            p = linear.predict_proba(X[chosen])
            sets[mode] = (np.tile(X[chosen], (2, 1)), np.repeat(linear.classes_, len(chosen)),
                          p.T.ravel())
        X_leaves, y_leaves, w_leaves = teacher_labelled_rows(distiller, X, y, rows="leaves",
                                                             sensitive_features=groups)
        leaves = np.asarray(X_leaves[:len(X_leaves) // 2], dtype=X.dtype)
        # the tree the leaf rows come from, refitted: its value and mass at each leaf row
        fitted_tree = DecisionTreeRegressor(max_leaf_nodes=2 * budget, random_state=0).fit(
            X, linear.predict_proba(X), sample_weight=balance)
        leaf_of = fitted_tree.apply(X)
        mass = np.array([balance[leaf_of == leaf].sum() for leaf in fitted_tree.apply(leaves)])
        sets["leaves"] = (X_leaves, y_leaves, w_leaves)
        sets["leaves, the leaf's value"] = (X_leaves, y_leaves,
                                            fitted_tree.predict(leaves).T.ravel())
        sets["leaves, weighted by mass"] = (X_leaves, y_leaves, w_leaves * np.tile(
            mass * len(mass) / mass.sum(), 2))
        for method, (X_set, y_set, w_set) in sets.items():
            for model in MODELS:
                fitted = make_model(model, seed).fit(X_set, y_set, sample_weight=w_set)
                results.append(dict(dataset=name, seed=seed, budget=budget, method=method,
                                    model=model, **score(split.y_eval, fitted.predict(
                                        split.X_eval), split.groups_eval)))
    for model in MODELS:  # the full data's trees
        fitted = (tree if model == "HGB" else make_model(model, seed).fit(X, y))
        results.append(dict(dataset=name, seed=seed, budget=0, method="full data", model=model,
                            **score(split.y_eval, fitted.predict(split.X_eval), split.groups_eval)))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="adult-sex,credit-sex,recidivism-race")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    with warnings.catch_warnings():  # convergence warnings of the small fits
        warnings.simplefilter("ignore")
        rows = [row for name in args.datasets.split(",")
                for seed in map(int, args.seeds.split(",")) for row in probe(name, seed)]
    folder = os.path.join(args.out, "teacher_probes")
    os.makedirs(folder, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(os.path.join(folder, "rows.csv"), index=False)
    table = frame.groupby(["dataset", "budget", "model", "method"], sort=False)[
        ["accuracy", "deo_max"]].agg(_cell).reset_index()
    lines = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    with open(os.path.join(folder, "report.md"), "w") as handle:
        handle.write("# Teacher probes (validation splits; mean ± std over seeds "
                     f"{args.seeds})\n\n`python -m benchmarks.teacher_probes --datasets "
                     f"{args.datasets} --seeds {args.seeds}`\n\n| table | rows per class | model "
                     "| method | accuracy | DEO_M |\n|---|---:|---|---|---|---|\n"
                     + "\n".join(lines) + "\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
