"""The exposure chapter's tables and the prose computed from them: the setup, the missing runs and the deviations,
the base check, the held-A mapping revision, the paired changes, B counted verified and by outcome (with the blind
guesser's), the strict-reward arms, the RL seeds and the reward gains."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...evaluate import guess_baseline
from ...experiments.recipes import Recipe, get_recipe
from ...generator import LabelledBand
from ...results import COUNTS, Estimate, Result, change, k_max
from .core import A, A6, B, LETTER, a6_pairs, paired_change, pct, value
from .data import Exposure
from .rules import REWARD_WINDOW, SECOND_SEED_SHARES, knows_a, qualifying_shares
from .verdicts import _gains


def setup_text(ch: Exposure) -> str:
    sc, ev = ch.recipe.scale, ch.recipe.evaluation
    lo, hi = sc.context_ops
    (llo, lhi), (hlo, hhi) = ch.band("low"), ch.band("high")
    return (f"Context A is pre-trained over op {lo}-{hi} ({sc.pretrain_tokens:,} tokens), context B only at "
            f"op {lo}, with the share of B as the knob; RL is {sc.rl_steps} GRPO steps of {sc.rl_prompts_per_step} "
            f"prompts x {sc.rollouts} rollouts, 50% A and 50% B over op {lo}-{hi}, outcome reward. Each base and its "
            f"RL arm are evaluated on the same {ev.problems_per_op} problems per op and template x {ev.samples} "
            f"samples; the halves are op {llo}-{lhi} (the paper's op 2-10) and {hlo}-{hhi} (its 11-20).")


def missing_runs(ch: Exposure) -> str:
    """Which arms of the recipes' grids are not committed at this scale, with the command that runs them."""
    sc = ch.recipe.scale.name
    lines = []
    have = set(ch.runs.models)
    todo = [a.name for a in ch.recipe.arms if a.name not in have]
    if todo:
        lines.append(f"- S4: not run yet at this scale: {', '.join(todo)} "
                     f"(`python -m reasonlab run S4 --scale {sc} --arm NAME`).")
    qualified = qualifying_shares(ch)  # a second seed is not spent on a base that fails the check
    for s in SECOND_SEED_SHARES:
        rl = ch.pairs[s][1] if s in qualified else None
        if rl and not any(rl in r.models for r in ch.reruns.values()):
            lines.append(f"- S4: {rl} with a second RL seed (`python -m reasonlab run S4 --scale {sc} --rl-seed 1 "
                         f"--arm {rl}`).")
    for rid in A6:
        recipe = get_recipe(rid, sc)
        done = set(ch.a6[rid].models) if rid in ch.a6 else set()
        todo = [a.name for a in recipe.arms if a.name not in done]
        if todo:
            lines.append(f"- {rid}: not run yet at this scale: {', '.join(todo)} "
                         f"(`python -m reasonlab run {rid} --scale {sc} --arm NAME`).")
    return "\n".join(lines) if lines else "Every arm of S4, A.6.1 and A.6.2 has run at this scale."


def b_exposure(pretrain) -> str:
    """How a base saw context B in pre-training, e.g. "1% B at op 2" or "0.1% B at op 2-9"."""
    b = [c for c in pretrain.mixture.components if c.template == B]
    if not b:
        return "0% B"
    ops = "-".join(dict.fromkeys(str(o) for o in (b[0].op_lo, b[0].op_hi)))
    return f"{pct(sum(c.weight for c in b))} B at op {ops}"


def _check_row(label: str, result: Result, base: str, bands: Sequence[LabelledBand], k_max: int) -> dict:
    row = {"base": label}
    for t in (A, B):
        for band in bands:
            for k in (1, k_max):
                row[f"{LETTER[t]} {band.label} pass@{k}"] = value(result, base, t, band.label, k).fmt()
    row["qualifies"] = knows_a(result, base, bands, k_max)
    return row


def base_check(ch: Exposure) -> pd.DataFrame:
    """Per base (S4's, one per exposure share, then each A.6 base that is not one of them): its verified pass@1 and
    pass@k_max on A and B per half, and whether it qualifies for RL (A pass@k_max >= A_MIN on both halves: a base
    must know A before B can borrow from it)."""
    arms = {a.name: a for a in ch.recipe.arms}
    rows = [_check_row(f"S4, {b_exposure(arms[base].pretrain)}", ch.runs, base, ch.bands, ch.k_max)
            for base, _ in ch.shares.values()]
    rows += [_check_row(f"S4, {b_exposure(arms[base].pretrain)}, A's tokens held ({arms[base].pretrain.tokens:,} "
                        f"in all)", ch.runs, base, ch.bands, ch.k_max) for base, _ in ch.held_a.values()]
    s4_bases = {arms[base].pretrain for base, _ in ch.shares.values()}
    for rid, result in ch.a6.items():
        pre = get_recipe(rid, ch.recipe.scale.name).arms[0].pretrain  # every A.6 arm shares the first arm's base
        if pre not in s4_bases and "base" in result.models:
            rows.append(_check_row(f"{rid}, {b_exposure(pre)}", result, "base", ch.bands, k_max(result.table)))
    return pd.DataFrame(rows)


