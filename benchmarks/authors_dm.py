"""Time per DM iteration: FairDistiller against the COBRA authors' own ``train_dm.py``.

Their code is mhmoslemi/COBRA (checked at commit aa567ff). It is not part of this
repository: fetch it and export the files the DM loop needs to a scratch folder::

    git clone https://github.com/mhmoslemi/COBRA /tmp/cobra_src
    mkdir -p /tmp/authors_cobra
    git -C /tmp/cobra_src archive HEAD train_dm.py utils.py networks.py data_handler LICENSE \
        | tar -x -C /tmp/authors_cobra
    COBRA_AUTHORS_DIR=/tmp/authors_cobra python benchmarks/authors_dm.py --blocks 9 --iters 5

Their files run unmodified (no line changed): without CUDA their ``train_dm.main``
picks the CPU itself (``args.device``, ``get_network``). Names replaced in ``train_dm``'s
namespace, all outside the DM step: ``get_dataset`` (our coloured digits, on their pixel
scale, mean and std 0.5), ``evaluate_synset`` (their final evaluation: ``.cuda()`` inside,
not timed), ``save_image``; for the maths check only, ``get_network`` (their network with
our drawn weights; their ``image_syn`` set to our synthetic images). torchvision, named by
their imports but unused by the DM step, is stubbed when it is not installed.

Setting: ``make_colored_digits("foreground")`` (1,347 images of 3x8x8, 3 colour groups),
10 synthetic images per class, the normed ConvNet-3 (128 channels) on both sides, DSA
siamese augmentation with colour (their default strategy; ``preset="paper"`` on ours),
CPU, one thread. Every real image of a class is embedded each iteration on both sides
(their batch of 600 per class and our 200 per cell exceed the classes and cells). Time
per iteration: (fit of n+1 iterations - fit of 1) / n on our side, (``main`` with
``--Iteration n``, which runs n+1 steps, - with ``--Iteration 0``) / n on theirs, so set-up
cancels. Ours and theirs alternate within every block (the order flips each block),
after one untimed warm-up block; median (min-max) over the blocks.
"""

import argparse
import contextlib
import copy
import csv
import datetime
import io
import os
import platform
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch

from skfairdistill import FairDistiller
from skfairdistill.datasets import make_colored_digits
from skfairdistill.networks import ConvNet

OUT = Path(__file__).resolve().parent / "results" / "authors_dm"
# pairing -> (our alignment, our warm_start_epochs, their --mode, their --cobra_warmup_epochs)
PAIRINGS = {
    "COBRA-DM, no warm start": ("barycenter", 0, "cobra", 0),
    "COBRA-DM, warm start (10 epochs)": ("barycenter", 10, "cobra", -1),  # -1: their K=10
    "vanilla DM": ("none", 0, "vanilla", 0),
}
DSA = "color_crop_cutout_flip_scale_rotate"  # their default --dsa_strategy


def import_authors():
    """Import their train_dm from $COBRA_AUTHORS_DIR (torchvision stubbed if absent)."""
    try:
        import torchvision  # noqa: F401
    except ImportError:
        def stub_attr(name):  # any class they subclass or name at import time
            if name.startswith("__"):
                raise AttributeError(name)
            return type(name, (), {"__init__": lambda self, *a, **k: None})
        for name in ("torchvision", "torchvision.utils", "torchvision.transforms",
                     "torchvision.datasets", "torchvision.datasets.mnist",
                     "torchvision.datasets.vision", "torchvision.datasets.utils"):
            module = types.ModuleType(name)
            module.__path__, module.__getattr__ = [], stub_attr
            sys.modules[name] = module
    sys.path.insert(0, os.environ.get("COBRA_AUTHORS_DIR", "/tmp/authors_cobra"))
    import train_dm
    import utils
    # outside the DM step: their final evaluation (.cuda() inside) and a picture
    train_dm.evaluate_synset = lambda *a, **k: (None, None, 0.0, 0.0, 0.0, None, None)
    train_dm.save_image = lambda *a, **k: None
    return train_dm, utils


