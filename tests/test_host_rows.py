"""Memory maps and Dask arrays read in blocks and gathered by index (skfairdistill._data.host_rows).

Structural tests (what is held, copied, read): a memory-mapped or Dask ``X`` gives the
synthetic set of the same rows in memory, is never loaded whole nor written, and its
errors name ``X``. Speed and memory figures live in ``docs/benchmarks.md``.
"""

import os
import tracemalloc

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._data.host_rows import HostRows, as_host_rows

# on the CPU: bit-identical results, and "no copy" means sharing the caller's memory
PARAMS = dict(n_per_class=4, n_iter=15, batch_size=32, random_state=0, device="cpu")


def _data(n=600, n_features=5, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)) * rng.uniform(0.1, 100, n_features)
    X += rng.uniform(-1e3, 1e3, n_features)
    X[:, 1] = 2.5  # a constant column
    y = rng.integers(0, 2, n)
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    return X.astype(dtype), y, groups


def _memmap(tmp_path, X, mode="r", name="X.npy"):
    path = tmp_path / name
    np.save(path, X)
    return np.load(path, mmap_mode=mode)


def _fit(X, y, groups, **params):
    distiller = FairDistiller(**{**PARAMS, **params})
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=groups)
    return distiller, X_syn, y_syn


@pytest.fixture
def mapped(tmp_path):
    path = tmp_path / "rows.dat"
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(500, 3))
    X[:] = np.arange(1500, dtype=np.float32).reshape(500, 3)
    X.flush()
    return path, np.memmap(path, dtype=np.float32, mode="r", shape=(500, 3))


def test_take_and_blocks_give_the_rows_of_the_array(mapped):
    _, X = mapped
    rows = HostRows(X)
    index = np.array([0, 7, 499])
    np.testing.assert_array_equal(rows.take(index), np.asarray(X)[index])
    blocks = list(rows.blocks(200))
    assert [start for start, _ in blocks] == [0, 200, 400]
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), np.asarray(X))


def test_a_file_cut_short_after_opening_is_refused_naming_it(mapped):
    path, X = mapped
    y = np.arange(500) % 2
    os.truncate(path, 1000)  # reading the lost rows would kill the process (SIGBUS)
    with pytest.raises(ValueError, match=f"memory map of '{path}'.*cut short"):
        FairDistiller(n_per_class=2, n_iter=2).fit(X, y, sensitive_features=y)


def test_a_view_past_the_cut_is_refused_though_its_own_size_fits(mapped):
    # 50 rows (600 bytes) fit in the 1000 bytes left, but they lie at bytes 5400-6000
    path, X = mapped
    os.truncate(path, 1000)
    HostRows(X[:80])  # within what is left: read as usual
    with pytest.raises(ValueError, match=f"^X is a memory map of '{path}', but the file holds "
                                         "1000 bytes where the array of shape \\(50, 3\\).*"
                                         "needs 6000"):
        HostRows(X[450:])


@pytest.mark.parametrize("dtype, expected", [(np.float16, np.float32), (np.float32, np.float32),
                                             (np.float64, np.float64), (np.int32, np.float64),
                                             (np.bool_, np.float64)])
def test_rows_come_in_the_dtype_validation_would_give(tmp_path, dtype, expected):
    X = _memmap(tmp_path, (np.arange(12).reshape(6, 2) % 3).astype(dtype))
    rows = HostRows(X)
    assert rows.dtype == expected and rows.shape == (6, 2) and len(rows) == 6
    assert rows.take(np.array([1, 4])).dtype == expected
    assert rows.take(np.array([1, 4])).flags.writeable


def test_only_two_dimensional_numeric_maps_are_wrapped(tmp_path):
    assert as_host_rows(np.zeros((4, 2))) is None  # in memory: the usual validation
    assert isinstance(as_host_rows(_memmap(tmp_path, np.zeros((4, 2)))), HostRows)
    assert as_host_rows(_memmap(tmp_path, np.zeros(4), name="1d.npy")) is None
    assert as_host_rows(_memmap(tmp_path, np.zeros((1, 2)), name="one.npy")) is None
    text = np.lib.format.open_memmap(tmp_path / "s.npy", mode="w+", dtype="U2", shape=(3, 2))
    assert as_host_rows(text) is None


