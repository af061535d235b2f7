"""Turn the benchmark rows (the raw CSV) into docs/benchmarks.md and its figures.

Everything in the document is computed from the CSV and the run's metadata JSON, so
``python benchmarks/run.py --from-csv benchmarks/results/full.csv`` regenerates it
without running anything.
"""

import inspect
import os
import re

import numpy as np
import pandas as pd

from bench_common import markdown_table
from bench_suite import DISTILLERS, METHODS, MODELS
from skfairdistill import FairDistiller
from skfairdistill.networks import RandomMLP

METRICS = ("accuracy", "deo_max", "deo_mean", "worst_group_accuracy")
COSTS = ("distill_seconds", "rss_peak_mib", "py_peak_mib")
LABELS = {
    "accuracy": "accuracy",
    "deo_max": "DEO_M",
    "deo_mean": "DEO_A",
    "worst_group_accuracy": "worst-group acc.",
    "distill_seconds": "time (s)",
    "rss_peak_mib": "RSS peak (MiB)",
    "py_peak_mib": "Python peak (MiB)",
}
COLOURS = {
    "full data": "black",
    "random subset": "tab:gray",
    "ClusterCentroids": "tab:brown",
    "balanced k-means": "tab:olive",
    "vanilla": "tab:red",
    "rebalanced vanilla": "tab:orange",
    "FairDD": "tab:blue",
    "COBRA": "tab:green",
    "COBRA-kmeans": "tab:cyan",
}
MARKERS = {
    "full data": "*",
    "random subset": "x",
    "ClusterCentroids": "P",
    "balanced k-means": "p",
    "vanilla": "o",
    "rebalanced vanilla": "v",
    "FairDD": "s",
    "COBRA": "D",
    "COBRA-kmeans": "d",
}
HEAT_METHODS = ("vanilla", "rebalanced vanilla", "FairDD", "COBRA")


# ----------------------------------------------------------------------------- summaries


def summarise(rows):
    """Mean, sample std (ddof=1) and count over seeds per (dataset, budget, model, method)."""
    keys = ["dataset", "family", "imbalance", "separation", "mode", "sensitive", "budget",
            "model", "method"]
    frame = rows.copy()
    for key in ("imbalance", "separation"):
        frame[key] = frame[key].fillna(-1.0)
    for key in ("mode", "sensitive"):
        frame[key] = frame[key].fillna("")
    grouped = frame.groupby(keys, sort=False)[list(METRICS + COSTS)]
    mean = grouped.mean().add_suffix("_mean")
    std = grouped.std(ddof=1).add_suffix("_std")
    count = grouped.size().rename("n_seeds")
    out = pd.concat([mean, std, count], axis=1).reset_index()
    for key in ("imbalance", "separation"):
        out[key] = out[key].replace(-1.0, np.nan)
    return out


def _cell(row, metric, digits=3):
    m = row[f"{metric}_mean"]
    if pd.isna(m):
        return "–"
    s = row[f"{metric}_std"]
    return f"{m:.{digits}f} ± {0.0 if pd.isna(s) else s:.{digits}f}"


def _means(summary):
    """{(dataset, budget, model): {method: row}} for quick lookups."""
    table = {}
    for _, row in summary.iterrows():
        table.setdefault((row["dataset"], int(row["budget"]), row["model"]), {})[row["method"]] = row
    return table


def _ordered_datasets(summary):
    order = {"adult": 0, "digits": 1, "synthetic": 2}
    first = summary.drop_duplicates("dataset")
    first = first.assign(_o=first["family"].map(order)).sort_values(
        ["_o", "imbalance", "separation"], kind="stable")
    return list(first["dataset"])


def _is_biased(row):
    """Adult and digits, and synthetic cells with imbalance > 0.5 and separation > 0."""
    if row["family"] != "synthetic":
        return True
    return row["imbalance"] > 0.5 and row["separation"] > 0


# ----------------------------------------------------------------------------- findings


def _settings(summary):
    """One dict per (dataset, budget, model) with every method's means and stds."""
    out = []
    for (dataset, budget, model), methods in _means(summary).items():
        if not all(m in methods for m in ("vanilla", "FairDD", "COBRA", "random subset")):
            continue
        any_row = next(iter(methods.values()))
        out.append({"dataset": dataset, "budget": budget, "model": model,
                    "family": any_row["family"], "imbalance": any_row["imbalance"],
                    "separation": any_row["separation"], "biased": _is_biased(any_row),
                    "m": methods})
    return out


def _v(setting, method, metric, kind="mean"):
    return float(setting["m"][method][f"{metric}_{kind}"])


def _count(settings, predicate):
    hits = sum(bool(predicate(s)) for s in settings)
    return f"{hits}/{len(settings)}"


def _label(s):
    return f"{s['dataset']}, {s['budget']}/class, {s['model']}"


