"""The "Mid-training or RL?" chapter (the paper's Sec. 5 / Fig 6, and App. A.10 / Fig 18, Table 3).

One compute budget T, split between mid-training (next-token training on 20% in-dist + 80% edge problems) and RL
(GRPO on the edge band): beta is RL's share, so beta = 0 is all mid-training and beta = 1 all RL. RL work is counted
in token-equivalents (budget.py: a GRPO run costs what 5/3 N r L training tokens cost), so every arm spends the same
compute. All arms start from one base, pre-trained 20/30/50 over the in-dist thirds (the official code's S5 base) or,
at a scale where that base failed the ladder's check, the ladder's own base (recipes.MID_RL_BASE_OF_SCALE); the base is
an arm of the recipe: it is evaluated on the same problems under the same verifier rules, so every comparison is
paired per problem.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..budget import rl_token_equivalent
from ..evaluate import pass_at_k
from ..experiments.recipes import MID_RL_BASE_OF_SCALE, Recipe, get_recipe
from ..experiments.runner import evaluation_key, run_point, stage_dirs
from ..experiments.scales import BANDS
from ..k_control import columns, guess_answers, pass_at_k_control
from ..plots import PALETTE, caption, save_figure
from ..results import (Estimate, RecipeRuns, Result, estimate, load_or_run, paired_changes, paired_delta,
                       rl_controls)
from ..widgets import run_panel, static_picker
from . import ladder, outputs
from .claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, all_or_some, at_zero,
                     counts, some_seeds)
from .rl_capability import plot_fig3, show_new_point

# matplotlib.pyplot loads inside the figure functions: reading a chapter's numbers (the scoreboard, the tests) does
# not need it.


# == data ============================================================================================================

RECIPE = "S5"
BUDGETS_RECIPE = "A.10"  # the same split at several budgets (App. A.10); its arms are named T<m>x-beta-<beta>
RECIPES = (RECIPE, BUDGETS_RECIPE)
CHAPTER = "mid_vs_rl"


@dataclass
class MidRL(RecipeRuns):
    """The chapter's data: the S5 result (the base and one arm per beta at one budget) and the recipe that made it."""

    runs: Result
    recipe: Recipe
    budgets: Result | None = None  # the A.10 result (its base and arms at every budget), where committed

    @property
    def arms(self) -> list[str]:
        """The beta arms that have run, in the recipe's order (beta 0 first; the base is not one)."""
        return [a.name for a in self.recipe.arms if a.name != "base" and a.name in self.runs.models]

    @cached_property
    def beta_of(self) -> dict[str, float]:
        """{arm: beta} of every arm of the recipe (run or not)."""
        return {a.name: a.param("beta") for a in self.recipe.arms if a.name != "base"}

    def arm(self, beta: float) -> str | None:
        """The arm of RL share `beta` if it has run."""
        return next((a for a in self.arms if self.beta_of[a] == beta), None)

    def against(self, arm: str, other: str, band: str, k: int) -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        return paired_delta(self.runs.records(other), self.runs.records(arm), self.band(band), k)

    def value(self, model: str, band: str, k: int) -> Estimate:
        return estimate(self.table, model, band, "pass@k", k)

    def level(self, model: str, band: str, k: int) -> float:
        """Mean verified pass@k of a model on a band, from its per-problem records (what the paired rules compare)."""
        lo, hi = self.band(band)
        rs = [r for r in self.runs.records(model) if lo <= r["op"] <= hi]
        return sum(pass_at_k(r["n"], r["verified"], k) for r in rs) / len(rs)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> MidRL:
    """The committed S5 result and, where committed, A.10's (fresh: run the base and every arm of both now; without
    fresh nothing trains, and a missing S5 result raises FileNotFoundError)."""
    try:
        budgets = load_or_run(BUDGETS_RECIPE, scale, seed, fresh)
    except FileNotFoundError:
        budgets = None  # A.10 not yet run at this scale: its section says so
    return MidRL(load_or_run(RECIPE, scale, seed, fresh), get_recipe(RECIPE, scale), budgets)


