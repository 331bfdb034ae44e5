"""Teacher-forced diagnostics: per-op argmax accuracy on solution tokens, and on the entity/location tokens
of each 'Define X as' (the lookup the model must copy from the question)."""
import json, sys, torch
from reasonlab.generator import GeneratorConfig, eval_sets
from reasonlab.model import load_checkpoint, make_model
from reasonlab.tokenizer import load_tokenizer
path, gen = sys.argv[1], json.loads(sys.argv[2])
if path.endswith("final"):
    m, t = load_checkpoint(path)
else:
    t = load_tokenizer(sys.argv[3] if len(sys.argv) > 3 else None); m = make_model("laptop-3m", t)
    m.load_state_dict(torch.load(path + "/state.pt", weights_only=False)["model"])
m.eval(); g = GeneratorConfig(**gen); res = {}
for op, ps in eval_sets([2, 4, 6, 8], 20, config=g).items():
    ok = tot = 0; seq = 0
    for p in ps:
        q = t(p.prompt)["input_ids"]; c = t(p.completion, add_special_tokens=False)["input_ids"]
        x = torch.tensor([q + c])
        with torch.no_grad():
            pred = m(x).logits[0, len(q) - 1:-1].argmax(-1).tolist()
        hits = [a == b for a, b in zip(pred, c)]
        ok += sum(hits); tot += len(c); seq += all(hits)
    res[op] = {"tok_acc": round(ok / tot, 4), "all_tokens_right": seq / len(ps)}
print(json.dumps(res))
