"""The benchmark harness: methods, scorers, a resumable grid and its report.

A study (:mod:`benchmarks.studies`) is a :class:`Study`, a declaration of settings.
:func:`run` makes every setting of its grid that ``<out>/<study>/rows.csv`` does not
hold yet, appends the rows as they come (an interrupted run resumes where it stopped)
and writes ``report.md`` beside them: mean ± std over seeds, and the command that
wrote it. Only the public API of skfairdistill is used. The data sets are
:mod:`benchmarks.data`'s.

One *setting* is (data set, load, budget, method, seed): the method turns the
training split into a training set (timed, with the memory it added), then every
model of the study is fitted on that set, with every class prior of the study, and
scored on the evaluation split (accuracy, DEO_M, DEO_A, worst-group accuracy).
"""

import contextlib
import dataclasses
import datetime
import functools
import itertools
import os
import platform
import subprocess
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pandas as pd

from .data import load

KEY = ("dataset", "load", "budget", "method", "seed")
PRIORS = {"": None, "balanced": 0.0, "sqrt": 0.5, "data": 1.0}  # power of the class shares
METRICS = {"accuracy": "accuracy", "deo_max": "DEO_M", "deo_mean": "DEO_A",
           "worst_group_accuracy": "worst-group acc.", "fit_seconds": "fit (s)",
           "s_per_iter": "s / iteration", "peak_mib": "peak added (MiB)",
           "model_seconds": "model fit (s)"}


# ----------------------------------------------------------------------------- studies


@dataclasses.dataclass(frozen=True)
class Study:
    """The settings of one benchmark.

    ``methods`` maps a display name to FairDistiller keyword arguments (a dict, or a
    callable that gives the dict for a budget; those
    of ``params`` and ``dataset_params[dataset]`` come first) or to the name of a
    baseline of :data:`BASELINES`. ``models=()`` makes a timing study (nothing is
    scored). ``phase="validation"`` scores on 25 % of the training split (stratified
    by class), the rest being the training split; ``"test"`` on the test split.
    ``loads``: ``"busy"`` runs the setting beside one busy loop per core.
    ``isolate``: every setting in a fresh process (memory figures). ``smoke``: the
    fields that ``--smoke`` replaces; its ``params`` (default: 2 iterations) become
    ``overrides``, which shrink every distiller's settings (a ``matching_params`` key
    only where the method sets it). ``--smoke`` keeps one seed and the first budget.
    ``baseline``: a method the report compares every other one to, paired by seed.
    """

    question: str
    datasets: tuple
    methods: dict
    budgets: tuple = (10,)
    models: tuple = ("LogReg", "MLP")
    seeds: tuple = (0, 1, 2)
    phase: str = "test"
    priors: tuple = ("",)
    loads: tuple = ("idle",)
    params: dict = dataclasses.field(default_factory=dict)
    dataset_params: dict = dataclasses.field(default_factory=dict)
    protocol: dict = dataclasses.field(default_factory=lambda: dict(n_models=2, n_epochs=200))
    isolate: bool = False
    smoke: dict = dataclasses.field(default_factory=dict)
    overrides: dict = dataclasses.field(default_factory=dict)
    baseline: str = None

    def smoked(self):
        """The tiny version of the study that ``--smoke`` runs."""
        smoke = dict(self.smoke)
        defaults = dict(seeds=(0,), budgets=self.budgets[:1], overrides={"n_iter": 2},
                        protocol=dict(n_models=1, n_epochs=1))
        if "params" in smoke:
            smoke["overrides"] = smoke.pop("params")
        return dataclasses.replace(self, **{**defaults, **smoke})

    def distiller_params(self, dataset, method, budget=None):
        """FairDistiller's keyword arguments for ``method`` on ``dataset`` at ``budget``.

        A method given as a callable is called with the budget (rows per class).
        """
        spec = self.methods[method]
        spec = spec(budget) if callable(spec) else spec
        params = merge(self.params, self.dataset_params.get(dataset), spec)
        shrink = dict(self.overrides)
        if "matching_params" in shrink:
            given = params.get("matching_params") or {}
            shrink["matching_params"] = {k: v for k, v in shrink["matching_params"].items()
                                         if k in given}
        return merge(params, shrink)


