"""The exposure chapter's figures: per-op pass@k of a base and its RL arm (Fig 4, Fig 12-13), every share at once
(Fig 4), the training reward (Fig 17, Fig 14) and A.6's changes by the B share of the RL data (Fig 12-14)."""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd

from ...plots import PALETTE, note_hidden
from ...results import Result, k_max, reward_series, select
from .core import A, A6, B, LETTER, TEMPLATES, a6_pairs, pct
from .data import Exposure, a6_deltas

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests)
# does not need it, and it takes most of a second to import.


def per_op(result: Result, model: str, template: str, k: int) -> pd.DataFrame:
    """A model's verified pass@k rows per op on one template, in op order, with the op as a column."""
    rows = select(result.table, model, group="op", k=k)
    rows = rows[rows.key.str.startswith(f"{template}:")]
    return rows.assign(op=rows.key.str.split(":").str[1].astype(int)).sort_values("op")


def plot_per_op(ax, result: Result, models: dict[str, str], template: str, k: int) -> None:
    """Verified pass@k per op on one template, with 95% intervals, for {model: label}; a base is dashed."""
    for m, label in models.items():
        rows = per_op(result, m, template, k)
        if not len(rows):
            continue
        style = {"linestyle": "--", "color": "black"} if "base" in m else {}
        ax.plot(rows.op, rows.value, marker="o", markersize=3, label=label, **style)
        ax.fill_between(rows.op, rows.lo, rows.hi, alpha=0.15, color=style.get("color"))
    ax.set(xlabel="op", ylabel=f"pass@{k} (verified)", ylim=(-0.02, 1.02), title=f"{TEMPLATES[template]}")


def fig_pair(result: Result, base: str, model: str | None, title: str):
    """One base (dashed) and the model RL made of it, per op on B and on A, pass@1 and pass@k_max: Fig 4 for one
    exposure share, or Fig 12-13 for one B share of the RL data."""
    import matplotlib.pyplot as plt

    km = k_max(result.table)
    models = {base: "base (dashed)", **({model: "after RL"} if model else {})}
    # two by two: four panels in a row would shrink their text past reading at the book's column width
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2), sharey=True, layout="constrained")
    for ax, (t, k) in zip(axes.flat, [(B, 1), (B, km), (A, 1), (A, km)]):
        plot_per_op(ax, result, models, t, k)
        ax.set_title(f"{TEMPLATES[t]}, pass@{k}")
        note_hidden(ax)  # where the base and the RL arm coincide (both at 0, say), the panel says so
    for ax in axes[:, 1]:
        ax.set_ylabel("")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2)
    fig.suptitle(title)
    return fig


def fig_share(ch: Exposure, label: str):
    """Fig 4 for one base of `Exposure.shown` ("10%", "10% A held") and its RL arm."""
    lo = ch.recipe.scale.context_ops[0]
    return fig_pair(ch.runs, *ch.shown[label], f"B share of pre-training {label} (B at op {lo} only)")


