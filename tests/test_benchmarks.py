"""The benchmark suite: the quick run writes its report, CSV and figures; helpers are right."""

import hashlib
import importlib
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skfairdistill.metrics import deo_max, deo_mean, worst_group_accuracy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
METHOD_NAMES = ("full data", "random subset", "ClusterCentroids", "balanced k-means",
                "vanilla", "rebalanced vanilla", "FairDD", "COBRA", "COBRA-kmeans")


def _benchmark_module(name):
    """Import ``benchmarks/<name>.py`` with the benchmarks folder on the path for the module."""
    sys.path.insert(0, BENCH)
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(BENCH)


@pytest.fixture(scope="module")
def bench():
    yield from _benchmark_module("bench_suite")


@pytest.fixture(scope="module")
def report():
    yield from _benchmark_module("bench_report")


def _rows():
    """Benchmark rows of two data sets, one budget, two models, every method, three seeds."""
    rng = np.random.default_rng(0)
    rows = []
    sets = (("adult-sex", "adult", np.nan, np.nan), ("synthetic pi=0.9 sep=3", "synthetic", 0.9, 3),
            ("synthetic pi=0.5 sep=0", "synthetic", 0.5, 0.0))
    for dataset, family, imbalance, separation in sets:
        for seed in range(3):
            for model in ("LogReg", "MLP"):
                for method in METHOD_NAMES:
                    rows.append(dict(
                        dataset=dataset, family=family, imbalance=imbalance,
                        separation=separation, seed=seed, budget=10, model=model, method=method,
                        accuracy=rng.random(), deo_max=rng.random(), deo_mean=rng.random(),
                        worst_group_accuracy=rng.random(), distill_seconds=rng.random(),
                        rss_peak_mib=rng.random(), py_peak_mib=rng.random(), notes=""))
    return pd.DataFrame(rows)


