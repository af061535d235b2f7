"""scikit-learn's and imbalanced-learn's API conformance checks on the public estimators:
FairDistiller (a sampler) and DistilledClassifier (a classifier)."""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from skfairdistill import DistilledClassifier, FairDistiller


def _expected_failed_checks(estimator):
    return {
        # imbalanced-learn yields this check for every estimator that accepts
        # DataFrames, whatever its `input_tags.sparse` tag says (its own
        # `check_samplers_sparse` does honour the tag). FairDistiller optimises
        # dense synthetic rows and declares `input_tags.sparse = False`; it rejects
        # a DataFrame of sparse columns with scikit-learn's "Sparse data was passed
        # for X, but dense data is required" TypeError, as sklearn's own sparse
        # checks (which pass) require.
        "check_samplers_pandas_sparse": (
            "dense-only sampler (input_tags.sparse=False); imblearn runs this check "
            "regardless of the sparse tag"
        ),
    }


# Checks fit without sensitive features: the vanilla-distillation warning is expected.
pytestmark = pytest.mark.filterwarnings(
    "ignore:sensitive_features is None:UserWarning",
    # the checks' toy data sets have classes smaller than the default budget
    "ignore:Class .* rows but .* synthetic rows were asked for:UserWarning",
)


@sklearn_checks([FairDistiller(n_iter=20, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_checks(
    [FairDistiller(n_iter=20, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_imblearn_compatible(estimator, check):
    check(estimator)


def _no_failed_checks(estimator):
    # None: every scikit-learn check passes. (check_supervised_y_2d passes because
    # fit ravels a column-vector y with a DataConversionWarning; FairDistiller
    # alone would ravel it silently.)
    return {}


@sklearn_checks(
    [DistilledClassifier(LogisticRegression(), distiller=FairDistiller(n_iter=10, random_state=0))],
    expected_failed_checks=_no_failed_checks,
)
def test_distilled_classifier_sklearn_compatible(estimator, check):
    check(estimator)
