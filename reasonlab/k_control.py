"""A k control for the static book: pass@k redrawn in the page, for any k a reader picks, without a kernel.

The chapters quote pass@k at one or two k (1 and k_max). This control moves k over 1..n in the built HTML. The cell
embeds, per model and column (an op band, of one context or of all), how many problems had each count (n samples,
c correct), verified and by outcome, and a few lines of JavaScript compute the unbiased estimator for the k picked,
exactly as reasonlab.evaluate.pass_at_k does: 1 - prod_{i=n-c+1}^{n} (1 - k/i) (a product, no binomial, so nothing
overflows at n = 128), averaged over the column's problems; and the blind guesser's outcome pass@k as
evaluate.guess_pass_at_k does: 1 - (1 - q)^k, q each problem's leave-one-out share of its column's gold answers.
Problems with the same count are stored once with their number, which keeps the page small and the mean exact.

Without JavaScript the table shows the starting k (computed here, in Python) and the slider stays disabled: never a
control that looks live and does nothing. The browser check (.ci/browser_check.py) moves every control's slider
with the mouse and compares each cell with `values` (Python, evaluate.pass_at_k) at the k it landed on.
"""

from __future__ import annotations

import html
import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .evaluate import UNSEEN, band_answers, pass_at_k
from .generator import LabelledBand

# IPython loads inside pass_at_k_control: the browser check and the tests read `values` without it.

# Marks a k control in the built HTML; its value is the largest k it offers. The browser check selects every element
# carrying it, moves its slider and checks the cells against `values`.
K_CONTROL_ATTR = "data-reasonlab-kcontrol"
COUNTS = ("verified", "outcome")  # what a sample must get right (results.COUNTS): every step, or the answer alone
NO_VALUE = "—"  # a cell without a number: the guesser writes no steps; a model without problems in a column
DIGITS = 3
GUESS_NOTE = (" The blind guesser never reads the question: it draws each answer from the column's other gold answers, "
              "and it writes no steps, so it has no verified pass@k.")


@dataclass(frozen=True)
class Column:
    """One column of the control's table: the problems on ops lo..hi (the unseen-shape test left out, as in the
    chapters' band rows), of one template (context) or, with template None, of every template."""

    label: str
    lo: int
    hi: int
    template: str | None = None

    def holds(self, record: dict) -> bool:
        return (self.lo <= record["op"] <= self.hi and record.get("set") != UNSEEN
                and (self.template is None or record["template"] == self.template))


def columns(bands: Sequence[LabelledBand], templates: Mapping[str, str] | None = None) -> list[Column]:
    """One column per band ("edge (op 10-13)"), or per template and band, {template: its short name} in order
    ("B high (op 11-20)")."""
    if templates is None:
        return [Column(f"{b.label} (op {b.lo}-{b.hi})", b.lo, b.hi) for b in bands]
    return [Column(f"{name} {b.label} (op {b.lo}-{b.hi})", b.lo, b.hi, t)
            for t, name in templates.items() for b in bands]


def guess_answers(problem_sets: Mapping, cols: Sequence[Column]) -> dict[str, list[int]]:
    """Each column's gold answers on the evaluation's own problems ({label: problems}, the unseen-shape sets left out,
    evaluate.band_answers): the answer prior the blind guesser draws from."""
    out = {}
    for col in cols:
        sets = {key: [p for p in probs if col.template is None or p.template == col.template]
                for key, probs in problem_sets.items()}
        out[col.label] = band_answers(sets, col.lo, col.hi)
    return out


def _histogram(pairs) -> list[list[int]]:
    """[[a, b, how many], ...] of (a, b) pairs, sorted: one entry per distinct pair."""
    return [[a, b, m] for (a, b), m in sorted(Counter(pairs).items())]


def payload(records: Mapping[str, Sequence[dict]], cols: Sequence[Column],
            answers: Mapping[str, Sequence[int]] | None = None, k: int | None = None) -> dict:
    """What the page embeds: {"models", "columns", "counts", "guess", "k_max", "k"}.

    counts[model][column] is {"verified": [[n, c, problems], ...], "outcome": [...]} (None where the model has no
    problem in the column); guess[column] is [[N - 1, m - 1, problems], ...] where the column's N gold answers
    (`answers`, {label: answers}) hold each problem's answer m times (None without `answers`, or with fewer than two:
    no leave-one-out prior). k_max is the fewest samples of any problem (every k up to it is defined for every
    model); k, the k shown first, defaults to k_max."""
    if not records or not cols:
        raise ValueError("the k control needs at least one model and one column")
    counts = []
    for model, recs in records.items():
        row = []
        for col in cols:
            rs = [r for r in recs if col.holds(r)]
            row.append({what: _histogram((int(r["n"]), int(r[what])) for r in rs) for what in COUNTS} if rs else None)
        counts.append(row)
    ns = [n for row in counts for cell in row if cell for n, _, _ in cell["verified"]]
    if not ns:
        raise ValueError(f"no record of {list(records)} falls in any column {[c.label for c in cols]}")
    k_max = min(ns)
    guess = []
    for col in cols:
        got = list((answers or {}).get(col.label, ()))
        seen = Counter(got)
        guess.append(_histogram((len(got) - 1, seen[a] - 1) for a in got) if len(got) >= 2 else None)
    k = k_max if k is None else k
    if not 1 <= k <= k_max:
        raise ValueError(f"k must be in 1..{k_max} (the fewest samples of any problem), got {k}")
    return {"models": list(records), "columns": [c.label for c in cols], "counts": counts, "guess": guess,
            "k_max": k_max, "k": k}


