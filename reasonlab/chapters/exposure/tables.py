"""The "How much exposure does a new context need?" chapter: S4 / Fig 4, A.8 / Fig 17, A.6.1 / Fig 12 and
A.6.2 / Fig 13-14 of the paper.

Context A (animals-zoo) is pre-trained over the scale's context ops; context B (teachers-school) appears in
pre-training only at the lowest op, with share s. Each base and the same base after GRPO on A and B are evaluated
on the same problems per template, so every RL change is paired with its own base; the interval is a bootstrap
over problems. A.6 keeps one base and varies the share of B in the RL data instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import matplotlib.ticker
import numpy as np
import pandas as pd

from ..evaluate import guess_baseline
from ..experiments.recipes import Recipe, get_recipe
from ..experiments.runner import run_point
from ..generator import Band, LabelledBand, band_named
from ..k_control import columns, guess_answers, pass_at_k_control
from ..plots import PALETTE, note_hidden
from ..results import (COUNTS, Estimate, Result, change, k_max, load_or_run, paired_changes, paired_delta, reruns,
                       reward_contrast, reward_gain, reward_series, select)
from ..widgets import run_panel, static_picker
from . import outputs
from .claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, all_or_some, at_zero,
                     counts, gated)

# matplotlib.pyplot and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


# == data ============================================================================================================

RECIPE = "S4"
A6 = ("A.6.1", "A.6.2")
RECIPES = (RECIPE, *A6)  # every recipe whose results the chapter reads (the scoreboard's list of covered findings)
CHAPTER = "exposure"
A, B = "animals-zoo", "teachers-school"
TEMPLATES = {A: "A (animals-zoo)", B: "B (teachers-school)"}
LETTER = {A: "A", B: "B"}
HALVES = ("low", "high")  # the context ops' low and high halves (paper: op 2-10 and 11-20)


@dataclass
class Exposure:
    """The chapter's data: the S4 result (a base and an RL arm per exposure share), the recipe, the A.6 results
    that are committed ({recipe id: result}) and S4's reruns of some RL arms with other RL seeds ({rl_seed:
    result}, evaluated on the same problems, so paired with the same bases)."""

    runs: Result
    recipe: Recipe
    a6: dict[str, Result] = field(default_factory=dict)
    seed: int = 0
    reruns: dict[int, Result] = field(default_factory=dict)

    @cached_property
    def k_max(self) -> int:
        return k_max(self.runs.table)

    @property
    def bands(self) -> tuple[LabelledBand, ...]:
        """The context ops' low and high halves (the evaluation's bands)."""
        return self.recipe.evaluation.bands

    def band(self, label: str) -> Band:
        """The op range (lo, hi) of the half labelled `label` ("low" or "high")."""
        return band_named(self.bands, label).op_range

    def _pairs(self, stages: tuple[str, str]) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)} of the arms at `stages` (base, RL) whose base was evaluated."""
        out: dict[float, list] = {}
        for a in self.recipe.arms:
            if a.name in self.runs.models and a.param("stage") in stages:
                out.setdefault(a.param("b_share"), [None, None])[a.rl is not None] = a.name
        return {s: (base, rl) for s, (base, rl) in sorted(out.items()) if base is not None}

    @cached_property
    def shares(self) -> dict[float, tuple[str, str | None]]:
        """{B share of pre-training: (base model, RL model or None)} of the paper's mapping, for every share whose
        base was evaluated."""
        return self._pairs(("base", "rl"))

    @cached_property
    def held_a(self) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)} of the mapping revision: a base whose A tokens are held at the 0%
        base's (S4_HELD_A_SHARES), for every share whose held-A base was evaluated."""
        return self._pairs(("heldA-base", "heldA-rl"))

    @cached_property
    def shown(self) -> dict[str, tuple[str, str | None]]:
        """{label: (base, RL model or None)} of every base the figures draw: the paper mapping's per share ("10%"),
        then the held-A ones ("10% A held")."""
        return {pct(s): pair for s, pair in self.shares.items()} | {
            f"{pct(s)} A held": pair for s, pair in self.held_a.items()}

    def qualifies(self, base: str) -> bool:
        return knows_a(self.runs, base, self.bands, self.k_max)

    @cached_property
    def pairs(self) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)}: the pair that stands for each share in the verdicts, Fig 5 and the
        samples. The paper mapping's, or the held-A one where the paper mapping's base fails the base check and
        the held-A base passes it (rule fixed before that run: lab notes, session 7)."""
        out = dict(self.shares)
        for s, (base, rl) in self.held_a.items():
            if s in out and not self.qualifies(out[s][0]) and self.qualifies(base):
                out[s] = (base, rl)
        return out

    @cached_property
    def strict(self) -> dict[float, tuple[str, str]]:
        """{B share: (base, strict-reward RL arm)} of the arms beyond the paper that have run."""
        return {a.param("b_share"): (self.shares[a.param("b_share")][0], a.name) for a in self.recipe.arms
                if a.param("stage") == "rl-strict" and a.name in self.runs.models and a.param("b_share") in self.shares}

    @cached_property
    def problem_sets(self) -> dict:
        """S4's evaluation problems ({label: problems}), generated once (A.6 evaluates the same ones)."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)

    @cached_property
    def dt(self) -> pd.DataFrame:
        """Paired changes of every RL arm vs its own base: one row per (share, template, band, k)."""
        pairs = {s: (base, rl) for s, (base, rl) in self.shares.items() if rl}
        return changes_of(self.runs, pairs, self.bands, self.k_max, "share")


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Exposure:
    """The committed S4 result, whichever A.6 results are committed, and S4's committed reruns with other RL seeds
    (fresh: run S4 and A.6 now; without fresh nothing trains, and a missing S4 result raises FileNotFoundError)."""
    runs = load_or_run(RECIPE, scale, seed, fresh)
    a6 = {}
    for rid in A6:
        try:
            a6[rid] = load_or_run(rid, scale, seed, fresh)
        except FileNotFoundError:  # not run yet at this scale: the chapter says so
            pass
    return Exposure(runs, get_recipe(RECIPE, scale), a6, seed, reruns(RECIPE, scale, seed) if not fresh else {})


