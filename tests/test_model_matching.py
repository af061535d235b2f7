"""Model matching (skfairdistill._matching.model and FairDistiller(matching="model"))."""

import contextlib

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from skfairdistill import FairDistiller
from skfairdistill._matching.inner import newton_logistic
from skfairdistill._matching.model import outer_loss


def _biased(n=1200, seed=0):
    """Two groups (80/20); the minority's labels follow a shifted boundary."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.8 * (group == "b") > 0.3).astype(int)
    return X, y, group


def _rows_and_probe(rng, n, d, n_classes):
    """Synthetic rows (n, d) with their one-hot labels, 200 real rows and a random probe of
    their logits: a loss whose gradient the Newton steps' tests compare."""
    S = torch.as_tensor(rng.normal(size=(n, d)))
    onehot = torch.eye(n_classes, dtype=torch.float64)[np.arange(n) % n_classes]
    real = torch.as_tensor(rng.normal(size=(200, d)))
    return S, onehot, real, torch.as_tensor(rng.normal(size=(200, n_classes - 1)))


def test_newton_steps_reach_scikit_learns_logistic_regression():
    """Two classes: the inner model is scikit-learn's objective, the same probabilities."""
    n_classes = 2
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12 * n_classes, 3))
    y = np.arange(len(X)) % n_classes
    X[:, 0] += y  # separable enough to be interesting, not so much that C dominates
    theta = newton_logistic(torch.as_tensor(X @ X.T), torch.eye(n_classes)[y].double(), 1.0,
                            n_steps=30)
    logits = torch.as_tensor(X @ X.T) @ theta[:-1] + theta[-1]
    ours = torch.softmax(torch.cat([torch.zeros(len(X), 1, dtype=logits.dtype), logits], 1), 1)
    reference = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.numpy(), reference.predict_proba(X), atol=1e-5)


def test_outer_loss_weights_the_cells_and_measures_the_spread_over_groups():
    log_true = torch.log(torch.tensor([[0.9, 0.9], [0.5, 0.5], [0.8, 0.8], [0.8, 0.8]]))
    weights = torch.ones(4, 2)
    present = torch.ones(2, 2)
    group_weights = torch.tensor([[0.3, 0.2], [0.25, 0.25]])
    plain = outer_loss(log_true, weights, group_weights, present, 0.0)
    expected = -(0.3 * np.log(0.9) + 0.2 * np.log(0.5) + 0.5 * np.log(0.8))
    assert float(plain) == pytest.approx(expected, rel=1e-6)
    # class 0: groups at 0.9 and 0.5, variance 0.04; class 1: no spread
    fair = outer_loss(log_true, weights, group_weights, present, 2.0)
    assert float(fair - plain) == pytest.approx(2.0 * 0.04, rel=1e-5)


def test_same_seed_same_rows_and_the_set_trains_an_accurate_model():
    X, y, group = _biased()
    accuracy_only = {"fairness_weight": 0.0}
    first = FairDistiller(matching="model", n_per_class=5, n_iter=150, random_state=0,
                          matching_params=accuracy_only)
    X_syn, y_syn = first.fit_resample(X, y, sensitive_features=group)
    again = FairDistiller(matching="model", n_per_class=5, n_iter=150, random_state=0,
                          matching_params=accuracy_only)
    np.testing.assert_array_equal(again.fit_resample(X, y, sensitive_features=group)[0], X_syn)
    other = FairDistiller(matching="model", n_per_class=5, n_iter=150, random_state=1)
    assert not np.array_equal(other.fit_resample(X, y, sensitive_features=group)[0], X_syn)
    assert X_syn.shape == (10, 4) and np.bincount(y_syn).tolist() == [5, 5]
    assert np.isfinite(X_syn).all() and first.n_iter_ == 150
    X_test, y_test, _ = _biased(seed=1)
    full = LogisticRegression().fit(X, y).score(X_test, y_test)
    distilled = LogisticRegression().fit(X_syn, y_syn)
    assert distilled.score(X_test, y_test) >= full - 0.03  # 10 rows, nearly as good as 1,200
    start = LogisticRegression().fit(
        *FairDistiller(matching="model", n_per_class=5, n_iter=1, random_state=0,
                       matching_params=accuracy_only)
        .fit_resample(X, y, sensitive_features=group))
    # the optimisation lowered what it targets: the real rows' log-loss of the model
    assert log_loss(y, distilled.predict_proba(X)) < 0.95 * log_loss(y, start.predict_proba(X))


