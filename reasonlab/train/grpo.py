"""GRPO post-training on TRL's `GRPOTrainer`, configured as the paper (paper.md section 4).

A policy starts from a parent checkpoint (a `final/` dir); the KL reference is a frozen copy of that same
checkpoint. Prompts come from the generator's "rl" split: problem i is a pure function of (mixture, seed, i),
exactly what `python -m reasonlab generate --recipe R --stage rl --seed S` writes. Each rollout is scored by
the process verifier (reasonlab.verify): outcome, process, mix `a*R_out + (1-a)*R_pv`, or strict.

The paper's settings (paper.md section 4 unless noted) and the TRL 1.16 `GRPOConfig` field each maps to:

| paper                                 | GRPORunConfig       | TRL GRPOConfig                                         |
|---------------------------------------|---------------------|--------------------------------------------------------|
| reward (section 6)                    | reward (a Reward)   | reward_funcs = [its verifier-backed function]          |
| r = 6 rollouts per prompt (section 6) | rollouts            | num_generations                                        |
| batch 1,024 prompts per step          | prompts_per_step    | generation_batch_size = prompts_per_step * r           |
| PPO mini-batch 256 prompts            | minibatch_prompts   | per_device_train_batch_size * grad_accum_steps         |
|                                       | micro_batch_rows    | = minibatch_prompts * r; steps_per_generation =        |
|                                       |                     | prompts_per_step * r / per_device_train_batch_size     |
| one pass over each rollout batch      | (fixed)             | num_iterations = 1                                     |
| group-normalised advantages           | (fixed)             | scale_rewards = "group": (R - mean_g) / (std_g+1e-4)   |
| clip 0.2                              | clip_eps            | epsilon (epsilon_high = epsilon, delta = None)         |
| token-mean loss aggregation           | (fixed)             | loss_type = "dapo": sum over the mini-batch's tokens / |
|                                       |                     | its token count (TRL's name for verl's token-mean)     |
| KL to a frozen reference, coef 1e-3   | kl_coef             | beta = kl_coef (TRL default 0 drops the reference)    |
| low-variance KL estimator (k3)        | (fixed)             | TRL's only one: exp(ref - logp) - (ref - logp) - 1     |
| no entropy bonus                      | (fixed)             | entropy_coef = 0, use_adaptive_entropy = False         |
| rollout temperature 1.0, top-p 1.0    | temperature, top_p  | temperature, top_p, top_k = 0                          |
| actor lr 1e-6                         | lr                  | learning_rate; lr_scheduler_type "constant", no warmup |
| max response 1024 tokens              | max_response_tokens | max_completion_length                                  |
| max prompt 1024 tokens                | max_prompt_tokens   | (none in TRL 1.16): longer prompts are skipped when    |
|                                       |                     | the dataset is built                                   |
| (not stated) grad clip                | grad_clip           | max_grad_norm (1.0, verl's default)                    |
| (not stated) truncated rollouts       | (fixed)             | mask_truncated_completions = False (as verl)           |
| reference never updated               | (fixed)             | sync_ref_model = False                                 |

One GRPO step = one rollout batch of prompts_per_step x r completions, split into prompts_per_step /
minibatch_prompts optimizer steps (TRL's `global_step` counts optimizer steps). With more than one
mini-batch, TRL recomputes the rollout-time log-probs for the PPO ratio (old_per_token_logps).

Fast path (`fast`, default on; REASONLAB_FAST=0 turns it off): the trainer overrides TRL's log-prob passes
(`_get_per_token_logps_and_entropies`): the old-policy log-probs are the sampler's own (the policy has not moved
since it sampled), and the reference and policy passes run on the unpadded rows (reasonlab.sampling.teacher_forced)
instead of TRL's left- and right-padded rectangle. Same numbers within float tolerance (REASONLAB_FAST_CHECK=1
logs the largest gap to TRL's own); 1.7x a step at the laptop scale (benchmarks/bench_grpo.py).

Rollouts: `generation="reasonlab"` (default) plugs reasonlab.sampling.sample (KV cache stored once per
prompt, finished rows dropped) in through TRL's `rollout_func` extension point, the supported hook for custom
generation in 1.16: it receives the generation batch's prompts (each repeated r times by TRL's RepeatSampler)
and returns prompt ids, completion ids and sampling log-probs; TRL does the rest (reference and policy
log-probs, rewards, advantages, loss). `generation="trl"` keeps TRL's own `model.generate` path (for
benchmarks/bench_grpo.py). Both stop at `</answer>` or [EOS] (reasonlab.evaluate.stop_token_ids).

Outputs under `out_dir`:
    log.jsonl       one line per GRPO step: reward mean/std, within-group spread, share of zero-variance groups,
                    KL, entropy, clip ratio, loss, rollout tokens, cumulative T_RL (paper.md section 6), times
    trainer/        TRL/transformers checkpoints (checkpoint-N, N = optimizer steps) for resuming
    final/          transformers checkpoint + tokenizer + manifest.json (written last)
Re-running `train_grpo` with the same config and out_dir resumes from the newest checkpoint; a finished run
(final/manifest.json exists) returns at once.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..budget import rl_token_equivalent
from ..evaluate import stop_token_ids
from ..generator import SPLITS, Mixture, Problem, problem_at
from ..model import count_params, load_checkpoint, save_checkpoint
from ..provenance import (artifact_key, config_fields, config_hash, make_manifest, portable_path, stable_seed,
                          write_manifest)
from ..validation import check_choice, check_float, check_instance, check_int, check_temperature
from ..verify import RULES, Reward, completion_text, verify

# torch, transformers, TRL, datasets and the torch-bound reasonlab modules (sampling, train.fast, train.lm) load in
# the functions that train: recipes and the runner import GRPORunConfig to key stages, in seconds less without them.

GENERATIONS = ("reasonlab", "trl")
DTYPES = ("fp32", "bf16")


@dataclass(frozen=True)
class GRPORunConfig:
    """Everything that defines a GRPO run (its artifact identity, with the parent's key)."""

    mixture: Mixture  # prompts: the generator's "rl" split of this mixture
    reward: Reward = Reward("strict")  # how rollouts are scored (paper.md S6; "random" is a control)
    steps: int = 195  # GRPO steps (rollout batches); 200K prompts, 1 epoch, 1024 a step (official code, paper.md 9)
    prompts_per_step: int = 1024  # prompts per GRPO step (paper.md section 4)
    rollouts: int = 6  # r: completions per prompt (paper.md section 6)
    lr: float = 1e-6  # actor learning rate, constant (paper.md section 4)
    kl_coef: float = 1e-3  # coefficient of the low-variance KL to the frozen reference (paper.md section 4); 0 = none
    clip_eps: float = 0.2  # PPO ratio clip (paper.md issue text; GRPO/verl default)
    temperature: float = 1.0  # rollout sampling temperature (paper.md section 4)
    top_p: float = 1.0  # rollout nucleus (paper.md section 4)
    max_prompt_tokens: int = 1024  # longer prompts are skipped (paper.md section 4)
    max_response_tokens: int = 1024  # rollout length limit (paper.md section 4)
    minibatch_prompts: int = 256  # PPO mini-batch in prompts (paper.md section 4); prompts_per_step / it updates a step
    micro_batch_rows: int = 0  # completions per forward/backward; 0 = a whole mini-batch (minibatch_prompts * r)
    grad_clip: float = 1.0  # global grad-norm clip (verl's default; the paper does not state one)
    weight_decay: float = 0.0  # AdamW weight decay of the actor (the paper does not state one)
    generation: str = "reasonlab"  # rollout backend: "reasonlab" (our KV-cache sampler) or "trl" (model.generate)
    dtype: str = "fp32"  # "fp32" or "bf16" (autocast for the policy/reference forwards; rollouts stay fp32)
    split: str = "rl"  # generator split the prompts come from
    seed: int = 0  # prompt set (make_dataset seed) and rollout sampling
    ckpt_every: int = 0  # GRPO steps between resumable checkpoints; 0 = only when stopped by max_minutes

    def __post_init__(self):
        if not isinstance(self.mixture, Mixture):
            raise ValueError(f"mixture must be a reasonlab.generator.Mixture, got {type(self.mixture).__name__}")
        check_instance("reward", self.reward, Reward,  # a Reward checks itself
                       allowed='a reasonlab.verify.Reward, e.g. Reward("strict") or Reward("mix", 0.2)')
        for k in ("steps", "prompts_per_step", "max_prompt_tokens", "max_response_tokens", "minibatch_prompts"):
            check_int(k, getattr(self, k), lo=1, allowed="a positive integer (not a bool)")
        check_int("rollouts", self.rollouts, lo=2, allowed="an integer >= 2 (GRPO's group baseline; not a bool)")
        if self.prompts_per_step % self.minibatch_prompts:
            raise ValueError(f"minibatch_prompts ({self.minibatch_prompts}) must divide prompts_per_step "
                             f"({self.prompts_per_step})")
        check_int("micro_batch_rows", self.micro_batch_rows, lo=0,
                  allowed=f"0 or divide minibatch_prompts * rollouts ({self.minibatch_rows}): an integer, not a bool")
        if self.micro_batch_rows and self.minibatch_rows % self.micro_batch_rows:
            raise ValueError(f"micro_batch_rows must be 0 or divide minibatch_prompts * rollouts "
                             f"({self.minibatch_rows}), got {self.micro_batch_rows}")
        check_float("lr", self.lr, 0, 0.1, lo_open=True, allowed="in (0, 0.1] (a finite number)")
        check_float("kl_coef", self.kl_coef, lo=0, allowed=">= 0 (0 drops the reference model; a finite number)")
        check_float("clip_eps", self.clip_eps, 0, 1, lo_open=True, hi_open=True, allowed="in (0, 1) (a finite number)")
        check_temperature("temperature", self.temperature, allow_zero=False)  # rollouts are sampled
        check_float("top_p", self.top_p, 0, 1, lo_open=True, allowed="in (0, 1] (a finite number)")
        check_float("grad_clip", self.grad_clip, lo=0, lo_open=True, allowed="> 0 (a finite number)")
        check_float("weight_decay", self.weight_decay, 0, 1, hi_open=True, allowed="in [0, 1) (a finite number)")
        check_choice("generation", self.generation, GENERATIONS)
        check_choice("dtype", self.dtype, DTYPES)
        check_choice("split", self.split, SPLITS)
        check_int("seed", self.seed)
        check_int("ckpt_every", self.ckpt_every, lo=0, allowed=">= 0 (0 = only when stopped by max_minutes; "
                                                               "an integer, not a bool)")

    @property
    def n_prompts(self) -> int:
        """N: prompts over the whole run (each used once)."""
        return self.steps * self.prompts_per_step

    @property
    def minibatch_rows(self) -> int:
        return self.minibatch_prompts * self.rollouts

    @property
    def updates_per_step(self) -> int:
        """Optimizer steps per GRPO step (PPO mini-batches per rollout batch)."""
        return self.prompts_per_step // self.minibatch_prompts

    @property
    def seq_len(self) -> int:
        """L_total of the compute formulas: longest prompt + longest response (paper.md section 6)."""
        return self.max_prompt_tokens + self.max_response_tokens

    def recorded_fields(self) -> dict:
        """The fields as the manifest records them and the artifact key hashes them (provenance.to_jsonable): the
        reward as the flat reward_kind and reward_alpha that every RL stage trained so far was keyed with."""
        fields = config_fields(self)
        reward = fields.pop("reward")
        return {"reward_kind": reward.kind, "reward_alpha": reward.alpha, **fields}

    def reward_function(self):
        """The verifier-backed TRL reward function f(prompts, completions, problem=[...]) -> list[float]."""
        return self.reward.function(seed=self.seed)


# --- data -------------------------------------------------------------------------------------------


def rl_problems(config: GRPORunConfig, tokenizer) -> tuple[list[Problem], int]:
    """config.n_prompts distinct problems of the split whose [BOS]+prompt fits max_prompt_tokens.

    Same order and dedup as generator.make_dataset(mixture, split, n, seed) (so, when nothing is too long,
    the same problems). Returns (problems, number skipped as too long)."""
    return fitting_problems(config.mixture, config.split, config.seed, config.n_prompts, tokenizer,
                            config.max_prompt_tokens)


def fitting_problems(mixture: Mixture, split: str, seed: int, n: int, tokenizer, max_prompt_tokens: int,
                     start: int = 0) -> tuple[list[Problem], int]:
    """n distinct problems of `split` drawn from index `start` on, skipping prompts longer than max_prompt_tokens.

    Returns (problems, number skipped as too long); raises if too few fit."""

    out, seen, skipped, i = [], set(), 0, start
    while len(out) < n:
        p = problem_at(mixture, split, i, seed)
        i += 1
        if p.text_hash in seen:
            continue
        seen.add(p.text_hash)
        if len(tokenizer(p.prompt)["input_ids"]) > max_prompt_tokens:
            skipped += 1
        else:
            out.append(p)
        if i - start > 20 * n + 1000:
            raise RuntimeError(f"only {len(out)} usable problems of {mixture.name} after {i - start} draws "
                               f"({skipped} longer than max_prompt_tokens={max_prompt_tokens})")
    return out, skipped


def prompt_dataset(problems: list[Problem]):
    """A datasets.Dataset with columns prompt (text) and problem (Problem.to_dict() as JSON: rows differ in shape)."""
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [p.prompt for p in problems],
                              "problem": [json.dumps(p.to_dict()) for p in problems]})


