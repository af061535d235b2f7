"""FairDistiller, the door (skfairdistill._estimators.distiller): its outputs and fitted
attributes, reproducibility, a fit that is all or nothing, the caller's data left alone,
and the functional oracle (the barycenter pulls towards the groups' barycenter).

How each part does its job has its own file (test_validation.py, test_groups.py,
test_containers.py, test_rows.py, test_fit_config.py, test_distribution.py, ...).
"""

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline as ImblearnPipeline
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import StandardScaler

import skfairdistill._estimators.distiller as distiller_module
from skfairdistill import FairDistiller
from skfairdistill._nn.networks import make_embedding

from conftest import fitted_attributes, make_grouped_data

FAST = dict(n_iter=20, random_state=0)
SMALL = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")


def _data(n_samples=120):
    return make_grouped_data(n_samples=n_samples)


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
    assert distiller.device_ == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert distiller.image_shape_ is None and distiller.groups_distilled_ is None
    np.testing.assert_array_equal(distiller.X_stored_, distiller.X_distilled_)
    assert distiller.sampling_strategy_ == {0: 4, 1: 4, 2: 4}
    assert distiller.n_iter_ == 25
    assert distiller.loss_history_.shape == (distiller.n_iter_,)
    assert np.all(np.isfinite(distiller.loss_history_))


def test_fit_and_fit_resample_agree(grouped_data):
    X, y, A = grouped_data
    fitted = FairDistiller(n_per_class=3, **FAST).fit(X, y, sensitive_features=A)
    X_syn, y_syn = FairDistiller(n_per_class=3, **FAST).fit_resample(
        X, y, sensitive_features=A
    )
    np.testing.assert_array_equal(fitted.X_distilled_, X_syn)
    np.testing.assert_array_equal(fitted.y_distilled_, y_syn)


def test_imblearn_core_does_what_fit_does(grouped_data):
    X, y, A = grouped_data
    fitted = FairDistiller(n_per_class=3, **FAST).fit(X, y, sensitive_features=A)
    core = FairDistiller(n_per_class=3, **FAST)
    X_syn, y_syn = core._fit_resample(X, y, sensitive_features=A)
    np.testing.assert_array_equal(X_syn, fitted.X_distilled_)
    np.testing.assert_array_equal(y_syn, fitted.y_distilled_)
    assert fitted_attributes(core) == fitted_attributes(fitted)


def test_feature_names_in_from_dataframe(grouped_data):
    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=["age", "hours", "gain", "loss"])
    distiller = FairDistiller(n_per_class=2, **FAST).fit(frame, y, sensitive_features=A)
    np.testing.assert_array_equal(distiller.feature_names_in_, ["age", "hours", "gain", "loss"])
    assert distiller.n_features_in_ == 4


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


def test_same_seed_same_images_and_no_global_random_state():
    rng = np.random.default_rng(0)
    X = rng.random((60, 3, 6, 6), dtype=np.float32)
    y, groups = np.arange(60) % 2, rng.choice(["red", "green"], size=60, p=[0.7, 0.3])
    params = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu",
                  matching_params={"embedding": functools.partial(make_embedding, "convnet",
                                                                  channels=4)})
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    first = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)[0]
    second = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)[0]
    np.testing.assert_array_equal(first, second)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[1].tolist() == numpy_state[1].tolist() and after[2:] == numpy_state[2:]
    other = FairDistiller(**{**params, "random_state": 1})
    assert not np.array_equal(other.fit_resample(X, y, sensitive_features=groups)[0], first)


# ---------------------------------------------------------------------- all or nothing


def test_failed_refit_keeps_the_previous_fit_intact():
    X, y, A = _data()
    distiller = FairDistiller(**SMALL).fit(X, y, sensitive_features=A)
    before = {k: getattr(distiller, k) for k in fitted_attributes(distiller)}
    X_new = np.c_[X, X]  # 8 features: validate_data would overwrite n_features_in_ ...
    with pytest.raises(ValueError, match="one class"):  # ... before this error
        distiller.fit(X_new, np.zeros(len(y)), sensitive_features=A)
    assert fitted_attributes(distiller) == sorted(before)
    assert distiller.n_features_in_ == 4
    np.testing.assert_array_equal(distiller.X_distilled_, before["X_distilled_"])
    assert distiller.X_distilled_ is before["X_distilled_"]


