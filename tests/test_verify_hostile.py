"""The verifier under hostile output: it never raises, stays fast, and follows each rule of parse.py.

The verifier is the GRPO reward, so each rule below closes a reward-hacking channel; the gold
solutions of every format the generator renders must still verify under all of them.
"""

import json
import math
import random
import re
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonlab.generator import GeneratorConfig, generate_problem
from reasonlab.verify import (
    REWARD_KINDS, VerifyReport, evaluate, extract_answer, make_reward_function, parse_solution, reward, verify,
)
from reasonlab.verify.parse import completion_text
from reasonlab.verify.score import same_value

CORPUS = Path(__file__).parent / "data" / "hostile_completions.txt"
TIME_LIMIT_S = 2.0  # per case; a 100 KB input takes milliseconds, so only a pathology fails this
PROBLEM = generate_problem(8, "animals-zoo", 5)  # default config: the paper's random letters and copy steps
TEMPLATES = ["animals-zoo", "teachers-school", "movie-festival"]
FORMATS = [GeneratorConfig(variable_names=v, copy_steps=c, max_distractors=3)
           for v in ("random", "ordered") for c in (True, False)]


def steps_of(solution: str) -> list[str]:
    return ["Define " + s.strip() for s in solution.split("Define ")[1:]]


def join(steps: list[str], answer) -> str:
    return " ".join(steps) + f"</solution><answer>{answer}</answer>"


def assert_well_formed(r: VerifyReport):
    assert isinstance(r, VerifyReport)
    assert type(r.process_acc) is float and 0.0 <= r.process_acc <= 1.0
    assert type(r.answer_correct) is bool and type(r.verified) is bool and type(r.arithmetic_consistent) is bool
    assert r.verified == (r.answer_correct and r.process_acc == 1.0)
    assert r.predicted_answer is None or type(r.predicted_answer) is int
    assert (r.answer_mismatch is None) == r.answer_correct
    assert type(r.n_steps) is int and 0 <= r.consistent_steps <= r.n_steps
    assert len(r.inconsistent_steps) == r.n_steps - r.consistent_steps
    assert 0.0 <= r.consistent_share <= 1.0
    for items in (r.missing, r.extra, r.value_mismatches, r.dependency_mismatches, r.claim_mismatches,
                  r.redefined):
        assert isinstance(items, list)
    assert isinstance(r.summary(), str)
    for kind in REWARD_KINDS:
        if kind != "random":  # a batch-level control, not a function of one report
            assert 0.0 <= reward(r, kind) <= 1.0


def timed_verify(problem, completion) -> VerifyReport:
    t0 = time.perf_counter()
    r = verify(problem, completion)
    assert time.perf_counter() - t0 < TIME_LIMIT_S
    assert_well_formed(r)
    return r


# ------------------------------------------------------------------------- the committed corpus


