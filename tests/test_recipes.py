"""Recipes and scales: every recipe builds at every scale; the paper scale gives the paper's numbers."""

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasonlab.experiments import (
    SCALES, Reward, deviations, get_recipe, get_scale, list_recipes, recipe_params, rl_token_equivalent,
    s3_rl_bands,
)
from reasonlab.experiments.recipes import (NextToken, has_calibrated_rl, in_dist_thirds, rl_knob_settings,
                                          thirds_pretrain, top_of_in_dist)
from reasonlab.experiments.runner import evaluation_key, stage_dirs
from reasonlab.experiments.scales import PAPER, Scale
from reasonlab.generator import Mixture, generate_problem, make_dataset
from reasonlab.provenance import config_hash

PAPER_IDS = ["ladder", "S3", "S4", "Fig5", "S5", "S6", "A.5", "A.6.1", "A.6.2", "A.7", "A.8", "A.10"]
CALIBRATION_IDS = ["RL-recipe", "RL-recheck", "S3-calibrated", "S3-calibrated-wide"]  # beyond the paper: the laptop
# RL recipe, its edge re-check, and S3 with it, its arms also on the re-check's wide edge (issue 25)


def bands_of(mixture):
    return sorted({(c.op_lo, c.op_hi) for c in mixture.components})


# ------------------------------------------------------------------------------------ coverage
def test_list_recipes_covers_the_paper_in_order():
    assert list_recipes() == PAPER_IDS + CALIBRATION_IDS


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("rid", PAPER_IDS + CALIBRATION_IDS)
def test_every_recipe_builds_at_every_scale(rid, scale):
    if rid.startswith("S3-calibrated") and not has_calibrated_rl(scale):
        with pytest.raises(ValueError, match="no calibrated RL recipe; scales with one: laptop"):
            get_recipe(rid, scale)
        return
    r = get_recipe(rid, scale)
    s = get_scale(scale)
    assert r.arms and len({a.name for a in r.arms}) == len(r.arms)
    lo, hi = s.all_ops
    for a in r.arms:
        for stage in a.stages.values():
            assert stage.mixture.config == s.generator
            m_lo, m_hi = stage.mixture.op_range
            assert lo <= m_lo <= m_hi <= hi  # every range maps inside the scale's bands
        held_a = dict(a.params).get("stage") in ("heldA-base", "heldA-rl")  # S4's mapping revision: A's tokens held
        assert a.pretrain.tokens == (round(s.pretrain_tokens / (1 - a.param("b_share"))) if held_a
                                     else s.pretrain_tokens)
    assert set(r.evaluation.ops) <= set(range(lo, hi + 1))
    assert r.describe().startswith(rid)
    config_hash(r.arms[0])  # arms hash (artifact keys)


def test_scales_use_existing_model_presets():
    from reasonlab.model import get_preset

    for s in SCALES.values():
        assert get_preset(s.model).max_positions >= s.seq_len


# ------------------------------------------------------------------------------------ paper values
@pytest.mark.parametrize("scale", ["paper", "gpu"])
def test_s3_bands_are_the_papers(scale):
    r = get_recipe("S3", scale)
    paper_arms, extra = r.arms[:4], r.arms[4:]
    assert [a.param("rl_band") for a in paper_arms] == [(7, 10), (9, 12), (11, 14), (17, 20)]
    assert [bands_of(a.rl.mixture) for a in paper_arms] == [[(7, 10)], [(9, 12)], [(11, 14)], [(17, 20)]]
    assert [(lo, hi) for _, lo, hi in r.evaluation.bands] == [(2, 10), (11, 14), (15, 20)]
    assert [a.name for a in paper_arms] == ["rl-op7-10", "rl-op9-12", "rl-op11-14", "rl-op17-20"]
    # beyond the paper: edge-screened prompts from the top of in-dist to the top of hard
    assert [a.name for a in extra] == ["rl-edge-filter", "rl-op11-14-3x-steps", "rl-op11-14-process-reward"]
    assert extra[0].rl.edge_filter is not None and bands_of(extra[0].rl.edge_filter.pool) == [(7, 20)]
    # follow-ups: one knob each against the edge arm
    assert extra[1].rl.steps == 3 * paper_arms[2].rl.steps and extra[1].rl.reward == paper_arms[2].rl.reward
    assert (extra[2].rl.reward.kind, extra[2].rl.reward.alpha) == ("mix", 0.2)
    assert extra[2].rl.steps == paper_arms[2].rl.steps and extra[2].rl.mixture == paper_arms[2].rl.mixture
    assert all(bands_of(a.pretrain.mixture) == [(2, 10)] for a in r.arms)
    assert len({a.pretrain for a in r.arms}) == 1  # one shared base model


