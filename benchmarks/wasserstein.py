"""Benchmark: COBRA's mean barycenter vs distribution-level (optimal transport) barycenters.

Compares ``FairDistiller(alignment="barycenter", barycenter=...)`` for ``"mean"``
(COBRA), ``"wasserstein"`` (exact free-support W2 barycenter + exact W2 loss, POT)
and ``"sliced"`` (closed-form 1-D barycenters along random directions + sliced W2),
with vanilla distillation, the full data and a random subset of the same budget for
reference. Evaluation: a LogisticRegression fit on the (synthetic) training set,
scored on a real held-out split: accuracy, DEO_M, DEO_A, worst-group accuracy.

Data sets: Adult (sensitive: sex), two ``make_biased_classification`` settings
(groups differ in their class-conditional *means*), and
:func:`make_spread_shift_classification` (defined here): every group has the
same class-conditional means, the minority groups differ in *shape* (covariance),
which a mean target in feature space cannot see.

A second part measures the time per iteration of each barycenter on Adult-like
data (100 features, 2 classes, 2 or 4 groups, 10 or 50 rows per class), with the
barycenters interleaved so that the background load hits them alike.

Usage::

    python benchmarks/wasserstein.py                   # the benchmark (~1 h on 2 busy cores)
    python benchmarks/wasserstein.py --quick           # smoke test
    python benchmarks/wasserstein.py --from-csv        # re-render the Markdown only

Writes ``benchmarks/results/wasserstein.csv`` (quality rows), ``wasserstein_timing.csv``
and ``wasserstein.md``; a ``## Conclusion`` section already in the Markdown is kept.
"""

import argparse
import os
import platform
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

import contextlib  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skfairdistill import FairDistiller, _wasserstein  # noqa: E402
from skfairdistill._demo import encode_tabular, random_subset  # noqa: E402
from skfairdistill.datasets import load_adult, make_biased_classification  # noqa: E402
from skfairdistill.metrics import deo_max, deo_mean, worst_group_accuracy  # noqa: E402

# display name -> FairDistiller parameters (None: not a distiller)
METHODS = {
    "full data": None,
    "random subset": None,
    "vanilla": dict(alignment="none"),
    "COBRA (mean)": dict(alignment="barycenter", barycenter="mean"),
    "COBRA-W2 (wasserstein)": dict(alignment="barycenter", barycenter="wasserstein"),
    "COBRA-W2 3 steps": dict(alignment="barycenter", barycenter="wasserstein",
                             fixed_point_steps=3),
    "COBRA-SW (sliced)": dict(alignment="barycenter", barycenter="sliced"),
}
# Settings of skfairdistill._wasserstein that are module constants, not FairDistiller
# parameters; a method may set them for its own runs.
_MODULE_SETTINGS = {"fixed_point_steps": "FIXED_POINT_STEPS", "max_cloud": "MAX_CLOUD",
                    "n_projections": "N_PROJECTIONS"}
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


def _synthetic(generator, seed, **params):
    X_tr, y_tr, A_tr = generator(4000, random_state=seed, **params)
    X_te, y_te, A_te = generator(4000, random_state=seed, test=True, **params)
    return X_tr, y_tr, A_tr, X_te, y_te, A_te


DATASETS = {
    "adult-sex": None,  # loaded below
    "biased pi=0.9 sep=1.5": (make_biased_classification,
                              dict(group_imbalance=0.9, group_separation=1.5)),
    "biased pi=0.9 sep=3": (make_biased_classification,
                            dict(group_imbalance=0.9, group_separation=3.0)),
    "spread-shift pi=0.9": (make_spread_shift_classification, dict(group_imbalance=0.9)),
}


def load_split(name, seed):
    """(X_train, y_train, A_train, X_test, y_test, A_test) as float32 arrays."""
    if name == "adult-sex":
        X, y, A = load_adult(sensitive="sex")
        X_tr, X_te, y_tr, y_te, A_tr, A_te = train_test_split(
            X, y.to_numpy(), np.asarray(A), test_size=0.3, stratify=y, random_state=seed
        )
        X_tr, X_te = encode_tabular(X_tr, X_te)
        return X_tr, y_tr, A_tr, X_te, y_te, A_te
    generator, params = DATASETS[name]
    X_tr, y_tr, A_tr, X_te, y_te, A_te = _synthetic(generator, seed, **params)
    return X_tr.astype(np.float32), y_tr, A_tr, X_te.astype(np.float32), y_te, A_te