def findings(summary):
    """The Findings section, computed from the summary (no hand-written numbers)."""
    settings = _settings(summary)
    if not settings:
        return "No setting has all of vanilla, FairDD, COBRA and a random subset.\n"
    lines = []
    families = ["all"] + [f for f in ("adult", "digits", "synthetic")
                          if any(s["family"] == f for s in settings)]

    def subset(family, model=None):
        chosen = [s for s in settings if family == "all" or s["family"] == family]
        return [s for s in chosen if model is None or s["model"] == model]

    deo = lambda s, m: _v(s, m, "deo_max")  # noqa: E731
    acc = lambda s, m: _v(s, m, "accuracy")  # noqa: E731
    std = lambda s, m: _v(s, m, "deo_max", "std")  # noqa: E731
    checks = [
        ("COBRA ≤ FairDD ≤ vanilla (DEO_M)",
         lambda s: deo(s, "COBRA") <= deo(s, "FairDD") <= deo(s, "vanilla")),
        ("COBRA ≤ FairDD", lambda s: deo(s, "COBRA") <= deo(s, "FairDD")),
        ("FairDD ≤ vanilla", lambda s: deo(s, "FairDD") <= deo(s, "vanilla")),
        ("COBRA ≤ vanilla", lambda s: deo(s, "COBRA") <= deo(s, "vanilla")),
        ("COBRA < vanilla by > 1 std of each",
         lambda s: deo(s, "COBRA") + std(s, "COBRA") < deo(s, "vanilla") - std(s, "vanilla")),
        ("COBRA acc. ≥ vanilla − 1 pt", lambda s: acc(s, "COBRA") >= acc(s, "vanilla") - 0.01),
        ("FairDD acc. ≥ vanilla − 1 pt", lambda s: acc(s, "FairDD") >= acc(s, "vanilla") - 0.01),
    ]
    header = ["check (means over seeds)"] + [
        f"{f} ({m})" for f in families for m in ("LogReg", "MLP")]
    body = []
    for name, predicate in checks:
        body.append([name] + [_count(subset(f, m), predicate)
                              for f in families for m in ("LogReg", "MLP")])

    # 1. Does vanilla widen the gap?
    biased = [s for s in settings if s["biased"]]
    controls = [s for s in settings if not s["biased"]]
    lines.append("### 1. Does vanilla distillation widen the gap on biased data?\n")
    lines.append(
        "Compared with the model trained on the **full** training data, vanilla's DEO_M is "
        f"higher in {_count(biased, lambda s: deo(s, 'vanilla') > deo(s, 'full data'))} "
        "biased settings (Adult, coloured digits, synthetic cells with π > 0.5 and "
        "separation > 0; every budget and model), and higher than the **random subset**'s in "
        f"{_count(biased, lambda s: deo(s, 'vanilla') > deo(s, 'random subset'))}. "
        "Mean DEO_M difference vanilla − full data, per family:"
    )
    diff_rows = []
    for family in families[1:]:
        for model in ("LogReg", "MLP"):
            chosen = [s for s in biased if s["family"] == family and s["model"] == model]
            if chosen:
                d_full = np.mean([deo(s, "vanilla") - deo(s, "full data") for s in chosen])
                d_rand = np.mean([deo(s, "vanilla") - deo(s, "random subset") for s in chosen])
                widened = _count(chosen, lambda s: deo(s, "vanilla") > deo(s, "full data"))
                diff_rows.append([family, model, len(chosen), f"{d_full:+.3f}", widened,
                                  f"{d_rand:+.3f}"])
    lines.append("")
    lines.append(markdown_table(
        ["family", "model", "settings", "mean DEO_M vanilla − full", "vanilla > full",
         "mean DEO_M vanilla − random subset"], diff_rows))
    if controls:
        lines.append(
            f"\nOn the unbiased synthetic controls (π = 0.5 or separation 0; {len(controls)} "
            "settings) vanilla's DEO_M is above full data's in "
            f"{_count(controls, lambda s: deo(s, 'vanilla') > deo(s, 'full data'))}; mean "
            f"DEO_M there: vanilla {np.mean([deo(s, 'vanilla') for s in controls]):.3f}, "
            f"COBRA {np.mean([deo(s, 'COBRA') for s in controls]):.3f}, full data "
            f"{np.mean([deo(s, 'full data') for s in controls]):.3f}."
        )

    # 2. Does rebalancing alone close it?
    lines.append("\n### 2. Does rebalancing the groups alone close the gap when groups are "
                 "separated?\n")
    lines.append(
        "\"Rebalanced vanilla\" undersamples every (class, group) cell to the smallest cell "
        "of its class, then runs vanilla distillation. Settings: the biased ones "
        "(synthetic cells with π > 0.5 *and* separation > 0, Adult, coloured digits)."
    )
    rb_rows = []
    for family in families[1:]:
        for model in ("LogReg", "MLP"):
            chosen = [s for s in biased if s["family"] == family and s["model"] == model
                      and "rebalanced vanilla" in s["m"]]
            if not chosen:
                continue
            rb_rows.append([
                family, model, len(chosen),
                f"{np.mean([deo(s, 'vanilla') for s in chosen]):.3f}",
                f"{np.mean([deo(s, 'rebalanced vanilla') for s in chosen]):.3f}",
                f"{np.mean([deo(s, 'COBRA') for s in chosen]):.3f}",
                _count(chosen, lambda s: deo(s, "rebalanced vanilla") < deo(s, "vanilla")),
                _count(chosen, lambda s: deo(s, "rebalanced vanilla") <= deo(s, "COBRA") + 0.02),
                f"{np.mean([acc(s, 'rebalanced vanilla') - acc(s, 'vanilla') for s in chosen]):+.3f}",
                f"{np.mean([acc(s, 'rebalanced vanilla') - acc(s, 'COBRA') for s in chosen]):+.3f}",
            ])
    lines.append("")
    lines.append(markdown_table(
        ["family", "model", "settings", "mean DEO_M vanilla", "mean DEO_M rebalanced",
         "mean DEO_M COBRA", "rebalanced < vanilla", "rebalanced ≤ COBRA + 0.02",
         "acc. rebalanced − vanilla", "acc. rebalanced − COBRA"], rb_rows))

    # 3./4. Ordering and accuracy
    lines.append("\n### 3. COBRA ≤ FairDD ≤ vanilla (DEO_M), and accuracy within 1 point of "
                 "vanilla\n")
    lines.append("Counts of settings (dataset × budget) where the check holds, on the means "
                 "over seeds; ties count as holding. \"> 1 std\" asks for a gap larger than "
                 "the two standard deviations together.\n")
    lines.append(markdown_table(header, body))
    losses = [s for s in settings
              if deo(s, "COBRA") > deo(s, "vanilla") or acc(s, "COBRA") < acc(s, "vanilla") - 0.01]
    if losses:
        lines.append("\n**Where COBRA loses to vanilla** (higher DEO_M, or accuracy more than "
                     "1 point lower):\n")
        def loses_on(s):
            fairness = deo(s, "COBRA") > deo(s, "vanilla")
            accuracy = acc(s, "COBRA") < acc(s, "vanilla") - 0.01
            return " and ".join(n for n, b in (("DEO_M", fairness), ("accuracy", accuracy)) if b)

        loss_rows = [[
            _label(s), loses_on(s),
            f"{deo(s, 'vanilla'):.3f} → {deo(s, 'COBRA'):.3f}",
            f"{acc(s, 'vanilla'):.3f} → {acc(s, 'COBRA'):.3f}",
        ] for s in losses]
        lines.append(markdown_table(["setting", "COBRA worse on", "DEO_M vanilla → COBRA",
                                     "accuracy vanilla → COBRA"], loss_rows))
    fair_losses = [s for s in settings if deo(s, "COBRA") > deo(s, "FairDD")]
    if fair_losses:
        lines.append(f"\nCOBRA's DEO_M is above FairDD's in {len(fair_losses)}/{len(settings)} "
                     "settings; the largest margins:\n")
        worst = sorted(fair_losses, key=lambda s: deo(s, "FairDD") - deo(s, "COBRA"))[:8]
        lines.append(markdown_table(
            ["setting", "DEO_M FairDD", "DEO_M COBRA"],
            [[_label(s), _cell(s["m"]["FairDD"], "deo_max"), _cell(s["m"]["COBRA"], "deo_max")]
             for s in worst]))

    # 5. Coloured digits at 10 per class
    digit_rows = [s for s in settings if s["family"] == "digits" and s["budget"] == 10]
    if digit_rows:
        lines.append("\n### 4. Coloured digits, 10 rows per class: is COBRA's DEO_A ≤ 0.5 × "
                     "vanilla's?\n")
        rows = []
        for s in digit_rows:
            ratio = _v(s, "COBRA", "deo_mean") / max(_v(s, "vanilla", "deo_mean"), 1e-12)
            rows.append([s["dataset"], s["model"], _cell(s["m"]["vanilla"], "deo_mean"),
                         _cell(s["m"]["FairDD"], "deo_mean"), _cell(s["m"]["COBRA"], "deo_mean"),
                         f"{ratio:.2f}", "yes" if ratio <= 0.5 else "**no**"])
        lines.append(markdown_table(["dataset", "model", "DEO_A vanilla", "DEO_A FairDD",
                                     "DEO_A COBRA", "COBRA / vanilla", "≤ 0.5?"], rows))

    # 6. Beat the random subset?
    lines.append("\n### 5. Do the distillers beat a random subset of the same size on "
                 "accuracy?\n")
    columns = [subset(f, m) for f in families for m in ("LogReg", "MLP")]

    def versus(methods, baseline, *tests):
        """Per method, per column: the settings with both where each test holds."""
        rows = []
        for method in methods:
            cells = []
            for chosen in columns:
                both = [s for s in chosen if method in s["m"] and baseline in s["m"]]
                cells.append(" / ".join(_count(both, lambda s, t=t: t(s, method, baseline))
                                        for t in tests))
            rows.append([method] + cells)
        return rows

    more_accurate = lambda s, m, b: acc(s, m) > acc(s, b)  # noqa: E731
    rand_rows = versus(("ClusterCentroids",) + DISTILLERS, "random subset", more_accurate)
    lines.append(markdown_table(["method: accuracy > random subset"] + header[1:], rand_rows))
    cc_rows = versus(DISTILLERS, "ClusterCentroids", more_accurate)
    lines.append("\nThe stronger budget-matched baseline, imbalanced-learn's ClusterCentroids:\n")
    lines.append(markdown_table(["method: accuracy > ClusterCentroids"] + header[1:], cc_rows))
    bkm_rows = versus(DISTILLERS, "balanced k-means", lambda s, m, b: acc(s, m) >= acc(s, b),
                      lambda s, m, b: deo(s, m) <= deo(s, b))
    if any(any(not c.startswith("0/0") for c in row[1:]) for row in bkm_rows):
        lines.append("\nThe strongest simple baseline on tables, group-balanced k-means "
                     "(accuracy ≥ / DEO_M ≤ balanced k-means):\n")
        lines.append(markdown_table(["method: acc. ≥ / DEO_M ≤ balanced k-means"]
                                    + header[1:], bkm_rows))
    gains = []
    for family in families[1:]:
        chosen = subset(family, "LogReg")
        gains.append(
            f"{family}: COBRA {np.mean([acc(s, 'COBRA') - acc(s, 'random subset') for s in chosen]):+.3f}, "
            f"FairDD {np.mean([acc(s, 'FairDD') - acc(s, 'random subset') for s in chosen]):+.3f}, "
            f"vanilla {np.mean([acc(s, 'vanilla') - acc(s, 'random subset') for s in chosen]):+.3f}"
        )
    lines.append("\nMean accuracy gain over the random subset (LogReg, all budgets): "
                 + "; ".join(gains) + ".")
    return "\n".join(lines) + "\n"