def load_corpus(problem=PROBLEM) -> list[tuple[int, str, str]]:
    """(line number, verdict, text) per case; the format is described in the file's header."""
    cases = []
    for no, line in enumerate(CORPUS.read_text("ascii").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        verdict, raw = line.split(" ", 1)
        raw = re.sub(r"\{rep (\d+):([^}]*)\}", lambda m: m.group(2) * int(m.group(1)), raw)
        text = raw.encode("ascii").decode("unicode_escape")
        text = (text.replace("{gold}", problem.completion).replace("{solution}", problem.solution)
                .replace("{answer}", problem.answer))
        cases.append((no, verdict, text))
    return cases


CASES = load_corpus()


def test_corpus_is_what_it_says():
    assert len(CASES) >= 80 and {v for _, v, _ in CASES} == {"accept", "reject", "any"}
    assert int(PROBLEM.answer) > 0  # "-{answer}" and "<answer>0" cases are wrong answers
    assert max(len(t) for _, _, t in CASES) >= 100_000


@pytest.mark.parametrize("no,verdict,text", CASES, ids=[f"line{no}" for no, _, _ in CASES])
def test_hostile_corpus(no, verdict, text):
    r = timed_verify(PROBLEM, text)
    if verdict != "any":
        assert r.verified == (verdict == "accept"), f"line {no}: {r.summary()}"


@pytest.mark.parametrize("no,verdict,text", CASES[::3], ids=[f"line{no}" for no, _, _ in CASES[::3]])
def test_hostile_text_inside_a_gold_solution(no, verdict, text):
    # The same strings spliced into a gold completion: inside a step, as a step's value, before the answer.
    steps = steps_of(PROBLEM.solution)
    head, _ = steps[0].rsplit(" = ", 1)
    for spliced in (join([steps[0] + text] + steps[1:], PROBLEM.answer),
                    join([f"{head} = {text}."] + steps[1:], PROBLEM.answer),
                    join(steps, text[:200] + PROBLEM.answer)):
        timed_verify(PROBLEM, spliced)


# --------------------------------------------------------------------------- never raises: property tests

ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
HOSTILE = ["\u00b2", "\u2460", "\u0663", "\uff16", "\U0001d7d2", "\x00", "\u202e", "\u200f", "\U0001f600",
           "\ud800", "\u00a0", "\ufeff", "\x85", "e", "3e4", "\u00d7", "\u00f7", "**", "9" * 20, "1" + "0" * 15]
TASK = ["Define ", " as ", "; ", ";", " = ", "=", "so ", ".", ". ", " ", "\n", "+", "-", "*", "/", "(", ")",
        "<solution>", "</solution>", "<answer>", "</answer>", "Answer: ", "0", "1", "7", "12", "999"]
TASK += [n.name for n in PROBLEM.nodes] + [n.var for n in PROBLEM.nodes] + ["I", "x", PROBLEM.answer]
FRAGMENTS = st.lists(st.sampled_from(TASK + HOSTILE) | ANY_CHAR, max_size=300).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.text(ANY_CHAR, max_size=3000))
def test_any_unicode_text_is_scored(s):
    assert_well_formed(verify(PROBLEM, s))


@settings(max_examples=400, deadline=None)
@given(FRAGMENTS)
def test_task_alphabet_mixed_with_hostile_characters_is_scored(s):
    assert_well_formed(verify(PROBLEM, s))
    assert_well_formed(verify(PROBLEM, PROBLEM.solution + s))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([1_000, 10_000, 64_001, 100_000]) | st.integers(1_000, 100_000),
       task_share=st.floats(0, 1))
def test_long_random_text_is_scored(seed, n, task_share):
    # Hypothesis itself rarely builds strings over a few hundred characters: these mix random code
    # points (surrogates included) with the task's fragments, up to 100 KB.
    rng = random.Random(seed)
    pool = TASK + HOSTILE
    pieces = [rng.choice(pool) if rng.random() < task_share else chr(rng.randrange(0x110000)) for _ in range(n // 3)]
    timed_verify(PROBLEM, "".join(pieces)[:n])
    timed_verify(PROBLEM, PROBLEM.solution + "".join(pieces)[:n])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_gold_with_hostile_insertions_is_scored(data):
    gold = PROBLEM.completion
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(gold)))
        gold = gold[:i] + data.draw(FRAGMENTS) + gold[i:]
    assert_well_formed(verify(PROBLEM, gold))


@settings(max_examples=300, deadline=None)
@given(st.text(ANY_CHAR, max_size=80), st.dictionaries(st.sampled_from(["a", "x", "I"]),
                                                        st.none() | st.integers() | st.floats()))
def test_evaluate_never_raises(expr, env):
    v = evaluate(expr, env)
    assert v is None or type(v) in (int, float)


# ------------------------------------------------------------------ gold solutions in every format


def gold_problems():
    for config in FORMATS:
        for op in range(2, 21):
            for template in TEMPLATES:
                for seed in (op, 1000 + op):
                    yield generate_problem(op, template, seed, config)


def test_gold_verifies_in_our_format_and_the_papers_released_one():
    n = 0
    for p in gold_problems():
        ours = [p.completion, p.text]
        released = [f"{p.solution} Answer: {p.answer}.", f"{p.question} {p.solution} Answer: {p.answer}."]
        for completion in ours + released:
            r = verify(p, completion)
            assert r.verified and r.process_acc == 1.0, (p.op, p.template, r.summary())
            assert r.arithmetic_consistent and r.consistent_steps == r.n_steps == len(p.nodes)
            assert not r.claim_mismatches and r.predicted_answer == int(p.answer)
        n += 1
    assert n == len(FORMATS) * 19 * len(TEMPLATES) * 2  # 456 problems


