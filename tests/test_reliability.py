"""Reliability (issue 15, and the command line of issue 16): one parametrised test per family.

- the command line never destroys data (no --out onto the input, however spelled; no
  silent overwrite; the input never modified), chooses its columns and names the columns
  that drop rows, and gives integer columns with blanks back as integers;
- no silent NaN: non-finite rates refused, divergence stopped with a clear error;
- memory does not grow with n_iter, absurd sizes are refused before allocating;
- errors name the argument and the fix (random_state, embedding factories, zero-column
  sensitive features, a column name given to the metrics, non-classifiers);
- the caller's types come back (y Series dtypes), short warnings;
- import skfairdistill and ``--help`` do not import torch;
- hypothesis fuzzing of FairDistiller and of the command line on small random tables.
"""

import hashlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._nn.augment import SiameseAugment
from skfairdistill._cli.main import main
from skfairdistill._matching._history import (
    CHOICE_CHUNK,
    LOSS_CHUNK,
    DivergenceError,
    LossHistory,
    choose_in_chunks,
)
from skfairdistill.metrics import deo_max, fairness_report, worst_group_accuracy

from conftest import make_grouped_data

FAST = dict(n_per_class=2, n_iter=10, random_state=0, device="cpu")
ROOT = Path(__file__).resolve().parents[1]


def _data(n_samples=120):
    return make_grouped_data(n_samples=n_samples)


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 70, size=n),
        "sex": rng.choice(["F", "M"], size=n),
        "hours": rng.normal(40, 5, size=n),
        "label": np.arange(n) % 2,
    })


def _run(data, out, *extra):
    return main(["distill", str(data), "--target", "label", "--sensitive", "sex",
                 "--n-per-class", "2", "--n-iter", "3", "--device", "cpu",
                 "--out", str(out), *extra])


def _usage_error(capsys, *args):
    with pytest.raises(SystemExit) as info:
        _run(*args)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.fixture(params=["csv", "parquet"])
def table_file(request, tmp_path):
    path = tmp_path / f"t.{request.param}"
    frame = _table()
    frame.to_csv(path, index=False) if request.param == "csv" else frame.to_parquet(path)
    return path


# --------------------------------------------------------------------------- data loss