def test_the_fairness_term_narrows_what_it_measures_between_the_groups():
    """The spread over groups of the mean probability of the true class, on the real rows.

    (The equalized-odds gap of the hard predictions follows it on some tables and not on
    others: docs/benchmarks.md.)
    """
    X, y, group = _biased(n=3000)

    def spread(weight):
        X_syn, y_syn = FairDistiller(
            matching="model", n_per_class=10, n_iter=300, random_state=0,
            matching_params={"fairness_weight": weight, "group_balance": 1.0},
        ).fit_resample(X, y, sensitive_features=group)
        p = LogisticRegression().fit(X_syn, y_syn).predict_proba(X)[np.arange(len(y)), y]
        return sum(np.var([p[(y == c) & (group == g)].mean() for g in "ab"]) for c in (0, 1))

    assert spread(30.0) < 0.5 * spread(0.0)


def test_refusals_name_the_parameter():
    X, y, group = _biased(n=200)
    with pytest.raises(ValueError, match=r"group_balance'\] must be in \[0, 1\]"):
        FairDistiller(matching="model", matching_params={"group_balance": 1.5}).fit(X, y)
    with pytest.raises(ValueError, match=r"fairness_weight'\] applies to matching in \['model'\]"):
        FairDistiller(matching_params={"fairness_weight": 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="preset='paper'"):
        FairDistiller(matching="model", preset="paper").fit(X, y)
    with pytest.raises(ValueError, match=r"matching='model' weighs a fairness term over the "
                                         r"groups.*on accuracy alone.*alignment='none'"):
        FairDistiller(matching="model").fit(X, y)
    images = np.random.default_rng(0).random((40, 1, 4, 4))
    with pytest.raises(ValueError, match="matching='model' fits a logistic regression on table"):
        FairDistiller(matching="model").fit(images, np.arange(40) % 2)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_primal_and_the_dual_newton_steps_give_the_same_model(n_classes):
    """More rows than features take the primal system: the same iterates, a smaller system."""
    from skfairdistill._matching.inner import newton_logistic_primal

    rng = np.random.default_rng(2)
    X = torch.as_tensor(rng.normal(size=(30, 5)))
    onehot = torch.eye(n_classes, dtype=torch.float64)[np.arange(30) % n_classes]
    for steps in (1, 8):
        dual = newton_logistic(X @ X.T, onehot, 0.5, steps)
        primal = newton_logistic_primal(X, onehot, 0.5, steps)
        torch.testing.assert_close(X @ primal[:-1] + primal[-1],
                                   (X @ X.T) @ dual[:-1] + dual[-1], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("spread", [1.0, 8.0])  # 8: saturated probabilities
def test_the_split_dual_newton_step_solves_the_whole_system(n_classes, spread):
    """dual_newton_step, and DualNewtonSystem's factors, equal the step of the whole
    (n + 1)(K - 1) system, assembled equation by equation here, and its transpose's;
    HeldJacobian, refining on them, solves the system without the damping, both ways."""
    from skfairdistill._matching.inner import (INTERCEPT_DAMPING, DualNewtonSystem, HeldJacobian,
                                               dual_newton_step)

    rng = np.random.default_rng(n_classes)
    n, k, C = 12, n_classes - 1, 0.7
    S = rng.normal(size=(n, 20))
    design = torch.as_tensor(np.c_[S @ S.T, np.ones(n)])
    logits = np.c_[np.zeros(n), spread * rng.normal(size=(n, k))]
    p = torch.softmax(torch.as_tensor(logits), 1)[:, 1:]
    rhs = torch.as_tensor(rng.normal(size=(n + 1, k)))
    system = torch.zeros(k, n + 1, k, n + 1, dtype=torch.float64)
    for a in range(k):
        for b in range(k):
            curvature = p[:, a] * (float(a == b) - p[:, b])  # (diag(p_i) - p_i p_i^T)[a, b]
            system[a, :n, b] = C * curvature[:, None] * design
            system[a, n, b] = (curvature[:, None] * design).sum(0)
        system[a, :n, a, :n] += torch.eye(n, dtype=torch.float64)
        system[a, n, a, n] += INTERCEPT_DAMPING
    system = system.reshape(k * (n + 1), -1)
    whole = torch.linalg.solve(system, rhs.T.reshape(-1)).view(k, n + 1).T
    torch.testing.assert_close(dual_newton_step(design, p, rhs, C), whole, rtol=1e-9, atol=1e-9)
    factorised = DualNewtonSystem(design, p, C)
    torch.testing.assert_close(factorised.solve(rhs), whole, rtol=1e-9, atol=1e-9)
    adjoint = torch.linalg.solve(system.T, rhs.T.reshape(-1)).view(k, n + 1).T
    torch.testing.assert_close(factorised.solve_adjoint(rhs), adjoint, rtol=1e-9, atol=1e-9)
    exact = system - INTERCEPT_DAMPING * torch.diag(torch.as_tensor(
        [0.0] * n + [1.0], dtype=torch.float64).repeat(k))
    held = HeldJacobian(design, p, C, factorised)
    for matrix, adjoint in ((exact, False), (exact.T, True)):
        product = held.product_adjoint if adjoint else held.product
        torch.testing.assert_close(product(rhs).T.reshape(-1), matrix @ rhs.T.reshape(-1))
        residuals = [(matrix @ held.refine(rhs, adjoint, residual=0, most=sweeps)[0].T.reshape(-1)
                      - rhs.T.reshape(-1)).norm() for sweeps in (0, 3)]
        # saturated, the damping weighs more against the intercepts' curvature: slower
        # (ten classes on 12 rows: 0.58 to 0.32)
        assert residuals[1] < (1e-6 * rhs.norm() if spread == 1.0 else residuals[0])


@pytest.mark.parametrize("primal", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_newton_steps_from_the_last_fit_give_the_gradient_of_the_fit_from_zero(primal,
                                                                              n_classes):
    """After a step of the rows, WARM_NEWTON_STEPS from the last solution give the rows the
    gradient of the default steps from zero (both that of the converged fit); one step does
    not, so the test could fail."""
    from skfairdistill._matching.inner import newton_logistic_primal
    from skfairdistill._matching.model import WARM_NEWTON_STEPS

    rng = np.random.default_rng(4)
    n, d = (40, 6) if primal else (12, 20)
    S, onehot, real, probe = _rows_and_probe(rng, n, d, n_classes)

    def fit(rows, steps, start=None):
        if primal:
            theta = newton_logistic_primal(rows, onehot, 1.0, steps, theta0=start)
            return real @ theta[:-1] + theta[-1], theta
        theta = newton_logistic(rows @ rows.T, onehot, 1.0, steps, theta0=start)
        return (real @ rows.T) @ theta[:-1] + theta[-1], theta

    def gradient(steps, start=None):
        rows = S.clone().requires_grad_(True)
        (fit(rows, steps, start)[0] * probe).sum().backward()
        return rows.grad

    last = fit(S + 0.05 * torch.as_tensor(rng.normal(size=(n, d))), 8)[1].detach()
    from_zero = gradient(8)
    error = (gradient(WARM_NEWTON_STEPS, last) - from_zero).norm() / from_zero.norm()
    assert error < 1e-6
    assert (gradient(1, last) - from_zero).norm() / from_zero.norm() > 1e-4


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("spread", [1.0, 8.0])  # 8: saturated probabilities
def test_the_factorised_primal_system_solves_the_whole_system(n_classes, spread):
    """PrimalNewtonSystem (Woodbury's identity over the curvature's structure) gives the
    solution of the whole (d + 1)(K - 1) system that newton_logistic_primal assembles, and
    HeldHessian, refining on it, that of the Hessian itself (no damping)."""
    from skfairdistill._matching.inner import (INTERCEPT_DAMPING, HeldHessian,
                                               PrimalNewtonSystem)

    rng = np.random.default_rng(n_classes)
    n, d, C = 40, 6, 0.7
    k = n_classes - 1
    design = torch.as_tensor(np.c_[rng.normal(size=(n, d)), np.ones(n)])
    logits = np.c_[np.zeros(n), spread * rng.normal(size=(n, k))]
    p = torch.softmax(torch.as_tensor(logits), 1)[:, 1:]
    curvature = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    whole = C * torch.einsum("nab,ni,nj->aibj", curvature, design, design)
    ridge = torch.ones(d + 1, dtype=torch.float64)
    ridge[-1] = C * INTERCEPT_DAMPING
    whole = whole.reshape(k * (d + 1), -1) + torch.diag(ridge.repeat(k))
    b = torch.as_tensor(rng.normal(size=(d + 1, k)))
    expected = torch.linalg.solve(whole, b.T.reshape(-1)).view(k, d + 1).T
    system = PrimalNewtonSystem(design, p, C)
    torch.testing.assert_close(system.solve(b), expected, rtol=1e-9, atol=1e-9)
    # the Hessian's own, the intercepts undamped, whose product refines the solve
    exact = whole - torch.diag(torch.nn.functional.pad(ridge[-1:], (d, 0)).repeat(k))
    held = HeldHessian(design, p, C, system)
    torch.testing.assert_close(held.product(b).T.reshape(-1), exact @ b.T.reshape(-1))
    residuals = [(exact @ held.refine(b, residual=0, most=sweeps)[0].T.reshape(-1)
                  - b.T.reshape(-1)).norm() for sweeps in (0, 2)]
    # saturated, the damping weighs more against the intercepts' curvature: slower
    assert residuals[1] < (1e-6 * b.norm() if spread == 1.0 else residuals[0] / 2)


@pytest.mark.parametrize("primal", [True, False])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_the_implicit_newton_step_gives_the_converged_fits_model_and_gradient(monkeypatch,
                                                                             n_classes, primal):
    """newton_logistic_implicit reaches the unrolled steps' model, and its one differentiated
    step gives the rows the gradient of the converged fit, warm as from zero, to the
    accuracy of its steps' model, in the primal and in the dual; without the held step's
    refinement to the exact system (the intercepts' damping left in) and with one unrolled
    step from the same start it does not, so the test could fail."""
    import skfairdistill._matching.inner as inner
    from skfairdistill._matching.inner import newton_logistic_implicit, newton_logistic_primal

    rng = np.random.default_rng(5)
    n, d = (60, 5) if primal else (16, 30)
    S, onehot, real, probe = _rows_and_probe(rng, n, d, n_classes)

    def source(rows):
        return rows if primal else rows @ rows.T

    def unrolled(rows, *args, **kwargs):
        fit = newton_logistic_primal if primal else newton_logistic
        return fit(source(rows), *args, **kwargs)

    def implicit(rows, *args, **kwargs):
        return newton_logistic_implicit(source(rows), *args, dual=not primal, **kwargs)

    last = unrolled(S + 0.05 * torch.as_tensor(rng.normal(size=(n, d))), onehot, 1.0,
                    8).detach()

    def gradient(fit, steps, start=None, **system0):
        rows = S.clone().requires_grad_(True)
        theta = fit(rows, onehot, 1.0, steps, theta0=start, **system0)
        theta = theta[0] if isinstance(theta, tuple) else theta
        features = real if primal else real @ rows.T
        (((features @ theta[:-1] + theta[-1]) * probe).sum()).backward()
        return theta.detach(), rows.grad

    converged, expected = gradient(unrolled, 12)
    monkeypatch.setattr(inner, "REFINED_RESIDUAL", 1e-13)  # float64's, not float32's 5e-5
    monkeypatch.setattr(inner, "ADJOINT_RESIDUAL", 1e-13)
    # from zero, Newton's steps; warm, chord steps (one factorisation), which converge
    # linearly: 3 of them reach the fit to float32's rounding, not float64's. The last
    # system: that of the rows before they moved, as in the loop
    system = implicit(S + 0.05 * torch.as_tensor(rng.normal(size=(n, d))), onehot, 1.0, 8)[1]
    for start, steps, tolerance, system0 in ((None, 8, 1e-9, {}), (last, 3, 1e-5, {}),
                                             (last, 3, 1e-5, {"system0": system})):
        theta, grad = gradient(implicit, steps, start, **system0)
        torch.testing.assert_close(theta, converged, rtol=tolerance, atol=tolerance)
        assert (grad - expected).norm() / expected.norm() < 10 * tolerance
    monkeypatch.setattr(inner, "MAX_SWEEPS", 0)  # the damped system's solve
    damped = gradient(implicit, 8)[1]
    assert (damped - expected).norm() / expected.norm() > 1e-7
    one_step = gradient(unrolled, 1, last)[1]
    assert (one_step - expected).norm() / expected.norm() > 1e-2


@pytest.mark.parametrize("dual", [False, True])
def test_a_fit_through_the_implicit_step_matches_the_unrolled_ones_model(monkeypatch, dual):
    """With every system sent to the implicit step (IMPLICIT_UNKNOWNS = 0), a fit on three
    classes is reproducible, its rows are the unrolled steps' to rounding, and they train a
    model as accurate and as fair on the real rows; in the primal, and in the dual (30
    rows on 40 columns)."""
    import skfairdistill._matching.model as model
    from skfairdistill.datasets import make_biased_classification
    from skfairdistill.metrics import deo_max

    X, y, group = make_biased_classification(1500, n_features=40 if dual else 10, n_classes=3,
                                             group_imbalance=0.8, group_separation=2,
                                             random_state=0)

    def scores():
        distiller = FairDistiller(matching="model", n_per_class=10, n_iter=150, random_state=0)
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=group)
        predicted = LogisticRegression().fit(X_syn, y_syn).predict(X)
        return X_syn, (predicted == y).mean(), deo_max(y, predicted, sensitive_features=group)

    unrolled = scores()
    monkeypatch.setattr(model, "IMPLICIT_UNKNOWNS", 0)
    implicit, again = scores(), scores()
    np.testing.assert_array_equal(implicit[0], again[0])
    assert not np.array_equal(implicit[0], unrolled[0])  # the implicit path did run
    # rows of scale 1-4; the dual's after 150 iterations: 0.0103
    np.testing.assert_allclose(implicit[0], unrolled[0], atol=0.02 if dual else 0.01)
    assert abs(implicit[1] - unrolled[1]) < 0.005
    assert abs(implicit[2] - unrolled[2]) < 0.02


@pytest.mark.parametrize("n_per_class", [2, 5])  # 4 features: the dual, then the primal
def test_a_singular_newton_system_is_a_clear_divergence_error(monkeypatch, n_per_class):
    X, y, group = _biased()

    def singular(*args, **kwargs):
        raise torch.linalg.LinAlgError("linalg.solve: The solver failed because the input "
                                       "matrix is singular.")

    monkeypatch.setattr(torch.linalg, "solve", singular)
    distiller = FairDistiller(matching="model", n_per_class=n_per_class, n_iter=5,
                              random_state=0)
    with pytest.raises(ValueError, match=r"Newton system became singular at iteration 1 of 5"
                                         r".*lower learning_rate"):
        distiller.fit(X, y, sensitive_features=group)
    assert not hasattr(distiller, "X_distilled_")  # left as it was


@pytest.mark.parametrize("n_per_class", [1, 5])  # 4 features: the dual, then the primal
def test_a_singular_system_of_the_implicit_step_is_a_clear_divergence_error(monkeypatch,
                                                                            n_per_class):
    import skfairdistill._matching.model as model

    def singular(A, **kwargs):
        return (torch.zeros_like(A), torch.ones(len(A), dtype=torch.int32),
                torch.ones((), dtype=torch.int32))

    monkeypatch.setattr(model, "IMPLICIT_UNKNOWNS", 0)
    monkeypatch.setattr(torch.linalg, "lu_factor_ex", singular)
    X, y, group = _biased()
    y = y + (X[:, 2] > 1)  # three classes: the capacitance's LU
    distiller = FairDistiller(matching="model", n_per_class=n_per_class, n_iter=5,
                              random_state=0)
    with pytest.raises(ValueError, match=r"Newton system became singular at iteration 1 of 5"):
        distiller.fit(X, y, sensitive_features=group)


def test_features_that_would_overflow_the_inner_model_are_refused_before_the_fit(monkeypatch):
    import skfairdistill._matching.model as model

    class Reached(Exception):
        """The loop was reached."""

    def loop(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(model, "run_loop", loop)
    X, y, group = _biased()
    distiller = FairDistiller(matching="model", n_per_class=2, n_iter=5, random_state=0)
    with pytest.raises(ValueError, match=r"fits its logistic regression on X's own scale.*"
                                         r"squared norm of .*Rescale X"):
        distiller.fit(X * 1e20, y, sensitive_features=group)
    with pytest.raises(Reached):  # a sound scale goes on to the loop
        distiller.fit(X * 1e3, y, sensitive_features=group)


def test_most_accurate_within_the_gap_bound_else_the_smallest_gap():
    from skfairdistill.model_selection import most_accurate_within

    scores, gaps = [0.90, 0.88, 0.85, 0.80], [0.30, 0.20, 0.10, 0.05]
    assert most_accurate_within(scores, gaps, 0.25) == 1
    assert most_accurate_within(scores, gaps, 1.0) == 0
    assert most_accurate_within(scores, gaps, 0.10) == 2
    assert most_accurate_within(scores, gaps, 0.01) == 3  # none within: the fairest


def test_row_weights_of_the_primal_newton_steps_count_a_row_that_many_times():
    from skfairdistill._matching.inner import newton_logistic_primal

    rng = np.random.default_rng(3)
    X = torch.as_tensor(rng.normal(size=(20, 3)))
    onehot = torch.eye(2, dtype=torch.float64)[np.arange(20) % 2]
    weights = torch.as_tensor(rng.integers(1, 4, size=20), dtype=torch.float64)
    repeated = torch.repeat_interleave(torch.arange(20), weights.long())
    torch.testing.assert_close(
        newton_logistic_primal(X, onehot, 0.7, 10, weights),
        newton_logistic_primal(X[repeated], onehot[repeated], 0.7, 10))


def test_auto_weight_keeps_the_most_accurate_snapshot_no_less_fair_than_the_data():
    """fairness_weight="auto" reports the weight it kept. On a table whose full-data model
    has a large gap, judged with scikit-learn's own logistic regression on the real rows,
    the kept set is no less fair than the full data's model, and more accurate than the
    set of the largest weight (which buys a far smaller gap with accuracy)."""
    from skfairdistill._matching.model import AUTO_WEIGHTS
    from skfairdistill.datasets import make_biased_classification
    from skfairdistill.metrics import deo_max

    X, y, group = make_biased_classification(2000, group_imbalance=0.9, group_separation=3,
                                             random_state=0)

    def fitted(weight):
        distiller = FairDistiller(matching="model", n_per_class=10, n_iter=400, random_state=0,
                                  matching_params={"fairness_weight": weight})
        model = LogisticRegression().fit(*distiller.fit_resample(X, y, sensitive_features=group))
        predicted = model.predict(X)
        return distiller, (predicted == y).mean(), deo_max(y, predicted, sensitive_features=group)

    auto, accuracy, gap = fitted("auto")
    assert auto.fairness_weight_ in AUTO_WEIGHTS
    full = LogisticRegression().fit(X, y).predict(X)
    assert gap <= deo_max(y, full, sensitive_features=group) + 0.01
    assert accuracy >= fitted(AUTO_WEIGHTS[-1])[1] + 0.01
    again, _, _ = fitted("auto")
    np.testing.assert_array_equal(again.X_distilled_, auto.X_distilled_)
    assert fitted(2.0)[0].fairness_weight_ == 2.0
    assert FairDistiller(n_iter=2).fit(X, y, sensitive_features=group).fairness_weight_ is None
    # fewer iterations than weights: only some weights get a step, and one of those is kept
    short = FairDistiller(matching="model", n_iter=2, random_state=0).fit(
        X, y, sensitive_features=group)
    assert short.fairness_weight_ in (AUTO_WEIGHTS[1], AUTO_WEIGHTS[3])


def test_fairness_weight_is_a_number_or_auto():
    X, y, group = _biased(n=200)
    with pytest.raises(ValueError, match=r"fairness_weight'\] must be a non-negative finite "
                                         r"number or 'auto'"):
        FairDistiller(matching="model", matching_params={"fairness_weight": "most"}).fit(
            X, y, sensitive_features=group)


def test_classes_the_rows_separate_completely_do_not_break_the_inner_fit():
    """Three digits in their raw pixel scale (0-16): the rows soon separate the classes,
    their probabilities saturate and an intercept's curvature vanishes. The fit neither
    stops on a singular Newton system nor runs off: its rows train an accurate model."""
    from sklearn.datasets import load_digits

    X, y = load_digits(n_class=3, return_X_y=True)
    group = np.arange(len(y)) % 3 == 0
    distiller = FairDistiller(matching="model", n_per_class=5, n_iter=150, random_state=0)
    distiller.fit(X, y, sensitive_features=group)
    assert np.isfinite(distiller.X_distilled_).all()
    model = LogisticRegression(max_iter=5000).fit(distiller.X_distilled_, distiller.y_distilled_)
    assert model.score(X, y) > 0.95


@pytest.mark.parametrize("newton_unknowns", [0, 1024])  # L-BFGS, then Newton's steps
def test_the_datas_logistic_regression_is_scikit_learns_with_sample_weight(
        monkeypatch, newton_unknowns):
    from skfairdistill._matching import model

    monkeypatch.setattr(model, "NEWTON_UNKNOWNS", newton_unknowns)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    weights = rng.uniform(0.5, 3.0, size=300)
    theta = model.fit_logistic(torch.as_tensor(X), torch.eye(2, dtype=torch.float64)[y], 0.5,
                               torch.as_tensor(weights))
    ours = torch.sigmoid(torch.as_tensor(X) @ theta[:-1, 0] + theta[-1, 0]).numpy()
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        X, y, sample_weight=weights)
    np.testing.assert_allclose(ours, reference.predict_proba(X)[:, 1], atol=1e-4)


def test_verbose_says_what_the_weights_were_judged_and_which_was_kept(capsys):
    X, y, group = _biased(n=400)
    distiller = FairDistiller(matching="model", n_per_class=3, n_iter=8, random_state=0,
                              verbose=1).fit(X, y, sensitive_features=group)
    out = capsys.readouterr()
    said = out.out + out.err
    assert "judged on real rows, accuracy / gap: the data's" in said
    assert f"kept weight {distiller.fairness_weight_:g}." in said


def test_the_relu_kernel_is_the_covariance_of_a_wide_relu_layer():
    """relu_kernel(a, b) = 2 E[relu(w . a') relu(w . b')] for standard normal w, with a bias
    input of 1 on each row (a' = [a, 1]): checked by sampling, and in closed form on the
    diagonal (the squared norm) and for two orthogonal rows."""
    from skfairdistill._matching.inner import relu_kernel

    rng = np.random.default_rng(0)
    A = torch.as_tensor(rng.normal(size=(3, 4)))
    B = torch.as_tensor(rng.normal(size=(2, 4)))
    kernel = relu_kernel(A, B)
    W = torch.as_tensor(rng.normal(size=(5, 400_000)))
    features = [torch.relu(torch.nn.functional.pad(M, (0, 1), value=1.0) @ W) for M in (A, B)]
    sampled = 2 * features[0] @ features[1].T / W.shape[1]
    torch.testing.assert_close(kernel, sampled, rtol=0.02, atol=0.02)
    torch.testing.assert_close(torch.diagonal(relu_kernel(A, A)), (A ** 2).sum(1) + 1,
                               rtol=1e-5, atol=0)  # acos clamped at 1 - 1e-6
    two = torch.tensor([[1.0, 0.0]], dtype=torch.float64)  # with the bias: cos = 1/2
    expected = 2 * (np.sin(np.pi / 3) + 2 * np.pi / 3 / 2) / np.pi
    assert float(relu_kernel(two, two.flip(1))) == pytest.approx(expected, rel=1e-6)


def test_model_matching_with_the_relu_kernel_fits_reproducibly():
    """kernel="relu" changes the rows (the inner model differs), keeps the fit reproducible
    and finite, and a bad kernel is refused before the fit, by its name."""
    X, y, group = _biased()

    def rows(**params):
        distiller = FairDistiller(matching="model", n_per_class=5, n_iter=30, random_state=0,
                                  matching_params=params)
        return distiller.fit_resample(X, y, sensitive_features=group)[0]

    relu, again, linear = rows(kernel="relu"), rows(kernel="relu"), rows()
    np.testing.assert_array_equal(relu, again)
    assert np.isfinite(relu).all() and not np.allclose(relu, linear)
    with pytest.raises(ValueError, match=r"matching_params\['kernel'\]"):
        FairDistiller(matching="model", matching_params={"kernel": "rbf"}).fit(
            X, y, sensitive_features=group)


@contextlib.contextmanager
def _torch_threads(n):
    """torch's intra-op thread count set to ``n`` inside the block, the caller's after."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def test_batched_factorisations_are_right_on_two_threads():
    """torch's batched LU is not safe on more than one CPU thread from about 150 rows a
    matrix (pytorch/pytorch#142815): the inner fit factorises such a batch a matrix at a
    time there."""
    from skfairdistill._matching.inner import _batched_solve, _lu_factor

    generator = torch.Generator().manual_seed(0)
    A = torch.randn(3, 200, 200, generator=generator) * 0.05 + torch.eye(200)
    b = torch.randn(3, 200, 2, generator=generator)
    with _torch_threads(2):
        solved = _batched_solve(A, b)
        LU, pivots = _lu_factor(A, "blocks")
    torch.testing.assert_close(A @ solved, b, atol=1e-4, rtol=0)
    torch.testing.assert_close(A @ torch.linalg.lu_solve(LU, pivots, b), b, atol=1e-4, rtol=0)


# the dual's unrolled split step, the dual's implicit step, the primal's implicit step
@pytest.mark.parametrize("path", ["dual", "dual implicit", "primal implicit"])
def test_the_inner_fit_on_two_threads_is_one_threads_to_rounding(path):
    """Each class's block of Newton's system has over 150 rows (the ReLU kernel's dual on
    60 rows per class; the primal on 160 features, whose blocks go through Cholesky, safe
    on threads): on two threads the inner fit's model and the rows' gradient are one
    thread's, to rounding as the systems amplify it (4e-4 of the largest entry in the
    primal here, as a change of 1e-7 in the rows gives on one thread). Whole fits are
    compared by their models only: Adam's first steps turn rounding into moves of a
    step's size."""
    from skfairdistill._matching.inner import (IMPLICIT_UNKNOWNS, newton_logistic,
                                               newton_logistic_implicit, relu_kernel)

    n_classes, n_features = {"dual": (3, 6), "dual implicit": (4, 6),
                             "primal implicit": (6, 160)}[path]
    generator = torch.Generator().manual_seed(0)
    rows = torch.randn(60 * n_classes, n_features, generator=generator)
    labels = torch.arange(60 * n_classes) % n_classes
    rows[:, 0] += labels
    onehot = torch.nn.functional.one_hot(labels).float()
    probe = torch.randn(50, n_features, generator=generator)
    primal = path.startswith("primal")
    size = (n_features if primal else len(rows)) + 1
    assert (size * (n_classes - 1) > IMPLICIT_UNKNOWNS) == path.endswith("implicit")

    def fit(threads):
        with _torch_threads(threads):
            synthetic = rows.clone().requires_grad_(True)
            source = synthetic if primal else relu_kernel(synthetic, synthetic)
            if path.endswith("implicit"):
                theta, _ = newton_logistic_implicit(source, onehot, 1.0, 8, dual=not primal)
            else:
                theta = newton_logistic(source, onehot, 1.0, 8)
            features = probe if primal else relu_kernel(probe, synthetic)
            logits = features @ theta[:-1] + theta[-1]
            gradient, = torch.autograd.grad(logits.square().sum(), synthetic)
            return theta.detach(), gradient

    one, two = fit(1), fit(2)
    for a, b in zip(one, two):
        torch.testing.assert_close(b, a, rtol=0, atol=2e-3 * float(a.abs().max()))


def test_a_non_finite_inner_fit_is_an_error_that_names_model_matchings_causes(monkeypatch):
    """An inner fit that stops being finite (here the kernel, from the fourth iteration: on
    raw features of order 1e4 the ReLU kernel's float32 Newton steps did) is a
    DivergenceError naming the step, X's scale and matching_params['C'], and the
    iteration: not the distribution loops' advice alone."""
    from skfairdistill._matching import model
    from skfairdistill._matching._history import DivergenceError

    calls, kernel = [], model.relu_kernel

    def failing_kernel(A, B):  # two calls an iteration: the rows' kernel and the real rows'
        calls.append(None)
        return kernel(A, B) * (float("nan") if len(calls) > 6 else 1.0)

    monkeypatch.setattr(model, "relu_kernel", failing_kernel)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 6)), np.arange(300) % 2
    with pytest.raises(DivergenceError, match=r"matching loss was nan at iteration 4 of 20.*"
                                              r"lower learning_rate.*StandardScaler.*"
                                              r"matching_params\['C'\]"):
        FairDistiller(matching="model", n_iter=20, random_state=0, matching_params={
            "kernel": "relu"}).fit_resample(X, y, sensitive_features=np.arange(300) // 2 % 2)


def test_model_matching_on_two_threads_trains_one_threads_model():
    """A whole fit on two threads through the batched systems above: finite rows that
    train a model as accurate as one thread's."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 6))
    y = np.arange(1200) % 4
    X[:, 0] += y
    group = rng.choice(["a", "b"], size=1200, p=[0.7, 0.3])
    scores = []
    for threads in (1, 2):
        X_syn, y_syn = FairDistiller(
            matching="model", n_per_class=60, n_iter=20, random_state=0, n_threads=threads,
            matching_params={"kernel": "relu"}).fit_resample(X, y, sensitive_features=group)
        assert np.isfinite(X_syn).all()
        scores.append(LogisticRegression().fit(X_syn, y_syn).score(X, y))
    assert scores[1] == pytest.approx(scores[0], abs=0.02)
