"""The exposure chapter's names (its recipes, contexts and labels) and the helpers on results that every part of it
reads: paired changes against a base, a share as a percentage, one pass@k value, A.6's arms."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...experiments.recipes import get_recipe
from ...generator import LabelledBand
from ...results import Estimate, Result, paired_changes, paired_delta


RECIPE = "S4"
A6 = ("A.6.1", "A.6.2")
RECIPES = (RECIPE, *A6)  # every recipe whose results the chapter reads (the scoreboard's list of covered findings)
CHAPTER = "exposure"
A, B = "animals-zoo", "teachers-school"
TEMPLATES = {A: "A (animals-zoo)", B: "B (teachers-school)"}
LETTER = {A: "A", B: "B"}
HALVES = ("low", "high")  # the context ops' low and high halves (paper: op 2-10 and 11-20)


def _of(records: list[dict], template: str) -> list[dict]:
    return [r for r in records if r["template"] == template]


def paired_change(result: Result, base: str, model: str, template: str, ops: tuple[int, int], k: int,
                  count: str = "verified", model_result: Result | None = None) -> Estimate:
    """pass@k of `model` minus `base` on one context's problems of ops, paired per problem; the model's records come
    from `model_result` when it is another result on the same problems (a rerun with another RL seed)."""
    return paired_delta(_of(result.records(base), template), _of((model_result or result).records(model), template),
                        ops, k, count=count)


def changes_of(result: Result, pairs: dict, bands: Sequence[LabelledBand], k_max: int, key: str) -> pd.DataFrame:
    """Paired pass@1 and pass@k_max changes, model minus its base, per template and band (results.paired_changes);
    `pairs` is {label: (base model, model)} of `result` and the label goes in column `key`."""
    records = {label: (result.records(base), result.records(model)) for label, (base, model) in pairs.items()}
    return paired_changes(records, bands, (1, k_max), key, templates=(A, B))


def pct(share: float) -> str:
    return f"{share * 100:g}%"


def value(result: Result, model: str, template: str, band: str, k) -> Estimate:
    return result.value(model, f"{template}:{band}", "pass@k", k)


def a6_pairs(result: Result) -> dict[float, tuple[str, str]]:
    """{B share of the RL data: ("base", arm)} of an A.6 result."""
    recipe = get_recipe(result.manifest["config"]["recipe"], result.manifest["config"]["scale"])
    return {a.param("rl_b_share"): ("base", a.name) for a in recipe.arms if a.rl and a.name in result.models}
