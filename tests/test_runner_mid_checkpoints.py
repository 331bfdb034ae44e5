"""S5 / A.10's arms of one budget share one mid-training run (issue 27): the run trains once under its own key and
each arm with 0 < beta < 1 takes its checkpoint at (1 - beta) of it, an artifact of its own keyed by the run's key
and the step (the official code, paper.md section 9). Real next-token training at a tiny smoke scale; GRPO is
stood in for (its own tests cover it), so that the test is about the mid-training stage."""

import dataclasses
import json

import pytest
import torch

from reasonlab.experiments import get_recipe, runner
from reasonlab.experiments.scales import SMOKE
from reasonlab.model import load_checkpoint
from reasonlab.provenance import artifact_key, make_manifest
from reasonlab.train import lm, train_lm

pytestmark = pytest.mark.usefixtures("one_thread")

# Two pre-training steps; the budget is smoke's: a 13-step mid-training run (27,307 tokens of 2,048 a step).
TINY = dataclasses.replace(SMOKE, name="smoke-midckpt", pretrain_tokens=2 * SMOKE.batch_tokens)
RUN_STEPS = 13
STEP = {0.2: 10, 0.5: 6, 0.3: 9, 0.8: 2}  # (1 - beta) of the run, in whole steps


def _stand_in_grpo(calls):
    """train_grpo replaced: records its parent and writes a finished stage (a manifest of 1 s, no weights)."""

    def train_grpo(cfg, out, parent_dir, max_minutes=None, progress=True):
        calls.append(parent_dir)
        final = out / "final"
        if not (final / "manifest.json").exists():
            parent_key = json.loads((parent_dir / "manifest.json").read_text())["config_hash"]
            final.mkdir(parents=True)
            (final / "manifest.json").write_text(json.dumps(make_manifest("grpo", cfg, parents=(parent_key,),
                                                                          wall_time_s=1.0)))
        return final

    return train_grpo


def _weights(path):
    """A checkpoint's tensors (a final/ dir), or the model of a resumable state (a step_N dir)."""
    if (path / "state.pt").exists():
        return torch.load(path / "state.pt", weights_only=False)["model"]
    return load_checkpoint(path)[0].state_dict()


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _manifest(final):
    return json.loads((final / "manifest.json").read_text())


