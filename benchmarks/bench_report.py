"""Render the benchmark rows (the raw CSV) as docs/benchmarks.md and its figures.

Everything in the document is computed from the CSV and the run's metadata JSON, so
``python benchmarks/run.py --from-csv benchmarks/results/full.csv`` regenerates it without
running anything. The fixed prose is in ``report_text.md`` and the figures are drawn by
``bench_figures.py``; this module summarises the rows over seeds, renders the sections listed in
:func:`write_report` with one table renderer (:func:`table`), counts the checks of
:data:`CHECKS` in one table and includes the companion results (:data:`_COMPANIONS`).
"""

import inspect
import os
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd

from bench_common import markdown_table
from bench_figures import figure_heatmaps, figure_tradeoff
from bench_suite import DISTILLERS, METHODS, MODELS
from skfairdistill import FairDistiller
from skfairdistill.networks import RandomMLP

FAMILIES = ("adult", "digits", "synthetic")
METRICS = ("accuracy", "deo_max", "deo_mean", "worst_group_accuracy")
COSTS = ("distill_seconds", "rss_peak_mib", "py_peak_mib")
KEYS = ["dataset", "budget", "model", "method"]
LABELS = {"accuracy": "accuracy", "deo_max": "DEO_M", "deo_mean": "DEO_A",
          "worst_group_accuracy": "worst-group acc.", "distill_seconds": "time (s)",
          "rss_peak_mib": "RSS peak (MiB)", "py_peak_mib": "Python peak (MiB)",
          "budget": "rows per class", "imbalance": "π", "separation": "sep."}
# Our closest analogues of the papers' image settings: (dataset, rows per class, setting).
ANALOGUES = (("digits-foreground", 10, "C-MNIST FG, DM, IPC 10"),
             ("digits-background", 10, "(C-MNIST BG)"),
             ("digits-grey", 10, "CIFAR10-S"),
             ("digits-grey", 50, "CIFAR10-S (IPC 100 in the paper)"))

# The checks of the Findings: (question, check, settings it is asked on, predicate). The
# predicate gets the per-setting means, one column per method (``v.acc``, ``v.deo`` for DEO_M,
# ``v.deoa`` for DEO_A, ``v.wga``; ``v.sd``: DEO_M's std), and returns a truth value per setting.
CHECKS = [
    ("Does vanilla widen the gap on biased data?", "DEO_M vanilla > full data", "biased",
     lambda v: v.deo["vanilla"] > v.deo["full data"]),
    ("", "DEO_M vanilla > random subset", "biased",
     lambda v: v.deo["vanilla"] > v.deo["random subset"]),
    ("", "DEO_M vanilla > full data", "unbiased controls",
     lambda v: v.deo["vanilla"] > v.deo["full data"]),
    ("Does rebalancing alone close the gap when groups are separated?",
     "DEO_M rebalanced vanilla < vanilla", "biased",
     lambda v: v.deo["rebalanced vanilla"] < v.deo["vanilla"]),
    ("", "DEO_M rebalanced vanilla ≤ COBRA + 0.02", "biased",
     lambda v: v.deo["rebalanced vanilla"] <= v.deo["COBRA"] + 0.02),
    ("COBRA ≤ FairDD ≤ vanilla in DEO_M?", "the full chain", "all",
     lambda v: (v.deo["COBRA"] <= v.deo["FairDD"]) & (v.deo["FairDD"] <= v.deo["vanilla"])),
    ("", "COBRA ≤ FairDD", "all", lambda v: v.deo["COBRA"] <= v.deo["FairDD"]),
    ("", "FairDD ≤ vanilla", "all", lambda v: v.deo["FairDD"] <= v.deo["vanilla"]),
    ("", "COBRA ≤ vanilla", "all", lambda v: v.deo["COBRA"] <= v.deo["vanilla"]),
    ("", "COBRA < vanilla by > 1 std of each", "all",
     lambda v: v.deo["COBRA"] + v.sd["COBRA"] < v.deo["vanilla"] - v.sd["vanilla"]),
    ("Accuracy within 1 point of vanilla or better?", "COBRA", "all",
     lambda v: v.acc["COBRA"] >= v.acc["vanilla"] - 0.01),
    ("", "FairDD", "all", lambda v: v.acc["FairDD"] >= v.acc["vanilla"] - 0.01),
    ("Worst-group accuracy ≥ vanilla's?", "COBRA", "all",
     lambda v: v.wga["COBRA"] >= v.wga["vanilla"]),
    ("", "FairDD", "all", lambda v: v.wga["FairDD"] >= v.wga["vanilla"]),
    ("Coloured digits, 10 per class: COBRA's DEO_A ≤ 0.5 × vanilla's?", "COBRA",
     "digits, 10/class", lambda v: v.deoa["COBRA"] <= 0.5 * v.deoa["vanilla"]),
] + [("" if k else question, m, "all", lambda v, m=m, b=b, t=test: t(v, m, b))
     for question, b, methods, test in (
         ("More accurate than a random subset?", "random subset",
          ("ClusterCentroids",) + DISTILLERS, lambda v, m, b: v.acc[m] > v.acc[b]),
         ("More accurate than ClusterCentroids?", "ClusterCentroids", DISTILLERS,
          lambda v, m, b: v.acc[m] > v.acc[b]),
         ("Accuracy ≥ balanced k-means?", "balanced k-means", DISTILLERS,
          lambda v, m, b: v.acc[m] >= v.acc[b]),
         ("DEO_M ≤ balanced k-means?", "balanced k-means", DISTILLERS,
          lambda v, m, b: v.deo[m] <= v.deo[b]))
     for k, m in enumerate(methods)]


