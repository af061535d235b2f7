"""Model matching: move the synthetic rows so that a model trained on them is accurate and fair on real rows.

Per iteration: train the inner learner(s) on the current synthetic rows with a few
unrolled Newton steps (differentiable, from zero), predict one real mini-batch
drawn per (class, group) cell, and take one Adam step on the synthetic rows
against the real rows' group-balanced log-loss plus a smooth equalized-odds
surrogate. Optionally the rows are kept within the real data's per-feature range.
Everything stays on the device. This module knows nothing about pandas or
scikit-learn.
"""

import math

import torch

from ._loop import run_loop

INNER_LEARNERS = ("logistic", "ntk", "relu_features")


def match_model(
    real,
    cells,
    X_init,
    y_syn,
    *,
    n_iter,
    learning_rate,
    batch_size,
    generator,
    fairness_weight=1.0,
    inner=("logistic",),
    C=1.0,
    kernel_C=1.0,
    newton_steps=8,
    n_features_random=64,
    clip_to_range=True,
    group_balance=1.0,
    proximity=0.0,
    model_space=None,
    snap_binary=False,
    verbose=0,
):
    """Optimise the synthetic rows by matching the model trained on them to the real data.

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
    fairness_weight : float, default=1.0
        Weight of the equalized-odds surrogate against the log-loss.
    inner : str or sequence of str, default=("logistic",)
        The inner learner(s), each an L2-regularised logistic regression (binary, or
        multinomial against class 0) fitted in the dual: ``"logistic"`` on the rows
        (scikit-learn's ``LogisticRegression(C=C)`` objective), ``"ntk"`` with the
        neural tangent kernel of a one-hidden-layer ReLU network, ``"relu_features"``
        on ``n_features_random`` random ReLU features drawn afresh every iteration.
        Several: their outer losses are averaged.
    C : float, default=1.0
        Inverse regularisation of ``"logistic"`` (scikit-learn's ``C``).
    kernel_C : float, default=1.0
        Inverse regularisation of ``"ntk"`` and ``"relu_features"``.
    newton_steps : int, default=8
        Unrolled Newton steps of every inner fit.
    n_features_random : int, default=64
        Width of ``"relu_features"``.
    clip_to_range : bool, default=True
        After every step, clamp each feature of the synthetic rows to the range
        of the real rows drawn so far (keeps the rows where the data lives).
    group_balance : float in [0, 1], default=1.0
        Weight of the groups within a class in the log-loss: 1 weights the groups
        present equally (COBRA's target), 0 by their share in the data (plain
        accuracy), in between a mixture.
    proximity : float, default=0.0
        Weight of a penalty on every synthetic row's mean squared distance (per
        feature) to its nearest drawn real row of its class.
    model_space : tuple of two Tensors (scale, offset) of shape (n_features,) or None
        The inner learners see ``X * scale + offset``: the space the user's models
        are trained in (the original scale; the L2 penalty is not scale-free).
        None: the standardised rows.
    snap_binary : bool, default=False
        Columns whose first drawn real rows take two values only (one-hot, flags)
        are snapped to the nearer of them in the forward pass (straight-through
        gradient) and in the result, so that trees see real categories.
    verbose : int, default=0

    Returns
    -------
    MatchingResult

    Notes
    -----
    With a kernel :math:`k` and the synthetic rows :math:`s_1..s_n`, the inner
    learner minimises :math:`\\tfrac12\\sum_k \\alpha_k^\\top K\\alpha_k +
    C\\sum_i \\ell(y_i, f(s_i))`, :math:`f_k(x) = k(x, S)\\alpha_k + b_k` for the
    classes :math:`k \\ge 1` (:math:`f_0 = 0`; one logit for two classes, which is
    scikit-learn's binary objective for the linear kernel), the intercepts
    unpenalised. Newton's system, with :math:`K` factored out of the
    :math:`\\alpha` rows, is :math:`\\Delta\\alpha_k + C\\sum_l A_{kl}\\,
    \\Delta f_l = -(\\alpha_k + C r_k)`, :math:`\\mathbf 1^\\top\\sum_l A_{kl}\\,
    \\Delta f_l = -\\mathbf 1^\\top r_k`, with :math:`r = p - y`, :math:`A_{kl} =
    \\mathrm{diag}(p_k\\delta_{kl} - p_k p_l)` and :math:`\\Delta f_l =
    K\\Delta\\alpha_l + \\mathbf 1\\Delta b_l` (size :math:`(n+1)(K-1)`).

    The outer loss on the real rows :math:`x` of cell :math:`(y, g)` is
    :math:`-\\sum_y \\pi_y \\tfrac{1}{|G_y|}\\sum_{g \\in G_y} \\overline{\\log
    p_y(x)}^{(y,g)} + \\lambda \\sum_y \\mathrm{Var}_{g \\in G_y}
    \\overline{p_y(x)}^{(y,g)}`: the data's class shares :math:`\\pi_y`, the
    groups :math:`G_y` present in class :math:`y` weighted equally (COBRA's
    weights), and the spread over groups of the mean probability of the true
    class, a smooth stand-in for the per-group true- and false-positive rates of
    the equalized-odds gap.
    """
    inner = (inner,) if isinstance(inner, str) else tuple(inner)
    unknown = [name for name in inner if name not in INNER_LEARNERS]
    if not inner or unknown:
        raise ValueError(f"inner must name some of {INNER_LEARNERS}; got {inner!r}.")
    device, n_classes, n_groups = X_init.device, cells.n_classes, cells.n_groups
    present = torch.as_tensor(cells.present, device=device, dtype=torch.float32)
    counts = torch.as_tensor(cells.counts, device=device, dtype=torch.float32)
    shares = counts.sum(1) / counts.sum()  # the data's class prior
    # group weights within a class: equal over the groups present, or their data shares
    equal = present / present.sum(1, keepdim=True).clamp(min=1)
    within = group_balance * equal + (1 - group_balance) * counts / counts.sum(1, keepdim=True)
    group_weights = shares[:, None] * within
    onehot = torch.nn.functional.one_hot(y_syn, n_classes).to(X_init.dtype)
    true_class = torch.arange(n_classes, device=device).repeat_interleave(n_groups)
    low = high = binary = None

    X_syn = X_init.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([X_syn], lr=learning_rate)

    def step(it):
        nonlocal low, high
        rows, weights = cells.draw(batch_size, generator)
        X_real = real.gather(rows)  # (n_cells, b, d)
        with torch.no_grad():  # the range of the real rows seen so far
            drawn = X_real[weights > 0]
            batch_low, batch_high = drawn.min(0).values, drawn.max(0).values
            low = batch_low if low is None else torch.minimum(low, batch_low)
            high = batch_high if high is None else torch.maximum(high, batch_high)
            if binary is None and snap_binary:
                binary = ((drawn == batch_low) | (drawn == batch_high)).all(0)
                binary &= batch_high > batch_low
        used = X_syn if binary is None else X_syn + (_snapped(X_syn, low, high, binary)
                                                     - X_syn).detach()
        flat = X_real.reshape(-1, X_real.shape[-1])
        seen_syn, seen_real = used, flat
        if model_space is not None:
            seen_syn, seen_real = (x * model_space[0] + model_space[1] for x in (used, flat))
        loss = 0.0
        for name in inner:
            log_p = _inner_predictions(name, seen_syn, onehot, seen_real, C, kernel_C, newton_steps,
                                       n_features_random, generator)
            log_true = log_p.view(*rows.shape, n_classes).gather(
                2, true_class.view(-1, 1, 1).expand(*rows.shape, 1)).squeeze(2)
            loss = loss + _outer_loss(log_true, weights, group_weights, present,
                                      fairness_weight, n_classes, n_groups)
        loss = loss / len(inner)
        if proximity:  # squared distance to the nearest drawn real row of the same class
            distances = torch.cdist(X_syn, flat).square() / flat.shape[1]
            other = (true_class.repeat_interleave(rows.shape[1])[None, :] != y_syn[:, None])
            other = other | (weights.reshape(1, -1) == 0)
            loss = loss + proximity * distances.masked_fill(other, float("inf")).min(1).values.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if clip_to_range:
            with torch.no_grad():
                X_syn.copy_(torch.maximum(torch.minimum(X_syn, high), low))
        return loss.detach()

    result = run_loop(step, X_syn, n_iter, verbose=verbose, desc="model matching")
    if binary is not None:
        result.X_syn = _snapped(result.X_syn, low, high, binary)
    return result


