"""The benchmark harness: its scorers and baselines are right, its grid resumes, its
reports are means over seeds, it uses only the public API, and every study runs."""

import ast
import os
import sys

import numpy as np
import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, ROOT)

from benchmarks import data, harness  # noqa: E402
from benchmarks.__main__ import main  # noqa: E402
from benchmarks.studies import STUDIES  # noqa: E402
from skfairdistill.metrics import deo_max, deo_mean, worst_group_accuracy  # noqa: E402


def _python_files():
    for folder, _, files in os.walk(BENCH):
        yield from (os.path.join(folder, name) for name in files if name.endswith(".py"))


def test_benchmarks_use_only_the_public_api():
    for path in _python_files():
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
        package_names = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                         if isinstance(node, (ast.Import, ast.ImportFrom))
                         and (getattr(node, "module", None) or node.names[0].name).startswith(
                             "skfairdistill") for alias in node.names}
        for node in ast.walk(tree):  # no attribute of the package is replaced
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign))
                       else [])
            for target in targets:
                assert not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id in package_names), (path, ast.dump(target))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setattr",
                                                                                "delattr"):
                assert not (isinstance(node.args[0], ast.Name)
                            and node.args[0].id in package_names), path
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                names = [f"{node.value.id}.{node.attr}"]
            for name in names:
                parts = name.split(".")
                private = [p for p in parts[1:] if p.startswith("_") and not p.endswith("__")]
                assert not (parts[0] == "skfairdistill" and private), (path, name)


def test_benchmarks_stay_small():
    lines = 0
    for path in _python_files():
        with open(path, encoding="utf-8") as handle:
            lines += sum(1 for _ in handle)
    assert lines < 2500


def test_score_matches_the_package_metrics():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 500)
    pred = np.where(rng.random(500) < 0.7, y, rng.integers(0, 4, 500))
    groups = rng.choice(["a", "b", "c"], 500)
    score = harness.score(y, pred, groups)
    assert score["deo_max"] == pytest.approx(deo_max(y, pred, sensitive_features=groups))
    assert score["deo_mean"] == pytest.approx(deo_mean(y, pred, sensitive_features=groups))
    assert score["worst_group_accuracy"] == pytest.approx(
        worst_group_accuracy(y, pred, sensitive_features=groups))
    assert score["accuracy"] == pytest.approx(np.mean(pred == y))


def test_random_subset_has_the_budget_per_class():
    y = np.repeat([0, 1, 2], [50, 60, 70])
    split = data.Split(np.arange(180.0)[:, None], y, np.zeros(180))
    reduced = harness.random_subset(split, 10, seed=0)
    assert np.bincount(reduced.y).tolist() == [10, 10, 10]
    assert len(np.unique(reduced.X)) == 30


def test_public_tables_take_their_labels_groups_and_rows_from_the_files(tmp_path, monkeypatch):
    from skfairdistill.datasets import load_german_credit

    rng = np.random.default_rng(0)
    compas = pd.DataFrame({
        "days_b_screening_arrest": rng.choice([-40, 0, 5, 45], 200),
        "is_recid": rng.choice([-1, 0, 1], 200),
        "c_charge_degree": rng.choice(["F", "M", "O"], 200),
        "score_text": rng.choice(["Low", "High"], 200),
        "race": rng.choice(["African-American", "Caucasian", "Hispanic"], 200),
        "two_year_recid": rng.integers(0, 2, 200), "sex": rng.choice(["Male", "Female"], 200),
        "age": rng.integers(18, 70, 200), "juv_fel_count": 0, "juv_misd_count": 0,
        "juv_other_count": 0, "priors_count": rng.integers(0, 10, 200)})
    os.makedirs(tmp_path / "compas")
    compas.to_csv(tmp_path / "compas" / "compas-scores-two-years.csv", index=False)
    monkeypatch.setattr(data, "public_table", lambda name: str(tmp_path / name))

    split = data.load("credit-sex", 0)  # the bundled copy, 30 % held out
    X, y, A = load_german_credit(sensitive="sex")
    assert (len(split.y), len(split.y_eval)) == (700, 300)
    assert sorted(np.concatenate([split.y, split.y_eval])) == sorted(y)
    assert sorted(np.concatenate([split.groups, split.groups_eval])) == sorted(A)
    assert "personal_status" not in X  # sex is not among the features

    kept = compas[compas.days_b_screening_arrest.between(-30, 30) & (compas.is_recid != -1)
                  & (compas.c_charge_degree != "O") & compas.race.isin(
                      ["African-American", "Caucasian"])]
    split = data.load("recidivism-race", 0)
    assert len(split.y) + len(split.y_eval) == len(kept)
    assert set(split.groups) == {"African-American", "Caucasian"}
    assert split.X.shape[1] == 2 + 5 + 2  # sex and charge one-hot, five counts and age


