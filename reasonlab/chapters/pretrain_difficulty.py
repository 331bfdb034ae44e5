"""The "How hard should pre-training be?" chapter (the paper's App. A.7 / Fig 15-16).

One base per share h of the hardest in-dist third in pre-training (the official grid: 0.1%, 1%, 5%, 20%, 50%; the
rest split evenly between the easy and medium thirds, the official code's `id2-10_<easy>easy_<medium>medium_<hard>hard`
files), each with the scale's edge tail, then GRPO on the edge band from each base. The paper finds that more hard
data helps the base and RL, that RL's gain is largest at ~20% hard data, and that the training reward rises most at
20-50%. Every base and every RL arm is an arm of the recipe, evaluated on the same problems (S6's evaluation) under the
same verifier rules, so every comparison is paired per problem. RL is spent on a base only if it passes the RL gate
fixed before any RL arm ran (`rl_allowed`): a base that verifies almost nothing on the edge gives GRPO nothing to
sharpen.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..experiments.recipes import Recipe, a7_weights, get_recipe, in_dist_thirds
from ..experiments.runner import run_recipe
from ..experiments.scales import BANDS
from ..k_control import columns, guess_answers, pass_at_k_control
from ..plots import PALETTE, note_hidden
from ..results import (Estimate, RecipeRuns, Result, estimate, k_max, load_or_run, paired_changes, paired_delta,
                       paired_gain_gap, reward_gain, rl_controls)
from ..widgets import static_picker
from . import ladder
from .claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED, Claim, all_or_some, counts
from .rl_capability import plot_fig3

# matplotlib.pyplot, IPython and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs none of them.


# == data ============================================================================================================

RECIPE = "A.7"
CHAPTER = "pretrain_difficulty"
BASE, RL = "base", "rl"  # the two stages of the recipe's arms (each arm's param "stage")


@dataclass
class PretrainDifficulty(RecipeRuns):
    """The chapter's data: the A.7 result (the bases and RL arms run so far) and the recipe that made it."""

    runs: Result
    recipe: Recipe

    @cached_property
    def share_of(self) -> dict[str, float]:
        """{arm: hard share} of every arm of the recipe (run or not)."""
        return {a.name: a.param("hard_share") for a in self.recipe.arms}

    @cached_property
    def stage_of(self) -> dict[str, str]:
        """{arm: "base" or "rl"} of every arm of the recipe."""
        return {a.name: a.param("stage") for a in self.recipe.arms}

    @property
    def shares(self) -> list[float]:
        """The recipe's hard shares, smallest first."""
        return sorted(set(self.share_of.values()))

    def named(self, share: float, stage: str) -> str:
        """The recipe's arm of one share and stage (run or not)."""
        return next(a for a, h in self.share_of.items() if h == share and self.stage_of[a] == stage)

    def _run(self, stage: str) -> list[str]:
        return [self.named(h, stage) for h in self.shares if self.named(h, stage) in self.runs.models]

    @property
    def bases(self) -> list[str]:
        """The bases that have run, smallest hard share first."""
        return self._run(BASE)

    @property
    def rl_arms(self) -> list[str]:
        """The RL arms that have run, smallest hard share first."""
        return self._run(RL)

    def base_of(self, arm: str) -> str:
        """The base an RL arm starts from (the base of its share)."""
        return self.named(self.share_of[arm], BASE)

    def value(self, model: str, band: str, k: int | str = "max") -> Estimate:
        return estimate(self.table, model, band, "pass@k", k)

    def against(self, arm: str, other: str, band: str, k: int) -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        return paired_delta(self.runs.records(other), self.runs.records(arm), self.band(band), k)

    @cached_property
    def problem_sets(self) -> dict:
        """The evaluation's own problems (generated once: the blind guesser's answer prior)."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> PretrainDifficulty:
    """The committed A.7 result (fresh: run every base now, then RL from each base the gate allows; without fresh
    nothing trains, and a missing result raises FileNotFoundError)."""
    recipe = get_recipe(RECIPE, scale)
    if fresh:
        # the gate decides which RL arms run, so the bases run first (a base the gate refuses gets no RL)
        bases = [a.name for a in recipe.arms if a.param("stage") == BASE]
        run_recipe(RECIPE, scale, arms=bases, seed=seed, progress=False)
        ch = PretrainDifficulty(load_or_run(RECIPE, scale, seed), recipe)
        allowed = [ch.named(ch.share_of[b], RL) for b in ch.bases if rl_allowed(ch, b)]
        if allowed:
            run_recipe(RECIPE, scale, arms=allowed, seed=seed, progress=False)
    return PretrainDifficulty(load_or_run(RECIPE, scale, seed), recipe)


def pct(share: float) -> str:
    """A hard share as the page writes it: 0.001 -> "0.1%"."""
    return f"{share * 100:g}%"


# == rules ===========================================================================================================

# Fixed before any RL arm of A.7 ran (book/lab-notes.md, 2026-12-05, session 14, "20:53, A.7's rules"):
#   "RL (the edge band, the scale's RL settings until the RL recipe is calibrated; one seed, two for the 20% arm) is
#   spent on a base only if its verified edge pass@64 is at least 0.1: a base that verifies less on the edge gives
#   GRPO almost no verified success to sharpen, and is reported as such. 'Above zero' means the paired 95% bootstrap
#   interval over problems lies above zero; verified pass@k decides, with outcome pass@k, the hacked share and the
#   blind guesser beside it."
# 64 is the evaluation's largest k (its samples per problem); the gate reads the base's own largest k.
RL_GATE = 0.1
GATE_RULE = (f"RL is spent on a base only if its verified edge pass@k_max is at least {RL_GATE:g} (lab notes, "
             "session 14, 20:53): a base that verifies less on the edge gives GRPO almost no verified success to "
             "sharpen")
PAPER_FIG15 = ("more hard data in pre-training helps the base and RL; RL's gain is largest at ~20% hard data (+22 "
               "points pass@128 on op 15-20) (App. A.7, Fig 15)")
PAPER_FIG16 = "the training reward rises most at 20-50% hard data (App. A.7, Fig 16)"
TARGET_SHARE = 0.2  # the paper's "~20%"
RISE_SHARES = (0.2, 0.5)  # the paper's "20-50%"
RISE_STEPS = 5  # the rise = mean reward over the last 5 GRPO steps minus the first 5 (the lab notes' rule)
MIN_RL_ARMS = 3  # claims 2 and 3 are not testable with fewer RL arms (bases given RL)


def gate_value(ch: PretrainDifficulty, base: str) -> Estimate:
    """A base's verified edge pass@k at its own largest k (the evaluation's 64 at the laptop scale)."""
    return ch.value(base, "edge", k_max(ch.table, base))


def rl_allowed(ch: PretrainDifficulty, base: str) -> bool:
    """The RL gate: the base has run and its verified edge pass@k_max is at least RL_GATE."""
    return base in ch.bases and gate_value(ch, base).value >= RL_GATE


# == verdicts ========================================================================================================

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
        ch.named(ch.share_of[b], RL) in ch.rl_arms for b in ch.bases if rl_allowed(ch, b))


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


def claims(ch: PretrainDifficulty) -> list[Claim]:
    """The paper's A.7 claims whose inputs exist at this scale (`waiting` says what the others wait for)."""
    return [c for c in (_hard_data_claim(ch), _largest_gain_claim(ch), _reward_claim(ch)) if c is not None]


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
        e, arm = gate_value(ch, b), ch.named(ch.share_of[b], RL)
        then = "ran against the gate: it is shown, never judged" if arm in ch.rl_arms else "is not run"
        lines.append(f"- No RL under the gate: {b} verifies edge pass@{k_max(ch.table, b)} {e.fmt()}, below "
                     f"{RL_GATE:g}, so {arm} {then}.")
    due = [ch.named(ch.share_of[b], RL) for b in ch.bases if rl_allowed(ch, b)]
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


