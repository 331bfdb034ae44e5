"""The "testbed" chapter: statistics of the generator and demonstrations of the verifier.

Everything the chapter shows is computed here, so the notebook holds only calls and plots.
"""

from __future__ import annotations

import re
import time

import numpy as np

from .generator import TEMPLATES, GeneratorConfig, Mixture, Problem, generate_problem, make_dataset
from .generator.dag import TOTAL
from .provenance import load_result, make_manifest, save_result
from .verify import reward, verify

RESULT_NAME = "testbed-{scale}"  # one committed result per scale; smoke results are not committed
# Problems per op value for the length statistics, by scale.
STATS_PER_OP = {"smoke": 10, "laptop": 200, "gpu": 500, "paper": 1000}
STATS_OPS = tuple(range(2, 31))
# Draws of the pre-training split per op for the shape census (issue 11 measured op 2-6 in 3,000 draws each).
SHAPE_DRAWS = {"smoke": 200, "laptop": 3000, "gpu": 3000, "paper": 3000}
SHAPE_OPS = tuple(range(2, 13))


def _token_counter():
    """Token counts with the project's tokenizer when it is there; else None (characters only)."""
    try:
        from .tokenizer import load_tokenizer

        tok = load_tokenizer()
        return lambda texts: [len(ids) for ids in tok(texts)["input_ids"]]
    except Exception:  # noqa: BLE001 - the chapter works without a tokenizer
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
    from collections import Counter

    from .generator import problem_at, shape_held_out

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


def run(scale: str = "laptop", seed: int = 0) -> dict:
    """Compute the chapter's statistics and save them as a committed result with a manifest."""
    from .experiments.scales import get_scale

    if scale not in STATS_PER_OP:
        raise ValueError(f"unknown scale {scale!r}; allowed: {', '.join(STATS_PER_OP)}")
    t0 = time.perf_counter()
    stats = length_stats(n_per_op=STATS_PER_OP[scale], seed=seed)
    shape_config = get_scale(scale).generator  # the format the scale's models train on
    shapes = shape_census(n_per_op=SHAPE_DRAWS[scale], seed=seed, config=shape_config)
    wall = time.perf_counter() - t0
    manifest = make_manifest("testbed-stats", {"ops": STATS_OPS, "n_per_op": STATS_PER_OP[scale], "seed": seed,
                                               "shape_ops": SHAPE_OPS, "shape_draws": SHAPE_DRAWS[scale],
                                               "shape_generator": shape_config},
                             wall_time_s=wall, recipe="testbed", scale=scale)
    data = {"length_stats": stats, "shape_census": shapes}
    save_result(RESULT_NAME.format(scale=scale), data, manifest)
    return {"manifest": manifest, "data": data}


