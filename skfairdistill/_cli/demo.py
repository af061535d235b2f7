"""The demo: distil the bundled Adult data and compare vanilla, FairDD, COBRA and model matching.

For every seed: a stratified 70/30 split, one-hot + standardised features, then a
logistic regression trained on (a) the full training data, (b) a random subset
with ``n_per_class`` real rows per class, (c) the two k-means baselines of the same
budget — imbalanced-learn's ``ClusterCentroids`` and group-balanced k-means
(``FairDistiller(matching="kmeans")``: per class, k-means whose sample weights give
every group the same total weight) —, (d) the synthetic rows of each distiller: the
three distribution-matching targets and model matching (``matching="model"``, rows fitted
so that a logistic regression trained on them is accurate and fair on real rows); all
are evaluated on the same real held-out split.
"""

import time

import numpy as np
import pandas as pd
from imblearn.under_sampling import ClusterCentroids
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .._estimators.distiller import FairDistiller
from ..datasets import load_adult
from ..metrics import deo_max, deo_mean
from ..preprocessing import TabularEncoder

# each distiller's own settings; the rest is the demo's (budget, n_iter, device, seed)
METHODS = {
    "vanilla": {"alignment": "none"},
    "FairDD": {"alignment": "groupwise"},
    "COBRA": {"alignment": "barycenter"},
    "model matching": {"matching": "model"},
}


def encode_tabular(X_train, X_test):
    """One-hot encode the text columns and standardise the numeric ones (float32).

    The package's :class:`~skfairdistill.preprocessing.TabularEncoder`, fitted on
    the training split.
    """
    encoder = TabularEncoder().fit(X_train)
    return (
        encoder.transform(X_train).astype(np.float32),
        encoder.transform(X_test).astype(np.float32),
    )


def random_subset(y, n_per_class, rng):
    """Indices of ``n_per_class`` random rows of every class."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), n_per_class, replace=False) for c in np.unique(y)]
    )


def run_demo(*, n_per_class=10, seeds=(0, 1, 2), sensitive="sex", n_iter="auto", device="auto"):
    """Run the comparison and return one row per (method, seed).

    Returns
    -------
    pandas.DataFrame
        Columns: method, seed, accuracy, deo_max, deo_mean, seconds.
    """
    X, y, A = load_adult(sensitive=sensitive)
    rows = []
    for seed in seeds:
        X_tr, X_te, y_tr, y_te, A_tr, A_te = train_test_split(
            X, y.to_numpy(), A, test_size=0.3, stratify=y, random_state=seed
        )
        Z_tr, Z_te = encode_tabular(X_tr, X_te)

        def evaluate(method, X_fit, y_fit, seconds):
            model = LogisticRegression(max_iter=2000).fit(X_fit, y_fit)
            pred = model.predict(Z_te)
            rows.append(
                {
                    "method": method,
                    "seed": seed,
                    "accuracy": float(np.mean(pred == y_te)),
                    "deo_max": deo_max(y_te, pred, sensitive_features=A_te),
                    "deo_mean": deo_mean(y_te, pred, sensitive_features=A_te),
                    "seconds": seconds,
                }
            )

        evaluate("full data", Z_tr, y_tr, np.nan)
        subset = random_subset(y_tr, n_per_class, np.random.default_rng(seed))
        evaluate("random subset", Z_tr[subset], y_tr[subset], np.nan)
        start = time.perf_counter()
        X_cc, y_cc = ClusterCentroids(
            sampling_strategy={c: n_per_class for c in np.unique(y_tr)}, random_state=seed
        ).fit_resample(Z_tr, y_tr)
        evaluate("ClusterCentroids", X_cc, y_cc, time.perf_counter() - start)
        start = time.perf_counter()
        X_km, y_km = FairDistiller(
            n_per_class=n_per_class, matching="kmeans", device=device, random_state=seed
        ).fit_resample(Z_tr, y_tr, sensitive_features=A_tr)
        evaluate("balanced k-means", X_km, y_km, time.perf_counter() - start)
        for method, settings in METHODS.items():
            distiller = FairDistiller(
                n_per_class=n_per_class,
                **settings,
                n_iter=n_iter,
                device=device,
                random_state=seed,
            )
            start = time.perf_counter()
            X_syn, y_syn = distiller.fit_resample(Z_tr, y_tr, sensitive_features=A_tr)
            evaluate(method, X_syn, y_syn, time.perf_counter() - start)
    return pd.DataFrame(rows)


def summarise(results):
    """Mean ± std over seeds, one line per method, in the order the methods ran."""
    order = list(dict.fromkeys(results["method"]))
    grouped = results.groupby("method", sort=False)
    mean, std = grouped.mean(numeric_only=True), grouped.std(numeric_only=True, ddof=0)

    def cell(col, method, digits):
        if np.isnan(mean.loc[method, col]):
            return "-"
        return f"{mean.loc[method, col]:.{digits}f} ± {std.loc[method, col]:.{digits}f}"

    return pd.DataFrame(
        {
            "accuracy": [cell("accuracy", m, 3) for m in order],
            "DEO_M": [cell("deo_max", m, 3) for m in order],
            "DEO_A": [cell("deo_mean", m, 3) for m in order],
            "distill time (s)": [cell("seconds", m, 1) for m in order],
        },
        index=pd.Index(order, name="method"),
    )


def markdown_table(frame):
    """A DataFrame as a Markdown table (index first), without extra dependencies."""
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, row in frame.iterrows():
        lines.append("| " + " | ".join([str(label)] + [str(v) for v in row]) + " |")
    return "\n".join(lines)
