"""The model's own outputs with the verifier's report on each, and an error analysis by kind (issue 13 item 5):
what a researcher reads before trusting a pass@k. Sampled as the evaluation samples, from the ladder's base
model; the same tables and figures serve any checkpoint's samples.

This module reads the samples and presents them (tables, figures, example text, the prose's numbers). Drawing and
saving them is the computing layer's (reasonlab.experiments.samples), which the entries here call on `fresh`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..experiments.samples import EXAMPLE_ROLES, example_role, save_arms_samples, save_samples
from ..experiments.scales import BANDS
from ..results import Result, load_or_compute
from ..verify import STEP_KINDS
from .ladder import base_checkpoint

# matplotlib.pyplot loads inside the figure: reading the samples needs none of it, and it takes seconds to import.


SAMPLES_RESULT = "ladder-samples-{scale}"  # committed for laptop; computed from the base checkpoint otherwise
KIND_COLOURS = {"correct": "#009E73", "wrong value": "#E69F00", "wrong dependency": "#CC79A7",
                "missing quantity": "#999999"}
BAND_SHADES = {"in_dist": "#0072B2", "edge": "#E69F00", "hard": "#D55E00"}


def samples_result(scale: str = "laptop", seed: int = 0, fresh: bool = False, progress: bool = False) -> Result:
    """The committed sample of the ladder base model's own outputs with the verifier's report on each, or (fresh,
    or none committed) sampled now from the base checkpoint (smoke trains it in seconds) by
    experiments.samples.save_samples: SAMPLES_PROBLEMS_PER_OP eval problems per op of every band, SAMPLES_PER_PROBLEM
    samples each, as the evaluation samples them."""
    name = SAMPLES_RESULT.format(scale=scale) + (f"-seed{seed}" if seed else "")
    return load_or_compute(name, fresh, lambda: save_samples(name, base_checkpoint(scale, seed), scale, seed, progress))


def arm_checkpoints(runs: Result, arms: list[str]) -> dict[str, str]:
    """{arm: its final checkpoint (a portable path)} of the `arms` a recipe result records the work of (arm_work)."""
    work = runs.data.get("arm_work", {})
    return {a: work[a]["parent"] for a in arms if a in work}


def arms_samples(recipe_id: str, scale: str, checkpoints: dict[str, str], fresh: bool = False) -> Result:
    """The committed samples "<recipe_id>-samples-<scale>" of RL arms' own outputs ({label: checkpoint, a portable
    path}), with the verifier's report on each, drawn on the problems and sampling seeds of the base's sample (the
    ladder's evaluation, so every arm pairs with the base), or (fresh, or none committed) sampled now from the
    checkpoints this machine has (experiments.samples.save_arms_samples: the others are listed as missing)."""
    name = f"{recipe_id}-samples-{scale}"
    return load_or_compute(name, fresh, lambda: save_arms_samples(name, recipe_id, scale, checkpoints))


def coverage_note(samples: Result) -> str:
    """Which models' samples were reused or kept from an earlier sample and which were never taken (checkpoints
    gone)."""
    notes = []
    if samples.data.get("reused"):
        notes.append("Reused from the previous sample of the same checkpoints, with the same problems and seeds "
                     "(sampling is deterministic given both): " + ", ".join(samples.data["reused"]) + ".")
    if samples.data.get("kept"):
        notes.append("Kept from the previous sample, with the same problems and seeds, because their checkpoints "
                     "were no longer on the machine that took this one: " + ", ".join(samples.data["kept"]) + ".")
    if samples.data.get("missing"):
        notes.append("Not sampled, because their checkpoints were no longer on the machine that took the sample: "
                     + ", ".join(samples.data["missing"]) + ".")
    return " ".join(notes)


def kinds_by_band(samples: dict[str, list[dict]]) -> pd.DataFrame:
    """Per model and band: the share of gold steps in each kind and the share of samples that verify, that have
    the right answer, and that have it without verifying; {model: sample records} in, one row per (model, band)."""
    rows = []
    for model, records in samples.items():
        d = _frame(records)
        for band, g in d.groupby("band", sort=False):
            rows.append({"model": model, "band": band, **{k: round(v, 3) for k, v in _kind_shares(g).items()},
                         "verified": round(float(g.verified.mean()), 3),
                         "answer right": round(float(g.answer_right.mean()), 3),
                         "reward-hacked": round(float((g.role == "reward-hacked").mean()), 3)})
    return pd.DataFrame(rows)


def samples_of(samples: Result, arm: str) -> Result:
    """One arm's samples (of a samples result of RL arms, {"arms": {arm: records}}) as a result this module's tables
    and examples read."""
    return Result(f"{samples.name}:{arm}", samples.manifest, {"samples": samples.data["arms"][arm]})


def kinds_table(base_samples: Result, samples: Result, band: str = "edge") -> pd.DataFrame:
    """On one band: the base's and each sampled arm's share of gold steps per kind, and of samples that verify, that
    have the right answer, and that have it without verifying."""
    t = kinds_by_band({"base": base_samples.data["samples"], **samples.data["arms"]})
    return t[t.band == band].drop(columns="band").set_index("model")


def _samples_frame(samples: Result) -> pd.DataFrame:
    return _frame(samples.data["samples"])


def _frame(records: list[dict]) -> pd.DataFrame:
    d = pd.DataFrame(records)
    d["role"] = [example_role(v, a) for v, a in zip(d.verified, d.answer_right)]
    for k in (*STEP_KINDS, "after_missing"):
        d[k] = d[k].astype(int)
    return d


def _kind_shares(d: pd.DataFrame) -> dict[str, float]:
    """Share of all gold steps of the samples `d` in each kind (steps pooled, so a long problem weighs more)."""
    total = d.n_gold.sum()
    return {k: float(d[k].sum() / total) if total else float("nan") for k in STEP_KINDS}


def error_table(samples: Result) -> pd.DataFrame:
    """Per op: the share of gold steps in each kind, the share of the wrong dependencies that follow a missing
    parent, mean extra steps per sample, and the share of samples that verify, that have the right answer
    (outcome only), and that have it without verifying (reward-hacked)."""
    d = _samples_frame(samples)
    rows = []
    for op, g in d.groupby("op", sort=True):
        row = {"op": int(op), "band": g.band.iloc[0], "samples": len(g)}
        row.update({k: round(v, 3) for k, v in _kind_shares(g).items()})
        deps = g["wrong dependency"].sum()
        row.update({"dependency after missing": round(float(g.after_missing.sum() / deps), 3) if deps else 0.0,
                    "extra steps": round(float(g.extra_steps.mean()), 2),
                    "verified": round(float(g.verified.mean()), 3),
                    "answer right": round(float(g.answer_right.mean()), 3),
                    "reward-hacked": round(float((g.role == "reward-hacked").mean()), 3)})
        rows.append(row)
    return pd.DataFrame(rows)


def fig_error_kinds(samples: Result, recipe):
    """Stacked bars per op: the share of the base model's gold steps in each kind, the bands shaded; the share
    of samples that verify and that have the right answer beside them."""
    import matplotlib.pyplot as plt

    t, cfg = error_table(samples), samples.manifest.get("config", {})
    fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    for label, lo, hi in recipe.evaluation.bands:
        band = label
        ax.axvspan(lo - 0.5, hi + 0.5, color=BAND_SHADES.get(band, "grey"), alpha=0.08, linewidth=0)
        ax.text((lo + hi) / 2, 1.03, band, ha="center", va="bottom", color=BAND_SHADES.get(band, "grey"))
    bottom = np.zeros(len(t))
    for kind, colour in KIND_COLOURS.items():
        ax.bar(t.op, t[kind], 0.7, bottom=bottom, color=colour, label=f"gold steps: {kind}")
        bottom += t[kind].to_numpy()
    ax.plot(t.op, t.verified, "ko-", ms=3, label="samples verified")
    ax.plot(t.op, t["answer right"], "kx:", ms=4, label="samples with the right answer")
    ax.set(xlabel="op", ylabel="share", ylim=(0, 1.1), xticks=t.op,
           title=f"the base model's own outputs, step by step\n({cfg.get('problems_per_op', '?')} problems per op "
                 f"x {cfg.get('samples', '?')} samples)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)  # below the panel: no bar under it
    return fig


def _short_question(prompt: str, chars: int) -> str:
    """The question without its tags; a long one keeps its start and its last sentence (what it asks)."""
    q = prompt.replace("<question>", "").replace("</question>", "").replace("<solution>", "").strip()
    if len(q) <= chars:
        return q
    last = q[q.rstrip(".?").rfind(". ") + 2:]
    return q[: max(0, chars - len(last))].rsplit(" ", 1)[0] + " [...] " + last


def _fenced(text: str) -> str:
    """A code block that no run of backticks inside the text can close."""
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def _cell(text: str) -> str:
    """Text for a markdown table cell (the model writes the names its steps use; a "|" must not end a cell)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|")