def test_the_interaction_table_hides_part_of_the_class_from_a_line():
    X, y, g = data.make_interaction_shift(4000, group_imbalance=0.7, random_state=0)
    assert np.mean(g[y == 1] == 0) == pytest.approx(0.7)
    sign = 2 * y - 1
    # column 1 alone says nothing of the class; with column 2's sign it says as much as flip
    assert abs(np.mean(X[:, 1] * sign)) < 0.05
    assert np.mean(X[:, 1] * np.sign(X[:, 2]) * sign) == pytest.approx(0.6, abs=0.05)
    # each group's own pattern in column 3: they point to opposite classes
    assert np.mean(X[g == 0, 3] * sign[g == 0]) > 0.4 > -0.4 > np.mean(X[g == 1, 3] * sign[g == 1])
    test = data.make_interaction_shift(4000, group_imbalance=0.7, test=True, random_state=0)
    assert not np.array_equal(test[0], X)


def test_adult_sex_race_groups_are_the_intersections():
    split = data.load("adult-sex-race", 0, smoke=True)
    assert len(set(split.groups)) > 4 and all(" " in g for g in split.groups)
    assert {g.split(" ")[0] for g in split.groups} == {"Female", "Male"}


def test_group_balanced_weights_give_every_group_of_a_class_the_same_weight():
    y = np.array([0] * 10 + [1] * 6)
    groups = np.array(["a"] * 8 + ["b"] * 2 + ["a"] * 3 + ["b"] * 3)
    w = harness._groups_balanced(data.Split(np.zeros((16, 1)), y, groups))
    for c in (0, 1):
        in_class = y == c
        totals = [w[in_class & (groups == g)].sum() for g in ("a", "b")]
        assert totals == pytest.approx([in_class.sum() / 2] * 2)


def test_balanced_kmeans_with_one_centroid_is_the_barycenter():
    rng = np.random.default_rng(0)
    y = np.arange(400) % 2
    groups = np.where(rng.random(400) < 0.2, "b", "a")
    X = rng.normal(size=(400, 3)) + np.where(groups == "b", 5.0, 0.0)[:, None]
    reduced = harness.balanced_kmeans(data.Split(X, y, groups), 1, seed=0)
    np.testing.assert_array_equal(reduced.y, [0, 1])
    for k in (0, 1):
        means = [X[(y == k) & (groups == g)].mean(0) for g in ("a", "b")]
        np.testing.assert_allclose(reduced.X[k], np.mean(means, axis=0), atol=1e-6)


def test_smoke_overrides_shrink_only_what_a_method_sets():
    study = harness.Study(
        "?", datasets=("d",), methods={
            "dm": {"matching_params": {"embedding": "big"}, "n_iter": 300},
            "dc": {"matching": "gradient", "matching_params": {"outer_loops": 10}}},
        params={"device": "cpu"},
        smoke={"params": {"n_iter": 2, "matching_params": {"outer_loops": 1}}}).smoked()
    assert study.distiller_params("d", "dm") == {
        "device": "cpu", "n_iter": 2, "matching_params": {"embedding": "big"}}
    assert study.distiller_params("d", "dc") == {
        "device": "cpu", "matching": "gradient", "n_iter": 2,
        "matching_params": {"outer_loops": 1}}
    assert study.seeds == (0,)


