"""The exposure (S4, A.6, A.8) and replication (Fig 5) chapters: their verdict rules on synthetic results (a null
RL run must never be called a transfer), the reward-gain interval, the WL similarity and the replayed pre-training
stream."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from reasonlab.chapters import exposure as s4
from reasonlab.chapters.claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED
from reasonlab.evaluate import band_answers, guess_pass_at_k, summarise
from reasonlab.experiments.recipes import get_recipe
from reasonlab.results import Result, change, reward_contrast, reward_gain

A, B = s4.A, s4.B
N = 4  # samples per problem (the smoke scale's n)


def _records(b_high: int, a: int = N, problems: int = 12, b_high_outcome: int | None = None) -> list[dict]:
    """Per template and op (2-5 at smoke) `problems` problems; B's high half (op 4-5) verified b_high of N times
    (its answer right b_high_outcome times, default as often), A everything a of N times, B's low half always."""
    recs = []
    for t in (A, B):
        for op in range(2, 6):
            for i in range(problems):
                v = a if t == A else (b_high if op >= 4 else N)
                right = b_high_outcome if (t == B and op >= 4 and b_high_outcome is not None) else v
                recs.append({"template": t, "op": op, "text_hash": f"{t}-{op}-{i}", "n": N, "verified": v,
                             "outcome": right})
    return recs


def _exposure(arms: dict[float, tuple[int, int]], a_after: int = N, rewards: dict | None = None,
              a_base: int = N, outcomes: dict | None = None, logs_by_context: bool = False,
              strict: dict | None = None, weak_bases: tuple = (), held: dict | None = None) -> s4.Exposure:
    """A synthetic S4 result: per share, the base's and the RL arm's B high-half verified counts (of N), and
    optionally their right-answer counts (`outcomes`: {share: (before, after)}); `held` adds the mapping revision's
    base with A's tokens held and its RL arm ({share: (B before, B after, A count of the base)})."""
    recipe = get_recipe("S4", "smoke", shares=tuple(arms))
    records, logs = {}, {}
    for share, (before, after) in arms.items():
        base, rl = f"exposure-{s4.pct(share)[:-1]}pct-base", f"exposure-{s4.pct(share)[:-1]}pct-rl"
        out_before, out_after = (outcomes or {}).get(share, (None, None))
        records[base] = _records(before, 0 if share in weak_bases else a_base, b_high_outcome=out_before)
        records[rl] = _records(after, a_after, b_high_outcome=out_after)
        curve = (rewards or {}).get(share, [0.5] * 10)
        logs[rl] = {"rl": [{"step": i, "reward_mean": r} | ({"reward_by_template": {A: 1.0, B: 2 * r - 1.0}}
                                                             if logs_by_context else {})
                           for i, r in enumerate(curve)]}
    for share, (before, after, a_held) in (held or {}).items():  # the mapping revision: A's tokens held
        stem = f"exposure-{s4.pct(share)[:-1]}pct-heldA"
        records[f"{stem}-base"], records[f"{stem}-rl"] = _records(before, a_held), _records(after, a_after)
        logs[f"{stem}-rl"] = {"rl": [{"step": i, "reward_mean": 0.3 + 0.05 * i} for i in range(10)]}
    for share, (verified, outcome) in (strict or {}).items():  # the strict-reward arm beyond the paper
        records[f"exposure-{s4.pct(share)[:-1]}pct-rl-strict"] = _records(verified, b_high_outcome=outcome)
    spec = dataclasses.replace(recipe.evaluation.eval_spec(recipe.scale), n_boot=20)  # the table's intervals
    table = pd.concat([summarise(r, spec, m, by_template=True) for m, r in records.items()])
    result = Result("S4-test", {"config": {"arms": list(records)}},
                    {"records": records, "training_logs": logs, "table": table.to_dict(orient="records")})
    return s4.Exposure(result, recipe)


def _verdicts(ch) -> dict[str, str]:
    return {c.text: c.verdict for c in s4.claims(ch)}


