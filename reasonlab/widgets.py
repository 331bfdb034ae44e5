"""Chapter controls: a live ipywidgets panel in a kernel, a static picker in the executed book.

The book is executed headless (papermill, `live=False`): there a live control would look live and do nothing.
So a chapter shows either
  - `live_only`: the live panel in a kernel, and in the book a note saying what it does and how to open the
    chapter live (`make lab`); or
  - `live_or_static`: the live panel in a kernel, and in the book a `static_picker` over the chapter's grid of
    committed runs, which works in the built HTML without a kernel and without JavaScript (radio inputs and
    CSS `:checked` rules; the figures are PNGs inlined in the page).
Beside them, on every chapter that reports pass@k, `reasonlab.k_control` redraws pass@k for any k a reader picks,
in the page itself (a slider and a few lines of JavaScript over the committed per-problem counts), with or without a
kernel.
Headless runs never create Output widgets, whose capture has hung nbclient intermittently (lab notes,
2026-12-02).
"""

from __future__ import annotations

import base64
import html
import io
import uuid
from typing import Callable, Mapping

from PIL import Image, PngImagePlugin

from .plots import figure_stamp

# IPython, ipywidgets and matplotlib.pyplot load inside the functions that use them: every chapter imports this
# module, and reading a chapter's numbers (the scoreboard, the tests) needs none of them.

# Marks a static picker in the built HTML; its value is the number of options. The browser check
# (.ci/browser_check.py) selects every option of every element carrying it and checks that its figure shows.
PICKER_ATTR = "data-reasonlab-picker"
PICKER_DPI = 96  # pixels per inch of the inlined PNGs: readable at the book's column width, small pages
PICKER_COLORS = 64  # palette size of the inlined PNGs (plots are flat colours; a palette PNG is ~3x smaller)


def live_only(build: Callable, live: bool, what: str, *args, **kwargs):
    """`build(*args, **kwargs)` (a widget panel) in a live kernel; in the executed book a note saying what it does."""
    if live:
        return build(*args, **kwargs)
    from IPython.display import Markdown

    return Markdown(f"*A live control, shown only when the chapter runs in a kernel:* {what} "
                    f"Open the notebook live with `make lab` to use it.")


def run_panel(title: str, control, tooltip: str, run: Callable[[object], None]):
    """Live kernel only: a point outside the chapter's grid. `control` (an ipywidgets control) chooses it; a button
    calls `run(control.value)`, which trains and evaluates it, and whose progress bars and figure show in the
    panel's output."""
    import ipywidgets as widgets

    button = widgets.Button(description="Train and evaluate it", tooltip=tooltip)
    out = widgets.Output()

    def clicked(_):
        with out:
            out.clear_output()
            run(control.value)

    button.on_click(clicked)
    return widgets.VBox([widgets.HTML(f"<b>A point outside the grid</b>: {_esc(title)}"),
                         widgets.HBox([control, button]), out])


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def live_or_static(live: bool, build_live: Callable, build_static: Callable, *args, **kwargs):
    """`build_live(*args, **kwargs)` (an ipywidgets panel) in a live kernel; in the executed book
    `build_static(*args, **kwargs)` (a `static_picker` over the committed runs, which works without a kernel).
    Only the one shown is built."""
    return (build_live if live else build_static)(*args, **kwargs)


