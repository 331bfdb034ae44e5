"""The book's scoreboard: every claim of every chapter in CHAPTERS, with the paper's number, ours with its interval
(every RL seed's, where a claim has several), the k our pass@k uses beside the paper's pass@128, and the verdict its
chapter's rule computed, from the committed results of one scale. The intro page opens with it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(scale: str = "laptop", seed: int = 0) -> str:
    """The scoreboard as a MyST table, each claim linked to its chapter."""
    board = scoreboard(scale, seed)
    lines = [f"Every claim the chapters test, at the `{scale}` scale, with the verdict its chapter's rule computed "
             f"from the committed results (generated when the book is built; the rules are in each chapter). Where "
             f"an arm ran with several RL seeds, every seed's number is shown. *Not testable*: the base and every "
             f"arm sit at 0 on what the claim is about, so no rule can tell RL that learned from RL that did not.",
             "", "| claim | paper | ours (95% intervals) | k (ours / paper) | verdict | chapter |",
             "|---|---|---|---|---|---|"]
    for r in board.itertuples():
        verdict = f"**{r.verdict}**" if r.verdict else ""
        lines.append(f"| {_cell(r.claim)} | {_cell(r.paper)} | {_cell(r.ours)} | {_cell(r.k)} | {verdict} | "
                     f"{{doc}}`{r.title} </book/chapters/{r.chapter}>` |")
    return "\n".join(lines) + "\n"


def write(path: Path, scale: str = "laptop", seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(scale, seed))
    return path
