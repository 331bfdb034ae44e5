"""Committed results, read one way: one `Result`, one loader, and the tidy-table accessors every chapter uses.

A result is `data/results/<name>.json` = {"manifest": provenance, "data": {...}}. Recipe results (the runner's)
hold a tidy table (one row per model, group, key, metric and k, with a value and a 95% bootstrap interval),
per-problem records and training logs. The filtering of that table lives here once.

    r = results.load_or_run("ladder", "laptop")
    r.value("base", "edge", k=1)           # Estimate(value, lo, hi) of the edge band's verified pass@1
    paired_delta(r.records("base"), s3.records("rl-op10-13"), (10, 13), k=64)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .evaluate import UNSEEN, band_answers, guess_pass_at_k, pass_at_k, ratio_ci
from .experiments.runner import result_name, run_recipe
from .generator import Band, LabelledBand, band_named
from .provenance import load_result


@dataclass(frozen=True)
class Estimate:
    """A number with its 95% interval: a pass@k on a band, or a paired change between two models."""

    value: float
    lo: float
    hi: float

    @property
    def above_zero(self) -> bool:
        return self.lo > 0

    @property
    def below_zero(self) -> bool:
        return self.hi < 0

    def fmt(self, signed: bool = False, digits: int = 3) -> str:
        f = f"{{:{'+' if signed else ''}.{digits}f}}"
        return f"{f.format(self.value)} [{f.format(self.lo)}, {f.format(self.hi)}]"

    def __str__(self) -> str:
        return self.fmt()


NO_INTERVAL_METRICS = ("process_acc", "nll")  # one row per band, no k


def select(table: pd.DataFrame, model: str | None = None, group: str | None = "band", key: str | None = None,
           metric: str | None = "pass@k", k: int | str | None = None) -> pd.DataFrame:
    """The rows of a tidy table that match every filter given (None: any). k="max": the largest k of the
    matching rows."""
    t = table
    for col, want in (("model", model), ("group", group), ("key", key), ("metric", metric)):
        if want is not None:
            t = t[t[col] == want]
    if k == "max":
        t = t[t.k == t.k.max()]
    elif k is not None:
        t = t[t.k == k]
    return t


def estimate(table: pd.DataFrame, model: str, key: str, metric: str = "pass@k", k: int | str | None = "max",
             group: str = "band") -> Estimate:
    """One number of a tidy table (a band's pass@k by default). Raises KeyError when the table has no such row."""
    rows = select(table, model, group, key, metric, None if metric in NO_INTERVAL_METRICS else k)
    if rows.empty:
        raise KeyError(f"no {metric}{'' if k is None else f' k={k}'} of model {model!r} on {group} {key!r}")
    r = rows.iloc[0]
    return Estimate(float(r.value), float(r.lo), float(r.hi))


def k_max(table: pd.DataFrame, model: str | None = None) -> int:
    """The largest k every model of the table (or `model`) has a verified pass@k at: the k comparisons use."""
    t = select(table, model, group=None)
    return int(t.groupby("model").k.max().min())


@dataclass
class Result:
    """A committed result: its name, provenance manifest and data, with the tidy table as a DataFrame."""

    name: str
    manifest: dict
    data: dict

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.data.get("table", []))

    @property
    def models(self) -> list[str]:
        """The models (arms) of a recipe result, in the recipe's order (the file's keys are sorted; the manifest
        lists the arms in order)."""
        have = list(self.data.get("records", {}))
        ordered = [a for a in self.manifest.get("config", {}).get("arms", []) if a in have]
        return ordered + [a for a in have if a not in ordered]

    def records(self, model: str) -> list[dict]:
        """Per-problem evaluation records of one model (text_hash, op, n samples, verified count, ...)."""
        return self.data["records"][model]

    def logs(self, model: str, stage: str) -> list[dict]:
        """A model's training log of one stage ("pretrain", "mid", "rl"); empty when none was kept."""
        return self.data.get("training_logs", {}).get(model, {}).get(stage, [])

    def value(self, model: str, band: str, metric: str = "pass@k", k: int | str | None = "max") -> Estimate:
        return estimate(self.table, model, band, metric, k)


