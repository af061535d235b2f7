"""Scaling of FairDistiller with the number of rows: fit time and memory added by the fit.

Usage::

    python benchmarks/scaling.py                       # 1e4, 1e5, 1e6 in memory + 1e7 memory-mapped
    python benchmarks/scaling.py --sizes 1e4,1e5       # a quick look
    python benchmarks/scaling.py --from-csv benchmarks/results/scaling.csv   # re-render only

Every measurement runs in a fresh Python process (``--worker``) so that one fit's
allocations, caches and torch start-up cannot hide or inflate another's. The worker
builds (or memory-maps) the data, then measures only the fit:

- ``fit_s``: wall-clock seconds of ``fit`` (split into ``setup_s`` — validation,
  indexing, statistics, up to the first matching iteration — ``loop_s`` and the rest);
- ``added_mb``: peak resident memory during the fit minus the resident memory just
  before it. The kernel's high-water mark (``VmHWM``) is reset to the current RSS
  right before the fit (``/proc/self/clear_refs``) and read right after; where that
  reset is unavailable, a 5 ms sampling thread gives the peak instead;
- ``added_anon_mb`` / ``added_file_mb``: the same peak split into private (anonymous)
  memory — what the fit allocates — and pages of a memory-mapped file mapped into the
  process, from the sampling thread (``RssAnon`` / ``RssFile`` of ``/proc/self/status``).

Data: ``n`` rows x 50 float32 features, 2 classes (70 % / 30 %) x 4 groups whose
shares depend on the class (class 0: 60/25/10/5 %, class 1: 40/30/20/10 %); feature
means depend on class and group. FairDistiller runs with its default settings and
``n_per_class=50``; ``imblearn.under_sampling.ClusterCentroids`` gets the same budget
(``sampling_strategy={c: 50}``, ``random_state=0``). Sizes at which ClusterCentroids
would need more than ``--cc-limit`` seconds (estimated linearly from the largest size it
finished) are skipped and reported as such.

Writes ``<results-dir>/scaling.csv``, ``<results-dir>/scaling.md`` and the log-log plot
``docs/figures/scaling.png``. Linux only (it reads ``/proc``).
"""

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from bench_common import cpu_name, memory_gib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
N_FEATURES = 50
N_PER_CLASS = 50
SEED = 0
CLASS_SHARES = (0.7, 0.3)
GROUP_SHARES = ((0.60, 0.25, 0.10, 0.05), (0.40, 0.30, 0.20, 0.10))
_GEN_BLOCK = 2**16  # rows generated per block (fixed: the data do not depend on the size)
FIELDS = (
    "method", "storage", "threads", "rows", "repeat", "status", "fit_s", "setup_s", "loop_s",
    "rest_s",
    "rss_before_mb", "added_mb", "added_anon_mb", "added_file_mb", "peak_method",
    "load_before", "torch_threads",
)