@pytest.fixture(scope="module")
def shared(tmp_path_factory, one_thread):
    """Arms of one budget run out of order (beta 0.5, then 0 = the whole run, then 0.2), then two steps the recipe
    did not ask for until the run had passed them (another beta grid): what each call trained is recorded."""
    home = tmp_path_factory.mktemp("home")
    trained, grpo_parents, printed = [], [], []
    real_train_lm = lm.train_lm

    def recording_train_lm(cfg, out_dir, *args, **kw):
        trained.append((out_dir.name, kw.get("stop_at_step")))
        return real_train_lm(cfg, out_dir, *args, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REASONLAB_HOME", str(home))
        mp.setattr(lm, "train_lm", recording_train_lm)
        mp.setattr(runner, "train_grpo", _stand_in_grpo(grpo_parents))
        mp.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
        recipe = get_recipe("S5", TINY, betas=(0.0, 0.2, 0.5))
        paths, calls = {}, {}
        for arm in ("beta-0.5", "beta-0", "beta-0.2"):
            before = len(trained)
            paths[arm] = runner.run_arm(recipe, recipe.arm(arm), progress=False)
            calls[arm] = trained[before:]
        paths["base"] = runner.run_arm(recipe, recipe.arm("base"), progress=False)
        run_dir = paths["beta-0"]["mid"].parent
        saved_before_replays = sorted(lm.saved_steps(run_dir))
        later = get_recipe("S5", TINY, betas=(0.3, 0.8))  # steps 9 and 2, behind the finished run
        before = len(trained)
        for arm in ("beta-0.3", "beta-0.8"):
            paths[arm] = runner.run_arm(later, later.arm(arm), progress=False)
        calls["replays"] = trained[before:]
        use = runner.stage_use(recipe)
    return dict(recipe=recipe, later=later, paths=paths, calls=calls, run_dir=run_dir, use=use, home=home,
                grpo_parents=grpo_parents, printed=printed, saved_before_replays=saved_before_replays)


def test_arms_of_one_budget_train_one_mid_run(shared, monkeypatch):
    monkeypatch.setenv("REASONLAB_HOME", str(shared["home"]))
    paths, calls, run_dir = shared["paths"], shared["calls"], shared["run_dir"]
    run_key = run_dir.name.split("-")[1]
    # beta 0.5 trained the run to its step and stopped; the whole-run arm went on from there, stopping at the step
    # beta 0.2 takes; beta 0.2 then found its checkpoint made: the run's 13 steps were trained once
    assert [c for c in calls["beta-0.5"] if c[0] == run_dir.name] == [(run_dir.name, STEP[0.5])]
    assert [c for c in calls["beta-0"] if c[0] == run_dir.name] == [(run_dir.name, STEP[0.2]), (run_dir.name, None)]
    assert calls["beta-0.2"] == []
    steps = [json.loads(x)["step"] for x in (run_dir / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, RUN_STEPS + 1))
    assert paths["beta-0"]["mid"] == run_dir / "final" and _manifest(run_dir / "final")["steps"] == RUN_STEPS
    # each checkpoint its own artifact: keyed by the run's key and its step, its parent the run
    for beta in (0.2, 0.5):
        final = paths[f"beta-{beta:g}"]["mid"]
        m = _manifest(final)
        assert final.parent.name == f"mid-{artifact_key(lm.checkpoint_identity(STEP[beta]), run_key)}"
        assert m["config_hash"] == final.parent.name.split("-")[1] and m["parents"] == [run_key]
        assert (m["kind"], m["run_key"], m["step"], m["run_steps"]) == ("lm-checkpoint", run_key, STEP[beta], RUN_STEPS)
        assert m["tokens"] == STEP[beta] * TINY.batch_tokens and m["run_dir"].endswith(f"/{run_dir.name}")
        assert m["config"] == {"checkpoint_step": STEP[beta]}
        assert [json.loads(x)["step"] for x in (final.parent / "log.jsonl").read_text().splitlines()] == \
            list(range(1, STEP[beta] + 1))  # the run's log up to the step: the arm's mid-training curve
    assert paths["beta-0.2"]["mid"] != paths["beta-0.5"]["mid"]
    # the RL of each arm starts from its checkpoint, and the stage keys agree with the trainers' manifests
    assert shared["grpo_parents"][:2] == [paths["beta-0.5"]["mid"], paths["beta-0.2"]["mid"]]
    recipe = shared["recipe"]
    for arm in ("beta-0", "beta-0.2", "beta-0.5"):
        for stage, (out, _) in runner.stage_dirs(recipe, recipe.arm(arm)).items():
            assert paths[arm][stage] == out / "final" and _manifest(out / "final")["config_hash"] == out.name[-12:]


def test_a_continued_run_gives_the_weights_of_an_uninterrupted_one(shared, tmp_path):
    """The trainer resumes exactly: the checkpoint taken after a stop and the run's final equal a run trained in one
    go to the same step (on one machine at one thread count, as provenance.RUNTIME_FIELDS says)."""
    paths, recipe = shared["paths"], shared["recipe"]
    cfg = runner.stage_dirs(recipe, recipe.arm("beta-0"))["mid"][1]
    base = paths["base"]["pretrain"]
    straight = train_lm(cfg, tmp_path / "to-10", parent_dir=base, stop_at_step=STEP[0.2], progress=False)
    assert _same(_weights(straight), _weights(paths["beta-0.2"]["mid"]))  # taken after the run stopped at 6
    whole = train_lm(cfg, tmp_path / "whole", parent_dir=base, progress=False)
    assert _same(_weights(whole), _weights(paths["beta-0"]["mid"]))  # the run stopped at 6 and 10 on its way
    assert _same(_weights(train_lm(cfg, tmp_path / "to-9", parent_dir=base, stop_at_step=9, progress=False)),
                 _weights(paths["beta-0.3"]["mid"]))  # replayed in a fork from the run's step 6


def test_a_step_the_run_has_passed_is_replayed_in_a_fork(shared):
    """A checkpoint asked for after the run passed its step: replayed from the run's latest saved step at or before
    it (step 6 for step 9), else from the start (step 2), in a fork; the run itself is left as it was."""
    run_dir, printed, calls = shared["run_dir"], shared["printed"], shared["calls"]["replays"]
    assert shared["saved_before_replays"] == [STEP[0.5], STEP[0.2]]  # the two steps it stopped at (kept: 2)
    assert [c[1] for c in calls if c[0] == runner.REPLAY_DIR] == [STEP[0.8], STEP[0.3]]
    assert not any(c[0] == run_dir.name for c in calls) and not (run_dir / runner.REPLAY_DIR).exists()
    assert sorted(lm.saved_steps(run_dir)) == shared["saved_before_replays"]
    assert any(f"step 2 of {run_dir.name} is behind the run (finished)" in p and "retraining from the start" in p
               for p in printed)
    assert any(f"step 9 of {run_dir.name} is behind the run" in p and "resuming from step 6" in p for p in printed)
    early, late = (_manifest(shared["paths"][a]["mid"]) for a in ("beta-0.8", "beta-0.3"))
    assert (early["step"], late["step"]) == (2, 9) and early["run_key"] == late["run_key"]
    # a replay's own work is the checkpoint's; the part it shares with the run is the run's (counted there)
    assert early["run_wall_time_s"] == 0 and early["wall_time_s"] > 0
    at_6 = torch.load(run_dir / "checkpoints" / "step_0000006" / "state.pt", weights_only=False)["wall_seconds"]
    assert late["run_wall_time_s"] == pytest.approx(at_6, abs=1e-3)


def test_wall_time_counts_the_shared_run_once(shared):
    """Provenance counts each piece of work once: the run whole where its final is in the result, else the longest
    part of it a checkpoint took; each checkpoint's export as its arm's own; the run as no single arm's."""
    paths, use = shared["paths"], shared["use"]
    manifests = {arm: {stage: _manifest(p) for stage, p in paths[arm].items()}
                 for arm in ("base", "beta-0", "beta-0.2", "beta-0.5")}

    def result(arms):
        return {"records": {a: [] for a in arms}, "training_manifests": {a: manifests[a] for a in arms},
                "arm_work": {a: {"eval_wall_time_s": 0.0} for a in arms}}

    wall = {k: manifests[a][s]["wall_time_s"] for k, a, s in (("pre", "base", "pretrain"), ("run", "beta-0", "mid"),
                                                              ("c10", "beta-0.2", "mid"), ("c6", "beta-0.5", "mid"))}
    rl = 1.0  # each stand-in RL stage
    total, complete = runner.work_wall_time(result(manifests))
    assert complete and total == pytest.approx(wall["pre"] + wall["run"] + wall["c10"] + wall["c6"] + 2 * rl, abs=0.2)
    part = manifests["beta-0.2"]["mid"]["run_wall_time_s"]  # the run up to step 10
    assert 0 < part < wall["run"]
    total, _ = runner.work_wall_time(result(["base", "beta-0.2", "beta-0.5"]))  # without the whole-run arm
    assert total == pytest.approx(wall["pre"] + part + wall["c10"] + wall["c6"] + 2 * rl, abs=0.2)
    assert use[paths["beta-0"]["mid"].parent.name] == 3  # the run: the whole-run arm and two checkpoints
    assert runner.arm_provenance(manifests, "beta-0", use)[1] == 0.0  # base and run shared
    assert runner.arm_provenance(manifests, "beta-0.5", use)[1] == pytest.approx(round(wall["c6"] + rl, 1))
    # a result stores the manifests with sorted keys ("mid" before "pretrain"): the last stage is the mid run's
    stored = json.loads(json.dumps({"beta-0": {s: {**m, "git_commit": s} for s, m in manifests["beta-0"].items()}},
                                   sort_keys=True))
    assert list(stored["beta-0"]) == ["mid", "pretrain"]
    assert runner.arm_provenance(stored, "beta-0", use)[0] == "mid"


def test_a_checkpoint_before_the_first_step_is_refused():
    recipe = get_recipe("S5", TINY, betas=(0.0, 0.99))  # 1% of 27,307 tokens: below one 2,048-token step
    with pytest.raises(ValueError, match="before the run's first step .*allowed: tokens >= 2,048"):
        runner.stage_dirs(recipe, recipe.arm("beta-0.99"))


def test_a_fork_starts_from_the_runs_latest_step_at_or_before_and_an_interrupted_one_goes_on(tmp_path):
    """fork_run (no training: states stand in): the run's step it started from stays its origin while the fork is
    on its way, so a replay resumed after a stop still counts all of its own work; the run is never touched."""
    def state(d, wall):
        d.mkdir(parents=True)
        torch.save({"wall_seconds": wall, "train_seconds": wall}, d / "state.pt")

    run, fork = tmp_path / "run", tmp_path / "fork"
    for k, wall in ((3, 30.0), (6, 60.0)):
        state(run / "checkpoints" / f"step_{k:07d}", wall)
    assert lm.fork_run(run, 5, fork) == (3, 30.0) and sorted(lm.saved_steps(fork)) == [3]
    state(fork / "checkpoints" / "step_0000004", 45.0)  # the replay went on to step 4, then was stopped
    assert lm.fork_run(run, 5, fork) == (3, 30.0) and sorted(lm.saved_steps(fork)) == [3, 4]
    assert lm.fork_run(run, 8, fork) == (6, 60.0) and sorted(lm.saved_steps(fork)) == [6]  # another step
    assert lm.fork_run(run, 2, fork) == (0, 0.0) and lm.saved_steps(fork) == {}  # none at or before: the start
    assert sorted(lm.saved_steps(run)) == [3, 6]