def test_paper_scale_values():
    s = get_scale("paper")
    assert (s.model, s.pretrain_tokens, s.seq_len, s.batch_tokens) == ("paper-100m", 10**10, 2048, 512 * 1024)
    assert (s.rl_prompts_per_step, s.rollouts, s.eval_samples) == (1024, 6, 128)
    assert (s.in_dist, s.edge, s.hard) == ((2, 10), (11, 14), (15, 20))
    assert deviations("paper") == []


def test_laptop_evaluation_meets_the_calibration_requirements():
    # Issue 5: at least 100 evaluation problems per band and n = 128 samples at the laptop scale.
    s = get_scale("laptop")
    ev = get_recipe("ladder", "laptop").evaluation
    assert ev.samples == 128
    for _name, lo, hi in ev.bands:
        assert (hi - lo + 1) * ev.problems_per_op >= 100
    assert s.edge[0] == s.in_dist[1] + 1 and s.hard[0] == s.edge[1] + 1


def test_s4_exposures_and_mixture_names():
    r = get_recipe("S4", "paper")
    rl_arms = [a for a in r.arms if a.param("stage") == "rl"]
    assert [a.param("b_share") for a in rl_arms] == [0, 0.001, 0.01, 0.1]
    strict = r.arm("exposure-10pct-rl-strict")  # beyond the paper: one knob (the reward) changed at 10%
    assert strict.rl == dataclasses.replace(r.arm("exposure-10pct-rl").rl, reward=Reward("strict"))
    assert strict.pretrain == r.arm("exposure-10pct-base").pretrain
    paper_only = get_recipe("S4", "smoke", strict_shares=(), held_a_shares=())
    assert [a.name for a in paper_only.arms if a.rl] == [a.name for a in rl_arms]
    assert [a.pretrain.mixture.name for a in rl_arms] == [
        "A2-20", "A2-20:0.999+B2:0.001", "A2-20:0.99+B2:0.01", "A2-20:0.9+B2:0.1"]
    assert [a.name for a in r.arms[:4]] == ["exposure-0pct-base", "exposure-0pct-rl", "exposure-0.1pct-base",
                                            "exposure-0.1pct-rl"]
    assert all(a.rl.mixture.name == "A2-20:0.5+B2-20:0.5" for a in rl_arms)
    held = r.arm("exposure-10pct-heldA-base")  # mapping revision: one knob (the token budget), A's tokens as at 0%
    assert held.pretrain == dataclasses.replace(r.arm("exposure-10pct-base").pretrain, tokens=round(10e9 / 0.9))
    assert r.arm("exposure-10pct-heldA-rl").rl == r.arm("exposure-10pct-rl").rl
    assert r.arm("exposure-10pct-heldA-rl").pretrain == held.pretrain
    with pytest.raises(ValueError, match="below 1"):
        get_recipe("S4", "smoke", shares=(0, 1.0), held_a_shares=(1.0,))
    paper_arms = [a for a in r.arms if a.param("stage") in ("base", "rl")]
    assert all(base.pretrain == rl.pretrain and base.rl is None for base, rl in zip(paper_arms[::2], paper_arms[1::2]))
    assert r.evaluation.by_template and r.evaluation.templates == ("animals-zoo", "teachers-school")
    assert r.evaluation.bands == (("low", 2, 11), ("high", 12, 20))


def test_context_ops_map_the_paper_range_onto_what_a_scale_learns():
    from reasonlab.experiments.scales import LAPTOP

    assert PAPER.context_ops == PAPER.all_ops == (2, 20)
    assert LAPTOP.context_ops == LAPTOP.in_dist  # the 2M model learns op 2-9 in one pre-training run
    r = get_recipe("S4", "laptop")
    assert r.arm("exposure-1pct-rl").rl.mixture.name == "A2-9:0.5+B2-9:0.5[seen]"
    assert r.evaluation.bands == (("low", 2, 5), ("high", 6, 9))
    # A.6.2's base is S4's 1% base, and its 50% arm is S4's 1% arm: trained once
    a62 = get_recipe("A.6.2", "laptop")
    assert a62.arm("base").pretrain == r.arm("exposure-1pct-base").pretrain
    assert a62.arm("rl-B-50pct").rl == r.arm("exposure-1pct-rl").rl
    with pytest.raises(ValueError, match="context_ops needs >= 4 ops"):
        dataclasses.replace(LAPTOP, context_ops=(2, 4))


def test_views_reuse_the_same_runs():
    for view, base in (("Fig5", "S4"), ("A.8", "S4"), ("A.5", "S3")):
        assert get_recipe(view, "laptop").arms == get_recipe(base, "laptop").arms
        assert get_recipe(view, "laptop").view_of == base


