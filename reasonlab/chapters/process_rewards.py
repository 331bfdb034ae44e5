"""The "Process rewards and reward hacking" chapter (the paper's Sec. 6 / Fig 7).

From the ladder's base model, GRPO on the edge band with rewards that weigh the answer against the steps:
R = a R_out + (1 - a) R_pv for a = 1 (outcome only), 0.8, 0.5, 0.2, 0 (process only), and the strict reward
(R_out only when every step verifies). Beyond the paper, a random-reward arm: the batch's outcome rewards
permuted across its rows, so it pays as often as the outcome reward and says nothing about the completion; an
RL effect counts only where it beats this arm too. The base is an arm of the recipe, evaluated on the same
problems under the same verifier rules, so every comparison is paired per problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

import pandas as pd

from ..evaluate import pass_at_k
from ..experiments.recipes import UNCONTROLLED_KNOBS, Recipe, get_recipe
from ..experiments.runner import COMMITTED_ARTIFACTS, run_point
from ..experiments.scales import BANDS
from ..k_control import columns, guess_answers, pass_at_k_control
from ..plots import PALETTE
from ..results import (Estimate, RecipeRuns, Result, estimate, load_or_run, paired_changes, paired_delta, reruns,
                       rl_controls)
from ..verify import Reward
from ..widgets import run_panel, static_picker
from . import outputs
from .claims import (NOT_REPRODUCED, NOT_TESTABLE, NOT_TESTABLE_RULE, PARTLY, REPRODUCED, Claim, at_zero, counts,
                     gated, over_seeds)
from .rl_capability import plot_fig3, show_new_point

# matplotlib.pyplot and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


# == data ============================================================================================================

RECIPE = "S6"
CALIBRATION = "RL-recipe"  # the laptop RL recipe's knobs (issue 25), read beside S6 where committed
CHAPTER = "process_rewards"
# The GRPO log's per-step controls (issue 25); results collected before the runner kept them read them from the
# committed log of the same stage (data/checkpoints/<key>/log.jsonl).
CONTROL_KEYS = ("outcome_mean", "verified_mean", "hacked_share", "frac_groups_verified", "reward_by_op")


@dataclass
class S6(RecipeRuns):
    """The chapter's data: the S6 result (the base and the reward arms), reruns of some arms with other RL seeds,
    and the recipe that made them."""

    runs: Result
    recipe: Recipe
    reruns: dict[int, Result]
    calibration: dict[int, Result] = field(default_factory=dict)  # {RL seed: RL-recipe result}, the knobs' arms

    @property
    def arms(self) -> list[str]:
        """The RL arms that have run, in the recipe's order (the base is not one)."""
        return [m for m in self.runs.models if m != "base"]

    @cached_property
    def reward_of(self) -> dict[str, str]:
        """{arm: reward name} ("outcome", "mix-0.2", "process", "strict", "random", ...)."""
        return {a.name: a.param("reward") for a in self.recipe.arms if a.name in self.arms}

    def arm(self, reward: str) -> str | None:
        return next((a for a, r in self.reward_of.items() if r == reward), None)

    def records(self, run: Result | None = None) -> dict[str, list[dict]]:
        """Per-problem records {model: [...]} of seed 0, or with a rerun's arms in place of seed 0's (an arm the rerun
        does not have stays seed 0's: the same problems and sampling seeds, so still paired)."""
        out = {m: self.runs.records(m) for m in self.runs.models}
        return out | ({m: run.records(m) for m in run.models} if run else {})

    def changes(self, run: Result | None = None) -> pd.DataFrame:
        """Paired pass@1 and pass@k_max changes against the base, per arm and band."""
        recs = self.records(run)
        return paired_changes({a: (recs["base"], recs[a]) for a in self.arms}, self.bands, (1, self.k_max))

    def against(self, arm: str, other: str, band: str, k: int, run: Result | None = None,
                count: str = "verified") -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        recs = self.records(run)
        return paired_delta(recs[other], recs[arm], self.band(band), k, count=count)

    def value(self, model: str, band: str, metric: str = "pass@k", k=None) -> Estimate:
        return estimate(self.table, model, band, metric, k)

    def step_log(self, arm: str) -> list[dict]:
        """The arm's GRPO log, one row per step, with the per-step controls: the result's own log, completed from
        the committed log of the same stage where the result was collected before the runner kept them."""
        rows = self.runs.logs(arm, "rl")
        if rows and all(k in rows[0] for k in CONTROL_KEYS):
            return rows
        parent = self.runs.data.get("arm_work", {}).get(arm, {}).get("parent")  # .../<stage key>/final
        committed = COMMITTED_ARTIFACTS / PurePosixPath(parent).parent.name / "log.jsonl" if parent else None
        if committed is None or not committed.exists():
            return rows
        committed_rows = [json.loads(line) for line in committed.read_text().splitlines() if line.strip()]
        extra = {r["step"]: r for r in committed_rows}
        return [r | {k: extra.get(r["step"], {}).get(k) for k in CONTROL_KEYS if k not in r} for r in rows]


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> S6:
    """The committed S6 result with its committed reruns (fresh: run the base and every arm now; without fresh
    nothing trains, and a missing result raises FileNotFoundError)."""
    runs = load_or_run(RECIPE, scale, seed, fresh)
    if fresh:
        return S6(runs, get_recipe(RECIPE, scale), {})
    return S6(runs, get_recipe(RECIPE, scale), reruns(RECIPE, scale, seed), _calibration(scale, seed))