def test_a_null_rl_run_reproduces_nothing():
    """RL that changes nothing: 'no transfer at low exposure' and 'A stays stable' hold trivially, so they must not
    be credited; the transfer claim fails."""
    v = _verdicts(_exposure({0.0: (0, 0), 0.01: (1, 1)}))
    assert set(v.values()) == {NOT_REPRODUCED}, v


def test_transfer_at_one_percent_only_reproduces_s4():
    v = _verdicts(_exposure({0.0: (0, 0), 0.001: (0, 0), 0.01: (0, 3), 0.1: (0, 4)},
                            rewards={0.0: [0.5] * 10, 0.001: [0.5, 0.52] * 5,
                                     0.01: [0.4, 0.41, 0.39, 0.4, 0.42, 0.7, 0.72, 0.69, 0.71, 0.7],
                                     0.1: [0.4, 0.42, 0.41, 0.4, 0.39, 0.8, 0.79, 0.81, 0.8, 0.82]}))
    assert v["At 0% or 0.1% B in pre-training, RL does not transfer to B"] == REPRODUCED
    assert v["At >= 1% B in pre-training, RL transfers to B up to the highest ops"] == REPRODUCED
    assert v["Context A stays stable under RL on A and B"] == REPRODUCED
    assert v["Training reward: no gain at minimal exposure, a clear gain at >= 1%"] == REPRODUCED


def test_transfer_everywhere_is_not_the_papers_low_exposure_claim():
    v = _verdicts(_exposure({0.0: (0, 3), 0.01: (0, 3), 0.1: (1, 1)}, a_after=N - 2))
    assert v["At 0% or 0.1% B in pre-training, RL does not transfer to B"] == NOT_REPRODUCED
    assert v["At >= 1% B in pre-training, RL transfers to B up to the highest ops"] == PARTLY
    assert v["Context A stays stable under RL on A and B"] == PARTLY  # A's pass@1 fell by half


def test_base_check_needs_context_a():
    assert bool(s4.base_check(_exposure({0.01: (0, 0)})).iloc[0]["qualifies"]) is True
    assert bool(s4.base_check(_exposure({0.01: (0, 0)}, a_base=0)).iloc[0]["qualifies"]) is False


def test_base_check_lists_each_base_once_with_how_it_saw_b():
    """S4's bases, then A.6.1's own base (B at every op); A.6.2's base is S4's 1% base and is not listed twice."""
    ch = _a6("A.6.1", {0.0: 0})
    ch.a6["A.6.2"] = _a6("A.6.2", {0.0: 0}).a6["A.6.2"]
    lo, hi = get_recipe("A.6.1", "smoke").scale.context_ops
    assert list(s4.base_check(ch)["base"]) == ["S4, 1% B at op 2", f"A.6.1, 0.1% B at op {lo}-{hi}"]
    assert list(s4.base_check(ch)["qualifies"]) == [True, True]
    for r in ch.a6["A.6.1"].records("base"):
        if r["template"] == A:
            r["verified"] = 0
    ch.a6["A.6.1"] = Result("A.6.1-test", ch.a6["A.6.1"].manifest,
                            {**ch.a6["A.6.1"].data, "table": _table_of(ch.a6["A.6.1"].data["records"])})
    assert list(s4.base_check(ch)["qualifies"]) == [True, False]
    assert s4.qualifying_shares(ch) == {0.01}  # S4's shares alone: A.6's bases gate A.6's verdicts


def test_reward_gain_interval():
    g = reward_gain([{"reward_mean": r} for r in [0.1, 0.12, 0.11, 0.1, 0.09, 0.5, 0.52, 0.48, 0.5, 0.51]])
    assert g.value == pytest.approx(0.398) and g.above_zero
    flat = reward_gain([{"reward_mean": 0.3}] * 10)
    assert (flat.value, flat.lo, flat.hi) == (0.0, 0.0, 0.0) and not flat.above_zero
    assert math.isnan(reward_gain([{"reward_mean": 0.3}] * 9).value)  # fewer than two windows


