"""Samples of models' own outputs, each with the verifier's report: drawn from finished checkpoints as the evaluation
samples them, and saved as results with the sampled checkpoints' keys among their parents (beside analyses.py: a
derived result that needs a trained model).

This module computes and saves; the chapters only read (chapters/outputs.py: the tables, figures and example text) and
call in here to draw a sample anew (`fresh`, or none committed). It imports no chapter: the layers point one way.

Every checkpoint is sampled on the same problems with the same sampling seeds, those of the ladder's evaluation, so
that any two models' samples are paired (the ladder's base with each RL arm). What a sample draws (samples_config) is
recorded in its manifest, hashed into the committed results' keys, and decides whether committed samples are reused:
keep its keys and values.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..evaluate import encode_prompt, stop_token_ids
from ..generator import make_dataset
from ..model import load_checkpoint
from ..provenance import (check_artifact, load_result, local_path, make_manifest, save_result, stable_seed,
                          verifier_rules_at)
from ..verify import RULES, STEP_KINDS, error_kinds, step_detail
from .recipes import get_recipe

# reasonlab.sampling and transformers load inside sample_checkpoint: they import torch (seconds), and reading the
# samples (the chapters) needs neither.

RECIPE = "ladder"  # whose evaluation the samples follow: its problems, sampling settings and bands

SAMPLES_PROBLEMS_PER_OP = 6  # eval problems per op (the first ones of the ladder's own eval set)
SAMPLES_PER_PROBLEM = 8
EXAMPLE_ROLES = ("solved", "reward-hacked", "failed")  # verified; answer right but not verified; answer wrong


def example_role(verified: bool, answer_right: bool) -> str:
    """solved (verified), reward-hacked (the answer is right, the process does not verify) or failed."""
    return "solved" if verified else "reward-hacked" if answer_right else "failed"


# ----------------------------------------------------------------------------------------- what a sample draws


def samples_evaluation(recipe):
    """The recipe's evaluation at SAMPLES_PROBLEMS_PER_OP problems per op x SAMPLES_PER_PROBLEM samples."""
    return dataclasses.replace(recipe.evaluation, problems_per_op=SAMPLES_PROBLEMS_PER_OP, samples=SAMPLES_PER_PROBLEM)


def samples_config(recipe, seed: int) -> dict:
    """What the samples draw, as their manifests record it (its keys and values are hashed into committed manifests:
    keep them), read off the one evaluation, samples_evaluation, and its spec."""
    ev = samples_evaluation(recipe)
    spec = ev.eval_spec(recipe.scale, seed)
    return {"scale": recipe.scale.name, "seed": seed, "problems_per_op": ev.problems_per_op, "samples": spec.samples,
            "temperature": spec.temperature, "top_p": spec.top_p, "max_new_tokens": spec.max_new_tokens,
            "bands": [list(b) for b in spec.bands], "templates": list(recipe.evaluation.templates)}


# ------------------------------------------------------------------------------------------ one checkpoint


def sample_checkpoint(final, recipe, seed: int = 0, progress: bool = False, template: str | None = None) -> list[dict]:
    """SAMPLES_PER_PROBLEM samples of the checkpoint `final` on the first SAMPLES_PROBLEMS_PER_OP problems of each op
    of `recipe`'s evaluation, as the evaluation samples them, each with the verifier's report (sample_records);
    of one `template` (a context) if given, else of the evaluation's templates pooled. The same problems and
    sampling seeds for every checkpoint, so that two models' samples are paired."""
    from ..sampling import sample

    if not progress:  # no transformers loading bar in an executed page either
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    model, tokenizer = load_checkpoint(final)
    model.eval()
    sc, ev = recipe.scale, samples_evaluation(recipe)
    spec = ev.eval_spec(sc, seed)
    band_of = {op: band.label for band in ev.bands for op in band.ops}
    records = []
    for op in tqdm(ev.ops, desc="samples", disable=not progress):
        # the eval set's first n problems
        problems = make_dataset(ev.mixture(op, template, sc), "eval", ev.problems_per_op, seed)
        labels = ("ladder-samples", op) + ((template,) if template else ())
        out = sample(model, [encode_prompt(tokenizer, p) for p in problems], spec.samples,
                     temperature=spec.temperature, top_p=spec.top_p, max_new_tokens=spec.max_new_tokens,
                     stop_ids=stop_token_ids(tokenizer), seed=stable_seed(seed, *labels))
        records += sample_records(problems, out.decode(tokenizer), band_of)
    return records


def sample_records(problems: list, texts: list[list[str]], band_of: dict[int, str]) -> list[dict]:
    """One record per sample: op, band, problem hash, the verifier's outcome and its error kinds (counts); the
    first sample of each role per op (EXAMPLE_ROLES) also keeps its question, completion and step-by-step report."""
    records, shown = [], set()
    for p, comps in zip(problems, texts):
        for j, text in enumerate(comps):
            e = error_kinds(p, text)
            rec = {"op": p.op, "band": band_of[p.op], "text_hash": p.text_hash, "sample": j,
                   "verified": e["verified"], "answer_right": e["answer_right"], "process_acc": e["process_acc"],
                   "n_gold": e["n_gold"], "extra_steps": e["extra_steps"], "after_missing": e["after_missing"],
                   **{k: e["counts"][k] for k in STEP_KINDS}}
            role = example_role(e["verified"], e["answer_right"])
            if (p.op, role) not in shown:
                shown.add((p.op, role))
                rec.update(example=role, question=p.prompt, completion=text, answer=e["answer"],
                           gold_answer=e["gold_answer"], extra=e["extra"],
                           steps=[{"quantity": s["quantity"], "kind": s["kind"], "detail": step_detail(s)}
                                  for s in e["steps"]])
            records.append(rec)
    return records


