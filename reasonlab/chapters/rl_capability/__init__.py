"""The "When does RL add capability?" chapter (the paper's Sec. 3 / Fig 3, and App. A.5 / Fig 10-11).

From one base model (the ladder chapter's), GRPO runs on four op ranges (top of in-dist, mixed, edge,
hard) and, beyond the paper, on prompts screened for the model's edge of competence and two follow-ups of
the edge arm. Every run and the base are evaluated on the same held-out problems, so each comparison is
paired: the difference in pass@k is bootstrapped over problems.

The chapter is a package split by concern (design.md: a chapter module past ~400 lines splits): `data` (the chapter
object S3), `rules` (the rules and the verdicts per RL seed), `tables` (tables and computed prose), `figures` (fig_*,
plot_*), `samples` (the arms' example outputs) and `controls` (picker, k control, widget, new point). This module is
the chapter's surface: load, claims and numbers, and every name the notebook, the tests and other chapters use.
"""

from __future__ import annotations

from dataclasses import replace

from ...experiments.recipes import get_recipe, has_calibrated_rl
from ...experiments.scales import BANDS
from ...results import Result, load_or_run, reruns
from .. import ladder
from ..claims import NOT_REPRODUCED, NOT_TESTABLE, PARTLY, REPRODUCED, Claim, counts, over_seeds, some_seeds
from .controls import NEW_POINT, k_control, new_point, new_point_panel, picker, widget
from .data import CALIBRATED, CHAPTER, PAPER_ROLES, RECIPE, RECIPES, S3, WIDE_ARMS, WIDE_EDGE, mean_reward
from .figures import (ROLE_STYLE, STYLE_WORDS, fig3, fig_arm, fig_deltas, fig_dynamics, plot_fig3, plot_nll_change,
                      plot_rl_log, show_new_point)
from .rules import (EDGE_REWARD_MIN, FLAT_TOL, HARD_REWARD_MAX, NLL_RULE, NOT_RUN, PAPER_EDGE_RUN, REWARD_RULE,
                    SEED_RULES, WIDE_EDGE_RULE, by_seed, claims_by_seed, nll_claim, reward_claim, reward_rise,
                    seeds_note, verdicts, wide_edge_claim)
from .samples import example_arm, same_as_base, samples_result, samples_text
from .tables import (base_before_rl, calibrated_note, calibrated_reading, changes_table, deviations, dynamics_text,
                     outcome_table, paper_beside_ours, reading, repeated_steps, settings_table, setup_table, setup_text,
                     wide_edge_table)

__all__ = [
    # data
    "BANDS", "CALIBRATED", "CHAPTER", "PAPER_ROLES", "RECIPE", "RECIPES", "S3", "WIDE_ARMS", "WIDE_EDGE", "load",
    "mean_reward",
    # rules and verdicts
    "CALIBRATED_PREFIX", "EDGE_REWARD_MIN", "FLAT_TOL", "HARD_REWARD_MAX", "NLL_RULE", "NOT_RUN", "PAPER_EDGE_RUN",
    "REWARD_RULE", "SEED_RULES", "WIDE_EDGE_RULE", "by_seed", "claims", "claims_by_seed", "nll_claim", "numbers",
    "reward_claim", "reward_rise", "seeds_note", "setting_claims", "verdicts", "wide_edge_claim",
    # figures and tables
    "ROLE_STYLE", "STYLE_WORDS", "base_before_rl", "calibrated_note", "calibrated_reading", "changes_table",
    "deviations", "dynamics_text", "example_arm",
    "fig3", "fig_arm", "fig_deltas", "fig_dynamics", "outcome_table", "paper_beside_ours", "plot_fig3",
    "plot_nll_change", "plot_rl_log", "reading", "repeated_steps", "same_as_base", "samples_result", "samples_text",
    "settings_table", "setup_table", "setup_text", "show_new_point", "wide_edge_table",
    # controls
    "NEW_POINT", "k_control", "new_point", "new_point_panel", "picker", "widget",
]


# == data ============================================================================================================
# S3, the chapter's data, and the helpers its parts share: data.py. The RL arms' example outputs: samples.py.

