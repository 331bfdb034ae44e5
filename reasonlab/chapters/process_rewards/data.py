"""The S6 chapter's data: its names (the recipe, the RL recipe's calibration, the GRPO log's per-step controls), the
`S6` object (the S6 result, its reruns with other RL seeds, the recipe and the committed calibration results) and
`load`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

import pandas as pd

from ...experiments.recipes import Recipe, get_recipe
from ...experiments.runner import COMMITTED_ARTIFACTS
from ...results import (Estimate, RecipeRuns, Result, estimate, load_or_run, paired_changes, paired_delta, reruns,
                        with_rerun)


RECIPE = "S6"
CALIBRATION = "RL-recipe"  # the laptop RL recipe's knobs (issue 25), read beside S6 where committed
RECHECK = "RL-recheck"  # one knob's arms on 4x the edge problems (issue 25's re-check), read where committed
CHAPTER = "process_rewards"
# The GRPO log's per-step controls (issue 25); results collected before the runner kept them read them from the
# committed log of the same stage (data/checkpoints/<key>/log.jsonl).
CONTROL_KEYS = ("outcome_mean", "verified_mean", "hacked_share", "frac_groups_verified", "reward_by_op")


@dataclass
class S6(RecipeRuns):
    """The chapter's data: the S6 result (the base and the reward arms), reruns of some arms with other RL seeds,
    and the recipe that made them."""

    runs: Result
    recipe: Recipe
    reruns: dict[int, Result]
    calibration: dict[int, Result] = field(default_factory=dict)  # {RL seed: RL-recipe result}, the knobs' arms
    recheck: dict[int, Result] = field(default_factory=dict)  # {RL seed: RL-recheck result}, on 4x the edge

    @property
    def arms(self) -> list[str]:
        """The RL arms that have run, in the recipe's order (the base is not one)."""
        return [m for m in self.runs.models if m != "base"]

    @cached_property
    def reward_of(self) -> dict[str, str]:
        """{arm: reward name} ("outcome", "mix-0.2", "process", "strict", "random", ...)."""
        return {a.name: a.param("reward") for a in self.recipe.arms if a.name in self.arms}

    def arm(self, reward: str) -> str | None:
        return next((a for a, r in self.reward_of.items() if r == reward), None)

    @cached_property
    def setting_of(self) -> dict[str, tuple[str, str]]:
        """{RL-recipe arm: (reward, knob)} of the calibration's RL arms, read from the recipe's arm params (its
        "strict" arm, the scale's settings, has no knob and is S6's own strict arm: not listed)."""
        return {a.name: (a.param("reward"), a.param("knob")) for a in self.calibration_recipe.arms
                if a.param("knob") is not None}

    @cached_property
    def calibration_recipe(self) -> Recipe:
        return get_recipe(CALIBRATION, self.recipe.scale.name)

    @cached_property
    def recheck_recipe(self) -> Recipe:
        return get_recipe(RECHECK, self.recipe.scale.name)

    def start_records(self, arm: str) -> list[dict]:
        """The per-problem records of the model a calibration arm's RL started from, which it is judged against: the
        base (S6's), or RL-recipe's mid model (evaluated in its seed-0 result on the same problems)."""
        start = self.calibration_recipe.arm(arm).param("start")
        return self.runs.records("base") if start == "base" else self.calibration[0].records(start)

    def records(self, run: Result | None = None) -> dict[str, list[dict]]:
        """Per-problem records {model: [...]} of seed 0, or with a rerun's arms in place of seed 0's (an arm the rerun
        does not have stays seed 0's: the same problems and sampling seeds, so still paired)."""
        runs = with_rerun(self.runs, run) if run else self.runs
        return {m: runs.records(m) for m in runs.models}

    def changes(self, run: Result | None = None) -> pd.DataFrame:
        """Paired pass@1 and pass@k_max changes against the base, per arm and band."""
        recs = self.records(run)
        return paired_changes({a: (recs["base"], recs[a]) for a in self.arms}, self.bands, (1, self.k_max))

    def against(self, arm: str, other: str, band: str, k: int, run: Result | None = None,
                count: str = "verified") -> Estimate:
        """Paired change arm - other on one band (the same problems and sampling seeds)."""
        recs = self.records(run)
        return paired_delta(recs[other], recs[arm], self.band(band), k, count=count)

    def value(self, model: str, band: str, metric: str = "pass@k", k=None) -> Estimate:
        return estimate(self.table, model, band, metric, k)

    def step_log(self, arm: str) -> list[dict]:
        """The arm's GRPO log, one row per step, with the per-step controls: the result's own log, completed from
        the committed log of the same stage where the result was collected before the runner kept them."""
        rows = self.runs.logs(arm, "rl")
        if rows and all(k in rows[0] for k in CONTROL_KEYS):
            return rows
        parent = self.runs.data.get("arm_work", {}).get(arm, {}).get("parent")  # .../<stage key>/final
        committed = COMMITTED_ARTIFACTS / PurePosixPath(parent).parent.name / "log.jsonl" if parent else None
        if committed is None or not committed.exists():
            return rows
        committed_rows = [json.loads(line) for line in committed.read_text().splitlines() if line.strip()]
        extra = {r["step"]: r for r in committed_rows}
        return [r | {k: extra.get(r["step"], {}).get(k) for k in CONTROL_KEYS if k not in r} for r in rows]


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> S6:
    """The committed S6 result with its committed reruns (fresh: run the base and every arm now; without fresh
    nothing trains, and a missing result raises FileNotFoundError)."""
    runs = load_or_run(RECIPE, scale, seed, fresh)
    if fresh:
        return S6(runs, get_recipe(RECIPE, scale), {})
    return S6(runs, get_recipe(RECIPE, scale), reruns(RECIPE, scale, seed), _committed(CALIBRATION, scale, seed),
              _committed(RECHECK, scale, seed))


def _committed(recipe: str, scale: str, seed: int) -> dict[int, Result]:
    """A calibration recipe's committed results ({RL seed: result}; empty when none is committed at this scale)."""
    try:
        first = {0: load_or_run(recipe, scale, seed)}
    except FileNotFoundError:
        return {}
    return first | reruns(recipe, scale, seed)
