"""The S3 chapter's controls: the static picker and the k control for the built book; the widget and the panel that
trains a new point for a live kernel."""

from __future__ import annotations

import pandas as pd

from ...experiments.runner import run_point
from ...experiments.scales import BANDS
from ...k_control import columns, guess_answers, pass_at_k_control
from ...widgets import run_panel, static_picker
from .data import RECIPE, S3
from .figures import fig_arm, plot_fig3, show_new_point

# matplotlib.pyplot and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


def picker(ch: S3):
    """The static book's control: pick one RL run (one per committed arm: the op ranges, and any follow-ups) to see
    Fig 3 for it beside the base. Works in the built HTML without a kernel; it chooses among committed runs."""
    figures = {f"{a} ({ch.roles.get(a, '')})": fig_arm(ch, a) for a in ch.arms}
    return static_picker(figures, "RL run (Fig 3: that run and the base, dashed)")


def k_control(ch: S3):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of the base and each RL arm (RL seed
    0), and the blind guesser's, at any k a reader picks, computed in the page from the committed per-problem counts;
    it works in the built book without a kernel and in a live kernel alike."""
    cols = columns(ch.bands)
    return pass_at_k_control(ch.records(), cols, "pass@k of the base and each RL arm per band, at k",
                             guess_answers(ch.recipe.evaluation.problem_sets(ch.recipe.scale), cols))


def widget(ch: S3):
    """Live kernel only: pick an eval band and several runs to overlay; redraws Fig 3's panel for them from the
    committed runs. The executed book shows `picker` (one run at a time, no kernel needed) instead."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    band = widgets.ToggleButtons(options=list(BANDS), description="eval band")
    pick = widgets.SelectMultiple(options=ch.arms, value=tuple(ch.arms), description="RL runs")

    def draw(band, runs):
        fig, ax = plt.subplots(figsize=(6, 3.8))
        plot_fig3([ax], ch.table, ["base"] + list(runs), bands=(band,), roles=ch.roles)
        ax.legend()
        plt.show()

    out = widgets.interactive_output(draw, {"band": band, "runs": pick})
    return widgets.VBox([widgets.HBox([band, pick]), out, new_point_panel(ch)])


NEW_POINT = " (new: computed now, not committed)"


def new_point(ch: S3, lo: int, hi: int, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """GRPO on op lo-hi from the committed base, evaluated on the chapter's problems (paired with the base): a point
    outside the grid, trained and evaluated now (tens of minutes on a laptop CPU; cached, never committed).
    Its tidy table, the model labelled with NEW_POINT."""
    arm = f"rl-op{lo}-{hi}"
    _, table = run_point(RECIPE, ch.recipe.scale.name, arm,
                         {"rl_bands": [(lo, hi)], "edge_filter": False, "follow_ups": False}, seed, progress)
    return table.assign(model=arm + NEW_POINT)


def new_point_panel(ch: S3):
    """Live kernel only: choose an op range the grid does not have, train and evaluate it (with progress bars),
    then Fig 3 for it beside the base."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    sc = ch.recipe.scale

    def run(ops):
        show_new_point(ch.table, new_point(ch, *ops))

    ops = widgets.IntRangeSlider(value=sc.edge, min=sc.in_dist[0], max=sc.hard[1], description="RL on ops")
    return run_panel("GRPO on another op range, now", ops, "GRPO from the committed base, then the evaluation "
                     "(minutes)", run)
