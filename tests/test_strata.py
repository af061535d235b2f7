"""stratify_groups=True (skfairdistill._estimators.strata): every group of a class gets synthetic
rows of its own. The rules that go with it (matching, barycenter, preset): test_rules.py."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient
from sklearn.linear_model import LogisticRegression

from skfairdistill import DistillationInterrupted, FairDistiller
from skfairdistill._data.cells import CellSampler
from skfairdistill._estimators.strata import split_rows


def _two_groups(n=1200, seed=0):
    """Group "b" (20 %) sits 6 standard deviations away from "a" on feature 0."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.8, 0.2])
    X = rng.normal(size=(n, 3))
    X[:, 0] += 6.0 * (group == "b")
    y = (X[:, 1] > 0).astype(int)
    return X, y, group


@pytest.mark.parametrize("counts, n_rows, alignment, expected", [
    ([80, 20], 10, "barycenter", [5, 5]),
    ([80, 20], 11, "barycenter", [6, 5]),       # the extra row goes to the larger group
    ([20, 80], 11, "groupwise", [5, 6]),
    ([80, 20], 10, "none", [7, 3]),             # 1 each, then 8 by share: 6.4 / 1.6
    ([98, 2], 10, "none", [9, 1]),              # a small group keeps one row
    ([50, 0, 50], 4, "barycenter", [2, 0, 2]),  # an absent group gets none
    ([5, 5, 5], 3, "none", [1, 1, 1]),
])
def test_split_rows(counts, n_rows, alignment, expected):
    rows = split_rows(np.array(counts), n_rows, alignment)
    np.testing.assert_array_equal(rows, expected)


@pytest.mark.parametrize("alignment", ["barycenter", "none"])
def test_rows_follow_split_and_stay_with_their_group(alignment):
    X, y, group = _two_groups()
    distiller = FairDistiller(n_per_class=10, n_iter=150, stratify_groups=True,
                              alignment=alignment, random_state=0)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=group)
    assert X_syn.shape == (20, 3) and np.bincount(y_syn).tolist() == [10, 10]
    groups = distiller.groups_distilled_
    for code, label in enumerate(distiller.classes_):
        counts = distiller.cell_counts_[code]
        in_class = y_syn == label
        expected = split_rows(counts, 10, alignment)
        assert [(groups[in_class] == g).sum() for g in distiller.groups_] == expected.tolist()
        # each group's rows were fitted to that group alone: they sit where it sits (the
        # groups are 6 apart)
        for g in "ab":
            real = X[(y == label) & (group == g), 0].mean()
            assert abs(X_syn[in_class & (groups == g), 0].mean() - real) < 0.75


def test_kmeans_one_row_per_group_is_the_cell_mean():
    """One k-means prototype of a stratum is the mean of its (class, group) cell (float32)."""
    X, y, group = _two_groups()
    distiller = FairDistiller(n_per_class=2, matching="kmeans", stratify_groups=True,
                              random_state=0)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=group)
    for row, label, g in zip(X_syn, y_syn, distiller.groups_distilled_):
        np.testing.assert_allclose(row, X[(y == label) & (group == g)].mean(axis=0), atol=1e-6)
    # the union of the class is the barycenter: the mean of the group means
    for label in (0, 1):
        barycenter = np.mean([X[(y == label) & (group == g)].mean(axis=0) for g in "ab"], axis=0)
        np.testing.assert_allclose(X_syn[y_syn == label].mean(axis=0), barycenter, atol=1e-6)


def test_same_seed_same_rows_and_default_has_no_groups():
    X, y, group = _two_groups()
    runs = [FairDistiller(n_per_class=4, n_iter=30, stratify_groups=True, random_state=3)
            .fit(X, y, sensitive_features=group) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].X_distilled_, runs[1].X_distilled_)
    np.testing.assert_array_equal(runs[0].groups_distilled_, runs[1].groups_distilled_)
    plain = FairDistiller(n_per_class=4, n_iter=30, random_state=3)
    assert plain.fit(X, y, sensitive_features=group).groups_distilled_ is None
    # without groups there is nothing to stratify: refused, whatever the alignment
    for alignment in ("barycenter", "none"):
        with pytest.raises(ValueError, match="^sensitive_features is None, but "):
            FairDistiller(n_per_class=4, n_iter=30, stratify_groups=True,
                          alignment=alignment).fit(X, y)


