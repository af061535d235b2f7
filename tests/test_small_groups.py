"""Small (class, group) cells under the fair targets (skfairdistill._config.small_groups).

One warning per fit names the cells under 30 rows when the alignment weighs the groups of
a class equally; ``matching_params["min_group_rows"]`` shrinks such a cell's statistic
towards its class's (``skfairdistill._targets``) and leaves the larger cells as they are.
"""

import inspect
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._config.small_groups import (
    SMALL_CELL_ROWS,
    small_cells,
    warn_about_small_cells,
)
from skfairdistill._matching.distribution import match_distributions

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu")
SMALL = r"cell\(s\) have fewer than 30 rows"
# the loops take the trust of the cells from the FitConfig (group_trust)
WIRED = "group_trust" in inspect.signature(match_distributions).parameters
needs_wiring = pytest.mark.xfail(
    not WIRED, strict=True,
    reason="the loops do not pass FitConfig.group_trust to alignment_loss yet (_matching/"
           "_run.py, distribution.py and cafe.py: group_trust=config.group_trust -> trust=)")


def _tiny_cells(sizes=None, n_samples=400, seed=0):
    """make_grouped_data with group "b" of class k cut to ``sizes[k]`` rows."""
    X, y, A = make_grouped_data(n_samples=n_samples, seed=seed)
    keep = np.ones(len(y), dtype=bool)
    for k, size in (sizes or {}).items():
        rows = np.flatnonzero((y == k) & (A == "b"))
        keep[rows[size:]] = False
    return X[keep], y[keep], A[keep]


def _small_warnings(record):
    return [w for w in record if re.search(SMALL, str(w.message))]


def _settings(matching="distribution", min_group_rows=None):
    return SimpleNamespace(matching=matching, min_group_rows=min_group_rows)


# --------------------------------------------------------------------------- which cells


def test_small_cells_are_the_present_ones_that_weigh_more_than_their_share():
    counts = np.array([[1800, 8, 0],  # 8 rows weigh 1/2: small
                       [20, 20, 20],  # equal cells: equal weights amplify nothing
                       [5, 0, 0],     # one group: its own mean is the class's
                       [100, 29, 12],
                       [100, 30, 40]])
    assert small_cells(counts) == [(0, 1), (3, 2), (3, 1)]  # smallest first
    assert small_cells(np.full((2, 2), SMALL_CELL_ROWS)) == []


# --------------------------------------------------------------------------- the warning


def test_one_warning_per_fit_names_every_small_cell():
    X, y, A = _tiny_cells({0: 12, 1: 8})
    with pytest.warns(UserWarning) as record:
        FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    (warning,) = _small_warnings(record)
    message = str(warning.message)
    assert message.startswith("2 (class, group) cell(s) have fewer than 30 rows: ")
    # the smallest first, with its rows; named by label or by index of classes_ / groups_
    assert re.search(r"(class 1 / group 'b'|classes_\[1\] / groups_\[1\]): 8 rows, "
                     r"(class 0 / group 'b'|classes_\[0\] / groups_\[1\]): 12 rows\.", message)
    assert "alignment='barycenter'" in message and "min_group_rows" in message
    assert warning.filename == __file__  # attributed to the caller, not the package


def test_the_warning_names_labels_when_it_has_them():
    with pytest.warns(UserWarning, match=SMALL) as record:
        warn_about_small_cells(np.array([[300, 9], [250, 40]]), _settings(), "groupwise",
                               np.array([">50K", "<=50K"]), np.array(["F", "M"]))
    message = str(record[0].message)
    assert "1 (class, group) cell(s)" in message
    assert "class '>50K' / group 'M': 9 rows." in message and "'groupwise'" in message


def test_a_long_list_is_cut_and_counted():
    counts = np.array([[1000] + [5] * 25])
    with pytest.warns(UserWarning, match=SMALL) as record:
        warn_about_small_cells(counts, _settings(), "barycenter")
    message = str(record[0].message)
    assert message.startswith("25 (class, group) cell(s)")
    assert message.count(": 5 rows") == 20 and "and 5 more (see cell_counts_)" in message


@pytest.mark.parametrize("params", [
    {"alignment": "none"},
    {"matching_params": {"min_group_rows": 1}},  # equal weights, kept knowingly
    {"matching_params": {"min_group_rows": 30}},
    {"matching": "model"},  # weighs the groups by its own group_balance
], ids=["vanilla", "min_group_rows=1", "min_group_rows=30", "model"])
def test_no_warning_where_it_has_been_answered_or_does_not_apply(params):
    X, y, A = _tiny_cells({1: 8})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)
    assert _small_warnings(record) == []


def test_no_warning_without_small_cells():
    X, y, A = _tiny_cells()  # group "b" holds about 40 rows of each class
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        FairDistiller(**FAST).fit(X, y, sensitive_features=A)
    assert _small_warnings(record) == []


def test_loops_without_the_knob_are_told_to_merge_the_groups():
    X, y, A = _tiny_cells({1: 8})
    with pytest.warns(UserWarning, match=SMALL) as record:
        FairDistiller(**{**FAST, "matching": "kmeans"}).fit(X, y, sensitive_features=A)
    message = str(_small_warnings(record)[0].message)
    assert "Merge the small groups" in message and "min_group_rows': 30" not in message


# --------------------------------------------------------------------------- the knob