def test_the_grid_resumes_and_reports_means_over_seeds(tmp_path):
    study = harness.Study("Random rows?", datasets=("synthetic pi=0.9 sep=3",),
                          methods={"random subset": "random subset", "full data": "full data"},
                          budgets=(5, 10), models=("LogReg",), seeds=(0, 1))
    path = harness.run(study, "toy", str(tmp_path), "the command", smoke=True,
                       log=lambda message: None)
    rows = pd.read_csv(tmp_path / "toy" / "rows.csv")
    assert len(rows) == 2 * (2 + 1)  # seeds x (two budgets + full data once)
    harness.run(study, "toy", str(tmp_path), "the command", smoke=True,
                log=lambda message: pytest.fail(message))  # nothing left to run
    assert len(pd.read_csv(tmp_path / "toy" / "rows.csv")) == len(rows)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "Written by `the command`" in text and "### synthetic pi=0.9 sep=3" in text
    subset = rows[(rows.method == "random subset") & (rows.budget == 10)].accuracy
    assert f"| 10 | random subset | 2 | {subset.mean():.3f} ± {subset.std():.3f} |" in text
    assert "| all | full data | 2 |" in text


def test_a_budget_free_baseline_pairs_with_every_budget(tmp_path):
    study = harness.Study("Random rows against all?", datasets=("synthetic pi=0.9 sep=3",),
                          methods={"random subset": "random subset", "full data": "full data"},
                          budgets=(5, 10), models=("LogReg",), seeds=(0, 1),
                          baseline="full data")
    path = harness.run(study, "toy", str(tmp_path), "the command", smoke=True,
                       log=lambda message: None)
    rows = pd.read_csv(tmp_path / "toy" / "rows.csv")
    full = rows[rows.method == "full data"].set_index("seed").accuracy
    subset = rows[(rows.method == "random subset") & (rows.budget == 10)].set_index("seed")
    diff = subset.accuracy - full
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "### synthetic pi=0.9 sep=3: minus full data" in text
    se = diff.std() / np.sqrt(2)
    assert f"| 10 | random subset | 2 | {diff.mean():+.3f} ± {se:.3f} |" in text


@pytest.mark.slow  # each study at a tiny size: seconds to about 20 s on 2 cores
@pytest.mark.parametrize("name", sorted(STUDIES))
def test_every_study_runs_at_a_tiny_size(name, tmp_path):
    assert main(["run", name, "--smoke", "--out", str(tmp_path)]) == 0
    rows = pd.read_csv(tmp_path / name / "rows.csv")
    study = STUDIES[name].smoked()
    methods = set(study.methods)
    if name == "image_timing" and not __import__("torch").cuda.is_available():
        methods = {m for m in methods if not m.startswith("cuda")}
    assert set(rows.method) == methods
    assert set(rows.dataset) == set(study.datasets)
    if study.models:
        assert rows["accuracy"].between(0, 1).all() and rows["deo_max"].notna().all()
    else:
        assert (rows["fit_seconds"] > 0).all()
    report = (tmp_path / name / "report.md").read_text(encoding="utf-8")
    assert f"`python -m benchmarks run {name} --smoke --out {tmp_path}`" in report


@pytest.mark.slow  # three 2-fold searches on a small table: about 5 s on 2 cores
def test_grid_search_script_runs_at_a_tiny_size(tmp_path):
    from benchmarks import grid_search

    assert grid_search.main(["--smoke", "--out", str(tmp_path)]) == 0
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert set(rows["search"]) == set(grid_search.SEARCHES)
    assert set(rows["rule"]) == {"fair", "accuracy"}
    assert rows["budget"].isin(grid_search.BUDGETS).all()
    assert (rows["search_seconds"] > 0).all() and rows["accuracy"].between(0, 1).all()
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "`python -m benchmarks.grid_search --smoke`" in report


