"""The S3 chapter's tables and the prose computed from them: the setup, the paired changes, the RL controls
(verified beside outcome-only pass@k and the blind guesser), the paper beside ours, and the reading of them."""

from __future__ import annotations

import pandas as pd

from ...experiments.runner import grpo_config  # the lr an RL stage trains at (its own, else the scale's)
from ...experiments.scales import BANDS
from ...plots import NO_VALUE, no_value
from ...results import Result, rl_controls
from .data import PAPER_ROLES, S3, _change, mean_reward
from .figures import ROLE_STYLE, STYLE_WORDS
from .rules import EDGE_REWARD_MIN, PAPER_EDGE_RUN


def base_before_rl(ch: S3) -> str:
    """One sentence: the base's verified pass@k per band with intervals, what RL has to work with."""
    at = lambda band, k: ch.value("base", band, "pass@k", k).fmt()  # noqa: E731
    km = ch.k_max
    return (f"**The base model before RL** (verified, 95% intervals): in-dist pass@1 {at('in_dist', 1)}; edge pass@1 "
            f"{at('edge', 1)} and pass@{km} {at('edge', km)}; hard pass@{km} {at('hard', km)}. "
            f"An edge pass@{km} above zero is what lets edge-band RL be rewarded on verified solutions at all.")


def setup_table(ch: S3) -> pd.DataFrame:
    """One row per arm: its role, RL prompts, steps, batch, reward, rollout tokens and wall time."""
    rows = []
    for a in ch.recipe.arms:
        if a.name not in ch.arms:
            continue
        m = ch.runs.data["training_manifests"][a.name]["rl"]
        lo, hi = a.param("rl_band")
        rows.append({"arm": a.name, "role": a.param("role"),
                     "RL prompts (ops)": f"{lo}-{hi}" + (" screened" if a.rl.edge_filter else ""),
                     "GRPO steps": a.rl.steps, "prompts x rollouts": f"{a.rl.prompts_per_step} x {a.rl.rollouts}",
                     "reward": a.rl.reward.name, "actor lr": f"{grpo_config(a.rl, ch.recipe.scale).lr:g}",
                     "rollout tokens": m.get("rollout_tokens"),
                     "GRPO wall time (min)": round((m.get("wall_time_s") or 0) / 60, 1)})
    return pd.DataFrame(rows)


def setup_text(ch: S3) -> str:
    sc, ev = ch.recipe.scale, ch.recipe.evaluation
    lrs = sorted({grpo_config(a.rl, sc).lr for a in ch.recipe.arms if a.rl and a.name in ch.arms})
    text = (f"GRPO at this scale: actor lr {' or '.join(f'{lr:g}' for lr in lrs)} (constant), KL coefficient "
            f"{sc.rl_kl_coef:g} to the base "
            f"model (low-variance estimator), clip 0.2, token-mean loss, rollout temperature {sc.rl_temperature}, "
            f"{sc.rl_prompts_per_step // sc.rl_minibatch_prompts} PPO mini-batches per step, responses up to "
            f"{sc.rl_max_response_tokens} tokens. Evaluation: {ev.problems_per_op} held-out problems per op "
            f"x {ev.samples} samples at T = {sc.eval_temperature}; the bands are in-dist "
            f"{sc.in_dist[0]}-{sc.in_dist[1]}, edge {sc.edge[0]}-{sc.edge[1]}, hard {sc.hard[0]}-{sc.hard[1]}.")
    filt = [a for a in ch.recipe.arms if a.rl and a.rl.edge_filter and a.name in ch.arms]
    if filt:
        fm = ch.runs.data["training_manifests"][filt[0].name]["rl"]
        f = filt[0].rl.edge_filter
        text += (f"\n\nEdge filter: every {f.refresh_every} steps the current policy samples k = {f.k} completions "
                 f"for each of {f.pool_size} fresh candidates and keeps those it solves sometimes but not always; "
                 f"over the run it screened {fm.get('screened')} candidates and kept {fm.get('kept')}.")
    return text


