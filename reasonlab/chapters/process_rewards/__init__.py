"""The "Process rewards and reward hacking" chapter (the paper's Sec. 6 / Fig 7).

From the ladder's base model, GRPO on the edge band with rewards that weigh the answer against the steps:
R = a R_out + (1 - a) R_pv for a = 1 (outcome only), 0.8, 0.5, 0.2, 0 (process only), and the strict reward
(R_out only when every step verifies). Beyond the paper, a random-reward arm: the batch's outcome rewards
permuted across its rows, so it pays as often as the outcome reward and says nothing about the completion; an
RL effect counts only where it beats this arm too. The base is an arm of the recipe, evaluated on the same
problems under the same verifier rules, so every comparison is paired per problem.

The chapter is a package split by concern (design.md: a chapter module past ~400 lines splits); this module is its
surface (the chapter protocol, in its five sections), and each name the notebook, the tests and the other chapters use
is imported here from the file that defines it: data.py (`S6`, `load`, the chapter's names), rules.py (the constants
the verdicts and the calibration read), verdicts.py (`verdicts` per RL seed, `claims`, `numbers`), tables.py (tables,
computed prose and the RL recipe's calibration), figures.py (fig_*), samples.py (the arms' own outputs), controls.py
(picker, k control, widget, new point). A lower file never imports this one.
"""

from __future__ import annotations

# == data ============================================================================================================
from .data import CALIBRATION, CHAPTER, CONTROL_KEYS, RECHECK, RECIPE, S6, load

# == rules ===========================================================================================================
from .rules import CRITERION_SEEDS, LINEAR, MIN_LINEAR, PAPER_FIG7, PRECISION_CHECKS, PROCESS_AWARE

# == verdicts ========================================================================================================
from .verdicts import by_seed, claims, numbers, verdicts

# == figures and tables ==============================================================================================
from .tables import (calibration_table, changes_table, contrast_table, controls_table, deviations, precision_table,
                     reading, recheck_controls_table, recheck_table, recheck_verdict, recipe_verdict, setup_table,
                     signal_table, waiting)
from .figures import SMOOTH, fig7, fig_arm, fig_dynamics
from .samples import example_arm, samples_result

# == controls ========================================================================================================
from .controls import k_control, new_point, picker, widget

__all__ = [
    # data
    "RECIPE", "CALIBRATION", "RECHECK", "CHAPTER", "CONTROL_KEYS", "S6", "load",
    # rules
    "PAPER_FIG7", "PROCESS_AWARE", "LINEAR", "MIN_LINEAR", "CRITERION_SEEDS", "PRECISION_CHECKS",
    # verdicts
    "verdicts", "by_seed", "claims", "numbers",
    # figures and tables
    "setup_table", "changes_table", "contrast_table", "controls_table", "reading", "waiting", "deviations",
    "calibration_table", "signal_table", "precision_table", "recipe_verdict", "recheck_table",
    "recheck_controls_table", "recheck_verdict", "fig7", "SMOOTH", "fig_dynamics",
    "fig_arm",
    "samples_result", "example_arm",
    # controls
    "picker", "k_control", "new_point", "widget",
]