def _snapped(X, low, high, binary):
    """X with its binary columns set to the nearer of their two values."""
    nearer = torch.where(X < (low + high) / 2, low, high)
    return torch.where(binary, nearer, X)


def _outer_loss(log_true, weights, group_weights, present, fairness_weight, n_classes,
                n_groups):
    """Group-balanced log-loss plus the per-class variance over groups of the mean p(true class)."""
    drawn = weights.sum(1).clamp(min=1)
    mean_log = ((log_true * weights).sum(1) / drawn).view(n_classes, n_groups)
    loss = -(group_weights * mean_log).sum()
    if fairness_weight:
        mean_p = ((log_true.exp() * weights).sum(1) / drawn).view(n_classes, n_groups)
        n_present = present.sum(1, keepdim=True).clamp(min=1)
        centre = (mean_p * present).sum(1, keepdim=True) / n_present
        loss = loss + fairness_weight * ((mean_p - centre) ** 2 * present / n_present).sum()
    return loss


def _inner_predictions(name, X_syn, onehot, X_real, C, kernel_C, newton_steps, width,
                       generator):
    """Log-probabilities ``(n_real, n_classes)`` of the inner learner ``name`` fitted on X_syn."""
    if name == "logistic":
        gram, cross, strength = X_syn @ X_syn.T, X_real @ X_syn.T, C
    else:
        both = torch.cat([X_syn, X_real])
        both = torch.cat([both, both.new_ones(len(both), 1)], 1) / math.sqrt(both.shape[1] + 1)
        if name == "ntk":
            features = None
            kernel = _relu_ntk(both, both[: len(X_syn)])
        else:
            weights = torch.randn(both.shape[1], width, generator=generator, device=both.device)
            features = torch.relu(both @ weights) * math.sqrt(2.0 / width)
            kernel = features @ features[: len(X_syn)].T
        gram, cross, strength = kernel[: len(X_syn)], kernel[len(X_syn):], kernel_C
    theta = _newton_logistic(gram, onehot, strength, newton_steps)
    logits = cross @ theta[:-1] + theta[-1]
    return torch.log_softmax(torch.cat([logits.new_zeros(len(logits), 1), logits], 1), 1)