# --------------------------------------------------------------------------- in a fit


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
def test_memmap_gives_the_same_synthetic_set_as_in_memory(tmp_path, dtype):
    X, y, groups = _data()
    X = (X * 10).astype(dtype) if dtype == np.int32 else X.astype(dtype)
    in_memory, X_mem, y_mem = _fit(X, y, groups)
    mapped, X_map, y_map = _fit(_memmap(tmp_path, X), y, groups)
    assert type(X_map) is np.ndarray and not isinstance(X_map, np.memmap)
    np.testing.assert_array_equal(X_map, X_mem)
    np.testing.assert_array_equal(y_map, y_mem)
    assert X_map.dtype == X_mem.dtype
    np.testing.assert_array_equal(mapped.loss_history_, in_memory.loss_history_)
    np.testing.assert_array_equal(mapped.cell_counts_, in_memory.cell_counts_)
    assert mapped.n_features_in_ == X.shape[1]
    assert not hasattr(mapped, "feature_names_in_")


def test_memmap_views_and_modes_match_the_same_rows_in_memory(tmp_path):
    X, y, groups = _data(n=700, n_features=7)
    full = _memmap(tmp_path, X)
    # rows and columns sliced: rows are contiguous pieces at a larger stride in the file
    _, expected, _ = _fit(np.ascontiguousarray(X[50:, 2:]), y[50:], groups[50:])
    _, got, _ = _fit(full[50:, 2:], y[50:], groups[50:])
    np.testing.assert_array_equal(got, expected)
    # copy-on-write and read-write maps, and a plain np.memmap with an offset
    _, expected, _ = _fit(X, y, groups)
    for mode in ("c", "r+"):
        _, got, _ = _fit(_memmap(tmp_path, X, mode=mode, name=f"{mode}.npy"), y, groups)
        np.testing.assert_array_equal(got, expected)
    raw = tmp_path / "raw.bin"
    with open(raw, "wb") as handle:
        handle.write(b"\0" * 24)
        handle.write(X.tobytes())
    offset_map = np.memmap(raw, dtype=X.dtype, mode="r", offset=24, shape=X.shape)
    _, got, _ = _fit(offset_map, y, groups)
    np.testing.assert_array_equal(got, expected)


def test_memmap_of_a_deleted_file_is_read_through_its_mapping(tmp_path):
    X, y, groups = _data()
    mapped = _memmap(tmp_path, X)
    (tmp_path / "X.npy").unlink()  # the mapping keeps the data; the path no longer does
    _, expected, _ = _fit(X, y, groups)
    _, got, _ = _fit(mapped, y, groups)
    np.testing.assert_array_equal(got, expected)


def test_column_major_memmap_is_read_and_matches_closely(tmp_path):
    X, y, groups = _data()
    mapped = _memmap(tmp_path, np.asfortranarray(X))
    assert mapped.flags.f_contiguous
    _, expected, _ = _fit(X, y, groups)
    _, got, _ = _fit(mapped, y, groups)
    # statistics summed in another order: equal up to rounding
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


def test_memmap_is_not_materialised(tmp_path, monkeypatch, record_real_rows):
    X, y, groups = _data(n=2000)
    mapped = _memmap(tmp_path, X)
    block_rows = 64
    recorded = record_real_rows(block_values=block_rows * X.shape[1])
    reads = []
    original = HostRows._read

    def spy(self, index):
        block = original(self, index)
        reads.append((index, len(block)))
        return block

    monkeypatch.setattr(HostRows, "_read", spy)
    distiller, _, _ = _fit(mapped, y, groups)
    real = recorded[-1]
    # RealRows keeps the memory map, not a tensor or an array copy of it
    assert real._X is None
    assert isinstance(real._host, HostRows) and real._host.array is mapped
    # statistics: blocks of at most block_rows rows; draws: only the rows drawn
    blocks = [size for index, size in reads if isinstance(index, slice)]
    draws = [index for index, _ in reads if not isinstance(index, slice)]
    assert max(blocks) <= block_rows and sum(blocks) == 2 * len(X)  # two passes
    n_cells = distiller.cell_counts_.size
    assert len(draws) >= distiller.n_iter_
    for index in draws:
        assert index.dtype == np.int64
        assert len(index) <= n_cells * PARAMS["batch_size"] + PARAMS["n_per_class"] * 2
        assert np.all(np.diff(index) > 0)  # sorted, each row read once


