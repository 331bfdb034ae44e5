"""The "performance ladder" chapter: the base model's pass@k per band and per op, and its verdict.

The ladder is what every later chapter compares against (the paper's Sec. 2-3 setup): a base model
pre-trained on its in-distribution band solves it, sometimes solves the edge band, never the hard one.

The chapter is a package split by concern (design.md: a chapter module past ~400 lines splits); this module is its
surface (the chapter protocol, in its five sections), and each name the notebook, the tests and the other chapters use
is imported here from the file that defines it: data.py (`Ladder`, `load`, the base checkpoint, the token-accuracy
result), rules.py (the paper's ladder, the calibration criteria and the rule), verdicts.py (the criteria on a model,
`claims`, `numbers`, the token-class reading), tables.py (tables and computed prose), figures.py (plot_*, fig_*),
controls.py (picker, k control, widget). A lower file never imports this one.
"""

from __future__ import annotations

# == data ============================================================================================================
from ...experiments.analyses import TOKEN_CLASSES, TOKEN_PROBLEMS_PER_OP, token_accuracy, token_classes
from .data import CHAPTER, RECIPE, TOKEN_RESULT, Ladder, base_checkpoint, load, token_accuracy_result

# == rules ===========================================================================================================
from .rules import CRITERIA, EDGE_CRITERION, NAME_JUMP, PAPER, RULE

# == verdicts ========================================================================================================
from .verdicts import claims, criteria, criteria_table, numbers, token_numbers

# == figures and tables ==============================================================================================
from .tables import (deviations_table, paper_beside_ours, per_op_table, reading, seen_beside_unseen, setup_table,
                     unseen_text)
from .figures import (SET_NAMES, fig_bands, fig_per_op, fig_token_classes, plot_bands, plot_loss, plot_per_op,
                      plot_set)

# == controls ========================================================================================================
from .controls import k_control, picker, picker_sets, widget

__all__ = [
    # data
    "RECIPE", "CHAPTER", "Ladder", "load", "base_checkpoint", "TOKEN_RESULT", "TOKEN_PROBLEMS_PER_OP",
    "token_accuracy_result", "TOKEN_CLASSES", "token_classes", "token_accuracy",
    # rules
    "PAPER", "CRITERIA", "EDGE_CRITERION", "RULE", "NAME_JUMP",
    # verdicts
    "criteria", "criteria_table", "claims", "numbers", "token_numbers",
    # figures and tables
    "setup_table", "deviations_table", "paper_beside_ours", "seen_beside_unseen", "per_op_table", "reading",
    "unseen_text", "plot_bands", "SET_NAMES", "plot_set", "plot_per_op", "plot_loss", "fig_bands", "fig_per_op",
    "fig_token_classes",
    # controls
    "picker_sets", "picker", "k_control", "widget",
]
