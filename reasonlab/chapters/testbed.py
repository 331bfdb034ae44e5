"""The "testbed" chapter: statistics of the generator and demonstrations of the verifier.

The statistics (lengths, shape census) are computed in reasonlab.experiments.analyses.testbed_stats and only read
here; the demonstrations (a graph in every template, hand-made wrong completions) are drawn here, so the notebook
holds only calls and plots.
"""

from __future__ import annotations

import json
import re

import networkx as nx
import pandas as pd

from .. import results
from ..experiments.analyses import save_testbed_stats, testbed_result_name
from ..generator import TEMPLATES, GeneratorConfig, Problem, generate_problem
from ..generator.dag import TOTAL
from ..plots import NO_VALUE, no_value
from ..provenance import REPO_ROOT
from ..results import Result
from ..verify import reward, verify
from .claims import Claim

# matplotlib.pyplot and ipywidgets load inside the figure and widget functions: reading a chapter's numbers
# (the scoreboard, the tests) needs neither, and they take most of a second to import.


# == data ============================================================================================================

def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Result:
    """The chapter's data: the committed statistics of (scale, seed), or (fresh) computed now (seconds to a few
    minutes; nothing trains). Without fresh a missing result raises FileNotFoundError."""
    if fresh:
        save_testbed_stats(scale, seed)
    try:
        return results.load(testbed_result_name(scale, seed))
    except FileNotFoundError:
        raise FileNotFoundError(f"no committed result {testbed_result_name(scale, seed)!r}; run the testbed notebook "
                                f"with fresh=True to compute it") from None


def same_graph_all_templates(op: int, seed: int) -> dict[str, Problem]:
    return {name: generate_problem(op, name, seed) for name in TEMPLATES}


def templates_table(examples: dict[str, Problem]) -> pd.DataFrame:
    """One row per template of the same graph: its hash, answer and the question's first sentence (whole: a cell
    cut off mid-word reads as a broken page)."""
    return pd.DataFrame([{"template": name, "graph hash": p.graph_hash, "answer": p.answer,
                          "question (first sentence)": p.question.split(". ")[0] + "."}
                         for name, p in examples.items()])


def benchmark_table() -> tuple[pd.DataFrame, str] | None:
    """The committed generator/verifier benchmark (benchmarks/bench_testbed.py) and its provenance, if any."""
    path = REPO_ROOT / "benchmarks" / "results" / "testbed.json"
    if not path.exists():
        return None
    bench = json.loads(path.read_text())
    table = pd.DataFrame(bench["rows"]).rename(columns={"what": "benchmark", "per_s": "items / s",
                                                        "vs_paper": "x paper's generator"}).round(1)
    return no_value(table), (f"Measured by `benchmarks/bench_testbed.py` on {bench['device']}, one core, commit "
                             f"{bench['commit']}. *x paper's generator*: items per second against the paper's own "
                             f"generator on the same op range; \"{NO_VALUE}\" where the paper's code has no such step "
                             f"to compare with (the gold graph, the verifier).")


# == rules ===========================================================================================================

# None: the testbed tests no claim of the paper; the verifier's own rules are in reasonlab.verify.


# == verdicts ========================================================================================================

def claims(ch: Result) -> list[Claim]:
    """The testbed describes the problems and the verifier; it tests no claim of the paper (the later chapters do)."""
    return []


def numbers(ch: Result) -> dict:
    """Every number the chapter's prose quotes, for glue."""
    stats = pd.DataFrame(ch.data["length_stats"]).set_index("op")
    has_tokens = "tokens_mean" in stats
    y = "tokens_mean" if has_tokens else "chars_mean"
    shapes = pd.DataFrame(ch.data["shape_census"]).set_index("op")
    return {"len_op2": int(round(stats.loc[2, y])), "len_op10": int(round(stats.loc[10, y])),
            "len_op20": int(round(stats.loc[20, y])), "len_unit": "tokens" if has_tokens else "characters",
            "chars_per_token": float(stats["chars_per_token"].mean()) if has_tokens else float("nan"),
            "structures_op10": int(stats.loc[10, "distinct_structures"]), "n_per_op": int(stats.loc[10, "n"]),
            **{f"shapes_op{k}": int(shapes.loc[k, "shapes"]) for k in (6, 7, 10)},
            "top10_op6": f"{shapes.loc[6, 'top10_share']:.0%}", "shape_draws": f"{int(shapes.draws.iloc[0]):,}"}


# == figures and tables ==============================================================================================

def fig_lengths(ch: Result):
    """Problem length and graph size per op."""
    import matplotlib.pyplot as plt

    stats = pd.DataFrame(ch.data["length_stats"])
    has_tokens = "tokens_mean" in stats
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    y, label = ("tokens_mean", "tokens per problem") if has_tokens else ("chars_mean", "characters per problem")
    sd = "tokens_std" if has_tokens else "chars_std"
    axes[0].errorbar(stats.op, stats[y], yerr=stats[sd], marker="o", ms=3, capsize=2)
    axes[0].set(xlabel="op", ylabel=label, title="problem length (mean ± sd)")
    axes[1].plot(stats.op, stats.nodes_mean, marker="o", ms=3, label="quantities in the graph")
    axes[1].plot(stats.op, stats.implicit_edge_share * stats.op, marker="s", ms=3, label="implicit edges")
    axes[1].set(xlabel="op", ylabel="count", title="graph size")
    axes[1].legend()
    return fig