@pytest.mark.parametrize("view, base", [("Fig5", "S4"), ("A.8", "S4"), ("A.5", "S3")])
def test_running_a_view_is_refused_before_anything_trains(view, base, tmp_path, monkeypatch):
    """A view's result name is its chapter's (Fig5-laptop holds the graph similarity): running the view would replace
    it with a copy of the viewed recipe's runs. The runner refuses, naming the recipe to run, and writes nothing."""
    from reasonlab.experiments.runner import run_recipe

    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=f"re-reads the runs of {base}: run {base} instead"):
        run_recipe(view, "smoke")
    assert not any(tmp_path.rglob("*.json"))


def test_s5_equal_compute_at_paper_scale():
    """Mid-training runs once per budget (the beta = 0 arm's T tokens); the arms with 0 < beta < 1 take its checkpoints
    at (1 - beta) T, 80/50/20% of it (paper.md section 9), and mid + RL = T for every arm."""
    from reasonlab.experiments.runner import checkpoint_step, lm_config

    r = get_recipe("S5", "paper")
    T = 5 * 102_400 * 2 * 2048  # full RL = 100 steps x 1024 prompts (paper.md S5)
    base, *rest = r.arms
    assert base.name == "base" and base.mid is None and base.rl is None  # evaluated with the arms, paired
    assert r.evaluation == get_recipe("S6", "paper").evaluation  # one evaluation: a checkpoint's cache is shared
    arms = {a.param("beta"): a for a in rest}
    assert list(arms) == [0, 0.2, 0.5, 0.8, 1]
    assert arms[1].mid is None and arms[1].rl.steps == 100 and arms[1].rl.prompts_per_step == 1024
    assert arms[0].rl is None and arms[0].mid.tokens == T and not arms[0].mid.is_checkpoint
    assert arms[0.2].rl.steps == 20 and arms[0.2].mid.tokens == 1_677_721_600
    run = lm_config(arms[0].mid, r.scale, "mid")
    assert run.total_tokens == T and run.total_steps == 4000  # 2.1B tokens of 512K-token steps
    for beta, a in arms.items():
        mid = a.mid.tokens if a.mid else 0
        rl = rl_token_equivalent(a.rl.n_prompts, 6, 2048) if a.rl else 0
        assert mid + rl == pytest.approx(T)
        if 0 < beta < 1:  # a checkpoint of the one run: its config (schedule included), at (1 - beta) of its steps
            assert a.mid.is_checkpoint and a.mid.run_tokens == T and a.mid.mixture == arms[0].mid.mixture
            assert lm_config(a.mid, r.scale, "mid") == run
            assert checkpoint_step(a.mid, run) == round((1 - beta) * 4000)
            assert checkpoint_step(a.mid, run) * run.tokens_per_step == a.mid.tokens  # whole steps at this scale
        if a.mid:  # 20% in-dist, 80% edge (paper.md section 4)
            w = {c.op_lo: 0 for c in a.mid.mixture.components}
            for c, wt in zip(a.mid.mixture.components, a.mid.mixture.weights):
                w[c.op_lo] += wt
            assert w == pytest.approx({2: 0.2, 11: 0.8})
        if a.rl:
            assert bands_of(a.rl.mixture) == [(11, 14)]


def test_a_next_token_stage_is_a_whole_run_or_a_checkpoint_of_one():
    """run_tokens names the run a checkpoint stage is taken from; a whole run has one spelling (None), and changing
    its tokens (S4's held-A base) keeps it a whole run."""
    mix = Mixture.band(2, 4)
    whole = NextToken(mix, 1000)
    assert not whole.is_checkpoint and whole.run_length == 1000 and NextToken(mix, 1000, run_tokens=1000) == whole
    assert not dataclasses.replace(whole, tokens=2000).is_checkpoint
    ck = NextToken(mix, 400, run_tokens=1000)
    assert ck.is_checkpoint and ck.run_length == 1000
    with pytest.raises(ValueError, match=r"run_tokens must be an integer >= tokens \(400\)"):
        NextToken(mix, 400, run_tokens=300)


def test_s6_rewards():
    r = get_recipe("S6", "paper")
    base, *rl_arms = r.arms
    assert base.name == "base" and base.rl is None  # evaluated on the arms' problems, under the same rules
    assert [a.rl.reward.name for a in rl_arms] == ["outcome", "mix-0.8", "mix-0.5", "mix-0.2", "process", "strict",
                                                  "random"]
    assert all(bands_of(a.rl.mixture) == [(11, 14)] for a in rl_arms)
    assert {a.rl.steps for a in rl_arms} == {r.scale.rl_steps}  # the paper's length at its scale
    laptop = get_recipe("S6", "laptop")
    assert {a.rl.steps for a in laptop.arms if a.rl} == {60}  # the strict probe's length (process_rl_steps)
    assert laptop.evaluation.samples == laptop.scale.rl_eval_samples
    assert [a.name for a in get_recipe("S6", "smoke", random_control=False).arms][-1] == "reward-strict"
    with pytest.raises(ValueError, match="random_control must be True or False"):
        get_recipe("S6", "smoke", random_control="yes")


