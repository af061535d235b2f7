"""The real rows as the optimisation sees them: one float32 copy at most, standardised."""

import warnings

import numpy as np
import torch

# Rows are standardised in float64 blocks of about this many values (32 MiB), so the
# float32 copy of a large X never needs a float64 copy of the same size beside it.
_BLOCK_VALUES = 2**22


class RealRows:
    """Real rows of ``X`` held once on the device, standardised, with constant columns set aside.

    Features are standardised (zero mean, unit variance) so that the distillation
    sees every feature on the same scale — features of 1e-6 and 1e6 are treated
    alike — and the synthetic rows are mapped back to the original scale at the
    end. Constant columns carry no information: they are left out of the
    optimisation (unless every column is constant) and every synthetic row gets
    their value exactly.

    A float32 ``X`` is used in place (no copy on the CPU) and standardised per
    gathered mini-batch. Any other ``X`` is standardised in float64 before its one
    float32 copy is made, so values beyond the float32 range and large offsets
    with a tiny spread (e.g. 1e6 + 1e-3 noise) survive the cast.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated, finite input. It is never written to.
    device : torch.device

    Raises
    ------
    ValueError
        If the mean or variance of a column overflows float64 (values near 1e154
        and beyond); the message names the columns.
    """

    def __init__(self, X, device):
        # min == max is exact, unlike std > 0 (the mean of equal values can be off by an ulp)
        self.constant = X.min(axis=0) == X.max(axis=0)
        self.mean = X.mean(axis=0, dtype=np.float64)
        self.mean[self.constant] = X[0, self.constant]
        with np.errstate(over="ignore"):  # reported below, naming the columns
            scale = X.std(axis=0, dtype=np.float64)
        overflow = ~(np.isfinite(self.mean) & np.isfinite(scale))
        if overflow.any():
            raise ValueError(
                f"X columns {np.flatnonzero(overflow).tolist()} have values too large to "
                "standardise (their mean or variance overflows float64); rescale them first."
            )
        self.scale = np.where(self.constant | ~(scale > 0), 1.0, scale)
        # with no varying column there is nothing to distil; keep the columns as inputs
        self._columns = np.flatnonzero(~self.constant) if not self.constant.all() else None
        columns = slice(None) if self._columns is None else self._columns
        if X.dtype == np.float32:
            if any(stride < 0 for stride in X.strides):
                X = np.ascontiguousarray(X)  # torch cannot view negative strides (X[::-1])
            with warnings.catch_warnings():
                # read-only inputs are fine: the tensor is only ever read
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                self._X = torch.as_tensor(X, device=device)
            # standardised per gathered batch, so the caller's float32 X needs no copy
            self._gather_columns = (
                None if self._columns is None else torch.as_tensor(self._columns, device=device)
            )
            self._mean = torch.as_tensor(self.mean[columns], dtype=torch.float32, device=device)
            self._scale = torch.as_tensor(self.scale[columns], dtype=torch.float32, device=device)
        else:
            self._X = _standardised_float32(X, columns, self.mean, self.scale, device)
            self._gather_columns = self._mean = self._scale = None

    @property
    def n_features(self):
        """Number of columns the optimisation works on (the non-constant ones)."""
        return len(self.mean) if self._columns is None else len(self._columns)

    def gather(self, rows):
        """Standardised rows ``X[rows]`` for an index tensor of any shape."""
        if self._mean is None:  # standardised when copied
            return self._X[rows]
        if self._gather_columns is None:
            return (self._X[rows] - self._mean) / self._scale
        return (self._X[rows.unsqueeze(-1), self._gather_columns] - self._mean) / self._scale

    def to_original_scale(self, X_std):
        """Map standardised synthetic rows (a tensor) back to a float64 NumPy array."""
        X = np.tile(self.mean, (X_std.shape[0], 1))  # constant columns: their exact value
        varying = ~self.constant
        if varying.any():
            X_std = X_std.detach().cpu().double().numpy()
            X[:, varying] = X_std * self.scale[varying] + self.mean[varying]
        return X


def _standardised_float32(X, columns, mean, scale, device):
    """Float32 tensor of ``(X[:, columns] - mean) / scale``, computed in float64 blocks."""
    mean, scale = mean[columns], scale[columns]
    out = torch.empty((X.shape[0], len(mean)), dtype=torch.float32, device=device)
    step = max(1, _BLOCK_VALUES // max(1, X.shape[1]))
    for start in range(0, X.shape[0], step):
        block = (X[start : start + step][:, columns] - mean) / scale
        out[start : start + step] = torch.from_numpy(block.astype(np.float32))
    return out
