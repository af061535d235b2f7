"""What the "auto" values resolve to (skfairdistill._config.presets): the library's defaults
or the papers' (the published losses, the authors' warm start, DC's schedule, the paper
preset's steps, batches and networks)."""

import numpy as np
import pytest
import torch

import skfairdistill._matching._run as matching_run
from skfairdistill import FairDistiller
from skfairdistill._config import presets as _presets
from skfairdistill._config.presets import IDC_NETWORK_STEPS, cafe_layer_weights, dc_loops
from skfairdistill._nn.augment import DEFAULT_STRATEGY, NO_COLOR_STRATEGY
from skfairdistill._targets import alignment_loss

from conftest import make_images

FAST = dict(n_per_class=2, n_iter=2, random_state=0, device="cpu")


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = np.arange(n) % 2
    groups = rng.choice(["a", "b"], size=n, p=[0.8, 0.2])
    return X, y, groups


def _authors_dm_loss(mode, real_by_class, groups_by_class, syn_by_class):
    """The per-class DM losses as the authors' train_dm.py writes them, on fixed embeddings."""
    loss = 0.0
    for real, groups, syn in zip(real_by_class, groups_by_class, syn_by_class):
        syn_mean = syn.mean(0)
        if mode == "vanilla":
            loss += ((real.mean(0) - syn_mean) ** 2).sum()
        elif mode == "fairdd":
            for g in torch.unique(groups):
                loss += ((real[groups == g].mean(0) - syn_mean) ** 2).sum()
        else:
            centre = torch.stack([real[groups == g].mean(0) for g in torch.unique(groups)]).mean(0)
            loss += (centre - syn_mean).abs().sum()
    return loss


@pytest.mark.parametrize("alignment, mode", [
    ("none", "vanilla"), ("groupwise", "fairdd"), ("barycenter", "cobra"),
])
def test_default_distance_gives_the_published_loss(captured, alignment, mode):
    """distance='auto': squared L2 for vanilla and FairDD, L1 for COBRA, as the papers."""
    X, y, groups = _table()
    FairDistiller(alignment=alignment, **FAST).fit(X, y, sensitive_features=groups)
    distance = captured["match_distributions"]["distance"]
    assert distance == {"none": "squared_l2", "groupwise": "squared_l2",
                        "barycenter": "l1"}[alignment]

    # on fixed embeddings, our batched loss with that distance is the authors' loss
    gen = torch.Generator().manual_seed(0)
    n_classes, n_groups, per_cell, dim = 3, 2, [[5, 9], [7, 4], [6, 6]], 4
    real = [[torch.randn(n, dim, generator=gen, dtype=torch.float64) for n in row]
            for row in per_cell]
    syn = [torch.randn(3, dim, generator=gen, dtype=torch.float64) for _ in range(n_classes)]
    group_stats = torch.stack([torch.stack([cell.mean(0) for cell in row]) for row in real])
    counts = torch.tensor(per_cell, dtype=torch.float64)
    shares = counts / counts.sum(1, keepdim=True)
    present = torch.ones(n_classes, n_groups, dtype=torch.bool)
    ours = alignment_loss(group_stats, present, shares, torch.stack([s.mean(0) for s in syn]),
                          alignment=alignment, kind=distance)
    real_by_class = [torch.cat(row) for row in real]
    groups_by_class = [torch.cat([torch.full((n,), g) for g, n in enumerate(row)])
                       for row in per_cell]
    theirs = _authors_dm_loss(mode, real_by_class, groups_by_class, syn)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


