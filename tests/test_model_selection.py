"""budget_search_table: a grid search over the distillation budget as a tidy table."""

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skfairdistill import FairDistiller
from skfairdistill.metrics import make_fairness_scorer
from skfairdistill.model_selection import budget_search_table


def _pipeline(memory=None):
    distiller = FairDistiller(n_iter=10, random_state=0).set_fit_resample_request(
        sensitive_features=True
    )
    return Pipeline([("distill", distiller), ("clf", LogisticRegression())], memory=memory)


def _scoring():
    return {
        "accuracy": "accuracy",
        "deo_max": make_fairness_scorer("deo_max").set_score_request(sensitive_features=True),
    }


@pytest.fixture(scope="module")
def data():
    """160 rows, 3 features, 2 classes; groups "a" (about 75%) and "b" in every class."""
    rng = np.random.default_rng(0)
    y = np.arange(160) % 2
    A = np.where(np.isin(np.arange(160) % 8, [1, 2]), "b", "a").astype(object)
    X = rng.normal(size=(160, 3))
    X[:, 0] += 2.0 * y
    X[:, 1] += (A == "b") * 1.0
    return X, y, A


@pytest.fixture(scope="module")
def search(data, tmp_path_factory):
    """The documented recipe: imblearn Pipeline with memory, multi-metric GridSearchCV."""
    X, y, A = data
    cache = tmp_path_factory.mktemp("cache")
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            _pipeline(memory=str(cache)),
            {"distill__n_per_class": [4, 2], "clf__C": [0.1, 1.0]},
            scoring=_scoring(),
            refit="accuracy",
            cv=2,
        )
        search.fit(X, y, sensitive_features=A)
    return search, cache


def test_table_columns_and_order(search):
    search, _ = search
    table = budget_search_table(search)
    assert list(table.columns) == [
        "budget", "clf__C",
        "mean_accuracy", "std_accuracy", "rank_accuracy",
        "mean_deo_max", "std_deo_max", "rank_deo_max",
        "mean_fit_time",
    ]
    assert table["budget"].tolist() == [2, 2, 4, 4]
    assert table["clf__C"].tolist() == [0.1, 1.0, 0.1, 1.0]
    assert table["budget"].dtype.kind == "i"


def test_values_are_sign_corrected(search):
    search, _ = search
    table = budget_search_table(search)
    results = search.cv_results_
    for _, row in table.iterrows():
        i = next(
            k for k, params in enumerate(results["params"])
            if params == {"distill__n_per_class": row["budget"], "clf__C": row["clf__C"]}
        )
        assert row["mean_deo_max"] == pytest.approx(-results["mean_test_deo_max"][i])
        assert row["std_deo_max"] == pytest.approx(results["std_test_deo_max"][i])
        assert row["mean_accuracy"] == pytest.approx(results["mean_test_accuracy"][i])
    assert (table["mean_deo_max"] >= 0).all() and (table["mean_deo_max"] <= 1).all()
    assert (results["mean_test_deo_max"] <= 0).all()


def test_search_routes_sensitive_features_and_caches(search):
    search, cache = search
    distiller = search.best_estimator_.named_steps["distill"]
    assert list(distiller.groups_) == ["a", "b"]
    assert search.best_params_["distill__n_per_class"] in (2, 4)
    # memory= cached the distillation: joblib's folder of imblearn's _fit_resample_one
    cached = [path.name for path in cache.rglob("*") if path.is_dir()]
    assert "_fit_resample_one" in cached, cached


def test_memory_distils_once_per_budget_and_fold(data, tmp_path, monkeypatch):
    """With memory=, the grid over clf__C reuses the synthetic set of each (budget, fold)."""
    X, y, A = data
    calls = []
    original = FairDistiller._distil

    def counting(self, *args, **kwargs):
        calls.append(self.n_per_class)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FairDistiller, "_distil", counting)
    with sklearn.config_context(enable_metadata_routing=True):
        GridSearchCV(
            _pipeline(memory=str(tmp_path)),
            {"distill__n_per_class": [2, 3], "clf__C": [0.1, 1.0, 10.0]},
            scoring=_scoring(), refit="accuracy", cv=2,
        ).fit(X, y, sensitive_features=A)
    # 2 budgets x 2 folds, plus the refit on all rows; not 2 x 3 x 2 + 1
    assert len(calls) == 2 * 2 + 1


def test_flip_can_be_chosen(search):
    search, _ = search
    raw = budget_search_table(search, flip=[])
    assert (raw["mean_deo_max"] <= 0).all()
    both = budget_search_table(search, flip=["accuracy", "deo_max"])
    assert (both["mean_accuracy"] < 0).all()
    with pytest.raises(ValueError, match=r"^flip names unknown metrics \['recall'\]; the metrics "
                                         "are"):
        budget_search_table(search, flip=["recall"])


def test_budget_parameter_must_be_found(search, data):
    search, _ = search
    assert budget_search_table(search, param="distill__n_per_class")["budget"].tolist() == [
        2, 2, 4, 4
    ]
    # another parameter can serve as the "budget" axis
    assert budget_search_table(search, param="clf__C")["budget"].tolist() == [0.1, 0.1, 1.0, 1.0]
    with pytest.raises(ValueError, match="^param 'distill__n_iter' is not a parameter of the "
                                         "search"):
        budget_search_table(search, param="distill__n_iter")
    X, y, A = data
    no_budget = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2).fit(X, y)
    with pytest.raises(ValueError, match="^budget_search_table needs exactly one searched "
                                         "parameter ending in 'n_per_class'"):
        budget_search_table(no_budget)


