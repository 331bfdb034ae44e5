"""The book's scoreboard: every claim of every chapter in CHAPTERS, with the paper's number, ours with its interval
(every RL seed's, where a claim has several), the k our pass@k uses beside the paper's pass@128, and the verdict its
chapter's rule computed, from the committed results of one scale; then each finding of the paper that no chapter
covers yet, with how far its runs are (from the recipe registry and the committed results). The intro page opens
with it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import results
from ..experiments.recipes import get_recipe, list_recipes, recipe_info
from . import CHAPTERS, chapter
from .claims import Claim, k_note


def chapter_claims(name: str, scale: str, seed: int = 0) -> list[Claim]:
    """One chapter's claims from its committed results, through the chapter protocol; FileNotFoundError when they
    are not committed (load without fresh never trains or evaluates anything)."""
    module = chapter(name)
    return module.claims(module.load(scale, seed))


def scoreboard(scale: str = "laptop", seed: int = 0) -> pd.DataFrame:
    """One row per claim of every chapter (a chapter that tests none has no row; one with no committed result at
    this scale has one row saying so)."""
    rows = []
    for name, title in CHAPTERS.items():
        try:
            claims = chapter_claims(name, scale, seed)
        except FileNotFoundError:
            rows.append({"chapter": name, "title": title, "claim": "(no committed result at this scale)",
                         "paper": "", "ours": "", "k": "", "verdict": ""})
            continue
        rows += [{"chapter": name, "title": title, "claim": c.text, "paper": c.paper, "ours": c.headline or c.ours,
                  "k": k_note(c), "verdict": c.verdict} for c in claims]
    return pd.DataFrame(rows)


def chapter_recipes() -> dict[str, str]:
    """{recipe: chapter} of the recipes whose results the chapters of CHAPTERS read (each module's RECIPE, or RECIPES
    where it reads several)."""
    out = {}
    for name in CHAPTERS:
        module = chapter(name)
        for rid in (*getattr(module, "RECIPES", ()), *((module.RECIPE,) if hasattr(module, "RECIPE") else ())):
            out.setdefault(rid, name)
    return out


NOT_RUN, IN_PROGRESS = "not run", "in progress"  # how far a finding without its verdicts is


def pending(scale: str = "laptop", seed: int = 0) -> pd.DataFrame:
    """One row per finding of the paper whose verdicts no chapter can give yet: every recipe of the registry that
    reproduces one of the paper's figures with runs of its own (not a view of another recipe's runs) and that no
    chapter reads, or that a chapter reads before all its arms are committed, with its status at this scale: "not
    run" (no committed result) or "in progress" (the arms committed so far, of the recipe's), and its chapter ("" for
    none yet)."""
    covered = chapter_recipes()
    rows = []
    for rid in list_recipes():
        info = recipe_info(rid)
        if info.view_of or not info.paper_ref.startswith("Fig"):
            continue
        try:
            done = results.load(f"{rid}-{scale}" + (f"-seed{seed}" if seed else "")).models
        except FileNotFoundError:
            done = []
        try:
            arms = [a.name for a in get_recipe(rid, scale).arms]
        except ValueError:  # a recipe this scale does not define (a calibrated recipe where the scale has none)
            continue
        if rid in covered and set(arms) <= set(done):
            continue  # its chapter gives its verdicts
        where = f"chapter {covered[rid]}" if rid in covered else "no chapter yet"
        again = "".join(f"; RL seed {n}: {', '.join(run.models)}"
                        for n, run in results.reruns(rid, scale, seed).items())
        ours = (f"{len(done)} of {len(arms)} arms committed ({', '.join(done)}{again}); {where}" if done else
                f"not run at this scale (`python -m reasonlab run {rid} --scale {scale}`); {where}")
        rows.append({"recipe": rid, "claim": f"{info.title} ({rid})", "paper": f"{info.paper_ref}: {info.finding}",
                     "ours": ours, "status": IN_PROGRESS if done else NOT_RUN, "chapter": covered.get(rid, "")})
    return pd.DataFrame(rows, columns=["recipe", "claim", "paper", "ours", "status", "chapter"])


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(scale: str = "laptop", seed: int = 0) -> str:
    """The scoreboard as a MyST table, each claim linked to its chapter."""
    board = scoreboard(scale, seed)
    lines = [f"Every claim the chapters test, at the `{scale}` scale, with the verdict its chapter's rule computed "
             f"from the committed results (generated when the book is built; the rules are in each chapter). Where "
             f"an arm ran with several RL seeds, every seed's number is shown. *Not testable*: the base and every "
             f"arm sit at 0 on what the claim is about, so no rule can tell RL that learned from RL that did not. "
             f"The last rows are the paper's findings without verdicts yet: *{NOT_RUN}* (no committed result) "
             f"or *{IN_PROGRESS}* (some of its arms committed).",
             "", "| claim | paper | ours (95% intervals) | k (ours / paper) | verdict | chapter |",
             "|---|---|---|---|---|---|"]
    for r in board.itertuples():
        verdict = f"**{r.verdict}**" if r.verdict else ""
        lines.append(f"| {_cell(r.claim)} | {_cell(r.paper)} | {_cell(r.ours)} | {_cell(r.k)} | {verdict} | "
                     f"{{doc}}`{r.title} </book/chapters/{r.chapter}>` |")
    titles = dict(CHAPTERS)
    for r in pending(scale, seed).itertuples():  # the paper's findings without verdicts yet
        where = (f"{{doc}}`{titles[r.chapter]} </book/chapters/{r.chapter}>`" if r.chapter else "not written yet")
        lines.append(f"| {_cell(r.claim)} | {_cell(r.paper)} | {_cell(r.ours)} | | *{r.status}* | {where} |")
    return "\n".join(lines) + "\n"


def write(path: Path, scale: str = "laptop", seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(scale, seed))
    return path
