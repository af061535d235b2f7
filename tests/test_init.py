"""The package's door (skfairdistill/__init__.py): public names imported on first use.

``import skfairdistill``, the command line's ``--help`` and its argument errors must not
import torch, POT, fairlearn, scikit-learn, pandas or imbalanced-learn (seconds of
start-up before a one-line answer).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("code", [
    "import skfairdistill",
    "import skfairdistill; skfairdistill.__all__; dir(skfairdistill); skfairdistill.__version__",
    "import runpy, sys; sys.argv = ['skfairdistill', '--help']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
    "import runpy, sys; sys.argv = ['skfairdistill', 'distill', '--help']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
    "import runpy, sys; sys.argv = ['skfairdistill', 'distill', 'x.csv', '--out', 'y.csv']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
    "import runpy, sys; sys.argv = ['skfairdistill', 'distill', 'missing.csv', '--target', "
    "'t', '--sensitive', 'g', '--out', 'y.csv']\n"
    "try: runpy.run_module('skfairdistill', run_name='__main__')\nexcept SystemExit: pass",
], ids=["import", "public-names", "help", "distill-help", "argument-error", "missing-file"])
@pytest.mark.slow  # a subprocess: seconds of interpreter start-up
def test_import_and_help_do_not_import_heavy_modules(code):
    check = ("\nheavy = [m for m in ('torch', 'ot', 'fairlearn', 'sklearn', 'pandas', "
             "'imblearn') if m in sys.modules]\n") + \
            "print('HEAVY', heavy)"
    result = subprocess.run([sys.executable, "-c", "import sys\n" + code + check],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_lazy_public_names_resolve():
    import skfairdistill
    from skfairdistill import datasets, evaluation, metrics
    from skfairdistill._estimators import (
        DistillationInterrupted,
        DistilledClassifier,
        FairDistiller,
        blend_if_more_accurate,
        class_prior_weights,
        group_balanced_weights,
        teacher_labelled_rows,
    )

    assert set(skfairdistill.__all__) <= set(dir(skfairdistill))
    # every public name is the object of the module that implements it
    expected = {
        "DistillationInterrupted": DistillationInterrupted,
        "DistilledClassifier": DistilledClassifier,
        "FairDistiller": FairDistiller,
        "blend_if_more_accurate": blend_if_more_accurate,
        "class_prior_weights": class_prior_weights,
        "group_balanced_weights": group_balanced_weights,
        "teacher_labelled_rows": teacher_labelled_rows,
        "datasets": datasets,
        "evaluation": evaluation,
        "metrics": metrics,
        "__version__": skfairdistill.__version__,
    }
    assert sorted(expected) == sorted(skfairdistill.__all__)
    for name in skfairdistill.__all__:
        assert getattr(skfairdistill, name) is expected[name]
    assert isinstance(skfairdistill.__version__, str) and skfairdistill.__version__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        skfairdistill.nope
