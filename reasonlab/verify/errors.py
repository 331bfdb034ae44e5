"""Error analysis by kind: what went wrong at each gold step of one completion, in the verifier's own terms.

Built on the verifier's parse and compare (parse_solution, score_parsed): a step is "correct" exactly when
score.py counts it correct, so the share of correct gold steps is the completion's ProcessAcc. The other kinds
split score.py's reasons for a wrong step, one kind per gold step, the first that applies:

- "missing quantity": no parsed step defines the gold quantity (its name, normalised, appears in no "Define");
- "wrong dependency": defined, but its parsed parent set differs from the gold one (whatever its value);
- "wrong value": parents right, but the value it writes is not the gold one, or it writes none, or a claim of
  its chains is false at the gold values (a copied value, parse.py rule 8), or another definition of it is wrong.

A missing quantity also makes the dependency of each gold step that uses it wrong (its parents cannot name
it), so "after_missing" counts the wrong dependencies with a missing gold parent: the knock-on ones.
Beside them: the parsed quantities that are no gold node ("extra steps", e.g. an entity name misspelt, or one
the question never mentions), whether the final answer is right, and whether the completion verifies.
Never raises on any completion (the verifier's own guarantee); a malformed *problem* is the caller's error.
"""

from __future__ import annotations

from ..generator import Problem
from .parse import parse_solution
from .score import _gold_index, score_parsed

STEP_KINDS = ("correct", "wrong value", "wrong dependency", "missing quantity")  # one per gold step


def error_kinds(problem: Problem, completion) -> dict:
    """Each gold step of `completion` classed by kind (STEP_KINDS), with counts, extra steps and the outcome.

    Returns {"steps": [{"quantity", "kind", "gold_value", "value", "gold_parents", "parents"}] in gold order
    (value and parents None for a missing quantity), "counts": {kind: n} over STEP_KINDS, "n_gold",
    "after_missing" (wrong dependencies with a missing gold parent),
    "extra_steps" (how many parsed quantities are no gold node), "extra" (their names), "answer_right",
    "answer", "gold_answer", "verified", "process_acc"}.
    """
    parsed = parse_solution(completion)
    report = score_parsed(problem, parsed)
    gold, gold_answer = _gold_index(problem)
    predicted = {s.name: s for s in parsed.steps}  # as score_parsed: a re-defined quantity's last definition
    wrong_deps = {name for name, _, _ in report.dependency_mismatches}
    wrong_values = ({name for name, _, _ in report.value_mismatches} | {c[0] for c in report.claim_mismatches}
                    | set(report.redefined))
    steps = []
    for name, (parents, value) in gold.items():
        step = predicted.get(name)
        if step is None:
            kind = "missing quantity"
        elif name in wrong_deps:
            kind = "wrong dependency"
        elif name in wrong_values:
            kind = "wrong value"
        else:
            kind = "correct"
        steps.append({"quantity": name, "kind": kind, "gold_value": value,
                      "value": None if step is None else step.value, "gold_parents": sorted(parents),
                      "parents": None if step is None else sorted(step.deps)})
    counts = {k: sum(s["kind"] == k for s in steps) for k in STEP_KINDS}
    missing = set(report.missing)
    after_missing = sum(s["kind"] == "wrong dependency" and not missing.isdisjoint(s["gold_parents"]) for s in steps)
    return {"steps": steps, "counts": counts, "n_gold": len(steps), "after_missing": after_missing,
            "extra_steps": len(report.extra),
            "extra": list(report.extra), "answer_right": report.answer_correct, "answer": report.predicted_answer,
            "gold_answer": gold_answer, "verified": report.verified, "process_acc": report.process_acc}


def step_detail(step: dict) -> str:
    """One line saying what a classified gold step (an item of error_kinds()["steps"]) got wrong."""
    kind = step["kind"]
    if kind == "missing quantity":
        return "never defined"
    if kind == "wrong dependency":
        return (f"uses {', '.join(step['parents']) or 'nothing'}; gold uses "
                f"{', '.join(step['gold_parents']) or 'nothing'}")
    if kind == "wrong value":
        wrote = "no value" if step["value"] is None else step["value"]
        if wrote == step["gold_value"]:  # the step's own value is right: a value it copies is not
            return f"an intermediate value is wrong at the gold values (its own value {wrote} is right)"
        return f"wrote {wrote}; gold {step['gold_value']}"
    return f"value {step['gold_value']}"
