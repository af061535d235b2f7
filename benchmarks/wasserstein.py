"""Benchmark: COBRA's mean barycenter vs distribution-level (optimal transport) barycenters.

Compares ``FairDistiller(alignment="barycenter", barycenter=...)`` for ``"mean"``
(COBRA), ``"wasserstein"`` (free-support W2 barycenter with exact OT, POT; its
fixed-point step estimated from one group drawn per class and iteration, and, opt-in
with ``--methods "COBRA-W2 all groups"``, the exact step over all groups) and
``"sliced"`` (closed-form 1-D barycenters along random directions + sliced W2),
with vanilla distillation, the full data and a random subset of the same budget for
reference. Evaluation: a LogisticRegression fit on the (synthetic) training set,
scored on a real held-out split: accuracy, DEO_M, DEO_A, worst-group accuracy.

Data sets: every data set of the benchmark suite (``bench_suite.py``, whose loaders,
splits and per-family distiller batch sizes are used as they are): Adult with
sensitive attribute sex and race, the 3 x 3 grid of ``make_biased_classification``
(group imbalance x separation: the groups differ in their class-conditional
*means*) and the coloured digits (foreground / background / grey, images
flattened to rows); plus :func:`make_spread_shift_classification` (defined here):
every group has the same class-conditional means, the minority groups differ in
*shape* (covariance), which a mean target in feature space cannot see.

A second part measures the time per iteration of each barycenter on Adult-like
data (100 features, 2 classes, 2 or 4 groups, 10 or 50 rows per class), with the
barycenters interleaved so that the background load hits them alike.

Usage::

    python benchmarks/wasserstein.py                   # the benchmark (about 1 h on 2 cores)
    python benchmarks/wasserstein.py --no-timing --synthetic-budgets 10 --digits-budgets 10
    python benchmarks/wasserstein.py --quick           # smoke test
    python benchmarks/wasserstein.py --from-csv        # re-render the Markdown only

Writes ``benchmarks/results/wasserstein.csv`` (quality rows), ``wasserstein_timing.csv``
and ``wasserstein.md``; a ``## Conclusion`` section already in the Markdown is kept.
"""

import argparse
import os
import platform
import shlex
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(_HERE, "results")


def _limit_threads(n):
    # Before NumPy / torch are imported: the machine is small and shared.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)


if __name__ == "__main__":
    _limit_threads(1)
if _HERE not in sys.path:  # bench_suite lives beside this file
    sys.path.insert(0, _HERE)

import dataclasses  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bench_common import cpu_name  # noqa: E402
import bench_suite as suite  # noqa: E402
from skfairdistill import FairDistiller, _wasserstein  # noqa: E402
from skfairdistill.datasets import make_biased_classification  # noqa: E402

# display name -> FairDistiller parameters (None: not a distiller)
METHODS = {
    "full data": None,
    "random subset": None,
    "vanilla": dict(alignment="none"),
    "COBRA (mean)": dict(alignment="barycenter", barycenter="mean"),
    "COBRA-W2 (wasserstein)": dict(alignment="barycenter", barycenter="wasserstein"),
    "COBRA-W2 all groups": dict(alignment="barycenter", barycenter="wasserstein",
                                groups_per_step=None),
    "COBRA-W2 3 steps": dict(alignment="barycenter", barycenter="wasserstein",
                             fixed_point_steps=3),
    "COBRA-SW (sliced)": dict(alignment="barycenter", barycenter="sliced"),
}
# Run unless --methods says otherwise (the exact step over all groups and three fixed-point
# steps: opt-in, see the Markdown).
DEFAULT_METHODS = tuple(m for m in METHODS if m not in ("COBRA-W2 3 steps", "COBRA-W2 all groups"))
BASELINE = "COBRA (mean)"
# Optimal-transport settings (skfairdistill._wasserstein.TransportSettings), not
# FairDistiller parameters; a method may set them for its own runs.
_TRANSPORT_SETTINGS = {field.name for field in dataclasses.fields(_wasserstein.TransportSettings)}
BARYCENTER_KINDS = ("mean", "wasserstein", "sliced")


# ----------------------------------------------------------------------------- data