def changes_table(ch: S3, run: Result | None = None) -> pd.DataFrame:
    """The paired changes as a table: one row per arm, one column per (band, k), "change [95% CI]"."""
    dt = ch.dt if run is None else ch.changes(run)
    show = dt.assign(change=[_change(dt, r.arm, r.band, r.k).fmt(True) for r in dt.itertuples()])
    order = {a: i for i, a in enumerate(dt.arm.unique())}
    out = show.pivot_table(index="arm", columns=["band", "k"], values="change", aggfunc="first")
    return out.loc[sorted(out.index, key=order.get), list(BANDS)]


def outcome_table(ch: S3) -> pd.DataFrame:
    """The RL controls per model and band (results.rl_controls): verified and outcome pass@1 and pass@k_max, the
    share of right answers reached through wrong steps, and the blind guesser's outcome pass@k beside them."""
    t = rl_controls(ch.records(), ch.recipe.evaluation.problem_sets(ch.recipe.scale), ch.bands, ch.k_max)
    t = t.drop(columns="hacked share CI").set_index(["model", "band"]).round(3)
    # the guesser writes no steps: no verified pass@k, no hacked share (shown as NO_VALUE; the page says why)
    return no_value(t.unstack("band").swaplevel(axis=1).reindex(columns=list(BANDS), level=0).loc[
        ["base"] + ch.arms + ["blind guess"]])


def paper_beside_ours(ch: S3) -> pd.DataFrame:
    edge = ch.arm("edge")
    rows = []
    for metric, (p_before, p_after) in PAPER_EDGE_RUN.items():
        k = 1 if metric == "pass@1" else ch.k_max
        rows.append({"edge band": metric if k == 1 else f"pass@{k} (paper: pass@128)", "paper: base": p_before,
                     "paper: edge RL": p_after, "ours: base": ch.value("base", "edge", "pass@k", k).fmt(),
                     "ours: edge RL": ch.value(edge, "edge", "pass@k", k).fmt() if edge else None})
    return pd.DataFrame(rows)


