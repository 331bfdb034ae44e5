"""The S5 chapter's rules: the RL shares the claims name, the base's check and the paper's numbers (Fig 6, and A.10's
Fig 18 and Table 3), fixed before any arm ran (each with where it was fixed)."""

from __future__ import annotations


# Fixed before any arm ran (lab notes, 2026-12-05, session 11, 07:25 UTC). "Above zero": the paired 95% bootstrap
# interval over problems lies above zero. Verified pass@k decides; outcome pass@k and the controls are shown beside.
PAPER_FIG6 = ("OOD-edge: full mid-training and light RL beat heavy/full RL, light RL best pass@1; OOD-hard: heavy RL "
              "best pass@1 and pass@128; mid + RL beats RL alone on hard by +10.8% (Fig 6)")
LIGHT, HEAVY, FULL_MID, FULL_RL = 0.2, 0.8, 0.0, 1.0
MIXED = (0.2, 0.5, 0.8)  # mid-training and RL both

# The base must pass the ladder's check before RL is spent on it (lab notes, session 11, 07:05 UTC): the ladder's
# calibration criteria (ladder.CRITERIA) at this evaluation's k, every one holding.
BASE_RULE = ("the ladder's calibration criteria at this evaluation's k (in-dist pass@k >= 0.9, edge pass@1 <= 0.3, "
             "edge pass@k in [0.1, 0.8], hard pass@k <= 0.05): the base passes when every one holds")


# A.10's rules, fixed with S5's before any arm ran (lab notes, session 11, 07:25 UTC): the light-RL edge claim and the
# heavy-RL hard claim per budget, reproduced if at every budget and partly if at some (S5's rules within each
# budget); heavy RL best hard pass@k at 2x in S5's form; full RL best hard pass@k at >= 4x, not testable without one.
PAPER_A10 = ("light RL best edge pass@1 and heavy RL best hard pass@1 at all budgets; pass@128 on hard: heavy RL best "
             "at 4.2B tokens (2x), full RL best at >= 8.4B (4x) (App. A.10, Fig 18, Table 3)")