def _verdict(hits, total):
    share = hits / total if total else 0.0
    return "mostly yes" if share >= 0.75 else "mixed" if share >= 0.4 else "mostly no"


def short_answers(summary):
    """The questions of the Findings in one table: where each check holds, per family."""
    settings = _settings(summary)
    if not settings:
        return ""
    deo = lambda s, m: _v(s, m, "deo_max")  # noqa: E731
    acc = lambda s, m: _v(s, m, "accuracy")  # noqa: E731
    wga = lambda s, m: _v(s, m, "worst_group_accuracy")  # noqa: E731
    families = [f for f in ("adult", "digits", "synthetic") if any(s["family"] == f
                                                                  for s in settings)]
    biased = [s for s in settings if s["biased"]]
    separated = [s for s in biased if "rebalanced vanilla" in s["m"]]
    digits = [s for s in settings if s["family"] == "digits" and s["budget"] == 10]
    checks = [
        ("Does vanilla widen the gap on biased data?", "DEO_M vanilla > full data", biased,
         lambda s: deo(s, "vanilla") > deo(s, "full data")),
        ("Does rebalancing alone close the gap when groups are separated?",
         "DEO_M rebalanced vanilla < vanilla", separated,
         lambda s: deo(s, "rebalanced vanilla") < deo(s, "vanilla")),
        ("", "DEO_M rebalanced vanilla ≤ COBRA + 0.02", separated,
         lambda s: deo(s, "rebalanced vanilla") <= deo(s, "COBRA") + 0.02),
        ("COBRA ≤ FairDD ≤ vanilla in DEO_M?", "the full chain", settings,
         lambda s: deo(s, "COBRA") <= deo(s, "FairDD") <= deo(s, "vanilla")),
        ("", "COBRA ≤ vanilla", settings, lambda s: deo(s, "COBRA") <= deo(s, "vanilla")),
        ("", "COBRA ≤ FairDD", settings, lambda s: deo(s, "COBRA") <= deo(s, "FairDD")),
        ("Accuracy within 1 point of vanilla or better?", "COBRA", settings,
         lambda s: acc(s, "COBRA") >= acc(s, "vanilla") - 0.01),
        ("", "FairDD", settings, lambda s: acc(s, "FairDD") >= acc(s, "vanilla") - 0.01),
        ("Worst-group accuracy ≥ vanilla's?", "COBRA", settings,
         lambda s: wga(s, "COBRA") >= wga(s, "vanilla")),
        ("", "FairDD", settings, lambda s: wga(s, "FairDD") >= wga(s, "vanilla")),
        ("Coloured digits, 10 per class: COBRA's DEO_A ≤ 0.5 × vanilla's?",
         "(per data set and model: section 4)", digits,
         lambda s: _v(s, "COBRA", "deo_mean") <= 0.5 * _v(s, "vanilla", "deo_mean")),
    ] + [
        ("Do the distillers beat a random subset on accuracy?" if k == 0 else "", method,
         settings, lambda s, m=method: acc(s, m) > acc(s, "random subset"))
        for k, method in enumerate(DISTILLERS)
    ]
    rows = []
    for question, check, chosen, predicate in checks:
        hits = sum(bool(predicate(s)) for s in chosen)
        rows.append([f"**{question}**" if question else "", check,
                     f"{_verdict(hits, len(chosen))}: {hits}/{len(chosen)}"]
                    + [_count(sub, predicate) if sub else "–"
                       for sub in ([s for s in chosen if s["family"] == f] for f in families)])
    out = [markdown_table(["question", "check (means over seeds)", "holds in"] + families, rows)]
    out.append(
        "\nBiased settings: all budgets and both models. Mean accuracy change of rebalanced "
        "vanilla against vanilla: " + ", ".join(
            f"{f} {np.mean([acc(s, 'rebalanced vanilla') - acc(s, 'vanilla') for s in sub]):+.3f}"
            for f in families if (sub := [s for s in separated if s["family"] == f])) + ".")
    same = [s for s in settings
            if deo(s, "COBRA") == deo(s, "vanilla") and acc(s, "COBRA") == acc(s, "vanilla")]
    if same:
        out.append(
            f"Ties count as holding. In {len(same)} settings COBRA's and vanilla's results "
            "are identical: " + ", ".join(sorted({s["dataset"] for s in same}))
            + " — with equal group shares the class mean *is* the barycenter, so the two "
            "targets and runs coincide.")
    return "\n".join(out) + "\n"


