"""Plots of distillation results: budget curves, per-group accuracy, embeddings, loss.

Matplotlib is an optional dependency (``pip install skfairdistill[plot]``); it is
imported only when a function of this module is called. Every function draws on
``ax`` (a new figure when None) and returns the matplotlib ``Axes``.
"""

import numpy as np
import pandas as pd

__all__ = ["plot_budget_curve", "plot_embedding", "plot_group_accuracy", "plot_loss"]


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "skfairdistill.plotting needs matplotlib: pip install skfairdistill[plot] "
            "(or pip install matplotlib)."
        ) from error
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    else:
        _pyplot()  # a clear message even when an Axes-like object is passed
        if not all(callable(getattr(ax, name, None)) for name in ("plot", "bar", "scatter")):
            raise TypeError(
                f"ax must be a matplotlib Axes (e.g. from plt.subplots()) or None; got "
                f"{type(ax).__name__} {ax!r:.40}.")
    return ax


def _type_name(value):
    return "None" if value is None else type(value).__name__


def _numeric_columns(frame, columns, name):
    """Refuse the columns of ``frame`` that do not hold numbers, naming ``name``."""
    text = [col for col in columns if not pd.api.types.is_numeric_dtype(frame[col])
            or pd.api.types.is_bool_dtype(frame[col])]
    if text:
        raise ValueError(f"{name} columns {text} must hold numbers; got the dtypes "
                         f"{[str(frame[col].dtype) for col in text]}.")


