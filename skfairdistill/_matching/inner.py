"""The inner logistic regression of model matching: Newton's steps, differentiable.

One model (:func:`newton_logistic_primal`'s objective), three ways to it. Fewer rows than
features: :func:`newton_logistic`, in the dual. More rows: :func:`newton_logistic_primal`,
in the primal. Both are unrolled: the rows' gradient runs back through every step. A
system of more than :data:`IMPLICIT_UNKNOWNS` unknowns (many classes) makes that dear, so
:func:`newton_logistic_implicit` takes its steps outside the graph and gives the rows the
converged fit's gradient through one step whose system is held fixed; its systems are
factorised by :class:`PrimalNewtonSystem` and :class:`DualNewtonSystem`. The dual takes any
Gram matrix: :func:`relu_kernel`'s fits the model on a wide ReLU layer instead. Tensors only.
"""

import torch

# Once the rows separate a class from every other, its probabilities saturate and its
# intercept's curvature vanishes: Newton's system turns singular, or its step throws the
# model far off. So the intercepts' curvature gets INTERCEPT_DAMPING in the system (not in
# the objective: a converged fit is the same), and a step moves no row's logit by more
# than MAX_LOGIT_STEP (the steps of a sound fit stay below it)
INTERCEPT_DAMPING, MAX_LOGIT_STEP = 1e-3, 10.0
# Systems of more unknowns ((d + 1)(K - 1) in the primal, (n + 1)(K - 1) in the dual) than
# this take newton_logistic_implicit: ten classes on the coloured digits (909 at 10 rows per
# class, 1737 at 50). Up to it the unrolled steps cost little, and their rows are those the
# studies of two to six classes measured
IMPLICIT_UNKNOWNS = 512
# The held step solves with the exact system, by iterative refinement on a factorised one (the
# damping had moved the rows' gradient by 0.3-1 % along a ten-class fit): in the primal on the
# last call's system while at most MAX_SWEEPS sweeps bring the residual to REFINED_RESIDUAL (along
# a ten-class fit, 2-4 sweeps from a system one step old), else on a fresh one (1e-5 in 2 sweeps)
REFINED_RESIDUAL, MAX_SWEEPS = 5e-5, 4
# The backward pass refines its own solve (the rows' gradient), at most MAX_SWEEPS sweeps: the
# forward's count of sweeps left that gradient 1.6e-4 from the converged fit's (median, along a
# ten-class dual fit) against 3e-5, and a residual of 1e-6 took a raw-scale table with saturated
# probabilities from 1.7e-4 to 8e-6 (float32 reaches about 1e-5: the sweeps then all run)
ADJOINT_RESIDUAL = 1e-6


def relu_kernel(A, B):
    r"""The arc-cosine kernel of degree 1 between the rows of ``A`` and ``B``, each with a
    bias input of 1: :math:`\lVert a \rVert \lVert b \rVert (\sin\theta + (\pi - \theta)
    \cos\theta) / \pi`, the covariance of an infinitely wide layer of ReLUs with standard
    normal weights (Cho and Saul, "Kernel Methods for Deep Learning", NeurIPS 2009), up to
    a factor of 2. A logistic regression on it stands for a one-hidden-layer ReLU network."""
    A, B = (torch.nn.functional.pad(M, (0, 1), value=1.0) for M in (A, B))
    norms = A.norm(dim=1)[:, None] * B.norm(dim=1)[None, :]
    # acos' slope is infinite at +-1, where a row meets itself
    cos = ((A @ B.T) / norms).clamp(-1 + 1e-6, 1 - 1e-6)
    theta = torch.acos(cos)
    return norms * (torch.sin(theta) + (torch.pi - theta) * cos) / torch.pi


def step_limit(logit_change):
    """The fraction of a Newton step that changes no row's logit by more than
    MAX_LOGIT_STEP: 1 for the steps of a sound fit, less where the system is nearly
    singular and the full step would throw the model far off."""
    return (MAX_LOGIT_STEP / logit_change.abs().max().clamp(min=MAX_LOGIT_STEP)).detach()


