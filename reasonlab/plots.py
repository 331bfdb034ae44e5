"""Shared figure helpers: one style, figure files, provenance captions, pass@k curves.

Chapter-specific plots live in their chapter's module; this file stays small.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import matplotlib
import matplotlib.ticker
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


def use_style() -> None:
    """Apply the book's matplotlib style (idempotent)."""
    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


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
