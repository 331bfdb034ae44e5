"""The S6 chapter's rules: the constants the verdicts read, fixed before the mix arms' results (each with where it
was fixed), the paper's numbers, and the laptop RL recipe's criterion and the bf16 check, fixed before their runs."""

from __future__ import annotations


# Fixed before the mix arms' results (lab notes, 2026-12-04, session 9, 18:22 UTC; one gate added at 18:40). Every
# comparison is paired per problem against the outcome arm (or mix-0.2), with its 95% bootstrap interval; "above
# zero" means the interval is.
PAPER_FIG7 = "process-aware rewards raise op 15-20 pass@1 by 4-5%; 0.2 R_out + 0.8 R_pv balances best; strict " \
             "gives a further clear gain (Fig 7)"
PROCESS_AWARE = ("mix-0.8", "mix-0.5", "mix-0.2", "process", "strict")  # every reward that sees the steps
LINEAR = ("outcome", "mix-0.8", "mix-0.5", "mix-0.2", "process")  # a R_out + (1 - a) R_pv
MIN_LINEAR = 3  # "balances best" needs at least three linear arms to compare

# The laptop RL recipe's criterion (lab notes, 2026-12-04, session 8, 15:43 UTC, fixed before the S6 runs): an
# edge-band arm (1) raises verified edge pass@k_max with a paired 95% interval above zero, (2) beats its
# random-reward control (same settings) with the paired interval above zero, and (3) leaves in-dist pass@k_max
# within its interval of the base (the paired interval reaches zero or lies above it), each in two RL seeds.
CRITERION_SEEDS = 2


# Fixed before the bf16 arm ran (lab notes, session 13, 18:10 UTC): bf16 GRPO "agrees" with fp32 when the paired 95%
# interval of (bf16 - fp32) contains 0 on each of these (band, k); k None is the evaluation's largest k.
PRECISION_CHECKS = (("edge", 1), ("edge", None), ("in_dist", None))
