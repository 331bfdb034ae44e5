"""The "performance ladder" chapter: the base model's pass@k per band and per op, and its verdicts.

The ladder is what every later chapter compares against (paper.md section 4): a base model
pre-trained on its in-distribution band solves it, sometimes solves the edge band, never the hard one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .plots import plot_pass_at_k

RECIPE = "ladder"
# The paper's ladder (paper.md section 4) beside ours.
PAPER = {"in_dist": {"pass@128": 1.0}, "edge": {"pass@1": 0.10, "pass@128": 0.40}, "hard": {"pass@128": 0.0}}
# What a calibrated scale must show (issues 5 and 11; >= 100 problems per band, n = 128). The unseen-shape
# criterion applies where the scale holds shapes out of training (band "unseen" in the result).
CRITERIA = {
    "in_dist pass@k_max >= 0.9": ("in_dist", "max", lambda v: v >= 0.9),
    "edge pass@1 <= 0.3": ("edge", 1, lambda v: v <= 0.3),
    "edge pass@k_max in [0.1, 0.8]": ("edge", "max", lambda v: 0.1 <= v <= 0.8),
    "hard pass@k_max <= 0.05": ("hard", "max", lambda v: v <= 0.05),
    "unseen-shape in_dist pass@k_max >= 0.8": ("unseen", "max", lambda v: v >= 0.8),
}
# The criterion that discriminates: a model that solves nothing meets "edge pass@1 <= 0.3" and the hard one.
EDGE_CRITERION = "edge pass@k_max in [0.1, 0.8]"


def load_or_run(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> dict:
    """The committed base-model result, or (fresh; smoke always) train and evaluate it now (runner.load_or_run)."""
    from .experiments.runner import load_or_run as load_or_run_recipe

    return load_or_run_recipe(RECIPE, scale, seed, fresh)


def table(result: dict) -> pd.DataFrame:
    return pd.DataFrame(result["data"]["table"])


def band_value(t: pd.DataFrame, band: str, metric: str = "pass@k", k="max") -> tuple[float, float, float]:
    rows = t[(t.group == "band") & (t.key == band) & (t.metric == metric)]
    if metric in ("process_acc", "nll"):
        r = rows.iloc[0]
    else:
        r = rows[rows.k == (rows.k.max() if k == "max" else k)].iloc[0]
    return float(r.value), float(r.lo), float(r.hi)


def verdicts(t: pd.DataFrame) -> pd.DataFrame:
    """Each calibration criterion the result can be checked against: our value with its interval, and whether
    it holds (the unseen-shape one only where the result has the unseen-shape test)."""
    rows = []
    k_max = int(t[t.metric == "pass@k"].k.max())
    bands = set(t[t.group == "band"].key)
    for label, (band, k, ok) in CRITERIA.items():
        if band not in bands:
            continue
        v, lo, hi = band_value(t, band, "pass@k", k)
        rows.append({"criterion": label.replace("k_max", str(k_max)), "ours": round(v, 3),
                     "95% CI": f"[{lo:.3f}, {hi:.3f}]", "holds": bool(ok(v)), "rule": label})
    return pd.DataFrame(rows)


def verdict(v: pd.DataFrame) -> str:
    """The ladder's verdict from `verdicts`: "reproduced" when every criterion holds; "not reproduced" when the
    edge criterion fails, whatever else holds (a model that solves nothing meets the others); else "partly"."""
    edge_holds = bool(v[v.rule == EDGE_CRITERION].holds.all()) and (v.rule == EDGE_CRITERION).any()
    if not edge_holds:
        return "not reproduced"
    return "reproduced" if bool(v.holds.all()) else "partly reproduced"


def seen_beside_unseen(t: pd.DataFrame) -> pd.DataFrame:
    """The unseen-shape test per op: pass@1 and pass@k_max on held-out graph shapes beside the same ops' ordinary
    eval set (every shape, so mostly seen ones); empty when the result has no unseen-shape test."""
    k_max = int(t[t.metric == "pass@k"].k.max())
    unseen = t[(t.group == "unseen-op") & (t.metric == "pass@k")]
    rows = []
    for op in sorted(unseen.key.astype(int).unique()):
        row = {"op": op}
        for label, group in (("eval set", "op"), ("unseen shapes", "unseen-op")):
            for k in (1, k_max):
                r = t[(t.group == group) & (t.key == str(op)) & (t.metric == "pass@k") & (t.k == k)].iloc[0]
                row[f"{label} pass@{k}"] = f"{r.value:.3f} [{r.lo:.3f}, {r.hi:.3f}]"
        rows.append(row)
    return pd.DataFrame(rows)


def paper_beside_ours(t: pd.DataFrame) -> pd.DataFrame:
    k_max = int(t[t.metric == "pass@k"].k.max())
    rows = []
    for band, metrics in PAPER.items():
        for metric, paper_value in metrics.items():
            k = 1 if metric == "pass@1" else "max"
            v, lo, hi = band_value(t, band, "pass@k", k)
            ours_label = metric if k == 1 else f"pass@{k_max}"
            rows.append({"band": band, "metric (paper)": metric, "paper": paper_value,
                         "metric (ours)": ours_label, "ours": round(v, 3), "95% CI": f"[{lo:.3f}, {hi:.3f}]"})
    return pd.DataFrame(rows)


def plot_bands(ax, t: pd.DataFrame, metric: str = "pass@k") -> None:
    for band in ("in_dist", "edge", "hard"):
        rows = t[(t.group == "band") & (t.key == band) & (t.metric == metric)].sort_values("k")
        if len(rows):
            plot_pass_at_k(ax, rows.k.astype(int).tolist(), rows.value, rows.lo, rows.hi, label=band)
    ax.set_title(f"{metric} per band (95% bootstrap CI over problems)")
    ax.legend()


def plot_per_op(ax, t: pd.DataFrame) -> None:
    k_max = int(t[t.metric == "pass@k"].k.max())
    ops = t[(t.group == "op") & (t.metric == "pass@k")]
    for k, style in ((1, "o-"), (k_max, "s--")):
        rows = ops[ops.k == k].assign(op=lambda d: d.key.astype(int)).sort_values("op")
        ax.errorbar(rows.op, rows.value, yerr=[rows.value - rows.lo, rows.hi - rows.value], fmt=style, ms=3,
                    capsize=2, label=f"pass@{k} (verified)")
    pa = t[(t.group == "op") & (t.metric == "process_acc")].assign(op=lambda d: d.key.astype(int)).sort_values("op")
    ax.plot(pa.op, pa.value, "^:", ms=3, label="mean process accuracy")
    ax.set(xlabel="op", ylabel="score", ylim=(-0.02, 1.02), title="per op")
    ax.legend()


def plot_loss(ax, result: dict) -> None:
    log = result["data"]["training_logs"]["base"]["pretrain"]
    if log:
        ax.plot([r["tokens"] / 1e6 for r in log], [r["loss"] for r in log])
    ax.set(xlabel="training tokens (M)", ylabel="next-token loss", title="pre-training loss", yscale="log")


# -- what the base model learned, token by token (issue 11) ---------------------------------------

TOKEN_CLASSES = ("entity name", "variable letter", "number", "format")
TOKEN_RESULT = "ladder-tokens-{scale}"  # committed for laptop; computed from the base checkpoint otherwise
TOKEN_PROBLEMS_PER_OP = {"smoke": 4, "laptop": 30, "gpu": 30, "paper": 30}
_LETTER = re.compile(r"[A-Za-z]{1,2}")


def token_classes(pieces: list[str]) -> list[str]:
    """The class of each token of a gold completion, from its decoded pieces: the words between "Define" and
    "as" name an entity; a short identifier elsewhere is a variable letter; digits are numbers; the rest
    (Define, as, so, =, +, ;, ., tags, spaces) is format."""
    out, in_name = [], False
    for piece in pieces:
        word = piece.strip()
        if word == "Define":
            in_name = True
            out.append("format")
        elif in_name and word == "as":
            in_name = False
            out.append("format")
        elif in_name and word:
            out.append("entity name")
        elif word.isdigit():
            out.append("number")
        elif _LETTER.fullmatch(word) and word not in ("so", "as"):
            out.append("variable letter")
        else:
            out.append("format")
    return out


def token_accuracy(model, tokenizer, problems_by_op: dict[int, list]) -> list[dict]:
    """Teacher-forced on gold solutions: per op and token class, the mean probability the model gives the gold
    token and the share of tokens it gives less than 0.5 (where it would likely sample something else).

    A model that memorised one template per graph shape is sure of every token inside its training band and
    loses the entity names first beyond it (the name must be copied from the question)."""
    from .evaluate import encode_prompt
    from .sampling import logprobs_of

    rows = []
    for op, problems in sorted(problems_by_op.items()):
        prompts = [encode_prompt(tokenizer, p) for p in problems]
        golds = [tokenizer(p.completion, add_special_tokens=False)["input_ids"] for p in problems]
        probs: dict[str, list[float]] = {c: [] for c in TOKEN_CLASSES}
        for gold, lps in zip(golds, logprobs_of(model, prompts, golds)):
            for cls, lp in zip(token_classes([tokenizer.decode([t]) for t in gold]), lps):
                probs[cls].append(float(np.exp(lp)))
        for cls, ps in probs.items():
            if ps:
                rows.append({"op": op, "class": cls, "tokens": len(ps), "mean_p": float(np.mean(ps)),
                             "share_below_half": float(np.mean(np.array(ps) < 0.5))})
    return rows


def token_accuracy_result(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> dict:
    """The committed token-accuracy result of the ladder's base model, or (fresh, or none committed) computed
    now from the base checkpoint (trained by the ladder recipe; smoke trains it in seconds)."""
    import time

    from .experiments.recipes import get_recipe
    from .experiments.runner import finished_stage, result_name, run_recipe
    from .generator import Mixture, make_dataset
    from .model import load_checkpoint
    from .provenance import check_artifact, load_result, make_manifest, save_result

    name = TOKEN_RESULT.format(scale=scale) + (f"-seed{seed}" if seed else "")
    if not fresh:
        try:
            return load_result(name)
        except FileNotFoundError:
            pass
    recipe = get_recipe(RECIPE, scale)
    final = finished_stage(recipe, "base", "pretrain", seed)
    if final is None:
        if scale != "smoke":
            raise FileNotFoundError(f"no base model of {result_name(RECIPE, scale, seed)} trained yet; run "
                                    f"`python -m reasonlab run {RECIPE} --scale {scale}` first")
        run_recipe(RECIPE, scale, seed=seed, progress=False)
        final = finished_stage(recipe, "base", "pretrain", seed)
    t0 = time.perf_counter()
    model, tokenizer = load_checkpoint(final)
    sc, n = recipe.scale, TOKEN_PROBLEMS_PER_OP[scale]
    ops = range(sc.in_dist[0], sc.hard[1] + 1)
    sets = {op: make_dataset(Mixture.band(op, op, "animals-zoo", sc.generator), "eval", n, seed) for op in ops}
    rows = token_accuracy(model, tokenizer, sets)
    manifest = make_manifest("ladder-token-accuracy", {"scale": scale, "seed": seed, "problems_per_op": n,
                                                        "ops": list(ops), "template": "animals-zoo"},
                             parents=(check_artifact(final)["config_hash"],), wall_time_s=time.perf_counter() - t0,
                             recipe=RECIPE, scale=scale)
    save_result(name, {"rows": rows}, manifest)
    return load_result(name)

