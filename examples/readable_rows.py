"""
Readable synthetic rows: distil Adult and read the result in its own columns
============================================================================

The distiller works on numbers. :class:`skfairdistill.preprocessing.TabularEncoder`
one-hot encodes the text columns and standardises the numeric ones;
``inverse_transform`` maps the synthetic rows back: every one-hot block becomes the
category with the largest value, every numeric column returns to its original
scale (integers rounded, clipped to the range seen in the data). The command line
``python -m skfairdistill distill data.csv ...`` makes the same round trip, except
that it leaves the numeric columns unscaled (the distiller standardises them
itself), so that it can encode a Parquet file batch by batch.

A tree trained on the set needs readable rows too: its thresholds fall between the
values of its training rows, and on the rows as optimised (a one-hot column at 0.01
against -0.01) they can send every real row down one branch.
:class:`skfairdistill.DistilledClassifier` gives a tree-based estimator readable rows;
the end of this example compares it with the rows as optimised on held-out rows, and with
the teacher labels a tree gets on a model-matched set.

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import os

import numpy as np
import pandas as pd

from sklearn.ensemble import HistGradientBoostingClassifier

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill.datasets import load_adult
from skfairdistill.preprocessing import TabularEncoder

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ROWS = 600 if QUICK else 5000
N_ITER = 10 if QUICK else 1000

X_all, y_all, A_all = load_adult(sensitive=["sex", "race"])
rows, held_out = np.split(np.random.default_rng(0).permutation(len(X_all)), [N_ROWS])
X, y, A = X_all.iloc[rows], y_all.iloc[rows], A_all.iloc[rows]

encoder = TabularEncoder().fit(X)
Z = encoder.transform(X)
print(f"{X.shape[1]} columns -> {Z.shape[1]} encoded features")

# The round trip is exact on real rows.
assert encoder.inverse_transform(Z).equals(X.reset_index(drop=True))

distiller = FairDistiller(n_per_class=5, n_iter=N_ITER, random_state=0)
Z_syn, y_syn = distiller.fit_resample(Z, y.to_numpy(), sensitive_features=A)
print(f"{len(distiller.groups_)} intersectional groups of sex and race")

synthetic = encoder.inverse_transform(Z_syn)
synthetic["income>50K"] = y_syn
with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(synthetic.to_string())

# A tree on the set: readable rows (DistilledClassifier's choice for a tree) against the
# rows as optimised, scored on rows the distiller never saw.
X_test = encoder.transform(X_all.iloc[held_out[:5000]])
y_test = y_all.iloc[held_out[:5000]].to_numpy()
tree = HistGradientBoostingClassifier(max_leaf_nodes=8, min_samples_leaf=2, random_state=0)
scores = {}
for rows_given in ("readable", "as optimised"):
    params = None if rows_given == "readable" else {"readable_rows": False}
    model = DistilledClassifier(tree, distiller=FairDistiller(
        n_per_class=10, n_iter=N_ITER, random_state=0, matching_params=params))
    model.fit(Z, y.to_numpy(), sensitive_features=A)
    scores[f"{rows_given} rows"] = model.score(X_test, y_test)
# On a model-matched set the tree gets teacher labels instead (labels="auto"): 20 real rows
# and 1,000 points in the boxes pairs of them span, weighted by the probabilities of the
# logistic regression that the set trains
model = DistilledClassifier(tree, distiller=FairDistiller(
    matching="model", n_per_class=10, n_iter=N_ITER, random_state=0))
model.fit(Z, y.to_numpy(), sensitive_features=A)
scores[f"model matching with {model.labels_} labels"] = model.score(X_test, y_test)
print("a gradient-boosted tree on 20 distilled rows, held-out accuracy: "
      + ", ".join(f"{name} {score:.3f}" for name, score in scores.items()))