@pytest.mark.parametrize("fitted_before", [False, True], ids=["fresh", "refit"])
def test_interrupt_before_the_loop_leaves_the_estimator_as_it_was(monkeypatch, fitted_before):
    X, y, A = _data()
    distiller = FairDistiller(**SMALL)
    if fitted_before:
        distiller.fit(X, y, sensitive_features=A)
    before = dict(vars(distiller))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(distiller_module, "encode_groups", interrupted)
    with pytest.raises(KeyboardInterrupt):
        distiller.fit(X[:, :3], y, sensitive_features=A)
    assert vars(distiller).keys() == before.keys()
    assert all(vars(distiller)[k] is before[k] for k in before)
    if not fitted_before:
        assert fitted_attributes(distiller) == []


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


@pytest.mark.parametrize(
    "convert",
    [
        lambda X: X.astype(np.float16),
        lambda X: np.round(10 * X).astype(np.int32),
        lambda X: np.asfortranarray(X, dtype=np.float32),
        lambda X: pd.DataFrame(X, columns=list("abcd")).astype({"a": np.float16, "b": "Float64"}),
    ],
    ids=["float16", "int32", "fortran-float32", "mixed-frame"],
)
def test_caller_data_is_not_modified(convert):
    X, y, A = _data()
    X = convert(X)
    y = pd.Series(np.array(["no", "yes"])[y], name="label")
    A = pd.DataFrame({"sex": pd.Categorical(A), "band": (np.arange(len(y)) // 2) % 2})
    copies = X.copy(order="K") if isinstance(X, np.ndarray) else X.copy(), y.copy(), A.copy()
    X_syn, _ = FairDistiller(**{**SMALL, "init": "noise"}).fit_resample(
        X, y, sensitive_features=A
    )
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, copies[0])
    else:
        np.testing.assert_array_equal(X, copies[0])
        assert X.dtype == copies[0].dtype and X.flags.f_contiguous == copies[0].flags.f_contiguous
    assert not np.shares_memory(np.asarray(X_syn), np.asarray(X))
    pd.testing.assert_series_equal(y, copies[1])
    pd.testing.assert_frame_equal(A, copies[2])


# ------------------------------------------------------------------ sensitive features


@pytest.mark.parametrize("params, why", [
    ({}, "alignment='barycenter' aligns the groups"),
    ({"alignment": "groupwise"}, "alignment='groupwise' aligns the groups"),
    ({"alignment": "none", "stratify_groups": True}, "stratify_groups=True gives every group"),
    ({"matching": "kmeans"}, "alignment='barycenter' aligns the groups"),
])
@pytest.mark.parametrize("method", ["fit", "fit_resample"])
def test_groups_that_do_not_arrive_are_an_error_before_any_work(grouped_data, monkeypatch,
                                                                 params, why, method):
    """Without sensitive_features a fair fit would quietly be vanilla: refused, saying how."""
    X, y, _ = grouped_data

    def not_reached(*args, **kwargs):
        raise AssertionError("the rows were standardised before the groups were checked")

    monkeypatch.setattr(distiller_module, "RealRows", not_reached)
    distiller = FairDistiller(n_per_class=3, **FAST, **params)
    with pytest.raises(ValueError, match=rf"^sensitive_features is None, but {why}") as info:
        getattr(distiller, method)(X, y)
    message = str(info.value)
    for advice in (f"{method}(X, y, sensitive_features=A)",
                   "sklearn.set_config(enable_metadata_routing=True)",
                   "set_fit_resample_request(sensitive_features=True)", "alignment='none'"):
        assert advice in message
    assert not hasattr(distiller, "n_features_in_")


def test_vanilla_without_groups_runs_silently(grouped_data, recwarn):
    X, y, _ = grouped_data
    distiller = FairDistiller(n_per_class=3, alignment="none", **FAST)
    X_syn, y_syn = distiller.fit_resample(X, y)
    assert X_syn.shape == (6, X.shape[1])
    assert distiller.groups_ is None
    assert distiller.cell_counts_.shape == (2, 1)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_no_sensitive_features_equals_vanilla_with_one_group(grouped_data):
    """Without groups the run is vanilla distillation over one all-rows group."""
    X, y, _ = grouped_data
    X_none, _ = FairDistiller(n_per_class=3, alignment="none", **FAST).fit_resample(X, y)
    X_one, _ = FairDistiller(n_per_class=3, alignment="none", **FAST).fit_resample(
        X, y, sensitive_features=np.zeros(len(y))
    )
    np.testing.assert_allclose(X_none, X_one, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------- devices


def test_results_are_cpu_numpy_on_every_device(grouped_data, device):
    X, y, A = grouped_data
    distiller = FairDistiller(n_per_class=3, device=device, **FAST)
    X_syn, y_syn = distiller.fit_resample(X.astype(np.float32), y, sensitive_features=A)
    assert distiller.device_.type == device.type
    assert isinstance(X_syn, np.ndarray) and isinstance(y_syn, np.ndarray)
    assert X_syn.dtype == np.float32 and X_syn.shape == (6, X.shape[1])
    assert isinstance(distiller.loss_history_, np.ndarray)
    assert np.all(np.isfinite(X_syn))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_images_on_the_gpu():
    rng = np.random.default_rng(0)
    X = rng.random((60, 3, 6, 6), dtype=np.float32)
    y, groups = np.arange(60) % 2, rng.choice(["red", "green"], size=60, p=[0.7, 0.3])
    distiller = FairDistiller(n_per_class=2, n_iter=3, batch_size=8, random_state=0,
                              device="cuda")
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=groups)
    assert distiller.device_.type == "cuda" and X_syn.shape == (4, 3, 6, 6)


# ------------------------------------------------------------------------ property-based


@st.composite
def problems(draw):
    n_classes = draw(st.integers(2, 3))
    n_groups = draw(st.integers(1, 3))
    rows_per_class = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from(["float32", "float64", "int"]))
    container = draw(st.sampled_from(["ndarray", "DataFrame", "list"]))
    n_per_class = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n = n_classes * rows_per_class
    y = np.repeat(np.arange(n_classes), rows_per_class)
    groups = rng.integers(0, n_groups, size=n)
    X = rng.normal(size=(n, n_features)) + y[:, None] + 0.5 * groups[:, None]
    X = np.round(3 * X).astype(np.int64) if dtype == "int" else X.astype(dtype)
    labels = np.array(["c0", "c1", "c2"])[y] if seed % 2 else y
    if container == "DataFrame":
        X = pd.DataFrame(X, columns=[f"f{j}" for j in range(n_features)])
        labels, groups = pd.Series(labels, name="y"), pd.Series(groups, name="g")
    elif container == "list":
        X, labels, groups = X.tolist(), labels.tolist(), groups.tolist()
    return X, labels, groups, n_per_class, n_classes, n_features, dtype, container


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(), random_state=st.integers(0, 1000))
def test_property_shapes_labels_finiteness_and_determinism(problem, random_state):
    X, y, groups, n_per_class, n_classes, n_features, dtype, container = problem
    params = dict(n_per_class=n_per_class, n_iter=5, random_state=random_state, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small classes, absent cells
        X_syn, y_syn = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)
        X_again, y_again = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)

    expected_type = {"ndarray": np.ndarray, "DataFrame": pd.DataFrame, "list": list}[container]
    assert isinstance(X_syn, expected_type)
    X_out, y_out = np.asarray(X_syn, dtype=float), np.asarray(y_syn)
    assert X_out.shape == (n_classes * n_per_class, n_features)
    assert np.all(np.isfinite(X_out))
    labels, counts = np.unique(y_out, return_counts=True)
    np.testing.assert_array_equal(labels, np.unique(np.asarray(y)))
    assert np.all(counts == n_per_class)
    if container != "list":
        out_dtype = np.float32 if dtype == "float32" else np.float64
        assert np.asarray(X_syn).dtype == out_dtype
    np.testing.assert_array_equal(np.asarray(X_again), np.asarray(X_syn))
    np.testing.assert_array_equal(np.asarray(y_again), y_out)


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