def summarise(rows):
    """Mean and sample std (ddof=1) over seeds per (dataset, budget, model, method).

    The keys become ordered categoricals (families in :data:`FAMILIES` order, synthetic cells
    by imbalance and separation), so that every groupby and pivot comes out in that order; the
    data set's family, synthetic parameters and ``biased`` flag are added as columns.
    """
    sets = rows.drop_duplicates("dataset")[["dataset", "family", "imbalance", "separation"]]
    sets = sets.assign(order=sets["family"].map(FAMILIES.index)).sort_values(
        ["order", "imbalance", "separation"], kind="stable").set_index("dataset")
    sets["biased"] = (sets["family"] != "synthetic") | (
        (sets["imbalance"] > 0.5) & (sets["separation"] > 0))
    frame = rows.assign(dataset=pd.Categorical(rows["dataset"], list(sets.index), ordered=True),
                        model=pd.Categorical(rows["model"], MODELS, ordered=True),
                        method=pd.Categorical(rows["method"], list(METHODS), ordered=True))
    grouped = frame.groupby(KEYS, observed=True)[list(METRICS + COSTS)]
    out = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_std"))
    out = out.reset_index()
    for column in ("family", "imbalance", "separation", "biased"):
        out[column] = out["dataset"].astype(str).map(sets[column]).to_numpy()
    for name in METRICS + COSTS:  # the cells of the tables: "mean ± std"
        d = 1 if name in COSTS else 3
        out[name] = ["–" if pd.isna(m) else f"{m:.{d}f} ± {0.0 if pd.isna(s) else s:.{d}f}"
                     for m, s in zip(out[f"{name}_mean"], out[f"{name}_std"])]
    return out


def _label(column):
    if isinstance(column, tuple):
        return " ".join(_label(c) for c in column if c != "")
    return LABELS.get(column, str(column))


def table(frame, index, values, columns=None):
    """``frame`` as a Markdown table: the ``index`` columns, then the ``values`` columns, or,
    with ``columns``, each value pivoted over that column's (ordered) values."""
    if columns is not None:
        frame = frame.pivot(index=index, columns=columns, values=values)
        frame = frame.dropna(axis=1, how="all").reset_index()
    else:
        frame = frame[list(index) + list(values)]
    lines = [["–" if (not isinstance(v, str) and pd.isna(v)) else f"{v:g}"
              if isinstance(v, float) else v for v in line]
             for line in frame.astype(object).values.tolist()]
    return markdown_table([_label(c) for c in frame.columns], lines)


