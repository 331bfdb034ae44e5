"""The exposure chapter's controls: the static book's pickers and k controls, and for a live kernel the widget and
the panel that trains a new A.6.2 point."""

from __future__ import annotations

import pandas as pd

from ...experiments.recipes import get_recipe
from ...experiments.runner import run_point
from ...k_control import columns, guess_answers, pass_at_k_control
from ...results import Result
from ...widgets import run_panel, static_picker
from .core import A, B, LETTER, RECIPE, a6_pairs, pct
from .data import Exposure
from .figures import fig_pair, fig_share, plot_per_op

# matplotlib.pyplot and ipywidgets load inside the widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


def picker(ch: Exposure):
    """The static book's control: pick a B share of pre-training (each one committed) to see its base and its RL
    arm per op, on B and on A."""
    figures = {label: fig_share(ch, label) for label in ch.shown}
    return static_picker(figures, "B share of pre-training (dashed: the base; solid: after RL)")


def a6_picker(ch: Exposure, rid: str):
    """The static book's control for A.6: pick a B share of the RL data to see that arm beside the base, per op."""
    result = ch.a6[rid]
    figures = {f"{pct(s)} B in RL": fig_pair(result, base, arm, f"{rid}: {pct(s)} of the RL prompts in context B")
               for s, (base, arm) in a6_pairs(result).items()}
    return static_picker(figures, f"{rid}: B share of the RL data (dashed: the base; solid: after RL)")


def k_control(ch: Exposure, rid: str | None = None):
    """The k control (reasonlab.k_control) of S4, or of the A.6 result `rid`: verified and outcome pass@k of every
    base and RL arm on each context's halves, and the blind guesser's, at any k a reader picks, computed in the page
    from the committed per-problem counts; it works in the built book without a kernel and in a live kernel alike."""
    result = ch.runs if rid is None else ch.a6[rid]
    recipe = get_recipe(rid, ch.recipe.scale.name) if rid else ch.recipe
    same = (recipe.evaluation, recipe.scale) == (ch.recipe.evaluation, ch.recipe.scale)
    sets = ch.problem_sets if same else recipe.evaluation.problem_sets(recipe.scale)
    cols = columns(ch.bands, {B: LETTER[B], A: LETTER[A]})
    return pass_at_k_control({m: result.records(m) for m in result.models}, cols,
                             f"{rid or RECIPE}: pass@k of each model per context and half, at k",
                             guess_answers(sets, cols))


def widget(ch: Exposure):
    """Live kernel only: pick several exposure shares and a k; redraws B's and A's pass@k per op for them."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    shares = widgets.SelectMultiple(options=[(pct(s), s) for s in ch.shares], value=tuple(ch.shares),
                                    description="B share")
    k = widgets.ToggleButtons(options=[1, ch.k_max], description="k")

    def draw(shares, k):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
        for s in shares:
            base, rl = ch.shares[s]
            for ax, t in zip(axes, (B, A)):
                plot_per_op(ax, ch.runs, {base: f"{pct(s)} base", **({rl: f"{pct(s)} RL"} if rl else {})}, t, k)
        axes[0].legend()
        plt.show()

    out = widgets.interactive_output(draw, {"shares": shares, "k": k})
    return widgets.VBox([widgets.HBox([shares, k]), out, new_point_panel(ch)])


NEW_POINT = " (new: computed now, not committed)"


def new_point(ch: Exposure, rl_b_share: float, progress: bool = True) -> Result:
    """A.6.2 at a B share of the RL data the grid does not have: GRPO from the 1% base, evaluated on the chapter's
    problems (paired with the base); trained and evaluated now (tens of minutes on a laptop CPU; cached, never
    committed). A result holding the base and the new arm, the arm labelled with NEW_POINT."""
    scale, arm = ch.recipe.scale.name, f"rl-B-{pct(rl_b_share)[:-1]}pct"
    params = {"rl_b_shares": (rl_b_share,)}
    base_records, base_table = run_point("A.6.2", scale, "base", params, ch.seed, progress)
    records, table = run_point("A.6.2", scale, arm, params, ch.seed, progress)
    new = arm + NEW_POINT
    return Result(f"A.6.2-{scale}:{new}", {}, {"records": {"base": base_records, new: records},
                                               "table": pd.concat([base_table, table.assign(model=new)])
                                               .to_dict(orient="records")})


def new_point_panel(ch: Exposure):
    """Live kernel only: choose a B share of the RL data, train and evaluate it from the 1% base (with progress
    bars), then its per-op pass@k beside the base."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def run(percent):
        result = new_point(ch, percent / 100)
        fig_pair(result, "base", result.models[-1], f"A.6.2 at {percent}% B in the RL data (computed now)")
        plt.show()

    share = widgets.IntSlider(value=25, min=0, max=100, step=1, description="% B in RL")
    return run_panel("another share of B in the RL data, now", share, "GRPO from the 1% base, then the "
                     "evaluation (minutes)", run)
