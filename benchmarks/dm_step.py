"""Time of one distribution-matching iteration: FairDistiller's step against the authors' step.

On the coloured digits (``make_colored_digits("foreground")``: 1,347 images of 3x8x8,
3 colour groups, 10 synthetic images per class), ConvNet-3 with 128 channels and
siamese augmentation, for COBRA-DM and vanilla DM. Both embed every real image of
every class each iteration (our batch per cell and their batch of 600 per class
exceed the cells and classes).

*The authors' step* is a re-implementation, written here, of the structure of
``train_dm.py`` in mhmoslemi/COBRA (commit 71d3987): a fresh ``torch.nn`` ConvNet per
iteration (convolutions, group norm with affine parameters, one group per channel,
ReLU, average pooling; default PyTorch initialisation), a loop over the classes that
draws each class's images by a random permutation, augments real and synthetic
images with one shared transform, embeds them, and for COBRA embeds every group's
images a second time for the group means; ``torch.optim.SGD`` (momentum 0.5) on the
synthetic images. Augmentation uses this package's ``SiameseAugment`` in both, so the
comparison is of the steps, not of two augmentation libraries. COBRA's warm start is
left out of both (``warm_start_epochs=0``): it costs the same network training in
each and is timed separately by ``--warm-start``.

Times are interleaved (ours, theirs, ours, ...) and the median of ``--repeats``
blocks of ``--n-iter`` iterations is reported, per iteration, after one warm-up
block each. Regenerate::

    python benchmarks/dm_step.py --threads 2 --out benchmarks/results/dm_step.md
"""

import argparse
import os
import time

import numpy as np
import torch
from torch import nn

from bench_common import write_text
from skfairdistill import FairDistiller
from skfairdistill.datasets import make_colored_digits
from skfairdistill.networks import NO_COLOR_STRATEGY, SiameseAugment


class AuthorsConvNet(nn.Module):
    """ConvNet-3 as the field's code builds it (instance norm as affine group norm)."""

    def __init__(self, channels, n_classes, size, width=128, depth=3):
        super().__init__()
        layers, in_channels = [], channels
        for _ in range(depth):
            layers += [nn.Conv2d(in_channels, width, 3, padding=1),
                       nn.GroupNorm(width, width, affine=True), nn.ReLU(inplace=True),
                       nn.AvgPool2d(2)]
            in_channels, size = width, size // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * size * size, n_classes)

    def embed(self, x):
        return self.features(x).flatten(1)


def authors_step(mode, images_syn, optimizer, images, labels, colours, n_classes, ipc,
                 augment, generator):
    """One iteration of the authors' DM step (structure of their train_dm.py)."""
    net = AuthorsConvNet(images.shape[1], n_classes, images.shape[-1])
    net.train()
    for p in net.parameters():
        p.requires_grad = False
    loss = torch.tensor(0.0)
    for c in range(n_classes):
        index = np.flatnonzero(labels == c)
        index = index[torch.randperm(len(index), generator=generator).numpy()][:600]
        img_real, colour = images[index], colours[index]
        img_syn = images_syn[c * ipc:(c + 1) * ipc]
        transform = augment.draw(generator)
        img_real, img_syn = augment.apply(img_real, transform), augment.apply(img_syn, transform)
        output_real = net.embed(img_real).detach()
        output_syn = net.embed(img_syn)
        if mode == "vanilla":
            loss = loss + ((output_real.mean(0) - output_syn.mean(0)) ** 2).sum()
        else:  # cobra: the group means embed the group's images again, as in their code
            group_means = [net.embed(img_real[colour == g]).mean(0)
                           for g in torch.unique(colour)]
            centre = torch.stack(group_means).mean(0)
            loss = loss + (centre - output_syn.mean(0)).abs().sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def time_authors(mode, n_iter, data, ipc, seed):
    images, labels, colours = data
    n_classes = int(labels.max()) + 1
    generator = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(images)
    start = [X[np.flatnonzero(labels == c)[:ipc]] for c in range(n_classes)]
    images_syn = torch.cat(start).clone().requires_grad_(True)
    optimizer = torch.optim.SGD([images_syn], lr=1.0, momentum=0.5)
    augment = SiameseAugment(NO_COLOR_STRATEGY)
    colours_t = torch.as_tensor(colours)
    began = time.perf_counter()
    for _ in range(n_iter):
        authors_step(mode, images_syn, optimizer, X, labels, colours_t, n_classes, ipc,
                     augment, generator)
    return (time.perf_counter() - began) / n_iter