def plot_budget_curve(results, ax=None):
    """Held-out accuracy and DEO_M against the distillation budget.

    Accuracy is drawn with solid lines and circles, DEO_M (lower is fairer)
    with dashed lines and squares, in one colour per method. Several rows per
    (method, budget), such as seeds, are averaged and their standard deviation
    drawn as a shaded band.

    Parameters
    ----------
    results : pandas.DataFrame
        Columns ``budget`` (synthetic rows per class), ``accuracy`` and
        ``deo_max``, and optionally ``method``. The output of
        :func:`skfairdistill.model_selection.budget_search_table` (columns
        ``mean_accuracy``, ``std_accuracy``, ``mean_deo_max``, ``std_deo_max``)
        is accepted as well.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skfairdistill.plotting import plot_budget_curve
    >>> results = pd.DataFrame({"method": ["COBRA"] * 3 + ["vanilla"] * 3,
    ...                         "budget": [1, 10, 50] * 2,
    ...                         "accuracy": [0.70, 0.81, 0.83, 0.69, 0.80, 0.82],
    ...                         "deo_max": [0.20, 0.10, 0.09, 0.30, 0.25, 0.20]})
    >>> ax = plot_budget_curve(results)
    >>> len(ax.get_lines())  # accuracy and DEO_M of two methods
    4
    """
    frame = _budget_frame(results)
    ax = _axes(ax)
    colours = _pyplot().rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    methods = list(dict.fromkeys(frame["method"]))
    for i, method in enumerate(methods):
        part = frame[frame["method"] == method]
        colour = colours[i % len(colours)]
        prefix = f"{method} " if method != "" else ""
        for metric, style, marker, name in (
            ("accuracy", "-", "o", "accuracy"),
            ("deo_max", "--", "s", "DEO_M"),
        ):
            stats = part.groupby("budget", sort=True)[metric].agg(["mean", "std"])
            if f"std_{metric}" in part:  # a budget_search_table: std over folds is given
                stats["std"] = part.groupby("budget", sort=True)[f"std_{metric}"].mean()
            budgets = stats.index.to_numpy(dtype=float)
            ax.plot(
                budgets, stats["mean"], linestyle=style, marker=marker, color=colour,
                label=f"{prefix}{name}",
            )
            spread = stats["std"].fillna(0.0).to_numpy(dtype=float)
            if np.any(spread > 0):
                ax.fill_between(
                    budgets, stats["mean"] - spread, stats["mean"] + spread,
                    color=colour, alpha=0.15, linewidth=0,
                )
    ax.set_xlabel("budget (synthetic rows per class)")
    ax.set_ylabel("accuracy (solid), DEO_M (dashed)")
    ax.set_title("Accuracy and fairness gap against the budget")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def _budget_frame(results):
    """Columns method, budget, accuracy, deo_max (and std_* when given) of ``results``."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {_type_name(results)}.")
    frame = results.copy()
    for metric in ("accuracy", "deo_max"):
        if metric not in frame and f"mean_{metric}" in frame:
            frame[metric] = frame[f"mean_{metric}"]
    missing = [col for col in ("budget", "accuracy", "deo_max") if col not in frame]
    if missing:
        raise ValueError(
            f"results needs the columns budget, accuracy and deo_max (or mean_accuracy and "
            f"mean_deo_max); missing {missing}, got {list(results.columns)}."
        )
    if len(frame) == 0:
        raise ValueError("results has no rows: nothing to draw.")
    _numeric_columns(frame, [col for col in frame.columns if col in (
        "budget", "accuracy", "deo_max", "std_accuracy", "std_deo_max")], "results")
    frame["method"] = frame["method"].astype(str) if "method" in frame else ""
    return frame


def plot_group_accuracy(report, ax=None):
    """Per-group accuracy of several models as grouped bars.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`skfairdistill.metrics.fairness_report`: one row per
        model and the columns ``accuracy[<group>]``. Other columns are ignored.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One bar per (model, group): the groups along the x axis, one colour per
        model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skfairdistill.plotting import plot_group_accuracy
    >>> report = pd.DataFrame({"accuracy": [0.8, 0.7],
    ...                        "accuracy[Female]": [0.9, 0.8],
    ...                        "accuracy[Male]": [0.75, 0.65]},
    ...                       index=pd.Index(["full data", "COBRA"], name="model"))
    >>> ax = plot_group_accuracy(report)
    >>> len(ax.patches), [t.get_text() for t in ax.get_xticklabels()]
    (4, ['Female', 'Male'])
    """
    if isinstance(report, pd.Series):
        report = report.to_frame().T
    if not isinstance(report, pd.DataFrame):
        raise TypeError(f"report must be a pandas DataFrame; got {_type_name(report)}.")
    columns = [
        col for col in report.columns
        if isinstance(col, str) and col.startswith("accuracy[") and col.endswith("]")
    ]
    if not columns:
        raise ValueError(
            "report has no 'accuracy[<group>]' column; pass the output of "
            f"skfairdistill.metrics.fairness_report (got columns {list(report.columns)})."
        )
    if len(report) == 0:
        raise ValueError("report has no rows (no model): nothing to draw.")
    _numeric_columns(report, columns, "report")
    groups = [col[len("accuracy["):-1] for col in columns]
    ax = _axes(ax)
    n_models = len(report)
    width = 0.8 / n_models
    positions = np.arange(len(groups))
    for i, (model, row) in enumerate(report[columns].iterrows()):
        ax.bar(
            positions + (i - (n_models - 1) / 2) * width,
            row.to_numpy(dtype=float),
            width=width,
            label=str(model),
        )
    ax.set_xticks(positions)
    ax.set_xticklabels(groups)
    ax.set_ylim(0, 1)
    ax.set_xlabel("group")
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy within every group")
    ax.legend()
    return ax


def plot_embedding(X, sensitive_features, X_syn, y_syn=None, ax=None, *, max_points=2000,
                   random_state=0):
    """Real rows and synthetic rows in the first two principal components of the real rows.

    The real rows are standardised and projected by a PCA fitted on them; the
    synthetic rows go through the same standardisation and projection and are
    drawn on top (stars, one colour per class when ``y_syn`` is given).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real rows (numeric, e.g. encoded with
        :class:`~skfairdistill.preprocessing.TabularEncoder`).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group membership of the real rows; several columns form intersectional
        groups. One colour per group.
    X_syn : array-like of shape (n_synthetic, n_features)
        Synthetic rows, e.g. ``FairDistiller.X_distilled_``.
    y_syn : array-like of shape (n_synthetic,), default=None
        Class labels of the synthetic rows; one marker colour per class.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when None.
    max_points : int, default=2000
        At most this many real rows are drawn (a random subset); the PCA is
        fitted on all of them.
    random_state : int, default=0
        Seed of that subset.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One scatter collection per group, then one per class of ``y_syn`` (one
        in all without ``y_syn``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skfairdistill.plotting import plot_embedding
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4))
    >>> groups = rng.choice(["a", "b"], size=100)
    >>> ax = plot_embedding(X, groups, X[:6] + 0.1, y_syn=[0, 0, 0, 1, 1, 1])
    >>> len(ax.collections)  # two groups, two classes
    4
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from ._checks import check_int, check_memory_map, check_rng, check_rows
    from ._data.groups import encode_groups

    X = check_rows("X", X, dtype=np.float64)
    X_syn = check_rows("X_syn", X_syn, dtype=np.float64)
    check_int("max_points", max_points, minimum=1)
    check_rng(random_state)
    if X_syn.shape[1] != X.shape[1]:
        raise ValueError(
            f"X_syn has {X_syn.shape[1]} features but X has {X.shape[1]}; they must match."
        )
    if X.shape[1] < 2:
        raise ValueError(f"X needs at least 2 features for a 2-D projection; got {X.shape[1]}.")
    if sensitive_features is None:
        raise ValueError("sensitive_features is required: the group of every row of X.")
    check_memory_map("sensitive_features", sensitive_features)
    codes, labels = encode_groups(sensitive_features, len(X))
    if y_syn is not None:
        check_memory_map("y_syn", y_syn)
        y_syn = np.asarray(y_syn)
        if y_syn.shape != (len(X_syn),):
            raise ValueError(
                f"y_syn must have one label per row of X_syn ({len(X_syn)}); "
                f"got shape {y_syn.shape}."
            )

    scaler = StandardScaler().fit(X)
    pca = PCA(n_components=2, random_state=random_state).fit(scaler.transform(X))
    real = pca.transform(scaler.transform(X))
    synthetic = pca.transform(scaler.transform(X_syn))
    shown = np.arange(len(X))
    if len(X) > max_points:
        shown = np.sort(np.random.default_rng(random_state).choice(len(X), max_points, False))

    ax = _axes(ax)
    for code, label in enumerate(labels):
        rows = shown[codes[shown] == code]
        name = ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)
        ax.scatter(real[rows, 0], real[rows, 1], s=8, alpha=0.3, label=f"real: {name}")
    syn_style = dict(marker="*", s=160, edgecolors="black", linewidths=0.8, zorder=3)
    if y_syn is None:
        ax.scatter(synthetic[:, 0], synthetic[:, 1], color="black", label="synthetic",
                   **syn_style)
    else:
        for cls in np.unique(y_syn):
            rows = y_syn == cls
            ax.scatter(synthetic[rows, 0], synthetic[rows, 1], label=f"synthetic: class {cls}",
                       **syn_style)
    share = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC 1 ({share[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC 2 ({share[1]:.0%} of the variance)")
    ax.set_title("Real rows by group and synthetic rows")
    ax.legend(fontsize="small")
    return ax


def plot_loss(distiller, ax=None, *, smooth=True):
    """The matching loss of a fitted distiller at every iteration.

    A fresh random embedding network is drawn at every iteration, so the loss is
    noisy; ``smooth`` adds its moving average.

    Parameters
    ----------
    distiller : FairDistiller or DistilledClassifier
        A fitted distiller (its ``loss_history_`` is drawn), or a fitted
        :class:`~skfairdistill.DistilledClassifier` (its ``distiller_``'s).
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when None.
    smooth : bool, default=True
        Also draw the moving average over a twentieth of the iterations (when
        there are at least 20).

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skfairdistill import FairDistiller
    >>> from skfairdistill.plotting import plot_loss
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    >>> distiller = FairDistiller(n_per_class=2, n_iter=30, random_state=0).fit(
    ...     X, y, sensitive_features=rng.choice(["a", "b"], size=60))
    >>> ax = plot_loss(distiller)
    >>> len(ax.get_lines()), ax.get_xlabel()
    (2, 'iteration')
    """
    fitted = getattr(distiller, "distiller_", distiller)
    history = getattr(fitted, "loss_history_", None)
    if history is None:
        raise ValueError(
            f"{_type_name(distiller)} has no loss_history_: pass a fitted FairDistiller (or a "
            "fitted DistilledClassifier) as distiller."
        )
    history = np.asarray(history, dtype=float)
    ax = _axes(ax)
    iterations = np.arange(1, len(history) + 1)
    ax.plot(iterations, history, alpha=0.4 if smooth else 1.0, label="loss")
    if smooth and len(history) >= 20:
        window = max(len(history) // 20, 2)
        average = pd.Series(history).rolling(window, min_periods=1).mean().to_numpy()
        ax.plot(iterations, average, label=f"moving average ({window} iterations)")
    alignment = getattr(fitted, "alignment", None)
    ax.set_xlabel("iteration")
    ax.set_ylabel("matching loss")
    ax.set_title("Distillation loss" + (f" (alignment={alignment!r})" if alignment else ""))
    ax.legend()
    return ax
