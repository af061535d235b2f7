"""
Quick start: distil Adult into 20 fair rows and audit the models on real data
=============================================================================

A subsample of the bundled Adult census data (sensitive attribute: sex) is split
into training and held-out rows. The text columns are one-hot encoded with
:class:`skfairdistill.preprocessing.TabularEncoder`, then :class:`~skfairdistill.FairDistiller`
compresses the training rows into ``n_per_class`` synthetic rows per class with
vanilla distillation and with COBRA's cross-group barycenter. A logistic
regression trained on each synthetic set is compared with one trained on the full
training data and one trained on a random subset of the same size, on the *real*
held-out rows, with :func:`skfairdistill.metrics.fairness_report`.

Set ``SKFAIRDISTILL_QUICK=1`` for a run of a few seconds (tiny settings, numbers
not meaningful).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skfairdistill import FairDistiller
from skfairdistill.datasets import load_adult
from skfairdistill.metrics import fairness_report
from skfairdistill.plotting import plot_embedding, plot_group_accuracy, plot_loss
from skfairdistill.preprocessing import TabularEncoder

QUICK = os.environ.get("SKFAIRDISTILL_QUICK") == "1"
N_ROWS = 600 if QUICK else 3000
N_ITER = 10 if QUICK else 1000
N_PER_CLASS = 10

# %%
# Data: a subsample of Adult, split 70/30, text columns one-hot encoded.
X, y, sex = load_adult(sensitive="sex")
rows = np.random.default_rng(0).choice(len(X), N_ROWS, replace=False)
X, y, sex = X.iloc[rows], y.iloc[rows].to_numpy(), sex.iloc[rows].to_numpy()
X_train, X_test, y_train, y_test, A_train, A_test = train_test_split(
    X, y, sex, test_size=0.3, stratify=y, random_state=0
)
encoder = TabularEncoder().fit(X_train)
Z_train, Z_test = encoder.transform(X_train), encoder.transform(X_test)
print(f"{len(Z_train)} training rows, {Z_train.shape[1]} encoded features")

# %%
# Distil with a vanilla target and with COBRA's barycenter; train a model on each.
models = {"full data": LogisticRegression(max_iter=2000).fit(Z_train, y_train)}
rng = np.random.default_rng(0)
subset = np.concatenate(
    [rng.choice(np.flatnonzero(y_train == c), N_PER_CLASS, replace=False) for c in (0, 1)]
)
models["random subset"] = LogisticRegression(max_iter=2000).fit(Z_train[subset], y_train[subset])
distillers = {}
for name, alignment in [("vanilla", "none"), ("COBRA", "barycenter")]:
    distiller = FairDistiller(
        n_per_class=N_PER_CLASS, alignment=alignment, n_iter=N_ITER, random_state=0
    )
    X_syn, y_syn = distiller.fit_resample(Z_train, y_train, sensitive_features=A_train)
    distillers[name] = distiller
    models[name] = LogisticRegression(max_iter=2000).fit(X_syn, y_syn)

# %%
# Audit every model on the real held-out rows.
report = fairness_report(models, Z_test, y_test, sensitive_features=A_test)
print(report.round(3).to_string())

# %%
# Plots: per-group accuracy, the synthetic rows among the real ones, the loss.
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
plot_group_accuracy(report, ax=axes[0])
cobra = distillers["COBRA"]
plot_embedding(Z_train, A_train, cobra.X_distilled_, cobra.y_distilled_, ax=axes[1])
plot_loss(cobra, ax=axes[2])
fig.tight_layout()
if not QUICK:
    plt.show()
