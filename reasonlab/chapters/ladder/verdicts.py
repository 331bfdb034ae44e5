"""The ladder chapter's verdicts: the calibration criteria on the base (and on any model of a tidy table), the ladder's
claim, `numbers` (the prose's glue) and the token-class reading by its rule."""

from __future__ import annotations

import pandas as pd

from ...experiments.scales import BANDS
from ...results import Result, estimate, k_max, select
from ..claims import Claim, gated
from .data import CHAPTER, Ladder
from .rules import CRITERIA, EDGE_CRITERION, NAME_JUMP, RULE


def criteria(ch: Ladder) -> pd.DataFrame:
    """Each calibration criterion the result can be checked against: our value with its interval, and whether
    it holds (the unseen-shape one only where the result has the unseen-shape test)."""
    return criteria_table(ch.table, "base")


def criteria_table(t: pd.DataFrame, model: str = "base") -> pd.DataFrame:
    """The calibration criteria on one model of a tidy result table, at the table's largest k: any base another
    recipe trains is checked by the ladder's rule before RL is spent on it (S5, A.7)."""
    rows = []
    km = k_max(t, model)
    bands = set(select(t, model, metric=None).key)
    for label, (band, k, ok) in CRITERIA.items():
        if band not in bands:
            continue
        e = estimate(t, model, band, "pass@k", k)
        rows.append({"criterion": label.replace("k_max", str(km)), "ours": round(e.value, 3),
                     "95% CI": f"[{e.lo:.3f}, {e.hi:.3f}]", "holds": bool(ok(e.value)), "rule": label})
    return pd.DataFrame(rows)


def claims(ch: Ladder) -> list[Claim]:
    """The ladder as one claim, decided by RULE from the criteria."""
    t = ch.table
    c = criteria(ch)
    edge = c[c.rule == EDGE_CRITERION]
    verdict = gated(bool(len(edge)) and bool(edge.holds.all()), list(c.holds))
    ours = "; ".join(f"{r.criterion}: {r.ours:.3f} {r['95% CI']}" for _, r in c.iterrows())
    edge_row = edge.iloc[0] if len(edge) else None
    headline = (f"edge {edge_row.criterion.split(' ')[1]} {edge_row.ours:.3f} {edge_row['95% CI']}; "
                f"{int(c.holds.sum())} of {len(c)} criteria hold") if edge_row is not None else ""
    return [Claim(CHAPTER, "A base model solves its training band, sometimes solves slightly harder problems (the "
                           "edge), never much harder ones",
                  "in-dist pass@128 ~1.0; edge pass@1 ~0.10, pass@128 ~0.40; hard pass@128 ~0 (Sec. 3)",
                  ours, verdict, RULE, headline, k=k_max(t))]


def numbers(ch: Ladder) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    t = ch.table
    c = criteria(ch)
    out = {"n_hold": int(c.holds.sum()), "n_criteria": len(c), "k_max": k_max(t), "verdict": claims(ch)[0].verdict}
    for band in BANDS:
        for k in (1, "max"):
            out[f"{band}_{k}"] = estimate(t, "base", band, k=k).fmt(digits=2)
    return out


def token_numbers(tokens: Result, recipe) -> dict:
    """The numbers the token-class reading quotes, and the reading itself by its rule (NAME_JUMP)."""
    sc = recipe.scale
    tok_t = pd.DataFrame(tokens.data["rows"])
    ents = tok_t[tok_t["class"] == "entity name"].set_index("op").share_below_half
    jump = ents.loc[sc.edge[0]] - ents.loc[sc.in_dist[1]]
    return {"name_err_in": f"{ents.loc[sc.in_dist[1]]:.1%}", "name_err_edge": f"{ents.loc[sc.edge[0]]:.1%}",
            "op_in_top": sc.in_dist[1], "op_edge_first": sc.edge[0],
            "name_reading": "a jump of the kind a model shows that memorised its band's shapes" if jump > NAME_JUMP
            else "no jump at the band's edge, as a model that learned the step procedure shows"}