def newton_logistic(gram, onehot, C, n_steps, theta0=None):
    """Dual coefficients and intercepts ``(n + 1, n_classes - 1)`` after ``n_steps`` Newton steps.

    ``gram`` is the synthetic rows' Gram matrix ``(n, n)``, ``onehot`` their labels
    ``(n, n_classes)``; the logits are ``gram @ theta[:-1] + theta[-1]`` (class 0's is 0).
    """
    n = gram.shape[0]
    design = torch.cat([gram, gram.new_ones(n, 1)], 1)  # logits = design @ theta
    targets = onehot[:, 1:]
    theta = gram.new_zeros(n + 1, targets.shape[1]) if theta0 is None else theta0
    for _ in range(n_steps):
        logits = design @ theta
        p = torch.softmax(torch.cat([logits.new_zeros(n, 1), logits], 1), 1)[:, 1:]
        residual = p - targets
        rhs = -torch.cat([theta[:n] + C * residual, residual.sum(0, keepdim=True)], 0)
        delta = dual_newton_step(design, p, rhs, C)
        theta = theta + delta * step_limit(design @ delta)
    return theta


def dual_newton_step(design, p, rhs, C):
    r"""The dual Newton step ``(n + 1, k)`` for ``k`` free classes' probabilities ``p``.

    Row :math:`i`'s curvature :math:`\operatorname{diag}(p_i) - p_i p_i^\top` is a diagonal
    less a rank-one term, so the :math:`(n + 1) k` equations split: given every row's
    :math:`s_i = p_i \cdot u_i` (:math:`u_i` its logits' change), class :math:`k`'s
    :math:`n + 1` unknowns solve a system of their own, :math:`B_k`, with the curvature
    :math:`\operatorname{diag}(p_{\cdot k})`; and :math:`s` solves one system of :math:`n`.
    The same step as the whole system's, for :math:`k` systems of :math:`n + 1` and one of
    :math:`n` instead of one of :math:`(n + 1) k` unknowns. One free class (two classes):
    its whole curvature :math:`p (1 - p)`, and no :math:`s`.
    """
    n, k = p.shape
    pk = p.T  # (k, n)
    B, E = dual_blocks(design, p, C)
    if k == 1:
        return _batched_solve(B, rhs.T[:, :, None])[:, :, 0].T
    solved = _batched_solve(B, torch.cat([rhs.T[:, :, None], E], 2))
    # s_i = sum_k p_ik u_ik, each u a linear function of s: one system for s
    D = pk[:, :, None] * (design @ solved)
    s = torch.linalg.solve(torch.eye(n, dtype=p.dtype, device=p.device) - D[:, :, 1:].sum(0),
                           D[:, :, :1].sum(0))
    return (solved[:, :, 0] + (solved[:, :, 1:] @ s)[:, :, 0]).T


def dual_blocks(design, p, C):
    """The dual system's per-class blocks ``B`` ``(k, n + 1, n + 1)`` and, for more than one
    free class, the coupling ``E`` ``(k, n + 1, n)`` (else None): :func:`dual_newton_step`'s
    split."""
    n, pk = design.shape[0], p.T  # (k, n)
    # one class: its whole curvature p (1 - p), no s; more: the curvature's diagonal p
    diagonal = pk - pk * pk if len(pk) == 1 else pk
    # B_k: identity + C diag(curvature) design, and the intercept's equation (damped, see
    # INTERCEPT_DAMPING)
    weighted = diagonal[:, :, None] * design
    top = torch.eye(n, n + 1, dtype=p.dtype, device=p.device) + C * weighted
    B = torch.cat([top, weighted.sum(1, keepdim=True)], 1)
    B[:, n, n] += INTERCEPT_DAMPING
    if len(pk) == 1:
        return B, None
    # what s adds to class k's equations: C p_ik s_i to row i's, p_k . s to the intercept's
    return B, torch.cat([C * torch.diag_embed(pk), pk[:, None, :]], 1)


