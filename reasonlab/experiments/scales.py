"""Scales: the sizes a recipe runs at. Only sizes change between scales, never the logic (design.md section 3).

    smoke   CI and tests: each notebook <= 3 minutes on 2 CPU cores; proves the pipeline, not the finding
    laptop  the results shown in the book: each chapter <= about 60 minutes on 2 CPU cores
    gpu     one H100: each chapter <= about 30 minutes; the paper's op bands and problem format
    paper   the paper's exact settings (100M model, 10B tokens), for a GPU cluster

Op bands (in-distribution / edge / hard) belong to a scale: a small model's competence ladder sits
lower than the paper's 2-10 / 11-14 / 15-20, and recipes map the paper's op ranges onto the bands
(see `recipes.py`). `deviations(scale)` lists how a scale differs from the paper, for the book.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..generator import DEFAULT_CONFIG, Band, GeneratorConfig, LabelledBand, check_band
from ..model import PRESETS
from ..provenance import IDENTITY_IF_SET
from ..validation import (
    check_choice, check_float, check_instance, check_int, check_name, check_temperature, check_tuple,
)

BANDS = ("in_dist", "edge", "hard")  # a scale's op bands, in order (Scale.bands)
LOSS_ON = ("all", "solution")
TRAIN_SHAPES = ("all", "seen")


@dataclass(frozen=True)
class Scale:
    """Every size a recipe needs; one instance per scale name."""

    name: str  # "smoke" | "laptop" | "gpu" | "paper"
    # --- model
    model: str  # preset name in reasonlab.model (e.g. "paper-100m")
    # --- pre-training (next-token)
    pretrain_tokens: int  # tokens of one pre-training run (one epoch)
    seq_len: int  # model context and packed training sequence length
    batch_tokens: int  # tokens per optimizer step (pre- and mid-training)
    pretrain_lr: float  # peak learning rate
    pretrain_lr_min: float  # cosine schedule floor
    pretrain_warmup: float  # warmup as a fraction of the steps
    weight_decay: float  # AdamW weight decay (pre- and mid-training)
    # --- mid-training (same objective, narrowed data; S5 and A.10 only)
    mid_lr: float  # peak learning rate
    mid_lr_min: float  # cosine schedule floor
    mid_warmup: float  # warmup as a fraction of the steps
    # --- RL post-training (GRPO)
    rl_steps: int  # GRPO steps of a fixed-length RL run (S3, S4, S6, A.6, A.7)
    rl_prompts_per_step: int  # prompts per GRPO step
    rollouts: int  # r: sampled completions per prompt
    rl_max_prompt_tokens: int  # longest prompt
    rl_max_response_tokens: int  # longest sampled response
    rl_lr: float  # actor learning rate
    rl_kl_coef: float  # KL coefficient against the reference model (low-variance KL)
    rl_minibatch_prompts: int  # PPO mini-batch, in prompts
    rl_temperature: float  # rollout sampling temperature (top-p 1.0)
    budget_rl_steps: int  # steps of the full-RL arm that fixes the S5 compute budget T
    budget_multipliers: tuple[float, ...]  # A.10's budgets as multiples of T
    # --- evaluation
    eval_problems_per_op: int  # held-out problems per op value (per template where split by template)
    eval_samples: int  # n samples per problem; pass@k for k = 1, 2, 4, ... <= n
    eval_temperature: float  # sampling temperature (top-p 1.0, no top-k)
    eval_max_new_tokens: int  # generation limit
    # --- op bands (inclusive)
    in_dist: Band  # in-distribution: what pre-training covers
    edge: Band  # OOD-edge: the base model solves some at pass@k
    hard: Band  # OOD-hard: the base model solves ~none
    # --- data format
    generator: GeneratorConfig = field(default=DEFAULT_CONFIG)  # how problems look
    loss_on: str = "all"  # next-token loss on the whole document ("all") or on the solution only
    pretrain_tail: float = 0.0  # share of the base model's pre-training problems drawn from the edge band
    rl_eval_samples: int = 0  # n per problem when evaluating RL arms (S3); 0 = eval_samples
    # GRPO steps of S6's reward arms; 0 = rl_steps. The laptop's 20 steps are too few for a reward that pays only
    # for verified solutions to move a model that verifies ~3% of its edge samples (lab notes, the strict probe)
    process_rl_steps: int = field(default=0, metadata=IDENTITY_IF_SET)
    # The op range of the context-transfer experiments (S4, A.6: the paper's op 2-20, every op context A is
    # pre-trained on). None: from the bottom of in_dist to the top of hard. A small model that cannot learn that
    # whole range in one pre-training run gets the range it does learn.
    context_ops: Band | None = None
    # Graph shapes every training stage draws: "all", or "seen" (the held-out shapes of the unseen-shape test,
    # reasonlab.generator.shape_held_out, never enter training; the ladder then evaluates them separately).
    train_shapes: str = "all"

    def __post_init__(self):
        check_name("scale name", self.name)  # it names result files: data/results/<recipe>-<scale>.json
        n = f"{self.name}: "  # every message names the scale
        check_choice(n + "model", self.model, PRESETS, allowed=f"a model preset, one of {', '.join(PRESETS)}")
        for k in ("pretrain_tokens", "seq_len", "batch_tokens", "rl_steps", "rl_prompts_per_step", "rollouts",
                  "rl_max_prompt_tokens", "rl_max_response_tokens", "rl_minibatch_prompts", "budget_rl_steps",
                  "eval_problems_per_op", "eval_samples", "eval_max_new_tokens"):
            check_int(n + k, getattr(self, k), lo=1, allowed="a positive integer (not a bool)")
        if self.rollouts < 2:
            raise ValueError(f"{self.name}: GRPO needs rollouts >= 2 (group baseline), got {self.rollouts}")
        for k in BANDS:
            band = getattr(self, k)
            lo, hi = check_band(f"{n}band {k}", band)
            if not isinstance(band, tuple):  # e.g. a list: a tuple compares and hashes the same in config_hash
                object.__setattr__(self, k, (lo, hi))
        if self.context_ops is None:
            object.__setattr__(self, "context_ops", (self.in_dist[0], self.hard[1]))
        lo, hi = check_band(f"{n}context_ops", self.context_ops)
        object.__setattr__(self, "context_ops", (lo, hi))
        if hi - lo + 1 < 4:
            raise ValueError(f"{self.name}: context_ops needs >= 4 ops (low and high halves), got {self.context_ops}")
        if not (self.edge[0] == self.in_dist[1] + 1 and self.hard[0] == self.edge[1] + 1):
            raise ValueError(f"{self.name}: bands must be contiguous (edge starts after in_dist, hard after edge), "
                             f"got {self.in_dist}, {self.edge}, {self.hard}")
        # A.10 splits in_dist in thirds and A.7 in two; S3's mid-edge arm straddles in_dist and edge.
        if self.in_dist[1] - self.in_dist[0] + 1 < 3 or self.edge[1] - self.edge[0] + 1 < 2:
            raise ValueError(f"{self.name}: in_dist needs >= 3 ops and edge >= 2, got {self.in_dist}, {self.edge}")
        # A float, not 0: the base mixture's weights (1 - tail) enter the artifact key as written.
        if not (isinstance(self.pretrain_tail, float) and 0 <= self.pretrain_tail < 0.5):
            raise ValueError(f"{self.name}: pretrain_tail must be a float in [0, 0.5), got {self.pretrain_tail!r}")
        check_int(n + "process_rl_steps", self.process_rl_steps, lo=0, allowed="0 (= rl_steps) or a positive integer")
        if isinstance(self.rl_eval_samples, bool) or not isinstance(self.rl_eval_samples, int) or \
                not 0 <= self.rl_eval_samples <= self.eval_samples:
            raise ValueError(f"{self.name}: rl_eval_samples must be an integer in [0, eval_samples], "
                             f"got {self.rl_eval_samples!r}")
        check_choice(n + "loss_on", self.loss_on, LOSS_ON)
        check_choice(n + "train_shapes", self.train_shapes, TRAIN_SHAPES)
        check_instance(n + "generator", self.generator, GeneratorConfig)
        if self.batch_tokens % self.seq_len:
            raise ValueError(f"{self.name}: batch_tokens must be a multiple of seq_len, got {self.batch_tokens}")
        if self.rl_max_prompt_tokens + self.rl_max_response_tokens > self.seq_len:
            raise ValueError(f"{self.name}: rl prompt + response tokens must fit seq_len {self.seq_len}")
        if self.rl_prompts_per_step % self.rl_minibatch_prompts:
            raise ValueError(f"{self.name}: rl_minibatch_prompts must divide rl_prompts_per_step")
        for k in ("pretrain", "mid"):
            lr, lr_min, warm = getattr(self, f"{k}_lr"), getattr(self, f"{k}_lr_min"), getattr(self, f"{k}_warmup")
            check_float(f"{n}{k}_lr", lr, 0, 0.1, lo_open=True)
            check_float(f"{n}{k}_lr_min", lr_min, 0, lr, lo_open=True, allowed=f"a finite number in (0, {k}_lr]")
            check_float(f"{n}{k}_warmup", warm, 0, 1, hi_open=True)
        check_float(n + "weight_decay", self.weight_decay, 0, 1, hi_open=True)
        check_float(n + "rl_lr", self.rl_lr, 0, 0.1, lo_open=True)
        check_float(n + "rl_kl_coef", self.rl_kl_coef, lo=0, allowed="a finite number >= 0 (0 drops the reference)")
        check_temperature(n + "rl_temperature", self.rl_temperature, allow_zero=False, hi=2)  # rollouts are sampled
        check_temperature(n + "eval_temperature", self.eval_temperature, hi=2)
        check_tuple(n + "budget_multipliers", self.budget_multipliers,
                    lambda k, v: check_float(k, v, lo=0, lo_open=True), unique=True,
                    allowed="a non-empty tuple of positive multipliers")
        # A scale's name stands for its values (result files are named by it): a variant of "laptop" under that
        # name would overwrite the committed laptop results with other numbers.
        known = globals().get("SCALES", {}).get(self.name)
        if known is not None and known != self:
            changed = [f.name for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(known, f.name)]
            raise ValueError(f"{self.name}: scale name {self.name!r} is taken by the built-in scale, whose values "
                             f"differ in {', '.join(changed)}; give a variant its own name, e.g. "
                             f"dataclasses.replace(scale, name='{self.name}-variant', ...)")

    @property
    def bands(self) -> tuple[LabelledBand, ...]:
        """LabelledBand("in_dist", lo, hi), then "edge" and "hard"."""
        return tuple(LabelledBand(k, *getattr(self, k)) for k in BANDS)

    @property
    def all_ops(self) -> Band:
        """From the bottom of in_dist to the top of hard (the paper's 2-20)."""
        return self.in_dist[0], self.hard[1]

    @property
    def rl_seq_len(self) -> int:
        """L_total of the compute formulas: longest prompt + longest response."""
        return self.rl_max_prompt_tokens + self.rl_max_response_tokens

    def pretrain_steps(self) -> int:
        return max(1, self.pretrain_tokens // self.batch_tokens)


# ------------------------------------------------------------------------------------------ scales
PAPER = Scale(
    name="paper",
    model="paper-100m",  # Qwen2.5-style, hidden 768, 12 layers (paper.md section 4)
    pretrain_tokens=10_000_000_000,  # 10B tokens, 100 per parameter (paper.md section 4)
    seq_len=2048,  # context 2048 (paper.md section 4)
    batch_tokens=512 * 1024,  # 512K tokens (paper.md section 4)
    # The paper's text says 2e-4 (paper.md section 4); the official code's configs and folder name say 1e-4
    # (`pt-diff2_10-tok10B-lr1e-4-...`, paper.md section 9). Kept at the text's value: the scale stands for the
    # paper as written, the deviation is recorded here and in the book.
    pretrain_lr=2e-4,  # (paper.md section 4)
    pretrain_lr_min=3e-5,  # cosine to 3e-5 (paper.md section 4)
    pretrain_warmup=0.05,  # 5% (paper.md section 4)
    weight_decay=0.1,  # (paper.md section 4)
    mid_lr=1e-4,  # (paper.md section 4, mid-training)
    mid_lr_min=3e-5,  # (paper.md section 4, mid-training)
    mid_warmup=0.15,  # 15% (paper.md section 4, mid-training)
    # 200K RL prompts, one epoch, 1024 a step: ~195 GRPO steps in the official configs (`rl-200steps/`,
    # `total_epochs: 1`; paper.md section 9), not the 390 that the text's "2 epochs" gives (paper.md section 4)
    rl_steps=195,
    rl_prompts_per_step=1024,  # GRPO batch 1,024 prompts (paper.md section 4)
    rollouts=6,  # r = 6 (paper.md section 6)
    rl_max_prompt_tokens=1024,  # (paper.md section 4)
    rl_max_response_tokens=1024,  # (paper.md section 4)
    rl_lr=1e-6,  # actor lr (paper.md section 4)
    rl_kl_coef=1e-3,  # low-variance KL (paper.md section 4)
    rl_minibatch_prompts=256,  # PPO mini-batch 256 (paper.md section 4)
    rl_temperature=1.0,  # (paper.md section 4)
    # full RL = 100 steps x 1024 prompts (paper.md section 5, S5): T = 2.1B token-equivalents, about half what a
    # fixed-length RL run of rl_steps costs (4.1B); the official mid-training run is 2.5B tokens (paper.md
    # section 9), whose checkpoints the S5 arms take
    budget_rl_steps=100,
    budget_multipliers=(1.0, 2.0, 4.0),  # 2.1B, 4.2B, 8.4B tokens (paper.md section 5, A.10; 2.1B = S5's T)
    eval_problems_per_op=100,  # not stated in paper.md: our choice
    eval_samples=128,  # pass@1 ... pass@128 (paper.md section 3)
    eval_temperature=0.7,  # (paper.md section 3)
    eval_max_new_tokens=1024,  # (paper.md section 3)
    in_dist=(2, 10),  # pre-training ops (paper.md section 4)
    edge=(11, 14),  # OOD-edge (paper.md section 4, ladder)
    hard=(15, 20),  # OOD-hard (paper.md section 4, ladder)
    generator=DEFAULT_CONFIG,  # the paper's forward format (paper.md section 2)
    loss_on="all",  # next-token objective on the whole text (paper.md section 4)
)

GPU = dataclasses.replace(
    PAPER,
    name="gpu",
    model="gpu-30m",  # smaller than paper-100m so a base model trains in ~15 minutes on one H100
    pretrain_tokens=1_000_000_000,  # 1B tokens (~30 per parameter): ~15 min on one H100
    batch_tokens=256 * 2048,  # 512K tokens as in the paper
    pretrain_lr=6e-4,  # a 30M model takes a higher lr than the paper's 100M (our choice)
    pretrain_lr_min=6e-5,  # lr / 10
    mid_lr=3e-4,  # half the pre-training peak, as the paper's text (1e-4 vs 2e-4; its code trains both at 1e-4)
    mid_lr_min=6e-5,  # = pre-training floor
    rl_steps=100,  # fewer steps than the paper's 195: a chapter's RL arms share ~20 min
    rl_prompts_per_step=256,  # a quarter of the paper's batch
    rl_minibatch_prompts=64,  # keeps the paper's 4 mini-batches per step
    rl_lr=3e-6,  # scaled with the smaller batch and model (our choice)
    budget_rl_steps=50,  # S5's full-RL arm; T follows from the formulas
    eval_problems_per_op=32,  # 19 ops x 32 problems x 64 samples per model
    eval_samples=64,  # pass@k up to 64
)

LAPTOP = Scale(
    name="laptop",
    model="laptop-2m",  # 2.2M non-embedding parameters, 10-20K tok/s on 2 cores (benchmarks/results/train.json)
    # 30-60 min on 2 cores as this VM's speed drifts (lab notes); name lookup emerges after several M tokens
    pretrain_tokens=36_000_000,
    seq_len=512,  # an op-14 document is <= ~440 tokens (data/tokenizer, measured)
    batch_tokens=8 * 512,  # 4K tokens a step: many small steps (~8,800) rather than few large ones
    pretrain_lr=2e-3,  # a 2M model takes a high lr (our choice; probes used 1e-3-2e-3)
    pretrain_lr_min=2e-4,  # lr / 10
    pretrain_warmup=0.02,  # ~180 steps
    weight_decay=0.1,  # as the paper
    mid_lr=1e-3,  # half the pre-training peak, as the paper
    mid_lr_min=2e-4,  # = pre-training floor
    mid_warmup=0.15,  # as the paper
    rl_steps=20,  # ~7 min per RL arm on one core (~19 s per GRPO step of 32 x 6 rollouts: benchmarks/results/grpo.json)
    rl_prompts_per_step=32,  # 192 rollouts a step
    rollouts=6,  # as the paper
    rl_max_prompt_tokens=256,  # op-16 prompts are <= 248 tokens in this format (1,500 draws, measured)
    rl_max_response_tokens=256,  # op-16 gold completions are <= 249 tokens (measured); prompt + response = seq_len
    rl_lr=5e-5,  # larger than the paper's 1e-6: a 2M model, 80 updates per arm (our choice, lab notes)
    rl_kl_coef=1e-3,  # as the paper
    rl_minibatch_prompts=8,  # keeps the paper's 4 mini-batches per step
    rl_temperature=1.0,  # as the paper
    budget_rl_steps=40,  # S5's full-RL arm
    budget_multipliers=(1.0, 2.0),  # two budgets keep A.10 within a chapter
    eval_problems_per_op=34,  # >= 100 problems per band (issue 5's calibration criterion; the hard band has 3 ops)
    eval_samples=128,  # pass@128 as the paper
    eval_temperature=0.7,  # as the paper
    eval_max_new_tokens=256,  # = rl_max_response_tokens
    # Bands of the second calibration (issue 11, lab notes): op 2-6 holds only 74 graph shapes, which the 2M
    # model memorised (no edge at all); op 2-9 holds ~1,400, so it must learn the step procedure.
    in_dist=(2, 9),  # pre-training covers these
    edge=(10, 13),  # four ops beyond the training range
    hard=(14, 16),  # three ops: an op-17 prompt and solution (up to 515 tokens) exceed the 512-token context
    # The paper's format did not train within the laptop budget (lab notes): sentences in the order of the
    # solution, letters in order of definition, no temporary copy steps, no distractors.
    generator=GeneratorConfig(max_distractors=0, shuffle_sentences=False, variable_names="ordered", copy_steps=False),
    loss_on="solution",  # the question is given at test time; loss on the solution only (lab notes)
    # Without it the 2M model falls from solved to never-verified in one op (no edge band, lab notes);
    # a 1% long tail of edge-band problems seeds partial competence, the paper's own guidance (~1% density).
    pretrain_tail=0.01,
    train_shapes="seen",  # 20% of the graph shapes at op >= 6 never trained on: the unseen-shape test
    # S4 / A.6 pre-train context A over the ops the 2M model learns in one run (the ladder: op 9 pass@1 0.47,
    # op 10 0.14); spread over op 2-16, the same 36M tokens would leave the top ops unlearned (lab notes).
    context_ops=(2, 9),
    process_rl_steps=60,  # S6 at the strict probe's length: 60 steps widened the verified edge in two seeds (lab notes)
    rl_eval_samples=64,  # S3's seven arms at 128 samples do not fit a session; paired with the base's 128 (lab notes)
)

SMOKE = dataclasses.replace(
    LAPTOP,
    name="smoke",
    model="smoke",  # 0.12M non-embedding parameters: seconds per stage
    pretrain_tokens=100_000,  # proves the pipeline, not the finding
    batch_tokens=4 * 512,  # ~50 pre-training steps
    rl_steps=3,  # a few GRPO steps
    rl_prompts_per_step=4,  # tiny GRPO batch
    rollouts=4,  # still a group baseline
    rl_minibatch_prompts=2,  # two mini-batches per step
    budget_rl_steps=2,  # S5's full-RL arm
    process_rl_steps=0,  # S6 at rl_steps: the laptop's 60 would be the smoke run's longest stage
    eval_problems_per_op=2,  # 7 ops x 2 problems x 4 samples
    eval_samples=4,  # pass@1, 2, 4
    rl_eval_samples=0,  # = eval_samples
    in_dist=(2, 4),  # the smallest bands the recipes accept (3 in-dist ops, 2 edge ops)
    context_ops=(2, 5),  # the smallest context range (a low and a high half)
    edge=(5, 6),
    hard=(7, 8),
)

SCALES: dict[str, Scale] = {s.name: s for s in (SMOKE, LAPTOP, GPU, PAPER)}
DEFAULT_SCALE = "laptop"


def get_scale(name: str | Scale) -> Scale:
    """The Scale called `name` (a Scale passes through); a clear error lists the allowed names."""
    if isinstance(name, Scale):
        return name
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; allowed: {', '.join(SCALES)}")
    return SCALES[name]


# ---------------------------------------------------------------------------------- deviations
@dataclass(frozen=True)
class Deviation:
    """One way a scale differs from the paper."""

    field: str  # Scale field (generator fields as "generator.<name>")
    paper: object  # the paper's value
    ours: object  # this scale's value
    reason: str  # why


# Why a smaller scale changes a field; one line each, shown in the book.
_REASONS = {
    "model": "a 100M model does not train within the scale's time budget",
    "pretrain_tokens": "10B tokens do not fit the scale's time budget; the base model is shared and cached",
    "seq_len": "the scale's hardest problems are short; a shorter context is cheaper",
    "batch_tokens": "fewer tokens in all, so a smaller batch keeps enough optimizer steps",
    "pretrain_lr": "smaller models train stably at a higher learning rate",
    "pretrain_lr_min": "kept at a tenth of the peak",
    "mid_lr": "kept at half the pre-training peak, as in the paper",
    "mid_lr_min": "kept at the pre-training floor",
    "rl_steps": "fewer GRPO steps fit the scale's time budget",
    "rl_prompts_per_step": "a smaller GRPO batch fits the scale's time budget",
    "rollouts": "fewer rollouts per prompt fit the scale's time budget",
    "rl_max_prompt_tokens": "the scale's problems are shorter",
    "rl_max_response_tokens": "the scale's solutions are shorter",
    "rl_lr": "a much smaller model and ~100 updates in all need a larger step size",
    "rl_eval_samples": "RL arms are evaluated with 64 samples per problem (pass@k up to 64) to fit every arm in a "
                       "session; the base keeps 128 and changes are paired per problem",
    "rl_minibatch_prompts": "keeps the paper's 4 PPO mini-batches per step",
    "budget_rl_steps": "S5's compute budget follows the scale's RL size",
    "budget_multipliers": "fewer budgets fit a chapter",
    "eval_problems_per_op": "fewer held-out problems fit the evaluation time",
    "eval_samples": "fewer samples per problem; pass@k is reported up to this n",
    "eval_max_new_tokens": "the scale's solutions are shorter",
    "in_dist": "a small model's competence ladder sits lower (bands calibrated per scale)",
    "edge": "a small model's competence ladder sits lower (bands calibrated per scale)",
    "hard": "a small model's competence ladder sits lower (bands calibrated per scale)",
    "generator.max_distractors": "no distractor sentences: shorter texts for a small model",
    "generator.shuffle_sentences": "sentences in solution order: in 1-2M-token probes a 3M model learned the format "
                                   "but not to look names up in a shuffled question (lab notes)",
    "generator.variable_names": "letters in order of definition: one less thing to learn (lab notes)",
    "generator.copy_steps": "no temporary copies: shorter solutions, fewer letters to bind (lab notes)",
    "pretrain_warmup": "a short warmup: the many small steps of a 2M model need little",
    "loss_on": "loss on the solution only: a small model spends no capacity on question text",
    "context_ops": "context A is pre-trained over the ops the scale's model learns in one run (the ladder), not "
                   "the paper's whole op 2-20: spread over 2-16, the same tokens leave the top ops unlearned",
    "train_shapes": "20% of the graph shapes at op >= 6 (by graph hash) are held out of all training and evaluated "
                    "separately: the test that tells a model that learned the step procedure from one that "
                    "memorised the shapes (beyond the paper, issue 11)",
    "pretrain_tail": "a 1% long tail of edge-band problems in pre-training: trained on its band alone, the 2M model "
                     "never solved a single edge problem (pass@128 0 from the first op past the band, lab notes)",
}


def deviations(scale: str | Scale) -> list[Deviation]:
    """How `scale` differs from the paper's settings: (field, paper value, ours, reason), in field order."""
    scale = get_scale(scale)
    out = []
    for f in dataclasses.fields(Scale):
        if f.name == "name":
            continue
        ours, paper = getattr(scale, f.name), getattr(PAPER, f.name)
        if f.name == "generator":
            for g in dataclasses.fields(GeneratorConfig):
                o, p = getattr(ours, g.name), getattr(paper, g.name)
                if o != p:
                    key = f"generator.{g.name}"
                    out.append(Deviation(key, p, o, _REASONS.get(key, "our choice for this scale")))
        elif ours != paper:
            out.append(Deviation(f.name, paper, ours, _REASONS.get(f.name, "our choice for this scale")))
    return out
