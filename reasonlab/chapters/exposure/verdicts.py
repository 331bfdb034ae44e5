"""The exposure chapter's verdicts: S4's claims and A.8's, each decided by the rule fixed before the runs, and
A.6's; `claims` and `numbers` (the prose's glue)."""

from __future__ import annotations

import math

from ...results import Estimate, Result, change, k_max, paired_delta, reward_contrast, reward_gain
from ..claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, all_or_some, at_zero,
                      counts, gated)
from .core import A, A6, B, CHAPTER, _of, a6_pairs, changes_of, paired_change, pct, value
from .data import Exposure, a6_deltas
from .rules import DIMINISHING_TOL, FLAT_TOL, LOW_SHARE, PAPER, REWARD_WINDOW, knows_a, qualifying_shares


def _gains(result: Result, pairs: dict, context: str | None) -> dict[float, Estimate]:
    """{label: reward gain} of the RL models in `pairs` ({label: (base, model or None)}) whose log has two windows of
    steps (a smoke run has fewer; with `context`, only models that logged that context's own reward)."""
    gains = {s: reward_gain(result.logs(rl, "rl"), REWARD_WINDOW, context) for s, (_, rl) in pairs.items() if rl}
    return {s: g for s, g in gains.items() if not math.isnan(g.value)}


def reward_gains(ch: Exposure, context: str | None = None) -> dict[float, Estimate]:
    """{B share of pre-training: reward gain} of the S4 RL arm that stands for each share (`Exposure.pairs`)."""
    return _gains(ch.runs, ch.pairs, context)