def newton_logistic_primal(X, onehot, C, n_steps, row_weights=None, theta0=None):
    """Weights and intercepts ``(d + 1, n_classes - 1)`` after ``n_steps`` Newton steps.

    ``X`` are the rows ``(n, d)``, ``onehot`` their labels; the logits are
    ``X @ theta[:-1] + theta[-1]`` (class 0's is 0). The intercepts are not penalised.
    """
    n, k1 = X.shape[0], onehot.shape[1] - 1
    design = torch.cat([X, X.new_ones(n, 1)], 1)  # logits = design @ theta
    size = design.shape[1]
    penalised = torch.ones(size, dtype=X.dtype, device=X.device)
    penalised[-1] = 0
    damped = penalised.clone()
    damped[-1] = C * INTERCEPT_DAMPING
    ridge = torch.block_diag(*[torch.diag(damped)] * k1)
    targets = onehot[:, 1:]
    theta = X.new_zeros(size, k1) if theta0 is None else theta0
    for _ in range(n_steps):
        logits = design @ theta
        p = torch.softmax(torch.cat([logits.new_zeros(n, 1), logits], 1), 1)[:, 1:]
        curvature = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]  # (n, k1, k1)
        residual = p - targets
        if row_weights is not None:
            curvature = curvature * row_weights[:, None, None]
            residual = residual * row_weights[:, None]
        # sum over rows of curvature[n, k, l] design[n, i] design[n, j], as one product
        # (torch's einsum of three operands is slower forward and backward)
        weighted = (curvature[:, :, :, None] * design[:, None, None, :]).reshape(n, -1)
        hessian = (design.T @ weighted).view(size, k1, k1, size).permute(1, 0, 2, 3)
        system = ridge + C * hessian.reshape(k1 * size, k1 * size)
        gradient = penalised[:, None] * theta + C * design.T @ residual  # (size, k1)
        delta = torch.linalg.solve(system, -gradient.T.reshape(-1, 1)).view(k1, size).T
        theta = theta + delta * step_limit(design @ delta)
    return theta


def newton_logistic_implicit(source, onehot, C, n_steps, theta0=None, system0=None, dual=False):
    r"""The logistic regression's fit, with the rows' gradient through its last step only.

    ``source`` is the rows ``(n, d)`` (the primal, :func:`newton_logistic_primal`'s fit), or
    with ``dual`` their Gram matrix ``(n, n)`` (:func:`newton_logistic`'s). The first
    ``n_steps - 1`` steps run outside the autograd graph: from zero each with its own
    factorisation of Newton's system; from ``theta0`` (the last fit, which the rows' small
    moves leave close) as chord steps on one system, ``system0`` (the last call's) if given.
    The last step, :math:`\theta - J^{-1} g(\theta, S)` (:math:`g` the optimality
    condition: the objective's gradient, or in the dual :math:`\alpha + C (p - y)` and
    :math:`\sum_i (p_i - y_i)`), is differentiated with :math:`J`, :math:`g`'s exact
    Jacobian in :math:`\theta` at its start, held fixed, so the rows get
    :math:`-J^{-1} \partial g / \partial S`: the gradient of the converged fit (the implicit
    function theorem) once the steps have converged. :class:`HeldSystem` solves with
    :math:`J`, on the chord steps' system while that is close enough, else on a fresh one;
    so a warm call mostly factorises nothing and keeps no step's graph.

    Returns the coefficients and intercepts (``(d + 1, n_classes - 1)``, dual
    ``(n + 1, n_classes - 1)``) and the system the last step was solved on (a later warm
    call's ``system0``).
    """
    n, targets = source.shape[0], onehot[:, 1:]
    Factorised, Held = (DualNewtonSystem, HeldJacobian) if dual else (PrimalNewtonSystem,
                                                                        HeldHessian)
    theta = (source.new_zeros(source.shape[1] + 1, targets.shape[1]) if theta0 is None
             else theta0.detach())

    def condition(source, theta):  # g(theta, S) = 0 at the fit
        design = torch.cat([source, source.new_ones(n, 1)], 1)
        logits = design @ theta
        p = torch.softmax(torch.cat([logits.new_zeros(n, 1), logits], 1), 1)[:, 1:]
        if dual:
            return torch.cat([theta[:-1] + C * (p - targets),
                              (p - targets).sum(0, keepdim=True)]), design, p
        penalty = torch.cat([theta[:-1], theta.new_zeros(1, theta.shape[1])])
        return penalty + C * _transposed_product(design, p - targets), design, p

    # chord steps on one system in the primal only: the dual's system holds the Gram matrix,
    # which every move of the rows changes (along a ten-class fit, chord steps left the rows'
    # gradient 20x further from the converged fit's than fresh systems did)
    chord = theta0 is not None and not dual
    with torch.no_grad():
        rows, system, last_norm = source.detach(), system0 if chord else None, None
        for step in range(n_steps):
            g, design, p = condition(rows, theta)
            norm, last = float(g.norm()), step == n_steps - 1
            # a fresh system for every step but chord steps, and where a step did not shrink g
            # (the system too stale for the rows); the dual's held step refines on the last
            # step's system (a third fewer factorisations, its gradient as close)
            stale = last_norm is not None and not norm < last_norm
            if system is None or stale or not (chord or (dual and last)):
                system = Factorised(design, p, C)
            if last:
                break
            delta, last_norm = system.solve(-g), norm
            theta = theta + delta * step_limit(design @ delta)
        held = Held(design, p, C, system)
        solved, refined = held.refine(-g)
        if not refined:  # the system is too far from this Jacobian: a fresh one
            held = Held(design, p, C, Factorised(design, p, C))
            solved, _ = held.refine(-g)
        system = held.system
    g, design, _ = condition(source, theta)  # the same g, now in the graph
    delta = _HeldSolve.apply(-g, held, solved)
    return theta + delta * step_limit(design.detach() @ delta.detach()), system


