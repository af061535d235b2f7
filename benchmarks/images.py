"""Benchmark: the image path (ConvNet embedding, siamese augmentation, warm start, DC).

Coloured digits (:func:`skfairdistill.datasets.make_colored_digits`, 8x8 RGB, the
colour is the group and, in training, tied to the class) passed to FairDistiller as
images ``(n, 3, 8, 8)``, 10 synthetic images per class. Distillers:

- distribution matching (DM) through the ConvNet-3 with the default siamese
  augmentation (``crop_cutout_flip_scale_rotate``): vanilla, FairDD, COBRA, and
  COBRA with the warm-started embedding (``warm_start_epochs=1``, what ``"auto"``
  gave at 10 per class when these rows were first run; ``"auto"`` is now 0); with the
  ConvNet's instance norm (the field's default) and without it;
- gradient matching (DC) through the same ConvNet: vanilla, FairDD, COBRA.

On 2 CPU cores the ConvNet is narrowed from the field's 128 channels to
``--channels`` (32 by default; 128 costs about 16 times more per iteration on these
images) and the schedules are shortened (``--dm-iter``, ``--dc-iter``,
``--dc-loops``); the command and the settings are written into the Markdown.

Evaluation as in the suite (``benchmarks/bench_suite.py``): LogisticRegression and
an MLP trained on the flattened synthetic images, scored on real test images
coloured uniformly (4 colourings of the 450 test digits): accuracy, DEO_M, DEO_A,
worst-group accuracy.

Usage::

    python benchmarks/images.py                     # writes results/images.{csv,md}
    python benchmarks/images.py --part dm           # only distribution matching
    python benchmarks/images.py --from-csv          # re-render the Markdown only
    python benchmarks/images.py --quick             # smoke test (seconds)

Rows are appended to the CSV as they finish, and rows already there are not run
again, so an interrupted run resumes where it stopped.
"""

import argparse
import functools
import os
import platform
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(_HERE, "results")

if __name__ == "__main__":  # before NumPy and torch are imported: small shared machine
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, _HERE)
from bench_common import cpu_name  # noqa: E402
from bench_suite import Config, Dataset, _score, load_split, make_model  # noqa: E402

from skfairdistill import FairDistiller  # noqa: E402
from skfairdistill._networks import make_embedding  # noqa: E402

MODES = ("foreground", "background", "grey")
ALIGNMENT = {"vanilla": "none", "FairDD": "groupwise", "COBRA": "barycenter",
             "COBRA-warm": "barycenter"}


def settings(args):
    """(part, method, norm) -> FairDistiller keyword arguments."""
    out = {}
    for norm in args.norms:
        # the norm ablation only for vanilla and COBRA, to save time on 2 cores
        methods = (("vanilla", "FairDD", "COBRA", "COBRA-warm") if norm == args.norms[-1]
                   else ("vanilla", "COBRA"))
        for method in methods:
            out[("DM", method, norm)] = dict(matching="distribution", n_iter=args.dm_iter,
                                             warm_start_epochs=1
                                             if method == "COBRA-warm" else 0)
    for method in ("vanilla", "FairDD", "COBRA"):
        outer, inner = args.dc_loops
        out[(f"DC, lr {args.dc_learning_rate:g}", method, args.dc_norm)] = dict(matching="gradient", n_iter=args.dc_iter,
                                                 outer_loops=outer, inner_steps=inner,
                                                 learning_rate=args.dc_learning_rate)
    return {key: value for key, value in out.items() if key[0].split(",")[0] in args.parts}


