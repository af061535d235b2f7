"""The command line (skfairdistill._cli.main): ``python -m skfairdistill distill``.

It never destroys data (no --out onto the input, however spelled; no silent
overwrite; the input never modified), checks its paths and options before any work,
chooses its columns and names the columns that drop rows. Reading and writing the
tables is tested in test_tabular_io.py, the demo in test_demo.py.
"""

import functools
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skfairdistill.__main__ import build_parser, main
from skfairdistill._cli.main import table_format

from conftest import CtrlC, cli_distill, make_small_table, usage_error

N_ITER = "5"
_distill = cli_distill
# the small table of the data-loss checks: two rows per class, three iterations
_run = functools.partial(cli_distill, n_per_class=2, n_iter=3)


def _error(capsys, argv):
    """Run ``argv``, expect an argparse error; return its message."""
    return usage_error(capsys, main, argv)


def _usage_error(capsys, *args):
    return usage_error(capsys, _run, *args)


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(params=["csv", "parquet"])
def table_file(request, tmp_path):
    path = tmp_path / f"t.{request.param}"
    frame = make_small_table()
    frame.to_csv(path, index=False) if request.param == "csv" else frame.to_parquet(path)
    return path


# --------------------------------------------------------------------------- results


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
    assert message == "--threads must be a positive integer; got 0"


@pytest.mark.parametrize("alignment", ["barycenter", "groupwise", "none"])
def test_alignments(csv_path, tmp_path, alignment, capsys):
    assert _distill(csv_path, tmp_path / "s.csv", "--alignment", alignment) == 0
    assert f"alignment={alignment}" in capsys.readouterr().out


@pytest.mark.parametrize("matching", ["kmeans", "model"])
def test_matching_option(csv_path, tmp_path, matching, capsys):
    out = tmp_path / "s.csv"
    assert _distill(csv_path, out, "--matching", matching) == 0
    said = capsys.readouterr().out
    assert f"matching={matching}" in said
    assert ("fairness weight kept" in said) == (matching == "model")
    assert len(pd.read_csv(out)) > 0
    base = ["distill", str(csv_path), "--target", "label", "--sensitive", "sex",
            "--out", str(tmp_path / "other.csv"), "--stratify-groups"]
    if matching == "model":
        assert _error(capsys, base + ["--matching", "model"]) == (
            "--stratify-groups needs --matching distribution or kmeans")


# --------------------------------------------------------------------------- columns


def test_features_and_drop_choose_the_columns(tmp_path):
    data = tmp_path / "t.csv"
    make_small_table().assign(id=np.arange(60), name=[f"n{i}" for i in range(60)]).to_csv(
        data, index=False)
    assert _run(data, tmp_path / "a.csv", "--features", "age,hours") == 0
    assert list(pd.read_csv(tmp_path / "a.csv").columns) == ["age", "hours", "label"]
    assert _run(data, tmp_path / "b.csv", "--drop", "id,name") == 0
    assert list(pd.read_csv(tmp_path / "b.csv").columns) == ["age", "hours", "label"]
    assert _run(data, tmp_path / "c.csv", "--features", "age,hours,id", "--drop", "id") == 0
    assert list(pd.read_csv(tmp_path / "c.csv").columns) == ["age", "hours", "label"]


@pytest.mark.parametrize("extra, expected", [
    (["--features", "nope"], r"^--features: column\(s\) \['nope'\] not found"),
    (["--drop", "nope"], r"^--drop: column\(s\) \['nope'\] not found"),
    (["--features", "label"], "^--features cannot include the --target column 'label'"),
    (["--features", "sex,age"], r"^--features includes the sensitive column\(s\) \['sex'\]: "
                                ".*--keep-sensitive"),
    (["--drop", "age,hours"], "has no feature column left besides the target"),
    (["--features", ","], "^--features needs at least one column"),
])
def test_bad_column_choices_are_usage_errors(extra, expected, table_file, tmp_path, capsys,
                                             no_long_work):
    assert re.search(expected, _usage_error(capsys, table_file, tmp_path / "o.csv", *extra))


def test_rows_dropped_for_missing_values_name_the_columns(tmp_path, capsys):
    data = tmp_path / "t.csv"
    frame = make_small_table().assign(notes=np.nan)
    frame.to_csv(data, index=False)
    message = _usage_error(capsys, data, tmp_path / "o.csv")
    assert "fewer than 2 complete rows (0 of 60)" in message
    assert "'notes': 60" in message and "leave a column out with --drop COL" in message
    frame.loc[:4, "hours"] = np.nan
    frame.drop(columns="notes").to_csv(data, index=False)
    assert _run(data, tmp_path / "o.csv") == 0
    assert "dropped 5 of 60 rows" in capsys.readouterr().err


