"""The A.7 chapter's tables: the official grid beside our arms, the shape census of each base's pre-training mix, each
RL arm's paired change, the RL controls, and the deviations from the paper."""

from __future__ import annotations

import pandas as pd

from ...experiments.analyses import testbed_result_name
from ...experiments.recipes import a7_weights, in_dist_thirds
from ...experiments.runner import grpo_config  # the lr an RL stage trains at (its own, else the scale's)
from ...experiments.scales import BANDS
from ...generator import Mixture
from ...provenance import to_jsonable
from ...results import Estimate, Result, paired_changes, rl_controls
from ...results import load as load_result
from .data import BASE, CALIBRATED, PretrainDifficulty, pct
from .rules import GATE_RULE, rl_allowed
from .verdicts import judged


def mapping_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """One row per hard share: the weights of the in-dist thirds, the official code's file of that grid point, the
    scale's edge tail, pre-training tokens, and whether its base and its RL arm have run."""
    sc = ch.recipe.scale
    thirds = [f"{name} (op {lo}-{hi})" for name, (lo, hi) in zip(("easy", "medium", "hard"), in_dist_thirds(sc))]
    arms = {a.name: a for a in ch.recipe.arms}
    rows = []
    for h in ch.shares:
        base, arm = ch.named(h, BASE), ch.rl_arm(h)
        w = a7_weights(h)
        if arm in ch.rl_arms:
            rl = ("run" if arm in judged(ch) else "run, its base not evaluated" if base not in ch.bases
                  else "run against the gate")
        elif base not in ch.bases:
            rl = "waits for its base"
        else:
            rl = "not yet run" if rl_allowed(ch, base) else "no RL: the base fails the gate"
        rows.append({"hard share": pct(h), **{t: round(x, 4) for t, x in zip(thirds, w)},
                     "official file": "id2-10_" + "_".join(f"{round(x, 6):g}{n}"
                                                           for x, n in zip(w, ("easy", "medium", "hard"))),
                     f"edge tail (op {sc.edge[0]}-{sc.edge[1]})": sc.pretrain_tail,
                     "pre-training tokens": arms[base].pretrain.tokens,
                     "base": base + (" (run)" if base in ch.bases else " (not yet run)"), "RL arm": f"{arm} ({rl})"}
                    | ({"calibrated RL arm": _calibrated_status(ch, h)} if ch.named(h, CALIBRATED) else {}))
    return pd.DataFrame(rows).set_index("hard share")


def _calibrated_status(ch: PretrainDifficulty, share: float) -> str:
    """The calibrated recipe's arm of one share and how far it is (it runs where the paper's arm may: the gate)."""
    arm, base = ch.named(share, CALIBRATED), ch.named(share, BASE)
    if arm in ch.runs.models:
        return f"{arm} (run)"
    if base not in ch.bases:
        return f"{arm} (waits for its base)"
    return f"{arm} ({'not yet run' if rl_allowed(ch, base) else 'no RL: the base fails the gate'})"


NOT_COUNTED = "not counted"  # a census cell the committed testbed result does not cover (never a guess)
# Draws per shape from which the reading calls an op's shapes drilled. A reading threshold, not a measured boundary:
# by this table's arithmetic the first laptop base (36M tokens of op 2-6, three templates) drew each of op 6's 49
# shapes of the order of a thousand times, and it had memorised op 2-6's 74 shapes (lab notes, 2026-12-02).
MANY_DRAWS = 1000


def op_shares(mix: Mixture) -> dict[int, float]:
    """{op: share of the mixture's problems}, each component's weight (Mixture.weights) spread over its ops as
    Mixture.draw spreads it (uniform, or op**op_tilt): the mixture draws problems, not tokens, by these shares."""
    out: dict[int, float] = {}
    for c, w in zip(mix.components, mix.weights):
        ops = range(c.op_lo, c.op_hi + 1)
        odds = [o**c.op_tilt for o in ops]
        for o, x in zip(ops, odds):
            out[o] = out.get(o, 0.0) + w * x / sum(odds)
    return dict(sorted(out.items()))


def _testbed(scale: str) -> Result | None:
    """The testbed chapter's committed statistics of this scale (None where there are none, e.g. smoke)."""
    try:
        return load_result(testbed_result_name(scale))
    except FileNotFoundError:
        return None


def _shapes_trained(tb: Result | None, mix: Mixture) -> dict[int, int]:
    """{op: distinct graph shapes the mix trains on} from the testbed's census (3,000 pre-training draws per op, the
    scale's format): all shapes, less the held-out ones when the mix draws only seen shapes. Empty where the census
    was taken in another format than the mix's, so no count is borrowed from another generator."""
    if tb is None or tb.manifest["config"].get("shape_generator") != to_jsonable(mix.config):
        return {}
    keep = {"all": lambda r: r["shapes"], "seen": lambda r: r["shapes"] - r["held_out_shapes"],
            "held-out": lambda r: r["held_out_shapes"]}[mix.shapes]
    return {r["op"]: keep(r) for r in tb.data["shape_census"]}