def make_spread_shift_classification(
    n_samples=4000,
    *,
    n_features=10,
    n_groups=2,
    group_imbalance=0.9,
    class_sep=1.0,
    spread=3.0,
    squeeze=0.5,
    test=False,
    random_state=0,
):
    r"""Groups with the same class means but a different *shape* (covariance).

    Class ``y`` of every group has mean :math:`\pm\,\mathrm{class\_sep}\; u`
    (:math:`-` for class 0, :math:`+` for class 1). Group 0 (the majority, share
    ``group_imbalance`` of every class) is isotropic, :math:`N(\mu_y, I)`. Minority
    group :math:`g \ge 1` has

    .. math::

        \Sigma_g = I + (\mathrm{spread}^2 - 1)\, v_g v_g^\top
                     + (\mathrm{squeeze}^2 - 1)\, w_g w_g^\top,
        \qquad v_g = \tfrac{u + p_g}{\sqrt 2},\ w_g = \tfrac{u - p_g}{\sqrt 2},

    with :math:`u, p_1, p_2, \dots` orthonormal (a random rotation fixed by
    ``random_state``): a long axis at 45° between the class direction and the
    group's own direction :math:`p_g`, and a short one across. The group means are
    equal, so the mean of the group means is the class mean and a mean target in
    feature space sees no difference between the groups. A linear model along
    :math:`u` (the majority's best direction) is poor on a minority group (its
    spread along :math:`u` is :math:`\sqrt{(\mathrm{spread}^2 + \mathrm{squeeze}^2)/2}`);
    the minority's best direction :math:`\Sigma_g^{-1} u` leans on :math:`p_g`.

    Classes are balanced; train and test (``test=True``) are independent draws of
    the same distribution for the same ``random_state``.

    Returns
    -------
    X : ndarray (n_samples, n_features); y, groups : int ndarrays (n_samples,)
    """
    if n_features < n_groups + 1:
        raise ValueError("n_features must be at least n_groups + 1")
    geometry = np.random.default_rng([random_state, 10])
    sample = np.random.default_rng([random_state, 12 if test else 11])
    rotation, _ = np.linalg.qr(geometry.standard_normal((n_features, n_features)))
    u, others = rotation[:, 0], rotation[:, 1:].T
    per_class = n_samples // 2
    shares = np.full(n_groups, (1 - group_imbalance) / max(n_groups - 1, 1))
    shares[0] = group_imbalance if n_groups > 1 else 1.0
    X, y, groups = [], [], []
    for label, sign in ((0, -1.0), (1, 1.0)):
        counts = np.maximum(1, np.round(shares * per_class).astype(int))
        for g, count in enumerate(counts):
            noise = sample.standard_normal((count, n_features))
            if g > 0:
                v = (u + others[g - 1]) / np.sqrt(2)
                w = (u - others[g - 1]) / np.sqrt(2)
                # scale the noise along v and w: covariance I + (s^2-1) vv' + (q^2-1) ww'
                noise = (noise + (spread - 1) * np.outer(noise @ v, v)
                         + (squeeze - 1) * np.outer(noise @ w, w))
            X.append(sign * class_sep * u + noise)
            y.append(np.full(count, label))
            groups.append(np.full(count, g))
    order = sample.permutation(sum(len(part) for part in y))
    return np.concatenate(X)[order], np.concatenate(y)[order], np.concatenate(groups)[order]


# Loader settings of the suite (training / test sizes, per-family batch size); the
# suite's defaults, as `python benchmarks/run.py` uses them.
SUITE_CONFIG = suite.Config(seeds=(), budgets=(), datasets=())
SPREAD_SHIFT = suite.Dataset("spread-shift pi=0.9", "spread-shift", imbalance=0.9)
DATASETS = {
    d.name: d
    for d in [*suite.make_datasets(("adult", "synthetic", "digits"), (0.5, 0.7, 0.9),
                                   (0.0, 1.5, 3.0), ("foreground", "background", "grey")),
              SPREAD_SHIFT]
}