def test_per_context_reward_gain_and_outcome_against_verified():
    """B's own reward (logged per context) gives B's own gain; a run that raises B's right answers but not its
    verified solutions is read as such, and a null run as no change."""
    curve = [0.5, 0.52, 0.5, 0.51, 0.5, 0.7, 0.72, 0.7, 0.71, 0.7]  # A stays at 1.0, so B's reward is 2r - 1
    ch = _exposure({0.0: (0, 0), 0.1: (0, 0)}, rewards={0.1: curve}, outcomes={0.1: (1, 3)}, logs_by_context=True)
    gains = s4.reward_gains(ch, B)
    assert gains[0.1].value == pytest.approx(2 * s4.reward_gains(ch)[0.1].value) and gains[0.1].above_zero
    assert s4.reward_gains(ch, A)[0.1].value == 0.0
    table = s4.outcome_table(ch).set_index(["B share of pre-training", "B half"])
    high = table.loc[("10%", "high (op 4-5)")]
    assert high["RL change, outcome pass@1"].startswith("+0.500") and high["RL change, verified pass@1"].startswith(
        "+0.000")
    lines = s4.outcome_reading(ch).splitlines()
    assert "without raising how often B's solution verifies" in lines[1]
    assert "RL does not raise B's right answers" in lines[0]
    assert "B prompts alone" in s4.reading(ch)


def test_wl_similarity_ignores_names_and_sees_structure():
    from reasonlab.experiments.analyses import max_similarity, wl_features
    from reasonlab.generator import make_dataset
    from reasonlab.experiments.recipes import mixture
    from reasonlab.experiments.scales import LAPTOP

    ps = make_dataset(mixture([("A", 7, 7, 0.5), ("B", 7, 7, 0.5)], LAPTOP), "eval", 60)
    by_hash = {}
    for p in ps:
        by_hash.setdefault(p.graph_hash, []).append(p)
    twins = next(g for g in by_hash.values() if len({p.template for p in g}) == 2)
    fa, fb = (wl_features(p.graph) for p in twins[:2])
    assert fa == fb  # one shape told in two contexts: the same features
    other = next(g[0] for h, g in by_hash.items() if h != twins[0].graph_hash)
    sims = max_similarity([fa, wl_features(other.graph)], [fb])
    assert sims[0] == pytest.approx(1.0) and sims[1] < 1.0
    assert list(max_similarity([fa], [])) == [0.0]


def test_trained_problems_replays_the_stream():
    from reasonlab.experiments.runner import stage_dirs
    from reasonlab.tokenizer import load_tokenizer

    recipe = get_recipe("S4", "smoke", shares=(0.1,))
    config = stage_dirs(recipe, recipe.arms[0])["pretrain"][1]
    from reasonlab.train.lm import trained_problems

    probs = trained_problems(config)
    tok = load_tokenizer(config.tokenizer)
    sizes = [2 + len(tok(p.prompt + p.completion, add_special_tokens=False)["input_ids"]) for p in probs]
    need = config.total_steps * config.batch_size * config.seq_len
    assert sum(sizes) >= need > sum(sizes[:-32])  # enough documents, and at most one chunk more
    assert {p.template for p in probs} == {A, B} and {p.op for p in probs if p.template == B} == {2}


def _table_of(records: dict[str, list[dict]]) -> list[dict]:
    """The tidy table the evaluation writes for these records (smoke bands, small bootstrap)."""
    recipe = get_recipe("S4", "smoke")
    spec = dataclasses.replace(recipe.evaluation.eval_spec(recipe.scale), n_boot=20)
    return pd.concat([summarise(r, spec, m, by_template=True) for m, r in records.items()]).to_dict(orient="records")


def _a6(rid: str, after: dict[float, int], base: int = 0) -> s4.Exposure:
    """A synthetic A.6 result: the base and one arm per B share of the RL data, B high-half verified counts."""
    records = {"base": _records(base)} | {f"rl-B-{s4.pct(s)[:-1]}pct": _records(v) for s, v in after.items()}
    result = Result(f"{rid}-test", {"config": {"recipe": rid, "scale": "smoke", "arms": list(records)}},
                    {"records": records, "table": _table_of(records)})
    ch = _exposure({0.01: (0, 3)})  # an S4 arm that transfers (the A.6 claims do not read it)
    ch.a6 = {rid: result}
    return ch


