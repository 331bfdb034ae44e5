"""GRPO trainer (reasonlab.train.grpo): config validation, TRL mapping, reward wiring, rollouts, a smoke run."""

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from reasonlab.generator import Mixture, make_dataset
from reasonlab.provenance import artifact_key, to_jsonable
from reasonlab.train.grpo import GRPORunConfig, _reasonlab_rollout, _RewardRecorder, grpo_args, prompt_dataset
from reasonlab.verify import Reward

pytestmark = pytest.mark.usefixtures("one_thread")

MIX = Mixture.band(2, 4, "animals-zoo")
LOG_FIELDS = {"step", "generate_s", "rollout_s", "truncated_frac", "reward_mean", "reward_std", "reward_group_std",
              "frac_zero_std", "reward_by_template", "reward_by_op", "outcome_mean", "verified_mean", "hacked_share",
              "frac_groups_verified", "kl", "rollout_tokens",
              "tokens", "t_rl", "t_rl_actual", "step_s", "elapsed_s", "loss", "lr"}


def cfg(**kw):
    base = dict(mixture=MIX, steps=2, prompts_per_step=4, rollouts=4, minibatch_prompts=2, max_prompt_tokens=256,
                max_response_tokens=24, lr=1e-5)
    return GRPORunConfig(**{**base, **kw})


@pytest.mark.parametrize("kw, message", [
    ({"reward": "strict"}, "reward must be a reasonlab.verify.Reward, e.g. Reward(\"strict\")"),
    ({"rollouts": 1}, "rollouts must be an integer >= 2"),
    ({"steps": 0}, "steps must be a positive integer"),
    ({"minibatch_prompts": 3}, "must divide prompts_per_step"),
    ({"micro_batch_rows": 3}, "micro_batch_rows must be 0 or divide"),
    ({"lr": 0.0}, "lr must be in (0, 0.1]"),
    ({"kl_coef": -1e-3}, "kl_coef must be >= 0"),
    ({"clip_eps": 1.0}, "clip_eps must be in (0, 1)"),
    ({"temperature": 0.0}, "temperature must be a finite number in [0.01, 100]"),
    ({"top_p": 0.0}, "top_p must be in (0, 1]"),
    ({"generation": "vllm"}, "generation must be one of reasonlab, trl"),
    ({"dtype": "fp16"}, "dtype must be one of fp32, bf16"),
    ({"split": "train"}, "split must be one of"),
    ({"mixture": "2-4"}, "mixture must be a reasonlab.generator.Mixture"),
])
def test_config_validation(kw, message):
    with pytest.raises(ValueError) as e:
        cfg(**kw)
    assert message in str(e.value)


def test_paper_defaults_and_trl_mapping(tmp_path):
    paper = GRPORunConfig(mixture=MIX)  # defaults are the paper's (paper.md section 4)
    assert (paper.rollouts, paper.prompts_per_step, paper.minibatch_prompts, paper.lr, paper.kl_coef,
            paper.clip_eps, paper.temperature, paper.top_p) == (6, 1024, 256, 1e-6, 1e-3, 0.2, 1.0, 1.0)
    assert paper.updates_per_step == 4 and paper.seq_len == 2048
    c = cfg(micro_batch_rows=4)
    a = grpo_args(c, tmp_path, progress=False, use_cpu=True)
    assert a.num_generations == 4 and a.beta == 1e-3 and a.epsilon == 0.2 and a.loss_type == "dapo"
    assert a.scale_rewards == "group" and a.entropy_coef == 0.0 and a.temperature == 1.0 and a.top_k == 0
    assert a.max_completion_length == 24 and a.learning_rate == 1e-5 and not a.mask_truncated_completions
    # one generation = 4 prompts x 4 rollouts; mini-batch 2 prompts = 8 rows = 2 micro-batches of 4
    assert a.generation_batch_size == 16 and a.per_device_train_batch_size == 4
    assert a.gradient_accumulation_steps == 2 and a.steps_per_generation == 4
    assert a.max_steps == c.steps * c.updates_per_step == 4 and a.num_iterations == 1