def fig4(ch: Exposure):
    """The paper's Fig 4: B pass@k_max per op after RL (solid) and before (dashed), one colour per share."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True, layout="constrained")
    for ax, t in zip(axes, (B, A)):
        for i, (s, (base, rl)) in enumerate(ch.shown.items()):
            colour = PALETTE[i % len(PALETTE)]
            for m, style, label in ((base, "--", f"{s} base"), (rl, "-", f"{s} after RL")):
                if m is None:
                    continue
                rows = per_op(ch.runs, m, t, ch.k_max)
                ax.plot(rows.op, rows.value, linestyle=style, color=colour, marker="o", markersize=3, label=label)
        ax.set(xlabel="op", ylabel=f"pass@{ch.k_max} (verified)", ylim=(-0.02, 1.02), title=TEMPLATES[t])
        note_hidden(ax)  # lines at the same values everywhere (many sit at 0 on B) are named under the panel
    axes[1].set_ylabel("")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(3, len(names)))
    return fig


def plot_reward(ax, rows: list[dict], colour, label: str, context: str | None = None) -> None:
    """One RL arm's mean reward per GRPO step (of one context's prompts alone with `context`), skipping steps that
    did not log it."""
    points = [(r["step"], v) for r in rows for v in reward_series([r], context)]
    ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", color=colour, label=label)


def fig_rewards(ch: Exposure):
    """The paper's Fig 17 (A.8): training reward per GRPO step, one line per exposure share; beside it the reward
    of the B prompts alone, for the runs that logged it (the paper shows the mixed batch's only)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True, layout="constrained")
    missing = []
    for i, (s, (_, rl)) in enumerate(ch.shown.items()):
        rows = ch.runs.logs(rl, "rl") if rl else []
        colour = PALETTE[i % len(PALETTE)]
        if rows:
            plot_reward(axes[0], rows, colour, s)
        if reward_series(rows, B):
            plot_reward(axes[1], rows, colour, s, B)
        elif rows:
            missing.append(s)
    axes[0].set(xlabel="GRPO step", ylabel="mean reward", ylim=(-0.02, 1.02), title="all prompts (50% A, 50% B)")
    # what the panel lacks is said under it, in its x label, where it cannot cover a curve
    axes[1].set(xlabel="GRPO step" + ("\nnot logged by the run" + ("s" if len(missing) > 1 else "") + " at "
                                      + ", ".join(missing) + " (logged from session 5 on)" if missing else ""),
                title="B prompts alone")
    for ax in axes:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # steps are whole numbers
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, title="B share", loc="outside right center")
    return fig


def fig_a6_rewards(ch: Exposure):
    """The paper's Fig 14 for each committed A.6 result: training reward per GRPO step, one line per B share of the
    RL data (the batch's mean: A and B prompts in that share). None when no A.6 result is committed."""
    import matplotlib.pyplot as plt

    rids = [r for r in A6 if r in ch.a6]
    if not rids:
        return None
    fig, axes = plt.subplots(1, len(rids), figsize=(3.9 * len(rids) + 1.1, 3.6), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, rid in zip(axes[0], rids):
        for i, (s, (_, arm)) in enumerate(sorted(a6_pairs(ch.a6[rid]).items())):
            plot_reward(ax, ch.a6[rid].logs(arm, "rl"), PALETTE[i % len(PALETTE)], pct(s))
        ax.set(xlabel="GRPO step", ylabel="mean reward", ylim=(-0.02, 1.02), title=rid)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # steps are whole numbers
    handles, names = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, title="B share of\nRL data", loc="outside right center")
    return fig


def fig_a6(ch: Exposure):
    """The paper's Fig 12-14 for the committed A.6 results: B and A pass@k_max change (RL minus base) per half,
    by the B share of the RL data, with paired 95% intervals. None when no A.6 result is committed."""
    import matplotlib.pyplot as plt

    rids = [r for r in A6 if r in ch.a6]
    if not rids:
        return None
    fig, axes = plt.subplots(1, len(rids), figsize=(4.6 * len(rids), 3.6), squeeze=False, layout="constrained")
    for ax, rid in zip(axes[0], rids):
        dt, km = a6_deltas(ch, rid), k_max(ch.a6[rid].table)
        d = dt[dt.k == km]
        labels = [pct(s) for s in d.rl_share.unique()]
        for j, (t, band) in enumerate([(B, "low"), (B, "high"), (A, "low"), (A, "high")]):
            r = d[(d.template == t) & (d.band == band)]
            x = np.arange(len(r)) + (j - 1.5) * 0.18
            ax.errorbar(x, r.delta, yerr=[r.delta - r.lo, r.hi - r.delta], fmt="o", capsize=2,
                        label=f"{LETTER[t]} {band}")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(np.arange(len(labels)), labels)
        ax.set(xlabel="B share of the RL data", ylabel=f"pass@{km} change vs base", title=rid)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=4)
    return fig
