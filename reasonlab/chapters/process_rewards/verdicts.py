"""The S6 chapter's verdicts: the paper's S6 claims for one RL seed, by RL seed, combined over the seeds (`claims`),
and `numbers` (the prose's glue)."""

from __future__ import annotations

from ...evaluate import pass_at_k
from ...results import Result
from ..claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, at_zero,
                      claim_over_seeds, counts, gated)
from .data import CHAPTER, S6
from .rules import LINEAR, MIN_LINEAR, PAPER_FIG7, PROCESS_AWARE


def verdicts(ch: S6, run: Result | None = None) -> dict[str, Claim]:
    """The paper's S6 claims for one RL seed ({claim id: Claim}); an arm missing from a rerun is seed 0's. A claim
    whose arms have not run at this scale is left out (the chapter lists what waits)."""
    km, out = ch.k_max, {}
    outcome, mix02, strict = ch.arm("outcome"), ch.arm("mix-0.2"), ch.arm("strict")
    aware = [a for r in PROCESS_AWARE if (a := ch.arm(r))]
    if outcome and aware:
        for band in ("edge", "hard"):
            d = {a: ch.against(a, outcome, band, 1, run) for a in aware}
            models = ["base", *ch.arms]
            ours = "; ".join(f"{a} - {outcome}: {e.fmt(True)}" for a, e in d.items())
            if at_zero(ch.value(m, band, "pass@k", 1) for m in models):
                verdict, ours = NOT_TESTABLE, f"{ours}; the base and every arm: {band} pass@1 0"
            else:
                up, down = sum(e.above_zero for e in d.values()), sum(e.below_zero for e in d.values())
                verdict = (REPRODUCED if 2 * up >= len(d) and not down else PARTLY if up else NOT_REPRODUCED)
            out[f"aware_{band}"] = Claim(
                CHAPTER, f"Process-aware rewards raise {band}-band pass@1 over the outcome reward", PAPER_FIG7, ours,
                verdict, "reproduced if the paired (arm - outcome) interval of verified pass@1 lies above zero for at "
                         "least half of the process-aware arms and below zero for none; partly if for some; "
                         + NOT_TESTABLE_RULE, f"{sum(e.above_zero for e in d.values())} of {len(d)} above zero")
    linear = [a for r in LINEAR if (a := ch.arm(r))]
    if mix02 and outcome and len(linear) >= MIN_LINEAR:
        held, parts = [], []
        for k in (1, km):
            best = max(linear, key=lambda a: _level(ch, a, "edge", k, run))
            gap = ch.against(best, mix02, "edge", k, run)
            held.append(best == mix02 or not gap.above_zero)
            parts.append(f"pass@{k}: best {best}" + ("" if best == mix02 else f", best - mix-0.2 {gap.fmt(True)}"))
        over_outcome = ch.against(mix02, outcome, "edge", 1, run)  # the discriminating part: tied arms all "balance"
        parts.append(f"mix-0.2 - outcome, pass@1: {over_outcome.fmt(True)}")
        out["mix_best"] = Claim(CHAPTER, "0.2 R_out + 0.8 R_pv balances best among the linear rewards", PAPER_FIG7,
                                "; ".join(parts), gated(over_outcome.above_zero, held),
                                f"mix-0.2 beats the outcome arm on verified edge pass@1 (interval above zero; else not "
                                f"reproduced), and among the linear arms run (at least {MIN_LINEAR}) it is best on "
                                f"pass@1 and pass@{km}, or the paired (best - mix-0.2) interval reaches zero, on each; "
                                "partly if on one", parts[-1], k=km)
    if mix02 and strict:
        d = ch.against(strict, mix02, "edge", 1, run)
        out["strict_gain"] = Claim(CHAPTER, "The strict reward gains over 0.2 R_out + 0.8 R_pv", PAPER_FIG7,
                                   f"edge pass@1 strict - mix-0.2: {d.fmt(True)}",
                                   REPRODUCED if d.above_zero else NOT_REPRODUCED,
                                   "the paired (strict - mix-0.2) interval of verified edge pass@1 lies above zero",
                                   d.fmt(True))
    return out


def _level(ch: S6, model: str, band: str, k: int, run: Result | None) -> float:
    """Mean verified pass@k of one model on a band, from the records of seed 0 or a rerun (no interval needed)."""
    lo, hi = ch.band(band)
    rs = [r for r in ch.records(run)[model] if lo <= r["op"] <= hi]
    return sum(pass_at_k(r["n"], r["verified"], k) for r in rs) / len(rs)


def by_seed(ch: S6) -> dict[int, dict[str, Claim]]:
    """{RL seed: claims}: seed 0's, and each rerun's with its arms in place of seed 0's."""
    return {0: verdicts(ch), **{n: verdicts(ch, run) for n, run in ch.reruns.items()}}


def claims(ch: S6) -> list[Claim]:
    """Seed 0's claims, each verdict the weakest over the RL seeds (a claim holds over seeds only as far as it holds in
    each), with every seed's number beside it."""
    seeds = by_seed(ch)
    return [claim_over_seeds({n: s[cid] for n, s in seeds.items() if cid in s}) for cid in seeds[0]]


def numbers(ch: S6) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max,
            "n_arms": len(ch.arms), "rl_steps": next((a.rl.steps for a in ch.recipe.arms if a.rl), 0)}