def _problems(tb: Result | None, shares: dict[int, float], tokens: int) -> dict[int, float]:
    """{op: expected training problems}: share x the stage's tokens / the mix's mean document length, a document being
    [BOS] problem [EOS] (the testbed's token count includes [BOS]; +1 for [EOS]). Empty without lengths for every op."""
    lengths = {r["op"]: r["tokens_mean"] + 1 for r in tb.data["length_stats"] if "tokens_mean" in r} if tb else {}
    if not set(shares) <= set(lengths):
        return {}
    n = tokens / sum(s * lengths[o] for o, s in shares.items())
    return {o: s * n for o, s in shares.items()}


def _sig(x: float) -> int | float:
    """An estimate to three significant digits (whole from 100 up): the lengths behind it are good to ~25%."""
    v = float(f"{x:.3g}")
    return int(v) if v >= 100 else v


def _parts(ch: PretrainDifficulty) -> dict[int, str]:
    """{op: which part of the mix it is}: a third of in-dist or the scale's edge tail."""
    sc = ch.recipe.scale
    out = {o: f"{name} third" for name, (lo, hi) in zip(("easy", "medium", "hard"), in_dist_thirds(sc))
           for o in range(lo, hi + 1)}
    return out | {o: "edge tail" for o in range(sc.edge[0], sc.edge[1] + 1)}


def shape_census_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """What each base's pre-training shows it of each op, before any model is asked: one row per (hard share, op) of
    the base's mix, with the op's share of the mix, the expected problems at that op, the distinct graph shapes it
    trains on and the expected draws of each shape. A base that sees every shape of an op thousands of times can
    memorise one solution per shape instead of learning the step procedure (the laptop model memorised the 74
    shapes of op 2-6: lab notes, 2026-12-02), so this is read before RL is spent on a base.

    Shares come from the recipe's own pretrain mixtures. Problems are estimated, not counted from the stream (that
    would tokenise the whole stage): the stage's tokens over the mix's mean document length, from the testbed's mean
    tokens per op. Those lengths were measured in the paper's format (one template, distractors and copy steps), longer
    than the laptop format (a spot check of 60 laptop documents per op: ~65 tokens at op 2 and ~250 at op 9, against
    ~98 and ~302 here), so at the laptop scale the true problems, and draws per shape, are ~1.2-1.3 times these.
    Shapes (graph hashes: template- and name-free) are the census's distinct shapes in 3,000 draws of the scale's
    format, less the held-out fifth where the mix trains on seen shapes only: at the ops whose shapes 3,000 draws do
    not exhaust (op 8 and up at the laptop scale) a lower bound, so draws per shape there is an upper bound. An op
    the committed census does not cover is "not counted"."""
    tb, part, rows = _testbed(ch.recipe.scale.name), _parts(ch), []
    for h in ch.shares:
        stage = next(a.pretrain for a in ch.recipe.arms if a.name == ch.named(h, BASE))
        shares = op_shares(stage.mixture)
        shapes, problems = _shapes_trained(tb, stage.mixture), _problems(tb, shares, stage.tokens)
        for o, s in shares.items():
            n, k = problems.get(o), shapes.get(o)
            rows.append({"hard share": pct(h), "op": o, "part": part.get(o, "other"), "share of the mix": round(s, 6),
                         "problems (expected)": NOT_COUNTED if n is None else _sig(n),
                         "shapes trained on": NOT_COUNTED if k is None else k,
                         "problems per shape": NOT_COUNTED if n is None or not k else _sig(n / k)})
    return pd.DataFrame(rows).set_index(["hard share", "op"])


def shape_census_wide(t: pd.DataFrame) -> pd.DataFrame:
    """shape_census_table as the chapter shows it: one row per (part, op), one column per (measure, base)."""
    shares = list(t.index.unique("hard share"))
    wide = t[["share of the mix", "problems per shape"]].unstack("hard share").reindex(columns=shares, level=1)
    part = t["part"].groupby(level="op").first()
    return wide.set_index(pd.MultiIndex.from_arrays([part.loc[wide.index], wide.index], names=["part", "op"]))


def _draws(x: float) -> str:
    """A draws-per-shape figure as the reading writes it: whole numbers from 10 up, two digits below."""
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