def test_unfitted_search_is_rejected():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        budget_search_table(GridSearchCV(LogisticRegression(), {"C": [1.0]}))


def test_single_metric_and_neg_scorers(data):
    X, y, A = data
    with sklearn.config_context(enable_metadata_routing=True):
        fair = GridSearchCV(
            _pipeline(), {"distill__n_per_class": [2, 3]}, cv=2,
            scoring=make_fairness_scorer("deo_mean").set_score_request(sensitive_features=True),
        ).fit(X, y, sensitive_features=A)
        neg = RandomizedSearchCV(
            _pipeline(), {"distill__n_per_class": [2, 3]}, n_iter=2, cv=2, random_state=0,
            scoring={"neg_log_loss": "neg_log_loss", "balanced_accuracy": "balanced_accuracy"},
            refit=False,
        ).fit(X, y, sensitive_features=A)
    table = budget_search_table(fair)
    assert list(table.columns) == ["budget", "mean_score", "std_score", "rank_score",
                                   "mean_fit_time"]
    assert (table["mean_score"] >= 0).all()
    table = budget_search_table(neg)
    assert {"mean_log_loss", "mean_balanced_accuracy"} <= set(table.columns)
    assert (table["mean_log_loss"] > 0).all()
    assert (table["mean_balanced_accuracy"] > 0).all()


def test_table_feeds_the_budget_plot(search):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skfairdistill.plotting import plot_budget_curve

    search, _ = search
    table = budget_search_table(search)
    best = table.loc[table.groupby("budget")["mean_accuracy"].idxmax()]
    ax = plot_budget_curve(best)
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [2, 4])
    plt.close("all")


# ----------------------------------------------------------------------------- fair_refit


def _results(scores, gaps):
    return {"mean_test_accuracy": np.array(scores, dtype=float),
            "mean_test_deo_max": np.array(gaps, dtype=float)}


@pytest.mark.parametrize("scores, gaps, max_gap, expected", [
    ([0.80, 0.85, 0.83], [0.05, 0.12, 0.08], 0.10, 2),  # the most accurate of the fair ones
    ([0.80, 0.85, 0.83], [-0.05, -0.12, -0.08], 0.10, 2),  # a scorer's minus the gap
    ([0.80, 0.85, 0.83], [0.15, 0.12, 0.12], 0.10, 1),  # none fair: the fairest, then accuracy
    ([0.80, np.nan, 0.83], [0.05, np.nan, 0.20], 0.10, 0),  # a failed candidate never wins
    ([0.80, 0.85], [0.10, 0.02], 0.10, 1),  # at the bound counts as fair
])
def test_fair_refit_keeps_the_best_score_among_the_fair_candidates(scores, gaps, max_gap,
                                                                   expected):
    from skfairdistill.model_selection import fair_refit

    assert fair_refit(max_gap)(_results(scores, gaps)) == expected


@pytest.mark.parametrize("max_gap", [-0.1, float("nan"), float("inf"), "0.1", None, True])
def test_fair_refit_refuses_a_bad_bound(max_gap):
    from skfairdistill.model_selection import fair_refit

    with pytest.raises(ValueError, match="max_gap must be a finite number >= 0"):
        fair_refit(max_gap)


def test_fair_refit_names_the_scoring_keys_it_needs():
    from skfairdistill.model_selection import fair_refit

    with pytest.raises(ValueError, match="needs the scoring keys 'accuracy' and 'deo_mean'"):
        fair_refit(0.1, gap="deo_mean")(_results([0.8], [0.1]))
    with pytest.raises(TypeError, match="score must be the name of a scoring key"):
        fair_refit(0.1, score=None)


def test_a_search_over_the_class_prior_refits_the_fair_choice():
    from skfairdistill import DistilledClassifier
    from skfairdistill.model_selection import fair_refit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    group = rng.choice(["a", "b"], size=400, p=[0.7, 0.3])
    y = (X[:, 0] + (group == "b") > 1.0).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        scoring = {"accuracy": "accuracy",
                   "deo_max": make_fairness_scorer("deo_max").set_score_request(
                       sensitive_features=True)}
        clf = DistilledClassifier(LogisticRegression(), distiller=FairDistiller(
            n_iter=20, random_state=0, device="cpu")).set_fit_request(sensitive_features=True)
        results = {}
        for bound in (0.0, 1.0):  # nothing is that fair / everything is
            search = GridSearchCV(clf, {"class_prior": ["balanced", "sqrt", "data"]},
                                  scoring=scoring, refit=fair_refit(bound), cv=2)
            search.fit(X, y, sensitive_features=group)
            results[bound] = search
    cv = results[1.0].cv_results_
    assert results[1.0].best_index_ == int(np.argmax(cv["mean_test_accuracy"]))
    gaps = -results[0.0].cv_results_["mean_test_deo_max"]
    assert gaps[results[0.0].best_index_] == gaps.min()
    assert hasattr(results[1.0], "best_estimator_")  # refitted on all the rows
