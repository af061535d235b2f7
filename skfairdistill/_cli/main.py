"""The command line: ``python -m skfairdistill demo`` and ``python -m skfairdistill distill``."""

import argparse
import contextlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .._config.parameters import ALIGNMENTS
from .columns import (
    feature_columns,
    missing_summary,
    refuse_id_like_columns,
    refuse_target,
    split_columns,
)

DEFAULT_BATCH_ROWS = 65536
_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst")


def _demo(args, parser):
    from .demo import markdown_table, run_demo, summarise

    start = time.perf_counter()
    results = run_demo(
        n_per_class=args.n_per_class,
        seeds=tuple(args.seeds),
        sensitive=args.sensitive,
        n_iter="auto" if args.n_iter is None else args.n_iter,
        device=args.device,
    )
    print(
        f"Adult (sensitive: {args.sensitive}), {args.n_per_class} rows per class, "
        f"logistic regression evaluated on a real held-out 30% split; "
        f"mean ± std over seeds {list(args.seeds)}."
    )
    print(markdown_table(summarise(results)))
    print(f"total wall time: {time.perf_counter() - start:.0f} s")
    return 0


def table_format(path):
    """``"csv"`` or ``"parquet"`` from the file name of ``path``; None when unknown.

    ``.csv`` (optionally compressed: ``.csv.gz``, ``.csv.bz2``, ``.csv.zip``,
    ``.csv.xz``, ``.csv.zst``) is CSV; ``.parquet`` and ``.pq`` are Parquet.
    """
    name = Path(path).name.lower()
    for suffix in _COMPRESSED:
        if name.endswith(".csv" + suffix):
            return "csv"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def _refuse_directories(args, parser):
    """A folder given as DATA or --out is an error that says so (not "does not exist")."""
    if Path(args.data).is_dir():
        parser.error(f"DATA {args.data!r} is a directory; give the path of a .csv or .parquet file")
    if Path(args.out).is_dir():
        parser.error(f"--out {args.out!r} is a directory; give a file name such as "
                     f"{os.path.join(args.out, 'synthetic.csv')!r}")


def _check_paths(args, parser):
    """Refuse, before any reading, every input or output path that cannot work or would lose data.

    The input must be a file; ``--out`` must not be the input however it is spelled
    (relative, ``..``, symbolic or hard link), nor a folder, nor an existing file
    unless ``--overwrite`` is given, and its folder must exist and be writable.
    """
    data, out = Path(args.data), Path(args.out)
    _refuse_directories(args, parser)
    if not data.is_file():
        parser.error(f"DATA file {args.data!r} does not exist")
    out_dir = out.resolve().parent
    if not out_dir.is_dir():
        parser.error(f"the folder of --out {args.out!r} does not exist: {out_dir}")
    if out.exists() or out.is_symlink():
        try:
            same = os.path.samefile(data, out)
        except OSError:  # a dangling link: it points at no file, so not at the input
            same = False
        if same or data.resolve() == out.resolve():
            parser.error(f"--out {args.out!r} is the input file {args.data!r}: writing it would "
                         "destroy the input; choose another --out")
        if not args.overwrite:
            parser.error(f"--out {args.out!r} already exists; choose another file name or pass "
                         "--overwrite to replace it")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        parser.error(f"cannot write --out {args.out!r}: its folder {out_dir} is not writable")