def time_ours(mode, n_iter, data, ipc, seed):
    images, labels, colours = data
    alignment = {"vanilla": "none", "cobra": "barycenter"}[mode]

    def fit(n):
        began = time.perf_counter()
        # embedding="convnet": the field's normed ConvNet-3, the network of the authors' step
        FairDistiller(n_per_class=ipc, alignment=alignment, n_iter=n, batch_size=256,
                      embedding="convnet", warm_start_epochs=0, random_state=seed,
                      device="cpu").fit(
            images, labels, sensitive_features=colours)
        return time.perf_counter() - began

    # per iteration: the fit of n + 1 iterations minus the fit of 1 (set-up excluded)
    return (fit(n_iter + 1) - fit(1)) / n_iter


def time_warm_start(n_iter, data, ipc, seed, epochs):
    images, labels, colours = data
    times = {}
    for k in (0, epochs):
        began = time.perf_counter()
        FairDistiller(n_per_class=ipc, n_iter=n_iter, warm_start_epochs=k, random_state=seed,
                      embedding="convnet", device="cpu").fit(images, labels, sensitive_features=colours)
        times[k] = (time.perf_counter() - began) / n_iter
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ipc", type=int, default=10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    images, labels, colours = make_colored_digits(mode="foreground", random_state=0)
    _, colour_codes = np.unique(colours, return_inverse=True)
    data = (images.astype(np.float32), labels, colour_codes)

    rows = []
    for mode in ("cobra", "vanilla"):
        ours, theirs = [], []
        time_ours(mode, 2, data, args.ipc, 0)  # warm-up
        time_authors(mode, 2, data, args.ipc, 0)
        for rep in range(args.repeats):
            ours.append(time_ours(mode, args.n_iter, data, args.ipc, rep))
            theirs.append(time_authors(mode, args.n_iter, data, args.ipc, rep))
        o, t = np.median(ours), np.median(theirs)
        rows.append((mode, o, min(ours), max(ours), t, min(theirs), max(theirs), t / o))
        print(f"{mode}: ours {o * 1e3:.1f} ms, theirs {t * 1e3:.1f} ms, speed-up {t / o:.2f}x",
              flush=True)
    warm = time_warm_start(args.n_iter, data, args.ipc, 0, epochs=10)
    print(f"warm start: {warm}", flush=True)

    lines = [
        "# DM step: FairDistiller against the authors' step",
        "",
        "Coloured digits (1,347 images 3x8x8, 3 colour groups), 10 synthetic images per "
        "class, ConvNet-3 (128 channels), siamese augmentation, CPU, "
        f"{args.threads} threads; median (min–max) over {args.repeats} interleaved blocks of "
        f"{args.n_iter} iterations. The authors' step is re-implemented here from the "
        "structure of their `train_dm.py` (see the module docstring of "
        "`benchmarks/dm_step.py`).",
        "",
        "| method | ours (ms / iteration) | authors' step (ms / iteration) | speed-up |",
        "|---|---|---|---|",
    ]
    names = {"cobra": "COBRA-DM", "vanilla": "vanilla DM"}
    for mode, o, omin, omax, t, tmin, tmax, ratio in rows:
        lines.append(f"| {names[mode]} | {o * 1e3:.0f} ({omin * 1e3:.0f}–{omax * 1e3:.0f}) | "
                     f"{t * 1e3:.0f} ({tmin * 1e3:.0f}–{tmax * 1e3:.0f}) | {ratio:.2f}x |")
    lines += [
        "",
        f"COBRA's warm start (10 epochs, the authors' K at 10 images per class) on the same "
        f"data: {warm[10] * 1e3:.0f} ms per iteration against {warm[0] * 1e3:.0f} ms without "
        f"({warm[10] / warm[0]:.2f}x; one fit of {args.n_iter} iterations each).",
        "",
        f"Command: `python benchmarks/dm_step.py --threads {args.threads} --n-iter {args.n_iter} "
        f"--repeats {args.repeats}`; load average at the end "
        f"{os.getloadavg()[0]:.2f} (other jobs were running on the machine: compare the two "
        "columns, measured interleaved, rather than absolute times).",
    ]
    write_text("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
