"""The S3 chapter's figures: Fig 3 (pass@k per eval band), the paired changes, Fig 10 and 11 (NLL change, GRPO
logs), one run beside the base, and the panel a live point is shown in."""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd

from ...experiments.scales import BANDS
from ...plots import PALETTE, note_hidden, plot_pass_at_k
from ...results import select
from .data import S3

# matplotlib.pyplot and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


# One look per role, so that arms whose curves coincide stay distinguishable (issue 13: a curve hid another).
ROLE_STYLE = {"in-dist": "-", "mixed": "-", "edge": "-", "hard": "-", "edge-filter": "-.",
              "edge, 3x steps": ":", "edge, process-aware reward": "--"}
STYLE_WORDS = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dotted"}


def show_new_point(committed: pd.DataFrame, new: pd.DataFrame) -> None:
    """A live panel's point, trained now (its tidy table), beside the committed base: Fig 3's panels, shown."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BANDS), figsize=(14, 3.8), sharey=True)
    plot_fig3(axes, pd.concat([committed, new]), ["base", new.model.iloc[0]])
    axes[0].legend(fontsize=9)
    plt.show()


def plot_fig3(axes, t: pd.DataFrame, models: list[str], bands=BANDS, labels: dict | None = None,
              roles: dict | None = None) -> None:
    """pass@k curves (95% CI) of each model, one panel per eval band: the paper's Fig 3. A panel whose every
    curve is zero says so in the panel rather than showing lines hidden on the axis."""
    # the base last: drawn on top, and its ks (it may have more samples than the arms) set the axis
    models = [m for m in models if m != "base"] + (["base"] if "base" in models else [])
    for ax, band in zip(axes, bands):
        curves = {m: select(t, m, key=band).sort_values("k") for m in models}
        curves = {m: rows for m, rows in curves.items() if len(rows)}
        if curves and all(float(rows.hi.max()) == 0.0 for rows in curves.values()):
            # every curve is 0, intervals too: drawn, they would lie on one line; draw one and say so
            shown = "base" if "base" in curves else next(iter(curves))
            curves = {shown: curves[shown]}
            ax.text(0.5, 0.5, "every model: 0 at every k\n(no verified solution)", transform=ax.transAxes,
                    ha="center", va="center")
        for m, rows in curves.items():
            style = ({"color": "black", "linestyle": "--", "zorder": 5} if m == "base"
                     else {"linestyle": ROLE_STYLE.get((roles or {}).get(m), "-")})
            plot_pass_at_k(ax, rows.k.astype(int).tolist(), rows.value, rows.lo, rows.hi,
                           label=(labels or {}).get(m, m), **style)
        note_hidden(ax)  # curves that coincide elsewhere (e.g. two arms at 1.0) are named under the panel
        ax.set_title(f"eval: {band}")


def fig3(ch: S3, models: list[str] | None = None, bands=BANDS):
    """The paper's Fig 3 for our arms: one panel per band, the legend below the panels."""
    import matplotlib.pyplot as plt

    models = ["base"] + (ch.arms if models is None else [m for m in models if m != "base"])
    fig, axes = plt.subplots(1, len(bands), figsize=(3.0 * len(bands), 3.4), sharey=True, squeeze=False,
                             layout="constrained")
    labels = {a: f"{a} ({ch.roles.get(a, '')})" for a in ch.arms} | {"base": "base (dashed)"}
    plot_fig3(axes[0], ch.table, models, bands, labels, ch.roles)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(2, len(names)))
    return fig


