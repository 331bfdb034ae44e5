"""The exposure chapter's rules: the constants the verdicts use, fixed before the runs (each with where it was
fixed), the paper's numbers, and the base check that decides which exposure shares carry a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...generator import LabelledBand
from ...results import Result
from .core import A, value

if TYPE_CHECKING:
    from .data import Exposure


LOW_SHARE = 0.01  # shares below this are the paper's "minimal exposure" (0% and 0.1%)

# Rules fixed before the runs (lab notes, 2026-12-02 session 4).
A_MIN = 0.9  # a base qualifies for RL when its A pass@k_max is >= this on both halves
FLAT_TOL = 0.05  # "A stays stable": every A change >= -FLAT_TOL
REWARD_WINDOW = 5  # A.8: the reward gain compares the mean reward of the last and the first steps
DIMINISHING_TOL = 0.05  # A.6.2: the 100% arm's B gain at most this above the 50% arm's
SECOND_SEED_SHARES = (0.01, 0.1)  # the budget: a second RL seed for these exposure shares

PAPER = {  # the paper's numbers (Sec. 4, Fig 4; App. A.6, A.8)
    "S4": "0% or 0.1% B: no transfer; >= 1% B: strong transfer up to op 20, up to +60 points pass@128 (Fig 4)",
    "A": "A stays stable (Fig 4, Fig 13)",
    "A.8": "reward flat at minimal exposure, clear gain at moderate to full exposure (Fig 17)",
    "A.6.1": "even 0% B in RL transfers clearly; more B in RL is better (Fig 12)",
    "A.6.2": "0-1% B: little transfer, flat reward; ~10% B: +76 points pass@128 on B; 50-100%: diminishing (Fig 13-14)",
}


def knows_a(result: Result, base: str, bands: Sequence[LabelledBand], k: int) -> bool:
    """The base check: A pass@k >= A_MIN on every half (a base must know A before B can borrow from it)."""
    return all(value(result, base, A, band.label, k).value >= A_MIN for band in bands)


def qualifying_shares(ch: Exposure) -> set[float]:
    """The exposure shares whose standing base (`Exposure.pairs`) passes the base check: only their RL arms carry a
    verdict (rule fixed before the runs; an arm from a base that fails it is shown as exploration)."""
    return {s for s, (base, _) in ch.pairs.items() if ch.qualifies(base)}
