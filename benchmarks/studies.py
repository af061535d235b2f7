"""The studies: each a declaration of settings run by :mod:`benchmarks.harness`.

A method is a dict of FairDistiller keyword arguments or the name of a baseline
(``harness.BASELINES``). ``python -m benchmarks list`` prints them with their question.
"""

import dataclasses
import functools

from skfairdistill.networks import make_embedding

from .harness import Study

SQ_L2 = {"matching_params": {"distance": "squared_l2"}}  # vanilla's and FairDD's distance
VANILLA = {"alignment": "none", **SQ_L2}
FAIRDD = {"alignment": "groupwise", **SQ_L2}
ADULT = ("adult-sex", "adult-race")
SYNTHETIC = tuple(f"synthetic pi={pi} sep={sep}" for pi in (0.5, 0.7, 0.9) for sep in (0, 1.5, 3))
DIGITS = ("digits-foreground", "digits-background", "digits-grey")
# a ConvNet-3 the CPU affords: 32 channels, no instance norm (it hides the colour)
CONVNET_32 = functools.partial(make_embedding, "convnet", channels=32, norm="none")
CPU = {"device": "cpu", "n_threads": 1}

STUDIES = {
    "quality": Study(
        "Tables: how accurate and how fair are models trained on each reduced set?",
        datasets=ADULT + SYNTHETIC,
        methods={"full data": "full data", "random subset": "random subset",
                 "ClusterCentroids": "ClusterCentroids", "balanced k-means": "balanced k-means",
                 "vanilla": VANILLA, "FairDD": FAIRDD, "COBRA (default)": {},
                 "COBRA k-means": {"matching": "kmeans"}},
        budgets=(10, 50, 200), params=CPU,
        smoke=dict(datasets=("synthetic pi=0.9 sep=3",))),
    "budget": Study(
        "Tables across budgets: does the default's step keep the larger sets improving?",
        datasets=ADULT + ("synthetic pi=0.7 sep=1.5", "synthetic pi=0.5 sep=3"),
        methods={"ClusterCentroids": "ClusterCentroids", "balanced k-means": "balanced k-means",
                 "vanilla": VANILLA, "COBRA, learning_rate 0.1": {"learning_rate": 0.1},
                 "COBRA (default)": {}, "COBRA, n_iter 3000": {"n_iter": 3000}},
        budgets=(10, 50, 200), params=CPU,
        smoke=dict(datasets=("synthetic pi=0.7 sep=1.5",))),
    "class_prior": Study(
        "Which class prior should a model trained on a distilled table learn?",
        datasets=ADULT + ("synthetic pi=0.7 sep=1.5, classes 75/25",),
        methods={"full data": "full data", "full data, groups balanced":
                 "full data, groups balanced", "COBRA (default)": {},
                 "balanced k-means (matching='kmeans')": {"matching": "kmeans"},
                 "FairDD (alignment='groupwise')": {"alignment": "groupwise"},
                 "COBRA, stratify_groups": {"stratify_groups": True}},
        budgets=(10, 50, 200), priors=("balanced", "sqrt", "data"), params=CPU,
        smoke=dict(datasets=("synthetic pi=0.7 sep=1.5, classes 75/25",))),
    "mitigate": Study(
        "Can a fairlearn mitigator be trained on a distilled set and its groups?",
        datasets=ADULT,
        methods={"full data": "full data", "COBRA, stratify_groups": {"stratify_groups": True}},
        budgets=(50, 200), models=("LogReg", "ExponentiatedGradient"), params=CPU,
        smoke=dict(datasets=("adult-sex",))),
    "images": Study(
        "Coloured digits through the ConvNet: distribution (DM) and gradient (DC) matching",
        datasets=tuple(f"{d} images" for d in DIGITS),
        methods={
            "vanilla DM": {"alignment": "none"}, "FairDD DM": {"alignment": "groupwise"},
            "COBRA DM": {}, "COBRA DM, warm start": {"matching_params": {"warm_start_epochs": 1}},
            **{f"{name} DC, lr 1": {"matching": "gradient", "alignment": alignment,
                                    "n_iter": 20, "learning_rate": 1.0,
                                    "matching_params": {"outer_loops": 10, "inner_steps": 10}}
               for name, alignment in (("vanilla", "none"), ("FairDD", "groupwise"),
                                       ("COBRA", "barycenter"))}},
        params=dict(CPU, n_iter=300, batch_size=64, matching_params={"embedding": CONVNET_32}),
        smoke=dict(datasets=("digits-foreground images",), models=("LogReg",),
                   params=dict(n_iter=2, batch_size=8, matching_params={
                       "embedding": functools.partial(CONVNET_32, channels=4),
                       "outer_loops": 1, "inner_steps": 1}))),
    "idc_cafe": Study(
        "IDC and CAFE with the three targets, scored by the papers' ConvNet protocol",
        datasets=("digits-foreground images",),
        methods={
            **{f"IDC, {name}": {"matching": "idc", "alignment": alignment, "n_iter": 20,
                                "learning_rate": 1.0, "batch_size": 64, "matching_params": {
                                    "embedding": CONVNET_32, "outer_loops": 10,
                                    "inner_steps": 8}}
               for name, alignment in (("vanilla", "none"), ("FairDD", "groupwise"),
                                       ("COBRA", "barycenter"))},
            **{f"CAFE, {name}": {"matching": "cafe", "alignment": alignment, "n_iter": 15,
                                 "matching_params": {"inner_steps": 10, "embedding":
                                                     functools.partial(make_embedding, "convnet",
                                                                       channels=32)}}
               for name, alignment in (("vanilla", "none"), ("FairDD", "groupwise"),
                                       ("COBRA", "barycenter"))}},
        models=("ConvNet", "LogReg"), params=CPU,
        smoke=dict(params=dict(n_iter=1, batch_size=8, matching_params={
            "embedding": functools.partial(CONVNET_32, channels=4), "outer_loops": 1,
            "inner_steps": 1}))),
    "wasserstein": Study(
        "Experimental barycenters: do optimal-transport targets make the sets fairer?",
        datasets=ADULT + SYNTHETIC + DIGITS + ("spread-shift pi=0.9",),
        methods={"full data": "full data", "random subset": "random subset",
                 "vanilla": {"alignment": "none"}, "COBRA (mean)": {},
                 **{name: {"matching_params": params} for name, params in (
                     ("COBRA-W2 (wasserstein)", {"barycenter": "wasserstein"}),
                     ("COBRA-W2 all groups", {"barycenter": "wasserstein",
                                              "groups_per_step": None}),
                     ("COBRA-SW (sliced)", {"barycenter": "sliced"}))}},
        budgets=(10, 50), models=("LogReg",), params=dict(CPU, n_iter=1000),
        smoke=dict(datasets=("spread-shift pi=0.9",))),
    "wasserstein_timing": Study(
        "Experimental barycenters: what does an iteration cost against the mean target?",
        datasets=tuple(f"biased n=30000 d=100 groups={g} pi=0.7" for g in (2, 4)),
        methods={kind: {"matching_params": {"barycenter": kind}}
                 for kind in ("mean", "wasserstein", "sliced")},
        budgets=(10, 50), models=(), params=dict(CPU, n_iter=200),
        smoke=dict(datasets=("biased n=30000 d=100 groups=4 pi=0.7",))),
    "scale": Study(
        "Scale: fit time and memory at 10^5 and 10^6 rows, in memory and memory-mapped",
        datasets=("biased n=1e5 d=50 groups=4 pi=0.6", "biased n=1e6 d=50 groups=4 pi=0.6",
                  "biased n=1e6 d=50 groups=4 pi=0.6 memmap"),
        methods={"FairDistiller (default)": {}, "ClusterCentroids": "ClusterCentroids"},
        budgets=(50,), models=(), isolate=True,
        smoke=dict(datasets=("biased n=1e5 d=50 groups=4 pi=0.6 memmap",))),
    "threads": Study(
        "Threads: the default n_threads against fixed counts, on an idle and a busy machine",
        datasets=("biased n=32561 d=100 groups=2 pi=0.8", "digits-foreground images"),
        methods={"n_threads='auto'": {}, "n_threads=1": {"n_threads": 1},
                 "n_threads=2": {"n_threads": 2}, "n_threads=None (torch's)": {"n_threads": None}},
        loads=("idle", "busy"), models=(),
        dataset_params={"biased n=32561 d=100 groups=2 pi=0.8": {"n_iter": 40},
                        "digits-foreground images": {"n_iter": 2}},
        smoke=dict(datasets=("biased n=32561 d=100 groups=2 pi=0.8",))),
    "image_timing": Study(
        "Images at scale: time per iteration on 60,000 images of 3x32x32, CPU against GPU",
        datasets=("random-images n=60000 classes=10 groups=10",),
        methods={"cpu, batch 32": {"device": "cpu", "batch_size": 32, "n_iter": 3},
                 "cuda, batch 256": {"device": "cuda", "batch_size": 256, "n_iter": 50}},
        models=(), seeds=(0,),
        smoke=dict(params=dict(n_iter=2, batch_size=4))),
}
# model matching was tuned on validation splits of adult-sex and on independent draws of
# "synthetic pi=0.9 sep=3"; adult-race and the other synthetic tables are unseen
# model matching at fairness_weight=3, the weight of the stored rows of the studies that use
# it; the default, "auto", is compared with it in model_auto_tune and model_auto
MODEL = {"matching": "model", "matching_params": {"fairness_weight": 3.0}}