def load_or_run(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> dict:
    """Committed result unless `fresh` (or none is committed yet, or it predates the shape census)."""
    if not fresh:
        try:
            result = load_result(RESULT_NAME.format(scale=scale))
            if "shape_census" in result["data"] and result["manifest"]["config"].get("seed") == seed:
                return result
        except FileNotFoundError:
            pass
    return run(scale, seed)


# -- verifier demonstrations ---------------------------------------------------------------------

def _steps(problem: Problem) -> list[str]:
    return ["Define " + s.strip() for s in problem.solution.split("Define ")[1:]]


def _join(steps: list[str], answer: str) -> str:
    return " ".join(steps) + f"</solution><answer>{answer}</answer>"


def corruptions(problem: Problem) -> dict[str, str]:
    """Hand-made wrong completions of one problem, each showing one failure the verifier catches."""
    steps = _steps(problem)
    out = {"gold solution": problem.completion}
    # 1. A wrong step: one intermediate value is off by one, and later steps carry the wrong value on.
    i = next(i for i, n in enumerate(problem.nodes) if n.kind != "const") if len(steps) > 1 else 0
    head, final = steps[i].rsplit(" = ", 1)
    out["wrong value in one step"] = _join(steps[:i] + [f"{head} = {int(final.rstrip('.')) + 1}."] + steps[i + 1:],
                                           problem.answer)
    # 2. A wrong dependency: a step reads another quantity than its parent (same numbers written).
    j = next((j for j, n in enumerate(problem.nodes) if n.parents and j >= 1), None)
    if j is not None:
        node = problem.nodes[j]
        old = next(n.var for n in problem.nodes if n.name == node.parents[0])
        other = next((n.var for n in problem.nodes[:j] if n.name not in node.parents), None)
        if other:
            head, body = steps[j].split("; ", 1)
            bad = steps[:j] + [head + "; " + re.sub(rf"\b{old}\b", other, body, count=1)] + steps[j + 1:]
            out["wrong dependency"] = _join(bad, problem.answer)
    # 3. The right answer by a wrong process: skip the work and state the answer.
    out["right answer, no process"] = (f"Define {problem.query.name} as z; so z = {problem.answer}."
                                       f"</solution><answer>{problem.answer}</answer>")
    # 4. Correct steps, wrong final answer.
    out["right steps, wrong answer"] = _join(steps, str(int(problem.answer) + 7))
    return out


def verifier_table(problem: Problem) -> list[dict]:
    """One row per demonstration: what the verifier says and what each reward pays."""
    rows = []
    for label, completion in corruptions(problem).items():
        r = verify(problem, completion)
        rows.append({
            "completion": label, "process_acc": round(r.process_acc, 3), "answer_correct": r.answer_correct,
            "verified": r.verified, "R_out": reward(r, "outcome"), "R_pv": round(reward(r, "process"), 3),
            "strict": reward(r, "strict"), "caught": "; ".join(
                [f"value of '{m[0]}' {m[2]:g} != {m[1]:g}" for m in r.value_mismatches if m[2] is not None]
                + [f"'{m[0]}' uses {m[2]} not {m[1]}" for m in r.dependency_mismatches]
                + [f"missing '{m}'" for m in r.missing][:3]),
        })
    return rows


def same_graph_all_templates(op: int, seed: int) -> dict[str, Problem]:
    return {name: generate_problem(op, name, seed) for name in TEMPLATES}


def draw_graph(ax, problem: Problem, title: str | None = None) -> None:
    """The gold DAG in layers (longest path from a leaf); implicit total edges dashed."""
    import networkx as nx

    g = problem.graph
    depth = {}
    for name in nx.topological_sort(g):
        preds = list(g.predecessors(name))
        depth[name] = 1 + max((depth[p] for p in preds), default=-1)
    for name, d in depth.items():
        g.nodes[name]["layer"] = d
    # Layers top to bottom: leaves first, the query last.
    pos = nx.multipartite_layout(g, subset_key="layer", align="horizontal")
    pos = {k: (x, -depth[k]) for k, (x, _y) in pos.items()}
    explicit = [(u, v) for u, v, d in g.edges(data=True) if not d["implicit"]]
    implicit = [(u, v) for u, v, d in g.edges(data=True) if d["implicit"]]
    colors = ["#D55E00" if n == problem.query.name else "#56B4E9" if g.nodes[n]["kind"] == TOTAL else "#E6E6E6"
              for n in g.nodes]
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colors, node_size=520, edgecolors="#333333")
    labels = {n: f"{g.nodes[n]['var']}={g.nodes[n]['value']}" for n in g.nodes}
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=7)
    nx.draw_networkx_edges(g, pos, edgelist=explicit, ax=ax, arrows=True, arrowsize=10, node_size=520)
    nx.draw_networkx_edges(g, pos, edgelist=implicit, ax=ax, arrows=True, arrowsize=10, style="dashed",
                           edge_color="#0072B2", node_size=520)
    ax.set_title(title or f"op = {problem.op}: {len(g)} quantities, query in orange, totals in blue")
    ax.axis("off")
