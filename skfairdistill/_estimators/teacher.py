"""Teacher labels: rows labelled by the model that a model-matched set trains.

A model-matched set (``FairDistiller(matching="model")``) is optimised for the logistic
regression trained on it, which is accurate and fair on real rows. Where the classes
overlap, the set carries the overlap as rows of both classes side by side; a logistic
regression averages them, but an MLP or a tree fits every row and learns the overlap as
structure (on ProPublica's recidivism table an MLP lost 8-12 points of accuracy that way,
``docs/benchmarks.md``). With teacher labels the estimator learns the logistic regression
(the teacher) instead: each of its rows is present once per class, weighted by the
teacher's probability of that class, so that the best fit of every row is the teacher's
prediction, not a label to memorise.

The rows: per class, the real row of the same group nearest to each k-means centroid
(``FairDistiller(matching="kmeans", stratify_groups=True)`` with the distiller's budget,
alignment and ``random_state``: as many rows per group of a class), so ``n_per_class``
real rows a class, every value one the data takes; and, by default, 1,000 points drawn in
the boxes pairs of them span. A tree trained on 20 rows alone can place its splits only
between them, and learns the teacher where the rows are; the points show it the teacher
everywhere between (on unseen tables a gradient-boosted tree met the target twice as often
as with points on the segments between the rows, and an MLP more often than on the set
itself: ``docs/benchmarks.md``, "Teacher labels in the boxes two rows span"). Or leaf
rows, for a tree: one per leaf of a regression tree fitted to the teacher, equal off the
leaf's path (on unseen tables a gradient-boosted tree gained 2-5 points over the nearest
rows at 10 rows per class but lost fairness, and a random forest lost a point at 50, so
they are an option, not a default: ``docs/benchmarks.md``, "Leaf rows for trees").
"""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances_argmin
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import (check_array, check_is_fitted, column_or_1d,
                                      has_fit_parameter)

from .._data.groups import encode_groups
from .distiller import FairDistiller
from .tree_models import grows_trees


def _linear_model_matching(distiller):
    """Whether ``distiller`` is a FairDistiller(matching="model") with the linear kernel."""
    if not isinstance(distiller, FairDistiller) or distiller.matching != "model":
        return False
    params = distiller.matching_params
    return not isinstance(params, dict) or params.get("kernel", "linear") == "linear"


def check_linear_model_matching(distiller, what):
    """The teacher is the logistic regression of a linear model-matched set: refuse others."""
    if not isinstance(distiller, FairDistiller) or distiller.matching != "model":
        raise ValueError(
            f"{what} labels real rows with the logistic regression that a model-matched "
            'set trains; it needs a FairDistiller(matching="model"); got '
            f"{distiller!r}.")
    if not _linear_model_matching(distiller):
        raise ValueError(
            f"{what} takes the logistic regression on the set's rows as its teacher; the "
            "set was fitted for matching_params[\"kernel\"]="
            f"{distiller.matching_params['kernel']!r}. Use the linear kernel (the default).")


def teacher_suits(distiller, estimator, y):
    """``labels="auto"``: teacher labels for a tree-based ``estimator`` or an MLP that takes
    ``sample_weight``, on a linear model-matched set of 1-D labels
    (``docs/benchmarks.md``, "Teacher labels" and "Teacher labels between the rows")."""
    return ((grows_trees(estimator) or is_mlp(estimator)) and _linear_model_matching(distiller)
            and has_fit_parameter(estimator, "sample_weight") and _one_column(y))


def is_mlp(estimator):
    """Whether ``estimator`` is scikit-learn's MLPClassifier."""
    from sklearn.neural_network import MLPClassifier

    return isinstance(estimator, MLPClassifier)


def _one_column(y):
    """Whether ``y`` holds one label per row (1-D, or one column)."""
    shape = np.asarray(y).shape
    return len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)


