"""What the estimators say when they are used in a way that cannot work, or warn once.

Groups that did not arrive, an estimator that is not a classifier, a sampler put where
scikit-learn expects a transformer, and the per-class "fewer rows than asked for"
warnings said once for every class.
"""

import re
import sys
import warnings

from .._checks import warn

_GROUP_ALIGNMENTS = ("barycenter", "groupwise")


def needs_groups(alignment, stratify_groups):
    """Whether a fit with these settings is meaningless without ``sensitive_features``."""
    return alignment in _GROUP_ALIGNMENTS or stratify_groups is True


def _why_groups(params):
    if params.alignment in _GROUP_ALIGNMENTS and params.matching == "model":
        return ("matching='model' weighs a fairness term over the groups of the sensitive "
                f"features (alignment={params.alignment!r})")
    if params.alignment in _GROUP_ALIGNMENTS:
        return f"alignment={params.alignment!r} aligns the groups of the sensitive features"
    return "stratify_groups=True gives every group of the sensitive features rows of its own"


def _without_groups(params):
    """The setting that needs no groups, and what it gives up."""
    if params.matching == "model":
        return "For model matching on accuracy alone, without the fairness term, set " \
            "alignment='none'."
    return "For vanilla distillation, set alignment='none'" + (
        " and stratify_groups=False." if params.stratify_groups is True else ".")


def missing_groups_error(params, method):
    """The error of ``FairDistiller.<method>`` called without ``sensitive_features``.

    ``params``: the fit's settings, or the distiller (``alignment``, ``stratify_groups``,
    ``matching``).
    """
    return ValueError(
        f"sensitive_features is None, but {_why_groups(params)}: "
        f"pass the group of every row, {method}(X, y, sensitive_features=A). In an "
        "imbalanced-learn Pipeline, pipe.fit(X, y, distill__sensitive_features=A) does "
        "not reach fit_resample: turn on metadata routing instead, "
        "sklearn.set_config(enable_metadata_routing=True), request the groups with "
        "FairDistiller(...).set_fit_resample_request(sensitive_features=True) and call "
        f"pipe.fit(X, y, sensitive_features=A). {_without_groups(params)}"
    )


def check_classifier(estimator):
    """Refuse an ``estimator`` of DistilledClassifier that is not a classifier, saying why."""
    from sklearn.base import is_classifier, is_regressor

    if not hasattr(estimator, "fit"):
        raise TypeError(
            f"estimator must be a scikit-learn classifier with a fit method; got {estimator!r}.")
    if not is_classifier(estimator):
        raise TypeError(
            f"estimator must be a classifier (the distilled set has class labels); got "
            f"{type(estimator).__name__}, which scikit-learn does not tag as one "
            f"(is_classifier is False{', it is a regressor' if is_regressor(estimator) else ''}"
            "). Use a classifier such as LogisticRegression, or a Pipeline ending in one; a "
            "classifier of your own should inherit sklearn.base.ClassifierMixin.")


def missing_groups_error_of_classifier(distiller):
    """The error of ``DistilledClassifier.fit`` without ``sensitive_features``."""
    return ValueError(
        f"sensitive_features is None, but the distiller's "
        f"{_why_groups(distiller)}: pass the group of every row, "
        "fit(X, y, sensitive_features=A). In a scikit-learn Pipeline, "
        "pipe.fit(X, y, <step>__sensitive_features=A), or with metadata routing "
        "(sklearn.set_config(enable_metadata_routing=True)) "
        "DistilledClassifier(...).set_fit_request(sensitive_features=True) and "
        "pipe.fit(X, y, sensitive_features=A). A fairlearn mitigator (ThresholdOptimizer, "
        "ExponentiatedGradient) does not pass sensitive_features to its estimator: fit "
        "the DistilledClassifier with them first and give it to "
        "ThresholdOptimizer(..., prefit=True), or leave the fairness to the mitigator "
        "with distiller=FairDistiller(alignment='none')."
    )


def _not_a_transformer(name):
    """Why FairDistiller has no ``transform`` / ``fit_transform``, and what to use."""
    return (
        f"FairDistiller has no {name}: it changes the number of rows, which scikit-learn "
        "transformers may not, so it cannot be a step of a scikit-learn Pipeline "
        "(nor of a FeatureUnion or ColumnTransformer). Use fit_resample(X, y, "
        "sensitive_features=...) for the synthetic set, imblearn.pipeline.Pipeline "
        "to put it in a pipeline, or skfairdistill.DistilledClassifier(estimator, "
        "distiller=FairDistiller(...)) inside a scikit-learn Pipeline."
    )


# scikit-learn's checks that a step is a transformer: hasattr(step, "transform") in these
_STEP_CHECKS = ("_validate_steps", "_validate_transformers")


def _is_sklearn_step_check(frame):
    """Whether ``frame`` is scikit-learn checking that a step is a transformer.

    There ``hasattr`` turns an ``AttributeError`` into scikit-learn's generic "All
    intermediate steps should be transformers"; a ``TypeError`` (the type that check
    raises) carries our message through instead. imbalanced-learn's own Pipeline
    (module ``imblearn.pipeline``) is not matched: a sampler belongs there.
    """
    module = (frame.f_globals.get("__name__") or "") if frame is not None else ""
    return module.startswith("sklearn.") and frame.f_code.co_name in _STEP_CHECKS


def missing_attribute(obj, name):
    """The exception of ``obj.<name>`` for an attribute ``obj`` lacks (its ``__getattr__``).

    The vocabulary of transformers gets a message that says what to use instead.
    """
    if name not in ("transform", "fit_transform"):
        return AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
    try:
        caller = sys._getframe(2)  # 0: here, 1: __getattr__, 2: who asked
    except (AttributeError, ValueError):  # an interpreter without frames
        caller = None
    if _is_sklearn_step_check(caller):
        return TypeError(_not_a_transformer(name))
    return AttributeError(_not_a_transformer(name))


_SMALL_CLASS = re.compile(r"^Class (.+) has (\d+) rows but (\d+) synthetic rows were asked for")


class one_warning_for_small_classes:  # noqa: N801 (used as a context manager, like a function)
    """Say the block's per-class "fewer rows than asked for" warnings once, for every class.

    A target with many small classes would otherwise warn once per class. One small
    class keeps its own message; every other warning is said again as it was. (A class,
    not ``contextlib.contextmanager``: the warnings must point past this package, and
    contextlib's frames are outside it.)
    """

    def __init__(self, limit=10):
        self._limit = limit
        self._catcher = warnings.catch_warnings(record=True)

    def __enter__(self):
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        self._catcher.__exit__(*exc_info)
        if exc_info[0] is None:
            _say_once(self._caught, self._limit)
        return False


def _say_once(caught, limit):
    small = [match for w in caught if (match := _SMALL_CLASS.match(str(w.message)))]
    if len(small) < 2:
        for w in caught:
            warn(str(w.message), w.category)
        return
    listed = ", ".join(f"{m[1]} ({m[2]} row{'' if m[2] == '1' else 's'}, {m[3]} asked)"
                       for m in small[:limit])
    more = f" and {len(small) - limit} more" if len(small) > limit else ""
    remedy = str(small[0].string)[small[0].end():].lstrip("; ")  # the loop's own words
    warn(
        f"{len(small)} classes have fewer rows than the synthetic rows asked for: "
        f"{listed}{more}; for each, {remedy} Ask for fewer rows of these classes with a "
        "dict n_per_class, or merge small classes.",
        UserWarning,
    )
    for w in caught:
        if not _SMALL_CLASS.match(str(w.message)):
            warn(str(w.message), w.category)
