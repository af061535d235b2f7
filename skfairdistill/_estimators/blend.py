"""Blended labels: where a model of the user's beats the teacher, it labels the rows too.

Teacher labels (``teacher.py``) come from the logistic regression a model-matched set
trains: fair, but a tree learning them is capped at a linear model's accuracy, 2 points
below the full data's tree on Adult. Blended, each row's weight is the mean of the
teacher's probability and that of the user's model fitted on real rows. Blending
everywhere cost fairness on tables whose boundary is linear, where the teacher is already
as accurate as a tree; so ``DistilledClassifier(labels="auto")`` blends a gradient-boosted
tree's labels only where this module finds the tree clearly more accurate than the
teacher on held-out rows (``docs/benchmarks.md``, "Teacher labels blended with the full
data's model").
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .messages import check_classifier
from .teacher import check_linear_model_matching, fit_teacher

# the share of the rows held out, and the gain in accuracy over the teacher on them that a
# blend needs (on validation splits of four tables, the tree beat the teacher by 1.5-2.3
# points on Adult, where a blend helped, and by at most 1.8 elsewhere, within noise)
HELD_OUT, BLEND_MARGIN = 0.2, 0.01


def blend_if_more_accurate(distiller, estimator, X, y, *, sample_weight=None):
    """``estimator`` fitted on 80% of the rows, if it beats the teacher on the other 20%.

    The model ``DistilledClassifier(labels="auto")`` blends a gradient-boosted tree's
    teacher labels with; pass it to :func:`teacher_labelled_rows` as ``blend_with`` for a
    model trained outside. The rows are split by class at random (from
    ``distiller.random_state``); a clone of ``estimator`` is fitted on 80% of them and
    judged against the teacher (the logistic regression ``distiller``'s set trains) on the
    rest. It is returned if it is more accurate there by more than a point and by more
    than two standard errors of the paired difference; else None, and the teacher's labels
    are best left alone (:ref:`benchmarks#teacher-labels-blended-with-the-full-datas-model`).

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
    sample_weight : array-like of shape (n_samples,), default=None
        As given to ``distiller``: passed to ``estimator.fit``; rows of weight 0 are
        neither fitted nor judged.

    Returns
    -------
    model : classifier or None
        The clone of ``estimator`` fitted on 80% of the rows, or None.

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
    y = column_or_1d(y)
    values = check_array(X, accept_sparse="csr", dtype="numeric")  # what the teacher reads
    usable = np.ones(len(y), bool) if sample_weight is None else np.asarray(sample_weight) > 0
    usable = np.flatnonzero(usable)
    seed = check_random_state(distiller.random_state).randint(np.iinfo(np.int32).max)
    counts = np.unique(y[usable], return_counts=True)[1]
    fitted, judged = train_test_split(usable, test_size=HELD_OUT, random_state=seed,
                                      stratify=y[usable] if counts.min() >= 2 else None)
    fit_params = ({} if sample_weight is None
                  else {"sample_weight": np.asarray(sample_weight)[fitted]})
    model = clone(estimator).fit(_safe_indexing(X, fitted), y[fitted], **fit_params)
    gain = ((model.predict(_safe_indexing(X, judged)) == y[judged]).astype(float)
            - (fit_teacher(distiller).predict(values[judged]) == y[judged]))
    noise = 2 * gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    return model if gain.mean() > max(BLEND_MARGIN, noise) else None


__all__ = ["blend_if_more_accurate"]