def budget_views(ch: MidRL) -> dict[float, MidRL]:
    """A.10 as one S5-shaped view per budget multiple ({multiple: MidRL}): the base and that budget's arms, so every
    S5 table, figure and rule applies to each budget unchanged. A budget whose arms A.10's own result lacks but S5 holds
    (the same models evaluated on the same problems: S5 is A.10 at 1x) is read from S5 rather than trained twice; a
    budget with neither, or whose result lacks the base its arms are paired with, is left out."""
    recipe = get_recipe(BUDGETS_RECIPE, ch.recipe.scale.name)
    base = [a for a in recipe.arms if a.name == "base"]
    views = {}
    for m in recipe.scale.budget_multipliers:
        budget = dataclasses.replace(recipe, arms=tuple(
            base + [a for a in recipe.arms if a.name != "base" and a.param("budget_x") == m]))
        own = None if ch.budgets is None else MidRL(ch.budgets, budget)
        if (own is None or len(own.arms) < len(own.beta_of)) and _same_models(budget, ch.recipe):
            views[m] = ch
        elif own is not None and own.arms and "base" in own.runs.models:  # changes are paired with A.10's base
            views[m] = own
    return views


def _same_models(budget: Recipe, s5: Recipe) -> bool:
    """Whether one A.10 budget's arms are S5's arms, beta by beta: the same stage keys and the same evaluation."""
    def keys(recipe):
        return {a.param("beta"): [p.name for p, _ in stage_dirs(recipe, a).values()] for a in recipe.arms}

    return evaluation_key(budget) == evaluation_key(s5) and keys(budget) == keys(s5)


# == rules ===========================================================================================================

# Fixed before any arm ran (lab notes, 2026-12-05, session 11, 07:25 UTC). "Above zero": the paired 95% bootstrap
# interval over problems lies above zero. Verified pass@k decides; outcome pass@k and the controls are shown beside.
PAPER_FIG6 = ("OOD-edge: full mid-training and light RL beat heavy/full RL, light RL best pass@1; OOD-hard: heavy RL "
              "best pass@1 and pass@128; mid + RL beats RL alone on hard by +10.8% (Fig 6)")
LIGHT, HEAVY, FULL_MID, FULL_RL = 0.2, 0.8, 0.0, 1.0
MIXED = (0.2, 0.5, 0.8)  # mid-training and RL both

# The base must pass the ladder's check before RL is spent on it (lab notes, session 11, 07:05 UTC): the ladder's
# calibration criteria (ladder.CRITERIA) at this evaluation's k, every one holding.
BASE_RULE = ("the ladder's calibration criteria at this evaluation's k (in-dist pass@k >= 0.9, edge pass@1 <= 0.3, "
             "edge pass@k in [0.1, 0.8], hard pass@k <= 0.05): the base passes when every one holds")


# == verdicts ========================================================================================================

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
    return words + " The thirds base: " + "; ".join(f"{r.criterion} {r.ours:.3f} {r['95% CI']} "
                                                    f"({'holds' if r.holds else 'fails'})" for _, r in c.iterrows()) + "."


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


# A.10's rules, fixed with S5's before any arm ran (lab notes, session 11, 07:25 UTC): the light-RL edge claim and the
# heavy-RL hard claim per budget, reproduced if at every budget and partly if at some (S5's rules within each
# budget); heavy RL best hard pass@k at 2x in S5's form; full RL best hard pass@k at >= 4x, not testable without one.
PAPER_A10 = ("light RL best edge pass@1 and heavy RL best hard pass@1 at all budgets; pass@128 on hard: heavy RL best "
             "at 4.2B tokens (2x), full RL best at >= 8.4B (4x) (App. A.10, Fig 18, Table 3)")


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


# == figures and tables ==============================================================================================

def budget_table(recipe: Recipe) -> pd.DataFrame:
    """One row per arm: its RL share beta, mid-training tokens, RL steps and prompts, and RL's token-equivalents
    (budget.rl_token_equivalent), which add up to the same budget T for every arm (paper.md section 6)."""
    sc, rows = recipe.scale, []
    for a in recipe.arms:
        if a.name == "base":
            continue
        mid = a.mid.tokens if a.mid else 0
        rl = rl_token_equivalent(a.rl.n_prompts, a.rl.rollouts, sc.rl_seq_len) if a.rl else 0
        rows.append({"arm": a.name, "beta (RL share)": a.param("beta"), "mid-training tokens": mid,
                     "RL steps": a.rl.steps if a.rl else 0, "RL prompts x rollouts": a.rl.n_prompts * a.rl.rollouts
                     if a.rl else 0, "RL token-equivalents": round(rl), "total": round(mid + rl),
                     "budget T": a.param("budget_tokens")})
    return pd.DataFrame(rows).set_index("arm")