@pytest.fixture(scope="module")
def op10_pairs():
    return [(p, p.completion) for p in (generate_problem(10, "animals-zoo", s) for s in range(200))] * 10


def test_template_words_cannot_break_the_step_grammar():
    # Rule 3 ends a step at its first full stop and rule 4 splits on ";" and "=": names must not hold them.
    from reasonlab.generator import TEMPLATES as ALL

    for t in ALL.values():
        for word in (*t.entities, *t.locations, t.category, t.preposition):
            assert not set(word) & set(".;=<>"), (t.name, word)


def test_gold_verification_is_not_pathologically_slow(op10_pairs):
    # 2,000 op-10 verifications (--durations shows the rate); benchmarks/bench_testbed.py's target is
    # 20,000/s, the bound here only catches a blow-up.
    pairs = op10_pairs
    t0 = time.perf_counter()
    assert all(verify(p, c).verified for p, c in pairs)
    assert time.perf_counter() - t0 < 20.0


# ------------------------------------------------------------------------------------ the rules


def problem_with(pred, config=None, op=8):
    """A problem and the index of its first node satisfying pred(node)."""
    for seed in range(1000):
        p = generate_problem(op, "animals-zoo", seed, config)
        for i, n in enumerate(p.nodes):
            if pred(n):
                return p, i
    raise AssertionError("no such node")


@pytest.mark.parametrize("junk", [
    "lots + {v}", "3e{v}", "9 / 0 + {v}", "{v}\u00b2", "\u2460", "{v} apples", "{v} = {v} apples",
    "{v} + 0 = lots", "2 \u00d7 {v}", "{v} ** 1", "\u00a0{v}", "{v}\u200f", "\u0664", "\uff14", "1{v}0000000000000000",
    "({v}", "{v})", "{v} +", "* {v}", ".{v}", "{v} {v}", "x{v}",
])
def test_a_value_that_is_not_an_expression_is_no_value(junk):
    # Rule 5: no fallback to an earlier expression or to the last number (each of these once read as v).
    p, i = problem_with(lambda n: n.kind == "const")
    v, steps = p.nodes[i].value, steps_of(p.solution)
    head = steps[i].split("; ", 1)[0]
    steps[i] = f"{head}; so {p.nodes[i].var} = {junk.format(v=v)}."
    r = verify(p, join(steps, p.answer))
    assert not r.verified
    assert (p.nodes[i].name.lower(), v, None) in r.value_mismatches
    assert p.nodes[i].name.lower() in r.inconsistent_steps
    assert parse_solution(join(steps, p.answer)).steps[i].value is None


def test_a_full_stop_ends_a_step():
    # Rule 3: the released format's "Answer: N." and prose after a step are not part of it.
    p = PROBLEM
    r = verify(p, p.solution.replace(".", ". And that is that = 5.") + f" Answer: {p.answer}.")
    assert r.verified and r.arithmetic_consistent


@pytest.mark.parametrize("config", [None, GeneratorConfig(variable_names="ordered")])
def test_copied_values_are_checked(config):
    # Rule 8, the issue's example: "T = E = 0; R = M = 77; so U = T + R = 4 + 2 = 6" once verified.
    p, i = problem_with(lambda n: len(n.parents) >= 2, config)
    steps = steps_of(p.solution)
    head, body = steps[i].split("; ", 1)
    wrong = re.sub(r"(\w+) = (\w+) = (\d+);", lambda m: f"{m[1]} = {m[2]} = {int(m[3]) + 1000};", body)
    assert wrong != body
    r = verify(p, join(steps[:i] + [f"{head}; {wrong}"] + steps[i + 1:], p.answer))
    assert not r.verified and r.process_acc < 1
    node = p.nodes[i]
    by_name = {n.name.lower(): n.value for n in p.nodes}
    letter = {n.var: n.name.lower() for n in p.nodes}
    copies = re.findall(r"(\w+) = (\w+) = (\d+);", body)
    assert {(node.name.lower(), var, by_name[letter[var]], by_name[letter[var]] + 1000) for _, var, _ in copies} \
        <= set(r.claim_mismatches)  # each copy, and (below) the final chain T + R built on them
    assert {m[1] for m in r.claim_mismatches} == {var for _, var, _ in copies} | {body.rsplit(" = ", 3)[1]}
    assert not r.value_mismatches and not r.dependency_mismatches  # only the copies are wrong
    assert r.inconsistent_steps == [node.name.lower()]  # T + R no longer gives the written value