def test_an_explicit_distance_wins(captured):
    X, y, groups = _table()
    FairDistiller(alignment="none", **FAST, matching_params={"distance": "l1"}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["distance"] == "l1"


def test_library_preset_keeps_the_library_defaults(captured):
    X, y, groups = _table()
    FairDistiller(n_per_class=2, random_state=0, device="cpu", n_iter=1).fit(
        X, y, sensitive_features=groups)
    kwargs = captured["match_distributions"]
    # 0.1 at 10 rows per class, in proportion to the rows of a class (here 2)
    assert kwargs["learning_rate"] == pytest.approx(0.02) and kwargs["batch_size"] == 128
    assert kwargs["warm_start_epochs"] == 0 and kwargs["augment"] is None
    assert FairDistiller().n_iter == "auto"


def test_paper_preset_takes_the_authors_hyper_parameters(captured, monkeypatch):
    X, y, groups = _table()
    # the loops are replaced: only their arguments matter here
    monkeypatch.setattr(matching_run, "match_distributions",
                        lambda *a, **k: captured.__setitem__("dm", k) or _stop())
    monkeypatch.setattr(matching_run, "match_gradients",
                        lambda *a, **k: captured.__setitem__("dc", k) or _stop())
    for matching in ("distribution", "gradient"):
        with pytest.raises(KeyboardInterrupt):
            FairDistiller(preset="paper", matching=matching, n_per_class=2,
                          random_state=0, device="cpu").fit(X, y, sensitive_features=groups)
    dm, dc = captured["dm"], captured["dc"]
    assert (dm["n_iter"], dm["learning_rate"], dm["batch_size"]) == (2600, 1.0, 300)
    assert dm["distance"] == "l1" and dm["warm_start_epochs"] == 10
    assert (dc["n_iter"], dc["learning_rate"], dc["batch_size"]) == (1000, 0.1, 128)
    assert (dc["outer_loops"], dc["inner_steps"]) == (5, 10)


def test_paper_preset_on_images_converts_the_step_and_adds_colour(captured, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.random((80, 3, 6, 6), dtype=np.float32)  # pixels in [0, 1], as the papers store them
    y, groups = np.arange(80) % 2, rng.choice(["r", "g"], size=80)
    monkeypatch.setattr(matching_run, "match_distributions",
                        lambda *a, **k: captured.__setitem__("dm", k) or _stop())
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(preset="paper", n_per_class=2, random_state=0, device="cpu").fit(
            X, y, sensitive_features=groups)
    kwargs = captured["dm"]
    assert "_".join(kwargs["augment"].operations) == DEFAULT_STRATEGY
    # their step of 1.0 on pixels scaled by 1 / 0.5, expressed in per-channel std units
    channel_var = X.transpose(1, 0, 2, 3).reshape(3, -1).var(axis=1)
    assert kwargs["learning_rate"] == pytest.approx(0.25 / channel_var.mean(), rel=1e-4)


def _stop():
    raise KeyboardInterrupt


@pytest.mark.parametrize(("matching", "preset", "norm"), [
    ("distribution", "library", "none"), ("gradient", "library", "none"),
    ("idc", "library", "none"), ("cafe", "library", "instance"),
    ("distribution", "paper", "instance"), ("gradient", "paper", "instance"),
])
def test_auto_image_embedding_follows_the_preset(captured, matching, preset, norm):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3, 8, 8)).astype(np.float32)
    y, groups = np.arange(40) % 2, rng.choice(["r", "g"], size=40)
    for embedding, expected in (("auto", norm), ("convnet", "instance")):
        captured.clear()
        FairDistiller(matching=matching, preset=preset, n_per_class=2,
                      n_iter=1, random_state=0, device="cpu",
                      matching_params={"embedding": embedding}).fit(
            X, y, sensitive_features=groups)
        (kwargs,) = captured.values()
        network = kwargs["network_factory"]((3, 8, 8), torch.Generator().manual_seed(0))
        assert (network.channels, network.norm) == (128, expected)


IMAGES_FAST = dict(n_per_class=2, n_iter=3, batch_size=8, random_state=0, device="cpu")


@pytest.mark.parametrize("preset, alignment, n_per_class, epochs", [
    ("library", "barycenter", 10, 0),
    ("paper", "barycenter", 1, 10),
    ("paper", "barycenter", 10, 10),
    ("paper", "barycenter", 50, 50),
    ("paper", "barycenter", 100, 100),
    ("paper", "groupwise", 50, 0),
    ("paper", "none", 10, 0),
])
def test_warm_start_auto_follows_the_preset(captured, preset, alignment, n_per_class, epochs):
    """The authors warm-start in COBRA mode only: K = 50 at 50 rows, 100 at 100, else 10."""
    X, y, groups = make_images(n=240, shape=(1, 4, 4))
    params = {**IMAGES_FAST, "n_iter": 1, "n_per_class": n_per_class}
    FairDistiller(preset=preset, alignment=alignment, **params,
                  matching_params={"embedding": "mlp", "embedding_width": 8}).fit(
        X, y, sensitive_features=groups)
    assert captured["match_distributions"]["warm_start_epochs"] == epochs


