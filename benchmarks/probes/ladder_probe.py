"""Exploratory calibration probe (lab notes): the laptop ladder with one knob changed.

Trains the laptop base recipe with overrides of the laptop scale, then evaluates verified pass@k per
op with a small evaluation (problems x samples below). Not a chapter result.

    python benchmarks/probes/ladder_probe.py OUT_DIR '{"in_dist": [2, 8], "edge": [9, 11], "hard": [12, 16], "pretrain_tokens": 12000000}'
"""

import dataclasses
import json
import sys
import time
from pathlib import Path

from reasonlab.evaluate import EvalSpec, run_eval, summarise
from reasonlab.experiments.recipes import get_recipe
from reasonlab.experiments.runner import lm_config
from reasonlab.experiments.scales import get_scale
from reasonlab.model import load_checkpoint
from reasonlab.train.lm import train_lm

out, overrides = Path(sys.argv[1]), json.loads(sys.argv[2])
problems, samples = overrides.pop("eval_problems", 12), overrides.pop("eval_samples", 32)
overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
base_scale = get_scale("laptop")
if "generator" in overrides:  # a dict of GeneratorConfig fields to change
    overrides["generator"] = dataclasses.replace(base_scale.generator, **overrides["generator"])
scale = dataclasses.replace(base_scale, **overrides)
recipe = get_recipe("ladder", scale)
t0 = time.time()
final = train_lm(lm_config(recipe.arm("base").pretrain, scale, "pretrain"), out, progress=False)
train_s = time.time() - t0
model, tok = load_checkpoint(final)
bands = tuple((name, *getattr(scale, name)) for name in ("in_dist", "edge", "hard"))
spec = EvalSpec(bands=bands, problems_per_op=problems, samples=samples, max_new_tokens=scale.eval_max_new_tokens,
                generator=scale.generator, nll=False)
records = run_eval(model, tok, spec, progress=False)
table = summarise(records, spec, "probe")
per_op = table[(table.group == "op") & (table.metric.isin(["pass@k", "outcome_pass@k"])) & (table.k.isin([1, samples]))]
summary = {"overrides": {k: list(v) if isinstance(v, tuple) else str(v) if dataclasses.is_dataclass(v) else v
                         for k, v in overrides.items()},
           "train_s": round(train_s), "eval": per_op[["key", "metric", "k", "value"]].to_dict(orient="records")}
print(json.dumps(summary))
(out / "probe_result.json").write_text(json.dumps(summary, indent=1))
