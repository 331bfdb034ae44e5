"""One vocabulary for what a chapter concludes: a `Claim` of the paper, our numbers, and a `Verdict` that a
stated rule computed from them.

Three verdicts, for every chapter: reproduced, partly, not reproduced. The rules that produce them share two
principles (issue 13):
- an interval that includes zero is not an effect: a change is "up" only when its 95% interval lies above zero;
- a criterion that a model which learns nothing also meets cannot carry a verdict on its own: each claim names
  its discriminating part, and when that part fails the claim is not reproduced, whatever else holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..results import Estimate

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly", "not reproduced"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED)


@dataclass(frozen=True)
class Claim:
    """A finding of the paper as one chapter tests it."""

    chapter: str  # the chapter's notebook name (links the scoreboard to its page)
    text: str  # the paper's claim, in one sentence
    paper: str  # the paper's number(s) behind it, with its section or figure
    ours: str  # our numbers the verdict rests on, each with its interval
    verdict: str  # one of VERDICTS
    rule: str  # the rule that decided the verdict, fixed before the run
    headline: str = ""  # the one number of `ours` the verdict turns on, for the scoreboard ("" = all of ours)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def direction(change: Estimate) -> str:
    """"up" or "down" when the 95% interval excludes zero, else "flat"."""
    return "up" if change.above_zero else "down" if change.below_zero else "flat"


def all_or_some(parts: list[bool]) -> str:
    """reproduced when every part holds, partly when some do, not reproduced when none (or nothing was tested)."""
    if parts and all(parts):
        return REPRODUCED
    return PARTLY if any(parts) else NOT_REPRODUCED


def gated(discriminating: bool, rest: list[bool]) -> str:
    """A claim whose discriminating part must hold for any credit: not reproduced when it fails; otherwise
    reproduced when the rest holds too, partly when not."""
    if not discriminating:
        return NOT_REPRODUCED
    return REPRODUCED if all(rest) else PARTLY


def over_seeds(verdicts: list[str]) -> str:
    """One claim decided by several independent runs (RL seeds): the weakest of their verdicts (not reproduced <
    partly < reproduced), so a claim holds over seeds only as far as it holds in each."""
    if not verdicts:
        raise ValueError("no verdict to combine")
    return max(verdicts, key=VERDICTS.index)


def table(claims: list[Claim]) -> pd.DataFrame:
    """The chapter's claims as a table: claim, paper, ours, verdict, rule."""
    return pd.DataFrame([{"claim (paper)": c.text, "paper": c.paper, "ours": c.ours, "verdict": c.verdict,
                          "rule": c.rule} for c in claims])


def counts(claims: list[Claim]) -> dict[str, int]:
    """How many claims got each verdict (every verdict present, zeros included)."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