def changes_table(ch: MidRL) -> pd.DataFrame:
    """Paired changes against the base: one row per arm, one column per (band, k), "change [95% CI]" (empty before
    any arm has run)."""
    if not ch.arms:
        return pd.DataFrame()
    dt = paired_changes({a: (ch.runs.records("base"), ch.runs.records(a)) for a in ch.arms}, ch.bands, (1, ch.k_max))
    dt = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()])
    t = dt.pivot_table(index="arm", columns=["band", "k"], values="change", aggfunc="first")
    return t.loc[[a for a in ch.arms if a in t.index], list(BANDS)]


def controls_table(ch: MidRL) -> pd.DataFrame:
    """The RL controls per model and band (results.rl_controls): verified and outcome pass@1 and pass@k_max, the
    share of right answers through wrong steps, and the blind guesser's outcome pass@k beside them."""
    records = {m: ch.runs.records(m) for m in ["base", *ch.arms]}
    t = rl_controls(records, ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    t = t.drop(columns="hacked share CI").set_index(["model", "band"]).round(3)
    t = t.unstack("band").swaplevel(axis=1).reindex(columns=list(BANDS), level=0).loc[
        ["base", *ch.arms, "blind guess"]]
    return t.astype(object).where(t.notna(), "—")  # what does not apply (the guesser has no steps) is a dash


def fig6(ch: MidRL, bands=("edge", "hard"), arms: list[str] | None = None):
    """The paper's Fig 6 for our arms (or those of `arms`): verified pass@1 and pass@k_max (95% CI) against the RL
    share beta, the base as a dashed line, outcome pass@k hollow and the blind guesser's outcome pass@k dotted."""
    import matplotlib.pyplot as plt

    arms = ch.arms if arms is None else arms
    guess = rl_controls({}, ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    betas = [ch.beta_of[a] for a in arms]
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            v = [ch.value(a, band, k) for a in arms]
            o = [estimate(ch.table, a, band, "outcome_pass@k", k).value for a in arms]
            ax.errorbar(betas, [e.value for e in v], yerr=[[e.value - e.lo for e in v], [e.hi - e.value for e in v]],
                        fmt="o-", capsize=3, color=PALETTE[0], label="verified")
            ax.plot(betas, o, "o--", mfc="none", color=PALETTE[0], label="outcome")
            ax.axhline(ch.value("base", band, k).value, color="black", linestyle="--", linewidth=1,
                       label="base (verified)")
            g = guess[guess.band == band][f"outcome pass@{k}"]
            if len(g):
                ax.axhline(float(g.iloc[0]), color="grey", linestyle=":", label="blind guess (outcome)")
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
        row[0].set_ylabel("pass@k")
    for ax in axes[-1]:
        ax.set_xlabel("beta: RL share of the budget (0 = all mid-training)")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names), fontsize=9)
    return fig


def fig18(ch: MidRL, bands=("edge", "hard")):
    """The paper's Fig 18 for our budgets: verified pass@1 and pass@k_max (95% CI) against the RL share beta, one line
    per budget (A.10), each budget's arms from its own mid-training run; the base dashed. None where A.10 has not run."""
    import matplotlib.pyplot as plt

    views = {m: v for m, v in budget_views(ch).items() if v.arms}
    if not views:
        return None
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            for i, (m, v) in enumerate(views.items()):
                e = [v.value(a, band, k) for a in v.arms]
                ax.errorbar([v.beta_of[a] for a in v.arms], [x.value for x in e],
                            yerr=[[x.value - x.lo for x in e], [x.hi - x.value for x in e]], fmt="o-", capsize=3,
                            color=PALETTE[i], label=f"budget {m:g}x T")
            ax.axhline(next(iter(views.values())).value("base", band, k).value, color="black", linestyle="--",
                       linewidth=1, label="base")
            ax.set(title=f"{band}: pass@{k}")
        # Each row its own scale: on a 0-1 axis the hard band's few verified successes (pass@64 ~0.07) are invisible.
        top = max(ax.get_ylim()[1] for ax in row)
        for ax in row:
            ax.set_ylim(-0.02 * top, min(1.02, top))
        row[0].set_ylabel("verified pass@k")
    for ax in axes[-1]:
        ax.set_xlabel("beta: RL share of the budget (0 = all mid-training)")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names), fontsize=9)
    return fig