def run_one(split, part, method, norm, seed, kwargs, args):
    embedding = functools.partial(make_embedding, "convnet", channels=args.channels, norm=norm)
    distiller = FairDistiller(n_per_class=args.n_per_class, alignment=ALIGNMENT[method],
                              embedding=embedding, batch_size=args.batch_size, device="cpu",
                              random_state=seed, **kwargs)
    images = split.X_train.reshape(-1, 3, 8, 8)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_syn, y_syn = distiller.fit_resample(images, split.y_train,
                                              sensitive_features=split.A_train)
    seconds = time.perf_counter() - started
    assert X_syn.shape == (len(y_syn), 3, 8, 8)
    rows = []
    for model_name in args.models:
        model = make_model(model_name, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X_syn.reshape(len(X_syn), -1), y_syn)
        score = _score(split.y_test, model.predict(split.X_test), split.A_test)
        rows.append(dict(part=part, method=method, norm=norm, seed=seed, model=model_name,
                         fit_s=seconds, s_per_iter=seconds / distiller.n_iter_, **score))
    return rows


def run(args):
    path = os.path.join(args.results, f"{args.prefix}.csv")
    done = pd.read_csv(path) if os.path.exists(path) and not args.quick else None
    config = Config(seeds=(), budgets=(), datasets=())
    grid = settings(args)
    for mode in args.modes:
        dataset = Dataset(f"digits-{mode}", "digits", mode=mode)
        for seed in range(args.seeds):
            split = None
            for (part, method, norm), kwargs in grid.items():
                if done is not None and ((done.dataset == dataset.name) & (done.part == part)
                                         & (done.method == method) & (done.norm == norm)
                                         & (done.seed == seed)).any():
                    continue
                split = split or load_split(dataset, seed, config)
                rows = run_one(split, part, method, norm, seed, kwargs, args)
                frame = pd.DataFrame([dict(dataset=dataset.name, **row) for row in rows])
                frame.to_csv(path, mode="a", header=not os.path.exists(path), index=False)
                first = rows[0]
                print(f"{dataset.name} seed {seed} {part} {method} norm={norm}: "
                      f"acc {first['accuracy']:.3f} DEO_M {first['deo_max']:.3f} "
                      f"DEO_A {first['deo_mean']:.3f} ({first['fit_s']:.0f} s)", flush=True)
    return path


def _pm(values, digits=3):
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.{digits}f} ± {std:.{digits}f}"


def render(path, args):
    rows = pd.read_csv(path)
    keys = ["dataset", "part", "norm", "method", "model"]
    lines = [
        "# Images: the ConvNet path on coloured digits",
        "",
        (f"Command: `{args.command}`  " if not args.from_csv else
         "Rendered from the CSV with `python benchmarks/images.py --from-csv`; the "
         "commands that produced the rows are in the notes at the end.  "),
        f"Machine: {cpu_name()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, torch {torch.__version__} (1 thread); no GPU.  ",
        f"Settings: {args.n_per_class} images per class; ConvNet-3 of {args.channels} channels "
        "(the field uses 128; on 2 CPU cores that costs ~16x more per iteration) with "
        "instance norm (`instance`) or none (`none`); default siamese augmentation "
        f"(`crop_cutout_flip_scale_rotate`); real batch {args.batch_size} per (class, group) "
        f"cell; DM {args.dm_iter} iterations at the default `learning_rate=\"auto\"` (10 for "
        f"DM through a ConvNet); DC {args.dc_iter} iterations of {args.dc_loops[0]} outer loops "
        f"and {args.dc_loops[1]} inner steps (DC's schedule for 10 per class is 1000 x (10, "
        "50)), `learning_rate` as labelled (`DC, lr 0.1` is DC's own step size), "
        "`network_learning_rate` 0.01. "
        "COBRA-warm: "
        "`warm_start_epochs=1`. Evaluation: LogReg and MLP "
        "on the flattened synthetic images, tested on real test digits coloured uniformly. "
        f"Mean ± std over {rows.seed.nunique()} seeds. Times are contended (2 cores shared "
        "with other jobs).",
        "",
        "| data set | matching | norm | method | model | accuracy | DEO_M | DEO_A "
        "| worst group | s / iteration |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {"vanilla": 0, "FairDD": 1, "COBRA": 2, "COBRA-warm": 3}
    groups = sorted(rows.groupby(keys), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                                         kv[0][4], order[kv[0][3]]))
    for (dataset, part, norm, method, model), g in groups:
        lines.append(
            f"| {dataset} | {part} | {norm} | {method} | {model} | {_pm(g.accuracy)} "
            f"| {_pm(g.deo_max)} | {_pm(g.deo_mean)} | {_pm(g.worst_group_accuracy)} "
            f"| {g.s_per_iter.mean():.2f} |"
        )
    lines += ["", "## Against the issue's expectations (LogReg, mean over seeds)", ""]
    lines += _checks(rows)
    for note in args.notes:
        lines += ["", note]
    out = os.path.join(args.results, f"{args.prefix}.md")
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return out


