"""The exposure chapter's data: the `Exposure` object (S4's result, its recipe, the committed A.6 results and S4's
reruns with other RL seeds, and the pairs of base and RL arm the chapter reads) and `load`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ...experiments.recipes import Recipe, get_recipe
from ...generator import Band, LabelledBand, band_named
from ...results import Result, k_max, load_or_run, reruns
from .core import A6, RECIPE, a6_pairs, changes_of, pct
from .rules import knows_a


@dataclass
class Exposure:
    """The chapter's data: the S4 result (a base and an RL arm per exposure share), the recipe, the A.6 results
    that are committed ({recipe id: result}) and S4's reruns of some RL arms with other RL seeds ({rl_seed:
    result}, evaluated on the same problems, so paired with the same bases)."""

    runs: Result
    recipe: Recipe
    a6: dict[str, Result] = field(default_factory=dict)
    seed: int = 0
    reruns: dict[int, Result] = field(default_factory=dict)

    @cached_property
    def k_max(self) -> int:
        return k_max(self.runs.table)

    @property
    def bands(self) -> tuple[LabelledBand, ...]:
        """The context ops' low and high halves (the evaluation's bands)."""
        return self.recipe.evaluation.bands

    def band(self, label: str) -> Band:
        """The op range (lo, hi) of the half labelled `label` ("low" or "high")."""
        return band_named(self.bands, label).op_range

    def _pairs(self, stages: tuple[str, str]) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)} of the arms at `stages` (base, RL) whose base was evaluated."""
        out: dict[float, list] = {}
        for a in self.recipe.arms:
            if a.name in self.runs.models and a.param("stage") in stages:
                out.setdefault(a.param("b_share"), [None, None])[a.rl is not None] = a.name
        return {s: (base, rl) for s, (base, rl) in sorted(out.items()) if base is not None}

    @cached_property
    def shares(self) -> dict[float, tuple[str, str | None]]:
        """{B share of pre-training: (base model, RL model or None)} of the paper's mapping, for every share whose
        base was evaluated."""
        return self._pairs(("base", "rl"))

    @cached_property
    def held_a(self) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)} of the mapping revision: a base whose A tokens are held at the 0%
        base's (S4_HELD_A_SHARES), for every share whose held-A base was evaluated."""
        return self._pairs(("heldA-base", "heldA-rl"))

    @cached_property
    def shown(self) -> dict[str, tuple[str, str | None]]:
        """{label: (base, RL model or None)} of every base the figures draw: the paper mapping's per share ("10%"),
        then the held-A ones ("10% A held")."""
        return {pct(s): pair for s, pair in self.shares.items()} | {
            f"{pct(s)} A held": pair for s, pair in self.held_a.items()}

    def qualifies(self, base: str) -> bool:
        return knows_a(self.runs, base, self.bands, self.k_max)

    @cached_property
    def pairs(self) -> dict[float, tuple[str, str | None]]:
        """{B share: (base, RL model or None)}: the pair that stands for each share in the verdicts, Fig 5 and the
        samples. The paper mapping's, or the held-A one where the paper mapping's base fails the base check and
        the held-A base passes it (rule fixed before that run: lab notes, session 7)."""
        out = dict(self.shares)
        for s, (base, rl) in self.held_a.items():
            if s in out and not self.qualifies(out[s][0]) and self.qualifies(base):
                out[s] = (base, rl)
        return out

    @cached_property
    def strict(self) -> dict[float, tuple[str, str]]:
        """{B share: (base, strict-reward RL arm)} of the arms beyond the paper that have run."""
        return {a.param("b_share"): (self.shares[a.param("b_share")][0], a.name) for a in self.recipe.arms
                if a.param("stage") == "rl-strict" and a.name in self.runs.models and a.param("b_share") in self.shares}

    @cached_property
    def problem_sets(self) -> dict:
        """S4's evaluation problems ({label: problems}), generated once (A.6 evaluates the same ones)."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)

    @cached_property
    def dt(self) -> pd.DataFrame:
        """Paired changes of every RL arm vs its own base: one row per (share, template, band, k)."""
        pairs = {s: (base, rl) for s, (base, rl) in self.shares.items() if rl}
        return changes_of(self.runs, pairs, self.bands, self.k_max, "share")


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Exposure:
    """The committed S4 result, whichever A.6 results are committed, and S4's committed reruns with other RL seeds
    (fresh: run S4 and A.6 now; without fresh nothing trains, and a missing S4 result raises FileNotFoundError)."""
    runs = load_or_run(RECIPE, scale, seed, fresh)
    a6 = {}
    for rid in A6:
        try:
            a6[rid] = load_or_run(rid, scale, seed, fresh)
        except FileNotFoundError:  # not run yet at this scale: the chapter says so
            pass
    return Exposure(runs, get_recipe(RECIPE, scale), a6, seed, reruns(RECIPE, scale, seed) if not fresh else {})


def a6_deltas(ch: Exposure, rid: str) -> pd.DataFrame:
    result = ch.a6[rid]
    return changes_of(result, a6_pairs(result), ch.bands, k_max(result.table), "rl_share")