def test_dataframes_and_several_sensitive_columns():
    X, y, group = _two_groups()
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    sensitive = pd.DataFrame({"g": group, "h": np.where(np.arange(len(y)) % 2, "x", "z")})
    distiller = FairDistiller(n_per_class=8, n_iter=20, stratify_groups=True, random_state=0)
    X_syn, y_syn = distiller.fit_resample(frame, pd.Series(y), sensitive_features=sensitive)
    assert list(X_syn.columns) == ["u", "v", "w"]
    assert set(distiller.groups_distilled_) == {("a", "x"), ("a", "z"), ("b", "x"), ("b", "z")}


def test_too_few_rows_for_the_groups_is_refused_before_work():
    X, y, group = _two_groups()
    race = np.array(["p", "q", "r"])[np.arange(len(y)) % 3]
    with pytest.raises(ValueError, match="n_per_class gives it 2 rows") as error:
        FairDistiller(n_per_class=2, n_iter=10**7, stratify_groups=True).fit(
            X, y, sensitive_features=race)
    assert "stratify_groups" in str(error.value)


def test_a_fairlearn_mitigator_trains_on_the_set_with_its_groups():
    X, y, group = _two_groups()
    distiller = FairDistiller(n_per_class=20, n_iter=50, stratify_groups=True, random_state=0)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=group)
    mitigator = ExponentiatedGradient(LogisticRegression(), EqualizedOdds(), max_iter=10)
    mitigator.fit(X_syn, y_syn, sensitive_features=distiller.groups_distilled_)
    assert (mitigator.predict(X) == y).mean() > 0.8


def test_a_memory_map_gives_the_rows_of_the_array(tmp_path):
    """A memory-mapped X is read one group at a time; the rows are the in-memory ones."""
    X, y, group = _two_groups(n=300)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float64,
                                       shape=X.shape)
    mapped[:] = X
    mapped.flush()
    params = dict(n_per_class=4, n_iter=20, stratify_groups=True, random_state=0)
    from_map = FairDistiller(**params).fit(np.load(tmp_path / "X.npy", mmap_mode="r"), y,
                                           sensitive_features=group)
    in_memory = FairDistiller(**params).fit(X, y, sensitive_features=group)
    np.testing.assert_array_equal(from_map.X_distilled_, in_memory.X_distilled_)
    np.testing.assert_array_equal(from_map.groups_distilled_, in_memory.groups_distilled_)


def test_an_interrupt_stops_at_the_group_it_reaches(monkeypatch):
    """Ctrl-C in the first group: the second is not run, the fit is undone."""
    X, y, group = _two_groups()
    original_draw = CellSampler.draw
    calls = []

    def interrupting_draw(self, batch_size, generator):
        calls.append(1)
        if len(calls) == 8:  # one Ctrl-C, during the first group
            raise KeyboardInterrupt
        return original_draw(self, batch_size, generator)

    monkeypatch.setattr(CellSampler, "draw", interrupting_draw)
    distiller = FairDistiller(n_per_class=4, n_iter=50, stratify_groups=True, random_state=0)
    with pytest.raises(DistillationInterrupted, match="interrupted after 7 of 50") as info:
        distiller.fit(X, y, sensitive_features=group)
    assert len(calls) == 8  # nothing drawn after the Ctrl-C
    stop = info.value
    assert stop.X_partial.shape == (4, 3) and np.all(np.isfinite(stop.X_partial))
    assert stop.groups_partial.tolist() == ["a"] * 4
    assert not hasattr(distiller, "X_distilled_")


def test_a_warning_of_a_group_names_the_group_and_the_callers_line():
    X, y, group = _two_groups()
    few = (group == "a") | (np.arange(len(y)) % 50 == 0)  # a handful of rows of "b"
    distiller = FairDistiller(n_per_class=40, n_iter=5, stratify_groups=True, random_state=0)
    prefix = "In group 'b': 2 classes have fewer rows than the synthetic rows asked for"
    with pytest.warns(UserWarning, match=prefix) as record:
        distiller.fit(X[few], y[few], sensitive_features=group[few])
    grouped = [w for w in record if str(w.message).startswith(prefix)]
    assert grouped and all(w.filename == __file__ for w in grouped)
