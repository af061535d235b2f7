"""The command line's input table, read in row batches and encoded for the distiller.

Parquet files may be larger than memory, so the table is read as row batches (Parquet
by ``iter_batches``; a CSV file whole, as one batch), in two passes.
:func:`scan_table` keeps the target and the sensitive columns of the complete rows and
a small *summary* of the features, on which a
:class:`~skfairdistill.preprocessing.TabularEncoder` is fitted as if on the whole table;
:func:`encode_table` reads the batches again and writes the encoded float32 rows into
memory or into a ``.npy`` file (ordinary writes) opened as a memory map for
:class:`~skfairdistill.FairDistiller`. :mod:`skfairdistill._cli.main` drives both. Why and
how: ``docs/method.md``, "Large data".
"""

import contextlib
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..preprocessing import TabularEncoder, _is_number

try:
    from lzma import LZMAError
except ImportError:  # a Python built without lzma reads no .xz file: nothing to catch
    LZMAError = OSError

# what a damaged compressed CSV raises: cut short (EOFError), garbage inside (zlib, lzma),
# not an archive (zip); bz2 raises OSError
_DAMAGED_ARCHIVE = (EOFError, zlib.error, zipfile.BadZipFile, LZMAError)

# bytes read at a time from each column of a Parquet file
_READ_BUFFER = 2**18


def parquet_columns(path):
    """The columns of a Parquet file as pandas names them (index columns left out).

    Reads the schema only, not the rows.
    """
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        return list(parquet.schema_arrow.empty_table().to_pandas().columns)


