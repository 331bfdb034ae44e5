"""The S6 chapter's controls: the static book's picker and k control, and for a live kernel the widget and the panel
that trains a reward mix the grid does not have."""

from __future__ import annotations

import pandas as pd

from ...experiments.runner import run_point
from ...k_control import columns, guess_answers, pass_at_k_control
from ...verify import Reward
from ...widgets import run_panel, static_picker
from ..rl_capability import show_new_point
from .data import RECIPE, S6
from .figures import fig7, fig_arm

# matplotlib.pyplot and ipywidgets load inside the widget function: reading a chapter's numbers (the scoreboard, the
# tests) needs neither, and they take most of a second to import.


def picker(ch: S6):
    """The static book's control: pick a reward (one per committed arm) to see its verified pass@k per band beside
    the base. Works in the built HTML without a kernel; it chooses among committed runs."""
    return static_picker({f"{a} (reward {ch.reward_of[a]})": fig_arm(ch, a) for a in ch.arms},
                         "reward (verified pass@k of that arm and the base, dashed)")


def k_control(ch: S6):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of the base and each reward arm (RL
    seed 0), and the blind guesser's, at any k a reader picks, computed in the page from the committed per-problem
    counts; it works in the built book without a kernel and in a live kernel alike."""
    cols = columns(ch.bands)
    return pass_at_k_control(ch.records(), cols, "pass@k of the base and each reward arm per band, at k",
                             guess_answers(ch.recipe.evaluation.problem_sets(ch.recipe.scale), cols))


def new_point(ch: S6, alpha: float, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """GRPO on the edge band from the committed base with R = alpha R_out + (1 - alpha) R_pv, evaluated on the
    chapter's problems (paired with the base): a reward mix outside the grid, trained now (about half an hour on a
    laptop CPU; cached, never committed). Its tidy table."""
    arm = f"reward-{Reward.mixed(alpha).name}"
    _, table = run_point(RECIPE, ch.recipe.scale.name, arm,
                         {"alphas": (alpha,), "strict": False, "random_control": False}, seed, progress)
    return table.assign(model=arm + " (new: computed now, not committed)")


def widget(ch: S6):
    """Live kernel only: the picker's figures for several arms at once, and a panel that trains a reward mix the
    grid does not have."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    pick = widgets.SelectMultiple(options=ch.arms, value=tuple(ch.arms), description="arms")
    out = widgets.interactive_output(lambda arms: (fig7(ch, list(arms)), plt.show()), {"arms": pick})

    def run(alpha):
        show_new_point(ch.table, new_point(ch, alpha))

    alpha = widgets.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="outcome weight a")
    panel = run_panel("GRPO with another reward mix, now", alpha, "GRPO from the committed base with "
                      "a R_out + (1 - a) R_pv, then the evaluation (about half an hour on a laptop CPU)", run)
    return widgets.VBox([pick, out, panel])
