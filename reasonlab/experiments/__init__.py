"""Named recipes mirroring the paper's experiments, their scales, and the compute formulas (reasonlab.budget)."""

from ..budget import BudgetSplit, full_rl_budget, rl_flops, rl_token_equivalent, split_budget, training_flops
from .recipes import (
    REWARDS, Arm, Evaluation, NextToken, Recipe, Reward, RL, get_recipe, list_recipes, recipe_info, recipe_params,
    s3_rl_bands,
)
from .scales import SCALES, Deviation, Scale, deviations, get_scale

__all__ = [
    "BudgetSplit", "full_rl_budget", "rl_flops", "rl_token_equivalent", "split_budget", "training_flops",
    "REWARDS", "Arm", "Evaluation", "NextToken", "Recipe", "Reward", "RL", "get_recipe", "list_recipes",
    "recipe_info", "recipe_params", "s3_rl_bands",
    "SCALES", "Deviation", "Scale", "deviations", "get_scale",
]