# == figures and tables ==============================================================================================

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


def _share_axis(ax, ch: PretrainDifficulty) -> None:
    """A log-scaled x axis over the recipe's hard shares, each one a tick (shares not yet run included)."""
    ax.set_xscale("log")
    ax.set_xticks(ch.shares, [pct(h) for h in ch.shares])
    ax.minorticks_off()
    ax.set_xlim(ch.shares[0] / 1.8, ch.shares[-1] * 1.8)


def fig15(ch: PretrainDifficulty, bands=("edge", "hard"), models: list[str] | None = None):
    """The paper's Fig 15 for our runs (or those of `models`): verified pass@1 and pass@k_max (95% CI) against the hard
    share of pre-training, the bases dashed with hollow markers, the RL arms solid."""
    import matplotlib.pyplot as plt

    models = ch.bases + ch.rl_arms if models is None else models
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.0 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            tops = []
            for names, label, style in ((ch.bases, "base (pre-training only)", {"fmt": "o--", "mfc": "none",
                                                                                "color": PALETTE[0]}),
                                        (ch.rl_arms, "after RL on the edge band", {"fmt": "s-", "color": PALETTE[3]})):
                names = [a for a in names if a in models]
                if names:
                    e = [ch.value(a, band, k) for a in names]
                    tops += [x.hi for x in e]
                    ax.errorbar([ch.share_of[a] for a in names], [x.value for x in e],
                                yerr=[[x.value - x.lo for x in e], [x.hi - x.value for x in e]], capsize=3,
                                label=label, **style)
            if tops and max(tops) == 0:  # the lines lie on the axis, one over the other: say so
                ax.text(0.5, 0.5, "every model: 0\n(no verified solution)", transform=ax.transAxes, ha="center",
                        va="center")
            _share_axis(ax, ch)
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
            note_hidden(ax)
        row[0].set_ylabel("verified pass@k")
    for ax in axes[-1]:
        ax.set_xlabel("hard share of pre-training (log scale)" + ("\n" + ax.get_xlabel() if ax.get_xlabel() else ""))
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=max(1, len(names)), fontsize=9)
    return fig


