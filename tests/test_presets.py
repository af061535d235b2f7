"""The "auto" values: the published losses, the authors' warm start and the paper preset."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import skfairdistill._matching._run as matching_run
from skfairdistill import FairDistiller
from skfairdistill._nn.augment import DEFAULT_STRATEGY
from skfairdistill._matching import warm_up
from skfairdistill._nn.networks import RandomMLP
from skfairdistill._targets import alignment_loss

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
    FairDistiller(alignment="none", **FAST, matching_params={"distance": "l1"}).fit(X, y, sensitive_features=groups)
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


def test_preset_is_validated():
    X, y, groups = _table()
    with pytest.raises(ValueError, match="preset must be one of"):
        FairDistiller(preset="published").fit(X, y, sensitive_features=groups)
    with pytest.raises(ValueError, match="matching='kmeans' is not one of them"):
        FairDistiller(preset="paper", matching="kmeans").fit(X, y, sensitive_features=groups)


def test_warm_up_is_plain_sgd_through_a_drawn_head():
    """One epoch, one mini-batch: each weight moves by exactly -0.01 x its gradient."""
    gen = torch.Generator().manual_seed(0)
    network = RandomMLP(4, 8, 1, gen)
    X = torch.randn(6, 4, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    before = [w.clone() for w in network.parameters()]
    replay = torch.Generator().set_state(gen.get_state())

    warm_up(network, X, y, 3, 1, gen)

    # the same head, drawn from the same state, and the same shuffle
    bound = 1 / math.sqrt(network.width)
    head = (torch.rand(8, 3, generator=replay) * 2 - 1) * bound
    head_bias = (torch.rand(3, generator=replay) * 2 - 1) * bound
    order = torch.randperm(6, generator=replay)
    copy = RandomMLP(4, 8, 1, torch.Generator().manual_seed(0))
    params = copy.parameters()
    for tensor in params:
        tensor.requires_grad_(True)
    F.cross_entropy(copy(X[order]) @ head + head_bias, y[order]).backward()
    for old, new, param in zip(before, network.parameters(), params):
        assert torch.allclose(new, old - 0.01 * param.grad, atol=1e-7)
        assert not new.requires_grad


def test_warm_up_takes_mini_batches_of_256(monkeypatch):
    steps = []
    import skfairdistill._nn.training as training_module

    class Counting(training_module.MomentumSGD):
        def step(self):
            steps.append(self.momentum)
            super().step()

    monkeypatch.setattr(training_module, "MomentumSGD", Counting)
    gen = torch.Generator().manual_seed(0)
    network = RandomMLP(3, 4, 1, gen)
    X, y = torch.randn(600, 3, generator=gen), torch.arange(600) % 2
    warm_up(network, X, y, 2, 2, gen)
    assert steps == [0.0] * 6  # 2 epochs x ceil(600 / 256) batches, no momentum


def test_warm_start_works_with_a_factory_returning_an_nn_module():
    """An ``nn.Module`` gives its parameters as a generator: warm_up takes them as a list."""

    class Embedding(torch.nn.Module):
        width = 8

        def __init__(self, input_shape, generator):
            super().__init__()
            self.linear = torch.nn.Linear(input_shape[0], self.width)
            with torch.no_grad():  # drawn from the fit's generator, not the global one
                self.linear.weight.copy_(torch.randn(self.linear.weight.shape,
                                                     generator=generator))

        def forward(self, X):
            return torch.relu(self.linear(X))

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    groups = rng.choice(["a", "b"], size=60)
    model = FairDistiller(n_per_class=2, n_iter=2,
                          random_state=0, device="cpu", matching_params={"embedding": Embedding, "warm_start_epochs": 1})
    X_syn, _ = model.fit_resample(X, y, sensitive_features=groups)
    assert np.isfinite(X_syn).all() and model.n_iter_ == 2


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
                      n_iter=1, random_state=0, device="cpu", matching_params={"embedding": embedding}).fit(
            X, y, sensitive_features=groups)
        (kwargs,) = captured.values()
        network = kwargs["network_factory"]((3, 8, 8), torch.Generator().manual_seed(0))
        assert (network.channels, network.norm) == (128, expected)
