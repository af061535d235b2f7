"""Benchmark suite of skfairdistill: methods × datasets × budgets × seeds.

Usage::

    python benchmarks/run.py                 # the full grid -> docs/benchmarks.md
    python benchmarks/run.py --quick         # smoke test, ~1 minute, not the benchmark
    python benchmarks/run.py --from-csv benchmarks/results/full.csv   # re-render only

Writes the raw rows (``<results-dir>/<full|quick>.csv``) and the run's metadata
(``.json`` beside it) after every (dataset, seed) block, so an interrupted run can
be continued with ``--resume``; then the Markdown report (``--out``) and PNG
figures (``--figures-dir``, default: ``figures/`` beside ``--out``).
"""

import argparse
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _limit_threads(n):
    # Before NumPy / torch are imported: the machine is small and shared.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Fair dataset distillation benchmark: full data, random subset, "
        "ClusterCentroids, balanced k-means, vanilla, rebalanced vanilla, FairDD, COBRA and "
        "COBRA-kmeans on Adult, "
        "biased synthetic tables and coloured digits.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: one seed, a few data sets, budget 10, n_iter 100")
    parser.add_argument("--seeds", type=int, default=None,
                        help="number of seeds, 0..N-1 (default 3; quick: 1)")
    parser.add_argument("--out", default=None,
                        help="Markdown report (default docs/benchmarks.md; quick: "
                        "<results-dir>/quick_benchmarks.md)")
    parser.add_argument("--results-dir", default=os.path.join(_HERE, "results"),
                        help="where the raw CSV and its metadata JSON go")
    parser.add_argument("--figures-dir", default=None,
                        help="PNG figures (default: figures/ beside --out)")
    parser.add_argument("--from-csv", default=None,
                        help="only regenerate the report from this CSV (and its JSON)")
    parser.add_argument("--verify", default=None, metavar="CSV",
                        help="re-run a few stored distillations of this CSV with the installed "
                        "package, record whether the metrics are reproduced in its JSON, and "
                        "re-render the report")
    parser.add_argument("--resume", action="store_true",
                        help="keep the blocks already in the CSV and run the missing ones")
    parser.add_argument("--rerun", default=None,
                        help="with --resume: comma-separated families whose rows are dropped "
                        "from the CSV and run again (the n_iter check rows go with digits)")
    parser.add_argument("--note", default="",
                        help="a note stored with this run segment in the metadata and report")
    parser.add_argument("--families", default=None,
                        help="comma-separated subset of adult,digits,synthetic")
    parser.add_argument("--budgets", default=None, help="comma-separated rows per class")
    parser.add_argument("--imbalances", default=None, help="synthetic group_imbalance values")
    parser.add_argument("--separations", default=None, help="synthetic group_separation values")
    parser.add_argument("--n-iter", type=int, default=None,
                        help="n_iter of every distiller (overrides the per-family setting)")
    parser.add_argument("--digits-n-iter", type=int, default=None,
                        help="n_iter of the distillers on the coloured digits")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the n_iter=1000 check run on digits-foreground (made when "
                        "the digits run with fewer iterations)")
    parser.add_argument("--threads", type=int, default=1, help="torch / BLAS threads")
    return parser.parse_args(argv)


def _floats(text):
    return tuple(float(v) for v in text.split(","))


def build_config(args):
    from bench_suite import Config, make_datasets, n_iter_check

    if args.quick:
        families = ("adult", "digits", "synthetic")
        imbalances, separations = (0.9,), (0.0, 3.0)
        modes = ("foreground",)
        budgets = (10,)
        seeds = args.seeds or 1
        n_iter = {"adult": 100, "synthetic": 100, "digits": 100}
    else:
        families = ("adult", "digits", "synthetic")
        imbalances, separations = (0.5, 0.7, 0.9), (0.0, 1.5, 3.0)
        modes = ("foreground", "background", "grey")
        budgets = (10, 50)
        seeds = args.seeds or 3
        n_iter = {"adult": 1000, "synthetic": 1000, "digits": 1000}
    if args.families:
        families = tuple(args.families.split(","))
    if args.budgets:
        budgets = tuple(int(b) for b in args.budgets.split(","))
    if args.imbalances:
        imbalances = _floats(args.imbalances)
    if args.separations:
        separations = _floats(args.separations)
    if args.n_iter:
        n_iter = {k: args.n_iter for k in n_iter}
    if args.digits_n_iter:
        n_iter["digits"] = args.digits_n_iter
    datasets = make_datasets(families, imbalances, separations, modes)
    if ("digits" in families and n_iter["digits"] != 1000 and not args.quick
            and not args.no_check):
        last_digits = max(i for i, d in enumerate(datasets) if d.family == "digits")
        datasets.insert(last_digits + 1, n_iter_check("foreground", 1000))
    config = Config(
        seeds=tuple(range(seeds)),
        budgets=budgets,
        datasets=tuple(datasets),
        n_iter=n_iter,
        threads=args.threads,
    )
    if args.quick:
        config.adult_train_rows = 3000
    return config