class _RewardRecorder:
    """The verifier reward as TRL calls it, keeping each call's rewards for the step log, and beside them what
    every rollout did whatever the reward (the RL controls): its answer right, its steps verified, its op.

    The dataset's `problem` column arrives as JSON strings; they are parsed back to dicts that
    reasonlab.verify's reward function turns into Problems."""

    def __init__(self, config: GRPORunConfig):
        self.fn = config.reward_function()
        self.__name__ = self.fn.__name__  # TRL names the reward metric after it
        self.last: list[float] = []
        self.last_templates: list[str] = []  # each reward's context (template), for the per-context reward log
        self.last_ops: list[int | None] = []  # each reward's op, for the reward-by-op log
        self.last_outcome: list[bool] = []  # the rollout's answer is right
        self.last_verified: list[bool] = []  # its steps and answer verify
        self.seconds = 0.0  # time of the last call

    def __call__(self, prompts, completions, problem, **kwargs) -> list[float]:
        t0 = time.perf_counter()
        probs = [json.loads(p) if isinstance(p, str) else p for p in problem]
        self.last = self.fn(prompts, completions, problem=probs, **kwargs)  # kwargs: TRL's trainer_state, ...
        field = lambda p, k: p.get(k) if isinstance(p, dict) else getattr(p, k, None)  # noqa: E731
        self.last_templates = [field(p, "template") for p in probs]
        self.last_ops = [field(p, "op") for p in probs]
        reports = getattr(self.fn, "last_reports", None)  # the reward function's own verification of this batch
        if reports is None or len(reports) != len(completions):  # a reward function that keeps none (a custom one)
            reports = [verify(p if isinstance(p, Problem) else Problem.from_dict(p), completion_text(c))
                       for p, c in zip(probs, completions)]
        self.last_outcome = [r.answer_correct for r in reports]
        self.last_verified = [r.verified for r in reports]
        self.seconds = time.perf_counter() - t0
        return self.last


