"""DistillationInterrupted: Ctrl-C stops a fit; the partial synthetic set rides on the exception."""


class DistillationInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a distillation; carries the synthetic set reached so far.

    A ``KeyboardInterrupt`` during the matching loop of
    :meth:`FairDistiller.fit <skfairdistill.FairDistiller.fit>` or
    :meth:`~skfairdistill.FairDistiller.fit_resample` (and so of
    :meth:`DistilledClassifier.fit <skfairdistill.DistilledClassifier.fit>`) stops the
    fit: the estimator is left as it was before the call and this exception, a
    subclass of ``KeyboardInterrupt``, is raised, so that a script, a grid search or
    the command line stops as after any Ctrl-C. The rows reached so far are kept
    only by a caller who catches it::

        try:
            X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
        except DistillationInterrupted as stop:
            X_syn, y_syn = stop.X_partial, stop.y_partial  # not converged

    A Ctrl-C outside the loop (while the data are read or the starting rows drawn,
    or during ``matching="kmeans"``, which has no loop) raises a plain
    ``KeyboardInterrupt``: there is no set to keep.

    Attributes
    ----------
    X_partial : array-like of shape (n_synthetic, n_features) or (n_synthetic, C, H, W)
        The synthetic rows reached, on the scale of ``X`` and in its container, as
        ``fit_resample`` returns them.
    y_partial : array-like of shape (n_synthetic,)
        Their labels, in the container of ``y``.
    groups_partial : ndarray of shape (n_synthetic,) or None
        Every row's group with ``stratify_groups=True`` (the groups not reached when
        the fit stopped have no rows), else None.
    n_iter_done : int
        Iterations run (with ``stratify_groups=True``: by the group that was stopped).
    n_iter_planned : int
        Iterations the fit would have run.
    """

    def __init__(self, message="", *, X_partial=None, y_partial=None, groups_partial=None,
                 n_iter_done=0, n_iter_planned=0):
        super().__init__(message)
        self.X_partial = X_partial
        self.y_partial = y_partial
        self.groups_partial = groups_partial
        self.n_iter_done = n_iter_done
        self.n_iter_planned = n_iter_planned

    def __reduce__(self):
        # the keyword-only attributes survive pickling (joblib workers, Dask)
        return _rebuild, (type(self), self.args, dict(vars(self)))


def stopped_fit(rows, n_done, n_planned, groups, groups_distilled):
    """The DistillationInterrupted of a fit whose loop stopped after ``n_done`` iterations.

    ``rows``: the set reached, ``(X, y)`` in the caller's containers; ``groups``: the
    fit's groups and ``groups_distilled`` every row's (``stratify_groups=True``) or None.
    """
    missing = []
    if groups_distilled is not None:
        reached = set(groups_distilled.tolist())
        missing = [group for group in groups.tolist() if group not in reached]
    return DistillationInterrupted(
        f"Distillation interrupted after {n_done} of {n_planned} iterations; the "
        "estimator is left as it was. The synthetic set reached so far (not converged) is "
        "on this exception, X_partial and y_partial, for a caller who catches "
        "DistillationInterrupted" + (f"; groups not reached: {missing}." if missing else "."),
        X_partial=rows[0], y_partial=rows[1], groups_partial=groups_distilled,
        n_iter_done=n_done, n_iter_planned=n_planned)


def _rebuild(cls, args, attributes):
    error = cls(*args)
    vars(error).update(attributes)
    return error


__all__ = ["DistillationInterrupted"]