def load(name: str) -> Result:
    """The committed result `data/results/<name>.json` (FileNotFoundError if there is none)."""
    raw = load_result(name)
    return Result(name, raw["manifest"], raw["data"])


def load_or_run(recipe_id: str, scale: str = "laptop", seed: int = 0, fresh: bool = False,
                rl_seed: int | None = None) -> Result:
    """A recipe's result keyed by (recipe, scale, seed, rl_seed): the committed one, or (fresh) run it now.

    Without `fresh` nothing trains, at any scale: a missing result is refused with the command that makes it (a
    chapter's `load` never starts a run inside a book build or a scoreboard)."""
    name = result_name(recipe_id, scale, seed, rl_seed)
    if not fresh:
        try:
            return load(name)
        except FileNotFoundError:
            rl = f" --rl-seed {rl_seed}" if rl_seed is not None else ""
            raise FileNotFoundError(
                f"no committed result {name!r}; run `python -m reasonlab run {recipe_id} --scale {scale}"
                f"{' --seed ' + str(seed) if seed else ''}{rl}` (or the chapter's notebook with fresh=True) "
                f"to make it") from None
    run_recipe(recipe_id, scale, seed=seed, progress=False, rl_seed=rl_seed)
    return load(name)


def load_or_compute(name: str, fresh: bool, compute: Callable[[], object]) -> Result:
    """The committed result `name`, or (fresh, or none committed) `compute()` it now (it saves `name`): for derived
    results that need no training (samples of existing checkpoints, statistics)."""
    if not fresh:
        try:
            return load(name)
        except FileNotFoundError:
            pass
    compute()
    return load(name)


def reruns(recipe_id: str, scale: str = "laptop", seed: int = 0, max_rl_seed: int = 9) -> dict[int, Result]:
    """{rl_seed: result} of the committed reruns of some arms with another RL seed from the same base
    (`python -m reasonlab run RECIPE --rl-seed N --arm ...`), for rl_seed 1, 2, ... while they exist."""
    out = {}
    for rl_seed in range(1, max_rl_seed + 1):
        try:
            out[rl_seed] = load(result_name(recipe_id, scale, seed, rl_seed))
        except FileNotFoundError:
            break
    return out


def with_rerun(runs: Result, rerun: Result) -> Result:
    """Seed 0's recipe result with a rerun's arms in place of its own (records, table rows, training logs and
    manifests; `python -m reasonlab run RECIPE --rl-seed N --arm ...`). An arm the rerun does not have stays seed 0's:
    every arm is evaluated on the same problems and sampling seeds, so the mix is still paired."""
    arms = set(rerun.models)
    data = dict(runs.data)
    data["records"] = runs.data["records"] | rerun.data["records"]
    data["table"] = [r for r in runs.data.get("table", []) if r["model"] not in arms] + rerun.data.get("table", [])
    for part in ("training_logs", "training_manifests", "arm_work"):
        data[part] = runs.data.get(part, {}) | rerun.data.get(part, {})
    return Result(f"{runs.name}+{rerun.name}", runs.manifest, data)


COUNTS = ("verified", "outcome")  # what a sample must get right: the process-verified solution, or the answer alone


def _per_problem(records: list[dict], lo: int, hi: int, k: int, count: str = "verified") -> dict[str, float]:
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}, got {count!r}")
    return {r["text_hash"]: pass_at_k(r["n"], r[count], k) for r in records if lo <= r["op"] <= hi}


class RecipeRuns:
    """What a chapter object over one recipe result shares (S5/A.10, S6, A.7): its tidy table, its largest k and its
    evaluation bands. The subclass holds `runs` (the Result) and `recipe` (the Recipe that made it)."""

    @cached_property
    def table(self) -> pd.DataFrame:
        return self.runs.table

    @cached_property
    def k_max(self) -> int:
        return k_max(self.table)

    @property
    def bands(self) -> tuple[LabelledBand, ...]:
        return self.recipe.evaluation.bands

    def band(self, label: str) -> Band:
        """The op range (lo, hi) of the evaluation band labelled `label`."""
        return band_named(self.bands, label).op_range