def _of(records: list[dict], template: str) -> list[dict]:
    return [r for r in records if r["template"] == template]


def paired_change(result: Result, base: str, model: str, template: str, ops: tuple[int, int], k: int,
                  count: str = "verified", model_result: Result | None = None) -> Estimate:
    """pass@k of `model` minus `base` on one context's problems of ops, paired per problem; the model's records come
    from `model_result` when it is another result on the same problems (a rerun with another RL seed)."""
    return paired_delta(_of(result.records(base), template), _of((model_result or result).records(model), template),
                        ops, k, count=count)


def changes_of(result: Result, pairs: dict, bands: Sequence[LabelledBand], k_max: int, key: str) -> pd.DataFrame:
    """Paired pass@1 and pass@k_max changes, model minus its base, per template and band (results.paired_changes);
    `pairs` is {label: (base model, model)} of `result` and the label goes in column `key`."""
    records = {label: (result.records(base), result.records(model)) for label, (base, model) in pairs.items()}
    return paired_changes(records, bands, (1, k_max), key, templates=(A, B))


def pct(share: float) -> str:
    return f"{share * 100:g}%"


def value(result: Result, model: str, template: str, band: str, k) -> Estimate:
    return result.value(model, f"{template}:{band}", "pass@k", k)


def a6_pairs(result: Result) -> dict[float, tuple[str, str]]:
    """{B share of the RL data: ("base", arm)} of an A.6 result."""
    recipe = get_recipe(result.manifest["config"]["recipe"], result.manifest["config"]["scale"])
    return {a.param("rl_b_share"): ("base", a.name) for a in recipe.arms if a.rl and a.name in result.models}


def a6_deltas(ch: Exposure, rid: str) -> pd.DataFrame:
    result = ch.a6[rid]
    return changes_of(result, a6_pairs(result), ch.bands, k_max(result.table), "rl_share")


SAMPLES_RESULT = "S4-samples-{scale}"


def samples_result(ch: Exposure, fresh: bool = False) -> Result:
    """Every S4 and A.6 model's own outputs on context B with the verifier's report (outputs.sample_checkpoint: the same
    problems and sampling seeds for every model): the committed result, or (fresh, or none committed) sampled now
    from the checkpoints this machine has (the others are listed as missing)."""
    config = outputs.samples_config(ch.recipe, ch.seed) | {"template": B}
    return outputs.checkpoints_samples(
        SAMPLES_RESULT.format(scale=ch.recipe.scale.name), fresh, "S4-samples", sample_checkpoints(ch), config,
        lambda final: outputs.sample_checkpoint(final, ch.recipe, ch.seed, template=B), RECIPE, ch.recipe.scale.name)


def sample_checkpoints(ch: Exposure) -> dict[str, str]:
    """{label: checkpoint (portable path)} of every S4 model, then A.6's own models as "A.6.x:model" (a model trained
    once for two recipes, like A.6.2's base = S4's 1% base, is sampled once)."""
    checkpoints = {model: work["parent"] for model, work in ch.runs.data.get("arm_work", {}).items()}
    for rid, result in ch.a6.items():
        for model, work in result.data.get("arm_work", {}).items():
            if work["parent"] not in checkpoints.values():
                checkpoints[f"{rid}:{model}"] = work["parent"]
    return checkpoints


# == rules ===========================================================================================================

LOW_SHARE = 0.01  # shares below this are the paper's "minimal exposure" (0% and 0.1%)

# Rules fixed before the runs (lab notes, 2026-12-02 session 4).
A_MIN = 0.9  # a base qualifies for RL when its A pass@k_max is >= this on both halves
FLAT_TOL = 0.05  # "A stays stable": every A change >= -FLAT_TOL
REWARD_WINDOW = 5  # A.8: the reward gain compares the mean reward of the last and the first steps
DIMINISHING_TOL = 0.05  # A.6.2: the 100% arm's B gain at most this above the 50% arm's
SECOND_SEED_SHARES = (0.01, 0.1)  # the budget: a second RL seed for these exposure shares

PAPER = {  # the paper's numbers (Sec. 4, Fig 4; App. A.6, A.8)
    "S4": "0% or 0.1% B: no transfer; >= 1% B: strong transfer up to op 20, up to +60 points pass@128 (Fig 4)",
    "A": "A stays stable (Fig 4, Fig 13)",
    "A.8": "reward flat at minimal exposure, clear gain at moderate to full exposure (Fig 17)",
    "A.6.1": "even 0% B in RL transfers clearly; more B in RL is better (Fig 12)",
    "A.6.2": "0-1% B: little transfer, flat reward; ~10% B: +76 points pass@128 on B; 50-100%: diminishing (Fig 13-14)",
}


