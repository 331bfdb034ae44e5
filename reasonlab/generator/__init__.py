"""Word problems whose every reasoning step is known (GSM-Infinite style, written from scratch)."""

from .bands import Band, LabelledBand, band_named, check_band, check_disjoint_bands
from .problem import DEFAULT_CONFIG, MAX_OP, GeneratorConfig, GoldNode, Problem, generate_problem
from .templates import TEMPLATES, Template, get_template

__all__ = [
    "Band", "LabelledBand", "band_named", "check_band", "check_disjoint_bands",
    "DEFAULT_CONFIG", "MAX_OP", "GeneratorConfig", "GoldNode", "Problem", "generate_problem",
    "TEMPLATES", "Template", "get_template",
]

from .mixture import (  # noqa: E402
    HELD_OUT_MIN_OP, HELD_OUT_SHARE, SHAPES, SPLIT_SHARES, SPLITS, Component, Mixture, eval_sets, iter_problems,
    make_dataset, problem_at, shape_held_out, split_of,
)

__all__ += [
    "HELD_OUT_MIN_OP", "HELD_OUT_SHARE", "SHAPES", "SPLIT_SHARES", "SPLITS", "Component", "Mixture", "eval_sets",
    "iter_problems", "make_dataset", "problem_at", "shape_held_out", "split_of",
]
