"""skfairdistill: fair dataset distillation as a scikit-learn / imbalanced-learn citizen.

The public names are re-exported here; the implementations live in private modules.
They are imported on first use (PEP 562 module ``__getattr__``), so that
``import skfairdistill`` and the command line's ``--help`` do not import torch,
POT or fairlearn until a name that needs them is used.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> (module, attribute); attribute None: the module itself
_LAZY = {
    "DistillationInterrupted": ("._estimators", "DistillationInterrupted"),
    "DistilledClassifier": ("._estimators", "DistilledClassifier"),
    "FairDistiller": ("._estimators", "FairDistiller"),
    "blend_if_more_accurate": ("._estimators", "blend_if_more_accurate"),
    "class_prior_weights": ("._estimators", "class_prior_weights"),
    "group_balanced_weights": ("._estimators", "group_balanced_weights"),
    "teacher_labelled_rows": ("._estimators", "teacher_labelled_rows"),
    "datasets": (".datasets", None),
    "evaluation": (".evaluation", None),
    "metrics": (".metrics", None),
}

__all__ = [
    "DistillationInterrupted", "DistilledClassifier", "FairDistiller", "blend_if_more_accurate",
    "class_prior_weights", "group_balanced_weights", "teacher_labelled_rows", "datasets",
    "evaluation", "metrics", "__version__",
]


def __getattr__(name):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
