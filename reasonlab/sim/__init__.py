"""Exact simulation for the theory chapter: a layered Markov chain of reasoning steps (see `markov.py`)."""

from reasonlab.sim.markov import (
    ChainConfig,
    EvalConfig,
    PostConfig,
    PretrainConfig,
    SimConfig,
    build_chain,
    chapter_config,
    make_tasks,
    run_chapter,
    run_experiment,
)

__all__ = [
    "ChainConfig", "EvalConfig", "PostConfig", "PretrainConfig", "SimConfig", "build_chain", "chapter_config",
    "make_tasks", "run_chapter", "run_experiment",
]
