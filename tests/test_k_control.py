"""The static book's k control (reasonlab.k_control): its payload, its Python values and its JavaScript agree with
evaluate.pass_at_k and evaluate.guess_pass_at_k, and its HTML works without a kernel and without a remote request."""

import json
import re
import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest

from reasonlab import results
from reasonlab.book import remote_references
from reasonlab.evaluate import guess_pass_at_k, pass_at_k
from reasonlab.experiments.recipes import get_recipe
from reasonlab.generator import LabelledBand
from reasonlab.k_control import (K_CONTROL_ATTR, NO_VALUE, PASS_AT_K_JS, Column, columns, guess_answers,
                                 payload, render, values)

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
BANDS = (LabelledBand("low", 2, 3), LabelledBand("high", 4, 5))


def _rec(op, n, verified, outcome, template="a", set_=None):
    return {"op": op, "n": n, "verified": verified, "outcome": outcome, "template": template, "set": set_,
            "text_hash": f"{op}-{n}-{verified}-{outcome}-{template}"}


def _records():
    return {"base": [_rec(2, 8, 0, 1), _rec(2, 8, 0, 1), _rec(3, 8, 8, 8), _rec(4, 8, 2, 5),
                     _rec(4, 8, 0, 0, set_="unseen")],
            "arm": [_rec(2, 4, 1, 2), _rec(3, 4, 4, 4), _rec(3, 4, 0, 3, template="b")]}


