"""Evaluation sampling on the laptop base and real evaluation prompts: model.generate, today's sampler and each
candidate, side by side in one run.

    nice python benchmarks/bench_sampler.py [--threads 1] [--problems-per-op 2] [--variants ...] [--smoke]

The slice: the first --problems-per-op problems of each op of S6's laptop evaluation (the S3 arms' spec: 64
samples, temperature 0.7, top-p 1, <= 256 new tokens, stops </answer> and [EOS]), encoded as the evaluation
encodes them, sampled from the committed laptop base (data/checkpoints/pretrain-5da44c18155c/final, loaded as the
runner loads it). --problems-per-op 34 is the whole evaluation (510 problems). Variants:

    generate       model.generate(num_return_sequences=n, do_sample=True), one call per problem: what a user
                   writes (its own random numbers, so its samples are not ours)
    today          reasonlab/sampling.py at --baseline-ref (default main), one call per problem set, as run_eval
                   called it there
    fp32           this sampler (fewer ops per decode step), one call per set: the same draws as today
    fp32-batched   this sampler, all sets in one call (what run_eval does now), same draws
    bf16, bf16-batched                 sample(dtype="bf16"): bf16 matmuls and KV cache, fp32 softmax and logits

Each variant is timed on sampling alone (after a warm-up call on one problem), the fastest of --repeats rounds
that interleave the variants. Verification and the gold NLL (the rest of an evaluation) are timed once, so the
evaluation's wall time of a variant is its sampling + those. Tokens count generated tokens up to and including
the stop token. Achieved FLOP/s counts the work of each generated token given its KV cache, 2 x (layer matmul
+ output layer parameters) + 4 x layers x q-width x context (scores and values), over sampling's wall time; the
prompts' prefill is left out (it is shared by a prompt's samples). The peaks are an n=2048 matmul in fp32 and in
bf16, measured at the start and the end of the run.

Same metric (issue 24 item 3): every variant's completions are verified; the per-problem verified counts are
compared with today's (and bf16's with fp32's) by the paired 95% bootstrap interval of the pass@1 change
(reasonlab.results.paired_delta): "agrees" when the interval contains 0. Greedy decoding on the first prompts is
compared with model.generate token for token (fp32 exactly; bf16 against generate under bf16 autocast).

Writes benchmarks/results/sampler.json (a --smoke run writes nothing unless --out is given).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench_train import matmul_peak  # benchmarks/ is the script's directory

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).parent / "results" / "sampler.json"
BASE = ROOT / "data" / "checkpoints" / "pretrain-5da44c18155c" / "final"
# name: (sampler: "today" or "ours", dtype, batched across sets); "generate" is model.generate
VARIANTS = {"generate": None, "today": ("today", None, False), "fp32": ("ours", "fp32", False),
            "fp32-batched": ("ours", "fp32", True), "bf16": ("ours", "bf16", False),
            "bf16-batched": ("ours", "bf16", True)}
DEFAULT_VARIANTS = "generate,today,fp32,fp32-batched,bf16,bf16-batched"
GREEDY_PROMPTS = 4  # greedy parity on this many prompts per variant


def load_baseline(ref: str):
    """reasonlab/sampling.py as it was at git `ref`, imported as its own module; (module, commit)."""
    commit = subprocess.run(["git", "rev-parse", "--short=12", ref], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    src = subprocess.run(["git", "show", f"{ref}:reasonlab/sampling.py"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    path = Path(tempfile.mkdtemp()) / "sampling_baseline.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("sampling_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sampling_baseline"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod, commit


def completion_flops(model):
    """FLOPs of generating a completion of c tokens after a prompt of p: token t costs dense + attn * (p + t) (see
    the module docstring), summed in closed form."""
    cfg = model.config
    layer_params = sum(w.numel() for layer in model.model.layers for name, w in layer.named_parameters()
                       if name.endswith("weight") and w.dim() == 2)  # q, k, v, o, gate, up, down
    dense = 2 * (layer_params + model.lm_head.weight.numel())
    attn = 4 * cfg.num_hidden_layers * cfg.num_attention_heads * (cfg.hidden_size // cfg.num_attention_heads)
    return lambda p, c: c * dense + attn * (c * p + c * (c - 1) // 2)


def count_new(rows, stop):
    """Completions cut after their first stop token."""
    out = []
    for r in rows:
        hit = next((i for i, x in enumerate(r) if x in stop), None)
        out.append(r if hit is None else r[: hit + 1])
    return out


class Slice:
    """The evaluation slice: problems by set, prompts, spec, draws."""

    def __init__(self, tok, problems_per_op: int, ops, samples: int | None):
        from reasonlab.evaluate import encode_prompt, set_draw_keys, stop_token_ids
        from reasonlab.experiments.recipes import get_recipe

        self.recipe = get_recipe("S6", "laptop")
        ev = self.recipe.evaluation
        self.spec = ev.eval_spec(self.recipe.scale)
        if samples:
            self.spec = dataclasses.replace(self.spec, samples=samples)
        self.sets = ev.problem_sets(self.recipe.scale, n_per_op=problems_per_op, ops=ops)
        self.problems = [p for probs in self.sets.values() for p in probs]
        self.prompts = [encode_prompt(tok, p) for p in self.problems]
        self.by_set = [[encode_prompt(tok, p) for p in probs] for probs in self.sets.values()]
        self.keys = set_draw_keys(self.spec, self.sets)
        self.stop = stop_token_ids(tok)
        self.kw = dict(temperature=self.spec.temperature, top_p=self.spec.top_p,
                       max_new_tokens=self.spec.max_new_tokens, stop_ids=self.stop)


def run_variant(name, model, sl: Slice, baseline, n_problems=None) -> list[list[list[int]]]:
    """Completion tokens [problem][sample] of one variant on the slice (or on its first n_problems, one set)."""
    n = sl.spec.samples
    if name == "generate":
        out = []
        for p in sl.prompts[:n_problems]:
            with torch.inference_mode():
                seqs = model.generate(torch.tensor([p]), do_sample=True, temperature=sl.spec.temperature,
                                      top_p=sl.spec.top_p, top_k=0, num_return_sequences=n,
                                      max_new_tokens=sl.spec.max_new_tokens, min_new_tokens=0,
                                      eos_token_id=sl.stop, pad_token_id=sl.stop[0])
            out.append(count_new(seqs[:, len(p):].tolist(), set(sl.stop)))
        return out
    which, dtype, batched = VARIANTS[name]
    opts = {} if which == "today" else {"dtype": dtype}
    fn = baseline.sample if which == "today" else _ours()
    if n_problems is not None:  # a warm-up
        return fn(model, sl.prompts[:n_problems], n, seed=0, **sl.kw, **opts).tokens
    if batched:
        return fn(model, sl.prompts, n, draw_keys=sl.keys, **sl.kw, **opts).tokens
    out = []
    for i, prompts in enumerate(sl.by_set):  # one call per set, as run_eval did
        out += fn(model, prompts, n, seed=sl.spec.seed * 100_003 + i, **sl.kw, **opts).tokens
    return out


def _ours():
    from reasonlab.sampling import sample

    return sample


def score(sl: Slice, tok, tokens) -> list[dict]:
    """Evaluation records (verified and outcome counts per problem), as sample_and_score writes them."""
    from reasonlab.evaluate import score_problem_samples

    recs = []
    for p, comps in zip(sl.problems, tokens):
        rec = {"op": p.op, "text_hash": p.text_hash, "n": sl.spec.samples}
        rec.update(score_problem_samples(p, tok.batch_decode(comps, skip_special_tokens=True)))
        recs.append(rec)
    return recs


def greedy_parity(name, model, sl: Slice, baseline) -> dict:
    """Greedy tokens of a variant against model.generate (under bf16 autocast for bf16) on the first prompts."""
    prompts = sl.prompts[:GREEDY_PROMPTS]
    kw = dict(sl.kw, temperature=0)
    if name == "today":
        got = baseline.sample(model, prompts, 1, **kw).tokens
        dtype = "fp32"
    else:
        dtype = VARIANTS[name][1]
        got = _ours()(model, prompts, 1, dtype=dtype, **kw).tokens
    same = 0
    for p, g in zip(prompts, got):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bf16"):
            ref = model.generate(torch.tensor([p]), do_sample=False, max_new_tokens=sl.spec.max_new_tokens,
                                 eos_token_id=sl.stop, pad_token_id=sl.stop[0])[0, len(p):].tolist()
        same += g[0] == count_new([ref], set(sl.stop))[0]
    return {"prompts": len(prompts), "identical": same, "reference": "generate" + (" (bf16 autocast)" if dtype == "bf16"
                                                                                    else "")}


def paired(base: list[dict], other: list[dict]) -> dict:
    """The paired pass@1 change other - base over the slice, with its 95% bootstrap interval."""
    from reasonlab.results import paired_delta

    ops = (min(r["op"] for r in base), max(r["op"] for r in base))
    d = paired_delta(base, other, ops, k=1)
    return {"delta_pass@1": round(d.value, 5), "lo": round(d.lo, 5), "hi": round(d.hi, 5),
            "agrees_at_5pct": bool(d.lo <= 0 <= d.hi)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads (compare variants at one count)")
    ap.add_argument("--problems-per-op", type=int, default=2, help="34 = the whole laptop evaluation")
    ap.add_argument("--ops", type=int, nargs="*", default=None, help="a subset of the evaluation's ops")
    ap.add_argument("--samples", type=int, default=None, help="samples per problem (default: the evaluation's 64)")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS, help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--repeats", type=int, default=1, help="rounds over the variants (fastest kept)")
    ap.add_argument("--baseline-ref", default="main", help="git ref of today's sampler")
    ap.add_argument("--smoke", action="store_true", help="2 problems x 2 samples, every step once; writes no JSON")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.smoke:
        args.problems_per_op, args.ops, args.samples, args.repeats = 1, args.ops or [2, 9], 2, 1
    out_path = args.out or (None if args.smoke else OUT)
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; allowed: {', '.join(VARIANTS)}")

    from reasonlab.sampling import logprobs_of
    from reasonlab.model import load_checkpoint
    from reasonlab.provenance import git_commit, make_manifest, portable_path

    t_start, commit = time.time(), git_commit()  # the code that runs is the code at the start
    torch.set_num_threads(args.threads)
    peak_kw = dict(n=256, reps=1) if args.smoke else {}  # a smoke run only checks that the steps run
    peaks = {"fp32": [matmul_peak(torch.float32, **peak_kw)], "bf16": [matmul_peak(torch.bfloat16, **peak_kw)]}
    model, tok = load_checkpoint(BASE)
    model.eval()
    baseline, baseline_commit = load_baseline(args.baseline_ref) if "today" in variants else (None, None)
    sl = Slice(tok, args.problems_per_op, args.ops, args.samples)
    print(f"{len(sl.problems)} problems x {sl.spec.samples} samples, <= {sl.spec.max_new_tokens} new tokens, "
          f"{args.threads} thread(s)", flush=True)

    for v in variants:  # warm-up: first calls, allocations
        run_variant(v, model, sl, baseline, n_problems=1)
    times: dict[str, list[float]] = {v: [] for v in variants}
    tokens: dict[str, list] = {}
    for r in range(args.repeats):
        for v in variants:
            t0 = time.perf_counter()
            tokens[v] = run_variant(v, model, sl, baseline)
            times[v].append(time.perf_counter() - t0)
            print(f"round {r + 1} {v:<22} {times[v][-1]:8.1f} s", flush=True)
    peaks["fp32"].append(matmul_peak(torch.float32, **peak_kw))
    peaks["bf16"].append(matmul_peak(torch.bfloat16, **peak_kw))
    peak = {k: statistics.median(x) for k, x in peaks.items()}

    # the rest of an evaluation, timed once: verification (per variant, reported for the first) and gold NLL
    t0 = time.perf_counter()
    records = {v: score(sl, tok, tokens[v]) for v in variants}
    verify_s = (time.perf_counter() - t0) / len(variants)
    t0 = time.perf_counter()
    logprobs_of(model, sl.prompts, [tok(p.completion, add_special_tokens=False)["input_ids"] for p in sl.problems])
    nll_s = time.perf_counter() - t0

    flops_of = completion_flops(model)
    rows = []
    for v in variants:
        sec = min(times[v])
        comps = [c for per in tokens[v] for c in per]
        new = sum(len(c) for c in comps)
        flops = sum(flops_of(len(p), len(c)) for p, per in zip(sl.prompts, tokens[v]) for c in per)
        dtype = "bf16" if v.startswith("bf16") else "fp32"
        verified = [r["verified"] / r["n"] for r in records[v]]
        rows.append({"variant": v, "dtype": dtype, "samples": len(comps), "new_tokens": new, "seconds": round(sec, 2),
                     "all_seconds": [round(x, 2) for x in times[v]], "tokens_per_s": round(new / sec, 1),
                     "eval_seconds": round(sec + verify_s + nll_s, 2), "flop_s": round(flops / sec),
                     "share_of_peak": round(flops / sec / peak[dtype], 4),
                     "share_of_bf16_peak": round(flops / sec / peak["bf16"], 4),
                     "pass@1_verified": round(float(np.mean(verified)), 4)})
    by = {r["variant"]: r for r in rows}
    for r in rows:
        for ref in ("today", "generate"):
            if ref in by:
                r[f"speedup_vs_{ref}"] = round(by[ref]["seconds"] / r["seconds"], 2)
                r[f"eval_speedup_vs_{ref}"] = round(by[ref]["eval_seconds"] / r["eval_seconds"], 2)
    # every variant against today's exact path; bf16 also against this sampler's fp32 (the same draws)
    pairs = [(v, "today") for v in variants if v != "today" and "today" in variants]
    pairs += [(v, "fp32") for v in variants if v.startswith("bf16") and "fp32" in variants]
    same_metric = {}
    for v, ref in pairs:
        pair = paired(records[ref], records[v])
        if v != "generate":  # the same random numbers: the share of samples that came out identical
            a, b = ([c for per in tokens[x] for c in per] for x in (ref, v))
            pair["identical_samples"] = round(sum(x == y for x, y in zip(a, b)) / len(a), 4)
        same_metric[f"{v} vs {ref}"] = pair
    greedy = {v: greedy_parity(v, model, sl, baseline) for v in variants if v != "generate"}

    print(f"\n{len(sl.problems)} problems x {sl.spec.samples} samples; matmul peak fp32 {peak['fp32'] / 1e9:.0f}, "
          f"bf16 {peak['bf16'] / 1e9:.0f} GFLOP/s; verify {verify_s:.1f} s, gold NLL {nll_s:.1f} s")
    print(f"{'variant':<23}{'seconds':>9}{'tokens/s':>10}{'vs today':>10}{'vs generate':>12}{'of peak':>9}"
          f"{'pass@1':>8}")
    for r in rows:
        print(f"{r['variant']:<23}{r['seconds']:>9.1f}{r['tokens_per_s']:>10,.0f}{r.get('speedup_vs_today', 0):>9.2f}x"
              f"{r.get('speedup_vs_generate', 0):>11.2f}x{r['share_of_peak']:>9.1%}{r['pass@1_verified']:>8.3f}")
    for k, pair in same_metric.items():
        print(f"same metric {k:<32} pass@1 change {pair['delta_pass@1']:+.4f} [{pair['lo']:+.4f}, {pair['hi']:+.4f}]"
              f" agrees {pair['agrees_at_5pct']}" + (f", identical samples {pair['identical_samples']:.1%}"
                                                     if "identical_samples" in pair else ""))
    for v, g in greedy.items():
        print(f"greedy {v:<22} {g['identical']}/{g['prompts']} identical to {g['reference']}")
    if out_path is None:
        print("smoke run: no JSON written")
        return
    config = vars(args) | {"out": None, "variants": variants}
    result = {"manifest": make_manifest("bench_sampler", config, wall_time_s=time.time() - t_start,
                                           git_commit=commit),
              "settings": {"model": portable_path(BASE), "evaluation": "S6 laptop (the S3 arms' spec)",
                           "problems": len(sl.problems), "ops": sorted({p.op for p in sl.problems}),
                           "samples": sl.spec.samples, "temperature": sl.spec.temperature, "top_p": sl.spec.top_p,
                           "max_new_tokens": sl.spec.max_new_tokens, "threads": args.threads,
                           "baseline_ref": args.baseline_ref, "baseline_commit": baseline_commit,
                           "timed": f"sampling only, fastest of {args.repeats} round(s); eval_seconds adds verify "
                                    "and gold NLL, timed once"},
              "matmul_peak_flop_s": peak, "matmul_peaks": peaks, "verify_s": round(verify_s, 2),
              "nll_s": round(nll_s, 2), "rows": rows, "same_metric": same_metric, "greedy_vs_generate": greedy}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