def test_fit_on_memmap_never_writes_to_it(tmp_path):
    X, y, groups = _data()
    mapped = _memmap(tmp_path, X, mode="r+")
    before = np.array(mapped)
    _fit(mapped, y, groups)
    np.testing.assert_array_equal(np.asarray(mapped), before)


def test_memmap_errors_name_X_and_leave_the_estimator_unfitted(tmp_path):
    X, y, groups = _data()
    X[17, 3] = np.nan
    distiller = FairDistiller(**PARAMS)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        distiller.fit(_memmap(tmp_path, X, name="nan.npy"), y, sensitive_features=groups)
    assert not hasattr(distiller, "n_features_in_")
    X[17, 3] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        distiller.fit(_memmap(tmp_path, X, name="inf.npy"), y, sensitive_features=groups)
    X[17, 3] = 1.0
    with pytest.raises(ValueError, match="^X has 600 rows but y has 599 labels"):
        distiller.fit(_memmap(tmp_path, X, name="ok.npy"), y[:-1], sensitive_features=groups)
    with pytest.raises(ValueError, match="Expected 2D array"):
        distiller.fit(_memmap(tmp_path, X[:, 0], name="1d.npy"), y, sensitive_features=groups)
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        distiller.fit(
            _memmap(tmp_path, X[:1], name="one.npy"), y[:1], sensitive_features=groups[:1]
        )
    assert not hasattr(distiller, "n_features_in_")


def test_dask_input_works_and_matches(record_real_rows):
    da = pytest.importorskip("dask.array")
    X, y, groups = _data(n=900)
    recorded = record_real_rows(block_values=100 * X.shape[1])
    _, expected, y_expected = _fit(X, y, groups)
    lazy = da.from_array(X, chunks=(250, 3))
    _, got, y_got = _fit(lazy, da.from_array(y, chunks=300), da.from_array(groups, chunks=300))
    assert isinstance(recorded[-1]._host, HostRows) and recorded[-1]._X is None
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(y_got, y_expected)
    # float64 Dask arrays take the float64 route, also identical
    _, expected64, _ = _fit(X.astype(np.float64), y, groups)
    _, got64, _ = _fit(da.from_array(X.astype(np.float64), chunks=(400, 5)), y, groups)
    np.testing.assert_array_equal(got64, expected64)


def test_dask_errors():
    da = pytest.importorskip("dask.array")
    X, y, groups = _data()
    X[5, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        FairDistiller(**PARAMS).fit(da.from_array(X, chunks=100), y, sensitive_features=groups)
    lazy = da.from_array(np.abs(X[:, :2]), chunks=100)
    unknown = lazy[lazy[:, 0] > -1]  # boolean mask: row count unknown until computed
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        FairDistiller(**PARAMS).fit(unknown, y, sensitive_features=groups)


def test_memmap_fit_memory_is_bounded_by_blocks_not_rows(tmp_path, record_real_rows):
    record_real_rows(block_values=2**12)
    rng = np.random.default_rng(0)
    n = 100_000
    X = rng.normal(size=(n, 50)).astype(np.float32)
    y = rng.integers(0, 2, n).astype(np.int8)
    groups = rng.integers(0, 4, n).astype(np.int8)
    mapped = _memmap(tmp_path, X)
    del X
    tracemalloc.start()
    try:
        FairDistiller(n_per_class=3, n_iter=2, random_state=0, device="cpu").fit(
            mapped, y, sensitive_features=groups
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < mapped.nbytes / 4
