"""The unseen-shape test's generator option: Mixture(shapes="seen" | "held-out"), and artifact keys unchanged."""

import pytest

from reasonlab.experiments.scales import LAPTOP
from reasonlab.generator import HELD_OUT_MIN_OP, Mixture, make_dataset, problem_at, shape_held_out
from reasonlab.provenance import config_hash, to_jsonable

CFG = LAPTOP.generator


def _mix(lo, hi, shapes):
    base = Mixture.band(lo, hi, "animals-zoo", CFG)
    return Mixture(base.components, CFG, shapes)


def test_seen_never_draws_a_held_out_shape_and_held_out_only_those():
    seen = [problem_at(_mix(2, 10, "seen"), "pretrain", i) for i in range(600)]
    held = make_dataset(_mix(6, 10, "held-out"), "eval", 120)
    assert not any(shape_held_out(p) for p in seen)
    assert all(shape_held_out(p) and p.op >= HELD_OUT_MIN_OP for p in held)
    assert {p.graph_hash for p in seen}.isdisjoint({p.graph_hash for p in held})
    assert {p.op for p in seen} == set(range(2, 11))  # low ops (no held-out shapes) are still drawn
    everything = [problem_at(_mix(6, 10, "all"), "pretrain", i) for i in range(600)]
    share = sum(map(shape_held_out, everything)) / len(everything)
    assert 0.05 < share < 0.4  # ~20% of the shapes; their share of draws varies with how common they are


def test_held_out_eval_problems_stay_in_the_eval_split():
    from reasonlab.generator import split_of

    held = make_dataset(_mix(7, 8, "held-out"), "eval", 40)
    assert all(split_of(p.text_hash) == "eval" for p in held)


@pytest.mark.parametrize("kw, match", [
    (dict(shapes="unseen"), "shapes must be one of"),
    (dict(shapes="held-out", lo=2), "needs every op >= 6"),
])
def test_bad_shape_options_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        _mix(kw.pop("lo", 6), 10, kw["shapes"])


def test_the_option_leaves_existing_artifact_keys_alone():
    assert "shapes" not in to_jsonable(Mixture.band(2, 4))
    assert to_jsonable(_mix(6, 8, "seen"))["shapes"] == "seen"
    assert config_hash(_mix(6, 8, "all")) == config_hash(Mixture.band(6, 8, "animals-zoo", CFG))
    assert config_hash(_mix(6, 8, "seen")) != config_hash(_mix(6, 8, "all"))
    assert _mix(6, 8, "held-out").name.endswith("[held-out]")


def test_committed_laptop_base_is_still_found_by_its_key():
    from reasonlab.provenance import artifact_key
    from reasonlab.experiments.recipes import get_recipe
    from reasonlab.experiments.runner import COMMITTED_ARTIFACTS, lm_config

    recipe = get_recipe("ladder", "laptop")
    key = artifact_key(lm_config(recipe.arms[0].pretrain, recipe.scale, "pretrain"))
    assert (COMMITTED_ARTIFACTS / f"pretrain-{key}" / "final" / "manifest.json").exists()


def test_shape_census_counts_what_the_generator_draws():
    from reasonlab.experiments.analyses import shape_census

    rows = {r["op"]: r for r in shape_census(ops=(2, 3, 6, 8), n_per_op=300, config=CFG)}
    assert rows[2]["shapes"] == 1 and rows[2]["top10_share"] == 1.0  # one way to wire two operations
    assert rows[2]["held_out_shapes"] == rows[3]["held_out_shapes"] == 0  # nothing held out below op 6
    assert rows[3]["shapes"] < rows[6]["shapes"] < rows[8]["shapes"]
    assert 0 < rows[8]["held_out_shapes"] < rows[8]["shapes"] and 0 < rows[8]["held_out_draw_share"] < 1


def test_token_classes_of_a_gold_completion():
    from reasonlab.chapters.ladder import token_classes

    pieces = ["Define", " adult", " owl", " in", " Oak", " Hollow", " as", " b", ";", " so", " b", " =", " ", "1",
              ".", "</solution>", "<answer>", "1", "</answer>"]
    assert token_classes(pieces) == ["format"] + ["entity name"] * 5 + ["format", "variable letter", "format",
                                     "format", "variable letter", "format", "format", "number", "format", "format",
                                     "format", "number", "format"]


