"""CAFE with the vanilla, FairDD and COBRA targets on the coloured digits (a small CPU run).

``make_colored_digits(n_colors=3, bias=0.9, random_state=0)`` (1,347 training
images, 3 colour groups), 10 images per class, ``matching="cafe"`` with the
library's defaults except what a 2-core CPU affords: ``n_iter`` iterations, a
ConvNet-3 of ``--channels`` channels, at most ``--inner`` training epochs between
updates. Evaluated by a logistic regression on the flattened synthetic images,
on the 450 held-out images with uniform colours (``split="test"``): accuracy,
DEO_M, DEO_A (mean ± std over seeds).

Run::

    python benchmarks/cafe_digits.py --n-iter 15 --channels 32 --inner 10 --seeds 0
"""

import argparse
import functools
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_colored_digits
from skfairdistill.metrics import deo_max, deo_mean
from skfairdistill.networks import make_embedding

ALIGNMENTS = {"vanilla": "none", "COBRA": "barycenter", "FairDD": "groupwise"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=15)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--inner", type=int, default=10, help="most epochs between updates")
    parser.add_argument("--lr", default="auto")
    parser.add_argument("--seeds", default="0", help="comma-separated random states")
    args = parser.parse_args()
    X, y, groups = make_colored_digits(n_colors=3, bias=0.9, random_state=0)
    X_test, y_test, groups_test = make_colored_digits(split="test", random_state=0)
    learning_rate = args.lr if args.lr == "auto" else float(args.lr)
    network = functools.partial(make_embedding, "convnet", channels=args.channels)
    for name, alignment in ALIGNMENTS.items():
        scores = []
        for seed in map(int, args.seeds.split(",")):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X_syn, y_syn = FairDistiller(
                    matching="cafe", alignment=alignment, n_per_class=10, n_iter=args.n_iter,
                    learning_rate=learning_rate, inner_steps=args.inner, embedding=network,
                    random_state=seed, device="cpu", n_threads=1,
                ).fit_resample(X, y, sensitive_features=groups)
            model = LogisticRegression(max_iter=3000).fit(X_syn.reshape(len(X_syn), -1), y_syn)
            pred = model.predict(X_test.reshape(len(X_test), -1))
            scores.append((np.mean(pred == y_test),
                           deo_max(y_test, pred, sensitive_features=groups_test),
                           deo_mean(y_test, pred, sensitive_features=groups_test),
                           time.perf_counter() - start))
        s = np.array(scores)
        print(f"{name:8s} accuracy {s[:, 0].mean():.3f} ± {s[:, 0].std():.3f}  "
              f"DEO_M {s[:, 1].mean():.3f} ± {s[:, 1].std():.3f}  "
              f"DEO_A {s[:, 2].mean():.3f} ± {s[:, 2].std():.3f}  {s[:, 3].mean():.0f} s/fit",
              flush=True)


if __name__ == "__main__":
    main()
