"""The A.7 chapter's data: its names (the recipe, the two stages of its arms), the `PretrainDifficulty` object (the
A.7 result and the recipe that made it), `load`, each base's token-class accuracy and how a hard share is written."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from ...experiments.analyses import save_token_accuracy
from ...experiments.recipes import Recipe, get_recipe
from ...experiments.runner import finished_stage, run_recipe
from ...results import (Estimate, RecipeRuns, Result, estimate, load_or_compute, load_or_run, paired_delta, reruns,
                        with_rerun)
from .rules import rl_allowed


RECIPE = "A.7"
CHAPTER = "pretrain_difficulty"
# The stages of the recipe's arms (each arm's param "stage"): the base, RL with the paper's outcome reward, and RL with
# the scale's calibrated recipe (where the scale has one)
BASE, RL, CALIBRATED = "base", "rl", "calibrated"


@dataclass
class PretrainDifficulty(RecipeRuns):
    """The chapter's data: the A.7 result (the bases and RL arms run so far), the recipe that made it, and reruns of
    some RL arms with other RL seeds ({RL seed: result}; the rules ask two seeds of the 20% arm)."""

    runs: Result
    recipe: Recipe
    reruns: dict[int, Result] = field(default_factory=dict)
    rl_stage: str = RL  # the RL arms this view reads: the paper's setting (RL) or the calibrated recipe (CALIBRATED)

    def calibrated(self) -> PretrainDifficulty | None:
        """The same chapter reading the calibrated recipe's RL arms (None before any of them has run)."""
        view = replace(self, rl_stage=CALIBRATED)
        return view if view.rl_arms else None

    def by_seed(self) -> dict[int, PretrainDifficulty]:
        """{RL seed: the chapter with that seed's RL arms}: seed 0 (this one), and each rerun's arms in place of seed
        0's (an arm the rerun does not have stays seed 0's; same problems and sampling seeds, so still paired)."""
        return {0: self, **{n: replace(self, runs=with_rerun(self.runs, r), reruns={}) for n, r in self.reruns.items()}}

    def seed_label(self, arm: str, seed: int) -> str:
        """An arm as a table row names it: its name, with the RL seed where the arm ran with several."""
        return f"{arm} (RL seed {seed})" if any(arm in r.models for r in self.reruns.values()) else arm

    def seed_rows(self, models: list[str]) -> list[tuple[str, str, PretrainDifficulty]]:
        """(row label, model, the chapter with that row's RL seed) for each of `models` and each RL seed it ran with:
        what a table row or a figure line per seed reads."""
        views = self.by_seed()
        return [(self.seed_label(m, n), m, view) for m in models for n, view in views.items()
                if n == 0 or m in self.reruns[n].models]

    def records_by_seed(self, models: list[str]) -> dict[str, list[dict]]:
        """{row label: per-problem records} of `models`, each RL seed of an arm that ran with several its own row."""
        return {label: view.runs.records(m) for label, m, view in self.seed_rows(models)}

    @cached_property
    def share_of(self) -> dict[str, float]:
        """{arm: hard share} of every arm of the recipe (run or not)."""
        return {a.name: a.param("hard_share") for a in self.recipe.arms}

    @cached_property
    def stage_of(self) -> dict[str, str]:
        """{arm: "base" or "rl"} of every arm of the recipe."""
        return {a.name: a.param("stage") for a in self.recipe.arms}

    @property
    def shares(self) -> list[float]:
        """The recipe's hard shares, smallest first."""
        return sorted(set(self.share_of.values()))

    def named(self, share: float, stage: str) -> str | None:
        """The recipe's arm of one share and stage (run or not; None where the recipe has none, e.g. no calibrated
        arm at a scale without a calibrated RL recipe)."""
        return next((a for a, h in self.share_of.items() if h == share and self.stage_of[a] == stage), None)

    def _run(self, stage: str) -> list[str]:
        return [self.named(h, stage) for h in self.shares if self.named(h, stage) in self.runs.models]

    @property
    def bases(self) -> list[str]:
        """The bases that have run, smallest hard share first."""
        return self._run(BASE)

    @property
    def rl_arms(self) -> list[str]:
        """The RL arms of this view's setting (rl_stage) that have run, smallest hard share first."""
        return self._run(self.rl_stage)

    def rl_arm(self, share: float) -> str | None:
        """The RL arm of this view's setting at one share (run or not)."""
        return self.named(share, self.rl_stage)

    def base_of(self, arm: str) -> str:
        """The base an RL arm starts from (the base of its share)."""
        return self.named(self.share_of[arm], BASE)

    def value(self, model: str, band: str, k: int | str = "max") -> Estimate:
        return estimate(self.table, model, band, "pass@k", k)

    def against(self, arm: str, other: str, band: str, k: int) -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        return paired_delta(self.runs.records(other), self.runs.records(arm), self.band(band), k)

    @cached_property
    def problem_sets(self) -> dict:
        """The evaluation's own problems (generated once: the blind guesser's answer prior)."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> PretrainDifficulty:
    """The committed A.7 result with its committed reruns (fresh: run every base now, then RL from each base the gate
    allows, seed 0 only; without fresh nothing trains, and a missing result raises FileNotFoundError)."""
    recipe = get_recipe(RECIPE, scale)
    if fresh:
        # the gate decides which RL arms run, so the bases run first (a base the gate refuses gets no RL)
        bases = [a.name for a in recipe.arms if a.param("stage") == BASE]
        run_recipe(RECIPE, scale, arms=bases, seed=seed, progress=False)
        ch = PretrainDifficulty(load_or_run(RECIPE, scale, seed), recipe)
        allowed = [a.name for a in recipe.arms if a.param("stage") != BASE and rl_allowed(ch, ch.base_of(a.name))]
        if allowed:
            run_recipe(RECIPE, scale, arms=allowed, seed=seed, progress=False)
        return PretrainDifficulty(load_or_run(RECIPE, scale, seed), recipe)
    return PretrainDifficulty(load_or_run(RECIPE, scale, seed), recipe, reruns(RECIPE, scale, seed))


TOKEN_RESULT = "A.7-tokens-{base}-{scale}"  # one per base: committed where computed, else from its checkpoint


def token_accuracy_results(ch: PretrainDifficulty, seed: int = 0, fresh: bool = False) -> dict[str, Result]:
    """{base: token-class accuracy} (experiments.analyses) of every base whose result is committed or whose trained
    checkpoint is here, smallest hard share first; a base not trained yet is left out (nothing trains here)."""
    out = {}
    for h in ch.shares:
        base = ch.named(h, BASE)
        name = TOKEN_RESULT.format(base=base, scale=ch.recipe.scale.name) + (f"-seed{seed}" if seed else "")
        final = finished_stage(ch.recipe, base, "pretrain", seed)
        try:
            out[base] = load_or_compute(name, fresh and final is not None, lambda: _compute(name, final, ch, seed))
        except FileNotFoundError:  # no committed result and no checkpoint
            continue
    return out


def _compute(name: str, final, ch: PretrainDifficulty, seed: int) -> None:
    if final is None:
        raise FileNotFoundError(f"{name}: no committed result and its base is not trained")
    save_token_accuracy(name, final, ch.recipe.scale, seed, recipe=RECIPE)


def pct(share: float) -> str:
    """A hard share as the page writes it: 0.001 -> "0.1%"."""
    return f"{share * 100:g}%"
