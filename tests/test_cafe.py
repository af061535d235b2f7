"""CAFE (skfairdistill._matching.cafe, matching="cafe"): the layer-wise loss, the discrimination
loss, early stops, fits. Its layer weights: test_presets.py; network.features: test_networks.py."""

import functools
import warnings

import numpy as np
import pytest
import torch

import skfairdistill._matching._run as matching_run
from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._matching import cafe
from skfairdistill._nn.networks import make_embedding
from skfairdistill.datasets import make_colored_digits

TINY_NET = functools.partial(make_embedding, "convnet", channels=4)
FAST = dict(matching="cafe", n_per_class=2, n_iter=2, batch_size=8, random_state=0,
            device="cpu", matching_params=dict(outer_loops=2, inner_steps=2, embedding=TINY_NET))

def knobs(params, **matching_params):
    """``params`` with more ``matching_params``."""
    return {**params, "matching_params": {**params.get("matching_params", {}), **matching_params}}



@pytest.fixture(scope="module")
def digits():
    """A small slice of the coloured digits: 4 classes, 3 colours, every cell filled."""
    X, y, groups = make_colored_digits(n_colors=3, bias=0.8, random_state=0)
    keep = np.flatnonzero(y < 4)[:240]
    return X[keep], y[keep], groups[keep]


# ----------------------------------------------------------------------- the losses
# two classes, two groups (class 1 has only group 0), two layers of 2 and 1 values
REAL = [
    torch.tensor([[[1.0, 2.0], [3.0, 6.0]], [[0.0, 1.0], [9.0, 9.0]]]),
    torch.tensor([[[2.0], [4.0]], [[1.0], [5.0]]]),
]
SYN = [torch.tensor([[1.0, 1.0], [0.5, 0.0]]), torch.tensor([[0.0], [2.0]])]
PRESENT = torch.tensor([[True, True], [True, False]])
SHARES = torch.tensor([[0.75, 0.25], [1.0, 0.0]])
WEIGHTS = [0.5, 2.0]


def _by_hand(alignment):
    total = 0.0
    for weight, real, syn in zip(WEIGHTS, REAL, SYN):
        for k in range(2):
            groups = [a for a in range(2) if PRESENT[k, a]]
            if alignment == "groupwise":
                total += weight * sum(float(((real[k, a] - syn[k]) ** 2).sum()) for a in groups)
                continue
            if alignment == "barycenter":  # uniform mean of the present groups' means
                target = sum(real[k, a] for a in groups) / len(groups)
            else:
                target = sum(SHARES[k, a] * real[k, a] for a in range(2))
            total += weight * float(((target - syn[k]) ** 2).sum())
    return total


@pytest.mark.parametrize("alignment", ["none", "groupwise", "barycenter"])
def test_layerwise_loss_is_the_hand_computation(alignment):
    loss = cafe.layerwise_loss(REAL, SYN, PRESENT, SHARES, alignment=alignment,
                               layer_weights=WEIGHTS)
    assert float(loss) == pytest.approx(_by_hand(alignment), rel=1e-6)


def test_cobra_target_is_the_barycenter_of_group_means():
    # a synthetic class mean at the barycenter has zero COBRA loss, not zero vanilla loss
    barycenter = [(real[:, 0] + real[:, 1]) / 2 for real in REAL]
    for syn, real in zip(barycenter, REAL):
        syn[1] = real[1, 0]  # class 1 has group 0 only
    zero = cafe.layerwise_loss(REAL, barycenter, PRESENT, SHARES, alignment="barycenter",
                               layer_weights=WEIGHTS)
    vanilla = cafe.layerwise_loss(REAL, barycenter, PRESENT, SHARES, alignment="none",
                                  layer_weights=WEIGHTS)
    assert float(zero) == 0.0 and float(vanilla) > 0