def load_split(dataset, seed):
    """A :class:`bench_suite.Split`: the suite's loader, or the spread-shift tables."""
    if dataset.family != "spread-shift":
        return suite.load_split(dataset, seed, SUITE_CONFIG)
    params = dict(group_imbalance=dataset.imbalance, random_state=seed)
    X_tr, y_tr, A_tr = make_spread_shift_classification(4000, **params)
    X_te, y_te, A_te = make_spread_shift_classification(4000, test=True, **params)
    return suite.Split(X_tr.astype(np.float32), y_tr, A_tr, X_te.astype(np.float32), y_te, A_te)


def batch_size(dataset, y, groups):
    """The suite's batch size of the family (the largest cell on the digits)."""
    batch = SUITE_CONFIG.batch_size.get(dataset.data_family, 256)
    return suite._max_cell(y, groups) if batch == "max_cell" else batch


# ----------------------------------------------------------------------------- runs


def run_quality(datasets, budgets, seeds, n_iter, csv_path, methods=DEFAULT_METHODS,
                log=print):
    """Quality rows; ``budgets`` maps a data set name to its budgets. Resumes from the CSV."""
    rows = []
    done = set()
    if os.path.exists(csv_path):
        old = pd.read_csv(csv_path)
        rows = old.to_dict("records")
        done = set(zip(old["dataset"], old["seed"], old["budget"], old["method"]))
    for name in datasets:
        dataset = DATASETS[name]
        for seed in seeds:
            split = None
            for budget in budgets[name]:
                for method in methods:
                    params = METHODS[method]
                    if (name, seed, budget, method) in done:
                        continue
                    if method == "full data" and budget != budgets[name][0]:
                        continue  # does not depend on the budget: once per seed
                    if split is None:
                        split = load_split(dataset, seed)
                        A_tr = split.groups(dataset, "train")
                        A_te = split.groups(dataset, "test")
                    seconds = ms_per_iter = np.nan
                    if params is None:  # full data, random subset: the suite's reductions
                        reduced = suite.reduce(method, split, dataset, budget, seed,
                                               SUITE_CONFIG)
                        X_fit, y_fit = reduced.X, reduced.y
                    else:
                        settings = {k: v for k, v in params.items() if k in _TRANSPORT_SETTINGS}
                        params = {k: v for k, v in params.items() if k not in settings}
                        distiller = _with_transport(**settings)(
                            n_per_class=budget, n_iter=n_iter, device="cpu",
                            batch_size=batch_size(dataset, split.y_train, A_tr),
                            random_state=seed, **params,
                        )
                        start = time.perf_counter()
                        X_fit, y_fit = distiller.fit_resample(
                            split.X_train, split.y_train, sensitive_features=A_tr
                        )
                        seconds = time.perf_counter() - start
                        ms_per_iter = 1e3 * seconds / distiller.n_iter_
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        model = LogisticRegression(max_iter=2000).fit(X_fit, y_fit)
                    predictions = model.predict(split.X_test)
                    score = suite._score(split.y_test, predictions, A_te)
                    if method == BASELINE:
                        suite.check_score(split.y_test, predictions, A_te, score)
                    row = {"dataset": name, "family": dataset.family, "seed": seed,
                           "budget": budget, "method": method, **score,
                           "seconds": seconds, "ms_per_iter": ms_per_iter}
                    rows.append(row)
                    log(f"  {name:26s} seed={seed} budget={budget:<3d} {method:24s} "
                        f"acc={row['accuracy']:.3f} DEO_M={row['deo_max']:.3f} "
                        f"WGA={row['worst_group_accuracy']:.3f} {seconds:6.1f}s")
            pd.DataFrame(rows).to_csv(csv_path, index=False)
    return pd.DataFrame(rows)


def _with_transport(**settings):
    """FairDistiller, or a subclass of it whose fits use these optimal-transport settings."""
    if not settings:
        return FairDistiller
    transport = _wasserstein.TransportSettings(**settings)

    class TunedDistiller(FairDistiller):
        def _transport_settings(self):
            return transport

    return TunedDistiller


