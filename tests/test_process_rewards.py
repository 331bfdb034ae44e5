"""The S6 chapter's rules (fixed in the lab notes before the mix arms ran) applied to altered copies of the committed
laptop result: a null model gets no credit, a real gain does, and a band where everything sits at 0 is not
testable."""

import copy

import pandas as pd
import pytest

from reasonlab.chapters import claims as cl
from reasonlab.chapters import process_rewards as s6
from reasonlab.experiments.recipes import UNCONTROLLED_KNOBS
from reasonlab.results import Result


@pytest.fixture(scope="module")
def committed():
    return s6.load("laptop")


def _with_arms(ch: s6.S6, arms: dict[str, str], verified=None) -> s6.S6:
    """A copy of the chapter whose arms are {new arm: committed model whose evaluation it copies}; `verified`
    (arm -> function of a record) rewrites an arm's verified counts, e.g. to make it solve more."""
    data = copy.deepcopy(ch.runs.data)
    data["records"] = {"base": data["records"]["base"]}
    rows = [r for r in data["table"] if r["model"] == "base"]
    for arm, source in arms.items():
        recs = copy.deepcopy(ch.runs.data["records"][source])
        if verified and arm in verified:
            for r in recs:
                r["verified"] = verified[arm](r)
                r["outcome"] = max(r["outcome"], r["verified"])
        data["records"][arm] = recs
        rows += [r | {"model": arm} for r in ch.runs.data["table"] if r["model"] == source]
    data["table"] = rows
    manifest = copy.deepcopy(ch.runs.manifest)
    manifest["config"]["arms"] = ["base", *arms]
    return s6.S6(Result(ch.runs.name, manifest, data), ch.recipe, {})


def test_committed_claims_follow_the_rules(committed):
    claims = {c.text: c for c in s6.claims(committed)}
    assert all(c.verdict in cl.VERDICTS and c.rule and c.chapter == "process_rewards" for c in claims.values())
    hard = next(c for t, c in claims.items() if "hard-band" in t)
    assert hard.verdict == cl.NOT_TESTABLE  # the base and every arm verify no hard problem at this scale


def test_a_null_model_gets_no_credit(committed):
    """Every process-aware arm evaluated exactly as the outcome arm: no claim is reproduced."""
    names = ["reward-outcome", "reward-mix-0.8", "reward-mix-0.2", "reward-process", "reward-strict"]
    ch = _with_arms(committed, {a: "reward-outcome" for a in names})
    got = s6.verdicts(ch)
    assert set(got) == {"aware_edge", "aware_hard", "mix_best", "strict_gain"}
    assert got["aware_edge"].verdict == cl.NOT_REPRODUCED
    assert got["strict_gain"].verdict == cl.NOT_REPRODUCED
    assert got["aware_hard"].verdict == cl.NOT_TESTABLE
    # identical arms tie, so mix-0.2 is "within the interval of the best"; the gate (it must beat outcome) refuses it
    assert got["mix_best"].verdict == cl.NOT_REPRODUCED


def test_a_real_gain_is_credited(committed):
    """Strict verifies every sample the outcome arm answered right: it beats mix-0.2 (= outcome) on pass@1."""
    names = ["reward-outcome", "reward-mix-0.5", "reward-mix-0.2", "reward-strict"]
    ch = _with_arms(committed, {a: "reward-outcome" for a in names},
                    verified={"reward-strict": lambda r: r["outcome"]})
    got = s6.verdicts(ch)
    assert got["strict_gain"].verdict == cl.REPRODUCED
    assert got["aware_edge"].verdict == cl.PARTLY  # 1 of 3 process-aware arms above zero, none below
    assert got["mix_best"].verdict == cl.NOT_REPRODUCED  # mix-0.2 = outcome: it does not beat it


def test_balances_best_when_mix_beats_outcome_and_leads_the_linear_arms(committed):
    better = {"reward-mix-0.2": lambda r: r["outcome"]}
    ch = _with_arms(committed, {"reward-outcome": "reward-outcome", "reward-mix-0.5": "reward-outcome",
                                "reward-mix-0.2": "reward-outcome"}, verified=better)
    assert s6.verdicts(ch)["mix_best"].verdict == cl.REPRODUCED


def test_mix_best_needs_three_linear_arms_and_waits_for_missing_arms(committed):
    ch = _with_arms(committed, {"reward-outcome": "reward-outcome", "reward-mix-0.2": "reward-strict"})
    got = s6.verdicts(ch)
    assert "mix_best" not in got and "strict_gain" not in got  # left out until the arms are committed
    assert "reward-strict" in s6.waiting(ch)