def software_versions():
    import fairlearn
    import imblearn
    import numpy
    import pandas
    import sklearn
    import torch

    import skfairdistill

    return (f"Python {sys.version.split()[0]}, skfairdistill {skfairdistill.__version__}, "
            f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, imbalanced-learn "
            f"{imblearn.__version__}, fairlearn {fairlearn.__version__}, NumPy "
            f"{numpy.__version__}, pandas {pandas.__version__}")


def package_state():
    """The git commit of the checkout and how many tracked files differ from it."""
    import subprocess

    root = os.path.dirname(_HERE)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True,
                               check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"git {head}" + (f" + uncommitted changes in {len(dirty)} tracked file(s)"
                            if dirty else "")


# (dataset, method) pairs re-run by --verify: seed 0, the first budget, LogReg.
VERIFY = (("adult-sex", "vanilla"), ("adult-sex", "COBRA"),
          ("synthetic pi=0.9 sep=3", "vanilla"), ("synthetic pi=0.9 sep=3", "FairDD"),
          ("synthetic pi=0.9 sep=3", "COBRA"), ("digits-foreground", "COBRA"))


def verify(csv_path, meta, threads):
    """Re-run the VERIFY distillations; return a record for the metadata."""
    import datetime
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import bench_suite as suite

    rows = pd.read_csv(csv_path)
    config = suite.Config(seeds=(0,), budgets=(), datasets=(), threads=threads)
    for family, value in meta["config"]["n_iter"].items():
        config.n_iter[family] = value
    for family, value in meta["config"]["batch_size"].items():
        config.batch_size[family] = value
    for key in ("adult_train_rows", "synthetic_train_rows", "synthetic_test_rows",
                "digits_test_colourings"):
        setattr(config, key, meta["config"][key])
    known = {d.name: d for d in suite.make_datasets(
        ("adult", "digits", "synthetic"), sorted(rows["imbalance"].dropna().unique()),
        sorted(rows["separation"].dropna().unique()), ("foreground", "background", "grey"))}
    checked, worst = [], 0.0
    for name, method in VERIFY:
        stored = rows[(rows["dataset"] == name) & (rows["method"] == method)
                      & (rows["seed"] == 0) & (rows["model"] == "LogReg")]
        if name not in known or stored.empty:
            continue
        stored = stored.sort_values("budget").iloc[0]
        dataset, budget = known[name], int(stored["budget"])
        split = suite.load_split(dataset, 0, config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reduced = suite.reduce(method, split, dataset, budget, 0, config)
            pred = LogisticRegression(max_iter=2000).fit(reduced.X, reduced.y).predict(
                split.X_test)
        score = suite._score(split.y_test, pred, split.groups(dataset, "test"))
        diff = max(abs(score[k] - stored[k]) for k in ("accuracy", "deo_max", "deo_mean"))
        worst = max(worst, diff)
        checked.append(f"{name} / {method} / {budget} per class")
        print(f"verify {name:26s} {method:8s} max |difference| {diff:.2e}", flush=True)
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "package": package_state(),
        "checked": checked,
        "max_abs_difference": float(worst),
        "reproduced": bool(np.isclose(worst, 0.0, atol=1e-12)),
    }


