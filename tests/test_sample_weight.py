"""``sample_weight``: a row of weight ``w`` counts ``w`` times in its (class, group) cell.

The cells draw by weight and average by weight, a row of weight 0 never counts, bad
weights are refused before any work, and equal weights change nothing. fairlearn's
``ExponentiatedGradient`` trains a DistilledClassifier with them; ``ThresholdOptimizer``
takes one fitted with the groups (docs/guides.md, "fairlearn's mitigators").
"""

import warnings

import numpy as np
import pytest
import torch
from imblearn.under_sampling import RandomUnderSampler
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

import skfairdistill._estimators.distiller as distiller_module
from skfairdistill import DistilledClassifier, FairDistiller, class_prior_weights
from skfairdistill._data.cells import CellSampler
from skfairdistill._data.rows import RealRows
from skfairdistill._matching._cells import packing
from skfairdistill._matching.initial import initial_rows

from conftest import make_grouped_data

FAST = dict(n_per_class=3, n_iter=10, random_state=0, device="cpu")
CPU = torch.device("cpu")

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*\\(class, group\\) cell\\(s\\) have fewer than:UserWarning",
    "ignore::FutureWarning", "ignore::DeprecationWarning")  # fairlearn on pandas


def _weights(n, seed=0, zeros=5):
    """Positive weights, and 0 for every ``zeros``-th row."""
    weights = np.random.default_rng(seed).uniform(0.2, 3.0, size=n)
    weights[::zeros] = 0.0
    return weights


# ------------------------------------------------------------------------- the door


BAD_WEIGHTS = {
    "negative": (lambda n: np.r_[-1.0, np.ones(n - 1)], ValueError, "non-negative"),
    "nan": (lambda n: np.r_[np.nan, np.ones(n - 1)], ValueError, "finite"),
    "inf": (lambda n: np.r_[np.inf, np.ones(n - 1)], ValueError, "finite"),
    "too-short": (lambda n: np.ones(n - 1), ValueError, "shape"),
    "too-long": (lambda n: np.ones(n + 1), ValueError, "shape"),
    "2-d": (lambda n: np.ones((n, 2)), ValueError, "shape"),
    "all-zero": (lambda n: np.zeros(n), ValueError, "zero for every row"),
    "text": (lambda n: "heavy", TypeError, "array of"),
    "text-cells": (lambda n: np.array(["a"] * n, dtype=object), TypeError, "numbers"),
    "ragged": (lambda n: [[1.0]] * (n - 1) + [[1.0, 2.0]], TypeError, "numbers"),
    "negative-scalar": (lambda n: -2.0, ValueError, "non-negative"),
}


@pytest.mark.parametrize("case", list(BAD_WEIGHTS))
@pytest.mark.parametrize("method", ["fit", "fit_resample"])
def test_bad_weights_are_refused_naming_sample_weight_before_any_work(case, method,
                                                                      monkeypatch):
    X, y, A = make_grouped_data(n_samples=60)
    make, kind, words = BAD_WEIGHTS[case]

    def not_reached(*args, **kwargs):
        raise AssertionError("the rows were standardised before the weights were checked")

    monkeypatch.setattr(distiller_module, "RealRows", not_reached)
    distiller = FairDistiller(**FAST)
    with pytest.raises(kind, match=r"^sample_weight") as info:
        getattr(distiller, method)(X, y, sensitive_features=A, sample_weight=make(len(y)))
    assert words in str(info.value)
    assert vars(distiller) == vars(FairDistiller(**FAST))  # all or nothing


def test_a_class_of_weight_zero_is_refused_naming_the_class():
    X, y, A = make_grouped_data(n_samples=60)
    weights = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^sample_weight is 0 for every row of class 1: "):
        FairDistiller(**FAST).fit(X, y, sensitive_features=A, sample_weight=weights)