def check_table(summary):
    """Every check of :data:`CHECKS` in one table: where it holds, in all and per family.

    The means are nullable floats: a comparison with a method that did not run is missing (left
    out of the count), not false."""
    keys = ["dataset", "budget", "model"]
    wide = summary.pivot(index=keys, columns="method", values=[f"{c}_mean" for c in METRICS]
                         + ["deo_max_std"]).astype("Float64")
    v = SimpleNamespace(**{name: wide[column].reindex(columns=list(METHODS)) for name, column in (
        ("acc", "accuracy_mean"), ("deo", "deo_max_mean"), ("sd", "deo_max_std"),
        ("deoa", "deo_mean_mean"), ("wga", "worst_group_accuracy_mean"))})
    info = summary.drop_duplicates(keys).set_index(keys).loc[wide.index].reset_index()
    subsets = {"all": info["biased"] | True, "biased": info["biased"],
               "unbiased controls": ~info["biased"],
               "digits, 10/class": (info["family"] == "digits") & (info["budget"] == 10)}
    families = [f for f in FAMILIES if (info["family"] == f).any()]
    models = [m for m in MODELS if (info["model"] == m).any()]
    models = models if len(models) > 1 else []

    def count(holds, where):  # "hits/settings (per model)", or "–" where there is none
        parts = [holds[where & (info["model"] == m) if m else where] for m in [None] + models]
        parts = [f"{int(h.sum())}/{len(h)}" for h in parts]
        return parts[0] + f" ({'; '.join(parts[1:])})" * bool(models) if where.any() else "–"

    lines = []
    for question, check, settings, predicate in CHECKS:
        holds = predicate(v).reset_index(drop=True)
        where = subsets[settings] & holds.notna()
        share = holds[where].mean() if where.any() else 0.0
        verdict = "mostly yes" if share >= 0.75 else "mixed" if share >= 0.4 else "mostly no"
        lines += [[f"**{question}**" if question else "", check, settings, verdict,
                   count(holds, where)] + [count(holds, where & (info["family"] == f))
                                           for f in families]] * bool(where.any())
    return markdown_table(["question", "check (means over seeds)", "settings", "verdict",
                           "holds in" + f" ({'; '.join(models)})" * bool(models)] + families, lines)


def means_tables(summary):
    """Mean DEO_M and accuracy over the biased settings and the controls, per family and model."""
    frame = summary.assign(settings=np.where(summary["biased"], "biased", "unbiased controls"),
                           setting=summary["dataset"].astype(str) + summary["budget"].astype(str))
    groups = ["settings", "family", "model"]
    frame["n"] = frame.groupby(groups, observed=True)["setting"].transform("nunique")
    means = frame.groupby(groups + ["n", "method"], observed=True)[
        ["deo_max_mean", "accuracy_mean"]].mean().reset_index()
    return [f"**Mean {LABELS[name]}**\n\n" + table(
        means.assign(cell=means[f"{name}_mean"].map("{:.3f}".format)), groups + ["n"], "cell",
        columns="method") for name in ("deo_max", "accuracy")]


def niter_table(rows, check_rows):
    """Main-grid runs (reduced n_iter) beside the same runs with the default n_iter."""
    checks = check_rows.assign(dataset=check_rows["dataset"].str.split(" [", regex=False).str[0])
    both = checks.merge(rows, on=["dataset", "seed", "budget", "model", "method"],
                        suffixes=("_check", ""))
    values = ["n_iter", "accuracy", "deo_max", "deo_mean", "distill_seconds"]
    means = both.groupby(["dataset", "budget", "model", "method"], sort=False)[
        values + [f"{v}_check" for v in values]].mean().reset_index()
    for v in values:
        digits = 0 if v == "n_iter" else 1 if v == "distill_seconds" else 3
        means[v] = [f"{a:.{digits}f} → {b:.{digits}f}"
                    for a, b in zip(means[v], means[f"{v}_check"])]
    return table(means, ["dataset", "budget", "model", "method"], values)


def analogue_table(summary):
    """Our analogues of the papers' settings in their format: accuracy / DEO_M / DEO_A, %."""
    methods = ["vanilla", "FairDD", "COBRA", "full data"]
    frame = summary[(summary["model"] == "LogReg") & summary["method"].isin(methods)]
    wanted = pd.DataFrame(ANALOGUES, columns=["dataset", "budget", "closest paper setting"])
    frame = frame.assign(dataset=frame["dataset"].astype(str), method=pd.Categorical(
        frame["method"].astype(str), methods)).merge(wanted)
    frame["cell"] = [f"{100 * a:.1f} / {100 * m:.1f} / {100 * e:.1f}" for a, m, e in zip(
        frame["accuracy_mean"], frame["deo_max_mean"], frame["deo_mean_mean"])]
    return table(frame, ["dataset", "budget", "closest paper setting"], "cell", columns="method")


