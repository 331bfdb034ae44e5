"""The ladder chapter's figures: pass@k per band (strict beside outcome-only, the blind guesser dotted), per
evaluation set, per op with the bands shaded, the pre-training loss, and the teacher-forced errors by token class."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...experiments.analyses import TOKEN_CLASSES
from ...experiments.scales import BANDS
from ...generator import LabelledBand
from ...plots import plot_pass_at_k
from ...results import Result, k_max, select
from .data import Ladder

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests) does not
# need it, and it takes most of a second to import.


def plot_bands(ax, t: pd.DataFrame, metric: str = "pass@k", guess: pd.DataFrame | None = None) -> None:
    """One metric per band with 95% intervals; `guess` (Ladder.guess) adds the blind guesser per band, dotted."""
    labelled = False
    for band in BANDS:
        rows = select(t, "base", key=band, metric=metric).sort_values("k")
        if not len(rows):
            continue
        line = plot_pass_at_k(ax, rows.k.astype(int).tolist(), rows.value, rows.lo, rows.hi, label=band)
        g = select(guess, "blind guess", "band", band, "guess_pass@k").sort_values("k") if guess is not None else ()
        if len(g):
            ax.plot(g.k.astype(int), g.value, ":", color=line.get_color(),
                    label=None if labelled else "blind guess (dotted, its band's colour)")
            labelled = True
    ax.set_title(f"{metric} per band\n(95% bootstrap CI over problems)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)  # below the panel: no curve under it


# The evaluation sets the picker offers: the bands, and (where the result has the unseen-shape test) the shapes
# pre-training saw beside the ones it never saw, on the same ops.
SET_NAMES = {"in_dist": "in-dist band", "edge": "edge band", "hard": "hard band", "seen": "seen shapes",
             "unseen": "unseen shapes"}


def plot_set(ax, t: pd.DataFrame, key: str, guess: pd.DataFrame | None = None) -> None:
    """One evaluation set: strict (process-verified) and outcome-only pass@k of the base on it, with 95% intervals;
    the gap between the two is right answers reached without a verified process. `guess` (Ladder.guess) adds the
    blind guesser's outcome pass@k on a band (the shape sets have none: their answers mix bands)."""
    for metric, label, style in (("pass@k", "strict (every step verified)", "-"),
                                 ("outcome_pass@k", "outcome-only (final answer right)", "--")):
        rows = select(t, "base", key=key, metric=metric).sort_values("k")
        plot_pass_at_k(ax, rows.k.astype(int).tolist(), rows.value, rows.lo, rows.hi, label=label, linestyle=style)
    g = select(guess, "blind guess", "band", key, "guess_pass@k") if guess is not None else ()
    if len(g):
        g = g.sort_values("k")
        plot_pass_at_k(ax, g.k.astype(int).tolist(), g.value, g.lo, g.hi, label="blind guess (outcome)",
                       linestyle=":", color="grey")
    ax.set_title(f"{SET_NAMES.get(key, key)}: strict and outcome-only pass@k")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)  # below the panel: no curve under it


def plot_per_op(ax, t: pd.DataFrame, bands: Sequence[LabelledBand] = (), guess: pd.DataFrame | None = None) -> None:
    """Verified pass@1 and pass@k_max per op, outcome-only pass@k_max beside them (the gap is right answers
    reached by wrong steps), mean process accuracy, and the bands shaded."""
    km = k_max(t)
    shades = {"in_dist": "#0072B2", "edge": "#E69F00", "hard": "#D55E00"}
    for label, lo, hi in bands:
        ax.axvspan(lo - 0.5, hi + 0.5, color=shades.get(label, "grey"), alpha=0.08, linewidth=0)
        ax.text((lo + hi) / 2, 1.04, label, ha="center", va="bottom", color=shades.get(label, "grey"))
    by_op = lambda d: d.assign(op=lambda x: x.key.astype(int)).sort_values("op")  # noqa: E731
    for k, style in ((1, "o-"), (km, "s--")):
        rows = by_op(select(t, "base", group="op", k=k))
        ax.errorbar(rows.op, rows.value, yerr=[rows.value - rows.lo, rows.hi - rows.value], fmt=style, ms=3,
                    capsize=2, label=f"pass@{k} (verified)")
    out = by_op(select(t, "base", group="op", metric="outcome_pass@k", k=km))
    if len(out):
        ax.plot(out.op, out.value, "x:", ms=4, color="grey", label=f"outcome-only pass@{km} (answer right)")
    g = by_op(select(guess, "blind guess", "op", None, "guess_pass@k", km)) if guess is not None else ()
    if len(g):
        ax.plot(g.op, g.value, "+", ms=5, color="black", label=f"blind guess pass@{km} (outcome)")
    pa = by_op(select(t, "base", group="op", metric="process_acc"))
    ax.plot(pa.op, pa.value, "^:", ms=3, label="mean process accuracy")
    ax.set(xlabel="op", ylabel="score", ylim=(-0.02, 1.1), title="per op")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)  # below the panel: no curve under it


def plot_loss(ax, result: Result) -> None:
    log = result.logs("base", "pretrain")
    if log:
        ax.plot([r["tokens"] / 1e6 for r in log], [r["loss"] for r in log])
    ax.set(xlabel="training tokens (M)", ylabel="next-token loss", title="pre-training loss", yscale="log")


def fig_bands(ch: Ladder):
    """Strict (process-verified) pass@k per band beside outcome-only pass@k."""
    import matplotlib.pyplot as plt

    t = ch.table
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True, layout="constrained")
    plot_bands(axes[0], t, "pass@k")
    plot_bands(axes[1], t, "outcome_pass@k", ch.guess)
    return fig


def fig_per_op(ch: Ladder):
    """Verified pass@k per op with the bands shaded, beside the pre-training loss."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.4, 4.2), layout="constrained", width_ratios=(1.5, 1))
    plot_per_op(axes[0], ch.table, ch.recipe.evaluation.bands, ch.guess)
    plot_loss(axes[1], ch.result)
    return fig


def fig_token_classes(tokens: Result, recipe):
    """Teacher-forced errors of the base model by token class and op, the in-distribution band shaded."""
    import matplotlib.pyplot as plt

    sc = recipe.scale
    tok_t = pd.DataFrame(tokens.data["rows"])
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.axvspan(sc.in_dist[0] - 0.5, sc.in_dist[1] + 0.5, color="0.9", label="in-distribution band")
    for cls in TOKEN_CLASSES:
        d = tok_t[tok_t["class"] == cls]
        ax.plot(d.op, d.share_below_half, marker="o", ms=3, label=cls)
    ax.set(xlabel="op", ylabel="share of gold tokens with p < 0.5", ylim=(0, None),
           title="teacher-forced errors of the base model by token class")
    ax.legend(loc="upper left")
    return fig