def test_a6_rules():
    claim = lambda ch: s4.a6_verdicts(ch)[0].verdict  # noqa: E731
    assert claim(_a6("A.6.2", {0.0: 0, 0.01: 0, 0.1: 3, 0.5: 4, 1.0: 4})) == REPRODUCED
    assert claim(_a6("A.6.2", {0.0: 3, 0.01: 0, 0.1: 3})) == PARTLY  # 0% B in RL transferred too
    assert claim(_a6("A.6.2", {0.0: 0, 0.1: 0, 1.0: 0})) == NOT_TESTABLE  # the base and every arm at 0 on B high
    assert claim(_a6("A.6.2", {0.0: 0, 0.1: 0, 1.0: 0}, base=1)) == NOT_REPRODUCED  # nothing moved from a B foothold
    ch = _a6("A.6.1", {0.0: 1, 1.0: 1})
    assert claim(ch) == PARTLY  # transfer without B in RL, but more B adds nothing
    for r in ch.a6["A.6.1"].records("rl-B-0pct")[::2]:
        r["verified"] = 0  # the 0% arm solves half as many problems: now 100% B in RL does better
    assert claim(ch) == REPRODUCED
    assert claim(_a6("A.6.1", {0.0: 0, 1.0: 4})) == NOT_REPRODUCED  # no transfer without B in RL


def test_a6_reward_curves_and_gains():
    """Fig 14: a gain per B share of the RL data, of the batch and of B's prompts alone (a 0% arm has none)."""
    import matplotlib.pyplot as plt

    ch = _a6("A.6.2", {0.0: 0, 1.0: 0})
    flat, rising = [0.8] * 10, [0.3, 0.32, 0.31, 0.3, 0.29, 0.6, 0.62, 0.61, 0.6, 0.59]
    ch.a6["A.6.2"].data["training_logs"] = {
        "rl-B-0pct": {"rl": [{"step": i, "reward_mean": r} for i, r in enumerate(flat)]},
        "rl-B-100pct": {"rl": [{"step": i, "reward_mean": r, "reward_by_template": {B: r}}
                               for i, r in enumerate(rising)]}}
    text = s4.a6_reward_reading(ch, "A.6.2")
    assert "all prompts: 0% +0.000 [+0.000, +0.000]; 100% +0.300 [" in text
    assert "B prompts alone: 100% +0.300 [" in text and "B prompts alone: 0%" not in text
    fig = s4.fig_a6_rewards(ch)
    assert [len(line.get_xdata()) for line in fig.axes[0].get_lines()] == [10, 10]
    plt.close(fig)
    ch.a6 = {}
    assert s4.fig_a6_rewards(ch) is None


def test_outputs_shown_for_s4_and_each_a6_recipe():
    ch = _a6("A.6.1", {0.0: 0, 0.02: 0, 1.0: 0})
    sampled = ["exposure-1pct-base", "exposure-1pct-rl", "A.6.1:base", "A.6.1:rl-B-0pct", "A.6.1:rl-B-2pct"]
    samples = Result("S4-samples-test", {}, {"models": dict.fromkeys(sampled, [])})
    assert s4.example_models(ch, samples) == ["exposure-1pct-rl", "A.6.1:rl-B-2pct"]  # 100% was not sampled


def test_the_sample_takes_a6_models_once():
    """A.6's own models are sampled beside S4's; one trained once for both (A.6.2's base is S4's 1% base) once."""
    ch = _a6("A.6.2", {0.0: 0})
    ch.runs.data["arm_work"] = {"exposure-1pct-base": {"parent": "$REASONLAB_HOME/artifacts/pretrain-1/final"}}
    ch.a6["A.6.2"].data["arm_work"] = {"base": {"parent": "$REASONLAB_HOME/artifacts/pretrain-1/final"},
                                       "rl-B-0pct": {"parent": "$REASONLAB_HOME/artifacts/rl-2/final"}}
    assert s4.sample_checkpoints(ch) == {"exposure-1pct-base": "$REASONLAB_HOME/artifacts/pretrain-1/final",
                    "A.6.2:rl-B-0pct": "$REASONLAB_HOME/artifacts/rl-2/final"}