def paired_delta(base: list[dict], model: list[dict], ops: tuple[int, int], k: int, n_boot: int = 2000,
                 seed: int = 0, count: str = "verified") -> Estimate:
    """Mean over the problems both evaluated on ops [lo, hi] of pass@k(model) - pass@k(base), with a paired 95%
    bootstrap interval over problems (the same problem resampled for both). `count="outcome"` counts a sample
    that reaches the right answer whatever its steps (outcome-only pass@k, beside the paper's verified one)."""
    a, b = _per_problem(base, *ops, k, count), _per_problem(model, *ops, k, count)
    return _paired(a, b, ops, n_boot, seed)


def paired_gain_gap(base: list[dict], model: list[dict], other_base: list[dict], other_model: list[dict],
                    ops: tuple[int, int], k: int, n_boot: int = 2000, seed: int = 0) -> Estimate:
    """(model - base) - (other_model - other_base) in verified pass@k on ops [lo, hi]: one change against another (e.g.
    RL's gain from two bases), paired per problem when all four were evaluated on the same problems, with
    paired_delta's bootstrap over problems."""
    def gain(b, m):
        before = _per_problem(b, *ops, k)
        return {h: v - before[h] for h, v in _per_problem(m, *ops, k).items() if h in before}

    return _paired(gain(other_base, other_model), gain(base, model), ops, n_boot, seed)


def paired_field_delta(base: list[dict], model: list[dict], ops: tuple[int, int], field: str, n_boot: int = 2000,
                       seed: int = 0) -> Estimate:
    """Like paired_delta, for a number each record carries per problem (e.g. "nll", the gold solution's mean NLL per
    token): its mean change over the problems both evaluated on ops [lo, hi], with a paired 95% bootstrap interval."""
    a, b = ({r["text_hash"]: r[field] for r in recs if ops[0] <= r["op"] <= ops[1]} for recs in (base, model))
    return _paired(a, b, ops, n_boot, seed)


def _paired(a: dict[str, float], b: dict[str, float], ops: tuple[int, int], n_boot: int, seed: int) -> Estimate:
    """Mean of b - a over the problems in both, with a bootstrap interval that resamples problems (both at once)."""
    keys = sorted(set(a) & set(b))
    if not keys:
        raise ValueError(f"no problem on ops {ops} was evaluated for both models")
    d = np.array([b[h] - a[h] for h in keys])
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(1)
    return Estimate(float(d.mean()), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975)))


def paired_changes(pairs: dict, bands: Sequence[LabelledBand], ks, key: str = "arm",
                   templates: tuple[str | None, ...] = (None,)) -> pd.DataFrame:
    """Paired pass@k changes, model minus its base, one row per (label, template, band, k) with the change and its
    95% interval: `pairs` is {label: (base records, model records)} and the label goes in column `key`; with
    templates, the records of each template (context) alone and a "template" column."""
    rows = []
    for label, (base, model) in pairs.items():
        for template in templates:
            b, m = ((r for r in recs if template is None or r["template"] == template) for recs in (base, model))
            b, m = list(b), list(m)
            for band in bands:
                for k in ks:
                    d = paired_delta(b, m, band.op_range, k)
                    rows.append({key: label, **({"template": template} if template else {}), "band": band.label, "k": k,
                                 "delta": d.value, "lo": d.lo, "hi": d.hi})
    return pd.DataFrame(rows)


def change(changes: pd.DataFrame, **where) -> Estimate:
    """One row of a `paired_changes` table, e.g. change(dt, arm="rl-op10-13", band="edge", k=64)."""
    rows = changes
    for column, value in where.items():
        rows = rows[rows[column] == value]
    if rows.empty:
        raise KeyError(f"no paired change with {where}")
    r = rows.iloc[0]
    return Estimate(float(r.delta), float(r.lo), float(r.hi))


def mean_log(rows: list[dict], key: str) -> float:
    """Mean of a training-log column over the rows that have it (nan without any)."""
    vals = [r[key] for r in rows if r.get(key) is not None and not (isinstance(r[key], float) and math.isnan(r[key]))]
    return float(np.mean(vals)) if vals else float("nan")


# GRPO training logs: the reward's rise over a run (A.8's reward gain, A.7's reward rise)