def readable(params, rows):
    """``params`` with ``matching_params["readable_rows"] = rows``."""
    return {**params, "matching_params": {**params.get("matching_params", {}),
                                          "readable_rows": rows}}


STUDIES["model"] = Study(
    "Model matching: do models trained on the set match the full data's accuracy, fairer?",
    datasets=ADULT + SYNTHETIC,
    methods={"full data": "full data", "random subset": "random subset",
             "balanced k-means": "balanced k-means", "FairDD": FAIRDD, "COBRA (default)": {},
             "model matching": MODEL,
             "model matching, groups equal": {**MODEL, "matching_params": {
                 "group_balance": 1.0, "fairness_weight": 1.0}}},
    budgets=(10, 50), models=("LogReg", "MLP", "HGB", "ExponentiatedGradient"),
    seeds=(0, 1, 2, 3, 4), params=CPU, baseline="full data",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg", "HGB")))
STUDIES["model_200"] = Study(
    "Model matching at 200 rows per class on Adult",
    datasets=ADULT, methods={k: STUDIES["model"].methods[k] for k in (
        "full data", "balanced k-means", "COBRA (default)", "model matching")},
    budgets=(200,), models=("LogReg", "MLP", "HGB"), params=CPU,
    smoke=dict(datasets=("adult-sex",), models=("LogReg",)))
# the default tabular fit before networks_per_step and step_schedule: 1000 constant
# steps of one network on 128 real rows per cell (learning_rate "auto" was 0.1 n/10)
def four_networks(budget):
    """The faster setting that was tried as the tabular default: 4 networks a step on 64
    real rows per cell, 250 steps at twice the default step (0.2 n / 10)."""
    return {"n_iter": 250, "batch_size": 64, "learning_rate": 0.2 * budget / 10,
            "matching_params": {"networks_per_step": 4}}


def network_pool(n_iter):
    """The pool of 50 networks on 256 real rows per cell (matching_params["network_pool"])
    with ``n_iter`` steps at the default step: studies speed_pool_*."""
    return {"n_iter": n_iter, "batch_size": 256, "matching_params": {"network_pool": 50}}


FOUR_NETWORKS = "4 networks a step, 250 steps"
STUDIES["speed"] = Study(
    "Speed: the default tabular fit against balanced k-means, on an idle and a busy machine",
    datasets=("adult-sex",),
    methods={"FairDistiller (default)": {}, "matching='kmeans'": {"matching": "kmeans"},
             FOUR_NETWORKS: four_networks,
             "pool of 50 networks, 600 steps": network_pool(600),
             "pool of 50 networks, 300 steps": network_pool(300)},
    budgets=(10, 50), loads=("idle", "busy"), models=(), params={"device": "cpu"},
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",)))
# tuned on validation splits of adult-sex and "synthetic pi=0.9 sep=3"; confirmed on all test splits
STUDIES["speed_quality"] = Study(
    "Speed: is the faster setting as accurate and as fair as the default?",
    datasets=ADULT + SYNTHETIC,
    methods={"FairDistiller (default)": {}, FOUR_NETWORKS: four_networks},
    budgets=(10, 50), seeds=(0, 1, 2), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",)))
STUDIES["budget_tune"] = Study(
    "Tables across budgets, tuning data (validation splits): the step and the schedule",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3"), phase="validation", seeds=(0, 1),
    methods={k: v for k, v in STUDIES["budget"].methods.items() if k != "vanilla"},
    budgets=(10, 50, 200), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",)))
STUDIES["class_prior_tune"] = Study(
    "Which class prior? Tuning data: validation splits of adult-sex",
    datasets=("adult-sex",), phase="validation", methods=STUDIES["class_prior"].methods,
    budgets=(10, 50, 200), priors=("balanced", "sqrt", "data"), params=CPU,
    smoke=dict(models=("LogReg",)))
# small groups: one (class, group) cell of the training rows cut to 10 (data.tiny_cell), the scored
# rows kept; min_group_rows tuned on one synthetic table's validation split, confirmed on the rest
TINY = ", tiny cell=10"
SMALL_GROUPS = {"COBRA (default)": {}, "vanilla": VANILLA,
                **{f"COBRA, min_group_rows={m}": {"matching_params": {"min_group_rows": m}}
                   for m in (30, 100)}}
STUDIES["small_groups_tune"] = Study(
    "Small groups, tuning data: does shrinking a 10-row cell towards its class help?",
    datasets=("synthetic pi=0.7 sep=1.5" + TINY,), phase="validation", methods=SMALL_GROUPS,
    budgets=(10, 50), seeds=(0, 1, 2, 3, 4), params=CPU, baseline="COBRA (default)",
    smoke=dict(models=("LogReg",)))
STUDIES["small_groups"] = Study(
    "Small groups: is a 10-row cell shrunk towards its class (min_group_rows=30) better?",
    datasets=tuple(f"synthetic pi={pi} sep={sep}{TINY}" for pi, sep in (
        (0.7, 0), (0.7, 3), (0.9, 1.5))) + ("adult-sex" + TINY, "adult-race" + TINY),
    methods={"COBRA (default)": {}, "COBRA, min_group_rows=30": SMALL_GROUPS[
        "COBRA, min_group_rows=30"], "vanilla": VANILLA, "FairDD": FAIRDD,
        "FairDD, min_group_rows=30": {**FAIRDD, "matching_params": {
            "distance": "squared_l2", "min_group_rows": 30}}},
    budgets=(10, 50), seeds=(0, 1, 2, 3, 4), params=CPU, baseline="COBRA (default)",
    smoke=dict(datasets=("synthetic pi=0.9 sep=1.5" + TINY,), models=("LogReg",)))
# fit_resample returns readable rows (matching_params["readable_rows"], "auto"): every value
# clipped to its range in X, one category per one-hot block (only Adult's tables have
# some); X_distilled_ keeps the rows as optimised, which readable_rows=False returns.
# Model matching's rows stay as optimised unless readable_rows=True.
READABLE_OFF = {"matching_params": {"readable_rows": False}}
STUDIES["readable_rows"] = Study(
    "Readable rows: do rows clipped to the range of X, one-hot blocks decoded, cost quality?",
    datasets=ADULT + SYNTHETIC,
    methods={"FairDistiller (default)": {}, "readable_rows=False": READABLE_OFF,
             "model matching": MODEL,
             "model matching, readable_rows=True": readable(MODEL, True)},
    budgets=(10, 50), seeds=(0, 1, 2), params=CPU,
    smoke=dict(datasets=("adult-sex",), models=("LogReg",)))
STUDIES["readable_images"] = Study(
    "Readable rows, images: do images clipped to each channel's range cost quality?",
    datasets=tuple(f"{d} images" for d in DIGITS),
    methods={"COBRA DM (default)": {}, "readable_rows=False": READABLE_OFF},
    params=dict(CPU, n_iter=300, batch_size=64, matching_params={"embedding": CONVNET_32}),
    smoke=dict(datasets=("digits-foreground images",), models=("LogReg",),
               params=dict(n_iter=2, batch_size=8, matching_params={
                   "embedding": functools.partial(CONVNET_32, channels=4)})))
# Which rows should fit_resample return on Adult (its one-hot blocks are the only ones in
# the suite)? Every option set explicitly, so the study does not depend on the default.
READABLE = {"as optimised": False, "clipped": [], "clipped, blocks decoded": True}
STUDIES["readable_rows_adult"] = Study(
    "Readable rows on Adult over 10 seeds: does clipping or decoding cost accuracy or fairness?",
    datasets=ADULT,
    methods={f"{name}, {option}": {**params, "matching_params": {"readable_rows": value}}
             for name, params in (("COBRA", {}), ("FairDD", {"alignment": "groupwise"}),
                                  ("k-means", {"matching": "kmeans"}))
             for option, value in READABLE.items()},
    models=("LogReg",), seeds=tuple(range(10)), params=CPU, baseline="COBRA, as optimised",
    smoke=dict(datasets=("adult-sex",), models=("LogReg",)))
# DistilledClassifier's default class prior, chosen by the criterion a user has (prior_rule.py,
# fixed before the runs): per (table, budget, model), the prior whose accuracy is closest to the full
# data's among those at or below the full data's DEO_M (none: the fairest). Tuned on validation
# splits of two tables, confirmed on the test splits of four that the tuning never saw.
PRIOR_CHOICE = {"full data": "full data", "COBRA (default)": {}, "model matching": MODEL}
STUDIES["prior_choice_tune"] = Study(
    "Which class prior should DistilledClassifier use by default? Tuning data",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3, classes 75/25"), phase="validation",
    methods=PRIOR_CHOICE, budgets=(10, 50), models=("LogReg", "MLP", "HGB"),
    priors=("balanced", "sqrt", "data"), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.9 sep=3, classes 75/25",), models=("LogReg",)))
STUDIES["prior_choice"] = Study(
    "Which class prior should DistilledClassifier use by default? Confirmation on unseen tables",
    datasets=("adult-race",) + tuple(f"synthetic pi={pi} sep={sep}, classes 75/25" for pi, sep
                                     in ((0.5, 1.5), (0.7, 3), (0.9, 1.5))),
    methods=PRIOR_CHOICE, budgets=(10, 50), models=("LogReg", "MLP", "HGB"),
    priors=("balanced", "sqrt", "data"), seeds=(0, 1, 2, 3, 4), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.5 sep=1.5, classes 75/25",), models=("LogReg",)))
STUDIES["scale_default"] = Study(
    "Scale, the default fit alone: is a 10^6-row fit at most 1.5x the 10^5-row fit?",
    datasets=("biased n=1e5 d=50 groups=4 pi=0.6", "biased n=1e6 d=50 groups=4 pi=0.6"),
    methods={"FairDistiller (default)": {}}, budgets=(50,), models=(), isolate=True,
    seeds=(0, 1, 2), loads=("idle", "busy"), smoke=dict(datasets=("biased n=1e5 d=50 groups=4 pi=0.6",)))
# Fewer, better iterations? Tuning data only (validation splits); the default's step is
# 0.1 n / 10 for n rows per class, so each candidate scales it with the budget.
def fewer_steps(n_iter, networks=1, batch_size=128, step=1.0):
    """A candidate: ``n_iter`` steps of ``networks`` networks on ``batch_size`` rows per
    cell, at ``step`` times the default step."""
    def params(budget):
        return {"n_iter": n_iter, "batch_size": batch_size, "learning_rate": step * 0.1 * budget / 10,
                "matching_params": {"networks_per_step": networks}}
    return params


STUDIES["speed_tune"] = Study(
    "Speed, tuning data: do fewer steps (of more networks, or longer) keep the quality?",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3"), phase="validation",
    methods={"FairDistiller (default)": {},
             "500 steps, step x2": fewer_steps(500, step=2.0),
             "500 steps of 2 networks, step x2": fewer_steps(500, networks=2, step=2.0),
             "500 steps of 2 networks on 64 rows, step x2": fewer_steps(500, 2, 64, 2.0),
             "250 steps of 4 networks, step x2": fewer_steps(250, networks=4, step=2.0)},
    budgets=(10, 50), params=CPU, baseline="FairDistiller (default)",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg",)))
# Confirmation of the fastest candidate that kept the quality on the tuning data (the
# validation splits above). Rule fixed before this run: it becomes the default if, on the
# unseen tables (adult-race and the synthetic tables but pi=0.9 sep=3), the mean paired
# difference over budgets, models and seeds is at least -0.005 in accuracy and at most
# +0.005 in DEO_M. The tuning tables' test splits are reported, not judged.
# Outcome: it misses the DEO_M bound (docs/benchmarks.md), so the default is unchanged.
STUDIES["speed_confirm"] = Study(
    "Speed, confirmation: are 500 steps at twice the step as accurate and fair as the default?",
    datasets=ADULT + SYNTHETIC,
    methods={"FairDistiller (default)": {}, "500 steps, step x2": fewer_steps(500, step=2.0)},
    budgets=(10, 50, 200), seeds=(0, 1, 2, 3, 4), params=CPU, baseline="FairDistiller (default)",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg",)))
# A better start, fewer steps? The group-balanced k-means prototypes (init="kmeans", which
# already match the barycenter's mean) followed by a short COBRA run. Tuning data only
# (validation splits); a candidate's time is what a k-means costs plus its steps.
def kmeans_start(n_iter, step=1.0):
    """A candidate: the k-means start, then ``n_iter`` steps at ``step`` times the default step."""
    def params(budget):
        return {"init": "kmeans", "n_iter": n_iter, "learning_rate": step * 0.1 * budget / 10}
    return params


STUDIES["speed_kmeans_tune"] = Study(
    "Speed, tuning data: does a k-means start let a short run keep the default's quality?",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3"), phase="validation",
    methods={"FairDistiller (default)": {}, "matching='kmeans'": {"matching": "kmeans"},
             "k-means start, 100 steps": kmeans_start(100),
             "k-means start, 100 steps, step x2": kmeans_start(100, step=2.0),
             "k-means start, 200 steps": kmeans_start(200),
             "k-means start, 300 steps, step x2": kmeans_start(300, step=2.0)},
    budgets=(10, 50), params=CPU, baseline="FairDistiller (default)",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg",)))
# speed_pool_tune, _tune_step, _tune_steps, _tune_1000, speed_pool_confirm, _confirm_step,
# _confirm_600, _confirm_800, _confirm_200, speed_pool_alignments_600, speed_pool_demo (a pool of
# networks drawn once; settled: a knob, not the default): defined at 5c2728b (docs/benchmarks.md)
# Trees on a compact table: do rows in the data's own values (readable_rows=True: clipped to the
# range of X, one-hot blocks decoded) serve them better than the rows as optimised? The synthetic
# tables ", categorical" have five of their columns one-hot encoded, as Adult's categorical columns
# are. Rule: benchmarks/tree_rows.py (fixed before the confirmation ran).
TREE_ROWS = {"full data": "full data"}
for _name, _params in (("COBRA (default)", {}), ("matching='kmeans'", {"matching": "kmeans"}),
                       ("model matching", MODEL)):
    TREE_ROWS[f"{_name}, as optimised"] = readable(_params, False)
    TREE_ROWS[f"{_name}, readable"] = readable(_params, True)
STUDIES["tree_rows_tune"] = Study(
    "Trees on a compact table, tuning data: readable rows or the rows as optimised?",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3, categorical"), phase="validation",
    methods=TREE_ROWS, budgets=(10, 50), models=("HGB", "RandomForest", "LogReg"),
    priors=("balanced", "data"), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.9 sep=3, categorical",), models=("HGB",)))
STUDIES["tree_rows"] = Study(
    "Trees on a compact table, unseen tables: readable rows or the rows as optimised?",
    datasets=("adult-race",) + tuple(f"synthetic pi={pi} sep={sep}{cut}, categorical"
                                     for pi, sep, cut in ((0.5, 1.5, ""), (0.7, 3, ""),
                                                          (0.9, 1.5, ", classes 75/25"))),
    methods=TREE_ROWS, budgets=(10, 50), models=("HGB", "RandomForest", "LogReg"),
    priors=("balanced", "data"), seeds=(0, 1, 2, 3, 4), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.5 sep=1.5, categorical",), models=("HGB",)))
STUDIES["tree_rows_200"] = Study(
    "Trees on a compact table at 200 rows per class on Adult: readable rows or as optimised?",
    datasets=ADULT, methods=TREE_ROWS, budgets=(200,), models=("HGB", "RandomForest", "LogReg"),
    priors=("balanced", "data"), seeds=(0, 1, 2), params=CPU,
    smoke=dict(datasets=("adult-sex",), models=("HGB",)))
# The class prior of a tree on a model-matched set's readable rows: "auto" gives a
# model-matched set equal classes, since its rows were optimised for a model trained
# without weights; a tree sees them decoded. Tuning: tree_rows_tune (adult-sex: the
# forest chose the data's prior in 2 of 2 settings, HGB tied). Rule (fixed before this
# run; benchmarks/tree_rows.py, prior_report): trees get the data's prior on such sets
# if, on these tables, no tree study has run on, the data's prior is chosen in more of
# the settings where the two priors differ than equal classes, HGB and the forest pooled.
STUDIES["tree_prior"] = Study(
    "Trees on a model-matched set's readable rows: equal classes or the data's prior?",
    datasets=tuple(f"synthetic pi={pi} sep={sep}, classes 75/25, categorical"
                   for pi, sep in ((0.7, 1.5), (0.5, 3), (0.7, 0))),
    methods={"full data": "full data",
             "model matching, readable": readable(MODEL, True)},
    budgets=(10, 50), models=("HGB", "RandomForest"), priors=("balanced", "data"),
    seeds=(0, 1, 2, 3, 4), params=CPU,
    smoke=dict(datasets=("synthetic pi=0.7 sep=0, classes 75/25, categorical",),
               models=("RandomForest",)))
# Model matching's fairness weight on the tuning tables: the user's criterion (closest
# to the full data's accuracy at or below its DEO_M) picks a different weight per table?
# Exploratory, validation splits only; nothing changes with it.
STUDIES["model_fairness_weight"] = Study(
    "Model matching: accuracy and DEO_M against the fairness weight, tuning tables",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3"), phase="validation",
    methods={"full data": "full data",
             **{f"fairness_weight={w}": {**MODEL, "matching_params": {"fairness_weight": w}}
                for w in (0.3, 1.0, 3.0, 10.0)}},
    budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2), params=CPU, baseline="full data",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg",)))
# fairness_weight="auto": one fit along the weights 0.3, 1, 3, 10, the snapshot kept whose
# model is the most accurate on real rows at no larger a gap than a logistic regression of
# the data's. The rule, fixed before model_auto ran: "auto" becomes the default if, on
# model_auto's unseen tables (means over seeds, per table and budget), it meets the
# issue's target (accuracy within 1 point of the full data for LogReg, 2 for the MLP, and
# DEO_M at or below the full data's) in at least as many settings as fairness_weight=3,
# for LogReg and for the MLP, and its mean accuracy there is at most 0.002 below.
MODEL_AUTO = {"full data": "full data", "model matching": MODEL,
              "model matching, weight auto": {
                  **MODEL, "matching_params": {"fairness_weight": "auto"}}}
STUDIES["model_auto_tune"] = Study(
    "Model matching with the fairness weight chosen on real rows: the tuning tables",
    datasets=("adult-sex", "synthetic pi=0.9 sep=3"), phase="validation",
    methods=MODEL_AUTO, budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2),
    params=CPU, baseline="full data",
    smoke=dict(datasets=("synthetic pi=0.9 sep=3",), models=("LogReg",)))
STUDIES["model_auto"] = Study(
    "Model matching with the fairness weight chosen on real rows: unseen tables",
    datasets=("adult-race",) + tuple(d for d in SYNTHETIC if d != "synthetic pi=0.9 sep=3")
    + ("synthetic pi=0.8 sep=2, classes 75/25", "spread-shift pi=0.9"),
    methods=MODEL_AUTO, budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2, 3, 4),
    params=CPU, baseline="full data",
    smoke=dict(datasets=("synthetic pi=0.8 sep=2, classes 75/25",), models=("LogReg",)))
# after the rule was decided: the same comparison on five tables no study had used
STUDIES["model_auto_replication"] = Study(
    "Model matching's fairness weight chosen on real rows, again on five fresh tables",
    datasets=("adult-race, demo features", "synthetic pi=0.8 sep=1.5, classes 75/25",
              "synthetic pi=0.6 sep=2.5", "synthetic pi=0.9 sep=2, categorical",
              "spread-shift pi=0.8"),
    methods=MODEL_AUTO, budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2, 3, 4),
    params=CPU, baseline="full data", smoke=dict(datasets=("spread-shift pi=0.8",),
                                                 models=("LogReg",)))
STUDIES["model_speed"] = Study(
    "Model matching's fit time against COBRA's, same run, on an idle and a busy machine",
    datasets=ADULT, methods={"COBRA (default)": {}, **{
        name: params for name, params in MODEL_AUTO.items() if name != "full data"}},
    budgets=(10, 50, 200), models=(), params=CPU, loads=("idle", "busy"),
    smoke=dict(datasets=("adult-sex",)))
# model_auto again once the inner fit starts from the last step's solution (3 Newton steps,
# not 8 from zero; the same gradient to float32 rounding). The rule, fixed before it ran:
# it stays if, paired with model_auto's stored rows (`python -m benchmarks.weight_rule
# model_warm_newton --before model_auto`), each method's mean accuracy falls by at most
# 0.002 and its mean DEO_M rises by at most 0.005, for LogReg and for the MLP
STUDIES["model_warm_newton"] = dataclasses.replace(
    STUDIES["model_auto"], question="Model matching with the inner fit started from the "
    "last step's: model_auto's tables, paired with its stored rows")
# model matching on ten classes: the coloured digits as tables (192 columns, 3 colour
# groups), which no model-matching study had used; its defaults were tuned on two classes
VERSUS_COBRA = {"full data": "full data", "COBRA (default)": {},
                "model matching": {"matching": "model"}}
STUDIES["model_digits"] = Study(
    "Model matching on ten classes: the coloured digits as tables, against COBRA",
    datasets=DIGITS, methods=VERSUS_COBRA,
    budgets=(10,), models=("LogReg", "MLP"), seeds=(0, 1, 2), params=CPU,
    baseline="full data", smoke=dict(datasets=("digits-grey",), models=("LogReg",)))
# Model matching on 3 to 6 classes with many rows per cell, which no study had used
MULTICLASS = ("synthetic pi=0.5 sep=0, 3 classes", "synthetic pi=0.9 sep=3, 3 classes",
              "synthetic pi=0.7 sep=1.5, 4 classes", "synthetic pi=0.8 sep=2, 4 classes",
              "synthetic pi=0.9 sep=1.5, 6 classes")
STUDIES["model_multiclass"] = Study(
    "Model matching on 3 to 6 classes with many rows per cell, against COBRA",
    datasets=MULTICLASS, methods=VERSUS_COBRA,
    budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2, 3, 4), params=CPU,
    baseline="full data", smoke=dict(datasets=MULTICLASS[2:3], models=("LogReg",)))
# The inner model's C (1) against 0.3, 3 and 10 on the validation splits the MLP's misses were
# studied on. The rule, fixed before it ran: a C goes on to unseen tables only if weight_rule --new
# "model matching, C=<C>" --old "model matching" passes it and the MLP meets the target more often
STUDIES["model_inner_c"] = Study(
    "Model matching's inner C on the tuning tables (validation splits)",
    datasets=("adult-sex", "adult-race", "spread-shift pi=0.9"), phase="validation", methods={
        "full data": "full data", "model matching": {"matching": "model"}, **{
            f"model matching, C={c:g}": {"matching": "model", "matching_params": {"C": c}}
            for c in (0.3, 3.0, 10.0)}}, budgets=(10, 50), models=("LogReg", "MLP"),
    seeds=(0, 1, 2, 3, 4), params=CPU, baseline="full data",
    smoke=dict(datasets=("spread-shift pi=0.9",), models=("LogReg",)))
# C=0.3 for the MLP only: on the tuning tables (model_inner_c) it served the MLP in all 6 settings
# and LogReg worse. Tables: model_feature_networks' 14 (no study looked at their validation rows);
# the default's rows copied from it. The rule, fixed before it ran: DistilledClassifier gives an MLP
# C=0.3 if, in weight_rule --new "model matching, C=0.3" --old "model matching, weight auto", the
# MLP meets the target in more settings with it and its mean MLP accuracy is at least the default's
STUDIES["model_inner_c_mlp"] = Study(
    "Model matching's inner C=0.3 for the MLP, on unseen tables",
    datasets=tuple(d for d in STUDIES["model_auto"].datasets + STUDIES[
        "model_auto_replication"].datasets if d not in ("adult-race", "spread-shift pi=0.9")),
    methods={"full data": "full data", "model matching, weight auto": {"matching": "model"},
             "model matching, C=0.3": {"matching": "model", "matching_params": {"C": 0.3}}},
    budgets=(10, 50), models=("LogReg", "MLP"), seeds=(0, 1, 2, 3, 4), params=CPU,
    baseline="full data", smoke=dict(datasets=("spread-shift pi=0.8",), models=("MLP",)))
# Its rule failed (MLP: 18 settings met against 19), but at 50 rows C=0.3 gave the MLP 0.2-2.5
# points on all 14 tables. Rule, fixed before this ran: DistilledClassifier gives an MLP C=0.3
# from 50 rows per class if here its MLP meets the target in more settings and is more accurate
STUDIES["model_inner_c_mlp_50"] = dataclasses.replace(
    STUDIES["model_inner_c_mlp"], question="Model matching's C=0.3 for the MLP at 50 rows per "
    "class, fresh tables", budgets=(50,), datasets=tuple(f"synthetic pi={t}" for t in (
        "0.6 sep=1", "0.8 sep=3", "0.75 sep=2, classes 75/25", "0.65 sep=0.5",
        "0.85 sep=1, categorical")) + ("spread-shift pi=0.7", "spread-shift pi=0.85"))
# The switch covers larger budgets too. Rule, fixed before this ran: it stops below 200 rows per
# class unless here, at 200, the MLP meets the target as often with C=0.3 and is as accurate
STUDIES["model_inner_c_mlp_200"] = dataclasses.replace(STUDIES["model_inner_c_mlp_50"], budgets=(
    200,), question="Model matching's C=0.3 for the MLP at 200 rows per class")
# model_warm_newton_1, model_digits_warm_1: defined at 5b8c16b (docs/benchmarks.md). The split dual
# Newton step. Rule, fixed before it ran: it stays if, paired with model_digits' rows, no model's
# mean accuracy falls, nor DEO_M rises, by over 2 SE, and its median fit is at most 3x COBRA's
STUDIES["model_digits_split_newton"] = dataclasses.replace(STUDIES["model_digits"], question=(
    "Model matching with the split dual Newton step on ten classes, against COBRA"))
# Outcome: both held (LogReg -0.018 +- 0.012, MLP -0.026 +- 0.017; 2.64x COBRA). Busy, seed 0:
STUDIES["model_digits_busy"] = dataclasses.replace(STUDIES["model_digits"], seeds=(0,), loads=(
    "busy",), budgets=(10, 50), question="Model matching's time on ten classes, busy machine")
STUDIES["model_digits_50"] = dataclasses.replace(STUDIES["model_digits"], budgets=(50,), question=(
    "Model matching on ten classes at 50 rows per class, against COBRA"))  # before (~60x COBRA)
# The implicit inner step for primal systems over 1024 unknowns. Rule, fixed before it ran: it stays
# if, paired with model_digits_50's rows (--before), no mean accuracy falls, nor DEO_M rises, by >2 SE
STUDIES["model_digits_50_implicit"] = dataclasses.replace(STUDIES["model_digits_50"], question=(
    "Model matching with the implicit inner step on ten classes at 50 rows per class"))
# Held. The implicit step in the dual, its backward refined, IMPLICIT_UNKNOWNS 512. Rule: as above,
# paired with the rows before (--before model_digits_split_newton, model_digits_50)
STUDIES["model_digits_dual_implicit"] = dataclasses.replace(STUDIES["model_digits"], question=(
    "Model matching with the implicit inner step in the dual, ten classes, 10 rows per class"))
STUDIES["model_digits_50_adjoint"] = dataclasses.replace(STUDIES["model_digits_50"], question=(
    "Model matching with the held step's backward refined, ten classes, 50 rows per class"))
# Held. The same solves, faster. Rule: as above, paired with 42663af's rows (the two studies above)
for _base in ("model_digits", "model_digits_50"):
    STUDIES[f"{_base}_fast_solves"] = dataclasses.replace(STUDIES[_base], question=(
        f"Model matching, the implicit step's faster solves, ten classes ({_base}'s budget)"))
# Held. The inner ReLU kernel: recommended for an MLP if, on model_inner_c_mlp_50's 7 tables, its MLP
# meets the target more often and is more accurate, and gains >2 SE on the digits; withdrawn if on
# model_auto's tables its MLP meets it less often. Both rules fixed before the runs
RELU = {"model matching, relu kernel": {"matching": "model", "matching_params": {"kernel": "relu"}}}
for _name, _of in ("model_kernel_relu", "model_inner_c_mlp_50"), ("model_auto_relu", "model_auto"):
    STUDIES[_name] = dataclasses.replace(STUDIES[_of], budgets=(10, 50), methods={
        **{k: v for k, v in STUDIES[_of].methods.items() if k.endswith(("data", "auto"))}, **RELU},
        question=f"Model matching's inner ReLU kernel on {_of}'s tables")
STUDIES["model_digits_relu"] = dataclasses.replace(STUDIES["model_digits"], methods={
    **VERSUS_COBRA, **RELU}, question="Model matching's inner ReLU kernel on ten classes")
# Both held. Rule, fixed before this ran: DistilledClassifier gives an MLP the ReLU kernel (kernel
# unset) if on these 10 tables, no kernel run's, its MLP meets the target more often than with the
# linear one, is more accurate paired, and misses clearly (--misses) no more often; LogReg reported
STUDIES["model_relu_mlp"] = dataclasses.replace(STUDIES["model_auto_relu"], datasets=STUDIES[
    "model_auto_replication"].datasets + MULTICLASS, question="The ReLU kernel for an MLP, fresh "
    "tables", smoke=dict(datasets=("spread-shift pi=0.8",), models=("MLP",)))
# Failed: clear MLP misses 3 against 1. Outcomes, reverted changes: docs/benchmarks.md, results/
# A report, no rule: every method at 200 rows per class on model's 11 tables, the default weight
STUDIES["model_200_suite"] = dataclasses.replace(STUDIES["model"], budgets=(200,), methods={**{
    k: v for k, v in STUDIES["model"].methods.items() if "model" not in k}, "model matching, weight "
    "auto": {"matching": "model"}}, models=("LogReg", "MLP", "HGB"), question="Every method at 200 "
    "rows per class on the model study's tables")
# The same at 10 and 50 rows per class: the default weight beside the model study's stored rows
STUDIES["model_default_suite"] = dataclasses.replace(STUDIES["model_200_suite"], budgets=(
    10, 50), question="Every method at 10 and 50 rows per class, model matching's default weight")
# Two public tables no default was tuned on (benchmarks/data.py: credit-sex, recidivism-race), every
# method as above. Read off before it ran: model matching meets the target (LogReg within 1 point of
# the full data, MLP and HGB within 2, DEO_M at or below) in more settings than COBRA, for LogReg and
# the MLP, and misses clearly (--misses) no more often; else the README says it does not on real tables
STUDIES["model_public"] = dataclasses.replace(STUDIES["model_default_suite"], datasets=(
    "credit-sex", "recidivism-race"), models=("LogReg", "MLP", "HGB", "ExponentiatedGradient"),
    question="Every method on two public tables no default was tuned on", smoke=dict(datasets=(
        "credit-sex",), models=("LogReg",)))
# The same sets trained as DistilledClassifier's class_prior="auto" trains them: the data's class
# shares for the sets of equal classes (a model-matched set keeps its own; model_public has it)
STUDIES["model_public_prior"] = dataclasses.replace(STUDIES["model_public"], methods={
    k: v for k, v in STUDIES["model_public"].methods.items() if "model" not in k}, models=(
    "LogReg", "MLP", "HGB"), priors=("data",), question="The public tables, sets trained with "
    "the data's class prior")
# The inner ReLU kernel that the docs recommend for a set that will train an MLP, on the same tables
STUDIES["model_public_relu"] = dataclasses.replace(STUDIES["model_public"], methods=RELU, models=(
    "LogReg", "MLP"), question="The public tables, model matching with the inner ReLU kernel")
# Trees on the public tables as DistilledClassifier trains them: readable rows (read with the data's
# prior for the sets of equal classes, as is for the model-matched one); a report with no rule
STUDIES["model_public_trees"] = dataclasses.replace(STUDIES["model_public"], methods={
    "full data": "full data", **{f"{name}, readable": readable(params, True) for name, params in (
        ("COBRA (default)", {}), ("FairDD", FAIRDD), ("balanced k-means", {"matching": "kmeans"}),
        ("model matching, weight auto", {"matching": "model"}))}}, models=("HGB", "RandomForest"),
    priors=("", "data"), question="The public tables: trees on readable rows")
# Teacher labels (DistilledClassifier(labels="teacher")): real rows labelled by the logistic regression
# of the model-matched set. Probed on validation splits of adult-sex, recidivism-race and credit-sex;
# adult-race and the two synthetic tables are unseen. Read off before it ran: for the MLP and for HGB,
# on the unseen tables, teacher labels meet the target (within 2 points of the full data's accuracy,
# DEO_M at or below it) in more settings than the model-matched set and miss clearly no more often;
# then the guide recommends them for such models, else they stay an option with the figures.
STUDIES["model_teacher"] = dataclasses.replace(STUDIES["model_default_suite"], datasets=(
    "adult-race", "synthetic pi=0.9 sep=1.5", "synthetic pi=0.7 sep=1.5", "recidivism-race",
    "credit-sex"), methods={"full data": "full data", "model matching, weight auto": {
        "matching": "model"}, "model matching, teacher labels": "model matching, teacher labels"},
    question="Teacher labels: real rows labelled by the model-matched set's logistic regression",
    smoke=dict(datasets=("credit-sex",), models=("MLP",)))
# The same on adult-sex, a table the teacher labels were probed on (validation splits): a report
STUDIES["model_teacher_adult_sex"] = dataclasses.replace(STUDIES["model_teacher"], datasets=(
    "adult-sex",), question="Teacher labels on adult-sex (probed on its validation splits)")
# The seven synthetic tables no teacher-label run has read, 10 and 50 rows per class. Read off before
# it ran: if, for HGB, teacher labels meet the target in more of these settings than the
# model-matched set and miss clearly no more often, DistilledClassifier's labels default becomes
# "auto" (teacher labels for a tree-based estimator on a linear model-matched set); the same test
# for the MLP decides whether "auto" gives an MLP teacher labels too. Else "hard" stays the default.
TEACHER_SEEN = ("synthetic pi=0.9 sep=1.5", "synthetic pi=0.7 sep=1.5")
STUDIES["model_teacher_more"] = dataclasses.replace(STUDIES["model_teacher"], datasets=tuple(
    d for d in SYNTHETIC if d not in TEACHER_SEEN), question="Teacher labels on seven more tables")
# At 200 rows per class (the full data's and model matching's rows from model_200_suite): a report
STUDIES["model_teacher_200"] = dataclasses.replace(STUDIES["model_teacher"], datasets=(
    ADULT + TEACHER_SEEN), budgets=(200,), question="Teacher labels at 200 rows per class")
# The random forest, the other tree labels="auto" covers, on model_teacher's tables: teacher labels
# against the readable rows that DistilledClassifier gave it before (a report, no rule)
STUDIES["model_teacher_forest"] = dataclasses.replace(STUDIES["model_teacher"], methods={
    "full data": "full data", "model matching, weight auto, readable": readable(
        {"matching": "model"}, True), "model matching, teacher labels":
    "model matching, teacher labels"}, models=("RandomForest",), question="Teacher labels for "
    "a random forest", smoke=dict(datasets=("credit-sex",), models=("RandomForest",)))
# (model_teacher_mlp: settled, at commit 6fc3867.) Leaf rows, on tables whose test splits no probe
# read (they read validation splits). Read off before it ran: if for HGB leaf rows meet the target
# in more of these settings than the nearest rows and miss clearly no more often, and for the forest
# in at least as many, DistilledClassifier gives a tree-based estimator leaf rows.
STUDIES["model_teacher_leaves"] = dataclasses.replace(STUDIES["model_teacher"], datasets=(
    "adult-race",) + SYNTHETIC[:-1], methods={"full data": "full data", **{m: m for m in (
        "model matching, teacher labels", "model matching, teacher labels, leaf rows")}},
    models=("HGB", "RandomForest"), question="Teacher labels on leaf rows for trees")
STUDIES["model_teacher_leaves_seen"] = dataclasses.replace(STUDIES["model_teacher_leaves"],
    datasets=("adult-sex", "credit-sex", "recidivism-race"), question="Leaf rows on the tables "
    "whose validation splits they were probed on (a report, no rule)")
# model_teacher_leaves failed on the forest (2 met against 6). Read off before this ran: if for HGB
# leaf rows meet the target in more settings and miss clearly no more often, boosted trees get them.
STUDIES["model_teacher_leaves_boosted"] = dataclasses.replace(STUDIES["model_teacher_leaves"],
    datasets=("synthetic pi=0.7 sep=1.5, classes 75/25", "synthetic pi=0.9 sep=3, classes 75/25",
              "synthetic pi=0.5 sep=1.5, 3 classes", "synthetic pi=0.9 sep=1.5, 4 classes",
              "spread-shift pi=0.9", "synthetic pi=0.7 sep=0, categorical"),
    models=("HGB",), question="Leaf rows for gradient-boosted trees, six fresh tables")
# Teacher labels between the rows (rows="mixup", chosen on validation splits of adult-sex and synthetic
# pi=0.9 sep=3) on the 11 other tables (other rows copied from model_teacher, model_teacher_more). Read
# off before it ran: if for HGB mixup meets the target in more settings than the nearest rows and
# misses clearly no more often, labels="teacher" takes the mixup rows; if for the MLP it does so
# against the set (its labels="auto" today), labels="auto" gives an MLP teacher labels.
MIXUP = {"model matching, teacher labels, mixup": "model matching, teacher labels, mixup"}
STUDIES["model_teacher_mixup"] = dataclasses.replace(STUDIES["model_teacher"], datasets=(
    "adult-race", "credit-sex", "recidivism-race") + SYNTHETIC[:-1], methods={**STUDIES[
        "model_teacher"].methods, **MIXUP}, models=("HGB", "MLP"), question="The mixup rows")
# Reports: adult-sex (its validation splits chose the rows); the forest on model_teacher_forest's
# tables; 200 rows per class on model_teacher_200's; after the rule, model_teacher_mlp's six tables
STUDIES["model_teacher_mixup_adult_sex"] = dataclasses.replace(STUDIES["model_teacher_mixup"],
    datasets=("adult-sex",), question="Teacher labels between the rows on adult-sex (a report)")
STUDIES["model_teacher_mixup_forest"] = dataclasses.replace(STUDIES["model_teacher_forest"], methods={
    **STUDIES["model_teacher_forest"].methods, **MIXUP}, question="The mixup rows for a forest")
STUDIES["model_teacher_mixup_200"] = dataclasses.replace(STUDIES["model_teacher_200"], methods={
    **STUDIES["model_teacher_200"].methods, **MIXUP}, models=("HGB", "MLP"),
    question="The mixup rows at 200 rows per class")
STUDIES["model_teacher_mixup_six"] = dataclasses.replace(STUDIES["model_teacher_mixup"], datasets=
    STUDIES["model_teacher_leaves_boosted"].datasets, question="The mixup rows on six more tables")
# A report after the rule: six tables no teacher-label study had read (some read by the ReLU-kernel
# and inner-C studies), every method run here
STUDIES["model_teacher_mixup_fresh"] = dataclasses.replace(STUDIES["model_teacher_mixup"], datasets=(
    "synthetic pi=0.6 sep=1", "synthetic pi=0.6 sep=2.5", "synthetic pi=0.8 sep=1",
    "synthetic pi=0.8 sep=2.5", "spread-shift pi=0.8", "synthetic pi=0.8 sep=1.5, classes 75/25"),
    question="The mixup rows on six fresh tables")
# Points in the box two rows span (rows="boxes"), probed on validation splits of adult-sex and
# synthetic pi=0.9 sep=3 only, against the points on the segments (rows="mixup"), on the 23 tables
# of model_teacher_mixup, _six and _fresh (test splits; the boxes' probe read none). The rule, fixed
# before it ran (weight_rule --new boxes --old mixup; 46 settings): if for HGB the boxes meet the
# target in more settings than the segments and miss clearly no more often, and for the MLP in no
# fewer settings with no more clear misses, rows="boxes" becomes the default; if HGB passes and the
# MLP does not, the boxes become the rows of trees only; else they stay an option.
BOXES = {"model matching, teacher labels, boxes": "model matching, teacher labels, boxes"}
STUDIES["model_teacher_boxes"] = dataclasses.replace(STUDIES["model_teacher_mixup"], datasets=(
    STUDIES["model_teacher_mixup"].datasets + STUDIES["model_teacher_mixup_six"].datasets
    + STUDIES["model_teacher_mixup_fresh"].datasets), methods={"full data": "full data", **MIXUP,
    **BOXES}, question="Teacher labels in the boxes two rows span")
# Reports after the rule passed (boxes the default): adult-sex (its validation splits chose the
# boxes), the forest, 200 rows per class; the mixup studies' rows copied in
for name in ("adult_sex", "forest", "200"):
    STUDIES[f"model_teacher_boxes_{name}"] = dataclasses.replace(STUDIES[
        f"model_teacher_mixup_{name}"], methods={**STUDIES[f"model_teacher_mixup_{name}"].methods,
        **BOXES}, question=f"Teacher labels in the boxes ({name}, a report)")
# A report after the boxes became the default: six tables no study had read (one categorical)
STUDIES["model_teacher_boxes_fresh"] = dataclasses.replace(STUDIES["model_teacher_boxes"], datasets=(
    "synthetic pi=0.55 sep=2", "synthetic pi=0.65 sep=3, categorical", "synthetic pi=0.75 sep=1",
    "synthetic pi=0.85 sep=2.5", "spread-shift pi=0.75", "synthetic pi=0.95 sep=1.5, 3 classes"),
    methods={**STUDIES["model_teacher_boxes"].methods, "model matching, weight auto": {
        "matching": "model"}}, question="Teacher labels in the boxes on six fresh tables")
# Teacher labels blended half and half with HGB fitted on every training row (labels="blend"),
# probed on validation splits of adult-sex, credit-sex, recidivism-race and synthetic pi=0.9 sep=3
# only (the linear teacher caps a tree on Adult). The rule, fixed before it ran, on the 21 tables of
# model_teacher_boxes the probe did not read (test splits, seeds 0-4, 10 and 50 rows per class; the
# boxes' rows copied in): weight_rule --new blend --old boxes --datasets <the 21>; if HGB meets the
# target in more settings than on the boxes, misses clearly no more often and is more accurate
# paired, labels="auto" blends for gradient-boosted trees; else "blend" stays an option.
STUDIES["model_teacher_blend"] = dataclasses.replace(STUDIES["model_teacher_boxes"], methods={
    "full data": "full data", **BOXES, **{m: m for m in (
        "model matching, teacher labels, blend with HGB",)}}, models=("HGB",),
    question="Teacher labels blended with the full data's HGB")
# Reports after the rule failed (the blend an option): adult-sex, whose validation splits the probe
# read, on its test splits; the boxes' rows copied in from model_teacher_boxes_adult_sex
STUDIES["model_teacher_blend_adult_sex"] = dataclasses.replace(STUDIES["model_teacher_blend"],
    datasets=("adult-sex",), question="Teacher labels blended with HGB on adult-sex (a report)")
# After the blend's rule failed: blend only where, on 20% of the training rows held out, HGB fitted
# on the rest is more accurate than the teacher by over a point and two standard errors (the
# margin from validation splits of the probe's four tables). The rule, fixed before it ran
# (weight_rule --new "...if more accurate" --old boxes; test splits, seeds 0-4, 10 and 50
# rows per class): labels="auto" makes this choice for gradient-boosted trees if (1) on the 12
# tables no blend study had read (BLEND_FRESH: model_teacher_boxes_fresh's six and six new ones)
# HGB meets the target in no fewer settings than on teacher labels, misses clearly no more often
# and is no less accurate paired, and (2) on model_teacher_blend's 21 tables it meets the target
# in no fewer settings and misses clearly no more often. The boxes' rows are copied in where stored.
BLEND_FRESH = STUDIES["model_teacher_boxes_fresh"].datasets + (
    "synthetic pi=0.65 sep=1.5", "synthetic pi=0.85 sep=2, classes 75/25",
    "synthetic pi=0.75 sep=3, 3 classes", "spread-shift pi=0.95",
    "synthetic pi=0.55 sep=1, categorical", "digits-grey")
STUDIES["model_teacher_blend_check"] = dataclasses.replace(STUDIES["model_teacher_blend"],
    datasets=BLEND_FRESH + STUDIES["model_teacher_blend"].datasets, methods={
        "full data": "full data", **BOXES, **{m: m for m in (
            "model matching, teacher labels, blend with HGB if more accurate",)}},
    question="Teacher labels blended with HGB where it is clearly more accurate")


def _blend_reports(study):
    """Reports after a blend study: ``STUDY_adult_sex`` (probed: validation splits) and
    ``STUDY_200`` (model_teacher_boxes_200's tables; the stored rows copied in)."""
    base = STUDIES[study]
    STUDIES[f"{study}_adult_sex"] = dataclasses.replace(base, datasets=("adult-sex",),
                                                        question=f"{base.question}: adult-sex")
    STUDIES[f"{study}_200"] = dataclasses.replace(
        base, datasets=STUDIES["model_teacher_boxes_200"].datasets, budgets=(200,),
        question=f"{base.question}: 200 rows per class")


_blend_reports("model_teacher_blend_check")
STUDIES["model_teacher_ceiling"] = dataclasses.replace(STUDIES["model_teacher_leaves_seen"],
    datasets=ADULT + ("credit-sex", "recidivism-race") + TEACHER_SEEN, budgets=(10, 50, 200),
    methods={m: m for m in ("full data", "model matching, teacher labels on every row")},
    models=("HGB",), question="HGB on every real row with teacher labels: their ceiling")
# The model a blend takes fitted with each class's groups weighed alike (COBRA's weights on the
# real rows, each class keeping its total), probed on validation splits of adult-sex, adult-race,
# credit-sex, recidivism-race, spread-shift pi=0.9 and synthetic pi=0.9 sep=3 (seeds 0-4 on Adult,
# 0-2 elsewhere): where the check blended, HGB 0.1-0.3 points less accurate and less unfair (DEO_M
# -0.01 to -0.07 on Adult). The rule, fixed before it ran, on the 31 tables of
# model_teacher_blend_check the probe did not read and two digits tables no blend study had read
# (BALANCED_UNSEEN; test splits, seeds 0-4, 10 and 50 rows per class; the stored rows copied in):
# weight_rule --new "..., groups balanced" --old "...if more accurate" --datasets <the 33> passes
# (as many settings meet the target, at most 0.002 less accurate), it misses clearly no more often,
# and over the settings where it blends DEO_M is lower paired on average; then the balanced fit
# stays in DistilledClassifier (labels="auto" and "blend"); else the blend goes back to the plain fit.
BALANCED = "model matching, teacher labels, blend with HGB if more accurate, groups balanced"
BALANCED_PROBED = ("adult-race", "credit-sex", "recidivism-race", "spread-shift pi=0.9")
BALANCED_UNSEEN = tuple(d for d in STUDIES["model_teacher_blend_check"].datasets
                        if d not in BALANCED_PROBED) + ("digits-foreground", "digits-background")
STUDIES["model_teacher_blend_balanced"] = dataclasses.replace(STUDIES["model_teacher_blend_check"],
    datasets=BALANCED_UNSEEN + BALANCED_PROBED, methods={
        **STUDIES["model_teacher_blend_check"].methods, BALANCED: BALANCED},
    question="Blending with a tree fitted with the groups balanced")
_blend_reports("model_teacher_blend_balanced")
# The balanced blend's second confirmation, where a tree beats the linear teacher: four tables of
# data.make_interaction_shift (flip=0.6 chosen on the full data's LogReg and HGB alone, random_state
# 100-102: HGB 2.7-5 points ahead; Adult 1.6) and adult-sex-race, none read before. The rule, fixed
# before it ran (test splits, seeds 0-4, 10 and 50 rows per class, HGB): (1) on the five, as many
# settings meet the target as with the check, no more clear misses; (2) over every blended fit on
# tables no balanced probe read (the five; digits-grey and spread-shift pi=0.8, rows copied in from
# model_teacher_blend_balanced), DEO_M lower paired on average, accuracy at most 0.002 lower.
TREE_TABLES = ("interaction pi=0.7 sep=1", "interaction pi=0.9 sep=1", "interaction pi=0.7 sep=2",
               "interaction pi=0.9 sep=2", "adult-sex-race")
STUDIES["model_teacher_blend_balanced_trees"] = dataclasses.replace(
    STUDIES["model_teacher_blend_balanced"], datasets=TREE_TABLES + (
        "digits-grey", "spread-shift pi=0.8"), methods={m: m for m in (
            "full data", "model matching, teacher labels, blend with HGB if more accurate",
            BALANCED)}, question="Blending with the groups balanced where trees beat the teacher")
# The held-out check for an MLP (teacher labels cap it where a line is not enough), probed on
# validation splits of adult-sex, spread-shift pi=0.9 (no blend) and interaction pi=0.8 sep=1.5
# (blended always; the balanced fit met the target). The rule, fixed before it ran (test splits,
# seeds 0-4, 10 and 50 rows per class; weight_rule --new "..., groups balanced" --old boxes
# --datasets MLP_UNSEEN): more settings meet the target than on teacher labels and no more clear
# misses; then labels="auto" blends the balanced fit for an MLPClassifier. No Adult, for time.
MLP_UNSEEN = TREE_TABLES[:4] + ("interaction pi=0.6 sep=1.5", "interaction pi=0.8 sep=2.5",
    "interaction pi=0.95 sep=1", "digits-grey", "credit-sex", "recidivism-race",
    "synthetic pi=0.7 sep=1.5", "synthetic pi=0.9 sep=3, classes 75/25")
MLP_BLEND = "model matching, teacher labels, blend with MLP if more accurate"
MLP_AFTER = ("synthetic pi=0.55 sep=2", "synthetic pi=0.65 sep=3, categorical",  # a report after
    "spread-shift pi=0.75", "synthetic pi=0.95 sep=1.5, 3 classes", "interaction pi=0.75 sep=1.5")
STUDIES["model_teacher_blend_mlp"] = dataclasses.replace(STUDIES["model_teacher_blend"], datasets=(
    MLP_UNSEEN + ("spread-shift pi=0.9",) + MLP_AFTER), models=("MLP",), methods={m: m for m in (
    "full data", *BOXES, MLP_BLEND, f"{MLP_BLEND}, groups balanced")}, question="An MLP's blend")
