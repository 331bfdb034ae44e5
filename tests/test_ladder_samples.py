"""The sample of the base model's own outputs (reasonlab.chapters.outputs.samples_result and its tables, drawn by
reasonlab.experiments.samples): the committed laptop result, the arithmetic of the tables on hand-made records, and a
smoke run."""

import json

import pytest

from reasonlab.chapters import ladder, outputs
from reasonlab.experiments.samples import SAMPLES_PER_PROBLEM, SAMPLES_PROBLEMS_PER_OP, example_role
from reasonlab.provenance import RESULTS_DIR
from reasonlab.results import Result, load
from reasonlab.verify import RULES, STEP_KINDS

pytestmark = pytest.mark.usefixtures("one_thread")


def _rec(op, band, h, verified, right, kinds, n_extra=0, after=0, **more):
    counts = dict(zip(STEP_KINDS, kinds))
    return {"op": op, "band": band, "text_hash": h, "sample": 0, "verified": verified, "answer_right": right,
            "process_acc": counts["correct"] / sum(kinds), "n_gold": sum(kinds), "extra_steps": n_extra,
            "after_missing": after, **counts, **more}


STEPS = [{"quantity": "a|b", "kind": "missing quantity", "detail": "never defined"}]
EXAMPLE = dict(example="failed", question="<question>How many?</question><solution>", completion="x ``` y",
               answer=None, gold_answer=3, extra=["zz"], steps=STEPS)
# kinds: (correct, wrong value, wrong dependency, missing quantity)
FAKE = Result("fake", {}, {"samples": [
    _rec(2, "in_dist", "p1", True, True, (3, 0, 0, 0)),
    _rec(2, "in_dist", "p1", False, True, (1, 1, 1, 0)),
    _rec(10, "edge", "p2", False, False, (0, 0, 2, 2), n_extra=2, after=1, **EXAMPLE),
    _rec(14, "hard", "p3", False, False, (1, 1, 0, 2)),
]})


def test_error_table_shares_are_pooled_over_gold_steps():
    t = outputs.error_table(FAKE).set_index("op")
    assert t.loc[2, "correct"] == round(4 / 6, 3) and t.loc[2, "wrong value"] == round(1 / 6, 3)  # 3 digits shown
    assert t.loc[2, "verified"] == 0.5 and t.loc[2, "answer right"] == 1.0 and t.loc[2, "reward-hacked"] == 0.5
    assert t.loc[10, "dependency after missing"] == 0.5 and t.loc[10, "extra steps"] == 2
    assert ((t[list(STEP_KINDS)].sum(axis=1) - 1).abs() <= 0.002).all()


def test_samples_numbers_by_band():
    n = outputs.samples_numbers(FAKE)
    assert n["in_dist_hacked_of_right"] == "50.0%" and n["in_dist_verified"] == "50.0%"
    assert n["in_dist_wrong_value_of_wrong"] == "50.0%" and n["in_dist_top_error"] == "wrong value"  # ties: first kind
    assert n["edge_answer_right"] == "0.0%" and n["edge_hacked_of_right"] == "n/a"  # no right answer to share
    assert n["edge_dependency_after_missing"] == "50.0%" and n["edge_top_error"] == "wrong dependency"
    assert n["hard_missing_quantity_of_wrong"] == "66.7%" and n["hard_top_error"] == "missing quantity"
    assert n["samples_n"] == 4 and n["samples_per_problem"] == 2


def test_example_outputs_fence_and_escape_model_text():
    md = outputs.example_outputs(FAKE)
    assert "````text\nx ``` y\n````" in md  # a fence longer than any backtick run inside
    assert "| a\\|b | missing quantity | never defined |" in md
    assert "model none (wrong)" in md and "Extra steps (quantities not in the gold graph): zz" in md
    assert "op 10 (edge), solved:** none of its 1 samples" in md and "How many?" in md


# ------------------------------------------------------------------------------- the committed laptop result


