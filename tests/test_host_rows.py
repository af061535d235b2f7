"""Memory maps and Dask arrays read in blocks and gathered by index (skfairdistill._data.host_rows)."""

import os

import numpy as np
import pytest

from skfairdistill import FairDistiller
from skfairdistill._data.host_rows import HostRows


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