def test_a_copy_of_a_copy_is_checked():
    p, i = problem_with(lambda n: len(n.parents) == 1 and n.kind != "const")
    steps = steps_of(p.solution)
    head, body = steps[i].split("; ", 1)
    temp, var, val = re.match(r"(\w+) = (\w+) = (\d+);", body).groups()
    steps[i] = f"{head}; Q_ = {var} = {val}; {temp} = Q_ = {int(val) + 1}; " + body.split("; ", 1)[1]
    r = verify(p, join(steps, p.answer))
    assert not r.verified and {m[0] for m in r.claim_mismatches} == {p.nodes[i].name.lower()}


@pytest.mark.parametrize("text,expected", [
    ("6", 6), (" 6 ", 6), ("6.", 6), ("\n6\n", 6), ("-6", -6), ("006", 6), ("999999999999999", 999999999999999),
    ("6 or 8", None), ("6.5", None), ("6.0", None), ("six", None), ("6 apples", None), ("+6", None),
    ("--6", None), ("6 6", None), ("1e1", None), ("", None), ("6\u00b2", None), ("\uff16", None), ("\u0666", None),
    ("\u00a06", None), ("6\x00", None), ("1000000000000000", None), ("9" * 5000, None), ("(6)", None),
])
def test_an_answer_is_exactly_one_integer(text, expected):
    # Rule 9.
    assert extract_answer(f"<answer>{text}</answer>") == expected
    if "\n" not in text:  # "Answer:" reads to the end of its line
        assert extract_answer(f"Answer: {text}\nmore") == expected
    if expected is not None:
        assert extract_answer(f"<answer>{text}") == expected  # a completion cut at its stop token


def test_hedged_and_inexact_answers_are_not_verified():
    p = PROBLEM
    for answer in (f"{p.answer} or 8", f"8 or {p.answer}", f"{p.answer}.5", f"{p.answer}.0000001", "six"):
        assert not verify(p, join(steps_of(p.solution), answer)).verified


def test_integer_comparison_is_exact():
    # Rule 10: exact rationals inside an expression, exact integer equality with gold.
    assert evaluate("1/3 + 1/3 + 1/3", {}) == 1 and type(evaluate("1/3 + 1/3 + 1/3", {})) is int
    assert evaluate("7 / 2", {}) == 3.5 and type(evaluate("7 / 2", {})) is float
    assert evaluate("0.1 + 0.2", {}) == evaluate("0.3", {})
    assert evaluate("2.50 * 2", {}) == 5 and type(evaluate("2.50 * 2", {})) is int
    assert not same_value(4.0, 4) and not same_value(True, 1) and not same_value(None, 0) and same_value(4, 4)
    p, i = problem_with(lambda n: n.kind == "const")
    steps, v = steps_of(p.solution), p.nodes[i].value
    for almost in (f"{v} + 1/10000000", f"{v}.0000001", f"{v} - 0.0000001"):
        bad = steps[:i] + [f"{steps[i].split('; ', 1)[0]}; so {p.nodes[i].var} = {almost}."] + steps[i + 1:]
        r = verify(p, join(bad, p.answer))
        assert not r.verified and r.value_mismatches[0][:2] == (p.nodes[i].name.lower(), v)
    exact = steps[:i] + [f"{steps[i].split('; ', 1)[0]}; so {p.nodes[i].var} = {2 * v} / 2."] + steps[i + 1:]
    assert verify(p, join(exact, p.answer)).verified


