"""The S5 chapter's samples: the arms' own outputs with the verifier's report (outputs.arms_samples), and the arm the
chapter shows."""

from __future__ import annotations

from ...results import Result
from .. import outputs
from .data import RECIPE, MidRL
from .rules import LIGHT


def samples_result(ch: MidRL, fresh: bool = False) -> Result:
    """The arms' own outputs with the verifier's report, paired with the base's sample (outputs.arms_samples)."""
    return outputs.arms_samples(RECIPE, ch.recipe.scale.name, outputs.arm_checkpoints(ch.runs, ch.arms), fresh)


def example_arm(samples: Result) -> str | None:
    """The arm whose outputs the chapter shows: light RL (beta 0.2) if it was sampled, else the first sampled arm."""
    arms = list(samples.data["arms"])
    return next((a for a in arms if a == f"beta-{LIGHT:g}"), arms[0] if arms else None)