@pytest.mark.parametrize("spelling", ["same", "dot", "dotdot", "absolute", "symlink",
                                      "hardlink"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_out_onto_the_input_is_refused_however_spelled(
        table_file, spelling, overwrite, capsys, monkeypatch, no_long_work):
    monkeypatch.chdir(table_file.parent)
    name = table_file.name
    out = {
        "same": name,
        "dot": f"./{name}",
        "dotdot": f"../{table_file.parent.name}/{name}",
        "absolute": str(table_file),
    }.get(spelling)
    if spelling == "symlink":
        out = "link" + table_file.suffix
        os.symlink(name, out)
    elif spelling == "hardlink":
        out = "hard" + table_file.suffix
        os.link(name, out)
    before = _digest(table_file)
    extra = ["--overwrite"] if overwrite else []
    message = _usage_error(capsys, name, out, *extra)
    assert "is the input file" in message and "choose another --out" in message
    assert _digest(table_file) == before


def test_existing_out_is_not_overwritten_without_overwrite(table_file, tmp_path, capsys):
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    message = _usage_error(capsys, table_file, out)
    assert "already exists" in message and "--overwrite" in message
    assert out.read_text() == "precious\n"
    for flag in ("--overwrite", "--force"):
        assert _run(table_file, out, flag) == 0
        assert len(pd.read_csv(out)) == 4


@pytest.mark.parametrize("case, expected", [
    ("data-is-dir", "DATA .* is a directory"),
    ("data-missing", "does not exist"),
    ("out-is-dir", "--out .* is a directory"),
    ("out-folder-missing", "folder of --out"),
])
def test_paths_are_checked_before_any_work(case, expected, table_file, tmp_path, capsys,
                                           no_long_work):
    data, out = table_file, tmp_path / "out.csv"
    if case == "data-is-dir":
        data = tmp_path / "folder.csv"
        data.mkdir()
    elif case == "data-missing":
        data = tmp_path / "nope.csv"
    elif case == "out-is-dir":
        out = tmp_path / "dir.csv"
        out.mkdir()
    else:
        out = tmp_path / "missing" / "out.csv"
    import re

    assert re.search(expected, _usage_error(capsys, data, out))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write into read-only folders")
def test_read_only_output_folder_is_refused_up_front(table_file, tmp_path, capsys,
                                                     no_long_work):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "not writable" in _usage_error(capsys, table_file, folder / "o.csv")
    finally:
        folder.chmod(0o755)


def test_a_failed_write_leaves_the_previous_output(table_file, tmp_path, monkeypatch,
                                                   capsys):
    out = tmp_path / "out.csv"
    out.write_text("previous\n")

    def broken(self, path, **kwargs):
        Path(path).write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    assert "disk full" in _usage_error(capsys, table_file, out, "--overwrite")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --------------------------------------------------------------------------- columns


def test_features_and_drop_choose_the_columns(tmp_path):
    data = tmp_path / "t.csv"
    _table().assign(id=np.arange(60), name=[f"n{i}" for i in range(60)]).to_csv(
        data, index=False)
    assert _run(data, tmp_path / "a.csv", "--features", "age,hours") == 0
    assert list(pd.read_csv(tmp_path / "a.csv").columns) == ["age", "hours", "label"]
    assert _run(data, tmp_path / "b.csv", "--drop", "id,name") == 0
    assert list(pd.read_csv(tmp_path / "b.csv").columns) == ["age", "hours", "label"]
    assert _run(data, tmp_path / "c.csv", "--features", "age,hours,id", "--drop", "id") == 0
    assert list(pd.read_csv(tmp_path / "c.csv").columns) == ["age", "hours", "label"]


@pytest.mark.parametrize("extra, expected", [
    (["--features", "nope"], r"--features: column\(s\) \['nope'\] not found"),
    (["--drop", "nope"], r"--drop: column\(s\) \['nope'\] not found"),
    (["--features", "label"], "cannot include the --target"),
    (["--features", "sex,age"], "--keep-sensitive"),
    (["--drop", "age,hours"], "no feature column left"),
    (["--features", ","], "--features needs at least one column"),
])
def test_bad_column_choices_are_usage_errors(extra, expected, table_file, tmp_path, capsys,
                                             no_long_work):
    import re

    assert re.search(expected, _usage_error(capsys, table_file, tmp_path / "o.csv", *extra))


def test_rows_dropped_for_missing_values_name_the_columns(tmp_path, capsys):
    data = tmp_path / "t.csv"
    frame = _table().assign(notes=np.nan)
    frame.to_csv(data, index=False)
    message = _usage_error(capsys, data, tmp_path / "o.csv")
    assert "fewer than 2 complete rows (0 of 60)" in message
    assert "'notes': 60" in message and "--drop" in message
    frame.loc[:4, "hours"] = np.nan
    frame.drop(columns="notes").to_csv(data, index=False)
    assert _run(data, tmp_path / "o.csv") == 0
    assert "dropped 5 of 60 rows" in capsys.readouterr().err


def test_integer_columns_with_blanks_stay_integers(tmp_path):
    data = tmp_path / "t.csv"
    lines = ["age,sex,hours,label"] + [
        f"{20 + i},{'FM'[i % 2]},{40.5 + i},{i % 2}" for i in range(30)]
    lines[3] = "," + lines[3].split(",", 1)[1]  # blank age
    lines[5] = lines[5].rsplit(",", 1)[0] + ","  # blank label
    data.write_text("\n".join(lines) + "\n")
    assert _run(data, tmp_path / "o.csv") == 0
    text = (tmp_path / "o.csv").read_text().splitlines()
    rows = [line.split(",") for line in text[1:]]
    assert all(age.isdigit() for age, *_ in rows)  # 25, not 25.93...
    assert {row[-1] for row in rows} == {"0", "1"}  # labels 0/1, not 0.0/1.0
    # the same table as Parquet with nullable integer columns
    frame = pd.read_csv(data, dtype={"age": "Int64", "label": "Int64"})
    frame.to_parquet(tmp_path / "t.parquet")
    assert _run(tmp_path / "t.parquet", tmp_path / "o.parquet") == 0
    result = pd.read_parquet(tmp_path / "o.parquet")
    assert pd.api.types.is_integer_dtype(result["age"])
    assert pd.api.types.is_integer_dtype(result["label"])
    assert pd.api.types.is_float_dtype(result["hours"])


def test_boolean_columns_with_blanks_stay_booleans(tmp_path):
    from skfairdistill._cli.tabular_io import read_csv

    data = tmp_path / "t.csv"
    lines = ["flag,sex,hours,label"] + [
        f"{['True', 'False'][i % 3 == 0]},{'FM'[i % 2]},{40.5 + i},{i % 2}" for i in range(30)]
    lines[4] = "," + lines[4].split(",", 1)[1]  # blank flag
    data.write_text("\n".join(lines) + "\n")
    assert pd.read_csv(data)["flag"].dtype == object  # pandas' default: bools and NaN
    typed = read_csv(data)
    assert isinstance(typed["flag"].dtype, pd.BooleanDtype)
    assert typed["hours"].dtype == np.float64 and typed["sex"].dtype == object
    assert _run(data, tmp_path / "o.csv") == 0
    flags = pd.read_csv(tmp_path / "o.csv")["flag"]
    assert flags.dtype == bool


def test_float_columns_written_as_floats_stay_floats(tmp_path):
    data = tmp_path / "t.csv"
    frame = _table().astype({"age": float})
    frame.loc[3, "age"] = np.nan
    frame.to_csv(data, index=False)  # written 25.0: a float column
    assert _run(data, tmp_path / "o.csv") == 0
    assert pd.read_csv(tmp_path / "o.csv")["age"].dtype == np.float64


# --------------------------------------------------------------------------- imports


@pytest.mark.parametrize("code", [
    "import skfairdistill",
    "import skfairdistill; skfairdistill.__all__; dir(skfairdistill); skfairdistill.__version__",
    "import runpy, sys; sys.argv = ['skfairdistill', '--help']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
    "import runpy, sys; sys.argv = ['skfairdistill', 'distill', '--help']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
    "import runpy, sys; sys.argv = ['skfairdistill', 'distill', 'x.csv', '--out', 'y.csv']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
], ids=["import", "public-names", "help", "distill-help", "argument-error"])
@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_import_and_help_do_not_import_heavy_modules(code):
    check = "\nheavy = [m for m in ('torch', 'ot', 'fairlearn') if m in sys.modules]\n" \
            "print('HEAVY', heavy)"
    result = subprocess.run([sys.executable, "-c", "import sys\n" + code + check],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_lazy_public_names_resolve():
    import skfairdistill

    assert set(skfairdistill.__all__) <= set(dir(skfairdistill))
    for name in skfairdistill.__all__:
        assert getattr(skfairdistill, name) is not None
    assert skfairdistill.FairDistiller is FairDistiller
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        skfairdistill.nope


# --------------------------------------------------------------------------- no silent NaN


@pytest.mark.parametrize("name", ["learning_rate", "network_learning_rate"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), np.float64("inf")])
def test_non_finite_rates_are_refused(name, value, no_long_work):
    X, y, A = _data()
    params = ({name: value} if name == "learning_rate"
              else {"matching": "gradient", "matching_params": {name: value}})
    with pytest.raises(ValueError, match=f"{name}'?\\]? must be a positive finite number"):
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("matching, params", [
    ("distribution", dict(learning_rate=1e30)),
    ("distribution", dict(learning_rate=1e30, n_iter=10**9)),  # stops at the first check
    ("gradient", dict(learning_rate=1e30, n_iter=3)),
])
def test_divergence_stops_with_a_clear_error(matching, params):
    X, y, A = _data()
    distiller = FairDistiller(**{**FAST, "matching": matching, **params})
    with pytest.raises(ValueError, match="diverged.*lower learning_rate"):
        distiller.fit(X, y, sensitive_features=A)
    assert not hasattr(distiller, "X_distilled_")  # all or nothing


@pytest.mark.parametrize("learning_rate", ["auto", 10.0])
def test_values_near_the_float32_limit_never_give_nan_rows(learning_rate):
    """float32 X near 3.4e38: its rows overflow (standardised, or on the way back)."""
    X, y, A = _data()
    X = (X / np.abs(X).max() * 3.3e38).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="finite numbers.*rescale X"):
            FairDistiller(**{**FAST, "learning_rate": learning_rate}).fit(
                X, y, sensitive_features=A)


def test_loss_history_raises_on_non_finite_values_and_reads_back():
    history = LossHistory(3 * LOSS_CHUNK, torch.device("cpu"))
    for it in range(LOSS_CHUNK + 5):
        history[it] = float(it)
    assert history[LOSS_CHUNK + 2].item() == LOSS_CHUNK + 2
    assert history[3].item() == 3
    np.testing.assert_array_equal(history[:LOSS_CHUNK + 5].numpy(),
                                  np.arange(LOSS_CHUNK + 5, dtype=np.float32))
    history[LOSS_CHUNK + 5] = float("nan")
    with pytest.raises(DivergenceError, match=f"iteration {LOSS_CHUNK + 6} of"):
        history[:LOSS_CHUNK + 6]
    full = LossHistory(10, torch.device("cpu"))
    with pytest.raises(DivergenceError):
        for it in range(LOSS_CHUNK):
            full[it] = float("inf") if it == 7 else 1.0
    assert issubclass(DivergenceError, ValueError)


# --------------------------------------------------------------------------- memory


def test_huge_n_iter_starts_at_once_and_is_interruptible(monkeypatch):
    """n_iter=10**9 allocates nothing per planned iteration; Ctrl-C keeps the rows."""
    X, y, A = _data()
    calls = []

    def factory(input_shape, generator):
        from skfairdistill.networks import make_embedding

        calls.append(1)
        if len(calls) > 2 * LOSS_CHUNK + 3:
            raise KeyboardInterrupt
        return make_embedding("mlp", input_shape, generator, width=8)

    allocated = []
    real_zeros = torch.zeros
    monkeypatch.setattr(torch, "zeros", lambda *a, **k: allocated.append(a) or real_zeros(*a, **k))
    distiller = FairDistiller(**{**FAST, "n_iter": 10**9, "matching_params": {"embedding": factory}})
    with pytest.warns(UserWarning, match="interrupted after"):
        distiller.fit(X, y, sensitive_features=A)
    assert distiller.interrupted_ and distiller.n_iter_ == 2 * LOSS_CHUNK + 3
    assert distiller.loss_history_.shape == (distiller.n_iter_,)
    assert np.isfinite(distiller.X_distilled_).all()
    sizes = [np.prod(a[0]) if isinstance(a[0], tuple) else a[0] for a in allocated if a]
    assert max(int(s) for s in sizes if isinstance(s, (int, np.integer))) < 10**6


def test_augmentation_choices_are_drawn_per_chunk_with_the_same_stream():
    augment = SiameseAugment("crop_flip_rotate")
    for n in (1, 37, 1000):
        g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
        chunked = choose_in_chunks(augment, n, g1)
        assert [chunked[i] for i in range(n)] == augment.choose(n, g2)
        assert torch.equal(g1.get_state(), g2.get_state())
    g = torch.Generator().manual_seed(0)
    huge = choose_in_chunks(augment, 10**12, g)  # nothing drawn for all iterations
    assert len(huge._chunk) == CHOICE_CHUNK
    assert all(0 <= huge[i] < 3 for i in (0, CHOICE_CHUNK - 1, CHOICE_CHUNK, 3 * CHOICE_CHUNK))
    assert choose_in_chunks(None, 10, g) is None
    assert choose_in_chunks(SiameseAugment("flip"), 10, g) is None


@pytest.mark.parametrize("params, name", [
    (dict(matching_params={"embedding_width": 10**6}), "embedding_width"),
    (dict(n_per_class=10**9), "n_per_class"),
    (dict(n_per_class={0: 10**9, 1: 2}), "n_per_class"),
    (dict(matching_params={"embedding_layers": 10**6}), "embedding_layers"),
])
def test_absurd_sizes_are_refused_before_allocating(params, name, no_long_work):
    X, y, A = _data()
    with pytest.raises(ValueError, match=rf"{name}=.* would need about [\d.]+ [KMGTP]B of memory"):
        FairDistiller(**{**FAST, **params}).fit(X, y, sensitive_features=A)


# --------------------------------------------------------------------------- clear errors


@pytest.mark.parametrize("random_state, exception, message", [
    (np.random.default_rng(0), TypeError, r"numpy.random.Generator.*rng.integers\(2\*\*32\)"),
    (-1, ValueError, r"random_state must be an int in \[0, 2\*\*32 - 1\]"),
    (2**32, ValueError, r"random_state must be an int in \[0, 2\*\*32 - 1\]"),
    (1.5, TypeError, "random_state must be None, an int"),
    ("0", TypeError, "random_state must be None, an int"),
])
def test_bad_random_states_are_refused(random_state, exception, message, no_long_work):
    X, y, A = _data()
    with pytest.raises(exception, match=message):
        FairDistiller(**{**FAST, "random_state": random_state}).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("random_state", [None, 0, 2**32 - 1, np.int64(7),
                                          np.random.RandomState(0)])
def test_random_states_sklearn_accepts_are_accepted(random_state):
    X, y, A = _data()
    params = {**FAST, "n_iter": 2, "random_state": random_state}
    X_syn, _ = FairDistiller(**params).fit_resample(X, y, sensitive_features=A)
    assert np.isfinite(X_syn).all()


@pytest.mark.parametrize("factory", [
    lambda: None,
    lambda input_shape: None,
    lambda input_shape, generator, extra: None,
], ids=["no-argument", "one-argument", "three-arguments"])
def test_embedding_factories_with_a_wrong_signature_are_refused(factory, no_long_work):
    X, y, A = _data()
    with pytest.raises(TypeError, match=r"factory\(input_shape, generator\).*signature"):
        FairDistiller(**{**FAST, "matching_params": {"embedding": factory}}).fit(
            X, y, sensitive_features=A)


@pytest.mark.parametrize("sensitive", [
    lambda n: np.empty((n, 0)),
    lambda n: pd.DataFrame(index=range(n)),
], ids=["array", "frame"])
def test_sensitive_features_without_columns_are_refused(sensitive, no_long_work):
    X, y, _ = _data()
    with pytest.raises(ValueError, match="sensitive_features has no columns"):
        FairDistiller(**FAST).fit(X, y, sensitive_features=sensitive(len(y)))


@pytest.mark.parametrize("metric", ["report", "deo_max", "worst_group_accuracy"])
@pytest.mark.parametrize("value", ["g", b"g", 3])
def test_metrics_refuse_a_column_name_as_sensitive_features(metric, value):
    X, y, A = _data()
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match="pass the column itself"):
        if metric == "report":
            fairness_report({"m": model}, X, y, sensitive_features=value)
        elif metric == "deo_max":
            deo_max(y, model.predict(X), sensitive_features=value)
        else:
            worst_group_accuracy(y, model.predict(X), sensitive_features=value)