def _calibration(scale: str, seed: int) -> dict[int, Result]:
    """The committed RL-recipe results ({RL seed: result}; empty when none is committed at this scale)."""
    try:
        first = {0: load_or_run(CALIBRATION, scale, seed)}
    except FileNotFoundError:
        return {}
    return first | reruns(CALIBRATION, scale, seed)


# == rules ===========================================================================================================

# Fixed before the mix arms' results (lab notes, 2026-12-04, session 9, 18:22 UTC; one gate added at 18:40). Every
# comparison is paired per problem against the outcome arm (or mix-0.2), with its 95% bootstrap interval; "above
# zero" means the interval is.
PAPER_FIG7 = "process-aware rewards raise op 15-20 pass@1 by 4-5%; 0.2 R_out + 0.8 R_pv balances best; strict " \
             "gives a further clear gain (Fig 7)"
PROCESS_AWARE = ("mix-0.8", "mix-0.5", "mix-0.2", "process", "strict")  # every reward that sees the steps
LINEAR = ("outcome", "mix-0.8", "mix-0.5", "mix-0.2", "process")  # a R_out + (1 - a) R_pv
MIN_LINEAR = 3  # "balances best" needs at least three linear arms to compare

# The laptop RL recipe's criterion (lab notes, 2026-12-04, session 8, 15:43 UTC, fixed before the S6 runs): an
# edge-band arm (1) raises verified edge pass@k_max with a paired 95% interval above zero, (2) beats its
# random-reward control (same settings) with the paired interval above zero, and (3) leaves in-dist pass@k_max
# within its interval of the base (the paired interval reaches zero or lies above it), each in two RL seeds.
CRITERION_SEEDS = 2


# == verdicts ========================================================================================================

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
    out = []
    for cid, c in seeds[0].items():
        decided = {n: s[cid] for n, s in seeds.items() if cid in s}
        if len(decided) > 1:
            each = "; ".join(f"RL seed {n}: {s.headline or s.ours} ({s.verdict})" for n, s in decided.items())
            c = Claim(c.chapter, c.text, c.paper, f"{c.ours} (RL seed 0); {each}",
                      over_seeds([s.verdict for s in decided.values()]), f"{c.rule}; over RL seeds, the weakest "
                      "verdict (a rerun's arms in place of seed 0's)", each, c.k)
        out.append(c)
    return out


def numbers(ch: S6) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max,
            "n_arms": len(ch.arms), "rl_steps": next((a.rl.steps for a in ch.recipe.arms if a.rl), 0)}


# == figures and tables ==============================================================================================