def reading(ch: S3) -> str:
    """What the tables say, as bullet points computed from them (stays true when the results change)."""
    dt, km, edge = ch.dt, ch.k_max, ch.arm("edge")
    logs = ch.runs.data["training_logs"]
    lines = []
    if edge:
        e1, ek = _change(dt, edge, "edge", 1), _change(dt, edge, "edge", km)
        lines.append(f"- The edge-band run changed edge-band pass@1 by {e1.value:+.3f} and pass@{km} by "
                     f"{ek.value:+.3f} (paper: +0.40 and +0.45).")
    hard = ch.arm("hard")
    if hard:
        lines.append(f"- The hard-band run's mean training reward was {mean_reward(logs, hard):.4f}"
                     + (f" (edge run: {mean_reward(logs, edge):.4f})." if edge else "."))
    filt = ch.arm("edge-filter")
    if filt and edge:
        for band in ("edge", "hard"):
            a, b = _change(dt, filt, band, km), _change(dt, edge, band, km)
            lines.append(f"- Edge filter vs fixed edge band at equal compute, {band} band pass@{km} change: "
                         f"{a.value:+.3f} vs {b.value:+.3f}.")
    base_out = {k: ch.value("base", "edge", "outcome_pass@k", k).value for k in (1, km)}
    for role in ("edge", "edge, 3x steps", "edge, process-aware reward", "edge-filter"):
        arm = ch.arm(role)
        if arm:
            o1, ok = (ch.value(arm, "edge", "outcome_pass@k", k).value for k in (1, km))
            shape = (" (pass@1 up and pass@k down: the outcome distribution was sharpened, not widened)"
                     if o1 > base_out[1] + 0.02 and ok < base_out[km] - 0.02 else "")
            lines.append(f"- {arm}: edge outcome-only pass@1 {base_out[1]:.3f} -> {o1:.3f}, pass@{km} "
                         f"{base_out[km]:.3f} -> {ok:.3f}{shape}; edge process accuracy "
                         f"{ch.value('base', 'edge', 'process_acc').value:.3f} -> "
                         f"{ch.value(arm, 'edge', 'process_acc').value:.3f}; in-dist verified pass@1 change "
                         f"{_change(dt, arm, 'in_dist', 1).value:+.3f}.")
    nll = ch.nll_changes()
    edge_nll = nll[nll.band == "edge"]
    lines.append(f"- Gold-solution NLL on the edge band rose, its paired interval above zero, for "
                 f"{int((edge_nll.lo > 0).sum())} of {len(edge_nll)} runs and fell for {int((edge_nll.hi < 0).sum())} "
                 f"(the paper's Fig 10: RL lowers it on every range, most on the edge; its verdict is in the table).")
    if not len(dt[(dt.band != "in_dist") & (dt.lo > 0)]):
        lines += ["", "**At this scale no RL run raised verified pass@k on the edge or hard band with an interval "
                      "above zero.** The reward moved answers, not verified solutions."]
    for role in ("edge, 3x steps", "edge, process-aware reward"):
        arm = ch.arm(role)
        if arm and edge:
            parts = [f"{band} pass@{k} {_change(dt, arm, band, k).value:+.3f} (edge arm "
                     f"{_change(dt, edge, band, k).value:+.3f})" for band in ("edge", "hard") for k in (1, km)]
            lines.append(f"- Follow-up, {role}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def repeated_steps(logs: dict, arms: list[str]) -> list[tuple[str, str, int]]:
    """(arm, later arm, n) for each pair of arms whose GRPO logs agree, step for step, on their first n >= 2 steps:
    a follow-up that starts from the same base with the same RL seed repeats the arm it changes one knob of, until
    the knob matters (three times the steps: for the whole of the shorter run)."""
    def rewards(arm):
        return [(r["step"], r.get("reward_mean")) for r in logs.get(arm, {}).get("rl", [])]

    out = []
    for i, a in enumerate(arms):
        for b in arms[i + 1:]:
            n = next((j for j, (x, y) in enumerate(zip(rewards(a), rewards(b))) if x != y),
                     min(len(rewards(a)), len(rewards(b))))
            if n >= 2:
                out.append((a, b, n))
    return out


def dynamics_text(ch: S3) -> str:
    """Under Fig 10 and 11: which runs repeat another's first steps exactly, so the reader knows why two reward
    curves coincide there (the later one is drawn dotted or dashed over the first, ROLE_STYLE)."""
    pairs = repeated_steps(ch.runs.data["training_logs"], ch.arms)
    if not pairs:
        return ""
    return " ".join(f"{b} repeats {a}'s first {n} GRPO steps exactly (the same base and RL seed; in Fig 11 {b} is "
                    f"drawn {STYLE_WORDS[ROLE_STYLE.get(ch.roles.get(b), '-')]} over it)." for a, b, n in pairs)


def deviations(ch: S3) -> str:
    sc = ch.recipe.scale
    train_min = sum((ch.runs.data["training_manifests"][a]["rl"].get("wall_time_s") or 0) for a in ch.arms) / 60
    seeded = sorted(set().union(*(r.models for r in ch.reruns.values()))) if ch.reruns else []
    notes = [
        f"- The {len(ch.arms)} arms took {train_min:.0f} minutes of GRPO in all"
        + (", one thread each, two at a time (lab notes). " if sc.name == "laptop" else ". ")
        + (f"{', '.join(seeded)} ran with {len(ch.reruns) + 1} RL seeds; the other arms with one, so their "
           f"intervals are over problems, not over training runs. " if seeded else
           "One RL seed per arm: intervals are over problems, not over training runs. ")
        + f"`python -m reasonlab run S3 --scale {sc.name} --rl-seed 1 --arm ARM` runs another from the same base.",
        f"- {sc.rl_steps} GRPO steps of {sc.rl_prompts_per_step} prompts x {sc.rollouts} rollouts per arm (the paper: "
        f"about 195 steps of 1,024 prompts: 200K prompts, one epoch), with the actor learning rate raised to "
        f"{sc.rl_lr:g} (the paper: 1e-6).",
        "- The reward is the outcome reward (the answer is right), as in the paper's Sec. 3; evaluation stays strict "
        "(process-verified). The gap between the two is where reward hacking would show.",
    ]
    if sc.rl_eval_samples and sc.rl_eval_samples < sc.eval_samples:
        notes.append(f"- RL arms are evaluated with {sc.rl_eval_samples} samples per problem, the base with "
                     f"{sc.eval_samples}; every comparison uses pass@k for k <= {ch.k_max}, paired per problem.")
    if sc.pretrain_tail:
        notes.append(f"- The base model saw a {sc.pretrain_tail:.0%} long tail of edge-band problems in "
                     f"pre-training (the ladder chapter says why).")
    return "\n".join(notes)


def _edge_controls(ch: S3, arm: str | None) -> dict[str, dict]:
    """{model: its RL controls on the edge band} of the base, one arm and the blind guesser (outcome_table's)."""
    records = ch.records()
    t = rl_controls({m: records[m] for m in ("base", arm) if m}, ch.recipe.evaluation.problem_sets(ch.recipe.scale),
                    ch.bands, ch.k_max)
    return t[t.band == "edge"].set_index("model").to_dict("index")


def calibrated_note(ch: S3) -> str:
    """The deviation note of the calibrated setting: which knobs changed from the paper's setting and why, with the
    hacking numbers of the paper's setting that are the reason (computed from the committed results)."""
    cal, sc = ch.calibrated, ch.recipe.scale
    paper_edge = ch.arm("edge")
    if cal is None or paper_edge is None:
        return ""
    ours, theirs = next(a.rl for a in cal.recipe.arms if a.rl), ch.recipe.arm(paper_edge).rl  # one setting per recipe
    c, km = _edge_controls(ch, paper_edge), ch.k_max
    base, guess = c["base"], c["blind guess"]
    knobs = [("reward", theirs.reward.name, ours.reward.name),
             ("actor lr", f"{grpo_config(theirs, sc).lr:g}", f"{grpo_config(ours, sc).lr:g}"),
             ("GRPO steps", str(theirs.steps), str(ours.steps))]
    changed = "; ".join(f"{k} {a} -> {b}" for k, a, b in knobs if a != b)
    edge = f" and the paper-setting edge arm's {c[paper_edge]['hacked share']:.2f}"
    return (f"**The calibrated recipe (a deviation from the paper's setting, beyond the paper).** Changed: {changed}; "
            f"the same bands, base, prompts per step ({ours.prompts_per_step}), rollouts ({ours.rollouts}) and "
            f"evaluation. Why: the paper's outcome reward pays for a right answer whatever the steps, and at this "
            f"scale most right answers on the edge come through wrong steps: the base's hacked share on the edge band "
            f"is {base['hacked share']:.2f}{edge}, and a blind guesser that never reads the question reaches outcome "
            f"pass@{km} {guess[f'outcome pass@{km}']:.3f} (the base: {base[f'outcome pass@{km}']:.3f}). The strict "
            f"reward pays only for a fully verified solution. The lr and the steps are the setting that met the laptop "
            f"RL recipe's criterion, fixed before its runs: the process-rewards chapter's calibration and its "
            f"re-check on 4x the edge problems, in two RL seeds and against a random-reward control.")


def settings_table(ch: S3) -> pd.DataFrame:
    """The paper's setting beside the calibrated recipe, one row per band of RL prompts (RL seed 0): in-dist verified
    pass@1 change, edge verified pass@k_max change (S3's own edge problems), and the edge arm's outcome pass@k_max
    and hacked share, the controls that tell a procedure from answers. Empty without a calibrated setting."""
    cal, km = ch.calibrated, ch.k_max
    if cal is None:
        return pd.DataFrame()
    sets = ch.recipe.evaluation.problem_sets(ch.recipe.scale)
    rows = {}
    for role in PAPER_ROLES:
        row = {}
        for setting, view in (("paper's setting (outcome reward)", ch), ("calibrated recipe", cal)):
            arm = view.arm(role)
            if arm is None:
                continue
            c = rl_controls({arm: view.records()[arm]}, sets, view.bands, km).set_index(["model", "band"])
            row |= {(setting, "arm"): arm,
                    (setting, "in-dist pass@1 change"): _change(view.dt, arm, "in_dist", 1).fmt(True),
                    (setting, f"edge pass@{km} change"): _change(view.dt, arm, "edge", km).fmt(True),
                    (setting, f"edge outcome pass@{km}"): round(c.at[(arm, "edge"), f"outcome pass@{km}"], 3),
                    (setting, "edge hacked share"): _share(c.at[(arm, "edge"), "hacked share"])}
        rows[role] = row
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.columns = pd.MultiIndex.from_tuples(t.columns)
    return no_value(t.rename_axis("RL prompts"))


def _share(x) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 2)