@pytest.mark.parametrize("estimator", [
    LinearRegression(), Ridge(), make_pipeline(StandardScaler(), LinearRegression()),
], ids=["LinearRegression", "Ridge", "pipeline-of-a-regressor"])
def test_distilled_classifier_refuses_non_classifiers(estimator):
    X, y, A = _data()
    with pytest.raises(TypeError, match="estimator must be a classifier"):
        DistilledClassifier(estimator, distiller=FairDistiller(**FAST)).fit(
            X, y, sensitive_features=A)


def test_distilled_classifier_accepts_a_classifier_pipeline():
    X, y, A = _data()
    model = DistilledClassifier(make_pipeline(StandardScaler(), LogisticRegression()),
                                distiller=FairDistiller(**FAST))
    assert model.fit(X, y, sensitive_features=A).predict(X).shape == y.shape


def test_many_groups_give_a_short_warning():
    rng = np.random.default_rng(0)
    n = 6000
    X = rng.normal(size=(n, 2))
    y = np.arange(n) % 2
    groups = np.arange(n) // 2 * 2 + y  # every group lives in one class only
    with pytest.warns(UserWarning, match="Some groups have no rows") as record:
        FairDistiller(**{**FAST, "n_iter": 1}).fit(X, y, sensitive_features=groups)
    assert max(len(str(w.message)) for w in record) < 500


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("make_y", [
    lambda y: pd.Series(y, dtype="Int64", name="t"),
    lambda y: pd.Series(y.astype(bool), dtype="boolean"),
    lambda y: pd.Series(pd.Categorical(np.where(y, "hi", "lo"),
                                       categories=["lo", "mid", "hi"], ordered=True)),
    lambda y: pd.Series(pd.Categorical(y * 10, categories=[10, 0])),
    lambda y: pd.Series(np.where(y, "x", "y"), dtype="string"),
], ids=["Int64", "boolean", "ordered-category", "numeric-category", "string"])
def test_y_series_dtypes_come_back(make_y):
    X, y, A = _data()
    y_in = make_y(y)
    _, y_syn = FairDistiller(**FAST).fit_resample(X, y_in, sensitive_features=A)
    assert y_syn.dtype == y_in.dtype  # categories and their order included
    assert y_syn.name == y_in.name
    assert set(y_syn.tolist()) == set(y_in.tolist())