def check_teacher(distiller, estimator, y, labels="teacher"):
    """Refuse ``labels="teacher"`` (or ``"blend"``) where it cannot run, before the
    distillation starts."""
    check_linear_model_matching(distiller, f'labels="{labels}"')
    if not has_fit_parameter(estimator, "sample_weight"):
        raise TypeError(
            f'labels="{labels}" weighs every row by the teacher\'s probability through '
            f"sample_weight, which {type(estimator).__name__}.fit does not accept. Use "
            'labels="hard", or a classifier whose fit takes sample_weight.')
    if not _one_column(y):
        raise ValueError(f'labels="{labels}" needs one class label per row in y; got an '
                         f"array of shape {np.asarray(y).shape}.")


def teacher_labelled_rows(distiller, X, y, *, sensitive_features=None, sample_weight=None,
                          rows="boxes", blend_with=None):
    """Rows labelled by the logistic regression that a model-matched set trains.

    The rows ``DistilledClassifier(labels="teacher")`` trains its estimator on, for a
    model trained outside it. Per (class, group) cell, the real row nearest to each
    k-means centroid of the cell (``FairDistiller(matching="kmeans",
    stratify_groups=True)`` with ``distiller``'s budget, alignment and
    ``random_state``; where a group has rows of one class only, or a class more groups
    than rows, the class's group-balanced centroids and the class's nearest rows), and
    (``rows="boxes"``, the default) points drawn between those rows; every row and
    point comes once per class, weighted by the teacher's probability of that class.
    The teacher is a logistic regression (at the inner model's ``C``) fitted on
    ``distiller``'s set (``X_distilled_``, ``y_distilled_``).

    Parameters
    ----------
    distiller : FairDistiller
        A ``FairDistiller(matching="model")`` (with the linear inner model, the default)
        fitted on ``X``, ``y``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The real rows it was fitted on.
    y : array-like of shape (n_samples,)
        Their class labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
            default=None
        Their groups, as given to ``distiller``.
    sample_weight : array-like of shape (n_samples,), default=None
        As given to ``distiller``; rows of weight 0 are never chosen.
    rows : {"boxes", "mixup", "nearest", "leaves"}, default="boxes"
        ``"boxes"``: the nearest real rows described above and 1,000 points drawn
        between them (``POINTS_BETWEEN``), each in the box two of the rows picked at
        random span, at a uniform random place per feature (where both rows are zero,
        so is the point), drawn by ``distiller.random_state``. The teacher labels them
        all, so a tree or an MLP learns the teacher between the rows, not only at them:
        on tables the choice was not tuned on, a gradient-boosted tree met the target
        (within 2 points of the full data's accuracy at no larger a gap) in 28 of 46
        settings, against 14 with points on the segments between the rows and fewer
        still on the rows alone
        (:ref:`benchmarks#teacher-labels-in-the-boxes-two-rows-span`). The points are
        not real rows; a DataFrame gets them as floats. ``"mixup"``: the points on those
        segments instead, at a uniform random place (the interpolation of mixup, Zhang
        et al., ICLR 2018). ``"nearest"``: the nearest real rows alone. ``"leaves"``,
        for a tree: one row per leaf of a regression tree (as many leaves as the set has
        rows, every group weighed alike) fitted to the teacher's probabilities on the
        real rows; each row takes the median of its leaf's rows on the features the
        leaf's path splits on and the data's median on the others, so a tree trained on
        them splits where that tree did (every value is one its column takes; above
        100,000 rows, a random draw of 100,000 by ``distiller.random_state`` is used).
    blend_with : classifier, default=None
        A classifier fitted on ``X``, ``y`` (say the model you will train on the rows,
        trained on every real row): each weight is then the mean of its probability of
        the class and the teacher's. The linear teacher is fair but caps a tree's
        accuracy at its own; the blend gives the tree some of its own model's
        structure, at some of the teacher's fairness
        (:ref:`benchmarks#teacher-labels-blended-with-the-full-datas-model`). Its
        ``classes_`` must be those of ``y``.

    Returns
    -------
    X_rows : DataFrame, ndarray or CSR matrix of shape (n_classes * n_rows, n_features)
        The chosen real rows (with ``"boxes"`` or ``"mixup"``, and the points between
        them), repeated once per class: a DataFrame for a DataFrame
        ``X`` (its columns kept), a CSR matrix for a sparse one, else an array.
    y_rows : ndarray of shape (n_classes * n_rows,)
        Each class in turn.
    sample_weight : ndarray of shape (n_classes * n_rows,)
        The teacher's probability of the row's class: pass it to your model's ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skfairdistill import FairDistiller, teacher_labelled_rows
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> group = rng.choice(["a", "b"], size=300)
    >>> distiller = FairDistiller(matching="model", n_per_class=4, n_iter=20,
    ...                           random_state=0).fit(X, y, sensitive_features=group)
    >>> X_rows, y_rows, weights = teacher_labelled_rows(distiller, X, y,
    ...                                                 sensitive_features=group)
    >>> X_rows.shape, np.bincount(y_rows)  # 8 real rows and 1,000 points, once per class
    ((2016, 3), array([1008, 1008]))
    >>> model = MLPClassifier(max_iter=50, random_state=0)
    >>> model = model.fit(X_rows, y_rows, sample_weight=weights)
    """
    check_linear_model_matching(distiller, "teacher_labelled_rows")
    check_is_fitted(distiller, "X_distilled_")
    y = column_or_1d(y)
    params = {name: value for name, value in (("sensitive_features", sensitive_features),
                                              ("sample_weight", sample_weight))
              if value is not None}
    if rows not in ("nearest", "mixup", "boxes", "leaves"):
        raise ValueError(f'rows must be "nearest", "mixup", "boxes" or "leaves"; got {rows!r}.')
    if blend_with is not None:
        check_is_fitted(blend_with)
        if not hasattr(blend_with, "predict_proba"):
            raise TypeError("blend_with must be a fitted classifier with predict_proba; got "
                            f"{type(blend_with).__name__}.")
    X_rows, y_rows, weights, _ = teacher_and_rows(distiller, X, y, params, rows, blend_with)
    return X_rows, y_rows, weights