def run_timing(group_counts, budgets, n_iter, repeats, csv_path, log=print):
    """ms per iteration of each barycenter, interleaved (repeat r runs every kind once)."""
    rng = np.random.default_rng(0)
    n_samples = 30000
    X = rng.normal(size=(n_samples, 100)).astype(np.float32)
    y = rng.integers(0, 2, n_samples)
    rows = []
    # one discarded fit: first-call costs (lazy imports, allocator) are not iterations
    FairDistiller(n_per_class=10, n_iter=5, barycenter="wasserstein", device="cpu",
                  random_state=0).fit(X, y, sensitive_features=rng.integers(0, 2, n_samples))
    for n_groups in group_counts:
        p = np.r_[0.7, np.full(n_groups - 1, 0.3 / (n_groups - 1))]
        A = rng.choice(n_groups, size=n_samples, p=p)
        for budget in budgets:
            for r in range(repeats):
                for kind in BARYCENTER_KINDS:
                    distiller = FairDistiller(n_per_class=budget, n_iter=n_iter, barycenter=kind,
                                              device="cpu", random_state=r)
                    start = time.perf_counter()
                    distiller.fit(X, y, sensitive_features=A)
                    ms = 1e3 * (time.perf_counter() - start) / n_iter
                    rows.append({"n_groups": n_groups, "budget": budget, "barycenter": kind,
                                 "repeat": r, "ms_per_iter": ms,
                                 "batch_size": distiller.batch_size})
                    log(f"  groups={n_groups} budget={budget} {kind:12s} {ms:6.2f} ms/it")
    frame = pd.DataFrame(rows)
    frame.to_csv(csv_path, index=False)
    return frame


def position_diagnostic(budgets, n_iter, log=print):
    """Where the synthetic rows sit between the groups (biased table, separation 3, seed 0).

    Every synthetic row of class y gets its position t on the axis from the group-0
    mean (t = 0) to the group-1 mean (t = 1) of class y; prints the 10/25/50/75/90th
    percentiles of t per barycenter.
    """
    X, y, A = make_biased_classification(4000, group_imbalance=0.9, group_separation=3.0,
                                         random_state=0)
    X = X.astype(np.float32)
    axes = []
    for k in (0, 1):
        m0, m1 = X[(y == k) & (A == 0)].mean(0), X[(y == k) & (A == 1)].mean(0)
        axes.append((m0, m1 - m0))
    for budget in budgets:
        for kind in BARYCENTER_KINDS:
            X_syn, y_syn = FairDistiller(n_per_class=budget, n_iter=n_iter, barycenter=kind,
                                         device="cpu", random_state=0).fit_resample(
                X, y, sensitive_features=A)
            t = np.concatenate([(X_syn[y_syn == k] - m0) @ d / (d @ d)
                                for k, (m0, d) in enumerate(axes)])
            log(f"  budget={budget} {kind:12s} t percentiles 10/25/50/75/90: "
                f"{np.round(np.percentile(t, [10, 25, 50, 75, 90]), 2).tolist()}")


# ----------------------------------------------------------------------------- report


def _pm(series, digits=3):
    return f"{series.mean():.{digits}f} ± {series.std(ddof=0):.{digits}f}"


def quality_tables(results):
    lines = []
    for name in dict.fromkeys(results["dataset"]):
        for budget in sorted(results["budget"].unique()):
            part = results[(results["dataset"] == name) & (results["budget"] == budget)]
            if part.empty:
                continue
            n_seeds = part["seed"].nunique()
            lines += [f"#### {name}, {budget} rows per class ({n_seeds} seeds)", "",
                      "| method | accuracy | DEO_M | DEO_A | worst-group acc. | ms / iteration |",
                      "|---|---|---|---|---|---|"]
            full = results[(results["dataset"] == name) & (results["method"] == "full data")]
            for method in METHODS:
                rows = full if method == "full data" else part[part["method"] == method]
                if rows.empty:
                    continue
                ms = "-" if rows["ms_per_iter"].isna().all() else _pm(rows["ms_per_iter"], 1)
                lines.append(
                    f"| {method} | {_pm(rows['accuracy'])} | {_pm(rows['deo_max'])} | "
                    f"{_pm(rows['deo_mean'])} | {_pm(rows['worst_group_accuracy'])} | {ms} |"
                )
            lines.append("")
    return lines


def _timing_batch(timing):
    """The real batch per cell of the timing rows (256 in runs that did not record it)."""
    if "batch_size" not in timing:
        return 256
    return ", ".join(str(b) for b in sorted(timing["batch_size"].unique()))