def knows_a(result: Result, base: str, bands: Sequence[LabelledBand], k: int) -> bool:
    """The base check: A pass@k >= A_MIN on every half (a base must know A before B can borrow from it)."""
    return all(value(result, base, A, band.label, k).value >= A_MIN for band in bands)


def qualifying_shares(ch: Exposure) -> set[float]:
    """The exposure shares whose standing base (`Exposure.pairs`) passes the base check: only their RL arms carry a
    verdict (rule fixed before the runs; an arm from a base that fails it is shown as exploration)."""
    return {s for s, (base, _) in ch.pairs.items() if ch.qualifies(base)}


# == verdicts ========================================================================================================

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


# == figures and tables ==============================================================================================

def setup_text(ch: Exposure) -> str:
    sc, ev = ch.recipe.scale, ch.recipe.evaluation
    lo, hi = sc.context_ops
    (llo, lhi), (hlo, hhi) = ch.band("low"), ch.band("high")
    return (f"Context A is pre-trained over op {lo}-{hi} ({sc.pretrain_tokens:,} tokens), context B only at "
            f"op {lo}, with the share of B as the knob; RL is {sc.rl_steps} GRPO steps of {sc.rl_prompts_per_step} "
            f"prompts x {sc.rollouts} rollouts, 50% A and 50% B over op {lo}-{hi}, outcome reward. Each base and its "
            f"RL arm are evaluated on the same {ev.problems_per_op} problems per op and template x {ev.samples} "
            f"samples; the halves are op {llo}-{lhi} (the paper's op 2-10) and {hlo}-{hhi} (its 11-20).")


def missing_runs(ch: Exposure) -> str:
    """Which arms of the recipes' grids are not committed at this scale, with the command that runs them."""
    sc = ch.recipe.scale.name
    lines = []
    have = set(ch.runs.models)
    todo = [a.name for a in ch.recipe.arms if a.name not in have]
    if todo:
        lines.append(f"- S4: not run yet at this scale: {', '.join(todo)} "
                     f"(`python -m reasonlab run S4 --scale {sc} --arm NAME`).")
    qualified = qualifying_shares(ch)  # a second seed is not spent on a base that fails the check
    for s in SECOND_SEED_SHARES:
        rl = ch.pairs[s][1] if s in qualified else None
        if rl and not any(rl in r.models for r in ch.reruns.values()):
            lines.append(f"- S4: {rl} with a second RL seed (`python -m reasonlab run S4 --scale {sc} --rl-seed 1 "
                         f"--arm {rl}`).")
    for rid in A6:
        recipe = get_recipe(rid, sc)
        done = set(ch.a6[rid].models) if rid in ch.a6 else set()
        todo = [a.name for a in recipe.arms if a.name not in done]
        if todo:
            lines.append(f"- {rid}: not run yet at this scale: {', '.join(todo)} "
                         f"(`python -m reasonlab run {rid} --scale {sc} --arm NAME`).")
    return "\n".join(lines) if lines else "Every arm of S4, A.6.1 and A.6.2 has run at this scale."


def b_exposure(pretrain) -> str:
    """How a base saw context B in pre-training, e.g. "1% B at op 2" or "0.1% B at op 2-9"."""
    b = [c for c in pretrain.mixture.components if c.template == B]
    if not b:
        return "0% B"
    ops = "-".join(dict.fromkeys(str(o) for o in (b[0].op_lo, b[0].op_hi)))
    return f"{pct(sum(c.weight for c in b))} B at op {ops}"


def _check_row(label: str, result: Result, base: str, bands: Sequence[LabelledBand], k_max: int) -> dict:
    row = {"base": label}
    for t in (A, B):
        for band in bands:
            for k in (1, k_max):
                row[f"{LETTER[t]} {band.label} pass@{k}"] = value(result, base, t, band.label, k).fmt()
    row["qualifies"] = knows_a(result, base, bands, k_max)
    return row


def base_check(ch: Exposure) -> pd.DataFrame:
    """Per base (S4's, one per exposure share, then each A.6 base that is not one of them): its verified pass@1 and
    pass@k_max on A and B per half, and whether it qualifies for RL (A pass@k_max >= A_MIN on both halves: a base
    must know A before B can borrow from it)."""
    arms = {a.name: a for a in ch.recipe.arms}
    rows = [_check_row(f"S4, {b_exposure(arms[base].pretrain)}", ch.runs, base, ch.bands, ch.k_max)
            for base, _ in ch.shares.values()]
    rows += [_check_row(f"S4, {b_exposure(arms[base].pretrain)}, A's tokens held ({arms[base].pretrain.tokens:,} "
                        f"in all)", ch.runs, base, ch.bands, ch.k_max) for base, _ in ch.held_a.values()]
    s4_bases = {arms[base].pretrain for base, _ in ch.shares.values()}
    for rid, result in ch.a6.items():
        pre = get_recipe(rid, ch.recipe.scale.name).arms[0].pretrain  # every A.6 arm shares the first arm's base
        if pre not in s4_bases and "base" in result.models:
            rows.append(_check_row(f"{rid}, {b_exposure(pre)}", result, "base", ch.bands, k_max(result.table)))
    return pd.DataFrame(rows)