def fit_teacher(distiller):
    """The model the loop optimised ``distiller``'s set for: scikit-learn's logistic
    regression at the inner model's ``C``, fitted on the set."""
    C = (distiller.matching_params or {}).get("C", 1.0)
    return LogisticRegression(C=C, max_iter=1000).fit(distiller.X_distilled_,
                                                      distiller.y_distilled_)


def teacher_and_rows(distiller, X, y, params, rows="boxes", blend_with=None):
    """:func:`teacher_labelled_rows` on checked input, and the teacher.

    ``params``: ``sensitive_features`` and ``sample_weight`` as given to the distiller.
    """
    teacher = fit_teacher(distiller)
    sensitive, weight = params.get("sensitive_features"), params.get("sample_weight")
    usable = np.ones(len(y), dtype=bool) if weight is None else np.asarray(weight) > 0
    values = check_array(X, accept_sparse="csr", dtype="numeric")
    codes, groups = (None, None) if sensitive is None else encode_groups(sensitive, len(y))
    # each branch: the rows as the caller's container, and which of them to give
    if rows == "leaves":
        table = _leaf_rows(teacher, len(distiller.y_distilled_), values, codes, usable,
                           weight, distiller.random_state)
        proba = teacher.predict_proba(table)
        # a DataFrame keeps its columns and dtypes (every value is one its column takes)
        if hasattr(X, "iloc"):
            table = pd.DataFrame(table, columns=X.columns).astype(X.dtypes.to_dict())
        elif sparse.issparse(values):
            table = sparse.csr_matrix(table)
        given = np.arange(len(proba))
    elif rows in ("mixup", "boxes"):
        chosen = _nearest_rows(distiller, X, y, params, values, codes, groups, usable)
        # sparse rows stay sparse: each point has the nonzeros of its two rows only
        table = _points_between(values[chosen], POINTS_BETWEEN, distiller.random_state,
                                per_feature=rows == "boxes")
        proba = teacher.predict_proba(table)
        if hasattr(X, "iloc"):  # its columns kept, as floats: the points are between values
            table = pd.DataFrame(table, columns=X.columns)
        given = np.arange(len(proba))
    else:
        given = _nearest_rows(distiller, X, y, params, values, codes, groups, usable)
        proba = teacher.predict_proba(values[given])
        # a DataFrame keeps its columns; anything else goes as read (a sparse X as CSR)
        table = X if hasattr(X, "iloc") else values
    if blend_with is not None:
        proba = _blend(proba, teacher.classes_, blend_with, _safe_indexing(table, given))
    X_rows = _safe_indexing(table, np.tile(given, len(teacher.classes_)))  # once per class
    y_rows = np.repeat(teacher.classes_, len(proba))
    return X_rows, y_rows, proba.T.ravel(), teacher


