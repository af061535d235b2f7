"""The demo (skfairdistill._cli.demo): ``python -m skfairdistill demo`` and its pieces."""

import numpy as np
import pandas as pd

from skfairdistill.__main__ import build_parser, main
from skfairdistill._cli.demo import encode_tabular, markdown_table, random_subset, summarise
from skfairdistill.preprocessing import TabularEncoder

from conftest import make_mixed_table


def _results():
    return pd.DataFrame(
        {"method": ["full data", "COBRA", "full data", "COBRA"], "seed": [0, 0, 1, 1],
         "accuracy": [0.85, 0.81, 0.83, 0.79], "deo_max": [0.08, 0.10, 0.06, 0.12],
         "deo_mean": [0.07, 0.07, 0.05, 0.09], "seconds": [np.nan, 3.0, np.nan, 5.0]}
    )


def test_demo_options_are_unchanged():
    args = build_parser().parse_args(["demo"])
    assert (args.n_per_class, args.seeds, args.sensitive, args.n_iter, args.device) == (
        10, [0, 1, 2], "sex", None, "auto"  # None: FairDistiller's own default
    )


def test_demo_runs_the_comparison(monkeypatch, capsys):
    import skfairdistill._cli.demo as demo

    calls = {}

    def fake_run_demo(**kwargs):
        calls.update(kwargs)
        return pd.DataFrame(
            {"method": ["full data", "COBRA"], "seed": [0, 0], "accuracy": [0.85, 0.81],
             "deo_max": [0.08, 0.10], "deo_mean": [0.07, 0.07], "seconds": [np.nan, 3.0]}
        )

    monkeypatch.setattr(demo, "run_demo", fake_run_demo)
    assert main(["demo", "--seeds", "0", "--n-iter", "7", "--sensitive", "race"]) == 0
    assert calls == dict(n_per_class=10, seeds=(0,), sensitive="race", n_iter=7, device="auto")
    out = capsys.readouterr().out
    assert "| method | accuracy | DEO_M | DEO_A | distill time (s) |" in out
    assert "| COBRA | 0.810 ± 0.000 |" in out


def test_demo_encoding_is_the_encoder_in_float32():
    X = make_mixed_table()
    Z_train, Z_test = encode_tabular(X[:3], X[3:])
    encoder = TabularEncoder().fit(X[:3])
    np.testing.assert_array_equal(Z_test, encoder.transform(X[3:]).astype(np.float32))
    assert Z_train.dtype == np.float32


def test_random_subset_takes_n_rows_of_every_class_without_repeats():
    y = np.array([0] * 7 + [1] * 5 + [2] * 3)
    rows = random_subset(y, 3, np.random.default_rng(0))
    assert len(rows) == len(set(rows.tolist())) == 9
    np.testing.assert_array_equal(np.bincount(y[rows]), [3, 3, 3])
    np.testing.assert_array_equal(rows, random_subset(y, 3, np.random.default_rng(0)))


def test_summary_is_mean_and_std_over_seeds_in_the_order_the_methods_ran():
    summary = summarise(_results())
    assert list(summary.index) == ["full data", "COBRA"] and summary.index.name == "method"
    assert summary.loc["full data", "accuracy"] == "0.840 ± 0.010"
    assert summary.loc["COBRA", "DEO_M"] == "0.110 ± 0.010"
    assert summary.loc["COBRA", "distill time (s)"] == "4.0 ± 1.0"
    assert summary.loc["full data", "distill time (s)"] == "-"  # nothing was distilled


def test_markdown_table_has_a_header_a_rule_and_one_line_per_row():
    lines = markdown_table(summarise(_results())).splitlines()
    assert lines[0] == "| method | accuracy | DEO_M | DEO_A | distill time (s) |"
    assert lines[1] == "|---|---|---|---|---|"
    assert lines[2] == "| full data | 0.840 ± 0.010 | 0.070 ± 0.010 | 0.060 ± 0.010 | - |"
    assert len(lines) == 4


def test_command_line_iterations_default_to_the_distillers_own():
    from skfairdistill._cli.main import _distiller

    parser = build_parser()
    args = parser.parse_args(["distill", "x.csv", "--target", "t", "--sensitive", "g",
                              "--out", "y.csv"])
    assert args.n_iter is None and _distiller(args, parser).n_iter == "auto"
    args = parser.parse_args(["distill", "x.csv", "--target", "t", "--sensitive", "g",
                              "--out", "y.csv", "--n-iter", "7"])
    assert _distiller(args, parser).n_iter == 7