def setup_table(ch: S6) -> pd.DataFrame:
    """One row per arm: its reward, steps, batch, GRPO wall time and the commit it ran at."""
    rows = []
    for a in ch.recipe.arms:
        if a.name not in ch.arms:
            continue
        work = ch.runs.data.get("arm_work", {}).get(a.name, {})
        alpha = a.param("alpha")  # None for the rewards that are not a linear mix (strict, random)
        rows.append({"arm": a.name, "reward": a.rl.reward.name, "outcome weight a": "—" if alpha is None else alpha,
                     "GRPO steps": a.rl.steps, "prompts x rollouts": f"{a.rl.prompts_per_step} x {a.rl.rollouts}",
                     "GRPO wall time (min)": round((work.get("train_wall_time_s") or 0) / 60, 1),
                     "commit": work.get("git_commit", "")[:7],
                     "RL seeds": 1 + sum(a.name in r.models for r in ch.reruns.values())})
    return pd.DataFrame(rows)


def changes_table(ch: S6, run: Result | None = None) -> pd.DataFrame:
    """Paired changes against the base: one row per arm, one column per (band, k), "change [95% CI]"."""
    dt = ch.changes(run)
    dt = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()])
    t = dt.pivot_table(index="arm", columns=["band", "k"], values="change", aggfunc="first")
    return t.loc[[a for a in ch.arms if a in t.index], list(BANDS)]


def contrast_table(ch: S6, run: Result | None = None) -> pd.DataFrame:
    """Each arm against the outcome arm and against the random control, verified edge pass@1 and pass@k_max."""
    rows = []
    for arm in ch.arms:
        row = {"arm": arm}
        for other in (ch.arm("outcome"), ch.arm("random")):
            if other and other != arm:
                for k in (1, ch.k_max):
                    row[f"- {other}, pass@{k}"] = ch.against(arm, other, "edge", k, run).fmt(True)
        rows.append(row)
    return pd.DataFrame(rows).set_index("arm").fillna("(itself)")


