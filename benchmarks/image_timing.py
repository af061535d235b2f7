"""Time per iteration of the image path at the issue's scale: CPU vs GPU.

60,000 generated images of shape 3x32x32 (float32, random values: only the
shapes matter for timing), 10 classes x 10 groups, 10 synthetic images per class,
FairDistiller's defaults for images (ConvNet-3 of 128 channels, siamese
augmentation, real batch 256 per (class, group) cell, COBRA). For each device:
one warm-up fit of 2 iterations (CUDA initialisation, kernel selection), then a
fit of ``--n-iter`` iterations, timed; the time per iteration is its loop time
divided by the iterations and the total is extrapolated to the default 1000.

Usage::

    python benchmarks/image_timing.py                     # CPU, and CUDA when present
    python benchmarks/image_timing.py --devices cuda --n-iter 50
    python benchmarks/image_timing.py --quick             # smoke test

Appends one row per device to ``benchmarks/results/image_timing.csv`` (with the
device name) and rewrites ``image_timing.md`` from all rows.
"""

import argparse
import os
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(_HERE, "results")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from bench_common import cpu_name  # noqa: E402
from skfairdistill import FairDistiller  # noqa: E402


def make_images(n, shape, n_classes, n_groups, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, n_classes, size=n)
    groups = rng.integers(0, n_groups, size=n)
    return X, y, groups


def device_name(device):
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{cpu_name()}, {torch.get_num_threads()} threads"


def time_fit(X, y, groups, device, n_iter, batch_size):
    def fit(iterations):
        # the field's normed ConvNet-3: the images' default when these figures were taken
        distiller = FairDistiller(n_per_class=10, n_iter=iterations, batch_size=batch_size,
                                  embedding="convnet", device=device, random_state=0)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        distiller.fit(X, y, sensitive_features=groups)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - started

    fit(2)  # warm-up
    short = fit(1)  # setup plus one iteration
    full = fit(n_iter)
    per_iteration = (full - short) / (n_iter - 1)
    # setup = the 1-iteration fit minus one iteration (noisy for small n: may be < 0)
    return dict(setup_s=short - per_iteration, s_per_iter=per_iteration, fit_s=full)


def render(path):
    rows = pd.read_csv(path)
    lines = [
        "# Image path at scale: time per iteration, CPU vs GPU",
        "",
        "60,000 generated 3x32x32 images, 10 classes x 10 groups, 10 synthetic images per "
        "class, FairDistiller's image defaults (ConvNet-3 of 128 channels, siamese "
        "augmentation, COBRA). Time per iteration = (fit of n iterations − fit of 1) / "
        "(n − 1), after a warm-up fit; *1000 iterations* extrapolates the default run.",
        "",
        "| date | device | batch per cell | fit of 1 iteration (s) | fit of n (s) | n "
        "| s / iteration | 1000 iterations (min) | command |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for _, r in rows.iterrows():
        lines.append(
            f"| {r.date} | {r.device_name} | {r.batch_size} | {r.setup_s + r.s_per_iter:.1f} "
            f"| {r.fit_s:.1f} | {r.n_iter} | {r.s_per_iter:.3f} "
            f"| {r.s_per_iter * 1000 / 60:.1f} | `{r.command}` |"
        )
    if not rows.device.astype(str).str.startswith("cuda").any():
        lines += [
            "",
            "No CUDA row yet: the machine that measured these had no GPU. Run "
            "`python benchmarks/image_timing.py --devices cuda --n-iter 50` on a CUDA "
            "machine to add it. On a CPU this script's default batch of 256 real images per "
            "(class, group) cell (25,600 images per iteration) is out of reach: the first ConvNet "
            "layer's output alone is 25,600 x 128 x 32 x 32 float32 values, about 13 GB; "
            "time the CPU with a smaller `--batch-size`.",
        ]
    out = path[:-4] + ".md"
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", default="cpu,cuda",
                        help="comma-separated; cuda is skipped when not available")
    parser.add_argument("--n-iter", type=int, default=5)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny images")
    args = parser.parse_args(argv)
    command = "python benchmarks/image_timing.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    shape = (3, 32, 32)
    if args.quick:
        args.rows, shape, args.n_iter, args.batch_size = 400, (3, 8, 8), 3, 4
    X, y, groups = make_images(args.rows, shape, 10, 10)
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, "image_timing_quick.csv" if args.quick
                        else "image_timing.csv")
    for device in [d for d in args.devices.split(",") if d]:
        if device.startswith("cuda") and not torch.cuda.is_available():
            print(f"{device}: not available, skipped")
            continue
        result = time_fit(X, y, groups, device, args.n_iter, args.batch_size)
        row = dict(date=time.strftime("%Y-%m-%d"), device=device,
                   device_name=device_name(device), rows=args.rows,
                   batch_size=args.batch_size, n_iter=args.n_iter, command=command, **result)
        print(row, flush=True)
        pd.DataFrame([row]).to_csv(path, mode="a", header=not os.path.exists(path),
                                   index=False)
    if os.path.exists(path):
        print("wrote", render(path))


if __name__ == "__main__":
    main()