def merge(*dicts):
    """Later dicts win; ``matching_params`` dicts are merged key by key."""
    out = {}
    for d in dicts:
        for key, value in (d or {}).items():
            if key == "matching_params" and isinstance(out.get(key), dict):
                value = {**out[key], **value}
            out[key] = value
    return out


# ----------------------------------------------------------------------------- methods


@dataclasses.dataclass
class Reduced:
    """A training set produced by a method, and what producing it cost."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray = None  # the rows' groups, where the method knows them
    weights: np.ndarray = None  # the rows' weights before the class prior
    fit_seconds: float = np.nan
    peak_mib: float = np.nan
    n_iter: float = np.nan
    notes: str = ""


def random_subset(split, budget, seed):
    rng = np.random.default_rng([seed, budget, 1])
    rows = np.concatenate([rng.choice(np.flatnonzero(split.y == c), budget, replace=False)
                           for c in np.unique(split.y)])
    return Reduced(split.X[rows], split.y[rows], split.groups[rows])


def _groups_balanced(split):  # every group of a class the same total weight; each class its own
    from skfairdistill import group_balanced_weights
    return group_balanced_weights(split.y, split.groups)


def balanced_kmeans(split, budget, seed):
    """Per class, k-means on the group-balanced mixture (whose mean is COBRA's barycenter)."""
    from sklearn.cluster import KMeans

    weights = _groups_balanced(split)
    X_out, y_out = [], []
    for c in np.unique(split.y):
        rows = split.y == c
        kmeans = KMeans(n_clusters=budget, n_init=1, random_state=seed)
        kmeans.fit(split.X[rows], sample_weight=weights[rows])
        X_out.append(kmeans.cluster_centers_.astype(split.X.dtype, copy=False))
        y_out.append(np.full(budget, c))
    return Reduced(np.concatenate(X_out), np.concatenate(y_out))


def cluster_centroids(split, budget, seed):
    from imblearn.under_sampling import ClusterCentroids

    sampler = ClusterCentroids(sampling_strategy={c: budget for c in np.unique(split.y)},
                               random_state=seed)
    return Reduced(*sampler.fit_resample(split.X, split.y))


def _model_matched(split, budget, seed):
    """A FairDistiller(matching="model") at its defaults, fitted on the training split."""
    from skfairdistill import FairDistiller

    distiller = FairDistiller(matching="model", n_per_class=budget, random_state=seed)
    return distiller.fit(split.X, split.y, sensitive_features=split.groups)


def teacher_labels(split, budget, seed, rows="nearest", blend_with=None):
    """Model matching's set (default weight) labelling ``rows`` (``teacher_labelled_rows``;
    ``"boxes"`` is what ``DistilledClassifier(labels="teacher")`` trains on; ``blend_with``:
    a model name, that model fitted on the training split, as ``labels="blend"`` does)."""
    from skfairdistill import teacher_labelled_rows

    model = None if blend_with is None else make_model(blend_with, seed).fit(split.X, split.y)
    X, y, weights = teacher_labelled_rows(_model_matched(split, budget, seed), split.X, split.y,
                                          sensitive_features=split.groups, rows=rows,
                                          blend_with=model)
    return Reduced(np.asarray(X), y, None, weights)


def blend_if_better(split, budget, seed, model="HGB", groups_balanced=False):
    """Teacher labels on the boxes, blended with ``model`` where on held-out rows it is clearly
    more accurate than the teacher (``groups_balanced``: the model blended with is fitted with
    each class's groups weighed alike: ``blend_if_more_accurate(..., sensitive_features=)``)."""
    from skfairdistill import blend_if_more_accurate, teacher_labelled_rows

    distiller = _model_matched(split, budget, seed)
    blended = blend_if_more_accurate(distiller, make_model(model, seed), split.X, split.y,
                                     sensitive_features=split.groups if groups_balanced else None)
    X, y, weights = teacher_labelled_rows(distiller, split.X, split.y,
                                          sensitive_features=split.groups, blend_with=blended)
    return Reduced(np.asarray(X), y, None, weights, notes="blended" if blended else "")


def teacher_on_every_row(split, budget, seed):
    """Every real row, labelled as :func:`teacher_labels` labels its rows: their ceiling."""
    from sklearn.linear_model import LogisticRegression

    distiller = _model_matched(split, budget, seed)
    teacher = LogisticRegression(max_iter=1000).fit(distiller.X_distilled_, distiller.y_distilled_)
    return Reduced(np.tile(split.X, (len(teacher.classes_), 1)), np.repeat(
        teacher.classes_, len(split.X)), None, teacher.predict_proba(split.X).T.ravel())


BASELINES = {
    "full data": lambda split, budget, seed: Reduced(split.X, split.y, split.groups),
    "full data, groups balanced": lambda split, budget, seed: Reduced(
        split.X, split.y, split.groups, _groups_balanced(split)),
    "random subset": random_subset, "ClusterCentroids": cluster_centroids,
    "balanced k-means": balanced_kmeans, "model matching, teacher labels": teacher_labels,
    **{f"model matching, teacher labels, {name}": functools.partial(teacher_labels, **kwargs)
       for name, kwargs in (("leaf rows", dict(rows="leaves")), ("mixup", dict(rows="mixup")), (
           "boxes", dict(rows="boxes")), ("blend with HGB", dict(rows="boxes", blend_with="HGB")))},
    **{f"model matching, teacher labels, blend with {model} if more accurate{balanced}":
       functools.partial(blend_if_better, model=model, groups_balanced=bool(balanced))
       for model in ("HGB", "MLP") for balanced in ("", ", groups balanced")},
    "model matching, teacher labels on every row": teacher_on_every_row}
BUDGET_FREE = ("full data", "full data, groups balanced")


def distil(params, split, budget, seed):
    from skfairdistill import FairDistiller

    device = str(params.get("device", ""))
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise Skipped("no CUDA device")
    X = split.X
    if split.image_shape is not None:
        X = np.asarray(X).reshape(len(X), *split.image_shape)
    distiller = FairDistiller(n_per_class=budget, random_state=seed, **params)
    X_syn, y_syn = distiller.fit_resample(X, split.y, sensitive_features=split.groups)
    return Reduced(np.asarray(X_syn).reshape(len(X_syn), -1), np.asarray(y_syn),
                   distiller.groups_distilled_, n_iter=getattr(distiller, "n_iter_", np.nan))


class Skipped(Exception):
    """A setting that cannot run here (a device the machine lacks)."""


class PeakMemory:
    """The resident memory a block added at its peak (Linux; NaN elsewhere).

    The kernel's high-water mark is reset to the current size before the block
    (``/proc/self/clear_refs``) and read after it, so allocations of earlier
    settings do not hide this one's peak.
    """

    @staticmethod
    def _status(key):
        try:
            with open("/proc/self/status") as handle:
                line = next(line for line in handle if line.startswith(key))
            return int(line.split()[1]) / 1024
        except (OSError, StopIteration):
            return np.nan

    def __enter__(self):
        with contextlib.suppress(OSError):
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
        self.start = self._status("VmRSS")
        return self

    def __exit__(self, *exc):
        self.peak_mib = self._status("VmHWM") - self.start


def reduce(study, dataset, method, split, budget, seed):
    """Run one method on the training split, timed; returns a :class:`Reduced`."""
    spec = study.methods[method]
    with warnings.catch_warnings(record=True) as caught, PeakMemory() as memory:
        warnings.simplefilter("always")
        start = time.perf_counter()
        if isinstance(spec, str):
            reduced = BASELINES[spec](split, budget, seed)
        else:
            reduced = distil(study.distiller_params(dataset, method, budget), split, budget, seed)
        reduced.fit_seconds = time.perf_counter() - start
    reduced.peak_mib = memory.peak_mib
    if caught:
        reduced.notes = "; ".join(filter(None, (reduced.notes, f"{len(caught)} warning(s), first: "
                                                f"{str(caught[0].message)[:100]}")))
    return reduced


# ----------------------------------------------------------------------------- scorers


def score(y_true, y_pred, groups):
    """Accuracy, DEO_M, DEO_A and worst-group accuracy of one set of predictions.

    The gap of a class is the spread of its recall over the groups that have rows of
    it; DEO_M / DEO_A are the largest / mean gap (``skfairdistill.metrics.deo_max``,
    ``deo_mean``), computed from one table of recalls.
    """
    from skfairdistill.metrics import per_group_class_recall

    y_true, y_pred, groups = (np.asarray(a) for a in (y_true, y_pred, groups))
    recall = per_group_class_recall(y_true, y_pred, sensitive_features=groups)
    gaps = recall.max() - recall.min()
    correct = pd.Series(y_true == y_pred)
    return dict(accuracy=float(correct.mean()), deo_max=float(gaps.max()),
                deo_mean=float(gaps.mean()),
                worst_group_accuracy=float(correct.groupby(groups).mean().min()))


def make_model(name, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if name == "LogReg":
        return LogisticRegression(max_iter=2000)
    if name == "MLP":
        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed)
    if name == "HGB":  # leaves small enough for a set of a few rows per class
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_leaf_nodes=8, min_samples_leaf=2,
                                              random_state=seed)
    if name == "RandomForest":  # scikit-learn's defaults: fully grown trees
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(random_state=seed)
    if name == "ExponentiatedGradient":
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        return ExponentiatedGradient(LogisticRegression(max_iter=2000), EqualizedOdds())
    raise ValueError(f"unknown model {name!r}")