def show_fig18(ch: MidRL, name: str) -> None:
    """Fig 18 saved as `name`, shown with the provenance of every result it reads; A.10's waiting list where some
    budget has not run."""
    from IPython.display import Markdown, display
    import matplotlib.pyplot as plt

    display(Markdown(budgets_waiting(ch)))
    fig = fig18(ch)
    if fig is not None:
        save_figure(fig, name)
        plt.show()
        sources = {id(v.runs): v.runs for v in budget_views(ch).values()}.values()
        display(Markdown("\n\n".join(caption(r.manifest) for r in sources)))


def budgets_setup(ch: MidRL) -> pd.DataFrame:
    """A.10's arms, budget by budget: mid-training tokens, RL steps and token-equivalents (budget_table)."""
    return budget_table(get_recipe(BUDGETS_RECIPE, ch.recipe.scale.name))


def budgets_changes_table(ch: MidRL) -> pd.DataFrame:
    """A.10's paired changes against the base, one block of rows per budget (empty where A.10 has not run)."""
    tables = {f"{m:g}x": changes_table(v) for m, v in budget_views(ch).items() if v.arms}
    return pd.concat(tables, names=["budget"]) if tables else pd.DataFrame()


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


def fig_arm(ch: MidRL, arm: str):
    """Fig 3's panels for one arm beside the base (dashed): verified pass@k per band."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    plot_fig3(axes[0], ch.table, ["base", arm], BANDS, {arm: arm, "base": "base (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig


def samples_result(ch: MidRL, fresh: bool = False) -> Result:
    """The arms' own outputs with the verifier's report, paired with the base's sample (outputs.arms_samples)."""
    return outputs.arms_samples(RECIPE, ch.recipe.scale.name, outputs.arm_checkpoints(ch.runs, ch.arms), fresh)


def example_arm(samples: Result) -> str | None:
    """The arm whose outputs the chapter shows: light RL (beta 0.2) if it was sampled, else the first sampled arm."""
    arms = list(samples.data["arms"])
    return next((a for a in arms if a == f"beta-{LIGHT:g}"), arms[0] if arms else None)


def reading(ch: MidRL) -> str:
    """What the tables say, as bullet points computed from them (stays true when the results change)."""
    km, lines = ch.k_max, []
    verdict = "passes" if base_passes(ch) else "does not pass"
    lines.append(f"- The base {verdict} the ladder's check: edge pass@1 {ch.value('base', 'edge', 1).fmt()}, "
                 f"pass@{km} {ch.value('base', 'edge', km).fmt()}.")
    for arm in ch.arms:
        d = {k: ch.against(arm, "base", "edge", k) for k in (1, km)}
        lines.append(f"- **{arm}** (beta {ch.beta_of[arm]:g}): edge pass@1 {d[1].fmt(True)}, pass@{km} "
                     f"{d[km].fmt(True)} against the base.")
    if ch.arms and _untestable(ch, "hard"):
        lines.append(f"- No model verifies a hard-band problem (pass@1 and pass@{km} 0 for the base and every arm): "
                     "the paper's hard-band claims cannot be tested at this scale.")
    return "\n".join(lines)


def waiting(ch: MidRL) -> str:
    """The recipe's arms that have not run at this scale (their claims wait for them)."""
    missing = [a for a in ch.beta_of if a not in ch.arms]
    return ("Not yet run at this scale: " + ", ".join(missing) + ". Claims that need them are left out until they "
            "are committed.") if missing else "Every arm of the recipe has run at this scale."


def deviations(ch: MidRL) -> str:
    sc = ch.recipe.scale
    n = numbers(ch)
    rl = next((a.rl for a in ch.recipe.arms if a.rl), None)
    return "\n".join([
        f"- Budget T = {n['budget_m']}M token-equivalents, {n['budget_share_pct']}% of pre-training (the paper: "
        "2.1B, ~21%): the full-RL arm's "
        f"{sc.budget_rl_steps} GRPO steps of {sc.rl_prompts_per_step} prompts x {sc.rollouts} rollouts.",
        "- " + base_note(ch),
        f"- The base carries the scale's {sc.pretrain_tail:.0%} tail of edge problems in pre-training (the ladder's "
        "base needed it for any verified edge problem; lab notes). The paper's base has none.",
        f"- RL: the scale's settings (reward {rl.reward.name if rl else '-'}, actor lr {sc.rl_lr:g}; the paper: "
        "outcome reward, lr 1e-6); the laptop RL recipe of the S6 chapter has no setting that meets its criterion yet.",
        f"- Evaluation: {ch.recipe.evaluation.problems_per_op} problems per op x {ch.recipe.evaluation.samples} "
        f"samples, so our largest k is {ch.k_max} (the paper: pass@128); the ladder's check of the base at that k.",
        "- A.10: RL on the edge band at every budget, as the official code's budget runs do (`cpt-rl-op11-14_uniform-"
        "<N>step`); the paper's text gives RL \"the same mix as mid\". So S5's arms are A.10's arms at 1x (the same "
        "models and problems), read from S5's result. Budgets: this scale's "
        f"{', '.join(f'{m:g}x' for m in sc.budget_multipliers)} of T (the paper: 1x, 2x, 4x)." + _mid_dtype_note(ch),
    ])


