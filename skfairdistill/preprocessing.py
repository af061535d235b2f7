"""Encode mixed tables for distillation and decode synthetic rows back into readable ones."""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._checks import check_bool, check_memory_map, is_hashable

__all__ = ["TabularEncoder"]


class TabularEncoder(TransformerMixin, BaseEstimator):
    """One-hot encode the text columns of a table, standardise the numbers, and decode back.

    :class:`~skfairdistill.FairDistiller` optimises numeric rows. ``transform``
    turns a DataFrame with text (categorical) and numeric columns into such rows:
    every categorical column becomes a block of one-hot columns
    (:class:`~sklearn.preprocessing.OneHotEncoder`), every numeric column is
    standardised (:class:`~sklearn.preprocessing.StandardScaler`), both inside a
    :class:`~sklearn.compose.ColumnTransformer`. ``inverse_transform`` turns
    any such rows — in particular synthetic ones, which are no longer exactly
    one-hot — back into a DataFrame with the original columns:

    - a categorical column takes the category whose one-hot column has the
      largest value in the row (``OneHotEncoder.inverse_transform``; a block of
      zeros, such as an unseen category, decodes to a missing value);
    - a numeric column is mapped back to its original scale, clipped to the
      range seen in ``fit`` (``clip_numeric``) and rounded when the column held
      integers (``round_integers``);
    - every column gets its original dtype back where possible.

    :meth:`FairDistiller.fit_resample <skfairdistill.FairDistiller.fit_resample>`
    returns table rows as optimised (values may leave their column's range). With
    ``matching_params={"readable_rows": True}`` it returns readable rows of
    ``transform``'s output instead: every value within its column's range, one
    category per one-hot block, which it finds itself. Where it cannot (rows of a
    category unseen in ``fit`` encode as all zeros), declare the blocks:
    ``matching_params={"readable_rows": encoder.one_hot_blocks_}``.

    Which data the distiller refuses, and what to do about it:
    :ref:`guides#what-the-distiller-does-with-awkward-data`.

    Parameters
    ----------
    categorical_columns : list of str or None, default=None
        The columns to one-hot encode. None takes every column that is not
        numeric (text, ``category``, ``bool`` and ``object`` columns). Give a list
        to one-hot encode integer-coded categories as well.
    scale_numeric : bool, default=True
        Standardise the numeric columns (zero mean, unit variance). False passes
        them through unchanged. The distiller standardises internally anyway;
        scaling helps the classifiers trained on the encoded rows.
    clip_numeric : bool, default=True
        In ``inverse_transform``, clip every numeric column to the minimum and
        maximum seen in ``fit``, so that decoded rows stay plausible (no negative
        ages).
    round_integers : bool, default=True
        In ``inverse_transform``, round the columns that held integers in ``fit``
        and give them their integer dtype back.

    Attributes
    ----------
    column_transformer_ : sklearn.compose.ColumnTransformer
        The fitted one-hot / scaling transformer.
    categorical_columns_ : list
        The one-hot encoded columns.
    numeric_columns_ : list
        The numeric columns, in their order in the output (after the one-hot
        blocks).
    categories_ : dict
        ``{column: ndarray of categories}``, the order of each one-hot block.
    one_hot_blocks_ : list of list of int
        The columns of ``transform``'s output that each one-hot block of two
        columns or more takes, in the order of ``categorical_columns_`` (what
        ``FairDistiller(matching_params={"readable_rows": ...})`` takes).
    numeric_min_, numeric_max_ : pandas.Series
        The range of every numeric column seen in ``fit`` (used by
        ``clip_numeric``).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The column names seen in ``fit``.

    See Also
    --------
    skfairdistill.FairDistiller : The sampler the encoded rows are made for.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfairdistill.preprocessing import TabularEncoder
    >>> X = pd.DataFrame({"age": [25, 40, 61, 33],
    ...                   "job": ["clerk", "nurse", "clerk", "chef"]})
    >>> encoder = TabularEncoder().fit(X)
    >>> list(encoder.get_feature_names_out())
    ['job_chef', 'job_clerk', 'job_nurse', 'age']
    >>> Z = encoder.transform(X)
    >>> Z.shape
    (4, 4)
    >>> encoder.inverse_transform(Z).equals(X)
    True

    Rows that are not exactly one-hot, such as synthetic ones, decode to the
    category with the largest value and to the original numeric scale:

    >>> Z_syn = [[0.1, 0.2, 0.7, 0.0], [0.6, 0.3, 0.1, 99.0]]
    >>> encoder.inverse_transform(Z_syn)
       age    job
    0   40  nurse
    1   61   chef
    """

    def __init__(
        self,
        *,
        categorical_columns=None,
        scale_numeric=True,
        clip_numeric=True,
        round_integers=True,
    ):
        self.categorical_columns = categorical_columns
        self.scale_numeric = scale_numeric
        self.clip_numeric = clip_numeric
        self.round_integers = round_integers

    def fit(self, X, y=None):
        """Learn the categories of the categorical columns and the scale of the numeric ones.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_columns)
            The table. Other array-likes are converted with ``pandas.DataFrame``
            (their columns are then named 0, 1, ...).
        y : None
            Ignored.

        Returns
        -------
        self : TabularEncoder

        Raises
        ------
        ValueError or TypeError
            Naming the argument or the column: a table without rows or columns,
            duplicate column names, a column of lists or mappings, a column that mixes
            text and numbers, a parameter of the wrong kind.
        """
        for name in ("scale_numeric", "clip_numeric", "round_integers"):
            check_bool(name, getattr(self, name))
        X = _as_frame(X)
        _check_table(X)
        categorical = self._categorical(X)
        numeric = [col for col in X.columns if col not in set(categorical)]
        not_numeric = [col for col in numeric if not pd.api.types.is_numeric_dtype(X[col])]
        if not_numeric:
            raise ValueError(
                f"columns {not_numeric} are neither numeric nor in categorical_columns; "
                "add them to categorical_columns (or use None to detect them)."
            )
        transformer = ColumnTransformer(
            [
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    categorical,
                ),
                ("numeric", StandardScaler() if self.scale_numeric else "passthrough", numeric),
            ],
            remainder="drop",
            verbose_feature_names_out=False,
        ).fit(X)

        self.column_transformer_ = transformer
        self.categorical_columns_ = categorical
        self.numeric_columns_ = numeric
        self.categories_ = (
            dict(zip(categorical, transformer.named_transformers_["categorical"].categories_))
            if categorical
            else {}
        )
        starts = np.cumsum([0] + [len(values) for values in self.categories_.values()]).tolist()
        # a column of one category is constant: no block to decode
        self.one_hot_blocks_ = [list(range(start, stop)) for start, stop
                                in zip(starts[:-1], starts[1:]) if stop - start > 1]
        self.numeric_min_ = X[numeric].min()
        self.numeric_max_ = X[numeric].max()
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self._dtypes = X.dtypes
        return self

    def transform(self, X):
        """One-hot encode and scale ``X``.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_columns)
            A table with the columns seen in ``fit``. A category not seen in
            ``fit`` is encoded as all zeros.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_encoded)
            The one-hot blocks (in the order of ``categorical_columns_``), then the
            numeric columns; names in ``get_feature_names_out()``.
        """
        check_is_fitted(self)
        X = _as_frame(X, self.feature_names_in_)
        if len(X) == 0:
            raise ValueError("X has no rows; give at least one row to encode.")
        missing = [col for col in self.feature_names_in_ if col not in set(X.columns)]
        if missing:
            raise ValueError(
                f"X lacks the columns {missing} seen in fit; its columns are {list(X.columns)}.")
        not_numeric = [col for col in self.numeric_columns_
                       if not pd.api.types.is_numeric_dtype(X[col])]
        if not_numeric:
            raise ValueError(
                f"columns {not_numeric} of X held numbers in fit but hold "
                f"{[str(X[col].dtype) for col in not_numeric]} now; convert them to numbers.")
        return np.asarray(self.column_transformer_.transform(X), dtype=np.float64)

    def inverse_transform(self, Z):
        """Decode encoded (or synthetic) rows into a table with the original columns.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_encoded)
            Rows in the encoded space, e.g. the output of ``transform`` or the
            synthetic rows of a distiller fitted on it.

        Returns
        -------
        X : pandas.DataFrame of shape (n_samples, `n_features_in_`)
            The rows in the original columns, order and dtypes: for every
            one-hot block the category with the largest value, numeric columns
            on their original scale.
        """
        check_is_fitted(self)
        Z = _as_rows(Z)
        n_encoded = len(self.get_feature_names_out())
        if Z.ndim != 2 or Z.shape[1] != n_encoded:
            raise ValueError(
                f"Z must be 2-D with {n_encoded} columns (the output of transform); "
                f"got shape {Z.shape}."
            )
        if len(Z) == 0:
            raise ValueError("Z has no rows; give at least one row to decode.")
        bad = np.argwhere(~np.isfinite(Z))
        if len(bad):
            row, col = bad[0]
            raise ValueError(
                f"Z holds NaN or infinite values (e.g. row {row}, column {col}: {Z[row, col]}); "
                "only finite rows can be decoded.")
        slices = self.column_transformer_.output_indices_
        columns = {}
        if self.categorical_columns_:
            # OneHotEncoder decodes each block to its largest column (all zeros: None)
            decoded = self.column_transformer_.named_transformers_["categorical"].inverse_transform(
                Z[:, slices["categorical"]]
            )
            for j, col in enumerate(self.categorical_columns_):
                columns[col] = self._restore_dtype(col, decoded[:, j])

        if self.numeric_columns_:
            values = Z[:, slices["numeric"]]
            if self.scale_numeric:
                values = self.column_transformer_.named_transformers_["numeric"].inverse_transform(
                    values
                )
            for j, col in enumerate(self.numeric_columns_):
                column = values[:, j]
                if self.clip_numeric:
                    column = np.clip(column, self.numeric_min_[col], self.numeric_max_[col])
                integer = pd.api.types.is_integer_dtype(self._dtypes[col])
                if not integer:
                    columns[col] = self._restore_dtype(col, column)
                elif self.round_integers:
                    columns[col] = self._restore_dtype(col, np.rint(column))
                else:
                    columns[col] = pd.Series(column)

        return pd.DataFrame(
            {col: columns[col] for col in self.feature_names_in_},
            columns=pd.Index(self.feature_names_in_.tolist()),
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded columns: ``<column>_<category>`` blocks, then numeric columns.

        Parameters
        ----------
        input_features : None
            Ignored; the names seen in ``fit`` are used.

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self)
        return self.column_transformer_.get_feature_names_out()

    def _categorical(self, X):
        """The columns to one-hot encode, in the order of ``X``."""
        if self.categorical_columns is None:
            return [col for col in X.columns if not _is_number(X[col])]
        if isinstance(self.categorical_columns, str):
            raise TypeError(
                "categorical_columns must be a list of column names or None; "
                f"got the string {self.categorical_columns!r} (wrap it in a list)."
            )
        if isinstance(self.categorical_columns, (dict, set)) or not np.iterable(
                self.categorical_columns):
            raise TypeError(
                "categorical_columns must be a list of column names or None; got "
                f"{type(self.categorical_columns).__name__} {self.categorical_columns!r:.60}.")
        wanted = list(self.categorical_columns)
        unhashable = [col for col in wanted if not is_hashable(col)]
        if unhashable:
            raise TypeError(
                f"categorical_columns must be a list of column names; {unhashable[0]!r:.40} "
                "is not a column name (a flat list, e.g. ['job', 'city']).")
        unknown = [col for col in wanted if col not in X.columns]
        if unknown:
            raise ValueError(
                f"categorical_columns {unknown} are not columns of X; "
                f"its columns are {list(X.columns)}."
            )
        return [col for col in X.columns if col in set(wanted)]

    def _restore_dtype(self, col, values):
        """``values`` as a Series with the dtype column ``col`` had in ``fit`` (if possible)."""
        series = pd.Series(values)
        try:
            return series.astype(self._dtypes[col])
        except (TypeError, ValueError):
            return series

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _is_number(column):
    """True for numeric columns; booleans count as categories."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _as_frame(X, columns=None):
    """``X`` as a DataFrame (object columns of arrays inferred as numbers where they are).

    ``columns``: the names an array's columns take (those seen in ``fit``) when it has
    as many columns; else they are numbered 0, 1, ...
    """
    if isinstance(X, pd.DataFrame):
        return X
    if X is None or isinstance(X, (str, bytes, dict, set)) or sp.issparse(X):
        kind = "None" if X is None else f"a sparse {type(X).__name__}" if sp.issparse(
            X) else type(X).__name__
        raise TypeError(
            "X must be a 2-D table (a pandas DataFrame, or a 2-D array-like); got "
            f"{kind}.{' Densify it first (X.toarray()).' if sp.issparse(X) else ''}")
    try:
        ndim = np.ndim(X)
    except ValueError:  # NumPy cannot make an array of rows of other lengths
        raise ValueError(
            "X must be rectangular: its rows have different lengths (a ragged list). Give "
            "every row the same columns, or pass a DataFrame.") from None
    if ndim != 2:
        raise ValueError(
            "X must be a 2-D table (a pandas DataFrame, or a 2-D array-like); "
            f"got {type(X).__name__} with {ndim} dimensions."
        )
    check_memory_map("X", X)
    frame = pd.DataFrame(X)
    if columns is not None and frame.shape[1] == len(columns):
        frame.columns = list(columns)
    return frame.infer_objects()


def _check_table(X):
    """Rows, columns, unique names, and columns whose values have an encoding."""
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X has no {'rows' if X.shape[0] == 0 else 'columns'} (shape "
                         f"{X.shape}); fit needs at least one row and one column.")
    duplicated = list(dict.fromkeys(X.columns[X.columns.duplicated()]))
    if duplicated:
        raise ValueError(f"X has duplicate column names {duplicated}; give every column its "
                         "own name.")
    _refuse_nested_values(X)
    for col in X.columns:
        if X[col].dtype == object and pd.api.types.infer_dtype(
                X[col], skipna=True) in ("mixed", "mixed-integer"):
            kinds = sorted({type(value).__name__ for value in X[col].dropna()})
            raise ValueError(
                f"column {col!r} of X mixes values of the types {kinds}; a column is encoded "
                f"as text or as numbers. Make it text, e.g. X[{col!r}] = X[{col!r}].astype(str), "
                "or numbers.")


def _as_rows(Z):
    """``Z`` as a float array, or an error that names Z."""
    if Z is None or isinstance(Z, (str, bytes, dict, set)):
        raise TypeError("Z must be a 2-D array of numbers (the output of transform); got "
                        f"{'None' if Z is None else type(Z).__name__}.")
    check_memory_map("Z", Z)
    try:
        np.ndim(Z)
    except ValueError:
        raise ValueError("Z must be rectangular (the output of transform): its rows have "
                         "different lengths.") from None
    try:
        return np.asarray(Z, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Z must hold numbers (the output of transform): {error}.") from None



def _refuse_nested_values(X):
    """Columns of lists, arrays or mappings (Parquet's list and struct types) have no encoding."""
    for col in X.columns:
        values = X[col]
        if values.dtype != object:
            continue
        present = values.dropna()
        nested = present.iloc[0] if len(present) else None  # Parquet's columns: one type
        if isinstance(nested, (list, tuple, dict, set, np.ndarray)):
            raise ValueError(
                f"column {col!r} holds {type(nested).__name__} values (a list or struct "
                "column); a table's columns must hold numbers or text. Drop the column, or "
                "spread it into columns of its own.")
