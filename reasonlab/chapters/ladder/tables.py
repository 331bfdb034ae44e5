"""The ladder chapter's tables and the prose computed from them: the setup, the deviations, the paper beside ours,
the unseen-shape test, the per-op table with the blind guesser, and the reading of them."""

from __future__ import annotations

import pandas as pd

from ...experiments.scales import deviations
from ...results import estimate, k_max, select
from .data import Ladder
from .rules import PAPER
from .verdicts import criteria


def setup_table(ch: Ladder) -> pd.DataFrame:
    """The base model's settings, drawn from the recipe, the scale and the training manifest."""
    result, recipe = ch.result, ch.recipe
    sc, arm = recipe.scale, recipe.arm("base")
    train = result.data["training_manifests"]["base"]["pretrain"]
    rows = [
        ("model preset", f"{sc.model} ({train.get('non_embedding_params', 0) / 1e6:.2f}M non-embedding parameters)"),
        ("pre-training data", arm.pretrain.mixture.name),
        ("pre-training tokens", f"{arm.pretrain.tokens:,} (trained: {train.get('tokens', 0):,})"),
        ("sequence length / batch", f"{sc.seq_len} / {sc.batch_tokens:,} tokens"),
        ("learning rate", f"{sc.pretrain_lr:g} cosine to {sc.pretrain_lr_min:g}, warmup {sc.pretrain_warmup:.0%}"),
        ("loss on", sc.loss_on),
        ("bands", f"in-dist {sc.in_dist[0]}-{sc.in_dist[1]}, edge {sc.edge[0]}-{sc.edge[1]}, "
                  f"hard {sc.hard[0]}-{sc.hard[1]}"),
        ("evaluation", f"{recipe.evaluation.problems_per_op} problems per op x {recipe.evaluation.samples} samples, "
                       f"T = {sc.eval_temperature}, top-p 1.0"),
        ("training wall time", f"{train.get('train_seconds', 0) / 60:.1f} min on {train.get('device', '?')}"),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"])


def deviations_table(ch: Ladder) -> pd.DataFrame:
    """Where this scale departs from the paper's settings, and why."""
    return pd.DataFrame([d._asdict() if hasattr(d, "_asdict") else d.__dict__ for d in deviations(ch.recipe.scale)])


def paper_beside_ours(ch: Ladder) -> pd.DataFrame:
    t = ch.table
    km = k_max(t)
    rows = []
    for band, metrics in PAPER.items():
        for metric, paper_value in metrics.items():
            k = 1 if metric == "pass@1" else "max"
            e = estimate(t, "base", band, "pass@k", k)
            rows.append({"band": band, "metric (paper)": metric, "paper": paper_value,
                         "metric (ours)": metric if k == 1 else f"pass@{km}", "ours": round(e.value, 3),
                         "95% CI": f"[{e.lo:.3f}, {e.hi:.3f}]"})
    return pd.DataFrame(rows)


def seen_beside_unseen(ch: Ladder) -> pd.DataFrame:
    """The unseen-shape test per op: pass@1 and pass@k_max on held-out graph shapes beside the same ops' ordinary
    eval set (every shape, so mostly seen ones); empty when the result has no unseen-shape test."""
    t = ch.table
    km = k_max(t)
    unseen = select(t, "base", group="unseen-op")
    rows = []
    for op in sorted(unseen.key.astype(int).unique()):
        row = {"op": op}
        for label, group in (("eval set", "op"), ("unseen shapes", "unseen-op")):
            for k in (1, km):
                row[f"{label} pass@{k}"] = estimate(t, "base", str(op), "pass@k", k, group=group).fmt()
        rows.append(row)
    return pd.DataFrame(rows)


def _guess(ch: Ladder, key: str, k: int, group: str = "band") -> float:
    """The blind guesser's outcome pass@k on one band or op (NaN where it has too few problems to guess from)."""
    rows = select(ch.guess, "blind guess", group, key, "guess_pass@k", k)
    return float(rows.value.iloc[0]) if len(rows) else float("nan")


def per_op_table(ch: Ladder) -> pd.DataFrame:
    """Per op from the top of the in-dist band to the hard band: verified and outcome-only pass@k, process acc."""
    t, recipe = ch.table, ch.recipe
    sc, km = recipe.scale, k_max(t)
    val = lambda op, metric, k=None: estimate(t, "base", str(op), metric, k, group="op").value  # noqa: E731
    return pd.DataFrame([{"op": op, "pass@1": round(val(op, "pass@k", 1), 3),
                          f"pass@{km}": round(val(op, "pass@k", km), 3),
                          f"outcome pass@{km}": round(val(op, "outcome_pass@k", km), 3),
                          f"blind guess pass@{km}": round(_guess(ch, str(op), km, "op"), 3),
                          "process acc": round(val(op, "process_acc"), 3)}
                         for op in range(sc.in_dist[1], sc.hard[1] + 1)])


def reading(ch: Ladder) -> str:
    """What the ladder shows, computed from the result (stays true when the result changes)."""
    t, recipe = ch.table, ch.recipe
    sc, km = recipe.scale, k_max(t)
    c = criteria(ch)
    val = lambda op, metric, k=None: estimate(t, "base", str(op), metric, k, group="op").value  # noqa: E731
    text = []
    if bool(c[c.rule.str.startswith("edge")].holds.all()):
        text.append(f"Both edge criteria hold: the model solves some edge problems (ops {sc.edge[0]}-{sc.edge[1]}) "
                    f"within {km} samples but rarely in one, so RL on that band can be rewarded (per op in the table).")
    else:
        text.append(f"The edge criteria do not both hold: edge pass@1 is {estimate(t, 'base', 'edge', k=1).value:.2f} "
                    f"and pass@{km} {estimate(t, 'base', 'edge').value:.2f}.")
    first_zero = next((op for op in range(sc.in_dist[1] + 1, sc.hard[1] + 1) if val(op, "pass@k", km) == 0), None)
    if first_zero is not None:
        text.append(f"From op {first_zero} on, no sample verifies.")
        outcome = val(first_zero, "outcome_pass@k", km)
        if outcome > 0:
            text.append(f"Yet outcome-only pass@{km} there is {outcome:.2f}: right answers without a verified "
                        f"process, the gap process verification exists to expose (a blind guesser, drawing "
                        f"answers from that op's other gold answers, reaches "
                        f"{_guess(ch, str(first_zero), km, 'op'):.2f}).")
    if sc.pretrain_tail > 0:
        text.append(f"This base model saw a {sc.pretrain_tail:.0%} long tail of edge-band problems in pre-training "
                    f"(a deviation, below; the first laptop base, on op 2-6 with the same tail, never verified a "
                    f"single edge problem: lab notes).")
    return " ".join(text)


def unseen_text(ch: Ladder) -> str:
    """The unseen-shape test in one sentence (or why this scale has none)."""
    t, recipe = ch.table, ch.recipe
    sv = seen_beside_unseen(ch)
    if not len(sv):
        return (f"This scale trains on every shape (train_shapes = {recipe.scale.train_shapes!r}) or its band has no "
                f"held-out shapes, so there is no unseen-shape test here.")
    km = k_max(t)
    at = lambda band, k: estimate(t, "base", band, k=k).fmt()  # noqa: E731
    return (f"Over ops {sv.op.min()}-{sv.op.max()}: unseen shapes pass@1 {at('unseen', 1)}, pass@{km} "
            f"{at('unseen', km)}; the same ops' seen shapes pass@1 {at('seen', 1)}, pass@{km} {at('seen', km)}.")
