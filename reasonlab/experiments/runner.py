"""Run a recipe: each arm's stages in order, each stage cached by its config and its parent.

A stage's artifact lives in `$REASONLAB_HOME/artifacts/<stage>-<key>/`, where key hashes the stage's
training config with its parent's key; `final/manifest.json` (written last) marks it complete. Arms
that share a stage (S3's four RL arms share one base model) train it once. A stage that is a checkpoint
of a longer run (S5 and A.10's arms take one mid-training run at several steps) is an artifact of its
own, keyed by the run's key and the step; the run trains once, stopping at each such step on its way.
Interrupt a run at any time and run the same command again: finished stages are skipped and the
running one resumes from its last checkpoint.

    python -m reasonlab run ladder --scale laptop
    python -m reasonlab run S3 --scale gpu --arm rl-op11-14
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import shutil
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..evaluate import UNSEEN, run_eval, summarise
from ..model import load_checkpoint
from ..provenance import (REPO_ROOT, RESULTS_DIR, CorruptArtifact, artifact_key, atomic_write_text, check_artifact,
                          config_hash, correct_resumed_wall_time, make_manifest, portable_path, reasonlab_home,
                          load_result, save_result, times_problem, weights_digest)
from ..train.edge_filter import train_grpo_edge_filtered
from ..train.grpo import GRPORunConfig, train_grpo
from ..validation import check_name
from ..verify import RULES
from .recipes import RL, TRAINING_STAGES, Arm, NextToken, Recipe, get_recipe
from .scales import Scale

# reasonlab.train.lm (it imports torch, ~2 s) loads in the functions that configure or train a next-token stage, and
# transformers where a run quiets its progress bars: importing the runner (chapters and results do) needs no torch.


def artifacts_root() -> Path:
    return reasonlab_home() / "artifacts"


# Small finished stages committed with the repository (e.g. the laptop base model) so that later
# chapters start from the same weights on a fresh machine instead of retraining them.
COMMITTED_ARTIFACTS = REPO_ROOT / "data" / "checkpoints"


def _seed_from_committed(out: Path) -> None:
    """Copy a committed copy of this exact stage (same key) into the cache, if there is one: a finished stage, or an
    unfinished run's checkpoint (committed so that a run longer than one session goes on where it stopped) when it
    is further on than the cache's own."""
    committed = COMMITTED_ARTIFACTS / out.name
    if (out / "final" / "manifest.json").exists():
        return
    if (committed / "final" / "manifest.json").exists():
        shutil.copytree(committed, out, dirs_exist_ok=True)
    elif _newest_checkpoint_step(committed) > _newest_checkpoint_step(out):
        shutil.rmtree(out / "checkpoints", ignore_errors=True)  # the trainer resumes from the newest it finds
        shutil.copytree(committed, out, dirs_exist_ok=True)


def _newest_checkpoint_step(run_dir: Path) -> int:
    """Step of a run directory's newest complete checkpoint (`checkpoints/step_N/state.pt`); -1 without one."""
    steps = [int(d.name[len("step_"):]) for d in (run_dir / "checkpoints").glob("step_*")
             if d.name[len("step_"):].isdigit() and (d / "state.pt").exists()]
    return max(steps, default=-1)


def _check_finished(out: Path) -> None:
    """A finished stage whose manifest or weights do not check out is moved aside (and redone), never reused; a
    corrupt line in its log is moved aside with the log (the weights stand) and the log kept without it."""
    final = out / "final"
    if not (final / "manifest.json").exists():
        return
    try:
        check_artifact(final)
    except CorruptArtifact as e:
        aside = out / f"final.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
        warnings.warn(f"{e}; moved to {aside.name} and training the stage again")
        final.rename(aside)
        return
    log = out / "log.jsonl"
    rows, bad = read_log(log)
    if bad:
        aside = out / f"log.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        shutil.copy2(log, aside)
        atomic_write_text(log, "".join(json.dumps(r) + "\n" for r in rows))
        warnings.warn(f"{log}: {_lines(bad)} not a JSON object (a log line per step is expected); the log is kept "
                      f"without {'it' if len(bad) == 1 else 'them'}, the original moved to {aside.name}")


def read_log(path: Path) -> tuple[list[dict], list[int]]:
    """(rows, numbers of the lines that are not a JSON object) of a JSONL training log; ([], []) without one."""
    rows, bad = [], []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # JSONDecodeError, or an integer over Python's 4,300 digits
            row = None
        if isinstance(row, dict):
            rows.append(row)
        else:
            bad.append(i)
    return rows, bad


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5])) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
    return f"line{'s' if len(numbers) > 1 else ''} {shown} {'are' if len(numbers) > 1 else 'is'}"


