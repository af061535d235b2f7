"""Checks of the metrics' arguments: each error names the argument and what to pass instead.

fairlearn's ``MetricFrame`` and NumPy would otherwise refuse a bad input deep inside
(a length mismatch in pandas, "unhashable type", "zero-size array to reduction"), or
accept it silently (a missing label counted as a class, pandas indexes aligned).
"""

import numpy as np
import pandas as pd

from .._checks import check_memory_map, is_hashable, sensitive_columns


def check_sensitive_column(sensitive_features, where="X_test", y_true=None):
    """Refuse a column *name* (or any scalar) given as ``sensitive_features``, and no rows.

    fairlearn's metrics take the values of the sensitive column, one per row; a
    string would otherwise fail deep inside pandas with a length mismatch, and no rows
    deep inside NumPy's reductions.
    """
    if y_true is not None and len(y_true) == 0:
        raise ValueError("y_true is empty: a group metric needs at least one row.")
    if sensitive_features is None:
        raise ValueError(
            "sensitive_features is required: one group value per row (an array, Series or "
            "DataFrame of columns).")
    if (isinstance(sensitive_features, (str, bytes, dict, set))
            or np.ndim(_no_ragged("sensitive_features", sensitive_features)) == 0):
        hint = ""
        if not isinstance(sensitive_features, (dict, set)):  # a column's name or number
            hint = (" If it names a column, pass the column itself, e.g. "
                    f"sensitive_features={where}[{sensitive_features!r:.60}].")
        raise TypeError(
            "sensitive_features must hold one group value per row (an array, Series or "
            f"DataFrame of columns); got {type(sensitive_features).__name__} "
            f"{sensitive_features!r:.60}.{hint}"
        )


def check_labels(name, values, n_rows=None, rows_of="y_true"):
    """One hashable, non-missing label per row, as a 1-D array (a column vector is raveled).

    ``n_rows``: the number of rows ``values`` must have (those of ``rows_of``).
    """
    if values is None:
        raise ValueError(f"{name} is None; pass one class label per row.")
    if isinstance(values, (str, bytes, dict, set)) or np.ndim(_no_ragged(name, values)) == 0:
        raise TypeError(
            f"{name} must hold one class label per row (an array, list or Series); got "
            f"{type(values).__name__} {values!r:.60}.")
    check_memory_map(name, values)
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels; got shape {array.shape}.")
    if n_rows is not None and len(array) != n_rows:
        raise ValueError(
            f"{name} has {len(array)} rows but {rows_of} has {n_rows}; they must describe the "
            "same rows.")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: a group metric needs at least one row.")
    if array.dtype == object:
        bad = next((value for value in array if not is_hashable(value)), None)
        if bad is not None:
            raise TypeError(
                f"{name} holds a {type(bad).__name__} value ({bad!r:.40}); class labels must "
                "be numbers, strings or booleans.")
    missing = np.flatnonzero(pd.isna(array))
    if len(missing):
        raise ValueError(
            f"{name} has missing values (NaN/None), e.g. in row {missing[0]}; every row needs "
            "a class label. Drop those rows first.")
    return array


def check_metric_inputs(y_true, y_pred, sensitive_features, *, where="data",
                        names=("y_true", "y_pred")):
    """``(y_true, y_pred, sensitive_features)`` checked and matched by position.

    The labels come back as 1-D arrays; pandas sensitive features are renumbered from
    0, so that no pandas index can realign them with the labels.
    """
    true_name, pred_name = names
    y_true = check_labels(true_name, y_true)
    y_pred = check_labels(pred_name, y_pred, len(y_true), rows_of=true_name)
    return y_true, y_pred, check_groups(sensitive_features, len(y_true), where, true_name)


def check_groups(sensitive_features, n_rows, where="data", rows_of="y_true"):
    """The sensitive features checked (one group per row, no missing or unhashable value)."""
    check_sensitive_column(sensitive_features, where)
    check_memory_map("sensitive_features", sensitive_features)
    n_groups_rows = len(_no_ragged("sensitive_features", sensitive_features))
    if n_groups_rows != n_rows:
        raise ValueError(
            f"sensitive_features has {n_groups_rows} rows but {rows_of} has {n_rows}; they "
            "must describe the same rows.")
    for name, column in _group_columns(sensitive_features):
        bad = next((value for value in column if not is_hashable(value)), None) if (
            column.dtype == object) else None
        if bad is not None:
            raise TypeError(
                f"sensitive_features{name} holds a {type(bad).__name__} value ({bad!r:.40}); "
                "group values must be labels (strings, numbers, booleans). Several "
                "attributes per row go in several columns (a 2-D array or a DataFrame).")
        missing = np.flatnonzero(pd.isna(column))
        if len(missing):
            raise ValueError(
                f"sensitive_features{name} has missing values (NaN/None), e.g. in row "
                f"{missing[0]}; every row needs a group. Fill them with an explicit category "
                "such as 'unknown'.")
    if isinstance(sensitive_features, (pd.Series, pd.DataFrame)):
        return sensitive_features.reset_index(drop=True)
    return sensitive_features


def _group_columns(sensitive_features):
    """``[(name suffix, 1-D column)]``, as the distiller splits them; none is an error."""
    columns = sensitive_columns(sensitive_features)
    if not columns:
        raise ValueError("sensitive_features has no columns; pass at least one column of "
                         "group values.")
    return columns


def _no_ragged(name, values):
    """``values``, refused when NumPy cannot make a rectangular array of it."""
    if isinstance(values, (list, tuple)):
        try:
            np.ndim(values)
        except ValueError:
            raise ValueError(
                f"{name} must be rectangular: its rows have different lengths (a ragged "
                "list). Give one value per row.") from None
    return values
