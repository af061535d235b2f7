"""The papers' evaluation protocol on the coloured digits: real training data and a random subset.

:func:`skfairdistill.evaluation.evaluate_synthetic` (fresh ConvNet-3 networks, the
authors' SGD recipe and DSA) trained on the 1,347 real training digits of
``make_colored_digits(mode=...)`` (colour tied to the class with bias 0.9) and on a
random 10-per-class subset of them, scored on the test digits (colours uniform):
accuracy, DEO_M and DEO_A, mean ± std over ``--models`` networks, with the wall time.
The anchors a distilled set sits between, measured the way the papers measure it.

Usage::

    python benchmarks/eval_protocol.py --real-epochs 30 --out benchmarks/results/eval_protocol.md
    python benchmarks/eval_protocol.py --quick       # smoke test (seconds)
"""

import argparse
import functools
import os
import platform
import sys
import time

import numpy as np

from skfairdistill.datasets import make_colored_digits
from skfairdistill.evaluation import evaluate_synthetic
from skfairdistill.networks import make_embedding


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="foreground")
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--subset-epochs", type=int, default=300)
    parser.add_argument("--real-epochs", type=int, default=300)
    parser.add_argument("--channels", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.subset_epochs, args.real_epochs, args.channels = 1, 2, 1, 8
    X, y, _ = make_colored_digits(mode=args.mode, random_state=0)
    X_test, y_test, groups = make_colored_digits(mode=args.mode, split="test", random_state=0)
    rng = np.random.default_rng(0)
    subset = np.concatenate([rng.choice(np.flatnonzero(y == k), 10, replace=False)
                             for k in np.unique(y)])
    network = functools.partial(make_embedding, "convnet", channels=args.channels, affine=True)
    lines = [f"# Evaluation protocol on coloured digits ({args.mode})", "",
             f"Command: `python benchmarks/eval_protocol.py {' '.join(argv or sys.argv[1:])}`; "
             f"{platform.processor() or platform.machine()}, {args.threads} thread(s), "
             f"ConvNet-3 with {args.channels} channels, {args.models} networks.", "",
             "| training set | n_epochs | accuracy | DEO_M | DEO_A | wall time (s) |",
             "|---|---|---|---|---|---|"]
    for name, rows, epochs in (("random 10 per class", subset, args.subset_epochs),
                               (f"real ({len(y)} images)", slice(None), args.real_epochs)):
        start = time.perf_counter()
        result = evaluate_synthetic(X[rows], y[rows], X_test, y_test, sensitive_features=groups,
                                    network=network, n_models=args.models, n_epochs=epochs,
                                    device=args.device, n_threads=args.threads,
                                    random_state=0, verbose=1)
        mean, std = result.mean(), result.std()
        cells = [f"{mean[key]:.3f} ± {std[key]:.3f}" for key in ("accuracy", "deo_max",
                                                                 "deo_mean")]
        lines.append(f"| {name} | {epochs} | {' | '.join(cells)} | "
                     f"{time.perf_counter() - start:.0f} |")
        print(lines[-1], flush=True)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
