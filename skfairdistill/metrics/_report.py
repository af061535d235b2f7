"""One table of accuracy and group-fairness metrics for several fitted models."""

from collections.abc import Mapping

import pandas as pd
from fairlearn.metrics import MetricFrame

from .._checks import check_memory_map
from ._equalized_odds import deo_max, deo_mean
from ._group_metrics import _accuracy, _demographic_parity_difference
from ._inputs import check_groups, check_labels, check_sensitive_column

REPORT_COLUMNS = (
    "accuracy",
    "worst_group_accuracy",
    "deo_max",
    "deo_mean",
    "demographic_parity_difference",
)


def fairness_report(estimators, X_test, y_test, *, sensitive_features):
    """Accuracy and group-fairness metrics of fitted models on held-out data.

    How to audit a distilled set, and against what: :ref:`guides#auditing-on-real-held-out-data`.

    Parameters
    ----------
    estimators : estimator or dict of {str: estimator}
        Fitted classifier(s) with a ``predict`` method. A single estimator is named
        after its class.
    X_test : array-like of shape (n_samples, n_features)
        Held-out rows (real data, not a distilled set).
    y_test : array-like of shape (n_samples,)
        Their true labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group membership of the rows; several columns form intersectional groups.

    Returns
    -------
    report : pandas.DataFrame
        One row per model (index ``"model"``) and the columns

        - ``accuracy``: overall accuracy;
        - ``worst_group_accuracy``: the smallest per-group accuracy;
        - ``deo_max``, ``deo_mean``: the equalized-odds gaps DEO_M and DEO_A of
          the fair distillation papers (:func:`deo_max`, :func:`deo_mean`);
        - ``demographic_parity_difference``: the largest between-group difference
          of the selection rate P(y_pred = c | group), maximised over the labels
          ``c`` (one-vs-rest). For a binary task this is fairlearn's
          ``demographic_parity_difference``;
        - ``accuracy[<group>]``: the accuracy within every group (intersectional
          groups are written ``accuracy[<value 1>, <value 2>]``).

        All values are fractions in [0, 1], computed with fairlearn's
        ``MetricFrame``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairdistill.metrics import fairness_report
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2))
    >>> sex = rng.choice(["Female", "Male"], size=400, p=[0.3, 0.7])
    >>> y = (X[:, 0] > 0).astype(int)
    >>> models = {
    ...     "logistic": LogisticRegression().fit(X[:200], y[:200]),
    ...     "majority": DummyClassifier().fit(X[:200], y[:200]),
    ... }
    >>> report = fairness_report(models, X[200:], y[200:], sensitive_features=sex[200:])
    >>> list(report.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'worst_group_accuracy', 'deo_max', 'deo_mean',
     'demographic_parity_difference', 'accuracy[Female]', 'accuracy[Male]']
    >>> float(report.loc["majority", "deo_max"])  # the same answer for every group
    0.0
    >>> bool(report.loc["logistic", "accuracy"] > report.loc["majority", "accuracy"])
    True
    """
    check_sensitive_column(sensitive_features, "X_test")
    named = _named_estimators(estimators)
    y_true = check_labels("y_test", y_test)
    check_memory_map("X_test", X_test)
    n_test = _n_rows(X_test)
    if n_test is not None and n_test != len(y_true):
        raise ValueError(
            f"X_test has {n_test} rows but y_test has {len(y_true)}; they must describe the "
            "same rows.")
    sensitive_features = check_groups(sensitive_features, len(y_true), "X_test", "y_test")
    rows = []
    for name, estimator in named:
        y_pred = check_labels(f"the predictions of {name!r}", estimator.predict(X_test),
                              len(y_true), rows_of="y_test")
        frame = MetricFrame(
            metrics=_accuracy,
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=sensitive_features,
        )
        row = {
            "accuracy": float(frame.overall),
            "worst_group_accuracy": float(frame.group_min()),
            "deo_max": deo_max(y_true, y_pred, sensitive_features=sensitive_features),
            "deo_mean": deo_mean(y_true, y_pred, sensitive_features=sensitive_features),
            "demographic_parity_difference": _demographic_parity_difference(
                y_true, y_pred, sensitive_features=sensitive_features
            ),
        }
        for group, accuracy in frame.by_group.items():
            row[f"accuracy[{_group_label(group)}]"] = float(accuracy)
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([name for name, _ in named], name="model"))


def _n_rows(X_test):
    """The rows of ``X_test``; None when it has no length (a model may not read it)."""
    if hasattr(X_test, "shape"):
        return X_test.shape[0]
    if hasattr(X_test, "__len__") and not isinstance(X_test, (str, bytes)):
        return len(X_test)
    return None


def _named_estimators(estimators):
    """``[(name, estimator), ...]`` from one estimator or a dict of them."""
    if isinstance(estimators, Mapping):
        if not estimators:
            raise ValueError("estimators is an empty dict; give at least one fitted estimator.")
        named = [(str(name), estimator) for name, estimator in estimators.items()]
    elif estimators is None:
        raise TypeError("estimators is None; give a fitted estimator or a dict {name: fitted "
                        "estimator}.")
    else:
        named = [(type(estimators).__name__, estimators)]
    for name, estimator in named:
        if not callable(getattr(estimator, "predict", None)):
            raise TypeError(
                "estimators must be a fitted estimator or a dict {name: fitted estimator} "
                f"with a predict method; {name!r} is {type(estimator).__name__}."
            )
    return named


def _group_label(group):
    """``"Female"`` for one sensitive column, ``"Female, White"`` for intersections."""
    if isinstance(group, tuple):
        return ", ".join(str(part) for part in group)
    return str(group)
