"""The real rows as the optimisation sees them: one float32 view, standardised on the fly."""

import warnings

import numpy as np
import torch


class RealRows:
    """Real rows of ``X`` held once on the device, gathered and standardised per batch.

    Features are standardised (zero mean, unit variance, constant columns left
    unscaled) so that the distillation sees every feature on the same scale —
    features of 1e-6 and 1e6 are treated alike — and the synthetic rows are mapped
    back to the original scale at the end. Standardisation happens on gathered
    mini-batches, so the only copy of ``X`` is the float32 tensor (none when ``X``
    is already float32, contiguous and on the CPU device).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated, finite input. It is never written to.
    device : torch.device
    """

    def __init__(self, X, device):
        self.mean = X.mean(axis=0, dtype=np.float64)
        scale = X.std(axis=0, dtype=np.float64)
        self.scale = np.where(scale > 0, scale, 1.0)
        with warnings.catch_warnings():
            # read-only inputs are fine: the tensor is only ever read
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            self._X = torch.as_tensor(X, dtype=torch.float32, device=device)
        self._mean = torch.as_tensor(self.mean, dtype=torch.float32, device=device)
        self._scale = torch.as_tensor(self.scale, dtype=torch.float32, device=device)

    @property
    def n_features(self):
        return self._X.shape[1]

    def gather(self, rows):
        """Standardised rows ``X[rows]`` for an index tensor of any shape."""
        return (self._X[rows] - self._mean) / self._scale

    def to_original_scale(self, X_std):
        """Map standardised synthetic rows (a tensor) back to a float64 NumPy array."""
        return X_std.detach().cpu().double().numpy() * self.scale + self.mean