def example_ops(samples: Result) -> dict[str, int]:
    """The op shown per band: the one with the most example roles stored, ties to the op nearest the edge of
    the training band (the top in-dist op, the lowest edge and hard ops)."""
    d = _samples_frame(samples)
    if "example" not in d:
        return {}
    ex = d[d.example.notna()]
    out = {}
    for band in d.band.unique():  # in op order: the ladder's in_dist, edge, hard; S4's low, high
        g = ex[ex.band == band]
        if len(g):
            roles = g.groupby("op").example.nunique()
            out[band] = int(max(roles.index, key=lambda op: (roles[op], op if band == "in_dist" else -op)))
    return out


def completions(records: list[dict]) -> dict[tuple[str, int], str]:
    """{(problem hash, sample index): completion} of the samples whose text is stored (the examples)."""
    return {(r["text_hash"], r["sample"]): r["completion"] for r in records if "completion" in r}


def example_outputs(samples: Result, question_chars: int = 480, reference: Result | None = None) -> str:
    """Markdown: for one op per band (example_ops), a solved, a reward-hacked and a failed output of the base model
    (those that exist): the question (shortened), the completion, and the verifier's report per gold step. With a
    `reference` sample (the base's, for an RL arm's), each example says whether it is word for word the reference's
    output on the same problem with the same sampling seed, where that output is stored."""
    same_as = completions(reference.data["samples"]) if reference is not None else {}
    d = _samples_frame(samples)
    if "example" not in d:
        return "No example outputs stored."
    parts = []
    for band, op in example_ops(samples).items():
        ex = d[(d.op == op) & d.example.notna()]
        for role in EXAMPLE_ROLES:
            r = ex[ex.example == role]
            if not len(r):
                parts.append(f"**op {op} ({band}), {role}:** none of its {int((d.op == op).sum())} samples.")
                continue
            r = r.iloc[0].to_dict()  # a dict: a row Series has methods named like the fields (sample)
            table = ["| gold quantity | kind | detail |", "|---|---|---|"]
            table += [f"| {_cell(s['quantity'])} | {s['kind']} | {_cell(s['detail'])} |" for s in r["steps"]]
            answer = "none" if r["answer"] is None or pd.isna(r["answer"]) else int(r["answer"])
            other = same_as.get((r["text_hash"], int(r["sample"])))
            same = ("" if other is None else "; word for word the base model's output" if other == r["completion"]
                    else "; the base model wrote something else")
            parts.append("\n\n".join([
                f"**op {op} ({band}), {role}** (problem `{r['text_hash'][:10]}`, sample {int(r['sample'])}; "
                f"process accuracy {r['process_acc']:.2f}{same})",
                f"Question (shortened): {_short_question(r['question'], question_chars)}",
                "The completion as the model wrote it (a line break added before each step):",
                _fenced(r["completion"].replace(" Define ", "\nDefine ")), "\n".join(table),
                f"Answer: gold {int(r['gold_answer'])}, model {answer} ({'right' if r['answer_right'] else 'wrong'}). "
                f"Extra steps (quantities not in the gold graph): {', '.join(r['extra']) or 'none'}.",
            ]))
    return "\n\n".join(parts)