def _one_call(A):
    """Whether torch may factorise the batch ``A`` in one call. On the CPU with more than one
    thread, torch (2.5 to 2.13 at least) splits a batch over threads that call MKL's LU at
    once, which is not safe: from about 150 rows a matrix, wrong pivots, a RuntimeError or
    silently wrong solutions (pytorch/pytorch#142815). With one thread the one call stays,
    and with it the rows every study measured."""
    return A.dim() < 3 or len(A) == 1 or A.device.type != "cpu" or torch.get_num_threads() == 1


def _batched_solve(A, B):
    """``torch.linalg.solve(A, B)`` for a batch ``A``, one matrix at a time where one call
    is not safe (:func:`_one_call`)."""
    if _one_call(A):
        return torch.linalg.solve(A, B)
    return torch.stack([torch.linalg.solve(M, b) for M, b in zip(A, B)])


def _lu_factor(A, what):
    """``A``'s LU factors, one matrix at a time where one call is not safe
    (:func:`_one_call`); a singular ``A`` raises LinAlgError (lu_factor's own error is a
    RuntimeError, which the loop would not turn into its divergence error)."""
    if _one_call(A):
        *factors, info = torch.linalg.lu_factor_ex(A)
    else:
        *factors, info = (torch.stack(part) for part in zip(
            *(torch.linalg.lu_factor_ex(M) for M in A)))
    if (info > 0).any():
        raise torch.linalg.LinAlgError(f"the {what} of Newton's system is singular")
    return factors