def key_table(summary, budget=10, model="LogReg"):
    """COBRA vs FairDD vs vanilla per dataset at one budget and model (means ± std)."""
    table = _means(summary)
    rows = []
    for dataset in _ordered_datasets(summary):
        methods = table.get((dataset, budget, model))
        if not methods or not all(m in methods for m in ("vanilla", "FairDD", "COBRA")):
            continue
        row = [dataset]
        for metric in ("accuracy", "deo_max", "deo_mean"):
            row += [_cell(methods[m], metric) for m in ("vanilla", "FairDD", "COBRA")]
        rows.append(row)
    header = ["dataset"] + [f"{LABELS[metric]} {m}" for metric in ("accuracy", "deo_max",
                                                                     "deo_mean")
                            for m in ("vanilla", "FairDD", "COBRA")]
    return markdown_table(header, rows)


def dataset_tables(summary, dataset):
    """Full tables of one dataset: one per (budget, model)."""
    parts = []
    sub = summary[summary["dataset"] == dataset]
    for budget in sorted(sub["budget"].unique()):
        for model in [m for m in MODELS if m in set(sub["model"])]:
            rows = sub[(sub["budget"] == budget) & (sub["model"] == model)]
            lines = []
            for method in METHODS:
                match = rows[rows["method"] == method]
                if match.empty:
                    continue
                r = match.iloc[0]
                lines.append([method] + [_cell(r, m) for m in METRICS]
                             + [_cell(r, "distill_seconds", 1), _cell(r, "rss_peak_mib", 1),
                                _cell(r, "py_peak_mib", 1)])
            parts.append(f"**{budget} rows per class, {model}**\n\n"
                         + markdown_table(["method"] + [LABELS[m] for m in METRICS + COSTS],
                                          lines))
    return "\n\n".join(parts)


def synthetic_tables(summary):
    """Compact grid tables for the synthetic cells: DEO_M and accuracy per method."""
    sub = summary[summary["family"] == "synthetic"]
    if sub.empty:
        return ""
    parts = []
    cells = sub.drop_duplicates("dataset").sort_values(["imbalance", "separation"])
    methods = [m for m in METHODS if m in set(sub["method"])]
    for budget in sorted(sub["budget"].unique()):
        for model in [m for m in MODELS if m in set(sub["model"])]:
            for metric in ("deo_max", "accuracy", "worst_group_accuracy"):
                lines = []
                for _, cell in cells.iterrows():
                    rows = sub[(sub["dataset"] == cell["dataset"]) & (sub["budget"] == budget)
                               & (sub["model"] == model)]
                    line = [f"{cell['imbalance']:g}", f"{cell['separation']:g}"]
                    for method in methods:
                        match = rows[rows["method"] == method]
                        line.append(_cell(match.iloc[0], metric) if len(match) else "–")
                    lines.append(line)
                parts.append(f"**{LABELS[metric]}, {budget} rows per class, {model}**\n\n"
                             + markdown_table(["π", "sep."] + methods, lines))
    # cost, averaged over the grid
    lines = []
    for budget in sorted(sub["budget"].unique()):
        for method in ("ClusterCentroids",) + DISTILLERS:
            rows = sub[(sub["budget"] == budget) & (sub["method"] == method)
                       & (sub["model"] == sub["model"].iloc[0])]
            if rows.empty:
                continue
            lines.append([budget, method] + [
                f"{rows[f'{c}_mean'].mean():.{1}f}" for c in COSTS])
    parts.append("**Cost, mean over the grid cells and seeds**\n\n" + markdown_table(
        ["rows per class", "method"] + [LABELS[c] for c in COSTS], lines))
    return "\n\n".join(parts)


