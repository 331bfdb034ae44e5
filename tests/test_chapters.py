"""The chapter layer: one result loader and accessors, one verdict vocabulary, notebooks that only call it."""

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from reasonlab.chapters import CHAPTERS, chapter
from reasonlab.chapters import claims as cl
from reasonlab.evaluate import band_answers, guess_pass_at_k
from reasonlab.results import Estimate, Result, estimate, k_max, select

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
MAX_CELL_LINES = 25


def _table():
    rows = []
    for model, ks in (("base", (1, 2, 4)), ("arm", (1, 2))):
        for band, v in (("edge", 0.2), ("hard", 0.0)):
            rows += [dict(model=model, group="band", key=band, metric="pass@k", k=k, value=v * k, lo=0.0, hi=1.0)
                     for k in ks]
        rows.append(dict(model=model, group="band", key="edge", metric="nll", k=None, value=1.5, lo=1.5, hi=1.5))
    return pd.DataFrame(rows)


def test_select_and_estimate_read_one_number():
    t = _table()
    assert estimate(t, "base", "edge", k=2) == Estimate(0.4, 0.0, 1.0)
    assert estimate(t, "base", "edge").value == pytest.approx(0.8)  # k="max": the model's own largest k
    assert estimate(t, "arm", "edge", "nll").value == 1.5  # no k for NLL
    assert len(select(t, key="edge", k=1)) == 2
    assert k_max(t) == 2  # the largest k every model has
    with pytest.raises(KeyError, match="no pass@k k=8 of model 'base' on band 'edge'"):
        estimate(t, "base", "edge", k=8)


def test_estimate_formats_and_signs():
    e = Estimate(0.0123, -0.004, 0.03)
    assert e.fmt(signed=True) == "+0.012 [-0.004, +0.030]" and str(e) == "0.012 [-0.004, 0.030]"
    assert not e.above_zero and not e.below_zero and cl.direction(e) == "flat"
    assert cl.direction(Estimate(0.1, 0.01, 0.2)) == "up" and cl.direction(Estimate(-0.1, -0.2, -0.01)) == "down"


def test_result_models_keep_the_recipe_order():
    r = Result("x", {"config": {"arms": ["b", "a"]}}, {"records": {"a": [], "b": [], "c": []}})
    assert r.models == ["b", "a", "c"]  # the file's keys are sorted; the manifest keeps the recipe's order


def test_one_verdict_vocabulary():
    assert cl.all_or_some([True, True]) == "reproduced"
    assert cl.all_or_some([True, False]) == "partly"
    assert cl.all_or_some([]) == "not reproduced"  # nothing tested is not evidence
    assert cl.gated(False, [True, True]) == "not reproduced"  # the discriminating part failed
    assert cl.gated(True, [True, False]) == "partly" and cl.gated(True, [True]) == "reproduced"
    assert cl.over_seeds(["reproduced", "reproduced"]) == "reproduced"
    assert cl.over_seeds(["reproduced", "partly"]) == "partly"
    assert cl.over_seeds(["reproduced", "not reproduced", "partly"]) == "not reproduced"  # the weakest
    assert cl.over_seeds(["partly", "not testable"]) == "partly"  # a seed that cannot test it does not decide
    assert cl.over_seeds(["not testable", "not testable"]) == "not testable"
    assert cl.some_seeds(["reproduced", "not reproduced"]) == "partly"
    assert cl.some_seeds(["reproduced", "reproduced"]) == "reproduced"
    assert cl.some_seeds(["not reproduced", "not reproduced"]) == "not reproduced"
    with pytest.raises(ValueError, match="verdict must be one of"):
        cl.Claim("c", "t", "p", "o", "reproduced, by a small margin", "r")
    claims = [cl.Claim("c", "t", "p", "o", v, "r") for v in ("reproduced", "partly", "partly")]
    assert cl.counts(claims) == {"reproduced": 1, "partly": 2, "not reproduced": 0, "not testable": 0}
    assert list(cl.table(claims).columns) == ["claim (paper)", "paper", "ours", "verdict", "rule"]
    assert cl.k_note(cl.Claim("c", "t", "p", "o", "partly", "r", k=64)) == "pass@64 (paper: pass@128)"