def held_a_table(ch: Exposure) -> pd.DataFrame:
    """The mapping revision: per share with a held-A base, the paper mapping's base and the held-A base side by
    side: pre-training tokens, the base check (A high-half pass@k_max), B's high half before RL, and each RL arm's
    paired changes (B verified pass@k_max and outcome pass@1, A pass@1, on the high half) and reward gain.
    Empty when no held-A base has been evaluated."""
    km, ops, rows = ch.k_max, ch.band("high"), []
    for s, held in ch.held_a.items():
        for label, (base, rl) in (("as the paper", ch.shares.get(s)), ("A's tokens held", held)):
            if base is None:
                continue
            row = {"B share of pre-training": pct(s), "base": label,
                   "pre-training tokens": f"{ch.recipe.arm(base).pretrain.tokens:,}",
                   f"base A high pass@{km}": value(ch.runs, base, A, "high", km).fmt(),
                   "qualifies": ch.qualifies(base), f"base B high pass@{km}": value(ch.runs, base, B, "high", km).fmt()}
            for t, k, count in ((B, km, "verified"), (B, 1, "outcome"), (A, 1, "verified")):
                row[f"RL change, {LETTER[t]} high {'outcome ' if count == 'outcome' else ''}pass@{k}"] = (
                    paired_change(ch.runs, base, rl, t, ops, k, count).fmt(True) if rl else "not run")
            gain = _gains(ch.runs, {s: (base, rl)}, None).get(s)
            row["reward gain"] = gain.fmt(True) if gain else "not run"
            rows.append(row)
    return pd.DataFrame(rows)


def held_a_reading(ch: Exposure) -> str:
    """What the held-A base says about the laptop mapping, computed: does holding A's tokens restore the base
    check, and so which base stands for the share."""
    km, lines = ch.k_max, []
    for s, (held, _) in ch.held_a.items():
        paper = ch.shares.get(s, (None, None))[0]
        a_held = value(ch.runs, held, A, "high", km)
        line = f"- {pct(s)} B: with A's tokens held, the base's A high-half pass@{km} is {a_held.fmt()}"
        if paper:
            line += f" (as the paper: {value(ch.runs, paper, A, 'high', km).fmt()})"
        if ch.pairs[s][0] == held:
            line += ("; it passes the base check where the paper mapping's base fails it, as too few A tokens would "
                     "explain (one base each, so a weak draw is not ruled out), and it stands for this share in the "
                     "verdicts.")
        elif ch.qualifies(held):
            line += "; both bases pass the base check, and the paper mapping's stands for this share."
        else:
            line += ("; it fails the base check too, so too few A tokens does not explain the failure (B's data "
                     "crowding A out of the model, or a weak draw, would), and this share carries no verdict.")
        lines.append(line)
    return "\n".join(lines)


