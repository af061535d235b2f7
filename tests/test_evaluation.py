"""skfairdistill.evaluation: the papers' evaluation protocol (fresh networks, real test data)."""

import functools

import numpy as np
import pandas as pd
import pytest
import torch

from skfairdistill.datasets import make_colored_digits
from skfairdistill.evaluation import SyntheticEvaluation, evaluate_synthetic
from skfairdistill.networks import make_embedding

# two blocks: on 8x8 digits a third block leaves 1x1 maps normalised over 2x2 pixels,
# which learns too slowly for a test of a few epochs
SMALL = functools.partial(make_embedding, "convnet", channels=8, depth=2, affine=True)
FAST = dict(network=SMALL, n_epochs=2, batch_size=64, augmentation="crop_flip")


@pytest.fixture(scope="module")
def digits():
    X, y, _ = make_colored_digits(bias=1 / 3, random_state=0)
    X_test, y_test, groups = make_colored_digits(split="test", random_state=0)
    rows = np.random.default_rng(0).permutation(len(X))[:400]
    return X[rows], y[rows], X_test, y_test, groups


def test_trained_on_real_digits_it_beats_chance_and_reports_every_network(digits):
    X, y, X_test, y_test, groups = digits
    result = evaluate_synthetic(X, y, X_test, y_test, sensitive_features=groups,
                                network=SMALL, n_models=2, n_epochs=8, learning_rate=0.05,
                                batch_size=64, augmentation=None, random_state=0)
    assert isinstance(result, SyntheticEvaluation)
    for name in ("accuracy", "deo_max", "deo_mean", "seconds"):
        assert getattr(result, name).shape == (2,)
    assert result.accuracy.min() > 0.5  # chance: 0.1
    assert np.all((0 <= result.deo_mean) & (result.deo_mean <= result.deo_max)
                  & (result.deo_max <= 1))
    assert result.mean()["accuracy"] == pytest.approx(result.accuracy.mean())
    assert result.std()["deo_max"] == pytest.approx(np.std(result.deo_max))
    assert list(result.summary().columns) == ["mean", "std"]
    assert list(result.summary().index) == ["accuracy", "deo_max", "deo_mean"]
    assert result.to_frame().shape == (2, 4)
    assert "DEO_M" in str(result) and result.device == "cpu"


