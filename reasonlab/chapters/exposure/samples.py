"""The exposure chapter's model outputs: every S4 and A.6 model's samples on context B with the verifier's report
(committed, or sampled now from the checkpoints), the kinds of their steps, and the models whose outputs the page
shows."""

from __future__ import annotations

import pandas as pd

from ...experiments.samples import sample_checkpoint, samples_config, save_checkpoints_samples
from ...results import Result, load_or_compute
from .. import outputs
from .core import B, RECIPE, a6_pairs
from .data import Exposure


SAMPLES_RESULT = "S4-samples-{scale}"


def samples_result(ch: Exposure, fresh: bool = False) -> Result:
    """Every S4 and A.6 model's own outputs on context B with the verifier's report (experiments.samples: the same
    problems and sampling seeds for every model): the committed result, or (fresh, or none committed) sampled now
    from the checkpoints this machine has (the others are listed as missing)."""
    scale = ch.recipe.scale.name
    name = SAMPLES_RESULT.format(scale=scale)
    config = samples_config(ch.recipe, ch.seed) | {"template": B}
    return load_or_compute(name, fresh, lambda: save_checkpoints_samples(
        name, "S4-samples", sample_checkpoints(ch), config,
        lambda final: sample_checkpoint(final, ch.recipe, ch.seed, template=B), RECIPE, scale))


def sample_checkpoints(ch: Exposure) -> dict[str, str]:
    """{label: checkpoint (portable path)} of every S4 model, then A.6's own models as "A.6.x:model" (a model trained
    once for two recipes, like A.6.2's base = S4's 1% base, is sampled once)."""
    checkpoints = {model: work["parent"] for model, work in ch.runs.data.get("arm_work", {}).items()}
    for rid, result in ch.a6.items():
        for model, work in result.data.get("arm_work", {}).items():
            if work["parent"] not in checkpoints.values():
                checkpoints[f"{rid}:{model}"] = work["parent"]
    return checkpoints


def kinds_table(samples: Result) -> pd.DataFrame:
    """Per model and half, on context B: the share of gold steps of each kind (correct, wrong value, wrong
    dependency, missing quantity) and of samples that verify, have the right answer, and have it without
    verifying."""
    return outputs.kinds_by_band(samples.data["models"]).set_index(["model", "band"])


def samples_of(samples: Result, model: str) -> Result:
    """One model's samples as a result the outputs module's examples read."""
    return Result(f"{samples.name}:{model}", samples.manifest, {"samples": samples.data["models"][model]})


def example_models(ch: Exposure, samples: Result) -> list[str]:
    """The models whose B outputs the chapter shows: S4's RL arm of the largest exposure share that was sampled, then
    each A.6 result's arm of the largest B share of the RL data that was sampled."""
    sampled = samples.data["models"]
    rl = [rl for _, (_, rl) in sorted(ch.pairs.items()) if rl and rl in sampled]
    shown = rl[-1:] if rl else list(sampled)[:1]
    for rid, result in ch.a6.items():
        arms = [f"{rid}:{arm}" for _, (_, arm) in sorted(a6_pairs(result).items()) if f"{rid}:{arm}" in sampled]
        shown += arms[-1:]
    return shown
