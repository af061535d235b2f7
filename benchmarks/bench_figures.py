"""The benchmark report's figures: DEO_M against accuracy, and the synthetic grid's heat maps.

Both take the summary of :func:`bench_report.summarise` (means and stds over seeds).
"""

import numpy as np

STYLE = {"full data": ("black", "*"), "random subset": ("tab:gray", "x"),
         "ClusterCentroids": ("tab:brown", "P"), "balanced k-means": ("tab:olive", "p"),
         "vanilla": ("tab:red", "o"), "rebalanced vanilla": ("tab:orange", "v"),
         "FairDD": ("tab:blue", "s"), "COBRA": ("tab:green", "D"),
         "COBRA-kmeans": ("tab:cyan", "d")}
HEAT_METHODS = ("vanilla", "rebalanced vanilla", "FairDD", "COBRA")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_tradeoff(summary, path, model="LogReg"):
    """DEO_M against accuracy per method, one panel per dataset (synthetic: the corner cell)."""
    plt = _plt()
    sets = summary.drop_duplicates("dataset")
    names = list(sets.loc[sets["family"] != "synthetic", "dataset"])
    names += list(sets.loc[sets["family"] == "synthetic", "dataset"])[-1:]
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False)
    budgets = sorted(summary["budget"].unique())
    for ax, name in zip(axes.ravel(), names):
        sub = summary[(summary["dataset"] == name) & (summary["model"] == model)]
        for r in sub.itertuples():
            k = budgets.index(r.budget)
            if r.method == "full data" and k > 0:
                continue
            colour, marker = STYLE[r.method]
            ax.errorbar(r.accuracy_mean, r.deo_max_mean, xerr=np.nan_to_num(r.accuracy_std),
                        yerr=np.nan_to_num(r.deo_max_std), fmt=marker, color=colour, ms=7,
                        capsize=2, lw=0.8, mfc=colour if k == 0 else "none",
                        label=r.method if k == 0 else None)
        ax.set(title=name, xlabel="accuracy", ylabel="DEO_M")
        ax.title.set_fontsize(10)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9,
               bbox_to_anchor=(0.5, -0.01))
    note = f"filled: {budgets[0]} rows/class" + (
        f", hollow: {budgets[-1]} rows/class" if len(budgets) > 1 else "")
    fig.suptitle(f"DEO_M (lower is fairer) against accuracy, {model}; mean ± std over seeds; "
                 f"{note}", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure_heatmaps(summary, path, model="LogReg"):
    """DEO_M over imbalance × separation for each distiller, and COBRA − vanilla."""
    sub = summary[(summary["family"] == "synthetic") & (summary["model"] == model)]
    if sub.empty:
        return False
    plt = _plt()
    imbalances, separations = sorted(sub["imbalance"].unique()), sorted(sub["separation"].unique())
    budgets = sorted(sub["budget"].unique())
    panels = list(HEAT_METHODS) + ["COBRA − vanilla"]
    fig, axes = plt.subplots(len(budgets), len(panels),
                             figsize=(3.3 * len(panels), 2.9 * len(budgets)), squeeze=False)

    def grid(budget, method):
        cell = sub[(sub["budget"] == budget) & (sub["method"] == method)]
        return cell.pivot(index="imbalance", columns="separation", values="deo_max_mean").reindex(
            index=imbalances, columns=separations).to_numpy(dtype=float)

    vmax = max(np.nanmax(grid(b, m)) for b in budgets for m in HEAT_METHODS)
    for row, budget in enumerate(budgets):
        for ax, panel in zip(axes[row], panels):
            diff = panel == panels[-1]
            values = (grid(budget, "COBRA") - grid(budget, "vanilla")) if diff else grid(
                budget, panel)
            lim = max(np.nanmax(np.abs(values)), 1e-6)
            image = ax.imshow(values, cmap="RdBu_r" if diff else "viridis", origin="lower",
                              vmin=-lim if diff else 0, vmax=lim if diff else vmax, aspect="auto")
            for (i, j), value in np.ndenumerate(values):
                if not np.isnan(value):
                    dark = abs(value) > 0.6 * lim if diff else value < 0.6 * vmax
                    ax.text(j, i, f"{round(value, 2) + 0.0:+.2f}" if diff else f"{value:.2f}",
                            ha="center", va="center", fontsize=8,
                            color="white" if dark else "black")
            ax.set_xticks(range(len(separations)), [f"{s:g}" for s in separations])
            ax.set_yticks(range(len(imbalances)), [f"{p:g}" for p in imbalances])
            ax.set(xlabel="group separation", ylabel="group imbalance π")
            ax.set_title(f"{panel}, {budget}/class", fontsize=9)
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(f"Synthetic grid: DEO_M of {model} trained on the distilled rows "
                 "(mean over seeds; right: COBRA − vanilla, blue = COBRA fairer)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