def test_rl_recipe_changes_one_knob_per_arm_from_s6_strict():
    r, s6 = get_recipe("RL-recipe", "laptop"), get_recipe("S6", "laptop")
    arms, s6_arms = {a.name: a for a in r.arms}, {a.name: a for a in s6.arms}
    assert list(arms) == ["base", "strict", "strict-rollouts-16", "random-rollouts-16", "strict-lr-2e-05",
                          "random-lr-2e-05", "strict-steps-150", "random-steps-150", "strict-bf16",
                          "strict-edge-filter", "random-edge-filter", "strict-steps-150-lr-2e-05",
                          "random-steps-150-lr-2e-05", "strict-kl-1e-02", "random-kl-1e-02", "mid",
                          "strict-from-mid", "random-from-mid", "outcome-from-mid"]
    # the base, the strict arm and the evaluation are S6's: their stages and evaluation are read from the cache
    assert arms["base"].stages == s6_arms["base"].stages and arms["strict"].stages == s6_arms["reward-strict"].stages
    assert r.evaluation == s6.evaluation
    strict = arms["strict"].rl
    for name, arm in arms.items():
        if arm.rl is None or name == "strict" or arm.param("start") == "mid":
            continue
        changed = {f.name for f in dataclasses.fields(strict) if getattr(arm.rl, f.name) != getattr(strict, f.name)}
        knob = dict(arm.params)["knob"]
        assert changed - {"reward"} == set(rl_knob_settings(knob, strict)), name
        assert arm.rl.reward.name == dict(arm.params)["reward"]
    from reasonlab.experiments.runner import grpo_config

    assert grpo_config(arms["strict-lr-2e-05"].rl, r.scale).lr == 2e-5
    assert grpo_config(strict, r.scale).lr == r.scale.rl_lr  # lr None: the scale's, and the stage key unchanged
    assert grpo_config(arms["strict-kl-1e-02"].rl, r.scale).kl_coef == 1e-2
    assert grpo_config(strict, r.scale).kl_coef == r.scale.rl_kl_coef  # likewise for the KL coefficient
    assert grpo_config(arms["strict-bf16"].rl, r.scale).dtype == "bf16" and grpo_config(strict, r.scale).dtype == "fp32"
    with pytest.raises(ValueError, match="RL dtype"):
        dataclasses.replace(strict, dtype="fp16")
    with pytest.raises(ValueError, match="RL lr"):
        dataclasses.replace(strict, lr=0.0)
    with pytest.raises(ValueError, match="RL kl_coef"):
        dataclasses.replace(strict, kl_coef=-1e-3)
    # the edge filter screens the strict arm's own prompts by verification (the random control too), and its
    # screening plus GRPO steps cost no more than the strict arm's steps
    for name in ("strict-edge-filter", "random-edge-filter"):
        filt, rl = arms[name].rl.edge_filter, arms[name].rl
        assert filt.pool == strict.mixture and filt.success == "verified"
        cost = lambda steps: steps + math.ceil(steps / filt.refresh_every) * filt.screening_steps(  # noqa: E731
            rl.prompts_per_step, rl.rollouts)
        assert cost(rl.steps) <= strict.steps < cost(rl.steps + 1)
    # the mid start is S5's all-mid model (the same stages, so the same artifact) and its arms change only the start
    # and the reward from the strict arm
    s5_all_mid = get_recipe("S5", "laptop").arm("beta-0")
    assert arms["mid"].stages == s5_all_mid.stages and arms["mid"].param("start") == "mid"
    for reward in ("strict", "random", "outcome"):
        arm = arms[f"{reward}-from-mid"]
        assert (arm.pretrain, arm.mid) == (s5_all_mid.pretrain, s5_all_mid.mid)
        assert arm.rl == dataclasses.replace(strict, reward=Reward(reward)) and arm.param("reward") == reward
        assert (arm.param("knob"), arm.param("start")) == ("from-mid", "mid")
    assert {arms[a].param("start") for a in arms if not a.endswith("mid")} == {"base"}
    r16 = arms["strict-rollouts-16"].rl
    assert r16.prompts_per_step * r16.rollouts == strict.prompts_per_step * strict.rollouts  # ~192 rollouts a step
    assert [a.name for a in get_recipe("RL-recipe", "smoke", knobs=("steps-150",), random_control=False).arms] == \
        ["base", "strict", "strict-steps-150", "mid", "strict-from-mid", "outcome-from-mid"]
    assert [a.name for a in get_recipe("RL-recipe", "smoke", knobs=("lr-2e-05",), mid_start=False).arms] == \
        ["base", "strict", "strict-lr-2e-05", "random-lr-2e-05"]
    with pytest.raises(ValueError, match="mid_start"):
        get_recipe("RL-recipe", "smoke", mid_start="no")
    with pytest.raises(ValueError, match="one of rollouts-16, lr-2e-05, steps-150, bf16, edge-filter, steps-150-lr-2"):
        get_recipe("RL-recipe", "smoke", knobs=("lr-tiny",))
    with pytest.raises(ValueError, match="random_control must be True or False"):
        get_recipe("RL-recipe", "smoke", random_control=1)