def test_the_callers_weights_are_not_modified():
    X, y, A = make_grouped_data(n_samples=60)
    weights = _weights(len(y))
    weights.setflags(write=False)
    before = weights.copy()
    FairDistiller(**FAST).fit(X, y, sensitive_features=A, sample_weight=weights)
    np.testing.assert_array_equal(weights, before)


@pytest.mark.parametrize("equal", [np.ones, lambda n: np.full(n, 2.5), lambda n: 3,
                                   lambda n: [4] * n], ids=["ones", "2.5", "scalar", "list"])
@pytest.mark.parametrize("matching", ["distribution", "kmeans", "model"])
def test_equal_weights_give_the_unweighted_rows_bit_for_bit(equal, matching):
    X, y, A = make_grouped_data(n_samples=120)
    params = dict(FAST, matching=matching)
    plain = FairDistiller(**params).fit(X, y, sensitive_features=A)
    weighted = FairDistiller(**params).fit(X, y, sensitive_features=A,
                                           sample_weight=equal(len(y)))
    np.testing.assert_array_equal(weighted.X_distilled_, plain.X_distilled_)


# ------------------------------------------------------------------------- the cells


def _cells(weights):
    """2 classes x 2 groups of 6, 4, 5 and 300 rows, shuffled: (class_codes, group_codes,
    weights, CellSampler), all in the shuffled order; ``weights(n)`` makes the weights."""
    sizes = [6, 4, 5, 300]
    order = np.random.default_rng(1).permutation(sum(sizes))
    class_codes = np.repeat([0, 0, 1, 1], sizes)[order]
    group_codes = np.repeat([0, 1, 0, 1], sizes)[order]
    weights = weights(sum(sizes))
    return class_codes, group_codes, weights, CellSampler(class_codes, group_codes, 2, 2, CPU,
                                                          weights=weights)


def test_a_cell_taken_whole_averages_with_the_weights():
    class_codes, group_codes, weights, cells = _cells(lambda n: _weights(n, seed=2, zeros=4))
    values = np.random.default_rng(3).normal(size=(len(weights), 3)).astype(np.float32)
    pack = packing(cells, 16)  # the cells of 6, 4 and 5 rows are taken whole
    rows, _ = cells.draw(16, torch.Generator().manual_seed(0))
    means = pack.means(torch.as_tensor(values)[rows.reshape(-1)[pack.slots]]).numpy()
    for k, g in [(0, 0), (0, 1), (1, 0)]:
        mask = (class_codes == k) & (group_codes == g)
        np.testing.assert_allclose(means[k, g], np.average(values[mask], axis=0,
                                                           weights=weights[mask]), rtol=1e-5)


def test_zero_weights_never_count_and_shares_are_total_weights():
    class_codes, group_codes, weights, cells = _cells(lambda n: _weights(n, seed=2, zeros=4))
    cell_of = [[(class_codes == k) & (group_codes == g) for g in range(2)] for k in range(2)]
    np.testing.assert_array_equal(
        cells.counts, [[np.sum(mask & (weights > 0)) for mask in row] for row in cell_of])
    totals = np.array([[weights[mask].sum() for mask in row] for row in cell_of])
    np.testing.assert_allclose(cells.shares, totals / totals.sum(1, keepdims=True))
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        rows, draw_weights = cells.draw(8, generator)
        assert (weights[rows[draw_weights > 0].numpy()] > 0).all()
        assert (weights[cells.draw_rows(64, generator)[0].numpy()] > 0).all()


def test_a_large_cell_is_drawn_in_proportion_to_the_weights():
    """The cell of 300 rows: rows of weight 3 are drawn three times as often as rows of 1."""
    def weights(n):
        values = np.where(np.arange(n) % 2 == 0, 3.0, 1.0)
        values[::7] = 0.0
        return values

    class_codes, group_codes, weights, cells = _cells(weights)
    large = (class_codes == 1) & (group_codes == 1)
    generator = torch.Generator().manual_seed(0)
    drawn = np.concatenate([cells.draw(64, generator)[0][3].numpy() for _ in range(400)])
    counts = np.bincount(drawn, minlength=len(weights))
    assert counts[~large].sum() == 0 and counts[weights == 0].sum() == 0
    ratio = counts[large & (weights == 3.0)].mean() / counts[large & (weights == 1.0)].mean()
    assert 2.7 < ratio < 3.3
    # the whole-data draw of the networks' training batches follows the weights too
    rows = cells.draw_rows(40_000, generator)[0].numpy()
    assert abs(weights[rows].mean() - (weights ** 2).sum() / weights.sum()) < 0.05


