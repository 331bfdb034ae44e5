"""Figures, tables and the widget panel for the theory chapter. Every function reads a result dict
(`run_chapter(...)["data"]` or a committed `load_result("theory_markov")["data"]`), never recomputes,
except `widget_panel`, which reruns the (cheap) exact simulation in a live kernel."""

from __future__ import annotations

from dataclasses import replace

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from reasonlab.sim import markov as mk

COLORS = {
    "base": "black", "rlvr": "tab:red", "rejection": "tab:blue", "kl": "tab:green", "kl_opt": "tab:olive",
    "orm": "tab:purple", "prm": "tab:orange", "rlvr_sampled": "tab:pink",
}
STYLES = {"kl_opt": ":", "orm": "--", "prm": "-.", "rlvr_sampled": (0, (1, 2))}
MAIN_METHODS = ("base", "rlvr", "rejection", "kl")
RERANK_METHODS = ("base", "rlvr", "orm", "prm")


def _line(ax, x, y, name, **kw):
    ax.plot(x, y, color=COLORS[name], linestyle=STYLES.get(name, "-"), label=mk.METHOD_LABELS[name], **kw)


# ---- tables ------------------------------------------------------------------------------------------------
def config_table_markdown(config: dict) -> str:
    """The setup as a markdown table, drawn from a manifest's config."""
    rows = [(f"`{section}.{key}`", value) for section in ("chain", "pretrain", "post", "eval")
            for key, value in config[section].items()]
    rows += [("`seed`", config["seed"]), ("`scale`", config["scale"])]
    return "| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def path_table_markdown(data: dict, methods=("base", "rlvr", "rejection", "kl", "orm", "prm")) -> str:
    """Task 1's valid chains: true probability, accuracy, and the mass each method puts on them."""
    t = data["main"]["table"]
    head = "| chain | true prob. | accuracy | " + " | ".join(mk.METHOD_LABELS[m] for m in methods) + " |"
    lines = [head, "|" + "---|" * (3 + len(methods))]
    for i, path in enumerate(t["paths_task1"]):
        if t["accuracy_task1"][i] == 0:
            continue
        probs = " | ".join(f"{data['main']['methods'][m]['path_probs_task1'][i]:.4f}" for m in methods)
        lines.append(f"| {path} | {t['true_path_probs_task1'][i]:.4f} | {t['accuracy_task1'][i]:.4f} | {probs} |")
    inv = " | ".join(f"{data['main']['methods'][m]['task1']['invalid_mass']:.4f}" for m in methods)
    lines.append(f"| invalid (ends at 1) | | 0 | {inv} |")
    return "\n".join(lines)


# ---- figures -----------------------------------------------------------------------------------------------
def plot_chain(data: dict, ax=None):
    """The true chain: states as nodes, edge width by probability; high edges solid, low edges dashed."""
    P = np.array(data["main"]["table"]["true_P"])
    L, M = P.shape[0] + 1, P.shape[1]
    ax = ax or plt.subplots(figsize=(6, 2.6))[1]
    for layer in range(L - 1):
        for s in range(M):
            for t in range(M):
                p = P[layer, s, t]
                ax.plot([layer, layer + 1], [-s, -t], color="0.3", lw=0.5 + 5 * p, ls="-" if p > 0.3 else "--",
                        zorder=1)
                x, y = layer + 0.28, -(s + 0.28 * (t - s))  # label near the edge's source, off the crossing
                ax.text(x, y + 0.06, f"{p:.2f}", ha="center", fontsize=7, color="0.2")
    paths = data["main"]["table"]
    easy1 = [int(x) for x in paths["paths_task1"][0].split(",")]
    for layer in range(L):
        for s in range(M):
            ax.scatter(layer, -s, s=300, color="white", edgecolor="black", zorder=2)
            ax.text(layer, -s, str(s), ha="center", va="center", zorder=3, fontsize=9)
    ax.plot(range(L), [-s for s in easy1], color=COLORS["rlvr"], lw=2, alpha=0.35, zorder=0, label="task 1 easy path")
    ax.set_xticks(range(L), [f"layer {i}" for i in range(L)])
    ax.set_yticks([])
    ax.set_title("the true chain (solid = high, dashed = low)")
    ax.set_ylim(-M + 0.6, 0.45)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=7, frameon=False)
    return ax.figure


