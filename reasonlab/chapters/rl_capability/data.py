"""The S3 chapter's data: the chapter object (S3) over the base, the RL arms and their reruns, and the small
helpers the verdicts and the tables share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ...experiments.recipes import Recipe
from ...generator import LabelledBand
from ...results import Estimate, Result, change, estimate, k_max, mean_log, paired_changes, paired_field_delta

RECIPE = "S3"
CHAPTER = "rl_capability"
PAPER_ROLES = ("in-dist", "mixed", "edge", "hard")  # the paper's four arms; the others are ours


@dataclass
class S3:
    """The chapter's data: the base (ladder result), the RL arms (S3 result), reruns of some arms with other RL
    seeds, and the recipe that made them."""

    base: Result
    runs: Result
    recipe: Recipe
    reruns: dict[int, Result]

    @cached_property
    def table(self) -> pd.DataFrame:
        """The tidy evaluation table of the base (model "base") and every RL arm."""
        return pd.concat([self.base.table, self.runs.table], ignore_index=True)

    @cached_property
    def k_max(self) -> int:
        """The largest k every model was evaluated at (RL arms may use fewer samples than the base)."""
        return k_max(self.table)

    @property
    def arms(self) -> list[str]:
        return self.runs.models

    @cached_property
    def roles(self) -> dict[str, str]:
        return {a.name: a.param("role") for a in self.recipe.arms if a.name in self.arms}

    def arm(self, role: str) -> str | None:
        return next((a for a, r in self.roles.items() if r == role), None)

    def records(self, run: Result | None = None) -> dict[str, list[dict]]:
        """Per-problem records {model: [...]}, the base first; of the seed-0 arms, or of a rerun."""
        run = run or self.runs
        return {"base": self.base.records("base"), **{m: run.records(m) for m in run.models}}

    @property
    def bands(self) -> tuple[LabelledBand, ...]:
        return self.recipe.evaluation.bands

    def changes(self, run: Result | None = None) -> pd.DataFrame:
        """Paired pass@1 and pass@k_max changes vs the base, per arm and eval band (of seed 0, or of a rerun)."""
        records = self.records(run)
        pairs = {arm: (records["base"], recs) for arm, recs in records.items() if arm != "base"}
        return paired_changes(pairs, self.bands, (1, self.k_max))

    def levels(self, run: Result | None = None) -> pd.DataFrame:
        """The tidy table of the base and the arms of seed 0, or of a rerun: the levels the verdicts check for 0."""
        return self.table if run is None else pd.concat([self.base.table, run.table], ignore_index=True)

    @cached_property
    def dt(self) -> pd.DataFrame:
        return self.changes()

    def nll_changes(self, run: Result | None = None) -> pd.DataFrame:
        """Paired changes of the gold solutions' mean NLL per token (RL minus base), per arm and eval band, of seed 0
        or of a rerun: the paper's Fig 10, with an interval over problems."""
        records = self.records(run)
        base = records["base"]
        rows = [{"arm": arm, "band": band.label, **vars(paired_field_delta(base, recs, band.op_range, "nll"))}
                for arm, recs in records.items() if arm != "base" for band in self.bands]
        return pd.DataFrame(rows).rename(columns={"value": "delta"})

    def value(self, model: str, band: str, metric: str = "pass@k", k=None) -> Estimate:
        return estimate(self.table, model, band, metric, k)


def _change(dt: pd.DataFrame, arm: str, band: str, k: int) -> Estimate:
    return change(dt, arm=arm, band=band, k=k)


def mean_reward(logs: dict, arm: str) -> float:
    """Mean training reward of an arm's GRPO steps (nan without a log)."""
    return mean_log(logs.get(arm, {}).get("rl", []), "reward_mean")