def test_initial_real_rows_are_drawn_by_weight():
    """A third of the rows weighs 10, the rest 1 (a tenth of them 0): the heavy rows are
    most of the starting rows (a uniform draw would give a third), the weightless none."""
    X, y, A = make_grouped_data(n_samples=300)
    weights = np.where(np.arange(300) % 3 == 0, 10.0, 1.0)
    weights[1::10] = 0.0
    real = RealRows(X, CPU)
    cells = CellSampler(y, (A == "b").astype(int), 2, 2, CPU, weights=weights)
    start = initial_rows("real", real, cells, np.array([20, 20]), np.array([0, 1]),
                         np.random.default_rng(0), torch.Generator().manual_seed(0),
                         alignment="barycenter").numpy()
    standardised = real.gather(torch.arange(300)).numpy()
    chosen = [np.flatnonzero(np.all(np.isclose(standardised, row), axis=1))[0] for row in start]
    assert (weights[chosen] > 0).all()
    assert np.mean(weights[chosen] == 10.0) > 0.6


# -------------------------------------------- a weight of k is k copies of the row


def _copies(n_samples=60, seed=0):
    """(X, y, A) repeated by integer weights, and weights that keep one copy of each row
    with its count (the other copies weigh 0): the same table twice over, on the same
    standardisation."""
    X, y, A = make_grouped_data(n_samples=n_samples, seed=seed)
    counts = np.random.default_rng(seed).integers(1, 4, size=len(y))
    index = np.repeat(np.arange(len(y)), counts)
    first = np.r_[True, index[1:] != index[:-1]]
    weights = np.where(first, counts[index], 0).astype(float)
    return X[index], y[index], A[index], weights


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise", "none"])
@pytest.mark.parametrize("matching, params", [
    ("distribution", dict(n_iter=1, init="noise")),
    ("gradient", dict(n_iter=1, init="noise", matching_params={"outer_loops": 1})),
    ("model", dict(n_iter=20, init="noise")),
    ("kmeans", dict(n_per_class=1)),
], ids=["distribution", "gradient", "model", "kmeans"])
def test_a_weight_of_k_is_k_copies_of_the_row(matching, params, alignment):
    """Every cell is taken whole: the weighted fit is the fit of the copies (up to float
    rounding). k-means with one centroid per class: the weighted mean of the class."""
    X, y, A, weights = _copies()
    settings = dict(FAST, matching=matching, alignment=alignment, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copies = FairDistiller(**settings).fit(X, y, sensitive_features=A)
        weighted = FairDistiller(**settings).fit(X, y, sensitive_features=A,
                                                 sample_weight=weights)
    np.testing.assert_allclose(weighted.X_distilled_, copies.X_distilled_, rtol=1e-4,
                               atol=1e-5)
    assert weighted.cell_counts_.sum() == np.count_nonzero(weights) < len(y)


def test_kmeans_centroid_is_the_weighted_class_mean():
    X, y, A = make_grouped_data(n_samples=120)
    weights = _weights(len(y))
    fitted = FairDistiller(n_per_class=1, matching="kmeans", alignment="none",
                           random_state=0).fit(X, y, sensitive_features=A,
                                               sample_weight=weights)
    for k in (0, 1):
        expected = np.average(X[y == k], axis=0, weights=weights[y == k])
        np.testing.assert_allclose(fitted.X_distilled_[k], expected, rtol=1e-4, atol=1e-5)
    # barycenter: the mean of the groups' weighted means
    fitted = FairDistiller(n_per_class=1, matching="kmeans", random_state=0).fit(
        X, y, sensitive_features=A, sample_weight=weights)
    for k in (0, 1):
        means = [np.average(X[(y == k) & (A == g)], axis=0, weights=weights[(y == k) & (A == g)])
                 for g in ("a", "b")]
        np.testing.assert_allclose(fitted.X_distilled_[k], np.mean(means, axis=0), rtol=1e-4,
                                   atol=1e-5)


def test_stratified_groups_distil_their_rows_with_their_weights():
    """One k-means row per (class, group): the weighted mean of the cell's rows."""
    X, y, A = make_grouped_data(n_samples=160)
    weights = _weights(len(y))
    fitted = FairDistiller(n_per_class=2, stratify_groups=True, matching="kmeans",
                           random_state=0).fit(X, y, sensitive_features=A,
                                               sample_weight=weights)
    for row, label, group in zip(fitted.X_distilled_, fitted.y_distilled_,
                                 fitted.groups_distilled_):
        cell = (y == label) & (A == group)
        np.testing.assert_allclose(row, np.average(X[cell], axis=0, weights=weights[cell]),
                                   rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------- DistilledClassifier


def test_distilled_classifier_passes_the_weights_to_the_distiller_not_the_estimator():
    """KNeighborsClassifier.fit takes no sample_weight: it is trained on the synthetic rows."""
    X, y, A = make_grouped_data(n_samples=120)
    weights = _weights(len(y))
    clf = DistilledClassifier(KNeighborsClassifier(n_neighbors=1),
                              distiller=FairDistiller(**FAST))
    clf.fit(X, y, sensitive_features=A, sample_weight=weights)
    assert clf.distiller_.cell_counts_.sum() == np.count_nonzero(weights)
    direct = FairDistiller(**FAST).fit(X, y, sensitive_features=A, sample_weight=weights)
    np.testing.assert_array_equal(clf.distiller_.X_distilled_, direct.X_distilled_)


def test_distilled_classifier_refuses_bad_weights_naming_them():
    X, y, A = make_grouped_data(n_samples=60)
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST))
    with pytest.raises(ValueError, match="^sample_weight must be non-negative"):
        clf.fit(X, y, sensitive_features=A, sample_weight=-np.ones(len(y)))
    assert not hasattr(clf, "estimator_")


