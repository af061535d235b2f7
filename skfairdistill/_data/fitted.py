"""A matching result as fitted attributes: the caller's scale, dtype, image shape and labels."""

from .validation import check_finite_rows


def fitted_rows(result, real, dtype, row_shape, classes, y_syn, learning_rate):
    """``X_distilled_``, ``y_distilled_`` and ``X_stored_`` of a :class:`MatchingResult`.

    Parameters
    ----------
    result : MatchingResult
        Standardised rows; with multi-formation (IDC) also their labels and the
        stored images they decode from.
    real : RealRows
        Maps standardised rows back to the scale of ``X``.
    dtype : numpy dtype
        The dtype of the validated ``X``.
    row_shape : tuple of int or None
        One row's shape as the caller gave it (images), else None (flat rows).
    classes : ndarray
        Class labels, indexed by the class codes.
    y_syn : LongTensor
        Class code of every synthetic row (used when the result has none).
    learning_rate : float or Tensor
        Named in the error when a row is not finite.

    Returns
    -------
    X_distilled, y_distilled, X_stored : ndarray
        ``X_stored`` is ``X_distilled`` itself unless the result has stored images.
    """

    def original(rows):
        X = real.to_original_scale(rows.reshape(len(rows), -1)).astype(dtype, copy=False)
        check_finite_rows(X, learning_rate, real.low, real.high, real.scale)
        return X if row_shape is None else X.reshape(-1, *row_shape)

    X_distilled = original(result.X_syn)
    X_stored = X_distilled if result.stored is None else original(result.stored)
    codes = y_syn if result.y_syn is None else result.y_syn
    return X_distilled, classes[codes.cpu().numpy()], X_stored


__all__ = ["fitted_rows"]
