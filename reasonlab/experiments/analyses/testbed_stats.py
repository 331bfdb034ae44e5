"""The testbed's statistics of the generator: problem length and graph size per op, and the census of graph shapes
a band's pre-training draws. Nothing trains; the testbed chapter reads the result, and A.7 reads its census and
lengths for each base's pre-training mix."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from ...generator import GeneratorConfig, Mixture, make_dataset, problem_at, shape_held_out
from ...generator.dag import TOTAL
from ...provenance import make_manifest, save_result
from ...tokenizer import load_tokenizer
from ..scales import get_scale


RESULT_NAME = "testbed-{scale}"  # one committed result per scale; smoke results are not committed

# Problems per op value for the length statistics, by scale.
STATS_PER_OP = {"smoke": 10, "laptop": 200, "gpu": 500, "paper": 1000}
STATS_OPS = tuple(range(2, 31))

# Draws of the pre-training split per op for the shape census (issue 11 measured op 2-6 in 3,000 draws each).
SHAPE_DRAWS = {"smoke": 200, "laptop": 3000, "gpu": 3000, "paper": 3000}
SHAPE_OPS = tuple(range(2, 13))


def testbed_result_name(scale: str, seed: int = 0) -> str:
    """One committed result per (scale, seed)."""
    return RESULT_NAME.format(scale=scale) + (f"-seed{seed}" if seed else "")


def _token_counter():
    """Token counts with the project's tokenizer when it is there; else None (characters only)."""
    try:
        tok = load_tokenizer()
        return lambda texts: [len(ids) for ids in tok(texts)["input_ids"]]
    except Exception:  # noqa: BLE001 - the statistics work without a tokenizer
        return None


def length_stats(ops=STATS_OPS, n_per_op: int = 200, seed: int = 0, template: str = "animals-zoo",
                 config: GeneratorConfig = GeneratorConfig()) -> list[dict]:
    """Per op value: mean/std characters, tokens (if a tokenizer exists), nodes, implicit edges."""
    count_tokens = _token_counter()
    rows = []
    for op in ops:
        probs = make_dataset(Mixture.band(op, op, template, config), "eval", n_per_op, seed)
        chars = np.array([len(p.text) for p in probs])
        nodes = np.array([len(p.nodes) for p in probs])
        implicit = np.array([sum(len(n.parents) for n in p.nodes if n.kind == TOTAL) for p in probs])
        row = {"op": op, "n": len(probs), "chars_mean": chars.mean(), "chars_std": chars.std(),
               "nodes_mean": nodes.mean(), "implicit_edge_share": (implicit / op).mean(),
               "distinct_structures": len({p.graph_hash for p in probs})}
        if count_tokens:
            toks = np.array(count_tokens([p.text for p in probs]))
            row.update(tokens_mean=toks.mean(), tokens_std=toks.std(), chars_per_token=chars.sum() / toks.sum())
        rows.append(row)
    return rows


def shape_census(ops=SHAPE_OPS, n_per_op: int = 3000, seed: int = 0, template: str = "animals-zoo",
                 config: GeneratorConfig = GeneratorConfig()) -> list[dict]:
    """Per op value, in `n_per_op` draws of the pre-training split: distinct graph shapes (graph hash), the
    share of draws the 10 commonest cover, and the share of shapes (and of draws) the unseen-shape test holds out.

    A small model sees every shape of a band with few shapes thousands of times and can memorise one solution
    template per shape instead of learning the step procedure (issue 11, lab notes)."""
    rows = []
    for op in ops:
        mix = Mixture.band(op, op, template, config)
        probs = [problem_at(mix, "pretrain", i, seed) for i in range(n_per_op)]
        counts = Counter(p.graph_hash for p in probs)
        held = {p.graph_hash for p in probs if shape_held_out(p)}
        rows.append({"op": op, "draws": n_per_op, "shapes": len(counts),
                     "top10_share": sum(c for _, c in counts.most_common(10)) / n_per_op,
                     "held_out_shapes": len(held), "held_out_draw_share": sum(counts[h] for h in held) / n_per_op})
    return rows


def testbed_stats_config(scale: str, seed: int = 0) -> dict:
    """The config that keys the testbed statistics of (scale, seed). The lengths use the default format; the census
    uses the format the scale's models train on (its shapes are the ones they see)."""
    if scale not in STATS_PER_OP:
        raise ValueError(f"unknown scale {scale!r}; allowed: {', '.join(STATS_PER_OP)}")
    return {"ops": STATS_OPS, "n_per_op": STATS_PER_OP[scale], "seed": seed, "shape_ops": SHAPE_OPS,
            "shape_draws": SHAPE_DRAWS[scale], "shape_generator": get_scale(scale).generator}


def save_testbed_stats(scale: str = "laptop", seed: int = 0) -> None:
    """Compute the length statistics and the shape census of (scale, seed) and save them as result
    testbed_result_name(scale, seed) with a manifest (seconds to a few minutes)."""
    config = testbed_stats_config(scale, seed)
    t0 = time.perf_counter()
    stats = length_stats(n_per_op=config["n_per_op"], seed=seed)
    shapes = shape_census(n_per_op=config["shape_draws"], seed=seed, config=config["shape_generator"])
    manifest = make_manifest("testbed-stats", config, wall_time_s=time.perf_counter() - t0, recipe="testbed",
                             scale=scale)
    save_result(testbed_result_name(scale, seed), {"length_stats": stats, "shape_census": shapes}, manifest)