def held_a_table(ch: Exposure) -> pd.DataFrame:
    """The mapping revision: per share with a held-A base, the paper mapping's base and the held-A base side by
    side: pre-training tokens, the base check (A high-half pass@k_max), B's high half before RL, and each RL arm's
    paired changes (B verified pass@k_max and outcome pass@1, A pass@1, on the high half) and reward gain.
    Empty when no held-A base has been evaluated."""
    km, ops, rows = ch.k_max, ch.band("high"), []
    for s, held in ch.held_a.items():
        for label, (base, rl) in (("as the paper", ch.shares.get(s)), ("A's tokens held", held)):
            if base is None:
                continue
            row = {"B share of pre-training": pct(s), "base": label,
                   "pre-training tokens": f"{ch.recipe.arm(base).pretrain.tokens:,}",
                   f"base A high pass@{km}": value(ch.runs, base, A, "high", km).fmt(),
                   "qualifies": ch.qualifies(base), f"base B high pass@{km}": value(ch.runs, base, B, "high", km).fmt()}
            for t, k, count in ((B, km, "verified"), (B, 1, "outcome"), (A, 1, "verified")):
                row[f"RL change, {LETTER[t]} high {'outcome ' if count == 'outcome' else ''}pass@{k}"] = (
                    paired_change(ch.runs, base, rl, t, ops, k, count).fmt(True) if rl else "not run")
            gain = _gains(ch.runs, {s: (base, rl)}, None).get(s)
            row["reward gain"] = gain.fmt(True) if gain else "not run"
            rows.append(row)
    return pd.DataFrame(rows)


def held_a_reading(ch: Exposure) -> str:
    """What the held-A base says about the laptop mapping, computed: does holding A's tokens restore the base
    check, and so which base stands for the share."""
    km, lines = ch.k_max, []
    for s, (held, _) in ch.held_a.items():
        paper = ch.shares.get(s, (None, None))[0]
        a_held = value(ch.runs, held, A, "high", km)
        line = f"- {pct(s)} B: with A's tokens held, the base's A high-half pass@{km} is {a_held.fmt()}"
        if paper:
            line += f" (as the paper: {value(ch.runs, paper, A, 'high', km).fmt()})"
        if ch.pairs[s][0] == held:
            line += ("; it passes the base check where the paper mapping's base fails it, as too few A tokens would "
                     "explain (one base each, so a weak draw is not ruled out), and it stands for this share in the "
                     "verdicts.")
        elif ch.qualifies(held):
            line += "; both bases pass the base check, and the paper mapping's stands for this share."
        else:
            line += ("; it fails the base check too, so too few A tokens does not explain the failure (B's data "
                     "crowding A out of the model, or a weak draw, would), and this share carries no verdict.")
        lines.append(line)
    return "\n".join(lines)


def changes_table(dt: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per arm (its share), one column per (template, band, k): "change [95% CI]"."""
    if dt.empty:
        return pd.DataFrame()
    show = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()],
                     template=dt.template.map(LETTER), **{key: dt[key].map(pct)})
    order = {s: i for i, s in enumerate(show[key].unique())}
    out = show.pivot_table(index=key, columns=["template", "band", "k"], values="change", aggfunc="first")
    return out.loc[sorted(out.index, key=order.get)]


def reading(ch: Exposure) -> str:
    """What the tables say, computed from them."""
    km, lines = ch.k_max, []
    for s, (base, rl) in ch.shares.items():
        b = value(ch.runs, base, B, "high", km)
        line = f"- {pct(s)} B: the base's B high-half pass@{km} is {b.fmt()}"
        if rl:
            d1, dk = (change(ch.dt, share=s, template=B, band="high", k=k) for k in (1, km))
            line += f"; RL changes it by {dk.fmt(True)} (pass@1 by {d1.fmt(True)})"
        lines.append(line + ".")
    return "\n".join(lines + gain_lines(ch.runs, ch.shares, "- Reward gain over the run"))


METRIC_OF = {"verified": "pass@k", "outcome": "outcome_pass@k"}


def b_guess(recipe: Recipe) -> dict[str, float]:
    """The blind guesser's outcome pass@1 on B's problems of a recipe's evaluation, per half ({label: value}): it
    never reads the question and draws its answer from the half's other B gold answers (evaluate.guess_pass_at_k).
    Outcome pass@1 never appears without it."""
    sets = {key: probs for key, probs in recipe.evaluation.problem_sets(recipe.scale).items() if key[0] == B}
    g = guess_baseline(sets, recipe.evaluation.bands, (1,))
    return dict(zip(g.key, g.value))


def outcome_changes(result: Result, recipe: Recipe, pairs: dict, key: str) -> pd.DataFrame:
    """B's pass@1 per pair and half, counted two ways: verified (every step right, B's names included: the paper's
    metric) and outcome (the right answer, whatever the steps); the base's value and the paired change of the
    model in each, and the blind guesser's outcome pass@1 beside them. `result` is `recipe`'s; `pairs` is {label:
    (base, model or None)}; the label (a share) goes in column `key`."""
    rows, guess = [], b_guess(recipe)
    for label, (base, model) in pairs.items():
        for band in recipe.evaluation.bands:
            row = {key: pct(label), "B half": f"{band.label} (op {band.lo}-{band.hi})"}
            for count in COUNTS:
                row[f"base, {count} pass@1"] = result.value(base, f"{B}:{band.label}", METRIC_OF[count], 1).fmt()
            row["blind guess, outcome pass@1"] = f"{guess[band.label]:.3f}"
            for count in COUNTS:
                row[f"RL change, {count} pass@1"] = (
                    paired_change(result, base, model, B, band.op_range, 1, count).fmt(True) if model else "not run")
            rows.append(row)
    return pd.DataFrame(rows)


def outcome_table(ch: Exposure) -> pd.DataFrame:
    """S4: B counted verified and by outcome, per exposure share (a model that computes B's answer in A's words
    gets the answer and fails the verifier)."""
    return outcome_changes(ch.runs, ch.recipe, ch.shares, "B share of pre-training")


def outcome_reading(ch: Exposure) -> str:
    """What the outcome table says on B's high half, computed from it."""
    ops = ch.band("high")
    lines = []
    for s, (base, rl) in ch.shares.items():
        if not rl:
            continue
        out, ver = (paired_change(ch.runs, base, rl, B, ops, 1, c) for c in ("outcome", "verified"))
        what = ("RL raises how often B's answer is right without raising how often B's solution verifies"
                if out.above_zero and not ver.above_zero else
                "both counts rise" if out.above_zero else "RL does not raise B's right answers")
        lines.append(f"- {pct(s)} B, op {ops[0]}-{ops[1]}: outcome pass@1 {out.fmt(True)}, verified pass@1 "
                     f"{ver.fmt(True)}: {what}.")
    return "\n".join(lines)


