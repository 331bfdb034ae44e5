"""reasonlab.sampling: parity with model.generate and the sampler's contracts, on a tiny random Qwen2."""

import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from reasonlab.sampling import _pick, logprobs_of, sample

pytestmark = pytest.mark.usefixtures("one_thread")

VOCAB = 97


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    # a large init range gives peaked next-token distributions, so greedy paths are not near-ties
    cfg = Qwen2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=512, initializer_range=0.2,
                      rope_parameters={"rope_type": "default", "rope_theta": 1e6})
    return Qwen2ForCausalLM(cfg).eval()


def prompts_of(lengths, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, VOCAB, (n,), generator=g).tolist() for n in lengths]


def generate_greedy(model, prompt, max_new, stop):
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=max_new, eos_token_id=stop,
                             pad_token_id=stop[0], output_logits=True, return_dict_in_generate=True)
    return out.sequences[0, len(prompt):].tolist(), torch.cat(out.logits).float()


def test_greedy_matches_generate_tokens_and_logits(model):
    prompts = prompts_of([5, 17, 9])
    stop = [3]
    res = sample(model, prompts, 2, temperature=0, max_new_tokens=30, stop_ids=stop, return_logits=True)
    for i, p in enumerate(prompts):
        ref_tokens, ref_logits = generate_greedy(model, p, 30, stop)
        for j in range(2):  # greedy: every sample of a prompt is the same
            assert res.tokens[i][j] == ref_tokens
            torch.testing.assert_close(res.logits[i][j], ref_logits, atol=1e-4, rtol=1e-4)


def test_batched_prompts_equal_one_at_a_time(model):
    prompts = prompts_of([3, 20, 11, 7, 14], seed=2)
    together = sample(model, prompts, 3, temperature=0, max_new_tokens=25, stop_ids=[5, 6], batch_rows=4)
    for i, p in enumerate(prompts):
        alone = sample(model, [p], 1, temperature=0, max_new_tokens=25, stop_ids=[5, 6])
        assert together.tokens[i] == alone.tokens[0] * 3


def test_stop_token_ends_sample(model):
    [p] = prompts_of([8], seed=3)
    free = sample(model, [p], 1, temperature=0, max_new_tokens=20).tokens[0][0]
    stop = free[6]  # a token greedy decoding emits; the sample must end at its first occurrence
    res = sample(model, [p], 1, temperature=0, max_new_tokens=20, stop_ids=[stop])
    assert res.tokens[0][0] == free[: free.index(stop) + 1]
    assert res.finished[0][0]


def test_max_new_tokens_and_shapes(model):
    prompts = prompts_of([4, 9])
    res = sample(model, prompts, 5, temperature=1.0, max_new_tokens=13, return_logprobs=True)
    assert len(res.tokens) == 2 and all(len(s) == 5 for s in res.tokens)
    assert all(len(c) == 13 for c in res.flat())
    assert not any(f for fs in res.finished for f in fs)
    assert [[len(x) for x in s] for s in res.logprobs] == [[len(x) for x in s] for s in res.tokens]
    assert all(0 <= t < VOCAB for c in res.flat() for t in c)
    assert sample(model, prompts, 2, max_new_tokens=0).tokens == [[[], []], [[], []]]


def test_sampling_deterministic_and_independent_of_batching(model):
    prompts = prompts_of([6, 12, 4])
    kw = dict(temperature=1.0, max_new_tokens=20, stop_ids=[1, 2, 3])
    a = sample(model, prompts, 4, seed=7, **kw)
    assert a.tokens == sample(model, prompts, 4, seed=7, **kw).tokens
    # sample j of prompt i depends on (seed, i, j) only: other batch sizes and no compaction give the same
    assert a.tokens == sample(model, prompts, 4, seed=7, batch_rows=5, compact_at=1.0, **kw).tokens
    assert a.tokens != sample(model, prompts, 4, seed=8, **kw).tokens
    assert len({tuple(c) for c in a.tokens[1]}) > 1  # samples of a prompt differ
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert sample(model, prompts, 2, seed=g1, **kw).tokens == sample(model, prompts, 2, seed=g2, **kw).tokens


def test_logprobs_match_teacher_forcing_after_compaction(model):
    # many rows stopping at different steps force cache relayouts; teacher-forced log-probs check the caches
    prompts = prompts_of([5, 13, 8])
    res = sample(model, prompts, 6, temperature=1.0, max_new_tokens=24, stop_ids=list(range(10)),
                 return_logprobs=True, compact_at=0.05)
    lengths = {len(c) for c in res.flat()}
    assert len(lengths) > 3 and any(res.finished[0])
    ref = logprobs_of(model, [p for p in prompts for _ in range(6)], res.flat())
    ours = [lp for s in res.logprobs for lp in s]
    for a, b in zip(ours, ref):
        torch.testing.assert_close(torch.tensor(a), torch.tensor(b), atol=1e-4, rtol=1e-4)


def test_top_p_never_samples_outside_nucleus_crafted():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])  # top_p 0.8 -> nucleus {0, 1}: 0.5 + 0.3 reaches 0.8
    logits = probs.log().expand(4000, -1).contiguous()
    u = torch.rand(4000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    tok, _ = _pick(logits, 1.0, 0.8, u)
    assert set(tok.tolist()) == {0, 1}
    frac0 = (tok == 0).double().mean().item()
    assert abs(frac0 - 0.5 / 0.8) < 0.03  # renormalised within the nucleus
    # a flat distribution needs more than the first top-k probe: the nucleus is 80 of the 90 likeliest
    flat = torch.zeros(3000, 100)
    flat[:, 90:] = -1.0  # each of the 90 likeliest has p = 1 / 93.7
    tok, _ = _pick(flat, 1.0, 0.85, torch.rand(3000, dtype=torch.float64))
    assert tok.max() < 90 and len(set(tok.tolist())) == 80  # (80 - 1) * 1/93.7 < 0.85


def test_top_p_end_to_end_within_nucleus(model):
    prompts = prompts_of([7, 10])
    T, top_p = 0.8, 0.6
    res = sample(model, prompts, 8, temperature=T, top_p=top_p, max_new_tokens=15, return_logits=True)
    for i in range(2):
        for j in range(8):
            probs = (res.logits[i][j] / T).softmax(-1)
            sp, si = probs.sort(-1, descending=True)
            before = sp.cumsum(-1) - sp
            for step, t in enumerate(res.tokens[i][j]):
                nucleus = set(si[step][before[step] < top_p].tolist())
                assert t in nucleus


def test_rejects_empty_prompt(model):
    with pytest.raises(ValueError):
        sample(model, [[]], 1)
