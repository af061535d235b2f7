"""scikit-learn's and imbalanced-learn's API conformance checks on the public estimators:
FairDistiller (a sampler) and DistilledClassifier (a classifier).

The checks fit without sensitive features, which a fair alignment refuses (a ValueError
that says how to pass them: test_distiller.py, test_classifier.py). They run on vanilla
distillation (``alignment="none"``), which needs no groups; the groups' own path is the
same code after the group encoding, and the tests below run the checks' key properties
(cloning, refitting, pickling) with groups and the default alignment.
"""

import pickle

import numpy as np
import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from skfairdistill import DistilledClassifier, FairDistiller

pytestmark = pytest.mark.filterwarnings(
    # the checks' toy data sets have classes smaller than the default budget
    "ignore:Class .* rows but .* synthetic rows were asked for:UserWarning",
    "ignore:.* classes have fewer rows than the synthetic rows asked for:UserWarning",
)


@sklearn_checks([FairDistiller(alignment="none", n_iter=20, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _listed(marker):
    """``marker`` (a ``parametrize`` of imbalanced-learn's) with its cases in a list: it
    yields them from a generator, which pytest deprecates."""
    names, cases = marker.mark.args
    return pytest.mark.parametrize(names, list(cases), **marker.mark.kwargs)


@_listed(imblearn_checks([FairDistiller(alignment="none", n_iter=20, random_state=0)]))
def test_imblearn_compatible(estimator, check):
    check(estimator)


_NOT_REPEATED_ROWS = (
    "a weight equals repeated rows in the cell means (tests/test_sample_weight.py), not in "
    "the whole fit: the starting rows are drawn at random (by weight, not among copies), "
    "the features are standardised on the rows as given, and the model is trained on the "
    "synthetic rows; the predictions agree to about 0.1, not to 1e-7")


def _expected_failed_checks(estimator):
    # Only the sample-weight equivalence (above). check_supervised_y_2d passes because
    # fit ravels a column-vector y with a DataConversionWarning; FairDistiller alone
    # would ravel it silently.
    # (A tree trained on the readable rows predicts the same classes either way.)
    if (isinstance(estimator.estimator, DecisionTreeClassifier)
            and estimator.distiller.matching != "model"):
        return {}
    return {"check_sample_weight_equivalence_on_dense_data": _NOT_REPEATED_ROWS,
            "check_sample_weight_equivalence_on_sparse_data": _NOT_REPEATED_ROWS}


@sklearn_checks(
    [DistilledClassifier(LogisticRegression(),
                         distiller=FairDistiller(alignment="none", n_iter=10, random_state=0)),
     # a tree: trained on readable rows (clipped, one-hot blocks decoded)
     DistilledClassifier(DecisionTreeClassifier(random_state=0),
                         distiller=FairDistiller(alignment="none", n_iter=10, random_state=0)),
     # a tree on a model-matched set: teacher labels (real rows, the teacher's weights)
     DistilledClassifier(DecisionTreeClassifier(random_state=0), distiller=FairDistiller(
         matching="model", alignment="none", n_iter=10, random_state=0))],
    expected_failed_checks=_expected_failed_checks,
)
def test_distilled_classifier_sklearn_compatible(estimator, check):
    check(estimator)


# ------------------------------------------- the default alignment, which needs the groups


@pytest.mark.parametrize("estimator", [
    FairDistiller(n_per_class=3, n_iter=10, random_state=0),
    DistilledClassifier(LogisticRegression(),
                        distiller=FairDistiller(n_per_class=3, n_iter=10, random_state=0)),
], ids=["FairDistiller", "DistilledClassifier"])
def test_the_default_alignment_refuses_a_fit_without_groups(estimator, make_data):
    X, y, _ = make_data(n_samples=60, n_features=3)
    with pytest.raises(ValueError, match="^sensitive_features is None, but "):
        estimator.fit(X, y)
    assert not [key for key in vars(estimator) if key.endswith("_")]


@pytest.mark.parametrize("make", [
    lambda: FairDistiller(n_per_class=3, n_iter=10, random_state=0),
    lambda: DistilledClassifier(LogisticRegression(),
                                distiller=FairDistiller(n_per_class=3, n_iter=10, random_state=0)),
], ids=["FairDistiller", "DistilledClassifier"])
def test_the_default_alignment_with_groups_clones_refits_and_pickles(make, make_data):
    """What the checks test on vanilla runs, on the default with groups: the same fit twice
    (a clone, a refit) gives the same rows, and a pickled fit is the fit."""
    X, y, A = make_data(n_samples=120, n_features=3)
    first = make().fit(X, y, sensitive_features=A)
    again = clone(first).fit(X, y, sensitive_features=A)
    refit = first.fit(X, y, sensitive_features=A)
    loaded = pickle.loads(pickle.dumps(refit))
    rows = [getattr(e, "distiller_", e).X_distilled_ for e in (first, again, refit, loaded)]
    for other in rows[1:]:
        np.testing.assert_array_equal(rows[0], other)
    assert list(getattr(first, "distiller_", first).groups_) == ["a", "b"]