def test_tables_have_no_missing_cells(committed):
    for t in (s6.controls_table(committed), s6.changes_table(committed), s6.contrast_table(committed)):
        assert not pd.isna(t.to_numpy()).any()
    assert len(s6.setup_table(committed)) == len(committed.arms)


def test_step_log_has_the_controls(committed):
    """Results collected before the runner kept the per-step controls read them from the committed stage log."""
    rows = committed.step_log("reward-strict")
    assert len(rows) == 60 and all(r["verified_mean"] is not None and r["hacked_share"] is not None for r in rows)


def test_the_recipe_criterion_is_computed_and_needs_every_part(committed):
    t = s6.calibration_table(committed)
    assert len(t) >= 2 and not t.met.any()  # the strict arm at the scale's settings narrows in-dist (lab notes)
    # on RL-recipe's evaluation no setting meets it; the committed re-check on 4x the edge problems does (lab notes)
    without_recheck = s6.S6(committed.runs, committed.recipe, committed.reruns, committed.calibration)
    assert "No setting meets" in s6.recipe_verdict(without_recheck)
    assert s6.recipe_verdict(committed).startswith("**The criterion is met on the re-check:** strict-lr-2e-05")
    # an arm that keeps in-dist exactly (the base's records) and verifies every edge sample meets all three parts
    data = copy.deepcopy(committed.runs.data)
    lo, hi = committed.band("edge")
    base = {r["text_hash"]: r for r in data["records"]["base"]}
    data["records"]["reward-strict"] = [
        (r | {"verified": r["n"], "outcome": r["n"]}) if lo <= r["op"] <= hi else base[r["text_hash"]]
        for r in data["records"]["reward-strict"]]
    ch = s6.S6(Result(committed.runs.name, committed.runs.manifest, data), committed.recipe, {})
    row = s6.calibration_table(ch).iloc[0]
    assert row["(3) in-dist pass@64 vs start"].startswith("+0.000") and row.met
    assert "No setting meets" in s6.recipe_verdict(ch)  # one seed is not two


def test_committed_calibration_runs_are_read(committed):
    # RL-recipe-laptop.json is committed: each of its knobs' strict arms is a row of the criterion, except the
    # knobs that change only the arithmetic (bf16), which precision_table compares with the fp32 arm instead
    assert committed.calibration, "the committed RL-recipe result was not read"
    knobs = {a.removeprefix("strict-") for a in committed.calibration[0].models if a.startswith("strict-")}
    learning_knobs = knobs - set(UNCONTROLLED_KNOBS)
    assert learning_knobs and learning_knobs <= set(s6.calibration_table(committed).setting)
    assert not (knobs & set(UNCONTROLLED_KNOBS)) & set(s6.calibration_table(committed).setting)
    if "bf16" in knobs:
        assert len(s6.precision_table(committed)) > 0


def test_signal_table_reads_every_calibration_run_from_its_step_log(committed):
    t = s6.signal_table(committed)
    cal_arms = [a for run in committed.calibration.values() for a in run.models if a != "base" and "-" in a]
    assert list(t.arm) == ["reward-strict", "reward-random"] + cal_arms  # each RL seed's arms, seed 0 first
    assert not t.isna().to_numpy().any()
    shares = t[["groups with reward variance", "groups with a verified success"]].to_numpy()
    assert ((0 <= shares) & (shares <= 1)).all()
    strict = t.set_index("arm").loc["reward-strict"]
    # the strict reward pays only verified samples: a group varies iff it holds a verified success and a failure
    assert strict["groups with reward variance"] <= strict["groups with a verified success"]
    assert strict["GRPO steps"] == 60 and t.set_index("arm").loc["strict-steps-150", "GRPO steps"] == 150


