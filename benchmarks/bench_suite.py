"""The benchmark grid: data sets, data reductions (baselines and distillers), evaluation.

One *row* of the results is (dataset, seed, budget, method, model): a training set
is produced by ``method`` at ``budget`` rows per class (or the full training data),
an evaluation model is fit on it, and its predictions on a real held-out split are
scored with accuracy, DEO_M, DEO_A and worst-group accuracy. The cost of producing
the training set (wall time, peak memory) is measured for the methods that compute
something (ClusterCentroids, balanced k-means and the distillers).

Nothing here writes files; :mod:`bench_report` turns the rows into Markdown and PNGs.
"""

import resource
import threading
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from imblearn.under_sampling import ClusterCentroids
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from bench_common import random_subset
from skfairdistill import FairDistiller
from skfairdistill.datasets import load_adult, make_biased_classification, make_colored_digits
from skfairdistill.metrics import deo_max, deo_mean, worst_group_accuracy
from skfairdistill.preprocessing import TabularEncoder

# Display name -> FairDistiller alignment (None: not a distiller).
METHODS = {
    "full data": None,
    "random subset": None,
    "ClusterCentroids": None,
    "balanced k-means": None,
    "vanilla": "none",
    "rebalanced vanilla": "none",
    "FairDD": "groupwise",
    "COBRA": "barycenter",
    "COBRA-kmeans": "barycenter",
}
DISTILLERS = ("vanilla", "rebalanced vanilla", "FairDD", "COBRA", "COBRA-kmeans")
# Baselines that are not distillers but use the sensitive attribute (not shared between
# adult-sex and adult-race).
GROUP_BASELINES = ("balanced k-means",)
# FairDistiller parameters beyond the alignment. Vanilla and FairDD with their published
# distance (squared L2); COBRA with the package default (L1, COBRA's DM distance).
DISTILLER_OPTIONS = {
    "vanilla": {"distance": "squared_l2"},
    "rebalanced vanilla": {"distance": "squared_l2"},
    "FairDD": {"distance": "squared_l2"},
    "COBRA-kmeans": {"matching": "kmeans"},
}
MODELS = ("LogReg", "MLP")


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Dataset:
    """One evaluated data set; ``source`` groups data sets that share a split."""

    name: str
    family: str  # "adult", "synthetic" or "digits"
    sensitive: str = ""
    imbalance: float = np.nan
    separation: float = np.nan
    mode: str = ""
    # Restrictions, for the n_iter check (a "check" data set re-runs some distillers
    # of a "digits" data set with another n_iter; it is kept out of the main tables).
    data_family: str = ""
    methods: tuple = None
    budgets: tuple = None
    seeds: tuple = None
    n_iter: int = None

    def __post_init__(self):
        if not self.data_family:
            object.__setattr__(self, "data_family", self.family)

    @property
    def source(self):
        return "adult" if self.family == "adult" else self.name


@dataclass
class Config:
    """Everything that defines a run of the grid."""

    seeds: tuple
    budgets: tuple
    datasets: tuple
    models: tuple = MODELS
    # FairDistiller settings per family: n_iter and batch_size ("max_cell" = the
    # largest (class, group) cell of the distiller's input, i.e. exact cell means;
    # 128 is FairDistiller's default).
    n_iter: dict = field(default_factory=lambda: {"adult": 1000, "synthetic": 1000, "digits": 1000})
    batch_size: dict = field(
        default_factory=lambda: {"adult": 128, "synthetic": 128, "digits": "max_cell"}
    )
    adult_train_rows: int = 0  # 0: the whole 70% training split
    synthetic_train_rows: int = 2000
    synthetic_test_rows: int = 10000
    digits_test_colourings: int = 4
    threads: int = 1


def n_iter_check(mode="foreground", n_iter=1000):
    """Vanilla, FairDD and COBRA on one coloured-digits set, seed 0, 10 per class, n_iter."""
    return Dataset(f"digits-{mode} [n_iter {n_iter}]", "check", mode=mode,
                   data_family="digits", methods=("vanilla", "FairDD", "COBRA"),
                   budgets=(10,), seeds=(0,), n_iter=n_iter)