def test_rl_recheck_reads_rl_recipes_models_on_four_times_the_edge():
    r, cal = get_recipe("RL-recheck", "laptop"), get_recipe("RL-recipe", "laptop")
    assert [a.name for a in r.arms] == ["base", "strict", "strict-lr-2e-05", "random-lr-2e-05"]
    assert all(a.stages == cal.arm(a.name).stages for a in r.arms)  # the trained models are RL-recipe's (cached)
    assert [b.label for b in r.evaluation.bands] == ["edge"] and r.evaluation.bands[0] == cal.evaluation.bands[1]
    assert r.evaluation.problems_per_op == 4 * cal.evaluation.problems_per_op
    assert r.evaluation.samples == cal.evaluation.samples and r.evaluation.templates == cal.evaluation.templates
    ours, theirs = (e.problem_sets(r.scale, ops=[10]) for e in (r.evaluation, cal.evaluation))
    n = cal.evaluation.problems_per_op
    assert [p.to_dict() for p in ours["all", 10][:n]] == [p.to_dict() for p in theirs["all", 10]]  # a superset
    assert [a.name for a in get_recipe("RL-recheck", "smoke", knob="kl-1e-02").arms][2:] == \
        ["strict-kl-1e-02", "random-kl-1e-02"]
    with pytest.raises(ValueError, match="knob must be one of rollouts-16, lr-2e-05"):
        get_recipe("RL-recheck", "smoke", knob="bf16")  # no random control: nothing to beat
    with pytest.raises(ValueError, match="problems .*integer >= 2"):
        get_recipe("RL-recheck", "smoke", problems=1)


def test_s3_calibrated_is_s3s_bands_with_the_calibrated_recipe():
    r, s3, cal = (get_recipe(i, "laptop") for i in ("S3-calibrated", "S3", "RL-recipe"))
    paper = [a for a in s3.arms if a.param("role") in ("in-dist", "mixed", "edge", "hard")]
    assert [a.name for a in r.arms] == [a.name.replace("rl-", "calibrated-") for a in paper]
    assert [a.params for a in r.arms] == [a.params for a in paper] and r.evaluation == s3.evaluation
    for ours, theirs in zip(r.arms, paper):
        assert ours.pretrain == theirs.pretrain and ours.rl.mixture == theirs.rl.mixture
        assert (ours.rl.reward.name, ours.rl.lr, ours.rl.steps) == ("strict", 2e-5, 60)
    # the edge arm is RL-recipe's winning arm, one stage: its weights and its RL-recheck evaluation are this arm's
    edge = next(a for a in r.arms if a.param("role") == "edge")
    assert edge.stages == cal.arm("strict-lr-2e-05").stages
    assert stage_dirs(r, edge)["rl"][0] == stage_dirs(cal, cal.arm("strict-lr-2e-05"))["rl"][0]
    with pytest.raises(ValueError, match="scale 'gpu' has no calibrated RL recipe"):
        get_recipe("S3-calibrated", "gpu")
    # its arms but the edge one on RL-recheck's wide edge: the same problems, so they pair with RL-recheck's base
    wide, recheck = get_recipe("S3-calibrated-wide", "laptop"), get_recipe("RL-recheck", "laptop")
    assert [a for a in r.arms if a.param("role") != "edge"] == list(wide.arms)
    assert wide.evaluation == recheck.evaluation
    assert evaluation_key(wide) == evaluation_key(recheck)


def test_a6_pretrain_mixtures():
    assert get_recipe("A.6.1", "paper").arms[0].pretrain.mixture.name == "A2-20:0.999+B2-20:0.001"
    assert get_recipe("A.6.2", "paper").arms[0].pretrain.mixture.name == "A2-20:0.99+B2:0.01"
    assert [a.param("rl_b_share") for a in get_recipe("A.6.1", "paper").arms] == [None, 0, 0.02, 0.1, 0.5, 1]
    assert [a.param("rl_b_share") for a in get_recipe("A.6.2", "paper").arms] == [None, 0, 0.01, 0.1, 0.5, 1]
    full_b = get_recipe("A.6.2", "paper").arms[-1]
    assert full_b.rl.mixture.name == "B2-20"  # a 0% share drops the component


