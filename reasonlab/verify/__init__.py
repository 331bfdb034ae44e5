"""Process verification: parse a completion into a graph, compare with gold, score, reward."""

from .parse import ParsedSolution, Step, evaluate, extract_answer, parse_solution
from .score import REWARD_KINDS, VerifyReport, make_reward_function, reward, score_parsed, verify

__all__ = [
    "ParsedSolution", "Step", "evaluate", "extract_answer", "parse_solution",
    "REWARD_KINDS", "VerifyReport", "make_reward_function", "reward", "score_parsed", "verify",
]
