"""The S6 chapter's figures: Fig 7 (verified and outcome pass@k per model, the blind guesser beside them), the GRPO
dynamics per step, and Fig 3's panels for one arm beside the base."""

from __future__ import annotations

import pandas as pd

from ...experiments.scales import BANDS
from ...plots import PALETTE
from ...results import rl_controls
from ..rl_capability import plot_fig3
from .data import S6

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests) does not
# need it, and it takes most of a second to import.


def _colour(ch: S6, model: str) -> str:
    return "black" if model == "base" else PALETTE[ch.arms.index(model) % len(PALETTE)]


def fig7(ch: S6, arms: list[str] | None = None, bands=("edge", "hard")):
    """The paper's Fig 7 for our arms (or some): verified pass@1 and pass@k_max (filled, 95% CI) and outcome pass@k
    (hollow) per model, one panel per (band, k), with the blind guesser's outcome pass@k as a dotted line."""
    import matplotlib.pyplot as plt

    models = ["base", *(ch.arms if arms is None else arms)]
    guess = rl_controls({}, ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.2 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")  # 9 in: legible (>= 9 px text) at the page's column width
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            for i, m in enumerate(models):
                v, o = ch.value(m, band, "pass@k", k), ch.value(m, band, "outcome_pass@k", k)
                ax.errorbar([i], [v.value], yerr=[[v.value - v.lo], [v.hi - v.value]], fmt="o", capsize=3,
                            color=_colour(ch, m), label="verified" if i == 0 else None)
                ax.plot([i], [o.value], "o", mfc="none", color=_colour(ch, m), label="outcome" if i == 0 else None)
            g = guess[guess.band == band][f"outcome pass@{k}"]
            if len(g):
                ax.axhline(float(g.iloc[0]), color="grey", linestyle=":", label="blind guess (outcome)")
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
            ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
    axes[0][0].legend(fontsize=9, loc="upper left")
    return fig


SMOOTH = 5  # steps in the running mean of the dynamics curves (one step is a noisy 32-prompt batch)


def fig_dynamics(ch: S6, arms: list[str] | None = None):
    """Per GRPO step: the training reward (the paper's reward curves), the share of rollouts that verify, and the
    share of right answers reached through wrong steps (what each reward pays for)."""
    import matplotlib.pyplot as plt

    arms = ch.arms if arms is None else arms
    panels = (("reward_mean", "training reward"), ("verified_mean", "rollouts that verify"),
              ("hacked_share", "right answers through wrong steps"))
    fig, grid = plt.subplots(2, 2, figsize=(9, 6.2), sharex=True, layout="constrained")  # the 4th cell: legend
    axes, legend_ax = grid.flat[:3], grid.flat[3]
    for ax, (key, title) in zip(axes, panels):
        for arm in arms:
            rows = [r for r in ch.step_log(arm) if r.get(key) is not None]
            if rows:
                steps, values = [r["step"] for r in rows], pd.Series([r[key] for r in rows])
                ax.plot(steps, values, color=_colour(ch, arm), linewidth=0.6, alpha=0.45)
                ax.plot(steps, values.rolling(SMOOTH, min_periods=1).mean(), color=_colour(ch, arm), linewidth=2,
                        label=arm)
        ax.set(xlabel="GRPO step", title=title, ylim=(-0.02, 1.02))
    handles, names = axes[0].get_legend_handles_labels()
    legend_ax.axis("off")
    legend_ax.legend(handles, names, loc="center", fontsize=9, title=f"arm (thin: per step; thick: {SMOOTH}-step mean)",
                     title_fontsize=9)
    return fig


def fig_arm(ch: S6, arm: str):
    """Fig 3's panels for one arm beside the base (dashed): verified pass@k per band."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    for ax in axes[0]:
        ax.set_prop_cycle(color=[_colour(ch, arm)])
    plot_fig3(axes[0], ch.table, ["base", arm], BANDS, {arm: arm, "base": "base (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig
