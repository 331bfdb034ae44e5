"""The S5 chapter's rules (fixed in the lab notes before any arm ran) on stand-in arms: S5 evaluates on S6's evaluation
(the same problems and sampling seeds), so the committed S6 models' records stand in for S5's arms, paired with the
same base. A null model gets no credit, a real gain does, a band where everything sits at 0 is not testable, and
claims wait for their arms."""

import copy
import dataclasses

import matplotlib
import pandas as pd
import pytest

from reasonlab.chapters import claims as cl
from reasonlab.chapters import mid_vs_rl as s5
from reasonlab.chapters import process_rewards as s6
from reasonlab.experiments.recipes import get_recipe
from reasonlab.plots import check_legible
from reasonlab.results import Result

matplotlib.use("Agg")

BETAS = {"beta-0": 0.0, "beta-0.2": 0.2, "beta-0.5": 0.5, "beta-0.8": 0.8, "beta-1": 1.0}


@pytest.fixture(scope="module")
def stand_in():
    return s6.load("laptop").runs


def _chapter(runs: Result, arms: dict[str, str], verified=None) -> s5.MidRL:
    """An S5 chapter whose arms are {S5 arm: S6 model whose evaluation it copies}; `verified` (arm -> function of a
    record) rewrites an arm's verified counts, e.g. to make it solve more."""
    data = {"records": {"base": copy.deepcopy(runs.data["records"]["base"])},
            "table": [r for r in runs.data["table"] if r["model"] == "base"]}
    for arm, source in arms.items():
        recs = copy.deepcopy(runs.data["records"][source])
        for r in recs if verified and arm in verified else ():
            r["verified"] = verified[arm](r)
            r["outcome"] = max(r["outcome"], r["verified"])
        data["records"][arm] = recs
        data["table"] += [r | {"model": arm} for r in runs.data["table"] if r["model"] == source]
    manifest = copy.deepcopy(runs.manifest) | {"recipe": "S5"}
    return s5.MidRL(Result("S5-laptop", manifest, data), get_recipe("S5", "laptop"))


def test_the_recipe_is_the_chapters():
    recipe = get_recipe("S5", "laptop")
    assert {a.name: a.param("beta") for a in recipe.arms if a.name != "base"} == BETAS
    assert recipe.evaluation == get_recipe("S6", "laptop").evaluation  # why S6's records stand in


def test_a_null_model_gets_no_credit(stand_in):
    """Every arm evaluated exactly as the base: nothing is reproduced, the hard band is not testable."""
    got = s5.verdicts(_chapter(stand_in, {a: "base" for a in BETAS}))
    assert set(got) == {"edge_mid", "edge_light", "hard_heavy", "hard_mid_rl"}
    assert got["edge_mid"].verdict == cl.NOT_REPRODUCED
    assert got["edge_light"].verdict == cl.NOT_REPRODUCED  # best by a tie, but it must beat the base
    assert got["hard_heavy"].verdict == got["hard_mid_rl"].verdict == cl.NOT_TESTABLE


def test_a_real_gain_is_credited(stand_in):
    """beta 0.2 verifies every sample the base answered right, heavy and full RL are the outcome-reward arm (which
    lowered the verified edge): light RL is best and the light side beats the heavy side."""
    arms = {"beta-0": "base", "beta-0.2": "base", "beta-0.5": "base", "beta-0.8": "reward-outcome",
            "beta-1": "reward-outcome"}
    got = s5.verdicts(_chapter(stand_in, arms, verified={"beta-0.2": lambda r: r["outcome"]}))
    assert got["edge_light"].verdict == cl.REPRODUCED
    assert got["edge_mid"].verdict == cl.REPRODUCED


def test_claims_wait_for_their_arms(stand_in):
    ch = _chapter(stand_in, {"beta-0": "base", "beta-1": "reward-outcome"})
    assert s5.verdicts(ch) == {}
    assert "beta-0.2" in s5.waiting(ch) and "beta-0.8" in s5.waiting(ch)


def test_every_arm_spends_the_same_budget():
    t = s5.budget_table(get_recipe("S5", "laptop"))
    assert list(t.index) == list(BETAS)
    # RL steps are whole, so an arm's total is T up to one step's token-equivalents
    step = t["RL token-equivalents"].max() / t["RL steps"].max()
    assert ((t.total - t["budget T"]).abs() <= step).all()
    assert t.loc["beta-0", "RL steps"] == 0 and t.loc["beta-1", "mid-training tokens"] == 0


def test_the_base_check_is_the_ladders(stand_in):
    ch = _chapter(stand_in, {})
    check = s5.base_check(ch)
    assert {"in_dist pass@64 >= 0.9", "edge pass@64 in [0.1, 0.8]"} <= set(check.criterion)
    assert s5.base_passes(ch) == bool(check.holds.all())


def test_tables_and_figures_read_cleanly(stand_in):
    ch = _chapter(stand_in, {a: s for a, s in zip(BETAS, ["base", "reward-mix-0.2", "reward-strict",
                                                           "reward-process", "reward-outcome"])})
    for t in (s5.controls_table(ch), s5.changes_table(ch)):
        assert not pd.isna(t.to_numpy()).any()
    for fig in (s5.fig6(ch), s5.fig_arm(ch, "beta-0.2")):
        assert check_legible(fig) == []
    assert "beta-0.2" in s5.reading(ch) and s5.numbers(ch)["n_arms"] == 5


def _budgets(runs: Result, arms: dict[str, str], verified=None) -> Result:
    """A stand-in A.10 result: the base and {A.10 arm: S6 model whose evaluation it copies}."""
    return dataclasses.replace(_chapter(runs, arms, verified).runs, name="A.10-laptop")


TWICE = {f"T2x-{a}": s for a, s in zip(BETAS, ["base", "reward-mix-0.2", "reward-strict", "reward-process",
                                                "reward-outcome"])}


def test_s5_is_a10_at_1x_until_a10_runs(stand_in):
    """Without an A.10 result the 1x budget is S5 itself (the same models and problems) and 2x waits; A.10's claims
    wait for every arm of every budget."""
    ch = _chapter(stand_in, {a: "base" for a in BETAS})
    views = s5.budget_views(ch)
    assert list(views) == [1.0] and views[1.0] is ch
    assert s5.budgets_missing(ch) == list(TWICE) and s5.budget_verdicts(ch) == {}
    assert "1x from S5" in s5.budgets_waiting(ch) and "T2x-beta-1" in s5.budgets_waiting(ch)
    ch.budgets = _budgets(stand_in, dict(list(TWICE.items())[:2]))  # 2x half run: still waiting
    assert s5.budgets_missing(ch) == list(TWICE)[2:] and s5.budget_verdicts(ch) == {}
    del ch.budgets.data["records"]["base"]  # arms without A.10's own base: nothing to pair them with yet
    assert list(s5.budget_views(ch)) == [1.0] and s5.budgets_missing(ch) == list(TWICE)
    assert "base, T2x-beta-0 (run; waits for the base), T2x-beta-0.2" in s5.budgets_waiting(ch)


def test_a10_claims_once_every_budget_has_run(stand_in):
    """With 2x run, every A.10 claim is judged by S5's rules within each budget; at a scale without 4x the full-RL
    claim is not testable, and a hard band at 0 everywhere makes the hard claims not testable."""
    ch = _chapter(stand_in, {a: "base" for a in BETAS})
    ch.budgets = _budgets(stand_in, TWICE)
    views = s5.budget_views(ch)
    assert views[1.0] is ch and views[2.0].runs is ch.budgets and views[2.0].arms == list(TWICE)
    got = s5.budget_verdicts(ch)
    assert set(got) == {"budgets_edge_light", "budgets_hard_heavy", "budgets_heavy_2x", "budgets_full_rl_4x"}
    assert got["budgets_full_rl_4x"].verdict == cl.NOT_TESTABLE and "none reaches 4x" in got["budgets_full_rl_4x"].ours
    assert got["budgets_edge_light"].verdict == cl.NOT_REPRODUCED  # 1x's light arm is the base: it gains nothing
    assert got["budgets_hard_heavy"].verdict == got["budgets_heavy_2x"].verdict == cl.NOT_TESTABLE
    assert not s5.budgets_changes_table(ch).isna().any().any()
    assert check_legible(s5.fig18(ch)) == []


def test_light_rl_at_every_budget_is_reproduced(stand_in):
    gain = {"beta-0.2": lambda r: r["outcome"]}
    ch = _chapter(stand_in, {a: "base" for a in BETAS}, verified=gain)
    ch.budgets = _budgets(stand_in, {a: "base" for a in TWICE}, verified={"T2x-beta-0.2": lambda r: r["outcome"]})
    assert s5.budget_verdicts(ch)["budgets_edge_light"].verdict == cl.REPRODUCED
    ch.budgets = _budgets(stand_in, {a: "base" for a in TWICE})  # 2x gains nothing: partly
    assert s5.budget_verdicts(ch)["budgets_edge_light"].verdict == cl.PARTLY


def test_deviations_say_when_budgets_trained_in_different_arithmetic(stand_in):
    ch = _chapter(stand_in, {a: "base" for a in BETAS})
    ch.budgets = _budgets(stand_in, TWICE)
    assert "trained in" not in s5.deviations(ch)  # no mid-training manifests: nothing to say
    ch.runs.data["training_manifests"] = {"beta-0": {"mid": {"dtype": "bf16"}}}
    ch.budgets.data["training_manifests"] = {"T2x-beta-0": {"mid": {"dtype": "fp32"}}}
    assert "bf16 (1x), fp32 (2x)" in s5.deviations(ch)
