"""skfairdistill: fair dataset distillation as a scikit-learn / imbalanced-learn citizen.

The public names are re-exported here; the implementations live in private modules.
"""

from . import datasets, metrics
from ._distiller import FairDistiller
from ._meta import DistilledClassifier

__version__ = "0.1.0.dev0"

__all__ = ["DistilledClassifier", "FairDistiller", "datasets", "metrics", "__version__"]
