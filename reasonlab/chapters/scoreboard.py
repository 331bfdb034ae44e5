"""The book's scoreboard: every claim of every chapter, with the paper's number, ours with its interval, and the
verdict its chapter's rule computed, from the committed results of one scale. The intro page opens with it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .claims import Claim

# chapter notebook -> its page title in the scoreboard, in book order
CHAPTERS = {"ladder": "The performance ladder", "rl_capability": "When does RL add capability?",
            "exposure": "How much exposure does a new context need?", "replication": "Replication or creation?",
            "theory_markov": "Why RL forgets rare reasoning paths (companion)"}


def chapter_claims(chapter: str, scale: str, seed: int = 0) -> list[Claim]:
    """One chapter's claims from its committed results; FileNotFoundError when they are not committed (the
    scoreboard never trains or evaluates anything)."""
    from ..experiments.runner import result_name
    from ..results import load, reruns

    if chapter == "ladder":
        from . import ladder

        return ladder.claims(load(result_name("ladder", scale, seed)).table)
    if chapter == "rl_capability":
        from ..experiments.recipes import get_recipe
        from . import rl_capability as s3

        ch = s3.S3(load(result_name("ladder", scale, seed)), load(result_name(s3.RECIPE, scale, seed)),
                   get_recipe(s3.RECIPE, scale), reruns(s3.RECIPE, scale, seed))
        return s3.claims(ch)
    if chapter in ("exposure", "replication"):
        from ..experiments.recipes import get_recipe
        from . import exposure

        a6 = {}
        for rid in exposure.A6:
            try:
                a6[rid] = load(result_name(rid, scale, seed))
            except FileNotFoundError:
                pass
        ch = exposure.Exposure(load(result_name(exposure.RECIPE, scale, seed)), get_recipe(exposure.RECIPE, scale),
                               a6, seed)
        if chapter == "exposure":
            return exposure.claims(ch)
        from . import replication

        return replication.claims(load(replication.RESULT.format(scale=scale)))
    if chapter == "theory_markov":
        from ..sim.markov import chapter_config
        from . import theory_markov

        return theory_markov.claims(theory_markov.load(chapter_config(scale if scale != "paper" else "gpu", seed),
                                                       fresh=False)["data"])
    raise ValueError(f"unknown chapter {chapter!r}; allowed: {', '.join(CHAPTERS)}")


def scoreboard(scale: str = "laptop", seed: int = 0) -> pd.DataFrame:
    rows = []
    for chapter, title in CHAPTERS.items():
        try:
            claims = chapter_claims(chapter, scale, seed)
        except FileNotFoundError:
            rows.append({"chapter": chapter, "title": title, "claim": "(no committed result at this scale)",
                         "paper": "", "ours": "", "verdict": ""})
            continue
        rows += [{"chapter": chapter, "title": title, "claim": c.text, "paper": c.paper, "ours": c.headline or c.ours,
                  "verdict": c.verdict} for c in claims]
    return pd.DataFrame(rows)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(scale: str = "laptop", seed: int = 0) -> str:
    """The scoreboard as a MyST table, each claim linked to its chapter."""
    board = scoreboard(scale, seed)
    lines = [f"Every claim the chapters test, at the `{scale}` scale, with the verdict its chapter's rule computed "
             f"from the committed results (generated when the book is built; the rules are in each chapter).", "",
             "| claim | paper | ours (95% intervals) | verdict | chapter |", "|---|---|---|---|---|"]
    for r in board.itertuples():
        verdict = f"**{r.verdict}**" if r.verdict else ""
        lines.append(f"| {_cell(r.claim)} | {_cell(r.paper)} | {_cell(r.ours)} | {verdict} | "
                     f"{{doc}}`{r.title} </book/chapters/{r.chapter}>` |")
    return "\n".join(lines) + "\n"


def write(path: Path, scale: str = "laptop", seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(scale, seed))
    return path