def test_a7_gives_each_base_a_calibrated_arm_where_the_scale_has_the_recipe():
    laptop, gpu = get_recipe("A.7", "laptop"), get_recipe("A.7", "gpu")
    cal = [a for a in laptop.arms if a.param("stage") == "calibrated"]
    assert [a.name for a in cal] == ["calibrated-hard-0.1pct", "calibrated-hard-1pct", "calibrated-hard-5pct",
                                     "calibrated-hard-20pct", "calibrated-hard-50pct"]
    strict = get_recipe("RL-recipe", "laptop").arm("strict-lr-2e-05").rl
    for a in cal:
        paper = laptop.arm(a.name.replace("calibrated-", ""))
        assert a.pretrain == paper.pretrain and a.param("hard_share") == paper.param("hard_share")
        assert a.rl == strict  # the calibrated recipe on the edge band, from this share's base
    assert not [a for a in gpu.arms if a.param("stage") == "calibrated"]
    assert [a.name for a in get_recipe("A.7", "laptop", calibrated=False).arms] == \
        [a.name for a in laptop.arms if a.param("stage") != "calibrated"]
    with pytest.raises(ValueError, match="calibrated must be True or False"):
        get_recipe("A.7", "laptop", calibrated="yes")
    with pytest.raises(ValueError, match="scale 'gpu' has no calibrated RL recipe"):
        get_recipe("A.7", "gpu", calibrated=True)


def test_a7_and_a10_mappings_at_paper_scale():
    """A.7 follows the official grid (paper.md section 9): the hardest in-dist third at 0.1-50%, the rest split
    evenly, except the 50% point, the 0.2/0.3/0.5 base that S5 and A.10 share (trained once)."""
    assert top_of_in_dist(PAPER) == (7, 10)
    assert in_dist_thirds(PAPER) == ((2, 4), (5, 7), (8, 10))

    def thirds(arm):
        w = {}
        for c, wt in zip(arm.pretrain.mixture.components, arm.pretrain.mixture.weights):
            w[(c.op_lo, c.op_hi)] = w.get((c.op_lo, c.op_hi), 0) + wt
        return w

    a7 = get_recipe("A.7", "paper")
    bases = {a.param("hard_share"): a for a in a7.arms if a.rl is None}
    assert list(bases) == [0.001, 0.01, 0.05, 0.2, 0.5]
    assert thirds(bases[0.2]) == pytest.approx({(2, 4): 0.4, (5, 7): 0.4, (8, 10): 0.2})
    assert thirds(bases[0.001]) == pytest.approx({(2, 4): 0.4995, (5, 7): 0.4995, (8, 10): 0.001})
    for a in a7.arms:  # each RL arm starts from its own base; RL on the edge
        if a.rl:
            assert a.pretrain == bases[a.param("hard_share")].pretrain and bands_of(a.rl.mixture) == [(11, 14)]
    r = get_recipe("A.10", "paper")
    assert len(r.arms) == 16 and r.arms[0].name == "base"
    assert sorted({a.param("budget_tokens") for a in r.arms[1:]}) == [2_097_152_000, 4_194_304_000, 8_388_608_000]
    assert thirds(r.arms[0]) == pytest.approx({(2, 4): 0.2, (5, 7): 0.3, (8, 10): 0.5})
    assert bases[0.5].pretrain == r.arms[0].pretrain == get_recipe("S5", "paper").arms[0].pretrain


@pytest.mark.parametrize("scale", ["smoke", "laptop", "gpu", "paper"])
def test_s5_is_a10_at_its_first_budget(scale):
    """The official code's budget runs all do RL on op 11-14 from one mid-training run per budget, so S5's arms are
    A.10's 1x arms: same stages (same artifact keys) and the same evaluation, which lets the chapter read S5's
    records for A.10 at 1x instead of training the same models again."""
    s5, a10 = get_recipe("S5", scale), get_recipe("A.10", scale)
    assert evaluation_key(s5) == evaluation_key(a10)
    for arm in s5.arms:
        twin = a10.arm(arm.name if arm.name == "base" else f"T1x-{arm.name}")
        assert {k: p.name for k, (p, _) in stage_dirs(s5, arm).items()} == \
            {k: p.name for k, (p, _) in stage_dirs(a10, twin).items()}
    for arm in a10.arms[1:]:  # every budget's RL is on the edge band, as S5's
        if arm.rl:
            assert arm.rl.mixture == s5.arms[-1].rl.mixture


