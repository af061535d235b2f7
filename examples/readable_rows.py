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

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds.
"""

import os

import numpy as np
import pandas as pd

from skfairdistill import FairDistiller
from skfairdistill.datasets import load_adult
from skfairdistill.preprocessing import TabularEncoder

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ROWS = 600 if QUICK else 5000
N_ITER = 10 if QUICK else 1000

X, y, A = load_adult(sensitive=["sex", "race"])
rows = np.random.default_rng(0).choice(len(X), N_ROWS, replace=False)
X, y, A = X.iloc[rows], y.iloc[rows], A.iloc[rows]

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