def shape_census_reading(t: pd.DataFrame) -> str:
    """One line read off shape_census_table: the ops whose every shape every base draws at least MANY_DRAWS times
    (where one memorised solution per shape would do), then the range of draws per shape on the hardest third and the
    most on the edge tail, each with the base it belongs to."""
    per = pd.to_numeric(t["problems per shape"], errors="coerce")
    if per.isna().all():
        return "The committed testbed census does not cover this scale: nothing is counted."
    fewest = per.groupby(level="op").min()
    many = [o for o, x in fewest.items() if x >= MANY_DRAWS]
    hard, edge = per[t["part"] == "hard third"].dropna(), per[t["part"] == "edge tail"].dropna()
    out = [f"Every base draws each shape of op {_ops(many)} at least {_draws(fewest[many].min())} times"
           if many else f"No op has every base draw each of its shapes {MANY_DRAWS:,} times"]
    if len(hard):
        (h0, o0), (h1, o1) = hard.idxmin(), hard.idxmax()
        out.append(f"on the hardest in-dist third each shape is drawn from {_draws(hard.min())} times (the {h0} base,"
                   f" op {o0}) to {_draws(hard.max())} (the {h1} base, op {o1})")
    if len(edge):
        out.append(f"on the edge tail at most {_draws(edge.max())} times")
    return "; ".join(out) + "."


def _ops(ops: list[int]) -> str:
    """Ops as a range where they are contiguous ("2-5"), else listed."""
    contiguous = ops == list(range(ops[0], ops[-1] + 1))
    return f"{ops[0]}-{ops[-1]}" if contiguous and len(ops) > 1 else ", ".join(map(str, ops))


TOKEN_TABLE_CLASSES = ("entity name", "variable letter")  # the classes a memorised template loses first


def token_table(ch: PretrainDifficulty, tokens: dict[str, Result]) -> pd.DataFrame:
    """Per op (rows) and base (columns, by hard share), the share of gold tokens of each TOKEN_TABLE_CLASSES class the
    base gives p < 0.5 (teacher-forced, experiments.analyses): where it would likely write something else. Empty
    before any base's token accuracy exists."""
    frames = {}
    for base, result in tokens.items():
        rows = pd.DataFrame(result.data["rows"])
        frames[pct(ch.share_of[base])] = rows.pivot(index="op", columns="class", values="share_below_half")
    if not frames:
        return pd.DataFrame()
    t = pd.concat(frames, axis=1, names=["hard share", "class"]).swaplevel(axis=1)
    return t.reindex(columns=list(frames), level=1)[list(TOKEN_TABLE_CLASSES)].round(3)


def token_reading(ch: PretrainDifficulty, t: pd.DataFrame) -> str:
    """One line per base read off token_table: its entity-name tokens below p 0.5 at the top in-dist op and the
    first edge op (the ladder's base: names go first past its band)."""
    if t.empty:
        return "No base's token accuracy exists yet at this scale: each waits for its base (nothing trains here)."
    sc, names = ch.recipe.scale, t["entity name"]
    top, edge = sc.in_dist[1], sc.edge[0]
    return "\n".join(f"- the {share} base: entity-name tokens below p 0.5 {names.at[top, share]:.1%} at op {top}, "
                     f"{names.at[edge, share]:.1%} at op {edge}" for share in names.columns)


def template_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """Each base's in-dist controls per template (the evaluation pools three): verified and outcome pass@1 and the
    share of right answers reached through wrong steps, with its 95% interval. A base that does not copy one
    template's entity names verifies nothing there while its answers stay right, which pooled numbers hide."""
    in_dist = [b for b in ch.bands if b.label == "in_dist"]
    parts = []
    for base in ch.bases:
        recs = ch.runs.records(base)
        by_template = {t: [r for r in recs if r["template"] == t] for t in sorted({r["template"] for r in recs})}
        t = rl_controls(by_template, ch.problem_sets, in_dist, ch.k_max)
        parts.append(t[t.model != "blind guess"].assign(base=base).rename(columns={"model": "template"}))
    if not parts:
        return pd.DataFrame()
    t = pd.concat(parts, ignore_index=True)
    # no right answer at all in a template: no share to give (a dash, as in controls_table)
    t["hacked share"] = [Estimate(v, *ci).fmt() if isinstance(ci, tuple) else "—"
                         for v, ci in zip(t["hacked share"], t["hacked share CI"])]
    cols = ["verified pass@1", "outcome pass@1", "hacked share"]
    return t.set_index(["base", "template"])[cols].round(3)


def changes_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """Each RL arm minus its own base, paired per problem: one row per arm and RL seed, one column per (band, k),
    "change [95% CI]" (empty before any RL arm has run)."""
    arms = [a for a in ch.rl_arms if ch.base_of(a) in ch.bases]
    if not arms:
        return pd.DataFrame()
    pairs = {label: (ch.runs.records(ch.base_of(a)), view.runs.records(a)) for label, a, view in ch.seed_rows(arms)}
    dt = paired_changes(pairs, ch.bands, (1, ch.k_max))
    dt = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()])
    t = dt.pivot_table(index="arm", columns=["band", "k"], values="change", aggfunc="first")
    return t.loc[list(pairs), list(BANDS)]


