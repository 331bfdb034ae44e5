"""Process verification: parse a completion into a graph, compare with gold, score, reward, classify errors."""

from .errors import STEP_KINDS, error_kinds, step_detail
from .parse import ParsedSolution, Step, completion_text, evaluate, extract_answer, parse_solution
from .score import (
    REWARD_KINDS, Reward, VerifyReport, check_alpha, make_reward_function, reward, same_value, score_parsed, verify,
)

# The verifier's rules as of this date (parse.py's docstring). Bump it whenever a rule changes what verifies:
# cached evaluations are keyed by it, and stage manifests record it, so no count from older rules is reused.
RULES = "2026-12-04"

__all__ = [
    "ParsedSolution", "Step", "completion_text", "evaluate", "extract_answer", "parse_solution",
    "REWARD_KINDS", "Reward", "VerifyReport", "check_alpha", "make_reward_function", "reward", "same_value", "score_parsed",
    "verify", "STEP_KINDS", "error_kinds", "step_detail", "RULES",
]