@pytest.mark.parametrize("n_per_class, loops", [
    (1, (5, 10)), (5, (5, 10)), (10, (10, 50)), (15, (10, 50)), (50, (50, 10)), (60, (100, 10)),
])
def test_gradient_matching_takes_dc_schedule(monkeypatch, n_per_class, loops):
    calls = []

    def refuse(*args, **kwargs):
        calls.append((kwargs["outer_loops"], kwargs["inner_steps"]))
        raise KeyboardInterrupt  # only the arguments matter here

    monkeypatch.setattr(matching_run, "match_gradients", refuse)
    X, y, groups = make_images(n=120)
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(matching="gradient", **{**IMAGES_FAST, "n_per_class": n_per_class}).fit(
            X, y, sensitive_features=groups)
    assert calls == [loops]
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(matching="gradient", **{**IMAGES_FAST, "n_per_class": n_per_class},
                      matching_params={"outer_loops": 2, "inner_steps": 0}).fit(
            X, y, sensitive_features=groups)
    assert calls[-1] == (2, 0)


def test_dc_schedule_takes_the_lower_entry_between_two():
    assert [dc_loops(n) for n in (1, 9, 10, 19, 20, 30, 40, 49, 50, 51, 500)] == [
        (5, 10), (5, 10), (10, 50), (10, 50), (20, 25), (30, 20), (40, 15), (40, 15),
        (50, 10), (100, 10), (100, 10)]


def test_layer_weights_follow_the_authors_convnet():
    assert cafe_layer_weights(4) == [0.1, 0.1, 1.0, 2.0]  # ConvNet-3: 3 blocks + embedding
    assert cafe_layer_weights(2) == [1.0, 2.0]  # the two-layer MLP
    assert cafe_layer_weights(1) == [2.0]


def test_idc_presets():
    assert dc_loops(10, "idc") == (10, IDC_NETWORK_STEPS)
    assert dc_loops(10) == (10, 50)  # DC unchanged
    # the COBRA authors' run_idc.sh: 1000 iterations, step 0.1, 256 real rows per class
    assert _presets.n_iter("paper", "idc") == 1000
    assert _presets.batch_size("paper", "idc", 2) == 128
    assert _presets.augmentation("paper", "idc") is None
    assert _presets.learning_rate("paper", "idc", images=True, convnet=True) == 0.1
    assert _presets.formation_factor("idc") == 2 and _presets.formation_factor("gradient") == 1


def test_library_values():
    assert _presets.n_iter("library", "distribution") == 1000
    assert _presets.n_iter("library", "cafe") == 200
    assert _presets.batch_size("library", "distribution", 7) == 128
    assert _presets.augmentation("library", "gradient") == NO_COLOR_STRATEGY
    assert _presets.convnet_options("library", "distribution") == {"norm": "none"}
    assert _presets.convnet_options("library", "cafe") == {}
    assert _presets.learning_rate("library", "distribution", images=True, convnet=True) == 10.0
    assert _presets.learning_rate("library", "cafe", images=True, convnet=True) == 1.0
    assert _presets.learning_rate("library", "distribution", images=False, convnet=True) == 0.1


def test_paper_batches_split_a_class_batch_among_its_groups():
    assert _presets.batch_size("paper", "distribution", 1) == 600
    assert _presets.batch_size("paper", "distribution", 7) == 86  # ceil(600 / 7)
    assert _presets.batch_size("paper", "gradient", 0) == 256  # no group: the whole batch
    # pixels in [0, 1] scaled to [-1, 1]: the step in units of the per-channel spread
    assert _presets.learning_rate("paper", "distribution", images=True, convnet=True,
                                  pixel_scale=0.0625) == pytest.approx(4.0)


@pytest.mark.parametrize("alignment, distance", [("none", "squared_l2"),
                                                 ("groupwise", "squared_l2"),
                                                 ("barycenter", "l1")])
def test_the_published_distance_of_each_alignment(alignment, distance):
    assert _presets.distance(alignment, "auto") == distance
    assert _presets.distance(alignment, "l1") == "l1"
