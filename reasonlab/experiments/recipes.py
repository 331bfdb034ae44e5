"""The paper's experiments as named recipes (its Secs. 3-6 and App. A.5-A.10), defined at every scale.

A recipe is a set of named runs (arms). An arm chains stages: pre-training on a mixture, optional
mid-training on a mixture for a token budget, optional GRPO on a mixture with a reward for some steps.
Mixtures are built from a few parameters (an exposure share, an RL share beta, a reward weight alpha)
and the scale's op bands; arm names are derived from those values.

The paper states its op ranges for its own ladder (in-dist 2-10, edge 11-14, hard 15-20). Each
recipe names the *role* of a range (e.g. "the top of in-dist"), and the functions below map roles onto
a scale's bands, so at the paper and gpu scales they give exactly the paper's ranges.

    get_recipe("S4", "laptop")                          # the paper's arms at the laptop scale
    get_recipe("S4", "laptop", shares=(0, 0.05))        # a tinkerer's variant (widgets)
    list_recipes()                                      # ids in paper order
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..budget import full_rl_budget, split_budget
from ..evaluate import UNSEEN, EvalSpec
from ..generator import (
    HELD_OUT_MIN_OP, Band, LabelledBand, Mixture, Problem, check_band, check_disjoint_bands, get_template, make_dataset,
)
from ..train.edge_filter import EdgeFilter, steps_at_equal_compute
from ..train.grpo import DTYPES as GRPO_DTYPES
from ..validation import (check_bool, check_choice, check_float, check_instance, check_int, check_name, check_optional, check_str,
                          check_tuple)
from ..verify.score import REWARD_KINDS as REWARDS  # noqa: F401 (re-exported: "outcome", "process", "mix", "strict")
from ..verify.score import Reward
from .scales import Scale, get_scale

# Templates (contexts) by the paper's letters: A = animals-zoo, B = teachers-school, C = movie-festival.
BASE_TEMPLATES = ("A", "B", "C")  # pre-training "across templates" (paper.md section 4)
MID_ANCHOR_SHARE = 0.2  # mid-training keeps 20% on in-dist ops against forgetting (paper.md section 4)
A10_PRETRAIN_WEIGHTS = (0.2, 0.3, 0.5)  # 20% op 2-4, 30% op 5-7, 50% op 8-10 (paper.md A.10)
# An arm's stages in training order. Results store each arm's stage manifests as a JSON object with sorted keys, so
# code that needs an arm's last stage orders them by this, never by the object's order.
TRAINING_STAGES = ("pretrain", "mid", "rl")
STAGES = (*TRAINING_STAGES, "eval")
STAGE_SPLIT = {"pretrain": "pretrain", "mid": "midtrain", "rl": "rl", "eval": "eval"}  # stage -> generator split


# ------------------------------------------------------------------------------------ validation
def _check_unit(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _check_values(name: str, values, check=_check_unit) -> tuple:
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} needs at least one value")
    out = tuple(check(name, v) for v in values)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} has repeated values: {values}")
    return out


def _check_below_one(name: str, value) -> float:
    value = _check_unit(name, value)
    if value >= 1:
        raise ValueError(f"{name} must be below 1 (A needs some of the data), got {value!r}")
    return value


def _check_params(name: str, params) -> tuple:
    """((key, value), ...): the values that define an arm or a recipe; keys are unique strings, values free."""
    check_tuple(name, params, nonempty=False)
    for i, kv in enumerate(params):
        if not (isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], str) and kv[0]):
            raise ValueError(f"{name}[{i}] must be a (key, value) pair with a non-empty string key, got {kv!r}")
    keys = [k for k, _ in params]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name} has repeated keys: {keys}")
    return params


# ------------------------------------------------------------------------------------ mixtures
def mixture(parts: list[tuple[str, int, int, float]], scale: Scale, shapes: str | None = None) -> Mixture:
    """Mixture.of with the scale's generator config; parts with weight 0 are dropped (a 0% share).

    Training data draws the scale's `train_shapes` (shapes None); an evaluation passes shapes="all".
    """
    parts = [p for p in parts if p[3] > 0]
    return Mixture.of(parts, scale.generator, shapes or scale.train_shapes)


def across(templates: tuple[str, ...], lo: int, hi: int, weight: float = 1.0) -> list[tuple[str, int, int, float]]:
    """One op range split evenly across templates."""
    return [(t, lo, hi, weight / len(templates)) for t in templates]


def base_pretrain(scale: Scale) -> Mixture:
    """The shared base model's data: in-dist ops across templates (paper, Sec. 2-3 and App. A.2: op 2-10).

    A scale may add a long tail of edge-band problems (`scale.pretrain_tail`, 0 for the paper).
    """
    tail = scale.pretrain_tail
    return mixture(across(BASE_TEMPLATES, *scale.in_dist, 1 - tail) + across(BASE_TEMPLATES, *scale.edge, tail), scale)


def thirds_pretrain(scale: Scale, weights: tuple[float, float, float]) -> Mixture:
    """In-dist in thirds at `weights` (easy, medium, hard; paper.md section 9: the official code's
    `id2-10_<easy>easy_<medium>medium_<hard>hard` bases of A.7, S5 and A.10), with the scale's edge tail as in
    base_pretrain: the laptop base verified no edge problem without it (lab notes)."""
    if len(weights) != 3 or abs(sum(weights) - 1) > 1e-9 or any(w < 0 for w in weights):
        raise ValueError(f"thirds weights must be three non-negative shares summing to 1, got {weights!r}")
    tail = scale.pretrain_tail
    parts = [p for band, w in zip(in_dist_thirds(scale), weights) for p in across(BASE_TEMPLATES, *band, w * (1 - tail))]
    return mixture(parts + across(BASE_TEMPLATES, *scale.edge, tail), scale)


def exposure_pretrain(scale: Scale, b_share: float, b_ops: Band) -> Mixture:
    """Context A over the context ops plus context B on `b_ops` at share `b_share` (S4, A.6)."""
    b_share = _check_unit("context-B exposure share", b_share)
    return mixture([("A", *scale.context_ops, 1 - b_share), ("B", *b_ops, b_share)], scale)


def context_halves(scale: Scale) -> tuple[Band, Band]:
    """The context ops split in a low and a high half: Fig 5's simple and hard ops (paper: 2-10 and 11-20)."""
    lo, hi = scale.context_ops
    mid = (lo + hi) // 2
    return (lo, mid), (mid + 1, hi)


def mid_mixture(scale: Scale) -> Mixture:
    """Mid-training data: 20% in-dist, 80% edge, across templates (paper, Sec. 5 and App. A.2)."""
    return mixture(across(BASE_TEMPLATES, *scale.in_dist, MID_ANCHOR_SHARE)
                   + across(BASE_TEMPLATES, *scale.edge, 1 - MID_ANCHOR_SHARE), scale)


# ------------------------------------------------------------------------- paper ranges -> bands
def top_of_in_dist(scale: Scale) -> Band:
    """The in-dist ops nearest the edge, as wide as the edge band (paper: 7-10); leaves >= 1 op below."""
    (ilo, ihi), (elo, ehi) = scale.in_dist, scale.edge
    return max(ilo + 1, ihi - (ehi - elo)), ihi


