"""
Budget grid search fanned out over a Dask cluster
=================================================

A grid search over distillation budgets is embarrassingly parallel: every
(candidate, fold) pair is an independent fit. scikit-learn dispatches those fits
through joblib, and joblib can hand them to a Dask cluster, so the same code scales
from a laptop to many machines by changing only where the cluster lives.

Here a :class:`dask.distributed.LocalCluster` stands in for a real cluster; point a
``Client`` at your scheduler's address instead. Requires ``dask[distributed]``.
Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import os

import joblib
import numpy as np
import sklearn
from dask.distributed import Client, LocalCluster, get_task_stream
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_biased_classification
from skfairdistill.metrics import make_fairness_scorer
from skfairdistill.model_selection import budget_search_table

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ITER = 10 if QUICK else 500
BUDGETS = [2, 5] if QUICK else [5, 10, 25, 50]

X, y, groups = make_biased_classification(
    1000 if QUICK else 5000, group_imbalance=0.8, group_separation=1.5, random_state=0
)

# processes=False keeps the example light; a real deployment uses worker processes
# or remote machines, and nothing else in this script changes.
with LocalCluster(n_workers=2, threads_per_worker=1, processes=False) as cluster, Client(
    cluster
), sklearn.config_context(enable_metadata_routing=True):
    pipe = Pipeline(
        [
            (
                "distill",
                FairDistiller(n_iter=N_ITER, random_state=0).set_fit_resample_request(
                    sensitive_features=True
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )
    scoring = {
        "accuracy": "accuracy",
        "deo_max": make_fairness_scorer("deo_max").set_score_request(
            sensitive_features=True
        ),
    }
    search = GridSearchCV(
        pipe, {"distill__n_per_class": BUDGETS}, scoring=scoring, refit="accuracy", cv=2
    )
    with joblib.parallel_config(backend="dask"), get_task_stream() as tasks:
        search.fit(X, y, sensitive_features=groups)
    n_dask_tasks = len(tasks.data)
print(f"{n_dask_tasks} tasks ran on the Dask cluster")
table = budget_search_table(search)
print(table.round(3).to_string(index=False))
assert np.isfinite(table.filter(like="mean_").to_numpy(dtype=float)).all()
