"""The starting rows of the synthetic set (skfairdistill._matching.initial): random real rows
of each class, Gaussian noise, or the group-balanced k-means prototypes."""

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._data.cells import CellSampler
from skfairdistill._data.rows import RealRows
from skfairdistill._matching.initial import initial_rows

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _start(init, per_class, X=None, y=None, groups=None):
    rng = np.random.default_rng(0)
    if X is None:
        X = rng.normal(size=(40, 3))
        y = np.arange(40) % 2
        groups = (np.arange(40) // 2) % 2
    real = RealRows(X, torch.device("cpu"))
    cells = CellSampler(y, groups, 2, 2, torch.device("cpu"))
    rows = initial_rows(init, real, cells, np.array(per_class), np.array([0, 1]),
                        np.random.default_rng(1), torch.Generator().manual_seed(2),
                        alignment="barycenter")
    return rows, real, X, y


def test_real_rows_are_rows_of_their_class_in_class_order():
    rows, real, X, y = _start("real", [3, 2])
    assert rows.shape == (5, 3)
    standardised = real.gather(torch.arange(len(X)))
    for row, label in zip(rows, [0, 0, 0, 1, 1]):
        matches = torch.isclose(standardised, row).all(dim=1).numpy()
        assert matches.any() and set(y[matches]) == {label}


def test_noise_is_standard_normal_from_the_generator():
    rows, _, _, _ = _start("noise", [3, 2])
    expected = torch.randn((5, 3), generator=torch.Generator().manual_seed(2))
    assert torch.equal(rows, expected)


def test_kmeans_starts_from_one_prototype_per_row():
    rows, _, _, _ = _start("kmeans", [1, 1])
    assert rows.shape == (2, 3) and torch.isfinite(rows).all()


def test_budget_larger_than_class_warns_and_works(make_data):
    X, y, A = make_data(n_samples=12)
    with pytest.warns(UserWarning, match=r"^2 classes have fewer rows than the synthetic rows "
                                         r"asked for: 0 \(6 rows, 10 asked\), 1 \(6 rows, 10 "
                                         r"asked\); for each, they start from its rows drawn "
                                         "with replacement"):
        X_syn, y_syn = FairDistiller(n_per_class=10, n_iter=20, random_state=0).fit_resample(
            X, y, sensitive_features=A
        )
    assert X_syn.shape == (20, X.shape[1])
    # the small noise added to the copies makes every synthetic row distinct
    assert len(np.unique(X_syn, axis=0)) == 20


@pytest.mark.filterwarnings("ignore:Some groups have no rows")
def test_class_with_a_single_row_and_a_larger_budget():
    X, y, A = make_grouped_data(n_samples=120)
    y = y.copy()
    y[0] = 2  # class 2: a single row
    with pytest.warns(UserWarning, match=r"Class 2 has 1 rows but 4 synthetic rows"):
        X_syn, y_syn = FairDistiller(**{**FAST, "n_per_class": 4}).fit_resample(
            X, y, sensitive_features=A
        )
    tiny = X_syn[y_syn == 2]
    assert tiny.shape == (4, 4)
    assert np.all(np.isfinite(tiny))
    assert len(np.unique(tiny, axis=0)) > 1  # copies of the one row moved apart


def test_init_kmeans_starts_distribution_matching_from_the_prototypes():
    rng = np.random.default_rng(0)
    n = 600
    y = np.arange(n) % 2
    A = np.where(rng.random(n) < 0.1, "b", "a")
    X = rng.normal(size=(n, 3))
    X[:, 0] += 3.0 * y
    X[:, 1] += np.where(A == "b", 6.0, 0.0)
    prototypes = FairDistiller(n_per_class=4, matching="kmeans", random_state=0).fit(
        X, y, sensitive_features=A).X_distilled_
    refined = FairDistiller(n_per_class=4, init="kmeans", n_iter=1, learning_rate=1e-6,
                            random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    np.testing.assert_allclose(refined, prototypes, atol=1e-3)