def verdicts(ch: Exposure) -> list[Claim]:
    """S4's claims and A.8's, each decided by the rule fixed before the runs (lab notes), and A.6's. With no RL arm
    yet, no claim: the chapter says which runs are missing instead."""
    km = ch.k_max
    qualified = qualifying_shares(ch)
    run = {s: pair for s, pair in ch.pairs.items() if pair[1]}
    left_out = [s for s in run if s not in qualified]  # an arm whose base fails the check: no verdict
    dt = changes_of(ch.runs, {s: pair for s, pair in run.items() if s in qualified}, ch.bands, km, "share")
    if dt.empty:
        return []
    shares = list(dt.share.unique())
    held = [s for s in shares if ch.pairs[s] != ch.shares.get(s)]
    parts = []
    if left_out:
        parts.append(f"left out: {', '.join(pct(s) for s in left_out)}, whose base fails the base check")
    if held:
        parts.append(f"{', '.join(pct(s) for s in held)}: the base with A's tokens held, the paper mapping's base "
                     f"failing the base check")
    note = f" ({'; '.join(parts)})" if parts else ""
    ops = ch.band("high")
    # B's high half per share and RL seed: the change against the share's own base, and the levels before and after
    seeds = {s: {0: ch.runs} | {n: r for n, r in ch.reruns.items() if ch.pairs[s][1] in r.models} for s in shares}
    b_high = {s: {n: paired_change(ch.runs, *ch.pairs[s], B, ops, km, model_result=r) for n, r in seeds[s].items()}
              for s in shares}
    levels = {s: [value(ch.runs, ch.pairs[s][0], B, "high", km)]
              + [value(r, ch.pairs[s][1], B, "high", km) for r in seeds[s].values()] for s in shares}
    up = {s: all(e.above_zero for e in b_high[s].values()) for s in shares}  # over RL seeds: the weakest
    low = [s for s in shares if s < LOW_SHARE]
    high = [s for s in shares if s >= LOW_SHARE]

    def fmt(which) -> str:
        return "; ".join(f"{pct(s)}: " + ", ".join(f"{e.fmt(True)}" + (f" (RL seed {n})" if len(b_high[s]) > 1
                                                                         else "") for n, e in b_high[s].items())
                         for s in which)

    silent = at_zero(e for s in shares for e in levels[s])  # B's high half: every base and arm at 0
    zero_note = f"; every base and RL arm: B high-half pass@{km} 0"
    claims = []
    if low:
        ok = not any(up[s] for s in low) and any(up[s] for s in high)
        claims.append(Claim(
            CHAPTER, "At 0% or 0.1% B in pre-training, RL does not transfer to B", PAPER["S4"],
            f"B high-half pass@{km} change, RL minus its base: {fmt(shares)}{note}" + (zero_note if silent else ""),
            NOT_TESTABLE if silent else REPRODUCED if ok else NOT_REPRODUCED,
            "no low-share arm's change lies above zero, and some >= 1% arm's does (without that contrast, 'no "
            f"transfer' is what RL that does nothing shows); {NOT_TESTABLE_RULE}",
            f"{fmt(low)} (>= 1%: {fmt(high) or 'not run'})" + (zero_note if silent else "" if ok or any(
                up[s] for s in high) else "; no contrast: no >= 1% arm transferred"), k=km))
    if high:
        high_silent = at_zero(e for s in high for e in levels[s])
        claims.append(Claim(
            CHAPTER, "At >= 1% B in pre-training, RL transfers to B up to the highest ops", PAPER["S4"],
            f"B high-half pass@{km} change: {fmt(high)}{note}" + (zero_note if high_silent else ""),
            NOT_TESTABLE if high_silent else all_or_some([up[s] for s in high]),
            f"B high-half pass@{km} change above zero for every >= 1% arm (in every RL seed); partly when for some; "
            f"{NOT_TESTABLE_RULE}", fmt(high) + (zero_note if high_silent else ""), k=km))
    any_up = any(up.values())
    a_changes = {(s, band.label, k): change(dt, share=s, template=A, band=band.label, k=k) for s in shares
                 for band in ch.bands for k in (1, km)}
    worst = min(a_changes.items(), key=lambda kv: kv[1].value)
    smallest = (f"smallest A change over arms, halves and k: {worst[1].fmt(True)} ({pct(worst[0][0])}, "
                f"{worst[0][1]}, pass@{worst[0][2]})")
    if silent:
        verdict, why = NOT_TESTABLE, "; no arm could raise B: every base and arm sit at 0 on B's high half"
    else:
        verdict = gated(any_up, [e.value >= -FLAT_TOL for e in a_changes.values()])
        why = "" if any_up else "; no arm raised B, so a stable A is not evidence here"
    claims.append(Claim(
        CHAPTER, "Context A stays stable under RL on A and B", PAPER["A"], smallest + why + note, verdict,
        f"gated on some arm raising B (a null RL leaves A stable too); then every A pass@1 and pass@{km} change "
        f">= -{FLAT_TOL}; not testable when every base and arm sit at 0 on B's high half (the gate cannot be met)",
        smallest + why, k=km))
    claims += reward_claims(ch, qualified, note)
    return claims + a6_verdicts(ch)


def reward_claims(ch: Exposure, qualified: set[float], note: str = "") -> list[Claim]:
    """A.8: the training reward gains little at minimal exposure and clearly at >= 1%. The claim is the contrast, so
    its discriminating part is a >= 1% arm's gain above a low-share arm's (rule revised in issue 26: a gain at 0% as
    large as at 1% is not the paper's picture, however clearly each is above zero)."""
    gains = {s: g for s, g in reward_gains(ch).items() if s in qualified}
    high = [s for s in gains if s >= LOW_SHARE]
    if not high:
        return []
    low = [s for s in gains if s < LOW_SHARE]
    logs = {s: ch.runs.logs(ch.pairs[s][1], "rl") for s in gains}
    contrasts = {(h, lo): reward_contrast(logs[h], logs[lo], REWARD_WINDOW) for h in high for lo in low}
    held = [c.above_zero for c in contrasts.values()]
    if not low:  # nothing to contrast with: the gains alone
        verdict = PARTLY if any(gains[s].above_zero for s in high) else NOT_REPRODUCED
    elif not any(held):
        verdict = NOT_REPRODUCED
    elif all(held) and all(gains[s].above_zero for s in high) and not any(gains[s].above_zero for s in low):
        verdict = REPRODUCED
    else:
        verdict = PARTLY
    listed = "; ".join(f"{pct(s)}: {g.fmt(True)}" for s, g in gains.items())
    versus = "; ".join(f"{pct(h)} minus {pct(lo)}: {c.fmt(True)}" for (h, lo), c in contrasts.items())
    return [Claim(
        CHAPTER, "Training reward: no gain at minimal exposure, a clear gain at >= 1%", PAPER["A.8"],
        f"reward gain (last minus first {REWARD_WINDOW} steps): {listed}; gain contrast: {versus or 'no low-share arm'}"
        + note, verdict,
        "the contrast: a >= 1% arm's gain above a low-share arm's (Welch 95% interval of the difference over steps); "
        "not reproduced when no pair shows it; reproduced when every pair does, every >= 1% gain is above zero and no "
        "low-share gain is; partly otherwise (or with no low-share arm run)",
        f"gains {listed}; contrast {versus or 'none'}")]