def wide_edge_table(ch: S3) -> pd.DataFrame:
    """Every calibrated arm with wide-edge records (the edge arm from RL-recheck, the others from S3-calibrated-wide),
    per RL seed: verified pass@1 and pass@k_max and outcome pass@1 and pass@k_max changes against the base on the wide
    edge, with the verified pass@k_max change on the chapter's own edge problems beside them, and whether the two
    evaluations are of the same weights (S3.wide_same_weights). The edge arm's row is what its claim reads
    (WIDE_EDGE_RULE); the other arms' rows are a description beside the rules."""
    km, rows = ch.k_max, []
    for role in PAPER_ROLES:
        arm = ch.arm(role)
        for rl_seed in sorted(set(ch.wide_edge) | set(ch.wide_arms)):
            if arm is None or ch.wide_edge_change(rl_seed, km, arm=arm) is None:
                continue
            run = ch.runs if rl_seed == 0 else ch.reruns.get(rl_seed)
            narrow = (_change(ch.changes(None if rl_seed == 0 else run), arm, "edge", km).fmt(True)
                      if run is not None and arm in run.models else NO_VALUE)
            rows.append({"RL prompts": role, "arm": arm, "RL seed": rl_seed,
                         **{f"{count} pass@{k} (wide edge)": ch.wide_edge_change(rl_seed, k, count, arm).fmt(True)
                            for count in ("verified", "outcome") for k in (1, km)},
                         f"verified pass@{km} (the chapter's edge problems)": narrow,
                         "same weights": _yes_no(ch.wide_same_weights(arm, rl_seed))})
    return pd.DataFrame(rows).set_index(["RL prompts", "arm", "RL seed"]) if rows else pd.DataFrame()


