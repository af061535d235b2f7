"""Checks and conversions of the data FairDistiller is given: X, y, images, cells, results."""


import re

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from .host_rows import as_host_rows, validate_host_rows
from .._checks import check_memory_map, check_rows, warn


def validate_X_y(estimator, X, y):
    """``validate_data`` with errors that name X or y and say what to do.

    A SciPy sparse ``X`` stays sparse: CSR and CSC (matrix or array) as they are, any
    other format converted to CSR (a sparse copy), a DataFrame of sparse columns read
    as a CSR matrix. Its values are checked for NaN and infinity as a dense ``X``'s are.
    A memory map whose file was cut short (``X`` or ``y``) is refused before it is read.
    """
    # reading past the end of a file cut short kills the process (SIGBUS): check first
    check_memory_map("X", X)
    check_memory_map("y", y)
    check_sparse_input(X, getattr(estimator, "image_shape", None))
    refuse_categorical_columns(X)
    options = dict(
        accept_sparse=("csr", "csc"),  # the formats whose rows or columns are cheap
        dtype=float_dtypes(X),
        ensure_min_samples=2,
    )
    try:
        # a memory-mapped file or a Dask array stays where it is: checked without loading it
        host = validate_host_rows(estimator, X, y)
        if host is not None:
            return host
        return validate_data(estimator, X, y, reset=True, multi_output=True, **options)
    except (TypeError, ValueError) as exc:
        if "inhomogeneous" in str(exc) and _ragged(X):
            raise ValueError(
                "X must be rectangular: its rows have different lengths (a ragged list). "
                "Give every row the same columns, e.g. pad the missing ones, or pass a "
                "DataFrame.") from None
        columns = non_numeric_columns(X)
        if columns:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(
                f"X has non-numeric columns {columns} ({exc}). FairDistiller needs numbers: "
                "encode categorical columns first, e.g. with sklearn.preprocessing."
                "OneHotEncoder (for a DataFrame inside a sklearn.compose.ColumnTransformer)."
            ) from exc
        if _names(str(exc), ("X", "y")):
            raise
        # scikit-learn's message names neither argument: find which one it is about
        # (a memory map or Dask X that validate_host_rows took is not read again here)
        check_X = as_host_rows(X) is None
        _raise_naming_the_argument(estimator, X, y, exc, check_X=check_X, **options)


def _raise_naming_the_argument(estimator, X, y, error, *, check_X, **options):
    """Re-check X, then y, then their lengths alone, and raise the first error, naming it.

    Only called once ``validate_data`` has failed with a message that names neither
    argument, so checking them again costs nothing on the way that succeeds.
    """
    if check_X:
        check_rows("X", X, estimator=estimator, **options)
    if isinstance(y, (str, bytes, dict, set)):
        raise TypeError(f"y must be an array-like of class labels, one per row of X; got "
                        f"{type(y).__name__}.")
    try:
        check_array(y, accept_sparse="csr", ensure_2d=False, dtype=None, input_name="y",
                    estimator=estimator)
    except (TypeError, ValueError) as y_error:
        if _names(str(y_error), ("y",)):
            raise
        raise type(y_error)(
            "y must be an array-like of class labels, one per row of X (1-D, or 2-D for "
            f"one-vs-all columns): {y_error}") from None
    n_X, n_y = _n_rows(X), _n_rows(y)
    if n_X != n_y:
        raise ValueError(f"X has {n_X} rows but y has {n_y} labels; they must describe the "
                         "same rows (one label per row of X).")
    raise type(error)(f"X and y are not rows and their labels: {error}") from error


def _n_rows(value):
    """Rows of an array-like that passed ``check_array`` (a sparse matrix has no ``len``)."""
    shape = getattr(value, "shape", None)
    return int(shape[0]) if shape else len(value)


def _ragged(X):
    """Whether ``X`` is a list of rows of other lengths (which NumPy cannot make an array of)."""
    if not isinstance(X, (list, tuple)):
        return False
    try:
        np.ndim(X)
    except ValueError:
        return True
    return False


def _names(message, names):
    """Whether ``message`` names one of ``names`` as a word of its own (not inside another)."""
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) for name in names)