# ----------------------------------------------------------------------------- runs


def _score(y_true, y_pred, groups):
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "deo_max": deo_max(y_true, y_pred, sensitive_features=groups),
        "deo_mean": deo_mean(y_true, y_pred, sensitive_features=groups),
        "worst_group_accuracy": worst_group_accuracy(y_true, y_pred, sensitive_features=groups),
    }


def run_quality(datasets, budgets, seeds, n_iter, csv_path, log=print):
    rows = []
    done = set()
    if os.path.exists(csv_path):
        old = pd.read_csv(csv_path)
        rows = old.to_dict("records")
        done = set(zip(old["dataset"], old["seed"], old["budget"], old["method"]))
    for name in datasets:
        for seed in seeds:
            split = None
            for budget in budgets:
                for method, params in METHODS.items():
                    if (name, seed, budget, method) in done:
                        continue
                    if method == "full data" and budget != budgets[0]:
                        continue  # does not depend on the budget: once per seed
                    if split is None:
                        split = load_split(name, seed)
                    X_tr, y_tr, A_tr, X_te, y_te, A_te = split
                    seconds = ms_per_iter = np.nan
                    if method == "full data":
                        X_fit, y_fit = X_tr, y_tr
                    elif method == "random subset":
                        idx = random_subset(y_tr, budget, np.random.default_rng(seed))
                        X_fit, y_fit = X_tr[idx], y_tr[idx]
                    else:
                        settings = {k: v for k, v in params.items() if k in _MODULE_SETTINGS}
                        params = {k: v for k, v in params.items() if k not in settings}
                        distiller = FairDistiller(
                            n_per_class=budget, n_iter=n_iter, device="cpu",
                            random_state=seed, **params,
                        )
                        start = time.perf_counter()
                        with _module_settings(**settings):
                            X_fit, y_fit = distiller.fit_resample(
                                X_tr, y_tr, sensitive_features=A_tr
                            )
                        seconds = time.perf_counter() - start
                        ms_per_iter = 1e3 * seconds / distiller.n_iter_
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        model = LogisticRegression(max_iter=2000).fit(X_fit, y_fit)
                    row = {"dataset": name, "seed": seed, "budget": budget, "method": method,
                           **_score(y_te, model.predict(X_te), A_te),
                           "seconds": seconds, "ms_per_iter": ms_per_iter}
                    rows.append(row)
                    log(f"  {name:24s} seed={seed} budget={budget:<3d} {method:24s} "
                        f"acc={row['accuracy']:.3f} DEO_M={row['deo_max']:.3f} "
                        f"WGA={row['worst_group_accuracy']:.3f} {seconds:6.1f}s")
            pd.DataFrame(rows).to_csv(csv_path, index=False)
    return pd.DataFrame(rows)


