"""The A.7 chapter's figures: Fig 15 (pass@k against the hard share), the bases' ladders, Fig 16 (the training
reward per GRPO step) and Fig 3's panels for one hard share."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import MaxNLocator

from ...experiments.scales import BANDS
from ...plots import PALETTE, note_hidden
from ..rl_capability import plot_fig3
from .data import BASE, PretrainDifficulty, pct
from .rules import RISE_STEPS

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests) does not
# need it.


def _share_axis(ax, ch: PretrainDifficulty) -> None:
    """A log-scaled x axis over the recipe's hard shares, each one a tick (shares not yet run included)."""
    ax.set_xscale("log")
    ax.set_xticks(ch.shares, [pct(h) for h in ch.shares])
    ax.minorticks_off()
    ax.set_xlim(ch.shares[0] / 1.8, ch.shares[-1] * 1.8)


def fig15(ch: PretrainDifficulty, bands=("edge", "hard"), models: list[str] | None = None):
    """The paper's Fig 15 for our runs (or those of `models`): verified pass@1 and pass@k_max (95% CI) against the hard
    share of pre-training, the bases dashed with hollow markers, the RL arms solid, one line per RL seed (a rerun's
    line has a point only where that arm ran with that seed)."""
    import matplotlib.pyplot as plt

    models = ch.bases + ch.rl_arms if models is None else models
    lines = [(ch.bases, "base (pre-training only)", ch, {"fmt": "o--", "mfc": "none", "color": PALETTE[0]})]
    for n, view in ch.by_seed().items():
        arms = [a for a in ch.rl_arms if n == 0 or a in ch.reruns[n].models]
        label = "after RL on the edge band" + (f" (RL seed {n})" if ch.reruns else "")
        lines.append((arms, label, view, {"fmt": "s-" if n == 0 else "D:", "color": PALETTE[(3 + n) % len(PALETTE)]}))
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            tops = []
            for names, label, view, style in lines:
                names = [a for a in names if a in models]
                if names:
                    e = [view.value(a, band, k) for a in names]
                    tops += [x.hi for x in e]
                    ax.errorbar([ch.share_of[a] for a in names], [x.value for x in e],
                                yerr=[[x.value - x.lo for x in e], [x.hi - x.value for x in e]], capsize=3,
                                label=label, **style)
            if tops and max(tops) == 0:  # the lines lie on the axis, one over the other: say so
                ax.text(0.5, 0.5, "every model: 0\n(no verified solution)", transform=ax.transAxes, ha="center",
                        va="center")
            _share_axis(ax, ch)
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
            note_hidden(ax)
        row[0].set_ylabel("verified pass@k")
    for ax in axes[-1]:
        ax.set_xlabel("hard share of pre-training (log scale)" + ("\n" + ax.get_xlabel() if ax.get_xlabel() else ""))
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=max(1, len(names)), fontsize=9)
    return fig


def fig_ladders(ch: PretrainDifficulty):
    """The bases' own ladders side by side: verified pass@1 and pass@k_max per op, one line per base, the evaluation's
    bands shaded (None before any base has run)."""
    import matplotlib.pyplot as plt

    if not ch.bases:
        return None
    shades = {"in_dist": "#0072B2", "edge": "#E69F00", "hard": "#D55E00"}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True, layout="constrained")
    for ax, k in zip(axes, (1, ch.k_max)):
        for band in ch.bands:
            ax.axvspan(band.lo - 0.5, band.hi + 0.5, color=shades.get(band.label, "grey"), alpha=0.08, linewidth=0)
            ax.text((band.lo + band.hi) / 2, 1.04, band.label, ha="center", va="bottom")
        for base in ch.bases:
            rows = ch.table[(ch.table.model == base) & (ch.table.group == "op") & (ch.table.metric == "pass@k")
                            & (ch.table.k == k)]
            rows = rows.assign(op=rows.key.astype(int)).sort_values("op")
            ax.errorbar(rows.op, rows.value, yerr=[rows.value - rows.lo, rows.hi - rows.value], fmt="o-", ms=3,
                        capsize=2, color=PALETTE[ch.shares.index(ch.share_of[base]) % len(PALETTE)],
                        label=f"{pct(ch.share_of[base])} hard ({base})")
        ax.set(xlabel="op", title=f"verified pass@{k} per op", ylim=(-0.02, 1.12))
        note_hidden(ax)
    axes[0].set_ylabel("verified pass@k")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(3, len(names)), fontsize=9)
    return fig


SMOOTH = 5  # steps in the running mean of the reward curves (one step is a noisy batch)


def fig16(ch: PretrainDifficulty):
    """The paper's Fig 16 for our RL arms: the training reward per GRPO step (thin: per step; thick: a 5-step mean),
    the first and last RISE_STEPS steps (what claim 3 reads) shaded; None when no RL arm has run."""
    import matplotlib.pyplot as plt

    logs = {(label, arm): sorted((r for r in view.runs.logs(arm, "rl") if r.get("reward_mean") is not None),
                                 key=lambda r: r["step"]) for label, arm, view in ch.seed_rows(ch.rl_arms)}
    logs = {key: rows for key, rows in logs.items() if rows}
    if not logs:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    last = max(r["step"] for rows in logs.values() for r in rows)
    ax.axvspan(0.5, RISE_STEPS + 0.5, color="grey", alpha=0.1, linewidth=0)
    ax.axvspan(last - RISE_STEPS + 0.5, last + 0.5, color="grey", alpha=0.1, linewidth=0)
    seen: set[str] = set()  # an arm's later RL seeds are dashed, in its colour
    for (label, arm), rows in logs.items():
        colour, style = PALETTE[ch.shares.index(ch.share_of[arm]) % len(PALETTE)], "--" if arm in seen else "-"
        seen.add(arm)
        steps, values = [r["step"] for r in rows], pd.Series([r["reward_mean"] for r in rows])
        ax.plot(steps, values, color=colour, linewidth=0.6, alpha=0.45, linestyle=style)
        ax.plot(steps, values.rolling(SMOOTH, min_periods=1).mean(), color=colour, linewidth=2, linestyle=style,
                label=f"{pct(ch.share_of[arm])} hard: {label}")
    ax.set(xlabel="GRPO step (shaded: the first and last 5 steps the rise compares)", ylabel="training reward",
           ylim=(-0.02, 1.02))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
    note_hidden(ax)
    ax.legend(loc="upper left", fontsize=9, title=f"thin: per step; thick: {SMOOTH}-step mean", title_fontsize=9)
    return fig


def fig_share(ch: PretrainDifficulty, share: float):
    """Fig 3's panels for one hard share: the base's verified pass@k per band (dashed) and, where run, its RL arms (the
    paper's setting, then the calibrated recipe)."""
    import matplotlib.pyplot as plt

    base, cal = ch.named(share, BASE), ch.calibrated()
    arms = [a for view in (ch, cal) if view for a in [view.rl_arm(share)] if a in view.rl_arms]  # paper's, calibrated
    table = ch.table.assign(model=ch.table.model.replace({base: "base"}))  # plot_fig3 draws "base" dashed
    models = ["base"] + arms
    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    plot_fig3(axes[0], table, models, BANDS, {a: a for a in arms} | {"base": f"{base} (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig
