"""Golden rows: seeded fits reproduce the synthetic rows saved before a refactoring.

``tests/data/golden_rows.npz`` holds the rows of a handful of seeded CPU fits,
made with the code as it was before the architecture work of issue 17. A change
that is meant to move code, not behaviour, must reproduce them bit for bit
(``assert_array_equal``). Regenerate only for a deliberate change of behaviour::

    PYTHONPATH=$PWD python tests/test_golden_rows.py --regenerate
"""

import functools
import pathlib
import sys
import warnings

import numpy as np
import pytest
import torch

from skfairdistill import FairDistiller
from skfairdistill._nn.networks import make_embedding

GOLDEN = pathlib.Path(__file__).parent / "data" / "golden_rows.npz"
TABLE = dict(n_per_class=3, n_iter=5, batch_size=16, random_state=0, device="cpu")


def _table(n=120, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    groups = rng.choice(["a", "b"], size=n, p=[0.7, 0.3])
    groups[:6] = ["a", "b"] * 3  # every (class, group) cell has rows
    X = rng.normal(size=(n, n_features))
    X[:, 0] += 2.0 * y
    X[:, 1] += groups == "b"
    return X, y, groups


def _images(n=40, shape=(3, 6, 6), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    y = np.arange(n) % 2
    groups = rng.choice(["red", "green"], size=n, p=[0.7, 0.3])
    groups[:4] = ["red", "green"] * 2
    return X, y, groups


CASES = {
    "dm_cobra": (_table, dict(alignment="barycenter", **TABLE)),
    "dm_fairdd": (_table, dict(alignment="groupwise", **TABLE)),
    "dm_vanilla": (_table, dict(alignment="none", **TABLE)),
    "dm_wasserstein": (_table, dict(matching_params={"barycenter": "wasserstein"}, **TABLE)),
    "dm_dict_budget": (_table, dict(TABLE, n_per_class={0: 2, 1: 4, 2: 3})),
    "dc_table": (_table, dict(TABLE, matching="gradient", n_iter=2,
                              matching_params=dict(outer_loops=2, inner_steps=1))),
    "kmeans": (_table, dict(TABLE, matching="kmeans")),
    "dm_images_augmented": (_images, dict(
        n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu",
        matching_params=dict(embedding=functools.partial(make_embedding, "convnet", channels=4),
                             augmentation="crop_flip"))),
}


def _fit(name):
    data, params = CASES[name]
    X, y, groups = data()
    torch.manual_seed(12345)  # the fit must not depend on the global generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_syn, y_syn = FairDistiller(**params).fit_resample(X, y, sensitive_features=groups)
    return np.asarray(X_syn), np.asarray(y_syn)


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_fit_reproduces_the_golden_rows(name):
    golden = np.load(GOLDEN)
    X_syn, y_syn = _fit(name)
    np.testing.assert_array_equal(X_syn, golden[f"{name}_X"])
    np.testing.assert_array_equal(y_syn, golden[f"{name}_y"])


if __name__ == "__main__" and "--regenerate" in sys.argv:
    torch.set_num_threads(1)
    arrays = {}
    for case in sorted(CASES):
        arrays[f"{case}_X"], arrays[f"{case}_y"] = _fit(case)
    GOLDEN.parent.mkdir(exist_ok=True)
    np.savez_compressed(GOLDEN, **arrays)
    print(f"wrote {GOLDEN} ({len(CASES)} fits)")
