"""Sample weights that give a synthetic set the real data's class prior, or a tempered one."""

import numbers

import numpy as np
from sklearn.utils.validation import column_or_1d

from .weights import check_sample_weight


def class_prior_weights(y, y_syn, *, power=1.0, sample_weight=None):
    """Per synthetic row, the weight that gives each class its share of the real rows.

    A distilled set has the budget's class sizes (``n_per_class`` rows of every
    class by default), so a model trained on it learns equal class priors, not
    the data's. With these weights every class's total weight is its share of
    ``y`` (raised to ``power``, then normalised): passed as ``sample_weight`` to a
    model's ``fit``, they train it with that class prior. On imbalanced data the
    data's prior is more accurate on data with that prior, and usually less fair
    by equalized odds; the square-root prior (``power=0.5``) lies between the two
    (``docs/benchmarks.md``, "Class prior").
    :class:`~skfairdistill.DistilledClassifier` applies them with
    ``class_prior="data"`` or ``"sqrt"``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The real rows' labels (those the synthetic set was distilled from).
    y_syn : array-like of shape (n_syn,)
        The synthetic rows' labels; every one must occur in ``y``.
    power : float in [0, 1], default=1.0
        Each class weighs ``share ** power`` (normalised to sum to one): 1 gives
        the data's class prior, 0 equal classes, 0.5 the square-root prior (as in
        square-root sampling for long-tailed data, Mahajan et al., 2018).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the real rows: a class's share is then its total weight (as the
        distiller counts a row of weight ``w`` ``w`` times). None weighs rows alike.

    Returns
    -------
    sample_weight : ndarray of shape (n_syn,)
        Positive weights with mean 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairdistill import class_prior_weights
    >>> y = np.array([0] * 75 + [1] * 25)
    >>> class_prior_weights(y, np.array([0, 0, 1, 1]))
    array([1.5, 1.5, 0.5, 0.5])
    >>> class_prior_weights(y, np.array([0, 0, 1, 1]), power=0.5).round(3)
    array([1.268, 1.268, 0.732, 0.732])
    """
    if (isinstance(power, bool) or not isinstance(power, numbers.Real)
            or not 0 <= power <= 1):
        raise ValueError(f"power must be a real number in [0, 1]; got {power!r}.")
    y = column_or_1d(y)
    y_syn = column_or_1d(y_syn)
    if len(y_syn) == 0:
        raise ValueError("y_syn is empty: there are no synthetic rows to weight.")
    classes, real_codes, real_counts = np.unique(y, return_inverse=True, return_counts=True)
    weights = check_sample_weight(sample_weight, len(y))
    if weights is not None:
        real_counts = np.bincount(real_codes, weights=weights, minlength=len(classes))
    codes = np.searchsorted(classes, y_syn)
    unknown = (codes >= len(classes)) | (classes[np.minimum(codes, len(classes) - 1)] != y_syn)
    if unknown.any():
        raise ValueError(
            f"y_syn has labels that y does not have: {sorted(set(y_syn[unknown].tolist()))}."
        )
    syn_counts = np.bincount(codes, minlength=len(classes))
    share = real_counts.astype(float) ** power
    share /= share.sum()
    # share of the class, spread over its synthetic rows; times n_syn for mean 1
    return share[codes] / syn_counts[codes] * len(codes)