def reward_series(rows: list[dict], context: str | None = None) -> list[float]:
    """Mean training reward per GRPO step: of the whole batch (A and B prompts), or of one context's prompts alone
    (`reward_by_template`, logged by runs from session 5 on; an older log has none)."""
    if context is None:
        return [x["reward_mean"] for x in rows if x.get("reward_mean") is not None]
    return [x["reward_by_template"][context] for x in rows
            if (x.get("reward_by_template") or {}).get(context) is not None]


def _windows(rows: list[dict], window: int, context: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The rewards of the first and the last `window` GRPO steps (None when the log is shorter than two windows)."""
    r = reward_series(rows, context)
    return (np.array(r[:window]), np.array(r[-window:])) if len(r) >= 2 * window else None


def _welch(groups: list[tuple[int, np.ndarray]]) -> Estimate:
    """The sum of sign x mean over (sign, steps) groups, with a Welch 95% interval (Welch-Satterthwaite degrees of
    freedom): the steps of each window are the samples, the windows independent."""
    d = float(sum(sign * g.mean() for sign, g in groups))
    var = [g.var(ddof=1) / len(g) for _, g in groups]
    se = math.sqrt(sum(var))
    if se == 0:
        return Estimate(d, d, d)
    dof = sum(var) ** 2 / sum(v ** 2 / (len(g) - 1) for v, (_, g) in zip(var, groups))
    h = float(stats.t.ppf(0.975, dof)) * se
    return Estimate(d, d - h, d + h)


def reward_gain(rows: list[dict], window: int = 5, context: str | None = None) -> Estimate:
    """Mean training reward of the last `window` GRPO steps minus the first `window`, with a Welch 95% interval
    over steps (nan when the log is shorter than two windows); `context` restricts it to that context's prompts."""
    w = _windows(rows, window, context)
    if w is None:
        return Estimate(math.nan, math.nan, math.nan)
    first, last = w
    return _welch([(-1, first), (1, last)])


def reward_contrast(rows: list[dict], other: list[dict], window: int = 5) -> Estimate:
    """One arm's reward gain minus another's, with a Welch 95% interval over the four windows' steps (nan when either
    log is shorter than two windows): A.8's contrast between a >= 1% arm and a minimal-exposure arm."""
    a, b = _windows(rows, window, None), _windows(other, window, None)
    if a is None or b is None:
        return Estimate(math.nan, math.nan, math.nan)
    return _welch([(-1, a[0]), (1, a[1]), (1, b[0]), (-1, b[1])])


def rl_controls(records: dict[str, list[dict]], problem_sets: dict, bands: Sequence[LabelledBand],
                k: int) -> pd.DataFrame:
    """The RL controls per model and band (issue 25), one row per (model, band), the blind guesser last:
    verified pass@1 and pass@k, outcome pass@1 and pass@k (answer right, whatever the steps), the hacking share
    (of the right answers, those reached through wrong steps, with its bootstrap interval), and for "blind guess"
    the outcome pass@k of answers drawn from the band's other gold answers (evaluate.guess_pass_at_k), computed on
    the evaluation's own problems. `records` is {model: per-problem records} (each with its own n)."""
    rows = []
    for model, recs in records.items():
        for band in bands:
            rs = [r for r in recs if band.lo <= r["op"] <= band.hi and r.get("set") != UNSEEN]
            if not rs:
                continue
            row = {"model": model, "band": band.label}
            for count, label in (("verified", "verified"), ("outcome", "outcome")):
                for kk in (1, k):
                    row[f"{label} pass@{kk}"] = float(np.mean([pass_at_k(r["n"], r[count], kk) for r in rs]))
            hacked = ratio_ci([r["outcome"] - r["verified"] for r in rs], [r["outcome"] for r in rs])
            row["hacked share"] = None if hacked is None else hacked[0]
            row["hacked share CI"] = None if hacked is None else (hacked[1], hacked[2])
            rows.append(row)
    for band in bands:
        answers = band_answers(problem_sets, band.lo, band.hi)
        if len(answers) >= 2:
            guess = guess_pass_at_k(answers, (1, k)).mean(axis=0)
            rows.append({"model": "blind guess", "band": band.label, "outcome pass@1": float(guess[0]),
                         f"outcome pass@{k}": float(guess[1])})
    return pd.DataFrame(rows)