def s3_rl_bands(scale: Scale) -> tuple[LabelledBand, ...]:
    """S3's four RL ranges labelled by role; at the paper's bands: 7-10, 9-12, 11-14, 17-20 (paper, Sec. 3, Fig 3).

    All are as wide as the edge band: the top of in-dist, the edge shifted down by half its width
    (straddling in-dist and edge), the edge itself, and the top of the hard band.
    """
    (ilo, _), (elo, ehi), (hlo, hhi) = scale.in_dist, scale.edge, scale.hard
    width, half = ehi - elo + 1, (ehi - elo + 1) // 2
    return (
        LabelledBand("in-dist", *top_of_in_dist(scale)),
        LabelledBand("mixed", max(ilo, elo - half), ehi - half),
        LabelledBand("edge", elo, ehi),
        LabelledBand("hard", max(hlo, hhi - width + 1), hhi),
    )


def in_dist_thirds(scale: Scale) -> tuple[Band, Band, Band]:
    """in_dist in three contiguous parts, sizes as equal as possible (paper: 2-4, 5-7, 8-10; A.10)."""
    lo, hi = scale.in_dist
    n = hi - lo + 1
    sizes = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
    out, start = [], lo
    for s in sizes:
        out.append((start, start + s - 1))
        start += s
    return tuple(out)


# ------------------------------------------------------------------------------------ stages
@dataclass(frozen=True)
class NextToken:
    """A pre- or mid-training stage: next-token loss on `tokens` tokens of `mixture`; with `run_tokens` above
    `tokens`, the checkpoint at `tokens` of one run of `run_tokens` (its lr schedule spans the whole run). Arms that
    split one budget take checkpoints of one mid-training run (the official S5 / A.10: paper.md section 9)."""

    mixture: Mixture  # the data
    tokens: int  # token budget: the tokens trained when this stage's weights are taken
    # the length of the run they are taken from; None: the whole run (so replace(stage, tokens=...) stays one)
    run_tokens: int | None = None

    def __post_init__(self):
        check_instance("training stage mixture", self.mixture, Mixture)
        check_int("tokens", self.tokens, lo=1, allowed="a positive integer token budget (not a bool)")
        if self.run_tokens is not None:
            check_int("run_tokens", self.run_tokens, lo=self.tokens,
                      allowed=f"an integer >= tokens ({self.tokens}): the length of the run whose checkpoint at "
                              f"`tokens` this stage is, or None for the whole run (not a bool)")
            if self.run_tokens == self.tokens:  # the whole run: one spelling, so equal stages compare equal
                object.__setattr__(self, "run_tokens", None)

    @property
    def is_checkpoint(self) -> bool:
        """True when the stage is a checkpoint part-way through a longer run."""
        return self.run_tokens is not None

    @property
    def run_length(self) -> int:
        """Tokens of the run the stage's weights come from (its lr schedule's length)."""
        return self.tokens if self.run_tokens is None else self.run_tokens


@dataclass(frozen=True)
class RL:
    """A GRPO stage."""

    mixture: Mixture  # prompts
    reward: Reward  # how rollouts are scored
    steps: int  # GRPO steps
    prompts_per_step: int  # prompts per step
    rollouts: int  # samples per prompt
    edge_filter: EdgeFilter | None = None  # prompts screened for the edge of competence instead of `mixture`
    lr: float | None = None  # the actor lr; None: the scale's rl_lr (a knob of RL-recipe)
    kl_coef: float | None = None  # the KL penalty's coefficient; None: the scale's rl_kl_coef (a knob of RL-recipe)
    dtype: str = "fp32"  # the policy and reference passes: "fp32" or "bf16" autocast (a knob of RL-recipe)

    def __post_init__(self):
        check_instance("RL mixture", self.mixture, Mixture)
        check_instance("RL reward", self.reward, Reward)
        for k in ("steps", "prompts_per_step"):
            check_int(f"RL {k}", getattr(self, k), lo=1, allowed="a positive integer (not a bool)")
        check_int("RL rollouts", self.rollouts, lo=2, allowed="an integer >= 2 (GRPO's group baseline; not a bool)")
        check_optional("RL edge_filter", self.edge_filter, check_instance, EdgeFilter)
        check_optional("RL lr", self.lr, check_float, 0, 0.1, lo_open=True)
        check_optional("RL kl_coef", self.kl_coef, check_float, 0, 1)
        check_choice("RL dtype", self.dtype, GRPO_DTYPES)

    @property
    def n_prompts(self) -> int:
        return self.steps * self.prompts_per_step


@dataclass(frozen=True)
class Arm:
    """One run: pre-training, then optionally mid-training, then optionally RL."""

    name: str  # derived from the arm's parameter values
    pretrain: NextToken
    mid: NextToken | None = None
    rl: RL | None = None
    params: tuple[tuple[str, object], ...] = ()  # the values that define the arm (plot axes), e.g. (("beta", 0.2),)

    def __post_init__(self):
        check_str("arm name", self.name, no_space=True, allowed="non-empty without spaces")
        check_instance(f"arm {self.name} pretrain", self.pretrain, NextToken)
        check_optional(f"arm {self.name} mid", self.mid, check_instance, NextToken)
        check_optional(f"arm {self.name} rl", self.rl, check_instance, RL)
        _check_params(f"arm {self.name} params", self.params)

    @property
    def stages(self) -> dict[str, NextToken | RL]:
        """The stages this arm has, in training order (TRAINING_STAGES)."""
        out = dict(zip(TRAINING_STAGES, (self.pretrain, self.mid, self.rl)))
        return {k: v for k, v in out.items() if v is not None}

    def param(self, key: str):
        return dict(self.params)[key]


@dataclass(frozen=True)
class Evaluation:
    """Held-out evaluation: every op of every band, per template or pooled across templates."""

    bands: tuple[LabelledBand, ...]  # the table's groups, e.g. LabelledBand("edge", 11, 14); (label, lo, hi) accepted
    templates: tuple[str, ...]  # contexts evaluated (canonical names)
    by_template: bool  # report each template separately (context transfer) or pool them
    problems_per_op: int  # problems per op (per template if by_template)
    samples: int  # n samples per problem for pass@k
    # the unseen-shape test: as many problems again at each in_dist op >= HELD_OUT_MIN_OP, drawn from the
    # held-out graph shapes only (needs a scale with train_shapes="seen"); reported as band "unseen"
    unseen: bool = False

    def __post_init__(self):
        if not self.bands:
            raise ValueError("an evaluation needs at least one band")
        object.__setattr__(self, "bands", check_disjoint_bands("eval bands", self.bands))
        check_tuple("eval templates", self.templates, check_str,
                    allowed="a non-empty tuple of template names or letters")
        object.__setattr__(self, "templates", tuple(get_template(t).name for t in self.templates))
        check_tuple("eval templates", self.templates, unique=True)  # "A" and "animals-zoo" are one template
        check_bool("by_template", self.by_template)
        check_int("problems_per_op", self.problems_per_op, lo=1)
        check_int("samples", self.samples, lo=1)
        check_bool("unseen", self.unseen)
        if self.unseen and not self.unseen_ops:
            raise ValueError(f"unseen=True needs an 'in_dist' band reaching op {HELD_OUT_MIN_OP} (no shape is held "
                             f"out below it), got bands {self.bands}")

    @property
    def ops(self) -> list[int]:
        return sorted({op for band in self.bands for op in band.ops})

    @property
    def unseen_ops(self) -> list[int]:
        """The in_dist ops that have held-out shapes (the unseen-shape test's ops)."""
        return [op for band in self.bands if band.label == "in_dist" for op in band.ops if op >= HELD_OUT_MIN_OP]

    def mixture(self, op: int, template: str | None, scale: Scale) -> Mixture:
        """The eval mixture at one op: one template, or all of them pooled (template None)."""
        templates = (template,) if template else self.templates
        return mixture([(t, op, op, 1.0) for t in templates], scale, shapes="all")

    def eval_spec(self, scale: Scale, seed: int = 0):
        """The evaluation harness's spec (reasonlab.evaluate.EvalSpec): how this evaluation samples at `scale`."""
        return EvalSpec(self.bands, self.samples, scale.eval_temperature, 1.0, scale.eval_max_new_tokens, seed)

    def problem_sets(self, scale: Scale, seed: int = 0, n_per_op: int | None = None,
                     ops: Sequence[int] | None = None) -> dict[tuple[str, int], list[Problem]]:
        """{(template or "all", op): problems} from the eval split, then {(UNSEEN, op): held-out shapes} if unseen.

        n_per_op and ops (a subset of self.ops) take a slice: the first problems of some sets, the same problems as
        the full evaluation's (problem i is a function of its index), without the unseen-shape sets."""
        n = n_per_op or self.problems_per_op
        groups = self.templates if self.by_template else (None,)
        if ops is not None and not set(ops) <= set(self.ops):
            raise ValueError(f"ops {sorted(ops)} are not all evaluation ops {self.ops}")
        sets = {(t or "all", op): make_dataset(self.mixture(op, t, scale), "eval", n, seed)
                for t in groups for op in (self.ops if ops is None else sorted(ops))}
        if self.unseen and ops is None:
            if scale.train_shapes != "seen":
                raise ValueError(f"the unseen-shape test needs a scale that trains on seen shapes only; "
                                 f"{scale.name} has train_shapes={scale.train_shapes!r}")
            for op in self.unseen_ops:
                held_out = mixture([(t, op, op, 1.0) for t in self.templates], scale, shapes="held-out")
                sets[(UNSEEN, op)] = make_dataset(held_out, "eval", n, seed)
        return sets