def changes_table(dt: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per arm (its share), one column per (template, band, k): "change [95% CI]"."""
    if dt.empty:
        return pd.DataFrame()
    show = dt.assign(change=[Estimate(r.delta, r.lo, r.hi).fmt(True) for r in dt.itertuples()],
                     template=dt.template.map(LETTER), **{key: dt[key].map(pct)})
    order = {s: i for i, s in enumerate(show[key].unique())}
    out = show.pivot_table(index=key, columns=["template", "band", "k"], values="change", aggfunc="first")
    return out.loc[sorted(out.index, key=order.get)]


def reading(ch: Exposure) -> str:
    """What the tables say, computed from them."""
    km, lines = ch.k_max, []
    for s, (base, rl) in ch.shares.items():
        b = value(ch.runs, base, B, "high", km)
        line = f"- {pct(s)} B: the base's B high-half pass@{km} is {b.fmt()}"
        if rl:
            d1, dk = (change(ch.dt, share=s, template=B, band="high", k=k) for k in (1, km))
            line += f"; RL changes it by {dk.fmt(True)} (pass@1 by {d1.fmt(True)})"
        lines.append(line + ".")
    return "\n".join(lines + gain_lines(ch.runs, ch.shares, "- Reward gain over the run"))


METRIC_OF = {"verified": "pass@k", "outcome": "outcome_pass@k"}


def b_guess(recipe: Recipe) -> dict[str, float]:
    """The blind guesser's outcome pass@1 on B's problems of a recipe's evaluation, per half ({label: value}): it
    never reads the question and draws its answer from the half's other B gold answers (evaluate.guess_pass_at_k).
    Outcome pass@1 never appears without it."""
    sets = {key: probs for key, probs in recipe.evaluation.problem_sets(recipe.scale).items() if key[0] == B}
    g = guess_baseline(sets, recipe.evaluation.bands, (1,))
    return dict(zip(g.key, g.value))


def outcome_changes(result: Result, recipe: Recipe, pairs: dict, key: str) -> pd.DataFrame:
    """B's pass@1 per pair and half, counted two ways: verified (every step right, B's names included: the paper's
    metric) and outcome (the right answer, whatever the steps); the base's value and the paired change of the
    model in each, and the blind guesser's outcome pass@1 beside them. `result` is `recipe`'s; `pairs` is {label:
    (base, model or None)}; the label (a share) goes in column `key`."""
    rows, guess = [], b_guess(recipe)
    for label, (base, model) in pairs.items():
        for band in recipe.evaluation.bands:
            row = {key: pct(label), "B half": f"{band.label} (op {band.lo}-{band.hi})"}
            for count in COUNTS:
                row[f"base, {count} pass@1"] = result.value(base, f"{B}:{band.label}", METRIC_OF[count], 1).fmt()
            row["blind guess, outcome pass@1"] = f"{guess[band.label]:.3f}"
            for count in COUNTS:
                row[f"RL change, {count} pass@1"] = (
                    paired_change(result, base, model, B, band.op_range, 1, count).fmt(True) if model else "not run")
            rows.append(row)
    return pd.DataFrame(rows)


def outcome_table(ch: Exposure) -> pd.DataFrame:
    """S4: B counted verified and by outcome, per exposure share (a model that computes B's answer in A's words
    gets the answer and fails the verifier)."""
    return outcome_changes(ch.runs, ch.recipe, ch.shares, "B share of pre-training")


def outcome_reading(ch: Exposure) -> str:
    """What the outcome table says on B's high half, computed from it."""
    ops = ch.band("high")
    lines = []
    for s, (base, rl) in ch.shares.items():
        if not rl:
            continue
        out, ver = (paired_change(ch.runs, base, rl, B, ops, 1, c) for c in ("outcome", "verified"))
        what = ("RL raises how often B's answer is right without raising how often B's solution verifies"
                if out.above_zero and not ver.above_zero else
                "both counts rise" if out.above_zero else "RL does not raise B's right answers")
        lines.append(f"- {pct(s)} B, op {ops[0]}-{ops[1]}: outcome pass@1 {out.fmt(True)}, verified pass@1 "
                     f"{ver.fmt(True)}: {what}.")
    return "\n".join(lines)


def a6_outcome_table(ch: Exposure, rid: str) -> pd.DataFrame:
    """A.6: B counted verified and by outcome, per B share of the RL data, against the one base."""
    recipe = get_recipe(rid, ch.recipe.scale.name)
    return outcome_changes(ch.a6[rid], recipe, a6_pairs(ch.a6[rid]), "B share of RL data")


def a6_outcome_reading(ch: Exposure, rid: str) -> str:
    """A.6 on B's high half: the outcome and verified pass@1 changes by B share of the RL data, computed."""
    result, ops = ch.a6[rid], ch.band("high")
    out, ver = {}, {}
    for s, (base, arm) in a6_pairs(result).items():
        out[s], ver[s] = (paired_change(result, base, arm, B, ops, 1, c) for c in ("outcome", "verified"))
    listed = lambda d: "; ".join(f"{pct(s)} {e.fmt(True)}" for s, e in sorted(d.items()))  # noqa: E731
    rising = all(out[a].value < out[b].value for a, b in zip(sorted(out), sorted(out)[1:]))
    none_verified = all(e.value == 0 and e.hi == 0 for e in ver.values())
    return (f"{rid}, B op {ops[0]}-{ops[1]}: outcome pass@1 change {listed(out)}"
            + (" (rising with the B share of the RL data)" if rising else "")
            + "; verified pass@1 change " + ("+0.000 in every arm" if none_verified else listed(ver)) + ".")