def test_arithmetic_consistency_is_reported_beside_verified():
    # Rule 11: a wrong middle expression is flagged, per step and in aggregate; with the right written value it is
    # still wrong (rule 8: "T + R + 1" does not give the written value at the gold values). A step outside the gold
    # graph with wrong arithmetic is flagged and does not change `verified`.
    p, i = problem_with(lambda n: len(n.parents) >= 2)
    steps = steps_of(p.solution)
    head, final = steps[i].rsplit(" = ", 1)
    steps[i] = f"{head} + 1 = {final}"
    r = verify(p, join(steps, p.answer))
    assert not r.verified and not r.arithmetic_consistent and not r.value_mismatches
    assert [m[0] for m in r.claim_mismatches] == [p.nodes[i].name.lower()]
    assert r.inconsistent_steps == [p.nodes[i].name.lower()] and r.consistent_steps == len(p.nodes) - 1
    assert not parse_solution(join(steps, p.answer)).steps[i].consistent
    assert "inconsistent" in r.summary()
    extra = steps_of(p.solution) + ["Define number of clouds as Zq; so Zq = 2 + 2 = 5."]
    r = verify(p, join(extra, p.answer))
    assert r.verified and not r.arithmetic_consistent and r.inconsistent_steps == ["number of clouds"]
    g = verify(p, p.completion)
    assert g.arithmetic_consistent and g.consistent_share == 1.0 and g.inconsistent_steps == []
    assert not verify(p, "").arithmetic_consistent and verify(p, "").consistent_share == 0.0


def test_evaluate_rules():
    assert evaluate("2 * -3 + 1", {}) == -5 and evaluate("-(2 + 3) * 2", {}) == -10
    assert evaluate("8 / 2 / 2", {}) == 2 and evaluate("8 - 2 - 2", {}) == 4 and evaluate("2 + 3 * 4", {}) == 14
    assert evaluate("I + k", {"k": 2}, {"I": 3}) == 5 and evaluate("k", {"k": None}) is None
    assert evaluate("a", {"a": float("nan")}) is None and evaluate("a", {"a": math.inf}) is None
    for junk in ("\u00b2", "\u2460", "4\u00b2", "\u0663", "\uff13", "2 \u00d7 3", "6 \u00f7 2", "2 \u00b7 3",
                 "10 ** 2", "999999999999999 + 1", "1" * 16, "3e4", "lots", "1 / (2 - 2)", "(" * 300 + "1"):
        assert evaluate(junk, {}) is None, junk


def test_the_expression_cache_holds_only_short_keys():
    from reasonlab.verify.parse import _compile

    before = _compile.cache_info().currsize
    for i in range(50):
        assert evaluate("1 + " * 100 + str(i), {}) is None  # 400+ characters: refused before the cache
    assert _compile.cache_info().currsize == before


def test_evaluation_records_count_consistent_steps():
    from reasonlab.evaluate import score_problem_samples

    p, i = problem_with(lambda n: len(n.parents) >= 2)
    steps = steps_of(p.solution)
    head, final = steps[i].rsplit(" = ", 1)
    flagged = join(steps[:i] + [f"{head} + 1 = {final}"] + steps[i + 1:], p.answer)
    rec = score_problem_samples(p, [p.completion, flagged, "nonsense"])
    assert rec["verified"] == 1 and rec["steps"] == 2 * len(p.nodes)  # the flagged sample fails (rule 8)
    assert rec["consistent_steps"] == 2 * len(p.nodes) - 1


# ------------------------------------------------------------------------------- reward functions


GOLD = PROBLEM.completion
SHAPES = [  # (completion as TRL may pass it, strict reward)
    (GOLD, 1.0), (None, 0.0), ("", 0.0), ([], 0.0), (12345, 0.0), (b"bytes", 0.0), ([None, 3], 0.0),
    ([{"role": "assistant", "content": GOLD}], 1.0),
    ({"role": "assistant", "content": GOLD}, 1.0),
    ([{"role": "assistant", "content": None}], 0.0),
    ([{"role": "assistant"}], 0.0),
    ([{"role": "assistant", "content": [{"type": "text", "text": GOLD}]}], 1.0),
    ([{"role": "assistant", "content": [{"type": "text", "text": GOLD[:30]}, {"type": "image"},
                                         {"type": "text", "text": None}, {"type": "text", "text": GOLD[30:]}]}], 1.0),
    ([{"role": "assistant", "content": [GOLD]}], 1.0),
    ([{"role": "assistant", "content": {"text": GOLD}}], 0.0),
    ([{"role": "assistant", "content": [{"type": "text", "text": 7}]}], 0.0),
]


@pytest.mark.parametrize("completion,expected", SHAPES, ids=[f"shape{i}" for i in range(len(SHAPES))])
def test_reward_function_accepts_every_completion_shape(completion, expected):
    fn = make_reward_function("strict")
    for prob in (PROBLEM, PROBLEM.to_dict(), json.dumps(PROBLEM.to_dict())):
        assert fn(prompts=[PROBLEM.prompt], completions=[completion], problem=[prob]) == [expected]
    assert verify(PROBLEM, completion).verified == (expected == 1.0)
    assert isinstance(completion_text(completion), str)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["role", "content", "type", "text"]) | st.text(max_size=5), inner, max_size=4),
                    max_leaves=20))