@pytest.mark.parametrize("categories", [[1, 2, 3], [0.5, 1.5, 2.5]])
def test_categorical_columns_of_numbers_are_refused(categories, no_long_work):
    X, y, A = _data()
    frame = pd.DataFrame(X).rename(columns=str)
    frame["level"] = pd.Categorical(np.resize(categories, len(y)))
    with pytest.raises(ValueError, match=r"categorical .* columns of numbers \['level'\].*"
                                         r"OneHotEncoder.*astype"):
        FairDistiller(**FAST).fit(frame, y, sensitive_features=A)


# --------------------------------------------------------------------------- fuzzing

_DTYPES = ["float64", "float32", "int64", "Int64", "boolean", "bool", "string", "category"]


@st.composite
def _frames(draw):
    n = draw(st.integers(4, 24))
    n_cols = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    columns = {}
    for j in range(n_cols):
        dtype = draw(st.sampled_from(_DTYPES))
        values = pd.Series(rng.normal(size=n) * draw(st.sampled_from([1e-6, 1.0, 1e6])))
        if dtype in ("int64", "Int64"):
            values = values.round().astype(dtype)
        elif dtype in ("bool", "boolean"):
            values = (values > 0).astype(dtype)
        elif dtype in ("string", "category"):
            values = pd.Series(rng.choice(["a", "b", "c"], size=n)).astype(dtype)
        else:
            values = values.astype(dtype)
        if dtype not in ("int64", "bool") and draw(st.booleans()):
            values = values.astype(object if dtype == "float32" else values.dtype)
            values[rng.random(n) < 0.2] = None
        columns[f"c{j}"] = values
    y = rng.integers(0, draw(st.integers(1, 3)), size=n)
    group = rng.choice(["g", "h"], size=n)
    return pd.DataFrame(columns), y, group, seed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_frames(), st.sampled_from(["distribution", "gradient"]))
