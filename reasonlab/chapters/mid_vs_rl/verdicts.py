"""The S5 chapter's verdicts: the base's check and which base the arms start from, S5's claims and A.10's per budget,
`numbers` (the prose's glue) and what the claims wait for (S5's arms and A.10's budgets)."""

from __future__ import annotations

import pandas as pd

from ...experiments.recipes import MID_RL_BASE_OF_SCALE, get_recipe
from ...results import load_or_run
from .. import ladder
from ..claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, all_or_some, at_zero,
                      counts, some_seeds)
from .data import BUDGETS_RECIPE, CHAPTER, MidRL, budget_views
from .rules import FULL_MID, FULL_RL, HEAVY, LIGHT, MIXED, PAPER_A10, PAPER_FIG6


def base_check(ch: MidRL) -> pd.DataFrame:
    """The ladder's calibration criteria on this recipe's base (ladder.criteria_table)."""
    return ladder.criteria_table(ch.table, "base")


def base_passes(ch: MidRL) -> bool:
    """Every criterion of the ladder's check holds for the base (the edge one included)."""
    c = base_check(ch)
    return bool(len(c)) and bool(c.holds.all())


THIRDS_BASE = ("A.7", "base-hard-50pct")  # where the thirds base's own evaluation is committed (A.7's 50% point)


def base_note(ch: MidRL) -> str:
    """Which base the arms start from and why: the official thirds base, or the ladder's where the thirds base failed
    the check (its numbers read from its committed evaluation)."""
    if dict(ch.recipe.params).get("base") == "thirds" or ch.recipe.scale.name not in MID_RL_BASE_OF_SCALE:
        return "The arms start from the official code's base: 20/30/50 over the thirds of the in-dist ops."
    words = ("The official code's base (20/30/50 over the thirds of the in-dist ops) failed the ladder's check at "
             "this scale, so, by the rule fixed before it ran (lab notes, session 11), the arms start from the ladder "
             "chapter's base (uniform over the in-dist ops, the same edge tail), which passes.")
    try:
        thirds = load_or_run(THIRDS_BASE[0], ch.recipe.scale.name)
    except FileNotFoundError:
        return words
    c = ladder.criteria_table(thirds.table, THIRDS_BASE[1])
    checks = [f"{r.criterion} {r.ours:.3f} {r['95% CI']} ({'holds' if r.holds else 'fails'})" for _, r in c.iterrows()]
    return words + " The thirds base: " + "; ".join(checks) + "."


def _untestable(ch: MidRL, band: str) -> bool:
    return at_zero(ch.value(m, band, k) for m in ["base", *ch.arms] for k in (1, ch.k_max))


def _best(ch: MidRL, arms: list[str], band: str, k: int) -> str:
    return max(arms, key=lambda a: ch.level(a, band, k))


def _best_is(ch: MidRL, beta: float, band: str, k: int) -> tuple[bool, str]:
    """Whether the arm of `beta` is best on the band at k among the arms run, or within the paired interval of the
    best; with the words that say so."""
    mine, best = ch.arm(beta), _best(ch, ch.arms, band, k)
    if best == mine:
        return True, f"pass@{k}: best {mine}"
    gap = ch.against(best, mine, band, k)
    return not gap.above_zero, f"pass@{k}: best {best}, {best} - {mine} {gap.fmt(True)}"


