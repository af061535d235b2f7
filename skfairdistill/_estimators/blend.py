"""Blended labels: where a model of the user's beats the teacher, it labels the rows too.

Teacher labels (``teacher.py``) come from the logistic regression a model-matched set
trains: fair, but a tree learning them is capped at a linear model's accuracy, 2 points
below the full data's tree on Adult. Blended, each row's weight is the mean of the
teacher's probability and that of the user's model fitted on real rows. Blending
everywhere cost fairness on tables whose boundary is linear, where the teacher is already
as accurate as a tree; so ``DistilledClassifier(labels="auto")`` blends a gradient-boosted
tree's or an MLP's labels only where this module finds the model clearly more accurate than
the teacher on held-out rows (``docs/benchmarks.md``, "Teacher labels blended with the full
data's model"). With ``sensitive_features`` the model blended with is fitted towards the
set's own target instead, each class's groups weighed alike (COBRA's barycenter weights on
the real rows). For an MLP that is what ``DistilledClassifier`` does: on tables where a line
is not enough it met the full data's accuracy at no larger a gap far more often than teacher
labels (``docs/benchmarks.md``, "An MLP blended where it beats the teacher"). For a tree it
is an option: much fairer there, but up to 1.1 points less accurate (``docs/benchmarks.md``,
"Blending with the groups balanced").
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import (check_array, check_is_fitted, column_or_1d,
                                      has_fit_parameter)

from .._data.groups import encode_groups
from .._targets import barycenter_weights
from .messages import check_classifier
from .teacher import check_linear_model_matching, fit_teacher
from .weights import check_sample_weight

# the share of the rows held out, and the gain in accuracy over the teacher on them that a
# blend needs (on validation splits of four tables, the tree beat the teacher by 1.5-2.3
# points on Adult, where a blend helped, and by at most 1.8 elsewhere, within noise)
HELD_OUT, BLEND_MARGIN = 0.2, 0.01


def group_balanced_weights(y, sensitive_features, sample_weight=None):
    """Row weights under which each class keeps its total and its groups weigh alike.

    COBRA's barycenter weights (``1 / |A_y|`` on each group present in class ``y``) put
    on the real rows: row ``i`` of class ``y`` and group ``a`` gets
    ``w_i * W_y / (|A_y| * W_ya)``, where ``w_i`` is its sample weight (1 without),
    ``W_y`` its class's total and ``W_ya`` its cell's. A row of weight 0 keeps 0.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Groups; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows; None weighs them alike.

    Returns
    -------
    weights : ndarray of float64, shape (n_samples,)

    Examples
    --------
    >>> from skfairdistill import group_balanced_weights
    >>> group_balanced_weights([0, 0, 0, 1, 1], ["a", "a", "b", "a", "b"])
    array([0.75, 0.75, 1.5 , 1.  , 1.  ])
    """
    y = column_or_1d(y)
    class_codes = np.unique(y, return_inverse=True)[1]
    group_codes = encode_groups(sensitive_features, len(y))[0]
    weights = check_sample_weight(sample_weight, len(y))  # None where all are equal
    weights = np.ones(len(y)) if weights is None else weights
    cells = np.zeros((class_codes.max() + 1, group_codes.max() + 1))
    np.add.at(cells, (class_codes, group_codes), weights)
    shares = barycenter_weights(cells > 0, None)  # 1 / |A_y| on the present cells
    scale = cells.sum(axis=1, keepdims=True) * shares / np.where(cells > 0, cells, 1)
    return weights * scale[class_codes, group_codes]


def blend_if_more_accurate(distiller, estimator, X, y, *, sensitive_features=None,
                           sample_weight=None):
    """``estimator`` fitted on 80% of the rows, if it beats the teacher on the other 20%.

    The model ``DistilledClassifier(labels="auto")`` blends a gradient-boosted tree's or an
    MLP's teacher labels with; pass it to :func:`teacher_labelled_rows` as ``blend_with``
    for a model trained outside. The rows are split by class at random (from
    ``distiller.random_state``); a clone of ``estimator`` is fitted on 80% of them and
    judged against the teacher (the logistic regression ``distiller``'s set trains) on the
    rest. If it is more accurate there by more than a point and by more than two standard
    errors of the paired difference, a model is returned: the clone judged (what
    ``DistilledClassifier(labels="auto")`` blends a tree with), or with ``sensitive_features``
    a second clone fitted on the same 80% with each class's groups weighed alike
    (:func:`group_balanced_weights`; what it blends an MLP with). For a tree that is an
    option: on adult-sex HGB on that blend was within 2 points of the full data at 50 rows
    per class and fairer than it at 10 and 50, and much fairer where a tree finds what a line
    cannot, for up to 1.1 points of accuracy
    (:ref:`benchmarks#blending-with-the-groups-balanced`). Else None, and the teacher's
    labels are best left alone
    (:ref:`benchmarks#teacher-labels-blended-with-the-full-datas-model`).

    Parameters
    ----------
    distiller : FairDistiller
        A ``FairDistiller(matching="model")`` (with the linear inner model, the default)
        fitted on ``X``, ``y``.
    estimator : classifier
        The unfitted model to judge; it is cloned.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The real rows ``distiller`` was fitted on.
    y : array-like of shape (n_samples,)
        Their class labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
            default=None
        Their groups, as given to ``distiller``: the model returned is fitted with each
        class's groups weighed alike (``estimator.fit`` must take ``sample_weight``).
    sample_weight : array-like of shape (n_samples,), default=None
        As given to ``distiller``: passed to ``estimator.fit``; rows of weight 0 are
        neither fitted nor judged.

    Returns
    -------
    model : classifier or None
        A clone of ``estimator`` fitted on 80% of the rows, or None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skfairdistill import FairDistiller, blend_if_more_accurate
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = ((X ** 2).sum(axis=1) > 1.4).astype(int)  # a ring: no line parts it
    >>> group = rng.choice(["a", "b"], size=1000)
    >>> distiller = FairDistiller(matching="model", n_per_class=4, n_iter=20,
    ...                           random_state=0).fit(X, y, sensitive_features=group)
    >>> tree = blend_if_more_accurate(distiller, DecisionTreeClassifier(max_depth=4), X, y)
    >>> tree is not None  # the tree beats the linear teacher: blend its labels
    True
    """
    check_linear_model_matching(distiller, "blend_if_more_accurate")
    check_is_fitted(distiller, "X_distilled_")
    check_classifier(estimator)
    if sensitive_features is not None and not has_fit_parameter(estimator, "sample_weight"):
        raise TypeError(
            "blend_if_more_accurate fits estimator with each class's groups weighed alike "
            f"through sample_weight, which {type(estimator).__name__}.fit does not accept. "
            "Leave sensitive_features out, or use a classifier whose fit takes sample_weight.")
    y = column_or_1d(y)
    # checked before the first fit
    groups = None if sensitive_features is None else encode_groups(sensitive_features, len(y))[0]
    values = check_array(X, accept_sparse="csr", dtype="numeric")  # what the teacher reads
    usable = np.ones(len(y), bool) if sample_weight is None else np.asarray(sample_weight) > 0
    usable = np.flatnonzero(usable)
    seed = check_random_state(distiller.random_state).randint(np.iinfo(np.int32).max)
    counts = np.unique(y[usable], return_counts=True)[1]
    fitted, judged = train_test_split(usable, test_size=HELD_OUT, random_state=seed,
                                      stratify=y[usable] if counts.min() >= 2 else None)
    fit_params = ({} if sample_weight is None
                  else {"sample_weight": np.asarray(sample_weight)[fitted]})
    X_fitted = _safe_indexing(X, fitted)
    model = clone(estimator).fit(X_fitted, y[fitted], **fit_params)
    gain = ((model.predict(_safe_indexing(X, judged)) == y[judged]).astype(float)
            - (fit_teacher(distiller).predict(values[judged]) == y[judged]))
    noise = 2 * gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    if gain.mean() <= max(BLEND_MARGIN, noise):
        return None
    if groups is None:
        return model
    weights = group_balanced_weights(y[fitted], groups[fitted], fit_params.get("sample_weight"))
    return clone(estimator).fit(X_fitted, y[fitted], sample_weight=weights)


__all__ = ["blend_if_more_accurate", "group_balanced_weights"]
