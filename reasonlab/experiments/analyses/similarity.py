"""Fig 5's graph similarity: are the context-B problems a model solves copies of graph shapes it was trained on in
context A, or structures it never saw? The replication chapter reads the result.

A verified solution reproduces its problem's gold graph step by step, so a solved problem's shape is the shape the
model built. For every B problem of a recipe's evaluation this compares that shape with the shapes of A's
pre-training, replayed exactly from the base's data stream: exactly (is the graph hash among them?) and graded (the
largest normalised Weisfeiler-Lehman subtree-kernel similarity to an A training graph of the same op, networkx).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix

from ...provenance import make_manifest, save_result
from ..recipes import Recipe
from ..runner import stage_dirs

if TYPE_CHECKING:  # the reading layer (reasonlab.results) sits above the experiments: named for the annotations only
    from ...results import Result

# reasonlab.train.lm loads inside the function that replays what a base trained on (it imports torch, ~2 s).


WL_ITERATIONS = 3  # subtree depth of the Weisfeiler-Lehman features


def wl_features(graph) -> Counter:
    """Weisfeiler-Lehman subtree features of a gold graph: node labels (step kind, stated or implicit) refined over
    the node's parents, WL_ITERATIONS times; names and numbers play no part, as in the graph hash."""
    g = nx.DiGraph()
    for n, d in graph.nodes(data=True):
        g.add_node(n, label=f"{d['kind']}{'/implicit' if d['implicit'] else ''}")
    g.add_edges_from((v, u) for u, v in graph.edges())  # neighbours = parents: a step is what it is computed from
    feats = Counter(d["label"] for _, d in g.nodes(data=True))
    with warnings.catch_warnings():  # networkx 3.5 notes that directed hashes changed; ours are computed in one version
        warnings.filterwarnings("ignore", message="The hashes produced for directed graphs")
        subtrees = nx.weisfeiler_lehman_subgraph_hashes(g, node_attr="label", iterations=WL_ITERATIONS)
    for hashes in subtrees.values():
        feats.update(f"{i}:{h}" for i, h in enumerate(hashes))
    return feats


def max_similarity(queries: list[Counter], references: list[Counter]) -> np.ndarray:
    """For each query, its largest normalised WL kernel k(G, H) / sqrt(k(G, G) k(H, H)) over the references."""
    if not queries or not references:
        return np.zeros(len(queries))
    vocab = {f: i for i, f in enumerate({f for c in queries + references for f in c})}

    def matrix(counters):
        rows, cols, vals = [], [], []
        for r, c in enumerate(counters):
            for f, v in c.items():
                rows.append(r), cols.append(vocab[f]), vals.append(float(v))
        m = csr_matrix((vals, (rows, cols)), shape=(len(counters), len(vocab)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
        return csr_matrix(m.multiply(1 / norms[:, None]))

    return np.asarray((matrix(queries) @ matrix(references).T).max(1).todense()).ravel()


def compare_to_training_shapes(recipe: Recipe, runs: Result, pairs: dict[float, tuple[str, str | None]], seed: int,
                               context: str) -> dict:
    """Every `context` (B) eval problem of every model in `pairs` ({B share: (base, RL model or None)}, arms of
    `recipe` evaluated in `runs`) with its shape compared to the other contexts' (A's) shapes in the base's
    pre-training: {"problems": one row per (model, problem), "a_training_shapes": {share ("10%"): {op: distinct A
    shapes}}}."""
    from ...train.lm import trained_problems

    sc, ev = recipe.scale, recipe.evaluation
    problems = {p.text_hash: p for ps in ev.problem_sets(sc, seed).values() for p in ps if p.template == context}
    half = {op: band.label for band in ev.bands for op in band.ops}
    rows, train = [], {}
    for share, (base, rl) in pairs.items():
        config = stage_dirs(recipe, recipe.arm(base), seed)["pretrain"][1]
        seen: dict[int, dict[str, object]] = {}  # op -> {graph hash: graph} of A's pre-training
        for p in trained_problems(config):
            shapes = seen.setdefault(p.op, {})
            if p.template != context and p.graph_hash not in shapes:
                shapes[p.graph_hash] = p.graph
        train[f"{share * 100:g}%"] = {str(op): len(s) for op, s in sorted(seen.items())}  # the share as pages name it
        refs = {op: [wl_features(g) for g in s.values()] for op, s in seen.items()}
        for model, stage in ((base, "base"), (rl, "rl")):
            if model is None:
                continue
            recs = [r for r in runs.records(model) if r["template"] == context]
            for op in sorted({r["op"] for r in recs}):
                at = [r for r in recs if r["op"] == op]
                sims = max_similarity([wl_features(problems[r["text_hash"]].graph) for r in at], refs.get(op, []))
                rows += [{"share": share, "stage": stage, "model": model, "op": op, "half": half[op],
                          "text_hash": r["text_hash"], "verified": r["verified"], "n": r["n"],
                          "seen_in_A": problems[r["text_hash"]].graph_hash in seen.get(op, {}),
                          "held_out_shape": bool(r.get("held_out_shape")), "max_similarity": float(s)}
                         for r, s in zip(at, sims)]
    return {"problems": rows, "a_training_shapes": train}


def graph_similarity_config(recipe: Recipe) -> dict:
    """The config that keys a graph-similarity result (with its parent, the recipe's result)."""
    return {"recipe": recipe.id, "scale": recipe.scale.name, "wl_iterations": WL_ITERATIONS}


def save_graph_similarity(name: str, recipe: Recipe, runs: Result, pairs: dict[float, tuple[str, str | None]],
                          seed: int, context: str) -> None:
    """compare_to_training_shapes, saved as result `name` (kind "Fig5") with the recipe's result among its parents.
    Minutes at laptop scale (the committed one took about ten): every base's pre-training stream is replayed."""
    t0 = time.perf_counter()
    data = compare_to_training_shapes(recipe, runs, pairs, seed, context)
    parent = f"{runs.name}:{runs.manifest.get('config_hash', '')}"
    manifest = make_manifest("Fig5", graph_similarity_config(recipe), parents=(parent,),
                             wall_time_s=time.perf_counter() - t0, recipe="Fig5", scale=recipe.scale.name)
    save_result(name, data, manifest)
