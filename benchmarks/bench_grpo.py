"""GRPO step time: rollouts from our sampler (TRL `rollout_func`) vs TRL's own generation (model.generate).

    nice -n 10 .venv/bin/python benchmarks/bench_grpo.py [--preset laptop-2m] [--steps 3] [--threads 1]

Same model, data and batch for both: a randomly initialised `laptop-2m` (the cost of a step does not depend on
the weights' values), 8 prompts x 6 rollouts, up to 128 new tokens, stops at `</answer>` / [EOS], temperature
1.0, KL to a frozen reference (beta 1e-3), one PPO mini-batch per step. Each backend runs `train_grpo` for
--steps GRPO steps; the table shows the median over the steps after the first (warm-up) of:
    generate_s  sampling the 48 completions
    rollout_s   sampling + verifier rewards + reference log-probs
    step_s      the whole GRPO step (rollout_s + policy forward/backward + optimizer)
A random model rarely emits a stop token, so nearly every row runs to 128 tokens under both backends; the
completion tokens per step are shown so the work can be compared. --threads 1 (default): on a shared,
oversubscribed 2-core machine, 2 OpenMP threads slow both backends down by up to ~100x (measured), so
timings are taken single-threaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "grpo.json"


def run_backend(generation: str, parent: Path, root: Path, args) -> dict:
    from reasonlab.generator import Mixture
    from reasonlab.train.grpo import GRPORunConfig, train_grpo

    cfg = GRPORunConfig(mixture=Mixture.band(2, 6, "animals-zoo"), reward_kind="strict", steps=args.steps,
                        prompts_per_step=args.prompts, rollouts=args.rollouts, minibatch_prompts=args.prompts,
                        max_prompt_tokens=256, max_response_tokens=args.new_tokens, lr=1e-6, kl_coef=1e-3,
                        generation=generation, seed=0)
    out = root / f"run-{generation}"
    t0 = time.perf_counter()
    train_grpo(cfg, out, parent, progress=False)
    wall = time.perf_counter() - t0
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    timed = rows[1:] or rows  # drop the warm-up step
    med = lambda k: round(statistics.median(r[k] for r in timed), 3)  # noqa: E731
    return {"generation": generation, "steps_timed": len(timed), "generate_s": med("generate_s"),
            "rollout_s": med("rollout_s"), "step_s": med("step_s"),
            "completion_tokens": med("completion_tokens"), "rollout_tokens": med("rollout_tokens"),
            "truncated_frac": med("truncated_frac"), "run_wall_s": round(wall, 1),
            "per_step": [{k: r[k] for k in ("step", "generate_s", "rollout_s", "step_s", "completion_tokens")}
                         for r in rows]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="laptop-2m")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--rollouts", type=int, default=6)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    import torch
    import transformers
    import trl

    from reasonlab.model import count_params, make_model, save_checkpoint
    from reasonlab.provenance import device_description, git_commit
    from reasonlab.tokenizer import load_tokenizer

    torch.set_num_threads(args.threads)
    tok = load_tokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = make_model(args.preset, tok, seed=0)  # random init
        params = count_params(model)
        save_checkpoint(model, tok, root / "parent")
        results = [run_backend(g, root / "parent", root, args) for g in ("reasonlab", "trl")]
    ours, theirs = results
    ratio = {k: round(theirs[k] / ours[k], 2) for k in ("generate_s", "rollout_s", "step_s")}

    print(f"GRPO step, {args.preset} (random init, {params / 1e6:.2f}M non-embedding), {args.prompts} prompts x "
          f"{args.rollouts} rollouts, <= {args.new_tokens} new tokens, {args.threads} thread(s); median of "
          f"{ours['steps_timed']} steps after warm-up")
    print(f"{'generation':<12}{'generate_s':>12}{'rollout_s':>12}{'step_s':>10}{'compl. tok':>12}")
    for r in results:
        print(f"{r['generation']:<12}{r['generate_s']:>12.2f}{r['rollout_s']:>12.2f}{r['step_s']:>10.2f}"
              f"{r['completion_tokens']:>12.0f}")
    print(f"{'trl / ours':<12}{ratio['generate_s']:>11.2f}x{ratio['rollout_s']:>11.2f}x{ratio['step_s']:>9.2f}x")

    result = {
        "settings": {"preset": args.preset, "init": "random (make_model seed 0)", "non_embedding_params": params,
                     "prompts": args.prompts, "rollouts": args.rollouts, "max_new_tokens": args.new_tokens,
                     "steps": args.steps, "temperature": 1.0, "kl_coef": 1e-3, "minibatches_per_step": 1,
                     "mixture": "animals-zoo op 2-6, rl split, seed 0", "timed": "median over steps 2..N"},
        "env": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                "threads": args.threads, "device": device_description(), "cpu_count": os.cpu_count(),
                "loadavg_at_end": list(os.getloadavg()), "git_commit": git_commit()},
        "rows": results,
        "trl_over_ours": ratio,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