def figure_png(fig, dpi: int = PICKER_DPI, colors: int = PICKER_COLORS, tight: bool = False) -> bytes:
    """`fig` as a small PNG: rendered at `dpi`, reduced to a `colors`-colour palette (no dithering), optimised, and
    stamped like the notebook's figures (reasonlab.plots.figure_stamp). tight=False keeps the figure's own size, so
    that figures made alike give images of one size."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None, facecolor="white")
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if colors:
        img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    stamp = PngImagePlugin.PngInfo()  # what the browser check reads: the smallest text, hidden lines
    for key, value in figure_stamp(fig, dpi, tight).items():
        stamp.add_text(key, value)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True, pnginfo=stamp)
    return out.getvalue()


def static_picker(figures: Mapping[str, object], label: str, selected: str | None = None, *,
                  dpi: int = PICKER_DPI, colors: int = PICKER_COLORS, tight: bool = False, close: bool = True):
    """A control that picks one of `figures` ({option label: matplotlib Figure}) and shows it, in static HTML.

    Each figure is inlined as a base64 PNG (`figure_png`); one radio input per option (drawn as a row of toggle
    buttons: its label; the keyboard moves between them as between radio buttons), and CSS rules scoped to this
    picker's own id show the figure of the checked option and hide the others: no script, no kernel, no remote
    request. Ids carry a random prefix, so several pickers on one page do not clash. Without CSS every
    figure shows, one under the other. `selected` is the option shown first (default: the first). The figures
    are closed after rendering (close=True), so that the inline backend does not show them again.
    Returns an IPython HTML object; its `.data` is the HTML.
    """
    from IPython.display import HTML

    if not figures:
        raise ValueError("static_picker needs at least one figure")
    names = list(figures)
    if selected is None:
        selected = names[0]
    if selected not in figures:
        raise ValueError(f"selected {selected!r} is not one of the options {names}")
    uid = f"rlp-{uuid.uuid4().hex[:12]}"
    pngs = []
    for name in names:
        pngs.append(base64.b64encode(figure_png(figures[name], dpi, colors, tight)).decode("ascii"))
        if close:
            import matplotlib.pyplot as plt

            plt.close(figures[name])
    rules = "\n".join(f"#{uid}-o{i}:checked ~ .rlp-views > #{uid}-v{i} {{ display: block; }}"
                      for i in range(len(names)))
    style = f"""<style>
#{uid} {{ position: relative; margin: 0.5em 0 1em; }}
#{uid} > .rlp-label {{ display: block; font-weight: 600; margin-bottom: 0.3em; }}
#{uid} > input {{ position: absolute; left: 0; top: 0; width: 1px; height: 1px; margin: 0; opacity: 0; }}
#{uid} > label {{ display: inline-block; margin: 0 0.35em 0.35em 0; padding: 0.15em 0.7em; cursor: pointer;
  border: 1px solid #8a8a8a; border-radius: 0.3em; background: #fff; color: #222; }}
#{uid} > label:hover {{ border-color: #0072B2; }}
#{uid} > input:checked + label {{ background: #0072B2; border-color: #0072B2; color: #fff; }}
#{uid} > input:focus-visible + label {{ outline: 2px solid #E69F00; outline-offset: 2px; }}
#{uid} > .rlp-views > .rlp-view {{ display: none; margin: 0.4em 0 0; }}
{rules}
#{uid} .rlp-view img {{ max-width: 100%; height: auto; display: block; }}
#{uid} .rlp-view figcaption {{ font-size: 0.85em; color: #555; }}
</style>"""
    inputs, views = [], []
    for i, (name, png) in enumerate(zip(names, pngs)):
        checked = " checked" if name == selected else ""
        inputs.append(f'<input type="radio" name="{uid}" id="{uid}-o{i}" value="{i}"{checked}>'
                      f'<label for="{uid}-o{i}">{_esc(name)}</label>')
        views.append(f'<figure class="rlp-view" id="{uid}-v{i}" data-option="{_esc(name)}">'
                     f'<img src="data:image/png;base64,{png}" alt="{_esc(label)}: {_esc(name)}">'
                     f'<figcaption>{_esc(label)}: {_esc(name)}</figcaption></figure>')
    body = (f'<div class="reasonlab-picker" id="{uid}" {PICKER_ATTR}="{len(names)}" role="group" '
            f'aria-labelledby="{uid}-label">{style}'
            f'<span class="rlp-label" id="{uid}-label">{_esc(label)}</span>'
            + "".join(inputs) + '<div class="rlp-views">' + "".join(views) + "</div></div>")
    return HTML(body)