def expected_rows(dataset, config):
    """Rows one (dataset, seed) block produces."""
    return (len(dataset.budgets or config.budgets) * len(dataset.methods or METHODS)
            * len(config.models))


def synthetic_name(imbalance, separation):
    return f"synthetic pi={imbalance:g} sep={separation:g}"


def make_datasets(families, imbalances, separations, digit_modes):
    """The list of :class:`Dataset` for the asked families."""
    out = []
    if "adult" in families:
        out += [Dataset("adult-sex", "adult", sensitive="sex"),
                Dataset("adult-race", "adult", sensitive="race")]
    if "digits" in families:
        out += [Dataset(f"digits-{m}", "digits", mode=m) for m in digit_modes]
    if "synthetic" in families:
        out += [
            Dataset(synthetic_name(p, s), "synthetic", imbalance=p, separation=s)
            for p in imbalances
            for s in separations
        ]
    return out


# ----------------------------------------------------------------------------- data


@dataclass
class Split:
    X_train: np.ndarray
    y_train: np.ndarray
    A_train: object  # ndarray, or DataFrame of sensitive columns for Adult
    X_test: np.ndarray
    y_test: np.ndarray
    A_test: object

    def groups(self, dataset, part):
        A = self.A_train if part == "train" else self.A_test
        if isinstance(A, pd.DataFrame):
            return A[dataset.sensitive].to_numpy()
        return np.asarray(A)


_ADULT_CACHE = {}


def _adult_frame():
    if "frame" not in _ADULT_CACHE:
        # Both sensitive columns are dropped from the features, so that one split,
        # one encoding and one set of baseline models serve adult-sex and adult-race.
        _ADULT_CACHE["frame"] = load_adult(sensitive=["sex", "race"])
    return _ADULT_CACHE["frame"]


def load_split(dataset, seed, config):
    """Train and test split of ``dataset`` for ``seed``."""
    if dataset.data_family == "adult":
        X, y, A = _adult_frame()
        X_tr, X_te, y_tr, y_te, A_tr, A_te = train_test_split(
            X, y.to_numpy(), A, test_size=0.3, stratify=y, random_state=seed
        )
        if config.adult_train_rows and config.adult_train_rows < len(y_tr):
            X_tr, _, y_tr, _, A_tr, _ = train_test_split(
                X_tr, y_tr, A_tr, train_size=config.adult_train_rows, stratify=y_tr,
                random_state=seed,
            )
        encoder = TabularEncoder().fit(X_tr)
        Z_tr, Z_te = (encoder.transform(part).astype(np.float32) for part in (X_tr, X_te))
        return Split(Z_tr, y_tr, A_tr.reset_index(drop=True), Z_te, y_te,
                     A_te.reset_index(drop=True))
    if dataset.data_family == "synthetic":
        kwargs = dict(group_imbalance=dataset.imbalance, group_separation=dataset.separation,
                      random_state=seed)
        X_tr, y_tr, g_tr = make_biased_classification(config.synthetic_train_rows, **kwargs)
        X_te, y_te, g_te = make_biased_classification(config.synthetic_test_rows, test=True,
                                                      **kwargs)
        return Split(X_tr, y_tr, g_tr, X_te, y_te, g_te)
    if dataset.data_family == "digits":
        images, y_tr, g_tr = make_colored_digits(mode=dataset.mode, random_state=seed)
        # The 450 test images, coloured independently several times (uniform colours,
        # independent of the class): more rows per (class, group) cell for the DEO.
        parts = [
            make_colored_digits(mode=dataset.mode, split="test",
                                random_state=10_000 + 100 * seed + k)
            for k in range(config.digits_test_colourings)
        ]
        X_te = np.concatenate([p[0].reshape(len(p[0]), -1) for p in parts])
        y_te = np.concatenate([p[1] for p in parts])
        g_te = np.concatenate([p[2] for p in parts])
        return Split(images.reshape(len(images), -1), y_tr, g_tr, X_te, y_te, g_te)
    raise ValueError(dataset.family)


# ----------------------------------------------------------------------------- reductions


