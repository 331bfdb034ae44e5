"""Shared figure helpers: one style, figure files, provenance captions, pass@k curves, and the two checks a
figure must pass to be read in the book: its text is legible at the book's column width, and no line hides
another. Also the one rule for a table cell without a number (`no_value`).

Chapter-specific plots live in their chapter's module; this file stays small.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib
import matplotlib.text
import matplotlib.ticker
import numpy as np
from cycler import cycler

from reasonlab.provenance import REPO_ROOT, provenance_line

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
}
# Colour-blind safe palette (Okabe-Ito), in a fixed order so a recipe keeps its colour across chapters.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


# A figure in the book is scaled down to the text column when it is wider, and its text with it. The column is
# 688 CSS px wide at a desktop width (measured in Chromium at 1280 px; 736 px at 768 px, 790 px at 1920 px).
COLUMN_PX = 688
MIN_TEXT_PX = 9.0  # the smallest text a reader can read in a figure, in CSS px, once the figure fits the column
# PNG text chunks that carry the two checks to the rendered page, where .ci/browser_check.py reads them.
STAMP_TEXT = "reasonlab:smallest-text-px"  # the smallest text of the figure, in pixels of this PNG
STAMP_HIDDEN = "reasonlab:hidden-lines"  # lines drawn exactly under another one ("; "-separated), or ""


def use_style() -> None:
    """Apply the book's matplotlib style (idempotent). In a notebook, also make the figures it shows carry the
    stamp of their legibility (`figure_stamp`), so the browser check can read it off the rendered page."""
    _stamp_inline_figures()
    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def _stamp_inline_figures() -> None:
    """In an IPython kernel with the inline backend: show figures as PNGs stamped by `figure_stamp`. The backend
    is loaded first, because loading it later (at the first figure) would replace this PNG printer with its own."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or "inline" not in str(matplotlib.rcParams._get("backend")):
        return
    import matplotlib_inline.backend_inline  # noqa: F401 - sets up the inline backend now
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    def png(fig):
        return print_figure(fig, "png", bbox_inches="tight", base64=True,
                            metadata=figure_stamp(fig, fig.dpi, tight=True))

    ip.display_formatter.formatters["image/png"].for_type(Figure, png)


# ---------------------------------------------------------------------------------- legibility checks
def _texts(fig) -> list[matplotlib.text.Text]:
    """Every text a reader sees in `fig`: titles, labels, tick labels, legends, annotations (visible, not empty)."""
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def smallest_text_pt(fig) -> float:
    """The font size, in points, of the smallest text in `fig` (inf when it has none)."""
    fig.canvas.draw()  # tick labels exist once the figure is drawn
    return min((t.get_fontsize() for t in _texts(fig)), default=float("inf"))


def shown_width_in(fig, tight: bool = True) -> float:
    """The width in inches of `fig` as saved: its tight bounding box (as the notebook shows it) or its own size."""
    if not tight:
        return float(fig.get_figwidth())
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    return float(bbox.width) + 2 * matplotlib.rcParams["savefig.pad_inches"]


def text_px_in_column(fig, dpi: float | None = None, tight: bool = True, column_px: int = COLUMN_PX) -> float:
    """The smallest text of `fig` in CSS px as the book shows it: drawn at `dpi` (the figure's own by default),
    then scaled down to the column if the image is wider. A figure made wider shrinks its text on the page."""
    dpi = dpi or fig.dpi
    scale = min(1.0, column_px / (shown_width_in(fig, tight) * dpi))
    return smallest_text_pt(fig) / 72 * dpi * scale


SAID = "reasonlab-hidden-said"  # gid of a line whose panel says, in words, which line it lies under (note_hidden)


def _hidden_pairs(ax) -> list[tuple]:
    """(line, the line drawn over it) for each labelled line of one panel that a reader cannot see: another line is
    drawn over every point of it with a solid line (or, for markers only, the same marker), e.g. two runs that are
    identical for their shared steps. A dashed or dotted line on top lets the one under it show, so it hides nothing.
    Lines without a label (error-bar caps, guides) are not series a reader tells apart; they are left out."""
    lines = [ln for ln in ax.get_lines() if ln.get_visible() and not str(ln.get_label()).startswith("_")]
    lines.sort(key=lambda ln: ln.get_zorder())  # the order they are drawn in (a stable sort keeps equal zorders')
    points = [_points(ln) for ln in lines]
    pairs = []
    for i, low in enumerate(lines):
        top = next((lines[j] for j in range(i + 1, len(lines))
                    if points[i] and points[i] <= points[j] and _covers(lines[j], low)), None)
        if top is not None:
            pairs.append((low, top))
    return pairs


def hidden_lines(fig) -> list[str]:
    """The lines of `fig` that lie under another where no note says so ("'label' under 'label' (panel)")."""
    return [f"{low.get_label()!r} under {top.get_label()!r} ({ax.get_title() or 'a panel'})"
            for ax in fig.axes for low, top in _hidden_pairs(ax) if low.get_gid() != SAID]