def test_fuzz_fair_distiller_is_clear_or_finite(case, matching):
    frame, y, group, seed = case
    before = frame.copy(deep=True)
    knobs = {"outer_loops": 1, "inner_steps": 1} if matching == "gradient" else None
    distiller = FairDistiller(n_per_class=2, n_iter=2, random_state=seed, device="cpu",
                              matching=matching, matching_params=knobs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X_syn, y_syn = distiller.fit_resample(frame, y, sensitive_features=group)
    except (ValueError, TypeError) as error:
        message = str(error)
        # the argument at fault is named as a word ("X", "y"), not found inside another
        assert re.search(r"(?<!\w)(X|y|sensitive_features)(?!\w)", message), message
        assert len(message) < 2000
        assert not hasattr(distiller, "X_distilled_")
    else:
        assert np.isfinite(np.asarray(X_syn, dtype=float)).all()
        assert len(X_syn) == len(y_syn) == 2 * len(np.unique(y))
        assert list(X_syn.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(frame, before)  # the caller's data untouched


@st.composite
def _csv_tables(draw):
    n = draw(st.integers(2, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    columns = {"sex": rng.choice(["F", "M"], size=n), "label": rng.integers(0, 2, size=n)}
    for j in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["int", "float", "text", "empty", "date"]))
        values = {
            "int": rng.integers(-5, 100, size=n).astype(object),
            "float": rng.normal(size=n).astype(object),
            "text": rng.choice(["x", "y", "z"], size=n).astype(object),
            "empty": np.full(n, None, dtype=object),
            "date": pd.date_range("2024-01-01", periods=n).astype(str).to_numpy(object),
        }[kind]
        values[rng.random(n) < draw(st.sampled_from([0.0, 0.2]))] = None
        columns[f"{kind}{j}"] = values
    frame = pd.DataFrame(columns)
    if draw(st.booleans()):
        frame.loc[rng.random(n) < 0.1, "label"] = None
    return frame


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(_csv_tables(), st.sampled_from(["csv", "parquet"]))
def test_fuzz_command_line_never_modifies_its_input(tmp_path_factory, frame, fmt):
    folder = tmp_path_factory.mktemp("fuzz")
    data = folder / f"in.{fmt}"
    if fmt == "csv":
        frame.to_csv(data, index=False)
    else:
        frame.to_parquet(data)
    before = _digest(data)
    out = folder / f"out.{fmt}"
    try:
        code = _run(data, out)
    except SystemExit as exit_:
        code = exit_.code
        assert code == 2
        assert not out.exists()
    else:
        assert code == 0
        result = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert "label" in result and len(result) >= 2
        numeric = result.select_dtypes("number")
        assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert _digest(data) == before
    # and never onto itself
    with pytest.raises(SystemExit):
        _run(data, data, "--overwrite")
    assert _digest(data) == before
