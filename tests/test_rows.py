"""The real rows as the optimisation sees them (skfairdistill._data.rows.RealRows).

Standardised per column (per channel for images) and mapped back exactly; constant
columns set aside and given back exactly; no full-size temporary and no copy of an
in-memory float32 ``X``. Memory-mapped and Dask rows: test_host_rows.py; sparse rows:
test_sparse.py.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skfairdistill import FairDistiller
from skfairdistill._data.rows import RealRows

from conftest import assert_refused, make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")
# the scale checks: bit-identical results on the CPU, "no copy" means the caller's memory
PARAMS = dict(n_per_class=4, n_iter=15, batch_size=32, random_state=0, device="cpu")


def _data(n_samples=120, **kwargs):
    return make_grouped_data(n_samples=n_samples, **kwargs)


def _scale_data(n=600, n_features=5, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)) * rng.uniform(0.1, 100, n_features)
    X += rng.uniform(-1e3, 1e3, n_features)
    X[:, 1] = 2.5  # a constant column
    y = rng.integers(0, 2, n)
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    return X.astype(dtype), y, groups


# --------------------------------------------------------------------------- RealRows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_are_standardised_and_mapped_back(dtype):
    X = np.random.default_rng(0).normal(3.0, 5.0, size=(50, 3)).astype(dtype)
    real = RealRows(X, torch.device("cpu"))
    np.testing.assert_array_equal(real.mean, X.mean(axis=0, dtype=np.float64))
    np.testing.assert_array_equal(real.scale, X.std(axis=0, dtype=np.float64))
    rows = real.gather(torch.arange(50))
    assert rows.dtype == torch.float32 and rows.shape == (50, 3)
    standardised = (X.astype(np.float64) - real.mean) / real.scale
    np.testing.assert_allclose(rows.numpy(), standardised, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(real.to_original_scale(rows), X, rtol=1e-5, atol=1e-5)
    # an index of any shape gives rows of that shape
    assert real.gather(torch.zeros(2, 4, dtype=torch.long)).shape == (2, 4, 3)


def test_constant_columns_are_set_aside_and_given_back_exactly():
    X = np.c_[np.arange(6.0), np.full(6, 7.25), np.arange(6.0) ** 2]
    real = RealRows(X, torch.device("cpu"))
    assert real.n_features == 2 and real.constant.tolist() == [False, True, False]
    rows = real.gather(torch.arange(6))
    assert rows.shape == (6, 2)
    back = real.to_original_scale(torch.zeros(3, 2))
    np.testing.assert_array_equal(back[:, 1], 7.25)
    np.testing.assert_allclose(back[:, [0, 2]], np.tile(X[:, [0, 2]].mean(0), (3, 1)))


def test_the_rows_of_another_x_are_standardised_with_these_statistics():
    X = np.random.default_rng(1).normal(2.0, 3.0, size=(40, 2))
    real = RealRows(X, torch.device("cpu"))
    held_out = np.array([[2.0, 2.0], [5.0, -1.0]])
    np.testing.assert_allclose(real.standardise(held_out).numpy(),
                               (held_out - real.mean) / real.scale, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_rows_of_sparse_x_gather_what_the_dense_x_gives(dtype):
    X, _, _ = _data(n_samples=200, n_features=6)
    X[X < 0.3] = 0
    X[:, 2], X[:, 3] = 0.0, 1.5  # constant: never stored, stored in every row
    X = X.astype(dtype)
    dense = RealRows(X, torch.device("cpu"))
    sparse = RealRows(sp.csr_array(X), torch.device("cpu"))
    assert sparse.n_features == dense.n_features == X.shape[1] - 2  # two constant columns
    np.testing.assert_array_equal(sparse.constant, dense.constant)
    index = torch.tensor([[5, 0, 5], [199, 7, 0]])
    assert torch.equal(sparse.gather(index), dense.gather(index))
    held_out = sp.csr_matrix(X[:7])
    assert torch.equal(sparse.standardise(held_out), dense.standardise(X[:7]))


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "sparse"])
def test_values_whose_statistics_overflow_are_refused_naming_the_columns(no_long_work,
                                                                        container):
    X, y, A = _data()
    assert_refused(FairDistiller(**{**FAST, "device": "auto"}),
                   container(np.c_[X, 1e300 * X[:, 0]]), y, A,
                   ValueError, r"^X columns \[4\] have values too large to standardise")


@pytest.mark.parametrize("size", [1e-200, 1e-310, 1e-40])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "sparse"])
def test_columns_varying_too_little_to_standardise_are_refused_naming_them(no_long_work, size,
                                                                          container):
    # below about 1e-162 the float64 variance underflows to 0, and a varying column got
    # the scale 1.0 of a constant one: synthetic values of 0.5 for data of 1e-200
    X, y, A = _data()
    X = np.c_[X[:, :2], size * X[:, 2:]]
    assert_refused(FairDistiller(**{**FAST, "device": "auto"}), container(X), y, A, ValueError,
                   r"^X columns \[2, 3\] vary by too little to standardise: their spread is "
                   r"below about 1\.2e-38.*multiply them by a constant that brings their "
                   r"values near 1")


def test_tiny_but_standardisable_columns_come_back_on_their_scale():
    X, y, A = _data()
    reference, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(X * 1e-30, y, sensitive_features=A)
    np.testing.assert_allclose(X_syn / 1e-30, reference, rtol=1e-3, atol=1e-3)


def test_the_errors_of_real_rows_name_the_argument_and_image_channels():
    X, _, _ = _data(n_features=3)
    with pytest.raises(ValueError, match=r"^X_train columns \[1\] have values too large"):
        RealRows(np.c_[X[:, :1], 1e300 * X[:, 1:2]], torch.device("cpu"), name="X_train")
    images = np.random.default_rng(0).random((20, 2, 3, 3))
    images[:, 1] *= 1e-200
    with pytest.raises(ValueError, match=r"^the image channels \[1\] of X_train vary by too "
                                         r"little to standardise"):
        RealRows(images.reshape(20, -1), torch.device("cpu"), image_shape=(2, 3, 3),
                 name="X_train")


def test_images_are_standardised_per_channel_and_keep_every_pixel():
    rng = np.random.default_rng(0)
    X = rng.random((60, 3, 6, 6), dtype=np.float32)
    X[..., 0, :] = 0.0  # a border that is black in every image
    flat = X.reshape(len(X), -1).astype(np.float64)
    real = RealRows(flat, torch.device("cpu"), image_shape=(3, 6, 6))
    assert real.n_features == 108  # the always-black border row is not set aside
    per_channel = flat.reshape(len(X), 3, -1)
    np.testing.assert_allclose(real.mean.reshape(3, -1),
                               np.broadcast_to(per_channel.mean(axis=(0, 2))[:, None], (3, 36)))
    np.testing.assert_allclose(real.scale.reshape(3, -1),
                               np.broadcast_to(per_channel.std(axis=(0, 2))[:, None], (3, 36)))
    # and the round trip maps standardised images back exactly
    rows = torch.arange(5)
    back = real.to_original_scale(real.gather(rows))
    np.testing.assert_allclose(back, flat[:5], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- in a fit


@pytest.mark.parametrize("init", ["real", "noise"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wild_scales_and_constant_columns_stay_finite_and_exact(device, init, dtype):
    X, y, A = _data(n_features=3)
    wild = np.c_[
        1e-6 * X[:, 0],
        1e6 * X[:, 1],
        np.full(len(y), 7.25),  # constant
        np.zeros(len(y)),  # constant zero
        X[:, 2],
    ].astype(dtype)
    distiller = FairDistiller(**{**FAST, "init": init, "n_per_class": 4, "device": device})
    X_syn, _ = distiller.fit_resample(wild, y, sensitive_features=A)
    assert X_syn.dtype == dtype
    assert np.all(np.isfinite(X_syn))
    # constant columns are left out of the optimisation: exactly their value
    assert np.all(X_syn[:, 2] == dtype(7.25)) and np.all(X_syn[:, 3] == 0)
    # the other columns do move
    assert X_syn[:, [0, 1, 4]].std(axis=0).min() > 0


def test_all_columns_constant():
    X, y, A = _data()
    X = np.tile([1.5, -2.0, 0.0], (len(y), 1))
    X_syn, y_syn = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    np.testing.assert_array_equal(X_syn, np.tile([1.5, -2.0, 0.0], (4, 1)))
    assert sorted(y_syn.tolist()) == [0, 0, 1, 1]


def test_result_does_not_depend_on_column_scale_or_offset():
    """Standardisation in float64 makes the run invariant to per-column affine maps,
    including an offset of 1e6 on a spread of 1e-3 (lost in a float32 cast) and
    values of 1e40 (beyond the float32 range)."""
    X, y, A = _data()
    scale = np.array([1e-3, 1e40, 1e-6, 1e6])
    offset = np.array([1e6, 0.0, -3.0, 5e6])
    reference, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(X * scale + offset, y, sensitive_features=A)
    assert np.all(np.isfinite(X_syn))
    np.testing.assert_allclose((X_syn - offset) / scale, reference, rtol=1e-3, atol=1e-3)


def test_synthetic_rows_are_on_the_scale_of_x(make_data):
    """Features are standardised internally and mapped back: huge scales come back huge."""
    X, y, A = make_data(n_samples=200, n_features=3)
    scales = np.array([1e-6, 1.0, 1e6])
    offsets = np.array([0.0, 10.0, -5e6])
    X_scaled = X * scales + offsets
    X_syn, _ = FairDistiller(n_per_class=5, n_iter=20, random_state=0).fit_resample(
        X_scaled, y, sensitive_features=A
    )
    spread = X_scaled.std(axis=0)
    # every synthetic feature lies within a few real standard deviations of the real data
    assert np.all(np.abs(X_syn.mean(axis=0) - X_scaled.mean(axis=0)) < 3 * spread)
    assert np.all(X_syn.std(axis=0) < 10 * spread)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout",
    [
        lambda X: np.repeat(X, 2, axis=1)[:, ::2],
        np.asfortranarray,
        lambda X: X[::-1][::-1],
        lambda X: np.ascontiguousarray(X[::-1])[::-1],
        lambda X: np.ascontiguousarray(X[:, ::-1])[:, ::-1],
    ],
    ids=["strided-columns", "fortran", "views-undone", "reversed-rows", "reversed-columns"],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_memory_layouts_give_the_same_result(dtype, layout, read_only):
    X, y, A = _data()
    X = X.astype(dtype)
    X_view = layout(X.copy())
    np.testing.assert_array_equal(X_view, X)
    X_view.flags.writeable = not read_only
    expected, _ = FairDistiller(**FAST).fit_resample(X, y, sensitive_features=A)
    X_syn, _ = FairDistiller(**FAST).fit_resample(X_view, y, sensitive_features=A)
    assert X_syn.dtype == dtype
    # same values, different summation order in the column statistics: equal to rounding
    np.testing.assert_allclose(X_syn, expected, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- no copies


def test_in_memory_float32_shares_memory_and_is_never_written(record_real_rows):
    recorded = record_real_rows()
    X, y, groups = _scale_data(n=800)
    assert X.flags.c_contiguous and X.dtype == np.float32
    X.flags.writeable = False  # any write would raise
    before = X.copy()
    FairDistiller(**PARAMS).fit_resample(X, y, sensitive_features=groups)
    real = recorded[-1]
    assert real._host is None
    assert np.shares_memory(real._X.numpy(), X)  # no copy of the caller's array
    assert real._X.data_ptr() == X.ctypes.data
    np.testing.assert_array_equal(X, before)


def test_column_statistics_have_no_full_size_temporary():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(100_000, 20)) * 3 + 7).astype(np.float32)  # 8 MB
    for layout in (X, np.asfortranarray(X), X[::2]):
        tracemalloc.start()
        try:
            real = RealRows(layout, torch.device("cpu"), block_values=2**12)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < X.nbytes / 4  # NumPy's X.std would allocate 2 * X.nbytes
        np.testing.assert_array_equal(real.scale, layout.std(axis=0, dtype=np.float64))
        np.testing.assert_array_equal(real.mean, layout.mean(axis=0, dtype=np.float64))


def test_fit_in_memory_float32_makes_no_copy_of_X(record_real_rows):
    record_real_rows(block_values=2**12)
    rng = np.random.default_rng(0)
    n = 100_000
    X = rng.normal(size=(n, 50)).astype(np.float32)  # 20 MB; a float64 copy: 40 MB
    y = rng.integers(0, 2, n)
    groups = rng.integers(0, 4, n)
    tracemalloc.start()
    try:
        FairDistiller(n_per_class=3, n_iter=2, random_state=0, device="cpu").fit(
            X, y, sensitive_features=groups
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the labels, group codes and the cell index are a few int64 arrays of n rows
    assert peak < X.nbytes / 2
