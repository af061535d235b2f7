"""The command line: ``python -m skfairdistill demo`` and ``python -m skfairdistill distill``."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skfairdistill import FairDistiller
from skfairdistill.__main__ import build_parser, main
from skfairdistill._cli.main import table_format
from skfairdistill._cli.tabular_io import encode_table, parquet_batches, scan_table
from skfairdistill.preprocessing import TabularEncoder

N_ITER = "5"


@pytest.fixture
def table():
    """120 rows: int, float and text features, two sensitive columns, a text target."""
    rng = np.random.default_rng(0)
    n = 120
    label = np.where(np.arange(n) % 2 == 0, "yes", "no")
    return pd.DataFrame(
        {
            "age": rng.integers(18, 70, size=n),
            "sex": rng.choice(["F", "M"], size=n, p=[0.3, 0.7]),
            "score": rng.normal(50.0, 10.0, size=n) + 5.0 * (label == "yes"),
            "job": rng.choice(["clerk", "nurse", "chef"], size=n),
            "race": rng.choice(["x", "y"], size=n),
            "label": label,
        }
    )


@pytest.fixture
def csv_path(table, tmp_path):
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    return path


def _distill(data, out, *extra):
    return main(
        ["distill", str(data), "--target", "label", "--sensitive", "sex",
         "--n-per-class", "3", "--n-iter", N_ITER, "--device", "cpu",
         "--out", str(out), *extra]
    )


def _error(capsys, argv):
    """Run ``argv``, expect an argparse error; return its message."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


def test_csv_to_csv_gives_readable_rows(table, csv_path, tmp_path, capsys):
    out = tmp_path / "synthetic.csv"
    assert _distill(csv_path, out) == 0
    assert "wrote 6 synthetic rows" in capsys.readouterr().out
    rows = pd.read_csv(out)
    # original column order, sensitive column left out by default
    assert list(rows.columns) == ["age", "score", "job", "race", "label"]
    assert len(rows) == 6
    assert sorted(rows["label"]) == ["no"] * 3 + ["yes"] * 3
    assert set(rows["job"]) <= {"clerk", "nurse", "chef"}
    assert set(rows["race"]) <= {"x", "y"}
    # integers stay integers, numbers stay in the observed range
    assert pd.api.types.is_integer_dtype(rows["age"])
    assert rows["age"].between(table["age"].min(), table["age"].max()).all()
    assert rows["score"].between(table["score"].min(), table["score"].max()).all()


def test_parquet_round_trip(table, tmp_path):
    source = tmp_path / "data.parquet"
    table.to_parquet(source)
    out = tmp_path / "synthetic.parquet"
    assert _distill(source, out) == 0
    rows = pd.read_parquet(out)
    assert len(rows) == 6 and "sex" not in rows
    assert rows["age"].dtype == table["age"].dtype
    # Parquet in, CSV out
    assert _distill(source, tmp_path / "synthetic.csv") == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "synthetic.csv"), rows,
                                  check_dtype=False)


@pytest.fixture
def parquet_path(table, tmp_path):
    """The table as Parquet in 5 row groups of 25 rows (the last one 20)."""
    path = tmp_path / "data.parquet"
    table.to_parquet(path, row_group_size=25)
    return path


@pytest.fixture
def no_whole_parquet_read(monkeypatch, parquet_path):
    """Fail the test if anything reads the Parquet input whole with pandas."""
    read_parquet = pd.read_parquet

    def refuse(path, *args, **kwargs):
        assert Path(path) != parquet_path, "the Parquet input was read whole"
        return read_parquet(path, *args, **kwargs)

    monkeypatch.setattr(pd, "read_parquet", refuse)


def _reference(table, out, **params):
    """What the command line writes, computed here on the whole table in memory."""
    features = ["age", "score", "job", "race"]
    encoder = TabularEncoder(scale_numeric=False).fit(table[features])
    X = encoder.transform(table[features]).astype(np.float32)
    X_syn, y_syn = FairDistiller(
        n_per_class=3, n_iter=int(N_ITER), device="cpu", **params
    ).fit_resample(X, table["label"].to_numpy(), sensitive_features=table["sex"])
    rows = encoder.inverse_transform(X_syn)
    rows["label"] = y_syn
    rows.to_csv(out, index=False)
    return out.read_text()