def test_not_testable_only_where_the_base_and_every_arm_sit_at_zero():
    zero, some = Estimate(0.0, 0.0, 0.0), Estimate(0.01, 0.0, 0.03)
    assert cl.at_zero([zero, zero]) and not cl.at_zero([zero, some]) and not cl.at_zero([])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_hold_calls_not_logic(path):
    """Notebooks: a parameters cell, calls, figures, glue; no `def`, no class, no code cell over 25 lines."""
    cells = json.loads(path.read_text())["cells"]
    code = [("".join(c["source"]), i) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    assert "parameters" in cells[code[0][1]]["metadata"].get("tags", []), "the first code cell holds the parameters"
    for src, i in code:
        ast.parse(src, f"{path.name} cell {i}")  # a broken cell fails here, not minutes into a papermill run
        lines = src.strip().splitlines()
        assert not any(line.lstrip().startswith(("def ", "class ", "lambda")) for line in lines), f"cell {i} defines"
        assert len(lines) <= MAX_CELL_LINES, f"cell {i} has {len(lines)} lines (> {MAX_CELL_LINES})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_take_live_and_use_it(path):
    """Every notebook has the `live` parameter, and every widget it shows goes through live_only."""
    cells = json.loads(path.read_text())["cells"]
    params = "".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))["source"])
    assert "live = True" in params
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "ipywidgets" not in code, "widgets are built in the chapter module and shown through live_only"


def test_live_only_shows_a_note_in_the_static_book():
    from reasonlab.widgets import live_only

    built = []
    assert live_only(lambda x: built.append(x) or "panel", True, "what", 3) == "panel" and built == [3]
    note = live_only(lambda: pytest.fail("built in a headless run"), False, "It redraws Fig 3.")
    assert "It redraws Fig 3." in note.data and "make lab" in note.data


def test_markov_knobs_change_the_page():
    """Non-committed knob values recompute the chapter (seconds) instead of silently showing the committed
    result; the committed values load it."""
    from reasonlab.chapters import theory_markov as tm
    from reasonlab.sim import markov

    committed = tm.load("laptop")
    assert "computed_now" not in committed.manifest and committed.config == markov.chapter_config("laptop")
    other = tm.load("smoke", eps_w=0.3, steps=20)
    assert other.manifest["config"]["chain"]["eps_w"] == 0.3 and other.manifest["computed_now"]
    assert all(c.verdict in cl.VERDICTS for c in tm.claims(other))


def test_committed_chapters_compute_their_claims():
    """The committed laptop results go through each chapter's claims with the one vocabulary."""
    from reasonlab.chapters import exposure

    for name in CHAPTERS:
        module = chapter(name)
        for c in module.claims(module.load("laptop")):
            assert c.verdict in cl.VERDICTS and c.rule and c.ours and c.chapter == name
    ch = exposure.load("laptop")
    # the exposure picker offers each committed share, and A.6's picker each committed B share of the RL data
    p = _picker_parts(exposure.picker(ch).data)
    assert len(p["imgs"]) == len(ch.shown) >= 2
    for rid in ch.a6:
        assert len(_picker_parts(exposure.a6_picker(ch, rid).data)["imgs"]) == len(exposure.a6_pairs(ch.a6[rid]))


# ------------------------------------------------------------------------- static pickers (issue 13 item 4)
def _picker_parts(html: str) -> dict:
    import re

    return {"imgs": re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html),
            "radios": re.findall(r'<input type="radio" name="(rlp-[0-9a-f]+)" id="([^"]+)"', html),
            "views": re.findall(r'<figure class="rlp-view" id="([^"]+)"', html),
            "ids": re.findall(r'\bid="([^"]+)"', html),
            "n": re.findall(r'data-reasonlab-picker="(\d+)"', html)}


