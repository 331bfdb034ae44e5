"""The ladder chapter's data: its names, the `Ladder` object (the base model's result and its recipe, with the blind
guesser beside it), `load`, the base model's checkpoint, and the token-accuracy result (teacher-forced probabilities
of the gold tokens per op and token class)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ...evaluate import encode_prompt, guess_baseline
from ...experiments.recipes import Recipe, get_recipe
from ...experiments.runner import finished_stage, result_name, run_recipe
from ...generator import LabelledBand, Mixture, make_dataset
from ...model import load_checkpoint
from ...provenance import check_artifact, make_manifest, save_result
from ...results import Result, load_or_compute, load_or_run, select

# reasonlab.sampling loads inside the function that scores tokens: it imports torch (~2 s); reading needs no torch.


RECIPE = "ladder"
CHAPTER = "ladder"


@dataclass
class Ladder:
    """The chapter's data: the base model's result (its tidy table, records and training log) and its recipe."""

    result: Result
    recipe: Recipe

    @property
    def table(self) -> pd.DataFrame:
        return self.result.table

    @property
    def manifest(self) -> dict:
        return self.result.manifest

    @cached_property
    def problem_sets(self) -> dict:
        """The evaluation's own problems ({label: problems}), generated once: the blind guesser's answer prior."""
        return self.recipe.evaluation.problem_sets(self.recipe.scale)

    @cached_property
    def guess(self) -> pd.DataFrame:
        """The blind guesser beside outcome pass@k (it never reads the question; it draws answers from the other
        gold answers of the same band, or op): summarise's tidy rows, metric "guess_pass@k", per band (group
        "band") and per op (group "op"), at the result's ks, on the evaluation's own problems."""
        sets = self.problem_sets
        ks = sorted({int(k) for k in self.table.k.dropna()})
        ops = sorted({int(op) for op in select(self.table, "base", group="op").key})
        by_band = guess_baseline(sets, self.recipe.evaluation.bands, ks)
        by_op = guess_baseline(sets, [LabelledBand(str(op), op, op) for op in ops], ks).assign(group="op")
        return pd.concat([by_band, by_op], ignore_index=True)


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Ladder:
    """The committed base-model result (fresh: train and evaluate it now; without fresh nothing trains, and a
    missing result raises FileNotFoundError)."""
    return Ladder(load_or_run(RECIPE, scale, seed, fresh), get_recipe(RECIPE, scale))


def base_checkpoint(scale: str = "laptop", seed: int = 0) -> Path:
    """The finished checkpoint of the ladder's base model (the committed one where there is one); at the smoke
    scale trained now (seconds) when missing, at a larger scale refused with the command that trains it."""
    recipe = get_recipe(RECIPE, scale)
    final = finished_stage(recipe, "base", "pretrain", seed)
    if final is None:
        if scale != "smoke":
            raise FileNotFoundError(f"no base model of {result_name(RECIPE, scale, seed)} trained yet; run "
                                    f"`python -m reasonlab run {RECIPE} --scale {scale}` first")
        run_recipe(RECIPE, scale, seed=seed, progress=False)
        final = finished_stage(recipe, "base", "pretrain", seed)
    return final


TOKEN_RESULT = "ladder-tokens-{scale}"  # committed for laptop; computed from the base checkpoint otherwise
TOKEN_PROBLEMS_PER_OP = {"smoke": 4, "laptop": 30, "gpu": 30, "paper": 30}


def token_accuracy_result(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> Result:
    """The committed token-accuracy result of the ladder's base model, or (fresh, or none committed) computed
    now from the base checkpoint."""
    name = TOKEN_RESULT.format(scale=scale) + (f"-seed{seed}" if seed else "")
    return load_or_compute(name, fresh, lambda: _compute_token_accuracy(name, scale, seed))


def _compute_token_accuracy(name: str, scale: str, seed: int) -> None:
    final = base_checkpoint(scale, seed)
    t0 = time.perf_counter()
    model, tokenizer = load_checkpoint(final)
    sc, n = get_recipe(RECIPE, scale).scale, TOKEN_PROBLEMS_PER_OP[scale]
    ops = range(sc.in_dist[0], sc.hard[1] + 1)
    sets = {op: make_dataset(Mixture.band(op, op, "animals-zoo", sc.generator), "eval", n, seed) for op in ops}
    rows = token_accuracy(model, tokenizer, sets)
    manifest = make_manifest("ladder-token-accuracy", {"scale": scale, "seed": seed, "problems_per_op": n,
                                                        "ops": list(ops), "template": "animals-zoo"},
                             parents=(check_artifact(final)["config_hash"],), wall_time_s=time.perf_counter() - t0,
                             recipe=RECIPE, scale=scale)
    save_result(name, {"rows": rows}, manifest)


TOKEN_CLASSES = ("entity name", "variable letter", "number", "format")
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
    from ...sampling import logprobs_of

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