def timing_table(timing):
    lines = ["| groups | rows per class | mean (COBRA) | wasserstein | sliced | "
             "wasserstein / mean | sliced / mean |", "|---|---|---|---|---|---|---|"]
    for (n_groups, budget), part in timing.groupby(["n_groups", "budget"]):
        med = part.groupby("barycenter")["ms_per_iter"].median()
        # per-repeat ratios: the kinds of one repeat ran back to back
        wide = part.pivot(index="repeat", columns="barycenter", values="ms_per_iter")
        ratio_w = (wide["wasserstein"] / wide["mean"]).median()
        ratio_s = (wide["sliced"] / wide["mean"]).median()
        lines.append(f"| {n_groups} | {budget} | {med['mean']:.1f} ms | {med['wasserstein']:.1f} ms"
                     f" | {med['sliced']:.1f} ms | {ratio_w:.2f}× | {ratio_s:.2f}× |")
    return lines


def paired_deltas(results):
    """Per (variant, data set, budget, seed): the variant's metrics minus COBRA (mean)'s."""
    keys = ["dataset", "budget", "seed"]
    metrics = ["accuracy", "deo_max", "deo_mean", "worst_group_accuracy"]
    base = results[results["method"] == BASELINE].set_index(keys)[metrics]
    parts = []
    for variant in variants(results):
        other = results[results["method"] == variant].set_index(keys)[metrics]
        parts.append((other - base).dropna().assign(variant=variant).reset_index())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def variants(results):
    """The barycenter variants other than the baseline, in METHODS order."""
    present = set(results["method"])
    return [m for m in METHODS
            if m in present and m != BASELINE and METHODS[m]
            and METHODS[m].get("alignment") == "barycenter"]


def _grouped(deltas):
    """(variant, data set, budget) -> per-seed deltas, in the order of the results."""
    return deltas.groupby(["variant", "dataset", "budget"], sort=False)


def summary_table(results):
    """Per data set and budget: Δ against COBRA (mean), paired by seed, per variant."""
    deltas = paired_deltas(results)
    names = variants(results)
    head = "| data set | rows/class | " + " | ".join(
        f"{short(v)} Δ accuracy | {short(v)} Δ DEO_M | {short(v)} Δ worst-group" for v in names)
    lines = [head + " |", "|---|---|" + "---|" * (3 * len(names))]
    groups = dict(iter(_grouped(deltas)))
    for (name, budget) in dict.fromkeys(zip(deltas["dataset"], deltas["budget"])):
        cells = []
        for v in names:
            part = groups.get((v, name, budget))
            if part is None:
                cells += ["-"] * 3
                continue
            cells += [_pm(part["accuracy"]), _marked(part["deo_max"]),
                      _pm(part["worst_group_accuracy"])]
        lines.append(f"| {name} | {budget} | " + " | ".join(cells) + " |")
    return lines


def short(method):
    return method.split(" (")[-1].rstrip(")") if "(" in method else method


def _marked(series):
    """mean ± std, in bold when the mean is farther than one std from 0."""
    text = _pm(series)
    return f"**{text}**" if abs(series.mean()) > series.std(ddof=0) else text


def tally_table(results):
    """Per variant and budget: in how many data sets it is fairer / less fair than mean."""
    deltas = paired_deltas(results)
    lines = ["| variant | rows/class | settings | DEO_M lower by > 1 std (fairer) | "
             "DEO_M higher by > 1 std (less fair) | within 1 std | accuracy lower by > 1 std "
             "| accuracy higher by > 1 std |", "|---|---|---|---|---|---|---|---|"]
    stats = _grouped(deltas).agg(
        deo=("deo_max", "mean"), deo_sd=("deo_max", lambda x: x.std(ddof=0)),
        acc=("accuracy", "mean"), acc_sd=("accuracy", lambda x: x.std(ddof=0)))
    blocks = []
    for variant, per_variant in stats.groupby(level="variant", sort=False):
        blocks += [(variant, budget, part) for budget, part in
                   per_variant.groupby(level="budget", sort=False)]
        blocks.append((variant, "all", per_variant))
    for variant, budget, part in blocks:
        fairer, worse = (part["deo"] < -part["deo_sd"]), (part["deo"] > part["deo_sd"])
        lower, higher = (part["acc"] < -part["acc_sd"]), (part["acc"] > part["acc_sd"])
        # names only per budget; the "all" row counts
        show = _names if budget != "all" else (lambda mask: str(int(mask.sum())))
        lines.append(f"| {variant} | {budget} | {len(part)} | {show(fairer)} | "
                     f"{show(worse)} | {int((~fairer & ~worse).sum())} | {show(lower)} | "
                     f"{show(higher)} |")
    return lines