def test_a_sampler_without_sample_weight_is_named():
    X, y, _ = make_grouped_data(n_samples=60)
    clf = DistilledClassifier(LogisticRegression(), distiller=RandomUnderSampler())
    with pytest.raises(TypeError, match=r"does not take sample_weight.*leave sample_weight out"):
        clf.fit(X, y, sample_weight=_weights(len(y)))
    clf.fit(X, y)  # without weights it works


def test_class_prior_weights_use_the_total_weights():
    y = np.array([0] * 6 + [1] * 4)
    weights = np.r_[np.ones(6), np.full(4, 3.0)]  # class 1 weighs 12 of 18
    np.testing.assert_allclose(class_prior_weights(y, np.array([0, 0, 1, 1]),
                                                   sample_weight=weights),
                               [2 / 3, 2 / 3, 4 / 3, 4 / 3])
    np.testing.assert_allclose(class_prior_weights(y, np.array([0, 1]), sample_weight=np.ones(10)),
                               class_prior_weights(y, np.array([0, 1])))
    with pytest.raises(ValueError, match="^sample_weight must have shape"):
        class_prior_weights(y, np.array([0, 1]), sample_weight=np.ones(3))


def test_class_prior_data_reads_the_weighted_shares():
    X, y, A = make_grouped_data(n_samples=120)
    weights = np.where(y == 1, 3.0, 1.0)
    seen = {}

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen["weights"] = sample_weight
            return super().fit(X, y, sample_weight=sample_weight)

    DistilledClassifier(Recording(), distiller=FairDistiller(**FAST), class_prior="data").fit(
        X, y, sensitive_features=A, sample_weight=weights)
    # class 1 holds 3/4 of the weight: its synthetic rows weigh three times class 0's
    np.testing.assert_allclose(seen["weights"], [0.5] * 3 + [1.5] * 3)


