"""Input container in = container out: remember what the caller passed, rebuild it."""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import label_binarize


class ContainerRoundTrip:
    """Remember the containers of ``X`` and ``y`` and restore them on new rows.

    DataFrame in gives a DataFrame out with the same columns (float columns keep
    their dtype, except float16, which comes back as float32 like a float16
    array); a Series keeps its name; a list gives a list; a one-vs-all encoded
    ``y`` comes back one-vs-all encoded. A ``y`` Series keeps its dtype too: the
    nullable ``Int64`` and ``boolean``, ``category`` (with its categories and their
    order), ``string``.

    A SciPy sparse ``X`` gives the synthetic rows in the same sparse format and
    class (``csr_matrix`` in, ``csr_matrix`` out; ``csc_array`` in, ``csc_array``
    out), as imbalanced-learn's samplers do; the synthetic values are rarely zero,
    so such a result stores nearly every value. A DataFrame of sparse columns
    gives sparse columns of the same fill value.
    """

    def __init__(self, X, y):
        self._x_kind = _kind(X)
        self._x_columns = X.columns if self._x_kind == "frame" else None
        self._x_dtypes = X.dtypes if self._x_kind == "frame" else None
        # the sparse class and format: scipy's array or matrix interface, "csr", "coo", ...
        self._x_sparse = (
            (sp.csr_array if isinstance(X, sp.sparray) else sp.csr_matrix, X.format)
            if self._x_kind == "sparse" else None
        )
        self._y_kind = _kind(y)
        self._y_name = y.name if self._y_kind == "series" else None
        self._y_dtype = y.dtype if self._y_kind == "series" else None
        self._y_columns = y.columns if self._y_kind == "frame" else None

    def restore(self, X_syn, y_syn, *, one_vs_all_classes=None):
        """Wrap NumPy results ``X_syn``, ``y_syn`` in the remembered containers."""
        if one_vs_all_classes is not None:
            y_syn = label_binarize(y_syn, classes=one_vs_all_classes)
        return self._restore_X(X_syn), self._restore_y(y_syn)

    def _restore_X(self, X_syn):
        if self._x_kind == "frame":
            frame = pd.DataFrame(X_syn, columns=self._x_columns)
            float_columns = {
                col: _float_dtype(dtype, X_syn.dtype)
                for col, dtype in self._x_dtypes.items()
                if pd.api.types.is_float_dtype(dtype) or isinstance(dtype, pd.SparseDtype)
            }
            return frame.astype(float_columns) if float_columns else frame
        if self._x_kind == "sparse":
            csr, sparse_format = self._x_sparse
            return csr(X_syn).asformat(sparse_format)
        if self._x_kind == "list":
            return X_syn.tolist()
        return X_syn

    def _restore_y(self, y_syn):
        if self._y_kind == "series":
            return _with_dtype(pd.Series(y_syn, name=self._y_name), self._y_dtype)
        if self._y_kind == "frame":
            return pd.DataFrame(np.asarray(y_syn).reshape(len(y_syn), -1), columns=self._y_columns)
        if self._y_kind == "list":
            return y_syn.tolist()
        return y_syn


def _float_dtype(dtype, synthetic):
    """The dtype a column of ``dtype`` gets back (``synthetic``: the dtype of the rows).

    Float columns keep their dtype; float16 is too coarse for synthetic rows (float32).
    A sparse column stays sparse, with its fill value, its subtype chosen alike.
    """
    if isinstance(dtype, pd.SparseDtype):
        subtype = dtype.subtype
        floating = np.issubdtype(subtype, np.floating)
        return pd.SparseDtype(_float_dtype(subtype, synthetic) if floating else synthetic,
                              dtype.fill_value)
    return np.float32 if dtype == np.float16 else dtype


def _kind(obj):
    if sp.issparse(obj):
        return "sparse"
    if isinstance(obj, pd.DataFrame):
        return "frame"
    if isinstance(obj, pd.Series):
        return "series"
    if isinstance(obj, (list, tuple)):
        return "list"
    return "array"


def _with_dtype(series, dtype):
    """``series`` as ``dtype`` (the caller's y dtype), when its values allow it."""
    if dtype is None or series.dtype == dtype:
        return series
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):  # labels the dtype cannot hold: keep them as they are
        return series