@contextmanager
def _flock(path: Path, waiting: str | None = None):
    """An exclusive lock on `path` (flock: released by the OS if the holder dies); `waiting` is printed when
    another process holds it and this one waits."""

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                print(waiting, flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _stage_lock(out: Path):
    """One process trains a stage at a time: a second run of the same stage waits for the first, then finds
    it finished."""
    return _flock(out.parent / f".{out.name}.lock",
                  f"{out.name}: another process is training this stage; waiting for it")


def lm_config(stage: NextToken, scale: Scale, kind: str, seed: int = 0):
    """The trainer config of a pre- or mid-training stage at `scale` (paper.md section 4 values at 'paper'): its run's,
    whose length (run_length) sets the schedule, so every checkpoint taken from one run shares one config."""
    from ..train.lm import LMTrainConfig

    common = dict(mixture=stage.mixture, total_tokens=stage.run_length, preset=scale.model, seq_len=scale.seq_len,
                  batch_size=max(1, scale.batch_tokens // scale.seq_len), weight_decay=scale.weight_decay,
                  loss_on=scale.loss_on, seed=seed, ckpt_every=50)
    if kind == "pretrain":
        return LMTrainConfig(lr=scale.pretrain_lr, min_lr=scale.pretrain_lr_min, warmup_frac=scale.pretrain_warmup,
                             split="pretrain", **common)
    if kind == "mid":
        return LMTrainConfig(lr=scale.mid_lr, min_lr=scale.mid_lr_min, warmup_frac=scale.mid_warmup,
                             split="midtrain", **common)
    raise ValueError(f"unknown next-token stage {kind!r}; allowed: pretrain, mid")


def _minibatch_prompts(stage: RL, scale: Scale) -> int:
    """The scale's number of optimizer updates a step (the paper's 4 mini-batches), kept when a stage has its own
    prompts per step (12 prompts x 16 rollouts: 4 mini-batches of 3); else the largest divisor of the stage's batch
    below the scale's mini-batch. A stage at the scale's prompts per step gets the scale's mini-batch."""
    updates = scale.rl_prompts_per_step // scale.rl_minibatch_prompts
    if stage.prompts_per_step % updates == 0:
        return stage.prompts_per_step // updates
    return math.gcd(stage.prompts_per_step, scale.rl_minibatch_prompts)


def grpo_config(stage: RL, scale: Scale, seed: int = 0):
    """The GRPO trainer config of an RL stage at `scale` (paper.md section 4 values at 'paper')."""
    return GRPORunConfig(
        mixture=stage.mixture, reward=stage.reward, steps=stage.steps, prompts_per_step=stage.prompts_per_step,
        rollouts=stage.rollouts, lr=scale.rl_lr if stage.lr is None else stage.lr,
        kl_coef=scale.rl_kl_coef if stage.kl_coef is None else stage.kl_coef,
        temperature=scale.rl_temperature,
        max_prompt_tokens=scale.rl_max_prompt_tokens, max_response_tokens=scale.rl_max_response_tokens,
        minibatch_prompts=_minibatch_prompts(stage, scale), dtype=stage.dtype,
        seed=seed, ckpt_every=10,
    )


@dataclass(frozen=True)
class TakenCheckpoint:
    """Where a stage that is a checkpoint of a longer next-token run comes from."""

    run_dir: Path  # the run's own artifact dir (its key: the trainer config with the parent's key)
    step: int  # the optimizer step whose weights the stage takes


def checkpoint_step(stage: NextToken, config) -> int | None:
    """The step of a run (trainer `config`) at which a checkpoint stage takes its weights: the last whole step within
    its tokens (as the run counts steps); None for a stage that is the whole run, or a checkpoint that falls on the
    run's last step (its final). Refuses a checkpoint before the run's first step."""
    if not stage.is_checkpoint:
        return None
    step = stage.tokens // config.tokens_per_step
    if step < 1:
        raise ValueError(f"a checkpoint at {stage.tokens:,} tokens is before the run's first step "
                         f"({config.tokens_per_step:,} tokens a step); allowed: tokens >= {config.tokens_per_step:,}")
    return step if step < config.total_steps else None


def _plan(recipe: Recipe, arm: Arm, seed: int, rl_seed: int | None):
    """[(stage, artifact dir, trainer config, TakenCheckpoint or None)] of an arm, in training order: the one place
    stage keys are made. A stage's key hashes its trainer config with its parent's key (the edge filter's settings
    join an RL key); a checkpoint of a run hashes its step with the run's key."""
    from ..train.lm import checkpoint_identity

    plan = []
    parents: tuple[str, ...] = ()  # a first stage has no parent: the same key its trainer's manifest records
    for name, stage in arm.stages.items():
        taken = None
        if name == "rl":
            cfg = grpo_config(stage, recipe.scale, seed if rl_seed is None else rl_seed)
            extra = (config_hash(stage.edge_filter),) if stage.edge_filter is not None else ()
            key = artifact_key(cfg, *extra, *parents)
        else:
            cfg = lm_config(stage, recipe.scale, name, seed)
            key = artifact_key(cfg, *parents)
            step = checkpoint_step(stage, cfg)
            if step is not None:
                taken = TakenCheckpoint(artifacts_root() / f"{name}-{key}", step)
                key = artifact_key(checkpoint_identity(step), key)
        plan.append((name, artifacts_root() / f"{name}-{key}", cfg, taken))
        parents = (key,)
    return plan


def stage_dirs(recipe: Recipe, arm: Arm, seed: int = 0, rl_seed: int | None = None) -> dict[str, tuple[Path, object]]:
    """{stage: (artifact dir, trainer config)} of an arm, in training order (a checkpoint of a run: its own dir, the
    run's config). `seed` seeds every stage; `rl_seed`, if given, the RL stage alone (another RL run from the same
    base)."""
    return {name: (out, cfg) for name, out, cfg, _ in _plan(recipe, arm, seed, rl_seed)}



def finished_stage(recipe: Recipe, arm_name: str, stage: str, seed: int = 0) -> Path | None:
    """The final/ dir of a trained stage (the committed copy of it if there is one), or None if not trained."""
    out, _ = stage_dirs(recipe, recipe.arm(arm_name), seed)[stage]
    for final in (COMMITTED_ARTIFACTS / out.name / "final", out / "final"):
        if (final / "manifest.json").exists():
            return final
    return None


def run_arm(recipe: Recipe, arm: Arm, seed: int = 0, max_minutes: float | None = None,
            progress: bool = True, rl_seed: int | None = None) -> dict[str, Path]:
    """Train an arm's stages; returns {stage: final dir}. Stops early (resumable) at max_minutes."""
    paths: dict[str, Path] = {}
    parent = None
    for name, out, cfg, taken in _plan(recipe, arm, seed, rl_seed):
        stage = arm.stages[name]
        if name == "rl":
            with _stage_lock(out):
                _check_finished(out)
                _seed_from_committed(out)  # a committed RL stage is read, never trained again on a fresh machine
                if stage.edge_filter is None:
                    final = train_grpo(cfg, out, parent_dir=parent, max_minutes=max_minutes, progress=progress)
                else:
                    final = train_grpo_edge_filtered(cfg, stage.edge_filter, out, parent_dir=parent,
                                                     max_minutes=max_minutes, progress=progress)
        else:
            final = _next_token_stage(recipe, name, out, cfg, taken, parent, seed, rl_seed, max_minutes, progress)
        if final.name != "final":  # stopped at max_minutes: a checkpoint to resume from
            print(f"{arm.name}/{name}: stopped at {final}; run the same command again to resume")
            return paths
        paths[name] = final
        parent = final
    return paths


# A run's fork, inside the run's dir, that replays a step the run has already passed (the run is never rolled back).
REPLAY_DIR = "replay"


def _next_token_stage(recipe: Recipe, name: str, out: Path, cfg, taken: TakenCheckpoint | None, parent: Path | None,
                      seed: int, rl_seed: int | None, max_minutes: float | None, progress: bool) -> Path:
    """Train a next-token stage, or take its checkpoint of a run; returns its final dir, or the checkpoint it stopped
    at (max_minutes). The run trains once under its own key: on its way it stops at every step that an arm of the
    recipe takes from it and saves that step as the checkpoint's artifact, so arms that share the run (S5's betas)
    cost one run, in whatever order or process they run. One lock, the run's, guards the run and its checkpoints."""
    from ..train.lm import train_lm

    run_dir = out if taken is None else taken.run_dir
    deadline = None if max_minutes is None else time.time() + 60 * max_minutes

    def minutes_left():
        return None if deadline is None else max(0.0, (deadline - time.time()) / 60)

    with _stage_lock(run_dir):
        _check_finished(out)
        _seed_from_committed(out)
        if run_dir != out:
            _seed_from_committed(run_dir)  # the shared run's own checkpoint, if one was committed unfinished
        if (out / "final" / "manifest.json").exists():
            return out / "final"
        for step, ck_dir in sorted(_checkpoints_of(recipe, name, run_dir, seed, rl_seed).items()):
            if taken is not None and step > taken.step:
                break
            _check_finished(ck_dir)
            _seed_from_committed(ck_dir)
            if (ck_dir / "final" / "manifest.json").exists():
                continue
            stopped = _save_checkpoint_at(cfg, run_dir, step, ck_dir, parent, minutes_left(), progress)
            if stopped is not None:
                return stopped
        shutil.rmtree(run_dir / REPLAY_DIR, ignore_errors=True)  # a replay (see _save_checkpoint_at) is done
        if taken is not None:
            return out / "final"
        return train_lm(cfg, out, parent_dir=parent, max_minutes=minutes_left(), progress=progress)


def _checkpoints_of(recipe: Recipe, name: str, run_dir: Path, seed: int, rl_seed: int | None) -> dict[int, Path]:
    """{step: artifact dir} of every checkpoint that an arm of `recipe` takes from the run in run_dir."""
    return {t.step: out for a in recipe.arms for stage, out, _, t in _plan(recipe, a, seed, rl_seed)
            if stage == name and t is not None and t.run_dir == run_dir}


def _save_checkpoint_at(cfg, run_dir: Path, step: int, ck_dir: Path, parent: Path | None, max_minutes: float | None,
                        progress: bool) -> Path | None:
    """Train the run in run_dir up to `step` and save its state there as the checkpoint artifact ck_dir/final; None
    when saved, or the checkpoint it stopped at (max_minutes). A step the run has already passed is replayed in a
    fork of it (run_dir/replay), from the run's latest saved checkpoint at or before the step, else from the start."""
    from ..train.lm import fork_run, save_step_checkpoint, saved_steps, train_lm

    finished = (run_dir / "final" / "manifest.json").exists()
    reached = max(saved_steps(run_dir), default=0)
    trainer_dir, shared_wall_s = run_dir, None
    if finished or reached > step:
        trainer_dir = run_dir / REPLAY_DIR
        start, shared_wall_s = fork_run(run_dir, step, trainer_dir)
        at = "finished" if finished else f"at step {reached}"
        how = f"resuming from step {start}" if start else "no saved step at or before it: retraining from the start"
        print(f"{ck_dir.name}: step {step} of {run_dir.name} is behind the run ({at}); replaying it in "
              f"{trainer_dir.relative_to(run_dir.parent)}, {how}", flush=True)
    state = train_lm(cfg, trainer_dir, parent_dir=parent, max_minutes=max_minutes, stop_at_step=step,
                     progress=progress)
    if saved_steps(trainer_dir).get(step) != state:
        return state  # stopped before the step: resumable
    # the run's log up to the step (a replay logs the same steps), so the arm's training log shows its mid-training
    rows, _ = read_log(run_dir / "log.jsonl")
    atomic_write_text(ck_dir / "log.jsonl", "".join(json.dumps(r) + "\n" for r in rows
                                                    if isinstance(r.get("step"), int) and r["step"] <= step))
    save_step_checkpoint(state, ck_dir / "final", run_dir, parent_dir=parent, shared_wall_s=shared_wall_s)
    return None


def training_log(final_dir: Path, max_points: int = 300) -> list[dict]:
    """The stage's log (step, tokens, loss, lr, tok/s; reward and KL for GRPO), thinned to at most max_points rows."""
    path = Path(final_dir).parent / "log.jsonl"
    rows, bad = read_log(path)
    if bad:  # a stage that run_arm checked has none left; a log read from elsewhere may
        warnings.warn(f"{path}: {_lines(bad)} not a JSON object; left out of the training log")
    stride = max(1, len(rows) // max_points)
    keep = rows[::stride] + ([rows[-1]] if rows and (len(rows) - 1) % stride else [])
    keys = ("step", "tokens", "loss", "lr", "tok_s", "elapsed_s")
    rl_keys = ("reward_mean", "reward_by_template", "reward_group_std", "frac_zero_std", "kl", "t_rl",  # GRPO (Fig 11)
               "reward_by_op", "outcome_mean", "verified_mean", "hacked_share", "frac_groups_verified")  # RL controls
    return [{k: r.get(k) for k in keys + (rl_keys if "reward_mean" in r else ())} for r in keep
            if "screening" not in r]


def evaluate_checkpoint(recipe: Recipe, final_dir: Path, seed: int = 0, progress: bool = True) -> list[dict]:
    """Sample and verify a checkpoint on the recipe's evaluation; one record per problem."""

    model, tokenizer = load_checkpoint(final_dir)
    model.eval()
    ev = recipe.evaluation
    spec = ev.eval_spec(recipe.scale, seed)
    return run_eval(model, tokenizer, spec, progress=progress, problem_sets=ev.problem_sets(recipe.scale, seed))


def evaluation_key(recipe: Recipe, seed: int = 0) -> str:
    """Hash of what an evaluation samples (problems, samples, settings): records with equal keys are paired."""
    return config_hash({"evaluation": recipe.evaluation, "scale": recipe.scale, "seed": seed, "verifier": RULES})


def records_digest(records: list[dict]) -> str:
    """sha256 of evaluation records as canonical JSON: an evaluation cache records it, and a cache whose records no
    longer hash to it was changed after it was written."""
    return hashlib.sha256(json.dumps(records, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def records_problem(records, digest: str | None, spec, sets: dict) -> str | None:
    """Why cached evaluation records are not an evaluation of `sets` (the recipe's problem sets) under `spec`, or
    None when they are: one record per problem in run_eval's order (same text hash, op and set), n = spec.samples,
    counts 0 <= verified <= outcome <= n, and the records' digest when the cache recorded one."""
    problems = [(label, p) for label, probs in sets.items() for p in probs]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return "its records are not a list of objects"
    if len(records) != len(problems):
        return f"{len(records)} records for the evaluation's {len(problems)} problems"
    n = spec.samples
    for i, (r, (label, p)) in enumerate(zip(records, problems)):
        unseen = isinstance(label, tuple) and label[0] == UNSEEN
        if r.get("text_hash") != p.text_hash or r.get("op") != p.op or (r.get("set") == UNSEEN) != unseen:
            return f"record {i} is not problem {p.text_hash} (op {p.op}) of the evaluation"
        if r.get("n") != n:
            return f"record {i} has n={r.get('n')!r}, the evaluation draws {n} samples per problem"
        v, o = r.get("verified"), r.get("outcome")
        if not (type(v) is int and type(o) is int and 0 <= v <= o <= n):
            return f"record {i} has verified={v!r}, outcome={o!r}; counts need 0 <= verified <= outcome <= n={n}"
    if digest is not None and digest != records_digest(records):
        return "its records do not hash to the records_sha256 it was written with (changed since)"
    return None


def cached_evaluation(recipe: Recipe, final_dir: Path, label: str, seed: int = 0, progress: bool = True):
    """(records, tidy table) of a checkpoint; the records are cached beside it by the evaluation's config,
    so arms run in parallel processes with `--arm` are collected by one plain `run` without evaluating again.
    A cache is checked before use, never trusted: it must be of these weights and match the evaluation
    (records_problem); one that does not is evaluated again, with a warning that says why."""

    path = Path(final_dir).parent / f"eval-{evaluation_key(recipe, seed)}.json"
    if (Path(final_dir) / "manifest.json").exists():
        check_artifact(final_dir)  # weights that do not match their manifest are an error, never evaluated
    weights = weights_digest(final_dir)  # the cache belongs to these weights only
    ev = recipe.evaluation
    spec = ev.eval_spec(recipe.scale, seed)
    records = None
    if path.exists():
        try:
            cached = json.loads(path.read_text())
            if cached.get("weights_sha256") != weights:
                warnings.warn(f"{path}: evaluation of other weights; evaluating again")
            elif why := records_problem(cached.get("records"), cached.get("records_sha256"), spec,
                                        ev.problem_sets(recipe.scale, seed)):
                warnings.warn(f"{path}: not this evaluation's records ({why}); evaluating again")
            else:
                records = cached["records"]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as e:
            warnings.warn(f"{path}: unreadable evaluation cache ({type(e).__name__}); evaluating again")
    if records is None:
        t0 = time.perf_counter()
        records = evaluate_checkpoint(recipe, final_dir, seed, progress)
        wall = time.perf_counter() - t0
        atomic_write_text(path, json.dumps({"records": records, "records_sha256": records_digest(records),
                                            "weights_sha256": weights, "wall_time_s": wall}))
    return records, summarise(records, spec, label, by_template=ev.by_template)


def evaluation_wall_time(recipe: Recipe, final_dir: Path, seed: int = 0) -> float | None:
    """Seconds the cached evaluation of a checkpoint took (None for a cache written before this was recorded)."""
    try:
        cache = Path(final_dir).parent / f"eval-{evaluation_key(recipe, seed)}.json"
        return json.loads(cache.read_text()).get("wall_time_s")
    except (OSError, ValueError, AttributeError):
        return None


def run_recipe(recipe_id: str, scale: str = "laptop", arms: list[str] | None = None, seed: int = 0,
               max_minutes: float | None = None, progress: bool = True, rl_seed: int | None = None) -> Path | None:
    """Train and evaluate a recipe's arms; writes data/results/<id>-<scale>.json with a manifest.

    With rl_seed, the RL stages run with that seed from the same (seed) base, and are evaluated on the same
    problems as the seed run (so changes stay paired); the result is saved as <id>-<scale>[-seedN]-rlseedM."""
    recipe = get_recipe(recipe_id, scale)
    if recipe.view_of:  # its arms are another recipe's; a result saved under its name would replace its chapter's own
        raise ValueError(f"{recipe.id} re-reads the runs of {recipe.view_of}: run {recipe.view_of} instead "
                         f"(python -m reasonlab run {recipe.view_of} --scale {recipe.scale.name}); what {recipe.id} "
                         "adds is computed by its chapter from those runs")
    chosen = [recipe.arm(a) for a in arms] if arms else list(recipe.arms)
    if not progress:  # quiet in notebooks: no transformers load/save bars either
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    use = stage_use(recipe, seed, rl_seed)
    tables, records_by_arm, logs, train_manifests, arm_work = [], {}, {}, {}, {}
    for arm in chosen:
        paths = run_arm(recipe, arm, seed, max_minutes, progress, rl_seed)
        if len(paths) < len(arm.stages):
            return None  # interrupted; resumable
        last = list(paths.values())[-1]
        logs[arm.name] = {stage: training_log(p) for stage, p in paths.items()}
        train_manifests[arm.name] = {stage: json.loads((p / "manifest.json").read_text()) for stage, p in paths.items()}
        records, table = cached_evaluation(recipe, last, arm.name, seed, progress)
        records_by_arm[arm.name] = records
        tables.append(table)
        eval_s = evaluation_wall_time(recipe, last, seed)
        commit, own_s = arm_provenance(train_manifests, arm.name, use)
        arm_work[arm.name] = {"parent": portable_path(last), "git_commit": commit, "train_wall_time_s": own_s,
                              "eval_wall_time_s": None if eval_s is None else round(eval_s, 1)}

    data = {"table": pd.concat(tables, ignore_index=True).to_dict(orient="records"), "records": records_by_arm,
            "training_logs": logs, "training_manifests": train_manifests, "arm_work": arm_work}
    name = result_name(recipe.id, recipe.scale.name, seed, rl_seed)
    with _result_lock(name):
        if arms:  # a subset of arms joins the arms already in the result (each keeps its own manifests)
            data = _merge_arms(name, data, [a.name for a in recipe.arms], use)
        check_provenance(name, data, use)  # the merged result: committed arms are checked too
        work = data["arm_work"].values()
        wall, complete = work_wall_time(data)
        manifest = make_manifest("recipe-result", {"recipe": recipe.id, "scale": recipe.scale.name, "seed": seed,
                                                   "arms": list(data["records"])}
                                 | ({"rl_seed": rl_seed} if rl_seed is not None else {}),
                                 parents=tuple(w["parent"] for w in work), wall_time_s=wall,
                                 wall_time_complete=complete, recipe=recipe.id, scale=recipe.scale.name)
        return save_result(name, data, manifest)


def work_wall_time(data: dict) -> tuple[float, bool]:
    """(seconds, complete) of the work behind a recipe result: every distinct trained stage once, told apart by
    the weights it wrote (a base shared by arms, or the same base re-keyed, counts once), plus every arm's
    evaluation; `complete` is False when some part's time was not recorded (the sum is then a lower bound)."""
    stages: dict[str, float | None] = {}
    runs: dict[str, float | None] = {}  # run key -> the longest part of it that a checkpoint taken from it records
    for arm_stages in data.get("training_manifests", {}).values():
        for stage, m in arm_stages.items():
            # the stage and the weights it wrote (an RL stage with no update writes its parent's weights and is
            # still its own work); a manifest without them counts by its whole content (never merged with others)
            identity = json.dumps([stage, m.get("weights_sha256") or m], sort_keys=True)
            stages[identity] = m.get("wall_time_s")  # a checkpoint of a run: its own work (export, replay)
            if "run_key" in m:
                w, before = m.get("run_wall_time_s"), runs.get(m["run_key"], 0.0)
                runs[m["run_key"]] = None if w is None or before is None else max(before, w)
    # A run counts once: whole where its own final is among the stages (it holds every checkpoint's part), else the
    # longest part of it that the result's checkpoints took.
    finals = {m.get("config_hash") for arm_stages in data.get("training_manifests", {}).values()
              for m in arm_stages.values()}
    evals = [w.get("eval_wall_time_s") for w in data.get("arm_work", {}).values()]
    parts = list(stages.values()) + [w for key, w in runs.items() if key not in finals] + evals
    lower_bounds = any(m.get("wall_time_complete") is False  # a stage whose own time is "at least"
                       for arm_stages in data.get("training_manifests", {}).values() for m in arm_stages.values())
    complete = bool(evals) and len(evals) == len(data.get("records", {})) and None not in parts and not lower_bounds
    return round(sum(float(x or 0.0) for x in parts), 1), complete


def stage_use(recipe: Recipe, seed: int = 0, rl_seed: int | None = None) -> dict[str, int]:
    """{stage directory name: how many of the recipe's arms train it}: a stage several arms share (S3's base) is not
    an arm's own training time."""
    use: dict[str, int] = {}
    for a in recipe.arms:
        for _, out, _, taken in _plan(recipe, a, seed, rl_seed):
            # a checkpoint of a run is the arm's own, and a use of the run, which the arms that take it share
            for name in (out.name,) + ((taken.run_dir.name,) if taken else ()):
                use[name] = use.get(name, 0) + 1
    return use


def arm_provenance(manifests: dict[str, dict], arm: str, use: dict[str, int]) -> tuple[str | None, float]:
    """(git commit, own training seconds) of an arm from its stages' manifests ({arm: {stage: manifest}}): the commit
    that trained its last stage, and the wall time of the stages no other arm of the recipe shares (`use`, by stage
    directory; a stage of a key no longer current, e.g. re-keyed, counts as shared when another arm of `manifests`
    has its weights). A checkpoint taken from a run is the arm's own; the run's part up to it too, where no other
    arm uses that run."""
    stages = manifests[arm]

    def identity(m):
        return json.dumps(m.get("weights_sha256") or m, sort_keys=True)

    def own(stage, m):
        name = f"{stage}-{m.get('config_hash')}"
        if name in use:
            return use[name] == 1
        return sum(identity(m) in {identity(x) for x in other.values()} for other in manifests.values()) == 1

    own_s = sum(float(m.get("wall_time_s") or 0.0) for stage, m in stages.items() if own(stage, m))
    own_s += sum(float(m.get("run_wall_time_s") or 0.0) for stage, m in stages.items()
                 if "run_key" in m and use.get(f"{stage}-{m['run_key']}") == 1)
    last = stages[max(stages, key=TRAINING_STAGES.index)] if stages else {}  # results sort the keys: by training order
    return last.get("git_commit"), round(own_s, 1)


def check_provenance(name: str, data: dict, use: dict[str, int]) -> None:
    """Refuse (ValueError) a result whose provenance contradicts itself, before it is saved: a stage manifest's
    training time above its wall time, or an arm's recorded commit or own training time other than its stages'
    manifests give (arm_provenance). Such records are made by hand, or by old code; the message names each."""
    problems = []
    manifests = data.get("training_manifests", {})
    for arm in data.get("records", {}):
        if arm not in manifests or arm not in data.get("arm_work", {}):
            problems.append(f"arm {arm}: no training_manifests or arm_work entry (every arm records both)")
            continue
        for stage, m in manifests[arm].items():
            where = f"stage {stage}-{m.get('config_hash')}"
            if (why := times_problem(m)) and not any(where in x for x in problems):  # once per shared stage
                problems.append(f"{where} (arm {arm}): {why}")
        commit, own_s = arm_provenance(manifests, arm, use)
        work = data["arm_work"][arm]
        if work.get("git_commit") != commit:
            problems.append(f"arm {arm}: arm_work git_commit {work.get('git_commit')!r} is not its last stage's "
                            f"{commit!r} (the commit that trained it)")
        if work.get("train_wall_time_s") != own_s:
            problems.append(f"arm {arm}: arm_work train_wall_time_s {work.get('train_wall_time_s')!r} is not the "
                            f"{own_s} s of its own stages' manifests (stages other arms share not counted)")
    if problems:
        raise ValueError(f"result {name}: provenance contradicts its stages' manifests, not saved: "
                         + "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""))


def recount_provenance(raw: dict, use: dict[str, int]) -> dict:
    """A committed recipe result ({"manifest", "data"}) with its provenance recomputed from its own stage manifests:
    each stage manifest's times corrected where a resumed run's wall time missed its earlier sessions
    (correct_resumed_wall_time), each arm's commit and own training time recounted (arm_provenance), and the
    result's wall time recounted (work_wall_time; the value it replaces kept as wall_time_recounted_from). Numbers
    that already agree are left as they are."""
    data = {**raw["data"]}
    data["training_manifests"] = {arm: {stage: correct_resumed_wall_time(m) for stage, m in stages.items()}
                                  for arm, stages in data["training_manifests"].items()}
    data["arm_work"] = {arm: {**work, **dict(zip(("git_commit", "train_wall_time_s"),
                                                 arm_provenance(data["training_manifests"], arm, use)))}
                        for arm, work in data["arm_work"].items()}
    manifest = {**raw["manifest"]}
    wall, complete = work_wall_time(data)
    if (wall, complete) != (manifest.get("wall_time_s"), manifest.get("wall_time_complete", True)):
        manifest.setdefault("wall_time_recounted_from", manifest.get("wall_time_s"))
        manifest.update(wall_time_s=wall, wall_time_complete=complete)
    return {"manifest": manifest, "data": data}


def run_point(recipe_id: str, scale: str, arm: str, params: dict | None = None, seed: int = 0,
              progress: bool = True):
    """Train and evaluate one arm of recipe `recipe_id` built with `params` (e.g. S3 with rl_bands=[(9, 12)]): a
    point outside the committed grid, for a live kernel. Its stages and evaluation are cached like any run's, and
    its evaluation uses the recipe's problems, so it pairs with the committed base; no committed result is
    written. Returns (records, tidy table)."""
    recipe = get_recipe(recipe_id, scale, **(params or {}))
    chosen = recipe.arm(arm)
    paths = run_arm(recipe, chosen, seed, progress=progress)
    if len(paths) < len(chosen.stages):
        raise RuntimeError(f"{arm}: training stopped before its last stage; run it again to resume")
    return cached_evaluation(recipe, list(paths.values())[-1], arm, seed, progress)


def _result_lock(name: str):
    """Two runs that add arms to one result (parallel `--arm` lanes) merge one after the other."""

    return _flock(RESULTS_DIR / f".{name}.lock")


def _merge_arms(name: str, new: dict, order: list[str], use: dict[str, int] | None = None) -> dict:
    """`new` (some arms) joined with the other arms of the committed result `name`, in the recipe's arm order.
    An arm in both is taken from `new`; the committed file is only replaced by the caller's atomic write."""

    try:
        committed = load_result(name)
    except FileNotFoundError:
        return new
    old, old_parents = committed["data"], dict(zip(committed["manifest"]["config"].get("arms", []),
                                                   committed["manifest"].get("parents", [])))
    ours = set(new["records"])
    keep = [a for a in old["records"] if a not in ours]
    problems = lambda recs: sorted((r["text_hash"], r["n"]) for r in recs)  # noqa: E731
    ref = problems(next(iter(new["records"].values())))
    stale = [a for a in keep if problems(old["records"][a]) != ref]
    if stale:
        raise ValueError(f"{name}: arms {stale} were evaluated on other problems or sample counts than "
                         f"{sorted(ours)}; run them again (or every arm, without --arm) so that all arms stay paired")
    rank = {a: i for i, a in enumerate(order)}
    arms = sorted(keep + list(new["records"]), key=lambda a: rank.get(a, len(rank)))
    merged = {"table": [r for r in old["table"] if r["model"] not in ours] + new["table"]}
    for field in ("records", "training_logs", "training_manifests", "arm_work"):
        both = {a: v for a, v in old.get(field, {}).items() if a in keep} | new[field]
        merged[field] = {a: both[a] for a in arms if a in both}
    merged["table"].sort(key=lambda r: rank.get(r["model"], len(rank)))
    for a in keep:  # a result written before per-arm work was recorded: its arms' numbers from their manifests
        if a not in merged["arm_work"]:
            commit, own_s = (arm_provenance(merged["training_manifests"], a, use or {})
                             if a in merged["training_manifests"] else (None, 0.0))
            merged["arm_work"][a] = {"parent": old_parents.get(a), "git_commit": commit, "train_wall_time_s": own_s,
                                     "eval_wall_time_s": None}
    merged["arm_work"] = {a: merged["arm_work"][a] for a in arms}
    return merged


def result_name(recipe_id: str, scale: str, seed: int = 0, rl_seed: int | None = None) -> str:
    """The name a recipe's result is saved under in data/results/ (names that could leave it are refused)."""
    check_name("recipe id", recipe_id)
    check_name("scale name", scale)
    rl = f"-rlseed{rl_seed}" if rl_seed is not None else ""
    return f"{recipe_id}-{scale}" + (f"-seed{seed}" if seed else "") + rl