def test_committed_laptop_samples():
    path = RESULTS_DIR / "ladder-samples-laptop.json"
    assert path.stat().st_size < 1.5e6
    r = load("ladder-samples-laptop")
    cfg = r.manifest["config"]
    d = r.data["samples"]
    ops = {op for _, lo, hi in cfg["bands"] for op in range(lo, hi + 1)}
    assert {x["op"] for x in d} == ops and len(d) == len(ops) * cfg["problems_per_op"] * cfg["samples"]
    for x in d:
        assert sum(x[k] for k in STEP_KINDS) == x["n_gold"]
        assert x["process_acc"] == pytest.approx(x["correct"] / x["n_gold"])
        assert x["verified"] <= x["answer_right"] and x["after_missing"] <= x["wrong dependency"]
    shown = [x for x in d if "example" in x]
    assert all(x["example"] == example_role(x["verified"], x["answer_right"]) for x in shown)
    assert max(sum(x["op"] == op for x in shown) for op in ops) <= 3
    # the verified share estimates the ladder evaluation's pass@1 on the same problems (its 128 samples each)
    n = outputs.samples_numbers(r, ladder.load("laptop").result)
    for band in ("in_dist", "edge", "hard"):
        assert abs(float(n[f"{band}_verified"][:-1]) - float(n[f"{band}_ladder_pass1"][:-1])) < 10
    md = outputs.example_outputs(r)
    assert md.count("```text") >= 3 and "| gold quantity | kind | detail |" in md


# ----------------------------------------------------------------------------------------------- smoke run