# ----------------------------------------------------------------------------- data
def _block(index, n_rows):
    """Rows of one generation block: X (float32), y, group — seeded by the block index."""
    rng = np.random.default_rng([SEED, index])
    y = (rng.random(n_rows) < CLASS_SHARES[1]).astype(np.int64)
    u = rng.random(n_rows)
    cum = np.cumsum(GROUP_SHARES, axis=1)[y]
    group = (u[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int64)
    effects = np.random.default_rng([SEED, 10**9])
    class_effect = effects.normal(size=N_FEATURES).astype(np.float32)
    group_effect = effects.normal(size=(4, N_FEATURES)).astype(np.float32)
    X = rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
    X += 0.8 * class_effect * y[:, None].astype(np.float32)
    X += 0.5 * group_effect[group]
    return X, y, group


def make_data(n_rows, X_out=None):
    """X (float32, C-contiguous; written into ``X_out`` if given, e.g. a memmap), y, group."""
    X = np.empty((n_rows, N_FEATURES), dtype=np.float32) if X_out is None else X_out
    y = np.empty(n_rows, dtype=np.int64)
    group = np.empty(n_rows, dtype=np.int64)
    for index, start in enumerate(range(0, n_rows, _GEN_BLOCK)):
        stop = min(start + _GEN_BLOCK, n_rows)
        X[start:stop], y[start:stop], group[start:stop] = _block(index, stop - start)
    return X, y, group


def write_memmap(n_rows, directory):
    """X as a .npy file (opened later with mmap_mode="r"), y and group as small .npy files."""
    path = os.path.join(directory, f"X_{n_rows}.npy")
    if not os.path.exists(path):
        X = np.lib.format.open_memmap(path + ".part", mode="w+", dtype=np.float32,
                                      shape=(n_rows, N_FEATURES))
        _, y, group = make_data(n_rows, X_out=X)
        X.flush()
        del X
        np.save(os.path.join(directory, f"y_{n_rows}.npy"), y)
        np.save(os.path.join(directory, f"group_{n_rows}.npy"), group)
        os.replace(path + ".part", path)
    return path


# ----------------------------------------------------------------------------- memory
def _status():
    """Resident memory of this process (MB) from /proc/self/status."""
    values = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                values[key] = int(rest.split()[0]) / 1024
    return values


class PeakSampler(threading.Thread):
    """Samples RSS, RssAnon and RssFile every ``interval`` seconds; keeps the maxima."""

    def __init__(self, interval=0.005):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = _status()
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            now = _status()
            for key, value in now.items():
                self.peak[key] = max(self.peak.get(key, 0.0), value)
            time.sleep(self.interval)

    def stop(self):
        self._halt.set()
        self.join()
        return self.peak


def _reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- worker
def worker(args):
    import gc

    import torch

    if args.threads != "default":
        # set by the caller (this benchmark), as the FairDistiller docstring recommends
        # on shared machines; the library itself never changes torch's thread settings
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(int(args.threads))
        threadpool_limits(int(args.threads))

    if args.method == "fairdistiller":
        import skfairdistill._distiller as distiller_module
        from skfairdistill import FairDistiller

        # time the phases: wrap the matching loop (benchmark-side only, no library change)
        marks = {}
        original = distiller_module.match_distributions

        def timed(*a, **k):
            marks["loop_start"] = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                marks["loop_end"] = time.perf_counter()

        distiller_module.match_distributions = timed
        settings = {} if args.n_iter is None else {"n_iter": args.n_iter}  # smoke tests
        estimator = FairDistiller(n_per_class=N_PER_CLASS, random_state=0, **settings)
    else:
        from imblearn.under_sampling import ClusterCentroids

        marks = {}
        estimator = ClusterCentroids(
            sampling_strategy={0: N_PER_CLASS, 1: N_PER_CLASS}, random_state=0
        )

    if args.storage == "memmap":
        X = np.load(args.data, mmap_mode="r")
        directory = os.path.dirname(args.data)
        y = np.load(os.path.join(directory, f"y_{args.rows}.npy"))
        group = np.load(os.path.join(directory, f"group_{args.rows}.npy"))
    else:
        X, y, group = make_data(args.rows)

    gc.collect()
    load_before = os.getloadavg()[0]
    sampler = PeakSampler()
    sampler.start()
    time.sleep(0.05)
    exact_peak = _reset_high_water_mark()
    before = _status()
    start = time.perf_counter()
    if args.method == "fairdistiller":
        estimator.fit(X, y, sensitive_features=group)
    else:
        estimator.fit_resample(X, y)
    end = time.perf_counter()
    after = _status()
    peak = sampler.stop()
    peak_rss = after["VmHWM"] if exact_peak else peak["VmRSS"]
    result = {
        "method": args.method,
        "storage": args.storage,
        "threads": args.threads,
        "rows": args.rows,
        "status": "ok",
        "fit_s": end - start,
        "setup_s": marks.get("loop_start", np.nan) - start,
        "loop_s": marks.get("loop_end", np.nan) - marks.get("loop_start", np.nan),
        "rest_s": end - marks.get("loop_end", np.nan),
        "rss_before_mb": before["VmRSS"],
        "added_mb": peak_rss - before["VmRSS"],
        "added_anon_mb": peak["RssAnon"] - before["RssAnon"],
        "added_file_mb": peak["RssFile"] - before["RssFile"],
        "peak_method": "VmHWM reset" if exact_peak else "sampled 5 ms",
        "load_before": load_before,
        "torch_threads": torch.get_num_threads(),
    }
    print("RESULT " + json.dumps(result), flush=True)


def run_worker(method, storage, threads, rows, data, timeout, n_iter=None):
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--method", method,
               "--storage", storage, "--threads", threads, "--rows", str(rows)]
    if n_iter is not None:
        command += ["--n-iter", str(n_iter)]
    if data:
        command += ["--data", data]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "storage": storage, "threads": threads, "rows": rows,
                "status": f"timed out after {timeout:.0f} s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"method": method, "storage": storage, "threads": threads, "rows": rows,
            "status": "failed: " + " / ".join(tail)}