def test_reward_function_never_raises_on_any_json_shape(completion):
    fn = make_reward_function("mix", alpha=0.5)
    out = fn(prompts=[PROBLEM.prompt], completions=[completion], problem=[PROBLEM])
    assert len(out) == 1 and 0.0 <= out[0] <= 1.0


def test_reward_function_refuses_length_mismatches():
    fn = make_reward_function("strict")
    with pytest.raises(ValueError, match="3 completions but 2 problems"):
        fn(prompts=[PROBLEM.prompt] * 3, completions=[GOLD] * 3, problem=[PROBLEM] * 2)
    with pytest.raises(ValueError, match="1 completions but 2 problems"):
        fn(prompts=[PROBLEM.prompt] * 2, completions=[GOLD], problem=[PROBLEM] * 2)
    with pytest.raises(ValueError, match="'problem' column"):
        fn(prompts=[PROBLEM.prompt], completions=[GOLD])
    with pytest.raises(ValueError, match="list of completions"):
        fn(prompts=[PROBLEM.prompt], completions=None, problem=[PROBLEM])
    with pytest.raises(ValueError, match="problem 1: expected a Problem"):
        fn(prompts=[PROBLEM.prompt] * 2, completions=[GOLD] * 2, problem=[PROBLEM, {"question": "?"}])
    assert fn(prompts=[], completions=[], problem=[]) == []


@pytest.mark.parametrize("alpha", [True, False, "0.5", None, float("nan"), math.inf, -0.1, 1.5, [0.5], 1j,
                                   np.float64("nan"), np.float64(0.2), Fraction(1, 4)])  # the last two: config_hash