def test_the_glossary_knob_table_names_real_fields(tmp_path):
    """book/glossary.md maps each knob from its scale field through our trainer and evaluation fields to TRL's
    argument: every name in the table exists where it says, and each TRL row is the value grpo_args passes on."""
    import dataclasses
    import re

    from reasonlab.evaluate import EvalSpec
    from reasonlab.experiments.recipes import RL, Evaluation, NextToken
    from reasonlab.experiments.scales import Scale
    from reasonlab.train.lm import LMTrainConfig

    text = (Path(__file__).resolve().parent.parent / "book" / "glossary.md").read_text()
    rows = [line.split("|")[1:-1] for line in text.split("## Knob names", 1)[1].splitlines()
            if line.startswith("| ") and not line.startswith("| knob")]
    assert len(rows) >= 15
    classes = {c.__name__: c for c in (GRPORunConfig, LMTrainConfig, RL, NextToken, Evaluation, EvalSpec)}
    scale_fields = {f.name for f in dataclasses.fields(Scale)}
    for knob, scale_col, config_col, _ in rows:
        assert set(re.findall(r"`(\w+)`", scale_col)) <= scale_fields, knob
        for cls, name in re.findall(r"`(\w+)\.(\w+)`", config_col):
            assert name in {f.name for f in dataclasses.fields(classes[cls])}, (knob, cls, name)
    c = cfg(kl_coef=0.02, clip_eps=0.3)
    a = grpo_args(c, tmp_path, progress=False, use_cpu=True)
    assert (a.learning_rate, a.beta, a.num_generations, a.epsilon, a.temperature, a.max_completion_length) == (
        c.lr, c.kl_coef, c.rollouts, c.clip_eps, c.temperature, c.max_response_tokens)


def test_reward_wiring_strict_gold_gets_one():
    probs = make_dataset(MIX, "rl", 3, 0)
    ds = prompt_dataset(probs)
    assert ds.column_names == ["prompt", "problem"]
    rec = _RewardRecorder(cfg(reward=Reward("strict")))
    assert rec.__name__ == "reward_strict"
    wrong = [p.completion.replace(f"<answer>{p.answer}<", "<answer>99999<") for p in probs]
    prompts, problem = list(ds["prompt"]), list(ds["problem"])
    out = rec(prompts * 2, [p.completion for p in probs] + wrong, problem=problem * 2)
    assert out == [1.0] * 3 + [0.0] * 3 and rec.last == out
    assert rec.last_templates == [p.template for p in probs] * 2  # each reward's context, for the per-context log
    mix = _RewardRecorder(cfg(reward=Reward("mix", 0.2)))
    assert mix(prompts, wrong, problem=problem) == pytest.approx([0.8] * 3)  # process right, answer wrong


def test_rollout_func_groups_and_stops(tiny_parent):
    from reasonlab.evaluate import stop_token_ids
    from reasonlab.model import load_checkpoint

    model, tok = load_checkpoint(tiny_parent)
    c = cfg()
    probs = make_dataset(MIX, "rl", 2, 0)
    prompts = [probs[0].prompt] * 4 + [probs[1].prompt] * 4  # as TRL's RepeatSampler lays them out
    trainer = SimpleNamespace(processing_class=tok, model=model, state=SimpleNamespace(global_step=0),
                              accelerator=SimpleNamespace(unwrap_model=lambda m: m))
    stops = stop_token_ids(tok)
    out = _reasonlab_rollout(c, stops)(prompts, trainer)
    assert len(out["prompt_ids"]) == len(out["completion_ids"]) == len(out["logprobs"]) == 8
    assert out["prompt_ids"][0] == tok(probs[0].prompt)["input_ids"] and out["prompt_ids"][5] == out["prompt_ids"][4]
    for ids, lps in zip(out["completion_ids"], out["logprobs"]):
        assert len(ids) == len(lps) and 1 <= len(ids) <= 24
        assert len(ids) == 24 or ids[-1] in stops
    again = _reasonlab_rollout(c, stops)(prompts, trainer)
    assert again["completion_ids"] == out["completion_ids"]  # seeded by (seed, global step)


