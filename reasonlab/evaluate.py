"""Evaluation metrics: unbiased pass@k and bootstrap confidence intervals over problems.

pass@k (Chen et al. 2021; paper.md section 3): with n samples of which c are correct,
    pass@k = 1 - C(n - c, k) / C(n, k)
computed as a product, 1 - prod_{i = n-c+1}^{n} (1 - k / i), which stays exact in floating point
for n up to thousands (the binomials themselves overflow doubles past n ~ 1030).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .generator import LabelledBand, Problem, check_disjoint_bands, shape_held_out
from .provenance import load_result
from .validation import check_bool, check_float, check_int, check_temperature
from .verify import verify

# reasonlab.sampling (it imports torch, ~2 s) loads in sample_and_score: computing pass@k and reading tables needs
# no torch.


UNSEEN = "unseen"  # label of the unseen-shape test's problem sets, records and band


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k samples is correct) from c correct out of n."""
    for label, v in (("n", n), ("c", c), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{label} must be an integer, got {v!r}")
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_matrix(n: int, correct_counts, ks) -> np.ndarray:
    """pass@k for each problem (rows) and each k (columns)."""
    counts = np.asarray(correct_counts, dtype=int)
    return np.array([[pass_at_k(n, int(c), int(k)) for k in ks] for c in counts]).reshape(len(counts), len(ks))


def powers_of_two_up_to(n: int) -> list[int]:
    """k = 1, 2, 4, ... <= n (the paper's pass@1 ... pass@128 grid)."""
    return [2**i for i in range(int(np.log2(n)) + 1)] if n >= 1 else []


def bootstrap_ci(per_problem, n_boot: int = 2000, level: float = 0.95, seed: int = 0):
    """Mean over problems with a percentile bootstrap interval (resampling problems).

    `per_problem` is 1-D (one value per problem) or 2-D (problems x metrics, e.g. one column per k);
    returns (mean, lo, hi) with the shape of one row.
    """
    x = np.asarray(per_problem, dtype=float)
    if x.shape[0] == 0:
        raise ValueError("bootstrap_ci needs at least one problem")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    means = x[idx].mean(axis=1)
    tail = (1 - level) / 2
    return x.mean(axis=0), np.quantile(means, tail, axis=0), np.quantile(means, 1 - tail, axis=0)


def ratio_ci(numerators, denominators, n_boot: int = 2000, level: float = 0.95, seed: int = 0):
    """sum(numerators) / sum(denominators) over problems, with a percentile bootstrap interval (resampling
    problems); None when the denominators sum to 0 (e.g. the hacking share of a model with no right answer)."""
    num, den = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if den.sum() == 0:
        return None
    idx = np.random.default_rng(seed).integers(0, len(num), size=(n_boot, len(num)))
    dens = den[idx].sum(axis=1)
    ratios = num[idx].sum(axis=1)[dens > 0] / dens[dens > 0]
    tail = (1 - level) / 2
    return num.sum() / den.sum(), float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))


# ------------------------------------------------------------------------------------ RL controls


def guess_pass_at_k(gold_answers, ks) -> np.ndarray:
    """Per problem (rows) and k (columns): pass@k of a blind guesser who never reads the question and draws each
    answer from the other problems' gold answers (the group's answer prior, leave-one-out, so a problem never
    guesses from its own answer): 1 - (1 - q)^k, q the share of the other problems whose answer is this one's.

    An outcome pass@k at or below this is what answers alone, without any procedure, already reach."""
    answers = list(gold_answers)
    if len(answers) < 2:
        raise ValueError("the blind-guess baseline needs at least two problems (a leave-one-out answer prior)")
    counts: dict = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    q = np.array([(counts[a] - 1) / (len(answers) - 1) for a in answers])
    return 1.0 - (1.0 - q[:, None]) ** np.asarray(ks, dtype=float)[None, :]


# -- the evaluation harness -----------------------------------------------------------------------

SAMPLING_TEMPERATURE = 0.7  # paper.md section 3: evaluation sampling
SAMPLING_TOP_P = 1.0


@dataclass(frozen=True)
class EvalSpec:
    """How the harness samples and scores: op bands (the table's groups), samples per problem, sampling settings.

    Which problems are evaluated is the recipe's Evaluation (reasonlab.experiments.recipes), the one owner of
    problem sets (Evaluation.problem_sets); its eval_spec(scale) gives this spec."""

    bands: tuple[LabelledBand, ...]  # the table's groups, e.g. LabelledBand("edge", 11, 14); (label, lo, hi) accepted
    samples: int = 128  # n samples per problem (pass@k for k = 1, 2, 4, ... n)
    temperature: float = SAMPLING_TEMPERATURE
    top_p: float = SAMPLING_TOP_P
    max_new_tokens: int = 1024  # paper.md section 3
    seed: int = 0  # sampling seeds of the problem sets, and the bootstrap's
    nll: bool = True  # also the mean NLL of the gold completion per token
    n_boot: int = 1000  # bootstrap resamples of the intervals

    def __post_init__(self):
        if not self.bands:
            raise ValueError("EvalSpec needs at least one band")
        object.__setattr__(self, "bands", check_disjoint_bands("EvalSpec bands", self.bands))  # valid, no overlap
        check_int("samples", self.samples, lo=1)
        check_temperature("temperature", self.temperature, hi=2)  # 0 is greedy
        check_float("top_p", self.top_p, 0, 1, lo_open=True)
        check_int("max_new_tokens", self.max_new_tokens, lo=1)
        check_int("seed", self.seed)
        check_bool("nll", self.nll)
        check_int("n_boot", self.n_boot, lo=1)

    @property
    def ops(self) -> list[int]:
        return sorted({op for band in self.bands for op in band.ops})