def test_alpha_is_validated(alpha):
    report = verify(PROBLEM, GOLD)
    for kind in REWARD_KINDS:
        with pytest.raises(ValueError, match=r"alpha .* must be a Python int or float in \[0, 1\]"):
            make_reward_function(kind, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        reward(report, "mix", alpha=alpha)


@pytest.mark.parametrize("alpha,name", [(0, "reward_mix_0"), (1, "reward_mix_1"), (0.5, "reward_mix_0.5"),
                                        (0.25, "reward_mix_0.25"), (0.2, "reward_mix_0.2")])
def test_good_alphas(alpha, name):
    fn = make_reward_function("mix", alpha=alpha)
    assert fn.__name__ == name
    wrong = GOLD.replace(f"<answer>{PROBLEM.answer}<", "<answer>999999<")
    assert fn(prompts=[""], completions=[wrong], problem=[PROBLEM]) == pytest.approx([1 - float(alpha)])


# ------------------------------------------------- rule 7-9 tightenings: a reward that cannot be gamed (issue 23)

LAPTOP_FORMAT = GeneratorConfig(max_distractors=0, shuffle_sentences=False, variable_names="ordered", copy_steps=False)


def test_the_issues_example_a_copy_written_as_an_expression_is_checked():
    p = generate_problem(8, "animals-zoo", 5)
    assert "L = t = 2;" in p.completion and verify(p, p.completion).verified
    for copy in ("L = (t) = 999;", "L = t + 0 = 999;", "L = 1 * t = 999;", "L = t * 1 = 999;", "L = -(-t) = 999;",
                 "L = ((t)) = 999;", "L = t / 1 = 999;", "L = t = 999;"):
        r = verify(p, p.completion.replace("L = t = 2;", copy))
        assert not r.verified, copy
        assert (copy.split(" = ")[1], 2, 999) in {m[1:] for m in r.claim_mismatches}, copy


@pytest.mark.parametrize("config", FORMATS + [LAPTOP_FORMAT])
def test_a_copy_of_a_parent_written_in_any_form_must_hold_its_gold_value(config):
    """Every format the generator renders, the laptop's included: a temporary that copies a parent through any
    expression, with a wrong value, fails the step, even when the step's own value is right."""
    p, i = problem_with(lambda n: len(n.parents) == 1 and n.kind != "const", config)
    node, parent = p.nodes[i], next(n for n in p.nodes if n.name == p.nodes[i].parents[0])
    steps = steps_of(p.solution)
    head, body = steps[i].split("; ", 1)
    for expr in (f"({parent.var})", f"{parent.var} + 0", f"1 * {parent.var}"):
        forged = f"{head}; Zz = {expr} = {parent.value + 7}; {body}"  # the copy is unused: still a false claim
        r = verify(p, join(steps[:i] + [forged] + steps[i + 1:], p.answer))
        assert not r.verified and (node.name.lower(), expr, parent.value, parent.value + 7) in r.claim_mismatches
        honest = f"{head}; Zz = {expr} = {parent.value}; {body}"
        assert verify(p, join(steps[:i] + [honest] + steps[i + 1:], p.answer)).verified, expr


@pytest.mark.parametrize("config", [None, LAPTOP_FORMAT])
def test_a_wrong_middle_number_in_the_final_chain_fails_the_step(config):
    """'b = 2 * a = 2 * 999 = 2' writes the right value after a wrong middle: every expression claims the value."""
    p, i = problem_with(lambda n: n.kind in ("mul_const", "add_const", "sub_const"), config)
    steps = steps_of(p.solution)
    chain = steps[i].rstrip(".").rsplit("; so ", 1)[1]  # "b = 2 * a = 2 * 1 = 2"
    lhs, *exprs = chain.split(" = ")
    numbers = exprs[-2]
    forged = steps[i].replace(f" = {numbers} = ", f" = {numbers.replace(str(p.nodes[i].const), '999', 1)} = ")
    assert forged != steps[i]
    r = verify(p, join(steps[:i] + [forged] + steps[i + 1:], p.answer))
    assert not r.verified and not r.value_mismatches and not r.dependency_mismatches
    assert [m[0] for m in r.claim_mismatches] == [p.nodes[i].name.lower()]


def test_a_chain_of_several_quantities_claims_each_of_them():
    """'N = x = A = v': both x and A are claimed equal to v, and each is checked (the old rule read x only)."""
    p = generate_problem(8, "animals-zoo", 5)  # "... N = x = 2; D = A = 4; so k = d + N + D = ..."
    assert "N = x = 2;" in p.completion
    r = verify(p, p.completion.replace("N = x = 2;", "N = x = A = 2;"))  # A is 4
    assert not r.verified and ("adult bear in clear springs", "A", 4, 2) in r.claim_mismatches
    assert verify(p, p.completion.replace("N = x = 2;", "N = x = 1 + 1 = 2;")).verified


@pytest.mark.parametrize("config", [None, LAPTOP_FORMAT])
@pytest.mark.parametrize("dead", ["{v} * 0 + {c}", "{v} - {v} + {c}", "0 / {v} + {c}", "{c} + 0 * ({v} + 1)"])
def test_a_parent_multiplied_by_zero_is_no_dependency(config, dead):
    """Rule 7: naming a parent without using it is not depending on it, so the step's parents are wrong."""
    p, i = problem_with(lambda n: len(n.parents) == 1 and n.kind != "const", config)
    node, parent = p.nodes[i], next(n for n in p.nodes if n.name == p.nodes[i].parents[0])
    head = steps_of(p.solution)[i].split("; ", 1)[0]
    steps = steps_of(p.solution)
    expr = dead.format(v=parent.var, c=node.value)
    r = verify(p, join(steps[:i] + [f"{head}; so {node.var} = {expr} = {node.value}."] + steps[i + 1:], p.answer))
    assert not r.verified and r.dependency_mismatches == [(node.name.lower(), [parent.name.lower()], [])]
    live = f"{parent.var} - {parent.var} + {parent.var} + {node.value - parent.value}"  # uses it once, net
    ok = verify(p, join(steps[:i] + [f"{head}; so {node.var} = {live} = {node.value}."] + steps[i + 1:], p.answer))
    assert not ok.dependency_mismatches


def test_a_quantity_defined_twice_counts_only_if_every_definition_is_right():
    p = generate_problem(6, "animals-zoo", 3, LAPTOP_FORMAT)
    steps = steps_of(p.solution)
    node = p.nodes[2]
    wrong = steps[2].rsplit(" = ", 1)[0] + f" = {node.value + 1}."
    assert verify(p, join(steps[:3] + [steps[2]] + steps[3:], p.answer)).verified  # the same step twice
    for hedge in (steps[:3] + [wrong] + steps[3:], steps[:2] + [wrong] + steps[2:]):  # wrong after, or before
        r = verify(p, join(hedge, p.answer))
        assert not r.verified and r.redefined == [node.name.lower()]
    twice = steps[2].rstrip(".") + f"; so {node.var} = {node.value + 1}."  # two values for X in one step
    r = verify(p, join(steps[:2] + [twice] + steps[3:], p.answer))
    assert not r.verified and (node.name.lower(), node.value, None) in r.value_mismatches


def test_two_solutions_or_two_different_answers_pay_nothing():
    p = generate_problem(6, "animals-zoo", 3, LAPTOP_FORMAT)
    a = int(p.answer)
    assert verify(p, p.prompt + p.completion).verified  # the prompt's own "<solution>" is the one block
    assert not verify(p, p.prompt + p.completion.replace("</solution>", "</solution><solution>")).verified
    assert parse_solution("<solution>" + p.solution + "</solution><solution>" + p.solution).steps == []
    for answers, expected in ((f"<answer>{a}</answer><answer>{a + 1}</answer>", None),
                              (f"<answer>{a + 1}</answer><answer>{a}</answer>", None),
                              (f"<answer>{a}</answer> <answer> {a}. </answer>", a),
                              (f"<answer>{a}</answer><answer>six</answer>", None),
                              (f"Answer: {a}\nAnswer: {a + 1}", None), (f"Answer: {a}\nAnswer: {a}.", a)):
        r = verify(p, p.solution + "</solution>" + answers)
        assert r.predicted_answer == expected and r.verified == (expected == a), answers


def test_the_random_reward_pays_as_often_as_the_outcome_reward_but_not_for_the_completion():
    """The RL control (issue 25): per call, the batch's outcome rewards permuted across its rows, seeded by (seed,
    TRL's global step): same mean as the outcome reward, replayable, and unrelated to which rows are right."""
    from types import SimpleNamespace

    from reasonlab.verify import Reward

    problems = [generate_problem(5, "animals-zoo", i) for i in range(64)]
    completions = [p.completion if i % 4 == 0 else f"<answer>{p.answer}</answer>" if i % 4 == 1 else "junk"
                   for i, p in enumerate(problems)]
    outcome = make_reward_function("outcome")(None, completions, problem=problems)
    draw = lambda seed, step: Reward("random").function(seed)(  # noqa: E731
        None, completions, problem=problems, trainer_state=SimpleNamespace(global_step=step))
    first = draw(0, 3)
    assert sorted(first) == sorted(outcome) and first == draw(0, 3)  # same mean; the same draw on a replay
    assert first != draw(0, 4) and first != draw(1, 3)  # another step or seed, another permutation
    right = [r for r, o in zip(first, outcome) if o == 1.0]
    assert 0 < sum(right) < len(right)  # some right rows are paid, some not
    with pytest.raises(ValueError, match="control drawn per rollout batch"):
        Reward("random").score(verify(problems[0], problems[0].completion))
    with pytest.raises(ValueError, match="takes no alpha"):
        Reward("random", 0.5)


@pytest.mark.parametrize("op", ["*", "/", "-", "+"])
def test_long_chains_of_distinct_names_stay_fast(op):
    """Rule 7 probes every name of every expression; 64 KB of 50-name chains (division grows exact fractions fastest)
    still verifies within the time limit, because a value or denominator past LIMIT has no value."""
    rng = random.Random(0)
    names = [f"v{i}" for i in range(60)]
    steps = []
    for k in range(300):
        rng.shuffle(names)
        steps.append(f"Define q{k} as Q{k}; so Q{k} = {op.join(names[:50])} = 1")
    assert_well_formed(timed_verify(PROBLEM, ". ".join(steps)[:64_000]))


def test_the_reward_function_keeps_its_batch_reports_so_the_step_log_verifies_nothing_twice():
    fn = make_reward_function("strict")
    assert fn.last_reports == []
    scores = fn(prompts=[""] * 2, completions=[GOLD, "junk"], problem=[PROBLEM] * 2)
    assert [r.verified for r in fn.last_reports] == [True, False] and scores == [1.0, 0.0]