def test_smoke_run_logs_checkpoint_and_resume(tiny_parent, tmp_path, monkeypatch):
    from reasonlab.model import load_checkpoint
    from reasonlab.train.grpo import train_grpo

    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    c = cfg(reward=Reward("process"))
    out = tmp_path / "run"
    # stop after the first GRPO step (a checkpoint), then resume to the end
    stopped = train_grpo(c, out, tiny_parent, progress=False, max_minutes=1e-9)
    assert stopped.name == f"checkpoint-{c.updates_per_step}" and not (out / "final").exists()
    first = json.loads((out / "log.jsonl").read_text())
    (out / "log.jsonl").write_text(json.dumps(first | {"elapsed_s": 5000.0}) + "\n")  # as if step 1 took that long
    final = train_grpo(c, out, tiny_parent, progress=False)
    assert final == out / "final"
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    for r in rows:
        assert LOG_FIELDS <= set(r)
        assert 0 <= r["frac_zero_std"] <= 1 and r["rollout_tokens"] > 0 and r["kl"] >= 0
        assert r["reward_by_template"] == {"animals-zoo": pytest.approx(r["reward_mean"], abs=1e-5)}  # one context
    assert rows[1]["tokens"] == rows[0]["tokens"] + rows[1]["rollout_tokens"]
    # T_RL = 5/3 N r L_total with a reference model (paper.md section 6)
    assert rows[1]["t_rl"] == pytest.approx(5 / 3 * 8 * 4 * (256 + 24))
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["kind"] == "grpo" and manifest["updates"] == 4 and manifest["with_reference"]
    assert 5000 < manifest["wall_time_s"] < 5600  # the earlier session's steps count in the run's wall time
    model, tok = load_checkpoint(final)
    assert model.config.model_type == "qwen2" and len(tok) == model.config.vocab_size
    assert train_grpo(c, out, tiny_parent, progress=False) == final  # finished: returns at once
    with pytest.raises(ValueError, match="another config"):
        train_grpo(cfg(reward=Reward("strict")), out, tiny_parent, progress=False)


def test_runner_builds_grpo_config_from_stage_and_scale():
    from reasonlab.experiments.recipes import get_recipe
    from reasonlab.experiments.runner import grpo_config
    from reasonlab.experiments.scales import SMOKE

    recipe = get_recipe("S3", "smoke")
    arm = recipe.arms[0]
    c = grpo_config(arm.rl, SMOKE, seed=1)
    assert (c.steps, c.prompts_per_step, c.rollouts) == (arm.rl.steps, arm.rl.prompts_per_step, arm.rl.rollouts)
    assert (c.lr, c.kl_coef, c.temperature, c.minibatch_prompts) == (SMOKE.rl_lr, SMOKE.rl_kl_coef, 1.0, 2)
    assert c.max_prompt_tokens + c.max_response_tokens == SMOKE.rl_seq_len and c.seed == 1
    assert c.reward == arm.rl.reward  # one Reward, passed through


def test_the_reward_is_recorded_flat_as_rl_stages_were_keyed():
    """GRPORunConfig takes a Reward; its manifest config and artifact key keep the flat reward_kind / reward_alpha
    that every RL stage trained so far was keyed with, so that no committed stage is re-keyed."""
    c = cfg(reward=Reward("mix", 0.2))
    recorded = to_jsonable(c)
    assert (recorded["reward_kind"], recorded["reward_alpha"]) == ("mix", 0.2) and "reward" not in recorded
    assert to_jsonable(cfg(reward=Reward("strict")))["reward_alpha"] is None
    assert artifact_key(c) == artifact_key(recorded)  # a manifest's config gives the stage's key (provenance.rekey)
    assert artifact_key(c) != artifact_key(cfg(reward=Reward("mix", 0.3)))


@pytest.mark.parametrize("prompts, rollouts, minibatch", [(32, 6, 8), (12, 16, 3), (20, 6, 5), (6, 6, 2)])
def test_a_stage_of_its_own_batch_keeps_the_scales_updates_per_step(prompts, rollouts, minibatch):
    """laptop: 32 prompts in 4 mini-batches of 8; a 12 x 16 stage (RL-recipe's rollouts knob) gets 4 of 3 prompts
    (48 rows an update, as 8 x 6); a batch the 4 updates do not divide falls back to a divisor below 8."""
    import dataclasses

    from reasonlab.experiments.recipes import get_recipe
    from reasonlab.experiments.runner import grpo_config
    from reasonlab.experiments.scales import LAPTOP

    rl = next(a.rl for a in get_recipe("S6", "laptop").arms if a.rl)
    c = grpo_config(dataclasses.replace(rl, prompts_per_step=prompts, rollouts=rollouts), LAPTOP)
    assert c.minibatch_prompts == minibatch and prompts % c.minibatch_prompts == 0


