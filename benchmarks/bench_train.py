"""Training throughput: tokens/s per preset in fp32 and bf16 autocast, and the share of a matmul peak.

Achieved FLOP/s = (6 * non-embedding params + 12 * layers * seq_len * hidden) * tokens/s (the
paper's C = 6PT plus the attention score/value matmuls, forward + backward). The peak is a large
torch.matmul timed in the same dtype on the same machine. One step = forward, backward, clip and
AdamW update, exactly as reasonlab.train.lm does it (random tokens: data generation is not timed).

    nice python benchmarks/bench_train.py [--presets smoke,laptop-2m,laptop-4m] [--steps 6]
writes benchmarks/results/train.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F

from reasonlab.generator import Mixture
from reasonlab.model import count_params, get_preset, make_model
from reasonlab.provenance import make_manifest
from reasonlab.tokenizer import load_tokenizer
from reasonlab.train.lm import LMTrainConfig, make_optimizer

OUT = Path(__file__).parent / "results" / "train.json"


def matmul_peak(dtype: torch.dtype, n: int = 2048, reps: int = 5) -> float:
    """Best FLOP/s of an n x n x n matmul."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def train_tok_s(preset: str, dtype: str, seq_len: int, batch: int, steps: int) -> tuple[float, object]:
    tok = load_tokenizer()
    model = make_model(preset, tok, seed=0)
    cfg = LMTrainConfig(mixture=Mixture.band(2, 4), total_tokens=seq_len * batch * steps, preset=preset,
                        seq_len=seq_len, batch_size=batch)
    opt = make_optimizer(model, cfg)
    x = torch.randint(10, len(tok), (batch, seq_len))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if dtype == "bf16" else nullcontext()

    def step():
        with autocast:
            logits = model(input_ids=x).logits[:, :-1]
            loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # warm-up
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    return batch * seq_len / median, model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="smoke,laptop-2m,laptop-3m,laptop-4m")
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    t0 = time.time()
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    rows = []
    for preset in a.presets.split(","):
        p = get_preset(preset)
        for dtype in ("fp32", "bf16"):
            tok_s, model = train_tok_s(preset, dtype, a.seq_len, a.batch, a.steps)
            n = count_params(model)
            flops_per_token = 6 * n + 12 * p.layers * a.seq_len * p.hidden
            achieved = flops_per_token * tok_s
            rows.append({"preset": preset, "dtype": dtype, "non_embedding_params": n, "tok_s": round(tok_s, 1),
                         "flop_s": achieved, "peak_flop_s": peaks[dtype],
                         "mfu": round(achieved / peaks[dtype], 4)})
    print(f"matmul peak: fp32 {peaks['fp32'] / 1e9:.1f} GFLOP/s, bf16 {peaks['bf16'] / 1e9:.1f} GFLOP/s "
          f"({torch.get_num_threads()} threads)")
    print(f"{'preset':<12}{'dtype':<6}{'params':>10}{'tok/s':>10}{'GFLOP/s':>9}{'of peak':>9}")
    for r in rows:
        print(f"{r['preset']:<12}{r['dtype']:<6}{r['non_embedding_params']:>10,}{r['tok_s']:>10,.0f}"
              f"{r['flop_s'] / 1e9:>9.2f}{r['mfu']:>9.1%}")
    manifest = make_manifest("bench_train", vars(a), wall_time_s=time.time() - t0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"manifest": manifest, "matmul_peak_flop_s": peaks, "rows": rows}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
