"""Next-token pre-training and mid-training from scratch on problems streamed from the generator.

One loop serves both stages (paper.md section 4): pre-training starts from a fresh model, mid-training
is the same entry point started from a parent checkpoint with another mixture and its own lr
schedule (`midtrain_config`). Nothing is read from disk: problem i of the split is a pure function of
(mixture, seed, split, i), tokenised on the fly and packed as the paper does: documents
`[BOS] text [EOS]` concatenated and cut into `seq_len` blocks (documents cross block boundaries, no
cross-document masking).

Outputs under `out_dir`:
    log.jsonl                one line per logged step: step, tokens, loss, lr, grad_norm, tok_s, elapsed_s
    checkpoints/step_NNNNNNN/state.pt   model, optimizer, scheduler, RNG states, data position
    final/                   transformers checkpoint + tokenizer + manifest.json (written last)
Re-running `train_lm` with the same config and out_dir resumes exactly from the newest checkpoint
(bitwise on CPU); a finished run (final/manifest.json exists) returns at once.

The loss is computed by reasonlab.train.fast: `FastLoss` (the same math on the model's weights, compiled,
~1.6x the tokens/s of the plain transformers forward on 2 CPU cores: benchmarks/bench_train.py) unless the
switch is off (`fast=False`, `--plain`, or REASONLAB_FAST=0), which runs `PlainLoss` (model(input_ids).logits).

Several GPUs: the same entry point runs unchanged under accelerate or torchrun, e.g. the paper's base model:
    accelerate launch --multi_gpu --num_processes 8 --mixed_precision no --dynamo_backend no \
        -m reasonlab.train.lm --preset paper-100m --ops 2-10 --templates animals-zoo,teachers-school,movie-festival \
        --tokens 10_000_000_000 --seq-len 2048 --batch-size 256 --micro-batch-size 8 --dtype bf16 --out runs/pre
    torchrun --nproc_per_node 8 -m reasonlab.train.lm ...   (same flags)
(the trainer does its own autocast and compile: accelerate must add neither). On CPU (gloo, as the tests run
two processes) set ACCELERATE_USE_CPU=1, else accelerate sets up each worker as a lone process.
`batch_size` is global (sequences per optimizer step over all processes); each process packs its
own shard of the problem stream (problems rank, rank + world, ...), so a resume needs the same
number of processes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from accelerate import Accelerator
from tqdm.auto import tqdm

from ..generator import SPLITS, Component, GeneratorConfig, Mixture, problem_at
from ..model import count_params, get_preset, load_checkpoint, make_model, save_checkpoint
from ..provenance import artifact_key, make_manifest, portable_path, stable_seed, write_manifest
from ..tokenizer import load_tokenizer
from ..validation import check_choice, check_float, check_int, check_optional, check_str
from .fast import loss_module

LOSS_ON = ("all", "solution")
DTYPES = ("auto", "fp32", "bf16")
# Measured by benchmarks/bench_train.py on the 2-core dev CPU (avx512_bf16, no AMX): bf16 autocast trains
# the laptop presets ~2x faster than fp32 (smoke 1.5x), so "auto" means bf16 on such a CPU as on CUDA. A CPU
# without native bf16 (AVX2 only) emulates it: a 1024^2 matmul ran at 0.65 GFLOP/s in bf16 against 32 in fp32
# on a 2-core AVX2 EPYC (lab notes, session 14), a mid-training step 20x slower; "auto" is fp32 there.


@dataclass(frozen=True)
class LMTrainConfig:
    """Everything that defines a language-model training run (its artifact identity)."""

    mixture: Mixture  # what problems the stream draws (op ranges, templates, generator knobs)
    total_tokens: int  # training budget in tokens (paper: 10B pre-training)
    preset: str = "smoke"  # model preset (reasonlab.model.PRESETS); ignored shape-wise for a parent
    seq_len: int = 512  # block length (paper: 2048)
    batch_size: int = 16  # sequences per optimizer step, all processes (paper: 256 x 2048 = 512K tokens)
    micro_batch_size: int = 0  # sequences per forward per process; 0 = the whole local batch
    lr: float = 2e-4  # peak lr; paper.md section 4 pre-training (mid-training 1e-4)
    min_lr: float = 3e-5  # cosine floor; paper.md section 4
    warmup_frac: float = 0.05  # linear warmup share of steps; paper.md section 4 (mid-training 0.15)
    weight_decay: float = 0.1  # AdamW, on matrices only; paper.md section 4
    beta1: float = 0.9  # AdamW betas: the usual LM values (the paper does not state them)
    beta2: float = 0.95
    grad_clip: float = 1.0  # global grad-norm clip
    loss_on: str = "all"  # "all" tokens (paper) or "solution": question tokens masked (laptop knob)
    split: str = "pretrain"  # generator split the stream draws from ("midtrain" for mid-training)
    seed: int = 0  # model init and data stream
    ckpt_every: int = 0  # steps between checkpoints; 0 = only at interruption
    log_every: int = 1  # steps between log lines
    dtype: str = "auto"  # "fp32", "bf16" (autocast, fp32 master weights) or "auto" (faster on this device)
    tokenizer: str | None = None  # tokenizer directory; None = the committed data/tokenizer

    def __post_init__(self):
        if not isinstance(self.mixture, Mixture):
            raise ValueError(f"mixture must be a reasonlab.generator.Mixture, got {type(self.mixture).__name__}")
        get_preset(self.preset)  # ValueError listing the allowed presets
        check_choice("loss_on", self.loss_on, LOSS_ON)
        check_choice("dtype", self.dtype, DTYPES)
        check_choice("split", self.split, SPLITS)
        ctx = get_preset(self.preset).max_positions
        check_int("seq_len", self.seq_len, 8, ctx, allowed=f"an integer in 8..{ctx} (the preset's context)")
        check_int("batch_size", self.batch_size, lo=1)
        check_int("micro_batch_size", self.micro_batch_size, lo=0, allowed="an integer >= 0 (0 = the whole local "
                                                                           "batch; not a bool)")
        if self.micro_batch_size and self.batch_size % self.micro_batch_size:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of micro_batch_size "
                             f"({self.micro_batch_size})")
        check_int("total_tokens", self.total_tokens, lo=self.tokens_per_step,
                  allowed=f"an integer >= one step (batch_size * seq_len = {self.tokens_per_step}; not a bool)")
        check_float("lr", self.lr, 0, 0.1, lo_open=True)
        check_float("min_lr", self.min_lr, 0, self.lr, lo_open=True, allowed="a finite number in (0, lr]")
        check_float("warmup_frac", self.warmup_frac, 0, 1, hi_open=True)
        check_float("weight_decay", self.weight_decay, 0, 1, hi_open=True)
        check_float("beta1", self.beta1, 0, 1, hi_open=True)
        check_float("beta2", self.beta2, 0, 1, hi_open=True)
        check_float("grad_clip", self.grad_clip, lo=0, lo_open=True)
        check_int("seed", self.seed)
        check_int("ckpt_every", self.ckpt_every, lo=0, allowed="an integer >= 0 (0 = only at interruption; "
                                                               "not a bool)")
        check_int("log_every", self.log_every, lo=1)
        if not isinstance(self.tokenizer, os.PathLike):  # a Path is fine: config_hash stores it as its string
            check_optional("tokenizer", self.tokenizer, check_str, allowed="a tokenizer directory (a path)")

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.seq_len

    @property
    def total_steps(self) -> int:
        return self.total_tokens // self.tokens_per_step

    @property
    def warmup_steps(self) -> int:
        return int(self.warmup_frac * self.total_steps)


def midtrain_config(mixture: Mixture, total_tokens: int, **kwargs) -> LMTrainConfig:
    """Mid-training defaults: lr 1e-4, warmup 15%, cosine to 3e-5, the midtrain split (paper.md section 4)."""
    kwargs = {"lr": 1e-4, "warmup_frac": 0.15, "min_lr": 3e-5, "split": "midtrain", **kwargs}
    return LMTrainConfig(mixture=mixture, total_tokens=total_tokens, **kwargs)


# --- data -----------------------------------------------------------------------------------------


class PackedStream:
    """Documents `[BOS] text [EOS]` from the generator, packed into fixed-length blocks.

    Its whole state is (next problem index, unconsumed tokens), so a checkpoint can store it and a
    resumed run continues with exactly the same blocks.
    """

    CHUNK = 32  # problems tokenised per call (one batched tokenizer call is much faster than 32)

    def __init__(self, mixture: Mixture, split: str, seed: int, tokenizer, seq_len: int, loss_on: str = "all",
                 rank: int = 0, world: int = 1):
        self.mixture, self.split, self.seed, self.tok = mixture, split, seed, tokenizer
        self.seq_len, self.loss_on, self.rank, self.world = seq_len, loss_on, rank, world
        self.next_index = rank  # this process reads problems rank, rank + world, ...
        self.ids: list[int] = []
        self.mask: list[int] = []  # 1 where the token is a training target

    def _refill(self) -> None:
        probs = []
        for _ in range(self.CHUNK):
            probs.append(problem_at(self.mixture, self.split, self.next_index, self.seed))
            self.next_index += self.world
        # Prompt and completion tokenised apart (the <solution> tag is atomic, so this equals tokenising
        # the whole text) to know where the solution starts.
        enc = self.tok([p.prompt for p in probs] + [p.completion for p in probs], add_special_tokens=False)["input_ids"]
        bos, eos, solution_only = self.tok.bos_token_id, self.tok.eos_token_id, self.loss_on == "solution"
        for q, c in zip(enc[: len(probs)], enc[len(probs):]):
            self.ids += [bos, *q, *c, eos]
            self.mask += [int(not solution_only)] * (1 + len(q)) + [1] * (len(c) + 1)

    def next_block(self) -> tuple[list[int], list[int]]:
        """(input ids, labels with -100 where masked) of one block."""
        while len(self.ids) < self.seq_len:
            self._refill()
        ids, mask = self.ids[: self.seq_len], self.mask[: self.seq_len]
        del self.ids[: self.seq_len], self.mask[: self.seq_len]
        return ids, [t if m else -100 for t, m in zip(ids, mask)]

    def next_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        blocks = [self.next_block() for _ in range(n)]
        return torch.tensor([b[0] for b in blocks]), torch.tensor([b[1] for b in blocks])

    def state_dict(self) -> dict:
        return {"next_index": self.next_index, "ids": list(self.ids), "mask": list(self.mask),
                "rank": self.rank, "world": self.world}

    def load_state_dict(self, state: dict) -> None:
        if (state["rank"], state["world"]) != (self.rank, self.world):
            raise ValueError(f"checkpoint data state is for rank {state['rank']} of {state['world']}, "
                             f"this is rank {self.rank} of {self.world}: resume with the same number of processes")
        self.next_index, self.ids, self.mask = state["next_index"], list(state["ids"]), list(state["mask"])


def trained_problems(config: "LMTrainConfig") -> list:
    """The problems a single-process run of `config` drew, in order: its stream replayed for the run's steps
    (the last chunk of CHUNK problems may be only partly trained on). What Fig 5 compares solutions against."""
    seed = stable_seed(config.seed, "data")
    stream = PackedStream(config.mixture, config.split, seed, load_tokenizer(config.tokenizer), config.seq_len,
                          config.loss_on)
    for _ in range(config.total_steps * config.batch_size):
        while len(stream.ids) < stream.seq_len:
            stream._refill()
        del stream.ids[: stream.seq_len], stream.mask[: stream.seq_len]
    return [problem_at(config.mixture, config.split, i, seed) for i in range(stream.next_index)]


# --- optimisation ---------------------------------------------------------------------------------


def make_optimizer(model, config: LMTrainConfig, fused: bool = False) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices (incl. the tied embedding), not on norms or biases (nanoGPT)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=fused)


def lr_factor(step: int, config: LMTrainConfig) -> float:
    """lr multiplier at `step` (0-based): linear warmup to 1, then cosine down to min_lr / lr at the last step."""
    warm, total = config.warmup_steps, max(config.total_steps, 1)
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - 1 - warm))  # floor reached at the last step
    floor = config.min_lr / config.lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def resolve_dtype(config: LMTrainConfig, device: torch.device) -> str:
    """The arithmetic of a run: its config's, or for "auto" the faster on this device (bf16 where the hardware has
    it). Not part of the run's identity, like `fast`: the manifest records which one trained it."""
    if config.dtype != "auto":
        return config.dtype
    if device.type == "cuda":
        return "bf16"
    return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def trim_log(log_path: Path, step: int) -> None:
    """Keep the JSONL log's lines up to `step` (a resumed run logs the rest again); a partial line, as a kill
    mid-write leaves, is dropped too."""
    kept = []
    for line in log_path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("step"), int) and rec["step"] <= step:
            kept.append(line)
    log_path.write_text("".join(ln + "\n" for ln in kept))


