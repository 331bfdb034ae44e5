"""Process-verified scoring (paper.md section 3) and the rewards built on it.

The verifier is the reward is the metric: evaluation, GRPO rewards and the CLI call `verify`.

Step correctness for each gold node v is 1 iff v is in the prediction, its predicted parent set
equals the gold parent set, and its predicted value equals the gold value. ProcessAcc is the mean
over gold nodes (extra predicted nodes do not hurt). VerifiedCorrect = ProcessAcc == 1 and the
predicted answer equals the gold answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..generator import Problem
from .parse import ParsedSolution, normalise_name, parse_solution

VALUE_TOL = 1e-6
REWARD_KINDS = ("outcome", "process", "mix", "strict")


@dataclass(slots=True)
class VerifyReport:
    process_acc: float  # mean step correctness over gold nodes
    answer_correct: bool  # predicted answer == gold answer (outcome only)
    verified: bool  # process_acc == 1 and answer_correct
    predicted_answer: float | None
    n_steps: int  # steps the parser found
    missing: list[str] = field(default_factory=list)  # gold quantities never defined
    extra: list[str] = field(default_factory=list)  # defined quantities not in the gold graph
    value_mismatches: list[tuple[str, float, float | None]] = field(default_factory=list)  # (name, gold, pred)
    dependency_mismatches: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (name, gold, pred)
    answer_mismatch: tuple[float, float | None] | None = None  # (gold, pred) when wrong

    def summary(self) -> str:
        bits = [f"process_acc={self.process_acc:.3f}", f"answer_correct={self.answer_correct}",
                f"verified={self.verified}"]
        for label, items in (("missing", self.missing), ("extra", self.extra),
                             ("value", self.value_mismatches), ("dependency", self.dependency_mismatches)):
            if items:
                bits.append(f"{label}: {items}")
        if self.answer_mismatch:
            bits.append(f"answer: gold {self.answer_mismatch[0]:g}, got {self.answer_mismatch[1]}")
        return "; ".join(bits)


def _gold_index(problem: Problem) -> tuple[dict[str, tuple[frozenset[str], float]], float]:
    """Gold lookup (name -> (parents, value)) cached on the problem: built once, used per sample."""
    cached = problem.__dict__.get("_gold_index")
    if cached is None:
        index = {normalise_name(n.name): (frozenset(normalise_name(p) for p in n.parents), float(n.value))
                 for n in problem.nodes}
        cached = (index, float(problem.answer))
        object.__setattr__(problem, "_gold_index", cached)  # frozen dataclass: a private cache slot
    return cached


def score_parsed(problem: Problem, parsed: ParsedSolution) -> VerifyReport:
    gold, gold_answer = _gold_index(problem)
    predicted = {s.name: s for s in parsed.steps}  # a re-defined quantity: the last definition counts
    correct = 0
    report = VerifyReport(0.0, False, False, parsed.answer, len(parsed.steps))
    for name, (parents, value) in gold.items():
        step = predicted.get(name)
        if step is None:
            report.missing.append(name)
            continue
        ok = True
        if step.value is None or abs(step.value - value) > VALUE_TOL:
            report.value_mismatches.append((name, value, step.value))
            ok = False
        if step.deps != parents:
            report.dependency_mismatches.append((name, sorted(parents), sorted(step.deps)))
            ok = False
        correct += ok
    report.extra = [n for n in predicted if n not in gold]
    report.process_acc = correct / len(gold)
    report.answer_correct = parsed.answer is not None and abs(parsed.answer - gold_answer) <= VALUE_TOL
    if not report.answer_correct:
        report.answer_mismatch = (gold_answer, parsed.answer)
    report.verified = report.answer_correct and correct == len(gold)
    return report


def verify(problem: Problem, completion: str) -> VerifyReport:
    """Score a completion (the text after the prompt, or a whole document) against the gold graph.

    Never raises on any completion string; bounded time (see parse.py).
    """
    return score_parsed(problem, parse_solution(completion))


def reward(report: VerifyReport, kind: str = "strict", alpha: float = 0.2) -> float:
    """Rewards of paper.md section 5 (S6): outcome, process, a*R_out + (1-a)*R_pv, strict."""
    r_out = 1.0 if report.answer_correct else 0.0
    r_pv = report.process_acc
    if kind == "outcome":
        return r_out
    if kind == "process":
        return r_pv
    if kind == "mix":
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        return alpha * r_out + (1 - alpha) * r_pv
    if kind == "strict":
        return r_out if r_pv == 1.0 else 0.0
    raise ValueError(f"unknown reward kind {kind!r}; allowed: {', '.join(REWARD_KINDS)}")


def make_reward_function(kind: str = "strict", alpha: float = 0.2):
    """A TRL-style reward function: f(prompts, completions, problem=[...], **kw) -> list[float].

    `problem` is the dataset column holding each prompt's Problem (or its to_dict()).
    """
    if kind not in REWARD_KINDS:
        raise ValueError(f"unknown reward kind {kind!r}; allowed: {', '.join(REWARD_KINDS)}")
    reward(VerifyReport(1.0, True, True, None, 0), kind, alpha)  # validates alpha now, not mid-run

    def reward_fn(prompts, completions, problem, **kwargs) -> list[float]:
        out = []
        for comp, prob in zip(completions, problem):
            if isinstance(prob, dict):
                prob = Problem.from_dict(prob)
            text = comp if isinstance(comp, str) else "".join(m.get("content", "") for m in comp)
            out.append(reward(verify(prob, text), kind, alpha))
        return out

    reward_fn.__name__ = f"reward_{kind}" + (f"_{alpha:g}" if kind == "mix" else "")
    return reward_fn
