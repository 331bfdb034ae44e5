"""The S5 chapter's tables and the prose computed from them: each arm's share of the budget (S5's and A.10's budgets),
the paired changes against the base, the RL controls, the reading of them and the deviations from the paper."""

from __future__ import annotations

import pandas as pd

from ...budget import rl_token_equivalent
from ...experiments.recipes import Recipe, get_recipe
from ...experiments.scales import BANDS
from ...results import Estimate, paired_changes, rl_controls
from .data import BUDGETS_RECIPE, MidRL, budget_views
from .verdicts import _untestable, base_note, base_passes, numbers


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


def budgets_setup(ch: MidRL) -> pd.DataFrame:
    """A.10's arms, budget by budget: mid-training tokens, RL steps and token-equivalents (budget_table)."""
    return budget_table(get_recipe(BUDGETS_RECIPE, ch.recipe.scale.name))


def budgets_changes_table(ch: MidRL) -> pd.DataFrame:
    """A.10's paired changes against the base, one block of rows per budget (empty where A.10 has not run)."""
    tables = {f"{m:g}x": changes_table(v) for m, v in budget_views(ch).items() if v.arms}
    return pd.concat(tables, names=["budget"]) if tables else pd.DataFrame()


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