def encode_prompt(tokenizer, problem: Problem) -> list[int]:
    """[BOS] + the prompt, as training documents start ([BOS] text [EOS])."""
    ids = tokenizer(problem.prompt, add_special_tokens=False)["input_ids"]
    return ([tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []) + ids


def stop_token_ids(tokenizer) -> list[int]:
    ids = [tokenizer.convert_tokens_to_ids("</answer>"), tokenizer.eos_token_id]
    return [i for i in ids if i is not None and i != tokenizer.unk_token_id]


def score_problem_samples(problem: Problem, completions: list[str]) -> dict:
    """Counts for one problem: verified (strict) and outcome-only correct, mean process accuracy, and
    parsed steps with how many of them are arithmetically consistent (beyond the paper; not in pass@k)."""
    reports = [verify(problem, c) for c in completions]
    return {
        "verified": sum(r.verified for r in reports),
        "outcome": sum(r.answer_correct for r in reports),
        "process_acc": float(np.mean([r.process_acc for r in reports])) if reports else 0.0,
        "steps": sum(r.n_steps for r in reports),
        "consistent_steps": sum(r.consistent_steps for r in reports),
    }


def sample_and_score(model, tokenizer, problems: list[Problem], spec: EvalSpec, seed: int,
                     batch_rows: int = 512, draw_keys: Sequence[tuple[int, int]] | None = None,
                     dtype: str | None = None, progress: bool = False) -> list[dict]:
    """n samples per problem, each verified; one record per problem (op, template, counts, NLL).

    Problem i draws its samples with (seed, i), or with draw_keys[i] = (seed_i, index_i) when given (problems of
    several sets in one call, each drawing what its set's own call would; see run_eval). dtype is
    reasonlab.sampling.sample's (the default is the model's own, the exact fp32 path)."""
    from .sampling import logprobs_of, sample

    prompts = [encode_prompt(tokenizer, p) for p in problems]
    out = sample(model, prompts, spec.samples, temperature=spec.temperature, top_p=spec.top_p,
                 max_new_tokens=spec.max_new_tokens, stop_ids=stop_token_ids(tokenizer), seed=seed,
                 draw_keys=draw_keys, batch_rows=batch_rows, dtype=dtype, progress=progress)
    texts = out.decode(tokenizer)
    nll = [None] * len(problems)
    if spec.nll:
        gold = [tokenizer(p.completion, add_special_tokens=False)["input_ids"] for p in problems]
        nll = [-float(np.mean(lp)) if lp else None for lp in logprobs_of(model, prompts, gold)]
    records = []
    for p, comps, nl in zip(problems, texts, nll):
        rec = {"op": p.op, "template": p.template, "text_hash": p.text_hash, "n": spec.samples, "nll": nl,
               "held_out_shape": shape_held_out(p)}
        rec.update(score_problem_samples(p, comps))
        records.append(rec)
    return records


def set_draw_keys(spec: EvalSpec, problem_sets: dict) -> list[tuple[int, int]]:
    """(seed, index) of each problem of `problem_sets` in order: set i draws with seed spec.seed * 100_003 + i, its
    problem k as prompt k (what one sample call per set drew before the sets were batched together)."""
    return [(spec.seed * 100_003 + i, k) for i, probs in enumerate(problem_sets.values()) for k in range(len(probs))]


def run_eval(model, tokenizer, spec: EvalSpec, problem_sets: dict, batch_rows: int = 512,
             progress: bool = True, rows_per_call: int = 16384, dtype: str | None = None) -> list[dict]:
    """Sample, verify and score every problem of `problem_sets` ({label: problems}, e.g. Evaluation.problem_sets)
    as `spec` says. Records of a set labelled (UNSEEN, op) carry "set": UNSEEN (the unseen-shape test; see
    `summarise`).

    Problems of all sets go to the sampler together, up to rows_per_call rows (problems x samples) a call, so its
    waves stay full across sets and group prompts of similar length (the outputs of a call are held in memory);
    each problem draws what a call per set would (set_draw_keys)."""
    problems = [p for probs in problem_sets.values() for p in probs]
    unseen = [isinstance(label, tuple) and label[0] == UNSEEN for label, probs in problem_sets.items() for _ in probs]
    keys = set_draw_keys(spec, problem_sets)
    per_call = max(1, rows_per_call // spec.samples)
    records = []
    for i in range(0, len(problems), per_call):
        records += sample_and_score(model, tokenizer, problems[i : i + per_call], spec, seed=spec.seed,
                                    batch_rows=batch_rows, draw_keys=keys[i : i + per_call], dtype=dtype,
                                    progress=progress)
    for r, u in zip(records, unseen):
        if u:
            r["set"] = UNSEEN
    return records


def summarise(records: list[dict], spec: EvalSpec, model_label: str,
              by_template: bool = False) -> pd.DataFrame:
    """Tidy table: one row per (model, group, key, metric, k) with value and a bootstrap interval.

    metric is "pass@k" (strict, process-verified), "outcome_pass@k" (answer only; the gap to pass@k
    is reward hacking made visible), "hacked_share" (of the right answers, the share reached through
    wrong steps: 1 - verified / outcome, pooled over the group's samples), "process_acc" or "nll";
    group is "op" or "band". The blind-guess baseline beside outcome pass@k is `guess_baseline`.
    """
    n = spec.samples
    ks = powers_of_two_up_to(n)
    rows = []
    unseen = [r for r in records if r.get("set") == UNSEEN]
    records = [r for r in records if r.get("set") != UNSEEN]
    splits = sorted({r["template"] for r in records}) if by_template else [None]
    groups = []
    for t in splits:
        recs_t = [r for r in records if t is None or r["template"] == t]
        prefix = "" if t is None else f"{t}:"
        groups += [("op", f"{prefix}{op}", [r for r in recs_t if r["op"] == op]) for op in spec.ops]
        groups += [("band", f"{prefix}{band.label}", [r for r in recs_t if band.lo <= r["op"] <= band.hi])
                   for band in spec.bands]
    if unseen:  # the unseen-shape test beside the same ops' ordinary (mostly seen-shape) problems
        ops = sorted({r["op"] for r in unseen})
        groups += [("unseen-op", str(op), [r for r in unseen if r["op"] == op]) for op in ops]
        groups += [("band", UNSEEN, unseen), ("band", "seen", [r for r in records if ops[0] <= r["op"] <= ops[-1]
                                                                     and not r.get("held_out_shape")])]
    for group, key, recs in groups:
        if not recs:
            continue
        for metric, field_ in (("pass@k", "verified"), ("outcome_pass@k", "outcome")):
            m = pass_at_k_matrix(n, [r[field_] for r in recs], ks)
            mean, lo, hi = bootstrap_ci(m, n_boot=spec.n_boot, seed=spec.seed)
            rows += [dict(model=model_label, group=group, key=key, metric=metric, k=k, value=float(mean[i]),
                          lo=float(lo[i]), hi=float(hi[i]), problems=len(recs)) for i, k in enumerate(ks)]
        hacked = ratio_ci([r["outcome"] - r["verified"] for r in recs], [r["outcome"] for r in recs],
                          n_boot=spec.n_boot, seed=spec.seed)
        if hacked is not None:
            rows.append(dict(model=model_label, group=group, key=key, metric="hacked_share", k=None,
                             value=float(hacked[0]), lo=hacked[1], hi=hacked[2], problems=len(recs)))
        for metric in ("process_acc", "nll"):
            vals = [r[metric] for r in recs if r.get(metric) is not None]
            if vals:
                mean, lo, hi = bootstrap_ci(vals, n_boot=spec.n_boot, seed=spec.seed)
                rows.append(dict(model=model_label, group=group, key=key, metric=metric, k=None, value=float(mean),
                                 lo=float(lo), hi=float(hi), problems=len(vals)))
    return pd.DataFrame(rows)


def band_answers(problem_sets: dict, lo: int, hi: int) -> list[int]:
    """The gold answers of an evaluation's problems on ops lo..hi ({label: problems}; unseen-shape sets left out)."""
    return [int(p.answer) for label, probs in problem_sets.items()
            if not (isinstance(label, tuple) and label[0] == UNSEEN) for p in probs if lo <= p.op <= hi]


def guess_baseline(problem_sets: dict, bands: Sequence[LabelledBand], ks, n_boot: int = 2000,
                   seed: int = 0) -> pd.DataFrame:
    """The blind-guess baseline per band, as summarise's tidy rows (model "blind guess", metric "guess_pass@k"):
    each band's problems (from `problem_sets`, {label: problems}, the unseen-shape sets left out) guess from that
    band's own gold answers (guess_pass@k). Outcome pass@k never appears without it."""
    rows = []
    for band in bands:
        answers = band_answers(problem_sets, band.lo, band.hi)
        if len(answers) < 2:
            continue
        mean, low, high = bootstrap_ci(guess_pass_at_k(answers, ks), n_boot=n_boot, seed=seed)
        rows += [dict(model="blind guess", group="band", key=band.label, metric="guess_pass@k", k=k,
                      value=float(mean[i]), lo=float(low[i]), hi=float(high[i]), problems=len(answers))
                 for i, k in enumerate(ks)]
    return pd.DataFrame(rows)


def load_eval_table(name: str) -> pd.DataFrame:
    """A committed evaluation result (data/results/<name>.json) as its tidy table."""
    return pd.DataFrame(load_result(name)["data"]["table"])