# the share of the teacher in a blend: probed on validation splits of four tables, 0.5 was the
# one value tried (docs/benchmarks.md, "Teacher labels blended with the full data's model")
TEACHER_SHARE = 0.5


def _blend(proba, classes, model, rows):
    """The teacher's probabilities ``proba`` of ``classes`` on ``rows``, blended with
    ``model``'s."""
    if not np.array_equal(np.asarray(model.classes_), classes):
        raise ValueError(f"blend_with was fitted on the classes {list(model.classes_)}; the "
                         f"rows' classes are {list(classes)}. Fit it on the same X, y.")
    return TEACHER_SHARE * proba + (1 - TEACHER_SHARE) * model.predict_proba(rows)


def _nearest_rows(distiller, X, y, params, values, codes, groups, usable):
    """Per (class, group) cell, the indices of the real rows nearest its k-means centroids."""
    classes, cell_of_row = np.unique(y, return_inverse=True)
    stratified = codes is not None and _stratifiable(distiller, cell_of_row, codes, usable)
    # as many prototypes per group of a class: the chosen rows represent every group
    prototypes = clone(distiller).set_params(matching="kmeans", matching_params=None,
                                             stratify_groups=stratified, verbose=0)
    X_centroids, y_centroids = prototypes.fit_resample(X, y, **params)
    centroids = check_array(X_centroids, accept_sparse="csr", dtype="numeric")
    cell_of_centroid = np.searchsorted(classes, np.asarray(y_centroids))
    if stratified:  # the cell: class code * groups + group code
        code_of = {group: code for code, group in enumerate(groups)}
        cell_of_row = cell_of_row * len(groups) + codes
        cell_of_centroid = cell_of_centroid * len(groups) + np.array(
            [code_of[group] for group in prototypes.groups_distilled_])
    chosen = []
    for cell in dict.fromkeys(cell_of_centroid):  # the nearest real row of its cell (class)
        candidates = np.flatnonzero((cell_of_row == cell) & usable)
        chosen.append(candidates[pairwise_distances_argmin(
            centroids[cell_of_centroid == cell], values[candidates])])
    return np.concatenate(chosen)


# points drawn between the nearest rows ("boxes", "mixup"): enough for a tree or an MLP to learn
# the teacher between the rows (docs/benchmarks.md, "Teacher labels in the boxes two rows span")
POINTS_BETWEEN = 1000