def _distill(args, parser):
    """Read a table, distil it with the encoded features, write readable synthetic rows."""
    _refuse_directories(args, parser)
    in_format, out_format = table_format(args.data), table_format(args.out)
    if in_format is None:
        parser.error(
            f"unknown file extension of DATA {args.data!r}: use .csv (optionally .csv.gz, ...) "
            "or .parquet"
        )
    if out_format is None:
        parser.error(
            f"unknown file extension of --out {args.out!r}: use .csv (optionally .csv.gz, ...) "
            "or .parquet"
        )
    _check_paths(args, parser)

    sensitive = split_columns(args.sensitive)
    if not sensitive:
        parser.error("--sensitive needs at least one column name (COL or COL1,COL2)")
    if args.target in sensitive:
        parser.error(f"--target column {args.target!r} cannot also be a --sensitive column")
    if args.n_per_class < 1:
        parser.error(f"--n-per-class must be a positive integer; got {args.n_per_class}")
    if args.n_iter is not None and args.n_iter < 1:
        parser.error(f"--n-iter must be a positive integer; got {args.n_iter}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be a positive integer; got {args.threads}")

    if args.stratify_groups and args.matching == "model":
        parser.error("--stratify-groups needs --matching distribution or kmeans")
    if args.batch_rows < 1:
        parser.error(f"--batch-rows must be a positive integer; got {args.batch_rows}")
    # the arguments checked first: their errors come before the seconds of importing
    # pandas, scikit-learn and torch
    from .tabular_io import open_table, write_table

    distiller = _distiller(args, parser)

    columns, batches = open_table(args.data, in_format, args.batch_rows, parser)
    missing = [col for col in [args.target, *sensitive] if col not in columns]
    if missing:
        parser.error(
            f"column(s) {missing} not found in {args.data}; "
            f"its columns are: {', '.join(map(str, columns))}"
        )
    features = feature_columns(args, parser, columns, sensitive)

    # a Parquet file's encoded rows go to a temporary float32 file, read in blocks
    folder = (
        tempfile.TemporaryDirectory(prefix="skfairdistill-")
        if in_format == "parquet"
        else contextlib.nullcontext()
    )
    from .._estimators.interrupted import DistillationInterrupted

    with folder as directory:
        table, X = _encode(args, parser, batches, features, sensitive, directory)
        stop = None
        try:
            X_syn, y_syn, seconds = _fit(args, parser, distiller, table, X)
        except DistillationInterrupted as error:
            if not args.keep_partial:
                raise  # main: exit status 130, nothing written
            stop, X_syn, y_syn = error, error.X_partial, error.y_partial
        del X

    groups_of_rows = distiller.groups_distilled_ if stop is None else stop.groups_partial
    rows = _readable_rows(args, table, columns, sensitive, X_syn, y_syn, groups_of_rows)
    write_table(rows, args.out, out_format, parser)
    if stop is not None:
        print(f"interrupted after {stop.n_iter_done} of {stop.n_iter_planned} iterations: wrote "
              f"the PARTIAL synthetic set reached so far ({len(rows)} rows, not converged) to "
              f"{args.out} (--keep-partial)", file=sys.stderr)
        return 130

    n_groups = 1 if distiller.groups_ is None else len(distiller.groups_)
    print(
        f"wrote {len(rows)} synthetic rows ({args.n_per_class} per class, "
        f"{len(distiller.classes_)} classes) to {args.out}: distilled from "
        f"{table.n_complete} rows, {len(features)} feature columns ({X_syn.shape[1]} "
        f"encoded), {n_groups} groups of {', '.join(sensitive)}, matching={args.matching}, "
        f"alignment={args.alignment}, {distiller.n_iter_} iterations on {distiller.device_} "
        f"in {seconds:.1f} s" + ("" if distiller.fairness_weight_ is None else
                                 f", fairness weight kept {distiller.fairness_weight_:g}")
    )
    return 0


def _readable_rows(args, table, columns, sensitive, X_syn, y_syn, groups_of_rows):
    """The synthetic rows decoded into the input's columns, in its order."""
    import pandas as pd

    rows = table.encoder.inverse_transform(X_syn)
    try:
        rows[args.target] = pd.Series(y_syn).astype(table.target.dtype)
    except (TypeError, ValueError):
        rows[args.target] = y_syn
    if groups_of_rows is not None:  # --stratify-groups: every row's group
        groups = pd.DataFrame(list(groups_of_rows), columns=sensitive)
        for col in sensitive:
            if col not in rows.columns:
                rows[col] = groups[col].to_numpy()
    return rows[[col for col in columns if col in rows.columns]]