def test_a_share_of_b_in_rl_outside_the_grid_runs_from_the_one_percent_base():
    """The live panel's run: A.6.2 at a B share of the RL data the grid does not have, paired with its base."""
    ch = s4.Exposure(Result("S4-smoke", {}, {}), get_recipe("S4", "smoke"))
    result = s4.new_point(ch, 0.25, progress=False)
    new = "rl-B-25pct" + s4.NEW_POINT
    assert result.models == ["base", new]
    dt = s4.changes_of(result, {0.25: ("base", new)}, ch.bands, 4, "rl_share")
    assert change(dt, rl_share=0.25, template=B, band="high", k=4).lo >= -1
    assert get_recipe("A.6.2", "smoke", rl_b_shares=(0.25,)).arm("base").pretrain == \
        get_recipe("S4", "smoke").arm("exposure-1pct-base").pretrain  # the 1% base


def test_a_second_rl_seed_is_paired_with_the_same_base():
    ch = _exposure({0.0: (0, 0), 0.1: (0, 2)})
    assert s4.seeds_table(ch).empty and "exposure-10pct-rl with a second RL seed" in s4.missing_runs(ch)
    rl = "exposure-10pct-rl"
    rerun = Result("S4-test-rlseed1", {"config": {"arms": [rl]}},
                   {"records": {rl: _records(4)}, "training_logs": {}, "table": []})
    ch = dataclasses.replace(ch, reruns={1: rerun})
    table = s4.seeds_table(ch).set_index("RL seed")
    assert list(table.index) == [0, 1] and set(table["B share of pre-training"]) == {"10%"}
    col = "B high outcome pass@1"  # verified 2 of 4 times (seed 0) and 4 of 4 (seed 1), against a base at 0
    assert table.loc[0, col].startswith("+0.500") and table.loc[1, col].startswith("+1.000")
    assert "exposure-10pct-rl with a second RL seed" not in s4.missing_runs(ch)


def test_the_strict_reward_arm_sits_beside_the_paper_arms_without_a_verdict():
    plain = _exposure({0.0: (0, 0), 0.1: (0, 0)}, outcomes={0.1: (1, 3)})
    assert plain.strict == {}
    assert s4.reward_table(plain).empty and "exposure-10pct-rl-strict" in s4.missing_runs(plain)
    ch = _exposure({0.0: (0, 0), 0.1: (0, 0)}, outcomes={0.1: (1, 3)}, strict={0.1: (2, 2)})
    assert ch.shares[0.1] == ("exposure-10pct-base", "exposure-10pct-rl")  # the strict arm is not the paper's arm
    assert ch.strict == {0.1: ("exposure-10pct-base", "exposure-10pct-rl-strict")}
    t = s4.reward_table(ch).set_index("RL reward")
    assert t.loc["outcome", "B high pass@1"].startswith("+0.000") and t.loc["strict", "B high pass@1"].startswith(
        "+0.500")
    assert t.loc["outcome", "B high outcome pass@1"].startswith("+0.500")
    assert _verdicts(ch) == _verdicts(_exposure({0.0: (0, 0), 0.1: (0, 0)}, outcomes={0.1: (1, 3)}))  # no verdict


def test_an_arm_whose_base_fails_the_check_carries_no_verdict():
    """The 10% arm transfers, but its base does not know A: without it there is no contrast, and the claims say
    what was left out."""
    v = {c.text: c for c in s4.claims(_exposure({0.0: (0, 0), 0.01: (0, 0), 0.1: (0, 4)}, weak_bases=(0.1,)))}
    transfer = v["At >= 1% B in pre-training, RL transfers to B up to the highest ops"]
    # what is left (0% and 1%) sits at 0 on B's high half, base and arm: nothing there can be tested
    assert transfer.verdict == NOT_TESTABLE and "left out: 10%, whose base fails the base check" in transfer.ours
    assert v["At 0% or 0.1% B in pre-training, RL does not transfer to B"].verdict == NOT_TESTABLE
    assert s4.qualifying_shares(_exposure({0.0: (0, 0), 0.1: (0, 4)}, weak_bases=(0.1,))) == {0.0}
    with_it = _verdicts(_exposure({0.0: (0, 0), 0.01: (0, 0), 0.1: (0, 4)}))
    assert with_it["At >= 1% B in pre-training, RL transfers to B up to the highest ops"] == PARTLY