def evaluate(model, reduced, split, weights, seed, study):
    """Fit ``model`` on the reduced set, score it on the evaluation split."""
    start = time.perf_counter()
    if model == "ConvNet":  # the papers' protocol: fresh ConvNets trained on the images
        from skfairdistill.evaluation import evaluate_synthetic

        result = evaluate_synthetic(
            reduced.X, reduced.y, split.X_eval, split.y_eval,
            sensitive_features=split.groups_eval, image_shape=split.image_shape,
            device="cpu", n_threads=1, random_state=seed, **study.protocol).mean()
        scores = {m: float(result[m]) for m in ("accuracy", "deo_max", "deo_mean")}
    else:
        estimator = make_model(model, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if model == "ExponentiatedGradient":  # fitted with the set's groups
                if reduced.groups is None:
                    return None
                estimator.fit(reduced.X, reduced.y, sensitive_features=reduced.groups)
                predict = functools.partial(estimator.predict, random_state=seed)
            else:
                predict = estimator.fit(reduced.X, reduced.y, sample_weight=weights).predict
        scores = score(split.y_eval, predict(split.X_eval), split.groups_eval)
    return dict(scores, model_seconds=time.perf_counter() - start)


def prior_weights(prior, split, reduced):
    """Sample weights that give the classes the prior (``class_prior_weights``)."""
    from skfairdistill import class_prior_weights

    if not prior:
        return reduced.weights
    weights = class_prior_weights(split.y, reduced.y, power=PRIORS[prior])
    return weights if reduced.weights is None else weights * reduced.weights


# ----------------------------------------------------------------------------- the grid


@contextlib.contextmanager
def busy(load):
    """One Python busy loop per core for the duration of the block, if ``load`` is busy."""
    children = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(os.cpu_count() if load == "busy" else 0)]
    try:
        if children:
            time.sleep(1.0)
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


