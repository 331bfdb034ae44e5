"""Finished artifacts are checked before reuse: weights hashed in the manifest, corrupt stages redone, corrupt
or stale evaluation caches recomputed, one process per stage."""

import json
import multiprocessing as mp
import re
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from reasonlab.experiments import get_recipe, runner
from reasonlab.model import make_model, save_checkpoint
from reasonlab.provenance import CorruptArtifact, check_artifact, make_manifest, write_manifest
from reasonlab.tokenizer import load_tokenizer


def _finished_stage(out):
    tok = load_tokenizer()
    final = out / "final"
    save_checkpoint(make_model("smoke", tok, seed=0), tok, final)
    write_manifest(final, make_manifest("lm", {"x": 1}))
    return final


def test_manifest_records_weights_and_check_catches_corruption(tmp_path):
    final = _finished_stage(tmp_path / "stage")
    manifest = check_artifact(final)
    assert set(manifest["weights_sha256"]) == {"model.safetensors"}
    weights = final / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(CorruptArtifact, match="model.safetensors"):
        check_artifact(final)
    weights.write_bytes(bytes(len(data)))  # zeroed, same size
    with pytest.raises(CorruptArtifact, match="model.safetensors"):
        check_artifact(final)
    (final / "manifest.json").write_text("{garbage")
    with pytest.raises(CorruptArtifact, match="manifest.json: unreadable"):
        check_artifact(final)


def test_a_corrupt_finished_stage_is_moved_aside_to_be_redone(tmp_path):
    out = tmp_path / "pretrain-abc"
    final = _finished_stage(out)
    runner._check_finished(out)  # intact: left alone
    assert (final / "manifest.json").exists()
    (final / "model.safetensors").write_bytes(b"\0" * 100)
    with pytest.warns(UserWarning, match="training the stage again"):
        runner._check_finished(out)
    assert not final.exists() and len(list(out.glob("final.corrupt-*"))) == 1


def _records(recipe, seed=0, verified=1):
    """Records as run_eval writes them for the recipe's evaluation: one per problem, in order."""
    from reasonlab.evaluate import UNSEEN

    ev = recipe.evaluation
    n = ev.eval_spec(recipe.scale, seed).samples
    return [{"op": p.op, "template": p.template, "text_hash": p.text_hash, "n": n, "nll": 1.0, "verified": verified,
             "outcome": verified, "process_acc": 0.5, "steps": 3, "consistent_steps": 3, "held_out_shape": False}
            | ({"set": UNSEEN} if isinstance(label, tuple) and label[0] == UNSEEN else {})
            for label, probs in ev.problem_sets(recipe.scale, seed).items() for p in probs]


@pytest.fixture
def cached_stage(tmp_path, monkeypatch):
    """(recipe, final dir, evaluation calls, cache path) of a smoke ladder stage evaluated once by a stand-in."""
    from reasonlab.experiments.recipes import get_recipe

    recipe = get_recipe("ladder", "smoke")
    final = _finished_stage(tmp_path / "stage")
    calls = []
    monkeypatch.setattr(runner, "evaluate_checkpoint",
                        lambda *a, **k: calls.append(1) or _records(recipe, verified=len(calls) % 4))
    runner.cached_evaluation(recipe, final, "base")
    (cache,) = final.parent.glob("eval-*.json")
    return recipe, final, calls, cache


def test_evaluation_cache_belongs_to_its_weights(cached_stage):
    recipe, final, calls, cache = cached_stage
    records, table = runner.cached_evaluation(recipe, final, "base")
    assert len(calls) == 1 and records == _records(recipe, verified=1) and len(table)  # cached
    cache.write_text('{"records": [{"r"')  # truncated
    with pytest.warns(UserWarning, match="unreadable evaluation cache"):
        assert runner.cached_evaluation(recipe, final, "base")[0][0]["verified"] == 2
    cached = json.loads(cache.read_text())
    cached["weights_sha256"] = {"model.safetensors": "0" * 64}
    cache.write_text(json.dumps(cached))  # a cache made for other weights (the stage was retrained since)
    with pytest.warns(UserWarning, match="other weights"):
        assert runner.cached_evaluation(recipe, final, "base")[0][0]["verified"] == 3