def test_thirds_bases_keep_the_scales_edge_tail():
    """At the laptop scale every thirds base carries the 1% edge tail (the laptop base verified no edge problem
    without it); its weights are refused unless three shares summing to 1."""
    laptop = get_recipe("A.7", "laptop")
    for base in (a for a in laptop.arms if a.rl is None):
        tail = sum(wt for c, wt in zip(base.pretrain.mixture.components, base.pretrain.mixture.weights)
                   if c.op_lo == laptop.scale.edge[0])
        assert tail == pytest.approx(laptop.scale.pretrain_tail)
    with pytest.raises(ValueError, match="three non-negative shares summing to 1"):
        thirds_pretrain(laptop.scale, (0.5, 0.5, 0.5))


def test_mid_rl_base_follows_the_ladder_check():
    """The laptop's thirds base failed the ladder's check (lab notes, session 11), so S5 and A.10 start from the
    ladder's base there (S6's, whose evaluation is cached); base="thirds" asks for the official one, which A.7's 50%
    point shares; any other base is refused with what is allowed."""
    ladder_base = get_recipe("S6", "laptop").arms[0].pretrain
    assert get_recipe("S5", "laptop").arms[0].pretrain == get_recipe("A.10", "laptop").arms[0].pretrain == ladder_base
    a7_half = next(a for a in get_recipe("A.7", "laptop").arms if a.name == "base-hard-50pct")
    assert get_recipe("S5", "laptop", base="thirds").arms[0].pretrain == a7_half.pretrain
    assert get_recipe("S5", "paper").arms[0].pretrain == get_recipe("A.7", "paper").arms[-1].pretrain  # official
    with pytest.raises(ValueError, match="thirds"):
        get_recipe("S5", "laptop", base="uniform")


def test_overrides_make_new_arms():
    r = get_recipe("S4", "smoke", shares=(0.05,))
    assert [a.name for a in r.arms] == ["exposure-5pct-base", "exposure-5pct-rl"]
    assert dict(r.params)["shares"] == (0.05,)
    assert "betas" in recipe_params("S5")


def test_stage_mixtures_generate_problems_in_range():
    a = get_recipe("S3", "smoke").arms[1]
    lo, hi = a.param("rl_band")
    ps = make_dataset(a.rl.mixture, "rl", 6)
    assert len(ps) == 6 and all(lo <= p.op <= hi for p in ps)


def test_reward_score_uses_the_verifier():
    from reasonlab.verify import verify

    p = generate_problem(4, "A", 1)
    good = verify(p, p.completion)
    assert Reward("strict").score(good) == 1.0 and Reward.mixed(0.2).score(good) == 1.0


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize("rid, params, match", [
    ("S4", {"shares": (0, 1.5)}, r"must be a number in \[0, 1\]"),
    ("S5", {"betas": (-0.1,)}, r"beta .* must be a number in \[0, 1\]"),
    ("S6", {"alphas": (2,)}, r"alpha.* must be a number in \[0, 1\]"),
    ("A.6.1", {"pretrain_b_share": 1.2}, r"\[0, 1\]"),
    ("S4", {"shares": ()}, "at least one"),
    ("S5", {"betas": (0.5, 0.5)}, "repeated"),
    ("S3", {"rl_bands": [(1, 4)]}, "2 <= lo <= hi"),
    ("S4", {"betas": (0.5,)}, "allowed: shares"),
    ("A.10", {"budget_multipliers": (0,)}, "positive"),
])
def test_bad_parameters_say_what_is_allowed(rid, params, match):
    with pytest.raises(ValueError, match=match):
        get_recipe(rid, "smoke", **params)


def test_reward_validation():
    with pytest.raises(ValueError, match="allowed: outcome, process, mix, strict"):
        Reward("hack")
    with pytest.raises(ValueError, match="needs alpha"):
        Reward("mix")
    with pytest.raises(ValueError, match="takes no alpha"):
        Reward("strict", 0.5)
    assert Reward.mixed(1).name == "outcome" and Reward.mixed(0).name == "process"


def test_unknown_names_list_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed: ladder, S3, S4, Fig5"):
        get_recipe("S9", "paper")
    with pytest.raises(ValueError, match="allowed: smoke, laptop, gpu, paper"):
        get_scale("huge")
    with pytest.raises(ValueError, match="arms: rl-op7-10"):
        get_recipe("S3", "paper").arm("nope")
    assert get_recipe("a.6.1", "smoke").id == "A.6.1"  # ids are case-insensitive