def their_args(train_dm, **overrides):
    """Their parse_args() defaults (run_dm.sh's values), with overrides."""
    saved, sys.argv = sys.argv, ["train_dm.py"]
    try:
        args = train_dm.parse_args()
    finally:
        sys.argv = saved
    # their checkpoint (torch.save, a few KiB) goes to the temporary folder
    args.num_eval, args.save_path = 1, os.path.join(tempfile.gettempdir(), "authors_dm_ckpt")
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def run_theirs(train_dm, n, mode, warm, strategy=DSA):
    """Seconds of their main() with --Iteration n (n + 1 DM steps), output silenced."""
    args = their_args(train_dm, mode=mode, Iteration=n, cobra_warmup_epochs=warm,
                      dsa_strategy=strategy)
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        train_dm.main(args)
    return time.perf_counter() - began


def run_ours(data, n, alignment, warm, seed):
    images, labels, colours = data
    began = time.perf_counter()
    FairDistiller(matching="distribution", alignment=alignment, preset="paper", n_iter=n,
                  n_per_class=10, device="cpu", n_threads=1, random_state=seed,
                  matching_params={"embedding": "convnet", "warm_start_epochs": warm,
                                   "augmentation": DSA}).fit(
        images, labels, sensitive_features=colours)
    return time.perf_counter() - began


class Spy:
    """Our drawn ConvNet, noting what our DM loop feeds it (a public embedding factory)."""

    def __init__(self, input_shape, generator):
        self.net = ConvNet(input_shape, generator)  # the field's ConvNet, instance norm
        self.width, self.calls = self.net.width, []

    def parameters(self):
        return self.net.parameters()

    def __call__(self, X):
        self.calls.append((X, X.detach().clone()))
        return self.net(X)


def maths_check(train_dm, utils, images, labels, colours, alignment, mode, seed):
    """Their loss and image gradient against ours: same weights, real and synthetic images.

    Ours: one public fit (n_iter=1, no augmentation, no warm start) whose embedding
    factory notes the real rows (standardised), the synthetic leaf and its gradient.
    Theirs: one step of their main() (--Iteration 0, --dsa_strategy none, no warm start)
    on those real rows, with our weights in their network and, at that step, our
    synthetic images written into their image_syn (read from main's frame); SGD.step and
    Tensor.backward are wrapped for that call only, to read their gradient and loss.
    """
    spies = []
    fit = FairDistiller(alignment=alignment, preset="paper", n_iter=1, n_per_class=10,
                        device="cpu", n_threads=1, random_state=seed, matching_params={
                            "embedding": lambda shape, gen: spies.append(Spy(shape, gen))
                            or spies[-1], "warm_start_epochs": 0, "augmentation": None})
    fit.fit(images, labels, sensitive_features=colours)
    assert (fit.y_distilled_ == np.repeat(np.arange(10), 10)).all()  # their row layout
    spy = spies[-1]
    real = next(copy for X, copy in spy.calls if not X.requires_grad and len(X) > 1000)
    leaf, syn = next((X, copy) for X, copy in spy.calls if X.requires_grad)
    # label and colour of each standardised real row: its nearest original image
    flat = images.reshape(len(images), 3, -1).astype(np.float64)
    flat = (flat - flat.mean((0, 2), keepdims=True)) / flat.std((0, 2), keepdims=True)
    match = torch.cdist(real.reshape(len(real), -1).double(),
                        torch.as_tensor(flat.reshape(len(flat), -1))).argmin(1).numpy()
    assert len(np.unique(match)) == len(images)  # every real image, once
    dataset = [(row, int(labels[i]), int(colours[i])) for row, i in zip(real, match)]

    theirs = utils.get_network("ConvNet", 3, 10, (8, 8))
    with torch.no_grad():  # their Sequential: [conv, GroupNorm(affine: 1, 0), ReLU, pool] x 3
        for block, (weight, bias) in enumerate(zip(spy.net.weights, spy.net.biases)):
            theirs.features[4 * block].weight.copy_(weight)
            theirs.features[4 * block].bias.copy_(bias)
    seen = {}
    step, backward = torch.optim.SGD.step, torch.Tensor.backward

    def spy_step(self, *a, **k):
        seen["grad"] = self.param_groups[0]["params"][0].grad.clone()
        return step(self, *a, **k)

    def spy_backward(self, *a, **k):
        seen["loss"] = self.detach().clone()
        return backward(self, *a, **k)

    def get_network(*a, **k):  # called from main() just before the step
        sys._getframe(1).f_locals["image_syn"].data.copy_(syn)
        return copy.deepcopy(theirs)

    saved = train_dm.get_network, train_dm.get_dataset
    train_dm.get_network = get_network
    train_dm.get_dataset = lambda *a, **k: (3, (8, 8), 10, [str(c) for c in range(10)],
                                            [0.5] * 3, [0.5] * 3, dataset, None, None)
    torch.optim.SGD.step, torch.Tensor.backward = spy_step, spy_backward
    try:
        run_theirs(train_dm, 0, mode, 0, strategy="none")
    finally:
        torch.optim.SGD.step, torch.Tensor.backward = step, backward
        train_dm.get_network, train_dm.get_dataset = saved
    ours = float(fit.loss_history_[0])
    return (float(seen["loss"]), ours, abs(float(seen["loss"]) - ours),
            float((seen["grad"] - leaf.grad).abs().max()), float(seen["grad"].abs().max()))