def _encode(args, parser, batches, features, sensitive, directory):
    """Scan the table, check it, encode its complete rows (in ``directory`` if given)."""
    from .tabular_io import encode_table, scan_table

    try:
        table = scan_table(batches, features=features, target=args.target, sensitive=sensitive)
    except (OSError, ValueError, TypeError) as error:
        parser.error(f"cannot read {args.data}: {error}")
    if table.n_complete < table.n_rows:
        print(
            f"note: dropped {table.n_rows - table.n_complete} of {table.n_rows} rows with "
            f"missing values; {missing_summary(table.missing)}",
            file=sys.stderr,
        )
    if table.n_complete < 2:
        parser.error(
            f"{args.data} has fewer than 2 complete rows ({table.n_complete} of "
            f"{table.n_rows}); {missing_summary(table.missing)}"
        )
    refuse_id_like_columns(args, parser, table)
    refuse_target(args, parser, table)
    try:
        X = encode_table(batches, table, directory)
    except (OSError, ValueError, TypeError) as error:
        parser.error(f"cannot read {args.data}: {error}")
    return table, X


def _distiller(args, parser):
    """The FairDistiller of the options; a bad --device is an error before any reading."""
    from .._runtime.device import resolve_device
    from .._estimators.distiller import FairDistiller

    try:
        resolve_device(args.device)
    except (ValueError, TypeError) as error:
        parser.error(f"--device {args.device!r}: {error}")
    return FairDistiller(
        n_per_class=args.n_per_class,
        alignment=args.alignment,
        matching=args.matching,
        stratify_groups=args.stratify_groups,
        n_iter="auto" if args.n_iter is None else args.n_iter,
        device=args.device,
        random_state=args.random_state,
        verbose=int(args.verbose),
        n_threads="auto" if args.threads is None else args.threads,
    )