def result_tables(summary):
    """The All results section: [(heading, tables)], one entry per data set, then the grid."""
    sections = [(f"### {name}", [table(sub, ["budget", "model", "method"], METRICS + COSTS)])
                for name, sub in summary[summary["family"] != "synthetic"].groupby(
                    "dataset", observed=True)]
    syn = summary[summary["family"] == "synthetic"]
    if len(syn):
        grid = ["budget", "model", "imbalance", "separation"]
        tables = [f"**{LABELS[m]}**\n\n" + table(syn, grid, m, columns="method")
                  for m in ("deo_max", "accuracy", "worst_group_accuracy")]
        cost = syn[syn["method"].isin(("ClusterCentroids",) + DISTILLERS)
                   & (syn["model"] == syn["model"].iloc[0])]
        cost = cost.groupby(["budget", "method"], observed=True)[
            [f"{c}_mean" for c in COSTS]].mean().reset_index()
        cost[list(COSTS)] = cost[[f"{c}_mean" for c in COSTS]].map("{:.1f}".format)
        tables.append("**Cost, mean over the grid cells and seeds**\n\n"
                      + table(cost, ["budget", "method"], COSTS))
        sections.append(("### Synthetic grid (make_biased_classification)", tables))
    return sections


def warnings_table(rows):
    notes = rows[rows["notes"].fillna("") != ""] if "notes" in rows else rows.iloc[:0]
    if notes.empty:
        return []
    counts = notes.groupby(["dataset", "budget", "method"]).agg(
        seeds=("seed", "nunique"), example=("notes", "first")).reset_index()
    counts["example"] = counts["example"].str.replace("|", "/")
    return [table(counts, ["dataset", "budget", "method"], ["seeds", "example"])]


def run_table(meta, seeds):
    """The run's metadata: commands, dates, wall time and load per segment, machine, software."""
    history = meta.get("history") or [meta]
    lines = []
    for i, h in enumerate(history, 1):
        tag = f", segment {i}" if len(history) > 1 else ""
        lines += [[f"command{tag}", f"`{h['command']}`"], [f"date{tag}", h["date"]],
                  [f"wall time{tag}", _minutes(h["wall_seconds"])],
                  [f"load average (1 min) at start / end{tag}", h.get("load", "–")]]
        lines += [[f"package state{tag}", h["package"]]] if h.get("package") else []
        lines += [[f"note{tag}", h["note"]]] if h.get("note") and tag else []
    if len(history) > 1:
        lines.append(["wall time, all segments", _minutes(meta["wall_seconds"])
                      + ", including any work that a later segment discarded"])
    lines += [[f"reproduction check {i}", _verification_text(v)]
              for i, v in enumerate(meta.get("verifications", []), 1)]
    lines += [["machine", meta["machine"]],
              ["threads", f"{meta['config']['threads']} (torch.set_num_threads and OMP/BLAS "
                          "thread variables)"],
              ["software", meta["software"]], ["seeds", ", ".join(str(s) for s in seeds)]]
    return markdown_table(["", ""], lines)


def _minutes(seconds):
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def _verification_text(v):
    outcome = ("reproduced exactly" if v["reproduced"]
               else f"NOT reproduced (largest difference {v['max_abs_difference']:.3g})")
    return (f"{v['date']}, package {v['package']}: `python benchmarks/run.py --verify` re-ran "
            f"{len(v['checked'])} stored distillations (seed 0, LogReg: "
            f"{'; '.join(v['checked'])}) — accuracy, DEO_M and DEO_A {outcome}.")


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
    return passage