@pytest.mark.parametrize("value, phrase", [
    (0, "must be a positive integer; got 0"), (2.5, "must be a positive integer; got 2.5"),
    ("30", "must be a positive integer; got '30'"),
], ids=["zero", "float", "string"])
def test_a_bad_min_group_rows_is_refused_naming_it(value, phrase):
    X, y, A = _tiny_cells({1: 8})
    with pytest.raises(ValueError, match=r"matching_params\['min_group_rows'\] " + phrase):
        FairDistiller(**FAST, matching_params={"min_group_rows": value}).fit(
            X, y, sensitive_features=A)


def test_min_group_rows_is_refused_where_no_target_uses_it():
    X, y, A = _tiny_cells({1: 8})
    with pytest.raises(ValueError, match=r"matching_params\['min_group_rows'\] applies to "
                                         r"matching in \['distribution', 'cafe'\]"):
        FairDistiller(**FAST, matching="gradient", matching_params={"min_group_rows": 30}).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise"])
def test_well_populated_cells_give_the_same_rows_bit_for_bit(alignment):
    X, y, A = _tiny_cells({1: 12})
    default = FairDistiller(**FAST, alignment=alignment, matching_params={"min_group_rows": 1})
    knob = FairDistiller(**FAST, alignment=alignment, matching_params={"min_group_rows": 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        reference = FairDistiller(**FAST, alignment=alignment).fit(
            X, y, sensitive_features=A).X_distilled_
    for distiller in (default, knob):  # no cell under the threshold: nothing changes
        X_syn = distiller.fit(X, y, sensitive_features=A).X_distilled_
        np.testing.assert_array_equal(X_syn, reference)


@needs_wiring
@pytest.mark.parametrize("alignment", ["barycenter", "groupwise"])
def test_a_small_cell_is_shrunk_towards_its_class(alignment):
    X, y, A = _tiny_cells({1: 8})
    params = dict(FAST, n_iter=20, alignment=alignment)
    default = FairDistiller(**params, matching_params={"min_group_rows": 1}).fit(
        X, y, sensitive_features=A).X_distilled_
    shrunk = FairDistiller(**params, matching_params={"min_group_rows": 30}).fit(
        X, y, sensitive_features=A).X_distilled_
    assert np.all(np.isfinite(shrunk))
    # the rows of class 0 (no small cell) move too little to tell; class 1's move
    assert not np.allclose(default[2:], shrunk[2:])


@needs_wiring
def test_shrinking_every_cell_fully_gives_the_class_mean_target():
    """Trust n / 10**9 ~ 0 everywhere: every group is its class, as vanilla matching."""
    X, y, A = _tiny_cells({1: 8})
    def rows(alignment="barycenter", **knobs):
        return FairDistiller(**{**FAST, "n_iter": 20}, alignment=alignment, matching_params={
            "distance": "l1", **knobs}).fit(X, y, sensitive_features=A).X_distilled_

    vanilla, shrunk = rows("none"), rows(min_group_rows=10**9)
    barycenter = rows(min_group_rows=1)
    np.testing.assert_allclose(shrunk, vanilla, atol=1e-4)
    assert not np.allclose(barycenter, vanilla, atol=1e-4)


@needs_wiring
def test_cafe_takes_the_shrunk_targets():
    X, y, A = _tiny_cells({1: 8})
    params = dict(FAST, matching="cafe", n_iter=2)
    runs = [FairDistiller(**params, matching_params={"min_group_rows": m, "inner_steps": 1})
            .fit(X, y, sensitive_features=A).X_distilled_ for m in (1, 30)]
    assert np.all(np.isfinite(runs[1])) and not np.allclose(runs[0], runs[1])


# --------------------------------------------------------------------------- the benchmark


def test_the_benchmark_cuts_one_training_cell_and_keeps_the_scored_rows():
    from benchmarks import data

    full = data.load("synthetic pi=0.7 sep=1.5", 0, "validation", smoke=True)
    tiny = data.load("synthetic pi=0.7 sep=1.5, tiny cell=10", 0, "validation", smoke=True)

    def cells(split):
        return np.array([[np.sum((split.y == k) & (split.groups == g)) for g in (0, 1)]
                         for k in (0, 1)])

    before, after = cells(full), cells(tiny)
    assert after[1, 1] == 10 and before[1, 1] > 10  # the rarer group's cell of the last class
    np.testing.assert_array_equal(np.delete(after.ravel(), 3), np.delete(before.ravel(), 3))
    np.testing.assert_array_equal(tiny.y_eval, full.y_eval)
    kept = (full.y != 1) | (full.groups != 1)
    np.testing.assert_array_equal(tiny.X[(tiny.y != 1) | (tiny.groups != 1)], full.X[kept])


def test_the_benchmark_report_pairs_each_method_with_the_baseline():
    import pandas as pd
    from benchmarks import harness

    study = harness.Study("?", datasets=("d",), methods={"base": {}, "knob": {}},
                          baseline="base")
    rows = [dict(dataset="d", load="idle", budget=10, model="LogReg", prior="", seed=s,
                 method=m, accuracy=a, deo_max=0.1) for s, m, a in (
                     (0, "base", 0.80), (0, "knob", 0.83), (1, "base", 0.70), (1, "knob", 0.71))]
    lines = harness.paired(pd.DataFrame(rows), study)
    (line,) = [line for line in lines if line.startswith("| knob |")]
    # differences 0.03 and 0.01: mean 0.02, standard error 0.01
    assert line == "| knob | 2 | +0.020 ± 0.010 | +0.000 ± 0.000 |"
