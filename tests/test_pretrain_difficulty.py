"""The A.7 chapter's rules (fixed in the lab notes, session 14, 20:53, before any of its RL arms ran) on stand-in arms:
A.7 evaluates on S6's evaluation (the same problems and sampling seeds), so the committed S6 models' records stand in
for A.7's bases and RL arms. A null model gets no credit, a real gain does, a band where everything sits at 0 is not
testable, the claims wait for their arms, and the RL gate refuses the committed 50% base."""

import copy
import dataclasses

import matplotlib
import numpy as np
import pandas as pd
import pytest

from reasonlab.chapters import claims as cl
from reasonlab.chapters import pretrain_difficulty as a7
from reasonlab.chapters import process_rewards as s6
from reasonlab.evaluate import pass_at_k
from reasonlab.experiments.recipes import A7_HARD_SHARES, get_recipe, in_dist_thirds
from reasonlab import provenance
from reasonlab.experiments.runner import finished_stage, run_recipe
from reasonlab.generator import Mixture
from reasonlab.plots import check_legible
from reasonlab.results import Result, with_rerun

matplotlib.use("Agg")

SHARES = {"0.1pct": 0.001, "1pct": 0.01, "5pct": 0.05, "20pct": 0.2, "50pct": 0.5}
BASES = [f"base-hard-{p}" for p in SHARES]
ARMS = [f"hard-{p}" for p in SHARES]
EDGE, HARD = (10, 13), (14, 16)  # the laptop evaluation's bands (checked below)


@pytest.fixture(scope="module")
def stand_in():
    return s6.load("laptop").runs


def _band_rows(model: str, records: list[dict], like: list[dict]) -> list[dict]:
    """The band-level pass@k rows of `like` (one model's table rows), recomputed from `records` where the stand-in
    rewrote them (the value from the records, the interval collapsed onto it: only the gate and the figures read it)."""
    out = []
    for row in like:
        row = row | {"model": model}
        if row["group"] == "band" and row["metric"] == "pass@k":
            lo, hi = {"in_dist": (2, 9), "edge": EDGE, "hard": HARD}[row["key"]]
            v = float(np.mean([pass_at_k(r["n"], r["verified"], int(row["k"])) for r in records
                               if lo <= r["op"] <= hi]))
            row |= {"value": v, "lo": v, "hi": v}
        out.append(row)
    return out


def _chapter(runs: Result, arms: dict[str, str], verified=None, logs=None) -> a7.PretrainDifficulty:
    """An A.7 chapter whose arms are {A.7 arm: S6 model whose evaluation it copies}; `verified` ({arm: function of a
    record}) rewrites an arm's verified counts, `logs` ({arm: [reward per GRPO step]}) its GRPO log."""
    data = {"records": {}, "table": [], "training_logs": {}}
    for arm, source in arms.items():
        recs = copy.deepcopy(runs.data["records"][source])
        for r in recs if verified and arm in verified else ():
            r["verified"] = verified[arm](r)
            r["outcome"] = max(r["outcome"], r["verified"])
        data["records"][arm] = recs
        data["table"] += _band_rows(arm, recs, [r for r in runs.data["table"] if r["model"] == source])
        rewards = (logs or {}).get(arm)
        data["training_logs"][arm] = {"rl": [{"step": i + 1, "reward_mean": v} for i, v in enumerate(rewards)]} \
            if rewards is not None else copy.deepcopy(runs.data["training_logs"].get(source, {}))
    manifest = copy.deepcopy(runs.manifest) | {"recipe": "A.7", "config": {"arms": list(arms)}}
    return a7.PretrainDifficulty(Result("A.7-laptop", manifest, data), get_recipe("A.7", "laptop"))


def _on(band, then):
    """A rewrite of the verified counts on one band's problems only."""
    return lambda r: then(r) if band[0] <= r["op"] <= band[1] else r["verified"]


FLAT = [0.2] * 20  # a GRPO reward that does not move
RISING = [0.2] * 10 + [0.6] * 10


