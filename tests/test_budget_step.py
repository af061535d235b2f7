"""learning_rate="auto" on tables: the step of every synthetic row does not shrink with the budget."""

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.fit_config import learning_rate
from skfairdistill._config.parameters import check_params


def _data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    A = rng.choice(["a", "b"], n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 4)) + 2.0 * y[:, None]
    return X, y, A


def _moved(**params):
    """Distance each synthetic row moved in one iteration (same start for the same seed)."""
    X, y, A = _data()
    start = FairDistiller(n_iter=1, learning_rate=1e-12, random_state=0, **params).fit(
        X, y, sensitive_features=A).X_distilled_
    end = FairDistiller(n_iter=1, random_state=0, **params).fit(
        X, y, sensitive_features=A).X_distilled_
    return np.linalg.norm(end - start, axis=1), end


@pytest.mark.parametrize("n", [10, 50])
def test_auto_is_a_tenth_times_rows_per_class_over_ten(n):
    X, y, A = _data()
    auto = FairDistiller(n_per_class=n, n_iter=5, random_state=0).fit(
        X, y, sensitive_features=A).X_distilled_
    fixed = FairDistiller(n_per_class=n, n_iter=5, learning_rate=0.1 * n / 10,
                          random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    np.testing.assert_array_equal(auto, fixed)


def test_row_steps_do_not_shrink_with_the_budget():
    small, _ = _moved(n_per_class=10)
    large, _ = _moved(n_per_class=80)
    # with a fixed learning rate each row's step would be 8x smaller at 80 rows
    assert 0.4 < np.median(large) / np.median(small) < 2.5


def test_dict_budget_scales_each_class_by_its_own_rows():
    budget = {0: 5, 1: 40}
    auto, _ = _moved(n_per_class=budget)
    X, y, A = _data()
    start = FairDistiller(n_per_class=budget, n_iter=1, learning_rate=1e-12,
                          random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    end = FairDistiller(n_per_class=budget, n_iter=1, learning_rate=1.0,
                        random_state=0).fit(X, y, sensitive_features=A).X_distilled_
    unit = np.linalg.norm(end - start, axis=1)  # displacement per unit step
    expected = np.repeat([0.1 * 5 / 10, 0.1 * 40 / 10], [5, 40])
    np.testing.assert_allclose(auto, unit * expected, rtol=1e-4, atol=1e-7)


def test_gradient_matching_and_a_number_keep_their_step():
    def settings(**params):
        return check_params(FairDistiller(**params).get_params())

    assert learning_rate(settings(n_per_class=20), None, None, None, np.array([20, 20]),
                         None) == pytest.approx(0.2)
    assert learning_rate(settings(matching="gradient"), None, None, None, np.array([20, 20]),
                         None) == 0.1
    assert learning_rate(settings(learning_rate=0.3), None, None, None, np.array([50, 50]),
                         None) == 0.3