def test_parquet_read_in_batches_gives_the_whole_table_result(
    table, parquet_path, tmp_path, no_whole_parquet_read
):
    expected = _reference(table, tmp_path / "reference.csv", random_state=4)
    for batch_rows in ("16", "1000"):  # 8 batches across the row groups; one batch
        out = tmp_path / f"batches_{batch_rows}.csv"
        assert _distill(parquet_path, out, "--random-state", "4",
                        "--batch-rows", batch_rows) == 0
        assert out.read_text() == expected
    # the same table as CSV (read whole, into memory) gives the same rows
    table.to_csv(tmp_path / "data.csv", index=False)
    assert _distill(tmp_path / "data.csv", tmp_path / "csv.csv", "--random-state", "4") == 0
    assert (tmp_path / "csv.csv").read_text() == expected


def test_parquet_in_batches_round_trips_text_columns(table, parquet_path, tmp_path,
                                                     no_whole_parquet_read):
    out = tmp_path / "synthetic.parquet"
    assert _distill(parquet_path, out, "--batch-rows", "7", "--keep-sensitive") == 0
    rows = pd.read_parquet(out)
    assert list(rows.columns) == list(table.columns)
    assert (rows.dtypes == table.dtypes).all()
    for col, values in [("sex", {"F", "M"}), ("job", {"clerk", "nurse", "chef"}),
                        ("race", {"x", "y"}), ("label", {"yes", "no"})]:
        assert set(rows[col]) <= values
    assert sorted(rows["label"]) == ["no"] * 3 + ["yes"] * 3


def test_parquet_scan_fits_the_encoder_of_the_whole_table(table, parquet_path):
    features = ["age", "score", "job", "race"]
    batches = parquet_batches(parquet_path, batch_rows=16)
    scan = scan_table(batches, features=features, target="label", sensitive=["sex"])
    whole = TabularEncoder(scale_numeric=False).fit(table[features])
    assert scan.n_rows == scan.n_complete == len(table)
    assert list(scan.encoder.get_feature_names_out()) == list(whole.get_feature_names_out())
    pd.testing.assert_series_equal(scan.encoder.numeric_min_, whole.numeric_min_)
    pd.testing.assert_series_equal(scan.encoder.numeric_max_, whole.numeric_max_)
    pd.testing.assert_series_equal(scan.target, table["label"])
    pd.testing.assert_series_equal(scan.groups, table["sex"])
    X = encode_table(batches, scan)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, whole.transform(table[features]).astype(np.float32))


