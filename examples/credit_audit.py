"""
A fairness audit with fairlearn: German credit, the full data against compact sets
==================================================================================

Distil the bundled German credit table (:func:`skfairdistill.datasets.load_german_credit`,
sex as the group) into 10 rows per class, once with COBRA's target (the default) and once
with model matching, train a logistic regression on each set through
:class:`~skfairdistill.DistilledClassifier`, and audit every model, the one trained on the
full data too, on the held-out real rows with fairlearn's
:class:`~fairlearn.metrics.MetricFrame`: accuracy and true-positive rate per group, and
the equalized-odds difference. For two classes and two groups that difference is
:func:`skfairdistill.metrics.deo_max`, which the script checks. One split and one seed
make a small audit: the figures over five seeds are in ``docs/benchmarks.md`` ("Two
public tables no default was tuned on").

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import os

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, equalized_odds_difference, true_positive_rate
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill.datasets import load_german_credit
from skfairdistill.metrics import deo_max
from skfairdistill.preprocessing import TabularEncoder

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ITER = 10 if QUICK else "auto"  # "auto": 1000 steps for COBRA, 600 for model matching

X, y, sex = load_german_credit(sensitive="sex")
X_train, X_test, y_train, y_test, sex_train, sex_test = train_test_split(
    X, y, sex, test_size=0.3, stratify=y, random_state=0
)
encoder = TabularEncoder().fit(X_train)  # one-hot text columns, standardised numbers
X_train, X_test = encoder.transform(X_train), encoder.transform(X_test)

models = {
    "full data": LogisticRegression(max_iter=2000).fit(X_train, y_train),
    **{
        name: DistilledClassifier(
            LogisticRegression(max_iter=2000),
            distiller=FairDistiller(n_per_class=10, n_iter=N_ITER, random_state=0, **params),
        ).fit(X_train, y_train, sensitive_features=sex_train)
        for name, params in (("COBRA", {}), ("model matching", {"matching": "model"}))
    },
}

rows = {}
for name, model in models.items():
    y_pred = model.predict(X_test)
    frame = MetricFrame(
        metrics={"accuracy": accuracy_score, "true positive rate": true_positive_rate},
        y_true=y_test,
        y_pred=y_pred,
        sensitive_features=sex_test,
    )
    gap = equalized_odds_difference(y_test, y_pred, sensitive_features=sex_test)
    # two classes, two groups: fairlearn's difference is the largest recall gap, DEO_M
    assert np.isclose(gap, deo_max(y_test, y_pred, sensitive_features=sex_test))
    rows[name] = {
        "accuracy": frame.overall["accuracy"],
        **{f"TPR[{group}]": rate for group, rate in frame.by_group["true positive rate"].items()},
        "equalized-odds difference": gap,
    }

report = pd.DataFrame(rows).T
print(f"German credit, sex as the group; {len(y_train)} training rows, 20 in each compact set")
print(report.round(3).to_string())
