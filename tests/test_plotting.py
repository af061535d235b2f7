"""skfairdistill.plotting: the Axes hold what the plots promise."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill.metrics import fairness_report
from skfairdistill.plotting import (
    plot_budget_curve,
    plot_embedding,
    plot_group_accuracy,
    plot_loss,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def budget_results():
    rows = []
    for method, shift in (("vanilla", 0.0), ("COBRA", 0.01)):
        for budget in (1, 10, 50):
            for seed in (0, 1):
                rows.append({"method": method, "budget": budget, "seed": seed,
                             "accuracy": 0.7 + shift + budget / 1000 + seed / 100,
                             "deo_max": 0.3 - shift - budget / 1000})
    return pd.DataFrame(rows)


def test_budget_curve_lines_and_bands(budget_results):
    ax = plot_budget_curve(budget_results)
    lines = ax.get_lines()
    assert len(lines) == 4  # accuracy and DEO_M of two methods
    labels = [line.get_label() for line in lines]
    assert labels == ["vanilla accuracy", "vanilla DEO_M", "COBRA accuracy", "COBRA DEO_M"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 10, 50])
    # the mean over seeds
    np.testing.assert_allclose(lines[0].get_ydata(), [0.706, 0.715, 0.755])
    assert lines[1].get_linestyle() == "--"
    # accuracy varies over seeds: one band per method; DEO_M does not
    assert len(ax.collections) == 2
    assert "budget" in ax.get_xlabel() and "DEO_M" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels


def test_budget_curve_without_method_on_given_axes():
    _, ax = plt.subplots()
    results = pd.DataFrame({"budget": [5, 1], "accuracy": [0.8, 0.7], "deo_max": [0.1, 0.2]})
    assert plot_budget_curve(results, ax=ax) is ax
    assert [line.get_label() for line in ax.get_lines()] == ["accuracy", "DEO_M"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [0.2, 0.1])  # sorted
    assert len(ax.collections) == 0


def test_budget_curve_accepts_a_search_table():
    table = pd.DataFrame({"budget": [1, 5], "mean_accuracy": [0.7, 0.8],
                          "std_accuracy": [0.02, 0.01], "mean_deo_max": [0.2, 0.1],
                          "std_deo_max": [0.0, 0.0]})
    ax = plot_budget_curve(table)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0.7, 0.8])
    assert len(ax.collections) == 1  # the std over folds of the accuracy


def test_budget_curve_bad_input():
    with pytest.raises(ValueError, match=r"^results needs the columns budget, accuracy and deo_max "
                                         r".*; missing \['deo_max'\], got \['budget', "
                                         r"'accuracy'\]"):
        plot_budget_curve(pd.DataFrame({"budget": [1], "accuracy": [0.5]}))
    with pytest.raises(TypeError, match="^results must be a pandas DataFrame; got dict"):
        plot_budget_curve({"budget": [1]})


@pytest.fixture
def report():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    sex = rng.choice(["Female", "Male"], size=300, p=[0.3, 0.7])
    y = (X[:, 0] > 0).astype(int)
    models = {
        "logistic": LogisticRegression().fit(X[:150], y[:150]),
        "majority": DummyClassifier().fit(X[:150], y[:150]),
        "stratified": DummyClassifier(strategy="stratified", random_state=0).fit(X, y),
    }
    return fairness_report(models, X[150:], y[150:], sensitive_features=sex[150:])


def test_group_accuracy_bars(report):
    ax = plot_group_accuracy(report)
    assert len(ax.patches) == 3 * 2  # models x groups
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Female", "Male"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "logistic", "majority", "stratified"
    ]
    heights = sorted(round(p.get_height(), 10) for p in ax.patches)
    expected = sorted(round(v, 10) for v in
                      report[["accuracy[Female]", "accuracy[Male]"]].to_numpy().ravel())
    assert heights == expected
    assert ax.get_ylabel() == "accuracy"


def test_group_accuracy_intersectional_and_one_model():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    A = pd.DataFrame({"sex": rng.choice(["F", "M"], 200), "race": rng.choice(["x", "y"], 200)})
    report = fairness_report(LogisticRegression().fit(X, y), X, y, sensitive_features=A)
    ax = plot_group_accuracy(report.iloc[0])  # a Series (one model) works too
    assert len(ax.patches) == 4
    assert "F, x" in [t.get_text() for t in ax.get_xticklabels()]


def test_group_accuracy_needs_group_columns():
    with pytest.raises(ValueError, match=r"accuracy\[<group>\]"):
        plot_group_accuracy(pd.DataFrame({"accuracy": [0.5]}))


@pytest.fixture
def embedding_data(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=3, n_iter=10, random_state=0)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    return X, A, X_syn, y_syn, distiller


def test_embedding_collections(embedding_data):
    X, A, X_syn, y_syn, _ = embedding_data
    ax = plot_embedding(X, A, X_syn, y_syn)
    # one collection per group (a, b), then one per class (0, 1)
    assert len(ax.collections) == 4
    sizes = [len(c.get_offsets()) for c in ax.collections]
    assert sizes == [int(np.sum(A == "a")), int(np.sum(A == "b")), 3, 3]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["real: a", "real: b", "synthetic: class 0", "synthetic: class 1"]
    assert ax.get_xlabel().startswith("PC 1") and ax.get_ylabel().startswith("PC 2")


def test_embedding_without_labels_and_subsampled(embedding_data):
    X, A, X_syn, _, _ = embedding_data
    ax = plot_embedding(X, A, X_syn, max_points=50)
    assert len(ax.collections) == 3
    assert sum(len(c.get_offsets()) for c in ax.collections[:2]) == 50
    assert len(ax.collections[2].get_offsets()) == len(X_syn)


def test_embedding_intersectional_groups(embedding_data):
    X, A, X_syn, y_syn, _ = embedding_data
    groups = pd.DataFrame({"g": A, "h": np.arange(len(A)) % 2})
    ax = plot_embedding(X, groups, X_syn, y_syn)
    assert len(ax.collections) == 4 + 2
    assert "real: a, 0" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_embedding_bad_input(embedding_data):
    X, A, X_syn, y_syn, _ = embedding_data
    with pytest.raises(ValueError, match="X_syn has 3 features"):
        plot_embedding(X, A, X_syn[:, :3])
    with pytest.raises(ValueError, match=r"^y_syn must have one label per row of X_syn \(6\); "
                                         r"got shape \(2,\)"):
        plot_embedding(X, A, X_syn, y_syn[:2])
    with pytest.raises(ValueError, match="^sensitive_features has 10 rows but X has 240"):
        plot_embedding(X, A[:10], X_syn)


def test_loss(embedding_data):
    distiller = embedding_data[-1]
    ax = plot_loss(distiller, smooth=False)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), distiller.loss_history_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 11))
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "matching loss"
    assert "barycenter" in ax.get_title()


def test_loss_smoothed_and_from_a_distilled_classifier(grouped_data):
    X, y, A = grouped_data
    clf = DistilledClassifier(
        LogisticRegression(), distiller=FairDistiller(n_per_class=2, n_iter=40, random_state=0)
    ).fit(X, y, sensitive_features=A)
    ax = plot_loss(clf)
    raw, average = ax.get_lines()
    np.testing.assert_array_equal(raw.get_ydata(), clf.distiller_.loss_history_)
    assert "moving average" in average.get_label()
    assert np.ptp(average.get_ydata()) <= np.ptp(raw.get_ydata())


def test_loss_needs_a_fitted_distiller():
    with pytest.raises(ValueError, match="^FairDistiller has no loss_history_: pass a fitted "
                                         "FairDistiller"):
        plot_loss(FairDistiller())


def test_missing_matplotlib_gives_a_clear_message(monkeypatch, budget_results):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skfairdistill\[plot\]"):
        plot_budget_curve(budget_results)