def _reasonlab_rollout(config: GRPORunConfig, stop_ids: list[int]):
    """TRL `rollout_func`: our KV-cache sampler. Prompts arrive as TRL's RepeatSampler lays them out (each
    prompt r times in a row); each run of equal prompts is encoded once and sampled n = run length times."""
    from ..sampling import sample

    def rollout(prompts: list[str], trainer) -> dict:
        runs: list[tuple[str, int]] = []
        for p in prompts:
            if runs and runs[-1][0] == p:
                runs[-1] = (p, runs[-1][1] + 1)
            else:
                runs.append((p, 1))
        tok = trainer.processing_class
        ids = tok([p for p, _ in runs])["input_ids"]  # as TRL tokenises: [BOS] + prompt
        model = trainer.accelerator.unwrap_model(trainer.model)
        seed = stable_seed(config.seed, "rollout", trainer.state.global_step)
        prompt_ids, completion_ids, logprobs = [None] * len(runs), [None] * len(runs), [None] * len(runs)
        for n in sorted({c for _, c in runs}):  # normally one call: every run has length r
            which = [k for k, (_, c) in enumerate(runs) if c == n]
            res = sample(model, [ids[k] for k in which], n=n, temperature=config.temperature, top_p=config.top_p,
                         max_new_tokens=config.max_response_tokens, stop_ids=stop_ids,
                         seed=stable_seed(seed, n), return_logprobs=True)
            for j, k in enumerate(which):
                prompt_ids[k] = [ids[k]] * n
                completion_ids[k] = res.tokens[j]
                logprobs[k] = res.logprobs[j]
        flat = lambda xs: [x for per_run in xs for x in per_run]  # noqa: E731
        return {"prompt_ids": flat(prompt_ids), "completion_ids": flat(completion_ids), "logprobs": flat(logprobs)}

    return rollout