# ----------------------------------------------------------------------------- report
_ORDER = {("fairdistiller", "memory"): 0, ("fairdistiller", "memmap"): 1,
          ("clustercentroids", "memory"): 2}


def _fmt(value, digits=1):
    if value in (None, "") or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{float(value):.{digits}f}"


def _threads(row):
    threads = str(row.get("threads", "default"))
    return "default" if threads in ("default", "", "nan") else str(int(float(threads)))


def _label(row, threads=True):
    name = "FairDistiller" if row["method"] == "fairdistiller" else "ClusterCentroids"
    label = f"{name} ({'memory-mapped' if row['storage'] == 'memmap' else 'in memory'})"
    return label if not threads else f"{label}, threads={_threads(row)}"


def _key(row):
    return (row["method"], row["storage"], _threads(row), int(row["rows"]))


def summarise(rows):
    """One row per (method, storage, threads, rows): medians over the repeats.

    Time columns are medians, with the fastest and slowest fit; memory columns are
    the largest over the repeats (the conservative figure).
    """
    groups = {}
    for row in rows:
        groups.setdefault(_key(row), []).append(row)
    out = []
    for key in sorted(groups, key=lambda k: (_ORDER[k[:2]], k[2] != "default", k[3])):
        done = [r for r in groups[key] if r["status"] == "ok"]
        first = groups[key][0]
        summary = {"method": key[0], "storage": key[1], "threads": key[2], "rows": key[3],
                   "repeats": len(done)}
        if not done:
            summary["status"] = first["status"]
            out.append(summary)
            continue
        summary["status"] = "ok"
        for column in ("fit_s", "setup_s", "loop_s", "load_before"):
            summary[column] = float(np.median([float(r[column]) for r in done]))
        summary["fit_min_s"] = min(float(r["fit_s"]) for r in done)
        summary["fit_max_s"] = max(float(r["fit_s"]) for r in done)
        for column in ("added_mb", "added_anon_mb", "added_file_mb"):
            summary[column] = max(float(r[column]) for r in done)
        out.append(summary)
    return out


def _find(summary, method, storage, threads, n):
    for row in summary:
        if _key(row) == (method, storage, threads, n) and row["status"] == "ok":
            return row
    return None