def test_discrimination_loss_on_a_tiny_example():
    features = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    weights = torch.tensor([1.0, 0.25, 0.75])  # class 1: two groups, weighted
    centres = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 1.0]])  # features . centres
    cross_entropy = np.log(np.exp(logits).sum(1)) - logits[np.arange(3), labels.numpy()]
    loss = cafe.discrimination_loss(features, labels, weights, centres)
    assert float(loss) == pytest.approx(float((cross_entropy * weights.numpy()).sum()), rel=1e-6)


# ----------------------------------------------------------------------- early stops
def test_outer_stop_fires_when_the_accuracy_is_stable():
    stop = cafe.EarlyStop(window=3, lambda_1=0.05, lambda_2=0.03)
    assert not stop.outer_done([0.5, 0.5])  # not a full window yet
    assert not stop.outer_done([0.2, 0.5, 0.52])
    assert stop.outer_done([0.2, 0.5, 0.52, 0.51])  # the last three vary by 0.02


def test_inner_stop_fires_once_the_accuracy_has_moved():
    stop = cafe.EarlyStop(window=3, lambda_1=0.05, lambda_2=0.03)
    assert not stop.inner_done([0.1, 0.5])
    assert not stop.inner_done([0.1, 0.11, 0.12])
    assert stop.inner_done([0.1, 0.11, 0.15])


def _tiny_network():
    generator = torch.Generator().manual_seed(0)
    network = make_embedding("mlp", (3,), generator, width=4)
    head, bias = cafe.linear_head(4, 2, generator)
    params = network.parameters() + [head, bias]
    for tensor in params:
        tensor.requires_grad_(True)
    return network, head, bias, cafe.MomentumSGD(params, lr=0.01), generator


@pytest.mark.parametrize("accuracies, epochs", [
    ([0.1, 0.1, 0.1, 0.2, 0.2, 0.2], 4),  # moved by 0.1 > lambda_2 within 3 epochs
    ([0.1] * 6, 6),  # flat: trains up to the cap
])
def test_inner_loop_stops_at_the_right_epoch(accuracies, epochs):
    network, head, bias, optimizer, generator = _tiny_network()
    scripted = iter(accuracies)
    stop = cafe.EarlyStop(window=3, lambda_1=0.05, lambda_2=0.03)
    X, y = torch.randn(4, 3), torch.tensor([0, 0, 1, 1])
    done = cafe._train(network, head, bias, optimizer, X, y, 6, lambda: next(scripted), stop,
                       generator, None)
    assert done == epochs


@pytest.mark.parametrize("lambda_1, trainings", [(1.0, 0), (0.0, 2)])
def test_outer_stop_skips_the_training_once_fired(digits, monkeypatch, lambda_1, trainings):
    calls = []
    original = cafe._train
    monkeypatch.setattr(cafe, "_train", lambda *a: calls.append(1) or original(*a))
    # window 1: lambda_1 = 1 stops after the first update, lambda_1 = 0 never
    stop = cafe.EarlyStop(window=1, lambda_1=lambda_1, lambda_2=0.03)
    monkeypatch.setattr(matching_run, "match_features",
                        functools.partial(cafe.match_features, early_stop=stop))
    X, y, groups = digits
    FairDistiller(**knobs(dict(FAST, n_iter=1), outer_loops=3)).fit(X, y, sensitive_features=groups)
    assert len(calls) == trainings


# ----------------------------------------------------------------------- fits
@pytest.mark.parametrize("alignment", ["none", "groupwise", "barycenter"])
def test_each_alignment_runs_and_moves_the_rows(digits, alignment):
    X, y, groups = digits
    distiller = FairDistiller(alignment=alignment, init="real", **FAST)
    X_syn, y_syn = distiller.fit_resample(X, y, sensitive_features=groups)
    start = FairDistiller(alignment=alignment, **dict(FAST, n_iter=1, learning_rate=1e-30))
    X_start = start.fit_resample(X, y, sensitive_features=groups)[0]
    assert X_syn.shape == (8, 3, 8, 8) and np.bincount(y_syn).tolist() == [2] * 4
    assert np.all(np.isfinite(X_syn)) and not np.allclose(X_syn, X_start)
    assert distiller.loss_history_.shape == (2,) and distiller.n_iter_ == 2