def parquet_batches(path, batch_rows):
    """The reader of a Parquet file for :func:`scan_table` and :func:`encode_table`.

    Returns a function ``batches(columns)`` that returns a new iterator over the
    file's rows: DataFrames of ``columns`` (with the dtypes pandas gives them) of at
    most ``batch_rows`` rows. Only those columns are read, one batch at a time.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def batches(columns):
        # pages are read through a small buffer per column instead of whole column
        # chunks: memory then grows with the batch, not with the file's row groups
        with pq.ParquetFile(path, buffer_size=_READ_BUFFER, pre_buffer=False) as parquet:
            try:
                for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(columns)):
                    yield batch.to_pandas(types_mapper=_arrow_types)
            finally:
                pa.default_memory_pool().release_unused()

    return batches


@dataclass
class TableScan:
    """What :func:`scan_table` learnt from a pass over the table.

    Attributes
    ----------
    columns : list
        The used columns: features, target and sensitive, without repeats.
    target : pandas.Series
        The target column of the complete rows.
    groups : pandas.Series or pandas.DataFrame
        The sensitive column(s) of the complete rows (a Series for one column).
    n_rows : int
        The rows read, complete or not.
    encoder : TabularEncoder or None
        Fitted on the summary of the feature columns of the complete rows; None
        when no row is complete.
    missing : dict
        ``{column: number of rows with a missing value in it}`` over the used columns.
    """

    columns: list
    target: pd.Series
    groups: object
    n_rows: int
    encoder: TabularEncoder | None
    missing: dict

    @property
    def n_complete(self):
        """The number of complete rows: the rows that are encoded and distilled."""
        return len(self.target)


def scan_table(batches, *, features, target, sensitive):
    """First pass: the target and groups of the complete rows, and the fitted encoder.

    Parameters
    ----------
    batches : callable
        ``batches(columns)`` returns a new iterator over the table's rows: DataFrames
        with (at least) ``columns``, e.g. :func:`parquet_batches`.
    features : list
        The feature columns, in their order in the table.
    target : str
        The column of the class labels.
    sensitive : list
        The sensitive column(s).

    Returns
    -------
    TableScan
    """
    used = list(dict.fromkeys([*features, target, *sensitive]))
    targets, groups, summary, n_rows = [], [], None, 0
    missing = dict.fromkeys(used, 0)
    for batch in batches(used):
        n_rows += len(batch)
        for col, count in batch[used].isna().sum().items():
            missing[col] += int(count)
        rows = _complete_rows(batch[used])
        targets.append(rows[target])
        groups.append(rows[sensitive])
        part = _summary(rows[features])
        summary = part if summary is None else _summary(pd.concat([summary, part]))
    target_column = _concat(targets, pd.Series(dtype=object))
    group_columns = _concat(groups, pd.DataFrame(columns=sensitive))
    encoder = None
    if len(target_column):
        encoder = TabularEncoder(scale_numeric=False).fit(summary.reset_index(drop=True))
    return TableScan(
        columns=used,
        target=target_column,
        groups=group_columns.iloc[:, 0] if len(sensitive) == 1 else group_columns,
        n_rows=n_rows,
        encoder=encoder,
        missing=missing,
    )


def encode_table(batches, scan, directory=None):
    """Second pass: the encoded feature rows of the complete rows, float32.

    Parameters
    ----------
    batches : callable
        As for :func:`scan_table`; must give the same rows again.
    scan : TableScan
        The result of :func:`scan_table` on these batches, with an encoder.
    directory : str or path-like, optional
        None: the rows are returned as an in-memory array. Otherwise they are
        written to ``features.npy`` in this folder and returned as a read-only
        memory map of it; the caller removes the folder when done.

    Returns
    -------
    X : numpy.ndarray or numpy.memmap of shape (scan.n_complete, n_encoded)

    Raises
    ------
    ValueError
        When the second pass finds another number of complete rows than the first
        (the file changed in between).
    """
    shape = (scan.n_complete, len(scan.encoder.get_feature_names_out()))
    blocks = _encoded_blocks(batches, scan)
    if directory is None:
        X = np.empty(shape, dtype=np.float32)
        for start, block in blocks:
            X[start : start + len(block)] = block
        return X
    path = Path(directory) / "features.npy"
    # the header and the file's full size; nothing is written through this mapping
    header = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
    offset = header.offset
    del header
    with open(path, "r+b") as file:
        file.seek(offset)
        for _, block in blocks:
            file.write(block.data)
    return np.load(path, mmap_mode="r")


def _encoded_blocks(batches, scan):
    """``(first row, float32 block)``: the encoded complete rows of each batch, in order."""
    features = list(scan.encoder.feature_names_in_)
    stop = 0
    for batch in batches(scan.columns):
        rows = _complete_rows(batch[scan.columns])[features]
        stop += len(rows)
        if stop > scan.n_complete:
            break
        yield stop - len(rows), np.ascontiguousarray(scan.encoder.transform(rows), np.float32)
    if stop != scan.n_complete:
        raise ValueError(
            f"the table changed while it was read: {scan.n_complete} complete rows in the "
            "first pass, another number in the second"
        )


def _complete_rows(frame):
    """The rows of ``frame`` without a missing value, numbered from 0.

    Nullable integer and boolean columns (``Int64``, ``boolean``: what an integer
    column with blank cells is read as, see :func:`read_csv`)
    become plain ``int64`` / ``bool`` once their missing rows are gone, so that
    they are encoded, rounded and written as integers like any integer column.
    """
    complete = frame.notna().all(axis=1).to_numpy()
    if not complete.all():
        frame = frame[complete]
    nullable = {
        col: (bool if pd.api.types.is_bool_dtype(dtype) else np.dtype(dtype.numpy_dtype))
        for col, dtype in frame.dtypes.items()
        if isinstance(dtype, (pd.core.arrays.integer.IntegerDtype, pd.BooleanDtype))
    }
    if nullable:
        frame = frame.astype(nullable)
    return frame.reset_index(drop=True)


def read_csv(path):
    """A CSV file as pandas reads it, but integer and True/False columns with blanks.

    pandas reads an integer column with a blank cell as float64 (``25`` becomes
    ``25.0``); its decoded synthetic values would then be unrounded floats and its 0/1
    labels ``0.0``/``1.0``. Read with pandas' nullable dtypes, such a column (every
    written value an integer, as the file spells it) is ``Int64`` and a True/False
    column with blanks ``boolean``; every other column gets the dtype the default
    reader gives (float64 with NaN, object for text).
    """
    frame = pd.read_csv(path, dtype_backend="numpy_nullable")
    dtypes = {}
    for col, values in frame.items():
        kind = values.dtype
        if isinstance(kind, (pd.Int64Dtype, pd.BooleanDtype)) and values.isna().any():
            continue  # integers or flags with blanks: kept nullable
        if isinstance(kind, pd.BooleanDtype):
            dtypes[col] = bool
        elif pd.api.types.is_integer_dtype(kind):
            dtypes[col] = "int64"
        elif pd.api.types.is_float_dtype(kind):
            dtypes[col] = "float64"
        else:
            dtypes[col] = object
    frame = frame.astype(dtypes)
    # text columns: pandas' NA as the default reader's NaN
    text = [col for col, kind in dtypes.items() if kind is object]
    frame[text] = frame[text].where(frame[text].notna(), np.nan)
    return frame


def _arrow_types(arrow_type):
    """pandas dtypes for Arrow's integer and boolean types: nullable, so nulls keep them."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).replace("int", "Int").replace("uInt", "UInt"))
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def _summary(frame):
    """The rows of ``frame`` that hold a new category or a numeric column's extreme.

    That is, for every text column the first row of each of its categories, and for
    every numeric column a row of its minimum and one of its maximum; numbered from 0.
    """
    frame = frame.reset_index(drop=True)
    keep = set()
    for col in frame.columns:
        values = frame[col]
        if not _is_number(values):
            keep.update(np.flatnonzero(~values.duplicated().to_numpy()).tolist())
        elif len(values):
            keep.update((int(values.argmin()), int(values.argmax())))
    return frame.iloc[sorted(keep)].reset_index(drop=True)


