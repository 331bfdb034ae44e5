"""Verifier: gold solutions verify; corruptions are caught; any string is scored, never raises."""

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonlab.generator import GeneratorConfig, generate_problem
from reasonlab.verify import evaluate, extract_answer, make_reward_function, parse_solution, reward, verify

TEMPLATES = ["animals-zoo", "teachers-school", "movie-festival"]
CONFIGS = [GeneratorConfig(), GeneratorConfig(variable_names="ordered", copy_steps=False, max_distractors=0)]
problems = st.builds(
    generate_problem, op=st.integers(2, 30), template=st.sampled_from(TEMPLATES),
    seed=st.integers(0, 10**9), config=st.sampled_from(CONFIGS),
)


def steps_of(solution):
    return ["Define " + s.strip() for s in solution.split("Define ")[1:]]


@settings(max_examples=200, deadline=None)
@given(p=problems)
def test_gold_solution_verifies(p):
    r = verify(p, p.completion)
    assert r.process_acc == 1.0 and r.answer_correct and r.verified, r.summary()
    assert verify(p, p.text).verified  # a whole document works too


@settings(max_examples=150, deadline=None)
@given(p=problems, data=st.data())
def test_a_corrupted_value_is_caught(p, data):
    steps = steps_of(p.solution)
    i = data.draw(st.integers(0, len(steps) - 1))
    head, final = steps[i].rsplit(" = ", 1)
    steps[i] = f"{head} = {int(final.rstrip('.')) + data.draw(st.integers(1, 5))}."
    r = verify(p, " ".join(steps) + f"</solution><answer>{p.answer}</answer>")
    assert not r.verified and r.process_acc < 1
    assert p.nodes[i].name.lower() in [m[0] for m in r.value_mismatches]


@settings(max_examples=150, deadline=None)
@given(p=problems, data=st.data())
def test_a_dropped_step_is_caught(p, data):
    steps = steps_of(p.solution)
    i = data.draw(st.integers(0, len(steps) - 1))
    del steps[i]
    r = verify(p, " ".join(steps) + f"</solution><answer>{p.answer}</answer>")
    assert not r.verified
    assert p.nodes[i].name.lower() in r.missing


@settings(max_examples=150, deadline=None)
@given(p=problems, data=st.data())
def test_a_swapped_dependency_is_caught(p, data):
    # Point one reference at another earlier quantity (keeping the written numbers as they are).
    steps = steps_of(p.solution)
    candidates = [i for i, n in enumerate(p.nodes) if n.parents and i >= 2]
    if not candidates:
        return
    i = data.draw(st.sampled_from(candidates))
    node = p.nodes[i]
    var_of = {n.name: n.var for n in p.nodes}
    others = [n.var for n in p.nodes[:i] if n.name not in node.parents]
    if not others:
        return
    new = data.draw(st.sampled_from(others))
    old = var_of[node.parents[0]]
    body = steps[i].split("; ", 1)[1]
    new_body = re.sub(rf"\b{old}\b", new, body, count=1)
    steps[i] = steps[i].split("; ", 1)[0] + "; " + new_body
    r = verify(p, " ".join(steps) + f"</solution><answer>{p.answer}</answer>")
    assert not r.verified
    assert node.name.lower() in [m[0] for m in r.dependency_mismatches]


def test_right_answer_by_wrong_process():
    p = generate_problem(8, "animals-zoo", 11)
    shortcut = f"Define {p.query.name} as z; so z = {p.answer}.</solution><answer>{p.answer}</answer>"
    r = verify(p, shortcut)
    assert r.answer_correct and not r.verified and r.process_acc < 1
    assert reward(r, "outcome") == 1.0 and reward(r, "strict") == 0.0


def test_report_fields_and_rewards():
    p = generate_problem(6, "teachers-school", 2)
    r = verify(p, p.completion.replace(f"<answer>{p.answer}", "<answer>999999"))
    assert r.process_acc == 1.0 and not r.answer_correct and r.answer_mismatch == (float(p.answer), 999999.0)
    assert reward(r, "process") == 1.0 and reward(r, "outcome") == 0.0
    assert reward(r, "mix", alpha=0.2) == pytest.approx(0.8)
    assert reward(r, "strict") == 0.0
    with pytest.raises(ValueError, match="allowed"):
        reward(r, "vibes")
    with pytest.raises(ValueError, match="alpha"):
        reward(r, "mix", alpha=1.5)


def test_extra_steps_do_not_hurt():
    p = generate_problem(5, "movie-festival", 9)
    extra = "Define comedy movie at Nowhere as Q; so Q = 2. "
    r = verify(p, extra + p.completion)
    assert r.verified and r.extra == ["comedy movie at nowhere"]


def test_paper_released_format():
    # The paper's released data uses the same step grammar with the answer as "Answer: N."
    p = generate_problem(6, "animals-zoo", 21)
    released = p.solution + f" Answer: {p.answer}."
    assert verify(p, released).verified


def test_reward_function_trl_style():
    p = generate_problem(4, "animals-zoo", 1)
    fn = make_reward_function("mix", alpha=0.5)
    assert fn.__name__ == "reward_mix_0.5"
    out = fn(prompts=[p.prompt, p.prompt], completions=[p.completion, "nonsense"], problem=[p, p.to_dict()])
    assert out == [1.0, 0.0]
    with pytest.raises(ValueError, match="allowed"):
        make_reward_function("nope")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_any_string_is_scored(s):
    p = generate_problem(5, "animals-zoo", 0)
    r = verify(p, s)
    assert 0.0 <= r.process_acc <= 1.0


@pytest.mark.parametrize("s", [
    "(" * 100_000, ")" * 100_000, "Define " * 20_000, "=" * 100_000, "<answer>" * 10_000,
    "Define a as b; so b = " + "(" * 50_000 + "1" + ")" * 50_000,
    "Define x as y; so y = " + "1+" * 40_000 + "1",
    "".join(random.Random(0).choice("Define as;=+-*/()0123456789 xyz.") for _ in range(100_000)),
    None, 12345, b"bytes",
])
def test_adversarial_inputs(s):
    p = generate_problem(10, "animals-zoo", 3)
    r = verify(p, s)
    assert not r.verified


def test_evaluate_is_safe_arithmetic():
    assert evaluate("3 * (2 + 4) - -1", {}) == 19
    assert evaluate("a * 2 + b", {"a": 3.0, "b": 1.0}) == 7
    assert evaluate("1 / 0", {}) is None
    assert evaluate("__import__('os')", {}) is None
    assert evaluate("2 ** 3", {}) is None
    assert evaluate("(((1)))", {}) == 1
    assert evaluate("((1)", {}) is None
    assert evaluate("", {}) is None


def test_extract_answer():
    assert extract_answer("... <answer>42</answer>") == 42
    assert extract_answer("<answer>1</answer> <answer>7</answer>") is None  # two answers: a hedge (rule 9)
    assert extract_answer("<answer>7</answer> <answer>7.</answer>") == 7  # the same one twice is no hedge
    assert extract_answer("Answer: 13.") == 13
    assert extract_answer("no answer here") is None


def test_parse_resolves_temporary_copies():
    s = "Define adult owl in X as k; so k = 3. Define adult fox in X as m; I = k = 3; so m = 2 * I = 2 * 3 = 6."
    parsed = parse_solution(s)
    assert [st.name for st in parsed.steps] == ["adult owl in x", "adult fox in x"]
    assert parsed.steps[1].deps == {"adult owl in x"} and parsed.steps[1].value == 6