def _checks(rows):
    """COBRA's DEO_A vs 0.5 x vanilla's with accuracy >= vanilla's; warm vs random DEO_M."""
    mean = (rows[rows.model == "LogReg"]
            .groupby(["dataset", "part", "norm", "method"])[["accuracy", "deo_max", "deo_mean"]]
            .mean())
    lines = ["| data set | matching | norm | COBRA DEO_A / vanilla DEO_A | accuracy COBRA "
             "− vanilla | DEO_A ≤ 0.5× and accuracy ≥ | DEO_M warm − random (DM) |",
             "|---|---|---|---|---|---|---|"]
    for (dataset, part, norm), g in mean.groupby(level=[0, 1, 2]):
        g = g.droplevel([0, 1, 2])
        if not {"vanilla", "COBRA"} <= set(g.index):
            continue
        ratio = g.loc["COBRA", "deo_mean"] / max(g.loc["vanilla", "deo_mean"], 1e-12)
        gain = g.loc["COBRA", "accuracy"] - g.loc["vanilla", "accuracy"]
        met = "yes" if ratio <= 0.5 and gain >= 0 else "no"
        warm = (f"{g.loc['COBRA-warm', 'deo_max'] - g.loc['COBRA', 'deo_max']:+.3f}"
                if "COBRA-warm" in g.index else "—")
        lines.append(f"| {dataset} | {part} | {norm} | {ratio:.2f} | {gain:+.3f} | {met} "
                     f"| {warm} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", default="dm,dc", help="dm, dc or both (comma-separated)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-per-class", type=int, default=10)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--norms", default="instance,none",
                        help="ConvNet norms for DM; all four DM methods run with the last one")
    parser.add_argument("--dc-norm", default="none")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dm-iter", type=int, default=300)
    parser.add_argument("--dc-iter", type=int, default=20)
    parser.add_argument("--dc-loops", default="10,10", help="outer loops, inner steps")
    parser.add_argument("--dc-learning-rate", type=float, default=0.1)
    parser.add_argument("--models", default="LogReg,MLP")
    parser.add_argument("--prefix", default="images")
    parser.add_argument("--results", default=RESULTS, help="folder of the CSV and Markdown")
    parser.add_argument("--from-csv", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--note", action="append", default=[], dest="notes")
    args = parser.parse_args(argv)
    args.command = "python benchmarks/images.py " + " ".join(argv if argv is not None
                                                             else sys.argv[1:])
    args.parts = {p.strip().upper() for p in args.part.split(",")}
    args.modes = [m for m in args.modes.split(",") if m]
    args.norms = [n for n in args.norms.split(",") if n]
    args.models = [m for m in args.models.split(",") if m]
    args.dc_loops = tuple(int(v) for v in args.dc_loops.split(","))
    if args.quick:
        args.seeds, args.modes, args.channels, args.batch_size = 1, ["foreground"], 4, 8
        args.dm_iter, args.dc_iter, args.dc_loops, args.models = 2, 1, (1, 1), ["LogReg"]
        args.prefix = args.prefix + "_quick"
    torch.set_num_threads(1)
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, f"{args.prefix}.csv")
    if args.quick and os.path.exists(path):
        os.remove(path)
    if not args.from_csv:
        run(args)
    print("wrote", render(path, args))


if __name__ == "__main__":
    main()