# --- the trainer ------------------------------------------------------------------------------------


def _make_trainer_class():
    import torch
    from trl import GRPOTrainer

    class ReasonlabGRPOTrainer(GRPOTrainer):
        """TRL's GRPOTrainer plus one log line per GRPO step (rollout batch) in out_dir/log.jsonl."""

        def setup_rl_log(self, config: GRPORunConfig, recorder: _RewardRecorder, log_path: Path, train_s0: float,
                         tokens0: int, fast: bool = True):
            self.rl_config, self.rl_recorder, self.rl_log_path = config, recorder, log_path
            self.rl_fast, self.rl_sampling_logps = fast, None
            self.rl_check = fast and os.environ.get("REASONLAB_FAST_CHECK", "0") == "1"
            self.rl_fast_gap: float | None = None  # largest |fast - TRL| log-prob gap of the step (check mode)
            # seconds, this step ("ref_in_loss": the fast path's reference pass, run inside the training step)
            self.rl_times = dict.fromkeys(("rollout", "old", "ref", "ref_in_loss", "policy", "train_step"), 0.0)
            self.rl_train_s, self.rl_tokens = train_s0, tokens0  # carried over a resume
            self.rl_rollout: dict = {}
            self.rl_updates: list[dict] = []
            self.rl_t_step = time.perf_counter()

        def _generate(self, prompts):
            t0 = time.perf_counter()
            out = super()._generate(prompts)
            self.rl_generate_s = time.perf_counter() - t0  # sampling alone (either backend)
            self.rl_sampling_logps = out[4]  # per-row log-probs of the sampled tokens (None from TRL's generate)
            return out

        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                               batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                               **multimodal):
            """TRL's three log-prob passes, on the fast path (`fast`, default on) without its padding.

            Old policy (no grad, the policy): TRL recomputes the rollout-time log-probs when a rollout batch spans
            several mini-batches; the policy has not moved since it sampled them, so the sampler's own log-probs
            (softmax(logits / T) of the same weights, no top-p) are those numbers, and the pass is skipped.
            Reference (no grad) and policy (with grad, for the loss): teacher-forced on the unpadded rows
            (reasonlab.sampling: fused projections, rows of similar length batched together) instead of the
            transformers forward over the batch's left- and right-padded rectangle."""
            t0 = time.perf_counter()
            grad = torch.is_grad_enabled()
            kind = "policy" if grad else "old" if model is self.model else "ref"
            plain = (not self.rl_fast or compute_aux_loss or any(v is not None for v in multimodal.values())
                     or (grad and self.args.entropy_coef != 0))  # the fast path's entropies carry no gradient
            if plain:
                out = super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size,
                    compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss, **multimodal)
                self.rl_times[kind] += time.perf_counter() - t0
                return out
            if kind == "ref" and self.beta != 0:
                # computed per micro-batch in _compute_loss instead, on exactly the policy pass's rows (see there)
                self.rl_times[kind] += time.perf_counter() - t0
                return torch.zeros(input_ids.shape[0], logits_to_keep, device=input_ids.device), None, None
            logps, entropies = None, None
            # (the sampler runs in fp32: under bf16 autocast the policy's own pass is what the ratio must compare to)
            if kind == "old" and self.ref_model is not None and self.rl_sampling_logps is not None and not self.args.bf16:
                stash, self.rl_sampling_logps = self.rl_sampling_logps, None  # one rollout batch, used once
                if len(stash) == input_ids.shape[0]:
                    logps = _pad_rows(stash, logits_to_keep, input_ids.device)
            if logps is None:
                # Padded positions are masked out of the loss, but TRL's KL term reads them first: they hold 0 in
                # both the policy and the reference pass here; should the policy pass be TRL's, the reference
                # scores the padding too, so that exp(ref - logp) stays bounded there.
                with self.accelerator.autocast():
                    logps, entropies = _teacher_forced_logps(model, input_ids, attention_mask, logits_to_keep,
                                                             self.temperature, entropy=compute_entropy,
                                                             score_padding=not grad and self.args.entropy_coef != 0)
            if self.rl_check:  # REASONLAB_FAST_CHECK=1: TRL's own numbers too, the largest gap into the step log
                with torch.no_grad():
                    ref, _, _ = super()._get_per_token_logps_and_entropies(
                        model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size)
                mask = attention_mask[:, -logits_to_keep:].bool()
                gap = float((logps.detach() - ref).abs()[mask].max()) if mask.any() else 0.0
                self.rl_fast_gap = max(self.rl_fast_gap or 0.0, gap)
            self.rl_times[kind] += time.perf_counter() - t0
            return logps, entropies, None

        def _compute_loss(self, model, inputs):
            """TRL's loss; on the fast path the reference log-probs are computed here, per micro-batch.

            The KL term's gradient is exp(ref - logp) - 1 per token: exactly 0 only when the reference pass returns
            bit for bit the policy pass's numbers while the weights are equal. A matmul's rounding depends on its
            shape, and teacher_forced batches its rows by length, so a reference pass over the whole rollout batch
            differs from the policy pass over one shuffled micro-batch by ~1e-5, and Adam turns that noise into
            steps of ~lr even when every advantage is 0. Here both passes see the same rows in the same order, so
            a step whose groups all have zero reward variance leaves the weights as they were (as TRL's path does).
            """
            if self.rl_fast and self.beta != 0 and "ref_per_token_logps" in inputs:
                t0 = time.perf_counter()
                input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
                attention_mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
                with torch.no_grad(), self.accelerator.autocast():
                    ref, _ = _teacher_forced_logps(self.ref_model, input_ids, attention_mask,
                                                   inputs["completion_ids"].size(1), self.temperature,
                                                   score_padding=False)
                    if self.rl_check:  # REASONLAB_FAST_CHECK=1: the gap to TRL's own reference pass too
                        trl_ref, _, _ = super()._get_per_token_logps_and_entropies(
                            self.ref_model, input_ids, attention_mask, inputs["completion_ids"].size(1))
                        gap = (ref - trl_ref).abs()[inputs["completion_mask"].bool()]
                        self.rl_fast_gap = max(self.rl_fast_gap or 0.0, float(gap.max()) if gap.numel() else 0.0)
                inputs = {**inputs, "ref_per_token_logps": ref}
                self.rl_times["ref_in_loss"] += time.perf_counter() - t0
            return super()._compute_loss(model, inputs)

        def training_step(self, model, inputs, num_items_in_batch):
            t0 = time.perf_counter()
            gen0 = self.rl_times["rollout"]
            out = super().training_step(model, inputs, num_items_in_batch)
            # forward + backward of one micro-batch (its first call also samples the rollout batch: not counted)
            self.rl_times["train_step"] += time.perf_counter() - t0 - (self.rl_times["rollout"] - gen0)
            return out

        def _generate_and_score_completions(self, inputs):
            self.rl_t_step = time.perf_counter()
            out = super()._generate_and_score_completions(inputs)
            gen_s = time.perf_counter() - self.rl_t_step
            self.rl_times["rollout"] += gen_s
            r = self.num_generations
            rec = self.rl_recorder
            rewards, contexts = list(rec.last), list(rec.last_templates)
            groups = [rewards[i:i + r] for i in range(0, len(rewards), r)]
            spread = [_std(g) for g in groups]
            right, verified = rec.last_outcome, rec.last_verified
            p_tok, c_tok = int(out["prompt_mask"].sum()), int(out["completion_mask"].sum())
            lens = out["completion_mask"].sum(1)
            last = out["completion_ids"].gather(1, (lens - 1).clamp(min=0)[:, None])[:, 0]
            stopped = torch.isin(last, torch.tensor(self.eos_token_ids, device=last.device)) & (lens > 0)
            self.rl_rollout = {
                "reward_mean": _mean(rewards), "reward_std": _std(rewards),
                "reward_group_std": _mean(spread),  # mean within-group spread
                "frac_zero_std": _mean([float(s < 1e-6) for s in spread]),  # groups that give no gradient
                # each context's own mean reward: a mixed A/B batch's mean hides which context the reward came from
                "reward_by_template": {t: _round(_mean([x for x, c in zip(rewards, contexts) if c == t]))
                                       for t in sorted({c for c in contexts if c is not None})},
                "reward_by_op": {str(o): _round(_mean([x for x, q in zip(rewards, rec.last_ops) if q == o]))
                                 for o in sorted({q for q in rec.last_ops if q is not None})},
                # the RL controls, whatever the reward: right answers, verified ones, right answers through wrong
                # steps, and groups holding a verified success (the only groups a strict reward can learn from)
                "outcome_mean": _mean(right), "verified_mean": _mean(verified),
                "hacked_share": (sum(right) - sum(verified)) / sum(right) if sum(right) else None,
                "frac_groups_verified": _mean([float(any(verified[i:i + r])) for i in range(0, len(verified), r)]),
                "prompt_tokens": p_tok, "completion_tokens": c_tok, "rollout_tokens": p_tok + c_tok,
                "mean_completion_len": c_tok / max(1, len(rewards)),
                "truncated_frac": 1.0 - float(stopped.float().mean()),  # hit max_response_tokens
                "generate_s": self.rl_generate_s,  # sampling the completions
                "rollout_s": gen_s,  # sampling + rewards + reference (and old-policy) log-probs
            }
            return out

        def log(self, logs: dict, start_time: float | None = None) -> None:
            m = self._metrics["train"]
            if "loss" in logs and self.model.training:  # an optimizer step (not the end-of-training summary)
                pick = lambda k: _mean([v for v in m.get(k, []) if not math.isnan(v)])  # noqa: E731
                self.rl_updates.append({"loss": logs.get("loss"), "grad_norm": logs.get("grad_norm"),
                                        "lr": logs.get("learning_rate"), "kl": pick("kl"),
                                        "entropy": pick("entropy"), "clip_ratio": pick("clip_ratio/region_mean")})
                if self.state.global_step % self.rl_config.updates_per_step == 0:
                    self._write_rl_step()
            super().log(logs, start_time)

        def _write_rl_step(self) -> None:
            c = self.rl_config
            step = self.state.global_step // c.updates_per_step
            step_s = time.perf_counter() - self.rl_t_step
            self.rl_train_s += step_s
            ro = self.rl_rollout
            self.rl_tokens += ro.get("rollout_tokens", 0)
            ups = self.rl_updates
            avg = lambda k: _mean([u[k] for u in ups if u[k] is not None])  # noqa: E731
            rec = {
                "step": step, "updates": self.state.global_step, **{k: _round(v) for k, v in ro.items()},
                "kl": _round(avg("kl")), "entropy": _round(avg("entropy")), "clip_ratio": _round(avg("clip_ratio")),
                "loss": _round(avg("loss")), "grad_norm": _round(avg("grad_norm")),
                "lr": ups[-1]["lr"] if ups else None,
                "tokens": self.rl_tokens,  # cumulative rollout tokens (prompt + completion)
                # token-equivalents (paper.md section 6): the paper's accounting (N prompts x r x L_total) and the
                # same formula on the tokens actually processed
                "t_rl": rl_token_equivalent(step * c.prompts_per_step, c.rollouts, c.seq_len, c.kl_coef > 0),
                "t_rl_actual": rl_token_equivalent(1, 1, self.rl_tokens, c.kl_coef > 0),
                "step_s": _round(step_s), "tok_s": _round(ro.get("rollout_tokens", 0) / max(step_s, 1e-9)),
                **self._time_breakdown(step_s),
                "elapsed_s": _round(self.rl_train_s),
            }
            if self.rl_check:
                rec["fast_logp_max_gap"], self.rl_fast_gap = self.rl_fast_gap, None
            if self.accelerator.is_main_process:
                with open(self.rl_log_path, "a") as f:
                    f.write(json.dumps(rec) + "\n")
            self.rl_updates = []
            self.rl_times = dict.fromkeys(self.rl_times, 0.0)

        def _time_breakdown(self, step_s: float) -> dict:
            """Where the step's seconds went (benchmarks/bench_grpo.py tabulates these)."""
            t, ro = self.rl_times, self.rl_rollout
            gen, reward = ro.get("generate_s", 0.0), self.rl_recorder.seconds
            return {"time_sampling_s": _round(gen), "time_reward_s": _round(reward),
                    "time_old_logps_s": _round(t["old"]), "time_ref_logps_s": _round(t["ref"] + t["ref_in_loss"]),
                    "time_rollout_other_s": _round(t["rollout"] - gen - reward - t["old"] - t["ref"]),
                    "time_policy_fwd_s": _round(t["policy"]),
                    "time_policy_bwd_loss_s": _round(t["train_step"] - t["policy"] - t["ref_in_loss"]),
                    "time_optimizer_other_s": _round(step_s - t["rollout"] - t["train_step"])}

    return ReasonlabGRPOTrainer