def save_samples(name: str, final: Path, scale: str, seed: int = 0, progress: bool = False) -> None:
    """The ladder base's sample: sample_checkpoint of its checkpoint `final`, saved as result `name` with a
    "ladder-samples" manifest whose parent is the checkpoint."""
    recipe = get_recipe(RECIPE, scale)
    t0 = time.perf_counter()
    records = sample_checkpoint(final, recipe, seed, progress)
    manifest = make_manifest("ladder-samples", samples_config(recipe, seed),
                             parents=(check_artifact(final)["config_hash"],), wall_time_s=time.perf_counter() - t0,
                             recipe=RECIPE, scale=scale)
    save_result(name, {"samples": records}, manifest)


# ------------------------------------------------------------------------------------ several checkpoints


def sample_models(name: str, checkpoints: dict[str, str], config: dict, sample, models_key: str = "models") -> dict:
    """{models_key: {label: samples}, "missing": [...], "kept": [...], "reused": [...], "parent_of": {label: stage},
    "parents": [...]} for the checkpoints {label: portable path}. The committed result `name`, if drawn with the same
    `config` (the same problems and seeds, so still paired), serves twice: a label whose committed samples came from
    this very checkpoint is reused, not sampled again (sampling is deterministic given weights and seeds), listed as
    reused; a label whose checkpoint this machine no longer has keeps its committed samples, listed as kept. Every
    other checkpoint this machine has is sampled now by `sample(final_dir)`; the rest are listed as missing."""
    try:
        committed = load_result(name)
        same = committed["manifest"]["config"] == config
        before = committed["data"].get(models_key, {}) if same else {}
        # the verifier's report in each record is reused only under the same rules (recorded since "verifier" is)
        rules = committed["data"].get("verifier") or verifier_rules_at(committed["manifest"].get("git_commit", ""))
        # which checkpoint each committed label came from: recorded since "parent_of" exists; before that, a label
        # whose checkpoint is among the manifest's parents came from it (a stage key hashes the arm's whole config,
        # so no other arm of the recipe has it)
        recorded = committed["data"].get("parent_of")
        parents_before = set(committed["manifest"].get("parents") or ())
        came_from = (lambda label, stage: recorded.get(label) == stage) if recorded else (
            lambda label, stage: stage in parents_before)
    except FileNotFoundError:
        before, came_from, rules = {}, None, None
    samples, missing, kept, reused, parent_of = {}, [], [], [], {}
    for label, path in checkpoints.items():
        stage = Path(path).parent.name  # the stage directory: its kind and artifact key
        final = local_path(path)
        if label in before and rules == RULES and came_from(label, stage):
            samples[label] = before[label]
            reused.append(label)
        elif final is not None and (final / "manifest.json").exists():
            samples[label] = sample(final)
        elif label in before:
            samples[label] = before[label]
            kept.append(label)
        else:
            missing.append(label)
            continue
        parent_of[label] = stage
    return {models_key: samples, "missing": missing, "kept": kept, "reused": reused, "parent_of": parent_of,
            "verifier": RULES, "parents": list(parent_of.values())}


def save_checkpoints_samples(name: str, kind: str, checkpoints: dict[str, str], config: dict, sample, recipe_id: str,
                             scale: str, models_key: str = "models") -> None:
    """The samples of several models, drawn by `sample(final_dir)` from the checkpoints {label: portable path} this
    machine has (sample_models), saved as result `name` with a manifest of `kind` whose parents are the sampled
    checkpoints. Where committed samples are reused or kept, the wall time adds the committed sample's (the work that
    drew them)."""
    t0 = time.perf_counter()
    data = sample_models(name, checkpoints, config, sample, models_key=models_key)
    earlier = load_result(name)["manifest"].get("wall_time_s") or 0.0 if data["reused"] or data["kept"] else 0.0
    manifest = make_manifest(kind, config, parents=tuple(data.pop("parents")),
                             wall_time_s=time.perf_counter() - t0 + earlier, recipe=recipe_id, scale=scale)
    save_result(name, data, manifest)


def save_arms_samples(name: str, recipe_id: str, scale: str, checkpoints: dict[str, str]) -> None:
    """RL arms' samples ({label: checkpoint, a portable path}) on the problems and sampling seeds of the ladder base's
    sample, so that every arm pairs with the base (save_checkpoints_samples, as "<recipe_id>-samples")."""
    recipe = get_recipe(RECIPE, scale)
    save_checkpoints_samples(name, f"{recipe_id}-samples", checkpoints, samples_config(recipe, 0),
                             lambda final: sample_checkpoint(final, recipe, 0), recipe_id, scale, models_key="arms")
