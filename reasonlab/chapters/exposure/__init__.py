"""The "How much exposure does a new context need?" chapter: S4 / Fig 4, A.8 / Fig 17, A.6.1 / Fig 12 and
A.6.2 / Fig 13-14 of the paper.

Context A (animals-zoo) is pre-trained over the scale's context ops; context B (teachers-school) appears in
pre-training only at the lowest op, with share s. Each base and the same base after GRPO on A and B are evaluated
on the same problems per template, so every RL change is paired with its own base; the interval is a bootstrap
over problems. A.6 keeps one base and varies the share of B in the RL data instead.

The chapter is a package split by concern; this module is its surface (the chapter protocol, in its five sections),
and each name the notebook, the tests and the other chapters use is imported here from the file that defines it:
core.py (names and result helpers), data.py (`Exposure`, `load`), samples.py (the models' outputs), rules.py,
verdicts.py (`claims`, `numbers`), tables.py (tables and computed prose), figures.py, controls.py. A lower file never
imports this one.
"""

from __future__ import annotations

# == data ============================================================================================================
from .core import (A, A6, CHAPTER, HALVES, LETTER, RECIPE, RECIPES, TEMPLATES, B, a6_pairs, changes_of, paired_change,
                   pct, value)
from .data import Exposure, a6_deltas, load
from .samples import SAMPLES_RESULT, sample_checkpoints, samples_result

# == rules ===========================================================================================================
from .rules import (A_MIN, DIMINISHING_TOL, FLAT_TOL, LOW_SHARE, PAPER, REWARD_WINDOW, SECOND_SEED_SHARES, knows_a,
                    qualifying_shares)

# == verdicts ========================================================================================================
from .verdicts import a6_verdicts, claims, numbers, reward_claims, reward_gains, verdicts

# == figures and tables ==============================================================================================
from .tables import (METRIC_OF, a6_outcome_reading, a6_outcome_table, a6_reward_reading, b_exposure, b_guess,
                     base_check, changes_table, deviations, gain_lines, held_a_reading, held_a_table, missing_runs,
                     outcome_changes, outcome_reading, outcome_table, reading, reward_table, seeds_table, setup_text)
from .figures import fig4, fig_a6, fig_a6_rewards, fig_pair, fig_rewards, fig_share, per_op, plot_per_op, plot_reward
from .samples import example_models, kinds_table, samples_of

# == controls ========================================================================================================
from .controls import NEW_POINT, a6_picker, k_control, new_point, new_point_panel, picker, widget

__all__ = [
    # data
    "RECIPE", "A6", "RECIPES", "CHAPTER", "A", "B", "TEMPLATES", "LETTER", "HALVES", "Exposure", "load",
    "paired_change", "changes_of", "pct", "value", "a6_pairs", "a6_deltas", "SAMPLES_RESULT", "samples_result",
    "sample_checkpoints",
    # rules
    "LOW_SHARE", "A_MIN", "FLAT_TOL", "REWARD_WINDOW", "DIMINISHING_TOL", "SECOND_SEED_SHARES", "PAPER", "knows_a",
    "qualifying_shares",
    # verdicts
    "reward_gains", "verdicts", "reward_claims", "a6_verdicts", "claims", "numbers",
    # figures and tables
    "setup_text", "missing_runs", "b_exposure", "base_check", "held_a_table", "held_a_reading", "changes_table",
    "reading", "METRIC_OF", "b_guess", "outcome_changes", "outcome_table", "outcome_reading", "a6_outcome_table",
    "a6_outcome_reading", "reward_table", "seeds_table", "gain_lines", "a6_reward_reading", "deviations", "per_op",
    "plot_per_op", "fig_pair", "fig_share", "fig4", "plot_reward", "fig_rewards", "fig_a6_rewards", "fig_a6",
    "kinds_table", "samples_of", "example_models",
    # controls
    "picker", "a6_picker", "k_control", "widget", "NEW_POINT", "new_point", "new_point_panel",
]
