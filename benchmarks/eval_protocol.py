"""The papers' evaluation protocol on the coloured digits: real training data and a random subset.

:func:`skfairdistill.evaluation.evaluate_synthetic` (fresh ConvNet-3 networks, the
authors' SGD recipe and DSA) trained on the 1,347 real training digits of
``make_colored_digits(mode=...)`` (colour tied to the class with bias 0.9) and on a
random 10-per-class subset of them, scored on the test digits (colours uniform):
accuracy, DEO_M and DEO_A, mean ± std over ``--models`` networks, with the wall time.
The anchors a distilled set sits between, measured the way the papers measure it.
With ``--distil N``, also the 10-per-class sets of vanilla, FairDD and COBRA
distribution matching (``FairDistiller`` defaults for images, ``n_iter=N``, the
guide's 32-channel ConvNet embedding without instance norm, batch 64), each
evaluated the same way, beside their logistic regression on the flat pixels.

Usage::

    python benchmarks/eval_protocol.py --real-epochs 30 --out benchmarks/results/eval_protocol.md
    python benchmarks/eval_protocol.py --real-epochs 30 --distil 300
    python benchmarks/eval_protocol.py --quick       # smoke test (seconds)
"""

import argparse
import functools
import os
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import cpu_name, random_subset  # noqa: E402

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_colored_digits
from skfairdistill.evaluation import evaluate_synthetic
from skfairdistill.metrics import deo_max, deo_mean
from skfairdistill.networks import make_embedding

ALIGNMENTS = {"vanilla": "none", "FairDD": "groupwise", "COBRA": "barycenter"}


def distilled_sets(X, y, groups, n_iter):
    """(name, X_syn, y_syn) of the three DM distillers at 10 images per class."""
    embedding = functools.partial(make_embedding, "convnet", channels=32, norm="none")
    for name, alignment in ALIGNMENTS.items():
        distiller = FairDistiller(n_per_class=10, n_iter=n_iter, alignment=alignment,
                                  embedding=embedding, batch_size=64, n_threads=1,
                                  random_state=0)
        X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=groups)
        yield f"{name} DM, 10 per class", X_syn, y_syn


def logistic_cells(X_train, y_train, X_test, y_test, groups):
    """Accuracy, DEO_M, DEO_A of a logistic regression on the flat pixels."""
    flat = LogisticRegression(max_iter=2000).fit(X_train.reshape(len(X_train), -1), y_train)
    predicted = flat.predict(X_test.reshape(len(X_test), -1))
    return (f"{np.mean(predicted == y_test):.3f}",
            f"{deo_max(y_test, predicted, sensitive_features=groups):.3f}",
            f"{deo_mean(y_test, predicted, sensitive_features=groups):.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="foreground")
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--subset-epochs", type=int, default=300)
    parser.add_argument("--real-epochs", type=int, default=300)
    parser.add_argument("--channels", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--distil", type=int, default=0, metavar="N_ITER",
                        help="also distil vanilla / FairDD / COBRA with n_iter=N_ITER")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.subset_epochs, args.real_epochs, args.channels = 1, 2, 1, 8
        args.distil = min(args.distil, 2)
    X, y, train_groups = make_colored_digits(mode=args.mode, random_state=0)
    X_test, y_test, groups = make_colored_digits(mode=args.mode, split="test", random_state=0)
    subset = random_subset(y, 10, np.random.default_rng(0))
    network = functools.partial(make_embedding, "convnet", channels=args.channels, affine=True)
    lines = [f"# Evaluation protocol on coloured digits ({args.mode})", "",
             f"Command: `python benchmarks/eval_protocol.py {' '.join(argv or sys.argv[1:])}`; "
             f"{cpu_name()}, {args.threads} thread(s), "
             f"ConvNet-3 with {args.channels} channels, {args.models} networks.", "",
             "| training set | n_epochs | accuracy | DEO_M | DEO_A | wall time (s) "
             "| LogReg accuracy / DEO_M / DEO_A |",
             "|---|---|---|---|---|---|---|"]
    sets = [("random 10 per class", X[subset], y[subset], args.subset_epochs),
            (f"real ({len(y)} images)", X, y, args.real_epochs)]
    if args.distil:
        sets[1:1] = [(name, X_syn, y_syn, args.subset_epochs) for name, X_syn, y_syn
                     in distilled_sets(X, y, train_groups, args.distil)]
    for name, X_train, y_train, epochs in sets:
        start = time.perf_counter()
        result = evaluate_synthetic(X_train, y_train, X_test, y_test, sensitive_features=groups,
                                    network=network, n_models=args.models, n_epochs=epochs,
                                    device=args.device, n_threads=args.threads,
                                    random_state=0, verbose=1)
        mean, std = result.mean(), result.std()
        cells = [f"{mean[key]:.3f} ± {std[key]:.3f}" for key in ("accuracy", "deo_max",
                                                                 "deo_mean")]
        logistic = " / ".join(logistic_cells(X_train, y_train, X_test, y_test, groups))
        lines.append(f"| {name} | {epochs} | {' | '.join(cells)} | "
                     f"{time.perf_counter() - start:.0f} | {logistic} |")
        print(lines[-1], flush=True)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