def test_finished_stage_finds_the_committed_base():
    from reasonlab.experiments.recipes import get_recipe
    from reasonlab.experiments.runner import COMMITTED_ARTIFACTS, finished_stage

    final = finished_stage(get_recipe("ladder", "laptop"), "base", "pretrain")
    assert final is not None and final.is_relative_to(COMMITTED_ARTIFACTS)


def test_laptop_training_draws_seen_shapes_and_its_evaluation_every_shape():
    from reasonlab.experiments.recipes import get_recipe

    s3 = get_recipe("S3", "laptop")
    assert LAPTOP.train_shapes == "seen"
    assert all(a.pretrain.mixture.shapes == "seen" and a.rl.mixture.shapes == "seen" for a in s3.arms)
    ev = s3.evaluation
    assert not ev.unseen and ev.mixture(8, None, LAPTOP).shapes == "all"


def test_the_ladder_evaluates_held_out_shapes_separately():
    from reasonlab.experiments.recipes import Evaluation, get_recipe

    ev = get_recipe("ladder", "laptop").evaluation
    assert ev.unseen and ev.unseen_ops == list(range(HELD_OUT_MIN_OP, LAPTOP.in_dist[1] + 1))
    small = Evaluation(ev.bands, ev.templates, False, 3, 4, unseen=True)
    sets = small.problem_sets(LAPTOP)
    unseen = {k: v for k, v in sets.items() if k[0] == "unseen"}
    assert sorted(op for _, op in unseen) == small.unseen_ops
    assert all(shape_held_out(p) and p.op == op for (_, op), ps in unseen.items() for p in ps)
    assert all(len(ps) == 3 for ps in sets.values())
    # the ordinary sets are the ones an evaluation without the test draws (same problems: paired with RL arms)
    plain = Evaluation(ev.bands, ev.templates, False, 3, 4).problem_sets(LAPTOP)
    assert {k: [p.text_hash for p in v] for k, v in plain.items()} == \
        {k: [p.text_hash for p in v] for k, v in sets.items() if k[0] != "unseen"}
    with pytest.raises(ValueError, match="trains on seen shapes only"):
        import dataclasses
        small.problem_sets(dataclasses.replace(LAPTOP, name="laptop-all-shapes", train_shapes="all"))
    with pytest.raises(ValueError, match="needs an 'in_dist' band reaching op 6"):
        Evaluation((("in_dist", 2, 4), ("edge", 5, 6)), ("A",), False, 2, 4, unseen=True)
    assert not get_recipe("ladder", "smoke").evaluation.unseen  # smoke's band (2-4) has no held-out shapes
    # a slice (benchmarks, tests): the first problems of some ops' sets, the same problems, no unseen sets
    part = small.problem_sets(LAPTOP, n_per_op=2, ops=(3, 7))
    assert {k: [p.text_hash for p in v] for k, v in part.items()} == \
        {k: [p.text_hash for p in v[:2]] for k, v in sets.items() if k in (("all", 3), ("all", 7))}
    with pytest.raises(ValueError, match="not all evaluation ops"):
        small.problem_sets(LAPTOP, ops=(40,))


def test_summarise_reports_unseen_shapes_apart_from_the_bands():
    from reasonlab.evaluate import UNSEEN, EvalSpec, summarise

    spec = EvalSpec((("in_dist", 2, 7), ("edge", 8, 9)), samples=4)
    rec = lambda op, v, **kw: {"op": op, "template": "animals-zoo", "text_hash": f"{op}-{v}-{kw}", "n": 4,  # noqa: E731
                               "verified": v, "outcome": v, "process_acc": 0.5, "nll": None, **kw}
    records = [rec(6, 4), rec(7, 4), rec(7, 0, held_out_shape=True), rec(8, 0),
               rec(6, 0, set=UNSEEN), rec(7, 2, set=UNSEEN)]
    t = summarise(records, spec, "m")
    val = lambda group, key, k=1: float(t[(t.group == group) & (t.key == key) & (t.metric == "pass@k")  # noqa: E731
                                          & (t.k == k)].value.iloc[0])
    assert val("band", "in_dist") == pytest.approx(2 / 3)  # the unseen-test records are not in the bands
    assert val("band", UNSEEN) == pytest.approx(0.25) and val("unseen-op", "7") == pytest.approx(0.5)
    assert val("band", "seen") == 1.0  # ops 6-7 of the ordinary sets, held-out shapes among them left out
    assert set(t[t.group == "op"].key) == {"6", "7", "8"}  # ops with ordinary records only