def _relu_ntk(X, S):
    """Neural tangent kernel of a one-hidden-layer ReLU network between the rows of X and S."""
    norms = X.norm(dim=1, keepdim=True) * S.norm(dim=1)
    inner_product = X @ S.T
    cosine = (inner_product / norms.clamp(min=1e-12)).clamp(-1 + 1e-6, 1 - 1e-6)
    angle = torch.arccos(cosine)
    arc0 = (math.pi - angle) / math.pi
    arc1 = (torch.sqrt(1 - cosine**2) + (math.pi - angle) * cosine) / math.pi
    return inner_product * arc0 + norms * arc1


def _newton_logistic(gram, onehot, C, n_steps):
    """Dual coefficients and intercepts ``(n + 1, n_classes - 1)`` after ``n_steps`` Newton steps."""
    n, k1 = gram.shape[0], onehot.shape[1] - 1
    design = torch.cat([gram, gram.new_ones(n, 1)], 1)  # f = design @ theta
    targets = onehot[:, 1:]
    theta = gram.new_zeros(n + 1, k1)
    top = torch.eye(n, n + 1, dtype=gram.dtype, device=gram.device)
    same = torch.eye(k1, dtype=gram.dtype, device=gram.device)[:, :, None, None]
    for _ in range(n_steps):
        logits = design @ theta
        p = torch.softmax(torch.cat([logits.new_zeros(n, 1), logits], 1), 1)[:, 1:]
        residual = p - targets
        curvature = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]  # (n, k1, k1)
        weighted = curvature.permute(1, 2, 0)[..., None] * design  # (k1, k1, n, n+1)
        rows = torch.cat([same * top + C * weighted, weighted.sum(2, keepdim=True)], 2)
        system = rows.permute(0, 2, 1, 3).reshape(k1 * (n + 1), k1 * (n + 1))
        rhs = -torch.cat([theta[:n] + C * residual, residual.sum(0, keepdim=True)], 0)
        delta = torch.linalg.solve(system, rhs.T.reshape(-1, 1))
        theta = theta + delta.view(k1, n + 1).T
    return theta