def _mid_dtype_note(ch: MidRL) -> str:
    """Where the budgets' mid-training runs used different arithmetic (the trainer picks bf16 only on hardware with
    native bf16), which run used which, from their manifests; "" where they agree."""
    dtypes = {}
    for m, v in budget_views(ch).items():
        mids = [st["mid"].get("dtype") for a in v.arms
                if "mid" in (st := v.runs.data.get("training_manifests", {}).get(a, {}))]
        dtypes[m] = mids[0] if mids else None
    if len({d for d in dtypes.values() if d}) < 2:
        return ""
    return (" The mid-training runs trained in " + ", ".join(f"{d} ({m:g}x)" for m, d in dtypes.items() if d) +
            ": each on the machine it ran on, bf16 only where the CPU has it natively.")


# == controls ========================================================================================================

def picker(ch: MidRL):
    """The static book's control: pick a budget and an RL share beta to see that arm's verified pass@k per band beside
    the base. Works in the built HTML without a kernel; it chooses among committed runs (A.10's budgets where run)."""
    views = budget_views(ch) or {1.0: ch}
    return static_picker({f"budget {m:g}x T, beta {v.beta_of[a]:g} ({a})": fig_arm(v, a)
                          for m, v in views.items() for a in v.arms},
                         "budget and RL share (verified pass@k of that arm and the base, dashed)")


def k_control(ch: MidRL):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of the base and each arm, and the blind
    guesser's, at any k a reader picks, computed in the page from the committed per-problem counts."""
    cols = columns(ch.bands)
    records = {m: ch.runs.records(m) for m in ["base", *ch.arms]}
    return pass_at_k_control(records, cols, "pass@k of the base and each RL share per band, at k",
                             guess_answers(ch.recipe.evaluation.problem_sets(ch.recipe.scale), cols))


# What the live panel costs at the laptop scale, from the committed arms' own times (lab notes, session 12): the
# mid-training replay up to the checkpoint is the long part.
LIVE_RUN_TIME = ("the shared mid-training run replayed to (1 - beta) T (about 26 min for the whole run at two "
                 "threads on a CPU with native bf16, ~45 min in fp32 on an AVX2-only one), GRPO for beta T (about "
                 "10-16 s a step), then the evaluation (about 5 min)")


def new_point(ch: MidRL, beta: float, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """An RL share outside the grid, trained now: the shared mid-training run's checkpoint at (1 - beta) T (replayed
    from the run's start when the run has passed that step), then GRPO on the edge band for beta T, evaluated on the
    chapter's problems (paired with the base). Cached, never committed. Its tidy table."""
    arm = f"beta-{beta:g}"
    _, table = run_point(RECIPE, ch.recipe.scale.name, arm, {**dict(ch.recipe.params), "betas": (beta,)}, seed,
                         progress)
    return table.assign(model=arm + " (new: computed now, not committed)")


def widget(ch: MidRL):
    """Live kernel only: Fig 6 over the arms you select, and a panel that trains an RL share the grid does not have."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    pick = widgets.SelectMultiple(options=ch.arms, value=tuple(ch.arms), description="arms")
    out = widgets.interactive_output(lambda arms: (fig6(ch, arms=list(arms)), plt.show()), {"arms": pick})

    def run(beta):
        show_new_point(ch.table, new_point(ch, beta))

    beta = widgets.FloatSlider(value=0.35, min=0.05, max=0.95, step=0.05, description="RL share beta")
    panel = run_panel("another split of the budget, now", beta, LIVE_RUN_TIME, run)
    return widgets.VBox([pick, out, panel])