class PrimalNewtonSystem:
    r"""Newton's system of the primal fit at probabilities ``p``, factorised for solving.

    Row :math:`i`'s curvature :math:`\operatorname{diag}(p_i) - p_i p_i^\top` (over the
    free classes) makes the system :math:`D - U^\top U`: per class :math:`k` a block
    :math:`D_k = R + C A^\top \operatorname{diag}(p_{\cdot k}) A` (:math:`A` the rows with a
    column of ones, :math:`R` the penalty, the intercept's damped), and :math:`U`'s row
    :math:`i` is :math:`\sqrt{C}\, p_i \otimes a_i`. By Woodbury's identity it is solved with
    :math:`K - 1` inverses of :math:`d + 1` unknowns (by Cholesky) and one LU of :math:`n`,
    not one factorisation of :math:`(d + 1)(K - 1)`. One free class: its whole curvature
    :math:`p (1 - p)` in :math:`D`, and no :math:`U`.
    """

    def __init__(self, design, p, C):
        n, size = design.shape
        self.design, self.p, self.C = design, p.T, C  # p: (k, n)
        ridge = torch.ones(size, dtype=design.dtype, device=design.device)
        ridge[-1] = C * INTERCEPT_DAMPING
        diagonal = self.p - self.p * self.p if len(self.p) == 1 else self.p
        scaled = diagonal[:, :, None] * design  # (k, n, size); for more classes, U's blocks
        # the blocks' inverses D_k^-1, (k, size, size): a product solves faster than the
        # factors, and the capacitance needs them whole
        self.inverse = torch.cholesky_inverse(torch.linalg.cholesky(
            torch.diag(ridge) + C * scaled.transpose(1, 2) @ design))
        self.lu = None
        if len(self.p) > 1:  # the capacitance I - U D^-1 U^T, (n, n)
            capacitance = torch.eye(n, dtype=design.dtype, device=design.device) - C * (
                (scaled @ self.inverse) @ scaled.transpose(1, 2)).sum(0)
            self.lu = _lu_factor(capacitance, "capacitance")

    def solve(self, b):
        """The system's solution for ``b`` of shape ``(d + 1, k)``, the same shape."""
        x = _per_class(self.inverse, b.T)  # D^-1 b, (k, size)
        if self.lu is not None:
            U_x = (self.p * (x @ self.design.T)).sum(0)  # U D^-1 b / sqrt(C)
            r = torch.linalg.lu_solve(*self.lu, U_x[:, None])
            x = x + self.C * _per_class(self.inverse, (self.p * r.T) @ self.design)
        return x.T

    solve_adjoint = solve  # the system is symmetric


class DualNewtonSystem:
    r"""Newton's system of the dual fit at probabilities ``p``, factorised for solving:
    :func:`dual_newton_step`'s split, :math:`B - E F` (:math:`B` the :math:`K - 1` classes'
    own blocks, the intercepts' damped; :math:`E F` the rows' coupling of the classes
    through :math:`s`), by Woodbury's identity with the LU factors of the blocks and of the
    capacitance :math:`I - F B^{-1} E` (:math:`n` unknowns) kept. Not symmetric: its
    adjoint solves with the same factors transposed."""

    def __init__(self, design, p, C):
        n = design.shape[0]
        self.design, self.p = design, p.T  # p: (k, n)
        B, E = dual_blocks(design, p, C)
        self.blocks, self.lu, self.C = _lu_factor(B, "blocks"), None, C
        if E is not None:  # F's blocks: s_i = sum_k p_ik (design u_k)_i
            # B^-1 E, (k, n + 1, n), stored row by row: a solve takes it as one matrix
            self.solved_E = torch.linalg.lu_solve(*self.blocks, E).contiguous()
            self.lu = _lu_factor(torch.eye(n, dtype=p.dtype, device=p.device) - (
                self.p[:, :, None] * (design @ self.solved_E)).sum(0), "capacitance")

    def solve(self, b):
        """The system's solution for ``b`` of shape ``(n + 1, k)``, the same shape."""
        x = torch.linalg.lu_solve(*self.blocks, b.T[:, :, None])[:, :, 0]  # B^-1 b, (k, n + 1)
        if self.lu is not None:
            s = torch.linalg.lu_solve(*self.lu, (self.p * (self.design @ x.T).T).sum(0)[:, None])
            x = x + (self.solved_E.flatten(0, 1) @ s).view_as(x)
        return x.T

    def solve_adjoint(self, b):
        """The transposed system's solution for ``b`` of shape ``(n + 1, k)``."""
        x = torch.linalg.lu_solve(*self.blocks, b.T[:, :, None], adjoint=True)  # B^-T b
        if self.lu is not None:
            E_x = (self.p * (self.C * x[:, :-1, 0] + x[:, -1:, 0])).sum(0)  # E^T B^-T b
            t = torch.linalg.lu_solve(*self.lu, E_x[:, None], adjoint=True)  # (n, 1)
            x = x + torch.linalg.lu_solve(*self.blocks, ((self.p * t.T) @ self.design)[
                :, :, None], adjoint=True)  # B^-T F^T t
        return x[:, :, 0].T