@pytest.mark.slow
def test_smoke_samples_from_a_fresh_base(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from reasonlab import provenance
    from reasonlab.experiments.recipes import get_recipe

    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(provenance, "RESULTS_DIR", tmp_path / "results")
    r = outputs.samples_result("smoke", fresh=True)  # trains the smoke base, then samples it
    assert (tmp_path / "results" / "ladder-samples-smoke.json").exists()
    recipe = get_recipe("ladder", "smoke")
    assert r.manifest["scale"] == "smoke" and r.manifest["parents"]
    t = outputs.error_table(r)
    assert list(t.op) == recipe.evaluation.ops
    assert len(r.data["samples"]) == len(t) * SAMPLES_PROBLEMS_PER_OP * SAMPLES_PER_PROBLEM
    outputs.fig_error_kinds(r, recipe)
    assert isinstance(outputs.example_outputs(r), str)
    assert json.loads(json.dumps(outputs.samples_numbers(r)))  # glue takes plain values
    again = outputs.samples_result("smoke", fresh=True)  # the same checkpoint and seeds: the same samples
    assert again.data == r.data


def test_kinds_by_band_compares_models_band_by_band():
    from reasonlab.chapters import rl_capability as s3

    arm = [_rec(10, "edge", "p2", True, True, (4, 0, 0, 0))]
    samples = Result("S3-samples-fake", {"config": {"samples": 8, "problems_per_op": 6}},
                     {"arms": {"rl-edge-filter": arm}, "missing": ["rl-op10-13"]})
    t = outputs.kinds_table(FAKE, samples, "edge")
    assert list(t.index) == ["base", "rl-edge-filter"]
    assert t.loc["base", "wrong dependency"] == 0.5 and t.loc["rl-edge-filter", "correct"] == 1.0
    assert t.loc["rl-edge-filter", "verified"] == 1.0 and t.loc["base", "verified"] == 0.0
    assert s3.example_arm(samples) == "rl-edge-filter" and "rl-op10-13" in s3.samples_text(samples)
    assert outputs.samples_of(samples, "rl-edge-filter").data["samples"] == arm


def test_sample_models_keeps_committed_samples_whose_checkpoints_are_gone(tmp_path, monkeypatch):
    """RL checkpoints are not committed: a fresh sample keeps a gone model's committed samples when they were drawn
    with the same config (same problems and seeds), lists it as kept, and lists a model it never had as missing."""
    from reasonlab import provenance
    from reasonlab.chapters.outputs import coverage_note
    from reasonlab.experiments.samples import sample_models

    monkeypatch.setattr(provenance, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    config = {"samples": 8, "seed": 0}
    provenance.save_result("X-samples", {"models": {"gone": ["old"], "here": ["old"]}},
                           provenance.make_manifest("X-samples", config))
    here = tmp_path / "home" / "artifacts" / "rl-aaa" / "final"
    here.mkdir(parents=True)
    (here / "manifest.json").write_text("{}")
    checkpoints = {m: f"$REASONLAB_HOME/artifacts/rl-{k}/final" for m, k in
                   (("gone", "bbb"), ("here", "aaa"), ("never", "ccc"))}
    out = sample_models("X-samples", checkpoints, config, lambda final: [final.parent.name])
    assert out == {"models": {"gone": ["old"], "here": ["rl-aaa"]}, "missing": ["never"], "kept": ["gone"],
                   "reused": [], "parent_of": {"gone": "rl-bbb", "here": "rl-aaa"}, "verifier": RULES,
                   "parents": ["rl-bbb", "rl-aaa"]}
    other = sample_models("X-samples", checkpoints, config | {"samples": 4}, lambda final: [final.parent.name])
    assert other["missing"] == ["gone", "never"] and other["kept"] == []  # other seeds: not paired, not kept
    note = coverage_note(Result("X", {}, out))
    assert "Kept from the previous sample" in note and "gone" in note and "Not sampled" in note and "never" in note


def test_sample_models_reuses_committed_samples_of_the_same_checkpoint(tmp_path, monkeypatch):
    """A committed sample of this very checkpoint, drawn with the same config under the same verifier rules, is reused,
    not sampled again (sampling is deterministic given weights and seeds); under other rules, or of another checkpoint,
    it is sampled again."""
    from reasonlab import provenance
    from reasonlab.chapters.outputs import coverage_note
    from reasonlab.experiments.samples import sample_models
    from reasonlab.provenance import verifier_rules_at

    monkeypatch.setattr(provenance, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setenv("REASONLAB_HOME", str(tmp_path / "home"))
    config = {"samples": 8, "seed": 0}
    for key in ("aaa", "bbb"):
        final = tmp_path / "home" / "artifacts" / f"rl-{key}" / "final"
        final.mkdir(parents=True)
        (final / "manifest.json").write_text("{}")
    checkpoints = {"same": "$REASONLAB_HOME/artifacts/rl-aaa/final", "moved": "$REASONLAB_HOME/artifacts/rl-bbb/final"}

    def commit(rules):
        provenance.save_result("X-samples", {"models": {"same": ["old"], "moved": ["old"]}, "verifier": rules,
                                             "parent_of": {"same": "rl-aaa", "moved": "rl-zzz"}},
                               provenance.make_manifest("X-samples", config))

    sampled = []
    draw = lambda final: sampled.append(final.parent.name) or [final.parent.name]  # noqa: E731
    commit(RULES)
    out = sample_models("X-samples", checkpoints, config, draw)
    assert out["reused"] == ["same"] and out["models"] == {"same": ["old"], "moved": ["rl-bbb"]}
    assert sampled == ["rl-bbb"] and "Reused from the previous sample" in coverage_note(Result("X", {}, out))
    provenance.save_result("X-samples", {"models": {"same": ["old"], "moved": ["old"]}},  # no parent_of, no verifier:
                           {**provenance.make_manifest("X-samples", config, parents=("rl-aaa", "rl-zzz")),
                            "git_commit": provenance.git_commit().removesuffix("+dirty")})  # read off the manifest
    sampled.clear()
    if verifier_rules_at(provenance.git_commit().removesuffix("+dirty")) == RULES:
        out = sample_models("X-samples", checkpoints, config, draw)
        assert out["reused"] == ["same"] and sampled == ["rl-bbb"]
    commit("1999-01-01")  # scored under other rules: its verifier reports are not today's
    sampled.clear()
    out = sample_models("X-samples", checkpoints, config, draw)
    assert out["reused"] == [] and sampled == ["rl-aaa", "rl-bbb"]


def test_verifier_rules_at_reads_the_code_of_a_commit():
    from reasonlab.provenance import git_commit, verifier_rules_at

    head = git_commit().removesuffix("+dirty")
    if head in ("unknown", "uncommitted"):
        pytest.skip("no git history here")
    assert verifier_rules_at(head) == RULES or "+dirty" in git_commit()
    assert verifier_rules_at("not-a-commit") is None and verifier_rules_at("0" * 12) is None