def _concat(parts, empty):
    """``pd.concat`` of ``parts`` numbered from 0; ``empty`` when there are none."""
    return pd.concat(parts, ignore_index=True) if parts else empty


def open_table(path, fmt, batch_rows, parser):
    """``(columns, batches)`` of the input table.

    A Parquet file is only opened here (its schema read); its rows are read later, in
    batches of ``batch_rows``. A CSV file is read whole and is one batch.
    """
    try:
        if fmt == "parquet":
            return parquet_columns(path), parquet_batches(path, batch_rows)
        frame = read_csv(path)
        return list(frame.columns), lambda columns: iter([frame[columns]])
    except ImportError as error:
        parser.error(f"cannot read {path}: {error} (Parquet needs pyarrow: pip install pyarrow)")
    except (OSError, ValueError) as error:  # unreadable, empty or malformed file
        parser.error(f"cannot read {path}: {error}")
    except _DAMAGED_ARCHIVE as error:
        parser.error(f"cannot read {path}: {error} (the compressed file is damaged or cut "
                     "short; compress it again from the original)")


def write_table(frame, path, fmt, parser):
    """Write ``frame`` to a temporary file next to ``path``, then move it onto ``path``.

    A write that fails half-way (a full disk, an interrupt) leaves any previous file
    at ``path`` as it was, and no partial table behind.
    """
    path = Path(path)
    temporary = None
    try:
        # the temporary name ends like the real one: pandas infers the compression from it;
        # made inside the try: a folder we may not write to (as root, os.access says we
        # may) is an error naming the file, not a traceback
        handle, temporary = tempfile.mkstemp(dir=path.resolve().parent,
                                             prefix=".skfairdistill-", suffix="-" + path.name)
        os.close(handle)
        if fmt == "parquet":
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False)
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would make it, not mkstemp's 0600
        os.replace(temporary, path)
    except ImportError as error:
        parser.error(f"cannot write {path}: {error} (Parquet needs pyarrow: pip install pyarrow)")
    except (OSError, ValueError) as error:
        parser.error(f"cannot write {path}: {error}")
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.remove(temporary)


def _umask():
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
