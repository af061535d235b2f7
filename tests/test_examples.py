"""The examples in examples/ run (with their tiny SKFAIRDISTILL_QUICK=1 settings)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setenv("SKFAIRDISTILL_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg")  # pyplot may already be imported by another test
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _run(name):
    return runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "colored_digits_images.py", "credit_audit.py", "dask_grid_search.py",
        "grid_search_budget.py", "plot_quickstart.py", "readable_rows.py",
    ]


@pytest.mark.slow  # runs a whole example
def test_colored_digits_images(quick, capsys):
    namespace = _run("colored_digits_images.py")
    assert namespace["QUICK"]
    assert list(namespace["report"].index) == ["vanilla", "COBRA"]
    assert namespace["X_syn"].shape == (100, 3, 8, 8)
    assert "deo_mean" in capsys.readouterr().out


@pytest.mark.slow  # runs a whole example
def test_credit_audit(quick, capsys):
    namespace = _run("credit_audit.py")
    report = namespace["report"]
    assert list(report.index) == ["full data", "COBRA", "model matching"]
    assert list(report.columns) == ["accuracy", "TPR[female]", "TPR[male]",
                                    "equalized-odds difference"]
    assert ((report >= 0) & (report <= 1)).all().all()
    gap = (report["TPR[female]"] - report["TPR[male]"]).abs()
    assert (report["equalized-odds difference"] >= gap - 1e-12).all()
    assert "German credit" in capsys.readouterr().out


@pytest.mark.slow  # runs a whole example
def test_plot_quickstart(quick, capsys):
    namespace = _run("plot_quickstart.py")
    assert namespace["QUICK"]
    report = namespace["report"]
    assert list(report.index) == ["full data", "random subset", "vanilla", "COBRA"]
    assert {"accuracy[Female]", "accuracy[Male]", "deo_max"} <= set(report.columns)
    assert "worst_group_accuracy" in capsys.readouterr().out
    assert len(namespace["fig"].axes) == 3


@pytest.mark.slow  # runs a whole example
def test_grid_search_budget(quick, capsys):
    namespace = _run("grid_search_budget.py")
    table = namespace["table"]
    assert table["budget"].tolist() == [2, 5]
    assert (table["mean_deo_max"] >= 0).all()
    distiller = namespace["search"].best_estimator_.named_steps["distill"]
    assert list(distiller.groups_) == ["Female", "Male"]  # sensitive features were routed
    assert len(namespace["ax"].get_lines()) == 2
    assert "best:" in capsys.readouterr().out


@pytest.mark.slow  # runs a whole example
def test_readable_rows(quick, capsys):
    namespace = _run("readable_rows.py")
    synthetic, X = namespace["synthetic"], namespace["X"]
    assert list(synthetic.columns) == list(X.columns) + ["income>50K"]
    assert len(synthetic) == 10
    for column in ("workclass", "education", "occupation"):
        assert set(synthetic[column]) <= set(X[column])
    assert (synthetic.dtypes[list(X.columns)] == X.dtypes).all()
    assert set(namespace["scores"]) == {"readable rows", "as optimised rows",
                                        "model matching with teacher labels"}
    assert all(0 <= score <= 1 for score in namespace["scores"].values())
    assert namespace["model"].labels_ == "teacher"
    out = capsys.readouterr().out
    assert "encoded features" in out and "a gradient-boosted tree on 20 distilled rows" in out


@pytest.mark.slow  # runs a whole example
def test_dask_grid_search(quick, capsys):
    pytest.importorskip("dask.distributed")
    namespace = _run("dask_grid_search.py")
    # 2 budgets x 2 folds: every fit-and-score ran as a task on the Dask cluster
    assert namespace["n_dask_tasks"] >= 4
    assert namespace["table"]["budget"].tolist() == [2, 5]
    assert list(namespace["search"].best_estimator_.named_steps["distill"].groups_) == [0, 1]
