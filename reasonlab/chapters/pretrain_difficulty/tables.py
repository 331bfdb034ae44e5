"""The A.7 chapter's tables: the official grid beside our arms, each RL arm's paired change, the RL controls, and
the deviations from the paper."""

from __future__ import annotations

import pandas as pd

from ...experiments.recipes import a7_weights, in_dist_thirds
from ...experiments.scales import BANDS
from ...results import Estimate, paired_changes, rl_controls
from .data import BASE, RL, PretrainDifficulty, pct
from .rules import GATE_RULE, rl_allowed
from .verdicts import judged


def mapping_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """One row per hard share: the weights of the in-dist thirds, the official code's file of that grid point, the
    scale's edge tail, pre-training tokens, and whether its base and its RL arm have run."""
    sc = ch.recipe.scale
    thirds = [f"{name} (op {lo}-{hi})" for name, (lo, hi) in zip(("easy", "medium", "hard"), in_dist_thirds(sc))]
    arms = {a.name: a for a in ch.recipe.arms}
    rows = []
    for h in ch.shares:
        base, arm = ch.named(h, BASE), ch.named(h, RL)
        w = a7_weights(h)
        if arm in ch.rl_arms:
            rl = ("run" if arm in judged(ch) else "run, its base not evaluated" if base not in ch.bases
                  else "run against the gate")
        elif base not in ch.bases:
            rl = "waits for its base"
        else:
            rl = "not yet run" if rl_allowed(ch, base) else "no RL: the base fails the gate"
        rows.append({"hard share": pct(h), **{t: round(x, 4) for t, x in zip(thirds, w)},
                     "official file": "id2-10_" + "_".join(f"{round(x, 6):g}{n}"
                                                           for x, n in zip(w, ("easy", "medium", "hard"))),
                     f"edge tail (op {sc.edge[0]}-{sc.edge[1]})": sc.pretrain_tail,
                     "pre-training tokens": arms[base].pretrain.tokens,
                     "base": base + (" (run)" if base in ch.bases else " (not yet run)"), "RL arm": f"{arm} ({rl})"})
    return pd.DataFrame(rows).set_index("hard share")


def changes_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """Each RL arm minus its own base, paired per problem: one row per arm, one column per (band, k), "change [95%
    CI]" (empty before any RL arm has run)."""
    arms = [a for a in ch.rl_arms if ch.base_of(a) in ch.bases]
    if not arms:
        return pd.DataFrame()
    pairs = {a: (ch.runs.records(ch.base_of(a)), ch.runs.records(a)) for a in arms}
    dt = paired_changes(pairs, ch.bands, (1, ch.k_max))
    dt = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()])
    t = dt.pivot_table(index="arm", columns=["band", "k"], values="change", aggfunc="first")
    return t.loc[arms, list(BANDS)]


def controls_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """The RL controls per model and band (results.rl_controls): verified and outcome pass@1 and pass@k_max, the
    share of right answers through wrong steps, and the blind guesser's outcome pass@k beside them."""
    models = ch.bases + ch.rl_arms
    t = rl_controls({m: ch.runs.records(m) for m in models}, ch.problem_sets, ch.bands, ch.k_max)
    t = t.drop(columns="hacked share CI").set_index(["model", "band"]).round(3)
    t = t.unstack("band").swaplevel(axis=1).reindex(columns=list(BANDS), level=0).loc[[*models, "blind guess"]]
    return t.astype(object).where(t.notna(), "—")  # what does not apply (the guesser has no steps) is a dash


def deviations(ch: PretrainDifficulty) -> str:
    sc = ch.recipe.scale
    rl = next((a.rl for a in ch.recipe.arms if a.rl), None)
    thirds = ", ".join(f"{lo}-{hi}" for lo, hi in in_dist_thirds(sc))
    return "\n".join([
        f"- Every base carries the scale's {sc.pretrain_tail:.0%} tail of edge problems (op {sc.edge[0]}-{sc.edge[1]})"
        " in pre-training: the laptop ladder's base verified no edge problem without it (lab notes). The paper's bases "
        "have none.",
        f"- The thirds of in-dist are op {thirds} at this scale (the paper: 2-4, 5-7, 8-10 of op 2-10); the paper's "
        f"edge band is op 11-14 and its hard band op 15-20 (ours: {ch.band('edge')[0]}-{ch.band('edge')[1]} and "
        f"{ch.band('hard')[0]}-{ch.band('hard')[1]}).",
        f"- RL: the scale's settings ({rl.steps if rl else '-'} GRPO steps of {sc.rl_prompts_per_step} prompts x "
        f"{sc.rollouts} rollouts, reward {rl.reward.name if rl else '-'}, actor lr {sc.rl_lr:g}; the paper: ~195 steps "
        "of 1024 prompts, lr 1e-6), not yet the calibrated laptop RL recipe: the RL-recipe calibration of the S6 "
        "chapter has no setting that meets its criterion yet.",
        f"- Evaluation: {ch.recipe.evaluation.problems_per_op} problems per op x {ch.recipe.evaluation.samples} "
        f"samples, so our largest k is {ch.k_max} (the paper: pass@128).",
        "- One seed per arm (the rules plan a second RL seed for the 20% arm; not run yet).",
        f"- The RL gate is ours: {GATE_RULE}. The paper runs RL from every base.",
    ])