def _points_between(rows, n_points, random_state, per_feature=False):
    """``rows`` and ``n_points`` points between them: each between two rows picked at
    random, on their segment at a uniform random place or (``per_feature``) in the box
    they span, at a uniform random place per feature where either row is nonzero (from
    ``random_state``). An array, or a CSR matrix for sparse ``rows``: the same points."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    first, second = rng.integers(rows.shape[0], size=(2, n_points))
    dtype = rows.dtype if np.issubdtype(rows.dtype, np.floating) else np.float64
    one, other = rows[first], rows[second]
    if not per_feature:
        share = rng.random(n_points)
        between = (sparse.diags(share) @ one + sparse.diags(1 - share) @ other
                   if sparse.issparse(rows) else
                   share[:, None] * one + (1 - share[:, None]) * other)
    elif sparse.issparse(rows):
        # a share per nonzero of either row, in row-major order as for an array
        share = (abs(one) + abs(other)).tocsr()
        share.eliminate_zeros()
        share.sort_indices()
        share.data = rng.random(share.nnz)
        between = other + share.multiply(one - other)
    else:
        share = np.zeros(one.shape)
        either = (one != 0) | (other != 0)  # where both are zero, so is every point
        share[either] = rng.random(np.count_nonzero(either))
        between = share * one + (1 - share) * other
    if sparse.issparse(rows):
        return sparse.vstack([rows, between], format="csr").astype(dtype)
    return np.vstack([rows, between]).astype(dtype, copy=False)


# a tree of as many leaves as a compact set has rows needs no more rows than this to place its
# splits; above it a random draw of this many keeps 10^6 rows to seconds
LEAF_TREE_ROWS = 100_000


def _leaf_rows(teacher, n_leaves, values, codes, usable, weight, random_state):
    """One row per leaf of a regression tree fitted to the teacher's probabilities.

    The tree has ``n_leaves`` leaves (the set's rows) and weighs every group alike. A
    leaf's row takes the median of the leaf's real rows on the features its path
    splits on, and the data's median on every other feature: a tree trained on these
    rows can split only where the fitted tree did, where on real rows it would find
    many splits that part a few rows equally well (``docs/benchmarks.md``, "Leaf rows
    for trees"). Medians are the lower ones, so every value is one the data takes. Above
    ``LEAF_TREE_ROWS`` usable rows, the tree and the medians see a random draw of that
    many (from ``random_state``).
    """
    kept = np.flatnonzero(usable)
    if len(kept) > LEAF_TREE_ROWS:
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        kept = np.sort(np.random.default_rng(seed).choice(kept, LEAF_TREE_ROWS, replace=False))
    values = values[kept]
    weights = np.ones(len(kept)) if weight is None else np.asarray(weight, float)[kept]
    if codes is not None:  # every group the same total weight
        of_row = codes[kept]
        weights = weights / np.bincount(of_row, weights=weights)[of_row]
    # random_state only breaks ties between equal splits: the same on every fit
    tree = DecisionTreeRegressor(max_leaf_nodes=max(n_leaves, 2), random_state=0)
    tree.fit(values, teacher.predict_proba(values), sample_weight=weights)
    leaf_of_row, structure = tree.apply(values), tree.tree_
    columns = sparse.csc_matrix(values) if sparse.issparse(values) else values

    def median(column, members=slice(None)):
        data = columns[members, column]
        data = data.toarray().ravel() if sparse.issparse(data) else data
        return np.quantile(data, 0.5, method="lower")

    base = np.array([median(column) for column in range(values.shape[1])])
    rows, stack = [], [(0, ())]
    while stack:  # depth first, left before right: the leaves in a fixed order
        node, path = stack.pop()
        left, right = structure.children_left[node], structure.children_right[node]
        if left == -1:
            members = leaf_of_row == node
            row = base.copy()
            for column in dict.fromkeys(path):
                row[column] = median(column, members)
            rows.append(row)
        else:
            path = path + (structure.feature[node],)
            stack.extend([(right, path), (left, path)])
    return np.array(rows)


def _stratifiable(distiller, class_codes, group_codes, usable):
    """Whether ``stratify_groups=True`` can run: it distils every group on its own, so each
    group needs rows of two classes, and each class a synthetic row for each of its groups.
    Otherwise (small intersectional groups, say) the prototypes are the class's
    group-balanced k-means centroids and a row is chosen among the class's rows."""
    present = np.zeros((class_codes.max() + 1, group_codes.max() + 1), dtype=bool)
    present[class_codes[usable], group_codes[usable]] = True  # the (class, group) cells
    rows_per_class = np.unique(distiller.y_distilled_, return_counts=True)[1]
    classes_per_group = present.sum(axis=0)[present.any(axis=0)]
    return bool((classes_per_group >= 2).all()
                and (present.sum(axis=1) <= rows_per_class).all())