def controls_table(ch: PretrainDifficulty) -> pd.DataFrame:
    """The RL controls per model and band (results.rl_controls): verified and outcome pass@1 and pass@k_max, the
    share of right answers through wrong steps, and the blind guesser's outcome pass@k beside them."""
    records = ch.records_by_seed(ch.bases + ch.rl_arms)
    models = list(records)
    t = rl_controls(records, ch.problem_sets, ch.bands, ch.k_max)
    t = t.drop(columns="hacked share CI").set_index(["model", "band"]).round(3)
    t = t.unstack("band").swaplevel(axis=1).reindex(columns=list(BANDS), level=0).loc[[*models, "blind guess"]]
    return t.astype(object).where(t.notna(), "—")  # what does not apply (the guesser has no steps) is a dash


def deviations(ch: PretrainDifficulty) -> str:
    sc = ch.recipe.scale
    rl = next((a.rl for a in ch.recipe.arms if a.rl), None)
    thirds = ", ".join(f"{lo}-{hi}" for lo, hi in in_dist_thirds(sc))
    return "\n".join([
        f"- Every base carries the scale's {sc.pretrain_tail:.0%} tail of edge problems (op {sc.edge[0]}-{sc.edge[1]})"
        " in pre-training: the laptop ladder's base verified no edge problem without it (lab notes). The paper's bases "
        "have none.",
        f"- The thirds of in-dist are op {thirds} at this scale (the paper: 2-4, 5-7, 8-10 of op 2-10); the paper's "
        f"edge band is op 11-14 and its hard band op 15-20 (ours: {ch.band('edge')[0]}-{ch.band('edge')[1]} and "
        f"{ch.band('hard')[0]}-{ch.band('hard')[1]}).",
        f"- RL, the paper's setting: the scale's settings ({rl.steps if rl else '-'} GRPO steps of "
        f"{sc.rl_prompts_per_step} prompts x {sc.rollouts} rollouts, reward {rl.reward.name if rl else '-'}, actor lr "
        f"{sc.rl_lr:g}; the paper: ~195 steps of 1024 prompts, lr 1e-6)." + _calibrated_note(ch),
        f"- Evaluation: {ch.recipe.evaluation.problems_per_op} problems per op x {ch.recipe.evaluation.samples} "
        f"samples, so our largest k is {ch.k_max} (the paper: pass@128).",
        _seeds_note(ch),
        f"- The RL gate is ours: {GATE_RULE}. The paper runs RL from every base.",
    ] + _base_dtype_note(ch))


def _calibrated_note(ch: PretrainDifficulty) -> str:
    """The calibrated arms' RL settings and why (a deviation from the paper), where the recipe has such arms."""
    cal = next((a.rl for a in ch.recipe.arms if a.param("stage") == CALIBRATED), None)
    if cal is None:
        return ""
    return (f" Beside each paper-setting arm, an arm with the laptop's calibrated RL recipe: the {cal.reward.name} "
            f"reward, actor lr {grpo_config(cal, ch.recipe.scale).lr:g}, {cal.steps} steps of the same batch. The "
            "outcome reward pays for a right answer whatever the steps, and at this scale most right edge answers "
            "come through wrong steps (the controls table). The recipe is the one that widened the verified edge in "
            "two RL seeds against a random-reward control (the S6 chapter's calibration and re-check; lab notes, "
            "sessions 19-21).")


def _seeds_note(ch: PretrainDifficulty) -> str:
    """How many RL seeds each arm ran with (the rules ask one per arm, two for the 20% arm)."""
    again = [f"RL seed {n} of {', '.join(r.models)}" for n, r in ch.reruns.items()]
    return ("- One RL seed per arm" + (f", and {'; '.join(again)}" if again else " (the rules plan a second RL seed "
            "for the 20% arm; not run yet)") + "; intervals are over problems, not training runs.")


def _base_dtype_note(ch: PretrainDifficulty) -> list[str]:
    """Where the bases trained in different arithmetic (the trainer picks bf16 only on a CPU with native bf16, and a
    base resumed on another machine keeps its first dtype), which base used which, from their manifests."""
    manifests = ch.runs.data.get("training_manifests", {})
    dtypes = {a: manifests.get(a, {}).get("pretrain", {}).get("dtype") for a in ch.bases}
    if len({d for d in dtypes.values() if d}) < 2:
        return []
    shown = ", ".join(f"{pct(ch.share_of[a])} in {d}" for a, d in dtypes.items() if d)
    return [f"- The bases trained on the machine each ran on: {shown} (bf16 only where the CPU has it natively; "
            "the paper trains in bf16 on GPUs)."]