def test_weight_rule_counts_the_settings_that_meet_the_target():
    from benchmarks.weight_rule import AUTO, FIXED, weight_rule

    def rows(method, model, accuracy, deo):
        budgets = (0,) if method == "full data" else (10, 50)  # the full data: no budget
        return [dict(dataset="t", budget=budget, seed=seed, model=model, method=method,
                     accuracy=accuracy, deo_max=deo) for budget in budgets for seed in (0, 1)]

    frame = pd.DataFrame(
        rows("full data", "LogReg", 0.85, 0.10) + rows("full data", "MLP", 0.84, 0.10)
        + rows(FIXED, "LogReg", 0.83, 0.05) + rows(AUTO, "LogReg", 0.845, 0.09)
        + rows(FIXED, "MLP", 0.83, 0.05) + rows(AUTO, "MLP", 0.83, 0.12))
    table, passes = weight_rule(frame)
    assert f"| LogReg | {AUTO} | 2 | 2 |" in table and f"| LogReg | {FIXED} | 2 | 0 |" in table
    assert f"| MLP | {AUTO} | 2 | 0 |" in table and f"| MLP | {FIXED} | 2 | 2 |" in table
    assert "+0.0150 ± 0.0000 | +0.0400 ± 0.0000" in table
    assert not passes  # the MLP meets the target in fewer settings with auto
    # --new/--old: any two methods; held the other way round, the rule's counts swap
    table, passes = weight_rule(frame.replace({AUTO: "b", FIXED: "a"}), new="a", old="b")
    assert "| MLP | a | 2 | 2 |" in table and "| MLP | a minus b, paired (4 pairs)" in table
    assert not passes  # LogReg now meets the target in fewer settings with "a"


def test_misses_tells_a_clear_miss_from_one_within_the_seeds_noise():
    from benchmarks.weight_rule import misses

    def rows(method, budget, accuracies, deo=0.1):
        return [dict(dataset="t", budget=budget, seed=seed, model="LogReg", method=method,
                     accuracy=accuracy, deo_max=deo) for seed, accuracy in enumerate(accuracies)]

    full = [0.85, 0.86, 0.84]
    frame = pd.DataFrame(rows("full data", 0, full)  # m: clear at 10, noisy at 50, met at 200
                         + rows("m", 10, [a - 0.03 for a in full])
                         + rows("m", 50, [a - 0.02 - d for a, d in zip(full, (0.05, -0.05, 0))])
                         + rows("m", 200, full, deo=0.09))
    table = misses(frame, ["m"])
    assert "| LogReg | m | 3 | 2 | 1 | t at 10 (-0.020, +0.000) |" in table


def test_weight_rule_before_pairs_a_rerun_with_the_stored_rows():
    from benchmarks.weight_rule import against_before

    def rows(method, accuracy, deo):
        return [dict(dataset="t", budget=10, seed=seed, model="LogReg", method=method,
                     accuracy=accuracy + 0.01 * seed, deo_max=deo) for seed in (0, 1)]

    before = pd.DataFrame(rows("full data", 0.85, 0.1) + rows("m", 0.84, 0.05))
    same = pd.DataFrame(rows("full data", 0.85, 0.1) + rows("m", 0.839, 0.054))
    table, bounds, within = against_before(same, before)
    assert "| LogReg | m | 2 | -0.0010 ± 0.0000 | +0.0040 ± 0.0000 |" in table
    assert "full data" not in table and bounds
    assert not within  # the same loss on every seed: beyond two standard errors (of 0)
    worse = pd.DataFrame(rows("full data", 0.85, 0.1) + rows("m", 0.835, 0.05))
    assert not against_before(worse, before)[1]  # accuracy down by 0.005: the bounds fail
    noisy = worse.assign(accuracy=worse.accuracy + np.where(worse.seed == 0, -0.02, 0.02))
    assert against_before(noisy, before)[1:] == (False, True)  # -0.005 +- 0.02
