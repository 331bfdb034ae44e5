"""Exploratory probe (lab notes): a short GRPO run on the edge band from the laptop base model.

Not a chapter result: it checks that reward rises and measures pass@k before and after on the edge
band with a small evaluation, to plan the S3 runs.

    python benchmarks/probes/grpo_probe.py BASE_FINAL_DIR OUT_DIR [steps]
"""

import json
import sys
from pathlib import Path

import numpy as np

from reasonlab.evaluate import EvalSpec, pass_at_k_matrix, run_eval
from reasonlab.experiments.scales import get_scale
from reasonlab.generator import Mixture, make_dataset
from reasonlab.model import load_checkpoint
from reasonlab.train.grpo import GRPORunConfig, train_grpo
from reasonlab.verify import Reward

base, out = Path(sys.argv[1]), Path(sys.argv[2])
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
sc = get_scale("laptop")
lo, hi = sc.edge
mix = Mixture.of([(t, lo, hi, 1.0) for t in ("A", "B", "C")], sc.generator)
cfg = GRPORunConfig(mixture=mix, reward=Reward("strict"), steps=steps, prompts_per_step=16, rollouts=6,
                    minibatch_prompts=8, lr=sc.rl_lr, kl_coef=sc.rl_kl_coef, temperature=1.0,
                    max_prompt_tokens=sc.rl_max_prompt_tokens, max_response_tokens=sc.rl_max_response_tokens)
final = train_grpo(cfg, out, parent_dir=base, progress=False)
log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
print("reward by step:", [round(r["reward_mean"], 3) for r in log])
spec = EvalSpec(bands=(("edge", lo, hi),), samples=32, max_new_tokens=sc.eval_max_new_tokens, nll=False)
sets = {op: make_dataset(Mixture.band(op, op, "animals-zoo", sc.generator), "eval", 10) for op in spec.ops}
res = {}
for label, path in (("base", base), ("grpo", final)):
    model, tok = load_checkpoint(path)
    recs = run_eval(model, tok, spec, sets, progress=False)
    m = pass_at_k_matrix(32, [r["verified"] for r in recs], [1, 8, 32]).mean(axis=0)
    res[label] = {"pass@1": float(m[0]), "pass@8": float(m[1]), "pass@32": float(m[2])}
    print(label, res[label], flush=True)
(out / "probe_result.json").write_text(json.dumps({"rewards": [r["reward_mean"] for r in log], "eval": res}))
