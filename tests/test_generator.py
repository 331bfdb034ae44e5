"""Generator: exact op counts, value rules, determinism, template invariance, disjoint splits."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonlab.generator import (
    MAX_OP, SPLITS, GeneratorConfig, Mixture, generate_problem, make_dataset, problem_at, split_of,
)
from reasonlab.generator.dag import TOTAL
from reasonlab.verify import evaluate

TEMPLATES = ["animals-zoo", "teachers-school", "movie-festival"]
CONFIGS = [GeneratorConfig(), GeneratorConfig(variable_names="ordered", copy_steps=False, max_distractors=0,
                                              shuffle_sentences=False)]


def edge_count_with_constants(problem):
    """op(G) = |E| where a constant assigned to a quantity counts as an edge (issue 2)."""
    g = problem.graph
    return g.number_of_edges() + sum(1 for n in problem.nodes if n.const is not None)


@pytest.mark.parametrize("op", range(2, MAX_OP + 1))
def test_every_op_is_exact(op):
    for seed in range(5):
        p = generate_problem(op, TEMPLATES[seed % 3], seed)
        assert p.op == op
        assert edge_count_with_constants(p) == op


def test_op_examples_from_the_issue():
    # "x = 3" is 1 op, "k = 3 * x" is 2, "y = k + x" is 2: a const then a scale is op 3.
    p = generate_problem(3, "animals-zoo", 2)
    kinds = [n.kind for n in p.nodes]
    assert edge_count_with_constants(p) == 3 and kinds[0] == "const"


@settings(max_examples=150, deadline=None)
@given(op=st.integers(2, 30), seed=st.integers(0, 10**9), t=st.sampled_from(TEMPLATES), cfg=st.sampled_from(CONFIGS))
def test_structure_and_value_rules(op, seed, t, cfg):
    p = generate_problem(op, t, seed, cfg)
    g = p.graph
    query = p.query.name
    # Every quantity is needed: each node is the query or one of its ancestors.
    import networkx as nx
    assert set(g.nodes) == nx.ancestors(g, query) | {query}
    assert nx.is_directed_acyclic_graph(g)
    for n in p.nodes:
        assert isinstance(n.value, int) and 0 < n.value <= 1000  # no negative, zero or > 1000
        if n.const is not None:
            assert 1 <= n.const <= 4
    assert p.answer == str(p.query.value)
    # Explicit relations are stated in the question; totals are implicit (never stated).
    for n in p.nodes:
        if n.kind == TOTAL:
            assert f"The number of {n.name}" not in p.question
        else:
            assert f"The number of {n.name} equals" in p.question


@settings(max_examples=60, deadline=None)
@given(op=st.integers(2, 25), seed=st.integers(0, 10**9))
def test_totals_count_every_entity_at_their_location(op, seed):
    p = generate_problem(op, "animals-zoo", seed)
    for n in p.nodes:
        if n.kind != TOTAL:
            continue
        loc = n.name.split(" in ", 1)[1]
        stated = set(re.findall(r"The number of ([a-z ]+ in [A-Za-z ]+?) equals", p.question))
        at_loc = {s for s in stated if s.endswith(" in " + loc)}
        assert at_loc == set(n.parents)


def test_gold_solution_arithmetic_is_consistent():
    for seed in range(50):
        p = generate_problem(12, "teachers-school", seed)
        for step in p.solution.split("Define ")[1:]:
            final = step.rsplit("so ", 1)[1].rstrip(". ")
            parts = final.split(" = ")
            numeric = parts[-2] if len(parts) > 2 and not parts[-2].isalpha() else parts[-1]
            assert evaluate(numeric, {}) == float(parts[-1])


def test_pure_function_of_arguments():
    a = generate_problem(9, "movie-festival", 123)
    b = generate_problem(9, "movie-festival", 123)
    c = generate_problem(9, "movie-festival", 124)
    assert a == b and a.text_hash == b.text_hash
    assert a.text_hash != c.text_hash
    m = Mixture.band(2, 10)
    assert problem_at(m, "rl", 17, seed=3) == problem_at(m, "rl", 17, seed=3)


def test_template_invariance_of_structure():
    for seed in range(20):
        ps = [generate_problem(10, t, seed) for t in TEMPLATES]
        assert len({p.graph_hash for p in ps}) == 1
        assert len({tuple((n.kind, n.value, n.const) for n in p.nodes) for p in ps}) == 1
        assert len({p.text_hash for p in ps}) == 3
        assert ps[0].answer == ps[1].answer == ps[2].answer


def test_templates_have_their_own_vocabularies():
    words = [set(generate_problem(8, t, 5).question.split()) for t in TEMPLATES]
    assert "adult" in words[0] and "teacher" in words[1] and "movie" in words[2]
    assert "adult" not in words[1] | words[2]


def test_splits_are_disjoint_by_text_hash():
    # op 2-3 has few distinct texts, so collisions across splits would show up if allowed.
    m = Mixture.band(2, 3)
    hashes = {s: {p.text_hash for p in make_dataset(m, s, 150, seed=1)} for s in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            assert not hashes[a] & hashes[b], (a, b)
    for s in SPLITS:
        assert all(split_of(h) == s for h in hashes[s])
        assert len(hashes[s]) == 150  # deduplicated within the split


def test_mixture_proportions_and_names():
    m = Mixture.of([("A", 2, 20, 0.9), ("B", 2, 2, 0.1)])
    assert m.name == "A2-20:0.9+B2:0.1"
    ds = make_dataset(m, "pretrain", 600, seed=0)
    share_b = sum(p.template == "teachers-school" for p in ds) / len(ds)
    assert 0.06 < share_b < 0.15
    assert all(p.op == 2 for p in ds if p.template == "teachers-school")


@pytest.mark.parametrize("bad", [
    dict(variable_names="greek"), dict(max_distractors=-1), dict(n_entities=0), dict(locations_per_problem=(3, 2)),
])
def test_config_validation(bad):
    with pytest.raises(ValueError, match="must"):
        GeneratorConfig(**bad)


@pytest.mark.parametrize("op", [1, 0, MAX_OP + 1, 2.5, "3"])
def test_bad_op_is_refused(op):
    with pytest.raises(ValueError, match="op must be"):
        generate_problem(op, "animals-zoo", 0)


def test_bad_template_lists_allowed():
    with pytest.raises(ValueError, match="animals-zoo"):
        generate_problem(5, "space-station", 0)


def test_round_trip_dict():
    from reasonlab.generator import Problem
    p = generate_problem(7, "B", 4)
    assert Problem.from_dict(p.to_dict()) == p


def test_splits_are_disjoint_by_question_in_the_papers_random_letter_format():
    """Issue 12: with random letters the same question came back in pre-training with other letters in its
    solution (21 of 100 op-2 eval questions in 50,000 draws). Letters are canonical in the text hash now."""
    from reasonlab.generator import DEFAULT_CONFIG, Mixture, make_dataset, problem_at

    mix = Mixture.band(2, 2, "animals-zoo", DEFAULT_CONFIG)
    assert DEFAULT_CONFIG.variable_names == "random"
    eval_questions = {p.question for p in make_dataset(mix, "eval", 100)}
    pretrain_questions = {problem_at(mix, "pretrain", i).question for i in range(6000)}
    assert not eval_questions & pretrain_questions


def test_canonical_letters_leave_the_ordered_format_alone():
    """The laptop and smoke formats (ordered letters, no copy steps) keep their text hashes: the committed base's
    splits and results are unaffected by the canonical letters."""
    from reasonlab.experiments.scales import LAPTOP
    from reasonlab.generator import Mixture, problem_at
    from reasonlab.generator.problem import canonical_letters

    for op in (2, 5, 9, 13, 16):
        for t in ("animals-zoo", "teachers-school", "movie-festival"):
            for i in range(10):
                p = problem_at(Mixture.band(op, op, t, LAPTOP.generator), "pretrain", i)
                assert canonical_letters(p.solution) == p.solution
    assert canonical_letters("Define owls as Q; so Q = 3. Define cats as z; so z = Q + 1.") == \
        "Define owls as a; so a = 3. Define cats as b; so b = a + 1."