# ----------------------------------------------------------------------------- figures


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_tradeoff(summary, path, model="LogReg"):
    """DEO_M against accuracy per method, one panel per dataset (synthetic: corner cells)."""
    plt = _plt()
    datasets = [d for d in _ordered_datasets(summary)
                if not d.startswith("synthetic")]
    syn = summary[summary["family"] == "synthetic"].drop_duplicates("dataset")
    if not syn.empty:
        corner = syn.sort_values(["imbalance", "separation"]).iloc[-1]["dataset"]
        datasets.append(corner)
    n = len(datasets)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False)
    budgets = sorted(summary["budget"].unique())
    for ax, dataset in zip(axes.ravel(), datasets):
        sub = summary[(summary["dataset"] == dataset) & (summary["model"] == model)]
        for method in METHODS:
            for k, budget in enumerate(budgets):
                r = sub[(sub["method"] == method) & (sub["budget"] == budget)]
                if r.empty or (method == "full data" and k > 0):
                    continue
                r = r.iloc[0]
                ax.errorbar(
                    r["accuracy_mean"], r["deo_max_mean"],
                    xerr=np.nan_to_num(r["accuracy_std"]), yerr=np.nan_to_num(r["deo_max_std"]),
                    fmt=MARKERS[method], color=COLOURS[method], ms=7, capsize=2, lw=0.8,
                    mfc=COLOURS[method] if k == 0 else "none",
                    label=method if k == 0 else None,
                )
        ax.set_title(dataset, fontsize=10)
        ax.set_xlabel("accuracy")
        ax.set_ylabel("DEO_M")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    budget_note = (f"filled: {budgets[0]} rows/class" +
                   (f", hollow: {budgets[-1]} rows/class" if len(budgets) > 1 else ""))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(f"DEO_M (lower is fairer) against accuracy, {model}; mean ± std over seeds; "
                 f"{budget_note}", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure_heatmaps(summary, path, model="LogReg"):
    """DEO_M over imbalance × separation for each distiller, and COBRA − vanilla."""
    sub = summary[(summary["family"] == "synthetic") & (summary["model"] == model)]
    if sub.empty:
        return False
    plt = _plt()
    imbalances = sorted(sub["imbalance"].unique())
    separations = sorted(sub["separation"].unique())
    budgets = sorted(sub["budget"].unique())
    panels = list(HEAT_METHODS) + ["COBRA − vanilla"]
    fig, axes = plt.subplots(len(budgets), len(panels),
                             figsize=(3.3 * len(panels), 2.9 * len(budgets)), squeeze=False)

    def grid(budget, method):
        out = np.full((len(imbalances), len(separations)), np.nan)
        for i, p in enumerate(imbalances):
            for j, s in enumerate(separations):
                r = sub[(sub["budget"] == budget) & (sub["method"] == method)
                        & np.isclose(sub["imbalance"], p) & np.isclose(sub["separation"], s)]
                if len(r):
                    out[i, j] = r.iloc[0]["deo_max_mean"]
        return out

    vmax = max(np.nanmax(grid(b, m)) for b in budgets for m in HEAT_METHODS)
    for row, budget in enumerate(budgets):
        for col, panel in enumerate(panels):
            ax = axes[row, col]
            if panel == "COBRA − vanilla":
                values = grid(budget, "COBRA") - grid(budget, "vanilla")
                lim = max(np.nanmax(np.abs(values)), 1e-6)
                image = ax.imshow(values, cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower",
                                  aspect="auto")
            else:
                values = grid(budget, panel)
                image = ax.imshow(values, cmap="viridis", vmin=0, vmax=vmax, origin="lower",
                                  aspect="auto")
            diff = panel == "COBRA − vanilla"
            for i in range(len(imbalances)):
                for j in range(len(separations)):
                    value = values[i, j]
                    if np.isnan(value):
                        continue
                    dark = abs(value) > 0.6 * lim if diff else value < 0.6 * vmax
                    ax.text(j, i, f"{round(value, 2) + 0.0:+.2f}" if diff else f"{value:.2f}", ha="center",
                            va="center", fontsize=8, color="white" if dark else "black")
            ax.set_xticks(range(len(separations)), [f"{s:g}" for s in separations])
            ax.set_yticks(range(len(imbalances)), [f"{p:g}" for p in imbalances])
            ax.set_xlabel("group separation")
            ax.set_ylabel("group imbalance π")
            ax.set_title(f"{panel}, {budget}/class", fontsize=9)
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(f"Synthetic grid: DEO_M of {model} trained on the distilled rows "
                 "(mean over seeds; right: COBRA − vanilla, blue = COBRA fairer)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ----------------------------------------------------------------------------- document


PAPER_TABLE = """\
| setting (image benchmark, DM = distribution matching, DC = gradient matching) | vanilla | FairDD | COBRA | full data |
|---|---|---|---|---|
| C-MNIST FG, DM, IPC 10 | 25.0 / 100 / 99.96 | 94.6 / 17.0 / 7.95 | 94.5 / 15.7 / 7.5 | 97.7 / 10.1 / 5.9 |
| CIFAR10-S, DM, IPC 100 | 45.4 / 82.9 | 61.2 / 25.2 | 62.4 / 9.4 | 69.7 / 49.0 |
| CIFAR10-S, DC, IPC 50 | 39.5 / 71.9 | 46.2 / 35.7 | 46.6 / 26.2 | |
| BFFHQ, DM, IPC 100 | 65.8 / 63.5 | 73.7 / 24.1 | 74.2 / 7.9 | 72.7 / 64.0 |
"""


def _analogue_table(summary):
    table = _means(summary)
    rows = []
    wanted = [("digits-foreground", 10, "C-MNIST FG, DM, IPC 10"),
              ("digits-background", 10, "(C-MNIST BG)"),
              ("digits-grey", 50, "CIFAR10-S (IPC 100 in the paper)"),
              ("digits-grey", 10, "CIFAR10-S")]
    for dataset, budget, analogue in wanted:
        methods = table.get((dataset, budget, "LogReg"))
        if not methods:
            continue
        line = [f"{dataset}, {budget}/class, LogReg", analogue]
        for m in ("vanilla", "FairDD", "COBRA", "full data"):
            if m in methods:
                r = methods[m]
                line.append(f"{100 * r['accuracy_mean']:.1f} / {100 * r['deo_max_mean']:.1f} / "
                            f"{100 * r['deo_mean_mean']:.1f}")
            else:
                line.append("–")
        rows.append(line)
    return markdown_table(["ours (8×8 digits, tabular)", "closest paper setting", "vanilla",
                           "FairDD", "COBRA", "full data"], rows)


def write_report(rows, meta, out_path, figures_dir):
    """Write the Markdown document and the figures; return the figure paths."""
    all_rows = rows
    check_rows = rows[rows["family"] == "check"]
    rows = rows[rows["family"] != "check"]
    summary = summarise(rows)
    os.makedirs(figures_dir, exist_ok=True)
    tag = "quick_" if meta.get("quick") else ""
    tradeoff = os.path.join(figures_dir, f"{tag}deo_vs_accuracy_logreg.png")
    tradeoff_mlp = os.path.join(figures_dir, f"{tag}deo_vs_accuracy_mlp.png")
    heat = os.path.join(figures_dir, f"{tag}synthetic_heatmaps_logreg.png")
    figure_tradeoff(summary, tradeoff, "LogReg")
    written = [tradeoff]
    if "MLP" in set(summary["model"]):
        figure_tradeoff(summary, tradeoff_mlp, "MLP")
        written.append(tradeoff_mlp)
    if figure_heatmaps(summary, heat, "LogReg"):
        written.append(heat)
    rel = lambda p: os.path.relpath(p, os.path.dirname(os.path.abspath(out_path)))  # noqa: E731

    cfg = meta["config"]
    seeds = sorted(rows["seed"].unique())
    doc = []
    doc.append("# Benchmarks\n")
    if meta.get("quick"):
        doc.append("> **Quick mode** (smoke test): one seed, a subset of the data sets and "
                   "budgets, few iterations. These numbers are not the benchmark.\n")
    doc.append(
        "Generated by `benchmarks/run.py` from the raw rows in "
        f"`{meta['csv']}` ({len(all_rows)} rows); regenerate this page without re-running with "
        f"`python benchmarks/run.py --from-csv {meta['csv']} --out {meta['out']}`.\n"
    )
    doc.append("## Run\n")
    history = meta.get("history") or [meta]
    run_lines = []
    if len(history) == 1:
        run_lines += [["command", f"`{meta['command']}`"], ["date", meta["date"]],
                      ["wall time", f"{meta['wall_seconds']:.0f} s "
                       f"({meta['wall_seconds'] / 60:.1f} min)"],
                      ["load average (1 min) at start / end", meta.get("load", "–")]]
    else:
        for i, h in enumerate(history, 1):
            command = h["command"]
            if h.get("note") and " --note " in command:
                command = command.split(" --note ")[0] + " --note '…'"  # the note follows
            run_lines.append([
                f"segment {i}",
                f"`{command}` — {h['date']}, {h['wall_seconds']:.0f} s "
                f"({h['wall_seconds'] / 60:.1f} min), load average at start / end "
                f"{h.get('load', '–')}"
                + (f", package: {h['package']}" if h.get("package") else "")
                + (f". {h['note']}" if h.get("note") else "")])
        run_lines.append(["wall time, all segments",
                          f"{meta['wall_seconds']:.0f} s ({meta['wall_seconds'] / 60:.1f} min), "
                          "including any work that a later segment discarded"])
        run_lines.append(["in one go", "`python benchmarks/run.py` with the settings listed "
                          "under Setup runs the same grid in a single segment"])
    doc.append(markdown_table(["", ""], run_lines + [
        *([["package state", meta["package"]]] if meta.get("package") and len(history) == 1
          else []),
        *[[f"reproduction check {i}", _verification_text(v)]
          for i, v in enumerate(meta.get("verifications", []), 1)],
        ["machine", meta["machine"]],
        ["threads", f"{cfg['threads']} (torch.set_num_threads and OMP/BLAS thread variables)"],
        ["software", meta["software"]],
        ["seeds", ", ".join(str(s) for s in seeds)],
    ]))
    doc.append("")
    if len(history) > 1:
        doc.append(
            "Each segment is a separate process that imports the package once when it starts, "
            "so the package's code can differ between segments; a reproduction check re-runs "
            "stored rows with the package installed at check time.\n")
    doc.append(
        "Times are wall-clock times on the machine above, whose load (see the load averages) "
        "and speed vary between runs: compare them between methods of the same run, not "
        "with other runs or machines.\n")

    doc.append("## Setup\n")
    doc.append(_setup_text(meta, rows))

    doc.append("## Key results: COBRA vs FairDD vs vanilla, 10 rows per class, logistic "
               "regression\n")
    doc.append("Mean ± sample std over seeds. Accuracy: higher is better; DEO_M / DEO_A "
               "(equalized-odds gaps, fractions): lower is fairer.\n")
    doc.append(key_table(summary) + "\n")

    if len(check_rows):
        doc.append(_check_section(rows, check_rows))

    doc.append("## Findings\n")
    doc.append("Everything in this section is computed from the measured rows by "
               "`benchmarks/bench_report.py`; nothing is typed in by hand.\n")
    doc.append("### In short\n")
    doc.append("A *setting* is one data set × budget × evaluation model (means over seeds). "
               "Biased settings: Adult, coloured digits, and the synthetic cells with "
               "π > 0.5 and separation > 0.\n")
    doc.append(short_answers(summary))
    doc.append(findings(summary))

    doc.append("### Caveats\n")
    doc.append(_text("caveats"))

    doc.append("## The papers' published numbers (image benchmarks — not ours)\n")
    doc.append(_text("papers"))
    doc.append(PAPER_TABLE)
    doc.append(
        "For orientation only, our closest analogues in the same format (scikit-learn's 8×8 "
        "digits, flattened, a logistic regression on the distilled rows; CPU):\n")
    doc.append(_analogue_table(summary) + "\n")

    doc.append("## Figures\n")
    doc.append(f"![DEO_M against accuracy, logistic regression]({rel(tradeoff)})\n")
    if tradeoff_mlp in written:
        doc.append(f"![DEO_M against accuracy, MLP]({rel(tradeoff_mlp)})\n")
    if heat in written:
        doc.append(f"![Synthetic grid heat maps]({rel(heat)})\n")

    doc.append("## All results\n")
    doc.append("Mean ± sample std over seeds. \"full data\" does not depend on the budget and "
               "is repeated in each table. Time and memory are those of producing the "
               "training set (see Setup); \"–\" where nothing is computed.\n")
    for dataset in _ordered_datasets(summary):
        if dataset.startswith("synthetic"):
            continue
        doc.append(f"### {dataset}\n")
        doc.append(dataset_tables(summary, dataset) + "\n")
    syn = synthetic_tables(summary)
    if syn:
        doc.append("### Synthetic grid (make_biased_classification)\n")
        doc.append(syn + "\n")
    notes = rows[rows["notes"].fillna("") != ""] if "notes" in rows else rows.iloc[:0]
    if len(notes):
        doc.append("### Warnings raised while producing the training sets\n")
        counts = notes.drop_duplicates(["dataset", "seed", "budget", "method"]).groupby(
            ["dataset", "budget", "method"]).size()
        lines = []
        for (dataset, budget, method), n in counts.items():
            first = notes[(notes["dataset"] == dataset) & (notes["budget"] == budget)
                          & (notes["method"] == method)]["notes"].iloc[0]
            lines.append([dataset, budget, method, n, first.replace("|", "/")])
        doc.append(markdown_table(["dataset", "rows/class", "method", "seeds", "example"],
                                  lines) + "\n")
    doc.extend(_companion_sections())
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(doc))
    return written


# Benchmarks with scripts of their own write Markdown sections beside their raw results;
# the page includes them so that every measured figure is in one place.
_COMPANIONS = (
    ("scaling.md", "python benchmarks/scaling.py --tmpdir /tmp", "figures/scaling.png"),
    ("host_rows_read.md", "the commands shown in it", None),
    ("batch_size.md", "python benchmarks/batch_size.py", None),
    ("embedding_mlp.md", "python benchmarks/embedding_mlp.py", None),
    ("cli_parquet.md", "the command shown in it, run by hand", None),
    ("images.md", "python benchmarks/images.py", None),
    ("image_timing.md", "python benchmarks/image_timing.py", None),
    ("wasserstein.md", "python benchmarks/wasserstein.py", None),
    ("tabular_budget.md", "python benchmarks/tabular_budget.py (see the commands in it)", None),
    ("class_prior.md", "python benchmarks/class_prior.py --seeds 0,1,2", None),
    ("threads.md", "python benchmarks/threads.py --repeats 2", None),
    ("dm_step.md", "python benchmarks/dm_step.py --threads 1 --n-iter 5 --repeats 3", None),
    ("warm_start.md", "python benchmarks/warm_start.py --n-iter 1000 --seeds 2 --threads 1", None),
)


def _as_subsection(text):
    """Shift Markdown headings so that the top one is a second-level heading."""
    levels = [len(m.group(1)) for m in re.finditer(r"^(#+) ", text, flags=re.M)]
    shift = 2 - min(levels) if levels else 0
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + shift) + " ", text, flags=re.M)


