"""The ladder chapter's data: its names, the `Ladder` object (the base model's result and its recipe, with the blind
guesser beside it), `load`, the base model's checkpoint, and the token-accuracy result (teacher-forced probabilities
of the gold tokens per op and token class)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from ...evaluate import guess_baseline
from ...experiments.analyses import save_token_accuracy
from ...experiments.recipes import Recipe, get_recipe
from ...experiments.runner import finished_stage, result_name, run_recipe
from ...generator import LabelledBand
from ...results import Result, load_or_compute, load_or_run, select


RECIPE = "ladder"
CHAPTER = "ladder"


@dataclass
class Ladder:
    """The chapter's data: the base model's result (its tidy table, records and training log) and its recipe."""

    result: Result
    recipe: Recipe

    @property
    def table(self) -> pd.DataFrame:
        return self.result.table

    @property
    def manifest(self) -> dict:
        return self.result.manifest

    @cached_property
    def problem_sets(self) -> dict:
        """The evaluation's own problems ({label: problems}), generated once: the blind guesser's answer prior."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)

    @cached_property
    def guess(self) -> pd.DataFrame:
        """The blind guesser beside outcome pass@k (it never reads the question; it draws answers from the other
        gold answers of the same band, or op): summarise's tidy rows, metric "guess_pass@k", per band (group
        "band") and per op (group "op"), at the result's ks, on the evaluation's own problems."""
        sets = self.problem_sets
        ks = sorted({int(k) for k in self.table.k.dropna()})
        ops = sorted({int(op) for op in select(self.table, "base", group="op").key})
        by_band = guess_baseline(sets, self.recipe.evaluation.bands, ks)
        by_op = guess_baseline(sets, [LabelledBand(str(op), op, op) for op in ops], ks).assign(group="op")
        return pd.concat([by_band, by_op], ignore_index=True)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Ladder:
    """The committed base-model result (fresh: train and evaluate it now; without fresh nothing trains, and a
    missing result raises FileNotFoundError)."""
    return Ladder(load_or_run(RECIPE, scale, seed, fresh), get_recipe(RECIPE, scale))


def base_checkpoint(scale: str = "laptop", seed: int = 0) -> Path:
    """The finished checkpoint of the ladder's base model (the committed one where there is one); at the smoke
    scale trained now (seconds) when missing, at a larger scale refused with the command that trains it."""
    recipe = get_recipe(RECIPE, scale)
    final = finished_stage(recipe, "base", "pretrain", seed)
    if final is None:
        if scale != "smoke":
            raise FileNotFoundError(f"no base model of {result_name(RECIPE, scale, seed)} trained yet; run "
                                    f"`python -m reasonlab run {RECIPE} --scale {scale}` first")
        run_recipe(RECIPE, scale, seed=seed, progress=False)
        final = finished_stage(recipe, "base", "pretrain", seed)
    return final


TOKEN_RESULT = "ladder-tokens-{scale}"  # committed for laptop; computed from the base checkpoint otherwise


def token_accuracy_result(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Result:
    """The committed token-accuracy result of the ladder's base model, or (fresh, or none committed) computed
    now from the base checkpoint (experiments.analyses)."""
    name = TOKEN_RESULT.format(scale=scale) + (f"-seed{seed}" if seed else "")
    return load_or_compute(name, fresh, lambda: save_token_accuracy(
        name, base_checkpoint(scale, seed), get_recipe(RECIPE, scale).scale, seed, recipe=RECIPE))