def _per_class(matrices, vectors):
    """Each class's matrix ``(k, a, b)`` times its vector ``(k, b)``: ``(k, a)``. A product
    and a sum: torch's batched product with one column ran 5x slower on the CPU."""
    return (matrices * vectors[:, None, :]).sum(-1)


def _transposed_product(design, values):
    """``design.T @ values`` for ``values`` of a few columns, computed as the transpose of
    ``values.T @ design``: five times faster on the CPU at these shapes."""
    return (values.T @ design).T


def _curved(p, change):
    """The curvature's product with the logits' change ``(n, k)``, row by row."""
    if p.shape[1] == 1:
        return p * (1 - p) * change
    return p * change - p * (p * change).sum(1, keepdim=True)


class HeldSystem:
    """An exact linear system at ``(design, p)`` (its product: :meth:`product`, its
    adjoint's: :meth:`product_adjoint`), solved by iterative refinement on a factorised,
    damped system: its own point's or an earlier one's."""

    def __init__(self, design, p, C, system):
        self.design, self.p, self.C, self.system = design, p, C, system

    def refine(self, b, adjoint=False, residual=None, most=None):
        """The system's (or its adjoint's) solution for ``b``, refined by sweeps until the
        relative residual is at most ``residual`` (:data:`REFINED_RESIDUAL`), or ``most``
        sweeps (:data:`MAX_SWEEPS`) have run; and whether the residual got there."""
        residual = REFINED_RESIDUAL if residual is None else residual
        most = MAX_SWEEPS if most is None else most
        solve = self.system.solve_adjoint if adjoint else self.system.solve
        product = self.product_adjoint if adjoint else self.product
        x, size = solve(b), float(b.norm())
        for sweep in range(most + 1):
            left = b - product(x)
            if float(left.norm()) <= residual * size:
                return x, True
            if sweep < most:
                x = x + solve(left)
        return x, False


class HeldHessian(HeldSystem):
    """The exact Hessian of the primal fit (the intercepts undamped): symmetric."""

    def product(self, x):
        """The Hessian's product with ``x`` of shape ``(d + 1, k)``."""
        curved = _curved(self.p, self.design @ x)  # the logits' change, curved
        penalty = torch.nn.functional.pad(x[:-1], (0, 0, 0, 1))  # intercepts unpenalised
        return penalty + self.C * _transposed_product(self.design, curved)

    product_adjoint = product


class HeldJacobian(HeldSystem):
    """The exact Jacobian of the dual fit's condition (the intercepts undamped)."""

    def product(self, x):
        """The Jacobian's product with ``x`` of shape ``(n + 1, k)``."""
        curved = _curved(self.p, self.design @ x)
        return torch.cat([x[:-1] + self.C * curved, curved.sum(0, keepdim=True)])

    def product_adjoint(self, x):
        """The transposed Jacobian's product with ``x`` of shape ``(n + 1, k)``."""
        curved = _curved(self.p, self.C * x[:-1] + x[-1])
        return torch.nn.functional.pad(x[:-1], (0, 0, 0, 1)) + _transposed_product(self.design,
                                                                                   curved)


class _HeldSolve(torch.autograd.Function):
    """``held.refine(b)`` (already found: ``solved``), differentiable in ``b`` with the
    system held fixed: the backward pass refines the adjoint's solve of its own right-hand
    side to :data:`ADJOINT_RESIDUAL`."""

    @staticmethod
    def forward(ctx, b, held, solved):
        ctx.held = held
        return solved

    @staticmethod
    def backward(ctx, grad):
        return ctx.held.refine(grad, adjoint=True, residual=ADJOINT_RESIDUAL)[0], None, None


__all__ = ["DualNewtonSystem", "HeldHessian", "HeldJacobian", "HeldSystem", "IMPLICIT_UNKNOWNS",
           "INTERCEPT_DAMPING", "MAX_LOGIT_STEP", "PrimalNewtonSystem", "dual_blocks",
           "dual_newton_step", "newton_logistic", "newton_logistic_implicit",
           "newton_logistic_primal", "relu_kernel", "step_limit"]
