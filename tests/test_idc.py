"""IDC (skfairdistill._matching.idc, matching="idc"): the multi-formation loop and the estimator
on 8x8 digits. The decoder itself: test_multiformation.py."""

import functools

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._data.rows import RealRows
from skfairdistill._data.cells import CellSampler
from skfairdistill._matching import idc, match_multiformation
from skfairdistill._matching.multiformation import decode
from skfairdistill._nn.networks import make_embedding
from skfairdistill.datasets import make_colored_digits

SMALL_CONVNET = functools.partial(make_embedding, "convnet", channels=8)
FAST = dict(n_iter=2, batch_size=8, n_threads=1, device="cpu",
            matching_params=dict(outer_loops=2, inner_steps=2, embedding=SMALL_CONVNET))


@pytest.fixture(scope="module")
def digits():
    """Coloured 8x8 digits of four classes: images, labels, colour groups."""
    X, y, A = make_colored_digits(n_colors=2, random_state=0)
    keep = y < 4
    return X[keep], y[keep], A[keep]


def _loop_data(digits, device, n_per_class=2):
    X, y, A = digits
    groups = np.unique(A, return_inverse=True)[1]
    real = RealRows(X.reshape(len(X), -1), device, image_shape=(3, 8, 8))
    cells = CellSampler(y, groups, 4, 2, device)
    rows = np.concatenate([np.flatnonzero(y == k)[:n_per_class] for k in range(4)])
    X_init = real.gather(torch.as_tensor(rows, device=device)).reshape(-1, 3, 8, 8)
    return real, cells, X_init, torch.as_tensor(y[rows], device=device)


def _loop(data, seed=0, **options):
    settings = dict(alignment="barycenter", n_iter=2, learning_rate=0.1, batch_size=8,
                    network_factory=SMALL_CONVNET, inner_steps=2, outer_loops=2)
    settings.update(options)
    generator = torch.Generator(data[2].device).manual_seed(seed)
    return match_multiformation(*data, generator=generator, **settings)


@pytest.mark.parametrize("alignment", ["none", "groupwise", "barycenter"])
def test_each_alignment_runs_and_moves_the_stored_images(digits, alignment):
    data = _loop_data(digits, torch.device("cpu"))
    result = _loop(data, alignment=alignment)
    assert result.stored.shape == data[2].shape
    assert not torch.equal(result.stored, data[2])
    assert result.X_syn.shape == (4 * len(data[2]), 3, 8, 8)
    torch.testing.assert_close(result.X_syn, decode(result.stored, 2))
    assert torch.equal(result.y_syn, data[3].repeat_interleave(4))
    assert result.loss_history.shape == (2,) and torch.isfinite(result.loss_history).all()


def test_alignments_differ(digits):
    data = _loop_data(digits, torch.device("cpu"))
    stored = {a: _loop(data, alignment=a).stored for a in ("none", "groupwise", "barycenter")}
    assert not torch.allclose(stored["none"], stored["barycenter"])
    assert not torch.allclose(stored["groupwise"], stored["barycenter"])


def test_the_network_trains_on_real_rows_between_updates(digits, monkeypatch):
    data = _loop_data(digits, torch.device("cpu"))
    real_images = data[0].gather(torch.arange(len(digits[1]))).reshape(-1, 3, 8, 8)
    seen = []
    original = idc.train_step

    def spy(classifier, optimizer, inputs, labels, augment, generator):
        seen.append((inputs.clone(), labels.clone()))
        before = [p.detach().clone() for p in classifier.params]
        original(classifier, optimizer, inputs, labels, augment, generator)
        assert any(not torch.equal(b, p) for b, p in zip(before, classifier.params))

    monkeypatch.setattr(idc, "train_step", spy)
    _loop(data, n_iter=2, outer_loops=3, inner_steps=2, augment=None)
    assert len(seen) == 2 * (3 - 1) * 2  # iterations x gaps between updates x steps
    labels_of = torch.as_tensor(digits[1])
    for inputs, labels in seen:
        assert inputs.shape == (64, 3, 8, 8)
        # every training image is a real image of its label, not a synthetic one
        match = (inputs.reshape(64, 1, -1) == real_images.reshape(1, len(real_images), -1))
        found = match.all(-1)
        assert found.any(1).all()
        assert all((labels_of[found[i]] == labels[i]).all() for i in range(64))