def cpu_name():
    info = Path("/proc/cpuinfo")  # Linux; elsewhere, the architecture
    names = [line.split(":", 1)[1].strip() for line in
             (info.read_text().splitlines() if info.exists() else []) if "model name" in line]
    return names[0] if names else platform.machine()


def convolution_floor(images, seed, repeats=15):
    """Seconds of the arithmetic no same-maths DM iteration escapes, and the core's rate.

    Every real image passes the three convolutions of the ConvNet each iteration (the
    DSA augmentation is drawn anew). This times those convolutions alone, run as our
    embedding runs them (blocks of 128 images, ``F.conv2d``), on the maps our network
    hands each of them, and the whole embedding of the real images; and the rate of
    one matrix product of the second convolution's size (GFLOP/s), for scale. Medians.
    """
    import torch.nn.functional as F

    net = ConvNet(images.shape[1:], torch.Generator().manual_seed(seed))
    real = torch.as_tensor(images, dtype=torch.float32)
    blocks = []  # per block of images, the input of every convolution
    with torch.no_grad():
        for part in real.split(128):
            maps = net.features(part)[:-2]
            blocks.append([part] + [F.avg_pool2d(m, 2) if pool else m
                                    for m, pool in zip(maps, net.poolings)])

        def convolve():
            for inputs in blocks:
                for x, weight, bias in zip(inputs, net.weights, net.biases):
                    F.conv2d(x, weight, bias, padding=1)

        a, b = torch.randn(2048, 1152), torch.randn(1152, 128)
        flop = {"convolutions": sum(2 * x.numel() * 9 * net.channels  # a 3x3 kernel per pixel
                                    for inputs in blocks for x in inputs),
                "matmul": 2 * 2048 * 1152 * 128}
        jobs = {"convolutions": convolve, "embedding": lambda: net(real),
                "matmul": lambda: a @ b}
        seconds = {name: [] for name in jobs}
        for repeat in range(repeats + 1):  # repeat 0: warm-up
            for name, job in jobs.items():
                began = time.perf_counter()
                job()
                if repeat:
                    seconds[name].append(time.perf_counter() - began)
    medians = {name: float(np.median(values)) for name, values in seconds.items()}
    rates = {name: flop[name] / medians[name] / 1e9 for name in flop}
    return medians, rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=9)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--floor", action="store_true",
                        help="only time the real images' convolutions (floor.md); their code "
                             "is not needed")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.floor:
        return write_floor(args)
    load_before = os.getloadavg()[0]
    train_dm, utils = import_authors()

    images, labels, colours = make_colored_digits(mode="foreground", random_state=0)
    scaled = (images - 0.5) / 0.5  # their pixel scale (mean 0.5, std 0.5 per channel)
    dst_train = [(torch.as_tensor(x), int(y), int(c)) for x, y, c in zip(scaled, labels, colours)]
    train_dm.get_dataset = lambda *a, **k: (3, (8, 8), 10, [str(c) for c in range(10)],
                                            [0.5] * 3, [0.5] * 3, dst_train, None, None)
    data = (images, labels, colours)

    checks = {}
    for name, (alignment, _, mode, _) in PAIRINGS.items():
        if mode not in checks:
            checks[mode] = maths_check(train_dm, utils, images, labels, colours, alignment,
                                       mode, args.seed)
            print(f"maths check {mode}: {checks[mode]}", flush=True)

    n = args.iters
    times = {name: {"ours": [], "theirs": []} for name in PAIRINGS}
    for block in range(args.blocks + 1):  # block 0: warm-up, not kept
        for name, (alignment, warm, mode, their_warm) in PAIRINGS.items():
            seed = args.seed + block
            sides = {"ours": lambda: (run_ours(data, n + 1, alignment, warm, seed)
                                      - run_ours(data, 1, alignment, warm, seed)) / n,
                     "theirs": lambda: (run_theirs(train_dm, n, mode, their_warm)
                                        - run_theirs(train_dm, 0, mode, their_warm)) / n}
            for side in (("ours", "theirs") if block % 2 else ("theirs", "ours")):
                per_iter = sides[side]()
                if block:
                    times[name][side].append(per_iter)
            if block:
                print(f"block {block} {name}: ours {times[name]['ours'][-1]:.3f} s, theirs "
                      f"{times[name]['theirs'][-1]:.3f} s", flush=True)
    load_after = os.getloadavg()[0]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rows.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pairing", "block", "side", "seconds_per_iteration"])
        for name, sides in times.items():
            for side, values in sides.items():
                writer.writerows((name, b + 1, side, f"{v:.6f}") for b, v in enumerate(values))

    def cell(values):
        return f"{np.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"

    command = f"python benchmarks/authors_dm.py --blocks {args.blocks} --iters {n}"
    lines = [
        "# DM iteration: FairDistiller against the authors' train_dm.py (mhmoslemi/COBRA)", "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, "
        f"{platform.system()}; torch {torch.__version__}; {torch.get_num_threads()} thread; "
        f"{datetime.date.today().isoformat()}; command: `{command}`. Load average (1 min) "
        f"{load_before:.2f} before, {load_after:.2f} after.", "",
        "Coloured digits (1,347 images 3x8x8, 3 colour groups), 10 synthetic images per "
        "class, normed ConvNet-3 (128 channels) on both sides, DSA siamese augmentation "
        f"with colour, CPU; seconds per iteration, median (min–max) over {args.blocks} "
        f"interleaved blocks of {n} iterations. Theirs: their unmodified `train_dm.main` "
        "at commit aa567ff, run as their `run_dm.sh` sets it (lr_img 1, batch_real 600, "
        "init real) with `--ipc 10` (see the docstring of `benchmarks/authors_dm.py`); "
        "ours: `FairDistiller(preset=\"paper\", matching_params={\"embedding\": "
        "\"convnet\", ...})`. Speed-up: theirs / ours.", "",
        "| pairing | ours (s / iteration) | theirs (s / iteration) | speed-up |",
        "|---|---|---|---|"]
    for name, sides in times.items():
        ratio = np.median(sides["theirs"]) / np.median(sides["ours"])
        lines.append(f"| {name} | {cell(sides['ours'])} | {cell(sides['theirs'])} | "
                     f"{ratio:.2f}x |")
    lines += ["", "Maths check (same network weights, the same real images, every one, the same "
              "synthetic images, no augmentation, no warm start): the loss and its gradient "
              "with respect to the synthetic images, from one step of their `main` and one "
              "iteration of our public fit (`maths_check` in the script).", "",
              "| loss | theirs | ours | abs. difference | max abs. gradient difference | "
              "max abs. gradient |", "|---|---|---|---|---|---|"]
    for mode, (l_theirs, l_ours, d_loss, d_grad, g_max) in checks.items():
        lines.append(f"| {'COBRA (L1)' if mode == 'cobra' else 'vanilla (squared L2)'} | "
                     f"{l_theirs:.6f} | {l_ours:.6f} | {d_loss:.1e} | {d_grad:.1e} | "
                     f"{g_max:.1e} |")
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def write_floor(args):
    """``--floor``: the convolution floor of one DM iteration, beside their measured time."""
    images, _, _ = make_colored_digits(mode="foreground", random_state=0)
    medians, rates = convolution_floor(images, args.seed)
    lines = [
        "# DM iteration: the convolutions every same-maths iteration does", "",
        f"Machine: {cpu_name()}; torch {torch.__version__}; 1 thread; "
        f"{datetime.date.today().isoformat()}; command: `python benchmarks/authors_dm.py "
        f"--floor`. Load average (1 min) {os.getloadavg()[0]:.2f} after. Medians of 15.", "",
        f"- The three convolutions of the {len(images):,} real images (blocks of 128, "
        f"`F.conv2d`): {medians['convolutions']:.3f} s ({rates['convolutions']:.0f} GFLOP/s).",
        f"- The whole embedding of the real images (`ConvNet(...)(images)`, no gradient): "
        f"{medians['embedding']:.3f} s.",
        f"- A 2048x1152 by 1152x128 matrix product, for scale: {rates['matmul']:.0f} GFLOP/s.",
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
