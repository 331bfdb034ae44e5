"""The A.7 chapter's verdicts: the bases' checks (the ladder's criteria and the RL gate), the RL arms the claims
read, the paired gains and the reward rise, the three claims, `numbers` (the prose's glue) and what the claims wait
for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ...results import Estimate, k_max, paired_gain_gap, reward_gain
from .. import ladder
from ..claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED, Claim, all_or_some, claim_over_seeds, counts
from .data import BASE, CHAPTER, RECIPE, PretrainDifficulty, pct
from .rules import (GATE_RULE, MIN_RL_ARMS, PAPER_FIG15, PAPER_FIG16, RISE_SHARES, RISE_STEPS, RL_GATE, TARGET_SHARE,
                    gate_value, rl_allowed)


def base_checks(ch: PretrainDifficulty) -> pd.DataFrame:
    """The ladder's calibration criteria (ladder.criteria_table) for every base run, one block of rows per base, and
    the RL gate as the block's last row (empty before any base has run)."""
    blocks = {}
    for base in ch.bases:
        e, k = gate_value(ch, base), k_max(ch.table, base)
        gate = {"criterion": f"RL gate: edge pass@{k} >= {RL_GATE:g}", "ours": round(e.value, 3),
                "95% CI": f"[{e.lo:.3f}, {e.hi:.3f}]", "holds": rl_allowed(ch, base), "rule": GATE_RULE}
        blocks[base] = pd.concat([ladder.criteria_table(ch.table, base), pd.DataFrame([gate])], ignore_index=True)
    return pd.concat(blocks, names=["base", "row"]).droplevel("row") if blocks else pd.DataFrame()


def judged(ch: PretrainDifficulty) -> list[str]:
    """The RL arms the claims read: run, with their base run and allowed by the gate (an arm run against the gate is
    shown, never judged), smallest share first."""
    return [a for a in ch.rl_arms if rl_allowed(ch, ch.base_of(a))]


def complete(ch: PretrainDifficulty) -> bool:
    """Every base has run and every RL arm the gate allows has run: nothing more can come at this scale."""
    return all(ch.named(h, BASE) in ch.bases for h in ch.shares) and all(
        ch.rl_arm(ch.share_of[b]) in ch.rl_arms for b in ch.bases if rl_allowed(ch, b))


def _at_zero(ch: PretrainDifficulty, models: list[str], band: str) -> bool:
    """No model of `models` verifies a single sample on the band: every pass@k of every model is 0 there (then no
    rule can tell a model that learned from one that did not)."""
    lo, hi = ch.band(band)
    return all(r["verified"] == 0 for m in models for r in ch.runs.records(m) if lo <= r["op"] <= hi)


def gain(ch: PretrainDifficulty, arm: str, band: str, k: int) -> Estimate:
    """RL's gain at one share: the RL arm minus its own base, paired per problem."""
    return ch.against(arm, ch.base_of(arm), band, k)


def gain_gap(ch: PretrainDifficulty, arm: str, than: str, band: str, k: int) -> Estimate:
    """gain(arm) - gain(than), paired per problem: every model is evaluated on the same problems, so each problem
    gives one difference of two gains (results.paired_gain_gap)."""
    return paired_gain_gap(ch.runs.records(ch.base_of(arm)), ch.runs.records(arm), ch.runs.records(ch.base_of(than)),
                           ch.runs.records(than), ch.band(band), k)


def reward_rise(ch: PretrainDifficulty, arm: str) -> float:
    """Mean training reward over the last RISE_STEPS GRPO steps minus the first RISE_STEPS (nan without two windows):
    results.reward_gain's point value, the statistic A.8's reward claims use."""
    return reward_gain(sorted(ch.runs.logs(arm, "rl"), key=lambda r: r["step"]), RISE_STEPS).value


def _hard_data_claim(ch: PretrainDifficulty) -> Claim | None:
    """Claim 1 (lab notes, session 14, 20:53): "verified edge pass@64 of the base at the largest share run minus the
    base at the smallest share run, paired: reproduced if above zero, not reproduced otherwise; the same for the RL
    models (among the bases given RL). Reproduced if both, partly if one." Waits for a second base."""
    km, bases, arms = ch.k_max, ch.bases, judged(ch)
    if len(bases) < 2:
        return None
    d = ch.against(bases[-1], bases[0], "edge", km)
    parts, held = [f"bases: {pct(ch.share_of[bases[-1]])} - {pct(ch.share_of[bases[0]])} {d.fmt(True)}"], [d.above_zero]
    if len(arms) >= 2:
        r = ch.against(arms[-1], arms[0], "edge", km)
        parts.append(f"RL models: {pct(ch.share_of[arms[-1]])} - {pct(ch.share_of[arms[0]])} {r.fmt(True)}")
        held.append(r.above_zero)
    else:  # the RL half cannot hold yet: at most partly
        parts.append(f"RL models: {len(arms)} base(s) given RL so far, the RL half needs two")
        held.append(False)
    ours = f"verified edge pass@{km}, " + "; ".join(parts)
    if _at_zero(ch, bases + arms, "edge"):
        verdict, ours = NOT_TESTABLE, ours + "; every model verifies 0 on the edge"
    else:
        verdict = all_or_some(held)
    return Claim(CHAPTER, "More hard data in pre-training raises the base's (and the RL model's) edge pass@k",
                 PAPER_FIG15, ours, verdict,
                 f"the base at the largest share run minus the base at the smallest, paired, on verified edge "
                 f"pass@{km}, and the same for the RL models (bases given RL): reproduced if both are above zero, "
                 "partly if one; not testable where every model sits at 0 on the edge", parts[0], k=km)


