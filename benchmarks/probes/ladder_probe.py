"""Exploratory calibration probe (lab notes): the laptop ladder with one knob changed.

Trains the laptop base recipe with overrides of the laptop scale, then evaluates verified pass@k per
op with a small evaluation (problems x samples below). Not a chapter result.

    python benchmarks/probes/ladder_probe.py OUT_DIR '{"in_dist": [2, 8], "edge": [9, 11], "hard": [12, 16], "pretrain_tokens": 12000000}'

Probe-only keys: "eval_problems", "eval_samples" (the small evaluation); "shapes": "seen" trains on the
seen graph shapes only (reasonlab.generator.shape_held_out) and adds the unseen-shape test: the in-dist ops
>= HELD_OUT_MIN_OP evaluated on held-out shapes, reported as keys "unseen-<op>".
"""

import dataclasses
import json
import sys
import time
from pathlib import Path

import pandas as pd

from reasonlab.evaluate import EvalSpec, run_eval, summarise
from reasonlab.experiments.recipes import get_recipe
from reasonlab.experiments.runner import lm_config
from reasonlab.experiments.scales import get_scale
from reasonlab.generator import Mixture, make_dataset
from reasonlab.model import load_checkpoint
from reasonlab.train.lm import train_lm

out, overrides = Path(sys.argv[1]), json.loads(sys.argv[2])
problems, samples = overrides.pop("eval_problems", 12), overrides.pop("eval_samples", 32)
shapes = overrides.pop("shapes", "all")
overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
base_scale = get_scale("laptop")
if "generator" in overrides:  # a dict of GeneratorConfig fields to change
    overrides["generator"] = dataclasses.replace(base_scale.generator, **overrides["generator"])
scale = dataclasses.replace(base_scale, **overrides)
recipe = get_recipe("ladder", scale)
t0 = time.time()
stage = recipe.arm("base").pretrain
stage = dataclasses.replace(stage, mixture=dataclasses.replace(stage.mixture, shapes=shapes))
final = train_lm(lm_config(stage, scale, "pretrain"), out, progress=False)
train_s = time.time() - t0
model, tok = load_checkpoint(final)
spec = EvalSpec(bands=scale.bands, samples=samples, max_new_tokens=scale.eval_max_new_tokens, nll=False)
template = "animals-zoo"
sets = {op: make_dataset(Mixture.band(op, op, template, scale.generator), "eval", problems) for op in spec.ops}
records = run_eval(model, tok, spec, sets, progress=False)
table = summarise(records, spec, "probe")
per_op = table[(table.group == "op") & (table.metric.isin(["pass@k", "outcome_pass@k"])) & (table.k.isin([1, samples]))]
if shapes == "seen":  # the unseen-shape test: in-dist ops with held-out shapes
    from reasonlab.generator import HELD_OUT_MIN_OP

    unseen_ops = range(max(HELD_OUT_MIN_OP, scale.in_dist[0]), scale.in_dist[1] + 1)
    sets = {op: make_dataset(Mixture(Mixture.band(op, op, template, scale.generator).components,
                                     scale.generator, "held-out"), "eval", problems) for op in unseen_ops}
    unseen_spec = dataclasses.replace(spec, bands=(("unseen", unseen_ops[0], unseen_ops[-1]),))
    t = summarise(run_eval(model, tok, unseen_spec, progress=False, problem_sets=sets), unseen_spec, "probe")
    t = t[(t.group == "op") & (t.metric.isin(["pass@k", "outcome_pass@k"])) & (t.k.isin([1, samples]))].copy()
    t["key"] = "unseen-" + t["key"].astype(str)
    per_op = pd.concat([per_op, t])
summary = {"overrides": {k: list(v) if isinstance(v, tuple) else str(v) if dataclasses.is_dataclass(v) else v
                         for k, v in overrides.items()} | {"shapes": shapes},
           "train_s": round(train_s), "eval": per_op[["key", "metric", "k", "value"]].to_dict(orient="records")}
print(json.dumps(summary))
(out / "probe_result.json").write_text(json.dumps(summary, indent=1))