def _digest(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_quick_run_writes_report_csv_and_figures(tmp_path):
    docs_report = os.path.join(ROOT, "docs", "benchmarks.md")
    before = _digest(docs_report)
    out = tmp_path / "benchmarks.md"
    results = tmp_path / "results"
    env = dict(os.environ, MPLBACKEND="Agg")
    command = [sys.executable, os.path.join(BENCH, "run.py"), "--quick",
               "--out", str(out), "--results-dir", str(results)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = out.read_text(encoding="utf-8")
    for name in METHOD_NAMES:
        assert name in report
    assert "Quick mode" in report
    assert "## Findings" in report
    assert "arXiv 2605.00185" in report and "arXiv 2411.19623" in report

    rows = pd.read_csv(results / "quick.csv")
    assert set(METHOD_NAMES) <= set(rows["method"])
    assert {"accuracy", "deo_max", "deo_mean", "worst_group_accuracy", "distill_seconds",
            "rss_peak_mib", "py_peak_mib"} <= set(rows.columns)
    assert rows[["accuracy", "deo_max", "deo_mean"]].notna().all().all()
    assert (results / "quick.json").exists()

    figures = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert len(figures) >= 2, figures
    for name in figures:
        assert f"figures/{name}" in report

    # The report is regenerated from the CSV alone, and the real docs are untouched.
    again = tmp_path / "again.md"
    done = subprocess.run(
        [sys.executable, os.path.join(BENCH, "run.py"), "--from-csv",
         str(results / "quick.csv"), "--out", str(again)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert again.read_text(encoding="utf-8").count("COBRA") == report.count("COBRA")
    assert _digest(docs_report) == before


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_images_quick_run_writes_rows_and_report(tmp_path):
    """benchmarks/images.py --quick: every setting of both parts gives rows and a report."""
    command = [sys.executable, os.path.join(BENCH, "images.py"), "--quick",
               "--results", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    rows = pd.read_csv(tmp_path / "images_quick.csv")
    assert set(rows.part) == {"DM", "DC, lr 0.1"}
    assert set(rows.method) == {"vanilla", "FairDD", "COBRA", "COBRA-warm"}
    assert rows[["accuracy", "deo_max", "deo_mean"]].notna().all().all()
    report = (tmp_path / "images_quick.md").read_text()
    assert "| digits-foreground | DM | none | COBRA | LogReg |" in report
    assert "DEO_A ≤ 0.5×" in report


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_image_timing_quick_run(tmp_path):
    """benchmarks/image_timing.py --quick: a CPU row with a positive time per iteration."""
    command = [sys.executable, os.path.join(BENCH, "image_timing.py"), "--quick",
               "--devices", "cpu", "--results", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    rows = pd.read_csv(tmp_path / "image_timing_quick.csv")
    assert list(rows.device) == ["cpu"] and (rows.s_per_iter > 0).all()
    report = (tmp_path / "image_timing_quick.md").read_text().splitlines()
    assert [line.split(" | ")[1] for line in report if line.startswith("| 20")] == [
        rows.device_name[0]]  # one row, named by the device


def test_score_matches_the_package_metrics(bench):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 500)
    pred = np.where(rng.random(500) < 0.7, y, rng.integers(0, 4, 500))
    groups = rng.choice(["a", "b", "c"], 500)
    score = bench._score(y, pred, groups)
    assert score["deo_max"] == pytest.approx(deo_max(y, pred, sensitive_features=groups))
    assert score["deo_mean"] == pytest.approx(deo_mean(y, pred, sensitive_features=groups))
    assert score["worst_group_accuracy"] == pytest.approx(
        worst_group_accuracy(y, pred, sensitive_features=groups))
    assert score["accuracy"] == pytest.approx(np.mean(pred == y))


def test_rebalance_groups_equalises_groups_within_each_class(bench):
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], [300, 200])
    groups = np.where(rng.random(500) < 0.85, "major", "minor")
    rows = bench.rebalance_groups(y, groups, np.random.default_rng(0))
    assert len(np.unique(rows)) == len(rows)
    for c in (0, 1):
        counts = pd.Series(groups[rows][y[rows] == c]).value_counts()
        smallest = pd.Series(groups[y == c]).value_counts().min()
        assert counts.nunique() == 1 and counts.iloc[0] == smallest


def test_random_subset_has_the_budget_per_class(bench):
    y = np.repeat([0, 1, 2], [50, 60, 70])
    rows = bench.random_subset(y, 10, np.random.default_rng(0))
    assert np.bincount(y[rows]).tolist() == [10, 10, 10]
    assert len(np.unique(rows)) == 30


def test_balanced_kmeans_baseline_with_one_centroid_is_the_barycenter(bench):
    rng = np.random.default_rng(0)
    y = np.arange(400) % 2
    groups = np.where(rng.random(400) < 0.2, "b", "a")
    X = rng.normal(size=(400, 3)) + np.where(groups == "b", 5.0, 0.0)[:, None]
    X_out, y_out = bench.balanced_kmeans(X, y, groups, 1, seed=0)
    np.testing.assert_array_equal(y_out, [0, 1])
    for k in (0, 1):
        means = [X[(y == k) & (groups == g)].mean(0) for g in ("a", "b")]
        np.testing.assert_allclose(X_out[k], np.mean(means, axis=0), atol=1e-6)
    X_out, y_out = bench.balanced_kmeans(X, y, groups, 7, seed=0)
    assert X_out.shape == (14, 3) and np.bincount(y_out).tolist() == [7, 7]


def test_report_cells_are_the_means_and_stds_over_seeds(report):
    rows = _rows()
    summary = report.summarise(rows)
    sub = summary[(summary["dataset"] == "adult-sex") & (summary["model"] == "MLP")]
    text = report.table(sub, ["method"], ["deo_max", "distill_seconds"])
    lines = text.splitlines()
    assert lines[0] == "| method | DEO_M | time (s) |"
    assert [line.split(" | ")[0] for line in lines[2:]] == [f"| {m}" for m in METHOD_NAMES]
    cobra = rows[(rows["dataset"] == "adult-sex") & (rows["model"] == "MLP")
                 & (rows["method"] == "COBRA")]
    deo, seconds = cobra["deo_max"], cobra["distill_seconds"]
    assert (f"| COBRA | {deo.mean():.3f} ± {deo.std(ddof=1):.3f} | "
            f"{seconds.mean():.1f} ± {seconds.std(ddof=1):.1f} |") in lines
    pivot = report.table(sub, ["model"], ["accuracy", "deo_max"], columns="method")
    assert pivot.splitlines()[0].startswith("| model | accuracy full data | accuracy random subset")


def test_report_check_counts_match_a_direct_count(report):
    rows = _rows()
    means = rows.groupby(["dataset", "model", "method"])[["deo_max", "accuracy"]].mean()
    deo = means["deo_max"].unstack("method")
    expected = deo["COBRA"] <= deo["vanilla"]
    biased = deo.index.get_level_values("dataset") != "synthetic pi=0.5 sep=0"
    lines = report.check_table(report.summarise(rows)).splitlines()
    cobra = next(line for line in lines if "| COBRA ≤ vanilla | all |" in line)
    cells = cobra.split(" | ")
    by_model = "; ".join(f"{expected.xs(m, level='model').sum()}/3" for m in ("LogReg", "MLP"))
    assert cells[4] == f"{expected.sum()}/6 ({by_model})"
    widen = next(line for line in lines if "| DEO_M vanilla > full data | biased |" in line)
    hits = (deo["vanilla"] > deo["full data"])[biased]
    assert widen.split(" | ")[4].startswith(f"{hits.sum()}/4 (")
    assert "> 1 std" in "\n".join(lines)  # three seeds: the std check is counted


def test_report_renders_every_section_from_rows(report, tmp_path):
    meta = {"csv": "rows.csv", "out": "report.md", "command": "python benchmarks/run.py",
            "date": "today", "wall_seconds": 60.0, "machine": "a CPU", "software": "Python",
            "config": {"threads": 1, "n_iter": {"adult": 1000, "synthetic": 1000},
                       "batch_size": {"adult": 128, "synthetic": 128}, "adult_train_rows": 0,
                       "synthetic_train_rows": 2000, "synthetic_test_rows": 10000}}
    out = tmp_path / "report.md"
    figures = report.write_report(_rows(), meta, str(out), str(tmp_path / "figures"))
    text = out.read_text(encoding="utf-8")
    headings = [line for line in text.split("<!-- included from")[0].splitlines()
                if line.startswith("#")]
    assert headings[0] == "# Benchmarks" and len(set(headings)) == len(headings)
    for section in ("## Run", "## Setup", "## Findings", "### In short: the checks",
                    "### Means over settings", "## All results", "### adult-sex",
                    "### Synthetic grid (make_biased_classification)"):
        assert section in headings
    assert len(figures) == 3 and all(f"figures/{os.path.basename(f)}" in text for f in figures)
    assert "{" + "budgets}" not in text and "arXiv 2605.00185" in text