def test_same_seed_same_scores_and_inputs_untouched(digits):
    X, y, X_test, y_test, groups = digits
    copies = [np.copy(a) for a in (X, y, X_test, y_test, groups)]
    threads = torch.get_num_threads()
    first = evaluate_synthetic(X, y, X_test, y_test, sensitive_features=groups,
                               n_models=2, random_state=3, **FAST)
    # flat rows with image_shape are the same images
    again = evaluate_synthetic(X.reshape(len(X), -1), y, X_test.reshape(len(X_test), -1),
                               y_test, sensitive_features=groups, image_shape=(3, 8, 8),
                               n_models=2, random_state=3, **FAST)
    for name in ("accuracy", "deo_max", "deo_mean"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    for before, after in zip(copies, (X, y, X_test, y_test, groups)):
        np.testing.assert_array_equal(before, after)
    assert torch.get_num_threads() == threads


def test_string_labels_and_intersectional_groups(digits):
    X, y, X_test, y_test, groups = digits
    names = np.array(list("abcdefghij"))
    sensitive = pd.DataFrame({"colour": groups, "half": np.arange(len(groups)) % 2})
    result = evaluate_synthetic(X[:100], names[y[:100]], X_test, names[y_test],
                                sensitive_features=sensitive, n_models=1, random_state=0,
                                **FAST)
    assert np.isfinite(result.accuracy).all()


def test_tables_get_the_mlp_and_no_augmentation(make_data):
    X, y, A = make_data(n_samples=200)
    result = evaluate_synthetic(X, y, X, y, sensitive_features=A, n_models=1, n_epochs=20,
                                learning_rate=0.05, batch_size=32, random_state=0)
    assert result.accuracy[0] > 0.7  # the classes are separated by two standard deviations


def test_an_nn_module_factory_is_trained_in_train_mode():
    modes = []

    class Embedding(torch.nn.Module):
        width = 6

        def __init__(self, input_shape, generator):
            super().__init__()
            self.linear = torch.nn.Linear(input_shape[0], self.width)
            with torch.no_grad():  # drawn from the local generator, not the global one
                self.linear.weight.copy_(torch.randn(self.linear.weight.shape,
                                                     generator=generator))

        def forward(self, X):
            modes.append(self.training)
            return torch.relu(self.linear(X))

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    evaluate_synthetic(X, y, X, y, sensitive_features=y, network=Embedding, n_models=1,
                       n_epochs=2, random_state=0)
    assert modes[0] and not modes[-1]  # trained in train mode, scored in eval mode


def test_a_diverging_network_raises():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    with pytest.raises(ValueError, match=r"^network 1 of 1 diverged: its training loss or its "
                                         r"outputs became NaN or infinite; lower "
                                         r"learning_rate=1e\+30"):
        evaluate_synthetic(X, y, X, y, sensitive_features=y, n_models=1, n_epochs=3,
                           learning_rate=1e30, random_state=0)


@pytest.mark.parametrize("change, message", [
    (dict(n_models=0), "n_models must be a positive integer"),
    (dict(n_epochs=2.5), "n_epochs must be a positive integer"),
    (dict(batch_size=True), "batch_size must be a positive integer"),
    (dict(learning_rate=-1.0), "learning_rate must be a positive finite number"),
    (dict(network="resnet"), "network must be one of"),
    (dict(augmentation="blur"), "unknown augmentation"),
    (dict(device="tpu"), "device must be"),
    (dict(n_threads=0), "n_threads must be"),
    (dict(random_state=-1), "random_state must be"),
    (dict(image_shape=(3, 4, 4)), "image_shape=.* has 48 values"),
    (dict(sensitive_features=None), "sensitive_features is required"),
    (dict(sensitive_features="colour"), "sensitive_features must hold one group value"),
    (dict(sensitive_features=np.zeros(5)), "sensitive_features has 5 rows but X_test"),
    (dict(y_train=np.zeros(3)), "X_train has 40 rows but y_train has 3"),
    (dict(y_test=np.full(20, 7)), r"y_test has classes \[7\] that y_train lacks"),
    (dict(y_train=np.linspace(0, 1, 40)), "y_train must hold one class label"),
    (dict(X_test=np.zeros((20, 3, 4, 4))), "X_train has 192 values per row but X_test"),
])
def test_arguments_are_checked_before_training(monkeypatch, change, message):
    import skfairdistill.evaluation._protocol as evaluation

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(evaluation, "_train_and_score", no_training)
    rng = np.random.default_rng(0)
    arguments = dict(X_train=rng.random((40, 3, 8, 8)), y_train=np.arange(40) % 4,
                     X_test=rng.random((20, 3, 8, 8)), y_test=np.arange(20) % 4,
                     sensitive_features=np.arange(20) % 2)
    arguments.update(change)
    with pytest.raises((ValueError, TypeError), match=message):
        evaluate_synthetic(arguments.pop("X_train"), arguments.pop("y_train"),
                           arguments.pop("X_test"), arguments.pop("y_test"), **arguments)


def test_convnet_needs_images(make_data):
    X, y, A = make_data(n_samples=40)
    with pytest.raises(ValueError, match="network='convnet' needs images"):
        evaluate_synthetic(X, y, X, y, sensitive_features=A, network="convnet")
    with pytest.raises(ValueError, match="augmentation='crop' needs images"):
        evaluate_synthetic(X, y, X, y, sensitive_features=A, augmentation="crop")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda(digits):
    X, y, X_test, y_test, groups = digits
    result = evaluate_synthetic(X, y, X_test, y_test, sensitive_features=groups,
                                n_models=2, device="cuda", random_state=0, **FAST)
    assert result.device.startswith("cuda") and np.isfinite(result.accuracy).all()
