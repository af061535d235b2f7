"""What COBRA's warm start and the paper preset do on the coloured digits.

COBRA-DM (and vanilla / FairDD beside it) on ``digits-foreground`` of the benchmark
suite (1,347 training images, 3 colour groups, bias 0.9; the test images coloured
uniformly, 4 colourings), 10 images per class, evaluated by the suite's logistic
regression on the flattened images. Settings compared, each with ``n_iter`` fixed
so that the comparison is affordable on a CPU:

- *library*: the defaults (no warm start);
- *library + warm start*: the defaults with ``warm_start_epochs=10`` (the authors' K
  at 10 images per class, trained as their code does);
- *paper*: ``preset="paper"`` (their step on their pixel scale, 600 real images per
  class, DSA with colour, the warm start for COBRA) with the same ``n_iter`` instead
  of their 2,600.

Regenerate::

    python benchmarks/warm_start.py --n-iter 300 --seeds 3 --out benchmarks/results/warm_start.md
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_common import write_text  # noqa: E402
from bench_suite import Config, Dataset, _score, load_split, make_model  # noqa: E402

from skfairdistill import FairDistiller  # noqa: E402

SETTINGS = {
    "library": dict(),
    "library + warm start": dict(warm_start_epochs=10),
    "paper": dict(preset="paper"),
}
ALIGNMENTS = {"vanilla": "none", "FairDD": "groupwise", "COBRA": "barycenter"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-iter", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-list", default=None,
                        help="comma-separated seeds (instead of 0..seeds-1)")
    parser.add_argument("--from-log", default=None,
                        help="only render the report from the rows printed in this log")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default="COBRA,vanilla")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    dataset = Dataset("digits-foreground", "digits", mode="foreground")
    seeds = (range(args.seeds) if args.seed_list is None
             else [int(s) for s in args.seed_list.split(",")])
    rows = []
    if args.from_log:  # the rows a (possibly stopped) run printed, one dict per line
        import ast

        with open(args.from_log) as stream:
            rows = [ast.literal_eval(line) for line in stream if line.startswith("{")]
        seeds = sorted({row["seed"] for row in rows})
    for seed in ([] if args.from_log else seeds):
        split = load_split(dataset, seed, Config(seeds=(seed,), budgets=(10,), datasets=(dataset,)))
        images = split.X_train.reshape(-1, 3, 8, 8)
        for method in args.methods.split(","):
            for name, options in SETTINGS.items():
                if method != "COBRA" and name == "library + warm start":
                    continue
                began = time.perf_counter()
                distiller = FairDistiller(alignment=ALIGNMENTS[method], n_per_class=10,
                                          n_iter=args.n_iter, random_state=seed, device="cpu",
                                          **options)
                X_syn, y_syn = distiller.fit_resample(images, split.y_train,
                                                      sensitive_features=split.A_train)
                seconds = time.perf_counter() - began
                model = make_model("LogReg", seed).fit(X_syn.reshape(len(X_syn), -1), y_syn)
                score = _score(split.y_test, model.predict(split.X_test), split.A_test)
                rows.append(dict(method=method, setting=name, seed=seed, seconds=seconds,
                                 **score))
                print(rows[-1], flush=True)

    def cell(values, digits=3):
        spread = np.std(values, ddof=1) if len(values) > 1 else float("nan")
        return f"{np.mean(values):.{digits}f} ± {spread:.{digits}f}"

    lines = [
        "# Warm start and the paper preset on the coloured digits",
        "",
        f"digits-foreground, 10 images per class, n_iter={args.n_iter} for every setting, "
        f"seeds {', '.join(map(str, seeds))}, logistic regression on the flattened images; mean ± std "
        "over seeds. See the docstring of `benchmarks/warm_start.py` for the settings.",
        "",
        "| method | setting | accuracy | DEO_M | DEO_A | seconds per fit |",
        "|---|---|---|---|---|---|",
    ]
    for method in args.methods.split(","):
        for name in SETTINGS:
            sel = [r for r in rows if r["method"] == method and r["setting"] == name]
            if not sel:
                continue
            lines.append(
                f"| {method} | {name} | {cell([r['accuracy'] for r in sel])} | "
                f"{cell([r['deo_max'] for r in sel])} | {cell([r['deo_mean'] for r in sel])} | "
                f"{cell([r['seconds'] for r in sel], 0)} |"
            )
    lines += ["", f"Command: `python benchmarks/warm_start.py --n-iter {args.n_iter} --seeds "
              f"{args.seeds} --threads {args.threads} --methods {args.methods}` (load average "
              f"at the end {os.getloadavg()[0]:.1f}: other jobs shared the machine, so the "
              "seconds compare settings of this run only)."]
    write_text("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
