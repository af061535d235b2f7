"""FairDistiller: outputs, fitted attributes, reproducibility, containers, groups, oracle."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._config.fit_config import network_factory
from skfairdistill._config.parameters import check_params
from skfairdistill._data.cells import CellSampler

FAST = dict(n_iter=20, random_state=0)


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("n_per_class", [1, 3, 7])
def test_int_budget_gives_n_per_class_rows_of_every_class(multiclass_data, n_per_class):
    X, y, A = multiclass_data
    X_syn, y_syn = FairDistiller(n_per_class=n_per_class, **FAST).fit_resample(
        X, y, sensitive_features=A
    )
    assert X_syn.shape == (3 * n_per_class, X.shape[1])
    assert y_syn.shape == (3 * n_per_class,)
    labels, counts = np.unique(y_syn, return_counts=True)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    np.testing.assert_array_equal(counts, [n_per_class] * 3)
    assert np.all(np.isfinite(X_syn))


def test_dict_budget(multiclass_data):
    X, y, A = multiclass_data
    budget = {0: 2, 1: 5, 2: 1}
    distiller = FairDistiller(n_per_class=budget, **FAST)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.shape == (8, X.shape[1])
    assert {c: int(np.sum(y_syn == c)) for c in budget} == budget
    assert distiller.sampling_strategy_ == budget


def test_dict_budget_with_string_labels(grouped_data):
    X, y, A = grouped_data
    y_str = np.array(["neg", "pos"])[y]
    X_syn, y_syn = FairDistiller(n_per_class={"neg": 1, "pos": 4}, **FAST).fit_resample(
        X, y_str, sensitive_features=A
    )
    assert sorted(y_syn.tolist()) == ["neg"] + ["pos"] * 4


@pytest.mark.parametrize(
    "budget",
    [{0: 2}, {0: 2, 1: 2, 7: 2}, {0: 2, 5: 2}, {"0": 2, "1": 2}],
    ids=["missing", "extra", "wrong", "str-keys"],
)
def test_dict_budget_with_wrong_keys_raises(grouped_data, budget):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="n_per_class"):
        FairDistiller(n_per_class=budget, **FAST).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("budget", [0, -1, 2.5, True, {0: 0, 1: 2}])
def test_bad_budget_values_raise(grouped_data, budget):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="n_per_class"):
        FairDistiller(n_per_class=budget, **FAST).fit(X, y, sensitive_features=A)


def test_budget_larger_than_class_warns_and_works(make_data):
    X, y, A = make_data(n_samples=12)
    with pytest.warns(UserWarning, match="with replacement"):
        X_syn, y_syn = FairDistiller(n_per_class=10, **FAST).fit_resample(
            X, y, sensitive_features=A
        )
    assert X_syn.shape == (20, X.shape[1])
    # the small noise added to the copies makes every synthetic row distinct
    assert len(np.unique(X_syn, axis=0)) == 20


def test_single_class_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="one class"):
        FairDistiller(**FAST).fit(X, np.zeros_like(y), sensitive_features=A)


# ------------------------------------------------------------------ fitted attributes


def test_fit_returns_self_and_sets_fitted_attributes(multiclass_data):
    X, y, A = multiclass_data
    distiller = FairDistiller(n_per_class=4, n_iter=25, random_state=0)
    assert distiller.fit(X, y, sensitive_features=A) is distiller

    assert distiller.X_distilled_.shape == (12, 3)
    assert distiller.y_distilled_.shape == (12,)
    np.testing.assert_array_equal(distiller.classes_, [0, 1, 2])
    np.testing.assert_array_equal(distiller.groups_, np.array(["x", "y", "z"], dtype=object))
    expected_counts = np.array(
        [[np.sum((y == k) & (A == g)) for g in ("x", "y", "z")] for k in range(3)]
    )
    np.testing.assert_array_equal(distiller.cell_counts_, expected_counts)
    assert distiller.cell_counts_.sum() == len(y)
    assert distiller.n_features_in_ == 3
    assert not hasattr(distiller, "feature_names_in_")  # plain arrays have no names
    assert distiller.device_ == torch.device("cpu") or distiller.device_.type == "cuda"
    assert distiller.sampling_strategy_ == {0: 4, 1: 4, 2: 4}
    assert distiller.n_iter_ == 25
    assert distiller.loss_history_.shape == (distiller.n_iter_,)
    assert np.all(np.isfinite(distiller.loss_history_))
    assert distiller.interrupted_ is False


def test_fit_and_fit_resample_agree(grouped_data):
    X, y, A = grouped_data
    fitted = FairDistiller(n_per_class=3, **FAST).fit(X, y, sensitive_features=A)
    X_syn, y_syn = FairDistiller(n_per_class=3, **FAST).fit_resample(
        X, y, sensitive_features=A
    )
    np.testing.assert_array_equal(fitted.X_distilled_, X_syn)
    np.testing.assert_array_equal(fitted.y_distilled_, y_syn)


def test_feature_names_in_from_dataframe(grouped_data):
    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=["age", "hours", "gain", "loss"])
    distiller = FairDistiller(n_per_class=2, **FAST).fit(frame, y, sensitive_features=A)
    np.testing.assert_array_equal(distiller.feature_names_in_, ["age", "hours", "gain", "loss"])
    assert distiller.n_features_in_ == 4


def test_loss_decreases_from_noise(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=5, n_iter=100, init="noise", random_state=0)
    distiller.fit(X, y, sensitive_features=A)
    history = distiller.loss_history_
    assert history[-20:].mean() < 0.7 * history[:5].mean()


def test_keyboard_interrupt_keeps_the_rows_reached(grouped_data, monkeypatch):
    X, y, A = grouped_data
    original_draw = CellSampler.draw
    calls = []

    def interrupting_draw(self, batch_size, generator):
        calls.append(1)
        if len(calls) > 7:
            raise KeyboardInterrupt
        return original_draw(self, batch_size, generator)

    monkeypatch.setattr(CellSampler, "draw", interrupting_draw)
    distiller = FairDistiller(n_per_class=3, n_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 7 of 50"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.interrupted_ is True
    assert distiller.n_iter_ == 7
    assert distiller.loss_history_.shape == (7,)
    assert distiller.X_distilled_.shape == (6, X.shape[1])
    assert np.all(np.isfinite(distiller.X_distilled_))


# -------------------------------------------------------------------- reproducibility


def test_same_seed_gives_bit_identical_output(multiclass_data):
    X, y, A = multiclass_data
    params = dict(n_per_class=4, n_iter=30, device="cpu")
    X1, y1 = FairDistiller(random_state=7, **params).fit_resample(X, y, sensitive_features=A)
    X2, y2 = FairDistiller(random_state=7, **params).fit_resample(X, y, sensitive_features=A)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


def test_refit_of_same_instance_is_identical(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=3, n_iter=20, random_state=3, device="cpu")
    first = distiller.fit(X, y, sensitive_features=A).X_distilled_.copy()
    second = distiller.fit(X, y, sensitive_features=A).X_distilled_
    np.testing.assert_array_equal(first, second)


def test_random_state_instance_is_accepted(grouped_data):
    X, y, A = grouped_data
    params = dict(n_per_class=3, n_iter=20, device="cpu")
    X1, _ = FairDistiller(random_state=np.random.RandomState(5), **params).fit_resample(
        X, y, sensitive_features=A
    )
    X2, _ = FairDistiller(random_state=np.random.RandomState(5), **params).fit_resample(
        X, y, sensitive_features=A
    )
    np.testing.assert_array_equal(X1, X2)


def test_different_seeds_give_different_output(grouped_data):
    X, y, A = grouped_data
    params = dict(n_per_class=4, n_iter=20, device="cpu")
    X1, _ = FairDistiller(random_state=0, **params).fit_resample(X, y, sensitive_features=A)
    X2, _ = FairDistiller(random_state=1, **params).fit_resample(X, y, sensitive_features=A)
    assert X1.shape == X2.shape
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("init", ["real", "noise"])
def test_global_rng_state_is_untouched(grouped_data, init):
    X, y, A = grouped_data
    np.random.seed(123)
    torch.manual_seed(123)
    numpy_state = np.random.get_state()
    torch_state = torch.get_rng_state().clone()

    FairDistiller(n_per_class=3, init=init, **FAST, matching_params={"warm_start_epochs": 2}).fit(
        X, y, sensitive_features=A
    )

    after = np.random.get_state()
    assert after[0] == numpy_state[0]
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_global_seed_does_not_change_seeded_result(grouped_data):
    X, y, A = grouped_data
    results = []
    for global_seed in (0, 99):
        np.random.seed(global_seed)
        torch.manual_seed(global_seed)
        X_syn, _ = FairDistiller(n_per_class=3, **FAST).fit_resample(X, y, sensitive_features=A)
        results.append(X_syn)
    np.testing.assert_array_equal(results[0], results[1])


# ------------------------------------------------------------ the caller's data is safe


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_not_modified(grouped_data, dtype):
    X, y, A = grouped_data
    X = np.ascontiguousarray(X, dtype=dtype)
    X_copy, y_copy, A_copy = X.copy(), y.copy(), A.copy()
    FairDistiller(n_per_class=3, **FAST).fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(A, A_copy)
    assert X.dtype == dtype


def test_dataframe_inputs_are_not_modified(grouped_data):
    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=list("abcd"))
    target = pd.Series(y, name="label")
    race = np.random.default_rng(0).choice(["r1", "r2"], size=len(y))
    groups = pd.DataFrame({"sex": A, "race": race})
    copies = frame.copy(), target.copy(), groups.copy()
    FairDistiller(n_per_class=3, **FAST).fit_resample(frame, target, sensitive_features=groups)
    pd.testing.assert_frame_equal(frame, copies[0])
    pd.testing.assert_series_equal(target, copies[1])
    pd.testing.assert_frame_equal(groups, copies[2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_read_only_inputs_work(grouped_data, dtype):
    X, y, A = grouped_data
    X = np.ascontiguousarray(X, dtype=dtype)
    for array in (X, y, A):
        array.flags.writeable = False
    X_syn, y_syn = FairDistiller(n_per_class=3, **FAST).fit_resample(
        X, y, sensitive_features=A
    )
    assert X_syn.shape == (6, X.shape[1])
    assert X_syn.dtype == dtype
    assert np.all(np.isfinite(X_syn))


# ------------------------------------------------------------------ container round trip


def test_dataframe_in_dataframe_out(grouped_data):
    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    frame = frame.astype({"w": np.float32, "x": np.float32})
    X_syn, y_syn = FairDistiller(n_per_class=3, **FAST).fit_resample(
        frame, pd.Series(y, name="income"), sensitive_features=pd.Series(A, name="sex")
    )
    assert isinstance(X_syn, pd.DataFrame)
    assert list(X_syn.columns) == ["w", "x", "y", "z"]
    assert X_syn.shape == (6, 4)
    assert X_syn.dtypes["w"] == np.float32 and X_syn.dtypes["x"] == np.float32
    assert X_syn.dtypes["y"] == np.float64
    assert isinstance(y_syn, pd.Series)
    assert y_syn.name == "income"
    assert sorted(y_syn.tolist()) == [0, 0, 0, 1, 1, 1]


def test_float32_array_stays_float32(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, **FAST)
    X_syn, _ = distiller.fit_resample(X.astype(np.float32), y, sensitive_features=A)
    assert X_syn.dtype == np.float32
    assert distiller.X_distilled_.dtype == np.float32
    X_syn64, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn64.dtype == np.float64


def test_list_in_list_out(grouped_data):
    X, y, A = grouped_data
    X_syn, y_syn = FairDistiller(n_per_class=2, **FAST).fit_resample(
        X.tolist(), y.tolist(), sensitive_features=A.tolist()
    )
    assert isinstance(X_syn, list) and isinstance(y_syn, list)
    assert len(X_syn) == 4 and all(len(row) == X.shape[1] for row in X_syn)
    assert sorted(y_syn) == [0, 0, 1, 1]


def test_synthetic_rows_are_on_the_scale_of_x(make_data):
    """Features are standardised internally and mapped back: huge scales come back huge."""
    X, y, A = make_data(n_samples=200, n_features=3)
    scales = np.array([1e-6, 1.0, 1e6])
    offsets = np.array([0.0, 10.0, -5e6])
    X_scaled = X * scales + offsets
    X_syn, _ = FairDistiller(n_per_class=5, **FAST).fit_resample(
        X_scaled, y, sensitive_features=A
    )
    spread = X_scaled.std(axis=0)
    # every synthetic feature lies within a few real standard deviations of the real data
    assert np.all(np.abs(X_syn.mean(axis=0) - X_scaled.mean(axis=0)) < 3 * spread)
    assert np.all(X_syn.std(axis=0) < 10 * spread)


# ------------------------------------------------------------------ sensitive features


def test_no_sensitive_features_warns_and_still_works(grouped_data):
    X, y, _ = grouped_data
    distiller = FairDistiller(n_per_class=3, **FAST)
    with pytest.warns(UserWarning, match="metadata routing"):
        X_syn, y_syn = distiller.fit_resample(X, y)
    assert X_syn.shape == (6, X.shape[1])
    assert distiller.groups_ is None
    assert distiller.cell_counts_.shape == (2, 1)


def test_no_sensitive_features_equals_vanilla_with_one_group(grouped_data):
    """Without groups the run is vanilla distillation over one all-rows group."""
    X, y, _ = grouped_data
    with pytest.warns(UserWarning, match="sensitive_features is None"):
        X_none, _ = FairDistiller(n_per_class=3, **FAST).fit_resample(X, y)
    X_one, _ = FairDistiller(n_per_class=3, alignment="barycenter", **FAST).fit_resample(
        X, y, sensitive_features=np.zeros(len(y))
    )
    np.testing.assert_allclose(X_none, X_one, rtol=1e-6, atol=1e-6)


def test_intersectional_groups_from_dataframe(grouped_data):
    X, y, A = grouped_data
    rng = np.random.default_rng(0)
    race = rng.choice(["r1", "r2"], size=len(y))
    sensitive = pd.DataFrame({"sex": A, "race": race})
    distiller = FairDistiller(n_per_class=2, **FAST).fit(X, y, sensitive_features=sensitive)
    groups = distiller.groups_
    assert all(isinstance(g, tuple) and len(g) == 2 for g in groups)
    assert {tuple(str(v) for v in g) for g in groups} == {
        (s, r) for s in ("a", "b") for r in ("r1", "r2")
    }
    assert distiller.cell_counts_.shape == (2, 4)
    for j, (s, r) in enumerate(groups):
        for k in (0, 1):
            expected = np.sum((y == k) & (A == s) & (race == r))
            assert distiller.cell_counts_[k, j] == expected


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["f", "m"], dtype=object),
        np.array([3, 11]),
        np.array([0.5, 2.5]),
        np.array([False, True]),
        np.array([1, "a"], dtype=object),
    ],
    ids=["str", "int", "float", "bool", "mixed"],
)
def test_group_labels_of_any_kind(grouped_data, labels):
    X, y, A = grouped_data
    sensitive = np.empty(len(A), dtype=labels.dtype)
    sensitive[A == "a"], sensitive[A != "a"] = labels[0], labels[1]
    distiller = FairDistiller(n_per_class=2, **FAST).fit(X, y, sensitive_features=sensitive)
    assert len(distiller.groups_) == 2
    assert set(distiller.groups_.tolist()) == set(labels.tolist())
    counts = distiller.cell_counts_.sum(axis=0)
    first = list(distiller.groups_).index(labels[0])
    assert counts[first] == np.sum(A == "a")


def test_categorical_series_as_groups(grouped_data):
    X, y, A = grouped_data
    sensitive = pd.Series(pd.Categorical(A), name="grp")
    distiller = FairDistiller(n_per_class=2, **FAST).fit(X, y, sensitive_features=sensitive)
    assert list(distiller.groups_) == ["a", "b"]


def test_wrong_length_sensitive_features_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="sensitive_features"):
        FairDistiller(**FAST).fit(X, y, sensitive_features=A[:-1])


def test_group_absent_from_a_class_warns(grouped_data):
    X, y, A = grouped_data
    A = A.copy()
    A[(y == 1) & (A == "b")] = "a"  # no "b" rows left in class 1
    distiller = FairDistiller(n_per_class=2, **FAST)
    with pytest.warns(UserWarning, match="no rows in some classes"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.cell_counts_[1, 1] == 0
    assert np.all(np.isfinite(distiller.X_distilled_))


# ------------------------------------------------------------------------- parameters


def test_explicit_cpu_device(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, device="cpu", **FAST)
    distiller.fit(X, y, sensitive_features=A)
    assert distiller.device_ == torch.device("cpu")
    distiller = FairDistiller(n_per_class=2, device=torch.device("cpu"), **FAST)
    assert distiller.fit(X, y, sensitive_features=A).device_ == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_raises(grouped_data):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="cuda"):
        FairDistiller(device="cuda", **FAST).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("device", ["tpu", "gpu:0", "mps"])
def test_unknown_device_raises(grouped_data, device):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="device"):
        FairDistiller(device=device, **FAST).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize(
    "param, value",
    [
        ("alignment", "cobra"),
        ("alignment", None),
        ("distance", "l2"),
        ("init", "zeros"),
        ("n_iter", 0),
        ("batch_size", 1.5),
        ("embedding_width", -3),
        ("embedding_width", "wide"),
        ("warm_start_epochs", -1),
        ("learning_rate", 0.0),
        ("learning_rate", "fast"),
    ],
)
def test_bad_parameters_raise_naming_them(grouped_data, param, value):
    X, y, A = grouped_data
    if param in FairDistiller().get_params():
        params, name = {param: value}, f"^{param} must"
    else:
        params, name = {"matching_params": {param: value}}, rf"^matching_params\['{param}'\] must"
    with pytest.raises(ValueError, match=name):
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize(("n_features", "width"), [(10, 128), (128, 128), (129, 256), (192, 256)])
def test_auto_embedding_width_follows_the_number_of_columns(n_features, width):
    """128 wide up to 128 input columns; wider inputs get 256 (no compressing first layer)."""
    factory = network_factory(check_params(FairDistiller().get_params()), None)
    network = factory((n_features,), torch.Generator().manual_seed(0))
    assert network.width == width
    wide = FairDistiller(matching_params={"embedding_width": 64})
    assert network_factory(check_params(wide.get_params()), None)(
        (n_features,), torch.Generator().manual_seed(0)).width == 64


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise", "none"])
@pytest.mark.parametrize("distance", ["l1", "squared_l2"])
def test_every_alignment_and_distance_runs(multiclass_data, alignment, distance):
    X, y, A = multiclass_data
    distiller = FairDistiller(
        n_per_class=2, alignment=alignment, **FAST, matching_params={"distance": distance, "warm_start_epochs": 1}
    )
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.shape == (6, X.shape[1])
    assert np.all(np.isfinite(X_syn))
    assert np.all(np.isfinite(distiller.loss_history_))


def test_alignments_give_different_results(multiclass_data):
    X, y, A = multiclass_data
    results = {
        alignment: FairDistiller(n_per_class=3, alignment=alignment, **FAST).fit_resample(
            X, y, sensitive_features=A
        )[0]
        for alignment in ("barycenter", "groupwise", "none")
    }
    assert not np.allclose(results["barycenter"], results["none"])
    assert not np.allclose(results["groupwise"], results["none"])


def test_results_are_cpu_numpy_on_every_device(grouped_data, device):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=3, device=device, **FAST)
    X_syn, y_syn = distiller.fit_resample(X.astype(np.float32), y, sensitive_features=A)
    assert distiller.device_.type == device.type
    assert isinstance(X_syn, np.ndarray) and isinstance(y_syn, np.ndarray)
    assert X_syn.dtype == np.float32 and X_syn.shape == (6, X.shape[1])
    assert isinstance(distiller.loss_history_, np.ndarray)
    assert np.all(np.isfinite(X_syn))


def test_verbose_shows_progress(grouped_data, capsys):
    X, y, A = grouped_data
    FairDistiller(n_per_class=2, n_iter=60, verbose=1, random_state=0).fit(
        X, y, sensitive_features=A
    )
    err = capsys.readouterr().err
    assert "distilling" in err and "loss=" in err


def test_silent_by_default(grouped_data, capsys):
    X, y, A = grouped_data
    FairDistiller(n_per_class=2, **FAST).fit(X, y, sensitive_features=A)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_x_raises(grouped_data, bad):
    X, y, A = grouped_data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="X"):
        FairDistiller(**FAST).fit(X, y, sensitive_features=A)


def test_missing_group_raises(grouped_data):
    X, y, A = grouped_data
    A = A.copy()
    A[5] = None
    with pytest.raises(ValueError, match="missing"):
        FairDistiller(**FAST).fit(X, y, sensitive_features=A)


def test_fitted_distiller_pickles(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=2, **FAST).fit(X, y, sensitive_features=A)
    restored = pickle.loads(pickle.dumps(distiller))
    np.testing.assert_array_equal(restored.X_distilled_, distiller.X_distilled_)
    assert restored.device_ == distiller.device_
    assert restored.get_params() == distiller.get_params()


# ---------------------------------------------------------------------- functional oracle


def _biased_groups_data(n_per_class=500, seed=0):
    """Feature 0 separates the groups (maj +2, min -2), feature 1 the classes.

    In every class 90% of the rows are "maj" and 10% "min": the pooled class mean of
    feature 0 is 0.9 * 2 + 0.1 * (-2) = 1.6, the group barycenter is 0.
    """
    rng = np.random.default_rng(seed)
    n_maj = int(0.9 * n_per_class)
    y = np.repeat([0, 1], n_per_class)
    A = np.tile(np.array(["maj"] * n_maj + ["min"] * (n_per_class - n_maj), dtype=object), 2)
    X = np.empty((2 * n_per_class, 2))
    X[:, 0] = np.where(A == "maj", 2.0, -2.0) + rng.normal(scale=0.5, size=len(y))
    X[:, 1] = np.where(y == 1, 2.0, -2.0) + rng.normal(scale=0.5, size=len(y))
    return X, y, A


def test_oracle_barycenter_pulls_towards_group_barycenter():
    X, y, A = _biased_groups_data()
    pooled = X[:, 0].mean()
    assert abs(pooled - 1.6) < 0.1

    means = {}
    for alignment in ("none", "barycenter"):
        distiller = FairDistiller(
            n_per_class=10, n_iter=300, alignment=alignment, random_state=0
        ).fit(X, y, sensitive_features=A)
        X_syn, y_syn = distiller.X_distilled_, distiller.y_distilled_
        # average the group feature over the synthetic rows of each class, then over classes
        means[alignment] = np.mean([X_syn[y_syn == k, 0].mean() for k in (0, 1)])
        # the class signal is kept in both cases
        assert X_syn[y_syn == 1, 1].mean() - X_syn[y_syn == 0, 1].mean() > 2.0

    # vanilla distillation stays near the majority-weighted pooled mean ...
    assert abs(means["none"] - pooled) < 0.6
    # ... the barycenter moves to the uniform mean of the groups (0), by a clear margin
    assert abs(means["barycenter"]) < 0.6
    assert abs(means["barycenter"]) < abs(means["none"]) - 1.0