def note_hidden(ax, chars_per_inch: float = 13.0) -> str:
    """Say under the panel (in its x label, so the note never covers data) which of its lines lie under another:
    lines with the same values everywhere, and a line that another repeats point for point. Returns the note ("" when
    every line shows); the lines it names no longer count as hidden (hidden_lines)."""
    pairs = _hidden_pairs(ax)
    if not pairs:
        return ""
    same, under = {}, []  # {the points: the lines that have exactly them}, ["b repeats a ..."]
    for low, top in pairs:
        low.set_gid(SAID)
        if _points(low) == _points(top):
            group = same.setdefault(frozenset(_points(low)), [])
            group += [ln for ln in (low, top) if ln not in group]
        else:
            under.append(f"{top.get_label()} repeats {low.get_label()} where both have points")
    parts = [", ".join(str(ln.get_label()) for ln in group) for group in same.values()]
    width = max(30, int(ax.get_position().width * ax.figure.get_figwidth() * chars_per_inch))
    note = textwrap.fill("; ".join((["Lines on top of each other (the same values): " + "; ".join(parts)] if parts
                                    else []) + under) + ".", width)
    ax.set_xlabel((ax.get_xlabel() + "\n" if ax.get_xlabel() else "") + note)
    return note


def _points(line) -> set:
    xy = np.asarray(line.get_xydata(), dtype=float)
    return {(round(x, 9), round(y, 9)) for x, y in xy[np.isfinite(xy).all(axis=1)]}


def _covers(top, low) -> bool:
    """Does `top`, drawn over `low` at the same points, hide it?"""
    if top.get_linestyle() in ("-", "solid") and low.get_linestyle() not in ("None", "", " ", "none"):
        return low.get_marker() in (None, "None", "", " ", "none", top.get_marker())
    same_marker = low.get_marker() == top.get_marker() not in (None, "None", "", " ", "none")
    return same_marker and top.get_markersize() >= low.get_markersize()


def figure_stamp(fig, dpi: float, tight: bool = True) -> dict[str, str]:
    """The PNG text chunks of `fig` saved at `dpi`: its smallest text in pixels of that PNG, and the lines it
    hides. The browser check scales the first by how wide the page draws the image."""
    return {STAMP_TEXT: f"{smallest_text_pt(fig) / 72 * dpi:.2f}", STAMP_HIDDEN: "; ".join(hidden_lines(fig))}


def check_legible(fig, dpi: float | None = None, tight: bool = True) -> list[str]:
    """What a reader could not read in `fig` as the book shows it: text below MIN_TEXT_PX, hidden lines."""
    problems = [f"hidden line: {h}" for h in hidden_lines(fig)]
    px = text_px_in_column(fig, dpi, tight)
    if px < MIN_TEXT_PX:
        problems.append(f"smallest text {px:.1f} px at the column width ({COLUMN_PX} px), below {MIN_TEXT_PX:g} px; "
                        f"the figure is {shown_width_in(fig, tight):.1f} in wide as shown")
    return problems


def figures_dir() -> Path:
    """Where figure files go: $REASONLAB_FIGURES if set, else `_build/figures/` in the repository."""
    env = os.environ.get("REASONLAB_FIGURES")
    return Path(env) if env else REPO_ROOT / "_build" / "figures"


def save_figure(fig, name: str) -> Path:
    """Write `fig` as `<figures_dir>/<name>.png` and return the path (the notebook still displays it)."""
    stem = Path(name).stem if name.endswith(".png") else name
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ValueError(f"figure name must be a plain file stem, got {name!r}")
    path = figures_dir() / f"{stem}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


NO_VALUE = "—"  # what a table cell shows where there is no number; the page says why (never "NaN")


def no_value(table):
    """`table` (a DataFrame) with every missing cell shown as NO_VALUE, for display: a reader does not read "NaN"
    (the browser check fails a page that shows one)."""
    return table.astype(object).where(table.notna(), NO_VALUE)


def caption(manifest: dict) -> str:
    """Provenance text for under a figure (recipe, scale, config hash, commit, device, wall time)."""
    return provenance_line(manifest)


def plot_pass_at_k(ax, ks: Sequence[int], values: Sequence[float], lo: Sequence[float] | None = None,
                   hi: Sequence[float] | None = None, label: str | None = None, **line_kw):
    """pass@k against k on a log2 axis, with a shaded confidence band between `lo` and `hi`."""
    (line,) = ax.plot(ks, values, marker="o", markersize=3, label=label, **line_kw)
    if lo is not None and hi is not None:
        ax.fill_between(ks, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(ks), [str(k) for k in ks])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k")
    ax.set_ylim(-0.02, 1.02)
    return line