def plot_pass_at_k(data: dict, methods=MAIN_METHODS, title: str = ""):
    """Three panels: task 1 pass@k (all instances), task 1 on hard instances, task 2 (forgetting)."""
    res = data["main"] if "main" in data else data
    k = np.array(res["k"])
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.6))  # wider, and the book's column would shrink its text
    for name in methods:
        m = res["methods"][name]
        _line(axes[0], k, m["task1"]["pass_at_k"], name)
        _line(axes[1], k, m["task1"]["pass_at_k_hard"], name)
        _line(axes[2], k, m["task2"]["pass_at_k"], name)
    titles = ("task 1 (trained):\nall instances", "task 1: hard instances\n(set lacks the easy chain)",
              "task 2 (not trained):\nforgetting")
    for ax, t in zip(axes, titles):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("k")
        ax.set_title(t, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("exact pass@k")
    axes[0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_pass_at_k_zoom(data: dict, methods=MAIN_METHODS + ("orm", "prm")):
    """Task 1 pass@k for k >= 16, zoomed: where the base curve crosses above the post-trained ones."""
    res = data["main"]
    k = np.array(res["k"])
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name in methods:
        _line(ax, k[15:], res["methods"][name]["task1"]["pass_at_k"][15:], name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("exact pass@k, task 1")
    ax.set_title("large k, zoomed", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_training(data: dict, methods=("rlvr", "rejection", "kl")):
    """Over post-training steps: task 1's easy / hard / invalid mass and task 2's easy mass."""
    curves = data["main"]["curves"]
    keys = [("task 1/easy_mass", "task 1: easy-chain mass"), ("task 1/hard_mass", "task 1: other valid chains"),
            ("task 1/invalid_mass", "task 1: invalid mass"), ("task 2/easy_mass", "task 2: easy-chain mass")]
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 5.6))  # two by two: four in a row would be too small to read
    for ax, (key, title) in zip(axes.flat, keys):
        for name in methods:
            _line(ax, curves[name]["step"], curves[name][key], name)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("post-training step")
        ax.grid(alpha=0.3)
    axes[0, 1].set_yscale("log")
    axes[0, 0].legend()
    fig.tight_layout()
    return fig


def plot_estimator(data: dict):
    """The unbiased estimator from n samples per instance against the exact pass@k."""
    est = data["main"]["estimator"]
    k = np.array(est["k"])
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name in ("base", "rlvr"):
        ax.plot(k, est[name]["exact"], color=COLORS[name], label=f"{mk.METHOD_LABELS[name]}: exact")
        ax.errorbar(k, est[name]["mean"], yerr=2 * np.array(est[name]["se"]), fmt="o", ms=4, color=COLORS[name],
                    capsize=2, label=f"{mk.METHOD_LABELS[name]}: unbiased estimate ± 2 s.e.")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k, task 1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_grid(data: dict, task: str = "task1", methods=MAIN_METHODS + ("orm",)):
    """Small multiples over (eps_w rows, beta columns) from the committed grid: pass@k per method."""
    grid = data["grid"]
    k = np.array(grid["k"])
    rows, cols = grid["eps_w"], grid["beta"]
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(2.9 * len(cols), 2.3 * len(rows)), sharex=True,
                             sharey=True)
    for cell in grid["cells"]:
        ax = axes[rows.index(cell["eps_w"]), cols.index(cell["beta"])]
        for name in methods:
            _line(ax, k, cell[name][task], name, lw=1.2)
        ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.set_title(f"eps_w={cell['eps_w']}, beta={cell['beta']}", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("k")
    for ax in axes[:, 0]:
        ax.set_ylabel("pass@k")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(f"pass@k of {task.replace('task', 'task ').replace('_hard', ' (hard instances)')}; "
                 "beta only moves the KL curve", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)  # one legend, below the grid
    return fig


def plot_m_sweep(data: dict):
    """Rejection of easy instances as m (probe samples) grows: pass@1, pass@256, hard mass, task 2 pass@256."""
    sweep = data["m_sweep"]
    ms = [c["m"] for c in sweep]
    panels = [("pass@1, task 1", lambda c, n: c[n]["task1"][0]),
              ("pass@256, task 1 hard instances", lambda c, n: c[n]["task1_hard"][-1]),
              ("task 1 mass on other valid chains", lambda c, n: c[n]["hard_mass"]),
              ("pass@256, task 2", lambda c, n: c[n]["task2"][-1])]
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 5.4))  # two by two: four in a row would be too small to read
    for ax, (title, get) in zip(axes.flat, panels):
        for name in ("base", "rlvr", "rejection"):
            _line(ax, ms, [get(c, name) for c in sweep], name, marker="o", ms=3)
        ax.set_xscale("log")
        ax.set_xlabel("m (probe samples)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.tight_layout()
    return fig


# ---- widget panel ------------------------------------------------------------------------------------------
def widget_panel(cfg: mk.SimConfig):
    """Sliders for eps_w, beta, m, steps and the shared edge; each change reruns the exact sim (< 1 s)."""
    out = w.Output()
    controls = {
        "eps_w": w.FloatSlider(value=cfg.chain.eps_w, min=0.02, max=0.6, step=0.02, description="eps_w"),
        "beta": w.FloatLogSlider(value=cfg.post.beta, base=10, min=-2, max=1, step=0.1, description="beta"),
        "m": w.IntSlider(value=cfg.post.m, min=1, max=30, description="m"),
        "steps": w.IntSlider(value=cfg.post.steps, min=0, max=1000, step=25, description="steps"),
        "shared_edge": w.Checkbox(value=cfg.chain.shared_edge, description="shared edge"),
    }

    def redraw(_=None):
        v = {name: c.value for name, c in controls.items()}
        c = replace(cfg, chain=replace(cfg.chain, eps_w=v["eps_w"], shared_edge=v["shared_edge"]),
                    post=replace(cfg.post, beta=v["beta"], m=v["m"], steps=v["steps"]))
        res = mk.run_experiment(c, sampled_checks=False)
        with out:
            out.clear_output(wait=True)
            fig = plot_pass_at_k(res, methods=MAIN_METHODS + ("orm",),
                                 title=", ".join(f"{k}={val:.3g}" if isinstance(val, float) else f"{k}={val}"
                                                 for k, val in v.items()))
            display(fig)
            plt.close(fig)

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox(list(controls.values())[:3]), w.HBox(list(controls.values())[3:]), out])
