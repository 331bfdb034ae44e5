"""The RL arms' example outputs: the sample of each arm (reruns too) and the prose about it."""

from __future__ import annotations

from ...results import Result
from .. import outputs
from .data import RECIPE, S3


def samples_result(ch: S3, fresh: bool = False) -> Result:
    """The RL arms' own outputs (reruns too) with the verifier's report, paired with the base's sample
    (outputs.arms_samples); arms whose checkpoints this machine no longer had are listed as missing."""
    return outputs.arms_samples(RECIPE, ch.recipe.scale.name, _arm_checkpoints(ch), fresh)


def _arm_checkpoints(ch: S3) -> dict[str, str]:
    """{label: checkpoint (portable path)} of every arm and rerun arm: "arm" for seed 0, "arm (RL seed N)"."""
    out = outputs.arm_checkpoints(ch.runs, ch.arms)
    for rl_seed, run in ch.reruns.items():
        out |= {f"{a} (RL seed {rl_seed})": w["parent"] for a, w in run.data.get("arm_work", {}).items()}
    return out


def samples_text(samples: Result) -> str:
    """Which arms the sample covers; which it does not, and why; which reruns stand in for those."""
    cfg = samples.manifest.get("config", {})
    text = (f"{cfg.get('samples', '?')} samples on each of the first {cfg.get('problems_per_op', '?')} eval problems "
            f"per op, the same problems and sampling seeds as the base model's sample (ladder chapter).")
    missing = samples.data.get("missing", [])
    if missing:
        stand_in = [a for a in samples.data["arms"] if any(a.startswith(f"{m} (RL seed") for m in missing)]
        text += (f" Not sampled: {', '.join(missing)}. Sampling needs an arm's RL weights, and theirs are not "
                 f"committed and were no longer on the machine that took the sample: `python -m reasonlab run S3 "
                 f"--scale {samples.manifest.get('scale', 'laptop')} --arm ARM` trains one again, and the chapter run "
                 f"with `fresh = True` samples it.")
        if stand_in:
            text += f" The same arms trained with another RL seed stand in for them: {', '.join(stand_in)}."
    kept = samples.data.get("kept", [])
    if kept:
        text += " " + outputs.coverage_note(Result(samples.name, samples.manifest, {"kept": kept}))
    return text


def same_as_base(base_samples: Result, samples: Result, arm: str) -> str:
    """How many of `arm`'s example outputs are word for word the base model's, on the same problem with the same
    sampling seed (where the base's output for that sample is stored): RL left those samples exactly as they were."""
    known = outputs.completions(base_samples.data["samples"])
    shown = [r for r in samples.data["arms"][arm] if "completion" in r]
    paired = [r for r in shown if (r["text_hash"], r["sample"]) in known]
    same = sum(known[(r["text_hash"], r["sample"])] == r["completion"] for r in paired)
    return (f"{arm} kept {len(shown)} example outputs (one per op and outcome); for {len(paired)} of them the base "
            f"model's output on the same problem with the same sampling seed is on record, and {same} of those are "
            f"word for word the base's: on those samples RL changed nothing the model writes. Each example below whose "
            f"base output is on record says which it is.")


def example_arm(samples: Result) -> str | None:
    """The arm whose outputs the chapter shows: the edge filter if it was sampled, else the first sampled arm."""
    arms = list(samples.data["arms"])
    return next((a for a in arms if a.startswith("rl-edge-filter")), arms[0] if arms else None)