def test_scale_validation():
    with pytest.raises(ValueError, match="contiguous"):
        dataclasses.replace(PAPER, edge=(12, 14))
    with pytest.raises(ValueError, match="loss_on"):
        dataclasses.replace(PAPER, loss_on="question")
    with pytest.raises(ValueError, match="fit seq_len"):
        dataclasses.replace(PAPER, rl_max_response_tokens=4096)


def test_deviations_of_small_scales():
    gpu = {d.field: d for d in deviations("gpu")}
    assert "model" in gpu and "in_dist" not in gpu and "generator.max_distractors" not in gpu
    assert gpu["model"].paper == "paper-100m" and gpu["model"].reason
    laptop = {d.field for d in deviations("laptop")}
    assert {"in_dist", "edge", "hard", "generator.max_distractors"} <= laptop


# ------------------------------------------------------------------------------------ band mapping
def test_labelled_bands_are_one_type_recorded_as_the_triples_they_were():
    """A scale's bands, an evaluation's and S3's RL ranges are LabelledBands; configs and keys record them as
    [label, lo, hi], as before the type (evaluation caches stay keyed as they were)."""
    from reasonlab.generator import LabelledBand, band_named
    from reasonlab.provenance import to_jsonable

    ev = get_recipe("ladder", "smoke").evaluation
    assert ev.bands == get_scale("smoke").bands == (("in_dist", 2, 4), ("edge", 5, 6), ("hard", 7, 8))
    assert all(isinstance(b, LabelledBand) for b in (*ev.bands, *s3_rl_bands(get_scale("smoke"))))
    assert to_jsonable(ev)["bands"] == [["in_dist", 2, 4], ["edge", 5, 6], ["hard", 7, 8]]
    plain = dataclasses.replace(ev, bands=(("edge", 5, 6),))  # plain triples are taken as LabelledBands
    assert isinstance(plain.bands[0], LabelledBand) and plain.ops == [5, 6]
    assert band_named(ev.bands, "edge").op_range == (5, 6)
    with pytest.raises(KeyError, match="in_dist, edge, hard"):
        band_named(ev.bands, "low")


@given(in_hi=st.integers(4, 14), edge_w=st.integers(2, 6), hard_w=st.integers(2, 8))
def test_s3_mapping_on_any_valid_bands(in_hi, edge_w, hard_w):
    edge = (in_hi + 1, in_hi + edge_w)
    hard = (edge[1] + 1, edge[1] + hard_w)
    s = dataclasses.replace(PAPER, name="paper-bands", in_dist=(2, in_hi), edge=edge, hard=hard)
    b = {band.label: band.op_range for band in s3_rl_bands(s)}
    assert b["edge"] == edge and b["in-dist"][1] == in_hi and b["hard"][1] == hard[1]
    assert b["in-dist"][0] > 2  # something stays below the top of in-dist (A.7)
    assert b["mixed"][0] < edge[0] <= b["mixed"][1]  # straddles in-dist and edge
    assert 2 <= b["mixed"][0] <= b["edge"][0] and hard[0] <= b["hard"][0]
    thirds = in_dist_thirds(s)
    assert thirds[0][0] == 2 and thirds[-1][1] == in_hi
    assert all(t[0] <= t[1] for t in thirds) and all(a[1] + 1 == b[0] for a, b in zip(thirds, thirds[1:]))


def test_scale_is_passed_through():
    assert get_scale(PAPER) is PAPER and isinstance(get_recipe("S3", PAPER).scale, Scale)


def test_ladder_verdict_needs_the_edge():
    from reasonlab.chapters import ladder
    from reasonlab.results import Result

    def table(vals):  # {band: (pass@1, pass@128)} as the chapter object
        rows = [dict(model="base", group="band", key=b, metric="pass@k", k=k, value=v, lo=v, hi=v)
                for b, vs in vals.items() for k, v in zip((1, 128), vs)]
        return ladder.Ladder(Result("ladder-test", {}, {"table": rows}), get_recipe("ladder", "smoke"))

    def verdict(vals):
        return ladder.claims(table(vals))[0].verdict

    null = {"in_dist": (0, 0), "edge": (0, 0), "hard": (0, 0)}
    assert verdict(null) == "not reproduced" and ladder.criteria(table(null)).holds.sum() == 2  # edge pass@1, hard
    good = {"in_dist": (0.8, 1.0), "edge": (0.05, 0.4), "hard": (0, 0), "unseen": (0.7, 0.95)}
    assert verdict(good) == "reproduced"
    assert verdict(good | {"unseen": (0.1, 0.3)}) == "partly"
    assert verdict(good | {"edge": (0.05, 0.9)}) == "not reproduced"  # the edge criterion gates the verdict
    assert len(ladder.criteria(table({k: v for k, v in good.items() if k != "unseen"}))) == 4