def test_a6_outcome_against_verified_and_a_weak_base():
    ch = _a6("A.6.2", {0.0: 0, 0.1: 0, 1.0: 0})
    result = ch.a6["A.6.2"]
    for arm, right in (("rl-B-0pct", 1), ("rl-B-10pct", 2), ("rl-B-100pct", 3)):  # answers right, steps never
        for r in result.records(arm):
            if r["template"] == B and r["op"] >= 4:
                r["outcome"] = right
    text = s4.a6_outcome_reading(ch, "A.6.2")
    assert "rising with the B share of the RL data" in text and "+0.000 in every arm" in text
    table = s4.a6_outcome_table(ch, "A.6.2")
    assert list(table.columns[:2]) == ["B share of RL data", "B half"] and len(table) == 6
    weak = _a6("A.6.2", {0.0: 0, 0.01: 0, 0.1: 3, 0.5: 4, 1.0: 4})
    for r in weak.a6["A.6.2"].records("base"):
        if r["template"] == A:
            r["verified"] = 0
    weak.a6["A.6.2"] = Result("A.6.2-test", weak.a6["A.6.2"].manifest, {
        **weak.a6["A.6.2"].data, "table": _table_of(weak.a6["A.6.2"].data["records"])})
    claim = s4.a6_verdicts(weak)[0]
    assert claim.verdict == NOT_TESTABLE and "its base fails the base check" in claim.ours  # no arm decides


def test_a_held_a_base_stands_for_its_share_only_where_the_paper_mappings_base_fails():
    """The mapping revision (rule fixed before it ran): the held-A base replaces the paper mapping's 10% base in the
    verdicts when that base fails the base check and the held-A base passes; else the paper mapping's stands."""
    ch = _exposure({0.0: (0, 0), 0.1: (0, 0)}, weak_bases=(0.1,), held={0.1: (0, 4, N)})
    assert ch.pairs[0.1] == ("exposure-10pct-heldA-base", "exposure-10pct-heldA-rl")
    assert ch.shares[0.1] == ("exposure-10pct-base", "exposure-10pct-rl")  # the paper's arms stay shown
    assert s4.qualifying_shares(ch) == {0.0, 0.1}
    v = {c.text: c for c in s4.claims(ch)}
    transfer = v["At >= 1% B in pre-training, RL transfers to B up to the highest ops"]
    assert transfer.verdict == REPRODUCED and "A's tokens held" in transfer.ours  # the held-A arm's change
    assert "passes the base check where the paper mapping's base fails it" in s4.held_a_reading(ch)
    table = s4.held_a_table(ch)
    assert list(table["qualifies"]) == [False, True] and list(table["base"]) == ["as the paper", "A's tokens held"]
    assert "A's tokens held" in s4.base_check(ch)["base"].iloc[-1]
    assert set(ch.shown) == {"0%", "10%", "10% A held"}
    assert "exposure-10pct-heldA-rl with a second RL seed" in s4.missing_runs(ch)  # the arm that stands for 10%
    rl = "exposure-10pct-heldA-rl"
    rerun = Result("S4-test-rlseed1", {"config": {"arms": [rl]}},
                   {"records": {rl: _records(4)}, "training_logs": {}, "table": []})
    seeds = s4.seeds_table(dataclasses.replace(ch, reruns={1: rerun}))
    assert list(seeds["RL seed"]) == [0, 1] and set(seeds["B share of pre-training"]) == {"10% A held"}


def test_a_held_a_base_that_fails_too_leaves_its_share_without_a_verdict():
    ch = _exposure({0.0: (0, 0), 0.1: (0, 0)}, weak_bases=(0.1,), held={0.1: (0, 4, 0)})
    assert ch.pairs[0.1] == ("exposure-10pct-base", "exposure-10pct-rl") and s4.qualifying_shares(ch) == {0.0}
    assert all(c.verdict == NOT_REPRODUCED for c in s4.claims(ch) if c.text.startswith("At >= 1%"))
    assert "fails the base check too" in s4.held_a_reading(ch)


