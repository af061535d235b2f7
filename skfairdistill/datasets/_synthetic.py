r"""Biased synthetic tables with the two knobs of fair dataset distillation.

The analysis of COBRA (Moslemi et al., arXiv 2605.00185) bounds the error of vanilla
distillation for group :math:`a` of class :math:`y` by
:math:`\sum_{a' \neq a} \pi_{a'|y} \lVert \mu_{a|y} - \mu_{a'|y} \rVert`: group
*imbalance* (the shares :math:`\pi`) times group *separation* (the distance between
the group-conditional patterns). :func:`make_biased_classification` turns both into
parameters, plus an optional spurious feature.
"""

import numbers

import numpy as np

from .._checks import check_int, check_real, check_rng

# Standard deviation of the spurious feature's noise, relative to the spacing 1 / n_groups.
_SPURIOUS_NOISE = 0.1


def make_biased_classification(
    n_samples=2000,
    *,
    n_features=10,
    n_classes=2,
    n_groups=2,
    group_imbalance=0.8,
    group_separation=1.0,
    class_sep=1.0,
    spurious=False,
    spurious_strength=0.9,
    test=False,
    random_state=None,
):
    r"""Generate a classification table whose groups are imbalanced and separated.

    Every row has a class ``y`` and a group ``g`` and is drawn from an isotropic
    Gaussian, :math:`x \sim \mathcal{N}(\mu_{y,g}, I)`, with the group-conditional
    class mean

    .. math::

        \mu_{y,g} = \sqrt{2}\,\mathrm{class\_sep}\; u_y
        + \frac{\mathrm{group\_separation}}{\sqrt{2}}\; v_{(y + g) \bmod M},
        \qquad M = \max(n\_classes, n\_groups),

    where :math:`u_0, \dots, u_{K-1}, v_0, \dots, v_{M-1}` are orthonormal
    directions (a random rotation of the feature space, fixed by ``random_state``).

    - The shared part :math:`u_y` is the same for every group: class means are
      ``2 * class_sep`` apart whatever the group.
    - The group part is each group's *own* class pattern: group ``g`` uses the
      pattern directions :math:`v` shifted by ``g`` positions, so a direction that
      points to class ``y`` in group 0 points to another class in group 1. Within
      every class, the means of two different groups are exactly
      ``group_separation`` apart, :math:`\lVert \mu_{y,g} - \mu_{y,g'} \rVert =`
      ``group_separation``. A linear model cannot follow the conflicting patterns
      of all groups at once, so a model fit mostly on the majority group does
      worse on the others, the more so the larger ``group_separation``. With
      ``group_separation=0`` the groups are identically distributed.

    Classes are balanced. Within *every* class, group 0 (the majority) holds the
    share ``group_imbalance`` of the rows and the other groups share the rest
    equally. Cell sizes are allocated deterministically (largest remainders, at
    least one row per (class, group) cell), so the measured shares equal the asked
    ones up to rounding; rows are then shuffled.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of rows; at least ``n_classes * n_groups`` so that every
        (class, group) cell has a row.
    n_features : int, default=10
        Number of columns, including the spurious column when ``spurious=True``.
        At least ``n_classes + max(n_classes, n_groups)`` (+ 1 with ``spurious``)
        so that the pattern directions fit; the remaining columns are pure noise
        dimensions of the rotated space.
    n_classes : int, default=2
        Number of classes (at least 2).
    n_groups : int, default=2
        Number of groups (at least 1; with 1 there is no group structure and
        ``group_imbalance`` is ignored).
    group_imbalance : float in (0, 1), default=0.8
        Share of group 0 within every class; the other groups share ``1 -
        group_imbalance`` equally. ``1 / n_groups`` gives balanced groups.
    group_separation : float >= 0, default=1.0
        Distance between the means of two groups within the same class.
    class_sep : float >= 0, default=1.0
        Half the distance between the shared class means.
    spurious : bool, default=False
        Replace the last column by a spurious feature
        :math:`z = \tilde y + g / n\_groups + \varepsilon` with
        :math:`\varepsilon \sim \mathcal{N}(0, (0.1 / n\_groups)^2)`: its integer
        part is a "shortcut label" :math:`\tilde y` and its fractional part tracks
        the group. In training (``test=False``) :math:`\tilde y = y` with
        probability ``spurious_strength`` and otherwise a uniformly drawn *other*
        class; with ``test=True`` :math:`\tilde y` is drawn uniformly over all
        classes, independently of ``y``, so the shortcut stops working.
    spurious_strength : float in [0, 1], default=0.9
        Probability that the shortcut label equals the class in training.
    test : bool, default=False
        Draw the test split: fresh rows from the same distribution (same class and
        group patterns for the same integer ``random_state``, same group shares),
        with the spurious feature decorrelated from the class.
    random_state : int, RandomState instance or None, default=None
        Fixes the pattern directions and the rows. Pass the same **int** with
        ``test=False`` and ``test=True`` to get a train and a test split of the
        same distribution (the two splits use independent streams). None draws
        from NumPy's global generator, as scikit-learn's generators do; an int never
        touches it.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float64
        The features.
    y : ndarray of shape (n_samples,), dtype int64
        Class labels ``0 .. n_classes - 1``.
    groups : ndarray of shape (n_samples,), dtype int64
        Group labels ``0 .. n_groups - 1`` (group 0 is the majority when
        ``group_imbalance > 1 / n_groups``); pass them as ``sensitive_features``.

    See Also
    --------
    sklearn.datasets.make_classification : Classification data without groups.
    make_colored_digits : Images whose colour is the group.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairdistill.datasets import make_biased_classification
    >>> X, y, groups = make_biased_classification(
    ...     1000, n_classes=3, n_groups=2, group_imbalance=0.9, random_state=0)
    >>> X.shape, X.dtype, np.bincount(y)
    ((1000, 10), dtype('float64'), array([334, 333, 333]))
    >>> [round(float(np.mean(groups[y == k] == 0)), 2) for k in range(3)]
    [0.9, 0.9, 0.9]
    >>> X_test, y_test, groups_test = make_biased_classification(
    ...     1000, n_classes=3, n_groups=2, group_imbalance=0.9, test=True, random_state=0)
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    n_groups = check_int("n_groups", n_groups, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    if n_samples < n_classes * n_groups:
        raise ValueError(
            f"n_samples must be at least n_classes * n_groups = {n_classes * n_groups} so "
            f"that every (class, group) cell has a row; got {n_samples}."
        )
    n_patterns = max(n_classes, n_groups)
    n_needed = n_classes + n_patterns + bool(spurious)
    if n_features < n_needed:
        raise ValueError(
            f"n_features must be at least n_classes + max(n_classes, n_groups)"
            f"{' + 1 (spurious)' if spurious else ''} = {n_needed}; got {n_features}."
        )
    group_imbalance = check_real("group_imbalance", group_imbalance, 0.0, 1.0, closed=False)
    group_separation = check_real("group_separation", group_separation, 0.0, np.inf)
    class_sep = check_real("class_sep", class_sep, 0.0, np.inf)
    spurious_strength = check_real("spurious_strength", spurious_strength, 0.0, 1.0)
    if not isinstance(spurious, (bool, np.bool_)):
        raise ValueError(f"spurious must be True or False; got {spurious!r}.")
    if not isinstance(test, (bool, np.bool_)):
        raise ValueError(f"test must be True or False; got {test!r}.")

    seed = _base_seed(random_state)
    geometry_rng = np.random.default_rng([seed, 0])
    sample_rng = np.random.default_rng([seed, 2 if test else 1])

    # Orthonormal directions: a random rotation of the (non-spurious) feature space.
    n_core = n_features - bool(spurious)
    rotation, _ = np.linalg.qr(geometry_rng.standard_normal((n_core, n_core)))
    class_dirs = rotation[:, :n_classes].T
    pattern_dirs = rotation[:, n_classes : n_classes + n_patterns].T

    counts = _cell_counts(n_samples, n_classes, n_groups, group_imbalance)
    y = np.repeat(np.repeat(np.arange(n_classes), n_groups), counts.ravel())
    groups = np.repeat(np.tile(np.arange(n_groups), n_classes), counts.ravel())
    order = sample_rng.permutation(n_samples)
    y, groups = y[order], groups[order]

    means = np.sqrt(2.0) * class_sep * class_dirs[y] + (
        group_separation / np.sqrt(2.0)
    ) * pattern_dirs[(y + groups) % n_patterns]
    X = means + sample_rng.standard_normal((n_samples, n_core))

    if spurious:
        if test:
            shortcut = sample_rng.integers(n_classes, size=n_samples)
        else:
            agree = sample_rng.random(n_samples) < spurious_strength
            other = (y + sample_rng.integers(1, n_classes, size=n_samples)) % n_classes
            shortcut = np.where(agree, y, other)
        noise = (_SPURIOUS_NOISE / n_groups) * sample_rng.standard_normal(n_samples)
        z = shortcut + groups / n_groups + noise
        X = np.column_stack([X, z])
    return X.astype(np.float64, copy=False), y.astype(np.int64), groups.astype(np.int64)


def _cell_counts(n_samples, n_classes, n_groups, group_imbalance):
    """Rows per (class, group): balanced classes, the asked group shares, >= 1 per cell."""
    per_class = np.full(n_classes, n_samples // n_classes)
    per_class[: n_samples % n_classes] += 1
    if n_groups == 1:
        shares = np.ones(1)
    else:
        shares = np.full(n_groups, (1.0 - group_imbalance) / (n_groups - 1))
        shares[0] = group_imbalance
    counts = np.empty((n_classes, n_groups), dtype=np.int64)
    for k, n_k in enumerate(per_class):
        counts[k] = _allocate(n_k, shares)
    return counts


def _allocate(total, shares):
    """Split ``total`` by ``shares`` (largest remainders), giving every part at least 1."""
    exact = shares * total
    counts = np.floor(exact).astype(np.int64)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    for part in np.flatnonzero(counts == 0):
        counts[np.argmax(counts)] -= 1
        counts[part] = 1
    return counts


def _base_seed(random_state):
    """An integer seed from which the geometry and sample streams are derived."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}.")
        return int(random_state)
    return int(check_rng(random_state).randint(np.iinfo(np.int32).max))
