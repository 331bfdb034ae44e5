"""The A.7 chapter's rules: the RL gate and the constants the claims use, fixed before any RL arm of A.7 ran (each
with where it was fixed), and the paper's numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...results import Estimate, k_max

if TYPE_CHECKING:
    from .data import PretrainDifficulty


# Fixed before any RL arm of A.7 ran (book/lab-notes.md, 2026-12-05, session 14, "20:53, A.7's rules"):
#   "RL (the edge band, the scale's RL settings until the RL recipe is calibrated; one seed, two for the 20% arm) is
#   spent on a base only if its verified edge pass@64 is at least 0.1: a base that verifies less on the edge gives
#   GRPO almost no verified success to sharpen, and is reported as such. 'Above zero' means the paired 95% bootstrap
#   interval over problems lies above zero; verified pass@k decides, with outcome pass@k, the hacked share and the
#   blind guesser beside it."
# 64 is the evaluation's largest k (its samples per problem); the gate reads the base's own largest k.
RL_GATE = 0.1
GATE_RULE = (f"RL is spent on a base only if its verified edge pass@k_max is at least {RL_GATE:g} (lab notes, "
             "session 14, 20:53): a base that verifies less on the edge gives GRPO almost no verified success to "
             "sharpen")
PAPER_FIG15 = ("more hard data in pre-training helps the base and RL; RL's gain is largest at ~20% hard data (+22 "
               "points pass@128 on op 15-20) (App. A.7, Fig 15)")
PAPER_FIG16 = "the training reward rises most at 20-50% hard data (App. A.7, Fig 16)"
TARGET_SHARE = 0.2  # the paper's "~20%"
RISE_SHARES = (0.2, 0.5)  # the paper's "20-50%"
RISE_STEPS = 5  # the rise = mean reward over the last 5 GRPO steps minus the first 5 (the lab notes' rule)
MIN_RL_ARMS = 3  # claims 2 and 3 are not testable with fewer RL arms (bases given RL)


def gate_value(ch: PretrainDifficulty, base: str) -> Estimate:
    """A base's verified edge pass@k at its own largest k (the evaluation's 64 at the laptop scale)."""
    return ch.value(base, "edge", k_max(ch.table, base))


def rl_allowed(ch: PretrainDifficulty, base: str) -> bool:
    """The RL gate: the base has run and its verified edge pass@k_max is at least RL_GATE."""
    return base in ch.bases and gate_value(ch, base).value >= RL_GATE