def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> S3:
    """The committed base and S3 results, with the committed reruns of some arms with other RL seeds, and, where the
    scale has a calibrated RL recipe, the same bands with it (`S3.calibrated`; None while its result is not
    committed) with its edge arm's wide-edge results (fresh: run the base and the arms now; without fresh nothing
    trains, and a missing S3 result raises FileNotFoundError)."""
    base = ladder.load(scale, seed, fresh).result
    runs = load_or_run(RECIPE, scale, seed, fresh)
    return S3(base, runs, get_recipe(RECIPE, scale), reruns(RECIPE, scale, seed) if not fresh else {},
              _calibrated(base, scale, seed, fresh))


def _calibrated(base: Result, scale: str, seed: int, fresh: bool) -> S3 | None:
    """S3's bands with the scale's calibrated RL recipe, or None (no such recipe; or, without fresh, not committed)."""
    if not has_calibrated_rl(scale):
        return None
    try:
        runs = load_or_run(CALIBRATED, scale, seed, fresh)
    except FileNotFoundError:
        return None
    wide = {recipe: _seeds(recipe, scale, seed, fresh) for recipe in (WIDE_EDGE, WIDE_ARMS)}
    return S3(base, runs, get_recipe(CALIBRATED, scale), reruns(CALIBRATED, scale, seed) if not fresh else {},
              wide_edge=wide[WIDE_EDGE], wide_arms=wide[WIDE_ARMS])


def _seeds(recipe: str, scale: str, seed: int, fresh: bool) -> dict[int, Result]:
    """{RL seed: result} of a recipe the calibrated chapter reads where committed (or runs, fresh); {} without one."""
    try:
        return {0: load_or_run(recipe, scale, seed, fresh)} | (reruns(recipe, scale, seed) if not fresh else {})
    except FileNotFoundError:
        return {}


# == rules ===========================================================================================================
# The constants the verdicts use, each with where it was fixed: rules.py.


# == verdicts ========================================================================================================
# The verdicts of one RL seed (verdicts), of each seed (by_seed, claims_by_seed): rules.py. Here, combined over seeds.

CALIBRATED_PREFIX = "Calibrated recipe: "  # how a claim of the calibrated setting reads beside the paper's


def claims(ch: S3) -> list[Claim]:
    """The chapter's claims: the paper's setting's, then (where committed) the calibrated recipe's, each claim's text
    prefixed with CALIBRATED_PREFIX; each verdict combined over the RL seeds that decide it, with every seed's number
    beside it."""
    calibrated = [replace(c, text=CALIBRATED_PREFIX + c.text) for c in setting_claims(ch.calibrated)] \
        if ch.calibrated else []
    return setting_claims(ch) + calibrated


def setting_claims(ch: S3) -> list[Claim]:
    """One setting's claims (the paper's, or the calibrated recipe's), combined over RL seeds."""
    seeds = by_seed(ch)
    out = []
    for cid, c in seeds[0].items():
        decided = {n: claims[cid] for n, claims in seeds.items() if cid in claims}
        if len(decided) > 1:
            rule = SEED_RULES.get(cid, over_seeds)
            each = "; ".join(f"RL seed {n}: {s.headline or s.ours} ({s.verdict})" for n, s in decided.items())
            how = "every seed / some seeds" if rule is some_seeds else "the weakest verdict"
            c = Claim(c.chapter, c.text, c.paper, f"{c.ours} (RL seed 0); {each}",
                      rule([s.verdict for s in decided.values()]), f"{c.rule}; over RL seeds, {how}", each, c.k)
        out.append(c)
    return out


def numbers(ch: S3) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    c = counts(claims(ch))
    return {"n_claims": sum(c.values()), "n_reproduced": c[REPRODUCED], "n_partly": c[PARTLY],
            "n_not": c[NOT_REPRODUCED], "n_not_testable": c[NOT_TESTABLE], "k_max": ch.k_max}


# == figures and tables ==============================================================================================
# fig_* and plot_*: figures.py. The tables and the prose computed from them: tables.py. The arms' example
# outputs and the prose about them: samples.py.


# == controls ========================================================================================================
# picker and k_control (the built book), widget and the new-point panel (a live kernel): controls.py.