def verdicts(ch: MidRL) -> dict[str, Claim]:
    """The paper's S5 claims ({claim id: Claim}); a claim whose arms have not run at this scale is left out."""
    km, out = ch.k_max, {}
    light = [a for b in (FULL_MID, LIGHT) if (a := ch.arm(b))]
    heavy = [a for b in (HEAVY, FULL_RL) if (a := ch.arm(b))]
    if len(light) == len(heavy) == 2:
        parts, held = [], []
        for k in (1, km):
            d = ch.against(_best(ch, light, "edge", k), _best(ch, heavy, "edge", k), "edge", k)
            held.append(d.above_zero)
            parts.append(f"pass@{k}: best of beta 0/0.2 - best of beta 0.8/1 {d.fmt(True)}")
        verdict = NOT_TESTABLE if _untestable(ch, "edge") else all_or_some(held)
        out["edge_mid"] = Claim(CHAPTER, "On the edge, full mid-training and light RL beat heavy and full RL",
                                PAPER_FIG6, "; ".join(parts), verdict,
                                "the best of beta 0 and 0.2 against the best of beta 0.8 and 1 on verified edge pass@1 "
                                f"and pass@{km}: reproduced if above zero on both, partly on one; " + NOT_TESTABLE_RULE,
                                parts[-1], k=km)
    if ch.arm(LIGHT) and len(ch.arms) == len(ch.beta_of):
        over_base = ch.against(ch.arm(LIGHT), "base", "edge", 1)
        best, words = _best_is(ch, LIGHT, "edge", 1)
        ours = f"{words}; beta 0.2 - base {over_base.fmt(True)}"
        verdict = NOT_TESTABLE if _untestable(ch, "edge") else (
            REPRODUCED if over_base.above_zero and best else NOT_REPRODUCED)
        out["edge_light"] = Claim(CHAPTER, "Light RL gives the best edge pass@1", PAPER_FIG6, ours, verdict,
                                  "beta 0.2 beats the base on verified edge pass@1 (else not reproduced) and is best "
                                  "among the five arms, or the paired (best - beta 0.2) interval reaches zero; "
                                  + NOT_TESTABLE_RULE, words)
    if ch.arm(HEAVY) and len(ch.arms) == len(ch.beta_of):
        over_base = ch.against(ch.arm(HEAVY), "base", "hard", 1)
        held, parts = zip(*(_best_is(ch, HEAVY, "hard", k) for k in (1, km)))
        ours = "; ".join(parts) + f"; beta 0.8 - base, pass@1 {over_base.fmt(True)}"
        if _untestable(ch, "hard"):
            verdict, ours = NOT_TESTABLE, f"{ours}; the base and every arm: hard pass@1 and pass@{km} 0"
        else:
            verdict = all_or_some(list(held)) if over_base.above_zero else NOT_REPRODUCED
        out["hard_heavy"] = Claim(CHAPTER, "On hard, heavy RL gives the best pass@1 and pass@k", PAPER_FIG6, ours,
                                  verdict, "beta 0.8 beats the base on verified hard pass@1 (else not reproduced) and "
                                  f"is best on pass@1 and pass@{km} among the five arms, or the paired (best - beta "
                                  "0.8) interval reaches zero: reproduced if on both, partly on one; "
                                  + NOT_TESTABLE_RULE, parts[-1], k=km)
    mixed, full_rl = [a for b in MIXED if (a := ch.arm(b))], ch.arm(FULL_RL)
    if len(mixed) == len(MIXED) and full_rl:
        best = _best(ch, mixed, "hard", km)
        d = ch.against(best, full_rl, "hard", km)
        ours = f"pass@{km}: {best} - {full_rl} {d.fmt(True)}"
        if _untestable(ch, "hard"):
            verdict, ours = NOT_TESTABLE, f"{ours}; the base and every arm: hard pass@1 and pass@{km} 0"
        else:
            verdict = REPRODUCED if d.above_zero else NOT_REPRODUCED
        out["hard_mid_rl"] = Claim(CHAPTER, "Mid-training + RL beats RL alone on hard", PAPER_FIG6 + "; +10.8%", ours,
                                   verdict, f"the best of beta 0.2, 0.5, 0.8 against beta 1 on verified hard "
                                   f"pass@{km}, reproduced if above zero; " + NOT_TESTABLE_RULE, ours, k=km)
    return out


def _hard_best(view: MidRL, beta: float, k: int) -> tuple[str, str]:
    """S5's hard-band rule for one arm at one k within one budget: (verdict, our numbers)."""
    over_base = view.against(view.arm(beta), "base", "hard", k)
    best, words = _best_is(view, beta, "hard", k)
    ours = f"{words}; beta {beta:g} - base {over_base.fmt(True)}"
    if _untestable(view, "hard"):
        return NOT_TESTABLE, f"{ours}; the base and every arm: hard pass@1 and pass@{view.k_max} 0"
    return (REPRODUCED if over_base.above_zero and best else NOT_REPRODUCED), ours