def test_rows_with_missing_values_are_dropped(table, tmp_path, capsys):
    table = table.astype({"job": object})
    table.loc[:9, "job"] = None
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    assert _distill(path, tmp_path / "s.csv") == 0
    captured = capsys.readouterr()
    assert "dropped 10 of 120 rows" in captured.err
    assert "distilled from 110 rows" in captured.out


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
    assert "already exists" in message and "pass --overwrite to replace it" in message
    assert out.read_text() == "precious\n"
    for flag in ("--overwrite", "--force"):
        assert _run(table_file, out, flag) == 0
        assert len(pd.read_csv(out)) == 4


@pytest.mark.parametrize("case, expected", [
    ("data-is-dir", "^DATA .* is a directory"),
    ("data-missing", "^DATA file .* does not exist"),
    ("out-is-dir", "^--out .* is a directory"),
    ("out-folder-missing", "^the folder of --out .* does not exist"),
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
    assert re.search(expected, _usage_error(capsys, data, out))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write into read-only folders")
def test_read_only_output_folder_is_refused_up_front(table_file, tmp_path, capsys,
                                                     no_long_work):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        message = _usage_error(capsys, table_file, folder / "o.csv")
        assert re.search(r"^cannot write --out .*: its folder .* is not writable$", message)
    finally:
        folder.chmod(0o755)


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
    with pytest.raises(SystemExit) as info:
        _run(data, data, "--overwrite")
    assert info.value.code == 2
    assert _digest(data) == before


# --------------------------------------------------------------------------- usage errors


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
        (["--target", "label", "--sensitive", "label"],
         "^--target column 'label' cannot also be a --sensitive column$"),
        (["--target", "label", "--sensitive", "sex", "--n-per-class", "0"],
         "^--n-per-class must be a positive integer; got 0$"),
        (["--target", "label", "--sensitive", "sex", "--device", "tpu"],
         "^--device 'tpu': device must be 'auto', 'cpu', 'cuda'"),
        (["--target", "label", "--sensitive", "sex", "--alignment", "median"],
         "^argument --alignment: invalid choice: 'median'"),
        (["--sensitive", "sex"], "^the following arguments are required: --target$"),
    ],
)
def test_bad_options_are_usage_errors(csv_path, tmp_path, capsys, extra, expected):
    argv = ["distill", str(csv_path), "--out", str(tmp_path / "s.csv"), "--n-iter", "2", *extra]
    assert re.search(expected, _error(capsys, argv))


def test_parquet_errors_are_usage_errors(parquet_path, tmp_path, capsys):
    out = str(tmp_path / "s.csv")
    message = _error(capsys, ["distill", str(parquet_path), "--target", "label",
                              "--sensitive", "sex", "--out", out, "--batch-rows", "0"])
    assert message == "--batch-rows must be a positive integer; got 0"
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not a parquet file")
    message = _error(capsys, ["distill", str(broken), "--target", "label",
                              "--sensitive", "sex", "--out", out])
    assert message.startswith(f"cannot read {broken}")


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


@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "skfairdistill", "--help"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "distill" in result.stdout


def test_id_like_text_columns_are_refused_before_the_long_work(tmp_path, capsys):
    n = 200
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(20, 70, n), "name": [f"person {i}" for i in range(n)],
                          "sex": rng.choice(["F", "M"], n), "label": rng.integers(0, 2, n)})
    frame.to_csv(tmp_path / "people.csv", index=False)
    message = usage_error(capsys, _run, tmp_path / "people.csv", tmp_path / "out.csv")
    assert message.startswith("column(s) 'name' (200 distinct values) of 200 rows look like "
                              "identifiers")
    assert "--drop name" in message and not (tmp_path / "out.csv").exists()
    assert _run(tmp_path / "people.csv", tmp_path / "out.csv", "--drop", "name") == 0
    assert _run(tmp_path / "people.csv", tmp_path / "kept.csv", "--keep-id-columns") == 0


# --------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_ctrl_c_stops_with_130_and_writes_nothing(request, fmt, tmp_path, capsys, monkeypatch):
    import skfairdistill._matching._loop as loop_module

    monkeypatch.setattr(loop_module, "tqdm", CtrlC(2))
    out = tmp_path / "synthetic.csv"
    assert _distill(request.getfixturevalue(f"{fmt}_path"), out) == 130
    captured = capsys.readouterr()
    assert not out.exists() and "wrote" not in captured.out
    assert captured.err.strip().endswith(
        "interrupted: nothing written; --keep-partial writes the synthetic set reached when "
        "the distillation stops")
    assert list(tmp_path.iterdir()) == [request.getfixturevalue(f"{fmt}_path")]  # no temp file


