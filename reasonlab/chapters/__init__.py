"""The chapter layer: one module per finding, each with the same surface, in the same section order.

    data      load(scale, seed=0, fresh=False) -> the chapter object: committed results only; with fresh=True it
              runs what the chapter needs now (trains at most then). A missing result raises FileNotFoundError.
    rules     the constants the verdicts use, fixed before the runs (each with where it was fixed)
    verdicts  claims(ch) -> list[Claim] (the vocabulary of `claims.py`, each with the rule that decided it);
              numbers(ch) -> {name: value} for the prose's glue
    figures   fig_*(ch, ...) and the tables and computed prose the page shows
    controls  picker(ch) for the static book; widget(ch) and the new-point panel for a live kernel

Notebooks call these and hold no logic of their own. CHAPTERS lists them in reading order: it drives the book's
order (reasonlab.book), the scoreboard (chapters/scoreboard.py) and the chapter tests (tests/test_chapters.py). A new
chapter is a module with that surface, its notebook in notebooks/ with the same name, and one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# notebook and module name -> page title, in reading order
CHAPTERS = {
    "testbed": "The testbed: problems whose every step is known",
    "ladder": "The performance ladder",
    "rl_capability": "When does RL add capability?",
    "exposure": "How much exposure does a new context need?",
    "replication": "Replication or creation?",
    "mid_vs_rl": "Mid-training or RL?",
    "process_rewards": "Process rewards and reward hacking",
    "pretrain_difficulty": "How hard should pre-training be?",
    "theory_markov": "Why RL forgets rare reasoning paths (companion)",
}


def chapter(name: str) -> ModuleType:
    """The chapter module `name` of CHAPTERS (imported on first use: chapters import pandas and more)."""
    if name not in CHAPTERS:
        raise ValueError(f"unknown chapter {name!r}; allowed: {', '.join(CHAPTERS)}")
    return importlib.import_module(f"{__name__}.{name}")
