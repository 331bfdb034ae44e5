"""The "Mid-training or RL?" chapter (the paper's Sec. 5 / Fig 6, and App. A.10 / Fig 18, Table 3).

One compute budget T, split between mid-training (next-token training on 20% in-dist + 80% edge problems) and RL
(GRPO on the edge band): beta is RL's share, so beta = 0 is all mid-training and beta = 1 all RL. RL work is counted
in token-equivalents (budget.py: a GRPO run costs what 5/3 N r L training tokens cost), so every arm spends the same
compute. All arms start from one base, pre-trained 20/30/50 over the in-dist thirds (the official code's S5 base) or,
at a scale where that base failed the ladder's check, the ladder's own base (recipes.MID_RL_BASE_OF_SCALE); the base is
an arm of the recipe: it is evaluated on the same problems under the same verifier rules, so every comparison is
paired per problem.

The chapter is a package split by concern (design.md: a chapter module past ~400 lines splits); this module is its
surface (the chapter protocol, in its five sections), and each name the notebook, the tests and the other chapters use
is imported here from the file that defines it: data.py (`MidRL`, `load`, the chapter's names, A.10's budgets as
S5-shaped views), rules.py (the RL shares the claims name, the base's check, the paper's numbers), verdicts.py (the
base's check, S5's and A.10's claims, `numbers`, what waits), tables.py (tables, computed prose and the deviations),
figures.py (fig_*, Fig 18 shown), samples.py (the arms' own outputs), controls.py (picker, k control, widget, new
point). A lower file never imports this one.
"""

from __future__ import annotations

# == data ============================================================================================================
from .data import BUDGETS_RECIPE, CHAPTER, RECIPE, RECIPES, MidRL, budget_views, load

# == rules ===========================================================================================================
from .rules import BASE_RULE, FULL_MID, FULL_RL, HEAVY, LIGHT, MIXED, PAPER_A10, PAPER_FIG6

# == verdicts ========================================================================================================
from .verdicts import (THIRDS_BASE, base_check, base_note, base_passes, budget_verdicts, budgets_missing,
                       budgets_waiting, claims, numbers, verdicts, waiting)

# == figures and tables ==============================================================================================
from .tables import (budget_table, budgets_changes_table, budgets_setup, changes_table, controls_table, deviations,
                     reading)
from .figures import fig6, fig18, fig_arm, show_fig18
from .samples import example_arm, samples_result

# == controls ========================================================================================================
from .controls import LIVE_RUN_TIME, k_control, new_point, picker, widget

__all__ = [
    # data
    "RECIPE", "BUDGETS_RECIPE", "RECIPES", "CHAPTER", "MidRL", "load", "budget_views",
    # rules
    "PAPER_FIG6", "LIGHT", "HEAVY", "FULL_MID", "FULL_RL", "MIXED", "BASE_RULE", "PAPER_A10",
    # verdicts
    "base_check", "base_passes", "THIRDS_BASE", "base_note", "verdicts", "budget_verdicts", "claims", "numbers",
    "budgets_missing", "budgets_waiting", "waiting",
    # figures and tables
    "budget_table", "changes_table", "controls_table", "budgets_setup", "budgets_changes_table", "reading",
    "deviations", "fig6", "fig18", "show_fig18", "fig_arm", "samples_result", "example_arm",
    # controls
    "picker", "k_control", "LIVE_RUN_TIME", "new_point", "widget",
]