@contextlib.contextmanager
def _module_settings(**settings):
    """Temporarily change constants of skfairdistill._wasserstein (benchmark only)."""
    saved = {}
    try:
        for key, value in settings.items():
            name = _MODULE_SETTINGS[key]
            saved[name] = getattr(_wasserstein, name)
            setattr(_wasserstein, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(_wasserstein, name, value)


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
                                 "repeat": r, "ms_per_iter": ms})
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
            lines += [f"### {name}, {budget} rows per class ({n_seeds} seeds)", "",
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


def summary_table(results):
    """Per data set and budget: the change of each OT variant against COBRA (mean), per seed."""
    lines = ["| data set | rows/class | variant | Δ accuracy | Δ DEO_M | Δ DEO_A "
             "| Δ worst-group |", "|---|---|---|---|---|---|---|"]
    keys = ["dataset", "budget", "seed"]
    base = results[results["method"] == "COBRA (mean)"].set_index(keys)
    for variant in ("COBRA-W2 (wasserstein)", "COBRA-W2 3 steps", "COBRA-SW (sliced)"):
        other = results[results["method"] == variant].set_index(keys)
        diff = (other[["accuracy", "deo_max", "deo_mean", "worst_group_accuracy"]]
                - base[["accuracy", "deo_max", "deo_mean", "worst_group_accuracy"]]).dropna()
        for (name, budget), part in diff.groupby(level=[0, 1], sort=False):
            lines.append(f"| {name} | {budget} | {variant} | {_pm(part['accuracy'])} | "
                         f"{_pm(part['deo_max'])} | {_pm(part['deo_mean'])} | "
                         f"{_pm(part['worst_group_accuracy'])} |")
    return lines


def machine():
    import ot
    import sklearn

    cores = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (f"{cpu}, {cores} CPU cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, torch {torch.__version__} (1 thread), "
            f"POT {ot.__version__}, scikit-learn {sklearn.__version__}; no GPU")


def render(results, timing, command, out_path, n_iter):
    keep = ""
    if os.path.exists(out_path):
        text = open(out_path).read()
        if "## Conclusion" in text:
            keep = text[text.index("## Conclusion"):]
    lines = [
        "# Distribution-level barycenters (optimal transport) vs COBRA's mean barycenter",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        "Contention: the 2 cores were shared with another benchmark running at the same time, "
        "so absolute times are inflated and noisy; the timing ratios below come from runs "
        "interleaved back to back, which the load affects alike.  ",
        f"Distillers: `FairDistiller(n_iter={n_iter}, device='cpu')`, other parameters at their "
        "defaults (L1 distance for the mean targets, batch 256 per cell, embedding MLP of width "
        "256). Evaluation: `LogisticRegression(max_iter=2000)` trained on the synthetic rows, "
        "scored on a real held-out split (Adult: stratified 70/30 split per seed; synthetic: an "
        "independent test draw). DEO_M / DEO_A: max / mean over classes of the gap in "
        "per-group recall. Mean ± std over seeds.",
        "",
        "## Time per iteration",
        "",
        "Adult-like data: 30,000 rows, 100 features, 2 classes, groups with shares 70 / 30 "
        "(2 groups) or 70 / 10 / 10 / 10 (4 groups); batch 256 per (class, group) cell. "
        "Median over repeats; ratios are medians of per-repeat ratios.",
        "",
        *timing_table(timing),
        "",
        "## Quality",
        "",
        "### Change against COBRA (mean), paired by seed (positive Δ DEO = less fair)",
        "",
        *summary_table(results),
        "",
        *quality_tables(results),
    ]
    text = "\n".join(lines) + "\n"
    if keep:
        text += "\n" + keep
    with open(out_path, "w") as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/wasserstein.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 seed, n_iter 50")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=1000)
    parser.add_argument("--budgets", default="10,50")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--timing-iter", type=int, default=300)
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--from-csv", action="store_true", help="only re-render the Markdown")
    parser.add_argument("--prefix", default="wasserstein", help="file names in results/")
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
    os.makedirs(RESULTS, exist_ok=True)
    csv_path = os.path.join(RESULTS, f"{args.prefix}.csv")
    timing_path = os.path.join(RESULTS, f"{args.prefix}_timing.csv")
    out_path = os.path.join(RESULTS, f"{args.prefix}.md")
    budgets = tuple(int(b) for b in args.budgets.split(","))
    if not args.from_csv:
        if not args.no_timing:
            run_timing((2, 4), budgets, args.timing_iter, args.timing_repeats, timing_path)
        if not args.no_quality:
            run_quality(args.datasets.split(","), budgets, tuple(range(args.seeds)), args.n_iter,
                        csv_path)
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/wasserstein.py", *given])
    if args.from_csv and os.path.exists(out_path):  # the command that produced the CSVs
        for line in open(out_path):
            if line.startswith("Command: `"):
                command = line.split("`")[1]
    render(pd.read_csv(csv_path), pd.read_csv(timing_path), command, out_path, args.n_iter)
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