def _warm_up():
    """One tiny distillation before the clock matters: torch imports its compiler
    stack lazily on the first optimiser (~10 s here), which would otherwise be
    charged to the first timed distillation."""
    import warnings

    import numpy as np

    from skfairdistill import FairDistiller

    X = np.random.default_rng(0).normal(size=(40, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FairDistiller(n_per_class=2, n_iter=2, device="cpu", random_state=0).fit(
            X, np.arange(40) % 2, sensitive_features=np.arange(40) % 3)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    _limit_threads(args.threads)
    sys.path.insert(0, _HERE)

    import dataclasses
    import datetime
    import json
    import shlex
    import time

    import pandas as pd

    from bench_report import mlp_init_default, write_report
    from skfairdistill import FairDistiller

    if args.verify:
        import torch

        torch.set_num_threads(args.threads)
        meta_path = os.path.splitext(args.verify)[0] + ".json"
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        record = verify(args.verify, meta, args.threads)
        meta.setdefault("verifications", []).append(record)
        with open(meta_path, "w", encoding="utf-8") as handle:
            json.dump(meta, handle, indent=2)
        args.from_csv = args.verify

    if args.from_csv:
        csv_path = args.from_csv
        meta_path = os.path.splitext(csv_path)[0] + ".json"
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        rows = pd.read_csv(csv_path, keep_default_na=True)
        out = args.out or meta["out"]
        figures = args.figures_dir or os.path.join(os.path.dirname(os.path.abspath(out)),
                                                   "figures")
        written = write_report(rows, meta, out, figures)
        print(f"wrote {out} and {len(written)} figures from {csv_path}")
        return 0

    import torch

    from bench_suite import expected_rows, run_block

    torch.set_num_threads(args.threads)
    _warm_up()
    config = build_config(args)
    stem = "quick" if args.quick else "full"
    os.makedirs(args.results_dir, exist_ok=True)
    csv_path = os.path.join(args.results_dir, f"{stem}.csv")
    meta_path = os.path.join(args.results_dir, f"{stem}.json")
    out = args.out or (os.path.join(args.results_dir, "quick_benchmarks.md") if args.quick
                       else os.path.join("docs", "benchmarks.md"))
    figures = args.figures_dir or os.path.join(os.path.dirname(os.path.abspath(out)), "figures")

    rows, history, note = [], [], args.note
    if args.resume and os.path.exists(csv_path):
        rows = pd.read_csv(csv_path).to_dict("records")
        if args.rerun:
            rerun = set(args.rerun.split(","))
            if "digits" in rerun:
                rerun.add("check")
            before = len(rows)
            rows = [r for r in rows if r["family"] not in rerun]
            note = (note + " " if note else "") + (
                f"--rerun: dropped the {before - len(rows)} rows of "
                f"{', '.join(sorted(rerun))} made by the earlier segment(s) and ran them again.")
        if os.path.exists(meta_path):
            with open(meta_path, encoding="utf-8") as handle:
                old = json.load(handle)
            history = old.get("history") or [{
                key: old.get(key) for key in ("command", "date", "wall_seconds", "load")
            } | {"note": ""}]

    def display(path):
        path = os.path.abspath(path)
        root = os.path.dirname(_HERE)
        return os.path.relpath(path, root) if path.startswith(root + os.sep) else path

    from bench_common import machine_description

    start = time.perf_counter()
    load_start = os.getloadavg()[0]
    meta = {
        "command": "python benchmarks/run.py" + ("" if not argv else " " + shlex.join(argv)),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine_description(),
        "software": software_versions(),
        "package": package_state(),
        "quick": bool(args.quick),
        "csv": display(csv_path),
        "out": display(out),
        "segments": len(history) + 1,
        "mlp_init": mlp_init_default(),  # the embedding MLP's weight distribution
        "mlp_width": FairDistiller().embedding_width,
        "config": {
            "seeds": list(config.seeds), "budgets": list(config.budgets),
            "datasets": [d.name for d in config.datasets],
            **{k: v for k, v in dataclasses.asdict(config).items()
               if k not in ("seeds", "budgets", "datasets")},
        },
    }

    def save(final=False):
        frame = pd.DataFrame(rows)
        frame.to_csv(csv_path, index=False)
        segment = {
            "command": meta["command"], "date": meta["date"], "package": meta["package"],
            "wall_seconds": time.perf_counter() - start,
            "load": f"{load_start:.2f} / {os.getloadavg()[0]:.2f}", "note": note,
        }
        meta["history"] = history + [segment]
        meta["wall_seconds"] = sum(h["wall_seconds"] for h in meta["history"])
        meta["load"] = segment["load"]
        meta["complete"] = final
        with open(meta_path, "w", encoding="utf-8") as handle:
            json.dump(meta, handle, indent=2)
        return frame

    counts = pd.Series([(r["dataset"], int(r["seed"])) for r in rows]).value_counts() \
        if rows else pd.Series(dtype=int)
    done = {(d.name, seed) for d in config.datasets for seed in config.seeds
            if counts.get((d.name, seed), 0) == expected_rows(d, config)}
    rows = [r for r in rows if (r["dataset"], int(r["seed"])) in done]

    # Blocks sharing a source (adult-sex, adult-race) run back to back per seed,
    # so that their shared split and baselines are computed once.
    sources = {}
    for dataset in config.datasets:
        sources.setdefault(dataset.source, []).append(dataset)
    cache = {}
    print(f"{len(config.datasets)} data sets × {len(config.seeds)} seeds × budgets "
          f"{list(config.budgets)}; n_iter {config.n_iter}; writing {csv_path}", flush=True)
    for group in sources.values():
        for seed in config.seeds:
            for dataset in group:
                if (dataset.name, seed) in done or seed not in (dataset.seeds or (seed,)):
                    continue
                t0 = time.perf_counter()
                rows += run_block(dataset, seed, config, cache,
                                  log=lambda text: print(text, flush=True))
                save()
                print(f"[{time.perf_counter() - start:7.0f}s] {dataset.name} seed {seed} done "
                      f"in {time.perf_counter() - t0:.0f}s", flush=True)
    frame = save(final=True)
    written = write_report(frame, meta, out, figures)
    print(f"wrote {csv_path}, {out} and {len(written)} figures; wall time "
          f"{meta['wall_seconds']:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