def a6_outcome_table(ch: Exposure, rid: str) -> pd.DataFrame:
    """A.6: B counted verified and by outcome, per B share of the RL data, against the one base."""
    recipe = get_recipe(rid, ch.recipe.scale.name)
    return outcome_changes(ch.a6[rid], recipe, a6_pairs(ch.a6[rid]), "B share of RL data")


def a6_outcome_reading(ch: Exposure, rid: str) -> str:
    """A.6 on B's high half: the outcome and verified pass@1 changes by B share of the RL data, computed."""
    result, ops = ch.a6[rid], ch.band("high")
    out, ver = {}, {}
    for s, (base, arm) in a6_pairs(result).items():
        out[s], ver[s] = (paired_change(result, base, arm, B, ops, 1, c) for c in ("outcome", "verified"))
    listed = lambda d: "; ".join(f"{pct(s)} {e.fmt(True)}" for s, e in sorted(d.items()))  # noqa: E731
    rising = all(out[a].value < out[b].value for a, b in zip(sorted(out), sorted(out)[1:]))
    none_verified = all(e.value == 0 and e.hi == 0 for e in ver.values())
    return (f"{rid}, B op {ops[0]}-{ops[1]}: outcome pass@1 change {listed(out)}"
            + (" (rising with the B share of the RL data)" if rising else "")
            + "; verified pass@1 change " + ("+0.000 in every arm" if none_verified else listed(ver)) + ".")


def reward_table(ch: Exposure) -> pd.DataFrame:
    """Beyond the paper: per share with a strict-reward arm, the outcome-reward arm and the strict-reward arm side by
    side, each paired with the same base on B (verified and outcome pass@1 per half, verified pass@k_max on the
    high half) and A (pass@1, high half). Empty when no strict-reward arm has run."""
    km, rows = ch.k_max, []
    for s, (base, strict) in ch.strict.items():
        for label, model in (("outcome", ch.shares[s][1]), ("strict", strict)):
            if model is None:
                continue
            row = {"B share of pre-training": pct(s), "RL reward": label}
            columns = ((B, "low", 1, "verified"), (B, "low", 1, "outcome"), (B, "high", 1, "verified"),
                       (B, "high", 1, "outcome"), (B, "high", km, "verified"), (A, "high", 1, "verified"))
            for t, band, k, count in columns:
                d = paired_change(ch.runs, base, model, t, ch.band(band), k, count)
                row[f"{LETTER[t]} {band} {'outcome ' if count == 'outcome' else ''}pass@{k}"] = d.fmt(True)
            rows.append(row)
    return pd.DataFrame(rows)


def seeds_table(ch: Exposure) -> pd.DataFrame:
    """Each RL arm that has run with more than one RL seed: per seed, its paired change against the same base on
    B's high half (verified pass@k_max, outcome pass@1) and A's high half (pass@1). Empty when no arm has reruns."""
    km, ops, rows = ch.k_max, ch.band("high"), []
    for label, (base, rl) in ch.shown.items():
        seeds = {0: ch.runs} | {n: r for n, r in ch.reruns.items() if rl in r.models}
        if not rl or len(seeds) < 2:
            continue
        for n, result in seeds.items():
            change_of = lambda t, k, count="verified": paired_change(  # noqa: E731
                ch.runs, base, rl, t, ops, k, count, model_result=result).fmt(True)
            rows.append({"B share of pre-training": label, "RL seed": n, f"B high pass@{km}": change_of(B, km),
                         "B high outcome pass@1": change_of(B, 1, "outcome"), "A high pass@1": change_of(A, 1)})
    return pd.DataFrame(rows)