def setup_text(meta, rows):
    """Methods, distiller settings, data and measurement: fixed prose plus the run's settings."""
    cfg, default = meta["config"], FairDistiller()
    families = [f for f in FAMILIES if f in set(rows["family"])]
    settings = [[f, cfg["n_iter"][f], cfg["batch_size"][f]] for f in families]
    settings.append(["FairDistiller's default today", default.n_iter, default.batch_size])
    colourings = cfg.get("digits_test_colourings", 0)
    fields = dict(
        adult_train=(f"{cfg['adult_train_rows']} rows of the 70% split"
                     if cfg.get("adult_train_rows") else "whole 70% split"),
        train_rows=cfg.get("synthetic_train_rows"), test_rows=cfg.get("synthetic_test_rows"),
        colourings=colourings, digits_test_rows=450 * colourings, per_cell=450 * colourings // 30)
    # runs that predate these fields used the MLP of width 256 with Gaussian weights
    return [
        _text("methods", budgets=", ".join(str(b) for b in sorted(rows["budget"].unique()))),
        _text("settings", width=meta.get("mlp_width", 256), init=meta.get("mlp_init", "gaussian"),
              width_now=default.embedding_width, init_now=mlp_init_default()),
        markdown_table(["family", "n_iter", "batch_size"], settings),
        *([meta["settings_note"]] if meta.get("settings_note") else []),
        "**Data.**\n\n" + "\n".join(_text(f"data_{f}", **fields) for f in families),
        _text("evaluation"), _text("cost")]


def write_report(rows, meta, out_path, figures_dir):
    """Write the Markdown document and the figures; return the figure paths."""
    check_rows = rows[rows["family"] == "check"]
    main = rows[rows["family"] != "check"]
    summary = summarise(main)
    os.makedirs(figures_dir, exist_ok=True)
    tag = "quick_" if meta.get("quick") else ""
    figures = {}
    for model in [m for m in MODELS if m in set(summary["model"])]:
        path = os.path.join(figures_dir, f"{tag}deo_vs_accuracy_{model.lower()}.png")
        figure_tradeoff(summary, path, model)
        figures[path] = f"DEO_M against accuracy, {model}"
    heat = os.path.join(figures_dir, f"{tag}synthetic_heatmaps_logreg.png")
    if figure_heatmaps(summary, heat, "LogReg"):
        figures[heat] = "Synthetic grid heat maps"
    here = os.path.dirname(os.path.abspath(out_path))
    budget = min(summary["budget"])
    key = summary[(summary["budget"] == budget) & (summary["model"] == "LogReg")
                  & summary["method"].isin(["vanilla", "FairDD", "COBRA"])]
    segments = len(meta.get("history") or [meta])

    # (heading, paragraphs and tables); a section without any is left out
    sections = [
        ("# Benchmarks", [_text("quick")] * bool(meta.get("quick")) + [_text(
            "generated", csv=meta["csv"], n_rows=len(rows), out=meta["out"])]),
        ("## Run", [run_table(meta, sorted(main["seed"].unique()))]
         + [_text("segments")] * (segments > 1) + [_text("run")]),
        ("## Setup", setup_text(meta, main)),
        (f"## Key results: COBRA vs FairDD vs vanilla, {budget} rows per class, logistic "
         "regression", [_text("key"), table(key, ["dataset"], ["accuracy", "deo_max", "deo_mean"],
                                            columns="method")]),
        ("## n_iter check", [_text("niter"), niter_table(main, check_rows)] if len(check_rows)
         else []),
        ("## Findings", [_text("findings")]),
        ("### In short: the checks", [_text("checks"), check_table(summary)]),
        ("### Means over settings", [_text("means"), *means_tables(summary)]),
        ("### Caveats", [_text("caveats")]),
        ("## The papers' published numbers (image benchmarks — not ours)",
         [_text("papers"), analogue_table(summary)]),
        ("## Figures", [f"![{alt}]({os.path.relpath(p, here)})" for p, alt in figures.items()]),
        ("## All results", [_text("results")]),
        *result_tables(summary),
        ("### Warnings raised while producing the training sets", warnings_table(main)),
    ]
    doc = [f"{heading}\n\n" + "\n\n".join(parts) + "\n" for heading, parts in sections if parts]
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(doc + _companion_sections()))
    return list(figures)


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
    ("class_prior_tune.md", "python benchmarks/class_prior.py --phase tune --seeds 0,1,2", None),
    ("class_prior.md", "python benchmarks/class_prior.py --phase confirm --seeds 0,1,2", None),
    ("class_prior_screen.md", "the two commands shown in it", None),
    ("class_prior_seeds3to5.md", "the command shown in it", None),
    ("mitigate.md", "python benchmarks/mitigate.py --seeds 0,1,2", None),
    ("idc_cafe.md", "python benchmarks/idc_cafe.py (see the commands in its docstring)", None),
    ("eval_protocol.md", "python benchmarks/eval_protocol.py --real-epochs 30 --distil 300", None),
    ("threads.md", "python benchmarks/threads.py --repeats 2", None),
    ("dm_step.md", "python benchmarks/dm_step.py --threads 1 --n-iter 5 --repeats 7", None),
    ("warm_start.md", "python benchmarks/warm_start.py (see the commands in its docstring)", None),
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
                f"\n<!-- included from benchmarks/results/{name}, written by `{command}` -->\n")
            sections.append(_as_subsection(text) + "\n")
            if figure:
                sections.append(f"![{name} figure]({figure})\n")
    return sections