def targets(summary):
    """The issue's targets, checked against the (median) measurements."""
    out = []
    for threads in sorted({_threads(r) for r in summary}, key=lambda t: t != "default"):
        fd = {n: _find(summary, "fairdistiller", "memory", threads, n) for n in (10**5, 10**6)}
        mm = _find(summary, "fairdistiller", "memmap", threads, 10**7)
        tag = f"threads={threads}"
        if fd[10**6]:
            t = fd[10**6]["fit_s"]
            out.append((f"{tag}: 10^6 rows fit under 60 s", f"{t:.1f} s",
                        "met" if t < 60 else "missed"))
            if fd[10**5]:
                ratio = t / fd[10**5]["fit_s"]
                out.append((f"{tag}: 10^6-row time at most 1.5x the 10^5-row time",
                            f"{ratio:.2f}x", "met" if ratio <= 1.5 else "missed"))
            added = fd[10**6]["added_mb"]
            out.append((f"{tag}: memory added by the fit, 10^6 in-memory rows, at most 300 MB",
                        f"{added:.0f} MB", "met" if added <= 300 else "missed"))
        if mm:
            added = mm["added_mb"]
            out.append((f"{tag}: memory added by the fit, 10^7 memory-mapped rows, under 1 GB",
                        f"{added:.0f} MB", "met" if added < 1024 else "missed"))
        for n in (10**5, 10**6, 10**7):
            mine = _find(summary, "fairdistiller", "memory", threads, n) or (
                _find(summary, "fairdistiller", "memmap", threads, n))
            theirs = [r for r in summary
                      if _key(r) == ("clustercentroids", "memory", threads, n)]
            if not mine or not theirs:
                continue
            text = f"{tag}: faster than ClusterCentroids at {n:,} rows"
            if theirs[0]["status"] == "ok":
                out.append((text, f"{mine['fit_s']:.1f} s vs {theirs[0]['fit_s']:.1f} s",
                            "met" if mine["fit_s"] < theirs[0]["fit_s"] else "missed"))
            elif str(theirs[0]["status"]).startswith(("skipped", "timed out")):
                out.append((text, f"{mine['fit_s']:.1f} s vs not measured ({theirs[0]['status']})",
                            "met (by the estimate)"))
    return out