def gain_lines(result: Result, pairs: dict, lead: str) -> list[str]:
    """One line per context whose reward was logged: the reward gain of each RL model in `pairs`, of all prompts and
    of the B prompts alone (an arm without B prompts has none), each line starting with `lead`."""
    lines = []
    for context, what in ((None, "all prompts"), (B, "B prompts alone")):
        gains = _gains(result, pairs, context)
        if gains:
            lines.append(f"{lead} (last minus first {REWARD_WINDOW} steps), {what}: "
                         + "; ".join(f"{pct(s)} {e.fmt(True)}" for s, e in sorted(gains.items())) + ".")
    return lines


def a6_reward_reading(ch: Exposure, rid: str) -> str:
    """A.6 (the paper's Fig 14 for A.6.2): the reward gain per B share of the RL data, computed."""
    return "\n\n".join(gain_lines(ch.a6[rid], a6_pairs(ch.a6[rid]), f"{rid}, reward gain"))


def deviations(ch: Exposure) -> str:
    sc = ch.recipe.scale
    lo, hi = sc.context_ops
    notes = []
    if (lo, hi) != sc.all_ops:
        notes.append(f"- Context A covers op {lo}-{hi}, not the paper's whole op range (2-20): the scale's model "
                     f"learns that range in one pre-training run, and a context can only borrow what A has (the "
                     f"ladder chapter; lab notes). 'Up to the highest op' means op {hi} here.")
    notes.append(f"- {sc.rl_steps} GRPO steps of {sc.rl_prompts_per_step} prompts per arm (the paper: about 195 of "
                 f"1,024), actor lr {sc.rl_lr:g}; one RL seed per arm unless a table says otherwise, so intervals "
                 f"are over problems, not over training runs.")
    notes.append(f"- pass@k up to k = {ch.k_max} (the paper: 128), the bases and the RL arms at the same n.")
    strict = sorted({a.param("b_share") for a in ch.recipe.arms if a.param("stage") == "rl-strict"})
    if strict:
        notes.append(f"- Beyond the paper: at {', '.join(pct(s) for s in strict)} B, a second RL arm with the strict "
                     f"reward (one knob changed), to tell a transfer that fails from a reward that pays for B's "
                     f"answer in A's words. It carries no verdict.")
    held = sorted({a.param("b_share") for a in ch.recipe.arms if a.param("stage") == "heldA-base"})
    if held:
        notes.append(f"- A mapping revision: at {', '.join(pct(s) for s in held)} B, a second base whose A tokens are "
                     f"held at the 0% base's ({sc.pretrain_tokens:,}; the token budget the one knob), and its RL "
                     f"arm. It stands for the share in the verdicts, Fig 5 and the samples only where the paper "
                     f"mapping's base fails the base check and it passes (rule fixed before it ran).")
    return "\n".join(notes)


def per_op(result: Result, model: str, template: str, k: int) -> pd.DataFrame:
    """A model's verified pass@k rows per op on one template, in op order, with the op as a column."""
    rows = select(result.table, model, group="op", k=k)
    rows = rows[rows.key.str.startswith(f"{template}:")]
    return rows.assign(op=rows.key.str.split(":").str[1].astype(int)).sort_values("op")


def plot_per_op(ax, result: Result, models: dict[str, str], template: str, k: int) -> None:
    """Verified pass@k per op on one template, with 95% intervals, for {model: label}; a base is dashed."""
    for m, label in models.items():
        rows = per_op(result, m, template, k)
        if not len(rows):
            continue
        style = {"linestyle": "--", "color": "black"} if "base" in m else {}
        ax.plot(rows.op, rows.value, marker="o", markersize=3, label=label, **style)
        ax.fill_between(rows.op, rows.lo, rows.hi, alpha=0.15, color=style.get("color"))
    ax.set(xlabel="op", ylabel=f"pass@{k} (verified)", ylim=(-0.02, 1.02), title=f"{TEMPLATES[template]}")


def fig_pair(result: Result, base: str, model: str | None, title: str):
    """One base (dashed) and the model RL made of it, per op on B and on A, pass@1 and pass@k_max: Fig 4 for one
    exposure share, or Fig 12-13 for one B share of the RL data."""
    import matplotlib.pyplot as plt

    km = k_max(result.table)
    models = {base: "base (dashed)", **({model: "after RL"} if model else {})}
    # two by two: four panels in a row would shrink their text past reading at the book's column width
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2), sharey=True, layout="constrained")
    for ax, (t, k) in zip(axes.flat, [(B, 1), (B, km), (A, 1), (A, km)]):
        plot_per_op(ax, result, models, t, k)
        ax.set_title(f"{TEMPLATES[t]}, pass@{k}")
        note_hidden(ax)  # where the base and the RL arm coincide (both at 0, say), the panel says so
    for ax in axes[:, 1]:
        ax.set_ylabel("")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2)
    fig.suptitle(title)
    return fig


def fig_share(ch: Exposure, label: str):
    """Fig 4 for one base of `Exposure.shown` ("10%", "10% A held") and its RL arm."""
    lo = ch.recipe.scale.context_ops[0]
    return fig_pair(ch.runs, *ch.shown[label], f"B share of pre-training {label} (B at op {lo} only)")