def _node(script: str) -> str:
    out = subprocess.run([NODE, "-"], input=script, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_payload_holds_counts_per_column_and_the_k_every_model_allows():
    p = payload(_records(), columns(BANDS))
    assert p["columns"] == ["low (op 2-3)", "high (op 4-5)"] and p["models"] == ["base", "arm"]
    # equal counts are stored once with their number of problems; the unseen-shape record stays out
    assert p["counts"][0][0] == {"verified": [[8, 0, 2], [8, 8, 1]], "outcome": [[8, 1, 2], [8, 8, 1]]}
    assert p["counts"][0][1] == {"verified": [[8, 2, 1]], "outcome": [[8, 5, 1]]}
    assert p["counts"][1][1] is None  # the arm has no problem on ops 4-5: no number, not a zero
    assert p["k_max"] == p["k"] == 4 and p["guess"] == [None, None]  # the arm drew 4 samples per problem
    assert payload(_records(), columns(BANDS), k=2)["k"] == 2
    with pytest.raises(ValueError, match="k must be in 1..4"):
        payload(_records(), columns(BANDS), k=5)
    with pytest.raises(ValueError, match="no record"):
        payload({"m": [_rec(9, 4, 0, 0)]}, columns(BANDS))
    by_template = payload(_records(), columns(BANDS, {"b": "B", "a": "A"}))
    assert by_template["columns"][0] == "B low (op 2-3)" and by_template["counts"][1][0] == {
        "verified": [[4, 0, 1]], "outcome": [[4, 3, 1]]}


def test_values_are_the_mean_of_evaluate_pass_at_k():
    recs = _records()
    p = payload(recs, columns(BANDS))
    for k in range(1, p["k_max"] + 1):
        v = values(p, k)
        for i, model in enumerate(p["models"]):
            for j, band in enumerate(BANDS):
                rs = [r for r in recs[model] if band.lo <= r["op"] <= band.hi and r["set"] != "unseen"]
                for what in ("verified", "outcome"):
                    want = np.mean([pass_at_k(r["n"], r[what], k) for r in rs]) if rs else None
                    assert v[what][i][j] == pytest.approx(want, abs=1e-12)


def test_guess_is_evaluate_guess_pass_at_k():
    problems = [SimpleNamespace(op=op, answer=a, template=t) for op, a, t in
                [(2, 1, "a"), (2, 1, "a"), (3, 2, "a"), (3, 1, "b"), (4, 5, "a"), (5, 5, "b"), (5, 6, "a")]]
    sets = {("a", 0): problems, ("unseen", 2): [SimpleNamespace(op=2, answer=1, template="a")]}
    for templates in (None, {"a": "A", "b": "B"}):
        cols = columns(BANDS, templates)
        answers = guess_answers(sets, cols)
        p = payload({"m": [_rec(2, 8, 0, 0), _rec(4, 8, 0, 0), _rec(3, 8, 0, 0, "b"), _rec(5, 8, 0, 0, "b")]}, cols,
                    answers)
        for k in (1, 3, 8):
            got = values(p, k)["guess"]
            for j, col in enumerate(cols):
                want = guess_pass_at_k(answers[col.label], [k]).mean() if len(answers[col.label]) >= 2 else None
                assert got[j] == pytest.approx(want, abs=1e-12), (templates, col, k)
    assert guess_answers(sets, columns(BANDS))["low (op 2-3)"] == [1, 1, 2, 1]  # the unseen-shape set left out


def test_values_from_committed_records_are_the_committed_tables():
    """The payload keeps what the chapters' numbers are made of: at every k of the tidy table, its verified and
    outcome pass@k per band are the table's (evaluate.summarise, over the full records)."""
    r = results.load("ladder-laptop")
    bands = get_recipe("ladder", "laptop").evaluation.bands
    p = payload({"base": r.records("base")}, columns(bands))
    assert p["k_max"] == 128
    for k in sorted({int(k) for k in r.table.k.dropna()}):
        v = values(p, k)
        for j, band in enumerate(bands):
            assert v["verified"][0][j] == pytest.approx(r.value("base", band.label, "pass@k", k).value, abs=1e-12)
            assert v["outcome"][0][j] == pytest.approx(r.value("base", band.label, "outcome_pass@k", k).value,
                                                       abs=1e-12)
    s4 = results.load("S4-laptop")
    bands = get_recipe("S4", "laptop").evaluation.bands
    p = payload({m: s4.records(m) for m in s4.models}, columns(bands, {"teachers-school": "B", "animals-zoo": "A"}))
    v = values(p, 64)
    for i, m in enumerate(p["models"]):
        for j, (t, band) in enumerate((t, b) for t in ("teachers-school", "animals-zoo") for b in bands):
            assert v["verified"][i][j] == pytest.approx(s4.value(m, f"{t}:{band.label}", "pass@k", 64).value,
                                                        abs=1e-12)
    assert len(json.dumps(p, separators=(",", ":"))) < 40_000  # counts only: 11 models x 4 columns stay small


def _parts(h: str) -> dict:
    blob = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', h, re.S).group(1)
    return {"ids": re.findall(r'\bid="([^"]+)"', h), "data": json.loads(blob),
            "cells": re.findall(r'data-k-cell="(\w+) (-?\d+) (\d+)"[^>]*>([^<]*)<', h)}


def test_render_starts_at_k_without_script_and_asks_nothing_remote():
    p = payload(_records(), columns(BANDS), {"low (op 2-3)": [1, 1, 2], "high (op 4-5)": [3]}, k=2)
    h1, h2 = render(p, "pass <k>"), render(p, "again")
    a, b = _parts(h1), _parts(h2)
    assert len(set(a["ids"])) == len(a["ids"]) and not set(a["ids"]) & set(b["ids"])  # two controls never clash
    assert a["data"] == p and f'{K_CONTROL_ATTR}="4"' in h1
    assert 'min="1" max="4" step="1" value="2" disabled' in h1  # enabled by its script only: never a dead control
    assert "pass &lt;k&gt;" in h1 and "<k>" not in h1
    assert not remote_references(h1) and "http" not in h1
    v = values(p, 2)
    for what, row, col, text in a["cells"]:
        x = v["guess"][int(col)] if what == "guess" else v[what][int(row)][int(col)]
        assert text == (NO_VALUE if x is None else f"{x:.3f}"), (what, row, col)
    assert len(a["cells"]) == 2 * 2 * 2 + 2  # 2 models x 2 columns x (verified, outcome), a guess per column
    assert "blind guess" in h1 and "blind guess" not in render(payload(_records(), columns(BANDS)), "x")


@needs_node
def test_the_page_computes_what_python_computes():
    """PASS_AT_K_JS, run by node: passAtK on every (n, c, k) up to n = 128 is evaluate.pass_at_k, and values() of a
    committed payload is `values` at every k."""
    grid = [(n, c, k) for n in (1, 2, 7, 64, 128) for c in range(n + 1) for k in range(1, n + 1)]
    r = results.load("S6-laptop")
    p = payload({m: r.records(m) for m in r.models}, columns(get_recipe("S6", "laptop").evaluation.bands),
                {"in_dist (op 2-9)": [1, 2, 2, 3], "edge (op 10-13)": [4, 4], "hard (op 14-16)": [5, 6, 5]})
    ks = list(range(1, p["k_max"] + 1))
    out = json.loads(_node(f"""(function () {{ {PASS_AT_K_JS}
        var grid = {json.dumps(grid)}, data = {json.dumps(p)}, ks = {json.dumps(ks)};
        console.log(JSON.stringify({{grid: grid.map(function (g) {{ return passAtK(g[0], g[1], g[2]); }}),
                                    values: ks.map(function (k) {{ return values(data, k); }})}}));
    }})();"""))
    want = [pass_at_k(*g) for g in grid]
    assert np.allclose(out["grid"], want, rtol=0, atol=1e-12)
    assert all(g == w for g, w in zip(out["grid"], want) if w in (0.0, 1.0))  # exact at the ends
    for k, got in zip(ks, out["values"]):
        py = values(p, k)
        for what in ("verified", "outcome"):
            assert np.allclose(np.array(got[what], float), np.array(py[what], float), rtol=0, atol=1e-12)
        assert np.allclose(got["guess"], py["guess"], rtol=0, atol=1e-12)


@needs_node
def test_the_control_enables_its_slider_and_redraws_on_input():
    """The control's whole script, run by node on a stand-in for the page: it enables the slider, fills every cell at
    the starting k, and on an input event at another k writes that k's values."""
    p = payload(_records(), columns(BANDS), {"low (op 2-3)": [1, 1, 2]}, k=4)
    h = render(p, "x")
    uid = re.search(r'class="reasonlab-kcontrol" id="([^"]+)"', h).group(1)
    script = re.findall(r"<script>(.*?)</script>", h, re.S)[-1]
    cells = [list(c[:3]) for c in _parts(h)["cells"]]
    out = json.loads(_node(f"""
        var cells = {json.dumps(cells)}.map(function (c) {{
          return {{at: c.join(" "), textContent: "", v: null, getAttribute: function () {{ return this.at; }},
                   style: {{setProperty: function (_, x) {{ cells_v.push(x); }}}}}};
        }}), cells_v = [];
        var slider = {{value: "4", disabled: true, on: null, addEventListener: function (_, f) {{ this.on = f; }}}};
        var shown = {{textContent: ""}}, attrs = {{}};
        var root = {{querySelectorAll: function () {{ return cells; }},
                    setAttribute: function (a, v) {{ attrs[a] = v; }}}};
        var byId = {{"{uid}": root, "{uid}-k": slider, "{uid}-shown": shown,
                    "{uid}-data": {{textContent: {json.dumps(json.dumps(p))}}}}};
        var document = {{getElementById: function (id) {{ return byId[id]; }}}};
        {script}
        var first = cells.map(function (c) {{ return c.textContent; }}), k0 = attrs["data-k"];
        slider.value = "1"; slider.on();
        console.log(JSON.stringify({{enabled: !slider.disabled, k0: k0, k1: attrs["data-k"], shown: shown.textContent,
                                    first: first, then: cells.map(function (c) {{ return c.textContent; }})}}));
    """))
    assert out["enabled"] and out["k0"] == 4 and out["k1"] == 1 and out["shown"] == 1
    for k, texts in ((4, out["first"]), (1, out["then"])):
        v = values(p, k)
        for (what, row, col), text in zip(cells, texts):
            x = v["guess"][int(col)] if what == "guess" else v[what][int(row)][int(col)]
            assert text == NO_VALUE if x is None else abs(float(text) - x) <= 0.0005 + 1e-12, (k, what, row, col)


@needs_node
def test_the_script_parses():
    h = render(payload(_records(), columns(BANDS)), "x")
    script = re.findall(r"<script>(.*?)</script>", h, re.S)[-1]
    out = subprocess.run([NODE, "--check", "-"], input=script, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_column_holds_its_problems_only():
    c = Column("B high", 4, 5, "b")
    assert c.holds(_rec(4, 8, 0, 0, "b")) and not c.holds(_rec(4, 8, 0, 0, "a")) and not c.holds(_rec(6, 8, 0, 0, "b"))
    assert not c.holds(_rec(4, 8, 0, 0, "b", set_="unseen"))


def test_the_browser_check_reads_every_cell_at_the_sliders_k():
    """.ci/browser_check.py's k_cell_problems: a control passes only when it shows the slider's k and every cell reads
    `values` at that k (to the digits shown; a missing number as NO_VALUE)."""
    import importlib.util

    from reasonlab.provenance import REPO_ROOT

    spec = importlib.util.spec_from_file_location("browser_check", REPO_ROOT / ".ci" / "browser_check.py")
    bc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bc)
    p = payload(_records(), columns(BANDS), {"low (op 2-3)": [1, 1, 2]})
    v = values(p, 3)
    cells = [{"at": f"{what} {i} {j}", "text": NO_VALUE if v[what][i][j] is None else f"{v[what][i][j]:.3f}",
              "visible": True} for what in ("verified", "outcome") for i in range(2) for j in range(2)]
    cells += [{"at": "guess -1 0", "text": f"{v['guess'][0]:.3f}", "visible": True},
              {"at": "guess -1 1", "text": NO_VALUE, "visible": True}]
    state = {"k": 3, "drawn": "3", "output": "k = 3", "cells": cells}
    assert bc.k_cell_problems("c", p, state) == []
    assert "shows 'k = 4'" in bc.k_cell_problems("c", p, {**state, "output": "k = 4"})[0]
    off = [dict(c, text="0.999") if c["at"] == "verified 0 0" else c for c in cells]
    assert "verified 0 0 reads '0.999'" in bc.k_cell_problems("c", p, {**state, "cells": off})[0]
    missing = [dict(c, text="nan") if c["at"] == "verified 1 1" else c for c in cells]
    assert "not —" in bc.k_cell_problems("c", p, {**state, "cells": missing})[0]
