"""Training throughput, side by side: the plain transformers path against reasonlab's fast path.

Every variant trains the laptop scale's base config (the ladder's pre-training stage: preset, seq_len, batch,
loss mask, bf16 autocast) on the same real batches (the first steps of its packed stream), one step =
forward, backward, clip and AdamW exactly as reasonlab.train.lm does it. Variants, each in its own process
(the allocator setting is process-wide and the compile cache per process), run in interleaved rounds so that
drift on a shared machine hits all of them alike; the table gives the median over rounds:

    plain           PlainLoss: model(input_ids).logits + cross-entropy, eager (what a transformers user writes;
                    the trainer's path before the fast one)
    plain+alloc     the same with reasonlab.train.fast.tune_allocator()
    fast-eager      FastLoss without compile (fused projections, block-causal attention) + allocator
    fast-compiled   FastLoss compiled, default allocator
    fast            FastLoss compiled + allocator: what train_lm runs by default

Achieved FLOP/s = (6 * non-embedding params + 6 * lm-head params + 12 * layers * seq_len * hidden) * tokens/s
(C = 6PT plus the output layer and the attention score/value matmuls, forward + backward, full causal square).
The peak is a large matmul in bf16 timed in the same run. Data generation (stream.next_batch) is timed
per step on its own to show its share of a step.

    nice python benchmarks/bench_train.py [--scale laptop] [--rounds 3] [--steps 12]
writes benchmarks/results/train.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

OUT = Path(__file__).parent / "results" / "train.json"
VARIANTS = ("plain", "plain+alloc", "fast-eager", "fast-compiled", "fast")


def matmul_peak(dtype: torch.dtype = torch.bfloat16, n: int = 2048, reps: int = 5) -> float:
    """Best FLOP/s of an n x n x n matmul."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def base_config(scale_name: str):
    from reasonlab.experiments.recipes import get_recipe
    from reasonlab.experiments.runner import lm_config

    recipe = get_recipe("ladder", scale_name)
    return lm_config(recipe.arms[0].pretrain, recipe.scale, "pretrain")


def worker(variant: str, scale_name: str, steps: int) -> dict:
    """Time `steps` training steps of one variant (after one warm-up step, which includes any compile)."""
    from reasonlab.model import count_params, make_model
    from reasonlab.tokenizer import load_tokenizer
    from reasonlab.train.fast import FastLoss, PlainLoss, tune_allocator
    from reasonlab.train.lm import PackedStream, make_optimizer, stable_seed

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    if variant in ("plain+alloc", "fast-eager", "fast"):
        tune_allocator()
    cfg = base_config(scale_name)
    tok = load_tokenizer()
    stream = PackedStream(cfg.mixture, cfg.split, stable_seed(cfg.seed, "data"), tok, cfg.seq_len, cfg.loss_on)
    data_s, batches = [], []
    for _ in range(steps + 1):
        t = time.perf_counter()
        batches.append(stream.next_batch(cfg.batch_size))
        data_s.append(time.perf_counter() - t)
    model = make_model(cfg.preset, tok, seed=0)
    net = PlainLoss(model) if variant.startswith("plain") else FastLoss(model, cfg.seq_len,
                                                                         compile=variant != "fast-eager")
    opt = make_optimizer(model, cfg)

    def step(x, y):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = net(x, y[:, 1:])
        (loss / (y[:, 1:] != -100).sum()).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    t = time.perf_counter()
    step(*batches[0])
    first_s = time.perf_counter() - t
    times, losses = [], []
    for x, y in batches[1:]:
        t = time.perf_counter()
        losses.append(step(x, y))
        times.append(time.perf_counter() - t)
    p = model.config
    lm_head = p.vocab_size * p.hidden_size
    flops_per_token = 6 * (count_params(model) + lm_head) + 12 * p.num_hidden_layers * cfg.seq_len * p.hidden_size
    med = statistics.median(times)
    return {"variant": variant, "tok_s": cfg.tokens_per_step / med, "step_s": med, "first_step_s": first_s,
            "data_s": statistics.median(data_s[1:]), "flops_per_token": flops_per_token,
            "losses": losses, "threads": torch.get_num_threads()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="laptop")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.scale, a.steps)))
        return

    from reasonlab.provenance import make_manifest

    t0 = time.time()
    variants = a.variants.split(",")
    peaks, runs = [matmul_peak()], {v: [] for v in variants}
    for r in range(a.rounds):
        for v in variants:
            out = subprocess.run([sys.executable, __file__, "--worker", v, "--scale", a.scale, "--steps", str(a.steps)],
                                 capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if out.returncode:
                raise RuntimeError(f"variant {v} failed:\n{out.stderr[-3000:]}")
            runs[v].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} {v:<14} {runs[v][-1]['tok_s']:9,.0f} tok/s", flush=True)
        peaks.append(matmul_peak())
    peak = statistics.median(peaks)
    cfg = base_config(a.scale)
    rows = []
    for v in variants:
        tok_s = statistics.median(x["tok_s"] for x in runs[v])
        f = runs[v][0]["flops_per_token"]
        rows.append({"variant": v, "tok_s": round(tok_s, 1), "tok_s_rounds": [round(x["tok_s"], 1) for x in runs[v]],
                     "step_s": round(cfg.tokens_per_step / tok_s, 4),
                     "first_step_s": round(statistics.median(x["first_step_s"] for x in runs[v]), 2),
                     "data_s_per_step": round(statistics.median(x["data_s"] for x in runs[v]), 4),
                     "flop_s": f * tok_s, "share_of_peak": round(f * tok_s / peak, 4),
                     "losses_round1": [round(x, 3) for x in runs[v][0]["losses"]]})
    base = next((r["tok_s"] for r in rows if r["variant"] == "plain"), None)
    for r in rows:
        r["speedup_vs_plain"] = round(r["tok_s"] / base, 3) if base else None
    print(f"\n{cfg.preset}, seq {cfg.seq_len} x batch {cfg.batch_size}, bf16 autocast, {runs[variants[0]][0]['threads']} "
          f"threads; bf16 matmul peak {peak / 1e9:.0f} GFLOP/s; median of {a.rounds} rounds x {a.steps} steps")
    print(f"{'variant':<15}{'tok/s':>9}{'vs plain':>10}{'of peak':>9}{'1st step s':>12}{'data s/step':>13}")
    for r in rows:
        print(f"{r['variant']:<15}{r['tok_s']:>9,.0f}{r['speedup_vs_plain'] or 0:>9.2f}x{r['share_of_peak']:>9.1%}"
              f"{r['first_step_s']:>12.1f}{r['data_s_per_step']:>13.4f}")
    manifest = make_manifest("bench_train", vars(a) | {"out": None}, wall_time_s=time.time() - t0)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"manifest": manifest, "config": {"preset": cfg.preset, "seq_len": cfg.seq_len,
                                                                "batch_size": cfg.batch_size, "loss_on": cfg.loss_on,
                                                                "dtype": "bf16 autocast"},
                               "matmul_peak_bf16_flop_s": peak, "matmul_peaks": peaks, "rows": rows}, indent=1) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