def reward_table(ch: Exposure) -> pd.DataFrame:
    """Beyond the paper: per share with a strict-reward arm, the outcome-reward arm and the strict-reward arm side by
    side, each paired with the same base on B (verified and outcome pass@1 per half, verified pass@k_max on the
    high half) and A (pass@1, high half). Empty when no strict-reward arm has run."""
    km, rows = ch.k_max, []
    for s, (base, strict) in ch.strict.items():
        for label, model in (("outcome", ch.shares[s][1]), ("strict", strict)):
            if model is None:
                continue
            row = {"B share of pre-training": pct(s), "RL reward": label}
            columns = ((B, "low", 1, "verified"), (B, "low", 1, "outcome"), (B, "high", 1, "verified"),
                       (B, "high", 1, "outcome"), (B, "high", km, "verified"), (A, "high", 1, "verified"))
            for t, band, k, count in columns:
                d = paired_change(ch.runs, base, model, t, ch.band(band), k, count)
                row[f"{LETTER[t]} {band} {'outcome ' if count == 'outcome' else ''}pass@{k}"] = d.fmt(True)
            rows.append(row)
    return pd.DataFrame(rows)


def seeds_table(ch: Exposure) -> pd.DataFrame:
    """Each RL arm that has run with more than one RL seed: per seed, its paired change against the same base on
    B's high half (verified pass@k_max, outcome pass@1) and A's high half (pass@1). Empty when no arm has reruns."""
    km, ops, rows = ch.k_max, ch.band("high"), []
    for label, (base, rl) in ch.shown.items():
        seeds = {0: ch.runs} | {n: r for n, r in ch.reruns.items() if rl in r.models}
        if not rl or len(seeds) < 2:
            continue
        for n, result in seeds.items():
            change_of = lambda t, k, count="verified": paired_change(  # noqa: E731
                ch.runs, base, rl, t, ops, k, count, model_result=result).fmt(True)
            rows.append({"B share of pre-training": label, "RL seed": n, f"B high pass@{km}": change_of(B, km),
                         "B high outcome pass@1": change_of(B, 1, "outcome"), "A high pass@1": change_of(A, 1)})
    return pd.DataFrame(rows)


def gain_lines(result: Result, pairs: dict, lead: str) -> list[str]:
    """One line per context whose reward was logged: the reward gain of each RL model in `pairs`, of all prompts and
    of the B prompts alone (an arm without B prompts has none), each line starting with `lead`."""
    lines = []
    for context, what in ((None, "all prompts"), (B, "B prompts alone")):
        gains = _gains(result, pairs, context)
        if gains:
            lines.append(f"{lead} (last minus first {REWARD_WINDOW} steps), {what}: "
                         + "; ".join(f"{pct(s)} {e.fmt(True)}" for s, e in sorted(gains.items())) + ".")
    return lines


def a6_reward_reading(ch: Exposure, rid: str) -> str:
    """A.6 (the paper's Fig 14 for A.6.2): the reward gain per B share of the RL data, computed."""
    return "\n\n".join(gain_lines(ch.a6[rid], a6_pairs(ch.a6[rid]), f"{rid}, reward gain"))


def deviations(ch: Exposure) -> str:
    sc = ch.recipe.scale
    lo, hi = sc.context_ops
    notes = []
    if (lo, hi) != sc.all_ops:
        notes.append(f"- Context A covers op {lo}-{hi}, not the paper's whole op range (2-20): the scale's model "
                     f"learns that range in one pre-training run, and a context can only borrow what A has (the "
                     f"ladder chapter; lab notes). 'Up to the highest op' means op {hi} here.")
    notes.append(f"- {sc.rl_steps} GRPO steps of {sc.rl_prompts_per_step} prompts per arm (the paper: about 195 of "
                 f"1,024), actor lr {sc.rl_lr:g}; one RL seed per arm unless a table says otherwise, so intervals "
                 f"are over problems, not over training runs.")
    notes.append(f"- pass@k up to k = {ch.k_max} (the paper: 128), the bases and the RL arms at the same n.")
    strict = sorted({a.param("b_share") for a in ch.recipe.arms if a.param("stage") == "rl-strict"})
    if strict:
        notes.append(f"- Beyond the paper: at {', '.join(pct(s) for s in strict)} B, a second RL arm with the strict "
                     f"reward (one knob changed), to tell a transfer that fails from a reward that pays for B's "
                     f"answer in A's words. It carries no verdict.")
    held = sorted({a.param("b_share") for a in ch.recipe.arms if a.param("stage") == "heldA-base"})
    if held:
        notes.append(f"- A mapping revision: at {', '.join(pct(s) for s in held)} B, a second base whose A tokens are "
                     f"held at the 0% base's ({sc.pretrain_tokens:,}; the token budget the one knob), and its RL "
                     f"arm. It stands for the share in the verdicts, Fig 5 and the samples only where the paper "
                     f"mapping's base fails the base check and it passes (rule fixed before it ran).")
    return "\n".join(notes)
