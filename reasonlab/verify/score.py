"""Process-verified scoring (paper.md section 3) and the rewards built on it.

The verifier is the reward is the metric: evaluation, GRPO rewards and the CLI call `verify`.

Step correctness for each gold node v is 1 iff v is in the prediction, its predicted parent set
equals the gold parent set, its predicted value equals the gold value, and every claim of its
chains holds at the gold values (parse.py, rule 8: a copy "I = x = 3" needs x's gold value to be 3,
however the copy is written); a quantity defined by several steps needs every definition correct.
ProcessAcc is the mean over gold nodes (extra predicted nodes do not hurt). VerifyReport.verified = ProcessAcc == 1
and the predicted answer equals the gold answer. All comparisons are exact integer equality
(parse.py, rule 10). Arithmetic consistency (parse.py, rule 11) is reported beside `verified`,
never part of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..generator import Problem
from ..provenance import stable_seed
from .parse import (ParsedSolution, Step, Value, claim_value, completion_text, normalise_name, parse_solution,
                    quantity_env)

REWARD_KINDS = ("outcome", "process", "mix", "strict", "random")


@dataclass(slots=True)
class VerifyReport:
    process_acc: float  # mean step correctness over gold nodes
    answer_correct: bool  # predicted answer == gold answer (outcome only)
    verified: bool  # process_acc == 1 and answer_correct
    predicted_answer: int | None
    n_steps: int  # steps the parser found
    missing: list[str] = field(default_factory=list)  # gold quantities never defined
    extra: list[str] = field(default_factory=list)  # defined quantities not in the gold graph
    value_mismatches: list[tuple[str, int, Value | None]] = field(default_factory=list)  # (name, gold, pred)
    dependency_mismatches: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (name, gold, pred)
    # (step, expression, its value at the gold values, the value it claims) per false claim (parse.py rule 8)
    claim_mismatches: list[tuple[str, str, Value | None, Value | None]] = field(default_factory=list)
    redefined: list[str] = field(default_factory=list)  # gold quantities defined by more than one step
    answer_mismatch: tuple[int, int | None] | None = None  # (gold, pred) when wrong
    # Beyond the paper (parse.py rule 11), over all parsed steps; not part of `verified`:
    arithmetic_consistent: bool = False  # every parsed step's written arithmetic holds (False if none parsed)
    consistent_steps: int = 0  # parsed steps whose written arithmetic holds
    inconsistent_steps: list[str] = field(default_factory=list)  # names of the others, in order

    @property
    def consistent_share(self) -> float:
        """Share of parsed steps whose written arithmetic holds (0 when nothing was parsed)."""
        return self.consistent_steps / self.n_steps if self.n_steps else 0.0

    def summary(self) -> str:
        bits = [f"process_acc={self.process_acc:.3f}", f"answer_correct={self.answer_correct}",
                f"verified={self.verified}", f"arithmetic_consistent={self.arithmetic_consistent}"]
        for label, items in (("missing", self.missing), ("extra", self.extra),
                             ("value", self.value_mismatches), ("dependency", self.dependency_mismatches),
                             ("claim", self.claim_mismatches), ("redefined", self.redefined),
                             ("inconsistent", self.inconsistent_steps)):
            if items:
                bits.append(f"{label}: {items}")
        if self.answer_mismatch:
            bits.append(f"answer: gold {self.answer_mismatch[0]}, got {self.answer_mismatch[1]}")
        return "; ".join(bits)


def _gold_index(problem: Problem) -> tuple[dict[str, tuple[frozenset[str], int]], int]:
    """Gold lookup (name -> (parents, value)) cached on the problem: built once, used per sample."""
    cached = problem.__dict__.get("_gold_index")
    if cached is None:
        index = {normalise_name(n.name): (frozenset(normalise_name(p) for p in n.parents), int(n.value))
                 for n in problem.nodes}
        try:
            gold_answer = int(problem.answer)
        except (TypeError, ValueError):
            raise ValueError(f"problem {problem.text_hash}: its answer {problem.answer!r:.40} is not an integer") from None
        cached = (index, gold_answer)
        object.__setattr__(problem, "_gold_index", cached)  # frozen dataclass: a private cache slot
    return cached


def same_value(pred, gold: int) -> bool:
    """Exact integer equality (parse.py rule 10): a missing, non-integral or bool value never matches."""
    return isinstance(pred, int) and not isinstance(pred, bool) and pred == gold


def score_parsed(problem: Problem, parsed: ParsedSolution) -> VerifyReport:
    gold, gold_answer = _gold_index(problem)
    definitions: dict[str, list[Step]] = {}
    for s in parsed.steps:
        definitions.setdefault(s.name, []).append(s)
    # claims are checked at the gold values; a quantity outside the gold graph keeps its written value (its last)
    env = quantity_env({**{s.name: s.value for s in parsed.steps}, **{n: v for n, (_, v) in gold.items()}})
    correct = 0
    report = VerifyReport(0.0, False, False, parsed.answer, len(parsed.steps))
    for name, (parents, value) in gold.items():
        steps = definitions.get(name)
        if steps is None:
            report.missing.append(name)
            continue
        if len(steps) > 1:
            report.redefined.append(name)
        ok = True
        for step in steps:  # every definition must be right: a second, different one is a hedge
            if not same_value(step.value, value):
                report.value_mismatches.append((name, value, step.value))
                ok = False
            if step.deps != parents:
                report.dependency_mismatches.append((name, sorted(parents), sorted(step.deps)))
                ok = False
            for claim in step.claims:
                at_gold = claim_value(claim, env)
                if at_gold is None or claim.written is None or at_gold != claim.written:
                    report.claim_mismatches.append((name, claim.text, at_gold, claim.written))
                    ok = False
        correct += ok
    report.extra = [n for n in definitions if n not in gold]
    report.process_acc = correct / len(gold)
    report.answer_correct = same_value(parsed.answer, gold_answer)
    if not report.answer_correct:
        report.answer_mismatch = (gold_answer, parsed.answer)
    report.verified = report.answer_correct and correct == len(gold)
    report.consistent_steps = sum(s.consistent for s in parsed.steps)
    report.inconsistent_steps = [s.name for s in parsed.steps if not s.consistent]
    report.arithmetic_consistent = bool(parsed.steps) and not report.inconsistent_steps
    return report


def verify(problem: Problem, completion) -> VerifyReport:
    """Score a completion (the text after the prompt, or a whole document) against the gold graph.

    Never raises on any completion (a str or any shape TRL passes; see parse.completion_text);
    bounded time (see parse.py).
    """
    return score_parsed(problem, parse_solution(completion))


def check_alpha(alpha) -> float:
    """alpha as a float, or a ValueError saying what is allowed."""
    # bool is an int subclass and NaN fails every comparison, so both are refused by name here.
    # exactly a Python int or float: a Fraction or numpy scalar would break config_hash later; NaN fails the range
    if type(alpha) not in (int, float) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha (the weight of the outcome reward in 'mix') must be a Python int or float in [0, 1], "
                         f"not a bool, a string, a Fraction, a numpy scalar or NaN; got {alpha!r}")
    return float(alpha)


def reward(report: VerifyReport, kind: str = "strict", alpha: float = 0.2) -> float:
    """Rewards of paper.md section 5 (S6): outcome, process, a*R_out + (1-a)*R_pv, strict."""
    alpha = check_alpha(alpha)
    r_out = 1.0 if report.answer_correct else 0.0
    r_pv = report.process_acc
    if kind == "outcome":
        return r_out
    if kind == "process":
        return r_pv
    if kind == "mix":
        return alpha * r_out + (1 - alpha) * r_pv
    if kind == "strict":
        return r_out if r_pv == 1.0 else 0.0
    if kind == "random":
        raise ValueError("the 'random' reward is a control drawn per rollout batch (make_reward_function), "
                         "not a function of one verifier report")
    raise ValueError(f"unknown reward kind {kind!r}; allowed: {', '.join(REWARD_KINDS)}")


def _as_problem(prob, i: int) -> Problem:
    """A Problem from the dataset column: a Problem, its to_dict(), or that dict as JSON."""
    if isinstance(prob, Problem):
        return prob
    try:
        return Problem.from_dict(json.loads(prob) if isinstance(prob, str) else prob)
    except Exception as e:  # noqa: BLE001 - any malformed record gets the same clear message
        raise ValueError(f"problem {i}: expected a Problem, its to_dict() or that dict as JSON; "
                         f"got {type(prob).__name__} ({e!r})") from e


def make_reward_function(kind: str = "strict", alpha: float = 0.2, seed: int = 0):
    """A TRL-style reward function: f(prompts, completions, problem=[...], **kw) -> list[float].

    `problem` is the dataset column holding each prompt's Problem (or its to_dict(), or that as
    JSON). A completion may be any shape TRL passes (parse.completion_text); an unusable one scores
    0. One completion per problem: other lengths are refused, never zipped short.

    "random" is the RL control with no information: the batch's outcome rewards, permuted across its rows by a
    draw seeded with (seed, TRL's global step), so every step pays as often as the outcome reward would (same
    mean) but a row's reward says nothing about its completion (up to its own 1/len(batch) share of the pool).

    The function keeps its last batch's verifier reports as `last_reports` (the GRPO step log reads the RL controls
    from them, so no rollout is verified twice).
    """
    if kind not in REWARD_KINDS:
        raise ValueError(f"unknown reward kind {kind!r}; allowed: {', '.join(REWARD_KINDS)}")
    alpha = check_alpha(alpha)  # now, not mid-run
    calls = [0]  # the draw's counter outside a trainer (inside one, TRL passes its state: the global step)

    def reward_fn(prompts, completions, problem=None, **kwargs) -> list[float]:
        if problem is None or not isinstance(completions, (list, tuple)) or not isinstance(problem, (list, tuple)):
            raise ValueError("the reward function needs a list of completions and the dataset's 'problem' column "
                             f"(a list, one Problem per completion); got {type(completions).__name__} completions "
                             f"and {type(problem).__name__} problems")
        if len(completions) != len(problem):
            raise ValueError(f"{len(completions)} completions but {len(problem)} problems: "
                             "the reward needs exactly one problem per completion")
        problems = [_as_problem(p, i) for i, p in enumerate(problem)]
        reports = [verify(p, completion_text(c)) for c, p in zip(completions, problems)]
        reward_fn.last_reports = reports
        if kind == "random":
            outcome = [reward(r, "outcome") for r in reports]
            state = kwargs.get("trainer_state")
            step = state.global_step if state is not None else calls[0]
            calls[0] += 1
            order = np.random.default_rng(stable_seed(seed, "random-reward", step)).permutation(len(outcome))
            return [outcome[j] for j in order]
        return [reward(r, kind, alpha) for r in reports]

    reward_fn.last_reports = []
    reward_fn.__name__ = f"reward_{kind}" + (f"_{alpha:g}" if kind == "mix" else "")
    return reward_fn


@dataclass(frozen=True)
class Reward:
    """One GRPO reward: R = alpha R_out + (1 - alpha) R_pv, or strict: R_out if R_pv == 1 else 0 (paper, Sec. 6), or
    random: the control, the batch's outcome rewards permuted across its rows (make_reward_function).

    The one description of a reward, passed whole from a recipe's RL stage to the GRPO trainer (GRPORunConfig.reward),
    which records it as the flat reward_kind / reward_alpha its artifact keys were made with."""

    kind: str  # "outcome" | "process" | "mix" | "strict" | "random"
    alpha: float | None = None  # weight of the outcome reward; only for "mix"

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in REWARD_KINDS:
            raise ValueError(f"unknown reward kind {self.kind!r}; allowed: {', '.join(REWARD_KINDS)}")
        if self.kind == "mix":
            if self.alpha is None:
                raise ValueError("reward 'mix' needs alpha in [0, 1] (the weight of the outcome reward)")
            object.__setattr__(self, "alpha", check_alpha(self.alpha))
        elif self.alpha is not None:
            raise ValueError(f"reward {self.kind!r} takes no alpha (only 'mix' does), got {self.alpha!r}")

    @classmethod
    def mixed(cls, alpha: float) -> "Reward":
        """alpha R_out + (1 - alpha) R_pv; alpha 1 is 'outcome' and alpha 0 is 'process'."""
        alpha = check_alpha(alpha)
        return cls("outcome") if alpha == 1 else cls("process") if alpha == 0 else cls("mix", alpha)

    @property
    def name(self) -> str:
        return f"mix-{self.alpha:g}" if self.kind == "mix" else self.kind

    @property
    def outcome_weight(self) -> float | None:
        """alpha of the linear form (None for strict)."""
        return {"outcome": 1.0, "process": 0.0, "mix": self.alpha}.get(self.kind)

    def score(self, report: VerifyReport) -> float:
        """The reward of one rollout from its verifier report (not for "random", a batch-level control)."""
        return reward(report, self.kind, self.alpha if self.kind == "mix" else 0.0)

    def function(self, seed: int = 0):
        """A TRL-style reward function for GRPO (make_reward_function); `seed` seeds the random control's draws."""
        return make_reward_function(self.kind, self.alpha if self.kind == "mix" else 0.0, seed)
