"""
Grid search over the distillation budget, scored on accuracy and DEO_M
=====================================================================

The recipe for choosing ``n_per_class`` with scikit-learn's model selection:

- an :class:`imblearn.pipeline.Pipeline` (a sampler can only live in imbalanced-learn's
  pipeline) of the encoder, :class:`~skfairdistill.FairDistiller` and a classifier;
- metadata routing, so that ``sensitive_features`` given to ``GridSearchCV.fit``
  reaches the distiller (``set_fit_resample_request``) with the training fold's rows
  and the fairness scorer (``set_score_request``) with the test fold's rows;
- multi-metric scoring: accuracy and DEO_M
  (:func:`skfairdistill.metrics.make_fairness_scorer`), refitting on accuracy;
- ``memory=``: the pipeline caches every fitted distillation, so the grid over the
  classifier's ``C`` reuses the synthetic set of each (budget, fold) instead of
  distilling again;
- :func:`skfairdistill.model_selection.budget_search_table` turns the search into a
  tidy table (DEO_M positive again) and
  :func:`skfairdistill.plotting.plot_budget_curve` draws it.

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfairdistill import FairDistiller
from skfairdistill.datasets import load_adult
from skfairdistill.metrics import make_fairness_scorer
from skfairdistill.model_selection import budget_search_table
from skfairdistill.plotting import plot_budget_curve
from skfairdistill.preprocessing import TabularEncoder

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ROWS = 600 if QUICK else 5000
N_ITER = 10 if QUICK else 500
BUDGETS = [2, 5] if QUICK else [1, 5, 10, 25, 50]
C_VALUES = [1.0] if QUICK else [0.1, 1.0, 10.0]
CV = 2 if QUICK else 3

X, y, sex = load_adult(sensitive="sex")
rows = np.random.default_rng(0).choice(len(X), N_ROWS, replace=False)
X, y, sex = X.iloc[rows], y.iloc[rows], sex.iloc[rows]

with sklearn.config_context(enable_metadata_routing=True), tempfile.TemporaryDirectory() as cache:
    pipe = Pipeline(
        [
            ("encode", TabularEncoder()),
            (
                "distill",
                FairDistiller(n_iter=N_ITER, random_state=0).set_fit_resample_request(
                    sensitive_features=True
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000)),
        ],
        memory=cache,
    )
    scoring = {
        "accuracy": "accuracy",
        "deo_max": make_fairness_scorer("deo_max").set_score_request(sensitive_features=True),
    }
    search = GridSearchCV(
        pipe,
        {"distill__n_per_class": BUDGETS, "clf__C": C_VALUES},
        scoring=scoring,
        refit="accuracy",
        cv=CV,
    )
    search.fit(X, y, sensitive_features=sex)

table = budget_search_table(search)
print(table.round(3).to_string(index=False))
print("best:", search.best_params_)

# One curve per budget: keep, for every budget, the C with the best accuracy.
best = table.loc[table.groupby("budget")["mean_accuracy"].idxmax()]
ax = plot_budget_curve(best)
if not QUICK:
    plt.show()
