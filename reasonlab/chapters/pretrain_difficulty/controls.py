"""The A.7 chapter's controls: the static book's picker and k control, and for a live kernel the widget (Fig 15
over the models you select, and how to run a grid point yourself)."""

from __future__ import annotations

from ...k_control import columns, guess_answers, pass_at_k_control
from ...widgets import static_picker
from .data import BASE, RECIPE, PretrainDifficulty, pct
from .figures import fig15, fig_share
from .rules import RL_GATE

# IPython and ipywidgets (and matplotlib.pyplot) load inside the widget function: reading a chapter's numbers (the
# scoreboard, the tests) needs none of them.


def picker(ch: PretrainDifficulty):
    """The static book's control: pick a hard share to see its base's verified pass@k per band (dashed) and, where
    run, its RL arm's. Works in the built HTML without a kernel; it chooses among committed runs."""
    return static_picker({f"{pct(ch.share_of[b])} hard" + (f" + {ch.rl_arm(ch.share_of[b])}"
                                                           if ch.rl_arm(ch.share_of[b]) in ch.rl_arms else ""):
                          fig_share(ch, ch.share_of[b]) for b in ch.bases},
                         "hard share of pre-training (verified pass@k of its base, dashed, and its RL arm)")


def k_control(ch: PretrainDifficulty):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of every base and RL arm (both
    settings), and the blind guesser's, at any k a reader picks, computed in the page from the committed per-problem
    counts."""
    cols = columns(ch.bands)
    cal = ch.calibrated()
    records = ch.records_by_seed(ch.bases + ch.rl_arms + (cal.rl_arms if cal else []))
    return pass_at_k_control(records, cols, "pass@k of each base and RL arm per band, at k",
                             guess_answers(ch.problem_sets, cols))


# What a new grid point costs (lab notes, sessions 11 and 18): pre-training dominates. 36M tokens took 52 min at two
# threads in bf16 on a CPU with native bf16 (session 11) and 107 min in fp32 on an AVX2-only one (the 20% base,
# session 18); the S6 evaluation 6 min; an RL arm (20 GRPO steps) 7 min, then its evaluation.
LIVE_RUN_TIME = ("a base: about 50 min of pre-training at two threads on a 2-core CPU with native bf16 (about 110 min "
                 "on an AVX2-only one, in fp32), then about 6 min of evaluation; its RL arm: about 7 min of GRPO at "
                 "the scale's settings and another evaluation")


def run_command(ch: PretrainDifficulty, share: float) -> str:
    """The command that runs one share's base (and, once the gate allows it, its RL arm)."""
    return (f"python -m reasonlab run {RECIPE} --scale {ch.recipe.scale.name} --arm {ch.named(share, BASE)}"
            f"  # then, if its edge pass@k_max >= {RL_GATE:g}: --arm {ch.rl_arm(share)}")


def widget(ch: PretrainDifficulty):
    """Live kernel only: Fig 15 over the bases and RL arms you select, and how to run a grid point yourself (nothing
    here trains: a base costs over an hour)."""
    import html

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    arms = ch.bases + ch.rl_arms
    pick = widgets.SelectMultiple(options=arms, value=tuple(arms), description="models")
    out = widgets.interactive_output(lambda models: (fig15(ch, models=list(models)), plt.show()), {"models": pick})
    todo = [h for h in ch.shares if ch.named(h, BASE) not in ch.bases] or ch.shares
    note = widgets.HTML("<b>Run a grid point yourself</b> (in a terminal; it is cached and merged into the result): "
                        + "<br>".join(f"<code>{html.escape(run_command(ch, h))}</code>" for h in todo)
                        + f"<br>Cost: {html.escape(LIVE_RUN_TIME)}.")
    return widgets.VBox([pick, out, note])