def check_finite_weights(model, where: str) -> None:
    """Refuse to save weights that are not all finite: a NaN checkpoint would be cached and trained on downstream.

    Guards the known bug of the lab notes (2026-12-06): on a CPU with native bf16, the compiled fast path has left
    NaN weights after a run whose every logged loss was finite."""
    bad = [name for name, p in model.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        shown = ", ".join(bad[:3]) + (", ..." if len(bad) > 3 else "")
        raise FloatingPointError(f"{where}: {len(bad)} weight tensors are not finite ({shown}); nothing was saved. "
                                 "Rerun with dtype='fp32' or the plain path (fast=False, REASONLAB_FAST=0).")


def _load_latest_checkpoint(ckpt_root: Path) -> tuple[Path, dict] | tuple[None, None]:
    """(path, state) of the newest checkpoint that loads; an unreadable one (a truncated file: a kill or a full
    disk mid-write) is skipped with a warning, falling back to the one before it."""
    for path in sorted((p for p in ckpt_root.glob("step_*") if (p / "state.pt").exists()), reverse=True):
        try:
            return path, torch.load(path / "state.pt", map_location="cpu", weights_only=False)
        except Exception as e:  # noqa: BLE001 - any unreadable file: fall back, say which and why
            warnings.warn(f"checkpoint {path / 'state.pt'} is unreadable ({type(e).__name__}: {e}); "
                          f"falling back to the previous one")
    return None, None


def _initial_model(config: LMTrainConfig, parent_dir: Path | None):
    """(model, tokenizer, parent keys) a run starts from: a fresh model, or the parent's (mid-training)."""
    if parent_dir is None:
        tokenizer = load_tokenizer(config.tokenizer)
        return make_model(config.preset, tokenizer, seed=stable_seed(config.seed, "init")), tokenizer, ()
    model, tokenizer = load_checkpoint(parent_dir)
    p = get_preset(config.preset)
    if (model.config.hidden_size, model.config.num_hidden_layers) != (p.hidden, p.layers):
        raise ValueError(f"parent {parent_dir} is not preset {config.preset!r}: hidden "
                         f"{model.config.hidden_size}, layers {model.config.num_hidden_layers}")
    parents: tuple[str, ...] = ()
    if (parent_dir / "manifest.json").exists():
        parents = (json.loads((parent_dir / "manifest.json").read_text())["config_hash"],)
    return model, tokenizer, parents


# --- the loop -------------------------------------------------------------------------------------


def train_lm(config: LMTrainConfig, out_dir: Path | str, parent_dir: Path | str | None = None,
             max_minutes: float | None = None, stop_at_step: int | None = None, progress: bool = True,
             keep_checkpoints: int = 2, fast: bool | None = None) -> Path:
    """Train (or resume, or return a finished run). Returns out_dir/final, or the checkpoint it stopped at.

    parent_dir: a finished checkpoint (a `final/` dir) to start from: mid-training. Its tokenizer is used.
    max_minutes / stop_at_step: stop early with a checkpoint; calling again resumes exactly.
    fast: the compiled loss of reasonlab.train.fast (None = the REASONLAB_FAST switch, default on). It computes
    the same loss within bf16 tolerance, so it is not part of the run's identity: a run may resume either way.
    """
    out_dir = Path(out_dir)
    final_dir, ckpt_root, log_path = out_dir / "final", out_dir / "checkpoints", out_dir / "log.jsonl"
    if (final_dir / "manifest.json").exists():
        return final_dir
    t_start = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator()  # mixed precision by explicit autocast below (one code path, CPU and GPU)
    device, rank, world = accelerator.device, accelerator.process_index, accelerator.num_processes
    if world == 1 and int(os.environ.get("WORLD_SIZE", "1")) > 1:  # torchrun on CPU: accelerate stays single
        raise RuntimeError(f"launched as {os.environ['WORLD_SIZE']} processes, but accelerate set up one (no GPU): "
                           "each would train alone into the same out_dir. On CPU set ACCELERATE_USE_CPU=1.")
    if config.batch_size % world:
        raise ValueError(f"batch_size ({config.batch_size}) must be divisible by the {world} processes")
    local_batch = config.batch_size // world
    micro = config.micro_batch_size or local_batch
    if local_batch % micro:
        raise ValueError(f"per-process batch {local_batch} must be a multiple of micro_batch_size {micro}")
    dtype = resolve_dtype(config, device)
    parent_dir = None if parent_dir is None else Path(parent_dir)
    model, tokenizer, parents = _initial_model(config, parent_dir)
    key = artifact_key(config, *parents)

    model.to(device)
    optimizer = make_optimizer(model, config, fused=device.type == "cuda")
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, config))
    stream = PackedStream(config.mixture, config.split, stable_seed(config.seed, "data"), tokenizer,
                          config.seq_len, config.loss_on, rank, world)

    # Resume from the newest checkpoint of this run, if any.
    step, tokens_seen, train_seconds = 0, 0, 0.0
    earlier_wall_s = 0.0  # wall time of the earlier sessions of a resumed run, up to its checkpoint
    torch.manual_seed(stable_seed(config.seed, "train", rank))
    latest, state = _load_latest_checkpoint(ckpt_root)
    if latest is None and accelerator.is_main_process and log_path.exists():
        log_path.unlink()  # a run killed before its first checkpoint starts over: its log lines would repeat
    if latest is not None:
        if state["config_hash"] != key:
            raise ValueError(f"{out_dir} holds a run of another config ({state['config_hash']} != {key}); "
                             f"use a fresh out_dir")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        stream.load_state_dict(state["data"][rank])
        _set_rng_state(state["rng"][rank])
        step, tokens_seen, train_seconds = state["step"], state["tokens"], state["train_seconds"]
        earlier_wall_s = state.get("wall_seconds", train_seconds)  # older checkpoints kept the training time only
        # A run keeps the arithmetic it started in, so a run resumed on another kind of CPU (one session on an AVX2
        # machine, the next on one with native bf16) is one run in one dtype; older checkpoints did not record it.
        if config.dtype == "auto":
            dtype = state.get("dtype", dtype)
        if accelerator.is_main_process and log_path.exists():  # drop lines logged after that checkpoint
            trim_log(log_path, step)
    # The loss module wraps the transformers model (same parameters); DDP wraps the loss module, so gradient
    # sync sees the forward that actually runs. `model` stays the transformers model, for checkpoints.
    net = loss_module(model, config.seq_len, device, fast, steps=config.total_steps)  # same choice on a resume
    net, optimizer = accelerator.prepare(net, optimizer)

    def save_state() -> Path:
        data_states = _gather_objects(accelerator, stream.state_dict())
        rng_states = _gather_objects(accelerator, _rng_state())
        path = ckpt_root / f"step_{step:07d}"
        check_finite_weights(model, f"checkpoint at step {step}")
        if accelerator.is_main_process:
            tmp = ckpt_root / f".tmp_step_{step:07d}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "data": data_states, "rng": rng_states,
                        "step": step, "tokens": tokens_seen, "train_seconds": train_seconds,
                        "wall_seconds": earlier_wall_s + time.time() - t_start,
                        "config_hash": key, "config": config, "dtype": dtype}, tmp / "state.pt")
            shutil.rmtree(path, ignore_errors=True)
            tmp.rename(path)  # a step_* dir with state.pt is complete
            for old in sorted(ckpt_root.glob("step_*"))[:-keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        accelerator.wait_for_everyone()
        return path

    autocast = (torch.autocast(device_type=device.type, dtype=torch.bfloat16) if dtype == "bf16" else nullcontext())
    n_micro = local_batch // micro
    total = config.total_steps
    bar = tqdm(total=total, initial=step, disable=not (progress and accelerator.is_local_main_process),
               desc=f"lm {config.preset} {config.mixture.name}", unit="step")
    log_file = open(log_path, "a") if accelerator.is_main_process else None
    net.train()
    t_session = time.time()
    while step < total:
        if stop_at_step is not None and step >= stop_at_step:
            break
        t0 = time.time()
        x, y = stream.next_batch(local_batch)
        x, y = x.to(device), y[:, 1:].to(device)  # targets: the next token
        n_local = (y != -100).sum()
        n_global = accelerator.reduce(n_local.clone().float(), "sum").clamp(min=1)
        loss_sum = torch.zeros((), device=device)
        for i in range(n_micro):
            xs, ys = x[i * micro:(i + 1) * micro], y[i * micro:(i + 1) * micro]
            sync = accelerator.no_sync(net) if i < n_micro - 1 else nullcontext()
            with sync, autocast:
                loss = net(xs, ys)  # summed cross-entropy of the micro-batch's targets
            # Sum over this batch's targets / all targets, x world because DDP averages gradients.
            accelerator.backward(loss * world / n_global)
            loss_sum += loss.detach()
        grad_norm = accelerator.clip_grad_norm_(net.parameters(), config.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens_seen += config.tokens_per_step
        dt = time.time() - t0
        train_seconds += dt
        if step % config.log_every == 0 or step == total:
            loss_val = (accelerator.reduce(loss_sum, "sum") / n_global).item()
            rec = {"step": step, "tokens": tokens_seen, "loss": round(loss_val, 6),
                   "lr": scheduler.get_last_lr()[0], "grad_norm": round(float(grad_norm), 5),
                   "tok_s": round(config.tokens_per_step / dt, 1), "elapsed_s": round(train_seconds, 3)}
            if log_file:
                log_file.write(json.dumps(rec) + "\n")
                log_file.flush()
            bar.set_postfix(loss=f"{loss_val:.4f}", lr=f"{rec['lr']:.2e}", tok_s=f"{rec['tok_s']:.0f}")
        bar.update(1)
        if config.ckpt_every and step % config.ckpt_every == 0 and step < total:
            save_state()
        out_of_time = max_minutes is not None and time.time() - t_session > 60 * max_minutes
        if accelerator.reduce(torch.tensor(float(out_of_time), device=device), "sum").item() > 0:
            break
    bar.close()
    if log_file:
        log_file.close()
    if step < total:  # interrupted: leave a checkpoint to resume from
        return save_state()

    # Finished: transformers checkpoint + tokenizer, then the manifest (last: marks completion).
    check_finite_weights(model, f"final weights at step {step}")
    if accelerator.is_main_process:
        save_checkpoint(model, tokenizer, final_dir)
        last = json.loads(log_path.read_text().splitlines()[-1]) if log_path.exists() else {}
        manifest = make_manifest(
            "lm", config, parents=parents, wall_time_s=earlier_wall_s + time.time() - t_start,
            stage="midtrain" if parent_dir is not None else "pretrain",
            parent_dir=portable_path(parent_dir),
            steps=step, tokens=tokens_seen, train_seconds=train_seconds, final_loss=last.get("loss"),
            dtype=dtype, processes=world, loss_path=type(accelerator.unwrap_model(net)).__name__,
            non_embedding_params=count_params(model), params=count_params(model, non_embedding=False),
            vocab_size=len(tokenizer),
        )
        write_manifest(final_dir, manifest)
    accelerator.wait_for_everyone()
    return final_dir


# --- a run's checkpoints as artifacts of their own ------------------------------------------------
# Arms that split one budget take the weights of one run at several steps (the official S5 / A.10, paper.md section
# 9): the run stops at each step (stop_at_step), its resumable state there is saved as a finished checkpoint, and
# the run goes on; a step the run has already passed is replayed in a fork, never by rolling the run itself back.


def saved_steps(out_dir: Path | str) -> dict[int, Path]:
    """{step: dir} of the complete resumable checkpoints (checkpoints/step_N/state.pt) a run in out_dir holds."""
    root = Path(out_dir) / "checkpoints"
    return {int(p.name.removeprefix("step_")): p for p in sorted(root.glob("step_*")) if (p / "state.pt").exists()}


def checkpoint_identity(step: int) -> dict:
    """What a checkpoint of a run is, beside its parent (the run's key): the step. Hashed with the run's key, the
    checkpoint's artifact key."""
    return {"checkpoint_step": step}


def _wall_seconds(state_dir: Path) -> float:
    """The wall seconds a run had taken when it saved the state in state_dir (read lazily: no weights loaded)."""
    state = torch.load(state_dir / "state.pt", map_location="cpu", weights_only=False, mmap=True)
    return float(state.get("wall_seconds", state["train_seconds"]))


def fork_run(out_dir: Path | str, step: int, fork_dir: Path | str) -> tuple[int, float]:
    """Make fork_dir a run that train_lm resumes from the latest checkpoint at or before `step` of the run in out_dir
    (with none, a fresh start), or keep an interrupted fork of it that is still on its way to `step`. Returns (the
    run's step the fork started from, the wall seconds the run had taken to reach it): (0, 0.0) from the start; the
    fork's own work beyond that is not the run's. The run in out_dir is left as it is."""
    fork_dir, origin = Path(fork_dir), Path(fork_dir) / "forked_from.json"
    run = {k: d for k, d in saved_steps(out_dir).items() if k <= step}
    start = max(run, default=0)
    own = saved_steps(fork_dir)
    try:
        began = json.loads(origin.read_text())
        resumable = began["step"] == start and own and max(own) <= step
    except (OSError, ValueError, KeyError, TypeError):
        resumable = False
    if resumable:  # an interrupted fork from the same step of the run: go on with it
        return began["step"], began["wall_seconds"]
    shutil.rmtree(fork_dir, ignore_errors=True)
    wall = _wall_seconds(run[start]) if start else 0.0
    if start:
        shutil.copytree(run[start], fork_dir / "checkpoints" / run[start].name)
    fork_dir.mkdir(parents=True, exist_ok=True)
    origin.write_text(json.dumps({"step": start, "wall_seconds": wall}))
    return start, wall


def save_step_checkpoint(state_dir: Path | str, final_dir: Path | str, run_dir: Path | str,
                         parent_dir: Path | str | None = None, shared_wall_s: float | None = None) -> Path:
    """The weights of a resumable state of train_lm (a checkpoints/step_N dir of the run in run_dir, or of a fork of
    it) as a finished checkpoint in final_dir, an artifact of its own: transformers weights and tokenizer, then its
    manifest (written last), keyed by checkpoint_identity(N) with the run's key as its parent, recording the run
    (key, dir, config, wall time up to the step) and the step's tokens.

    Its wall_time_s is its own work, counted once beside the run's: the export, plus the part of the state's history
    that the run itself did not do (a replay in a fork), i.e. all of it beyond `shared_wall_s`, the wall seconds of
    the run's history the state shares (None: a state the run itself wrote, all shared)."""
    t0 = time.time()
    state_dir, final_dir = Path(state_dir), Path(final_dir)
    parent_dir = None if parent_dir is None else Path(parent_dir)
    state = torch.load(state_dir / "state.pt", map_location="cpu", weights_only=False)
    config = state["config"]
    model, tokenizer, parents = _initial_model(config, parent_dir)
    if artifact_key(config, *parents) != state["config_hash"]:
        raise ValueError(f"{state_dir} is a state of run {state['config_hash']}, not of its config from parent "
                         f"{parent_dir} ({artifact_key(config, *parents)})")
    model.load_state_dict(state["model"])
    save_checkpoint(model, tokenizer, final_dir)
    history = float(state.get("wall_seconds", state["train_seconds"]))
    shared = history if shared_wall_s is None else min(float(shared_wall_s), history)
    manifest = make_manifest(
        "lm-checkpoint", checkpoint_identity(state["step"]), parents=(state["config_hash"],),
        wall_time_s=history - shared + time.time() - t0,
        stage="midtrain-checkpoint" if parent_dir is not None else "pretrain-checkpoint",
        run_key=state["config_hash"], run_dir=portable_path(run_dir), run_config=config,
        parent_dir=portable_path(parent_dir), step=state["step"], tokens=state["tokens"], run_steps=config.total_steps,
        run_wall_time_s=round(shared, 3), run_train_seconds=state["train_seconds"],
        non_embedding_params=count_params(model), params=count_params(model, non_embedding=False),
        vocab_size=len(tokenizer),
    )
    write_manifest(final_dir, manifest)
    return final_dir


def _gather_objects(accelerator, obj) -> list:
    """One picklable object per process, in rank order (a one-element list on a single process)."""
    if accelerator.num_processes == 1:
        return [obj]

    out = [None] * accelerator.num_processes
    dist.all_gather_object(out, obj)
    return out


# --- a quick probe metric -------------------------------------------------------------------------


@torch.no_grad()
def greedy_exact_match(model, tokenizer, problems, batch_size: int = 16) -> list[bool]:
    """Greedy decode each prompt; True where the output reproduces the gold completion exactly.

    A cheap calibration probe, not the paper's metric (that is reasonlab.verify on samples).
    """
    model.eval()
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    out = []
    try:
        for i in range(0, len(problems), batch_size):
            batch = problems[i:i + batch_size]
            enc = tokenizer([p.prompt for p in batch], return_tensors="pt", padding=True)
            gold = [tokenizer(p.completion, add_special_tokens=False)["input_ids"] for p in batch]
            gen = model.generate(**enc.to(model.device), do_sample=False, max_new_tokens=max(map(len, gold)) + 2,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
            for p, row in zip(batch, gen[:, enc["input_ids"].shape[1]:]):
                text = tokenizer.decode(row, skip_special_tokens=True)
                out.append(text.startswith(p.completion))
    finally:
        tokenizer.padding_side = side
    return out


# --- command line ---------------------------------------------------------------------------------


def _parse_ops(s: str) -> tuple[int, int]:
    lo, _, hi = s.partition("-")
    return int(lo), int(hi or lo)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Pre-/mid-train a language model on generated problems.")
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--ops", default="2-10", help="op range, e.g. 2-10")
    ap.add_argument("--templates", default="animals-zoo", help="comma-separated, equal weights")
    ap.add_argument("--op-tilt", type=float, default=0.0)
    ap.add_argument("--tokens", type=lambda s: int(float(s.replace("_", ""))), required=True)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--micro-batch-size", type=int, default=0)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup-frac", type=float, default=None)
    ap.add_argument("--loss-on", default="all", choices=LOSS_ON)
    ap.add_argument("--dtype", default="auto", choices=DTYPES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ckpt-every", type=int, default=0)
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--generator", default="{}", help='GeneratorConfig fields as JSON, e.g. {"copy_steps": false}')
    ap.add_argument("--parent", default=None, help="parent checkpoint dir: mid-training (lr 1e-4, warmup 15%%)")
    ap.add_argument("--max-minutes", type=float, default=None)
    ap.add_argument("--plain", action="store_true", help="plain transformers forward (REASONLAB_FAST=0 does the same)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    lo, hi = _parse_ops(a.ops)
    gcfg = GeneratorConfig(**json.loads(a.generator))
    mix = Mixture(tuple(Component(t, lo, hi, 1.0, a.op_tilt) for t in a.templates.split(",")), gcfg)
    kw = dict(preset=a.preset, seq_len=a.seq_len, batch_size=a.batch_size, micro_batch_size=a.micro_batch_size,
              loss_on=a.loss_on, dtype=a.dtype, seed=a.seed, ckpt_every=a.ckpt_every, tokenizer=a.tokenizer)
    kw.update({k: v for k, v in (("lr", a.lr), ("warmup_frac", a.warmup_frac)) if v is not None})
    cfg = midtrain_config(mix, a.tokens, **kw) if a.parent else LMTrainConfig(mixture=mix, total_tokens=a.tokens, **kw)
    print(train_lm(cfg, a.out, parent_dir=a.parent, max_minutes=a.max_minutes, fast=False if a.plain else None))


if __name__ == "__main__":
    main()