@dataclass(frozen=True)
class Recipe:
    """One paper experiment at one scale."""

    id: str  # e.g. "S3"
    title: str
    paper_ref: str  # figure / section in the paper
    question: str  # what the experiment asks
    finding: str  # what the paper reports (paper.md section 5)
    compare: str  # what is compared across arms
    scale: Scale
    arms: tuple[Arm, ...]
    evaluation: Evaluation
    view_of: str | None = None  # the recipe whose runs this one re-reads (A.5, A.8, Fig5)
    params: tuple[tuple[str, object], ...] = field(default=())  # builder parameters used

    def __post_init__(self):
        check_name("recipe id", self.id)  # it names result files: data/results/<recipe>-<scale>.json
        for k in ("title", "paper_ref", "question", "finding", "compare"):
            check_str(f"recipe {self.id} {k}", getattr(self, k))
        check_instance(f"recipe {self.id} scale", self.scale, Scale)
        if not self.arms:
            raise ValueError(f"recipe {self.id} has no arms")
        check_tuple(f"recipe {self.id} arms", self.arms, lambda k, a: check_instance(k, a, Arm))
        check_instance(f"recipe {self.id} evaluation", self.evaluation, Evaluation)
        check_optional(f"recipe {self.id} view_of", self.view_of, check_str)
        _check_params(f"recipe {self.id} params", self.params)
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"recipe {self.id} has repeated arm names: {names}")

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise ValueError(f"recipe {self.id} has no arm {name!r}; arms: {', '.join(a.name for a in self.arms)}")

    def describe(self) -> str:
        """A plain-text summary: arms, stages, mixtures, budgets, evaluation."""
        lines = [f"{self.id}: {self.title}  [{self.paper_ref}]  scale={self.scale.name}",
                 f"  question: {self.question}", f"  compare:  {self.compare}", f"  paper:    {self.finding}"]
        if self.view_of:
            lines.append(f"  runs:     re-reads the runs of {self.view_of}")
        for a in self.arms:
            lines.append(f"  arm {a.name}  " + " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                                    for k, v in a.params if v is not None))
            lines.append(f"    pretrain  {a.pretrain.tokens:>14,} tokens  {a.pretrain.mixture.name}")
            if a.mid:
                of_run = f" (checkpoint of a {a.mid.run_tokens:,}-token run)" if a.mid.is_checkpoint else ""
                lines.append(f"    mid       {a.mid.tokens:>14,} tokens  {a.mid.mixture.name}{of_run}")
            if a.rl:
                r = a.rl
                lr = f"  lr={r.lr:g}" if r.lr is not None else ""
                lines.append(f"    rl        {r.steps:>6} steps x {r.prompts_per_step} prompts x {r.rollouts} rollouts"
                             f"  reward={r.reward.name}{lr}  {r.mixture.name}")
        ev = self.evaluation
        bands = ", ".join(f"{b.label} {b.lo}-{b.hi}" for b in ev.bands)
        how = "per template" if ev.by_template else "pooled"
        lines.append(f"  eval: {bands}; templates {', '.join(ev.templates)} ({how}); "
                     f"{ev.problems_per_op} problems/op x {ev.samples} samples")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ helpers
def _rl(scale: Scale, mix: Mixture, reward: Reward | None = None, steps: int | None = None) -> RL:
    return RL(mix, reward or Reward("outcome"), steps or scale.rl_steps, scale.rl_prompts_per_step, scale.rollouts)


def _pretrain(scale: Scale, mix: Mixture) -> NextToken:
    return NextToken(mix, scale.pretrain_tokens)


def _eval(scale: Scale, templates=BASE_TEMPLATES, by_template=False, samples: int | None = None) -> Evaluation:
    return Evaluation(scale.bands, tuple(templates), by_template, scale.eval_problems_per_op,
                      samples or scale.eval_samples)


def _rl_eval(scale: Scale) -> Evaluation:
    """The evaluation of a recipe whose base is an arm beside its RL arms, all at the RL arms' n (paired per problem):
    S6's, so a checkpoint evaluated for one such recipe is cached for all of them."""
    return _eval(scale, samples=scale.rl_eval_samples or None)


def _base_arm(pre: NextToken, *params: str) -> Arm:
    """A recipe's base as an arm (no stage after pre-training), its params None where its RL arms have values."""
    return Arm("base", pre, params=tuple((p, None) for p in params))


def _context_eval(scale: Scale) -> Evaluation:
    """S4 / A.6: contexts A and B reported apart, over the context ops in a low and a high half; the bases and the
    RL arms at the same n (pass@k paired per problem)."""
    (llo, lhi), (hlo, hhi) = context_halves(scale)
    return Evaluation((LabelledBand("low", llo, lhi), LabelledBand("high", hlo, hhi)), ("A", "B"), True,
                      scale.eval_problems_per_op,
                      scale.rl_eval_samples or scale.eval_samples)


def _pct(share: float) -> str:
    return f"{share * 100:g}pct"


def _equal_compute_arms(scale: Scale, betas, pre: NextToken, mid_mix: Mixture, rl_mix: Mixture,
                        multiplier: float = 1.0, prefix: str = "") -> list[Arm]:
    """Arms that split one budget T between mid-training and RL (paper, Sec. 5 and App. A.10).

    T is the cost of a full-RL arm of `scale.budget_rl_steps` steps, times `multiplier`. Mid-training runs once per
    budget, T tokens long (the beta = 0 arm's); an arm with 0 < beta < 1 takes that run's checkpoint at (1 - beta) T
    and continues with RL for beta T, as the official code does (paper.md section 9).
    """
    total = multiplier * full_rl_budget(scale.budget_rl_steps, scale.rl_prompts_per_step, scale.rollouts,
                                        scale.rl_seq_len)
    arms = []
    for beta in betas:
        split = split_budget(total, beta, scale.rollouts, scale.rl_seq_len, scale.rl_prompts_per_step,
                             scale.batch_tokens)
        mid = NextToken(mid_mix, round(split.t_mid), run_tokens=round(total)) if beta < 1 else None
        # At least one step for any beta > 0 (only tiny scales would round to zero).
        rl = _rl(scale, rl_mix, steps=max(1, split.rl_steps_int)) if beta > 0 else None
        params = (("beta", beta), ("budget_tokens", round(total))) + ((("budget_x", multiplier),) if prefix else ())
        arms.append(Arm(f"{prefix}beta-{beta:g}", pre, mid, rl, params))
    return arms


# ------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class _Spec:
    id: str
    title: str
    paper_ref: str
    question: str
    finding: str
    compare: str
    build: Callable  # (scale, **params) -> (arms, evaluation)
    view_of: str | None = None


_REGISTRY: dict[str, _Spec] = {}


def _recipe(id: str, title: str, paper_ref: str, question: str, finding: str, compare: str, view_of: str | None = None):
    def register(fn):
        _REGISTRY[id] = _Spec(id, title, paper_ref, question, finding, compare, fn, view_of)
        return fn
    return register


# ------------------------------------------------------------------------------------ recipes
@_recipe("ladder", "The performance ladder of the base model", "Sec. 2-3 (base model's ladder; paper, App. A.2)",
         "Does a model pre-trained on in-dist ops solve them, sometimes solve slightly harder ones, and never much "
         "harder ones?",
         "in-dist pass@128 ~ 100%; OOD-edge pass@1 ~ 10%, pass@128 ~ 40%; OOD-hard pass@128 ~ 0.",
         "pass@k per band and per op of the base model")
def ladder(scale: Scale):
    """The shared base model every RL recipe starts from (same pre-training stage as S3, so it is cached once);
    with a scale that holds shapes out of training, the evaluation adds the unseen-shape test."""
    ev = _eval(scale)
    if scale.train_shapes == "seen" and scale.in_dist[1] >= HELD_OUT_MIN_OP:  # no shape is held out below
        ev = dataclasses.replace(ev, unseen=True)
    return [Arm("base", _pretrain(scale, base_pretrain(scale)))], ev


@_recipe("S3", "When does RL add capability?", "Fig 3 (paper, Sec. 3)",
         "Does RL on ops of a given difficulty raise pass@k beyond the base model, in and out of distribution?",
         "ID: pass@1 up, pass@128 flat. Only edge-calibrated RL (11-14, also 9-12) raises OOD pass@128; "
         "17-20 RL learns nothing.",
         "pass@1 and pass@k per eval band: base model vs each RL arm")
def s3(scale: Scale, rl_bands=None, edge_filter: bool = True, follow_ups: bool = True):
    """Four RL arms from one base (pre-trained on in-dist): RL on each of S3's ranges.

    With edge_filter, a fifth arm (beyond the paper, its practical guidance 1): prompts screened for the
    current model's edge of competence, at the compute of one fixed-band arm (screening included).
    With follow_ups, two more edge-band arms that change one knob each, what a researcher tries when the
    edge run shows little: three times the steps, and the paper's process-aware reward 0.2 R_out + 0.8 R_pv.
    """
    bands = s3_rl_bands(scale) if rl_bands is None else tuple(LabelledBand(f"band{i}", *check_band("RL band", b))
                                                              for i, b in enumerate(rl_bands))
    if not bands:
        raise ValueError("rl_bands needs at least one (lo, hi) range")
    for name, flag in (("edge_filter", edge_filter), ("follow_ups", follow_ups)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    pre = _pretrain(scale, base_pretrain(scale))
    arms = [Arm(f"rl-op{lo}-{hi}", pre, rl=_rl(scale, mixture(across(BASE_TEMPLATES, lo, hi), scale)),
                params=(("rl_band", (lo, hi)), ("role", role)))
            for role, lo, hi in bands]
    if edge_filter:
        arms.append(_edge_filter_arm(scale, pre))
    if follow_ups:
        lo, hi = scale.edge
        edge_mix = mixture(across(BASE_TEMPLATES, lo, hi), scale)
        arms.append(Arm(f"rl-op{lo}-{hi}-3x-steps", pre, rl=_rl(scale, edge_mix, steps=3 * scale.rl_steps),
                        params=(("rl_band", (lo, hi)), ("role", "edge, 3x steps"))))
        arms.append(Arm(f"rl-op{lo}-{hi}-process-reward", pre, rl=_rl(scale, edge_mix, Reward("mix", 0.2)),
                        params=(("rl_band", (lo, hi)), ("role", "edge, process-aware reward"))))
    return arms, _eval(scale, samples=scale.rl_eval_samples or None)  # same problems as the ladder's evaluation


EDGE_FILTER_K = 4  # samples per screened candidate (kept iff 0 < successes < k)
EDGE_FILTER_REFRESH = 5  # GRPO steps per screened pool


def _edge_filter_arm(scale: Scale, pre: NextToken) -> Arm:
    """RL on screened edge prompts from the top of in-dist to the top of hard, at one fixed-band arm's compute."""
    lo, hi = top_of_in_dist(scale)[0], scale.hard[1]
    refresh = min(EDGE_FILTER_REFRESH, scale.rl_steps)
    filt = EdgeFilter(mixture(across(BASE_TEMPLATES, lo, hi), scale),
                      pool_size=refresh * scale.rl_prompts_per_step, k=EDGE_FILTER_K, refresh_every=refresh)
    steps = steps_at_equal_compute(scale.rl_steps, filt, scale.rl_prompts_per_step, scale.rollouts)
    rl = RL(filt.pool, Reward("outcome"), steps, scale.rl_prompts_per_step, scale.rollouts, edge_filter=filt)
    return Arm("rl-edge-filter", pre, rl=rl, params=(("rl_band", (lo, hi)), ("role", "edge-filter")))


S4_SHARES = (0.0, 0.001, 0.01, 0.1)  # context-B share of pre-training: 0%, 0.1%, 1%, 10% (paper.md S4 / Fig 4)
# Beyond the paper: at these shares also an RL arm with the strict (process-verified) reward, one knob changed, to
# tell apart "RL cannot carry A's procedure into B" from "the outcome reward pays for B's answer in A's words"
S4_STRICT_SHARES = (0.1,)
# A mapping revision, not the paper's grid: at these shares also a base whose A tokens are held at the 0% base's
# (total T / (1 - s)), and its RL arm. At 10% the 2M laptop model, with a tenth fewer A tokens, fails the base
# check by copying A's names less faithfully (lab notes, session 5); this tells "too few A tokens" from "B's data
# itself crowds A out". One knob changed against the share's own base: the token budget.
S4_HELD_A_SHARES = (0.1,)


@_recipe("S4", "How much pre-training exposure does a context need?", "Fig 4 (paper, Sec. 4)",
         "With context B seen only at op 2 in pre-training, how much B exposure lets RL transfer to B?",
         "0% or 0.1% B: RL cannot transfer to B. >= 1% B: strong transfer even at op 20 (up to +60% pass@128).",
         "pass@k on context B per op after RL, across B exposure shares")
def s4(scale: Scale, shares=S4_SHARES, strict_shares=S4_STRICT_SHARES, held_a_shares=S4_HELD_A_SHARES):
    """Per B share s: a base pre-trained on A (context ops) + B at their lowest op with share s, and that base
    after GRPO on 50% A / 50% B over the context ops. Both are evaluated, so each RL gain is paired with its base.
    For a share also in `strict_shares`, a third arm: the same GRPO with the strict reward (beyond the paper).
    For a share also in `held_a_shares`, a second base with A's tokens held at the 0% base's, and its RL arm."""
    shares = _check_values("context-B exposure shares", shares)
    strict_shares = (_check_values("context-B exposure shares with a strict-reward arm", strict_shares)
                     if tuple(strict_shares) else ())  # none: the paper's grid alone
    held_a_shares = (_check_values("context-B exposure shares with a held-A base", held_a_shares, _check_below_one)
                     if tuple(held_a_shares) else ())
    lo, hi = scale.context_ops
    rl_mix = mixture([("A", lo, hi, 0.5), ("B", lo, hi, 0.5)], scale)  # 50% A / 50% B over op 2-20 (paper, Sec. 4)
    arms = []
    for s in shares:
        pre = _pretrain(scale, exposure_pretrain(scale, s, (lo, lo)))  # B at op 2 only (paper, Sec. 4)
        arms += [Arm(f"exposure-{_pct(s)}-base", pre, params=(("b_share", s), ("stage", "base"))),
                 Arm(f"exposure-{_pct(s)}-rl", pre, rl=_rl(scale, rl_mix), params=(("b_share", s), ("stage", "rl")))]
        if s in strict_shares:
            arms.append(Arm(f"exposure-{_pct(s)}-rl-strict", pre, rl=_rl(scale, rl_mix, Reward("strict")),
                            params=(("b_share", s), ("stage", "rl-strict"))))
        if s in held_a_shares:
            held = NextToken(pre.mixture, round(scale.pretrain_tokens / (1 - s)))  # A's tokens as at 0% B
            arms += [Arm(f"exposure-{_pct(s)}-heldA-base", held, params=(("b_share", s), ("stage", "heldA-base"))),
                     Arm(f"exposure-{_pct(s)}-heldA-rl", held, rl=_rl(scale, rl_mix),
                         params=(("b_share", s), ("stage", "heldA-rl")))]
    return arms, _context_eval(scale)


@_recipe("Fig5", "Replication or creation?", "Fig 5 (paper, Sec. 4)",
         "Do correct context-B solutions copy context-A training graphs or build new structures?",
         "simple ops (in-dist) copy A's patterns; hard ops produce novel structures, more so with more B exposure",
         "topology similarity of correct B graphs to A training graphs, simple vs hard ops, per exposure share",
         view_of="S4")
def fig5(scale: Scale, shares=S4_SHARES, strict_shares=S4_STRICT_SHARES, held_a_shares=S4_HELD_A_SHARES):
    """The runs of S4, re-read."""
    return s4(scale, shares, strict_shares, held_a_shares)


S5_BETAS = (0.0, 0.2, 0.5, 0.8, 1.0)  # RL share of the budget (paper.md S5 / Fig 6)
MID_RL_BASES = ("thirds", "ladder")  # the official 20/30/50 thirds base, or the ladder's (uniform over in-dist)
# Scales whose thirds base failed the ladder's check, so that S5 and A.10 start from the ladder's base instead (the
# rule fixed before the base ran; lab notes, 2026-12-05, session 11): laptop, in-dist pass@64 0.853, edge 0.037.
MID_RL_BASE_OF_SCALE = {"laptop": "ladder"}


def _mid_rl_pretrain(scale: Scale, base: str | None) -> NextToken:
    """The base of S5 and A.10: the official code's 20/30/50 thirds base, unless `base` (or, left None, the scale's
    MID_RL_BASE_OF_SCALE entry) says the ladder's."""
    base = check_choice("base", MID_RL_BASE_OF_SCALE.get(scale.name, "thirds") if base is None else base,
                        MID_RL_BASES)
    mix = thirds_pretrain(scale, A10_PRETRAIN_WEIGHTS) if base == "thirds" else base_pretrain(scale)
    return _pretrain(scale, mix)


@_recipe("S5", "Mid-training vs RL at equal compute", "Fig 6 (paper, Sec. 5)",
         "Given a fixed budget, how should it be split between mid-training and RL?",
         "OOD-edge: full mid and light RL beat heavy/full RL. OOD-hard: heavy RL best pass@1 and pass@128.",
         "pass@1 and pass@k on edge and hard, across the RL share beta at equal compute")
def s5(scale: Scale, betas=S5_BETAS, base=None):
    """The A.10 base (20/30/50 over the in-dist thirds; the ladder's where the scale's failed its check) -> mid-training
    on 20% in-dist + 80% edge, the checkpoint at (1 - beta) T of one T-token run -> RL on edge for beta T (the official
    code's S5 is A.10 at its first budget: paper.md section 9). The base is an arm, evaluated with the arms (paired per
    problem) and checked as the ladder's base before RL is spent."""
    betas = _check_values("beta (RL share of the budget)", betas)
    rl_mix = mixture(across(BASE_TEMPLATES, *scale.edge), scale)  # RL on op 11-14 (paper.md S5)
    pre = _mid_rl_pretrain(scale, base)
    arms = [_base_arm(pre, "beta", "budget_tokens")]
    arms += _equal_compute_arms(scale, betas, pre, mid_mixture(scale), rl_mix)
    return arms, _rl_eval(scale)


S6_ALPHAS = (1.0, 0.8, 0.5, 0.2, 0.0)  # outcome weight a; 1 = outcome only, 0 = process only (our reading of S6)


@_recipe("S6", "Process rewards vs reward hacking", "Fig 7 (paper, Sec. 6)",
         "Does putting process verification into the reward curb reward hacking and help generalisation?",
         "process-aware rewards raise pass@1 on hard by 4-5%; 0.2 R_out + 0.8 R_pv balances best; strict gains more",
         "pass@1 and pass@k on edge and hard across reward mixes")
def s6(scale: Scale, alphas=S6_ALPHAS, strict: bool = True, random_control: bool = True):
    """RL on edge ops from the base with R = a R_out + (1 - a) R_pv, plus the strict reward, all for the scale's
    process_rl_steps; the base is an arm (evaluated on the same problems, under the same verifier rules).

    With random_control (beyond the paper, the RL control): an arm whose reward carries no information, the batch's
    outcome rewards permuted across its rows (same mean as the outcome reward); an RL effect counts only where it
    beats this arm too."""
    if not isinstance(random_control, bool):
        raise ValueError(f"random_control must be True or False, got {random_control!r}")
    rewards = [Reward.mixed(a) for a in _check_values("reward alphas", alphas)] + ([Reward("strict")] if strict else [])
    rewards += [Reward("random")] if random_control else []
    pre = _pretrain(scale, base_pretrain(scale))
    rl_mix = mixture(across(BASE_TEMPLATES, *scale.edge), scale)  # op 11-14 (paper.md S6)
    steps = scale.process_rl_steps or scale.rl_steps
    arms = [Arm("base", pre, params=(("reward", None), ("alpha", None)))]
    arms += [Arm(f"reward-{r.name}", pre, rl=_rl(scale, rl_mix, r, steps=steps),
                 params=(("reward", r.name), ("alpha", r.outcome_weight)))
             for r in rewards]
    return arms, _rl_eval(scale)  # the base at the arms' n: paired per problem


@_recipe("A.5", "Training dynamics of S3", "Fig 10-11 (paper, App. A.5)",
         "How do NLL per eval range and the reward evolve during S3's RL runs?",
         "RL lowers NLL on every range, most on the edge; reward rises for the mixed and edge runs only",
         "NLL per eval band and mean reward over RL steps, per arm", view_of="S3")
def a5(scale: Scale, rl_bands=None):
    return s3(scale, rl_bands)


A61_RL_B_SHARES = (0.0, 0.02, 0.1, 0.5, 1.0)  # B share of RL data (paper.md A.6.1 / Fig 12)


def _rl_b_share_arms(scale: Scale, pre: NextToken, shares) -> list[Arm]:
    """The base, then one arm per B share s of the RL data (A and B over the context ops) (A.6.1, A.6.2)."""
    lo, hi = scale.context_ops
    return [Arm("base", pre, params=(("rl_b_share", None), ("stage", "base")))] + [
        Arm(f"rl-B-{_pct(s)}", pre, rl=_rl(scale, mixture([("A", lo, hi, 1 - s), ("B", lo, hi, s)], scale)),
            params=(("rl_b_share", s), ("stage", "rl")))
        for s in shares]


@_recipe("A.6.1", "RL exposure to B when B was pre-trained at all ops", "Fig 12 (paper, App. A.6.1)",
         "With B seen at all ops (0.1%) in pre-training, how much B in RL data is needed?",
         "more B in RL, better on B; even 0% B gives clear transfer",
         "pass@k on context A and B per op across the B share of RL data")
def a6_1(scale: Scale, rl_b_shares=A61_RL_B_SHARES, pretrain_b_share: float = 0.001):
    """Pre-train 99.9% A + 0.1% B, both all ops; RL over all ops with B share s."""
    shares = _check_values("B shares of RL data", rl_b_shares)
    pre = _pretrain(scale, exposure_pretrain(scale, pretrain_b_share, scale.context_ops))  # (paper, App. A.6.1)
    return _rl_b_share_arms(scale, pre, shares), _context_eval(scale)


A62_RL_B_SHARES = (0.0, 0.01, 0.1, 0.5, 1.0)  # B share of RL data (paper.md A.6.2 / Fig 13-14)


@_recipe("A.6.2", "RL exposure to B when B had only atomic ops", "Fig 13-14 (paper, App. A.6.2)",
         "With B seen only at op 2 (1%) in pre-training, how much B in RL data is needed?",
         "0-1% B: little transfer, flat reward. ~10% B: B pass@128 +76 points; 50-100% diminishing; A stays stable",
         "pass@k on context A and B per op, and reward curves, across the B share of RL data")
def a6_2(scale: Scale, rl_b_shares=A62_RL_B_SHARES, pretrain_b_share: float = 0.01):
    """Pre-train 99% A (all ops) + 1% B at the lowest op; RL over all ops with B share s."""
    shares = _check_values("B shares of RL data", rl_b_shares)
    lo = scale.context_ops[0]
    pre = _pretrain(scale, exposure_pretrain(scale, pretrain_b_share, (lo, lo)))  # S4's 1% base (paper, App. A.6.2)
    return _rl_b_share_arms(scale, pre, shares), _context_eval(scale)


# The hardest in-dist third's share of pre-training, the rest split evenly (the official A.7 grid, paper.md
# section 9: 0.1%, 1%, 5%, 20%, 50%); at 50% the grid's 0.2/0.3/0.5 file, the base S5 and A.10 share.
A7_HARD_SHARES = (0.001, 0.01, 0.05, 0.2, 0.5)


def a7_weights(hard_share: float) -> tuple[float, float, float]:
    """(easy, medium, hard) thirds for a hard share: the A.10 base's weights where its hard share is asked for (the
    official grid has that file, so the base is trained once), else the rest split evenly."""
    if hard_share == A10_PRETRAIN_WEIGHTS[2]:
        return A10_PRETRAIN_WEIGHTS
    return ((1 - hard_share) / 2, (1 - hard_share) / 2, hard_share)


@_recipe("A.7", "Pre-training difficulty vs RL gain", "Fig 15-16 (paper, App. A.7)",
         "How does the share of harder in-dist data in pre-training change the base model and RL's gain?",
         "more hard data helps base and RL; RL's relative gain largest at ~20% hard (+22 points pass@128 on hard)",
         "base and post-RL pass@k per band across the hard share; reward curves")
def a7(scale: Scale, hard_shares=A7_HARD_SHARES, calibrated: bool | None = None):
    """One base per share h of the hardest in-dist third (the rest split evenly; thirds_pretrain, with the scale's
    edge tail), each evaluated, then RL on edge from each; bases and arms on one evaluation, paired per problem.

    With calibrated (None: where the scale has a calibrated RL recipe), each base also gets an arm with that recipe
    (calibrated_rl) beside the paper's outcome-reward arm: the laptop's reproduction (issue 28, item 2)."""
    shares = _check_values("hard shares of pre-training", hard_shares)
    calibrated = has_calibrated_rl(scale) if calibrated is None else check_bool("calibrated", calibrated)
    rl_mix = mixture(across(BASE_TEMPLATES, *scale.edge), scale)  # op 11-14 (paper.md A.7)
    arms = []
    for h in shares:
        pre = _pretrain(scale, thirds_pretrain(scale, a7_weights(h)))
        arms += [Arm(f"base-hard-{_pct(h)}", pre, params=(("hard_share", h), ("stage", "base"))),
                 Arm(f"hard-{_pct(h)}", pre, rl=_rl(scale, rl_mix), params=(("hard_share", h), ("stage", "rl")))]
        if calibrated:
            arms.append(Arm(f"calibrated-hard-{_pct(h)}", pre, rl=calibrated_rl(scale, rl_mix),
                            params=(("hard_share", h), ("stage", "calibrated"))))
    return arms, _rl_eval(scale)


@_recipe("A.8", "Training dynamics of S4", "Fig 17 (paper, App. A.8)",
         "How does the reward evolve during S4's RL runs at each B exposure?",
         "minimal B exposure: no reward gain; moderate to full: clear gain",
         "mean reward over RL steps, per exposure share", view_of="S4")
def a8(scale: Scale, shares=S4_SHARES):
    return s4(scale, shares)


@_recipe("A.10", "Mid/RL split at several budgets", "Fig 18, Table 3 (paper, App. A.10)",
         "Does the best mid-training / RL split depend on the total budget?",
         "light RL best edge pass@1 and heavy RL best hard pass@1 at all budgets; pass@128 on hard: heavy RL best "
         "at 4.2B tokens, full RL best at >= 8.4B",
         "pass@1 and pass@k on edge and hard across beta, for each budget")
def a10(scale: Scale, betas=S5_BETAS, budget_multipliers=None, base=None):
    """Pre-train 20/30/50 over in-dist thirds (the ladder's base where the scale's failed its check: _mid_rl_pretrain);
    mid-training on 20% in-dist + 80% edge, RL on the edge band; budgets x betas, one mid-training run per budget whose
    checkpoints the arms take. The paper's text gives RL "the same mix as mid"; the official code's budget runs
    (`cpt-rl-op11-14_uniform-<N>step`) all do RL on op 11-14, as S5 does, so S5 is exactly this recipe at 1x (same
    stage keys and evaluation: the chapter reads S5's arms for it)."""
    betas = _check_values("beta (RL share of the budget)", betas)
    mults = tuple(scale.budget_multipliers if budget_multipliers is None else budget_multipliers)
    if not mults or any(not isinstance(m, (int, float)) or m <= 0 for m in mults):
        raise ValueError(f"budget_multipliers must be positive numbers, got {mults!r}")
    pre = _mid_rl_pretrain(scale, base)
    rl_mix = mixture(across(BASE_TEMPLATES, *scale.edge), scale)  # op 11-14: the official code's (S5's) RL data
    arms = [_base_arm(pre, "beta", "budget_tokens", "budget_x")]
    arms += [a for m in mults for a in _equal_compute_arms(scale, betas, pre, mid_mixture(scale), rl_mix, m,
                                                           f"T{m:g}x-")]
    return arms, _rl_eval(scale)


RL_KNOB_FILTER_K = 8  # screening samples per candidate: at op 11-13's verified pass@1 (<= 0.006) k = 4 keeps ~2%


def _edge_filter_knob(strict: RL) -> dict:
    """The strict arm's own prompts (op 10-13), screened every 5 steps by the current policy for 0 < verified
    successes < k, at the strict arm's compute (screening included). Both the strict arm and its random control
    screen by verification, so they train on prompts chosen by one rule."""
    refresh = min(EDGE_FILTER_REFRESH, strict.steps)
    filt = EdgeFilter(strict.mixture, pool_size=refresh * strict.prompts_per_step, k=RL_KNOB_FILTER_K,
                      refresh_every=refresh, success="verified")
    return {"edge_filter": filt,
            "steps": steps_at_equal_compute(strict.steps, filt, strict.prompts_per_step, strict.rollouts)}


# The laptop RL recipe's knobs (issue 25, item 4): each arm changes one setting of S6's strict arm, in the order the
# lab notes plan them. "rollouts-16": 16 samples for each of 12 prompts (~192 rollouts a step, as 32 x 6), so that
# more groups hold a verified success; "lr-2e-05": the actor lr 2.5x smaller (the laptop's 5e-5 narrowed in-dist);
# "steps-150": 2.5x the steps; "bf16": the same run with bf16 policy and reference passes (issue 24: the laptop uses
# bf16 only if it moves no result of the strict arm; it has no random control, being no change of the signal);
# "edge-filter": GRPO only on the prompts the policy solves sometimes (verified), at equal compute;
# "steps-150-lr-2e-05": the two knobs that each met one part (steps: the largest edge gain; lr 2e-5: in-dist kept),
# 2.5x the prompts at the same lr x steps as the strict arm (planned after every single knob failed); "kl-1e-02": a
# KL penalty 10x the scale's, to hold the policy near the base (in-dist narrowed in every strict arm). A knob is its
# settings, or a function of the strict arm's stage giving them (where they depend on it).
RL_KNOBS = {
    "rollouts-16": {"prompts_per_step": 12, "rollouts": 16},
    "lr-2e-05": {"lr": 2e-5},
    "steps-150": {"steps": 150},
    "bf16": {"dtype": "bf16"},
    "edge-filter": _edge_filter_knob,
    "steps-150-lr-2e-05": {"steps": 150, "lr": 2e-5},
    "kl-1e-02": {"kl_coef": 1e-2},
}
UNCONTROLLED_KNOBS = ("bf16",)  # knobs that change the arithmetic, not the learning signal: no random-reward arm
# Where an arm's RL starts. "base": S6's base, the start of every knob above. "mid": S5's all-mid model (that base
# mid-trained on 20% in-dist + 80% edge for S5's whole 1x budget: S5's beta-0 stage), whose verified edge is wide
# (laptop edge pass@1 0.25 against the base's 0.04), so that most groups hold a verified success: the paper's RL
# widens what mid-training has put within reach. From it, the strict arm's settings with each of these rewards
# (the strict reward, its random control, the paper's outcome reward), judged against the mid model itself.
MID_START_KNOB = "from-mid"
MID_START_REWARDS = ("strict", "random", "outcome")


def rl_knob_settings(knob: str, strict: RL) -> dict:
    """The RL fields a knob of RL_KNOBS changes from the strict arm's stage `strict`."""
    settings = RL_KNOBS[check_choice("RL knob", knob, tuple(RL_KNOBS))]
    return settings(strict) if callable(settings) else dict(settings)


@_recipe("RL-recipe", "The laptop RL recipe (calibration, beyond the paper)", "Sec. 6 (paper); issue 25",
         "Which RL settings raise the verified edge against a random-reward control and keep in-dist?",
         "(calibration) the strict reward widens verified edge pass@64 in two seeds, beats random, keeps in-dist",
         "verified and outcome pass@k per band: base, the strict arm at the scale's settings, one knob changed per arm")
def rl_recipe(scale: Scale, knobs=tuple(RL_KNOBS), random_control: bool = True, mid_start: bool = True):
    """S6's base and strict arm (the same stages and evaluation, so they are cached once), then one arm per knob of
    RL_KNOBS changed from the strict arm; with random_control, each knob's random-reward arm beside it (an effect
    counts only against its own control: same rollouts, steps and batch). With mid_start, the mid model as an arm
    (the start its RL arms are paired against) and the strict arm's settings from it, one arm per MID_START_REWARDS
    (the random one only with random_control). Every arm's params name its reward, knob and start."""
    check_bool("random_control", random_control)
    check_bool("mid_start", mid_start)
    knobs = _check_values("RL knobs", knobs, lambda k, v: check_choice(k, v, tuple(RL_KNOBS)))
    pre = _pretrain(scale, base_pretrain(scale))
    rl_mix = mixture(across(BASE_TEMPLATES, *scale.edge), scale)
    strict = _rl(scale, rl_mix, Reward("strict"), steps=scale.process_rl_steps or scale.rl_steps)

    def params(reward, knob, start="base"):
        return ("reward", reward), ("knob", knob), ("start", start)

    arms = [Arm("base", pre, params=params(None, None)), Arm("strict", pre, rl=strict, params=params("strict", None))]
    for knob in knobs:
        control = random_control and knob not in UNCONTROLLED_KNOBS
        for reward in [Reward("strict")] + ([Reward("random")] if control else []):
            rl = dataclasses.replace(strict, reward=reward, **rl_knob_settings(knob, strict))
            arms.append(Arm(f"{reward.name}-{knob}", pre, rl=rl, params=params(reward.name, knob)))
    if mid_start:
        mid = _full_mid_stage(scale, pre, rl_mix)
        arms.append(Arm("mid", pre, mid, params=params(None, None, "mid")))
        for reward in MID_START_REWARDS:
            if reward != "random" or random_control:
                rl = dataclasses.replace(strict, reward=Reward(reward))
                arms.append(Arm(f"{reward}-{MID_START_KNOB}", pre, mid, rl, params(reward, MID_START_KNOB, "mid")))
    return arms, _rl_eval(scale)  # = S6's evaluation: paired with its arms


# The edge re-measured on RECHECK_PROBLEMS x the problems: the strict settings moved verified edge pass@64 by -0.02
# to +0.07 with intervals of about +-0.07 from 136 edge problems, as wide as the effects. The rule was fixed in the
# lab notes (session 20) before any of it ran.
RECHECK_PROBLEMS = 4


# The calibrated RL recipe of a scale (issue 25): the RL-recipe knob that met the criterion on RL-recheck's wide edge
# (lab notes, session 20), applied to S6's strict arm. At the laptop: the strict reward, actor lr 2e-5, 60 steps of 32
# prompts x 6 rollouts. A scale without one has only the paper's outcome-reward setting; smoke takes the laptop's knob
# so that CI runs the calibrated chapters' code.
CALIBRATED_RL_KNOB_OF_SCALE = {"laptop": "lr-2e-05", "smoke": "lr-2e-05"}


def has_calibrated_rl(scale: str | Scale) -> bool:
    return get_scale(scale).name in CALIBRATED_RL_KNOB_OF_SCALE


def calibrated_rl(scale: Scale, mix: Mixture) -> RL:
    """The scale's calibrated RL stage on the prompts `mix` (on the edge band: RL-recipe's winning arm, one stage)."""
    if not has_calibrated_rl(scale):
        raise ValueError(f"scale {scale.name!r} has no calibrated RL recipe; scales with one: "
                         f"{', '.join(CALIBRATED_RL_KNOB_OF_SCALE)}")
    strict = _rl(scale, mix, Reward("strict"), steps=scale.process_rl_steps or scale.rl_steps)
    return dataclasses.replace(strict, **rl_knob_settings(CALIBRATED_RL_KNOB_OF_SCALE[scale.name], strict))


@_recipe("RL-recheck", "The laptop RL recipe's edge on four times the problems (calibration, beyond the paper)",
         "Sec. 6 (paper); issue 25",
         "Does a strict setting that keeps in-dist widen the verified edge once the edge has four times the problems?",
         "(calibration) the strict reward widens verified edge pass@64 in two seeds, beats random, keeps in-dist",
         "verified and outcome pass@k on the edge band alone, 4x its problems: the base, the strict arm, one knob's "
         "strict and random arms")
def rl_recheck(scale: Scale, knob: str = "lr-2e-05", problems: int = RECHECK_PROBLEMS):
    """RL-recipe's base, strict arm and one knob's strict and random arms (the same stages, so their trained models
    are read from the cache), evaluated on the edge band only with `problems` x its problems per op. Problem i is a
    function of its index, so the first of them are RL-recipe's own edge problems."""
    check_choice("knob", knob, tuple(k for k in RL_KNOBS if k not in UNCONTROLLED_KNOBS))
    check_int("problems", problems, lo=2, allowed="an integer >= 2 (times the scale's edge problems; not a bool)")
    arms, ev = rl_recipe(scale, knobs=(knob,), random_control=True, mid_start=False)
    edge = tuple(b for b in ev.bands if b.label == "edge")
    return arms, dataclasses.replace(ev, bands=edge, problems_per_op=ev.problems_per_op * problems)


@_recipe("S3-calibrated", "When does RL add capability? The laptop's calibrated RL recipe (beyond the paper)",
         "Fig 3 (paper, Sec. 3); issue 25",
         "With a reward that pays only for verified steps, does RL on ops of a given difficulty raise verified pass@k "
         "beyond the base model, in and out of distribution?",
         "ID: pass@1 up, pass@128 flat. Only edge-calibrated RL (11-14, also 9-12) raises OOD pass@128; "
         "17-20 RL learns nothing.",
         "verified pass@1 and pass@k per eval band: base model vs RL on each of S3's bands with the calibrated recipe")
def s3_calibrated(scale: Scale, rl_bands=None):
    """S3's four RL ranges from the same base, each with the scale's calibrated RL recipe (calibrated_rl) instead of
    the paper's outcome reward; the same evaluation as S3, so every arm pairs with the base per problem. The edge arm
    is RL-recipe's calibrated arm (one stage), so its RL-recheck evaluation on 4x the edge problems is this arm's."""
    arms, ev = s3(scale, rl_bands, edge_filter=False, follow_ups=False)
    return [dataclasses.replace(a, name=a.name.replace("rl-", "calibrated-", 1),
                                rl=calibrated_rl(scale, a.rl.mixture)) for a in arms], ev


@_recipe("S3-calibrated-wide", "S3's calibrated arms on four times the edge problems (a description, beyond the paper)",
         "Fig 3 (paper, Sec. 3); issue 25",
         "Which bands of RL prompts widen the verified edge, measured where an edge gain of +0.06 can be resolved?",
         "Only edge-calibrated RL (11-14, also 9-12) raises OOD pass@128",
         "verified and outcome pass@k on the edge band alone, 4x its problems: S3-calibrated's in-dist, mixed and hard "
         "arms (its edge arm and the base: RL-recheck, the same models on the same problems)")
def s3_calibrated_wide(scale: Scale, problems: int = RECHECK_PROBLEMS):
    """S3-calibrated's arms but its edge arm, evaluated as RL-recheck evaluates (the edge band alone, `problems` x
    its problems per op: the same problems, so each arm pairs per problem with RL-recheck's base; its edge arm is
    RL-recheck's strict-lr-2e-05, already evaluated there)."""
    arms, ev = s3_calibrated(scale)
    _, wide = rl_recheck(scale, problems=problems)
    if dataclasses.replace(ev, bands=wide.bands, problems_per_op=wide.problems_per_op) != wide:
        raise ValueError("S3-calibrated's evaluation is no longer RL-recheck's at the edge: its arms would not pair")
    return [a for a in arms if a.param("role") != "edge"], wide


def _full_mid_stage(scale: Scale, pre: NextToken, rl_mix: Mixture) -> NextToken:
    """Mid-training from `pre` for the whole 1x budget, made by S5's own code (its beta-0 stage where `pre` is S5's
    base, as at the laptop scale: the same stage key, so the same artifact; a beta-0 arm has no RL, so `rl_mix` is
    not used)."""
    (all_mid,) = _equal_compute_arms(scale, (0.0,), pre, mid_mixture(scale), rl_mix)
    return all_mid.mid


# ------------------------------------------------------------------------------------ public API
def list_recipes() -> list[str]:
    """Recipe ids in paper order, then the calibrations beyond the paper."""
    return list(_REGISTRY)


def recipe_info(id: str) -> _Spec:
    """Title, paper reference, question of a recipe without building it."""
    return _REGISTRY[_resolve(id)]


def _resolve(id: str) -> str:
    if id in _REGISTRY:
        return id
    by_lower = {k.lower(): k for k in _REGISTRY}
    if str(id).lower() in by_lower:
        return by_lower[str(id).lower()]
    raise ValueError(f"unknown recipe {id!r}; allowed: {', '.join(_REGISTRY)}")


def recipe_params(id: str) -> dict[str, object]:
    """The parameters a recipe accepts (widgets), with their defaults (None = derived from the scale)."""
    sig = inspect.signature(_REGISTRY[_resolve(id)].build)
    return {k: p.default for k, p in list(sig.parameters.items())[1:]}


def get_recipe(id: str, scale: str | Scale = "laptop", **params) -> Recipe:
    """Recipe `id` at `scale`; keyword params override the paper's values (see recipe_params)."""
    spec = _REGISTRY[_resolve(id)]
    scale = get_scale(scale)
    allowed = recipe_params(spec.id)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"recipe {spec.id} takes no parameter {unknown}; allowed: {', '.join(allowed) or 'none'}")
    arms, evaluation = spec.build(scale, **params)
    used = tuple((k, params.get(k, v)) for k, v in allowed.items())
    return Recipe(spec.id, spec.title, spec.paper_ref, spec.question, spec.finding, spec.compare, scale,
                  tuple(arms), evaluation, spec.view_of, used)