# ------------------------------------------------------------ fairlearn's mitigators


def _unfair_data():
    X, y, A = make_grouped_data(n_samples=400, n_features=3)
    X[:, 0] += 1.0 * (A == "a")  # the group leaks into the feature that decides the class
    return X, y, A


def test_exponentiated_gradient_trains_a_distilled_classifier():
    """Each oracle call fits DistilledClassifier(..., sample_weight=...): the reweighted
    rows are distilled, and the mitigator lowers the demographic-parity gap."""
    reductions = pytest.importorskip("fairlearn.reductions")
    from fairlearn.metrics import demographic_parity_difference

    X, y, A = _unfair_data()
    distiller = FairDistiller(alignment="none", n_per_class=5, n_iter=20, random_state=0)
    clf = DistilledClassifier(LogisticRegression(), distiller=distiller)
    mitigator = reductions.ExponentiatedGradient(
        clf, constraints=reductions.DemographicParity(), max_iter=5)
    mitigator.fit(X, y, sensitive_features=A)
    fitted = [p for p in mitigator.predictors_ if isinstance(p, DistilledClassifier)]
    assert fitted and all(p.distiller_.X_distilled_.shape == (10, 3) for p in fitted)
    predicted = mitigator.predict(X, random_state=0)
    plain = clf.fit(X, y).predict(X)
    gap = demographic_parity_difference(y, predicted, sensitive_features=A)
    assert gap < demographic_parity_difference(y, plain, sensitive_features=A) - 0.1


def test_exponentiated_gradient_with_a_fair_alignment_says_how():
    reductions = pytest.importorskip("fairlearn.reductions")
    X, y, A = _unfair_data()
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(**FAST))
    mitigator = reductions.ExponentiatedGradient(
        clf, constraints=reductions.DemographicParity(), max_iter=2)
    with pytest.raises(ValueError, match=r"alignment='none'"):
        mitigator.fit(X, y, sensitive_features=A)


def test_threshold_optimizer_takes_a_prefit_distilled_classifier():
    postprocessing = pytest.importorskip("fairlearn.postprocessing")
    from fairlearn.metrics import equalized_odds_difference

    X, y, A = _unfair_data()
    clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
        n_per_class=5, n_iter=20, random_state=0)).fit(X, y, sensitive_features=A)
    mitigator = postprocessing.ThresholdOptimizer(
        estimator=clf, prefit=True, constraints="equalized_odds",
        predict_method="predict_proba")
    mitigator.fit(X, y, sensitive_features=A)
    predicted = mitigator.predict(X, sensitive_features=A, random_state=0)
    assert predicted.shape == y.shape
    assert (equalized_odds_difference(y, predicted, sensitive_features=A)
            < equalized_odds_difference(y, clf.predict(X), sensitive_features=A))
    assert mitigator.estimator_ is clf  # prefit: not refitted without the groups


def test_the_experimental_sliced_barycenter_refuses_weights():
    X, y, A = make_grouped_data(n_samples=60)
    distiller = FairDistiller(**FAST, matching_params={"barycenter": "sliced"})
    with pytest.raises(ValueError, match=r"^sample_weight is not supported with .*'sliced'"):
        distiller.fit(X, y, sensitive_features=A, sample_weight=_weights(len(y)))
    distiller.fit(X, y, sensitive_features=A, sample_weight=np.ones(len(y)))  # equal: none


def test_the_wasserstein_barycenter_takes_weights():
    pytest.importorskip("ot")
    X, y, A = make_grouped_data(n_samples=80)
    fitted = FairDistiller(**FAST, matching_params={"barycenter": "wasserstein"}).fit(
        X, y, sensitive_features=A, sample_weight=_weights(len(y)))
    assert np.isfinite(fitted.X_distilled_).all()