def _pad_rows(rows, width: int, device):
    """Per-row values (tensors, or lists of floats) as a [len(rows), width] tensor, right-padded with 0 (TRL's
    layout); differentiable for tensor rows."""
    import torch
    import torch.nn.functional as F

    rows = [r if torch.is_tensor(r) else torch.tensor(r, dtype=torch.float32) for r in rows]
    return torch.stack([F.pad(r[:width], (0, width - len(r[:width]))) for r in rows]).to(device)


def _teacher_forced_logps(model, input_ids, attention_mask, logits_to_keep: int, temperature: float,
                          entropy: bool = False, score_padding: bool = True):
    """TRL's per-token log-probs (and entropies) of the last `logits_to_keep` positions, without its padding.

    Prompts arrive left-padded: their padding is dropped (RoPE is relative, so the positions' offset does not
    change the result). Only the real completion tokens run and padded positions hold 0; with `score_padding`
    the completion part is scored whole, padding included, as TRL does."""
    from ..sampling import teacher_forced

    prompt_part, completion_part = input_ids[:, :-logits_to_keep], input_ids[:, -logits_to_keep:]
    keep = attention_mask[:, :-logits_to_keep].bool()
    prompts = [row[m].tolist() for row, m in zip(prompt_part, keep)]
    if score_padding:
        completions = completion_part.tolist()
    else:
        lengths = attention_mask[:, -logits_to_keep:].sum(1).tolist()
        completions = [row[:n].tolist() for row, n in zip(completion_part, lengths)]
    logps, ents = teacher_forced(model, prompts, completions, temperature=temperature, entropy=entropy)
    device = input_ids.device
    return _pad_rows(logps, logits_to_keep, device), (_pad_rows(ents, logits_to_keep, device) if ents is not None else None)


