r"""Model matching: the synthetic rows are moved so that a model trained on them is accurate and fair.

Per iteration: fit a logistic regression on the current synthetic rows with a few
differentiable Newton steps (unrolled, or for large systems implicit: :mod:`.inner`; from
zero at the first iteration, then from the last iteration's solution), predict one real
mini-batch drawn per (class, group) cell, and take one Adam step on the synthetic rows
against the real rows' weighted log-loss plus a smooth equalized-odds surrogate. With
``sample_weight`` the cells weigh the real rows (drawn by weight, averaged by weight when
a cell is taken whole) and the class and group shares are total weights. With
``fairness_weight="auto"`` the surrogate's weight rises in stages along one fit, and the
rows reached at the end of one stage are kept: those whose model is the most accurate on
real rows at no larger an equalized-odds gap than the data's own logistic regression.
Tensors only.
"""

import torch
from tqdm.auto import tqdm

from ..model_selection import most_accurate_within
from ._history import DivergenceError
from ._loop import run_loop
from .inner import (IMPLICIT_UNKNOWNS, newton_logistic, newton_logistic_implicit,
                    newton_logistic_primal, relu_kernel)


def match_model(real, cells, X_init, y_syn, *, n_iter, learning_rate, batch_size, generator,
                fairness_weight="auto", group_balance=0.0, C=1.0, newton_steps=8,
                kernel="linear", model_space=None, verbose=0):
    r"""Optimise the synthetic rows through the logistic regression trained on them.

    Parameters
    ----------
    real : RealRows
        Standardised access to the real rows (``real.gather(rows)``).
    cells : CellSampler
        Per-(class, group) mini-batch sampler.
    X_init : Tensor of shape (n_syn, n_features)
        Initial synthetic rows (standardised), on the device.
    y_syn : LongTensor of shape (n_syn,)
        Class code of every synthetic row; the labels stay hard and fixed.
    n_iter : int
        Adam steps on the synthetic rows.
    learning_rate : float
        Adam's step size, in standardised units.
    batch_size : int
        Real rows per (class, group) cell and iteration.
    generator : torch.Generator
        The only source of randomness.
    fairness_weight : float or "auto", default="auto"
        Weight :math:`\lambda` of the equalized-odds surrogate against the log-loss.
        ``"auto"``: one fit along :data:`AUTO_WEIGHTS`, an equal share of the
        iterations each, in increasing order; the rows reached at the end of one of
        them are kept (:func:`choose_set`) and ``MatchingResult.fairness_weight`` says
        which.
    group_balance : float in [0, 1], default=0.0
        Weight of the groups within a class in the log-loss: 0 by their share of the
        class (the data's accuracy), 1 the groups present equally (COBRA's weights),
        in between a mixture. Classes always get the data's class shares.
    C : float, default=1.0
        Inverse regularisation of the inner logistic regression (scikit-learn's ``C``).
    newton_steps : int, default=8
        Unrolled Newton steps of the inner fit from zero: the first iteration's, and the
        judging's of ``"auto"``. Every later iteration takes :data:`WARM_NEWTON_STEPS`
        (or ``newton_steps`` if fewer) from the previous iteration's solution.
    kernel : {"linear", "relu"}, default="linear"
        The inner model: a logistic regression on the rows, or on the arc-cosine kernel
        of a wide layer of ReLUs (:func:`.inner.relu_kernel`; always in the dual), which
        stands for a one-hidden-layer network.
    model_space : tuple of two Tensors (scale, offset) of shape (n_features,) or None
        The inner model sees ``X * scale + offset``: the space the user's models are
        trained in (the L2 penalty is not scale-free). None: the standardised rows.
    verbose : int, default=0

    Returns
    -------
    MatchingResult

    Notes
    -----
    The inner model minimises
    :math:`\tfrac12 \sum_k \lVert w_k \rVert^2 + C \sum_i \ell(y_i, f(s_i))`
    (intercepts unpenalised; one logit per class but the first, whose logit is 0: for
    two classes scikit-learn's ``LogisticRegression`` objective) over the synthetic
    rows :math:`s_1..s_n`, in the dual (:math:`w_k = S^\top \alpha_k`; Newton's
    :math:`(n + 1)(K - 1)` equations split into :math:`K - 1` systems of :math:`n + 1`
    unknowns and one of :math:`n`) or, with more rows than features :math:`d`, in the
    primal (:math:`(d + 1)(K - 1)` unknowns): the same model (:mod:`.inner`). Beyond
    :data:`IMPLICIT_UNKNOWNS` unknowns, the rows get the converged fit's gradient through
    one step.
    The outer loss on real rows :math:`x` of cell :math:`(y, g)` is

    .. math::
        -\sum_y \pi_y \sum_{g \in G_y} \omega_{g|y}\, \overline{\log p_y(x)}^{(y,g)}
        + \lambda \sum_y \operatorname{Var}_{g \in G_y} \overline{p_y(x)}^{(y,g)},

    with the data's class shares :math:`\pi_y`, the group weights :math:`\omega`
    (``group_balance``) and, as a smooth stand-in for the per-group true-positive
    rates of the equalized-odds gap, the spread over the groups present of the mean
    probability of the true class.
    """
    device, n_classes, n_groups = X_init.device, cells.n_classes, cells.n_groups
    present = torch.as_tensor(cells.present, device=device, dtype=torch.float32)
    # rows per cell, or with sample_weight their total weights
    counts = torch.as_tensor(cells.totals, device=device, dtype=torch.float32)
    equal = present / present.sum(1, keepdim=True).clamp(min=1)
    by_share = counts / counts.sum(1, keepdim=True).clamp(min=1)
    within = group_balance * equal + (1 - group_balance) * by_share
    group_weights = (counts.sum(1) / counts.sum())[:, None] * within
    onehot = torch.nn.functional.one_hot(y_syn, n_classes).to(X_init.dtype)
    true_class = torch.arange(n_classes, device=device).repeat_interleave(n_groups)
    scale, offset = (None, None) if model_space is None else model_space
    if scale is not None:
        check_model_space(scale, offset)
    candidates = AUTO_WEIGHTS if isinstance(fairness_weight, str) else (fairness_weight,)

    def seen(X):  # the rows as the inner model sees them
        return X if scale is None else X * scale + offset

    last_system = None  # the implicit fit's last Newton system: its next warm steps use it

    def similarity(A, B):  # the dual's kernel between two sets of rows
        return A @ B.T if kernel == "linear" else relu_kernel(A, B)

    def inner_logits(syn, real_rows, start=None, n_steps=newton_steps):
        """The logits on ``real_rows`` of the logistic regression fitted on ``syn``, and its
        coefficients (primal or dual); Newton's steps from ``start``, or from zero."""
        nonlocal last_system
        # more rows than features: the smaller system (a kernel's model has only the dual)
        primal = len(syn) > syn.shape[1] and kernel == "linear"
        source = syn if primal else similarity(syn, syn)
        if (source.shape[1] + 1) * (n_classes - 1) > IMPLICIT_UNKNOWNS:
            theta, last_system = newton_logistic_implicit(source, onehot, C, n_steps, start,
                                                          last_system, dual=not primal)
        elif primal:
            theta = newton_logistic_primal(syn, onehot, C, n_steps, theta0=start)
        else:
            theta = newton_logistic(source, onehot, C, n_steps, theta0=start)
        features = real_rows if primal else similarity(real_rows, syn)
        return features @ theta[:-1] + theta[-1], theta

    # "auto": one fit along the candidate weights in increasing order, a snapshot of the
    # rows at the end of each weight's share of the steps; the best snapshot is kept
    stage_ends = [n_iter * (k + 1) // len(candidates) for k in range(len(candidates))]
    snapshots = {}  # stage: the rows at its end (fewer iterations than weights: some stages)
    X_syn = X_init.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([X_syn], lr=learning_rate)
    last_theta = None  # the last step's inner fit: the next step's Newton steps start from it

    def stage_of(it):
        return sum(it >= end for end in stage_ends)

    def step(it):
        nonlocal last_theta
        stage = stage_of(it)
        rows, weights = cells.draw(batch_size, generator)
        X_real = real.gather(rows).reshape(-1, X_init.shape[1])
        try:
            if last_theta is None:
                logits, theta = inner_logits(seen(X_syn), seen(X_real))
            else:
                logits, theta = inner_logits(seen(X_syn), seen(X_real), last_theta,
                                             min(newton_steps, WARM_NEWTON_STEPS))
            last_theta = theta.detach()
        except torch.linalg.LinAlgError:  # rows so far out that the Newton system is singular
            raise singular(f"at iteration {it + 1} of {n_iter}") from None
        log_p = torch.log_softmax(torch.cat([logits.new_zeros(len(logits), 1), logits], 1), 1)
        log_true = log_p.view(*rows.shape, n_classes).gather(
            2, true_class.view(-1, 1, 1).expand(*rows.shape, 1)).squeeze(2)
        loss = outer_loss(log_true, weights, group_weights, present, candidates[stage])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it + 1 == stage_ends[stage] and len(candidates) > 1:
            snapshots[stage] = X_syn.detach().clone()
        return loss.detach()

    # a NaN loss here may be the inner fit's (X's scale) as well as the step's
    result = run_loop(step, X_syn, n_iter, verbose=verbose, desc="model matching",
                      advice=CAUSES)
    if len(candidates) > 1 and not result.interrupted:
        with torch.no_grad():
            stages = list(snapshots)
            try:
                kept, scores = choose_set(torch.stack(list(snapshots.values())), seen,
                                          inner_logits, real, cells, generator, C, batch_size)
            except torch.linalg.LinAlgError:
                raise singular("as the sets were judged, after the last iteration") from None
            chosen = stages[kept]
        result.X_syn = snapshots[chosen]
        if verbose >= 1:
            tqdm.write("model matching: judged on real rows, accuracy / gap: the data's "
                       f"{scores[0][0]:.3f} / {scores[0][1]:.3f}; " + ", ".join(
                           f"weight {candidates[stage]:g} {accuracy:.3f} / {gap:.3f}"
                           for stage, (accuracy, gap) in zip(stages, scores[1:]))
                       + f"; kept weight {candidates[chosen]:g}.")
    else:  # one weight, or Ctrl-C: the rows reached, and the weight of their last step
        chosen = stage_of(result.n_iter - 1)
    result.fairness_weight = candidates[chosen]
    return result


def check_model_space(scale, offset):
    """A clear error, before the fit, where X's own scale would overflow the inner model."""
    # the squared norm of a row within 10 standard deviations of the mean, which the Gram
    # matrix and Newton's system sum over the rows
    reach = float(((10 * scale.double().abs() + offset.double().abs()) ** 2).sum())
    if reach > MAX_SQUARED_NORM:
        raise ValueError(
            "matching='model' fits its logistic regression on X's own scale (the L2 penalty "
            f"is not scale-free), and rows of X reach a squared norm of {reach:.3g}, beyond "
            f"{MAX_SQUARED_NORM:.0e}: that model's products would overflow float32 (about "
            "3.4e38). Rescale X first (e.g. StandardScaler); the model then sees the rows "
            "as scaled.")


# why model matching diverges, and what to change
CAUSES = ("Either the step is too large for this data (lower learning_rate), or X's features "
          "are so large that the inner model, fitted in X's own scale, is barely regularised "
          "(rescale X, e.g. with StandardScaler, or lower matching_params['C']; the ReLU "
          "kernel grows with the square of X's scale).")


def singular(when):
    """The error of a singular Newton system: the rows have moved too far, or X's scale
    leaves the inner model all but unregularised."""
    return DivergenceError(
        f"the distillation diverged: the inner logistic regression's Newton system became "
        f"singular {when}, so the synthetic rows have moved too far. {CAUSES}")


# rows whose squared norm passes this overflow the inner model's float32 products once summed
# over thousands of rows and scaled by C (check_model_space)
MAX_SQUARED_NORM = 1e33
# Newton steps of a step's inner fit after the first: from the last step's solution, which
# the rows' small moves leave close, 3 steps give the 8 steps from zero's gradients to
# float32 rounding (the gradient is then that of the converged fit, the implicit one)
WARM_NEWTON_STEPS = 3
# the candidate weights of fairness_weight="auto"; the real rows per cell that judge them
# (fewer for wide tables: at most JUDGE_VALUES values a draw, or the loop's own batch)
AUTO_WEIGHTS = (0.3, 1.0, 3.0, 10.0)
JUDGE_ROWS, JUDGE_VALUES = 2048, 2**24
# the data's logistic regression: exact Newton steps up to this many unknowns and values in
# the Hessian's product (rows x unknowns x (classes - 1)), L-BFGS above (Newton's system
# grows with the square of the features, its product with the square of the classes)
NEWTON_UNKNOWNS, NEWTON_VALUES = 1024, 2**25


def choose_set(sets, seen, inner_logits, real, cells, generator, C, batch_size):
    """Index of the set whose model is the most accurate at no larger a gap than the data's,
    and the ``(accuracy, gap)`` judged: the data's model's first, then every set's.

    Judged on real rows drawn per cell (accuracy and equalized-odds gap of hard
    predictions, the cells weighed by their shares), against a logistic regression fitted
    on another such draw, each row standing for its cell's share: the full data's model.
    No set at or below that gap: the set with the smallest gap.
    """
    n_features, n_cells = sets.shape[-1], cells.n_classes * cells.n_groups
    per_cell = min(JUDGE_ROWS, max(batch_size, JUDGE_VALUES // (n_cells * n_features)))
    totals = torch.as_tensor(cells.totals, device=sets.device, dtype=sets.dtype).reshape(-1)
    fit_rows, fit_weights = cells.draw(per_cell, generator)
    row_weights = fit_weights * (totals / fit_weights.sum(1).clamp(min=1))[:, None]
    X_fit = seen(real.gather(fit_rows).reshape(-1, n_features))
    onehot = torch.nn.functional.one_hot(
        torch.arange(cells.n_classes, device=sets.device).repeat_interleave(
            cells.n_groups * fit_rows.shape[1]), cells.n_classes).to(sets.dtype)
    theta = fit_logistic(X_fit, onehot, C, row_weights.reshape(-1))
    rows, weights = cells.draw(per_cell, generator)
    X_judge = seen(real.gather(rows).reshape(-1, n_features))
    reference = X_judge @ theta[:-1] + theta[-1]
    scores = [hard_scores(reference, weights, totals, cells)]
    for syn in sets:
        scores.append(hard_scores(inner_logits(seen(syn), X_judge)[0], weights, totals, cells))
    accuracies, gaps = zip(*scores[1:])
    return most_accurate_within(accuracies, gaps, scores[0][1]), scores


def fit_logistic(X, onehot, C, row_weights, newton_steps=20, lbfgs_steps=200):
    """Weights and intercepts ``(d + 1, n_classes - 1)`` of the weighted logistic regression
    (:func:`newton_logistic_primal`'s objective, row ``i`` counted ``row_weights[i]`` times)."""
    k1 = onehot.shape[1] - 1
    unknowns = (X.shape[1] + 1) * k1
    if unknowns <= NEWTON_UNKNOWNS and len(X) * k1 * unknowns <= NEWTON_VALUES:
        return newton_logistic_primal(X, onehot, C, newton_steps, row_weights)
    theta = X.new_zeros(X.shape[1] + 1, k1, requires_grad=True)
    share = row_weights / row_weights.sum()  # the objective over C * total weight: same model
    optimizer = torch.optim.LBFGS([theta], max_iter=lbfgs_steps, line_search_fn="strong_wolfe")

    def objective():
        optimizer.zero_grad()
        logits = torch.cat([X.new_zeros(len(X), 1), X @ theta[:-1] + theta[-1]], 1)
        loss = -(share * (torch.log_softmax(logits, 1) * onehot).sum(1)).sum()
        loss = loss + (theta[:-1] ** 2).sum() / (2 * C * row_weights.sum())
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(objective)
    return theta.detach()


def hard_scores(logits, weights, totals, cells):
    """Accuracy and largest gap over classes between the groups' recalls, of hard predictions."""
    logits = torch.cat([logits.new_zeros(len(logits), 1), logits], 1)
    true_class = torch.arange(cells.n_classes, device=logits.device).repeat_interleave(
        cells.n_groups)
    right = (logits.argmax(1).view(weights.shape) == true_class[:, None]).to(weights.dtype)
    recall = (right * weights).sum(1) / weights.sum(1).clamp(min=1)
    accuracy = float((recall * totals).sum() / totals.sum())
    present = torch.as_tensor(cells.present, device=logits.device).reshape(cells.n_classes, -1)
    recall = recall.view(cells.n_classes, -1)
    gaps = [float(r[p].max() - r[p].min()) for r, p in zip(recall, present) if p.sum() > 1]
    return accuracy, max(gaps, default=0.0)


def outer_loss(log_true, weights, group_weights, present, fairness_weight):
    """Weighted log-loss of the true class plus the per-class variance over groups of its mean probability.

    ``log_true`` and ``weights`` are ``(n_cells, b)``; ``group_weights`` and ``present``
    ``(n_classes, n_groups)``.
    """
    drawn = weights.sum(1).clamp(min=1)
    mean_log = ((log_true * weights).sum(1) / drawn).view_as(present)
    loss = -(group_weights * mean_log).sum()
    if fairness_weight:
        mean_p = ((log_true.exp() * weights).sum(1) / drawn).view_as(present)
        n_present = present.sum(1, keepdim=True).clamp(min=1)
        centre = (mean_p * present).sum(1, keepdim=True) / n_present
        loss = loss + fairness_weight * ((mean_p - centre) ** 2 * present / n_present).sum()
    return loss


__all__ = ["AUTO_WEIGHTS", "WARM_NEWTON_STEPS", "check_model_space", "choose_set",
           "fit_logistic", "hard_scores", "match_model", "outer_loss", "singular"]
