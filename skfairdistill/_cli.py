"""The command line: ``python -m skfairdistill demo`` and ``python -m skfairdistill distill``."""

import argparse
import sys
import time
import warnings
from pathlib import Path

_ALIGNMENTS = ("barycenter", "groupwise", "none")
_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst")


def _demo(args, parser):
    from ._demo import markdown_table, run_demo, summarise

    start = time.perf_counter()
    results = run_demo(
        n_per_class=args.n_per_class,
        seeds=tuple(args.seeds),
        sensitive=args.sensitive,
        n_iter=args.n_iter,
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


def _read_table(path, fmt, parser):
    import pandas as pd

    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except ImportError as error:
        parser.error(f"cannot read {path}: {error} (Parquet needs pyarrow: pip install pyarrow)")
    except (OSError, ValueError) as error:  # unreadable, empty or malformed file
        parser.error(f"cannot read {path}: {error}")


def _write_table(frame, path, fmt, parser):
    try:
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    except ImportError as error:
        parser.error(f"cannot write {path}: {error} (Parquet needs pyarrow: pip install pyarrow)")
    except (OSError, ValueError) as error:
        parser.error(f"cannot write {path}: {error}")


def _split_columns(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def _distill(args, parser):
    """Read a table, distil it with the encoded features, write readable synthetic rows."""
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
    if not Path(args.data).is_file():
        parser.error(f"DATA file {args.data!r} does not exist")
    out_dir = Path(args.out).resolve().parent
    if not out_dir.is_dir():
        parser.error(f"the folder of --out {args.out!r} does not exist: {out_dir}")

    sensitive = _split_columns(args.sensitive)
    if not sensitive:
        parser.error("--sensitive needs at least one column name (COL or COL1,COL2)")
    if args.target in sensitive:
        parser.error(f"--target column {args.target!r} cannot also be a --sensitive column")
    if args.n_per_class < 1:
        parser.error(f"--n-per-class must be a positive integer; got {args.n_per_class}")
    if args.n_iter < 1:
        parser.error(f"--n-iter must be a positive integer; got {args.n_iter}")

    frame = _read_table(args.data, in_format, parser)
    missing = [col for col in [args.target, *sensitive] if col not in frame.columns]
    if missing:
        parser.error(
            f"column(s) {missing} not found in {args.data}; "
            f"its columns are: {', '.join(map(str, frame.columns))}"
        )
    features = [
        col
        for col in frame.columns
        if col != args.target and (args.keep_sensitive or col not in sensitive)
    ]
    if not features:
        parser.error(f"{args.data} has no feature column besides the target and sensitive ones")

    used = frame[list(dict.fromkeys([*features, args.target, *sensitive]))]
    complete = used.notna().all(axis=1)
    if not complete.all():
        print(
            f"note: dropped {int((~complete).sum())} of {len(frame)} rows with missing values",
            file=sys.stderr,
        )
        frame = frame[complete].reset_index(drop=True)
    if len(frame) < 2:
        parser.error(f"{args.data} has fewer than 2 complete rows")

    import pandas as pd

    from ._distiller import FairDistiller
    from .preprocessing import TabularEncoder

    encoder = TabularEncoder()
    Z = encoder.fit_transform(frame[features])
    distiller = FairDistiller(
        n_per_class=args.n_per_class,
        alignment=args.alignment,
        n_iter=args.n_iter,
        device=args.device,
        random_state=args.random_state,
        verbose=int(args.verbose),
    )
    groups = frame[sensitive[0]] if len(sensitive) == 1 else frame[sensitive]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_syn, y_syn = distiller.fit_resample(
                Z, frame[args.target].to_numpy(), sensitive_features=groups
            )
        except (ValueError, TypeError) as error:
            parser.error(f"cannot distil {args.data}: {error}")
    seconds = time.perf_counter() - start
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)

    rows = encoder.inverse_transform(X_syn)
    try:
        rows[args.target] = pd.Series(y_syn).astype(frame[args.target].dtype)
    except (TypeError, ValueError):
        rows[args.target] = y_syn
    rows = rows[[col for col in frame.columns if col in rows.columns]]
    _write_table(rows, args.out, out_format, parser)

    n_groups = 1 if distiller.groups_ is None else len(distiller.groups_)
    print(
        f"wrote {len(rows)} synthetic rows ({args.n_per_class} per class, "
        f"{len(distiller.classes_)} classes) to {args.out}: distilled from {len(frame)} rows, "
        f"{len(features)} feature columns ({Z.shape[1]} encoded), {n_groups} groups of "
        f"{', '.join(sensitive)}, alignment={args.alignment}, {distiller.n_iter_} iterations "
        f"on {distiller.device_} in {seconds:.1f} s"
    )
    return 0


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
        "vanilla, FairDD and COBRA on accuracy, DEO_M, DEO_A and time",
    )
    demo.add_argument("--n-per-class", type=int, default=10, help="synthetic rows per class")
    demo.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random seeds")
    demo.add_argument("--sensitive", choices=["sex", "race"], default="sex")
    demo.add_argument("--n-iter", type=int, default=1000, help="distillation iterations")
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
        "Rows with a missing value in a used column are dropped. The synthetic rows carry no "
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
        choices=_ALIGNMENTS,
        default="barycenter",
        help="matching target: barycenter (COBRA, default), groupwise (FairDD) or none "
        "(vanilla distillation, leans towards the majority group)",
    )
    distill.add_argument(
        "--n-iter", type=int, default=1000, metavar="N",
        help="distillation iterations (default: 1000)",
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
        "--keep-sensitive", action="store_true",
        help="keep the sensitive columns among the features (and in the output)",
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
    return args.handler(args, args.subparser)