def test_keep_partial_writes_the_set_reached_and_still_exits_130(csv_path, tmp_path, capsys,
                                                                  monkeypatch):
    import skfairdistill._matching._loop as loop_module

    monkeypatch.setattr(loop_module, "tqdm", CtrlC(2))
    out = tmp_path / "synthetic.csv"
    assert _distill(csv_path, out, "--keep-partial") == 130
    err = capsys.readouterr().err
    assert (f"interrupted after 2 of 5 iterations: wrote the PARTIAL synthetic set reached so far "
            f"(6 rows, not converged) to {out} (--keep-partial)") in err
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["age", "score", "job", "race", "label"]
    assert sorted(rows["label"]) == ["no"] * 3 + ["yes"] * 3
    # a run that is not interrupted is not affected by the flag
    monkeypatch.undo()
    assert _distill(csv_path, tmp_path / "full.csv", "--keep-partial") == 0


def test_keep_partial_with_stratified_groups_writes_the_groups_reached(csv_path, tmp_path,
                                                                       capsys, monkeypatch):
    import skfairdistill._matching._loop as loop_module

    monkeypatch.setattr(loop_module, "tqdm", CtrlC(1))
    out = tmp_path / "synthetic.csv"
    assert _distill(csv_path, out, "--keep-partial", "--stratify-groups", n_per_class=4) == 130
    assert "PARTIAL" in capsys.readouterr().err
    assert set(pd.read_csv(out)["sex"]) == {"F"}  # the first group; the second was not run


def test_ctrl_c_while_reading_exits_130_even_with_keep_partial(csv_path, tmp_path, capsys,
                                                               monkeypatch):
    import skfairdistill._cli.tabular_io as tabular_io

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tabular_io, "scan_table", interrupted)
    out = tmp_path / "synthetic.csv"
    assert _distill(csv_path, out, "--keep-partial") == 130
    assert capsys.readouterr().err.strip() == "interrupted: nothing written"
    assert not out.exists()


# --------------------------------------------------------------------------- --target


def _target_table(tmp_path, target):
    n = 700
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"hours": rng.normal(40, 5, n), "sex": rng.choice(["F", "M"], n),
                          "label": target(rng, n)})
    frame.to_csv(tmp_path / "people.csv", index=False)
    return tmp_path / "people.csv"


@pytest.mark.parametrize("target, expected", [
    (lambda rng, n: rng.integers(18, 83, n),
     r"^--target 'label' has 65 classes \(from 18 to 82\): a compact set needs --n-per-class "
     r"rows of every class \(65 x 2 rows here\).*group this one into at most 50 classes"),
    (lambda rng, n: np.array([f"id{i % 60}" for i in range(n)]),
     r"^--target 'label' has 60 classes \(such as 'id0', 'id1', 'id2'\)"),
    (lambda rng, n: rng.integers(0, 2, n) + 0.5,
     r"^--target 'label' holds non-integer numbers \(2 distinct values from 0.5 to 1.5\): it "
     r"looks like a quantity to predict, not class labels"),
], ids=["age-like", "many-labels", "continuous"])
def test_a_target_of_too_many_classes_is_refused_before_the_long_work(
        target, expected, tmp_path, capsys, monkeypatch):
    from skfairdistill._estimators.distiller import FairDistiller

    def not_reached(*args, **kwargs):
        raise AssertionError("distilled a refused target")

    monkeypatch.setattr(FairDistiller, "fit_resample", not_reached)
    path = _target_table(tmp_path, target)
    message = usage_error(capsys, _run, path, tmp_path / "out.csv")
    assert re.match(expected, message), message
    assert not (tmp_path / "out.csv").exists()


def test_a_target_of_many_small_classes_warns_once(tmp_path, capsys):
    path = _target_table(tmp_path, lambda rng, n: rng.integers(0, 40, n))
    assert _run(path, tmp_path / "out.csv", n_per_class=20) == 0
    # one warning for the small classes (the small (class, group) cells have their own)
    warned = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("warning:") and "cell(s) have fewer than" not in line]
    assert len(warned) == 1, warned
    assert re.match(r"^warning: \d+ classes have fewer rows than the synthetic rows asked for: ",
                    warned[0])


def test_help_describes_keep_partial(capsys):
    with pytest.raises(SystemExit):
        main(["distill", "--help"])
    assert "--keep-partial" in capsys.readouterr().out
