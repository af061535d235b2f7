"""Model selection helpers: a search over distillation settings, chosen fairly and read as a table."""

import numbers

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.metrics import get_scorer
from sklearn.utils.validation import check_is_fitted

__all__ = ["budget_search_table", "fair_refit"]


def fair_refit(max_gap, *, score="accuracy", gap="deo_max"):
    """A ``refit`` rule for a search: the best score among candidates fair enough.

    Give it to ``GridSearchCV(..., scoring={score: ..., gap: ...}, refit=fair_refit(b))``:
    of the candidates whose mean ``gap`` over the folds is at most ``max_gap``, the
    search keeps the one with the best mean ``score``; when no candidate is that fair,
    the one with the smallest gap (ties: the better score). With ``max_gap`` set to the
    full data's gap (a cross-validation of the model on all the rows, as in the
    example), this is the criterion of a user who wants a compact set no less fair
    than the full data and as accurate as it allows. The gap is read as its absolute
    value, so a scorer of :func:`~skfairdistill.metrics.make_fairness_scorer` (which
    returns minus the gap) and a plain metric both work.

    Choosing ``DistilledClassifier``'s class prior this way:
    :ref:`guides#the-class-prior-of-a-distilled-table`.

    Parameters
    ----------
    max_gap : float
        The largest acceptable mean gap, ``>= 0``.
    score : str, default="accuracy"
        The key of ``scoring`` whose mean test score is maximised.
    gap : str, default="deo_max"
        The key of ``scoring`` of the fairness gap.

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> int``, the index of the chosen candidate.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV, cross_validate
    >>> from skfairdistill import DistilledClassifier, FairDistiller
    >>> from skfairdistill.metrics import make_fairness_scorer
    >>> from skfairdistill.model_selection import fair_refit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> group = rng.choice(["a", "b"], size=400, p=[0.7, 0.3])
    >>> y = (X[:, 0] + (group == "b") > 1.0).astype(int)  # imbalanced classes
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scoring = {"accuracy": "accuracy",
    ...                "deo_max": make_fairness_scorer("deo_max")
    ...                           .set_score_request(sensitive_features=True)}
    ...     full = cross_validate(LogisticRegression(), X, y, scoring=scoring, cv=2,
    ...                           params={"sensitive_features": group})
    ...     full_gap = -full["test_deo_max"].mean()
    ...     clf = DistilledClassifier(
    ...         LogisticRegression(), distiller=FairDistiller(n_iter=20, random_state=0)
    ...     ).set_fit_request(sensitive_features=True)
    ...     search = GridSearchCV(clf, {"class_prior": ["balanced", "sqrt", "data"]},
    ...                           scoring=scoring, refit=fair_refit(full_gap), cv=2)
    ...     search = search.fit(X, y, sensitive_features=group)
    >>> search.best_params_["class_prior"] in ("balanced", "sqrt", "data")
    True
    """
    if (isinstance(max_gap, bool) or not isinstance(max_gap, numbers.Real)
            or not np.isfinite(max_gap) or max_gap < 0):
        raise ValueError(f"max_gap must be a finite number >= 0; got {max_gap!r}.")
    for name, value in (("score", score), ("gap", gap)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be the name of a scoring key; got {value!r}.")

    def refit(cv_results):
        for key in (score, gap):
            if f"mean_test_{key}" not in cv_results:
                raise ValueError(
                    f"fair_refit needs the scoring keys {score!r} and {gap!r}; the search "
                    f"has {_metrics(cv_results)}. Pass scoring={{{score!r}: ..., "
                    f"{gap!r}: ...}}.")
        scores = np.asarray(cv_results[f"mean_test_{score}"], dtype=float)
        gaps = np.abs(np.asarray(cv_results[f"mean_test_{gap}"], dtype=float))
        if not np.isfinite(scores).any() or not np.isfinite(gaps).any():
            raise ValueError("fair_refit: every candidate failed (no finite score or gap).")
        return most_accurate_within(scores, gaps, max_gap)

    return refit


def most_accurate_within(scores, gaps, max_gap):
    """Index of the best score among the gaps at most ``max_gap``; when there is none, of
    the smallest gap (ties: the better score). NaN scores and gaps are never chosen
    while another candidate is finite. The rule of :func:`fair_refit`, and of model
    matching's ``fairness_weight="auto"``."""
    scores, gaps = np.asarray(scores, dtype=float), np.asarray(gaps, dtype=float)
    fair = gaps <= max_gap
    if fair.any():
        return int(np.nanargmax(np.where(fair, scores, -np.inf)))
    fairest = gaps == np.nanmin(gaps)
    return int(np.nanargmax(np.where(fairest, scores, -np.inf)))


def budget_search_table(search, *, param=None, flip=None):
    """A tidy table of a fitted grid or randomized search over the distillation budget.

    One row per parameter combination of the search, sorted by budget, with the
    mean and standard deviation over the cross-validation folds of every metric.
    Scores of metrics where lower is better come out of scikit-learn's scorers
    negated (``make_scorer(..., greater_is_better=False)``, ``"neg_..."``
    scorers); they are turned back into the metric itself, so that ``deo_max``
    is the (positive) DEO_M gap.

    The grid search it summarises: :ref:`guides#grid-search-over-distillation-budgets`.

    Parameters
    ----------
    search : GridSearchCV or RandomizedSearchCV
        A fitted search whose parameter grid contains a parameter ending in
        ``n_per_class`` (e.g. ``"distill__n_per_class"`` for a pipeline step
        named ``distill``). Single- or multi-metric ``scoring``.
    param : str, default=None
        The budget parameter; None takes the one parameter of the search whose
        name ends in ``n_per_class``.
    flip : list of str, default=None
        Names of the metrics (keys of ``scoring``) whose sign to flip. None
        flips those whose scorer was built with ``greater_is_better=False``
        (such as :func:`skfairdistill.metrics.make_fairness_scorer` for the
        gaps) and the ``"neg_..."`` scorers of scikit-learn, whose columns
        then lose the ``neg_`` prefix. ``[]`` flips none.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``budget``; the other parameters of the search (by their full
        name, e.g. ``clf__C``) when there are any; ``mean_<metric>`` and
        ``std_<metric>`` for every metric (``score`` for a single metric);
        ``rank_<metric>``; ``mean_fit_time`` (seconds, distillation included).
        It can be passed to :func:`skfairdistill.plotting.plot_budget_curve`.

    See Also
    --------
    skfairdistill.metrics.make_fairness_scorer : The fairness scorers.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from imblearn.pipeline import Pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skfairdistill import FairDistiller
    >>> from skfairdistill.metrics import make_fairness_scorer
    >>> from skfairdistill.model_selection import budget_search_table
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> group = rng.choice(["a", "b"], size=200, p=[0.7, 0.3])
    >>> y = (X[:, 0] + (group == "b") > 0.5).astype(int)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     pipe = Pipeline([
    ...         ("distill", FairDistiller(n_iter=10, random_state=0)
    ...                     .set_fit_resample_request(sensitive_features=True)),
    ...         ("clf", LogisticRegression())])
    ...     scoring = {"accuracy": "accuracy",
    ...                "deo_max": make_fairness_scorer("deo_max")
    ...                           .set_score_request(sensitive_features=True)}
    ...     search = GridSearchCV(pipe, {"distill__n_per_class": [2, 5]},
    ...                           scoring=scoring, refit="accuracy", cv=2)
    ...     search = search.fit(X, y, sensitive_features=group)
    >>> table = budget_search_table(search)
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['budget', 'mean_accuracy', 'std_accuracy', 'rank_accuracy',
     'mean_deo_max', 'std_deo_max', 'rank_deo_max', 'mean_fit_time']
    >>> table["budget"].tolist(), bool((table["mean_deo_max"] >= 0).all())
    ([2, 5], True)
    """
    _check_search(search)
    results = search.cv_results_
    params = [key[len("param_"):] for key in results if key.startswith("param_")]
    param = _budget_param(params, param)
    metrics = _metrics(results)
    flipped = _flipped(search, metrics, flip)

    table = {"budget": _plain(results[f"param_{param}"])}
    for other in params:
        if other != param:
            table[other] = _plain(results[f"param_{other}"])
    for metric in metrics:
        name = metric[len("neg_"):] if metric in flipped and metric.startswith("neg_") else metric
        sign = -1.0 if metric in flipped else 1.0
        table[f"mean_{name}"] = sign * np.asarray(results[f"mean_test_{metric}"], dtype=float)
        table[f"std_{name}"] = np.asarray(results[f"std_test_{metric}"], dtype=float)
        table[f"rank_{name}"] = np.asarray(results[f"rank_test_{metric}"])
    table["mean_fit_time"] = np.asarray(results["mean_fit_time"], dtype=float)

    frame = pd.DataFrame(table)
    sort_by = ["budget"] + [other for other in params if other != param]
    try:
        frame = frame.sort_values(sort_by, kind="stable")
    except TypeError:  # unorderable values (e.g. dict budgets): keep the search's order
        pass
    return frame.reset_index(drop=True)


def _check_search(search):
    """A fitted search, or an error that names ``search`` and says what to pass."""
    if not (hasattr(search, "fit") and hasattr(search, "get_params")):
        raise TypeError(
            "search must be a fitted GridSearchCV or RandomizedSearchCV; got "
            f"{'None' if search is None else type(search).__name__}.")
    try:
        check_is_fitted(search, "cv_results_")
    except NotFittedError:
        raise NotFittedError(
            f"search ({type(search).__name__}) has no cv_results_: pass a GridSearchCV or "
            "RandomizedSearchCV after its fit(...).") from None


def _budget_param(params, param):
    """The name of the budget parameter among the search's ``params``."""
    if param is not None:
        if not isinstance(param, str) or param not in params:
            raise ValueError(f"param {param!r} is not a parameter of the search; got {params}.")
        return param
    candidates = [name for name in params if name.endswith("n_per_class")]
    if len(candidates) != 1:
        raise ValueError(
            "budget_search_table needs exactly one searched parameter ending in 'n_per_class' "
            f"(or pass param=); the search has {params}."
        )
    return candidates[0]


def _metrics(results):
    """The metric names of ``cv_results_``: the scoring keys, or ``"score"``."""
    if "mean_test_score" in results:
        return ["score"]
    return [key[len("mean_test_"):] for key in results if key.startswith("mean_test_")]


def _flipped(search, metrics, flip):
    """The metrics whose scores are negated metric values."""
    if flip is not None:
        if isinstance(flip, str):
            flip = [flip]
        if isinstance(flip, (dict, set)) or not np.iterable(flip):
            raise TypeError(f"flip must be a list of metric names or None; got {flip!r}.")
        unknown = [name for name in flip if not isinstance(name, str) or name not in metrics]
        if unknown:
            raise ValueError(f"flip names unknown metrics {unknown}; the metrics are {metrics}.")
        return set(flip)
    scoring = search.scoring
    if not isinstance(scoring, dict):
        scoring = {"score": scoring}
    return {name for name in metrics if _sign(scoring.get(name)) < 0}


def _sign(scoring):
    """-1 for a scorer of a lower-is-better metric (greater_is_better=False), else 1."""
    if scoring is None:
        return 1
    if isinstance(scoring, str):
        if scoring.startswith("neg_"):
            return -1
        try:
            scoring = get_scorer(scoring)
        except ValueError:
            return 1
    # Scorers from sklearn.metrics.make_scorer keep greater_is_better as the sign they
    # apply to the metric; other callables are taken as already greater-is-better.
    sign = getattr(scoring, "_sign", 1)
    return sign if isinstance(sign, numbers.Real) else 1


def _plain(values):
    """A masked parameter column as a plain array (ints stay ints)."""
    values = np.ma.getdata(values)
    integers = [
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values.tolist()
    ]
    if values.dtype == object and len(values) and all(integers):
        return values.astype(np.int64)
    return values