def _everything(**arms) -> dict[str, str]:
    """Every base and RL arm, each a copy of the S6 base unless named."""
    return {a: "base" for a in BASES + ARMS} | arms


def test_the_recipe_is_the_chapters():
    recipe = get_recipe("A.7", "laptop")
    assert recipe.evaluation == get_recipe("S6", "laptop").evaluation  # why S6's records stand in
    assert [b.label for b in recipe.evaluation.bands] == ["in_dist", "edge", "hard"]
    assert [(b.lo, b.hi) for b in recipe.evaluation.bands][1:] == [EDGE, HARD]
    assert tuple(SHARES.values()) == A7_HARD_SHARES


def test_the_mapping_table_is_the_official_grid(stand_in):
    t = a7.mapping_table(_chapter(stand_in, {}))
    assert list(t.index) == ["0.1%", "1%", "5%", "20%", "50%"]
    assert t["official file"]["0.1%"] == "id2-10_0.4995easy_0.4995medium_0.001hard"
    assert t["official file"]["50%"] == "id2-10_0.2easy_0.3medium_0.5hard"  # the S5 / A.10 base's file
    assert not t.isna().any().any() and t.filter(like="edge tail").iloc[:, 0].gt(0).all()
    assert t["RL arm"].str.contains("waits for its base").all()


def test_the_gate_on_the_committed_bases():
    """The committed 1%, 5% and 50% bases verify edge pass@64 below 0.1 (no RL arm), the 20% base above it (RL, two
    seeds, and an arm with the calibrated recipe); the page says so, and claim 1 is judged on the bases in each
    setting (its RL half needs a second base given RL)."""
    ch = a7.load("laptop")
    assert ch.bases == ["base-hard-1pct", "base-hard-5pct", "base-hard-20pct", "base-hard-50pct"]
    assert ch.rl_arms == ["hard-20pct"]
    checks = a7.base_checks(ch)
    for gated in ("base-hard-1pct", "base-hard-5pct", "base-hard-50pct"):
        assert a7.gate_value(ch, gated).value < a7.RL_GATE and not a7.rl_allowed(ch, gated)
        assert checks.loc[gated].criterion.iloc[-1].startswith("RL gate: edge pass@64")
        assert not checks.loc[gated].holds.iloc[-1]
        assert f"{gated.removeprefix('base-')} is not run" in a7.waiting(ch)
    assert a7.rl_allowed(ch, "base-hard-20pct") and checks.loc["base-hard-20pct"].holds.iloc[-1]
    claim1 = "More hard data in pre-training raises the base's (and the RL model's) edge pass@k"
    assert [c.text for c in a7.claims(ch)] == [claim1, a7.CALIBRATED_PREFIX + claim1]  # both settings
    assert ch.calibrated().rl_arms == ["calibrated-hard-20pct"]
    # the rule reads the largest share run minus the smallest: 50% - 1%, the same 5 of 136 edge problems verified
    assert "50% - 1% +0.000" in a7.claims(ch)[0].ours and "the RL half needs two" in a7.claims(ch)[0].ours
    assert a7.claims(ch)[0].verdict == cl.NOT_REPRODUCED
    assert a7.numbers(ch)["n_gated_out"] == 3 and "base-hard-0.1pct" in a7.waiting(ch)
    assert a7.mapping_table(ch)["RL arm"][["1%", "5%", "50%"]].str.contains("fails the gate").all()
    assert list(ch.reruns) == [1] and list(a7.changes_table(ch).index) == [
        "hard-20pct (RL seed 0)", "hard-20pct (RL seed 1)"]
    assert "RL seed 1 of hard-20pct" in a7.deviations(ch)
    # the 5% base's in-dist steps fail in one template (entity names not copied: lab notes, session 19)
    t = a7.template_table(ch)
    assert t.loc[("base-hard-5pct", "animals-zoo"), "verified pass@1"] < 0.05
    assert t.loc[("base-hard-20pct", "animals-zoo"), "verified pass@1"] > 0.5


