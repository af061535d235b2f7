"""Sensitive features -> one integer group code per row (intersectional for several columns).

Torch-free, so that plotting can encode groups without importing torch.
"""

import numpy as np
import pandas as pd

from .._checks import check_memory_map, is_hashable, sensitive_columns, typed_array
from .host_rows import is_dask_array


def encode_groups(sensitive_features, n_samples):
    """Encode sensitive features as one integer group code per row.

    Several columns (a 2-D array or a DataFrame) are combined into intersectional
    groups: every observed combination of values is one group.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Numbers, strings, booleans or categoricals; a list, NumPy array, pandas
        Series or DataFrame.
    n_samples : int
        Number of rows of ``X``; the sensitive features must have as many.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
        Group code of each row, in ``range(len(groups))``.
    groups : ndarray of shape (n_groups,)
        The group labels, sorted where the values can be ordered. With several
        columns each label is a tuple with one value per column.
    """
    check_memory_map("sensitive_features", sensitive_features)  # SIGBUS otherwise
    if is_dask_array(sensitive_features):  # one value per row: fits in memory
        sensitive_features = sensitive_features.compute()
    columns = sensitive_columns(sensitive_features)
    if not columns:
        raise ValueError(
            "sensitive_features has no columns (shape (n_samples, 0)); pass at least one "
            "column of group values, or sensitive_features=None for vanilla distillation."
        )
    for name, column in columns:
        if len(column) != n_samples:
            raise ValueError(
                f"sensitive_features has {len(column)} rows but X has {n_samples}; "
                "they must describe the same rows."
            )
        if pd.isna(column).any():
            raise ValueError(
                f"sensitive_features{name} contains missing values (NaN/None); every row "
                "needs a group. Fill them with an explicit category such as 'unknown'."
            )
    factorized = [_factorize(column, name) for name, column in columns]
    if typed_array(sensitive_features):
        # the group labels as a column of objects would give them: 'a' and 1, not np.str_('a')
        factorized = [(codes, uniques.astype(object)) for codes, uniques in factorized]
    if len(factorized) == 1:
        codes, uniques = factorized[0]
        return codes.astype(np.int64, copy=False), uniques
    stacked = np.column_stack([codes for codes, _ in factorized])
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    # plain Python values in the tuples, ('a', 1) rather than (np.str_('a'), np.int64(1));
    # pd.Index, unlike ndarray.tolist, keeps datetimes as Timestamps
    values = [pd.Index(uniques).tolist() for _, uniques in factorized]
    groups = np.empty(len(combos), dtype=object)
    groups[:] = [tuple(column[i] for column, i in zip(values, combo)) for combo in combos]
    return codes.reshape(-1).astype(np.int64, copy=False), groups


def _factorize(column, name=""):
    """Codes and sorted unique values of one column; unorderable mixes sort by their text."""
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:  # values that cannot be ordered, or not hashed
        unhashable = next((value for value in column if not is_hashable(value)), None)
        if unhashable is not None:
            raise TypeError(
                f"sensitive_features{name} holds a {type(unhashable).__name__} value "
                f"({unhashable!r:.40}); group values must be labels (strings, numbers, "
                "booleans). Several attributes per row go in several columns (a 2-D array "
                "or a DataFrame).") from None
        codes, uniques = pd.factorize(column, sort=False)
        order = sorted(range(len(uniques)),
                       key=lambda i: (type(uniques[i]).__name__, str(uniques[i])))
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes, uniques = remap[codes], np.asarray(uniques, dtype=object)[order]
    return np.asarray(codes), np.asarray(uniques)