def test_a_from_mid_arm_is_judged_against_the_mid_model_not_the_base(committed):
    # A calibration result whose mid model verifies every edge sample and whose strict-from-mid arm evaluates like
    # the base: against the base it would change nothing; against its start it falls, so part (1) is not met.
    cal = committed.calibration[0]
    data = copy.deepcopy(cal.data)
    lo, hi = committed.band("edge")
    base = committed.runs.records("base")
    data["records"]["mid"] = [(r | {"verified": r["n"], "outcome": r["n"]}) if lo <= r["op"] <= hi else r for r in base]
    data["records"]["strict-from-mid"] = copy.deepcopy(base)
    data["records"]["random-from-mid"] = copy.deepcopy(base)
    manifest = copy.deepcopy(cal.manifest)
    manifest["config"]["arms"] = list(dict.fromkeys([*cal.models, "mid", "strict-from-mid", "random-from-mid"]))
    ch = s6.S6(committed.runs, committed.recipe, {}, {0: Result(cal.name, manifest, data)})
    row = s6.calibration_table(ch).set_index("setting").loc["from-mid"]
    assert row["(1) edge pass@64 vs start"].startswith("-") and not row.met
    assert row["(2) vs its random control"].startswith("+0.000")
    assert row["(3) in-dist pass@64 vs start"].startswith("+0.000")


def _recheck(committed, arms: dict[str, str], name="RL-recheck-laptop") -> Result:
    """A stand-in RL-recheck result: the committed base's edge records, each arm either "same" (the base's) or
    "solved" (every edge sample verified)."""
    lo, hi = committed.band("edge")
    edge = [r for r in committed.runs.records("base") if lo <= r["op"] <= hi]
    solved = [r | {"verified": r["n"], "outcome": r["n"]} for r in edge]
    records = {"base": copy.deepcopy(edge)} | {a: copy.deepcopy(solved if how == "solved" else edge)
                                               for a, how in arms.items()}
    return Result(name, {"recipe": "RL-recheck", "config": {"arms": list(records)}}, {"records": records, "table": []})


def test_the_edge_recheck_follows_its_rule(committed):
    """Step 1 (seed 0 minus the base on the wider edge) decides whether step 2 runs; the criterion needs all of step
    2: seed 1 above the base, seed 0 above its random control, seed 1's in-dist kept."""
    # committed: the rule's four rows, then the strict arm at the scale's settings in two RL seeds, beside the rule
    assert list(s6.recheck_table(committed).passes) == ["yes"] * 4 + ["beside the rule"] * 2
    no_gain = s6.S6(committed.runs, committed.recipe, {}, committed.calibration,
                    {0: _recheck(committed, {"strict-lr-2e-05": "same"})})
    assert s6.recheck_verdict(no_gain).startswith("**Step 1 fails:**")
    assert s6.recheck_table(no_gain).measure[0] == "verified edge pass@64, 136 problems"  # the stand-in's edge

    gain = {0: _recheck(committed, {"strict-lr-2e-05": "solved"})}
    ch = s6.S6(committed.runs, committed.recipe, {}, {0: committed.calibration[0]}, gain)
    t = s6.recheck_table(ch)
    assert list(t.step) == ["1", "2", "2", "2"] and t.passes[0] == "yes" and (t.passes[1:] == "waits").all()
    assert "step 2 waits for" in s6.recheck_verdict(ch)

    # step 2 complete: seed 1 solves the edge, the random control is the base, seed 1 keeps in-dist (base records)
    gain[0] = _recheck(committed, {"strict-lr-2e-05": "solved", "random-lr-2e-05": "same"})
    gain[1] = _recheck(committed, {"strict-lr-2e-05": "solved"}, "RL-recheck-laptop-rlseed1")
    cal1 = Result("RL-recipe-laptop-rlseed1", {"recipe": "RL-recipe", "config": {"arms": ["strict-lr-2e-05"]}},
                  {"records": {"strict-lr-2e-05": copy.deepcopy(committed.runs.records("base"))}, "table": []})
    ch = s6.S6(committed.runs, committed.recipe, {}, {0: committed.calibration[0], 1: cal1}, gain)
    assert (s6.recheck_table(ch).passes[:4] == "yes").all()
    assert s6.recheck_verdict(ch).startswith("**The criterion is met on the re-check:** strict-lr-2e-05")
    assert s6.recipe_verdict(ch) == s6.recheck_verdict(ch)  # the calibration's verdict follows the re-check
    controls = s6.recheck_controls_table(ch)
    assert {"blind guess", "strict-lr-2e-05 (RL seed 1)"} <= set(controls.index.get_level_values("model"))

    # a random control as good as the strict arm fails step 2
    gain[0] = _recheck(committed, {"strict-lr-2e-05": "solved", "random-lr-2e-05": "solved"})
    ch = s6.S6(committed.runs, committed.recipe, {}, {0: committed.calibration[0], 1: cal1}, gain)
    assert "**but step 2 fails:** strict-lr-2e-05, RL seed 0, minus random-lr-2e-05" in s6.recheck_verdict(ch)
