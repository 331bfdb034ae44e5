"""One vocabulary for what a chapter concludes: a `Claim` of the paper, our numbers, and a `Verdict` that a
stated rule computed from them.

Four verdicts, for every chapter: reproduced, partly, not reproduced, not testable. The rules that produce them
share three principles (issue 13, issue 26):
- an interval that includes zero is not an effect: a change is "up" only when its 95% interval lies above zero;
- a criterion that a model which learns nothing also meets cannot carry a verdict on its own: each claim names
  its discriminating part, and when that part fails the claim is not reproduced, whatever else holds;
- where the base and every arm sit at 0 on what the claim is about (`at_zero`), no rule can tell a model that
  learned from one that did not: the claim is not testable at this scale, with its numbers, never reproduced or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..results import Estimate

REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE = "reproduced", "partly", "not reproduced", "not testable"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE)
NOT_TESTABLE_RULE = "not testable when the base and every arm sit at 0 on it (a model that learns nothing does too)"


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
    k: int | None = None  # the k of our pass@k where the paper's is pass@128 (None: the claim is not about pass@k)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def at_zero(estimates) -> bool:
    """True when every estimate (a pass@k of the base and of each arm, with its interval) is exactly 0: the case
    where a claim is not testable."""
    estimates = list(estimates)
    return bool(estimates) and all(e.value == e.lo == e.hi == 0 for e in estimates)


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
    partly < reproduced), so a claim holds over seeds only as far as it holds in each. Seeds where the claim is
    not testable do not decide it; not testable when none can."""
    if not verdicts:
        raise ValueError("no verdict to combine")
    testable = [v for v in verdicts if v != NOT_TESTABLE]
    return max(testable, key=VERDICTS.index) if testable else NOT_TESTABLE


def claim_over_seeds(seeds: dict[int, Claim]) -> Claim:
    """One claim as several RL seeds decided it ({RL seed: that seed's claim}, seed 0 first): seed 0's, with the
    weakest verdict over the seeds (over_seeds) and every seed's number beside it; seed 0's unchanged when only it
    decides."""
    first = seeds[0]
    if len(seeds) == 1:
        return first
    each = "; ".join(f"RL seed {n}: {c.headline or c.ours} ({c.verdict})" for n, c in seeds.items())
    return Claim(first.chapter, first.text, first.paper, f"{first.ours} (RL seed 0); {each}",
                 over_seeds([c.verdict for c in seeds.values()]), f"{first.rule}; over RL seeds, the weakest verdict "
                 "(a rerun's arms in place of seed 0's)", each, first.k)


def some_seeds(verdicts: list[str]) -> str:
    """One claim decided by several RL seeds under an "every seed / some seeds" rule: reproduced when it is in every
    testable seed, partly when in some, not reproduced when in none (not testable when no seed can test it)."""
    if not verdicts:
        raise ValueError("no verdict to combine")
    testable = [v for v in verdicts if v != NOT_TESTABLE]
    return all_or_some([v == REPRODUCED for v in testable]) if testable else NOT_TESTABLE


def k_note(claim: Claim) -> str:
    """Which k our pass@k uses beside the paper's pass@128, e.g. "pass@64 (paper: pass@128)"; "" when the claim is
    not about pass@k."""
    return f"pass@{claim.k} (paper: pass@128)" if claim.k else ""


def table(claims: list[Claim]) -> pd.DataFrame:
    """The chapter's claims as a table: claim, paper, ours (with the k it uses), verdict, rule."""
    return pd.DataFrame([{"claim (paper)": c.text, "paper": c.paper,
                          "ours": c.ours + (f" (ours at {k_note(c)})" if c.k else ""), "verdict": c.verdict,
                          "rule": c.rule} for c in claims])


def counts(claims: list[Claim]) -> dict[str, int]:
    """How many claims got each verdict (every verdict present, zeros included)."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
