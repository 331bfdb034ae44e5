"""The two checks a book figure must pass (issue 26): text a reader can read at the book's column width, and no
line hidden under another; and the stamp that carries both to the rendered page for the browser check."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from reasonlab import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _style_and_close():
    plots.use_style()
    yield
    plt.close("all")


def test_the_style_keeps_legends_and_ticks_legible_at_the_column_width():
    """With the style's own sizes, a figure as wide as the column's natural size shows every text above the minimum,
    and the smallest size the style sets (the legend's) still reads in a figure 9 inches wide."""
    rc = matplotlib.rcParams
    assert rc["legend.fontsize"] >= 9 and rc["font.size"] >= 10
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot([1, 2], [1, 2], label="a run")
    ax.legend()
    ax.set(xlabel="op", ylabel="pass@k", title="a panel")
    assert plots.check_legible(fig) == []
    assert plots.text_px_in_column(fig) >= plots.MIN_TEXT_PX


def test_small_text_in_a_wide_figure_is_caught():
    """A 15-inch figure with an 8-point legend (Fig 11 before issue 26) is drawn at about 6 px in the column."""
    fig, ax = plt.subplots(figsize=(15, 3.6))
    ax.plot([1, 2], [1, 2], label="a run")
    ax.legend(fontsize=8)
    px = plots.text_px_in_column(fig)
    assert px < 7 and plots.smallest_text_pt(fig) == 8
    assert any("below" in p for p in plots.check_legible(fig))
    # the same text in a figure that fits the column is shown at its own size: 8 pt at 110 dpi
    small = plt.figure(figsize=(4, 3))
    small.add_subplot().legend(handles=[matplotlib.lines.Line2D([], [], label="a run")], fontsize=8)
    assert plots.text_px_in_column(small) == pytest.approx(8 / 72 * small.dpi)


def test_two_lines_with_the_same_data_hide_one_unless_their_styles_differ():
    """Two runs identical for their shared steps (the edge arm under its 3x-steps follow-up): a solid line drawn over
    every point of another hides it; drawn dotted, the one under it shows."""
    steps = np.arange(60)
    reward = np.sin(steps / 5)
    fig, ax = plt.subplots()
    ax.plot(steps[:20], reward[:20], label="edge")
    ax.plot(steps, reward, label="edge, 3x steps")
    assert plots.hidden_lines(fig) == ["'edge' under 'edge, 3x steps' (a panel)"]

    fig, ax = plt.subplots()
    ax.plot(steps[:20], reward[:20], label="edge")
    ax.plot(steps, reward, label="edge, 3x steps", linestyle=":")
    assert plots.hidden_lines(fig) == []

    # the same data in one panel drawn by the chapter's own Fig 11 code get distinct styles
    from reasonlab.chapters.rl_capability import plot_rl_log

    logs = {arm: {"rl": [{"step": int(s), "reward_mean": float(r)} for s, r in zip(steps[:n], reward[:n])]}
            for arm, n in (("rl-op10-13", 20), ("rl-op10-13-3x-steps", 60))}
    fig, ax = plt.subplots()
    plot_rl_log(ax, logs, list(logs), roles={"rl-op10-13": "edge", "rl-op10-13-3x-steps": "edge, 3x steps"})
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.get_lines()}
    assert styles["rl-op10-13"] != styles["rl-op10-13-3x-steps"] and plots.hidden_lines(fig) == []
    assert all(float(t).is_integer() for t in ax.get_xticks())  # GRPO steps are whole numbers


def test_lines_that_coincide_are_named_under_their_panel():
    fig, ax = plt.subplots(figsize=(5, 3))
    for name in ("0% base", "0% after RL", "1% base"):
        ax.plot([2, 3, 4], [0, 0, 0], label=name)
    ax.plot([2, 3, 4], [0.5, 0, 0], label="10% base")
    ax.plot([2, 3, 4, 5], [0.5, 0, 0, 0], label="10% after RL")
    ax.plot([2, 3], [0.5, 0], label="short", linestyle="--")  # dashed on top: it hides nothing, and shows
    ax.set_xlabel("op")
    assert len(plots.hidden_lines(fig)) == 3
    note = plots.note_hidden(ax)
    assert plots.hidden_lines(fig) == []
    flat = " ".join(note.split())
    assert "0% base, 0% after RL, 1% base" in flat and "10% after RL repeats 10% base" in flat
    assert ax.get_xlabel().startswith("op\n")  # under the x label, so it covers no data
    assert plots.note_hidden(plt.subplots()[1]) == ""  # nothing hidden, nothing said


def test_unlabelled_lines_are_not_series():
    """Error-bar caps of a zero-width interval lie on each other; they are not series a reader tells apart."""
    fig, ax = plt.subplots()
    ax.errorbar([0, 1], [0.0, 0.0], yerr=[[0, 0], [0, 0]], fmt="o", capsize=2, label="arm")
    assert plots.hidden_lines(fig) == []


def test_notebook_and_picker_pngs_carry_the_stamp():
    from reasonlab.widgets import figure_png

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="a")
    ax.plot([0, 1], [0, 1], label="b")
    ax.legend(fontsize=9)
    stamp = plots.figure_stamp(fig, 100)
    assert float(stamp[plots.STAMP_TEXT]) == pytest.approx(9 / 72 * 100, abs=0.01)
    assert stamp[plots.STAMP_HIDDEN] == "'a' under 'b' (a panel)"
    info = Image.open(io.BytesIO(figure_png(fig, dpi=96))).info
    assert float(info[plots.STAMP_TEXT]) == pytest.approx(9 / 72 * 96, abs=0.01) and "'a' under 'b'" in info[
        plots.STAMP_HIDDEN]


def test_missing_cells_show_a_dash_never_nan():
    t = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    shown = plots.no_value(t)
    assert shown.loc[1, "a"] == plots.NO_VALUE == shown.loc[1, "b"] and shown.loc[0, "a"] == 1.0
    assert "NaN" not in shown.to_html() and "None" not in shown.to_html()


def test_the_browser_check_reads_the_stamp(tmp_path):
    """.ci/browser_check.py scales the stamped size by how wide the page draws the image."""
    import importlib.util

    from reasonlab.provenance import REPO_ROOT

    spec = importlib.util.spec_from_file_location("browser_check", REPO_ROOT / ".ci" / "browser_check.py")
    bc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bc)
    fig, ax = plt.subplots(figsize=(15, 3))
    ax.plot([0, 1], [0, 1], label="a")
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata=plots.figure_stamp(fig, 110, tight=False))
    (tmp_path / "f.png").write_bytes(buf.getvalue())
    assert bc.png_text(buf.getvalue())[plots.STAMP_TEXT] == f"{8 / 72 * 110:.2f}"
    natural = Image.open(io.BytesIO(buf.getvalue())).width
    wide = [{"src": "f.png", "natural": natural, "shown": natural}]
    narrow = [{"src": "f.png", "natural": natural, "shown": 688}]
    assert bc.figure_problems(wide, "http://x/f.html", tmp_path, 1280) == []
    assert "below" in bc.figure_problems(narrow, "http://x/f.html", tmp_path, 1280)[0]
    (tmp_path / "g.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert "no legibility stamp" in bc.figure_problems([{"src": "g.png", "natural": 10, "shown": 10}],
                                                      "http://x/f.html", tmp_path, 1280)[0]