def fig4(ch: Exposure):
    """The paper's Fig 4: B pass@k_max per op after RL (solid) and before (dashed), one colour per share."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True, layout="constrained")
    for ax, t in zip(axes, (B, A)):
        for i, (s, (base, rl)) in enumerate(ch.shown.items()):
            colour = PALETTE[i % len(PALETTE)]
            for m, style, label in ((base, "--", f"{s} base"), (rl, "-", f"{s} after RL")):
                if m is None:
                    continue
                rows = per_op(ch.runs, m, t, ch.k_max)
                ax.plot(rows.op, rows.value, linestyle=style, color=colour, marker="o", markersize=3, label=label)
        ax.set(xlabel="op", ylabel=f"pass@{ch.k_max} (verified)", ylim=(-0.02, 1.02), title=TEMPLATES[t])
        note_hidden(ax)  # lines at the same values everywhere (many sit at 0 on B) are named under the panel
    axes[1].set_ylabel("")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(3, len(names)))
    return fig


def plot_reward(ax, rows: list[dict], colour, label: str, context: str | None = None) -> None:
    """One RL arm's mean reward per GRPO step (of one context's prompts alone with `context`), skipping steps that
    did not log it."""
    points = [(r["step"], v) for r in rows for v in reward_series([r], context)]
    ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", color=colour, label=label)


def fig_rewards(ch: Exposure):
    """The paper's Fig 17 (A.8): training reward per GRPO step, one line per exposure share; beside it the reward
    of the B prompts alone, for the runs that logged it (the paper shows the mixed batch's only)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True, layout="constrained")
    missing = []
    for i, (s, (_, rl)) in enumerate(ch.shown.items()):
        rows = ch.runs.logs(rl, "rl") if rl else []
        colour = PALETTE[i % len(PALETTE)]
        if rows:
            plot_reward(axes[0], rows, colour, s)
        if reward_series(rows, B):
            plot_reward(axes[1], rows, colour, s, B)
        elif rows:
            missing.append(s)
    axes[0].set(xlabel="GRPO step", ylabel="mean reward", ylim=(-0.02, 1.02), title="all prompts (50% A, 50% B)")
    # what the panel lacks is said under it, in its x label, where it cannot cover a curve
    axes[1].set(xlabel="GRPO step" + ("\nnot logged by the run" + ("s" if len(missing) > 1 else "") + " at "
                                      + ", ".join(missing) + " (logged from session 5 on)" if missing else ""),
                title="B prompts alone")
    for ax in axes:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # steps are whole numbers
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, title="B share", loc="outside right center")
    return fig


def fig_a6_rewards(ch: Exposure):
    """The paper's Fig 14 for each committed A.6 result: training reward per GRPO step, one line per B share of the
    RL data (the batch's mean: A and B prompts in that share). None when no A.6 result is committed."""
    import matplotlib.pyplot as plt

    rids = [r for r in A6 if r in ch.a6]
    if not rids:
        return None
    fig, axes = plt.subplots(1, len(rids), figsize=(3.9 * len(rids) + 1.1, 3.6), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, rid in zip(axes[0], rids):
        for i, (s, (_, arm)) in enumerate(sorted(a6_pairs(ch.a6[rid]).items())):
            plot_reward(ax, ch.a6[rid].logs(arm, "rl"), PALETTE[i % len(PALETTE)], pct(s))
        ax.set(xlabel="GRPO step", ylabel="mean reward", ylim=(-0.02, 1.02), title=rid)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # steps are whole numbers
    handles, names = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, title="B share of\nRL data", loc="outside right center")
    return fig


def fig_a6(ch: Exposure):
    """The paper's Fig 12-14 for the committed A.6 results: B and A pass@k_max change (RL minus base) per half,
    by the B share of the RL data, with paired 95% intervals. None when no A.6 result is committed."""
    import matplotlib.pyplot as plt

    rids = [r for r in A6 if r in ch.a6]
    if not rids:
        return None
    fig, axes = plt.subplots(1, len(rids), figsize=(4.6 * len(rids), 3.6), squeeze=False, layout="constrained")
    for ax, rid in zip(axes[0], rids):
        dt, km = a6_deltas(ch, rid), k_max(ch.a6[rid].table)
        d = dt[dt.k == km]
        labels = [pct(s) for s in d.rl_share.unique()]
        for j, (t, band) in enumerate([(B, "low"), (B, "high"), (A, "low"), (A, "high")]):
            r = d[(d.template == t) & (d.band == band)]
            x = np.arange(len(r)) + (j - 1.5) * 0.18
            ax.errorbar(x, r.delta, yerr=[r.delta - r.lo, r.hi - r.delta], fmt="o", capsize=2,
                        label=f"{LETTER[t]} {band}")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(np.arange(len(labels)), labels)
        ax.set(xlabel="B share of the RL data", ylabel=f"pass@{km} change vs base", title=rid)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=4)
    return fig


def kinds_table(samples: Result) -> pd.DataFrame:
    """Per model and half, on context B: the share of gold steps of each kind (correct, wrong value, wrong
    dependency, missing quantity) and of samples that verify, have the right answer, and have it without
    verifying."""
    return outputs.kinds_by_band(samples.data["models"]).set_index(["model", "band"])