def _fit(args, parser, distiller, table, X):
    """Distil ``X``; return the synthetic rows and the seconds taken."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_syn, y_syn = distiller.fit_resample(
                X, table.target.to_numpy(), sensitive_features=table.groups
            )
        except (ValueError, TypeError) as error:
            parser.error(f"cannot distil {args.data}: {error}")
        except KeyboardInterrupt:
            _print_warnings(caught)  # said before the program stops
            raise
    seconds = time.perf_counter() - start
    _print_warnings(caught)
    return X_syn, y_syn, seconds


def _print_warnings(caught):
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)


def build_parser():
    """The ``argparse`` parser of ``python -m skfairdistill``."""
    parser = argparse.ArgumentParser(
        prog="python -m skfairdistill",
        description="Fair dataset distillation (COBRA cross-group barycenter alignment).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="distil the bundled Adult data; compare full data, a random subset, "
        "k-means prototypes, vanilla, FairDD, COBRA and model matching on accuracy, DEO_M, "
        "DEO_A and time",
    )
    demo.add_argument("--n-per-class", type=int, default=10, help="synthetic rows per class")
    demo.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random seeds")
    demo.add_argument("--sensitive", choices=["sex", "race"], default="sex")
    demo.add_argument("--n-iter", type=int, default=None,
                      help="distillation iterations (default: FairDistiller's own, 1000 for "
                      "tables, 600 for model matching)")
    demo.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    demo.set_defaults(handler=_demo, subparser=demo)

    distill = commands.add_parser(
        "distill",
        help="distil a CSV or Parquet table into a small synthetic one",
        description="Distil a table (CSV or Parquet) into a small, fair synthetic table with "
        "--n-per-class rows per class of --target, written in the same columns (CSV or "
        "Parquet, by the extension of --out). Text columns are one-hot encoded for the "
        "distillation and decoded back to their most likely category; numeric columns are "
        "written on their original scale (integers rounded, clipped to the observed range). "
        "Rows with a missing value in a used column are dropped (the note names the columns; "
        "choose columns with --features or --drop). An integer column with blank cells "
        "stays an integer column. The input is never modified, and an existing --out is "
        "replaced only with --overwrite. The synthetic rows carry no "
        "group label: the sensitive columns are left out of the features and of the output "
        "unless --keep-sensitive is given.",
        epilog="example: python -m skfairdistill distill adult.csv --target income "
        "--sensitive sex,race --n-per-class 10 --out synthetic.csv",
    )
    distill.add_argument(
        "data", metavar="DATA", help="input table: .csv (optionally .csv.gz, ...) or .parquet"
    )
    distill.add_argument(
        "--target", required=True, metavar="COL", help="column of the class labels"
    )
    distill.add_argument(
        "--sensitive",
        required=True,
        metavar="COL[,COL]",
        help="sensitive column(s), comma-separated; several columns form intersectional groups",
    )
    distill.add_argument(
        "--n-per-class", type=int, default=10, metavar="N",
        help="synthetic rows per class (default: 10)",
    )
    distill.add_argument(
        "--out", required=True, metavar="PATH",
        help="output table: .csv (optionally .csv.gz, ...) or .parquet",
    )
    distill.add_argument(
        "--alignment",
        choices=ALIGNMENTS,
        default="barycenter",
        help="matching target: barycenter (COBRA, default), groupwise (FairDD) or none "
        "(vanilla distillation, leans towards the majority group)",
    )
    distill.add_argument(
        "--matching", choices=("distribution", "kmeans", "model"), default="distribution",
        help="how the rows are fitted: distribution (matching, default), kmeans "
        "(group-balanced prototypes) or model (rows fitted so that a logistic regression "
        "trained on them is accurate and no less fair than the data's on real rows)",
    )
    distill.add_argument(
        "--n-iter", type=int, default=None, metavar="N",
        help="distillation iterations (default: FairDistiller's own, 1000 for tables, "
        "600 for --matching model)",
    )
    distill.add_argument(
        "--random-state", type=int, default=0, metavar="S",
        help="seed; the same seed on the CPU gives identical output (default: 0)",
    )
    distill.add_argument(
        "--device", default="auto",
        help="auto (CUDA when available), cpu, cuda or cuda:N (default: auto)",
    )
    distill.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help="CPU threads of the distillation (default: sized to the work, see "
        "FairDistiller's n_threads)",
    )
    distill.add_argument(
        "--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, metavar="N",
        help="rows read at a time from a Parquet DATA (default: %(default)s). A Parquet "
        "table is never loaded whole: it is read twice in batches, and its encoded rows "
        "are written to a temporary float32 .npy file (in TMPDIR, removed at the end) that "
        "the distiller reads in blocks. A CSV table is read whole",
    )
    distill.add_argument(
        "--features", metavar="COL[,COL]",
        help="feature columns, comma-separated (default: every column but --target and "
        "--sensitive). Leave out ids, names, free text and dates: text columns are one-hot "
        "encoded",
    )
    distill.add_argument(
        "--drop", metavar="COL[,COL]",
        help="columns to leave out of the features (and of the output), comma-separated",
    )
    distill.add_argument(
        "--overwrite", "--force", action="store_true",
        help="replace --out if it exists (it is never the input file: that is refused)",
    )
    distill.add_argument(
        "--keep-sensitive", action="store_true",
        help="keep the sensitive columns among the features (and in the output)",
    )
    distill.add_argument(
        "--keep-id-columns", action="store_true",
        help="encode text columns with more than half as many distinct values as rows "
             "(refused by default: names, dates and ids would each become a column)")
    distill.add_argument(
        "--stratify-groups", action="store_true",
        help="give every group its own synthetic rows, each group distilled on its own "
        "(FairDistiller's stratify_groups); the output then has the sensitive columns: "
        "every row's group",
    )
    distill.add_argument(
        "--keep-partial", action="store_true",
        help="on Ctrl-C during the distillation, write the synthetic set reached so far "
        "(not converged; the exit status is still 130). Without it Ctrl-C writes nothing",
    )
    distill.add_argument(
        "--verbose", action="store_true", help="show a progress bar with the matching loss"
    )
    distill.set_defaults(handler=_distill, subparser=distill)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, args.subparser)
    except KeyboardInterrupt:
        # Ctrl-C stops the program with the shells' status of SIGINT (128 + 2)
        hint = ""
        if args.command == "distill" and not args.keep_partial:
            hint = "; --keep-partial writes the synthetic set reached when the distillation stops"
        print(f"interrupted: nothing written{hint}", file=sys.stderr)
        return 130