def settings(study):
    """Every key of the grid, a data set's settings together (its split loaded once)."""
    for seed, dataset, load_, budget, (method, spec) in itertools.product(
            study.seeds, study.datasets, study.loads, study.budgets, study.methods.items()):
        free = isinstance(spec, str) and spec in BUDGET_FREE
        if free and budget != study.budgets[0]:
            continue  # once, under budget 0
        yield dict(dataset=dataset, load=load_, budget=0 if free else budget, method=method,
                   seed=seed)


_WARM = set()  # the (data set, seed) pairs this process has fitted a distiller on


def run_setting(study, key, smoke=False, split=None):
    """The rows of one setting: one per (model, prior), or one timing row."""
    split = split or load(key["dataset"], key["seed"], study.phase, smoke)
    spec = study.methods[key["method"]]
    if not isinstance(spec, str) and (key["dataset"], key["seed"]) not in _WARM:
        _WARM.add((key["dataset"], key["seed"]))  # a 1-iteration fit: first-call costs, untimed
        warm = dataclasses.replace(study, overrides=merge(study.overrides, {"n_iter": 1}))
        with contextlib.suppress(Skipped), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reduce(warm, key["dataset"], key["method"], split, key["budget"] or 1, key["seed"])
    with busy(key["load"]):
        reduced = reduce(study, key["dataset"], key["method"], split, key["budget"] or 1,
                         key["seed"])
    base = dict(key, n_train=len(reduced.y), fit_seconds=reduced.fit_seconds,
                peak_mib=reduced.peak_mib, n_iter=reduced.n_iter, notes=reduced.notes)
    rows = []
    for model in study.models:
        for prior in study.priors if model != "ExponentiatedGradient" else ("",):
            result = evaluate(model, reduced, split, prior_weights(prior, split, reduced),
                              key["seed"], study)
            if result is not None:
                rows.append(dict(base, model=model, prior=prior, **result))
    return rows or [dict(base, model="", prior="")]