def rebalance_groups(y, groups, rng):
    """Indices of a subsample in which every group has the same size within each class.

    Within class ``c`` every group present in ``c`` is undersampled (without
    replacement) to the size of the smallest (c, group) cell.
    """
    keep = []
    for c in np.unique(y):
        cells = [np.flatnonzero((y == c) & (groups == g)) for g in np.unique(groups[y == c])]
        smallest = min(len(cell) for cell in cells)
        keep += [rng.choice(cell, smallest, replace=False) for cell in cells]
    return np.sort(np.concatenate(keep))


def balanced_kmeans(X, y, groups, n_per_class, seed):
    """Group-balanced k-means (the reference baseline, written out with scikit-learn).

    Per class, ``KMeans(n_per_class)`` on the class's rows with sample weights that give
    every group of the class the same total weight: Lloyd's algorithm on the
    group-balanced mixture, whose mean is COBRA's barycenter. The centroids, on the
    scale of ``X``, are the training rows.
    """
    from sklearn.cluster import KMeans

    X_out, y_out = [], []
    for c in np.unique(y):
        in_class = y == c
        _, codes, counts = np.unique(groups[in_class], return_inverse=True, return_counts=True)
        weights = 1.0 / (len(counts) * counts[codes.ravel()])
        kmeans = KMeans(n_clusters=n_per_class, n_init=1, random_state=seed)
        kmeans.fit(X[in_class], sample_weight=weights * in_class.sum())
        X_out.append(kmeans.cluster_centers_.astype(X.dtype, copy=False))
        y_out.append(np.full(n_per_class, c))
    return np.concatenate(X_out), np.concatenate(y_out)


def _max_cell(y, groups):
    _, codes = np.unique(groups, return_inverse=True)
    _, y_codes = np.unique(y, return_inverse=True)
    return int(np.bincount(y_codes * (codes.max() + 1) + codes).max())


class PeakMemory:
    """Measure the memory used by the enclosed block.

    - ``py_peak_mib``: ``tracemalloc`` peak of the block — Python objects and NumPy
      buffers (NumPy reports to tracemalloc); torch's CPU tensors are *not* included.
    - ``rss_peak_mib``: the highest resident set size of the process seen while the
      block ran (``/proc/self/statm`` polled every 5 ms) minus the RSS when it
      started. It includes torch tensors; memory the allocator kept from earlier
      blocks and reuses is not counted, and peaks shorter than 5 ms can be missed.
    - ``maxrss_delta_mib``: growth of ``getrusage(RUSAGE_SELF).ru_maxrss`` (the
      process's lifetime high-water mark) during the block; 0 whenever the block
      stays below an earlier peak of the process, so it is only a lower bound.
    """

    def __init__(self, interval=0.005):
        self.interval = interval
        self._page = resource.getpagesize()

    def _rss(self):
        try:
            with open("/proc/self/statm") as handle:
                return int(handle.read().split()[1]) * self._page
        except OSError:
            return np.nan

    def _poll(self):
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, self._rss())

    def __enter__(self):
        self._stop = threading.Event()
        self._start_rss = self._peak = self._rss()
        self._start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._rss())
        mib = 1024.0 ** 2
        self.py_peak_mib = py_peak / mib
        self.rss_peak_mib = (self._peak - self._start_rss) / mib
        self.maxrss_delta_mib = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self._start_maxrss
        ) / 1024.0
        return False


@dataclass
class Reduced:
    """A training set produced by a method, and what producing it cost."""

    X: np.ndarray
    y: np.ndarray
    seconds: float = np.nan
    py_peak_mib: float = np.nan
    rss_peak_mib: float = np.nan
    maxrss_delta_mib: float = np.nan
    n_input_rows: int = 0  # rows the method saw
    n_iter: float = np.nan
    batch_size: float = np.nan
    notes: str = ""  # warnings raised while producing the set