def test_parquet_features_go_to_a_temporary_memory_map(parquet_path, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = {}
    fit_resample = FairDistiller.fit_resample

    def spy(self, X, y, **kwargs):
        seen["X"], seen["file"] = type(X), Path(X.filename)
        seen["existed"] = seen["file"].is_file()
        return fit_resample(self, X, y, **kwargs)

    monkeypatch.setattr(FairDistiller, "fit_resample", spy)
    assert _distill(parquet_path, tmp_path / "s.csv", "--batch-rows", "32") == 0
    assert seen["X"] is np.memmap and seen["existed"]
    folder = seen["file"].parent
    assert seen["file"].suffix == ".npy" and folder.parent == scratch
    assert folder.name.startswith("skfairdistill-") and not folder.exists()  # removed

    def fail(self, X, y, **kwargs):
        seen["existed"] = Path(X.filename).is_file()
        raise ValueError("boom")

    # also when an error stops the command after the file was written
    monkeypatch.setattr(FairDistiller, "fit_resample", fail)
    with pytest.raises(SystemExit):
        _distill(parquet_path, tmp_path / "s.csv")
    assert seen["existed"] and not list(scratch.glob("skfairdistill-*"))


def test_parquet_missing_values_are_dropped_batch_by_batch(table, tmp_path, capsys):
    table = table.astype({"job": object, "age": float})
    table.loc[:9, "job"] = None  # in the first batch
    table.loc[100:104, "age"] = np.nan  # in a later one: age is then a float column
    table.to_parquet(tmp_path / "data.parquet", row_group_size=30)
    table.to_csv(tmp_path / "data.csv", index=False)
    assert _distill(tmp_path / "data.parquet", tmp_path / "p.csv", "--batch-rows", "20") == 0
    captured = capsys.readouterr()
    assert "dropped 15 of 120 rows" in captured.err
    assert "distilled from 105 rows" in captured.out
    assert _distill(tmp_path / "data.csv", tmp_path / "c.csv") == 0
    assert (tmp_path / "p.csv").read_text() == (tmp_path / "c.csv").read_text()


def test_parquet_errors_are_usage_errors(parquet_path, tmp_path, capsys):
    out = str(tmp_path / "s.csv")
    message = _error(capsys, ["distill", str(parquet_path), "--target", "label",
                              "--sensitive", "sex", "--out", out, "--batch-rows", "0"])
    assert "--batch-rows must be a positive integer" in message
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not a parquet file")
    message = _error(capsys, ["distill", str(broken), "--target", "label",
                              "--sensitive", "sex", "--out", out])
    assert f"cannot read {broken}" in message


def test_a_table_that_changes_between_the_passes_is_an_error(table):
    features = ["age", "score", "job", "race"]
    calls = []

    def batches(columns):
        calls.append(columns)
        return iter([table[columns].iloc[: 120 - 10 * (len(calls) - 1)]])

    scan = scan_table(batches, features=features, target="label", sensitive=["sex"])
    with pytest.raises(ValueError, match="changed while it was read"):
        encode_table(batches, scan)


def test_keep_sensitive_and_intersectional_groups(csv_path, tmp_path, capsys):
    out = tmp_path / "synthetic.csv"
    argv = ["distill", str(csv_path), "--target", "label", "--sensitive", "sex, race",
            "--n-per-class", "2", "--n-iter", N_ITER, "--out", str(out), "--keep-sensitive"]
    assert main(argv) == 0
    assert "4 groups of sex, race" in capsys.readouterr().out
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["age", "sex", "score", "job", "race", "label"]
    assert set(rows["sex"]) <= {"F", "M"}


def test_sensitive_columns_are_not_features_by_default(csv_path, tmp_path, capsys):
    out = tmp_path / "synthetic.csv"
    assert main(["distill", str(csv_path), "--target", "label", "--sensitive", "sex,race",
                 "--n-per-class", "2", "--n-iter", N_ITER, "--out", str(out)]) == 0
    assert "3 feature columns (5 encoded)" in capsys.readouterr().out
    assert list(pd.read_csv(out).columns) == ["age", "score", "job", "label"]


@pytest.mark.parametrize("sensitive, columns", [
    ("sex", ["age", "sex", "score", "job", "race", "label"]),
    ("sex,race", ["age", "sex", "score", "job", "race", "label"]),
])
def test_stratify_groups_writes_every_rows_group(csv_path, tmp_path, sensitive, columns):
    out = tmp_path / "synthetic.csv"
    assert main(["distill", str(csv_path), "--target", "label", "--sensitive", sensitive,
                 "--n-per-class", "4", "--n-iter", N_ITER, "--out", str(out),
                 "--stratify-groups"]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == columns
    names = sensitive.split(",")
    # every group of a class has its share of the class's rows (4 split evenly)
    for _, part in rows.groupby("label"):
        counts = part.groupby(names).size()
        assert counts.sum() == 4 and counts.max() - counts.min() <= 1


def test_stratify_groups_from_parquet(parquet_path, tmp_path):
    """A Parquet table's rows go to a memory map: it is read one group at a time."""
    out = tmp_path / "synthetic.csv"
    assert _distill(parquet_path, out, "--stratify-groups") == 0
    assert set(pd.read_csv(out)["sex"]) == {"F", "M"}


def test_same_seed_same_file(csv_path, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        assert _distill(csv_path, out, "--random-state", "3") == 0
    assert first.read_text() == second.read_text()


def test_threads_option_sets_n_threads(csv_path, tmp_path, capsys):
    from skfairdistill._cli.main import _distiller

    parser = build_parser()
    base = ["distill", str(csv_path), "--target", "label", "--sensitive", "sex",
            "--out", str(tmp_path / "x.csv")]
    assert _distiller(parser.parse_args(base + ["--threads", "3"]), parser).n_threads == 3
    assert _distiller(parser.parse_args(base), parser).n_threads == "auto"
    assert _distill(csv_path, tmp_path / "one.csv", "--threads", "1") == 0
    message = _error(capsys, base + ["--threads", "0"])
    assert "--threads must be a positive integer" in message


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise", "none"])
def test_alignments(csv_path, tmp_path, alignment, capsys):
    assert _distill(csv_path, tmp_path / "s.csv", "--alignment", alignment) == 0
    assert f"alignment={alignment}" in capsys.readouterr().out


def test_rows_with_missing_values_are_dropped(table, tmp_path, capsys):
    table = table.astype({"job": object})
    table.loc[:9, "job"] = None
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    assert _distill(path, tmp_path / "s.csv") == 0
    captured = capsys.readouterr()
    assert "dropped 10 of 120 rows" in captured.err
    assert "distilled from 110 rows" in captured.out


@pytest.mark.parametrize("data", ["csv_path", "parquet_path"])
def test_missing_column_is_a_usage_error(data, request, tmp_path, capsys):
    data = request.getfixturevalue(data)
    out = str(tmp_path / "s.csv")
    message = _error(capsys, ["distill", str(data), "--target", "income",
                              "--sensitive", "sex", "--out", out])
    assert "['income'] not found" in message and "age, sex, score, job, race, label" in message
    message = _error(capsys, ["distill", str(data), "--target", "label",
                              "--sensitive", "sex,gender", "--out", out])
    assert "['gender'] not found" in message


def test_unknown_extensions_are_usage_errors(csv_path, tmp_path, capsys):
    message = _error(capsys, ["distill", str(tmp_path / "data.txt"), "--target", "label",
                              "--sensitive", "sex", "--out", str(tmp_path / "s.csv")])
    assert "unknown file extension of DATA" in message
    message = _error(capsys, ["distill", str(csv_path), "--target", "label",
                              "--sensitive", "sex", "--out", str(tmp_path / "s.json")])
    assert "unknown file extension of --out" in message


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--target", "label", "--sensitive", "label"], "cannot also be a --sensitive"),
        (["--target", "label", "--sensitive", "sex", "--n-per-class", "0"], "--n-per-class"),
        (["--target", "label", "--sensitive", "sex", "--device", "tpu"], "device must be"),
        (["--target", "label", "--sensitive", "sex", "--alignment", "median"], "invalid choice"),
        (["--sensitive", "sex"], "--target"),
    ],
)
def test_bad_options_are_usage_errors(csv_path, tmp_path, capsys, extra, expected):
    argv = ["distill", str(csv_path), "--out", str(tmp_path / "s.csv"), "--n-iter", "2", *extra]
    assert expected in _error(capsys, argv)


def test_missing_input_file_and_output_folder(csv_path, tmp_path, capsys):
    message = _error(capsys, ["distill", str(tmp_path / "nope.csv"), "--target", "label",
                              "--sensitive", "sex", "--out", str(tmp_path / "s.csv")])
    assert "does not exist" in message
    message = _error(capsys, ["distill", str(csv_path), "--target", "label", "--sensitive",
                              "sex", "--out", str(tmp_path / "no" / "s.csv")])
    assert "folder of --out" in message


def test_single_class_target_is_a_usage_error(table, tmp_path, capsys):
    path = tmp_path / "data.csv"
    table.assign(label="yes").to_csv(path, index=False)
    message = _error(capsys, ["distill", str(path), "--target", "label", "--sensitive", "sex",
                              "--out", str(tmp_path / "s.csv"), "--n-iter", "2"])
    assert "only one class" in message


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["distill", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--target", "--sensitive", "--n-per-class", "--out", "--alignment",
                   "--n-iter", "--random-state", "--device", "--keep-sensitive", "DATA",
                   "--batch-rows", "--stratify-groups",
                   "barycenter", "groupwise", "Parquet", "one-hot"):
        assert option in text


def test_table_format():
    assert table_format("a.csv") == table_format("dir/A.CSV.GZ") == "csv"
    assert table_format("a.parquet") == table_format("a.pq") == "parquet"
    assert table_format("a.json") is None and table_format("csv") is None


def test_demo_options_are_unchanged():
    args = build_parser().parse_args(["demo"])
    assert (args.n_per_class, args.seeds, args.sensitive, args.n_iter, args.device) == (
        10, [0, 1, 2], "sex", 1000, "auto"
    )


def test_demo_runs_the_comparison(monkeypatch, capsys):
    import skfairdistill._cli.demo as demo

    calls = {}

    def fake_run_demo(**kwargs):
        calls.update(kwargs)
        return pd.DataFrame(
            {"method": ["full data", "COBRA"], "seed": [0, 0], "accuracy": [0.85, 0.81],
             "deo_max": [0.08, 0.10], "deo_mean": [0.07, 0.07], "seconds": [np.nan, 3.0]}
        )

    monkeypatch.setattr(demo, "run_demo", fake_run_demo)
    assert main(["demo", "--seeds", "0", "--n-iter", "7", "--sensitive", "race"]) == 0
    assert calls == dict(n_per_class=10, seeds=(0,), sensitive="race", n_iter=7, device="auto")
    out = capsys.readouterr().out
    assert "| method | accuracy | DEO_M | DEO_A | distill time (s) |" in out
    assert "| COBRA | 0.810 ± 0.000 |" in out


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "skfairdistill", "--help"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "distill" in result.stdout