def test_fast_logprob_passes_match_trls_own(tiny_parent, tmp_path, monkeypatch):
    """The fast path's old-policy (sampler), reference and policy log-probs agree with TRL's own forward to 1e-3
    (REASONLAB_FAST_CHECK computes both), and a step on the same rollouts gives the plain path's loss and grad."""
    from reasonlab.train.grpo import train_grpo

    # a reward that varies within groups (a random model never verifies), so the step has a gradient
    monkeypatch.setattr(GRPORunConfig, "reward_function",
                        lambda self: lambda prompts, completions, problem, **kw: [float(len(c) % 3 == 0)
                                                                                 for c in completions])
    monkeypatch.setenv("REASONLAB_FAST_CHECK", "1")
    c = cfg(lr=1e-3)
    logs = {}
    for fast in (True, False):
        train_grpo(c, tmp_path / str(fast), tiny_parent, progress=False, fast=fast)
        logs[fast] = [json.loads(line) for line in (tmp_path / str(fast) / "log.jsonl").read_text().splitlines()]
    fast, plain = logs[True], logs[False]
    assert all(r["fast_logp_max_gap"] < 1e-3 for r in fast) and "fast_logp_max_gap" not in plain[0]
    assert fast[0]["reward_std"] > 0 and fast[0]["reward_mean"] == plain[0]["reward_mean"]  # the same rollouts
    assert fast[0]["grad_norm"] > 0
    assert fast[0]["loss"] == pytest.approx(plain[0]["loss"], abs=1e-4)
    assert fast[0]["grad_norm"] == pytest.approx(plain[0]["grad_norm"], rel=1e-3)
    assert {"time_sampling_s", "time_ref_logps_s", "time_policy_fwd_s", "time_optimizer_other_s"} <= set(fast[0])


def test_an_unreadable_newest_trainer_checkpoint_falls_back_to_the_previous_one(tmp_path):
    import json as _json

    import torch
    from safetensors.torch import save_file

    from reasonlab.train.grpo import _latest_trainer_checkpoint

    for step in (4, 8):
        d = tmp_path / f"checkpoint-{step}"
        d.mkdir()
        (d / "trainer_state.json").write_text(_json.dumps({"global_step": step}))
        save_file({"w": torch.ones(64)}, d / "model.safetensors")
        torch.save({"state": {}}, d / "optimizer.pt")
    assert _latest_trainer_checkpoint(tmp_path).name == "checkpoint-8"
    weights = tmp_path / "checkpoint-8" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])  # cut mid-write
    with pytest.warns(UserWarning, match="checkpoint-8 is unreadable"):
        assert _latest_trainer_checkpoint(tmp_path).name == "checkpoint-4"
    assert not (tmp_path / "checkpoint-8").exists()  # moved aside, not resumed from again
    assert [p.name.startswith("corrupt-checkpoint-8-") for p in tmp_path.iterdir() if "corrupt" in p.name] == [True]
    (tmp_path / "checkpoint-4" / "optimizer.pt").write_bytes(b"\0" * 10)
    with pytest.warns(UserWarning, match="checkpoint-4 is unreadable"):
        assert _latest_trainer_checkpoint(tmp_path) is None


# --- replay: a zero-variance step moves nothing; identical runs and resumes give the same weights bit for bit ----

# the committed laptop base (the ladder's and S3's): a trained model whose completions stop at different lengths
LAPTOP_BASE = Path(__file__).resolve().parents[1] / "data" / "checkpoints" / "pretrain-5da44c18155c" / "final"


def _weights(path):
    from safetensors.torch import load_file

    return load_file(Path(path) / "model.safetensors")


def _max_gap(a, b) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


