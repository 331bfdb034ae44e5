"""Calibration probe: train a laptop preset for a few minutes, then greedy exact-match per op."""
import json, sys, time, os
import torch
torch.set_num_threads(int(os.environ.get("THREADS", "1")))
from reasonlab.generator import Component, GeneratorConfig, Mixture, eval_sets
from reasonlab.model import load_checkpoint
from reasonlab.train import LMTrainConfig, greedy_exact_match, train_lm

name, spec = sys.argv[1], json.loads(sys.argv[2])
gcfg = GeneratorConfig(**spec.get("gen", {}))
mix = Mixture((Component("animals-zoo", *spec.get("ops", [2, 8]), 1.0, spec.get("tilt", 0.0)),), gcfg)
cfg = LMTrainConfig(mixture=mix, total_tokens=spec.get("tokens", 3_000_000), preset=spec.get("preset", "laptop-3m"),
                    seq_len=512, batch_size=spec.get("batch", 16), lr=spec.get("lr", 2e-3), min_lr=spec.get("min_lr", 2e-4),
                    warmup_frac=0.05, loss_on=spec.get("loss_on", "solution"), dtype="bf16", ckpt_every=50,
                    tokenizer=spec.get("tokenizer"))
out = f"/work/probes/runs/{name}"
t = time.time()
final = train_lm(cfg, out, parent_dir=spec.get("parent"), max_minutes=spec.get("minutes", 8), progress=False)
train_s = time.time() - t
ckpt = final if final.name == "final" else None
if ckpt is None:  # stopped on time: evaluate the checkpoint weights
    from reasonlab.model import make_model
    from reasonlab.tokenizer import load_tokenizer
    tok = load_tokenizer(cfg.tokenizer); model = make_model(cfg.preset, tok)
    model.load_state_dict(torch.load(final / "state.pt", weights_only=False)["model"])
else:
    model, tok = load_checkpoint(final)
log = [json.loads(l) for l in open(f"{out}/log.jsonl")]
res = {"name": name, "spec": spec, "steps": log[-1]["step"], "tokens": log[-1]["tokens"], "final_loss": log[-1]["loss"],
       "train_s": round(train_s), "em": {}}
sets = eval_sets(spec.get("eval_ops", [2, 3, 4, 5, 6, 8, 10]), 30, "animals-zoo", config=gcfg)
for op, probs in sets.items():
    res["em"][op] = sum(greedy_exact_match(model, tok, probs, batch_size=30)) / len(probs)
    print(op, res["em"][op], flush=True)
res["total_s"] = round(time.time() - t)
print(json.dumps(res))
with open("/work/probes/results.jsonl", "a") as f:
    f.write(json.dumps(res) + "\n")
