"""The "How hard should pre-training be?" chapter (the paper's App. A.7 / Fig 15-16).

One base per share h of the hardest in-dist third in pre-training (the official grid: 0.1%, 1%, 5%, 20%, 50%; the
rest split evenly between the easy and medium thirds, the official code's `id2-10_<easy>easy_<medium>medium_<hard>hard`
files), each with the scale's edge tail, then GRPO on the edge band from each base. The paper finds that more hard
data helps the base and RL, that RL's gain is largest at ~20% hard data, and that the training reward rises most at
20-50%. Every base and every RL arm is an arm of the recipe, evaluated on the same problems (S6's evaluation) under the
same verifier rules, so every comparison is paired per problem. RL is spent on a base only if it passes the RL gate
fixed before any RL arm ran (`rl_allowed`): a base that verifies almost nothing on the edge gives GRPO nothing to
sharpen.

The chapter is a package split by concern (design.md: a chapter module past ~400 lines splits); this module is its
surface (the chapter protocol, in its five sections), and each name the notebook, the tests and the other chapters use
is imported here from the file that defines it: data.py (`PretrainDifficulty`, `load`, the chapter's names), rules.py
(the RL gate and the constants the claims use), verdicts.py (the base checks, the claims, `numbers`, what waits),
tables.py (tables, the shape census of each base's mix, and the deviations), figures.py (fig_*), controls.py (picker,
k control, widget). A lower file never imports this one.
"""

from __future__ import annotations

# == data ============================================================================================================
from .data import (BASE, CALIBRATED, CHAPTER, RECIPE, RL, TOKEN_RESULT, PretrainDifficulty, load, pct,
                   token_accuracy_results)

# == rules ===========================================================================================================
from .rules import (GATE_RULE, MIN_RL_ARMS, PAPER_FIG15, PAPER_FIG16, RISE_SHARES, RISE_STEPS, RL_GATE, TARGET_SHARE,
                    gate_value, rl_allowed)

# == verdicts ========================================================================================================
from .verdicts import (CALIBRATED_PREFIX, base_checks, claims, complete, gain, gain_gap, judged, numbers, reward_rise,
                       setting_claims, waiting)

# == figures and tables ==============================================================================================
from .tables import (changes_table, controls_table, deviations, mapping_table, op_shares, shape_census_reading,
                     shape_census_table, shape_census_wide, template_table, token_reading, token_table)
from .figures import SMOOTH, fig15, fig16, fig_ladders, fig_share

# == controls ========================================================================================================
from .controls import LIVE_RUN_TIME, k_control, picker, run_command, widget

__all__ = [
    # data
    "RECIPE", "CHAPTER", "BASE", "RL", "CALIBRATED", "PretrainDifficulty", "load", "pct", "TOKEN_RESULT",
    "token_accuracy_results",
    # rules
    "RL_GATE", "GATE_RULE", "PAPER_FIG15", "PAPER_FIG16", "TARGET_SHARE", "RISE_SHARES", "RISE_STEPS", "MIN_RL_ARMS",
    "gate_value", "rl_allowed",
    # verdicts
    "CALIBRATED_PREFIX", "base_checks", "judged", "complete", "gain", "gain_gap", "reward_rise", "claims",
    "setting_claims", "numbers", "waiting",
    # figures and tables
    "mapping_table", "shape_census_table", "shape_census_wide", "shape_census_reading", "op_shares", "token_table",
    "token_reading", "template_table", "changes_table", "controls_table", "deviations", "fig15", "fig_ladders",
    "SMOOTH", "fig16", "fig_share",
    # controls
    "picker", "k_control", "LIVE_RUN_TIME", "run_command", "widget",
]
