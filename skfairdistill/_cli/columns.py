"""The command line's columns: which are features, and which are refused before the long work.

Text columns that look like identifiers and targets that cannot give a compact set of
classes are refused with a message that names them and the option to change.
"""

# a text column with more distinct values than this and than half the rows is an identifier
ID_LIKE_MIN = 50
# a target with more classes than this cannot give a compact set (n_per_class rows each)
MAX_CLASSES = 50


def split_columns(text):
    """The column names of a comma-separated option value."""
    return [name.strip() for name in text.split(",") if name.strip()]


def feature_columns(args, parser, columns, sensitive):
    """The features: ``--features`` (default: all but target and sensitive), less ``--drop``."""
    chosen = None if args.features is None else split_columns(args.features)
    dropped = [] if args.drop is None else split_columns(args.drop)
    for option, names in (("--features", chosen or []), ("--drop", dropped)):
        unknown = [col for col in names if col not in columns]
        if unknown:
            parser.error(f"{option}: column(s) {unknown} not found in {args.data}; its columns "
                         f"are: {', '.join(map(str, columns))}")
    if chosen is not None:
        if not chosen:
            parser.error("--features needs at least one column name (COL or COL1,COL2)")
        if args.target in chosen:
            parser.error(f"--features cannot include the --target column {args.target!r}")
        used_sensitive = [col for col in chosen if col in sensitive]
        if used_sensitive and not args.keep_sensitive:
            parser.error(f"--features includes the sensitive column(s) {used_sensitive}: add "
                         "--keep-sensitive to use them as features, or leave them out")
        candidates = list(dict.fromkeys(chosen))
    else:
        candidates = [
            col for col in columns
            if col != args.target and (args.keep_sensitive or col not in sensitive)
        ]
    features = [col for col in candidates if col not in dropped]
    if not features:
        parser.error(f"{args.data} has no feature column left besides the target and sensitive "
                     "ones (see --features and --drop)")
    return features


def refuse_id_like_columns(args, parser, table):
    """Text columns with about one value per row (names, dates, ids) would become as many
    one-hot columns: refuse them before the long work, unless --keep-id-columns."""
    if args.keep_id_columns or table.encoder is None:
        return
    id_like = {col: len(values) for col, values in table.encoder.categories_.items()
               if len(values) > ID_LIKE_MIN and len(values) > table.n_complete / 2}
    if id_like:
        listed = ", ".join(f"{col!r} ({n} distinct values)" for col, n in id_like.items())
        parser.error(
            f"column(s) {listed} of {table.n_complete} rows look like identifiers: one-hot "
            "encoded they would add a column per value. Leave them out with --drop "
            f"{','.join(map(str, id_like))}, or keep them with --keep-id-columns")


def missing_summary(missing, limit=5):
    """Which columns the rows were dropped for: the columns with most missing values first."""
    worst = sorted(((n, col) for col, n in missing.items() if n), key=lambda t: -t[0])
    shown = ", ".join(f"{col!r}: {n}" for n, col in worst[:limit])
    more = f" and {len(worst) - limit} more columns" if len(worst) > limit else ""
    return (f"missing values per column: {shown}{more} (leave a column out with --drop COL, or "
            "fill its blanks first)")


def refuse_target(args, parser, table):
    """A target of one class, of non-integer numbers or of too many classes is refused.

    Decided on the complete rows' target, after the scan and before the encoding and the
    distillation: a quantity (an age, an amount) given as ``--target`` would otherwise
    be distilled as one class per value.
    """
    import numpy as np
    import pandas as pd

    target, name = table.target, args.target
    classes = target.unique()
    if len(classes) < 2:
        parser.error(
            f"cannot distil {args.data}: the --target column {name!r} has only one "
            f"class ({classes[0]!r}); distillation needs at least two classes"
        )
    numeric = (pd.api.types.is_numeric_dtype(target.dtype)
               and not pd.api.types.is_bool_dtype(target.dtype))
    span = f"from {target.min():.6g} to {target.max():.6g}" if numeric else ""
    if numeric and pd.api.types.is_float_dtype(target.dtype):
        values = target.to_numpy(dtype=float)
        if not np.array_equal(values, np.round(values)):
            parser.error(
                f"--target {name!r} holds non-integer numbers ({len(classes)} distinct values "
                f"{span}): it looks like a quantity to predict, not class labels. Choose a "
                "column of classes as --target, or bin this one into a few classes first "
                "(e.g. with pandas.cut)")
    if len(classes) > MAX_CLASSES:
        shown = span or "such as " + ", ".join(repr(c) for c in classes[:3])
        parser.error(
            f"--target {name!r} has {len(classes)} classes ({shown}): a compact set needs "
            f"--n-per-class rows of every class ({len(classes)} x {args.n_per_class} rows "
            "here), and a column with this many values is usually a quantity (an age, an "
            "amount) or an identifier. Choose a column of classes as --target, or group "
            f"this one into at most {MAX_CLASSES} classes first (e.g. with pandas.cut)")