def reduce(method, split, dataset, budget, seed, config):
    """Run one method on the training split; returns a :class:`Reduced`."""
    X, y = split.X_train, split.y_train
    if method == "full data":
        return Reduced(X, y, n_input_rows=len(y))
    if method == "random subset":
        rows = random_subset(y, budget, np.random.default_rng([seed, budget, 1]))
        return Reduced(X[rows], y[rows], n_input_rows=len(y))

    groups = split.groups(dataset, "train")
    with PeakMemory() as memory, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        extra = {}
        if method == "ClusterCentroids":
            sampler = ClusterCentroids(
                sampling_strategy={c: budget for c in np.unique(y)}, random_state=seed
            )
            X_out, y_out = sampler.fit_resample(X, y)
            n_input = len(y)
        elif method == "balanced k-means":
            X_out, y_out = balanced_kmeans(X, y, groups, budget, seed)
            n_input = len(y)
        else:
            X_in, y_in, g_in = X, y, groups
            if method == "rebalanced vanilla":
                rows = rebalance_groups(y, groups, np.random.default_rng([seed, 2]))
                X_in, y_in, g_in = X[rows], y[rows], groups[rows]
            batch = config.batch_size[dataset.data_family]
            if batch == "max_cell":
                batch = _max_cell(y_in, g_in)
            n_iter = dataset.n_iter or config.n_iter[dataset.data_family]
            distiller = FairDistiller(
                n_per_class=budget,
                alignment=METHODS[method],
                n_iter=n_iter,
                batch_size=batch,
                device="cpu",
                random_state=seed,
                **DISTILLER_OPTIONS.get(method, {}),
            )
            X_out, y_out = distiller.fit_resample(X_in, y_in, sensitive_features=g_in)
            n_input = len(y_in)
            if distiller.matching == "kmeans":  # no matching loop: no n_iter, no batch
                extra = {}
            else:
                extra = {"n_iter": n_iter, "batch_size": batch}
        seconds = time.perf_counter() - start
    return Reduced(
        np.asarray(X_out), np.asarray(y_out), seconds=seconds,
        py_peak_mib=memory.py_peak_mib, rss_peak_mib=memory.rss_peak_mib,
        maxrss_delta_mib=memory.maxrss_delta_mib, n_input_rows=n_input,
        notes=_summarise_warnings(caught), **extra,
    )


def _summarise_warnings(caught):
    """How many warnings a run raised, and the first one, shortened."""
    if not caught:
        return ""
    first = str(caught[0].message).split(";")[0][:120]
    return f"{len(caught)} warning(s), first: {first}"


# ----------------------------------------------------------------------------- evaluation


def make_model(name, seed):
    if name == "LogReg":
        return LogisticRegression(max_iter=2000)
    if name == "MLP":
        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed)
    raise ValueError(name)


def score_images(X_syn, y_syn, split, seed, *, models, epochs):
    """A synthetic image set scored two ways: ``protocol_*`` and ``logreg_*`` columns.

    The papers' protocol (:func:`skfairdistill.evaluation.evaluate_synthetic`:
    ``models`` fresh ConvNet-3 networks, ``epochs`` epochs, mean over the networks)
    and a logistic regression on the flat pixels, both on the real test split.
    """
    from skfairdistill.evaluation import evaluate_synthetic

    flat = X_syn.reshape(len(X_syn), -1)
    logreg = make_model("LogReg", seed).fit(flat, y_syn)
    lr = _score(split.y_test, logreg.predict(split.X_test), split.A_test)
    protocol = evaluate_synthetic(
        flat, y_syn, split.X_test, split.y_test, sensitive_features=split.A_test,
        image_shape=X_syn.shape[1:], n_models=models, n_epochs=epochs, device="cpu",
        n_threads=1, random_state=seed,
    ).mean()
    metrics = ("accuracy", "deo_max", "deo_mean")
    return {**{f"protocol_{m}": protocol[m] for m in metrics},
            **{f"logreg_{m}": lr[m] for m in metrics}}


