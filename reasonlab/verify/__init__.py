"""Process verification: parse a completion into a graph, compare with gold, score, reward, classify errors."""

from .errors import STEP_KINDS, error_kinds, step_detail
from .parse import ParsedSolution, Step, completion_text, evaluate, extract_answer, parse_solution
from .score import (
    REWARD_KINDS, Reward, VerifyReport, check_alpha, make_reward_function, reward, same_value, score_parsed, verify,
)

__all__ = [
    "ParsedSolution", "Step", "completion_text", "evaluate", "extract_answer", "parse_solution",
    "REWARD_KINDS", "Reward", "VerifyReport", "check_alpha", "make_reward_function", "reward", "same_value", "score_parsed",
    "verify", "STEP_KINDS", "error_kinds", "step_detail",
]
