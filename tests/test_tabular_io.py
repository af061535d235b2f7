"""Reading and writing the command line's tables (skfairdistill._cli.tabular_io).

CSV read once with pandas' nullable dtypes (integer and True/False columns with blanks
stay integers and flags), Parquet read in batches that give the whole table's result,
the encoded features in a temporary memory map, writes that never leave a half file.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skfairdistill import FairDistiller
from skfairdistill._cli.tabular_io import encode_table, parquet_batches, read_csv, scan_table
from skfairdistill.preprocessing import TabularEncoder

from conftest import cli_distill, make_small_table, usage_error

N_ITER = "5"
_distill = cli_distill


def _run(data, out, *extra):
    return cli_distill(data, out, *extra, n_per_class=2, n_iter=3)


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


# --------------------------------------------------------------------------- CSV


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
    frame = make_small_table().astype({"age": float})
    frame.loc[3, "age"] = np.nan
    frame.to_csv(data, index=False)  # written 25.0: a float column
    assert _run(data, tmp_path / "o.csv") == 0
    assert pd.read_csv(tmp_path / "o.csv")["age"].dtype == np.float64


# --------------------------------------------------------------------------- Parquet


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
    with pytest.raises(SystemExit) as info:
        _distill(parquet_path, tmp_path / "s.csv")
    assert info.value.code == 2
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


def test_a_table_that_changes_between_the_passes_is_an_error(table):
    features = ["age", "score", "job", "race"]
    calls = []

    def batches(columns):
        calls.append(columns)
        return iter([table[columns].iloc[: 120 - 10 * (len(calls) - 1)]])

    scan = scan_table(batches, features=features, target="label", sensitive=["sex"])
    with pytest.raises(ValueError, match="changed while it was read"):
        encode_table(batches, scan)


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_failed_write_leaves_the_previous_output(fmt, tmp_path, monkeypatch, capsys):
    table_file = tmp_path / "in" / f"t.{fmt}"
    table_file.parent.mkdir()
    frame = make_small_table()
    frame.to_csv(table_file, index=False) if fmt == "csv" else frame.to_parquet(table_file)
    out = tmp_path / "out.csv"
    out.write_text("previous\n")

    def broken(self, path, **kwargs):
        Path(path).write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    message = usage_error(capsys, _run, table_file, out, "--overwrite")
    assert message.startswith(f"cannot write {out}") and "disk full" in message
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_full_disk_is_a_clear_error_and_leaves_no_file(csv_path, tmp_path, capsys,
                                                         monkeypatch):
    import errno

    def full(self, path, *args, **kwargs):
        with open(path, "w") as handle:
            handle.write("age,sex\n1,")  # half a table, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "synthetic.csv"
    with pytest.raises(SystemExit) as exit_info:
        cli_distill(csv_path, out)
    assert exit_info.value.code == 2
    assert f"cannot write {out}: [Errno 28] No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([csv_path.name])


def test_a_run_killed_while_writing_leaves_no_file_under_the_name(csv_path, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "synthetic.csv"
    killed_while_writing = f"""
import os, signal, sys
import pandas as pd
def killed(self, path, *args, **kwargs):
    with open(path, "w") as handle:
        handle.write("age,sex\\n1,")
        handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)
pd.DataFrame.to_csv = killed
from skfairdistill._cli.main import main
main(["distill", {str(csv_path)!r}, "--target", "label", "--sensitive", "sex",
      "--n-per-class", "2", "--n-iter", "3", "--out", {str(out)!r}])
"""
    result = subprocess.run([sys.executable, "-c", killed_while_writing], capture_output=True)
    assert result.returncode == -9  # SIGKILL
    assert not out.exists()


@pytest.mark.parametrize("nested", [[1, 2], {"a": 1}])
def test_list_and_struct_columns_are_refused_naming_them(tmp_path, capsys, nested):
    n = 40
    frame = pd.DataFrame({"age": np.arange(n), "nested": [nested] * n,
                          "sex": ["F", "M"] * (n // 2), "label": np.arange(n) % 2})
    frame.to_parquet(tmp_path / "t.parquet")
    message = usage_error(capsys, cli_distill, tmp_path / "t.parquet", tmp_path / "o.parquet")
    assert "column 'nested' holds" in message and "a list or struct column" in message


def test_the_output_file_gets_the_permissions_of_the_umask(csv_path, tmp_path):
    import os
    import stat

    previous = os.umask(0o022)
    try:
        out = tmp_path / "synthetic.csv"
        assert cli_distill(csv_path, out) == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600
    finally:
        os.umask(previous)


def _compressed(table, path, cut):
    """``table`` written compressed to ``path``, then cut to its first half or garbled."""
    table.to_csv(path, index=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if cut else data[:10] + bytes(range(256)) * 4)
    return path


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip"])
@pytest.mark.parametrize("cut", [True, False], ids=["cut-short", "garbled"])
def test_a_damaged_compressed_csv_is_a_clear_error_naming_it(table, tmp_path, capsys, suffix,
                                                             cut):
    # gzip cut short raises EOFError, garbled zlib.error, xz LZMAError, zip BadZipFile:
    # none is an OSError or a ValueError
    data = _compressed(table, tmp_path / f"data.csv{suffix}", cut)
    message = usage_error(capsys, cli_distill, data, tmp_path / "out.csv")
    assert message.startswith(f"cannot read {data}: ")
    assert not (tmp_path / "out.csv").exists()


def test_a_folder_the_temporary_file_cannot_be_made_in_is_a_clear_error(csv_path, tmp_path,
                                                                        capsys, monkeypatch):
    # as root, os.access says every folder is writable: the error comes from mkstemp itself
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    out = tmp_path / "synthetic.csv"
    message = usage_error(capsys, cli_distill, csv_path, out)
    assert message == f"cannot write {out}: [Errno 13] Permission denied"
    assert not out.exists()