def check_sparse_input(X, image_shape=None):
    """Refuse the sparse inputs FairDistiller cannot read sparse, saying what to do instead.

    A DataFrame that mixes sparse and dense columns (scikit-learn would densify it
    whole), sparse columns whose fill value is not 0 (their unstored entries are
    missing values), and sparse images (``image_shape`` set: image rows are read
    dense).
    """
    sparse_columns = sparse_frame_columns(X)
    if sparse_columns is not None:
        dense = [name for name in X.columns if name not in set(sparse_columns)]
        if dense:
            raise ValueError(
                f"X is a DataFrame with both sparse columns ({_short_list(sparse_columns)}) "
                f"and dense ones ({_short_list(dense)}); FairDistiller reads a DataFrame "
                "whose columns are all sparse or all dense. Make them all sparse, e.g. "
                "X.astype(pd.SparseDtype(float, 0.0)), or pass a SciPy sparse matrix "
                "(e.g. a ColumnTransformer's output).")
        filled = [name for name, dtype in X.dtypes.items()
                  if not (pd.notna(dtype.fill_value) and dtype.fill_value == 0)]
        if filled:
            raise ValueError(
                f"X has sparse columns {_short_list(filled)} whose fill value is not 0 "
                f"(e.g. {X.dtypes[filled[0]].fill_value!r}): their unstored entries are "
                "missing values, which FairDistiller does not accept. If they stand for "
                "zeros, say so: X.fillna(0.0).astype(pd.SparseDtype(float, 0.0)).")
    if image_shape is not None and (sp.issparse(X) or sparse_columns is not None):
        raise TypeError(
            f"X is sparse, but image_shape={tuple(image_shape)} asks for images, which "
            "FairDistiller reads dense. Pass the images dense (X.toarray()), or leave "
            "image_shape=None to distil the rows as a table.")


def sparse_frame_columns(X):
    """The sparse (``pd.SparseDtype``) columns of a DataFrame ``X``; None if it has none."""
    if not isinstance(X, pd.DataFrame):
        return None
    columns = [name for name, dtype in X.dtypes.items() if isinstance(dtype, pd.SparseDtype)]
    return columns or None


def in_unit_range(X):
    """Whether every value of ``X`` lies in [0, 1] (pixels as the papers store them)."""
    if not isinstance(X, np.ndarray):  # read in blocks (memory-mapped, Dask): not checked
        return False
    return bool(X.min() >= 0 and X.max() <= 1)


def flatten_images(X):
    """Images ``(n, C, H, W)`` or ``(n, H, W)`` as rows ``(n, values)``, with the shape of one.

    Returns ``(X, None)`` for anything else (left to the usual validation). The
    reshape is a view for a contiguous array: the caller's images are not copied.
    """
    ndim = getattr(X, "ndim", None)
    if not isinstance(ndim, int) or ndim <= 2 or isinstance(X, (pd.DataFrame, pd.Series)):
        return X, None
    if ndim > 4:
        raise ValueError(
            f"X has {ndim} axes; FairDistiller takes rows (n_samples, n_features) or "
            "images (n_samples, C, H, W) or (n_samples, H, W)."
        )
    row_shape = tuple(int(size) for size in X.shape[1:])
    return X.reshape(X.shape[0], -1), row_shape


def as_chw(shape):
    """``(C, H, W)`` from ``(C, H, W)`` or ``(H, W)``."""
    shape = tuple(int(size) for size in shape)
    return (1, *shape) if len(shape) == 2 else shape


# float16 is read as float32 (exactly): computing in float16 would lose too much,
# and float64 would double the memory for no gain. Other dtypes: float32 stays
# float32, everything else (float64, int, bool, nullable pandas) becomes float64.
def float_dtypes(X):
    """The ``dtype`` argument of ``validate_data`` for this ``X``."""
    if isinstance(X, pd.DataFrame):
        dtypes = {t.subtype if isinstance(t, pd.SparseDtype) else t for t in X.dtypes}
    else:
        dtypes = {getattr(X, "dtype", None)}
    return np.float32 if dtypes == {np.dtype(np.float16)} else [np.float64, np.float32]


def non_numeric_columns(X):
    """Names (DataFrame) or indices (array, list) of the columns of X holding non-numbers.

    Only called once conversion has failed, so its copies cost nothing on success.
    """
    if isinstance(X, pd.DataFrame):
        return [name for name, column in X.items() if _holds_non_numbers(column)]
    try:
        array = np.asarray(X, dtype=None if hasattr(X, "dtype") else object)
    except ValueError:  # ragged rows: let validate_data's error stand
        return []
    if array.ndim != 2:
        return []
    return [j for j in range(array.shape[1]) if _holds_non_numbers(array[:, j])]


def _holds_non_numbers(column):
    """Whether a 1-D column (Series or array) has a value that is not a number or missing."""
    dtype = column.dtype
    if pd.api.types.is_numeric_dtype(dtype):  # bool and pandas' nullable dtypes included
        return False
    if not (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)):
        return True  # datetimes, periods, intervals
    values = pd.Series(np.asarray(column, dtype=object))
    return bool((pd.to_numeric(values, errors="coerce").isna() & values.notna()).any())


