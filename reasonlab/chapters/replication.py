"""The "Replication or creation?" chapter (the paper's Fig 5): are the context-B problems a model solves copies
of graph shapes it was trained on in context A, or structures it never saw?

The comparison (exact graph hash, and graded Weisfeiler-Lehman similarity to A's training shapes) is computed in
reasonlab.experiments.analyses.similarity; this chapter reads its result and decides the claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import results
from ..experiments.analyses import save_graph_similarity
from ..experiments.recipes import get_recipe
from ..plots import no_value
from ..results import Result
from . import exposure
from .claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED, Claim
from .exposure import B, LOW_SHARE, pct

# matplotlib.pyplot loads inside the figure function: reading the chapter's numbers needs no plotting.


# == data ============================================================================================================

CHAPTER = "replication"
RESULT = "Fig5-{scale}"


@dataclass
class Replication:
    """The chapter's data: every B eval problem of every S4 model with its shape compared to A's training shapes."""

    result: Result

    @property
    def manifest(self) -> dict:
        return self.result.manifest


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Replication:
    """The committed shape comparison (fresh: run S4, whose finished stages are reused, then compare the shapes now:
    minutes, the bases' data is replayed). Without fresh nothing is computed, and a missing result raises
    FileNotFoundError."""
    name = RESULT.format(scale=scale)
    if fresh:
        ex = exposure.load(scale, seed, fresh=True)
        save_graph_similarity(name, ex.recipe, ex.runs, ex.pairs, ex.seed, context=B)
    return Replication(results.load(name))


def frame(ch: Replication) -> pd.DataFrame:
    """One row per (model, B eval problem): its op, half, solves and its shape against A's, and the model's label
    ("10% A held after RL")."""
    d = pd.DataFrame(ch.result.data["problems"])
    if len(d):
        d["label"] = [label(ch, share, stage, model) for share, stage, model in zip(d.share, d.stage, d.model)]
    return d


def label(ch: Replication, share: float, stage: str, model: str) -> str:
    """How the page names a model: its B share, "A held" for the base that holds A's tokens at the 0% base's (the
    exposure chapter's label: it stands for its share where the paper mapping's base failed the base check), and
    base or after RL."""
    held = get_recipe(exposure.RECIPE, ch.manifest.get("scale", "laptop")).arm(model).param("stage").startswith("heldA")
    return f"{pct(share)}{' A held' if held else ''} {'after RL' if stage == 'rl' else 'base'}"


# == rules ===========================================================================================================

PAPER = "simple ops (2-10) copy A's patterns; hard ops (11-20) produce novel structures, more so with more B " \
        "exposure (Fig 5)"


# == verdicts ========================================================================================================

def novel_solved(ch: Replication, stage: str = "rl") -> dict[float, int]:
    """{share: B problems solved whose shape A's pre-training never showed} for one stage."""
    d = frame(ch)
    d = d[d.stage == stage]
    counts = d[(d.verified > 0) & (~d.seen_in_A)].groupby("share").size()
    return {s: int(counts.get(s, 0)) for s in sorted(set(d.share))}


def claims(ch: Replication) -> list[Claim]:
    """Fig 5's claim, decided by the rule fixed before the runs (lab notes)."""
    d = frame(ch)
    if d.empty:
        return []
    solved = d[d.verified > 0]
    novel = solved[~solved.seen_in_A]
    by_half = solved.groupby("half").max_similarity.mean()
    low_more_similar = "low" in by_half and "high" in by_half and by_half["low"] > by_half["high"]
    counts = novel_solved(ch, "rl")
    zero = counts.get(0.0)
    grows = zero is not None and any(s >= LOW_SHARE for s in counts) and \
        all(c > zero for s, c in counts.items() if s >= LOW_SHARE)
    high_solved = solved[solved.half == "high"]
    if novel.empty and high_solved.empty:  # no model solves a high-op B problem: neither copy nor creation shows there
        verdict = NOT_TESTABLE
    elif novel.empty:
        verdict = NOT_REPRODUCED
    else:
        verdict = REPRODUCED if low_more_similar and grows else PARTLY if low_more_similar or grows else NOT_REPRODUCED
    sims = ", ".join(f"{h} {v:.3f}" for h, v in by_half.items())
    name = share_names(ch)
    ours = (f"B problems solved with a shape A never showed: {len(novel)} of {len(solved)}, of the high half "
            f"{len(high_solved)} by any base or arm; mean similarity of "
            f"solved problems to A's shapes by half: {sims}; never-shown shapes solved after RL by share: "
            + "; ".join(f"{name[s]} {c}" for s, c in counts.items()))
    return [Claim(CHAPTER, "Solved B problems copy A's shapes at low ops and are new structures at high ops, more "
                           "so with more exposure", PAPER, ours, verdict,
                  "some model solves a B problem of a shape A's pre-training never showed (discriminating); then "
                  "solved low-half problems are more similar to A's shapes than high-half ones, and every >= 1% "
                  "RL arm solves more never-shown shapes than the 0% arm; partly when one of the two holds; not "
                  "testable when no base or arm solves a B problem of the high half (it sits at 0 there)",
                  f"{len(novel)} never-shown shapes solved, {len(high_solved)} high-half B problems solved; after "
                  "RL by share: " + ", ".join(f"{name[s]} {c}" for s, c in counts.items()))]


def share_names(ch: Replication) -> dict[float, str]:
    """{B share: its name on this page}: "10% A held" where the base that holds A's tokens stands for the share."""
    d = frame(ch)
    bases = d[d.stage == "base"].groupby("share").label.first()
    return {s: name.removesuffix(" base") for s, name in bases.items()}


def numbers(ch: Replication) -> dict:
    """The numbers the chapter's prose quotes, for glue: the verdict, and how many B problems were solved."""
    d = frame(ch)
    solved = d[d.verified > 0] if len(d) else d
    found = claims(ch)
    return {"verdict": found[0].verdict if found else "no verdict (no S4 run)", "n_solved": len(solved),
            "n_novel": int((~solved.seen_in_A).sum()) if len(solved) else 0}


# == figures and tables ==============================================================================================

def coverage_table(ch: Replication) -> pd.DataFrame:
    """Distinct A graph shapes per op in each base's pre-training, beside the eval's B problems of a shape A never
    showed (how much room there was for creation)."""
    d = frame(ch)
    base = d[d.stage == "base"]
    name = {pct(s): n for s, n in share_names(ch).items()}
    rows = []
    for share, shapes in ch.result.data["a_training_shapes"].items():
        for op, n in shapes.items():
            sub = base[(base.share.map(pct) == share) & (base.op == int(op))]
            rows.append({"base": f"{name.get(share, share)} base", "op": int(op),
                         "distinct A shapes in pre-training": n,
                         "B eval problems of a never-shown shape": int((~sub.seen_in_A).sum()) if len(sub) else None})
    return no_value(pd.DataFrame(rows))  # a base that was not evaluated: no count


def solved_table(ch: Replication) -> pd.DataFrame:
    """Per model and half: B problems solved (verified in >= 1 sample), how many of them have a shape A's
    pre-training never showed, and their mean largest WL similarity to A's training shapes."""
    d = frame(ch)
    d = d[d.verified > 0]
    g = d.groupby(["share", "stage", "label", "half"], sort=True)
    out = pd.DataFrame({"B problems solved": g.size(),
                        "of a shape A never showed": g.seen_in_A.apply(lambda s: int((~s).sum())),
                        "mean similarity to A's shapes": g.max_similarity.mean().round(3)}).reset_index()
    return out.drop(columns=["share", "stage"]).rename(columns={"label": "model"})


def fig5(ch: Replication):
    """Fig 5 as a table of cells, one row per model and one column per op: how many B problems it solved there, and
    for those their mean WL similarity to A's training shapes ("sim", 1 = a shape A showed) and how many are of a
    shape A never showed ("new"). Every cell carries its number, zeros included, so a grid where little was solved
    still reads whole (the paper's line plot of similarity per op would be near empty: it has no point where nothing
    was solved)."""
    import matplotlib.pyplot as plt

    d = frame(ch)
    ops = sorted(d.op.unique())
    rows = list(dict.fromkeys(d.sort_values(["share", "stage"]).label))
    per_op = d.groupby(["label", "op"])
    solved = per_op.verified.apply(lambda v: int((v > 0).sum())).unstack("op").reindex(index=rows, columns=ops)
    n = per_op.size().unstack("op").reindex(index=rows, columns=ops)
    fig, ax = plt.subplots(figsize=(1.0 + 0.85 * len(ops), 0.9 + 0.42 * len(rows)), layout="constrained")
    ax.imshow(solved.to_numpy() / n.to_numpy(), cmap="Blues", vmin=0, vmax=1.6, aspect="auto")
    for i, model in enumerate(rows):
        for j, op in enumerate(ops):
            cell = d[(d.label == model) & (d.op == op) & (d.verified > 0)]
            text = f"{len(cell)}"
            if len(cell):
                text += f"\nsim {cell.max_similarity.mean():.2f}" + (f", new {int((~cell.seen_in_A).sum())}"
                                                                     if (~cell.seen_in_A).any() else "")
            ax.text(j, i, text, ha="center", va="center", color="black" if len(cell) else "0.55")
    ax.set_xticks(range(len(ops)), [str(op) for op in ops])
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    per = int(n.max().max()) if len(d) else 0
    ax.set(xlabel=f"op (B eval problems per op and model: {per})",
           title="B problems solved (sim: mean similarity to A's shapes; new: of a shape A never showed)")
    ax.title.set_wrap(True)
    return fig


# == controls ========================================================================================================

# None: the one knob, the exposure share, is the exposure chapter's, and Fig 5 draws each of its models.