# a fresh network every step, or a pool of networks drawn once (each used ten times)
@pytest.mark.parametrize("matching_params", [None, {"network_pool": 30}])
def test_oracle_barycenter_pulls_towards_group_barycenter(matching_params):
    X, y, A = _biased_groups_data()
    pooled = X[:, 0].mean()
    assert abs(pooled - 1.6) < 0.1

    means = {}
    for alignment in ("none", "barycenter"):
        distiller = FairDistiller(
            n_per_class=10, n_iter=300, alignment=alignment, random_state=0,
            matching_params=matching_params,
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


_ADVICE = r".*fit_resample.*imblearn\.pipeline\.Pipeline.*DistilledClassifier"


@pytest.mark.parametrize("make", [
    lambda: SklearnPipeline([("distill", FairDistiller()), ("clf", LogisticRegression())]),
    lambda: make_pipeline(StandardScaler(), FairDistiller(), LogisticRegression()),
    lambda: FeatureUnion([("distill", FairDistiller())]),
    lambda: ColumnTransformer([("distill", FairDistiller(), [0, 1])]),
], ids=["Pipeline", "make_pipeline", "FeatureUnion", "ColumnTransformer"])
@pytest.mark.parametrize("routing", [False, True], ids=["no-routing", "routing"])
def test_a_scikit_learn_pipeline_says_what_to_use_instead(grouped_data, make, routing):
    """scikit-learn's own step check raises our message, not its generic one, at once."""
    X, y, A = grouped_data
    with sklearn.config_context(enable_metadata_routing=routing), \
            pytest.raises(TypeError, match=r"^FairDistiller has no transform: .*cannot be a step "
                                           r"of a scikit-learn Pipeline" + _ADVICE):
        make().fit(X, y)
    # imbalanced-learn's Pipeline takes the same steps
    with sklearn.config_context(enable_metadata_routing=True):
        distiller = FairDistiller(**SMALL).set_fit_resample_request(sensitive_features=True)
        ImblearnPipeline([("distill", distiller), ("clf", LogisticRegression())]).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("method", ["transform", "fit_transform"])
def test_the_transformer_vocabulary_points_to_fit_resample(method):
    distiller = FairDistiller()
    assert not hasattr(distiller, method)  # not a transformer: imblearn's Pipeline agrees
    with pytest.raises(AttributeError, match=rf"FairDistiller has no {method}: " + _ADVICE):
        getattr(distiller, method)


@pytest.mark.parametrize("params", [{}, {"matching": "kmeans"}, {"init": "kmeans"}],
                         ids=["real-start", "kmeans", "kmeans-start"])
def test_many_small_classes_give_one_warning_that_names_them(params):
    """A target of many classes warns once, not once per class, from the caller's line."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 3)), np.arange(300) % 30  # 30 classes of 10 rows
    A = rng.choice(["a", "b"], size=300)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        # alignment="none": equal group weights would add the small-cell warning
        FairDistiller(n_per_class=12, n_iter=2, random_state=0, alignment="none",
                      **params).fit(X, y, sensitive_features=A)
    assert len(record) == 1 and record[0].filename == __file__
    message = str(record[0].message)
    assert message.startswith("30 classes have fewer rows than the synthetic rows asked for: "
                              "0 (10 rows, 12 asked), 1 (10 rows, 12 asked), ")
    assert "9 (10 rows, 12 asked) and 20 more; for each, " in message


def test_one_small_class_keeps_its_own_warning():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 3)), np.r_[np.zeros(95), np.ones(5)].astype(int)
    with pytest.warns(UserWarning, match=r"^Class 1 has 5 rows but 8 synthetic rows were "
                                         r"asked for") as record:
        FairDistiller(n_per_class=8, n_iter=2, random_state=0, alignment="none").fit(
            X, y, sensitive_features=rng.choice(["a", "b"], size=100))
    assert len(record) == 1