def _edit(records, i, **fields):
    return [dict(r, **fields) if j == i else r for j, r in enumerate(records)]


@pytest.mark.parametrize("corrupt, why", [
    (lambda rs: [], "0 records for the evaluation's 14 problems"),
    (lambda rs: rs[:-1], "13 records for the evaluation's 14 problems"),
    (lambda rs: rs[1:] + rs[:1], "record 0 is not problem"),  # another order: not run_eval's
    (lambda rs: _edit(rs, 3, text_hash="f" * 20), "record 3 is not problem"),
    (lambda rs: _edit(rs, 3, op=99), "record 3 is not problem"),
    (lambda rs: _edit(rs, 2, n=64), "record 2 has n=64, the evaluation draws 4 samples"),
    (lambda rs: _edit(rs, 1, verified=5, outcome=5), "record 1 has verified=5"),
    (lambda rs: _edit(rs, 1, verified=2, outcome=1), "record 1 has verified=2, outcome=1; counts need 0 <= verified"),
    (lambda rs: _edit(rs, 1, verified=1.0), "record 1 has verified=1.0"),
    (lambda rs: _edit(rs, 0, verified=4, outcome=4), "its records do not hash to the records_sha256"),  # inflated
    (lambda rs: {"base": rs}, "its records are not a list of objects"),
])
def test_an_evaluation_cache_that_does_not_match_its_spec_is_recomputed(cached_stage, corrupt, why):
    """A readable cache of the right weights is still checked against the evaluation it stands for: `records: []`
    had given a result without rows, and inflated counts went straight into a result."""
    recipe, final, calls, cache = cached_stage
    cached = json.loads(cache.read_text())
    cache.write_text(json.dumps({**cached, "records": corrupt(cached["records"])}))
    with pytest.warns(UserWarning, match=re.escape(f"{cache}: not this evaluation's records ({why}")):
        records, table = runner.cached_evaluation(recipe, final, "base")
    assert len(calls) == 2 and records == _records(recipe, verified=2) and len(table)
    assert json.loads(cache.read_text())["records"] == records  # the cache is written again


def test_an_evaluation_cache_from_before_digests_is_checked_by_its_spec(cached_stage):
    recipe, final, calls, cache = cached_stage
    cached = json.loads(cache.read_text())
    del cached["records_sha256"]
    cache.write_text(json.dumps(cached))
    runner.cached_evaluation(recipe, final, "base")
    assert len(calls) == 1  # a legacy cache that matches its spec is used
    cache.write_text(json.dumps({**cached, "records": []}))
    with pytest.warns(UserWarning, match="0 records"):
        runner.cached_evaluation(recipe, final, "base")
    assert len(calls) == 2


