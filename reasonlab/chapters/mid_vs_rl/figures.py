"""The S5 chapter's figures: Fig 6 (pass@k against the RL share beta), Fig 18 (one line per A.10 budget; shown with
the provenance of every result it reads) and Fig 3's panels for one arm beside the base."""

from __future__ import annotations

from ...experiments.scales import BANDS
from ...plots import PALETTE, caption, save_figure
from ...results import estimate, rl_controls
from ..rl_capability import plot_fig3
from .data import MidRL, budget_views
from .verdicts import budgets_waiting

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests) does
# not need it.


def fig6(ch: MidRL, bands=("edge", "hard"), arms: list[str] | None = None):
    """The paper's Fig 6 for our arms (or those of `arms`): verified pass@1 and pass@k_max (95% CI) against the RL
    share beta, the base as a dashed line, outcome pass@k hollow and the blind guesser's outcome pass@k dotted."""
    import matplotlib.pyplot as plt

    arms = ch.arms if arms is None else arms
    guess = rl_controls({}, ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    betas = [ch.beta_of[a] for a in arms]
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            v = [ch.value(a, band, k) for a in arms]
            o = [estimate(ch.table, a, band, "outcome_pass@k", k).value for a in arms]
            ax.errorbar(betas, [e.value for e in v], yerr=[[e.value - e.lo for e in v], [e.hi - e.value for e in v]],
                        fmt="o-", capsize=3, color=PALETTE[0], label="verified")
            ax.plot(betas, o, "o--", mfc="none", color=PALETTE[0], label="outcome")
            ax.axhline(ch.value("base", band, k).value, color="black", linestyle="--", linewidth=1,
                       label="base (verified)")
            g = guess[guess.band == band][f"outcome pass@{k}"]
            if len(g):
                ax.axhline(float(g.iloc[0]), color="grey", linestyle=":", label="blind guess (outcome)")
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
        row[0].set_ylabel("pass@k")
    return _beta_axes_finished(fig, axes)


def fig18(ch: MidRL, bands=("edge", "hard")):
    """The paper's Fig 18 for our budgets: verified pass@1 and pass@k_max (95% CI) against the RL share beta, one line
    per budget (A.10), each budget's arms from its own mid-training run; the base dashed. None where A.10 has not run."""
    import matplotlib.pyplot as plt

    views = {m: v for m, v in budget_views(ch).items() if v.arms}
    if not views:
        return None
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            for i, (m, v) in enumerate(views.items()):
                e = [v.value(a, band, k) for a in v.arms]
                ax.errorbar([v.beta_of[a] for a in v.arms], [x.value for x in e],
                            yerr=[[x.value - x.lo for x in e], [x.hi - x.value for x in e]], fmt="o-", capsize=3,
                            color=PALETTE[i], label=f"budget {m:g}x T")
            ax.axhline(next(iter(views.values())).value("base", band, k).value, color="black", linestyle="--",
                       linewidth=1, label="base")
            ax.set(title=f"{band}: pass@{k}")
        # Each row its own scale: on a 0-1 axis the hard band's few verified successes (pass@64 ~0.07) are invisible.
        top = max(ax.get_ylim()[1] for ax in row)
        for ax in row:
            ax.set_ylim(-0.02 * top, min(1.02, top))
        row[0].set_ylabel("verified pass@k")
    return _beta_axes_finished(fig, axes)


def _beta_axes_finished(fig, axes):
    """Fig 6 and Fig 18 end alike: the RL share beta on the bottom row's x axes, one legend below the panels."""
    for ax in axes[-1]:
        ax.set_xlabel("beta: RL share of the budget (0 = all mid-training)")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names), fontsize=9)
    return fig


def show_fig18(ch: MidRL, name: str) -> None:
    """Fig 18 saved as `name`, shown with the provenance of every result it reads; A.10's waiting list where some
    budget has not run."""
    from IPython.display import Markdown, display
    import matplotlib.pyplot as plt

    display(Markdown(budgets_waiting(ch)))
    fig = fig18(ch)
    if fig is not None:
        save_figure(fig, name)
        plt.show()
        sources = {id(v.runs): v.runs for v in budget_views(ch).values()}.values()
        display(Markdown("\n\n".join(caption(r.manifest) for r in sources)))


def fig_arm(ch: MidRL, arm: str):
    """Fig 3's panels for one arm beside the base (dashed): verified pass@k per band."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    plot_fig3(axes[0], ch.table, ["base", arm], BANDS, {arm: arm, "base": "base (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig
