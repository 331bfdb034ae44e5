"""The S3 chapter's data: the chapter object (S3) over the base, the RL arms and their reruns, and the small
helpers the verdicts and the tables share."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ...experiments.recipes import Recipe, get_recipe
from ...generator import LabelledBand
from ...results import (Estimate, Result, change, estimate, k_max, mean_log, paired_changes, paired_delta,
                        paired_field_delta)

RECIPE = "S3"
CALIBRATED = "S3-calibrated"  # S3's four bands with the scale's calibrated RL recipe (issue 25), where it has one
WIDE_EDGE = "RL-recheck"  # the calibrated edge arm's model and the base on 4x the edge problems (the same stages)
WIDE_ARMS = "S3-calibrated-wide"  # the other calibrated arms on the same problems (a description beside the rules)
RECIPES = (RECIPE, CALIBRATED, WIDE_EDGE, WIDE_ARMS)
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
    # the same four bands with the scale's calibrated RL recipe (an S3 of its own, on the same base), or None where
    # the scale has no calibrated recipe or its result is not committed
    calibrated: S3 | None = None
    # {RL seed: RL-recheck result}: of a calibrated chapter, its edge arm's model and the base on 4x the edge problems
    wide_edge: dict[int, Result] = field(default_factory=dict)
    # {RL seed: S3-calibrated-wide result}: its other arms on the same problems
    wide_arms: dict[int, Result] = field(default_factory=dict)

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

    @cached_property
    def wide_edge_arm(self) -> str | None:
        """The arm of the wide-edge result (RL-recheck) that is this chapter's edge arm: the one with the same
        stages, so the same trained model (None without a wide-edge result, or where no arm is the same model)."""
        edge = self.arm("edge")
        if not self.wide_edge or edge is None:
            return None
        ours = next(a for a in self.recipe.arms if a.name == edge).stages
        return next((a.name for a in self.wide_edge_recipe.arms if a.rl is not None and a.stages == ours), None)

    @cached_property
    def wide_edge_recipe(self) -> Recipe:
        return get_recipe(WIDE_EDGE, self.recipe.scale.name)

    def _wide_source(self, arm: str, rl_seed: int) -> tuple[Result | None, str | None]:
        """(result, arm name in it) of an arm's wide-edge evaluation: the edge arm's is RL-recheck's (the same
        model under its own name), the others' S3-calibrated-wide's."""
        if arm == self.arm("edge"):
            return self.wide_edge.get(rl_seed), self.wide_edge_arm
        return self.wide_arms.get(rl_seed), arm

    def wide_records(self, arm: str, rl_seed: int = 0) -> list[dict] | None:
        """An arm's per-problem records on the wide edge, of one RL seed (None where that seed's result lacks it)."""
        run, name = self._wide_source(arm, rl_seed)
        return run.records(name) if run is not None and name in run.models else None

    def wide_same_weights(self, arm: str, rl_seed: int = 0) -> bool | None:
        """Whether the model evaluated on the wide edge is this chapter's arm byte for byte (the RL stage's weight
        hashes in the two results' manifests agree); None where either result lacks it. A stage trained again
        (uncommitted weights, another machine) can differ in the last bits."""
        wide, name = self._wide_source(arm, rl_seed)
        ours = self.runs if rl_seed == 0 else self.reruns.get(rl_seed)
        hashes = [r.data.get("training_manifests", {}).get(a, {}).get("rl", {}).get("weights_sha256")
                  for r, a in ((ours, arm), (wide, name)) if r is not None]
        return hashes[0] == hashes[1] if len(hashes) == 2 and all(hashes) else None

    def wide_edge_change(self, rl_seed: int, k: int, count: str = "verified",
                         arm: str | None = None) -> Estimate | None:
        """An arm's paired change against the base on the wide edge (RL-recheck's 4x the edge problems), of one RL
        seed (the edge arm unless `arm` says; None where that seed has no wide-edge records of it); the base is
        RL-recheck's seed-0 result's."""
        records = self.wide_records(arm or self.arm("edge"), rl_seed) if self.wide_edge else None
        if records is None:
            return None
        (edge,) = self.wide_edge_recipe.evaluation.bands  # RL-recheck evaluates the edge band alone
        return paired_delta(self.wide_edge[0].records("base"), records, edge.op_range, k, count=count)


def _change(dt: pd.DataFrame, arm: str, band: str, k: int) -> Estimate:
    return change(dt, arm=arm, band=band, k=k)


def mean_reward(logs: dict, arm: str) -> float:
    """Mean training reward of an arm's GRPO steps (nan without a log)."""
    return mean_log(logs.get(arm, {}).get("rl", []), "reward_mean")
