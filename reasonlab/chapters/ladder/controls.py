"""The ladder chapter's controls: the static book's picker (one evaluation set at a time) and k control, and for a
live kernel the widget."""

from __future__ import annotations

from ...k_control import columns, guess_answers, pass_at_k_control
from ...results import select
from ...widgets import static_picker
from .data import Ladder
from .figures import SET_NAMES, plot_set

# matplotlib.pyplot and ipywidgets load inside the picker and widget functions: reading a chapter's numbers (the
# scoreboard, the tests) needs neither, and they take most of a second to import.


def picker_sets(ch: Ladder) -> list[str]:
    """The evaluation sets of the result, in SET_NAMES order (the bands; seen and unseen shapes where tested)."""
    keys = set(select(ch.table, "base", metric="pass@k").key)
    return [key for key in SET_NAMES if key in keys]


def picker(ch: Ladder):
    """The static book's control: one evaluation set at a time (each band; the seen and the unseen shapes), strict
    beside outcome-only pass@k on it, from the committed result; works in the built HTML without a kernel. The
    figures above draw each metric over every band; this one puts the two metrics of one set side by side. One
    figure per set, of one size, so that they line up."""
    import matplotlib.pyplot as plt

    figures = {}
    for key in picker_sets(ch):
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        plot_set(ax, ch.table, key, ch.guess)
        figures[SET_NAMES[key]] = fig
    return static_picker(figures, "evaluation set (solid: strict pass@k; dashed: outcome-only)")


def k_control(ch: Ladder):
    """The k control (reasonlab.k_control): the base's verified and outcome pass@k per band, and the blind guesser's,
    at any k a reader picks, computed in the page from the committed per-problem counts; it works in the built book
    without a kernel and in a live kernel alike."""
    cols = columns(ch.recipe.evaluation.bands)
    return pass_at_k_control({"base": ch.result.records("base")}, cols, "pass@k of the base model per band, at k",
                             guess_answers(ch.problem_sets, cols))


def widget(ch: Ladder):
    """Live kernel only: strict beside outcome-only pass@k on one evaluation set, re-plotted from the committed
    result. The executed book shows `picker` (the same choice, no kernel needed) instead."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    which = widgets.ToggleButtons(options=[(SET_NAMES[k], k) for k in picker_sets(ch)], description="set")

    def draw(key):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        plot_set(ax, ch.table, key, ch.guess)
        plt.show()

    return widgets.VBox([which, widgets.interactive_output(draw, {"key": which})])