def test_a_rerun_replaces_its_arms_and_nothing_else(stand_in):
    runs = _chapter(stand_in, {"base-hard-20pct": "base", "hard-20pct": "base"}, logs={"hard-20pct": FLAT}).runs
    rerun = _chapter(stand_in, {"hard-20pct": "reward-strict"}, logs={"hard-20pct": RISING}).runs
    mixed = with_rerun(runs, rerun)
    assert mixed.records("hard-20pct") == rerun.records("hard-20pct")
    assert mixed.records("base-hard-20pct") == runs.records("base-hard-20pct")
    assert mixed.logs("hard-20pct", "rl") == rerun.logs("hard-20pct", "rl")
    assert mixed.table.query("model == 'hard-20pct'").equals(rerun.table.query("model == 'hard-20pct'").reset_index(
        drop=True).set_axis(mixed.table.query("model == 'hard-20pct'").index))
    assert len(mixed.table) == len(runs.table) and mixed.models == runs.models
    assert runs.records("hard-20pct") != rerun.records("hard-20pct")  # the inputs are left as they were


def test_a_claim_holds_over_rl_seeds_only_as_far_as_it_holds_in_each(stand_in):
    """Seed 0 reproduces every claim; a second seed of the 20% arm that learns nothing (its base's own evaluation, a
    flat reward) takes claims 2 and 3, which read that arm, to not reproduced, and leaves claim 1 (which reads the
    smallest and largest shares only) as it was; every table and figure shows both seeds. The 0.1% base verifies a
    quarter of its hard samples, so that the hard band is off the floor in both seeds."""
    more = _on(EDGE, lambda r: r["outcome"])
    half, quarter = _on(HARD, lambda r: r["n"] // 2), _on(HARD, lambda r: r["n"] // 4)
    ch = _chapter(stand_in, _everything(), verified={"base-hard-50pct": more, "hard-50pct": more, "hard-20pct": half,
                                                     "base-hard-0.1pct": quarter},
                  logs={a: RISING if a == "hard-20pct" else FLAT for a in ARMS})
    assert [c.verdict for c in a7.claims(ch)] == [cl.REPRODUCED] * 3
    null_seed = _chapter(stand_in, {"hard-20pct": "base"}, logs={"hard-20pct": FLAT}).runs
    two = dataclasses.replace(ch, reruns={1: null_seed})
    got = a7.claims(two)
    assert [c.verdict for c in got] == [cl.REPRODUCED, cl.NOT_REPRODUCED, cl.NOT_REPRODUCED]
    assert got[0].ours == a7.claims(ch)[0].ours  # not read by claim 1: no seed column
    assert all("RL seed 0" in c.ours and "RL seed 1" in c.ours for c in got[1:])
    assert "hard-20pct (RL seed 1)" in a7.changes_table(two).index
    assert "hard-20pct (RL seed 1)" in a7.controls_table(two).index
    assert "hard-20pct (RL seed 1)" in a7.k_control(two).data
    fig = a7.fig16(two)
    assert check_legible(fig) == [] and any("RL seed 1" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_the_gate_allows_a_base_that_verifies_on_the_edge(stand_in):
    ch = _chapter(stand_in, {"base-hard-20pct": "base", "base-hard-50pct": "base"},
                  verified={"base-hard-50pct": _on(EDGE, lambda r: 0)})
    assert a7.rl_allowed(ch, "base-hard-20pct") and not a7.rl_allowed(ch, "base-hard-50pct")
    assert not a7.rl_allowed(ch, "base-hard-5pct")  # not run


def test_a_null_model_gets_no_credit(stand_in):
    """Every base and RL arm evaluated exactly as one model (on hard too, where it is made to verify some), and the
    same GRPO reward everywhere: nothing is reproduced."""
    some_hard = _on(HARD, lambda r: min(r["n"], r["outcome"]))
    ch = _chapter(stand_in, _everything(), verified={a: some_hard for a in BASES + ARMS},
                  logs={a: RISING for a in ARMS})
    got = {c.text: c.verdict for c in a7.claims(ch)}
    assert len(got) == 3 and set(got.values()) == {cl.NOT_REPRODUCED}


def test_a_real_gain_is_credited(stand_in):
    """The largest share's base and RL arm verify every sample the others answered right on the edge; the 20% RL arm
    verifies half its hard samples (its base none); the 20% reward rises, the others stay flat."""
    more = _on(EDGE, lambda r: r["outcome"])
    half = _on(HARD, lambda r: r["n"] // 2)
    ch = _chapter(stand_in, _everything(), verified={"base-hard-50pct": more, "hard-50pct": more, "hard-20pct": half},
                  logs={a: RISING if a == "hard-20pct" else FLAT for a in ARMS})
    got = a7.claims(ch)
    assert [c.verdict for c in got] == [cl.REPRODUCED] * 3
    assert "edge pass@64 gains" in got[1].ours and "minus the gain at 20%" in got[1].ours  # edge: the second reading


def test_a_larger_gain_elsewhere_or_a_one_sided_gain_is_not_full_credit(stand_in):
    """The 5% arm gains on every hard op, the 20% arm on the lowest only; only the bases differ on the edge; the
    reward rises most at 1%."""
    some, every = _on((HARD[0], HARD[0]), lambda r: r["n"] // 2), _on(HARD, lambda r: r["n"])
    ch = _chapter(stand_in, _everything(), verified={"hard-20pct": some, "hard-5pct": every,
                                                     "base-hard-50pct": _on(EDGE, lambda r: r["outcome"])},
                  logs={a: RISING if a == "hard-1pct" else FLAT for a in ARMS})
    got = a7.claims(ch)
    assert got[0].verdict == cl.PARTLY  # the bases differ, the RL models do not
    assert got[1].verdict == cl.NOT_REPRODUCED  # 5%'s gain exceeds 20%'s with an interval above zero
    assert got[2].verdict == cl.NOT_REPRODUCED and "largest at 1%" in got[2].ours


def test_a_band_at_zero_everywhere_is_not_testable(stand_in):
    """The S6 models verify nothing on hard; rewritten to verify nothing on the edge either."""
    nothing = _on(EDGE, lambda r: 0)
    ch = _chapter(stand_in, _everything(), verified={a: nothing for a in BASES + ARMS}, logs={a: FLAT for a in ARMS})
    first = a7.claims(ch)[0]
    assert first.verdict == cl.NOT_TESTABLE and "every model verifies 0" in first.ours
    ch = _chapter(stand_in, _everything(), logs={a: FLAT for a in ARMS})
    second = a7.claims(ch)[1]
    assert second.verdict == cl.NOT_TESTABLE and "verifies 0 on hard" in second.ours


def test_claims_wait_for_their_arms(stand_in):
    ch = _chapter(stand_in, {"base-hard-50pct": "base"})
    assert a7.claims(ch) == [] and "waits for a second base" in a7.waiting(ch)
    ch = _chapter(stand_in, {"base-hard-0.1pct": "base", "base-hard-50pct": "base",
                             "hard-0.1pct": "reward-mix-0.2"})
    got = a7.claims(ch)
    assert len(got) == 1 and got[0].verdict in (cl.PARTLY, cl.NOT_REPRODUCED)  # the RL half cannot hold yet
    assert "the RL half needs two" in got[0].ours
    assert "hard-50pct" in a7.waiting(ch) and "claims 2" in a7.waiting(ch).lower()


def test_claims_2_and_3_are_not_testable_when_the_gate_leaves_too_few_rl_arms(stand_in):
    """Every base has run, three fail the gate: the two RL arms are all that can come, too few for claims 2 and 3."""
    closed = _on(EDGE, lambda r: 0)
    arms = {a: "base" for a in BASES} | {"hard-20pct": "reward-mix-0.2", "hard-50pct": "reward-mix-0.2"}
    ch = _chapter(stand_in, arms, verified={b: closed for b in BASES[:3]})
    assert a7.complete(ch) and a7.judged(ch) == ["hard-20pct", "hard-50pct"]
    got = a7.claims(ch)
    assert [c.verdict for c in got[1:]] == [cl.NOT_TESTABLE, cl.NOT_TESTABLE]
    assert "No RL under the gate: base-hard-0.1pct" in a7.waiting(ch)


def test_an_rl_arm_run_against_the_gate_is_shown_not_judged(stand_in):
    ch = _chapter(stand_in, {"base-hard-50pct": "base", "hard-50pct": "reward-mix-0.2"},
                  verified={"base-hard-50pct": _on(EDGE, lambda r: 0)})
    assert ch.rl_arms == ["hard-50pct"] and a7.judged(ch) == []
    assert "against the gate" in a7.waiting(ch) and list(a7.changes_table(ch).index) == ["hard-50pct"]


def test_tables_and_figures_read_cleanly(stand_in):
    sources = ["reward-outcome", "reward-mix-0.8", "reward-mix-0.2", "reward-strict", "reward-process"]
    ch = _chapter(stand_in, _everything(**dict(zip(ARMS, sources))))
    assert ch.bases == BASES and ch.rl_arms == ARMS
    for t in (a7.changes_table(ch), a7.controls_table(ch), a7.mapping_table(ch), a7.base_checks(ch),
              a7.template_table(ch)):
        assert len(t) and not pd.isna(t.to_numpy()).any()
    assert len(a7.template_table(ch)) == 3 * len(BASES)  # one row per base and template
    assert list(a7.changes_table(ch).index) == ARMS
    for fig in (a7.fig15(ch), a7.fig_ladders(ch), a7.fig16(ch), a7.fig_share(ch, 0.2), a7.fig15(ch, models=BASES)):
        assert fig is not None and check_legible(fig) == []
    html = a7.picker(ch).data
    assert html.count("<img") == len(BASES) and "20% hard + hard-20pct" in html
    assert all(m in a7.k_control(ch).data for m in BASES + ARMS)
    n = a7.numbers(ch)
    assert n["n_bases"] == n["n_rl_arms"] == 5 and n["n_claims"] == 3


def test_the_shape_census_is_each_base_mix_at_the_laptop_scale():
    """One row per (hard share, op) of each base's mix (in-dist and the edge tail), shares summing to 1 per base, more
    of the hardest third's problems (and draws of each of its shapes) the larger the hard share, the committed census
    read where it counts (one shape at op 2) and "not counted" where it does not (the census stops at op 12)."""
    ch = a7.load("laptop")
    sc, t = ch.recipe.scale, a7.shape_census_table(ch)
    ops = range(sc.in_dist[0], sc.edge[1] + 1)
    assert list(t.index) == [(a7.pct(h), o) for h in A7_HARD_SHARES for o in ops]
    assert np.allclose(t.groupby(level=0)["share of the mix"].sum(), 1, atol=1e-4)
    edge = t[t["part"] == "edge tail"]
    assert sorted(set(edge.index.get_level_values("op"))) == list(range(sc.edge[0], sc.edge[1] + 1))
    assert np.allclose(edge["share of the mix"], sc.pretrain_tail / (sc.edge[1] - sc.edge[0] + 1))
    lo, hi = in_dist_thirds(sc)[2]
    for o in range(lo, hi + 1):
        at_op = t.xs(o, level="op")
        assert (at_op["part"] == "hard third").all()
        assert at_op["share of the mix"].is_monotonic_increasing and at_op["share of the mix"].is_unique
        assert pd.to_numeric(at_op["problems per shape"]).is_monotonic_increasing
    assert (t.xs(2, level="op")["shapes trained on"] == 1).all()
    assert (t.xs(13, level="op")[["shapes trained on", "problems per shape"]] == a7.tables.NOT_COUNTED).all().all()
    assert "Every base draws each shape of op 2-" in a7.shape_census_reading(t)
    wide = a7.shape_census_wide(t)  # what the chapter shows: the same cells, one row per op
    assert len(wide) == len(t) // len(ch.shares) and wide.index.names == ["part", "op"]
    largest = t.index.unique("hard share")[-1]
    at_largest = t.xs(largest, level="hard share")["problems per shape"]
    assert wide[("problems per shape", largest)].tolist() == at_largest.tolist()


def test_op_shares_follow_the_mixture_draw():
    """A component's weight spreads over its ops as Mixture.draw spreads it: uniform, or op**op_tilt."""
    mix = Mixture.of([("A", 2, 3, 3.0), ("B", 3, 4, 1.0)])
    assert a7.op_shares(mix) == pytest.approx({2: 0.375, 3: 0.5, 4: 0.125})
    assert a7.op_shares(Mixture.band(2, 4, op_tilt=1.0)) == pytest.approx({2: 2 / 9, 3: 3 / 9, 4: 4 / 9})


def test_the_shape_census_says_not_counted_without_a_committed_census(monkeypatch):
    """A scale without a testbed result (smoke's is not committed; stood in for here, since a local smoke run may
    have left one): the shares still come from the recipe, nothing else is counted."""
    monkeypatch.setattr(a7.tables, "_testbed", lambda scale: None)
    ch = a7.PretrainDifficulty(Result("A.7-smoke", {}, {}), get_recipe("A.7", "smoke"))
    t = a7.shape_census_table(ch)
    assert np.allclose(t.groupby(level=0)["share of the mix"].sum(), 1)
    assert (t[["problems (expected)", "shapes trained on"]] == a7.tables.NOT_COUNTED).all().all()
    assert "nothing is counted" in a7.shape_census_reading(t)


def test_token_accuracy_of_each_trained_base_and_none_of_the_others(tmp_path, monkeypatch):
    """A base trained here (smoke, seconds) gets its token-class accuracy computed from its checkpoint; a base not
    trained is left out, never trained by the chapter. Results go to a fresh directory: a local smoke run may have
    left token results of other bases in data/results."""
    monkeypatch.setattr(provenance, "RESULTS_DIR", tmp_path)
    ch = a7.PretrainDifficulty(Result("A.7-smoke", {}, {}), get_recipe("A.7", "smoke"))
    base = ch.named(ch.shares[0], a7.BASE)
    run_recipe("A.7", "smoke", arms=[base], progress=False)
    tokens = a7.token_accuracy_results(ch, fresh=True)
    trained = [b for b in (ch.named(h, a7.BASE) for h in ch.shares) if finished_stage(ch.recipe, b, "pretrain")]
    assert base in tokens and list(tokens) == trained  # other tests of this session may have trained more bases
    assert tokens[base].manifest["kind"] == "token-accuracy" and tokens[base].manifest["recipe"] == "A.7"
    t = a7.token_table(ch, tokens)
    sc = ch.recipe.scale
    assert list(t.index) == list(range(sc.in_dist[0], sc.hard[1] + 1))
    assert list(t.columns) == [(c, a7.pct(ch.share_of[b])) for c in a7.tables.TOKEN_TABLE_CLASSES for b in trained]
    assert ((t >= 0) & (t <= 1)).all().all()
    assert a7.token_reading(ch, t).startswith(f"- the {a7.pct(ch.shares[0])} base: entity-name tokens below p 0.5")
    assert "waits" in a7.token_reading(ch, a7.token_table(ch, {}))


def test_the_deviations_name_each_bases_arithmetic_where_they_differ(stand_in):
    """A base trained on a CPU with native bf16 and one trained in fp32 elsewhere are different arithmetic: the page
    says which base used which, from the manifests; where all agree it says nothing."""
    ch = _chapter(stand_in, {"base-hard-20pct": "base", "base-hard-50pct": "base"})
    assert "arithmetic" not in a7.deviations(ch) and "in fp32" not in a7.deviations(ch)
    ch.runs.data["training_manifests"] = {"base-hard-20pct": {"pretrain": {"dtype": "fp32"}},
                                          "base-hard-50pct": {"pretrain": {"dtype": "bf16"}}}
    assert "20% in fp32, 50% in bf16" in a7.deviations(ch)


def test_the_template_table_shows_a_template_that_never_verifies(stand_in):
    # a base that writes wrong steps in one template only: verified 0 there, its answers still right
    only_a = lambda r: 0 if r["template"] == "animals-zoo" else r["verified"]  # noqa: E731
    ch = _chapter(stand_in, {"base-hard-20pct": "base"}, verified={"base-hard-20pct": only_a})
    t = a7.template_table(ch).loc["base-hard-20pct"]
    assert t.loc["animals-zoo", "verified pass@1"] == 0 and t.loc["animals-zoo", "hacked share"].startswith("1.000")
    assert (t.drop(index="animals-zoo")["verified pass@1"] > 0.5).all()


def test_the_template_table_gives_a_dash_where_no_answer_is_right(stand_in):
    # a base that answers nothing right (as the smoke bases do): no share of right answers to give, and the page
    # still renders (stood in for: smoke results are not committed, so CI's clean clone has none)
    ch = _chapter(stand_in, {"base-hard-20pct": "base"})
    for r in ch.runs.records("base-hard-20pct"):
        r["verified"] = r["outcome"] = 0
    t = a7.template_table(ch)
    assert len(t) and (t["outcome pass@1"] == 0).all() and (t["hacked share"] == "—").all()


CALIBRATED_ARMS = [f"calibrated-hard-{p}" for p in SHARES]


def test_the_calibrated_arms_are_judged_apart_by_the_same_rules(stand_in):
    """The paper-setting arms learn nothing; the calibrated arms gain as in test_a_real_gain_is_credited: the
    calibrated claims are reproduced, the paper's not, and neither setting reads the other's arms."""
    more = _on(EDGE, lambda r: r["outcome"])
    half = _on(HARD, lambda r: r["n"] // 2)
    arms = _everything() | {a: "base" for a in CALIBRATED_ARMS}
    ch = _chapter(stand_in, arms, verified={"base-hard-50pct": more, "calibrated-hard-50pct": more,
                                            "calibrated-hard-20pct": half},
                  logs={a: FLAT for a in ARMS} | {a: RISING if "20pct" in a else FLAT for a in CALIBRATED_ARMS})
    cal = ch.calibrated()
    assert ch.rl_arms == ARMS and cal.rl_arms == CALIBRATED_ARMS and cal.bases == ch.bases
    got = a7.claims(ch)
    paper, calibrated = got[:3], got[3:]
    assert [c.text for c in calibrated] == [a7.CALIBRATED_PREFIX + c.text for c in paper]
    assert [c.verdict for c in calibrated] == [cl.REPRODUCED] * 3
    # the paper's arms: only the bases' half of claim 1; every paper-setting model verifies 0 on hard; a flat reward
    assert [c.verdict for c in paper] == [cl.PARTLY, cl.NOT_TESTABLE, cl.NOT_REPRODUCED]
    assert list(a7.changes_table(cal).index) == CALIBRATED_ARMS
    assert a7.mapping_table(ch)["calibrated RL arm"].str.endswith("(run)").all()
    assert check_legible(a7.fig_share(ch, 0.2)) == []


def test_without_a_calibrated_arm_run_there_is_no_calibrated_view(stand_in):
    ch = _chapter(stand_in, _everything())
    assert ch.calibrated() is None and not any(c.text.startswith(a7.CALIBRATED_PREFIX) for c in a7.claims(ch))
    assert a7.mapping_table(ch)["calibrated RL arm"].str.contains("calibrated-hard-").all()
