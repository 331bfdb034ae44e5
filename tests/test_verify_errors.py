"""Error analysis by kind (reasonlab.verify.errors): hand-derived expectations on small edits of a gold
completion, agreement with the verifier, and no exception on hostile output."""

import pytest

from reasonlab.experiments.scales import LAPTOP
from reasonlab.generator import generate_problem
from reasonlab.verify import STEP_KINDS, error_kinds, step_detail, verify

# The laptop format (ordered letters, no copy steps). Its gold completion, as the generator writes it:
PROBLEM = generate_problem(6, "animals-zoo", 0, LAPTOP.generator)
GOLD = ("Define adult giraffe in Mist Falls as a; so a = 4. Define adult badger in Mist Falls as b; so b = 4. "
        "Define adult penguin in Mist Falls as c; so c = 4 * a = 4 * 4 = 16. Define adult giraffe in Birch Hill "
        "as d; so d = b + c = 4 + 16 = 20.</solution><answer>20</answer>")
GIRAFFE, BADGER, PENGUIN, BIRCH = ("adult giraffe in mist falls", "adult badger in mist falls",
                                   "adult penguin in mist falls", "adult giraffe in birch hill")


def kinds(completion, problem=PROBLEM) -> dict[str, str]:
    return {s["quantity"]: s["kind"] for s in error_kinds(problem, completion)["steps"]}


def test_the_fixture_is_the_generators_gold_completion():
    assert PROBLEM.completion == GOLD and PROBLEM.answer == "20"


def test_gold_completion_is_all_correct():
    e = error_kinds(PROBLEM, GOLD)
    assert kinds(GOLD) == {GIRAFFE: "correct", BADGER: "correct", PENGUIN: "correct", BIRCH: "correct"}
    assert e["counts"] == {"correct": 4, "wrong value": 0, "wrong dependency": 0, "missing quantity": 0}
    assert e["n_gold"] == 4 and e["extra_steps"] == 0 and e["extra"] == []
    assert e["answer_right"] and e["verified"] and e["process_acc"] == 1.0
    assert e["answer"] == e["gold_answer"] == 20
    assert [s["quantity"] for s in e["steps"]] == [GIRAFFE, BADGER, PENGUIN, BIRCH]  # gold order
    assert e["steps"][3]["gold_parents"] == e["steps"][3]["parents"] == [BADGER, PENGUIN]


def test_a_dropped_step_is_missing_and_its_user_loses_a_dependency():
    text = GOLD.replace("Define adult badger in Mist Falls as b; so b = 4. ", "")
    e = error_kinds(PROBLEM, text)
    # b is no longer a known letter, so "d = b + c" depends on c only; its written value 20 is still right
    assert kinds(text) == {GIRAFFE: "correct", BADGER: "missing quantity", PENGUIN: "correct",
                           BIRCH: "wrong dependency"}
    assert e["steps"][3]["parents"] == [PENGUIN] and e["steps"][1]["value"] is None
    assert e["answer_right"] and not e["verified"] and e["process_acc"] == 0.5
    assert e["after_missing"] == 1  # the knock-on wrong dependency


def test_a_changed_number_is_a_wrong_value():
    text = GOLD.replace("4 * 4 = 16", "4 * 4 = 15")
    e = error_kinds(PROBLEM, text)
    assert kinds(text) == {GIRAFFE: "correct", BADGER: "correct", PENGUIN: "wrong value", BIRCH: "correct"}
    assert e["counts"]["wrong value"] == 1 and e["answer_right"] and not e["verified"]
    assert step_detail(e["steps"][2]) == "wrote 15; gold 16"


def test_another_earlier_letter_is_a_wrong_dependency():
    text = GOLD.replace("c = 4 * a", "c = 4 * b")  # b is also 4, so the value stays 16
    e = error_kinds(PROBLEM, text)
    assert kinds(text) == {GIRAFFE: "correct", BADGER: "correct", PENGUIN: "wrong dependency", BIRCH: "correct"}
    assert step_detail(e["steps"][2]) == f"uses {BADGER}; gold uses {GIRAFFE}"
    assert e["after_missing"] == 0 and step_detail(e["steps"][0]) == "value 4"


def test_wrong_parents_and_value_count_as_a_wrong_dependency():
    text = GOLD.replace("c = 4 * a = 4 * 4 = 16", "c = 3 * b = 3 * 4 = 12")
    assert kinds(text)[PENGUIN] == "wrong dependency"  # the first kind that applies


def test_a_misspelt_entity_name_is_missing_plus_extra():
    text = GOLD.replace("adult badger in Mist Falls", "adult badgr in Mist Falls")
    e = error_kinds(PROBLEM, text)
    # the step that uses b now depends on a quantity the gold graph does not have
    assert kinds(text) == {GIRAFFE: "correct", BADGER: "missing quantity", PENGUIN: "correct",
                           BIRCH: "wrong dependency"}
    assert e["extra_steps"] == 1 and e["extra"] == ["adult badgr in mist falls"] and e["after_missing"] == 1


def test_a_wrong_answer_with_right_steps():
    e = error_kinds(PROBLEM, GOLD.replace("<answer>20<", "<answer>21<"))
    assert e["counts"]["correct"] == 4 and not e["answer_right"] and not e["verified"] and e["answer"] == 21


def test_a_wrong_copied_value_is_a_wrong_value():
    p = generate_problem(4, "animals-zoo", 5)  # the default format: random letters, copy steps
    assert "Z = i = 2; A = N = 2; so Y = Z + A = 2 + 2 = 4" in p.completion
    text = p.completion.replace("Z = i = 2", "Z = i = 3")
    e = error_kinds(p, text)
    assert [s["kind"] for s in e["steps"]] == ["correct", "correct", "wrong value"]
    assert step_detail(e["steps"][2]) == "an intermediate value is wrong at the gold values (its own value 4 is right)"


def test_nothing_parsed_is_all_missing():
    e = error_kinds(PROBLEM, "")
    assert e["counts"]["missing quantity"] == 4 and e["extra_steps"] == 0 and e["answer"] is None
    assert step_detail(e["steps"][0]) == "never defined"


def _agrees_with_the_verifier(problem, completion):
    e = error_kinds(problem, completion)
    r = verify(problem, completion)
    assert set(e["counts"]) == set(STEP_KINDS) and sum(e["counts"].values()) == e["n_gold"] == len(problem.nodes)
    assert e["counts"]["correct"] / e["n_gold"] == pytest.approx(r.process_acc)
    assert (e["verified"], e["answer_right"], e["extra"]) == (r.verified, r.answer_correct, r.extra)
    assert e["counts"]["missing quantity"] == len(r.missing)
    assert 0 <= e["after_missing"] <= e["counts"]["wrong dependency"]
    assert all(isinstance(step_detail(s), str) for s in e["steps"])


def test_hostile_completions_never_raise():
    from test_verify_hostile import PROBLEM as HOSTILE_PROBLEM, load_corpus

    for _, _, text in load_corpus():
        _agrees_with_the_verifier(HOSTILE_PROBLEM, text)
    for junk in (None, 3, b"Define", [{"role": "assistant", "content": GOLD}], "\ud800", "Define " * 10_000):
        _agrees_with_the_verifier(PROBLEM, junk)