def write_markdown(rows, path, meta):
    summary = summarise(rows)
    repeats = max((r.get("repeats", 1) for r in summary), default=1)
    loads = np.array([float(r.get("load_before", np.nan)) for r in rows], dtype=float)
    load = float(np.nanmedian(loads)) if np.isfinite(loads).any() else float("nan")
    if load >= 2.0:  # the previous fit of this run alone keeps the 1-minute average near 1
        contention = (
            "**Timings are contended**: the machine was shared with another job (*load "
            "before* is the median 1-minute load average just before the fits, "
            f"{load:.2f} here, on {meta['cores']} cores; 2 or more means both cores were "
            "already busy), so times are upper bounds of what this machine does alone and the "
            "same measurement varies by tens of percent, sometimes more (see fastest–slowest). "
            "Contention hurts torch's default multi-threading most: its threads wait for each "
            "other whenever one of them is descheduled. Memory figures are not affected by the "
            "contention."
        )
    else:
        contention = (
            f"Median 1-minute load average just before the fits: {load:.2f} on "
            f"{meta['cores']} cores (*load before*); the fits of this run keep it near 1 by "
            "themselves, so values well under 2 mean no other heavy job shared the machine."
        )
    contention += (
        " The memory-mapped file was written just before the runs, but this VM evicts page "
        "cache freely (a random row read from the file was measured at up to ~50 µs when "
        "evicted, against ~2 µs cached), so the memory-mapped runs include some disk reads."
    )
    lines = [
        "## Scaling with the number of rows",
        "",
        f"{N_FEATURES} float32 features, 2 classes (70/30 %) x 4 imbalanced groups, "
        f"{N_PER_CLASS} synthetic rows per class. FairDistiller with its default settings "
        f"({meta.get('n_iter') or 1000} iterations, batch {meta.get('batch_size', 256)} per "
        f"(class, group) cell, embedding MLP {meta.get('embedding_width', 256)} wide, CPU); "
        "ClusterCentroids "
        "(imbalanced-learn, k-means) with the same budget. *threads*: `default` is the "
        "process as it starts (torch's own choice, one thread per core); `1` means the "
        "measuring process called `torch.set_num_threads(1)` (and threadpoolctl's "
        "`threadpool_limits(1)`) before the fit, as the FairDistiller docstring "
        "recommends on a shared machine.",
        "",
        f"Every measurement was repeated {repeats} times (ClusterCentroids runs longer "
        "than 2 minutes: once; see *runs*), each in a fresh process, the repeats "
        "interleaved over the run: times are medians (with the fastest and the slowest "
        "fit), memory the largest of the repeats. *Added memory* is the peak "
        "resident memory during the fit minus the resident memory just before it "
        "(high-water mark reset via `/proc/self/clear_refs`); *anon* is the private "
        "memory the fit allocated and *file* the file pages mapped into the process "
        "(torch libraries loaded on first use, a mapped input), both sampled every 5 ms. "
        "Setup = validation, the indexing pass over labels and groups, and the column "
        "statistics; loop = the matching iterations.",
        "",
        "| method | rows | runs | fit (s) | fastest–slowest (s) | setup (s) | loop (s) "
        "| added memory (MB) | anon (MB) | file (MB) | load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary:
        if row["status"] != "ok":
            lines.append(f"| {_label(row)} | {int(row['rows']):,} | 0 | {row['status']} "
                         "| | | | | | | |")
            continue
        lines.append(
            f"| {_label(row)} | {int(row['rows']):,} | {row['repeats']} | {_fmt(row['fit_s'])} "
            f"| {_fmt(row['fit_min_s'])}–{_fmt(row['fit_max_s'])} "
            f"| {_fmt(row['setup_s'], 2)} | {_fmt(row['loop_s'])} | {_fmt(row['added_mb'])} "
            f"| {_fmt(row['added_anon_mb'])} | {_fmt(row['added_file_mb'])} "
            f"| {_fmt(row['load_before'], 2)} |"
        )
    checks = targets(summary)
    if checks:
        lines += ["", "Targets of the scaling issue against these medians:", "",
                  "| target | measured | |", "|---|---|---|"]
        lines += [f"| {text} | {value} | {verdict} |" for text, value, verdict in checks]
    lines += [
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']}  ",
        f"Software: {meta['software']}  ",
        f"Date: {meta['date']}",
        "",
        contention,
        "",
        "Reading the table: FairDistiller's fit is its fixed number of iterations, whose "
        "cost does not depend on the number of rows (loop column); only the setup grows "
        "with the rows (one pass over labels, groups and, for the column statistics, X). "
        "A memory-mapped X is read twice in blocks for its statistics and then only the "
        f"rows of each draw (about {8 * meta.get('batch_size', 256):,} rows, read from the "
        "file, per iteration), which "
        "makes its iterations slower than in memory but as independent of the size. The "
        "memory added at 10^7 rows is the O(rows) work on the int64 labels and groups "
        "(NumPy's sort in `np.unique`, class and group codes, the int64 cell index, 80 MB "
        "each), not X. k-means (ClusterCentroids) grows at least linearly with the rows, "
        "in time and memory.",
        "",
    ]
    if meta.get("notes"):
        lines += [f"- {note}" for note in meta["notes"]] + [""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = {("fairdistiller", "memory"): "C0", ("fairdistiller", "memmap"): "C2",
              ("clustercentroids", "memory"): "C3"}
    markers = {"default": "o", "1": "s"}
    keys = sorted({_key(r)[:3] for r in summary}, key=lambda k: (_ORDER[k[:2]], k[2]))
    for method, storage, threads in keys:
        points = sorted(
            (int(r["rows"]), r["fit_s"], r["fit_min_s"], r["fit_max_s"],
             max(r["added_mb"], 1e-1))
            for r in summary
            if _key(r)[:3] == (method, storage, threads) and r["status"] == "ok"
        )
        if not points:
            continue
        n, seconds, fastest, slowest, added = (np.array(v) for v in zip(*points))
        style = dict(color=colors[(method, storage)], marker=markers.get(threads, "^"),
                     linestyle="-" if threads == "default" else "--",
                     label=_label({"method": method, "storage": storage, "threads": threads}))
        axes[0].errorbar(n, seconds, yerr=[seconds - fastest, slowest - seconds], capsize=3,
                         **style)
        axes[1].plot(n, added, **style)
    axes[0].set_ylabel("fit time (s), median and range")
    axes[1].set_ylabel("peak memory added by the fit (MB)")
    for axis in axes:
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(f"rows ({N_FEATURES} float32 features)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("FairDistiller vs ClusterCentroids, 50 rows per class "
                 "(shared 2-core CPU, contended timings)", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _read_csv(path):
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in FIELDS:
            if key in ("method", "storage", "status", "peak_method", "threads"):
                continue
            try:
                row[key] = float(row[key])
            except (TypeError, ValueError):
                row[key] = np.nan
    return rows


def _defaults():
    """FairDistiller's default batch size and embedding width on this data (reported)."""
    from skfairdistill import FairDistiller
    from skfairdistill.networks import default_mlp_width

    return {"batch_size": FairDistiller().batch_size,
            "embedding_width": default_mlp_width(N_FEATURES)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/scaling.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e4,1e5,1e6",
                        help="in-memory row counts (comma-separated)")
    parser.add_argument("--memmap-sizes", default="1e7",
                        help="row counts read from a memory-mapped .npy file ('' for none)")
    parser.add_argument("--methods", default="fairdistiller,clustercentroids")
    parser.add_argument("--threads", default="default,1",
                        help="comma-separated thread settings to measure: 'default' (torch's "
                        "own choice) and/or numbers, set with torch.set_num_threads and "
                        "threadpoolctl in the measuring process")
    parser.add_argument("--repeats", type=int, default=3,
                        help="measurements per configuration (interleaved over the run)")
    parser.add_argument("--n-iter", type=int, default=None,
                        help="FairDistiller's n_iter (default: its default, 1000); for smoke "
                        "tests of this script only")
    parser.add_argument("--cc-limit", type=float, default=600.0,
                        help="skip ClusterCentroids where it would take longer (seconds)")
    parser.add_argument("--cc-repeat-limit", type=float, default=120.0,
                        help="ClusterCentroids runs longer than this (seconds) are not repeated")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="wall-clock limit of one measurement (seconds)")
    parser.add_argument("--tmpdir", default=None, help="where the memory-mapped file goes")
    parser.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    parser.add_argument("--figure", default=os.path.join(ROOT, "docs", "figures", "scaling.png"))
    parser.add_argument("--from-csv", default=None, help="only re-render the report")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--storage", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    csv_path = os.path.join(args.results_dir, "scaling.csv")
    md_path = os.path.join(args.results_dir, "scaling.md")
    meta_path = os.path.join(args.results_dir, "scaling.json")
    if args.from_csv:
        rows = _read_csv(args.from_csv)
        with open(os.path.splitext(args.from_csv)[0] + ".json") as handle:
            meta = json.load(handle)
        write_markdown(rows, md_path, meta)
        plot(rows, args.figure)
        return 0

    import torch

    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    mm_sizes = [int(float(s)) for s in args.memmap_sizes.split(",") if s]
    methods = [m for m in args.methods.split(",") if m]
    thread_settings = [t.strip() for t in args.threads.split(",") if t.strip()]
    os.makedirs(args.results_dir, exist_ok=True)
    model, cores, total = cpu_name(), os.cpu_count(), memory_gib()
    given = argv if argv is not None else sys.argv[1:]
    meta = {
        "command": "python benchmarks/scaling.py" + (" " + " ".join(given) if given else ""),
        "machine": f"{model}, {cores} cores, {total:.0f} GiB RAM, "
                   f"{platform.system()} {platform.release()}",
        "cores": cores,
        "software": f"Python {platform.python_version()}, NumPy {np.__version__}, "
                    f"torch {torch.__version__} (default {torch.get_num_threads()} threads)",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "n_iter": args.n_iter,
        **_defaults(),
        "notes": [],
    }
    rows = []

    def save():
        ordered = sorted(rows, key=lambda r: (_ORDER[(r["method"], r["storage"])],
                                              _threads(r) != "default", int(r["rows"]),
                                              int(r.get("repeat", 0))))
        with open(csv_path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(ordered)
        with open(meta_path, "w") as handle:
            json.dump(meta, handle, indent=1)
        return ordered

    def record(result, repeat):
        result["repeat"] = repeat
        rows.append(result)
        print(json.dumps(result), flush=True)
        save()

    with tempfile.TemporaryDirectory(dir=args.tmpdir) as directory:
        paths = {}
        if "fairdistiller" in methods:
            for n in mm_sizes:
                free = os.statvfs(directory)
                if free.f_bavail * free.f_frsize < n * N_FEATURES * 4 * 1.1:
                    meta["notes"].append(f"{n:,} memory-mapped rows skipped: not enough disk.")
                    continue
                started = time.perf_counter()
                paths[n] = write_memmap(n, directory)
                print(f"wrote {paths[n]} in {time.perf_counter() - started:.0f} s", flush=True)
        cc_skipped = {}  # threads -> sizes ClusterCentroids would take too long for
        cc_first = {}  # (threads, rows) -> ClusterCentroids' first measurement
        for repeat in range(args.repeats):
            if "fairdistiller" in methods:
                for threads in thread_settings:
                    for n in sizes:
                        record(run_worker("fairdistiller", "memory", threads, n, None,
                                          args.timeout, args.n_iter), repeat)
                    for n, path in paths.items():
                        record(run_worker("fairdistiller", "memmap", threads, n, path,
                                          args.timeout, args.n_iter), repeat)
            if "clustercentroids" not in methods:
                continue
            for threads in thread_settings:
                largest = None  # (rows, seconds) of the largest size finished in repeat 0
                for n in sorted(set(sizes) | set(mm_sizes)):
                    if n in cc_skipped.setdefault(threads, set()):
                        continue
                    first = cc_first.get((threads, n))
                    if repeat > 0 and (first is None or first["status"] != "ok"
                                       or first["fit_s"] > args.cc_repeat_limit):
                        continue  # long (or failed) runs are measured once
                    if repeat == 0 and largest is not None:
                        estimate = largest[1] * n / largest[0]
                        if estimate > args.cc_limit:
                            cc_skipped[threads].add(n)
                            record({"method": "clustercentroids", "storage": "memory",
                                    "threads": threads, "rows": n,
                                    "status": f"skipped: estimated ~{estimate / 60:.0f} min"},
                                   repeat)
                            meta["notes"].append(
                                f"ClusterCentroids (threads={threads}) at {n:,} rows was not "
                                f"run: linear extrapolation from its {largest[1]:.0f} s at "
                                f"{largest[0]:,} rows gives ~{estimate / 60:.0f} min "
                                f"(> {args.cc_limit / 60:.0f} min).")
                            continue
                    result = run_worker("clustercentroids", "memory", threads, n, None,
                                        min(args.timeout, args.cc_limit + 60))
                    record(result, repeat)
                    cc_first.setdefault((threads, n), result)
                    if result["status"].startswith("timed out"):
                        meta["notes"].append(
                            f"ClusterCentroids (threads={threads}) at {n:,} rows was stopped "
                            f"after {args.cc_limit / 60:.0f} min (+1 min to start and build "
                            "the data) without finishing.")
                    if result["status"] == "ok":
                        largest = (n, result["fit_s"])
    ordered = save()
    write_markdown(ordered, md_path, meta)
    plot(ordered, args.figure)
    print(f"wrote {csv_path}, {md_path}, {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