def _legacy(final):
    """A manifest as written before weights were hashed."""
    manifest = json.loads((final / "manifest.json").read_text())
    del manifest["weights_sha256"]
    (final / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage, why", [
    (lambda w: w.write_bytes(w.read_bytes()[: w.stat().st_size // 2]), "its tensors need"),  # truncated
    (lambda w: w.write_bytes(bytes(w.stat().st_size)), "header length (0 bytes)"),  # zeroed
    (lambda w: w.write_bytes(b"\x10" + bytes(7) + b"not json at all!" + bytes(100)), "header is not JSON"),
    (lambda w: w.write_bytes(b""), "does not fit the file (0 bytes)"),
    (lambda w: w.unlink(), "a checkpoint without weights"),
])
def test_a_legacy_manifest_with_corrupt_weights_is_quarantined(tmp_path, damage, why):
    """No sha256 to compare with: the weights must still load, else the stage is moved aside and trained again (it
    had ended in a SafetensorError traceback)."""
    out = tmp_path / "pretrain-abc"
    final = _finished_stage(out)
    _legacy(final)
    assert check_artifact(final)["config_hash"]  # intact: accepted as before
    damage(final / "model.safetensors")
    with pytest.raises(CorruptArtifact, match=re.escape(why)):
        check_artifact(final)
    with pytest.warns(UserWarning, match="training the stage again"):
        runner._check_finished(out)
    assert not final.exists() and len(list(out.glob("final.corrupt-*"))) == 1


def test_a_corrupt_log_line_names_its_file_and_is_moved_aside(tmp_path):
    """A bad line in a finished stage's log had stopped every later run with a bare 'Expecting value' naming no file;
    the weights stand, so the log is kept without the line and the original moved aside."""
    out = tmp_path / "pretrain-abc"
    final = _finished_stage(out)
    log = out / "log.jsonl"
    log.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "lo\n\n[3]\n{"step": 4, "loss": 1.0}\n')
    with pytest.warns(UserWarning, match=re.escape(f"{log}: lines 2, 4 are not a JSON object")):
        runner._check_finished(out)
    assert (final / "manifest.json").exists()  # the stage itself is kept
    assert [r["step"] for r in runner.training_log(final)] == [1, 4]
    (aside,) = out.glob("log.corrupt-*.jsonl")
    assert "[3]" in aside.read_text()
    log.write_text('{"step": 1}\nnot json\n')  # a log no check has seen (e.g. read from elsewhere)
    with pytest.warns(UserWarning, match=re.escape(f"{log}: line 2 is not a JSON object; left out")):
        assert runner.training_log(final) == [{"step": 1, "tokens": None, "loss": None, "lr": None, "tok_s": None,
                                               "elapsed_s": None}]


def _hold(out, seconds, log):
    with runner._stage_lock(out):
        log.put(("in", time.time()))
        time.sleep(seconds)
        log.put(("out", time.time()))


def test_second_run_of_a_stage_waits_for_the_first(tmp_path, capfd):
    ctx = mp.get_context("fork")
    log = ctx.Queue()
    first = ctx.Process(target=_hold, args=(tmp_path / "stage", 1.0, log))
    first.start()
    assert log.get(timeout=30)[0] == "in"
    second = ctx.Process(target=_hold, args=(tmp_path / "stage", 0.0, log))
    second.start()
    first.join(30)
    second.join(30)
    events = [log.get(timeout=5) for _ in range(3)]
    assert [e[0] for e in events] == ["out", "in", "out"]  # the second entered only after the first left
    assert "another process is training this stage" in capfd.readouterr().out


def test_provenance_paths_carry_no_machine_prefix(tmp_path, monkeypatch):
    from reasonlab.provenance import REPO_ROOT, local_path, portable_path

    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    assert portable_path(tmp_path / "home" / "artifacts" / "rl-1" / "final") == "$REASONLAB_HOME/artifacts/rl-1/final"
    assert portable_path(REPO_ROOT / "data" / "checkpoints" / "x") == "data/checkpoints/x"
    assert portable_path(tmp_path / "elsewhere") == str(tmp_path / "elsewhere") and portable_path(None) is None
    for p in (tmp_path / "home" / "artifacts" / "rl-1" / "final", REPO_ROOT / "data" / "checkpoints" / "x",
              tmp_path / "elsewhere"):
        assert local_path(portable_path(p)) == p  # the inverse, on this machine
    assert local_path(None) is None and local_path("") is None


def _fake_arm_runs(monkeypatch, tmp_path, problems=("h1", "h2"), n=4):
    """run_recipe with training and evaluation replaced by stand-ins: each arm's stages are dirs with a manifest,
    each evaluation one record per problem (verified count = arm index), written in seconds."""
    from reasonlab import provenance

    monkeypatch.setattr(provenance, "RESULTS_DIR", tmp_path / "results")

    def run_arm(recipe, arm, seed=0, max_minutes=None, progress=True, rl_seed=None):
        paths = {}
        for stage, (out, _) in runner.stage_dirs(recipe, arm, seed, rl_seed).items():
            final = tmp_path / "home" / out.name / "final"
            final.mkdir(parents=True, exist_ok=True)
            (final / "manifest.json").write_text(json.dumps({"git_commit": "abc", "wall_time_s": 100.0,
                                                             "config_hash": out.name.rsplit("-", 1)[1],
                                                             "weights_sha256": {"model.safetensors": out.name}}))
            paths[stage] = final
        return paths

    def cached_evaluation(recipe, final, label, seed=0, progress=True):
        records = [{"text_hash": h, "n": n, "op": 2, "verified": len(label) % n} for h in problems]
        return records, pd.DataFrame([{"model": label, "group": "band", "key": "in_dist", "value": 0.5}])

    monkeypatch.setattr(runner, "run_arm", run_arm)
    monkeypatch.setattr(runner, "cached_evaluation", cached_evaluation)
    monkeypatch.setattr(runner, "evaluation_wall_time", lambda recipe, final, seed=0: 10.0)


def test_arms_run_separately_merge_into_one_result(tmp_path, monkeypatch):
    from reasonlab.provenance import load_result

    _fake_arm_runs(monkeypatch, tmp_path)
    recipe = runner.get_recipe("S3", "smoke")
    first, second = recipe.arms[1].name, recipe.arms[0].name
    runner.run_recipe("S3", "smoke", arms=[first], progress=False)
    runner.run_recipe("S3", "smoke", arms=[second], progress=False)
    result = load_result("S3-smoke", tmp_path / "results")
    data = result["data"]
    assert list(data["records"]) == [second, first]  # the recipe's order, whatever order the lanes ran in
    assert {r["model"] for r in data["table"]} == {first, second}
    assert set(data["training_manifests"]) == set(data["arm_work"]) == {first, second}
    assert result["manifest"]["config"]["arms"] == [second, first]
    # each arm: its RL stage (100 s) and its evaluation (10 s); the base they share: once (100 s)
    assert result["manifest"]["wall_time_s"] == pytest.approx(2 * 110 + 100)
    runner.run_recipe("S3", "smoke", arms=[first], progress=False)  # running an arm again replaces it only
    again = load_result("S3-smoke", tmp_path / "results")["data"]
    assert list(again["records"]) == [second, first] and len(again["table"]) == 2


def test_an_arm_on_other_problems_is_refused_and_the_result_kept(tmp_path, monkeypatch):
    from reasonlab.provenance import load_result

    _fake_arm_runs(monkeypatch, tmp_path)
    arms = [a.name for a in runner.get_recipe("S3", "smoke").arms]
    runner.run_recipe("S3", "smoke", arms=[arms[0]], progress=False)
    before = (tmp_path / "results" / "S3-smoke.json").read_text()
    _fake_arm_runs(monkeypatch, tmp_path, n=8)  # another sample count: not paired with the committed arm
    with pytest.raises(ValueError, match="other problems or sample counts"):
        runner.run_recipe("S3", "smoke", arms=[arms[1]], progress=False)
    assert (tmp_path / "results" / "S3-smoke.json").read_text() == before
    assert list(load_result("S3-smoke", tmp_path / "results")["data"]["records"]) == [arms[0]]


def test_runtime_fields_do_not_change_keys():
    """Checkpoint cadence is how a run is carried out, not what it computes: it must not re-key a stage."""
    import dataclasses

    from reasonlab.provenance import artifact_key

    recipe = runner.get_recipe("S3", "smoke")
    arm = recipe.arms[0]
    (pre, pre_cfg), (rl, rl_cfg) = runner.stage_dirs(recipe, arm).values()
    assert artifact_key(dataclasses.replace(pre_cfg, ckpt_every=7)) == artifact_key(pre_cfg) == pre.name.split("-")[1]
    assert artifact_key(dataclasses.replace(rl_cfg, ckpt_every=3), pre.name.split("-")[1]) == rl.name.split("-")[1]
    assert artifact_key(dataclasses.replace(pre_cfg, lr=pre_cfg.lr * 2)) != artifact_key(pre_cfg)  # identity does
    # the key a stage's trainer writes into its manifest is the key of its directory (one key per stage)
    assert make_manifest("lm", pre_cfg)["config_hash"] == pre.name.split("-")[1]


def test_the_committed_base_is_found_under_its_key():
    recipe = runner.get_recipe("ladder", "laptop")
    final = runner.finished_stage(recipe, "base", "pretrain")
    assert final is not None and final.parent.parent == runner.COMMITTED_ARTIFACTS
    assert check_artifact(final)["config_hash"] == final.parent.name.split("-")[1]


def test_rekey_moves_a_stage_keyed_with_runtime_fields(tmp_path):
    from reasonlab.provenance import artifact_key, config_hash, rekey

    cfg = {"lr": 0.1, "ckpt_every": 50}
    old = tmp_path / f"pretrain-{config_hash(cfg)}"
    final = _finished_stage(old)
    write_manifest(final, {**json.loads((final / "manifest.json").read_text()), "config": cfg,
                           "config_hash": config_hash(cfg), "parents": []})
    new = rekey(old)
    assert new.name == f"pretrain-{artifact_key(cfg)}" and not old.exists()
    manifest = check_artifact(new / "final")  # weights still check out
    assert manifest["config_hash"] == artifact_key(cfg) and manifest["rekeyed_from_dir"] == old.name
    assert rekey(new) == new  # a current key is left alone


def test_committed_results_keep_their_artifact_keys():
    """A refactor of the configs must not re-key what ran: every committed recipe result's arms have the keys
    that stage_dirs computes today (else their checkpoints and evaluation caches would silently be retrained).
    Results with arms trained before keys left out runtime fields (commit e2de4f2, which re-keyed the base and so
    every RL arm on it) record the keys of then; every later result must match."""
    from reasonlab.experiments import get_recipe
    from reasonlab.provenance import RESULTS_DIR

    keyed_before_e2de4f2 = {"ladder-laptop.json", "S3-laptop.json", "S3-laptop-rlseed1.json"}
    checked = 0
    for path in sorted(set(RESULTS_DIR.glob("*-laptop*.json")) - {RESULTS_DIR / n for n in keyed_before_e2de4f2}):
        manifest = json.loads(path.read_text())["manifest"]
        config = manifest.get("config", {})
        if "arms" not in config:
            continue
        recipe = get_recipe(config["recipe"], config["scale"])
        for arm, parent in zip(config["arms"], manifest["parents"]):
            dirs = runner.stage_dirs(recipe, recipe.arm(arm), config["seed"], config.get("rl_seed"))
            last_dir, _ = list(dirs.values())[-1]
            assert parent.endswith(f"/{last_dir.name}/final"), (path.name, arm, parent, last_dir.name)
            checked += 1
    assert checked >= 8


def committed_results() -> list[Path]:
    """The result files git tracks: a smoke run (a notebook, another test) also writes data/results/*-smoke.json,
    which git ignores and which these tests must not read."""
    from reasonlab.provenance import RESULTS_DIR

    listed = subprocess.run(["git", "ls-files", "*.json"], cwd=RESULTS_DIR, capture_output=True, text=True)
    names = listed.stdout.split() if listed.returncode == 0 else []
    return sorted(RESULTS_DIR / n for n in names) or sorted(RESULTS_DIR.glob("*.json"))


def test_committed_results_wall_time_is_the_work_behind_them():
    """Provenance's wall time is the work itself: each trained stage once (a shared or re-keyed base too) plus each
    evaluation; a result with a part untimed says "at least"."""
    from reasonlab.provenance import provenance_line

    for path in committed_results():
        raw = json.loads(path.read_text())
        if raw["manifest"].get("kind") != "recipe-result":
            continue
        wall, complete = runner.work_wall_time(raw["data"])
        assert raw["manifest"]["wall_time_s"] == pytest.approx(wall, abs=0.2), path.name
        assert raw["manifest"].get("wall_time_complete", True) == complete, path.name
        assert ("wall time at least" in provenance_line(raw["manifest"])) == (not complete)


def test_work_wall_time_counts_a_shared_base_once():
    base = {"weights_sha256": {"model.safetensors": "b"}, "wall_time_s": 100.0}
    data = {"records": {"x": [], "y": []},
            "training_manifests": {"x": {"pretrain": base, "rl": {"weights_sha256": {"m": "x"}, "wall_time_s": 10.0}},
                                   "y": {"pretrain": {**base, "config_hash": "rekeyed"},
                                         "rl": {"weights_sha256": {"m": "y"}, "wall_time_s": 20.0}}},
            "arm_work": {"x": {"eval_wall_time_s": 5.0}, "y": {"eval_wall_time_s": None}}}
    assert runner.work_wall_time(data) == (135.0, False)  # y's evaluation untimed: a lower bound
    data["arm_work"]["y"]["eval_wall_time_s"] = 6.0
    assert runner.work_wall_time(data) == (141.0, True)
    # an RL stage that made no update writes its parent's weights, and its rollouts are still work of its own
    data["training_manifests"]["y"]["rl"]["weights_sha256"] = base["weights_sha256"]
    assert runner.work_wall_time(data) == (141.0, True)


# ------------------------------------------------------------------------------------ provenance (issue 15)
def test_committed_provenance_agrees_with_its_stage_manifests():
    """No committed result or checkpoint records a training time above its wall time, or an arm's commit or own
    training time other than its stages' manifests give (the collector refuses both; two records had them)."""
    from reasonlab.experiments import get_recipe
    from reasonlab.provenance import times_problem

    for path in sorted(runner.COMMITTED_ARTIFACTS.glob("*/final/manifest.json")):
        assert times_problem(json.loads(path.read_text())) is None, path
    checked = 0
    for path in committed_results():
        raw = json.loads(path.read_text())
        if raw["manifest"].get("kind") != "recipe-result":
            continue
        cfg = raw["manifest"]["config"]
        use = runner.stage_use(get_recipe(cfg["recipe"], cfg["scale"]), cfg["seed"], cfg.get("rl_seed"))
        runner.check_provenance(path.stem, raw["data"], use)
        assert runner.recount_provenance(raw, use) == raw, path.name  # nothing left to recount
        checked += 1
    assert checked >= 7


def test_a_resumed_runs_wall_time_is_corrected_from_its_own_manifest():
    """A trainer before 2a5c78f timed a resumed run's last session only: the whole run took at least its steps."""
    from reasonlab.provenance import correct_resumed_wall_time, provenance_line, times_problem

    old = {"config_hash": "k", "train_seconds": 6518.5010051727295, "wall_time_s": 6242.688}
    assert "train_seconds 6518.5 is above wall_time_s 6242.7" in times_problem(old)
    new = correct_resumed_wall_time(old)
    assert new == {**old, "wall_time_s": 6518.501, "wall_time_complete": False, "wall_time_last_session_s": 6242.688}
    assert times_problem(new) is None and correct_resumed_wall_time(new) == new
    assert "wall time at least 109 min" in provenance_line(new)
    ok = {"train_seconds": 10.0, "wall_time_s": 12.0}
    assert correct_resumed_wall_time(ok) is ok
    data = {"records": {"x": []}, "training_manifests": {"x": {"pretrain": new}},
            "arm_work": {"x": {"eval_wall_time_s": 1.0}}}
    assert runner.work_wall_time(data) == (6519.5, False)  # a stage's lower bound makes the sum one


@pytest.mark.parametrize("edit, message", [
    (lambda d, arm: d["arm_work"][arm].update(git_commit="0dfd471336b4"),
     "arm_work git_commit '0dfd471336b4' is not its last stage's 'abc'"),
    (lambda d, arm: d["arm_work"][arm].update(train_wall_time_s=0.0),
     "arm_work train_wall_time_s 0.0 is not the 100.0 s of its own stages' manifests"),
    (lambda d, arm: d["training_manifests"][arm]["rl"].update(train_seconds=150.0),
     "train_seconds 150.0 is above wall_time_s 100.0"),
    (lambda d, arm: d["training_manifests"].pop(arm), "no training_manifests or arm_work entry"),
])
def test_the_collector_refuses_hand_made_provenance(tmp_path, monkeypatch, edit, message):
    """A committed arm kept by a later --arm run is checked with the new arms: a hand edit is refused, naming the
    result, the arm and the field, and the committed file is left as it was."""
    from reasonlab.provenance import load_result

    _fake_arm_runs(monkeypatch, tmp_path)
    arms = [a.name for a in runner.get_recipe("S3", "smoke").arms]
    runner.run_recipe("S3", "smoke", arms=[arms[0]], progress=False)
    path = tmp_path / "results" / "S3-smoke.json"
    raw = json.loads(path.read_text())
    edit(raw["data"], arms[0])
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        runner.run_recipe("S3", "smoke", arms=[arms[1]], progress=False)
    assert str(e.value).startswith("result S3-smoke: provenance contradicts its stages' manifests, not saved: ")
    assert json.loads(path.read_text()) == raw and list(load_result("S3-smoke", tmp_path / "results")["data"]
                                                        ["records"]) == [arms[0]]


def test_recount_restores_an_arms_provenance_from_its_manifests(tmp_path, monkeypatch):
    _fake_arm_runs(monkeypatch, tmp_path)
    recipe = runner.get_recipe("S3", "smoke")
    runner.run_recipe("S3", "smoke", arms=[recipe.arms[0].name, recipe.arms[1].name], progress=False)
    raw = json.loads((tmp_path / "results" / "S3-smoke.json").read_text())
    use = runner.stage_use(recipe)
    arm = recipe.arms[0].name
    bad = json.loads(json.dumps(raw))
    bad["data"]["arm_work"][arm].update(git_commit="0dfd471336b4", train_wall_time_s=0.0)
    assert runner.recount_provenance(bad, use) == raw


def test_a_committed_unfinished_run_seeds_the_cache_only_when_it_is_further_on(tmp_path, monkeypatch):
    """A run longer than a session commits its newest checkpoint; on a fresh machine the runner copies it into the
    cache so training goes on from there, but never over a cache that is further on or finished."""
    committed, cache = tmp_path / "committed", tmp_path / "cache"
    monkeypatch.setattr(runner, "COMMITTED_ARTIFACTS", committed)

    def checkpoint(run: Path, step: int, text: str = "state") -> None:
        (run / "checkpoints" / f"step_{step:07d}").mkdir(parents=True)
        (run / "checkpoints" / f"step_{step:07d}" / "state.pt").write_text(text)

    checkpoint(committed / "pretrain-abc", 300, "committed")
    (committed / "pretrain-abc" / "log.jsonl").write_text('{"step": 300}\n')
    out = cache / "pretrain-abc"
    runner._seed_from_committed(out)  # an empty cache: seeded
    assert (out / "checkpoints" / "step_0000300" / "state.pt").read_text() == "committed"
    assert (out / "log.jsonl").exists()

    other = cache / "pretrain-def"  # the cache is further on: kept as it is
    checkpoint(committed / "pretrain-def", 300)
    checkpoint(other, 400, "cache")
    runner._seed_from_committed(other)
    assert sorted(p.name for p in (other / "checkpoints").iterdir()) == ["step_0000400"]

    behind = cache / "pretrain-ghi"  # the cache is behind: its checkpoints give way to the committed one
    checkpoint(committed / "pretrain-ghi", 300, "committed")
    checkpoint(behind, 100, "cache")
    runner._seed_from_committed(behind)
    assert sorted(p.name for p in (behind / "checkpoints").iterdir()) == ["step_0000300"]

    half = committed / "pretrain-jkl" / "checkpoints" / "step_0000500"  # a checkpoint without its state: not one
    half.mkdir(parents=True)
    runner._seed_from_committed(cache / "pretrain-jkl")
    assert not (cache / "pretrain-jkl").exists()


def test_a_committed_rl_stage_is_read_not_trained_again(tmp_path, monkeypatch):
    """On a fresh machine (an empty cache) an arm whose base and RL stage are committed in data/checkpoints takes
    both from there: the RL trainer finds the stage finished and trains nothing (RL-recipe's lr arm, committed)."""
    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path))
    recipe = get_recipe("RL-recipe", "laptop")
    arm = recipe.arm("strict-lr-2e-05")
    rl_dir, _ = runner.stage_dirs(recipe, arm)["rl"]
    assert (runner.COMMITTED_ARTIFACTS / rl_dir.name / "final" / "manifest.json").exists(), "the arm is committed"

    def no_training(cfg, out, parent_dir, max_minutes=None, progress=True):
        assert (out / "final" / "manifest.json").exists(), f"{out.name} would be trained again"
        return out / "final"

    monkeypatch.setattr(runner, "train_grpo", no_training)
    paths = runner.run_arm(recipe, arm, progress=False)
    assert paths["rl"] == rl_dir / "final" and rl_dir.parent == tmp_path / "artifacts"