def fig_ladders(ch: PretrainDifficulty):
    """The bases' own ladders side by side: verified pass@1 and pass@k_max per op, one line per base, the evaluation's
    bands shaded (None before any base has run)."""
    import matplotlib.pyplot as plt

    if not ch.bases:
        return None
    shades = {"in_dist": "#0072B2", "edge": "#E69F00", "hard": "#D55E00"}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True, layout="constrained")
    for ax, k in zip(axes, (1, ch.k_max)):
        for band in ch.bands:
            ax.axvspan(band.lo - 0.5, band.hi + 0.5, color=shades.get(band.label, "grey"), alpha=0.08, linewidth=0)
            ax.text((band.lo + band.hi) / 2, 1.04, band.label, ha="center", va="bottom")
        for base in ch.bases:
            rows = ch.table[(ch.table.model == base) & (ch.table.group == "op") & (ch.table.metric == "pass@k")
                            & (ch.table.k == k)]
            rows = rows.assign(op=rows.key.astype(int)).sort_values("op")
            ax.errorbar(rows.op, rows.value, yerr=[rows.value - rows.lo, rows.hi - rows.value], fmt="o-", ms=3,
                        capsize=2, color=PALETTE[ch.shares.index(ch.share_of[base]) % len(PALETTE)],
                        label=f"{pct(ch.share_of[base])} hard ({base})")
        ax.set(xlabel="op", title=f"verified pass@{k} per op", ylim=(-0.02, 1.12))
        note_hidden(ax)
    axes[0].set_ylabel("verified pass@k")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(3, len(names)), fontsize=9)
    return fig


SMOOTH = 5  # steps in the running mean of the reward curves (one step is a noisy batch)


def fig16(ch: PretrainDifficulty):
    """The paper's Fig 16 for our RL arms: the training reward per GRPO step (thin: per step; thick: a 5-step mean),
    the first and last RISE_STEPS steps (what claim 3 reads) shaded; None when no RL arm has run."""
    import matplotlib.pyplot as plt

    logs = {a: sorted(ch.runs.logs(a, "rl"), key=lambda r: r["step"]) for a in ch.rl_arms}
    logs = {a: [r for r in rows if r.get("reward_mean") is not None] for a, rows in logs.items()}
    logs = {a: rows for a, rows in logs.items() if rows}
    if not logs:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    last = max(r["step"] for rows in logs.values() for r in rows)
    ax.axvspan(0.5, RISE_STEPS + 0.5, color="grey", alpha=0.1, linewidth=0)
    ax.axvspan(last - RISE_STEPS + 0.5, last + 0.5, color="grey", alpha=0.1, linewidth=0)
    for arm, rows in logs.items():
        colour = PALETTE[ch.shares.index(ch.share_of[arm]) % len(PALETTE)]
        steps, values = [r["step"] for r in rows], pd.Series([r["reward_mean"] for r in rows])
        ax.plot(steps, values, color=colour, linewidth=0.6, alpha=0.45)
        ax.plot(steps, values.rolling(SMOOTH, min_periods=1).mean(), color=colour, linewidth=2,
                label=f"{pct(ch.share_of[arm])} hard ({arm})")
    ax.set(xlabel="GRPO step (shaded: the first and last 5 steps the rise compares)", ylabel="training reward",
           ylim=(-0.02, 1.02))
    note_hidden(ax)
    ax.legend(loc="upper left", fontsize=9, title=f"thin: per step; thick: {SMOOTH}-step mean", title_fontsize=9)
    return fig