def fig_deltas(ch: S3):
    """Paired changes in pass@1 and pass@k_max per band, one marker per arm, with 95% intervals."""
    import matplotlib.pyplot as plt

    dt = ch.dt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True, layout="constrained")
    for ax, k in zip(axes, (1, ch.k_max)):
        d = dt[dt.k == k]
        for i, arm in enumerate(ch.arms):
            r = d[d.arm == arm]
            x = [j + (i - len(ch.arms) / 2) * 0.1 for j in range(len(r))]
            ax.errorbar(x, r.delta, yerr=[r.delta - r.lo, r.hi - r.delta], fmt="o", capsize=2, label=arm)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(BANDS)), BANDS)
        ax.set(title=f"change in pass@{k} vs base\n(paired 95% CI)", ylabel="change")
    axes[1].set_ylabel("")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3)
    return fig


def plot_nll_change(ax, t: pd.DataFrame, models: list[str], bands=BANDS) -> None:
    """Mean gold-solution NLL per token, RL model minus base, per eval band (the paper's Fig 10: below zero =
    the RL model finds the gold solutions more likely)."""
    nll = select(t, metric="nll").set_index(["model", "key"]).value
    width = 0.8 / max(1, len(models))
    for i, m in enumerate(models):
        vals = [nll.get((m, b), np.nan) - nll.get(("base", b), np.nan) for b in bands]
        ax.bar(np.arange(len(bands)) + i * width, vals, width, label=m)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(bands)) + width * (len(models) - 1) / 2, bands)
    ax.set(ylabel="RL minus base (nats/token)", title="gold-solution NLL change\n(< 0: more likely)")


def plot_rl_log(ax, logs: dict, models: list[str], key: str = "reward_mean", roles: dict | None = None) -> None:
    """A GRPO log column per step for each run: "reward_mean" (the paper's Fig 11) or "frac_zero_std"
    (the share of prompt groups whose rewards have no spread, so no gradient). Each run keeps its role's line style
    (ROLE_STYLE), so a follow-up that repeats the edge arm's first steps (same base, same RL seed) is drawn dotted
    over it and both show."""
    for m in models:
        rows = logs.get(m, {}).get("rl", [])
        if rows:
            ax.plot([r["step"] for r in rows], [r.get(key) for r in rows], label=m,
                    linestyle=ROLE_STYLE.get((roles or {}).get(m), "-"))
    labels = {"reward_mean": ("mean reward", "training reward"),
              "frac_zero_std": ("share of groups", "groups with zero\nreward variance")}
    ylabel, title = labels.get(key, (key, key))
    ax.set(xlabel="GRPO step", ylabel=ylabel, ylim=(-0.02, 1.02), title=title)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def fig_dynamics(ch: S3):
    """Fig 10 and Fig 11: gold-solution NLL change, training reward, groups without reward variance."""
    import matplotlib.pyplot as plt

    logs = ch.runs.data["training_logs"]
    fig, axes = plt.subplots(1, 3, figsize=(9.0, 3.3), layout="constrained")
    plot_nll_change(axes[0], ch.table, ch.arms)
    plot_rl_log(axes[1], logs, ch.arms, "reward_mean", ch.roles)
    plot_rl_log(axes[2], logs, ch.arms, "frac_zero_std", ch.roles)
    handles, names = axes[1].get_legend_handles_labels()  # lines: each run's colour and line style
    fig.legend(handles, names, loc="outside lower center", ncol=3)
    return fig


def fig_arm(ch: S3, arm: str, bands=BANDS):
    """Fig 3 for one RL run: the base (dashed) and that run, one panel per eval band; a fixed size, so that the
    figures of all runs line up in the picker. The run keeps its colour of Fig 3 (its place among the arms)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(bands), figsize=(2.9 * len(bands), 2.9), sharey=True, squeeze=False,
                             layout="constrained")
    colour = PALETTE[ch.arms.index(arm) % len(PALETTE)] if arm in ch.arms else PALETTE[0]
    for ax in axes[0]:
        ax.set_prop_cycle(color=[colour])
    labels = {arm: f"{arm} ({ch.roles.get(arm, '')})", "base": "base (dashed)"}
    plot_fig3(axes[0], ch.table, ["base", arm], bands, labels, ch.roles)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2)
    return fig
