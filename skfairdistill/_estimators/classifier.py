"""DistilledClassifier: distil a fair synthetic set, then fit a classifier on it."""

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter

from .._checks import check_memory_map, check_rows
from .blend import blend_if_more_accurate
from .distiller import FairDistiller
from .messages import check_classifier, missing_groups_error_of_classifier, needs_groups
from .prior import class_prior_weights
from .teacher import check_teacher, is_mlp, teacher_and_rows, teacher_suits
from .tree_models import boosts_trees, grows_trees, readable_for_trees

# class_prior -> the power of class_prior_weights (None: the synthetic set's own prior);
# "auto": "data", but "balanced" for a model-matched set (its rows already carry the
# data's class shares) or an estimator whose fit takes no sample_weight
_CLASS_PRIORS = {"auto": None, "balanced": None, "sqrt": 0.5, "data": 1.0}
_LABELS = ("auto", "hard", "teacher", "blend")


def _labels(y):
    """1-D labels of ``y``: a one-vs-all indicator matrix (or a binary indicator column,
    as a set distilled from one comes back) gives its class indices."""
    y = np.asarray(y)
    if y.ndim != 2:
        return y
    return y.ravel() if y.shape[1] == 1 else y.argmax(axis=1)


def _estimator_has(attr):
    """Check the fitted ``estimator_`` if there is one, else the unfitted ``estimator``."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


def _refused_keyword(error, params):
    """The keyword of ``params`` that a ``TypeError`` says a call did not accept, or None."""
    message = str(error)
    if "unexpected keyword argument" not in message:
        return None
    return next((name for name in params if repr(name) in message or name in message), None)


def _is_column_vector(y):
    """True for a 2-D ``y`` of one column (array, DataFrame, nested list)."""
    shape = getattr(y, "shape", None)
    if shape is None:
        shape = np.asarray(y).shape  # lists: small enough to convert for a look
    return len(shape) == 2 and shape[1] == 1


class DistilledClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier trained on a small, fair synthetic set distilled from the data.

    ``fit`` runs ``distiller.fit_resample`` on the training rows (with their
    ``sensitive_features``) and fits a clone of ``estimator`` on the synthetic
    rows it returns; ``predict``, ``predict_proba``, ``decision_function`` and
    ``predict_log_proba`` delegate to that fitted clone. This puts fair dataset
    distillation into a plain :class:`sklearn.pipeline.Pipeline`, where a
    sampler cannot go, and lets a grid search tune the distillation budget and
    the classifier together.

    Parameters
    ----------
    estimator : classifier
        The scikit-learn classifier to train on the synthetic set. It is cloned;
        the object passed is never fitted.
    distiller : FairDistiller or sampler, default=None
        The distiller (any object with ``fit_resample(X, y, *,
        sensitive_features=None)`` works). It is cloned; None means
        ``FairDistiller()`` with its defaults. For a tree-based ``estimator``
        (scikit-learn's trees and tree ensembles, XGBoost, LightGBM, CatBoost; a
        Pipeline by its last step) a FairDistiller returns readable rows
        (``matching_params["readable_rows"]=True``: every value in its column's
        range, one category per one-hot block) unless its ``matching_params`` set
        ``"readable_rows"``: a tree's thresholds fall between the values of the rows
        it is trained on, and on the rows as optimised they can send every real row
        down one branch (:ref:`benchmarks#trees-on-a-compact-table`). The clone in
        ``distiller_`` shows the setting used. With a ``FairDistiller(matching="model")``
        such an estimator (and an MLP) gets teacher labels instead (``labels="auto"``).
    class_prior : {"auto", "balanced", "sqrt", "data"}, default="auto"
        The class prior ``estimator`` is trained with. ``"data"``: the real training
        rows' class shares, through ``sample_weight``
        (:func:`~skfairdistill.class_prior_weights`; ``estimator`` must accept it).
        ``"balanced"``: the synthetic set's own (``n_per_class`` rows of every class,
        equal by default). ``"sqrt"``: shares proportional to the square roots of the
        real ones (``power=0.5``), between the two. ``"auto"``: ``"data"``, except
        ``"balanced"`` for a set of ``FairDistiller(matching="model")`` (optimised for
        a model trained without weights) or an ``estimator`` whose ``fit`` takes no
        ``sample_weight``; the prior used is in ``class_prior_``. On tables the
        choice was not tuned on, these came closest to the full data's accuracy at or
        below its equalized-odds gap more often than the other priors
        (:ref:`guides#the-class-prior-of-a-distilled-table`); choose it for your data
        with a search and :func:`~skfairdistill.model_selection.fair_refit`.
    labels : {"auto", "hard", "teacher", "blend"}, default="auto"
        What ``estimator`` is trained on. ``"hard"``: the distilled set, its rows and
        labels. ``"teacher"`` (a ``FairDistiller(matching="model")`` only, and an
        ``estimator`` whose ``fit`` takes ``sample_weight``): rows labelled by the
        model the set trains. The set trains a logistic regression (the teacher, in
        ``teacher_``); per (class, group) cell, the cell's real row nearest to each of
        its k-means centroids is chosen (``n_per_class`` rows a class, as many per group),
        and 1,000 points in the boxes pairs of them span; each is given to ``estimator``
        once per class, weighted by the teacher's probability of that class
        (:func:`~skfairdistill.teacher_labelled_rows`). An MLP or a tree then learns the
        teacher instead of memorising a set whose classes overlap; a linear model does
        better on the set itself. ``"blend"``: the same rows, each weighted by the mean
        of the teacher's probability and that of a clone of ``estimator`` fitted on
        every training row (``full_data_estimator_``; one more fit on the full data), so
        that a tree is not capped at the linear teacher's accuracy
        (:ref:`benchmarks#teacher-labels-blended-with-the-full-datas-model`).
        ``"auto"``: ``"teacher"`` for a tree-based ``estimator`` (see
        ``distiller``) or a :class:`~sklearn.neural_network.MLPClassifier` whose ``fit``
        takes ``sample_weight``, on a set of ``FairDistiller(matching="model")`` with its
        linear inner model; ``"hard"`` otherwise. On tables the choice was not tuned on,
        teacher labels brought a gradient-boosted tree closer to the full data's accuracy
        at no larger a gap more often than the set itself; an MLP more often, but less
        fair on a table whose minority group is stretched
        (:ref:`benchmarks#teacher-labels-in-the-boxes-two-rows-span`). A gradient-boosted
        tree (scikit-learn's, XGBoost, LightGBM, CatBoost) gets blended labels instead
        where a clone of it fitted on 80% of the training rows is more accurate than the
        teacher on the other 20% by over a point and two standard errors (that clone is
        blended; on Adult it was, on synthetic tables of a linear boundary not:
        :ref:`benchmarks#teacher-labels-blended-with-the-full-datas-model`). So does an
        :class:`~sklearn.neural_network.MLPClassifier`, blended with a second clone fitted
        on the same rows with each class's groups weighed alike
        (:func:`~skfairdistill.group_balanced_weights`): where a line is not enough, that
        met the full data's accuracy at no larger a gap far more often than teacher labels
        (:ref:`benchmarks#an-mlp-blended-where-it-beats-the-teacher`). The check fits the
        estimator on 80% of the training rows (an MLP on Adult: about 25 s, where the
        distillation takes 3 s); ``labels="teacher"`` skips it. The labels used:
        ``labels_``.

    Attributes
    ----------
    distiller_ : FairDistiller
        The fitted clone of ``distiller``; the synthetic set is in its
        ``X_distilled_`` and ``y_distilled_``, the groups it saw in ``groups_``.
    estimator_ : classifier
        The clone of ``estimator`` fitted on the synthetic set.
    class_prior_ : {"balanced", "sqrt", "data"}
        The class prior ``estimator_`` was trained with (``"auto"`` resolved).
    labels_ : {"hard", "teacher", "blend"}
        What ``estimator_`` was trained on (``"auto"`` resolved).
    teacher_ : LogisticRegression or None
        With teacher (or blended) labels, the logistic regression fitted on the
        distilled set whose probabilities weigh the rows ``estimator_`` was trained on.
    full_data_estimator_ : classifier or None
        With blended labels, the clone of ``estimator`` fitted on the training rows (all
        of them, or with ``labels="auto"`` the 80% it was judged on; for an MLP with each
        class's groups weighed alike) whose probabilities are blended with the teacher's.
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    FairDistiller : The sampler that produces the synthetic set; use it directly
        in an :class:`imblearn.pipeline.Pipeline`.
    teacher_labelled_rows : The rows, labels and weights of ``labels="teacher"``.

    Notes
    -----
    Metadata routing: ``fit`` consumes ``sensitive_features`` and ``sample_weight``
    itself and hands them to its distiller, so inside a
    :class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.model_selection.GridSearchCV`
    or :func:`~sklearn.model_selection.cross_validate` (with
    ``sklearn.set_config(enable_metadata_routing=True)``) request them on this
    estimator with ``set_fit_request(sensitive_features=True, sample_weight=True)``.
    A request set on the inner ``distiller`` is not needed and not consulted. Nothing
    is routed to ``estimator.fit``: it is trained on synthetic rows, to which per-row
    metadata of the real rows (such as ``sample_weight``) does not apply;
    ``class_prior="data"`` or ``"sqrt"`` gives it weights of its own, per synthetic row.

    Without ``sensitive_features`` a FairDistiller that aligns groups (every
    ``alignment`` but ``"none"``, or ``stratify_groups=True``) cannot do its work:
    ``fit`` raises a ValueError that says how to pass them. fairlearn's mitigators
    do not pass them to their estimator: ``ExponentiatedGradient`` takes a
    DistilledClassifier whose distiller has ``alignment="none"`` (the mitigator's
    ``sample_weight`` reweighs the distillation), and ``ThresholdOptimizer`` one fitted
    with the groups and ``prefit=True``. Both recipes:
    :ref:`guides#fairlearns-mitigators`.

    Ctrl-C during the distillation raises
    :class:`~skfairdistill.DistillationInterrupted` and leaves the estimator as it
    was: a script or a grid search stops instead of going on with a set cut short.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairdistill import DistilledClassifier, FairDistiller
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> group = rng.choice(["a", "b"], size=200, p=[0.8, 0.2])
    >>> clf = DistilledClassifier(
    ...     LogisticRegression(),
    ...     distiller=FairDistiller(n_per_class=5, n_iter=20, random_state=0),
    ... )
    >>> clf.fit(X, y, sensitive_features=group).distiller_.X_distilled_.shape
    (10, 3)
    >>> clf.predict(X[:4]).shape, clf.predict_proba(X[:4]).shape
    ((4,), (4, 2))
    """

    def __init__(self, estimator, *, distiller=None, class_prior="auto", labels="auto"):
        self.estimator = estimator
        self.distiller = distiller
        self.class_prior = class_prior
        self.labels = labels

    def fit(self, X, y, *, sensitive_features=None, sample_weight=None):
        """Distil ``X``, ``y`` into a synthetic set and fit ``estimator`` on it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training rows: array, DataFrame or SciPy sparse matrix.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns), \
                default=None
            Group membership of every row, passed to the distiller; several
            columns are combined into intersectional groups. Required unless the
            distiller runs vanilla distillation (``alignment="none"``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every real row, passed to the distiller (a row of
            weight ``w`` counts ``w`` times in the distillation; a distiller other than
            FairDistiller must accept it) and to the class shares of
            ``class_prior="data"`` or ``"sqrt"``. It is not passed to
            ``estimator.fit``: the estimator is trained on the synthetic rows, which
            are fewer and carry no weights of their own. fairlearn's
            ``ExponentiatedGradient`` trains its estimator this way.

        Returns
        -------
        self : DistilledClassifier
            The fitted meta-estimator.
        """
        distiller = self._make_distiller()
        check_classifier(self.estimator)
        if not isinstance(self.class_prior, str) or self.class_prior not in _CLASS_PRIORS:
            raise ValueError(
                f"class_prior must be one of {list(_CLASS_PRIORS)}; got {self.class_prior!r}."
            )
        if not isinstance(self.labels, str) or self.labels not in _LABELS:
            raise ValueError(f"labels must be one of {list(_LABELS)}; got {self.labels!r}.")
        labels = self.labels
        if labels in ("teacher", "blend"):
            check_teacher(distiller, self.estimator, y, labels)
        elif labels == "auto":
            labels = "teacher" if teacher_suits(distiller, self.estimator, y) else "hard"
        class_prior = self.class_prior
        if class_prior == "auto":
            model_matched = getattr(distiller, "matching", None) == "model"
            weighted = has_fit_parameter(self.estimator, "sample_weight")
            class_prior = "data" if weighted and not model_matched else "balanced"
        power = _CLASS_PRIORS[class_prior]
        if power is not None and not has_fit_parameter(self.estimator, "sample_weight"):
            raise TypeError(
                f"class_prior={self.class_prior!r} trains estimator with sample_weight, which "
                f"{type(self.estimator).__name__}.fit does not accept. Use "
                'class_prior="balanced", or a classifier whose fit takes sample_weight.'
            )
        # the teacher is fitted on the set: its rows stay as optimised for it
        if (grows_trees(self.estimator) and isinstance(distiller, FairDistiller)
                and labels == "hard"):
            distiller = readable_for_trees(distiller)
        if (sensitive_features is None and isinstance(distiller, FairDistiller)
                and needs_groups(distiller.alignment, distiller.stratify_groups)):
            raise missing_groups_error_of_classifier(distiller)
        if _is_column_vector(y):
            # A column vector: warn (DataConversionWarning) like every scikit-learn
            # classifier, then ravel; the distiller alone ravels it without a word.
            y = column_or_1d(y, warn=True)
        # Pass metadata only when given: any imbalanced-learn sampler works too
        params = {name: value for name, value in (("sensitive_features", sensitive_features),
                                                  ("sample_weight", sample_weight))
                  if value is not None}
        try:
            X_syn, y_syn = distiller.fit_resample(X, y, **params)
        except TypeError as error:
            refused = _refused_keyword(error, params)
            if refused is None or isinstance(distiller, FairDistiller):
                raise
            raise TypeError(
                f"distiller={type(distiller).__name__}(...) does not take {refused} "
                f"({error}). Use a FairDistiller (or a sampler whose fit_resample accepts "
                f"{refused}), or leave {refused} out.") from None
        teacher, weights, full_data_estimator = None, None, None
        if labels == "blend":  # the estimator on every real row, as weighted for the distiller
            full_data_estimator = clone(self.estimator).fit(X, y, **(
                {} if sample_weight is None else {"sample_weight": sample_weight}))
        elif labels == "teacher" and self.labels == "auto" and (
                boosts_trees(self.estimator) or is_mlp(self.estimator)):
            # blended where the model clearly beats the teacher on held-out rows; an MLP with
            # its clone fitted with the groups balanced (fairer, as measured; a tree less accurate)
            full_data_estimator = blend_if_more_accurate(
                distiller, self.estimator, X, y, sample_weight=sample_weight,
                sensitive_features=sensitive_features if is_mlp(self.estimator) else None)
            labels = "teacher" if full_data_estimator is None else "blend"
        if labels != "hard":
            X_syn, y_syn, weights, teacher = teacher_and_rows(
                distiller, X, np.asarray(y), params, blend_with=full_data_estimator)
        if power is not None:
            prior = class_prior_weights(_labels(y), _labels(y_syn), power=power,
                                        sample_weight=sample_weight)
            weights = prior if weights is None else weights * prior
        fit_params = {} if weights is None else {"sample_weight": weights}
        estimator = clone(self.estimator).fit(X_syn, y_syn, **fit_params)

        self.distiller_ = distiller
        self.estimator_ = estimator
        self.class_prior_ = class_prior
        self.labels_, self.teacher_ = labels, teacher
        self.full_data_estimator_ = full_data_estimator
        # from the distiller where it has them: any imbalanced-learn sampler works too
        self.classes_ = getattr(distiller, "classes_", getattr(estimator, "classes_", None))
        self.n_features_in_ = getattr(distiller, "n_features_in_", None) or estimator.n_features_in_
        if hasattr(distiller, "feature_names_in_"):
            self.feature_names_in_ = distiller.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # left over from an earlier fit on a DataFrame
        return self

    def _make_distiller(self):
        """A fresh, unfitted clone of ``distiller`` (or the default FairDistiller)."""
        if self.distiller is None:
            return FairDistiller()
        if not hasattr(self.distiller, "fit_resample"):
            raise TypeError(
                "distiller must be a FairDistiller (or a sampler with a fit_resample "
                f"method) or None; got {self.distiller!r}."
            )
        return clone(self.distiller)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict class labels with the classifier fitted on the synthetic set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        X = self._check_rows(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the classifier fitted on the synthetic set.

        Only available when ``estimator`` has ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        X = self._check_rows(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the classifier fitted on the synthetic set.

        Only available when ``estimator`` has ``predict_log_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities, columns in the order of ``classes_``.
        """
        X = self._check_rows(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision scores from the classifier fitted on the synthetic set.

        Only available when ``estimator`` has ``decision_function``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision scores as returned by ``estimator_.decision_function``.
        """
        X = self._check_rows(X)
        return self.estimator_.decision_function(X)

    def _check_rows(self, X):
        """``X`` of predict and the like, checked so that every error names it; returned as given.

        A memory map cut short is refused before it is read (it would kill the process);
        the fitted estimator then gets ``X`` in its own container (feature names kept).
        """
        check_memory_map("X", X)
        check_is_fitted(self)
        if issparse(X):  # any format (a DOK matrix is a dict): the estimator reads it
            return X
        # FairDistiller reads finite numbers only (images: n-D), so a model trained on its
        # rows is refused NaN and inf as the fit is (a tree would take them); another
        # sampler may pass objects and missing values
        numeric = isinstance(self.distiller_, FairDistiller)
        images = getattr(self.distiller_, "image_shape_", None) is not None
        check_rows("X", X, accept_sparse=True, dtype="numeric" if numeric else None,
                   ensure_all_finite=numeric, allow_nd=images)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The distiller reads sparse X (its estimator then predicts on it) and rejects NaN.
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        return tags
