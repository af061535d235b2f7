"""Benchmark: IDC (matching="idc") with the three targets on the coloured digits.

The setting of the DC rows of ``benchmarks/images.py`` (8x8 coloured digits, 10
stored images per class, ConvNet-3 of ``--channels`` channels without instance
norm, siamese augmentation, 64 real rows per (class, group) cell, a short
schedule), evaluated the same way: LogisticRegression on the flattened decoded
images, scored on real test digits coloured uniformly. Prints one line per fit.

Usage::

    python benchmarks/idc_digits.py --mode foreground --seeds 2 --n-iter 20
"""

import argparse
import functools
import os
import sys
import time
import warnings

if __name__ == "__main__":  # before NumPy and torch are imported: small shared machine
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import numpy as np  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
from bench_suite import Config, Dataset, _score, load_split, make_model  # noqa: E402

from skfairdistill import FairDistiller  # noqa: E402
from skfairdistill._networks import make_embedding  # noqa: E402

ALIGNMENT = {"vanilla": "none", "FairDD": "groupwise", "COBRA": "barycenter"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="foreground")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--outer-loops", type=int, default=10)
    parser.add_argument("--inner-steps", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1.0)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--n-per-class", type=int, default=10)
    args = parser.parse_args(argv)
    embedding = functools.partial(make_embedding, "convnet", channels=args.channels, norm="none")
    dataset = Dataset(f"digits-{args.mode}", "digits", mode=args.mode)
    results = {method: [] for method in ALIGNMENT}
    for seed in range(args.seeds):
        split = load_split(dataset, seed, Config(seeds=(), budgets=(), datasets=()))
        images = split.X_train.reshape(-1, 3, 8, 8)
        for method, alignment in ALIGNMENT.items():
            distiller = FairDistiller(
                matching="idc", alignment=alignment, n_per_class=args.n_per_class,
                n_iter=args.n_iter, outer_loops=args.outer_loops, inner_steps=args.inner_steps,
                learning_rate=args.learning_rate, embedding=embedding, batch_size=64,
                device="cpu", random_state=seed, n_threads=1)
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X_syn, y_syn = distiller.fit_resample(images, split.y_train,
                                                      sensitive_features=split.A_train)
                model = make_model("LogReg", seed).fit(X_syn.reshape(len(X_syn), -1), y_syn)
            score = _score(split.y_test, model.predict(split.X_test), split.A_test)
            results[method].append(score)
            print(f"{dataset.name} seed {seed} IDC {method}: acc {score['accuracy']:.3f} "
                  f"DEO_M {score['deo_max']:.3f} DEO_A {score['deo_mean']:.3f} "
                  f"({time.perf_counter() - started:.0f} s, {len(X_syn)} decoded images)",
                  flush=True)
    for method, scores in results.items():
        mean = {k: np.mean([s[k] for s in scores]) for k in ("accuracy", "deo_max", "deo_mean")}
        print(f"mean over {args.seeds} seeds, IDC {method}: acc {mean['accuracy']:.3f} "
              f"DEO_M {mean['deo_max']:.3f} DEO_A {mean['deo_mean']:.3f}")


if __name__ == "__main__":
    main()
