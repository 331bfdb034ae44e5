"""GRPO on prompts at the current model's edge of competence (the paper's practical guidance 1, paper.md section 7).

Every `refresh_every` GRPO steps the current policy screens a fresh pool of candidate problems with `k` samples
each and keeps those it solves sometimes but not always (0 < successes < k): it fails at pass@1 and solves
within k samples. A success is, by default, a sample whose reward under the run's own reward is 1 (for the
outcome reward: the right answer), since only prompts whose rewards vary give GRPO a gradient; `success=
"verified"` counts process-verified samples instead (the book's pass@k criterion). The next segment of GRPO trains on the kept prompts only (cycled if there are fewer
than the segment needs). Too-easy prompts (all k solved) and too-hard ones (none solved) are the groups whose
rewards have no variance and so give GRPO no gradient; the filter spends screening compute to avoid them.

Equal compute: screening is generation only, 2P FLOPs per token against (8 + 2 gamma) P for a GRPO rollout
(paper.md section 6), so screening `pool_size * k` samples costs `2 pool_size k / ((8 + 2 gamma) prompts r)`
GRPO steps. `steps_at_equal_compute` gives the GRPO steps that fit a fixed-band run's budget.

Each segment is a `train_grpo` run started from the previous segment's policy, with the *base* model as KL
reference throughout. Deviation: the optimizer state (Adam moments) restarts at each segment.

    out_dir/seg-00/...      segment 0: kept.json (screening result) + a train_grpo out_dir
    out_dir/log.jsonl       GRPO step log of all segments, steps numbered across segments, plus screening rows
    out_dir/final/          the last segment's policy + manifest.json (written last)
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..evaluate import encode_prompt, stop_token_ids
from ..generator import Mixture, Problem
from ..model import load_checkpoint
from ..provenance import make_manifest, portable_path, stable_seed, write_manifest
from ..verify import verify
from .grpo import GRPORunConfig, fitting_problems, train_grpo

# reasonlab.sampling (it imports torch, ~2 s) loads in screen(): recipes import EdgeFilter without needing torch.


SUCCESS = ("reward", "verified")


@dataclass(frozen=True)
class EdgeFilter:
    """How the edge-of-competence pool is built and refreshed."""

    pool: Mixture  # candidate problems (the generator's rl split of this mixture), e.g. top of in-dist .. hard
    pool_size: int = 256  # candidates screened per refresh
    k: int = 4  # samples per candidate; kept iff 0 < successes < k
    refresh_every: int = 5  # GRPO steps per screened pool
    success: str = "reward"  # a screened sample succeeds if its reward is 1 ("reward") or it verifies ("verified")

    def __post_init__(self):
        if self.success not in SUCCESS:
            raise ValueError(f"success must be one of {', '.join(SUCCESS)}, got {self.success!r}")
        if not isinstance(self.pool, Mixture):
            raise ValueError(f"pool must be a reasonlab.generator.Mixture, got {type(self.pool).__name__}")
        for name in ("pool_size", "refresh_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 2:
            raise ValueError(f"k must be an integer >= 2 (a prompt is kept iff 0 < successes < k), got {self.k!r}")

    def screening_steps(self, prompts_per_step: int, rollouts: int, with_reference: bool = True) -> float:
        """The cost of one screening in GRPO steps (generation 2P vs (8 + 2 gamma) P per token)."""
        return 2 * self.pool_size * self.k / ((8 + 2 * int(with_reference)) * prompts_per_step * rollouts)


def steps_at_equal_compute(budget_steps: int, filt: EdgeFilter, prompts_per_step: int, rollouts: int,
                           with_reference: bool = True) -> int:
    """The most GRPO steps s such that s plus the screenings they need costs no more than `budget_steps`."""
    per = filt.screening_steps(prompts_per_step, rollouts, with_reference)
    s = budget_steps
    while s > 1 and s + math.ceil(s / filt.refresh_every) * per > budget_steps:
        s -= 1
    return s


def screen(model, tokenizer, problems: list[Problem], k: int, temperature: float, max_new_tokens: int,
           seed: int, success=None) -> list[int]:
    """Successes out of k samples for each problem, at the rollout temperature (what GRPO will see).

    success(report) -> bool decides a sample (a reasonlab.verify report); default: it verifies."""
    from ..sampling import sample

    success = success or (lambda report: report.verified)
    out = sample(model, [encode_prompt(tokenizer, p) for p in problems], k, temperature=temperature,
                 max_new_tokens=max_new_tokens, stop_ids=stop_token_ids(tokenizer), seed=seed)
    return [sum(bool(success(verify(p, c))) for c in texts) for p, texts in zip(problems, out.decode(tokenizer))]


def success_rule(filt: EdgeFilter, config: GRPORunConfig):
    """The screening's notion of a solved sample: reward 1 under the run's reward, or verified."""
    if filt.success == "verified":
        return lambda report: report.verified
    return lambda report: config.reward.score(report) >= 1.0 - 1e-9


def train_grpo_edge_filtered(config: GRPORunConfig, filt: EdgeFilter, out_dir: Path | str, parent_dir: Path | str,
                             progress: bool = True, max_minutes: float | None = None) -> Path:
    """GRPO for config.steps steps in segments of filt.refresh_every, each on freshly screened edge prompts.

    config.mixture is ignored for prompts (they come from filt.pool); everything else (reward, batch, lr, KL)
    is config's. Resumable: finished segments are skipped; an interrupted one resumes. Returns out_dir/final,
    or the directory it stopped in when max_minutes ran out."""
    out_dir, parent_dir = Path(out_dir), Path(parent_dir)
    final_dir = out_dir / "final"
    if (final_dir / "manifest.json").exists():
        return final_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, deadline = time.time(), None if max_minutes is None else time.time() + 60 * max_minutes
    n_segments = math.ceil(config.steps / filt.refresh_every)
    policy_dir, log_rows, tokens, elapsed = parent_dir, [], 0, 0.0
    for seg in range(n_segments):
        seg_dir = out_dir / f"seg-{seg:02d}"
        steps = min(filt.refresh_every, config.steps - seg * filt.refresh_every)
        kept_file = seg_dir / "kept.json"
        if kept_file.exists():
            screening = json.loads(kept_file.read_text())
            kept = [Problem.from_dict(d) for d in screening.pop("problems")]
        else:
            model, tokenizer = load_checkpoint(policy_dir)
            model.eval()
            # a fresh slice of the pool's split per segment
            cands, _ = fitting_problems(filt.pool, config.split, config.seed, filt.pool_size, tokenizer,
                                        config.max_prompt_tokens, start=seg * filt.pool_size * 4)
            t_screen = time.perf_counter()
            wins = screen(model, tokenizer, cands, filt.k, config.temperature, config.max_response_tokens,
                          stable_seed(config.seed, "edge-filter", seg), success_rule(filt, config))
            kept = [p for p, c in zip(cands, wins) if 0 < c < filt.k]
            screening = {"segment": seg, "candidates": len(cands), "kept": len(kept),
                         "solved_all": sum(c == filt.k for c in wins), "solved_none": sum(c == 0 for c in wins),
                         "kept_by_op": {str(op): sum(p.op == op for p in kept) for op in sorted({p.op for p in cands})},
                         "screen_s": round(time.perf_counter() - t_screen, 2)}
            if not kept:  # nothing at the edge: train on the candidates (their groups give no gradient; logged)
                kept = cands
            seg_dir.mkdir(parents=True, exist_ok=True)
            kept_file.write_text(json.dumps({**screening, "problems": [p.to_dict() for p in kept]}))
        need = steps * config.prompts_per_step
        prompts = [kept[i % len(kept)] for i in range(need)]  # cycle when fewer than the segment needs
        seg_config = dataclasses.replace(config, steps=steps, seed=stable_seed(config.seed, "segment", seg))
        left = None if deadline is None else max(0.1, (deadline - time.time()) / 60)
        seg_final = train_grpo(seg_config, seg_dir / "grpo", policy_dir, progress=progress, max_minutes=left,
                               problems=prompts, reference_dir=parent_dir)
        if seg_final.name != "final":
            return seg_dir
        offset = seg * filt.refresh_every
        log_rows.append({"screening": screening, "step": offset})
        rows = [json.loads(line) for line in (seg_dir / "grpo" / "log.jsonl").read_text().splitlines()]
        for row in rows:  # tokens and seconds run on across segments, screening included
            log_rows.append({**row, "step": row["step"] + offset, "segment": seg, "tokens": tokens + row["tokens"],
                             "elapsed_s": elapsed + screening["screen_s"] + row["elapsed_s"]})
        tokens, elapsed = log_rows[-1]["tokens"], log_rows[-1]["elapsed_s"]
        policy_dir = seg_final

    shutil.copytree(policy_dir, final_dir, dirs_exist_ok=True)
    (final_dir / "manifest.json").unlink(missing_ok=True)
    (out_dir / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log_rows))
    screens = [r["screening"] for r in log_rows if "screening" in r]
    grpo_rows = [r for r in log_rows if "screening" not in r]
    write_manifest(final_dir, make_manifest(
        "grpo-edge-filter", {"grpo": config, "filter": filt}, wall_time_s=time.time() - t0, stage="rl",
        parent_dir=portable_path(parent_dir), reference_dir=portable_path(parent_dir), steps=config.steps, segments=n_segments,
        screened=sum(s["candidates"] for s in screens), kept=sum(s["kept"] for s in screens),
        screen_samples=sum(s["candidates"] for s in screens) * filt.k,
        rollout_tokens=grpo_rows[-1]["tokens"] if grpo_rows else None))
    return final_dir