def _names(mask):
    chosen = [name for (_, name, _), hit in mask.items() if hit]
    return f"{len(chosen)}" + (f" ({', '.join(chosen)})" if chosen else "")


def machine():
    import ot
    import sklearn

    cores, cpu = os.cpu_count(), cpu_name()
    return (f"{cpu}, {cores} CPU cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, torch {torch.__version__} (1 thread), "
            f"POT {ot.__version__}, scikit-learn {sklearn.__version__}; no GPU")


def coverage(results):
    """Which budgets and seeds each data set has (lines for the Markdown)."""
    lines = []
    for name, part in results.groupby("dataset", sort=False):
        budgets = ", ".join(str(b) for b in sorted(part["budget"].unique()))
        lines.append((name, budgets, part["seed"].nunique()))
    grouped = {}
    for name, budgets, n_seeds in lines:
        grouped.setdefault((budgets, n_seeds), []).append(name)
    return [f"- {n_seeds} seeds, {budgets} rows per class: {', '.join(names)}"
            for (budgets, n_seeds), names in grouped.items()]


def render(results, timing, command, timing_command, out_path, n_iter, note=""):
    keep = ""
    if os.path.exists(out_path):
        text = open(out_path).read()
        if "## Conclusion" in text:
            keep = text[text.index("## Conclusion"):]
    timing_source = ("this command" if timing_command == command
                     else f"`{timing_command}`")
    lines = [
        "# Distribution-level barycenters (optimal transport) vs COBRA's mean barycenter",
        "",
        f"Command: `{command}`  ",
        f"Timing command: `{timing_command}`  ",
        f"Machine: {machine()}  ",
        *([f"Note: {note}  "] if note else []),
        f"Distillers: `FairDistiller(n_iter={n_iter}, device='cpu')`, the batch size of the "
        "benchmark suite at the time of the run (for the stored rows: 256 real rows per "
        "(class, group) cell on Adult and the synthetic "
        "tables, the largest cell — exact cell means — on the coloured digits), other "
        "parameters at their defaults (L1 distance for the mean targets; the embedding MLP "
        "of the library at the time of the run: the stored rows used width 256 and Gaussian "
        "weights, the defaults are now quantile weights and `embedding_width=\"auto\"`, 128 up to "
        "128 columns and 256 above). Data: the suite's loaders "
        "and splits (`benchmarks/bench_suite.py`: Adult "
        "stratified 70/30 per seed, sex and race both dropped from the features; synthetic "
        "2,000 training rows and an independent 10,000-row test draw; digits: 1,347 training "
        "images, the 450 test images coloured 4 times independently of the class), and the "
        "spread-shift tables defined in `benchmarks/wasserstein.py` (4,000 + 4,000 rows). "
        "Evaluation: `LogisticRegression(max_iter=2000)` trained on the synthetic rows, scored "
        "on the real held-out split. DEO_M / DEO_A: max / mean over classes of the gap in "
        "per-group recall. Mean ± std over seeds.",
        "",
        "Coverage:",
        "",
        *coverage(results),
        "",
        "## Time per iteration",
        "",
        f"Measured by {timing_source}. Adult-like data: 30,000 rows, 100 features, 2 classes, "
        "groups with shares 70 / 30 (2 groups) or 70 / 10 / 10 / 10 (4 groups); "
        f"FairDistiller's defaults (batch {_timing_batch(timing)} per (class, group) "
        "cell), one torch thread, each kind run in turn within a repeat. Median over repeats; "
        "ratios are medians of per-repeat ratios.",
        "",
        *timing_table(timing),
        "",
        "## Quality",
        "",
        "### Change against COBRA (mean), paired by seed (positive Δ DEO = less fair)",
        "",
        "Mean ± std over seeds of the per-seed difference variant − mean; Δ DEO_M in bold "
        "where its mean is farther from 0 than one std.",
        "",
        *summary_table(results),
        "",
        "### Count of settings against COBRA (mean)",
        "",
        "A setting is a (data set, rows per class) pair; \"by > 1 std\": the mean paired "
        "difference is farther from 0 than its std over the seeds.",
        "",
        *tally_table(results),
        "",
        "### Per data set",
        "",
        *quality_tables(results),
    ]
    text = "\n".join(lines) + "\n"
    if keep:
        text += "\n" + keep
    with open(out_path, "w") as f:
        f.write(text)