def _score(y_true, y_pred, groups):
    """Accuracy, DEO_M, DEO_A and worst-group accuracy of one set of predictions.

    The same definitions as ``skfairdistill.metrics.deo_max`` / ``deo_mean`` /
    ``worst_group_accuracy`` (recall of class ``y`` within group ``a``; gap of a class
    = max - min over the groups that have rows of it; DEO_M / DEO_A = max / mean gap;
    worst-group accuracy = smallest per-group accuracy), computed with NumPy because
    fairlearn's MetricFrame costs ~0.1 s a call and the grid makes thousands.
    :func:`check_score` compares the two on every (dataset, seed) block, and
    tests/test_benchmarks.py on random data.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    g = g.ravel()
    correct = y_pred == y_true
    gaps = []
    for label in np.unique(y_true):
        in_class = y_true == label
        recalls = [np.mean(correct[in_class & (g == a)]) for a in np.unique(g[in_class])]
        gaps.append(max(recalls) - min(recalls))
    group_acc = [np.mean(correct[g == a]) for a in np.unique(g)]
    return {
        "accuracy": float(np.mean(correct)),
        "deo_max": float(np.max(gaps)),
        "deo_mean": float(np.mean(gaps)),
        "worst_group_accuracy": float(np.min(group_acc)),
    }


def check_score(y_true, y_pred, groups, score):
    """Raise if :func:`_score` disagrees with the package's metric functions."""
    reference = {
        "deo_max": deo_max(y_true, y_pred, sensitive_features=groups),
        "deo_mean": deo_mean(y_true, y_pred, sensitive_features=groups),
        "worst_group_accuracy": worst_group_accuracy(y_true, y_pred,
                                                     sensitive_features=groups),
    }
    for name, value in reference.items():
        if not np.isclose(score[name], value, rtol=0, atol=1e-12):
            raise AssertionError(f"{name}: benchmark {score[name]} != package {value}")


def run_block(dataset, seed, config, cache, log=print):
    """All rows of one (dataset, seed): every budget, method and model.

    ``cache`` memoises what does not depend on the sensitive attribute (the Adult
    split, the full-data / random-subset / ClusterCentroids training sets and the
    predictions of models fit on them), so adult-sex and adult-race share them.
    """
    key = (dataset.source, seed)
    if key not in cache:
        cache.clear()  # one source at a time: keeps memory flat
        cache[key] = {"split": load_split(dataset, seed, config)}
    store = cache[key]
    split = store["split"]
    groups_test = split.groups(dataset, "test")
    rows = []
    base = {
        "dataset": dataset.name, "family": dataset.family, "sensitive": dataset.sensitive,
        "imbalance": dataset.imbalance, "separation": dataset.separation,
        "mode": dataset.mode, "seed": seed,
    }
    for budget in dataset.budgets or config.budgets:
        for method in dataset.methods or tuple(METHODS):
            # does not use the sensitive attribute
            shared = METHODS[method] is None and method not in GROUP_BASELINES
            memo = (method, None if method == "full data" else budget)
            started = time.perf_counter()
            if shared and memo in store:
                reduced, predictions = store[memo]
            else:
                reduced = reduce(method, split, dataset, budget, seed, config)
                predictions = {}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    for model_name in config.models:
                        model = make_model(model_name, seed).fit(reduced.X, reduced.y)
                        predictions[model_name] = model.predict(split.X_test)
                if shared:
                    store[memo] = (reduced, predictions)
            for model_name in config.models:
                score = _score(split.y_test, predictions[model_name], groups_test)
                if method == "COBRA" and model_name == config.models[0]:
                    check_score(split.y_test, predictions[model_name], groups_test, score)
                rows.append({
                    **base, "budget": budget, "method": method, "model": model_name,
                    **score,
                    "distill_seconds": reduced.seconds,
                    "py_peak_mib": reduced.py_peak_mib,
                    "rss_peak_mib": reduced.rss_peak_mib,
                    "maxrss_delta_mib": reduced.maxrss_delta_mib,
                    "n_input_rows": reduced.n_input_rows,
                    "n_fit_rows": len(reduced.y),
                    "n_test_rows": len(split.y_test),
                    "n_iter": reduced.n_iter,
                    "batch_size": reduced.batch_size,
                    "notes": reduced.notes,
                })
            log(f"  {dataset.name:28s} seed={seed} budget={budget:<3d} {method:18s} "
                f"{time.perf_counter() - started:6.1f}s")
    return rows