def run(study, name, out, command, smoke=False, log=print):
    """Make the missing settings of ``study``, append their rows, write the report."""
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "rows.csv")
    done = set()
    if os.path.exists(path):
        old = pd.read_csv(path, keep_default_na=False, dtype={"load": str, "method": str})
        done = set(old[list(KEY)].astype(str).itertuples(index=False, name=None))
    cache = {}
    for key in settings(study):
        if tuple(str(key[k]) for k in KEY) in done:
            continue
        start = time.perf_counter()
        try:
            if study.isolate:  # a fresh process: no allocation of another setting counts
                with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                    rows = pool.submit(run_setting, study, key, smoke).result()
            else:
                source = (key["dataset"], key["seed"])
                if source not in cache:
                    cache.clear()
                    cache[source] = load(key["dataset"], key["seed"], study.phase, smoke)
                rows = run_setting(study, key, smoke, cache[source])
        except Skipped as reason:
            log(f"skipped {key}: {reason}")
            continue
        pd.DataFrame(rows).to_csv(path, mode="a", header=not os.path.exists(path), index=False)
        log(f"{name}: {key['dataset']} seed {key['seed']} budget {key['budget']} "
            f"{key['method']} ({key['load']}): {time.perf_counter() - start:.1f} s")
    return report(study, name, out, command)


# ----------------------------------------------------------------------------- the report


def machine():
    """The machine and the software, in one line."""
    import sklearn
    import torch

    import skfairdistill

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle
                       if line.startswith("model name"))
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu}, {os.cpu_count()} cores, {gpu}; Python {platform.python_version()}, "
            f"skfairdistill {skfairdistill.__version__}, torch {torch.__version__}, "
            f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}, "
            f"pandas {pd.__version__}")