def _mean(hist, f) -> float | None:
    """The mean of f over problems, from their histogram [[a, b, problems], ...]; None for no problem. Summed in the
    histogram's order, as the page's script sums."""
    if not hist:
        return None
    total = sum(m * f(a, b) for a, b, m in hist)
    return total / sum(m for _, _, m in hist)


def values(data: dict, k: int) -> dict:
    """What the page shows at k: {"verified": [[pass@k per column] per model], "outcome": [...], "guess": [outcome
    pass@k of the blind guesser per column]}, None where there is no number. The page's script computes the same
    (PASS_AT_K_JS); the browser check compares the two."""
    out = {what: [[_mean(cell[what], lambda n, c: pass_at_k(n, c, k)) if cell else None for cell in row]
                  for row in data["counts"]] for what in COUNTS}
    # evaluate.guess_pass_at_k: 1 - (1 - q)^k with q = (m - 1) / (N - 1)
    out["guess"] = [_mean(hist, lambda den, num: 1.0 - (1.0 - num / den) ** k) for hist in data["guess"]]
    return out


# The page's computation, the same as `values` (pure: the tests run it with node). No global name: it runs inside
# each control's own function scope, so two controls on a page never clash.
PASS_AT_K_JS = r"""
  function passAtK(n, c, k) {  // evaluate.pass_at_k: 1 - C(n-c, k) / C(n, k), as a product
    if (n - c < k) return 1;
    var p = 1;
    for (var i = n - c + 1; i <= n; i++) p *= 1 - k / i;
    return 1 - p;
  }
  function mean(hist, f) {  // [[a, b, problems], ...] -> mean of f(a, b) over problems, or null
    if (!hist || !hist.length) return null;
    var total = 0, m = 0;
    for (var j = 0; j < hist.length; j++) { total += hist[j][2] * f(hist[j][0], hist[j][1]); m += hist[j][2]; }
    return total / m;
  }
  function values(data, k) {
    var out = {guess: data.guess.map(function (h) {  // evaluate.guess_pass_at_k: 1 - (1 - q)^k
      return mean(h, function (den, num) { return 1 - Math.pow(1 - num / den, k); });
    })};
    ["verified", "outcome"].forEach(function (what) {
      out[what] = data.counts.map(function (row) {
        return row.map(function (cell) {
          return cell ? mean(cell[what], function (n, c) { return passAtK(n, c, k); }) : null;
        });
      });
    });
    return out;
  }
"""

# The control: enable the slider, and on every move write each cell (data-k-cell="what model column") and its bar.
DRAW_JS = r"""
  var root = document.getElementById(%(uid)s);
  if (!root) return;
  var data = JSON.parse(document.getElementById(%(uid)s + "-data").textContent);
  var slider = document.getElementById(%(uid)s + "-k"), shown = document.getElementById(%(uid)s + "-shown");
  var cells = root.querySelectorAll("[data-k-cell]");
  function draw() {
    var k = parseInt(slider.value, 10), v = values(data, k);
    for (var i = 0; i < cells.length; i++) {
      var at = cells[i].getAttribute("data-k-cell").split(" ");
      var x = at[0] === "guess" ? v.guess[+at[2]] : v[at[0]][+at[1]][+at[2]];
      cells[i].textContent = x === null ? %(none)s : x.toFixed(%(digits)d);
      cells[i].style.setProperty("--v", x === null ? 0 : x);
    }
    shown.textContent = k;
    root.setAttribute("data-k", k);
  }
  slider.disabled = false;
  slider.addEventListener("input", draw);
  draw();
"""


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _cell(what: str, row: int, col: int, value: float | None) -> str:
    text = NO_VALUE if value is None else f"{value:.{DIGITS}f}"
    return (f'<td class="rlk-{what}" data-k-cell="{what} {row} {col}" style="--v:{0 if value is None else value:.4f}">'
            f"{text}</td>")