def controls_table(ch: S6) -> pd.DataFrame:
    """The RL controls per model and band (results.rl_controls): verified and outcome pass@1 and pass@k_max, the
    share of right answers reached through wrong steps, and the blind guesser's outcome pass@k beside them."""
    t = rl_controls(ch.records(), ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    t = t.drop(columns="hacked share CI").set_index(["model", "band"]).round(3)
    t = t.unstack("band").swaplevel(axis=1).reindex(columns=list(BANDS), level=0).loc[
        ["base"] + ch.arms + ["blind guess"]]
    return t.astype(object).where(t.notna(), "—")  # what does not apply (the guesser has no steps) is a dash


def _colour(ch: S6, model: str) -> str:
    return "black" if model == "base" else PALETTE[ch.arms.index(model) % len(PALETTE)]


def fig7(ch: S6, arms: list[str] | None = None, bands=("edge", "hard")):
    """The paper's Fig 7 for our arms (or some): verified pass@1 and pass@k_max (filled, 95% CI) and outcome pass@k
    (hollow) per model, one panel per (band, k), with the blind guesser's outcome pass@k as a dotted line."""
    import matplotlib.pyplot as plt

    models = ["base", *(ch.arms if arms is None else arms)]
    guess = rl_controls({}, ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    fig, axes = plt.subplots(len(bands), 2, figsize=(9, 3.2 * len(bands)), sharex=True, squeeze=False,
                             layout="constrained")  # 9 in: legible (>= 9 px text) at the page's column width
    for row, band in zip(axes, bands):
        for ax, k in zip(row, (1, ch.k_max)):
            for i, m in enumerate(models):
                v, o = ch.value(m, band, "pass@k", k), ch.value(m, band, "outcome_pass@k", k)
                ax.errorbar([i], [v.value], yerr=[[v.value - v.lo], [v.hi - v.value]], fmt="o", capsize=3,
                            color=_colour(ch, m), label="verified" if i == 0 else None)
                ax.plot([i], [o.value], "o", mfc="none", color=_colour(ch, m), label="outcome" if i == 0 else None)
            g = guess[guess.band == band][f"outcome pass@{k}"]
            if len(g):
                ax.axhline(float(g.iloc[0]), color="grey", linestyle=":", label="blind guess (outcome)")
            ax.set(title=f"{band}: pass@{k}", ylim=(-0.02, 1.02))
            ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
    axes[0][0].legend(fontsize=9, loc="upper left")
    return fig


SMOOTH = 5  # steps in the running mean of the dynamics curves (one step is a noisy 32-prompt batch)


def fig_dynamics(ch: S6, arms: list[str] | None = None):
    """Per GRPO step: the training reward (the paper's reward curves), the share of rollouts that verify, and the
    share of right answers reached through wrong steps (what each reward pays for)."""
    import matplotlib.pyplot as plt

    arms = ch.arms if arms is None else arms
    panels = (("reward_mean", "training reward"), ("verified_mean", "rollouts that verify"),
              ("hacked_share", "right answers through wrong steps"))
    fig, grid = plt.subplots(2, 2, figsize=(9, 6.2), sharex=True, layout="constrained")  # the 4th cell: legend
    axes, legend_ax = grid.flat[:3], grid.flat[3]
    for ax, (key, title) in zip(axes, panels):
        for arm in arms:
            rows = [r for r in ch.step_log(arm) if r.get(key) is not None]
            if rows:
                steps, values = [r["step"] for r in rows], pd.Series([r[key] for r in rows])
                ax.plot(steps, values, color=_colour(ch, arm), linewidth=0.6, alpha=0.45)
                ax.plot(steps, values.rolling(SMOOTH, min_periods=1).mean(), color=_colour(ch, arm), linewidth=2,
                        label=arm)
        ax.set(xlabel="GRPO step", title=title, ylim=(-0.02, 1.02))
    handles, names = axes[0].get_legend_handles_labels()
    legend_ax.axis("off")
    legend_ax.legend(handles, names, loc="center", fontsize=9, title=f"arm (thin: per step; thick: {SMOOTH}-step mean)",
                     title_fontsize=9)
    return fig


def fig_arm(ch: S6, arm: str):
    """Fig 3's panels for one arm beside the base (dashed): verified pass@k per band."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BANDS), figsize=(2.3 * len(BANDS), 2.7), sharey=True, squeeze=False,
                             layout="constrained")
    for ax in axes[0]:
        ax.set_prop_cycle(color=[_colour(ch, arm)])
    plot_fig3(axes[0], ch.table, ["base", arm], BANDS, {arm: arm, "base": "base (dashed)"})
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=9)
    return fig


def reading(ch: S6) -> str:
    """What the tables say, as bullet points computed from them (stays true when the results change)."""
    km, lines = ch.k_max, []
    base = {k: ch.value("base", "edge", "pass@k", k) for k in (1, km)}
    lines.append(f"- The base verifies edge problems at pass@1 {base[1].fmt()} and pass@{km} {base[km].fmt()}.")
    hacked = rl_controls(ch.records(), {}, ch.bands, km).query("band == 'edge'").set_index("model")["hacked share"]
    for arm in ch.arms:
        d = {k: ch.against(arm, "base", "edge", k) for k in (1, km)}
        lines.append(f"- **{arm}**: edge pass@1 {d[1].fmt(True)}, pass@{km} {d[km].fmt(True)} against the base; "
                     f"right edge answers through wrong steps {_share(hacked['base'])} -> {_share(hacked[arm])}.")
    random = ch.arm("random")
    if random:
        beat = [a for a in ch.arms if a != random and ch.against(a, random, "edge", km).above_zero]
        lines.append(f"- Against the random-reward control, verified edge pass@{km} is higher with an interval above "
                     f"zero for: {', '.join(beat) if beat else 'no arm'}.")
    hard = at_zero(ch.value(m, "hard", "pass@k", km) for m in ["base", *ch.arms])
    if hard:
        lines.append(f"- No model verifies a hard-band problem (pass@{km} 0 for the base and every arm): the paper's "
                     "hard-band claim cannot be tested at this scale; the edge band stands in for it.")
    return "\n".join(lines)


def _share(x) -> str:
    """A share to two places; a dash where there is none (no right answer to take a share of)."""
    return "—" if x is None or pd.isna(x) else f"{x:.2f}"


def waiting(ch: S6) -> str:
    """The recipe's arms that have not run at this scale (their claims wait for them)."""
    missing = [a.name for a in ch.recipe.arms if a.name != "base" and a.name not in ch.arms]
    return ("Not yet run at this scale: " + ", ".join(missing) + ". Claims that need them are left out until they "
            "are committed.") if missing else "Every arm of the recipe has run at this scale."


def deviations(ch: S6) -> str:
    sc = ch.recipe.scale
    steps = numbers(ch)["rl_steps"]
    return "\n".join([
        f"- {steps} GRPO steps of {sc.rl_prompts_per_step} prompts x {sc.rollouts} rollouts per arm, on op "
        f"{sc.edge[0]}-{sc.edge[1]} (the paper: about 195 steps of 1,024 prompts on op 11-14), actor lr {sc.rl_lr:g} "
        "(the paper: 1e-6). The length is the strict-reward probe's (issue 25).",
        "- The random-reward arm is ours: the paper has no control for what GRPO does without information.",
        f"- Evaluation: {ch.recipe.evaluation.problems_per_op} problems per op x {ch.recipe.evaluation.samples} "
        f"samples, so our largest k is {ch.k_max} (the paper: pass@128), and every model, the base included, is "
        "scored under the same verifier rules.",
        "- Seeds: " + (", ".join(f"RL seed {n} of {', '.join(r.models)}" for n, r in ch.reruns.items())
                       if ch.reruns else "one RL seed per arm") + "; intervals are over problems, not training runs.",
    ])


def _calibration_rows(ch: S6) -> list[dict]:
    """One row per (setting, RL seed) the criterion reads: S6's strict arm (the scale's settings, against S6's
    random arm), and each knob's strict arm of RL-recipe (against that knob's random arm, where it has run)."""
    km, base = ch.k_max, ch.runs.records("base")
    strict, random = ch.arm("strict"), ch.arm("random")
    seeds = {0: ch.runs, **ch.reruns}
    runs = [("scale's settings", n, run, strict, ch.runs, random) for n, run in seeds.items() if strict in run.models]
    for n, cal in ch.calibration.items():
        for arm in cal.models:
            knob = arm.removeprefix("strict-")
            if arm.startswith("strict-") and knob not in UNCONTROLLED_KNOBS:  # bf16: precision_table's
                runs.append((knob, n, cal, arm, ch.calibration[0], f"random-{knob}"))
    rows = []
    for setting, n, run, arm, control_run, control in runs:
        recs = run.records(arm)
        edge = paired_delta(base, recs, ch.band("edge"), km)
        keep = paired_delta(base, recs, ch.band("in_dist"), km)
        has_control = control is not None and control in control_run.models
        vs = paired_delta(control_run.records(control), recs, ch.band("edge"), km) if has_control else None
        rows.append({"setting": setting, "RL seed": n, f"(1) edge pass@{km} vs base": edge.fmt(True),
                     "(2) vs its random control": vs.fmt(True) if vs else "control not run",
                     f"(3) in-dist pass@{km} vs base": keep.fmt(True),
                     "met": edge.above_zero and bool(vs and vs.above_zero) and keep.hi >= 0})
    return rows


def calibration_table(ch: S6) -> pd.DataFrame:
    """The laptop RL recipe's criterion (fixed before the runs), per setting and RL seed, computed."""
    return pd.DataFrame(_calibration_rows(ch))


# Fixed before the bf16 arm ran (lab notes, session 13, 18:10 UTC): bf16 GRPO "agrees" with fp32 when the paired 95%
# interval of (bf16 - fp32) contains 0 on each of these (band, k); k None is the evaluation's largest k.
PRECISION_CHECKS = (("edge", 1), ("edge", None), ("in_dist", None))


def precision_table(ch: S6) -> pd.DataFrame:
    """The strict arm with bf16 policy and reference passes against the same arm in fp32 (RL-recipe's `strict-bf16`
    and `strict`: same seed, stages and evaluation otherwise), paired per problem, with each arm's GRPO step time;
    empty where the bf16 arm has not run."""
    cal = ch.calibration.get(0)
    if cal is None or "strict-bf16" not in cal.models or "strict" not in cal.models:
        return pd.DataFrame()
    rows = []
    for band, k in PRECISION_CHECKS:
        k = ch.k_max if k is None else k
        d = paired_delta(cal.records("strict"), cal.records("strict-bf16"), ch.band(band), k)
        rows.append({"band": band, "k": k, "fp32": round(_level(ch, "strict", band, k, cal), 3),
                     "bf16": round(_level(ch, "strict-bf16", band, k, cal), 3), "bf16 - fp32": d.fmt(True),
                     "agrees": d.lo <= 0 <= d.hi})
    return pd.DataFrame(rows)


def recipe_verdict(ch: S6) -> str:
    """Which setting meets the criterion in CRITERION_SEEDS RL seeds (the laptop's RL recipe), or that none does."""
    t = calibration_table(ch)
    if t.empty:
        return "No calibration run is committed at this scale."
    met = t[t.met].groupby("setting")["RL seed"].nunique()
    winners = sorted(met[met >= CRITERION_SEEDS].index)
    if winners:
        return (f"**Met in {CRITERION_SEEDS} RL seeds:** {', '.join(winners)}: the laptop's RL setting follows it "
                "(lab notes).")
    return (f"**No setting meets the criterion in {CRITERION_SEEDS} RL seeds yet**, so the scale keeps its RL "
            "settings; each row says which part fails.")


def samples_result(ch: S6, fresh: bool = False) -> Result:
    """The arms' own outputs with the verifier's report, paired with the base's sample (outputs.arms_samples)."""
    return outputs.arms_samples(RECIPE, ch.recipe.scale.name, outputs.arm_checkpoints(ch.runs, ch.arms), fresh)


def example_arm(samples: Result) -> str | None:
    """The arm whose outputs the chapter shows: the strict one if it was sampled, else the first sampled arm."""
    arms = list(samples.data["arms"])
    return next((a for a in arms if a.endswith("-strict")), arms[0] if arms else None)


# == controls ========================================================================================================

def picker(ch: S6):
    """The static book's control: pick a reward (one per committed arm) to see its verified pass@k per band beside
    the base. Works in the built HTML without a kernel; it chooses among committed runs."""
    return static_picker({f"{a} (reward {ch.reward_of[a]})": fig_arm(ch, a) for a in ch.arms},
                         "reward (verified pass@k of that arm and the base, dashed)")


def k_control(ch: S6):
    """The k control (reasonlab.k_control): verified and outcome pass@k per band of the base and each reward arm (RL
    seed 0), and the blind guesser's, at any k a reader picks, computed in the page from the committed per-problem
    counts; it works in the built book without a kernel and in a live kernel alike."""
    cols = columns(ch.bands)
    return pass_at_k_control(ch.records(), cols, "pass@k of the base and each reward arm per band, at k",
                             guess_answers(ch.recipe.evaluation.problem_sets(ch.recipe.scale), cols))


def new_point(ch: S6, alpha: float, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """GRPO on the edge band from the committed base with R = alpha R_out + (1 - alpha) R_pv, evaluated on the
    chapter's problems (paired with the base): a reward mix outside the grid, trained now (about half an hour on a
    laptop CPU; cached, never committed). Its tidy table."""
    arm = f"reward-{Reward.mixed(alpha).name}"
    _, table = run_point(RECIPE, ch.recipe.scale.name, arm,
                         {"alphas": (alpha,), "strict": False, "random_control": False}, seed, progress)
    return table.assign(model=arm + " (new: computed now, not committed)")


def widget(ch: S6):
    """Live kernel only: the picker's figures for several arms at once, and a panel that trains a reward mix the
    grid does not have."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    pick = widgets.SelectMultiple(options=ch.arms, value=tuple(ch.arms), description="arms")
    out = widgets.interactive_output(lambda arms: (fig7(ch, list(arms)), plt.show()), {"arms": pick})

    def run(alpha):
        show_new_point(ch.table, new_point(ch, alpha))

    alpha = widgets.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="outcome weight a")
    panel = run_panel("GRPO with another reward mix, now", alpha, "GRPO from the committed base with "
                      "a R_out + (1 - a) R_pv, then the evaluation (about half an hour on a laptop CPU)", run)
    return widgets.VBox([pick, out, panel])