def calibrated_reading(ch: S3) -> str:
    """What the calibrated setting's tables say, as bullet points computed from them (RL seed 0)."""
    cal = ch.calibrated
    if cal is None:
        return ""
    km, logs, lines = cal.k_max, cal.runs.data["training_logs"], []
    manifests = cal.runs.data["training_manifests"]
    n = {model: recs[0]["n"] for model, recs in cal.records().items() if recs}  # samples per problem
    for role in PAPER_ROLES:
        arm = cal.arm(role)
        if arm is None:
            continue
        m = manifests[arm]
        same = m["rl"].get("weights_sha256") and m["rl"].get("weights_sha256") == m["pretrain"].get("weights_sha256")
        lines.append(f"- {arm} ({role}): mean strict reward {mean_reward(logs, arm):.3f}; verified edge pass@{km} "
                     f"{_change(cal.dt, arm, 'edge', km).fmt(True)}, in-dist pass@1 "
                     f"{_change(cal.dt, arm, 'in_dist', 1).fmt(True)}"
                     + (". Its weights are the base's, byte for byte: no group of its rollouts had any reward "
                        f"variance, so GRPO made no update, and its changes above are the evaluation's own noise (it "
                        f"draws {n[arm]} samples per problem, the base {n['base']})." if same else "."))
    edge = cal.arm("edge")
    if edge and cal.arm("hard"):
        lines.append(f"- The hard-band claim needs the edge run's mean reward to reach {EDGE_REWARD_MIN}, a threshold "
                     f"fixed for the outcome reward; the strict reward pays only for verified solutions, and the edge "
                     f"run's is {mean_reward(logs, edge):.3f}. The rule is kept as it was fixed.")
    return "\n".join(lines)


def _yes_no(x: bool | None) -> str:
    return NO_VALUE if x is None else "yes" if x else "no"