def _mean(xs) -> float | None:
    xs = [float(x) for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def _std(xs) -> float:
    """Population std (as GRPO's group statistics)."""
    mu = _mean(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / len(xs)) if xs else 0.0


def _round(v, nd: int = 6):
    return round(v, nd) if isinstance(v, float) else v


def _stop_callback(max_minutes: float | None, updates_per_step: int):
    """Stops (with a checkpoint) at the first GRPO-step boundary after max_minutes."""
    from transformers import TrainerCallback

    class StopAfter(TrainerCallback):
        def __init__(self):
            self.t0 = time.time()

        def on_step_end(self, args, state, control, **kw):
            out_of_time = max_minutes is not None and time.time() - self.t0 > 60 * max_minutes
            if out_of_time and state.global_step % updates_per_step == 0 and state.global_step < state.max_steps:
                control.should_save = True
                control.should_training_stop = True
            return control

    return StopAfter()


def _unreadable(checkpoint: Path) -> str | None:
    """Why a trainer checkpoint cannot be resumed from (a file cut by a kill or a full disk), or None."""
    import torch
    from safetensors.torch import load_file

    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
        load_file(checkpoint / "model.safetensors")
        for name in ("optimizer.pt", "scheduler.pt"):
            if (checkpoint / name).exists():
                torch.load(checkpoint / name, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file: say which and why
        return f"{type(e).__name__}: {e}"
    return None


def _latest_trainer_checkpoint(root: Path) -> Path | None:
    """The newest TRL checkpoint that loads; an unreadable one is moved aside with a warning and the one before
    it is used, as the next-token trainer does."""
    done = [p for p in root.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    for path in sorted(done, key=lambda p: int(p.name.split("-")[-1]), reverse=True):
        why = _unreadable(path)
        if why is None:
            return path
        aside = path.with_name(f"corrupt-{path.name}-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)  # out of the way of TRL's own checkpoint rotation and of the next resume
        warnings.warn(f"trainer checkpoint {path} is unreadable ({why}); moved to {aside.name}, "
                      f"falling back to the previous one")
    return None


def grpo_args(config: GRPORunConfig, output_dir: Path, progress: bool = True, use_cpu: bool | None = None):
    """The TRL GRPOConfig of a run (see the mapping table in the module docstring)."""
    import torch
    from trl import GRPOConfig

    if use_cpu is None:
        use_cpu = not torch.cuda.is_available()
    micro = config.micro_batch_rows or config.minibatch_rows
    k = config.updates_per_step
    save_steps = config.ckpt_every * k
    return GRPOConfig(
        output_dir=str(output_dir),
        # --- batch geometry: one generation = one GRPO step; k mini-batches = k optimizer steps
        num_generations=config.rollouts,
        per_device_train_batch_size=micro,
        gradient_accumulation_steps=config.minibatch_rows // micro,
        steps_per_generation=config.prompts_per_step * config.rollouts // micro,
        num_iterations=1,
        max_steps=config.steps * k,
        shuffle_dataset=False,  # the generator's order is already random; keeps resumes simple
        # --- objective
        loss_type="dapo",  # token-mean over the mini-batch
        scale_rewards="group",
        epsilon=config.clip_eps,
        beta=config.kl_coef,
        entropy_coef=0.0,
        mask_truncated_completions=False,
        sync_ref_model=False,
        disable_dropout=True,
        # --- rollouts
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=0,
        max_completion_length=config.max_response_tokens,
        # --- optimisation
        learning_rate=config.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        weight_decay=config.weight_decay,
        max_grad_norm=config.grad_clip,
        seed=stable_seed(config.seed, "grpo") % 2**31,
        # --- machinery
        bf16=config.dtype == "bf16",
        fp16=False,
        use_cpu=use_cpu,
        gradient_checkpointing=False,
        logging_steps=1,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 1,
        save_total_limit=2,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        log_completions=False,
    )


def train_grpo(config: GRPORunConfig, out_dir: Path | str, parent_dir: Path | str, progress: bool = True,
               max_minutes: float | None = None, problems: list[Problem] | None = None,
               reference_dir: Path | str | None = None, fast: bool | None = None) -> Path:
    """Run (or resume, or return a finished) GRPO run from `parent_dir`. Returns out_dir/final, or the trainer
    checkpoint it stopped at when max_minutes ran out (call again to resume).

    `problems` replaces the config's prompt set (config.n_prompts of its mixture's split), e.g. prompts chosen
    by reasonlab.train.edge_filter; `reference_dir` is the frozen KL reference when it is not the parent.
    `fast` (None = the REASONLAB_FAST switch, default on): old-policy log-probs from the sampler, reference and
    policy log-probs from reasonlab.sampling.teacher_forced on unpadded rows (see
    ReasonlabGRPOTrainer._get_per_token_logps_and_entropies); the same numbers within float tolerance, so not part
    of the run's identity."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is flagged experimental
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the reference model loads from parent_dir; nothing downloads
    # TRL 1.16 still reads transformers' renamed gradient_checkpointing attributes; nothing for a user to act on
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.* is deprecated", category=FutureWarning)

    import torch

    from .fast import fast_enabled, tune_allocator
    from .lm import trim_log

    out_dir, parent_dir = Path(out_dir), Path(parent_dir)
    final_dir, trainer_dir, log_path = out_dir / "final", out_dir / "trainer", out_dir / "log.jsonl"
    if not (parent_dir / "config.json").exists():
        raise FileNotFoundError(f"parent checkpoint {parent_dir} has no config.json (pass a finished stage's final/)")
    parents: tuple[str, ...] = ()
    if (parent_dir / "manifest.json").exists():
        parents = (json.loads((parent_dir / "manifest.json").read_text())["config_hash"],)
    if problems is not None:
        if not problems:
            raise ValueError("problems, when given, must be a non-empty list of Problems")
        parents += (config_hash([p.text_hash for p in problems]),)  # the prompt set is part of the run's identity
    key = artifact_key(config, *parents)
    key_file = out_dir / "config_hash"  # the run's identity, written first: a resume must match it
    if key_file.exists() and key_file.read_text().strip() != key:
        raise ValueError(f"{out_dir} holds a run of another config ({key_file.read_text().strip()} != {key}); "
                         f"use a fresh out_dir")
    if (final_dir / "manifest.json").exists():
        return final_dir
    t_start = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key)

    # Policy from the parent; TRL builds the frozen reference from the same directory (model.config._name_or_path).
    model, tokenizer = load_checkpoint(parent_dir)
    stop_ids = stop_token_ids(tokenizer)
    saved_eos = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = stop_ids  # TRL's generate and its truncation check stop at </answer> too
    if problems is None:
        problems, skipped = rl_problems(config, tokenizer)
    else:
        skipped = 0
    if reference_dir is not None:  # TRL loads the reference from the policy's config._name_or_path
        if not (Path(reference_dir) / "config.json").exists():
            raise FileNotFoundError(f"reference checkpoint {reference_dir} has no config.json")
        model.config._name_or_path = str(reference_dir)
    recorder = _RewardRecorder(config)

    resume = _latest_trainer_checkpoint(trainer_dir)
    train_s0, tokens0 = 0.0, 0
    if resume is not None and log_path.exists():  # drop log lines written after that checkpoint
        done_steps = int(resume.name.split("-")[-1]) // config.updates_per_step
        trim_log(log_path, done_steps)
        lines = log_path.read_text().splitlines()
        if lines:
            last = json.loads(lines[-1])
            train_s0, tokens0 = last["elapsed_s"], last["tokens"]  # the earlier sessions' steps (their wall time,
            # less their set-up, which TRL's checkpoints do not record)
    elif resume is None and log_path.exists():
        log_path.unlink()

    Trainer = _make_trainer_class()
    trainer = Trainer(
        model=model,
        reward_funcs=[recorder],
        args=grpo_args(config, trainer_dir, progress),
        train_dataset=prompt_dataset(problems),
        processing_class=tokenizer,
        rollout_func=_reasonlab_rollout(config, stop_ids) if config.generation == "reasonlab" else None,
        callbacks=[_stop_callback(max_minutes, config.updates_per_step)],
    )
    if not progress:  # without tqdm, transformers prints every log dict; log.jsonl has what matters
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    fast = fast_enabled(fast)
    if fast and not torch.cuda.is_available():
        tune_allocator()
    trainer.setup_rl_log(config, recorder, log_path, train_s0, tokens0, fast=fast)
    trainer.train(resume_from_checkpoint=str(resume) if resume is not None else None)

    if trainer.state.global_step < config.steps * config.updates_per_step:  # stopped by max_minutes
        latest = _latest_trainer_checkpoint(trainer_dir)
        return latest if latest is not None else out_dir

    policy = trainer.accelerator.unwrap_model(trainer.model)
    if trainer.accelerator.is_main_process:
        policy.generation_config.eos_token_id = saved_eos  # the checkpoint keeps the parent's generation config
        save_checkpoint(policy, tokenizer, final_dir)
        rows = [json.loads(ln) for ln in log_path.read_text().splitlines() if ln.strip()]
        last = rows[-1] if rows else {}
        manifest = make_manifest(
            "grpo", config, parents=parents, wall_time_s=train_s0 + time.time() - t_start, stage="rl",
            parent_dir=portable_path(parent_dir), reference_dir=portable_path(reference_dir or parent_dir), steps=last.get("step"), updates=trainer.state.global_step,
            rollout_tokens=last.get("tokens"), t_rl=last.get("t_rl"), t_rl_actual=last.get("t_rl_actual"),
            train_seconds=last.get("elapsed_s"), final_reward_mean=last.get("reward_mean"),
            skipped_long_prompts=skipped, generation=config.generation, dtype=config.dtype, fast_logps=fast,
            non_embedding_params=count_params(policy), params=count_params(policy, non_embedding=False),
            with_reference=config.kl_coef > 0, verifier_rules=RULES,  # the rules its rewards were scored by
        )
        write_manifest(final_dir, manifest)
        shutil.rmtree(trainer_dir, ignore_errors=True)  # resumable state is no longer needed
    trainer.accelerator.wait_for_everyone()
    return final_dir