def render(data: dict, label: str) -> str:
    """The control's HTML: a slider over k = 1..k_max, a table (a row per model, verified and outcome pass@k per
    column, the blind guesser's outcome pass@k in the last row where there is one) filled at data["k"], the payload
    and its script. Ids carry a random prefix, so several controls on one page do not clash."""
    uid = f"rlk-{uuid.uuid4().hex[:12]}"
    k, k_max = data["k"], data["k_max"]
    v = values(data, k)
    head = "".join(f'<th colspan="2" scope="colgroup">{_esc(c)}</th>' for c in data["columns"])
    sub = '<th scope="col">verified</th><th scope="col">outcome</th>' * len(data["columns"])
    rows = []
    for i, model in enumerate(data["models"]):
        cells = "".join(_cell(what, i, j, v[what][i][j]) for j in range(len(data["columns"])) for what in COUNTS)
        rows.append(f'<tr><th scope="row">{_esc(model)}</th>{cells}</tr>')
    guesser = any(h is not None for h in data["guess"])
    if guesser:
        cells = "".join(f'<td class="rlk-none">{NO_VALUE}</td>' + _cell("guess", -1, j, g)
                        for j, g in enumerate(v["guess"]))
        rows.append(f'<tr class="rlk-guess"><th scope="row">blind guess</th>{cells}</tr>')
    style = f"""<style>
#{uid} {{ margin: 0.5em 0 1em; }}
#{uid} .rlk-control {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em 0.8em; margin-bottom: 0.4em; }}
#{uid} .rlk-control label {{ font-weight: 600; }}
#{uid} input[type=range] {{ flex: 1 1 12em; max-width: 28em; }}
#{uid} .rlk-k {{ font-weight: 600; min-width: 4.5em; }}
#{uid} .rlk-table {{ overflow-x: auto; }}
#{uid} table {{ border-collapse: collapse; font-size: 0.9em; }}
#{uid} th, #{uid} td {{ padding: 0.15em 0.5em; border-bottom: 1px solid #ddd; white-space: nowrap; }}
#{uid} td {{ text-align: right; font-variant-numeric: tabular-nums; }}
#{uid} tbody th {{ text-align: left; font-weight: normal; }}
#{uid} td.rlk-verified {{ background: linear-gradient(90deg, #b9d7ec calc(var(--v) * 100%), transparent 0); }}
#{uid} td.rlk-outcome, #{uid} td.rlk-guess {{
  background: linear-gradient(90deg, #f5d9a8 calc(var(--v) * 100%), transparent 0); }}
#{uid} td.rlk-none {{ text-align: center; color: #777; }}
#{uid} tr.rlk-guess {{ font-style: italic; }}
#{uid} .rlk-note {{ font-size: 0.85em; color: #555; margin: 0.3em 0 0; }}
</style>"""
    script = "(function () {\n" + PASS_AT_K_JS + DRAW_JS % {"uid": json.dumps(uid), "none": json.dumps(NO_VALUE),
                                                             "digits": DIGITS} + "})();"
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="reasonlab-kcontrol" id="{uid}" {K_CONTROL_ATTR}="{k_max}">{style}'
            f'<div class="rlk-control"><label for="{uid}-k">{_esc(label)}</label>'
            f'<input type="range" id="{uid}-k" min="1" max="{k_max}" step="1" value="{k}" disabled>'
            f'<output class="rlk-k" for="{uid}-k">k = <span id="{uid}-shown">{k}</span></output></div>'
            f'<div class="rlk-table"><table><thead><tr><th rowspan="2" scope="col">model</th>{head}</tr>'
            f'<tr>{sub}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<p class="rlk-note">pass@k per problem is 1 - C(n-c, k) / C(n, k) (n samples, c of them correct: '
            f'verified, every step right; outcome, the answer right), averaged over the column\'s problems; the page '
            f'computes it from the committed per-problem counts for the k you pick, from 1 to {k_max}, the fewest '
            f'samples any model drew for a problem.{GUESS_NOTE if guesser else ""}'
            f'<noscript> Without JavaScript the table stays at k = {k}.</noscript></p>'
            f'<script type="application/json" id="{uid}-data">{blob}</script><script>{script}</script></div>')


def pass_at_k_control(records: Mapping[str, Sequence[dict]], cols: Sequence[Column], label: str,
              answers: Mapping[str, Sequence[int]] | None = None, k: int | None = None):
    """The k control over `records` ({model: per-problem records}, e.g. Result.records) in `cols`, with the blind
    guesser where `answers` ({column label: gold answers}, guess_answers) has a prior; starts at k (default: the
    largest k every problem allows). Works in the built HTML and in a live kernel alike. An IPython HTML object."""
    from IPython.display import HTML

    return HTML(render(payload(records, cols, answers, k), label))