def _recorded_command(out_path, label):
    """The value of the ``label:`` line of an existing Markdown (a command: between
    backquotes), or None."""
    if not os.path.exists(out_path):
        return None
    for line in open(out_path):
        if line.startswith(f"{label}: "):
            value = line[len(label) + 2:].rstrip()
            return value if label == "Note" else value[1:-1]  # between backquotes
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/wasserstein.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 seed, n_iter 50, one data set per family")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=1000)
    parser.add_argument("--budgets", default="10,50")
    parser.add_argument("--synthetic-budgets", default=None,
                        help="budgets of the make_biased_classification grid (default: --budgets)")
    parser.add_argument("--digits-budgets", default=None,
                        help="budgets of the coloured digits (default: --budgets)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated, of: {', '.join(METHODS)}")
    parser.add_argument("--timing-iter", type=int, default=300)
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true",
                        help="keep the timing CSV of an earlier run")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--from-csv", action="store_true", help="only re-render the Markdown")
    parser.add_argument("--prefix", default="wasserstein", help="file names in results/")
    parser.add_argument("--note", default="",
                        help="a line for the Markdown (e.g. which commit of the package ran)")
    parser.add_argument("--diagnostic", action="store_true",
                        help="only print where the synthetic rows sit between the groups")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.diagnostic:
        position_diagnostic(tuple(int(b) for b in args.budgets.split(",")), args.n_iter)
        return
    if args.quick:
        args.seeds, args.n_iter, args.timing_iter, args.timing_repeats = 1, 50, 20, 1
        args.prefix = "wasserstein_quick"
        if args.datasets == parser.get_default("datasets"):
            args.datasets = "adult-sex,synthetic pi=0.9 sep=3,digits-foreground,spread-shift pi=0.9"
    os.makedirs(RESULTS, exist_ok=True)
    csv_path = os.path.join(RESULTS, f"{args.prefix}.csv")
    timing_path = os.path.join(RESULTS, f"{args.prefix}_timing.csv")
    out_path = os.path.join(RESULTS, f"{args.prefix}.md")
    budgets = tuple(int(b) for b in args.budgets.split(","))
    family_budgets = {family: tuple(int(b) for b in given.split(","))
                      for family, given in (("synthetic", args.synthetic_budgets),
                                            ("digits", args.digits_budgets)) if given}
    datasets = args.datasets.split(",")
    methods = args.methods.split(",")
    unknown = [d for d in datasets if d not in DATASETS] + [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown data set(s) or method(s): {unknown}")
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "benchmarks/wasserstein.py", *given])
    timing_command = command
    if args.from_csv or args.no_timing:
        # the commands that produced the CSVs (the timing may be older than the quality rows)
        recorded = _recorded_command(out_path, "Command")
        if args.from_csv and recorded:
            command = recorded
            args.note = args.note or _recorded_command(out_path, "Note") or ""
        timing_command = (_recorded_command(out_path, "Timing command") or recorded
                          or "unknown")
    if not args.from_csv:
        if not args.no_timing:
            run_timing((2, 4), budgets, args.timing_iter, args.timing_repeats, timing_path)
        if not args.no_quality:
            per_dataset = {name: family_budgets.get(DATASETS[name].family, budgets)
                           for name in datasets}
            run_quality(datasets, per_dataset, tuple(range(args.seeds)), args.n_iter, csv_path,
                        methods=methods)
    missing = [p for p in (csv_path, timing_path) if not os.path.exists(p)]
    if missing:
        print(f"not rendering {out_path}: missing {', '.join(missing)}")
        return
    render(pd.read_csv(csv_path), pd.read_csv(timing_path), command, timing_command, out_path,
           args.n_iter, args.note)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