def test_a_paper_mapping_base_that_passes_keeps_its_share():
    ch = _exposure({0.0: (0, 0), 0.1: (0, 0)}, held={0.1: (0, 4, N)})
    assert ch.pairs[0.1] == ("exposure-10pct-base", "exposure-10pct-rl")
    assert "both bases pass" in s4.held_a_reading(ch)


# ------------------------------------------------------------------------- issue 14: verdicts readers can trust
def test_a_model_that_cannot_read_b_leaves_the_b_claims_not_testable():
    """Every base and arm at 0 on B's high half: 'no transfer', '>= 1% transfers' and 'A stable' (gated on a
    transfer) cannot be told apart from a model that reads no B at all: not testable, with their numbers."""
    v = {c.text: c for c in s4.claims(_exposure({0.0: (0, 0), 0.01: (0, 0), 0.1: (0, 0)}))}
    for text in ("At 0% or 0.1% B in pre-training, RL does not transfer to B",
                 "At >= 1% B in pre-training, RL transfers to B up to the highest ops",
                 "Context A stays stable under RL on A and B"):
        assert v[text].verdict == NOT_TESTABLE and v[text].ours and "not testable" in v[text].rule, text
    assert "B high-half pass@" in v["At >= 1% B in pre-training, RL transfers to B up to the highest ops"].ours


def test_the_reward_claim_is_the_contrast_between_exposures():
    """A.8: a gain at 0% as large as at 1% is not the paper's picture, however clearly each gain is above zero."""
    rising = [0.4, 0.41, 0.39, 0.4, 0.42, 0.7, 0.72, 0.69, 0.71, 0.7]
    flat = [0.5, 0.51, 0.49, 0.5, 0.5, 0.5, 0.49, 0.51, 0.5, 0.5]
    text = "Training reward: no gain at minimal exposure, a clear gain at >= 1%"
    same = _verdicts(_exposure({0.0: (0, 0), 0.01: (0, 3)}, rewards={0.0: rising, 0.01: rising}))
    assert same[text] == NOT_REPRODUCED
    assert _verdicts(_exposure({0.0: (0, 0), 0.01: (0, 3)}, rewards={0.0: flat, 0.01: rising}))[text] == REPRODUCED
    c = reward_contrast([{"reward_mean": r} for r in rising], [{"reward_mean": r} for r in flat])
    assert c.value == pytest.approx(0.300) and c.above_zero
    assert math.isnan(reward_contrast([{"reward_mean": 0.3}] * 9, [{"reward_mean": 0.3}] * 10).value)


def test_the_transfer_claim_shows_every_rl_seed_and_needs_each():
    ch = _exposure({0.0: (0, 0), 0.1: (0, 4)})
    rl = "exposure-10pct-rl"
    rerun = Result("S4-test-rlseed1", {"config": {"arms": [rl]}},
                   {"records": {rl: _records(0)}, "training_logs": {}, "table": _table_of({rl: _records(0)})})
    claim = {c.text: c for c in s4.claims(dataclasses.replace(ch, reruns={1: rerun}))}[
        "At >= 1% B in pre-training, RL transfers to B up to the highest ops"]
    assert "(RL seed 0)" in claim.headline and "(RL seed 1)" in claim.headline and claim.k == 4
    assert claim.verdict == NOT_REPRODUCED  # seed 1 did not transfer: the weakest over seeds


def test_outcome_pass_at_1_has_the_blind_guesser_beside_it():
    """Outcome pass@1 never appears without the blind guesser (issue 25): its column is the guesser's pass@1 on B's
    own problems of the evaluation, per half, the same for every share (one evaluation)."""

    ch = s4.load("laptop")
    table = s4.outcome_table(ch)
    assert "blind guess, outcome pass@1" in table
    recipe = ch.recipe
    sets = {k: v for k, v in recipe.evaluation.problem_sets(recipe.scale).items() if k[0] == s4.B}
    for band in ch.bands:
        want = guess_pass_at_k(band_answers(sets, band.lo, band.hi), (1,)).mean()
        got = table[table["B half"].str.startswith(band.label)]["blind guess, outcome pass@1"]
        assert set(got) == {f"{want:.3f}"}