def _cell(values):
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return "–"
    digits = 3 if values.abs().max() < 10 else 1
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def summary(frame, study):
    """Mean ± std over seeds per setting: one Markdown table per data set."""
    frame = frame.copy()
    frame["s_per_iter"] = frame["fit_seconds"] / pd.to_numeric(frame["n_iter"], errors="coerce")
    by = [c for c in ("load", "budget", "method", "model", "prior")
          if c == "method" or frame[c].astype(str).nunique() > 1]
    metrics = [m for m in METRICS if m in frame and frame[m].notna().any()]
    declared = dict(load=study.loads, method=tuple(study.methods), model=study.models,
                    prior=study.priors)
    for column, values in declared.items():  # the study's order, not the alphabet's
        frame["_" + column] = frame[column].map({v: i for i, v in enumerate(values)})
    lines = []
    for dataset, part in frame.groupby("dataset", sort=False):
        part = part.sort_values(["_" + c if c in declared else c for c in by], kind="stable")
        lines += [f"### {dataset}", "",
                  "| " + " | ".join(by + ["seeds"] + [METRICS[m] for m in metrics]) + " |",
                  "|" + "---|" * (len(by) + 1 + len(metrics))]
        for values, rows in part.groupby(by, sort=False):
            values = values if isinstance(values, tuple) else (values,)
            cells = ["all" if (c, v) == ("budget", 0) else str(v) if v != "" else "–"
                     for c, v in zip(by, values)]
            cells += [str(rows["seed"].nunique())] + [_cell(rows[m]) for m in metrics]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def paired(frame, study):
    """Every method minus ``study.baseline`` on the same setting and seed: mean ± std error."""
    keys = ["dataset", "load", "budget", "model", "prior", "seed"]
    if study.baseline in BUDGET_FREE:  # its one row per seed pairs with every budget's
        keys.remove("budget")
    metrics = [m for m in ("accuracy", "deo_max", "deo_mean", "worst_group_accuracy")
               if m in frame and frame[m].notna().any()]
    base = frame[frame["method"] == study.baseline].set_index(keys)[metrics]
    by = [c for c in ("load", "budget", "model", "prior") if frame[c].astype(str).nunique() > 1]
    order = {m: i for i, m in enumerate(study.methods)}
    lines = [f"Paired differences, method minus {study.baseline} (the same setting and "
             "seed): mean ± standard error over seeds.", ""]
    for dataset, part in frame[frame["method"] != study.baseline].groupby("dataset", sort=False):
        lines += [f"### {dataset}: minus {study.baseline}", "",
                  "| " + " | ".join(by + ["method", "pairs"] + [METRICS[m] for m in metrics])
                  + " |", "|" + "---|" * (len(by) + 2 + len(metrics))]
        part = part.assign(_order=part["method"].map(order)).sort_values(by + ["_order"])
        for values, rows in part.groupby(by + ["method"], sort=False):
            diff = (rows.set_index(keys)[metrics] - base).dropna(how="all")
            cells = [str(v) for v in (values if isinstance(values, tuple) else (values,))]
            cells.append(str(len(diff)))
            for m in metrics:
                d = diff[m].dropna()
                se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
                cells.append("–" if not len(d) else f"{d.mean():+.3f}" if np.isnan(se)
                             else f"{d.mean():+.3f} ± {se:.3f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def report(study, name, out, command):
    """Write ``<out>/<name>/report.md`` from the rows; returns its path."""
    folder = os.path.join(out, name)
    text = ("load", "model", "prior", "method", "notes")
    frame = pd.read_csv(os.path.join(folder, "rows.csv"), keep_default_na=False,
                        na_values=[""], dtype=dict.fromkeys(text, str))
    for column in text:
        frame[column] = frame[column].fillna("")
    seeds = ", ".join(str(s) for s in sorted(frame["seed"].unique()))
    where = ("the test split" if study.phase == "test"
             else "a validation split (25 % of the training split, stratified by class)")
    lines = [
        f"# {name}: {study.question}", "",
        f"Written by `{command}` on {datetime.date.today()}, from the {len(frame)} rows of "
        f"`{name}/rows.csv` (seeds {seeds}). {machine()}.", "",
        f"Cells: mean ± sample std over seeds. Models are fitted on the produced set and "
        f"scored on {where}; *fit*: producing the set (wall time); *peak added*: resident "
        "memory it added at its peak; DEO_M / DEO_A: largest / mean gap over the classes "
        "between the groups' recalls (lower is fairer).", "",
        *(["**Smoke run** (tiny data and schedules): it checks that the study runs; its "
           "figures measure nothing.", ""] if study.overrides else []),
        *summary(frame, study),
        *(paired(frame, study) if study.baseline else []),
    ]
    notes = frame.loc[frame["notes"] != "", ["dataset", "method", "notes"]].drop_duplicates(
        ["dataset", "method"])
    if len(notes):
        lines += ["Warnings while producing the sets (first setting of each method):", ""]
        lines += [f"- {r.dataset}, {r.method}: {r.notes}" for r in notes.itertuples()]
    path = os.path.join(folder, "report.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines).rstrip() + "\n")
    return path