def samples_of(samples: Result, model: str) -> Result:
    """One model's samples as a result the outputs module's examples read."""
    return Result(f"{samples.name}:{model}", samples.manifest, {"samples": samples.data["models"][model]})


def example_models(ch: Exposure, samples: Result) -> list[str]:
    """The models whose B outputs the chapter shows: S4's RL arm of the largest exposure share that was sampled, then
    each A.6 result's arm of the largest B share of the RL data that was sampled."""
    sampled = samples.data["models"]
    rl = [rl for _, (_, rl) in sorted(ch.pairs.items()) if rl and rl in sampled]
    shown = rl[-1:] if rl else list(sampled)[:1]
    for rid, result in ch.a6.items():
        arms = [f"{rid}:{arm}" for _, (_, arm) in sorted(a6_pairs(result).items()) if f"{rid}:{arm}" in sampled]
        shown += arms[-1:]
    return shown


# == controls ========================================================================================================

def picker(ch: Exposure):
    """The static book's control: pick a B share of pre-training (each one committed) to see its base and its RL
    arm per op, on B and on A."""
    figures = {label: fig_share(ch, label) for label in ch.shown}
    return static_picker(figures, "B share of pre-training (dashed: the base; solid: after RL)")


def a6_picker(ch: Exposure, rid: str):
    """The static book's control for A.6: pick a B share of the RL data to see that arm beside the base, per op."""
    result = ch.a6[rid]
    figures = {f"{pct(s)} B in RL": fig_pair(result, base, arm, f"{rid}: {pct(s)} of the RL prompts in context B")
               for s, (base, arm) in a6_pairs(result).items()}
    return static_picker(figures, f"{rid}: B share of the RL data (dashed: the base; solid: after RL)")


def k_control(ch: Exposure, rid: str | None = None):
    """The k control (reasonlab.k_control) of S4, or of the A.6 result `rid`: verified and outcome pass@k of every
    base and RL arm on each context's halves, and the blind guesser's, at any k a reader picks, computed in the page
    from the committed per-problem counts; it works in the built book without a kernel and in a live kernel alike."""
    result = ch.runs if rid is None else ch.a6[rid]
    recipe = get_recipe(rid, ch.recipe.scale.name) if rid else ch.recipe
    same = (recipe.evaluation, recipe.scale) == (ch.recipe.evaluation, ch.recipe.scale)
    sets = ch.problem_sets if same else recipe.evaluation.problem_sets(recipe.scale)
    cols = columns(ch.bands, {B: LETTER[B], A: LETTER[A]})
    return pass_at_k_control({m: result.records(m) for m in result.models}, cols,
                             f"{rid or RECIPE}: pass@k of each model per context and half, at k",
                             guess_answers(sets, cols))


def widget(ch: Exposure):
    """Live kernel only: pick several exposure shares and a k; redraws B's and A's pass@k per op for them."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    shares = widgets.SelectMultiple(options=[(pct(s), s) for s in ch.shares], value=tuple(ch.shares),
                                    description="B share")
    k = widgets.ToggleButtons(options=[1, ch.k_max], description="k")

    def draw(shares, k):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
        for s in shares:
            base, rl = ch.shares[s]
            for ax, t in zip(axes, (B, A)):
                plot_per_op(ax, ch.runs, {base: f"{pct(s)} base", **({rl: f"{pct(s)} RL"} if rl else {})}, t, k)
        axes[0].legend()
        plt.show()

    out = widgets.interactive_output(draw, {"shares": shares, "k": k})
    return widgets.VBox([widgets.HBox([shares, k]), out, new_point_panel(ch)])


NEW_POINT = " (new: computed now, not committed)"


def new_point(ch: Exposure, rl_b_share: float, progress: bool = True) -> Result:
    """A.6.2 at a B share of the RL data the grid does not have: GRPO from the 1% base, evaluated on the chapter's
    problems (paired with the base); trained and evaluated now (tens of minutes on a laptop CPU; cached, never
    committed). A result holding the base and the new arm, the arm labelled with NEW_POINT."""
    scale, arm = ch.recipe.scale.name, f"rl-B-{pct(rl_b_share)[:-1]}pct"
    params = {"rl_b_shares": (rl_b_share,)}
    base_records, base_table = run_point("A.6.2", scale, "base", params, ch.seed, progress)
    records, table = run_point("A.6.2", scale, arm, params, ch.seed, progress)
    new = arm + NEW_POINT
    return Result(f"A.6.2-{scale}:{new}", {}, {"records": {"base": base_records, new: records},
                                               "table": pd.concat([base_table, table.assign(model=new)])
                                               .to_dict(orient="records")})


def new_point_panel(ch: Exposure):
    """Live kernel only: choose a B share of the RL data, train and evaluate it from the 1% base (with progress
    bars), then its per-op pass@k beside the base."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def run(percent):
        result = new_point(ch, percent / 100)
        fig_pair(result, "base", result.models[-1], f"A.6.2 at {percent}% B in the RL data (computed now)")
        plt.show()

    share = widgets.IntSlider(value=25, min=0, max=100, step=1, description="% B in RL")
    return run_panel("another share of B in the RL data, now", share, "GRPO from the 1% base, then the "
                     "evaluation (minutes)", run)
