"""The S5 chapter's data: its names (the recipes S5 and A.10, the chapter), the `MidRL` object (the S5 result, A.10's
where committed, and the recipe that made them), `load`, and A.10 as one S5-shaped view per budget."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

from ...evaluate import pass_at_k
from ...experiments.recipes import Recipe, get_recipe
from ...experiments.runner import evaluation_key, stage_dirs
from ...results import Estimate, RecipeRuns, Result, estimate, load_or_run, paired_delta


RECIPE = "S5"
BUDGETS_RECIPE = "A.10"  # the same split at several budgets (App. A.10); its arms are named T<m>x-beta-<beta>
RECIPES = (RECIPE, BUDGETS_RECIPE)
CHAPTER = "mid_vs_rl"


@dataclass
class MidRL(RecipeRuns):
    """The chapter's data: the S5 result (the base and one arm per beta at one budget) and the recipe that made it."""

    runs: Result
    recipe: Recipe
    budgets: Result | None = None  # the A.10 result (its base and arms at every budget), where committed

    @property
    def arms(self) -> list[str]:
        """The beta arms that have run, in the recipe's order (beta 0 first; the base is not one)."""
        return [a.name for a in self.recipe.arms if a.name != "base" and a.name in self.runs.models]

    @cached_property
    def beta_of(self) -> dict[str, float]:
        """{arm: beta} of every arm of the recipe (run or not)."""
        return {a.name: a.param("beta") for a in self.recipe.arms if a.name != "base"}

    def arm(self, beta: float) -> str | None:
        """The arm of RL share `beta` if it has run."""
        return next((a for a in self.arms if self.beta_of[a] == beta), None)

    def against(self, arm: str, other: str, band: str, k: int) -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        return paired_delta(self.runs.records(other), self.runs.records(arm), self.band(band), k)

    def value(self, model: str, band: str, k: int) -> Estimate:
        return estimate(self.table, model, band, "pass@k", k)

    def level(self, model: str, band: str, k: int) -> float:
        """Mean verified pass@k of a model on a band, from its per-problem records (what the paired rules compare)."""
        lo, hi = self.band(band)
        rs = [r for r in self.runs.records(model) if lo <= r["op"] <= hi]
        return sum(pass_at_k(r["n"], r["verified"], k) for r in rs) / len(rs)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> MidRL:
    """The committed S5 result and, where committed, A.10's (fresh: run the base and every arm of both now; without
    fresh nothing trains, and a missing S5 result raises FileNotFoundError)."""
    try:
        budgets = load_or_run(BUDGETS_RECIPE, scale, seed, fresh)
    except FileNotFoundError:
        budgets = None  # A.10 not yet run at this scale: its section says so
    return MidRL(load_or_run(RECIPE, scale, seed, fresh), get_recipe(RECIPE, scale), budgets)


def budget_views(ch: MidRL) -> dict[float, MidRL]:
    """A.10 as one S5-shaped view per budget multiple ({multiple: MidRL}): the base and that budget's arms, so every
    S5 table, figure and rule applies to each budget unchanged. A budget whose arms A.10's own result lacks but S5 holds
    (the same models evaluated on the same problems: S5 is A.10 at 1x) is read from S5 rather than trained twice; a
    budget with neither, or whose result lacks the base its arms are paired with, is left out."""
    recipe = get_recipe(BUDGETS_RECIPE, ch.recipe.scale.name)
    base = [a for a in recipe.arms if a.name == "base"]
    views = {}
    for m in recipe.scale.budget_multipliers:
        budget = dataclasses.replace(recipe, arms=tuple(
            base + [a for a in recipe.arms if a.name != "base" and a.param("budget_x") == m]))
        own = None if ch.budgets is None else MidRL(ch.budgets, budget)
        if (own is None or len(own.arms) < len(own.beta_of)) and _same_models(budget, ch.recipe):
            views[m] = ch
        elif own is not None and own.arms and "base" in own.runs.models:  # changes are paired with A.10's base
            views[m] = own
    return views


def _same_models(budget: Recipe, s5: Recipe) -> bool:
    """Whether one A.10 budget's arms are S5's arms, beta by beta: the same stage keys and the same evaluation."""
    def keys(recipe):
        return {a.param("beta"): [p.name for p, _ in stage_dirs(recipe, a).values()] for a in recipe.arms}

    return evaluation_key(budget) == evaluation_key(s5) and keys(budget) == keys(s5)
