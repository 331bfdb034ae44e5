"""GRPO step time at the laptop scale, side by side: TRL's defaults, today's plain path, and the fast path.

    nice python benchmarks/bench_grpo.py [--steps 3] [--threads 1] [--rounds 1]

The step is S3's edge arm at the laptop scale, as the runner configures it: 32 prompts x 6
rollouts, <= 300 new tokens, 4 PPO mini-batches of 8 prompts, KL to the frozen reference (beta 1e-3), fp32,
from the committed laptop base model (so completions stop where a trained model stops). Variants, each a
`train_grpo` run of --steps GRPO steps in its own process (the allocator setting is process-wide):

    trl     generation="trl" (model.generate) and TRL's own log-prob passes: what a TRL user gets
    plain   our KV-cache sampler through TRL's rollout_func, TRL's log-prob passes (the path before this one)
    fast    the sampler + the fast log-prob passes of ReasonlabGRPOTrainer (old-policy log-probs from the
            sampler, reference and policy teacher-forced on unpadded rows) + the tuned allocator
    fast-bf16  the same with GRPORunConfig(dtype="bf16"): bf16 autocast for the policy and reference passes.
            NOT the same computation (the laptop scale trains RL in fp32): shown as the next lever only

The table gives the median over the steps after the first (warm-up) and over rounds, with the breakdown the
trainer logs (time_* fields of log.jsonl): sampling, verifier rewards, old-policy and reference log-probs, TRL's
other rollout bookkeeping, the policy forward, the loss and backward, and optimizer + the rest of the step.
--threads 1 (default) is how the laptop arms run (one process per core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "grpo.json"
VARIANTS = {"trl": ("trl", False, "fp32"), "plain": ("reasonlab", False, "fp32"), "fast": ("reasonlab", True, "fp32"),
            "fast-bf16": ("reasonlab", True, "bf16")}
DEFAULT_VARIANTS = "trl,plain,fast,fast-bf16"
PARTS = ("time_sampling_s", "time_reward_s", "time_old_logps_s", "time_ref_logps_s", "time_rollout_other_s",
         "time_policy_fwd_s", "time_policy_bwd_loss_s", "time_optimizer_other_s")


def edge_arm():
    """(recipe, arm): S3's edge arm at the laptop scale."""
    from reasonlab.experiments.recipes import get_recipe

    recipe = get_recipe("S3", "laptop")
    return recipe, next(a for a in recipe.arms if a.param("role") == "edge")


def arm_config(steps: int):
    import dataclasses

    from reasonlab.experiments.runner import grpo_config

    recipe, arm = edge_arm()
    return dataclasses.replace(grpo_config(arm.rl, recipe.scale), steps=steps, ckpt_every=0)


def base_checkpoint() -> Path:
    """The committed laptop base every S3 arm starts from."""
    from reasonlab.experiments.runner import finished_stage

    recipe, arm = edge_arm()
    return finished_stage(recipe, arm.name, "pretrain")


def worker(variant: str, steps: int, threads: int) -> dict:
    import dataclasses

    import torch

    from reasonlab.train.grpo import train_grpo

    torch.set_num_threads(threads)
    generation, fast, dtype = VARIANTS[variant]
    cfg = dataclasses.replace(arm_config(steps), generation=generation, dtype=dtype)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        train_grpo(cfg, Path(tmp) / "run", base_checkpoint(), progress=False, fast=fast)
        wall = time.perf_counter() - t0
        rows = [json.loads(line) for line in (Path(tmp) / "run" / "log.jsonl").read_text().splitlines()]
    return {"variant": variant, "wall_s": wall, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--variants", default=DEFAULT_VARIANTS)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps, args.threads)))
        return

    from reasonlab.provenance import make_manifest, portable_path

    t0 = time.time()
    variants = args.variants.split(",")
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(args.rounds):
        for v in variants:
            out = subprocess.run([sys.executable, __file__, "--worker", v, "--steps", str(args.steps),
                                  "--threads", str(args.threads)], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if out.returncode:
                raise RuntimeError(f"variant {v} failed:\n{out.stderr[-3000:]}")
            runs[v].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} {v:<6} " + ", ".join(f"{x['step_s']:.1f}" for x in runs[v][-1]["rows"]) + " s/step",
                  flush=True)
    results = []
    for v in variants:
        timed = [row for run in runs[v] for row in run["rows"][1:]]  # drop each run's warm-up step
        med = lambda k: round(statistics.median(row[k] for row in timed), 3)  # noqa: E731
        results.append({"variant": v, "generation": VARIANTS[v][0], "fast": VARIANTS[v][1], "dtype": VARIANTS[v][2],
                        "steps_timed": len(timed),
                        "step_s": med("step_s"), "rollout_s": med("rollout_s"),
                        **{k: med(k) for k in PARTS if all(k in row for row in timed)},
                        "completion_tokens": med("completion_tokens"), "rollout_tokens": med("rollout_tokens"),
                        "reward_mean": med("reward_mean"), "kl": med("kl"),
                        "per_step": [{k: row.get(k) for k in ("step", "step_s", "rollout_s", "completion_tokens")}
                                     for run in runs[v] for row in run["rows"]]})
    by = {r["variant"]: r for r in results}
    ratios = {f"{v}_over_fast": round(by[v]["step_s"] / by["fast"]["step_s"], 2) for v in by if "fast" in by and v != "fast"}
    cfg = arm_config(args.steps)
    arm_name = edge_arm()[1].name
    print(f"\nGRPO step, S3 {arm_name} at the laptop scale: {cfg.prompts_per_step} prompts x {cfg.rollouts} rollouts, "
          f"<= {cfg.max_response_tokens} new tokens, {cfg.updates_per_step} mini-batches, {args.threads} thread(s)")
    cols = ("step_s",) + PARTS
    print(f"{'variant':<8}" + "".join(f"{c.replace('time_', '').replace('_s', ''):>14}" for c in cols))
    for r in results:
        print(f"{r['variant']:<8}" + "".join(f"{r.get(c, float('nan')):>14.2f}" for c in cols))
    print("  ".join(f"{k} {x:.2f}x" for k, x in ratios.items()))
    result = {"manifest": make_manifest("bench_grpo", vars(args) | {"out": None}, wall_time_s=time.time() - t0),
              "settings": {"arm": f"S3 {arm_name}, laptop scale", "parent": portable_path(base_checkpoint().parent),
                           "prompts": cfg.prompts_per_step, "rollouts": cfg.rollouts,
                           "max_new_tokens": cfg.max_response_tokens, "minibatches_per_step": cfg.updates_per_step,
                           "kl_coef": cfg.kl_coef, "dtype": cfg.dtype, "threads": args.threads,
                           "timed": "median over steps 2..N of each run, over rounds"},
              "rows": results, "ratios": ratios}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