def fig_share(ch: PretrainDifficulty, share: float):
    """Fig 3's panels for one hard share: the base's verified pass@k per band (dashed) and, where run, its RL arm."""
    import matplotlib.pyplot as plt

    base, arm = ch.named(share, BASE), ch.named(share, RL)
    table = ch.table.assign(model=ch.table.model.replace({base: "base"}))  # plot_fig3 draws "base" dashed
    models = ["base"] + ([arm] if arm in ch.rl_arms else [])
    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    plot_fig3(axes[0], table, models, BANDS, {arm: arm, "base": f"{base} (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig


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


# == controls ========================================================================================================

def picker(ch: PretrainDifficulty):
    """The static book's control: pick a hard share to see its base's verified pass@k per band (dashed) and, where
    run, its RL arm's. Works in the built HTML without a kernel; it chooses among committed runs."""
    return static_picker({f"{pct(ch.share_of[b])} hard" + (f" + {ch.named(ch.share_of[b], RL)}"
                                                           if ch.named(ch.share_of[b], RL) in ch.rl_arms else ""):
                          fig_share(ch, ch.share_of[b]) for b in ch.bases},
                         "hard share of pre-training (verified pass@k of its base, dashed, and its RL arm)")


def k_control(ch: PretrainDifficulty):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of every base and RL arm, and the
    blind guesser's, at any k a reader picks, computed in the page from the committed per-problem counts."""
    cols = columns(ch.bands)
    records = {m: ch.runs.records(m) for m in ch.bases + ch.rl_arms}
    return pass_at_k_control(records, cols, "pass@k of each base and RL arm per band, at k",
                             guess_answers(ch.problem_sets, cols))


# What a new grid point costs (lab notes, sessions 11 and 14): pre-training dominates. 36M tokens took 52 min at two
# threads in bf16 on a CPU with native bf16 (session 11); an AVX2-only CPU trains in fp32 at ~2.6K tokens/s (session
# 14), about 4 hours.
LIVE_RUN_TIME = ("a base: about 50 min of pre-training at two threads on a 2-core CPU with native bf16 (about 4 hours "
                 "on an AVX2-only one, in fp32), then 5-10 min of evaluation; its RL arm: the scale's GRPO steps and "
                 "another evaluation")


def run_command(ch: PretrainDifficulty, share: float) -> str:
    """The command that runs one share's base (and, once the gate allows it, its RL arm)."""
    return (f"python -m reasonlab run {RECIPE} --scale {ch.recipe.scale.name} --arm {ch.named(share, BASE)}"
            f"  # then, if its edge pass@k_max >= {RL_GATE:g}: --arm {ch.named(share, RL)}")


def widget(ch: PretrainDifficulty):
    """Live kernel only: Fig 15 over the bases and RL arms you select, and how to run a grid point yourself (nothing
    here trains: a base costs over an hour)."""
    import html

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    arms = ch.bases + ch.rl_arms
    pick = widgets.SelectMultiple(options=arms, value=tuple(arms), description="models")
    out = widgets.interactive_output(lambda models: (fig15(ch, models=list(models)), plt.show()), {"models": pick})
    todo = [h for h in ch.shares if ch.named(h, BASE) not in ch.bases] or ch.shares
    note = widgets.HTML("<b>Run a grid point yourself</b> (in a terminal; it is cached and merged into the result): "
                        + "<br>".join(f"<code>{html.escape(run_command(ch, h))}</code>" for h in todo)
                        + f"<br>Cost: {html.escape(LIVE_RUN_TIME)}.")
    return widgets.VBox([pick, out, note])