def test_static_picker_one_image_per_option_unique_ids_nothing_remote():
    import matplotlib.pyplot as plt

    from reasonlab.book import remote_references
    from reasonlab.widgets import static_picker

    def figs():
        out = {}
        for name, slope in (("a <b>", 1), ("c", 2), ("d", 3)):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1], [0, slope])
            out[name] = fig
        return out

    first, second = figs(), figs()
    h1, h2 = static_picker(first, "slope").data, static_picker(second, "slope", selected="c").data
    assert not any(plt.fignum_exists(f.number) for f in (*first.values(), *second.values()))  # closed
    for h in (h1, h2):
        p = _picker_parts(h)
        assert len(p["imgs"]) == len(p["radios"]) == len(p["views"]) == 3 and p["n"] == ["3"]
        assert h.count(" checked") == 1 and len(set(p["ids"])) == len(p["ids"])
        assert "a &lt;b&gt;" in h and "<b>" not in h  # option labels are escaped
        assert not remote_references(h) and "http" not in h and "<script" not in h  # no remote URL, no script
        assert all(f"#{v} {{ display: block; }}" in h for v in p["views"])  # a CSS rule shows each option
    assert not set(_picker_parts(h1)["ids"]) & set(_picker_parts(h2)["ids"])  # two pickers on a page don't clash
    assert 'value="1" checked' in h2
    with pytest.raises(ValueError, match="not one of the options"):
        static_picker(figs(), "x", selected="z")


def test_live_or_static_builds_only_the_one_shown():
    from reasonlab.widgets import live_or_static

    assert live_or_static(True, lambda x: ("live", x), lambda x: pytest.fail("static built live"), 1) == ("live", 1)
    assert live_or_static(False, lambda x: pytest.fail("live built headless"), lambda x: ("static", x), 2) == (
        "static", 2)


