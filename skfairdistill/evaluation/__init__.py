"""The dataset-distillation papers' evaluation protocol, for synthetic (or any) training sets.

:func:`evaluate_synthetic` trains several freshly drawn networks (the papers' ConvNet-3
for images) on a training set — typically the output of
:meth:`FairDistiller.fit_resample <skfairdistill.FairDistiller.fit_resample>` — and
scores each on real test data: accuracy, DEO_M and DEO_A, per network and as the mean
and standard deviation the papers report (a :class:`SyntheticEvaluation`).

Examples
--------
>>> from skfairdistill.evaluation import evaluate_synthetic
>>> # result = evaluate_synthetic(X_syn, y_syn, X_test, y_test, sensitive_features=A_test)
>>> # print(result)  # accuracy 0.912 ± 0.010, DEO_M ... (5 networks, cuda)
"""

from ._protocol import SyntheticEvaluation, evaluate_synthetic

__all__ = ["SyntheticEvaluation", "evaluate_synthetic"]