@pytest.fixture
def two_threads():
    """The issue's setting: at two threads, sums whose order varies between runs show up (one hides them)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_a_step_whose_groups_all_have_zero_reward_variance_leaves_the_weights_unchanged(tmp_path, monkeypatch):
    """The committed laptop base stops at different lengths, so the reference pass over the whole rollout batch
    and the policy pass over one micro-batch are batched differently; the fast path must still give exactly 0
    gradient (advantages 0, policy == reference), as TRL's path does, at a large lr."""
    from reasonlab.train.grpo import train_grpo

    monkeypatch.setattr(GRPORunConfig, "reward_function",
                        lambda self: lambda prompts, completions, problem, **kw: [0.0] * len(completions))
    c = cfg(mixture=Mixture.band(10, 13, "animals-zoo"), max_response_tokens=300, lr=1e-3)
    final = train_grpo(c, tmp_path / "run", LAPTOP_BASE, progress=False, fast=True)
    rows = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert all(r["frac_zero_std"] == 1.0 for r in rows)
    assert len({r["completion_tokens"] for r in rows}) > 1 or rows[0]["truncated_frac"] < 1  # lengths do vary
    assert _max_gap(_weights(LAPTOP_BASE), _weights(final)) == 0.0


def test_identical_runs_and_resumed_runs_give_bitwise_equal_weights(tmp_path, monkeypatch, two_threads):
    """Two fresh runs of one config, a run stopped by max_minutes and resumed, and a run 'killed' mid-step (a log
    line past its newest checkpoint and a half-written later checkpoint) and resumed: the same weights, bit for bit."""
    from reasonlab.train.grpo import train_grpo

    monkeypatch.setattr(GRPORunConfig, "reward_function",
                        lambda self: lambda prompts, completions, problem, **kw: [float(len(c) % 3 == 0)
                                                                                 for c in completions])
    c = cfg(mixture=Mixture.band(10, 13, "animals-zoo"), steps=3, max_response_tokens=120, lr=1e-3)
    straight = _weights(train_grpo(c, tmp_path / "a", LAPTOP_BASE, progress=False))
    assert _max_gap(straight, _weights(LAPTOP_BASE)) > 0  # it learned something
    assert _max_gap(straight, _weights(train_grpo(c, tmp_path / "b", LAPTOP_BASE, progress=False))) == 0.0

    stopped = train_grpo(c, tmp_path / "c", LAPTOP_BASE, progress=False, max_minutes=1e-9)
    assert stopped.name == f"checkpoint-{c.updates_per_step}"
    assert _max_gap(straight, _weights(train_grpo(c, tmp_path / "c", LAPTOP_BASE, progress=False))) == 0.0

    out = tmp_path / "d"
    checkpoint = train_grpo(c, out, LAPTOP_BASE, progress=False, max_minutes=1e-9)
    log = (out / "log.jsonl").read_text()
    (out / "log.jsonl").write_text(log + log.replace('"step": 1', '"step": 2'))  # logged, then killed
    cut = out / "trainer" / f"checkpoint-{2 * c.updates_per_step}"  # killed while writing the next checkpoint
    shutil.copytree(checkpoint, cut)
    (cut / "model.safetensors").write_bytes((cut / "model.safetensors").read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable"):
        final = train_grpo(c, out, LAPTOP_BASE, progress=False)
    assert _max_gap(straight, _weights(final)) == 0.0
    assert [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines()] == [1, 2, 3]


def test_the_random_reward_replays_on_a_resume(tmp_path, two_threads):
    """The control's draw is seeded by TRL's global step (passed through to the reward), not by a call counter
    that a resumed process would restart; and the step log carries the RL controls."""
    from reasonlab.train.grpo import train_grpo

    c = cfg(mixture=Mixture.band(5, 6, "animals-zoo"), reward=Reward("random"), steps=2,
            max_response_tokens=120, lr=1e-3)
    straight = _weights(train_grpo(c, tmp_path / "a", LAPTOP_BASE, progress=False))
    train_grpo(c, tmp_path / "b", LAPTOP_BASE, progress=False, max_minutes=1e-9)
    assert _max_gap(straight, _weights(train_grpo(c, tmp_path / "b", LAPTOP_BASE, progress=False))) == 0.0
    rows = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    for r in rows:
        assert r["reward_mean"] == pytest.approx(r["outcome_mean"])  # a permutation of the outcome rewards
        assert 0 <= r["verified_mean"] <= r["outcome_mean"] and 0 <= r["frac_groups_verified"] <= 1
        assert set(r["reward_by_op"]) <= {"5", "6"}
