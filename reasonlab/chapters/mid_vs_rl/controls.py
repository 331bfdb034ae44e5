"""The S5 chapter's controls: the static book's picker (a budget and an RL share) and k control, and for a live kernel
the widget (Fig 6 over the arms you select) and the panel that trains an RL share the grid does not have."""

from __future__ import annotations

import pandas as pd

from ...experiments.runner import run_point
from ...k_control import columns, guess_answers, pass_at_k_control
from ...widgets import run_panel, static_picker
from ..rl_capability import show_new_point
from .data import RECIPE, MidRL, budget_views
from .figures import fig6, fig_arm


def picker(ch: MidRL):
    """The static book's control: pick a budget and an RL share beta to see that arm's verified pass@k per band beside
    the base. Works in the built HTML without a kernel; it chooses among committed runs (A.10's budgets where run)."""
    views = budget_views(ch) or {1.0: ch}
    return static_picker({f"budget {m:g}x T, beta {v.beta_of[a]:g} ({a})": fig_arm(v, a)
                          for m, v in views.items() for a in v.arms},
                         "budget and RL share (verified pass@k of that arm and the base, dashed)")


def k_control(ch: MidRL):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of the base and each arm, and the blind
    guesser's, at any k a reader picks, computed in the page from the committed per-problem counts."""
    cols = columns(ch.bands)
    records = {m: ch.runs.records(m) for m in ["base", *ch.arms]}
    return pass_at_k_control(records, cols, "pass@k of the base and each RL share per band, at k",
                             guess_answers(ch.recipe.evaluation.problem_sets(ch.recipe.scale), cols))


# What the live panel costs at the laptop scale, from the committed arms' own times (lab notes, session 12): the
# mid-training replay up to the checkpoint is the long part.
LIVE_RUN_TIME = ("the shared mid-training run replayed to (1 - beta) T (about 26 min for the whole run at two "
                 "threads on a CPU with native bf16, ~45 min in fp32 on an AVX2-only one), GRPO for beta T (about "
                 "10-16 s a step), then the evaluation (about 5 min)")


def new_point(ch: MidRL, beta: float, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """An RL share outside the grid, trained now: the shared mid-training run's checkpoint at (1 - beta) T (replayed
    from the run's start when the run has passed that step), then GRPO on the edge band for beta T, evaluated on the
    chapter's problems (paired with the base). Cached, never committed. Its tidy table."""
    arm = f"beta-{beta:g}"
    _, table = run_point(RECIPE, ch.recipe.scale.name, arm, {**dict(ch.recipe.params), "betas": (beta,)}, seed,
                         progress)
    return table.assign(model=arm + " (new: computed now, not committed)")


def widget(ch: MidRL):
    """Live kernel only: Fig 6 over the arms you select, and a panel that trains an RL share the grid does not have."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    pick = widgets.SelectMultiple(options=ch.arms, value=tuple(ch.arms), description="arms")
    out = widgets.interactive_output(lambda arms: (fig6(ch, arms=list(arms)), plt.show()), {"arms": pick})

    def run(beta):
        show_new_point(ch.table, new_point(ch, beta))

    beta = widgets.FloatSlider(value=0.35, min=0.05, max=0.95, step=0.05, description="RL share beta")
    panel = run_panel("another split of the budget, now", beta, LIVE_RUN_TIME, run)
    return widgets.VBox([pick, out, panel])
