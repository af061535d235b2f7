"""n_threads: validation, the count in force during a fit, and the caller's setting after it.

No timing here: the speed of the thread choice is measured by benchmarks/threads.py.
"""

import functools
import os

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

import skfairdistill._matching._run as matching_run
from skfairdistill import DistilledClassifier, FairDistiller
from skfairdistill._runtime.threads import FitThreads, auto_threads, check_n_threads
from skfairdistill.networks import make_embedding


@pytest.fixture
def caller_threads():
    """The caller's torch setting during a test: 3 threads; conftest's 1 restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


def _pool_threads():
    return sorted((pool["internal_api"], pool["num_threads"]) for pool in threadpool_info())


def _spying_factory(seen, fail_at=None):
    """An MLP factory recording torch's thread count each time it draws a network."""

    def factory(input_shape, generator):
        seen.append(torch.get_num_threads())
        if fail_at is not None and len(seen) >= fail_at:
            raise RuntimeError("boom")
        return make_embedding("mlp", input_shape, generator)

    return factory


@pytest.mark.parametrize("n_threads", [0, -1, 1.5, True, "all", "2", [1]])
def test_bad_n_threads_raises_naming_it(grouped_data, n_threads):
    X, y, A = grouped_data
    with pytest.raises(ValueError, match="n_threads must be 'auto', a positive integer or None"):
        FairDistiller(n_threads=n_threads, n_iter=2).fit(X, y, sensitive_features=A)


@pytest.mark.parametrize("n_threads", ["auto", None, 1, 2, np.int64(3)])
def test_good_n_threads_pass_the_check(n_threads):
    check_n_threads(n_threads)


@pytest.mark.parametrize("n_threads", ["auto", None, 1, 2])
def test_thread_settings_are_restored_after_fit(grouped_data, caller_threads, n_threads):
    X, y, A = grouped_data
    pools = _pool_threads()
    seen = []
    FairDistiller(
        n_threads=n_threads, n_iter=3, random_state=0,
        matching_params={"embedding": _spying_factory(seen)}
    ).fit(X, y, sensitive_features=A)
    assert torch.get_num_threads() == caller_threads
    assert _pool_threads() == pools
    # the loop ran under the chosen count; "auto" gives a table one thread
    expected = {"auto": 1, None: caller_threads, 1: 1, 2: 2}[n_threads]
    assert seen[-1] == expected


