"""Teacher labels: real rows labelled by the model that a model-matched set trains.

A model-matched set (``FairDistiller(matching="model")``) is optimised for the logistic
regression trained on it, which is accurate and fair on real rows. Where the classes
overlap, the set carries the overlap as rows of both classes side by side; a logistic
regression averages them, but an MLP or a tree fits every row and learns the overlap as
structure (on ProPublica's recidivism table an MLP lost 8-12 points of accuracy that way,
``docs/benchmarks.md``). With teacher labels the estimator learns the logistic regression
(the teacher) instead: it is trained on real rows that stand for the data, each present
once per class and weighted by the teacher's probability of that class, so that the best
fit of every row is the teacher's prediction, not a label to memorise.

The rows: per class, the real row of the same group nearest to each k-means centroid
(``FairDistiller(matching="kmeans", stratify_groups=True)`` with the distiller's budget,
alignment and ``random_state``: as many rows per group of a class), so ``n_per_class``
real rows a class, every value one the data takes.
"""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_array

from .._data.groups import encode_groups


def teacher_labelled_rows(distiller, X, y, X_syn, y_syn, params):
    """Real rows, each once per class, and the teacher's probabilities as their weights.

    Parameters
    ----------
    distiller : FairDistiller
        The fitted model-matching distiller that produced ``X_syn, y_syn``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The real training rows (any container ``_safe_indexing`` takes).
    y : ndarray of shape (n_samples,)
        Their class labels (1-D).
    X_syn, y_syn : the model-matched set.
    params : dict
        ``sensitive_features`` and ``sample_weight`` as given to the distiller.

    Returns
    -------
    X_rows : container of ``X`` of shape (n_rows * n_classes, n_features)
        The chosen real rows, tiled once per class.
    y_rows : ndarray of shape (n_rows * n_classes,)
        Every class in turn for the tiled rows.
    weights : ndarray of shape (n_rows * n_classes,)
        The teacher's probability of the row's class.
    teacher : LogisticRegression
        The logistic regression fitted on the model-matched set.
    """
    C = (distiller.matching_params or {}).get("C", 1.0)
    # the model the loop optimised the set for: scikit-learn's logistic regression at C
    teacher = LogisticRegression(C=C, max_iter=1000).fit(X_syn, y_syn)
    sensitive = params.get("sensitive_features")
    # as many prototypes per group of a class: the chosen rows represent every group
    prototypes = clone(distiller).set_params(matching="kmeans", matching_params=None,
                                             stratify_groups=sensitive is not None,
                                             verbose=0)
    X_centroids, y_centroids = prototypes.fit_resample(X, y, **params)
    values = check_array(X, accept_sparse="csr", dtype="numeric")
    centroids = check_array(X_centroids, accept_sparse="csr", dtype="numeric")
    cell_of_row, cell_of_centroid = np.asarray(y, dtype=object), np.asarray(y_centroids,
                                                                            dtype=object)
    if sensitive is not None:  # the cell: (class, group code)
        codes, groups = encode_groups(sensitive, len(y))
        code_of = {group: code for code, group in enumerate(groups)}
        cell_of_row = list(zip(cell_of_row, codes))
        cell_of_centroid = list(zip(cell_of_centroid,
                                    (code_of[g] for g in prototypes.groups_distilled_)))
    weight = params.get("sample_weight")
    usable = np.ones(len(y), dtype=bool) if weight is None else np.asarray(weight) > 0
    rows_of_cell = {}
    for row, cell in enumerate(cell_of_row):
        if usable[row]:
            rows_of_cell.setdefault(cell, []).append(row)
    chosen = []
    for cell in dict.fromkeys(cell_of_centroid):  # the nearest real row of the same cell
        candidates = np.asarray(rows_of_cell[cell])
        mine = np.array([c == cell for c in cell_of_centroid])
        chosen.append(candidates[pairwise_distances_argmin(centroids[mine],
                                                           values[candidates])])
    chosen = np.concatenate(chosen)
    proba = teacher.predict_proba(_safe_indexing(X, chosen))
    X_rows = _safe_indexing(X, np.tile(chosen, len(teacher.classes_)))
    y_rows = np.repeat(teacher.classes_, len(chosen))
    return X_rows, y_rows, proba.T.ravel(), teacher