def test_the_alignments_give_different_rows(digits):
    X, y, groups = digits
    rows = {a: FairDistiller(alignment=a, **FAST).fit_resample(X, y, sensitive_features=groups)[0]
            for a in ("none", "barycenter")}
    assert not np.allclose(rows["none"], rows["barycenter"])


def test_same_seed_same_rows_on_cpu(digits):
    X, y, groups = digits
    first, second = (FairDistiller(**knobs(FAST, augmentation="crop_flip")).fit_resample(
        X, y, sensitive_features=groups)[0] for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_tables_run_through_the_mlp(grouped_data):
    X, y, A = grouped_data
    distiller = FairDistiller(**knobs(FAST, embedding="mlp", embedding_width=8))
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.shape == (4, X.shape[1]) and np.all(np.isfinite(X_syn))


def test_images_run_through_the_mlp(digits):
    X, y, groups = digits
    X_syn, _ = FairDistiller(**knobs(FAST, embedding="mlp", embedding_width=8)).fit_resample(
        X, y, sensitive_features=groups)
    assert X_syn.shape == (8, 3, 8, 8) and np.all(np.isfinite(X_syn))


def test_a_network_without_features_is_refused_naming_matching(grouped_data):
    X, y, A = grouped_data

    def factory(input_shape, generator):
        network = make_embedding("mlp", input_shape, generator, width=8)
        return type("Plain", (), {"__call__": lambda self, X: network(X), "width": 8,
                                  "parameters": lambda self: network.parameters()})()

    with pytest.raises(TypeError, match="matching='cafe'.*features"):
        FairDistiller(**knobs(FAST, embedding=factory)).fit(X, y, sensitive_features=A)


def test_distilled_classifier_and_containers(grouped_data):
    pd = pytest.importorskip("pandas")
    from sklearn.linear_model import LogisticRegression

    X, y, A = grouped_data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    distiller = FairDistiller(**knobs(FAST, embedding="mlp", embedding_width=8))
    X_syn, y_syn = distiller.fit_resample(frame, pd.Series(y), sensitive_features=A)
    assert list(X_syn.columns) == list(frame.columns) and isinstance(y_syn, pd.Series)
    model = DistilledClassifier(LogisticRegression(), distiller=distiller)
    assert 0 <= model.fit(X, y, sensitive_features=A).score(X, y) <= 1


@pytest.mark.parametrize("preset, n_iter, batch_size, augment", [
    ("library", 200, 128, True), ("paper", 2000, 86, False)])
def test_auto_values_follow_the_preset(digits, monkeypatch, preset, n_iter, batch_size, augment):
    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return cafe.match_features(*args, **dict(kwargs, n_iter=1))

    monkeypatch.setattr(matching_run, "match_features", spy)
    X, y, groups = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FairDistiller(matching="cafe", preset=preset, n_per_class=1, random_state=0,
                      device="cpu", matching_params={"outer_loops": 1, "embedding": TINY_NET}).fit(
            X, y, sensitive_features=groups)
    assert seen["n_iter"] == n_iter and seen["batch_size"] == batch_size  # 256 over 3 groups
    assert (seen["augment"] is not None) == augment
    assert seen["discrimination_weight"] == pytest.approx(2.56)
    if preset == "library":
        assert seen["learning_rate"] == pytest.approx(1.0)  # images through a ConvNet


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cafe_on_cuda(digits):
    X, y, groups = digits
    distiller = FairDistiller(**knobs(dict(FAST, device="cuda"), augmentation="crop_flip"))
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=groups)
    assert distiller.device_.type == "cuda" and isinstance(X_syn, np.ndarray)
    assert np.all(np.isfinite(X_syn))
    again = FairDistiller(**knobs(dict(FAST, device="cuda"),
                                  augmentation="crop_flip")).fit_resample(
        X, y, sensitive_features=groups)[0]
    np.testing.assert_allclose(X_syn, again, rtol=1e-5, atol=1e-5)