def test_chapter_pickers_offer_the_grid_and_stay_small():
    """S3: one option (and one image) per committed RL arm; the ladder: strict and outcome-only. Small enough
    that a picker over 8 runs stays under ~400 KB of page."""
    from reasonlab.chapters import ladder
    from reasonlab.chapters import rl_capability as s3

    ch = s3.load("laptop")
    h = s3.picker(ch).data
    p = _picker_parts(h)
    assert len(p["imgs"]) == len(p["radios"]) == len(ch.arms) == int(p["n"][0]) >= 4
    assert all(arm in h for arm in ch.arms)
    assert len(h) / len(ch.arms) * 8 < 400_000, f"{len(h)} bytes for {len(ch.arms)} runs"
    lad = ladder.load("laptop")
    h = ladder.picker(lad).data
    # one figure per evaluation set (the bands, seen and unseen shapes), each strict beside outcome-only: not a
    # repeat of the figures above it, which draw each metric over every band (issue 26)
    assert len(_picker_parts(h)["imgs"]) == len(ladder.picker_sets(lad)) == 5 and "strict" in h and "outcome-only" in h


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem in ("ladder", "rl_capability")], ids=lambda p: p.stem)
def test_try_it_cells_show_the_static_picker_in_the_book(path):
    cells = json.loads(path.read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "live_or_static(live, " in code and ".picker, " in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_parameter(path):
    """papermill must parse each line of the parameters cell (a comment it cannot parse drops the parameter, and
    the book's live=False would be injected as an unknown one)."""
    import papermill as pm

    assert {"scale", "seed", "fresh", "live"} <= set(pm.inspect_notebook(str(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_call_in_a_notebook_exists(path):
    """Each `alias.name` a notebook calls on a module it imports from reasonlab exists (a function lost in an edit
    fails here, not only when the notebook is executed)."""
    import importlib
    import re

    code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    aliases = {}
    for pkg, name, alias in re.findall(r"from (reasonlab[\w.]*) import (\w+)(?: as (\w+))?", code):
        aliases[alias or name] = f"{pkg}.{name}"
    for alias, module in aliases.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError:
            continue  # a function imported by name, not a module
        for attr in set(re.findall(rf"\b{alias}\.(\w+)", code)):
            assert hasattr(mod, attr), f"{path.name}: {module} has no {attr}"


# ------------------------------------------------------------------------------ the chapter protocol (issue 14)
SECTIONS = ("data", "rules", "verdicts", "figures and tables", "controls")


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_every_chapter_has_the_protocol(name):
    """load(scale, seed=0, fresh=False), claims(ch), numbers(ch) and at least one fig_*, in the five sections, in
    order; and a notebook of the same name."""
    import inspect

    module = chapter(name)
    params = list(inspect.signature(module.load).parameters.values())[:3]
    assert [(p.name, p.default) for p in params] == [("scale", "laptop"), ("seed", 0), ("fresh", False)]
    for fn in ("claims", "numbers"):
        assert list(inspect.signature(getattr(module, fn)).parameters)[:1] == ["ch"], f"{name}.{fn}(ch)"
    assert any(n.startswith("fig") for n in dir(module)) or name == "theory_markov"  # its figures: sim.plots
    banners = [line[5:].rstrip("= ").strip() for line in inspect.getsource(module).splitlines()
               if line.startswith("# == ")]
    assert banners == list(SECTIONS), f"{name}: sections {banners}"
    assert (NOTEBOOKS[0].parent / f"{name}.ipynb").exists()


def test_the_registry_orders_the_book_and_lists_every_notebook():
    from reasonlab import book

    assert book.CHAPTER_ORDER == tuple(CHAPTERS)
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(CHAPTERS)
    with pytest.raises(ValueError, match="unknown chapter"):
        chapter("nope")


def test_the_scoreboard_is_built_from_the_registry_only(monkeypatch):
    """No chapter is named in scoreboard.py: it asks each CHAPTERS module to load and judge itself."""
    import inspect
    from types import SimpleNamespace

    from reasonlab.chapters import scoreboard

    source = inspect.getsource(scoreboard)
    assert not [n for n in CHAPTERS if f'"{n}"' in source]
    claim = cl.Claim("fake", "a claim", "paper", "ours", "not testable", "rule", "headline", k=64)
    fake = SimpleNamespace(load=lambda scale, seed=0, fresh=False: (scale, seed), claims=lambda ch: [claim])
    missing = SimpleNamespace(load=lambda *a, **k: (_ for _ in ()).throw(FileNotFoundError("none")),
                              claims=lambda ch: pytest.fail("judged a chapter with no result"))
    monkeypatch.setattr(scoreboard, "CHAPTERS", {"fake": "Fake", "gone": "Gone"})
    monkeypatch.setattr(scoreboard, "chapter", {"fake": fake, "gone": missing}.get)
    board = scoreboard.scoreboard("laptop")
    assert list(board.chapter) == ["fake", "gone"] and board.verdict[0] == "not testable"
    assert board.ours[0] == "headline" and board.k[0] == "pass@64 (paper: pass@128)"
    assert board.claim[1] == "(no committed result at this scale)"


def test_the_scoreboard_lists_the_findings_without_a_chapter():
    """A.7's chapter (pretrain_difficulty) and A.10's (mid_vs_rl) wait for their arms: each gets a row with its
    status and chapter, computed from the recipe registry and the committed results, never a verdict; a finding whose
    chapter gives its verdicts (S6 since process_rewards, S5 since mid_vs_rl) gets none."""
    from reasonlab.chapters import scoreboard

    rows = scoreboard.pending("laptop").set_index("recipe")
    assert "A.10" in rows.index and not {"S3", "S4", "S5", "S6", "A.6.1", "ladder"} & set(rows.index)
    assert set(rows.status) <= {scoreboard.NOT_RUN, scoreboard.IN_PROGRESS}
    assert rows.chapter["A.10"] == "mid_vs_rl" and rows.chapter["A.7"] == "pretrain_difficulty"
    assert "*not run*" in scoreboard.markdown("laptop") or rows.status.eq(scoreboard.IN_PROGRESS).all()
    # a scale without a calibrated RL recipe does not define S3-calibrated: no row, and no error
    assert not scoreboard.pending("gpu").recipe.str.startswith("S3-calibrated").any()


def test_committed_verdicts_after_issue_14():
    """The verdicts the committed laptop results get under the issue-14 rules, and what the scoreboard shows."""
    from reasonlab.chapters.scoreboard import scoreboard

    board = scoreboard("laptop").set_index("claim")
    verdict = board.verdict
    assert verdict["RL on prompts screened for the edge of competence raises edge-band pass@64"] == "partly"
    assert verdict["Edge-band RL raises hard-band pass@64"] == "not testable"
    assert verdict["Hard-band RL sees almost no reward and learns nothing out of distribution"] == "not reproduced"
    assert verdict["At >= 1% B in pre-training, RL transfers to B up to the highest ops"] == "not testable"
    assert verdict["Training reward: no gain at minimal exposure, a clear gain at >= 1%"] == "not reproduced"
    for text in board.index:
        if text.startswith(("B seen at all ops", "B seen only at op 2", "Solved B problems")):
            assert verdict[text] == "not testable", text
    filt = board.loc["RL on prompts screened for the edge of competence raises edge-band pass@64"]
    assert "RL seed 0: +0.065" in filt.ours and "RL seed 1: +0.007" in filt.ours  # every seed's number
    assert filt.k == "pass@64 (paper: pass@128)"


def test_ladder_outcome_pass_at_k_has_the_blind_guesser_beside_it():
    """The ladder's per-op table and figures show the blind guesser beside outcome pass@k (issue 25), computed on
    the evaluation's own problems: per op, the guesser's pass@k from that op's other gold answers."""
    from reasonlab.chapters import ladder

    lad = ladder.load("laptop")
    table, km = ladder.per_op_table(lad), k_max(lad.table)
    sets = lad.recipe.evaluation.problem_sets(lad.recipe.scale)
    for op, got in zip(table.op, table[f"blind guess pass@{km}"]):
        assert got == round(guess_pass_at_k(band_answers(sets, op, op), (km,)).mean(), 3)
    bands = set(lad.guess[lad.guess.group == "band"].key)
    assert {"in_dist", "edge", "hard"} <= bands and lad.guess.value.between(0, 1).all()


# ------------------------------------------------------------------ pass@k at any k, without a kernel (issue 26)
K_CHAPTERS = {"ladder": "ladder", "rl_capability": "s3", "exposure": "s4", "mid_vs_rl": "s5",
              "process_rewards": "s6", "pretrain_difficulty": "a7"}  # report pass@k


@pytest.mark.parametrize("name", list(K_CHAPTERS))
def test_pass_at_k_chapters_show_the_k_control(name, monkeypatch):
    """Each chapter that reports pass@k calls its k control in its notebook, over every committed model and band, up
    to the k every model allows (the chapter's k_max). The blind guesser's prior is left out here (generating the
    evaluation's problems takes a minute); test_k_control checks it."""
    import re

    from reasonlab.experiments.recipes import Evaluation
    from reasonlab.k_control import K_CONTROL_ATTR

    path = next(p for p in NOTEBOOKS if p.stem == name)
    code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    assert f"{K_CHAPTERS[name]}.k_control(ch)" in code
    monkeypatch.setattr(Evaluation, "problem_sets", lambda self, scale, seed=0, n_per_op=None: {})
    module = chapter(name)
    ch = module.load("laptop")
    shown = [(module.k_control(ch).data, ch.result if name == "ladder" else ch.runs)]
    if name == "exposure":
        assert "s4.k_control(ch, rid)" in code
        shown += [(module.k_control(ch, rid).data, ch.a6[rid]) for rid in ch.a6]
    for html, result in shown:
        data = json.loads(re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S).group(1))
        shown_as = {m: [d for d in data["models"] if d == m or d.startswith(f"{m} (RL seed ")] for m in result.models}
        assert all(shown_as.values()) and len(data["columns"]) >= 3  # an arm with several RL seeds: one row each
        assert f'{K_CONTROL_ATTR}="{data["k_max"]}"' in html and data["k"] == data["k_max"] == k_max(result.table)