def _largest_gain_claim(ch: PretrainDifficulty) -> Claim | None:
    """Claim 2 (lab notes, session 14, 20:53): "RL's gain at a share = its RL arm minus its base, paired, on verified
    hard pass@64 (the paper's band; not testable where every base and arm verifies 0 on hard), with the edge band's as
    a second reading. Reproduced if the 20% gain is above zero and no other share's gain exceeds it with a paired
    interval above zero; not testable with fewer than three bases given RL." Waits until every base and every RL arm
    the gate allows has run (which share's gain is largest depends on all of them)."""
    if not complete(ch):
        return None
    km, arms = ch.k_max, judged(ch)
    rule = (f"RL's gain at a share = its RL arm minus its base, paired, on verified hard pass@{km}: reproduced if the "
            f"{pct(TARGET_SHARE)} gain is above zero and no other share's gain exceeds it with a paired interval above "
            f"zero (the difference of two gains, paired per problem); not testable with fewer than {MIN_RL_ARMS} bases "
            "given RL, without a 20% RL arm, or where every base and arm verifies 0 on hard")
    text = f"RL's gain is largest at an intermediate hard share (~{pct(TARGET_SHARE)})"
    target = next((a for a in arms if ch.share_of[a] == TARGET_SHARE), None)
    if len(arms) < MIN_RL_ARMS or target is None:
        why = (f"{len(arms)} base(s) given RL (the rule needs {MIN_RL_ARMS})" if len(arms) < MIN_RL_ARMS
               else f"the {pct(TARGET_SHARE)} base got no RL under the gate")
        return Claim(CHAPTER, text, PAPER_FIG15, why, NOT_TESTABLE, rule, k=km)
    def listed(estimates: dict[str, Estimate]) -> str:
        return "; ".join(f"{pct(ch.share_of[a])} {e.fmt(True)}" for a, e in estimates.items())

    edge = f"edge pass@{km} gains (the second reading): " + listed({a: gain(ch, a, "edge", km) for a in arms})
    if _at_zero(ch, [ch.base_of(a) for a in arms] + arms, "hard"):
        return Claim(CHAPTER, text, PAPER_FIG15, f"every base and arm verifies 0 on hard; {edge}", NOT_TESTABLE, rule,
                     "every base and arm verifies 0 on hard", k=km)
    hard = {a: gain(ch, a, "hard", km) for a in arms}
    gaps = {a: gain_gap(ch, a, target, "hard", km) for a in arms if a != target}
    ours = (f"hard pass@{km} gains (RL - base): {listed(hard)}; the gain at another share minus the gain at "
            f"{pct(TARGET_SHARE)}: {listed(gaps)}; {edge}")
    held = hard[target].above_zero and not any(g.above_zero for g in gaps.values())
    return Claim(CHAPTER, text, PAPER_FIG15, ours, REPRODUCED if held else NOT_REPRODUCED, rule,
                 f"{pct(TARGET_SHARE)}: {hard[target].fmt(True)}", k=km)


def _reward_claim(ch: PretrainDifficulty) -> Claim | None:
    """Claim 3 (lab notes, session 14, 20:53): "the rise = mean training reward over the last 5 GRPO steps minus the
    first 5; reproduced if the largest rise is at 20% or 50%; not testable with fewer than three RL arms." Waits until
    every base and every RL arm the gate allows has run. A tie for the largest rise is broken against the claim: a
    model that learns nothing ties everywhere and must get no credit."""
    if not complete(ch):
        return None
    rises = {a: reward_rise(ch, a) for a in judged(ch)}
    rises = {a: r for a, r in rises.items() if not np.isnan(r)}
    rule = (f"the rise = mean training reward over the last {RISE_STEPS} GRPO steps minus the first {RISE_STEPS}: "
            f"reproduced if the largest rise is at {' or '.join(pct(h) for h in RISE_SHARES)} (a tie with another "
            f"share gives no credit), not reproduced otherwise; not testable with fewer than {MIN_RL_ARMS} RL arms")
    text = f"The training reward rises most at {pct(RISE_SHARES[0])}-{pct(RISE_SHARES[-1])} hard data"
    if len(rises) < MIN_RL_ARMS:
        return Claim(CHAPTER, text, PAPER_FIG16, f"{len(rises)} RL arm(s) with a GRPO log (the rule needs "
                     f"{MIN_RL_ARMS})", NOT_TESTABLE, rule)
    top = max(rises.values())
    at_top = [a for a, r in rises.items() if r == top]
    held = all(ch.share_of[a] in RISE_SHARES for a in at_top)
    largest = f"largest at {', '.join(pct(ch.share_of[a]) for a in at_top)}"
    ours = (f"reward rise (last - first {RISE_STEPS} steps): "
            + "; ".join(f"{pct(ch.share_of[a])} {r:+.3f}" for a, r in rises.items()) + f"; {largest}")
    return Claim(CHAPTER, text, PAPER_FIG16, ours, REPRODUCED if held else NOT_REPRODUCED, rule, largest)