def a6_verdicts(ch: Exposure) -> list[Claim]:
    """A.6.1's and A.6.2's claims, where committed (rules fixed before the runs, lab notes). Not testable when the
    base fails the base check (no arm decides) or when the base and every arm sit at 0 on B's high half."""
    out = []
    for rid in [r for r in A6 if r in ch.a6]:
        result = ch.a6[rid]
        dt, km = a6_deltas(ch, rid), k_max(result.table)
        if dt.empty:
            continue
        b = {s: change(dt, rl_share=s, template=B, band="high", k=km) for s in dt.rl_share.unique()}
        nums = (f"the base's B high-half pass@{km} is {value(result, 'base', B, 'high', km).fmt()}; change by "
                f"B share of RL data: " + "; ".join(f"{pct(s)}: {e.fmt(True)}" for s, e in b.items()))
        untestable = []
        if not knows_a(result, "base", ch.bands, km):  # the base check, as for S4's bases
            untestable.append(f"its base fails the base check (A pass@{km} " + ", ".join(
                f"{band.label} {value(result, 'base', A, band.label, km).fmt()}" for band in ch.bands)
                + "), so no arm decides")
        if at_zero(value(result, m, B, "high", km) for m in ["base", *(arm for _, arm in a6_pairs(result).values())]):
            untestable.append(f"the base and every arm: B high-half pass@{km} 0")
        if rid == "A.6.1":
            parts = [b[0.0].above_zero] if 0.0 in b else []
            if 0.0 in b and 1.0 in b:  # more B is better: the 100% arm above the 0% arm, paired per problem
                arms = a6_pairs(result)
                r0, r1 = (_of(result.records(arms[s][1]), B) for s in (0.0, 1.0))
                more = paired_delta(r0, r1, ch.band("high"), km)
                parts.append(more.above_zero)
                nums += f"; 100% minus 0%: {more.fmt(True)}"
            text = "B seen at all ops (0.1%): even 0% B in RL transfers, more B is better"
            verdict = gated(bool(parts) and parts[0], parts[1:])
            rule = "the 0% arm's change above zero (discriminating); then the 100% arm's change above the 0% arm's"
        else:
            up = {s: e.above_zero for s, e in b.items()}
            rest = [not up.get(0.0, False), not up.get(0.01, False)]
            if 0.5 in b and 1.0 in b:
                rest.append(b[1.0].value - b[0.5].value <= DIMINISHING_TOL)
            text = "B seen only at op 2 (1%): 0-1% B in RL gives little, ~10% transfers, more adds little"
            verdict = gated(up.get(0.1, False), rest)
            rule = ("the 10% arm's change above zero (discriminating); then 0% and 1% not above zero and the 100% arm "
                    f"at most {DIMINISHING_TOL} above the 50% arm")
        if untestable:
            verdict, nums = NOT_TESTABLE, "; ".join(untestable) + "; " + nums
        out.append(Claim(CHAPTER, text, PAPER[rid], nums, verdict,
                         f"{rule}; not testable when the base fails the base check or the base and every arm sit at "
                         f"0 on B's high half", k=km))
    return out


def claims(ch: Exposure) -> list[Claim]:
    return verdicts(ch)


def numbers(ch: Exposure) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max,
            "n_shares": len(ch.shares)}