def budget_verdicts(ch: MidRL) -> dict[str, Claim]:
    """A.10's claims ({claim id: Claim}) once every arm of every budget has run (none before)."""
    if budgets_missing(ch):
        return {}
    views = budget_views(ch)
    km, out = ch.k_max, {}
    light = {m: verdicts(v)["edge_light"] for m, v in views.items()}
    out["budgets_edge_light"] = Claim(
        CHAPTER, "At every budget, light RL gives the best edge pass@1", PAPER_A10,
        "; ".join(f"{m:g}x: {c.verdict} ({c.headline})" for m, c in light.items()),
        some_seeds([c.verdict for c in light.values()]),
        "S5's light-RL rule within each budget; reproduced if at every budget, partly if at some; " + NOT_TESTABLE_RULE)
    heavy = {m: _hard_best(v, HEAVY, 1) for m, v in views.items()}
    out["budgets_hard_heavy"] = Claim(
        CHAPTER, "At every budget, heavy RL gives the best hard pass@1", PAPER_A10,
        "; ".join(f"{m:g}x: {v} ({o})" for m, (v, o) in heavy.items()), some_seeds([v for v, _ in heavy.values()]),
        "beta 0.8 beats the base on verified hard pass@1 and is best among the budget's arms, or the paired (best - "
        "beta 0.8) interval reaches zero; reproduced if at every budget, partly if at some; " + NOT_TESTABLE_RULE)
    if 2.0 in views:
        verdict, ours = _hard_best(views[2.0], HEAVY, km)
        out["budgets_heavy_2x"] = Claim(CHAPTER, "At twice the budget, heavy RL gives the best hard pass@k", PAPER_A10,
                                        ours, verdict, f"S5's form at 2x on verified hard pass@{km}; "
                                        + NOT_TESTABLE_RULE, k=km)
    big = [m for m in views if m >= 4.0]
    if big:
        verdict, ours = _hard_best(views[big[0]], FULL_RL, km)
    else:
        verdict, ours = NOT_TESTABLE, (f"this scale's budgets are {', '.join(f'{m:g}x' for m in views)} of T: none "
                                       "reaches 4x")
    out["budgets_full_rl_4x"] = Claim(CHAPTER, "At four times the budget or more, full RL gives the best hard pass@k",
                                      PAPER_A10, ours, verdict, f"S5's form for beta 1 at the smallest budget >= 4x, "
                                      f"on verified hard pass@{km}; not testable without such a budget", k=km)
    return out


def claims(ch: MidRL) -> list[Claim]:
    return list(verdicts(ch).values()) + list(budget_verdicts(ch).values())


def numbers(ch: MidRL) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    budget = ch.recipe.arms[-1].param("budget_tokens")
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max,
            "n_arms": len(ch.arms), "budget_m": round(budget / 1e6, 2),
            "budget_share_pct": round(100 * budget / ch.recipe.arms[0].pretrain.tokens, 1)}


def budgets_missing(ch: MidRL) -> list[str]:
    """A.10's arms that no committed result holds at this scale (its claims wait for every one)."""
    recipe = get_recipe(BUDGETS_RECIPE, ch.recipe.scale.name)
    views = budget_views(ch)
    return [a.name for a in recipe.arms[1:]
            if (view := views.get(a.param("budget_x"))) is None or view.arm(a.param("beta")) is None]


def budgets_waiting(ch: MidRL) -> str:
    """Where each budget's arms come from, and which have not run."""
    read = "; ".join(f"{m:g}x from {'S5 (the same models: S5 is A.10 at 1x)' if v is ch else BUDGETS_RECIPE}"
                     for m, v in budget_views(ch).items())
    missing = budgets_missing(ch)
    unpaired = [] if ch.budgets is None or "base" in ch.budgets.models else ch.budgets.models
    if unpaired:  # run, but shown only once A.10's own base (their pair) is evaluated
        missing = ["base"] + [a if a not in unpaired else f"{a} (run; waits for the base)" for a in missing]
    return ((f"Budgets read: {read}. " if read else "") +
            (f"Not yet run at this scale: {', '.join(missing)} (`python -m reasonlab run {BUDGETS_RECIPE} --scale "
             f"{ch.recipe.scale.name}`). A.10's claims wait for every arm." if missing
             else "Every arm of A.10 has run at this scale."))


def waiting(ch: MidRL) -> str:
    """The recipe's arms that have not run at this scale (their claims wait for them)."""
    missing = [a for a in ch.beta_of if a not in ch.arms]
    return ("Not yet run at this scale: " + ", ".join(missing) + ". Claims that need them are left out until they "
            "are committed.") if missing else "Every arm of the recipe has run at this scale."