def samples_numbers(samples: Result, result: Result | None = None) -> dict:
    """The numbers the chapter's prose quotes about the model's own outputs, for glue: per band the share of
    samples that verify, that have the right answer, and of those the share that does not verify; the share of
    gold steps in each kind; of the wrong gold steps, the share of each kind and the most common one; and the
    share of wrong dependencies that follow a missing parent. With the ladder's `result`, also its pass@1 on the
    same problems (its many more samples per problem), which the verified share here estimates."""
    d = _samples_frame(samples)
    if result is not None:
        pass1 = {r["text_hash"]: r["verified"] / r["n"] for r in result.records("base") if r.get("set") != "unseen"}
        d["ladder_pass1"] = d.text_hash.map(pass1)  # every problem weighs the same: each has as many samples
    pct = lambda v: "n/a" if v != v else f"{v:.1%}"  # noqa: E731 (nan: nothing to share)
    slug = lambda k: k.replace(" ", "_")  # noqa: E731
    out = {"samples_n": len(d), "samples_per_problem": int(d.groupby("text_hash").size().max()),
           "samples_problems_per_op": int(d.groupby("op").text_hash.nunique().max())}
    for band in BANDS:
        g = d[d.band == band]
        if not len(g):
            continue
        right = g[g.answer_right]
        out[f"{band}_verified"] = pct(g.verified.mean())
        if result is not None:  # "n/a" where the ladder's evaluation has not got every one of these problems
            out[f"{band}_ladder_pass1"] = pct(g.ladder_pass1.mean() if g.ladder_pass1.notna().all() else float("nan"))
        out[f"{band}_answer_right"] = pct(g.answer_right.mean())
        out[f"{band}_hacked_of_right"] = pct((~right.verified).mean() if len(right) else float("nan"))
        out[f"{band}_extra_steps"] = f"{g.extra_steps.mean():.2f}"
        for k, v in _kind_shares(g).items():
            out[f"{band}_{slug(k)}"] = pct(v)
        wrong = {k: int(g[k].sum()) for k in STEP_KINDS if k != "correct"}
        total = sum(wrong.values())
        for k, v in wrong.items():
            out[f"{band}_{slug(k)}_of_wrong"] = pct(v / total if total else float("nan"))
        out[f"{band}_top_error"] = max(wrong, key=wrong.get) if total else "none"
        deps = wrong["wrong dependency"]
        out[f"{band}_dependency_after_missing"] = pct(g.after_missing.sum() / deps if deps else float("nan"))
    return out