def _companion_sections():
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    sections = []
    for name, command, figure in _COMPANIONS:
        path = os.path.join(results, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                text = handle.read().strip()
            sections.append(
                f"\n<!-- included from benchmarks/results/{name}, written by `{command}` -->\n"
            )
            sections.append(_as_subsection(text) + "\n")
            if figure:
                sections.append(f"![{name} figure]({figure})\n")
    return sections


def _verification_text(v):
    outcome = ("reproduced exactly" if v["reproduced"]
               else f"NOT reproduced (largest difference {v['max_abs_difference']:.3g})")
    return (f"{v['date']}, package {v['package']}: `python benchmarks/run.py --verify` re-ran "
            f"{len(v['checked'])} stored distillations (seed 0, LogReg: "
            f"{'; '.join(v['checked'])}) — accuracy, DEO_M and DEO_A {outcome}.")


def _check_section(rows, check_rows):
    """Main-grid rows (reduced n_iter) next to the same runs with another n_iter."""
    out = ["## n_iter check\n"]
    lines = []
    for name in check_rows["dataset"].unique():
        chk = check_rows[check_rows["dataset"] == name]
        base_name = name.split(" [")[0]
        n_check = int(chk["n_iter"].iloc[0])
        for model in [m for m in MODELS if m in set(chk["model"])]:
            for method in chk["method"].unique():
                c = chk[(chk["method"] == method) & (chk["model"] == model)]
                b = rows[(rows["dataset"] == base_name) & (rows["method"] == method)
                         & (rows["model"] == model) & (rows["seed"].isin(c["seed"]))
                         & (rows["budget"].isin(c["budget"]))]
                if b.empty or c.empty:
                    continue
                lines.append([
                    f"{base_name}, {int(c['budget'].iloc[0])}/class, seed(s) "
                    f"{', '.join(str(v) for v in sorted(c['seed'].unique()))}",
                    model, method,
                    f"{int(b['n_iter'].iloc[0])} → {n_check}",
                    f"{b['accuracy'].mean():.3f} → {c['accuracy'].mean():.3f}",
                    f"{b['deo_max'].mean():.3f} → {c['deo_max'].mean():.3f}",
                    f"{b['deo_mean'].mean():.3f} → {c['deo_mean'].mean():.3f}",
                    f"{b['distill_seconds'].mean():.1f} → {c['distill_seconds'].mean():.1f}",
                ])
    out.append(
        "The coloured digits ran with fewer iterations than the default. To show what that "
        "changes, the same distillations (same seed, data and budget) were also run with the "
        "default number of iterations; the main tables use the first number of each pair.\n")
    out.append(markdown_table(["setting", "model", "method", "n_iter", "accuracy", "DEO_M",
                               "DEO_A", "time (s)"], lines) + "\n")
    return "\n".join(out)


def mlp_init_default():
    """The weight distribution of the embedding MLP that FairDistiller draws by default."""
    return inspect.signature(RandomMLP).parameters["init"].default


_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_text.md")


def _text(name, **fields):
    """The passage ``name`` of the report's fixed prose (report_text.md), fields filled in."""
    with open(_TEXT, encoding="utf-8") as handle:
        parts = re.split(r"^<!-- (\w+) -->\n", handle.read(), flags=re.M)
    passage = dict(zip(parts[1::2], parts[2::2]))[name].strip("\n")
    for field, value in fields.items():
        passage = passage.replace("{" + field + "}", str(value))
    return passage + "\n"


def _setup_text(meta, rows):
    cfg = meta["config"]
    budgets = ", ".join(str(b) for b in sorted(rows["budget"].unique()))
    fam = set(rows["family"])
    parts = []
    parts.append(_text("methods", budgets=budgets))
    lines = []
    for family in ("adult", "synthetic", "digits"):
        if family not in fam:
            continue
        batch = cfg["batch_size"][family]
        batch_text = ("largest (class, group) cell of the distiller's input (every iteration "
                      "sees every row, as a batch of 256 would, without the padding)"
                      if batch == "max_cell" else str(batch))
        lines.append([family, cfg["n_iter"][family], batch_text])
    # runs that predate these fields used the MLP of width 256 with Gaussian weights
    mlp_width, mlp_init = meta.get("mlp_width", 256), meta.get("mlp_init", "gaussian")
    parts.append(
        "**Distiller settings.** `FairDistiller` defaults of the run (distance L1, "
        f"learning_rate 0.1, embedding_width {mlp_width}, embedding_layers 2, "
        "warm_start_epochs 0, init \"real\"; embedding MLP weights "
        f"\"{mlp_init}\") with `device=\"cpu\"`, `random_state=seed`, and:\n\n"
        + markdown_table(["family", "n_iter", "batch_size"], lines) + "\n")
    default_batch = FairDistiller().batch_size
    batches = {cfg["batch_size"][f] for f in fam if f in cfg["batch_size"]}
    if batches - {default_batch, "max_cell"}:
        parts.append(
            f"FairDistiller's default `batch_size` is now {default_batch}, not the 256 real "
            "rows per cell these tables used; the section \"Batch size and iterations "
            "(tables)\" below compares the two on the tabular data sets.\n")
    if (mlp_width, mlp_init) != (FairDistiller().embedding_width, mlp_init_default()):
        parts.append(
            f"FairDistiller's embedding MLP now has `embedding_width="
            f"{FairDistiller().embedding_width!r}` and \"{mlp_init_default()}\" weights, not "
            f"the width {mlp_width!r} and \"{mlp_init}\" weights these tables used; the "
            "section \"The random embedding MLP: weights and width (tables)\" below compares "
            "them on the tabular data sets.\n")
    reduced = [f for f in ("adult", "synthetic", "digits")
               if f in fam and cfg["n_iter"][f] != 1000]
    if reduced and not meta.get("quick"):
        parts.append(
            "**Deviation from the defaults:** n_iter is below FairDistiller's default of 1000 "
            f"for {', '.join(reduced)}, so that the whole grid fits in the time available on "
            "this shared 2-core machine; the section \"n_iter check\" below compares a "
            "few of these runs with the default.\n")
    if meta.get("settings_note"):
        parts.append(meta["settings_note"] + "\n")
    data = []
    if "adult" in fam:
        train = ("whole 70% split" if not cfg["adult_train_rows"]
                 else f"{cfg['adult_train_rows']} rows of the 70% split")
        data.append(
            "- *adult-sex*, *adult-race*: the bundled UCI Adult data (45,222 rows without "
            "missing values; Becker & Kohavi 1996, CC BY 4.0), stratified 70/30 split per "
            f"seed (training: {train}); one-hot + standardised features (float32). **Both** "
            "sex and race are left out of the features, so the two data sets share the split "
            "and the full-data, random-subset and ClusterCentroids models; they differ in the "
            "sensitive attribute given to the distillers and used by the metrics (race has 5 "
            "groups; its smallest test cells have a few dozen rows, so its DEO_M is noisy).")
    if "synthetic" in fam:
        data.append(
            "- *synthetic π=… sep=…*: `make_biased_classification(n, group_imbalance=π, "
            "group_separation=sep, random_state=seed)` (2 classes, 2 groups, 10 features, "
            f"class_sep 1): {cfg['synthetic_train_rows']} training rows and "
            f"{cfg['synthetic_test_rows']} test rows (`test=True`, same group shares as "
            "training).")
    if "digits" in fam:
        data.append(
            "- *digits-foreground / -background / -grey*: `make_colored_digits(mode, "
            "n_colors=3, bias=0.9, random_state=seed)` — 1,347 training images (3 colour "
            "groups; grey mode: 2 groups), flattened to 192 columns (`X.reshape(n, -1)`). "
            f"Test: the 450 held-out images coloured {cfg['digits_test_colourings']} times "
            "independently (`split=\"test\"`, uniform colours independent of the class), "
            f"{450 * cfg['digits_test_colourings']} rows, about "
            f"{450 * cfg['digits_test_colourings'] // 30} per (class, colour) cell, so that "
            "the per-cell recalls behind DEO are not too coarse.")
    parts.append("**Data.**\n\n" + "\n".join(data) + "\n")
    parts.append(_text("evaluation"))
    parts.append(_text("cost"))
    return "\n".join(parts)