def _seed_claims(ch: PretrainDifficulty) -> list[Claim]:
    """The paper's A.7 claims whose inputs exist, read from one RL seed's arms."""
    return [c for c in (_hard_data_claim(ch), _largest_gain_claim(ch), _reward_claim(ch)) if c is not None]


CALIBRATED_PREFIX = "Calibrated recipe: "  # how a claim read on the calibrated arms reads beside the paper's setting's


def claims(ch: PretrainDifficulty) -> list[Claim]:
    """The paper's A.7 claims whose inputs exist at this scale (`waiting` says what the others wait for), read on the
    paper's setting's RL arms, then (once any has run) on the calibrated recipe's, the text prefixed with
    CALIBRATED_PREFIX; by the same rules."""
    cal = ch.calibrated()
    return setting_claims(ch) + ([replace(c, text=CALIBRATED_PREFIX + c.text) for c in setting_claims(cal)]
                                 if cal else [])


def setting_claims(ch: PretrainDifficulty) -> list[Claim]:
    """One setting's claims: seed 0's, each verdict the weakest over the RL seeds where a rerun changes what the claim
    reads (a claim holds over seeds only as far as it holds in each), with every seed's number beside it."""
    seeds = {n: _seed_claims(view) for n, view in ch.by_seed().items()}
    return [claim_over_seeds({n: s[i] for n, s in seeds.items() if n == 0 or s[i].ours != c.ours})
            for i, c in enumerate(seeds[0])]


def numbers(ch: PretrainDifficulty) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max,
            "n_bases": len(ch.bases), "n_shares": len(ch.shares), "n_rl_arms": len(ch.rl_arms),
            "n_gated_out": sum(not rl_allowed(ch, b) for b in ch.bases), "rl_gate": RL_GATE}


def waiting(ch: PretrainDifficulty) -> str:
    """What has not run at this scale, which bases the gate keeps from RL, and what the claims wait for."""
    sc = ch.recipe.scale.name
    lines = []
    todo = [ch.named(h, BASE) for h in ch.shares if ch.named(h, BASE) not in ch.bases]
    if todo:
        lines.append(f"- Bases not yet run at this scale: {', '.join(todo)} (each then decides, by the gate, whether "
                     "its RL arm runs).")
    blocked = [b for b in ch.bases if not rl_allowed(ch, b)]
    for b in blocked:
        e, arm = gate_value(ch, b), ch.rl_arm(ch.share_of[b])
        then = "ran against the gate: it is shown, never judged" if arm in ch.rl_arms else "is not run"
        lines.append(f"- No RL under the gate: {b} verifies edge pass@{k_max(ch.table, b)} {e.fmt()}, below "
                     f"{RL_GATE:g}, so {arm} {then}.")
    due = [ch.rl_arm(ch.share_of[b]) for b in ch.bases if rl_allowed(ch, b)]
    due = [a for a in due if a not in ch.rl_arms]
    if due:
        lines.append(f"- RL arms not yet run, their bases pass the gate: {', '.join(due)}.")
    orphans = [a for a in ch.rl_arms if ch.base_of(a) not in ch.bases]
    if orphans:
        lines.append(f"- RL arms whose base has no evaluation in this result (shown, not judged): "
                     f"{', '.join(orphans)}.")
    if todo or due:
        lines.append(f"- To run them: `python -m reasonlab run {RECIPE} --scale {sc} "
                     + " ".join(f"--arm {a}" for a in todo + due) + "`.")
    waits = []
    if len(ch.bases) < 2:
        waits.append("claim 1 (more hard data) waits for a second base")
    if not complete(ch):
        waits.append("claims 2 (largest gain at ~20%) and 3 (reward rise) wait for every base and every RL arm the "
                     "gate allows")
    if waits:
        text = "; ".join(waits)
        lines.append(f"- {text[0].upper()}{text[1:]}.")
    return "\n".join(lines) if lines else "Every base and every RL arm the gate allows has run at this scale."
