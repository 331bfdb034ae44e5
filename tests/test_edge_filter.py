"""Edge-of-competence GRPO (reasonlab.train.edge_filter): validation, equal-compute arithmetic, screening, a run."""

import json

import pytest

from reasonlab.generator import Mixture, make_dataset
from reasonlab.train.edge_filter import EdgeFilter, screen, steps_at_equal_compute, train_grpo_edge_filtered
from reasonlab.train.grpo import GRPORunConfig
from reasonlab.verify import Reward

pytestmark = pytest.mark.usefixtures("one_thread")

POOL = Mixture.band(2, 5, "animals-zoo")


@pytest.mark.parametrize("kw, message", [
    ({"pool": "2-5"}, "pool must be a reasonlab.generator.Mixture"),
    ({"pool_size": 0}, "pool_size must be a positive integer"),
    ({"refresh_every": 1.5}, "refresh_every must be a positive integer"),
    ({"k": 1}, "k must be an integer >= 2"),
    ({"success": "outcome"}, "success must be one of reward, verified"),
])
def test_validation(kw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        EdgeFilter(**{"pool": POOL, **kw})


def test_screening_cost_and_equal_compute_steps():
    # one screening of 160 prompts x 4 samples, generation only (2P per token), against GRPO steps of
    # 32 prompts x 6 rollouts at (8 + 2) P per token: 2*160*4 / (10*32*6) = 2/3 of a step
    f = EdgeFilter(POOL, pool_size=160, k=4, refresh_every=5)
    assert f.screening_steps(32, 6) == pytest.approx(2 / 3)
    assert f.screening_steps(32, 6, with_reference=False) == pytest.approx(2 * 160 * 4 / (8 * 32 * 6))
    s = steps_at_equal_compute(30, f, 32, 6)
    assert s == 26  # 26 steps + 6 screenings x 2/3 = 30.0 <= 30; 27 + 6 x 2/3 = 31 > 30
    assert s + -(-s // 5) * f.screening_steps(32, 6) <= 30 + 1e-9
    assert steps_at_equal_compute(1, f, 32, 6) == 1  # never below one step


def test_screen_counts_verified_successes(tiny_parent):
    from reasonlab.model import load_checkpoint

    model, tok = load_checkpoint(tiny_parent)
    probs = make_dataset(POOL, "rl", 3, 0)
    wins = screen(model, tok, probs, k=3, temperature=1.0, max_new_tokens=16, seed=0)
    assert len(wins) == 3 and all(0 <= w <= 3 for w in wins)  # an untrained model: nothing verifies
    assert wins == [0, 0, 0]
    always = screen(model, tok, probs, k=3, temperature=1.0, max_new_tokens=16, seed=0, success=lambda r: True)
    assert always == [3, 3, 3]


def test_success_rule_follows_the_reward():
    from reasonlab.train.edge_filter import success_rule
    from reasonlab.verify import verify

    p = make_dataset(POOL, "rl", 1, 0)[0]
    gold = verify(p, p.completion)
    wrong_answer = verify(p, p.completion.replace(f"<answer>{p.answer}<", f"<answer>{int(p.answer) + 1}<"))
    outcome = GRPORunConfig(mixture=POOL, reward=Reward("outcome"))
    mix = GRPORunConfig(mixture=POOL, reward=Reward("mix", 0.2))
    assert success_rule(EdgeFilter(POOL), outcome)(gold) and not success_rule(EdgeFilter(POOL), outcome)(wrong_answer)
    assert success_rule(EdgeFilter(POOL), mix)(gold) and not success_rule(EdgeFilter(POOL), mix)(wrong_answer)
    assert not success_rule(EdgeFilter(POOL, success="verified"), outcome)(wrong_answer)


def test_run_segments_log_resume(tiny_parent, tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    cfg = GRPORunConfig(mixture=POOL, reward=Reward("outcome"), steps=3, prompts_per_step=2, rollouts=2,
                        minibatch_prompts=2, max_prompt_tokens=256, max_response_tokens=16, lr=1e-5)
    filt = EdgeFilter(POOL, pool_size=4, k=2, refresh_every=2)
    out = tmp_path / "run"
    final = train_grpo_edge_filtered(cfg, filt, out, tiny_parent, progress=False)
    assert final == out / "final"
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    screens = [r["screening"] for r in rows if "screening" in r]
    steps = [r for r in rows if "screening" not in r]
    assert [s["segment"] for s in screens] == [0, 1] and all(s["candidates"] == 4 for s in screens)
    assert [r["step"] for r in steps] == [1, 2, 3] and [r["segment"] for r in steps] == [0, 0, 1]
    assert all(b["tokens"] > a["tokens"] for a, b in zip(steps, steps[1:]))  # cumulative across segments
    # the untrained model solves nothing: no prompt is at its edge, the segment falls back to the candidates
    assert all(s["kept"] == 0 and s["solved_none"] == 4 for s in screens)
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["kind"] == "grpo-edge-filter" and manifest["segments"] == 2 and manifest["screen_samples"] == 2 * 4 * 2
    # each segment's KL reference is the base model, not the previous segment
    seg1 = json.loads((out / "seg-01" / "grpo" / "final" / "manifest.json").read_text())
    assert seg1["reference_dir"] == str(tiny_parent) and seg1["parent_dir"].endswith("seg-00/grpo/final")
    assert train_grpo_edge_filtered(cfg, filt, out, tiny_parent, progress=False) == final  # finished: at once


def test_s3_has_an_equal_compute_edge_filter_arm():
    from reasonlab.experiments.recipes import get_recipe

    r = get_recipe("S3", "laptop")
    arm = r.arm("rl-edge-filter")
    fixed = next(a for a in r.arms if a.param("role") == "edge").rl
    f = arm.rl.edge_filter
    assert f is not None and f.pool_size == f.refresh_every * fixed.prompts_per_step
    used = arm.rl.steps + -(-arm.rl.steps // f.refresh_every) * f.screening_steps(fixed.prompts_per_step,
                                                                                  fixed.rollouts)
    assert arm.rl.steps < fixed.steps and used <= fixed.steps + 1e-9
    assert [a.name for a in get_recipe("S3", "laptop", edge_filter=False, follow_ups=False).arms] == [
        "rl-op6-9", "rl-op8-11", "rl-op10-13", "rl-op14-16"]
    with pytest.raises(ValueError, match="edge_filter must be True or False"):
        get_recipe("S3", "laptop", edge_filter="yes")


def test_evaluation_is_cached_beside_the_checkpoint(tiny_parent, tmp_path, monkeypatch):
    import shutil

    from reasonlab.experiments import runner
    from reasonlab.experiments.recipes import get_recipe

    final = tmp_path / "stage" / "final"
    shutil.copytree(tiny_parent, final)
    recipe = get_recipe("ladder", "smoke")
    calls = []
    real = runner.evaluate_checkpoint
    monkeypatch.setattr(runner, "evaluate_checkpoint", lambda *a, **k: calls.append(1) or real(*a, **k))
    recs1, t1 = runner.cached_evaluation(recipe, final, "m", progress=False)
    recs2, t2 = runner.cached_evaluation(recipe, final, "m", progress=False)
    assert len(calls) == 1 and recs1 == recs2 and t1.equals(t2)
    assert len(list((tmp_path / "stage").glob("eval-*.json"))) == 1
    runner.cached_evaluation(recipe, final, "m", seed=1, progress=False)  # another evaluation: evaluated again
    assert len(calls) == 2
