"""Token-class accuracy of a trained base: teacher-forced on gold solutions, per op and token class, the probability
the model gives the gold token. It tells a model that learned the step procedure from one that memorised a solution
per graph shape: the latter is sure of every token inside its training band and loses the entity names first beyond
it (a name must be copied from the question). The ladder chapter reads it for its base; A.7 for each of its bases."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from ...evaluate import encode_prompt
from ...generator import Mixture, make_dataset
from ...model import load_checkpoint
from ...provenance import check_artifact, make_manifest, save_result
from ..scales import Scale

# reasonlab.sampling loads inside the function that scores tokens: it imports torch (~2 s); reading needs no torch.


TOKEN_CLASSES = ("entity name", "variable letter", "number", "format")
TOKEN_PROBLEMS_PER_OP = {"smoke": 4, "laptop": 30, "gpu": 30, "paper": 30}
TOKEN_TEMPLATE = "animals-zoo"
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
    token and the share of tokens it gives less than 0.5 (where it would likely sample something else)."""
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


def save_token_accuracy(name: str, final: Path, scale: Scale, seed: int = 0, **provenance) -> None:
    """Token-class accuracy of the checkpoint `final` on every op of the scale (in-dist to hard), saved as result
    `name`: TOKEN_PROBLEMS_PER_OP eval-split problems per op, one template, the scale's format."""
    t0 = time.perf_counter()
    model, tokenizer = load_checkpoint(final)
    n, ops = TOKEN_PROBLEMS_PER_OP[scale.name], range(scale.in_dist[0], scale.hard[1] + 1)
    sets = {op: make_dataset(Mixture.band(op, op, TOKEN_TEMPLATE, scale.generator), "eval", n, seed) for op in ops}
    rows = token_accuracy(model, tokenizer, sets)
    manifest = make_manifest("token-accuracy", {"scale": scale.name, "seed": seed, "problems_per_op": n,
                                                        "ops": list(ops), "template": TOKEN_TEMPLATE},
                             parents=(check_artifact(final)["config_hash"],), wall_time_s=time.perf_counter() - t0,
                             scale=scale.name, **provenance)
    save_result(name, {"rows": rows}, manifest)