def check_classification_target(y):
    """1-D class labels, accepting a column vector or a one-vs-all indicator matrix."""
    try:
        target_type = type_of_target(y, input_name="y")
    except ValueError as error:  # e.g. a column of lists: "legacy multi-label data representation"
        if _names(str(error), ("y",)):
            raise
        raise ValueError(f"y must hold one class label (a number or a string) per row: "
                         f"{error}") from None
    if target_type == "multilabel-indicator":
        if np.any(np.asarray(y).sum(axis=1) != 1):
            raise ValueError(
                "y is multilabel: multilabel and multioutput targets are not supported. "
                "Pass one class label per row."
            )
        return np.asarray(y).argmax(axis=1), True
    if target_type.endswith("multioutput"):
        raise ValueError(
            "y is multioutput: multilabel and multioutput targets are not supported. "
            "Pass one class label per row."
        )
    if target_type not in ("binary", "multiclass"):
        hints = {
            "continuous": " It looks like a regression target: bin it into classes first "
            "(e.g. pandas.cut or sklearn.preprocessing.KBinsDiscretizer).",
            "unknown": " Check y for missing values (None) or mixed types.",
        }
        # "Unknown label type" is scikit-learn's wording, which its estimator checks expect
        raise ValueError(
            f"Unknown label type: y is {target_type!r}, but FairDistiller needs one class "
            "label (a number or a string) per row." + hints.get(target_type, "")
        )
    return column_or_1d(y, warn=False), False


def warn_about_absent_groups(present, classes, groups):
    """Say which groups have no rows in a class: the targets use the groups present."""
    if groups is None or present.all():
        return
    # tolist(): plain Python labels read better than np.int64(1) / np.str_('a')
    class_labels, group_labels = classes.tolist(), groups.tolist()
    absent = {
        class_labels[k]: _short_list([group_labels[g] for g in np.flatnonzero(~present[k])])
        for k in range(len(classes))
        if not present[k].all()
    }
    shown = dict(list(absent.items())[:_SHOWN])
    more = f" and {len(absent) - _SHOWN} more classes" if len(absent) > _SHOWN else ""
    warn(
        f"Some groups have no rows in some classes ({shown}{more}); the targets of those "
        "classes use the groups that are present.",
        UserWarning
    )


_SHOWN = 5  # labels shown in a warning: a column of thousands of groups must not flood it


def _short_list(labels):
    """``labels`` if short, else the first :data:`_SHOWN` and how many more (for messages)."""
    if len(labels) <= _SHOWN:
        return labels
    return [*labels[:_SHOWN], f"... {len(labels) - _SHOWN} more"]


def refuse_categorical_columns(X):
    """A pandas ``category`` column of numbers in X is refused, not read as its numbers.

    Its categories are labels, not quantities: reading the numbers as values would
    distil an order and distances the data may not have, and synthetic values
    (2.37) would be no category. The caller decides: one-hot encode it, or, when
    the numbers are quantities, convert it with ``astype(float)``. (A category
    column of text is refused by the non-numeric check, with the same advice.)
    """
    if not isinstance(X, pd.DataFrame):
        return
    columns = [
        name for name, dtype in X.dtypes.items()
        if isinstance(dtype, pd.CategoricalDtype)
        and pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    ]
    if columns:
        raise ValueError(
            f"X has categorical (pandas 'category') columns of numbers {_short_list(columns)}; "
            "FairDistiller does not read category labels as quantities. One-hot encode "
            "them first (e.g. sklearn.preprocessing.OneHotEncoder in a ColumnTransformer), "
            "or, if their values are quantities, convert them with "
            "X.astype({column: float})."
        )


def check_finite_rows(X_syn, learning_rate, low, high, spread=None):
    """Never return NaN, infinite or blown-up synthetic rows (after a step too large).

    Blown up: a value farther outside the column's observed range ``[low, high]`` than
    100 times its width (or its ``spread``, where larger: image pixels that are constant
    in ``X`` are optimised on their channel's scale). A finite divergence.
    """
    if np.isfinite(X_syn).all():
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        # the floor is relative to the column's values (their float32 rounding), never an
        # absolute 1e-7: a column of values near 1e-20 must not blow up unseen to 1e-6
        width = np.maximum(high - low,
                           np.finfo(np.float32).eps * np.maximum(abs(low), abs(high)))
        if spread is not None:
            width = np.maximum(width, spread)
        width = np.maximum(width, np.finfo(np.float64).tiny)  # a column of zeros: not 0 / 0
        outside = np.maximum(low - X_syn, X_syn - high) / width
        if not (outside > 100).any():
            return
        worst = int(np.argmax(outside.max(axis=0)))
        raise ValueError(
            f"the distillation diverged: synthetic values of column {worst} lie "
            f"{outside[:, worst].max():.3g} times the column's range outside the values in X "
            f"([{low[worst]:.4g}, {high[worst]:.4g}]). The step (learning_rate="
            f"{learning_rate}) is too large for this data: lower learning_rate.")
    raise ValueError(
        "the distillation produced synthetic rows that are not finite numbers (NaN or "
        f"infinite) for the dtype of X: the step (learning_rate={learning_rate}) is too "
        "large for this data, or X holds values near the limit of its dtype (float32: "
        "about 3.4e38). Lower learning_rate, or rescale X (e.g. StandardScaler) first."
    )