def fig_shapes(ch: Result):
    """Distinct graph shapes per op, and the share of draws the commonest and the held-out shapes take."""
    import matplotlib.pyplot as plt

    shapes = pd.DataFrame(ch.data["shape_census"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    axes[0].semilogy(shapes.op, shapes.shapes, marker="o", ms=3, label="distinct shapes")
    axes[0].semilogy(shapes.op, shapes.held_out_shapes.clip(lower=0.5), marker="s", ms=3, ls="--",
                     label="held out for the unseen-shape test")
    axes[0].set(xlabel="op", ylabel=f"shapes in {int(shapes.draws[0]):,} draws", title="distinct graph shapes")
    axes[0].legend()
    axes[1].plot(shapes.op, shapes.top10_share, marker="o", ms=3, label="10 commonest shapes")
    axes[1].plot(shapes.op, shapes.held_out_draw_share, marker="s", ms=3, ls="--", label="held-out shapes")
    axes[1].set(xlabel="op", ylabel="share of draws", ylim=(0, 1.05), title="how often the shapes come up")
    axes[1].legend()
    return fig


def fig_small_multiples(template: str, seed: int, ops=(2, 5, 10, 20)):
    """The same template's gold graph at a few op values, two panels a row (four in one row would shrink the op-20
    graph's labels past reading at the book's column width), one key for all."""
    import matplotlib.pyplot as plt

    rows = (len(ops) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(9, 4.2 * rows), squeeze=False, layout="constrained")
    for ax, k in zip(axes.flat, ops):
        draw_graph(ax, generate_problem(k, template, seed), title=f"op = {k}", key=False)
    for ax in axes.flat[len(ops):]:
        ax.axis("off")
    fig.legend(handles=graph_key(), loc="outside lower center", ncol=5)
    return fig


QUERY, TOTAL_NODE, QUANTITY, IMPLICIT_EDGE = "#D55E00", "#56B4E9", "#E6E6E6", "#0072B2"  # the graph's colours


def graph_key() -> list:
    """Legend handles saying what the graph's colours and edge styles mean."""
    from matplotlib.lines import Line2D

    key = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#333333", label=t)
           for c, t in ((QUERY, "query"), (TOTAL_NODE, "implicit total"), (QUANTITY, "quantity"))]
    return key + [Line2D([], [], color="black", label="stated edge"),
                  Line2D([], [], color=IMPLICIT_EDGE, ls="--", label="implicit edge")]


def draw_graph(ax, problem: Problem, title: str | None = None, key: bool = True) -> None:
    """The gold DAG in layers (longest path from a leaf); implicit total edges dashed. Each node is labelled with its
    variable letter and value; key=False leaves the legend to the caller (one for several panels)."""
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
    colors = [QUERY if n == problem.query.name else TOTAL_NODE if g.nodes[n]["kind"] == TOTAL else QUANTITY
              for n in g.nodes]
    size = 900  # points^2: room for a label such as "m=120" at the text size of the figure's ticks
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colors, node_size=size, edgecolors="#333333")
    labels = {n: f"{g.nodes[n]['var']}={g.nodes[n]['value']}" for n in g.nodes}
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=9)
    nx.draw_networkx_edges(g, pos, edgelist=explicit, ax=ax, arrows=True, arrowsize=10, node_size=size)
    nx.draw_networkx_edges(g, pos, edgelist=implicit, ax=ax, arrows=True, arrowsize=10, style="dashed",
                           edge_color=IMPLICIT_EDGE, node_size=size)
    ax.set_title(title or f"op = {problem.op}: {len(g)} quantities")
    if key:
        ax.legend(handles=graph_key(), loc="lower left", frameon=False)
    ax.axis("off")


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


# == controls ========================================================================================================

def widget(op: int, seed: int, template: str):
    """Live kernel only: draw a new problem and its graph from the generator (op, seed, template, format)."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    controls = {"op": widgets.IntSlider(value=op, min=2, max=30, description="op"),
                "seed": widgets.IntText(value=seed, description="seed"),
                "template": widgets.Dropdown(options=list(TEMPLATES), value=template, description="template"),
                "ordered": widgets.Checkbox(value=False, description="ordered letters, no copies")}

    def draw(op, seed, template, ordered):
        cfg = GeneratorConfig(variable_names="ordered", copy_steps=False) if ordered else GeneratorConfig()
        prob = generate_problem(op, template, seed, cfg)
        fig, ax = plt.subplots(figsize=(6, 3.8))
        draw_graph(ax, prob)
        plt.show()
        print(prob.question, "\n\n" + prob.solution)

    c = controls
    return widgets.VBox([widgets.HBox([c["op"], c["seed"]]), widgets.HBox([c["template"], c["ordered"]]),
                         widgets.interactive_output(draw, controls)])