def test_determinism_and_output_size(digits):
    X, y, A = digits
    first = FairDistiller(matching="idc", n_per_class=2, random_state=0, **FAST)
    X_syn, y_syn = first.fit_resample(X, y, sensitive_features=A)
    again = FairDistiller(matching="idc", n_per_class=2, random_state=0, **FAST)
    X_again, _ = again.fit_resample(X, y, sensitive_features=A)
    other = FairDistiller(matching="idc", n_per_class=2, random_state=1, **FAST)
    np.testing.assert_array_equal(X_syn, X_again)
    assert not np.array_equal(X_syn, other.fit_resample(X, y, sensitive_features=A)[0])
    assert X_syn.shape == (4 * 2 * 4, 3, 8, 8) and X_syn.dtype == np.float32
    assert np.bincount(y_syn).tolist() == [8, 8, 8, 8]
    assert first.X_stored_.shape == (2 * 4, 3, 8, 8)
    assert first.sampling_strategy_ == {0: 2, 1: 2, 2: 2, 3: 2}
    assert first.loss_history_.shape == (2,) and first.n_iter_ == 2
    # decoding commutes with the per-channel standardisation (X_syn: clipped to the range)
    decoded = decode(torch.as_tensor(first.X_stored_), 2).numpy()
    np.testing.assert_allclose(first.X_distilled_, decoded, atol=1e-5)
    np.testing.assert_allclose(X_syn, np.clip(decoded, X.min(axis=(0, 2, 3))[:, None, None],
                                              X.max(axis=(0, 2, 3))[:, None, None]), atol=1e-5)


def test_images_whose_size_the_grid_does_not_divide_are_refused():
    X = np.random.default_rng(0).random((40, 1, 7, 8), dtype=np.float32)
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match="image_shape=\\(1, 7, 8\\)"):
        FairDistiller(matching="idc", n_per_class=1, **FAST).fit(
            X, y, sensitive_features=(np.arange(40) // 2) % 2)


def test_pandas_round_trip_and_distilled_classifier(digits):
    X, y, A = digits
    frame = pd.DataFrame(X.reshape(len(X), -1)).add_prefix("p")
    labels = pd.Series(y, name="digit")
    distiller = FairDistiller(matching="idc", n_per_class=1, image_shape=(3, 8, 8),
                              random_state=0, **FAST)
    X_syn, y_syn = distiller.fit_resample(frame, labels, sensitive_features=A)
    assert isinstance(X_syn, pd.DataFrame) and list(X_syn.columns) == list(frame.columns)
    assert isinstance(y_syn, pd.Series) and y_syn.name == "digit" and len(X_syn) == 16
    model = DistilledClassifier(LogisticRegression(max_iter=200), distiller=distiller)
    model.fit(X.reshape(len(X), -1), y, sensitive_features=A)
    assert model.score(X.reshape(len(X), -1), y) > 0.25


def test_paper_preset_fits(digits):
    X, y, A = digits
    options = dict(FAST, n_iter=1, batch_size="auto")
    distiller = FairDistiller(matching="idc", preset="paper", n_per_class=1, **options)
    X_syn, _ = distiller.fit_resample(X, y, sensitive_features=A)
    assert X_syn.shape == (16, 3, 8, 8) and np.isfinite(X_syn).all()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda(digits):
    device = torch.device("cuda")
    data = _loop_data(digits, device)
    result = _loop(data)
    for tensor in (result.X_syn, result.stored, result.y_syn):
        assert tensor.device.type == "cuda"
    torch.testing.assert_close(result.X_syn, decode(result.stored, 2))
    X, y, A = digits
    X_syn, _ = FairDistiller(matching="idc", n_per_class=1, random_state=0,
                             **dict(FAST, device="cuda")).fit_resample(X, y, sensitive_features=A)
    assert isinstance(X_syn, np.ndarray) and X_syn.shape == (16, 3, 8, 8)
