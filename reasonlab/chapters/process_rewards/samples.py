"""The S6 chapter's samples: the reward arms' own outputs with the verifier's report (outputs.arms_samples), and
the arm the chapter shows."""

from __future__ import annotations

from ...results import Result
from .. import outputs
from .data import RECIPE, S6


def samples_result(ch: S6, fresh: bool = False) -> Result:
    """The arms' own outputs with the verifier's report, paired with the base's sample (outputs.arms_samples)."""
    return outputs.arms_samples(RECIPE, ch.recipe.scale.name, outputs.arm_checkpoints(ch.runs, ch.arms), fresh)


def example_arm(samples: Result) -> str | None:
    """The arm whose outputs the chapter shows: the strict one if it was sampled, else the first sampled arm."""
    arms = list(samples.data["arms"])
    return next((a for a in arms if a.endswith("-strict")), arms[0] if arms else None)