def test_auto_gives_a_table_one_thread(grouped_data, caller_threads, monkeypatch):
    seen = []
    original = matching_run.match_distributions

    def recording(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(matching_run, "match_distributions", recording)
    X, y, A = grouped_data
    FairDistiller(n_iter=3, random_state=0).fit(X, y, sensitive_features=A)
    assert seen == [1]
    assert torch.get_num_threads() == caller_threads


def test_thread_settings_are_restored_after_an_exception(grouped_data, caller_threads):
    X, y, A = grouped_data
    pools = _pool_threads()
    seen = []
    # the first draw is the work estimate's (its error is left to the loop), the second fails
    distiller = FairDistiller(
        n_threads=2, n_iter=3, random_state=0,
        matching_params={"embedding": _spying_factory(seen, fail_at=2)}
    )
    with pytest.raises(RuntimeError, match="boom"):
        distiller.fit(X, y, sensitive_features=A)
    assert seen[-1] == 2  # the error came from inside the fit's setting
    assert torch.get_num_threads() == caller_threads
    assert _pool_threads() == pools


def test_thread_settings_are_restored_after_a_keyboard_interrupt(
    grouped_data, caller_threads, monkeypatch
):
    X, y, A = grouped_data
    pools = _pool_threads()
    seen = []

    def interrupted(*args, **kwargs):  # Ctrl-C before the loop catches it
        seen.append(torch.get_num_threads())
        raise KeyboardInterrupt

    monkeypatch.setattr(matching_run, "match_distributions", interrupted)
    with pytest.raises(KeyboardInterrupt):
        FairDistiller(n_threads=2, n_iter=3).fit(X, y, sensitive_features=A)
    assert seen == [2]
    assert torch.get_num_threads() == caller_threads
    assert _pool_threads() == pools


def test_n_threads_1_and_2_give_identical_rows(grouped_data):
    X, y, A = grouped_data
    rows = [
        FairDistiller(n_threads=n, n_iter=10, random_state=0).fit_resample(
            X, y, sensitive_features=A
        )[0]
        for n in (1, 2)
    ]
    np.testing.assert_array_equal(rows[0], rows[1])


def test_n_threads_1_and_2_give_identical_images():
    rng = np.random.default_rng(0)
    images = rng.random((40, 3, 8, 8), dtype=np.float32)
    y = np.arange(40) % 2
    colour = rng.choice(["red", "green"], size=40)
    embedding = functools.partial(make_embedding, "convnet", channels=16)
    rows = [
        FairDistiller(
            n_threads=n, n_per_class=2, n_iter=3, random_state=0,
            matching_params={"embedding": embedding}
        ).fit_resample(images, y, sensitive_features=colour)[0]
        for n in (1, 2)
    ]
    np.testing.assert_array_equal(rows[0], rows[1])


def test_distilled_classifier_passes_n_threads_through(grouped_data, caller_threads):
    X, y, A = grouped_data
    seen = []
    distiller = FairDistiller(
        n_threads=2, n_iter=3, random_state=0, matching_params={"embedding": _spying_factory(seen)}
    )
    DistilledClassifier(LogisticRegression(), distiller=distiller).fit(
        X, y, sensitive_features=A
    )
    assert seen[-1] == 2
    assert torch.get_num_threads() == caller_threads


def test_auto_threads_rule():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert auto_threads(images=False) == 1
        assert auto_threads(images=True) == min(2, len(os.sched_getaffinity(0)))
        torch.set_num_threads(1)  # never more than the caller's setting
        assert auto_threads(images=True) == 1
    finally:
        torch.set_num_threads(before)


def test_fit_threads_none_changes_nothing(caller_threads):
    with FitThreads(None) as threads:
        assert threads.size_to(images=False, device=torch.device("cpu")) is None
        assert torch.get_num_threads() == caller_threads
    assert torch.get_num_threads() == caller_threads


def test_fit_threads_auto_leaves_a_gpu_fit_alone(caller_threads):
    with FitThreads("auto") as threads:
        assert threads.size_to(images=False, device=torch.device("cuda")) is None
        assert torch.get_num_threads() == caller_threads


def test_fits_side_by_side_in_threads_give_the_rows_of_fits_one_after_the_other(
        grouped_data, caller_threads):
    """torch's thread count is the process's: fits in threads share it and restore it once.

    (Fits side by side with different n_threads share whichever count was set last, so
    their last bits may differ from a fit alone; with the same setting they do not.)
    """
    from concurrent.futures import ThreadPoolExecutor

    X, y, A = grouped_data
    pools = _pool_threads()

    def fit(seed):
        return FairDistiller(n_per_class=3, n_iter=60, random_state=seed).fit_resample(
            X, y, sensitive_features=A)[0]

    alone = [fit(seed) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:  # started at once, ending in any order
        side_by_side = list(pool.map(fit, range(4)))
    for one, other in zip(alone, side_by_side):
        np.testing.assert_array_equal(one, other)
    assert torch.get_num_threads() == caller_threads
    assert _pool_threads() == pools


def test_a_threaded_grid_search_leaves_the_callers_thread_count(grouped_data, caller_threads):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y, A = grouped_data
    search = GridSearchCV(
        DistilledClassifier(LogisticRegression(), distiller=FairDistiller(n_iter=30,
                                                                          random_state=0)),
        {"distiller__n_per_class": [2, 4]}, cv=2, n_jobs=2)
    with joblib.parallel_backend("threading", n_jobs=2):
        search.fit(X, y, sensitive_features=A)
    assert torch.get_num_threads() == caller_threads
    assert search.best_params_["distiller__n_per_class"] in (2, 4)
