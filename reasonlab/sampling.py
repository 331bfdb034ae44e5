"""Fast batched sampling from a Qwen2 causal LM, for pass@k evaluation and GRPO rollouts.

Why not `model.generate(num_return_sequences=n)`: it encodes every prompt n times, grows a DynamicCache
by concatenation at each step, and keeps computing rows that have already finished. Here a minimal Qwen2
forward runs on the model's own weights instead:

- each prompt is encoded once and its KV cache is stored once, not copied to its n samples. Rows sit in a
  grid of groups x m slots, a group holding rows of one prompt, so attention of a group's queries over the
  prompt is one matmul that reads the prompt cache once per step, not once per row ("shared-prefix attention");
- each sample's own tokens go to a preallocated cache (grown geometrically), written in place;
- finished rows are dropped: once enough rows are done, running rows move to a fresh, smaller grid;
- a decode step runs few small ops: q and k rotated together, one softmax over prompt and own keys, rope
  tables and the step's uniform numbers looked up, not recomputed, no per-step boolean indexing.
Everything is plain PyTorch under inference_mode; CPU-oriented, but nothing in it is CPU-only. `dtype="bf16"`
runs the matmuls and the KV cache in bf16 (the residual stream, norms, attention softmax and logits stay fp32,
as autocast would; measured against fp32 by benchmarks/bench_sampler.py). One call may hold many problems
(`draw_keys` keeps each one's draws). Not torch.compile: the decode step slices the own-token cache to t+1
keys, so dynamo specialises on t and recompiles every step until its recompile limit (tried on torch 2.13).

Greedy decoding gives the same tokens as `model.generate` and the same logits up to float tolerance
(tests/test_sampling.py). Sampling is counter-based: sample j of prompt i at step t draws the uniform
number hash(seed, i, j, t), so a sample does not depend on batch_rows or on how rows are batched
(up to float rounding of differently shaped matmuls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}  # sample(dtype=...): the decode matmuls' dtype


@dataclass
class SampleResult:
    """Completions of a `sample` call, indexed [prompt][sample]."""

    tokens: list[list[list[int]]]  # completion token ids; include the stop token when one was hit
    finished: list[list[bool]]  # True iff a stop id ended the sample (False: cut at max_new_tokens)
    logprobs: list[list[list[float]]] | None = None  # log softmax(logits / T) of each token (T=0: raw; no top-p)
    logits: list[list[torch.Tensor]] | None = None  # [len, vocab] raw logits per sample (debugging, tests)

    def decode(self, tokenizer, skip_special_tokens: bool = True) -> list[list[str]]:
        """Completion texts, [prompt][sample]; without [EOS]/[PAD] by default, as TRL decodes what its reward
        functions score, so evaluation and reward verify the same text (the tags are not special-skipped)."""
        return [tokenizer.batch_decode(s, skip_special_tokens=skip_special_tokens) for s in self.tokens]

    def flat(self) -> list[list[int]]:
        """All completions, prompt-major (prompt 0's n samples first), as GRPO batches them."""
        return [c for per_prompt in self.tokens for c in per_prompt]


# ----------------------------------------------------------------------------------------------------------
# A minimal Qwen2 forward on the model's weights (same math and op order as transformers' Qwen2)


def _rms_norm(x, weight, eps):
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * xf.to(x.dtype)


def _rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def qwen2_unsupported(model) -> str | None:
    """None if the forward written here (and reasonlab.train.fast's) implements this model, else why not."""
    cfg = model.config
    if getattr(cfg, "model_type", None) != "qwen2":
        return f"sampling.py implements Qwen2 only, got {cfg.model_type!r}"
    if any(t != "full_attention" for t in getattr(cfg, "layer_types", None) or []):
        return "sliding-window attention is not supported"
    if cfg.hidden_act != "silu":
        return f"hidden_act {cfg.hidden_act!r} is not supported"
    rope = getattr(cfg, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") in ("dynamic", "longrope"):  # inv_freq would depend on length
        return f"rope_type {rope['rope_type']!r} is not supported"
    return None


class _Qwen2:
    """Views of a Qwen2ForCausalLM's weights, with q/k/v and gate/up fused into one matmul each.

    `dtype` (a DTYPES key, default the model's own) is the compute dtype of the layers' matmuls and of the KV
    cache; the embedding, the residual stream, the norms, the attention softmax and the output layer stay in
    the model's dtype, as under autocast. With the model's dtype, no weight is copied (teacher_forced
    differentiates through these views)."""

    def __init__(self, model, dtype: str | None = None):
        cfg = model.config
        reason = qwen2_unsupported(model)
        if reason is not None:
            raise NotImplementedError(reason)
        if dtype is not None and dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        m = model.model
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.embed = m.embed_tokens.weight
        self.inv_freq = m.rotary_emb.inv_freq.float()
        self.rope_scale = m.rotary_emb.attention_scaling
        self.norm = m.norm.weight
        self.lm_head = model.lm_head.weight
        self.dtype = self.embed.dtype  # residual stream, norms, softmax, logits
        self.cd = DTYPES[dtype] if dtype else self.dtype  # layer matmuls and KV cache
        self.device = self.embed.device
        cd = self.cd
        self.layers = []
        for layer in m.layers:
            a, mlp = layer.self_attn, layer.mlp
            self.layers.append((
                layer.input_layernorm.weight,
                torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]).to(cd),
                torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]).to(cd),
                a.o_proj.weight.to(cd),
                layer.post_attention_layernorm.weight,
                torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight]).to(cd),
                mlp.down_proj.weight.to(cd),
            ))
        self.split = [self.n_heads * self.head_dim, self.n_kv * self.head_dim, self.n_kv * self.head_dim]

    def rope(self, pos):
        """cos, sin for integer positions, shaped pos.shape + (head_dim,)."""
        freqs = pos[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return (emb.cos() * self.rope_scale).to(self.dtype), (emb.sin() * self.rope_scale).to(self.dtype)

    def _mlp(self, x, ln2, wgu, wd):
        gate, up = F.linear(_rms_norm(x, ln2, self.eps).to(self.cd), wgu).chunk(2, dim=-1)
        return F.linear(F.silu(gate) * up, wd)

    def logits(self, x):
        return F.linear(_rms_norm(x, self.norm, self.eps), self.lm_head).float()

    def forward_full(self, ids):
        """Causal forward over right-padded ids [B, T] (padding only affects padded positions).

        Returns final hidden states [B, T, D] and the per-layer keys/values, each [B, kv, T, hd]."""
        B, T = ids.shape
        H, KV, hd, cd = self.n_heads, self.n_kv, self.head_dim, self.cd
        cos, sin = self.rope(torch.arange(T, device=ids.device))
        x = F.embedding(ids, self.embed)  # not self.embed[ids]: its backward sums repeated ids in a racy order
        ks, vs = [], []
        for ln1, wqkv, bqkv, wo, ln2, wgu, wd in self.layers:
            q, k, v = F.linear(_rms_norm(x, ln1, self.eps).to(cd), wqkv, bqkv).split(self.split, dim=-1)
            q = q.view(B, T, H, hd).transpose(1, 2)
            k = k.view(B, T, KV, hd).transpose(1, 2)
            v = v.view(B, T, KV, hd).transpose(1, 2)
            q = (q * cos + _rotate_half(q) * sin).to(cd)  # rope in the residual dtype (as autocast), then cd
            k = (k * cos + _rotate_half(k) * sin).to(cd)
            ks.append(k)
            vs.append(v)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=H != KV)
            x = x + F.linear(a.transpose(1, 2).reshape(B, T, H * hd), wo)
            x = x + self._mlp(x, ln2, wgu, wd)
        return x, ks, vs

    def rope_table(self, n: int):
        """cos, sin [n, 1, hd] for positions 0..n-1: a decode step looks its rows' positions up."""
        cos, sin = self.rope(torch.arange(n, device=self.device))
        return cos[:, None], sin[:, None]

    def decode_step(self, tok, cos, sin, t: int, cache):
        """One token per row of the [G, m] grid (tok flat [G*m], cos/sin [G*m, 1, hd] at the rows' positions);
        writes slot t of the own-token cache. Returns logits [G*m, V] (float32)."""
        G, m = cache.G, cache.m
        H, KV, hd, cd = self.n_heads, self.n_kv, self.head_dim, self.cd
        g, R, nqk = H // KV, G * m, (H + KV) * hd
        x = F.embedding(tok, self.embed)
        scale = hd**-0.5
        for li, (ln1, wqkv, bqkv, wo, ln2, wgu, wd) in enumerate(self.layers):
            qkv = F.linear(_rms_norm(x, ln1, self.eps).to(cd), wqkv, bqkv)
            # q and k heads sit side by side in qkv: rotate them in one go
            qk = qkv[:, :nqk].view(R, H + KV, hd)
            qk = qk * cos + _rotate_half(qk) * sin
            # grid layout [G, kv, m, ...]: a group's rows sit next to each other under each kv head
            cache.ck[li, :, :, :, t] = qk[:, H:].view(G, m, KV, hd).transpose(1, 2)
            cache.cv[li, :, :, :, t] = qkv[:, nqk:].view(G, m, KV, hd).transpose(1, 2)
            # GQA: the g query heads of a kv head act like g query positions of that kv head
            qg = (qk[:, :H] * scale).to(cd).view(G, m, KV, g, hd).transpose(1, 2).contiguous()  # [G, kv, m, g, hd]
            a = _shared_prefix_attention(qg, li, t, cache)  # [G, kv, m, g, hd]
            x = x + F.linear(a.transpose(1, 2).reshape(R, H * hd), wo)
            x = x + self._mlp(x, ln2, wgu, wd)
        return self.logits(x)


class _Cache:
    """KV of a wave's rows laid out as a grid of G groups x m rows; all rows of a group share one prompt.

    The prompt's KV is stored once per group (not per row); each row's own tokens have their own slots."""

    def __init__(self, pk, pv, prompt_bias, ck, cv):
        self.pk, self.pv = pk, pv  # [L, G, kv, Lp, hd]
        self.prompt_bias = prompt_bias  # [G, 1, 1, Lp]: 0 on prompt tokens, -inf on padding
        self.ck, self.cv = ck, cv  # [L, G, kv, m, capacity, hd]
        self.G, self.m = ck.shape[1], ck.shape[3]


def _shared_prefix_attention(q, li, t, cache):
    """Softmax attention of q [G, kv, m, g, hd] (pre-scaled) over the group's prompt and each row's t+1 keys.

    One softmax over both parts' scores (in float32 whatever the cache's dtype); nothing of size Lp is copied
    per row."""
    G, KV, m, g, hd = q.shape
    pk, pv = cache.pk[li], cache.pv[li]  # [G, kv, Lp, hd]
    kc, vc = cache.ck[li, :, :, :, : t + 1], cache.cv[li, :, :, :, : t + 1]  # [G, kv, m, t+1, hd]
    Lp = pk.shape[2]
    # prompt part: one matmul per (group, kv head) reads the prompt's keys once for all m*g queries
    sp = torch.matmul(q.view(G, KV, m * g, hd), pk.transpose(-1, -2)).float() + cache.prompt_bias
    sc = torch.matmul(q, kc.transpose(-1, -2)).float().view(G, KV, m * g, t + 1)
    s = torch.cat((sp, sc), dim=-1)  # [G, kv, m*g, Lp + t+1]
    e = s.sub_(s.amax(dim=-1, keepdim=True)).exp_()
    denom = e.sum(dim=-1, keepdim=True)
    e = e.to(q.dtype)
    out = torch.matmul(e[..., :Lp], pv) + torch.matmul(e[..., Lp:].view(G, KV, m, g, t + 1), vc).view(G, KV, m * g, hd)
    return (out / denom).to(q.dtype).view(G, KV, m, g, hd)


# ----------------------------------------------------------------------------------------------------------
# Counter-based randomness: a uniform number per (seed, prompt, sample, step), independent of batching

_M32 = 0xFFFFFFFF


def _mul32(x, c):
    """x * c mod 2**32 for int64 tensors x < 2**32, without int64 overflow."""
    return (x * (c & 0xFFFF) + (((x * (c >> 16)) & 0xFFFF) << 16)) & _M32


def _mix32(x):
    """lowbias32 (C. Wellons): a cheap 32-bit integer hash with good avalanche."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def _row_keys(seed_lo, seed_hi, prompt, sample):
    """The hash state of rows (int64 tensors: the seed's low and high 32 bits, prompt and sample indices), before
    the step is mixed in: computed once per row, not at every step."""
    x = _mix32(seed_lo ^ _mix32(seed_hi))
    x = _mix32(x ^ (prompt & _M32))
    return _mix32(x ^ (sample & _M32))


def _uniforms(keys, t0: int, steps: int):
    """Uniform float64 in (0, 1) [R, steps]: row r's number at step t0 + s is hash(key r, t0 + s)."""
    t = torch.arange(t0, t0 + steps, device=keys.device) & _M32
    x = _mix32(keys[:, None] ^ t)
    return (x.double() + 0.5) / 2.0**32


def _nucleus(probs, top_p: float):
    """probs with everything outside the top-p nucleus zeroed: the most likely tokens whose mass reaches top_p
    (the top token always stays). A full sort of [R, V] is slow on CPU, so look at the top k tokens and grow k
    only for rows whose top-k mass falls short of top_p."""
    V = probs.shape[-1]
    keep = torch.zeros_like(probs, dtype=torch.bool)
    rows = torch.arange(probs.shape[0], device=probs.device)
    k = min(16, V)
    while len(rows):
        vals, idx = probs[rows].topk(k, dim=-1)  # sorted, largest first
        before = vals.cumsum(dim=-1) - vals  # mass of the more likely tokens
        done = (before[:, -1] + vals[:, -1] >= top_p) | (k == V)
        keep[rows[done, None], idx[done]] = before[done] < top_p
        rows, k = rows[~done], min(4 * k, V)
    return probs.masked_fill(~keep, 0.0)


def _pick(logits, temperature: float, top_p: float, u):
    """Next tokens [R] from logits [R, V] (float32) and their log-probs under softmax(logits / T)."""
    if temperature == 0:
        tok = logits.argmax(dim=-1)
        logp = logits.log_softmax(dim=-1)
    else:
        logp = (logits / temperature).log_softmax(dim=-1)
        probs = logp.exp()
        if top_p < 1.0:
            probs = _nucleus(probs, top_p)
        # inverse-CDF sampling with one uniform per row; tokens of zero mass can never be picked
        cdf = probs.double().cumsum(dim=-1)
        tok = torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1)).squeeze(-1)
        tok = tok.clamp_max(logits.shape[-1] - 1)
    return tok, logp.gather(-1, tok[:, None])[:, 0]


# ----------------------------------------------------------------------------------------------------------
# Public API


def _check_prompts(prompt_ids):
    if any(len(p) == 0 for p in prompt_ids):
        raise ValueError("every prompt needs at least one token (e.g. [BOS])")


def _prefill(net: _Qwen2, prompts: list[list[int]], batch_tokens: int):
    """Encode prompts (right-padded, in chunks). Returns pk, pv [L, P, kv, Lp, hd], bias, last logits [P, V]."""
    P, Lp = len(prompts), max(len(p) for p in prompts)
    L, KV, hd = len(net.layers), net.n_kv, net.head_dim
    pk = torch.zeros(L, P, KV, Lp, hd, dtype=net.cd, device=net.device)
    pv = torch.zeros_like(pk)
    last = torch.empty(P, net.lm_head.shape[0], device=net.device)
    lens = torch.tensor([len(p) for p in prompts], device=net.device)
    step = max(1, batch_tokens // Lp)
    for i in range(0, P, step):
        chunk = prompts[i : i + step]
        T = max(len(p) for p in chunk)
        ids = torch.tensor([p + [0] * (T - len(p)) for p in chunk], device=net.device)
        x, ks, vs = net.forward_full(ids)
        for li in range(L):
            pk[li, i : i + len(chunk), :, :T] = ks[li]
            pv[li, i : i + len(chunk), :, :T] = vs[li]
        x_last = x[torch.arange(len(chunk), device=net.device), lens[i : i + len(chunk)] - 1]
        last[i : i + len(chunk)] = net.logits(x_last)
    bias = torch.zeros(P, Lp, device=net.device)  # float32: added to float32 scores
    bias.masked_fill_(torch.arange(Lp, device=net.device) >= lens[:, None], float("-inf"))
    return pk, pv, bias[:, None, None, :], last, lens


@torch.inference_mode()
def sample(
    model,
    prompt_ids: Sequence[Sequence[int]],
    n: int = 1,
    *,
    temperature: float = 0.7,
    top_p: float = 1.0,
    max_new_tokens: int = 512,
    stop_ids: Sequence[int] = (),
    seed: int | torch.Generator = 0,
    draw_keys: Sequence[tuple[int, int]] | None = None,
    batch_rows: int = 512,
    return_logprobs: bool = False,
    return_logits: bool = False,
    compact_at: float = 0.125,
    prefill_tokens: int = 16384,
    dtype: str | None = None,
    progress: bool = False,
) -> SampleResult:
    """Draw n completions for each prompt from a Qwen2ForCausalLM (temperature 0 = greedy).

    Rows (prompt, sample) are processed in waves of at most batch_rows; a sample stops after a token in
    stop_ids (kept in its output) or after max_new_tokens. Finished rows are dropped once a fraction
    compact_at of the wave's current rows is done. return_logits keeps [len, vocab] logits per sample
    (memory heavy; for debugging and parity tests).

    Sample j of prompt i draws hash(seed, i, j, t) at step t; `draw_keys[i] = (seed_i, index_i)` replaces
    (seed, i), so one call over the prompts of several calls draws what each call would have drawn.
    `dtype` ("fp32", "bf16"; None = the model's) is the decode matmuls' and KV cache's dtype (see _Qwen2);
    `progress` shows a bar over rows.
    """
    prompts = [list(map(int, p)) for p in prompt_ids]
    _check_prompts(prompts)
    if n < 1 or max_new_tokens < 0 or temperature < 0 or not 0 < top_p <= 1:
        raise ValueError(f"bad arguments: n={n} max_new_tokens={max_new_tokens} T={temperature} top_p={top_p}")
    if isinstance(seed, torch.Generator):
        seed = int(torch.randint(2**62, (1,), generator=seed))
    if draw_keys is None:
        draw_keys = [(seed, i) for i in range(len(prompts))]
    draw_keys = [(int(s), int(i)) for s, i in draw_keys]
    if len(draw_keys) != len(prompts):
        raise ValueError(f"draw_keys needs one (seed, index) per prompt: {len(draw_keys)} for {len(prompts)}")
    net = _Qwen2(model, dtype)
    dev = net.device
    is_stop = torch.zeros(net.lm_head.shape[0], dtype=torch.bool, device=dev)  # a lookup, not isin, per step
    stops = sorted({int(i) for i in stop_ids if 0 <= int(i) < len(is_stop)})  # other ids are never drawn
    is_stop[torch.tensor(stops, dtype=torch.long, device=dev)] = True

    out_tokens = [[[] for _ in range(n)] for _ in prompts]
    out_finished = [[False] * n for _ in prompts]
    out_logprobs = [[[] for _ in range(n)] for _ in prompts] if return_logprobs else None
    out_logits = [[None] * n for _ in prompts] if return_logits else None
    if max_new_tokens == 0:
        return SampleResult(out_tokens, out_finished, out_logprobs, out_logits)

    # rows sorted by prompt length so each wave's prompts have similar lengths (less padding)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    rows = [(i, j) for i in order for j in range(n)]
    cos, sin = net.rope_table(max(len(p) for p in prompts) + max_new_tokens)
    bar = tqdm(total=len(rows), desc="sample", unit="row", disable=not progress)
    for w0 in range(0, len(rows), batch_rows):
        wave = rows[w0 : w0 + batch_rows]
        toks, lens, fin, lps, lgs = _run_wave(net, prompts, wave, draw_keys, temperature, top_p,
                                              max_new_tokens, is_stop, (cos, sin), compact_at, prefill_tokens,
                                              return_logprobs, return_logits)
        for r, (i, j) in enumerate(wave):
            out_tokens[i][j] = toks[r, : lens[r]].tolist()
            out_finished[i][j] = bool(fin[r])
            if return_logprobs:
                out_logprobs[i][j] = lps[r, : lens[r]].tolist()
            if return_logits:
                out_logits[i][j] = lgs[r]
        bar.update(len(wave))
    bar.close()
    return SampleResult(out_tokens, out_finished, out_logprobs, out_logits)


def _grid(prompt_of_row: list[int], group_cost: float):
    """Lay rows out as G groups x m slots, each group holding rows of one prompt (rows of a prompt are
    contiguous in prompt_of_row). Picks m to minimise padded rows + group_cost per group (a group re-reads its
    prompt's KV at each step). Returns m, the source row of each slot (padding repeats a row of its group),
    whether each slot is real, and the prompt of each group."""
    counts: dict[int, int] = {}
    for p in prompt_of_row:
        counts[p] = counts.get(p, 0) + 1
    cost = lambda m: sum(-(-c // m) * (m + group_cost) for c in counts.values())  # noqa: E731
    m = min(range(1, max(counts.values()) + 1), key=cost)
    src, real, group_prompt = [], [], []
    start = 0
    for p, c in counts.items():
        for s in range(start, start + c, m):
            chunk = list(range(s, min(s + m, start + c)))
            src += chunk + [chunk[0]] * (m - len(chunk))
            real += [True] * len(chunk) + [False] * (m - len(chunk))
            group_prompt.append(p)
        start += c
    return m, src, real, group_prompt


def _run_wave(net, prompts, wave, draw_keys, temperature, top_p, max_new, is_stop, rope, compact_at,
              prefill_tokens, return_logprobs, return_logits, group_cost=2.0, u_block=32):
    dev = net.device
    W = len(wave)
    # unique prompts of the wave, in row order (rows of one prompt are contiguous)
    uniq = list(dict.fromkeys(i for i, _ in wave))
    local = {i: k for k, i in enumerate(uniq)}
    pk_all, pv_all, bias_all, last_logits, lens = _prefill(net, [prompts[i] for i in uniq], prefill_tokens)
    cos_tab, sin_tab = rope

    # per-row state in wave order, gathered into grid slots at each relayout (padding slots repeat a row)
    keys = [draw_keys[i] for i, _ in wave]
    lo = torch.tensor([s & _M32 for s, _ in keys], device=dev)  # the seed's halves split in Python: a seed
    hi = torch.tensor([(s >> 32) & _M32 for s, _ in keys], device=dev)  # may not fit an int64
    index = torch.tensor([k for _, k in keys], device=dev)
    key_w = _row_keys(lo, hi, index, torch.tensor([j for _, j in wave], device=dev))
    prow_w = torch.tensor([local[i] for i, _ in wave], device=dev)  # local prompt index of each row

    row_id = torch.arange(W, device=dev)  # the wave row of each slot
    pos = lens[prow_w]  # position of the token fed at the next step
    real = torch.ones(W, dtype=torch.bool, device=dev)  # a sample still running (not padding, not done)
    tok = torch.zeros(W, dtype=torch.long, device=dev)

    # outputs by wave row; a slot keeps writing after its stop token (ignored: lengths come from the first stop)
    out_tok = torch.zeros(W, max_new, dtype=torch.long, device=dev)
    out_lp = torch.zeros(W, max_new, device=dev) if return_logprobs else None
    logit_log = [] if return_logits else None

    L, KV, hd = len(net.layers), net.n_kv, net.head_dim
    cache = None
    lay = {}  # the layout's fixed indices: non-padding slots and their rows, the uniform numbers' block

    def relayout(t, capacity):
        """Move the running rows into a fresh grid, dropping finished ones (copies the caches)."""
        nonlocal row_id, pos, tok, real, cache
        keep = real.nonzero()[:, 0]
        m, src, is_real, gp = _grid(prow_w[row_id[keep]].tolist(), group_cost)
        G = len(gp)
        idx = keep[torch.tensor(src, device=dev)]
        row_id, pos, tok = row_id[idx], pos[idx], tok[idx]
        real = torch.tensor(is_real, device=dev)
        slots = real.nonzero()[:, 0]
        lay.update(slots=None if len(slots) == len(real) else slots, rows=row_id[slots], keys=key_w[row_id], t0=t,
                   u=None)
        gp = torch.tensor(gp, device=dev)
        ck = torch.empty(L, G, KV, m, capacity, hd, dtype=net.cd, device=dev)
        cv = torch.empty_like(ck)
        if cache is not None and t > 0:  # copy the t slots written so far
            gi, mi = (idx // cache.m).view(G, m), (idx % cache.m).view(G, m)
            ck[..., :t, :] = cache.ck[:, gi, :, mi, :t].permute(2, 0, 3, 1, 4, 5)
            cv[..., :t, :] = cache.cv[:, gi, :, mi, :t].permute(2, 0, 3, 1, 4, 5)
        pk, pv, bias = pk_all[:, gp], pv_all[:, gp], bias_all[gp]
        cache = _Cache(pk, pv, bias, ck, cv)

    def by_row(x):
        """Slot values of the non-padding slots, in the order of lay["rows"]."""
        return x if lay["slots"] is None else x[lay["slots"]]

    relayout(0, capacity=min(max_new, 64))
    logits = last_logits[prow_w[row_id]]
    n_real = n_running = int(real.sum())  # rows in the layout, rows still running
    for t in range(max_new):
        if return_logits:
            logit_log.append((row_id[real], logits[real]))
        if lay["u"] is None or t - lay["t0"] >= lay["u"].shape[1]:  # the uniforms of the next u_block steps
            lay.update(u=_uniforms(lay["keys"], t, min(u_block, max_new - t)), t0=t)
        tok, lp = _pick(logits, temperature, top_p, lay["u"][:, t - lay["t0"]])
        out_tok[:, t].index_copy_(0, lay["rows"], by_row(tok))
        if return_logprobs:
            out_lp[:, t].index_copy_(0, lay["rows"], by_row(lp))
        real.masked_fill_(is_stop[tok], False)
        n_running = int(real.sum())
        if t == max_new - 1 or n_running == 0:
            break
        if n_real - n_running >= compact_at * len(real):  # drop finished rows (not every step: it copies the caches)
            relayout(t, cache.ck.shape[4])
            n_real = n_running
        if t == cache.ck.shape[4]:  # grow the own-token cache geometrically
            grow = (0, 0, 0, min(max_new, 2 * t) - t)
            cache.ck, cache.cv = F.pad(cache.ck, grow), F.pad(cache.cv, grow)
        logits = net.decode_step(tok, cos_tab[pos], sin_tab[pos], t, cache)
        pos += 1

    # a sample's length: up to and including its first stop token (the slot ran on until it was dropped)
    stopped = is_stop[out_tok]
    fin = stopped.any(dim=1)
    out_len = torch.where(fin, stopped.int().argmax(dim=1) + 1, max_new)
    lgs = None
    if return_logits:
        lgs = [[] for _ in range(W)]
        for ids, lg in logit_log:
            for r, x in zip(ids.tolist(), lg):
                lgs[r].append(x)
        lgs = [torch.stack(x) for x in lgs]
    return out_tok.cpu(), out_len.tolist(), fin.tolist(), None if out_lp is None else out_lp.cpu(), lgs


@torch.inference_mode()
def logprobs_of(
    model,
    prompt_ids: Sequence[Sequence[int]],
    completion_ids: Sequence[Sequence[int]],
    *,
    temperature: float = 1.0,
    batch_tokens: int = 16384,
) -> list[list[float]]:
    """Teacher-forced log p(completion token | prompt, previous tokens) under softmax(logits / temperature).

    prompt_ids[i] pairs with completion_ids[i] (repeat a prompt for each of its completions). No gradient:
    use it for GRPO's old-policy and reference log-probs, not for the policy loss (see `teacher_forced`)."""
    with torch.no_grad():
        logps, _ = teacher_forced(model, prompt_ids, completion_ids, temperature=temperature,
                                  batch_tokens=batch_tokens)
    return [lp.tolist() for lp in logps]


def teacher_forced(
    model,
    prompt_ids: Sequence[Sequence[int]],
    completion_ids: Sequence[Sequence[int]],
    *,
    temperature: float = 1.0,
    entropy: bool = False,
    batch_tokens: int = 16384,
) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """Per-row log-probs [len(completion)] of each completion token (and, with `entropy`, the entropy of the
    distribution at each position, without gradient) under softmax(logits / temperature).

    Differentiable when grad is enabled (GRPO's policy loss). Rows are sorted by length and batched up to
    `batch_tokens` tokens, each batch right-padded only to its own longest row."""
    if len(prompt_ids) != len(completion_ids):
        raise ValueError("prompt_ids and completion_ids must pair up")
    prompts = [list(map(int, p)) for p in prompt_ids]
    completions = [list(map(int, c)) for c in completion_ids]
    _check_prompts(prompts)
    net = _Qwen2(model)
    T = 1.0 if temperature == 0 else temperature
    seqs = [p + c for p, c in zip(prompts, completions)]
    empty = net.embed.new_zeros(0, dtype=torch.float32)
    logps: list[torch.Tensor] = [empty] * len(seqs)
    ents: list[torch.Tensor] | None = [empty] * len(seqs) if entropy else None
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    i = 0
    while i < len(order):
        # a chunk of similar-length sequences within the token budget
        j = i + 1
        while j < len(order) and (j + 1 - i) * len(seqs[order[j]]) <= batch_tokens:
            j += 1
        chunk = order[i:j]
        width = max(len(seqs[k]) for k in chunk)
        ids = torch.tensor([seqs[k] + [0] * (width - len(seqs[k])) for k in chunk], device=net.device)
        x, _, _ = net.forward_full(ids)
        # every scored position of the chunk through the output layer at once
        rows = [b for b, k in enumerate(chunk) for _ in completions[k]]
        cols = [len(prompts[k]) - 1 + t for k in chunk for t in range(len(completions[k]))]
        if rows:
            rows_t, cols_t = torch.tensor(rows, device=net.device), torch.tensor(cols, device=net.device)
            logp = (net.logits(x[rows_t, cols_t]) / T).log_softmax(-1)
            picked = logp.gather(-1, ids[rows_t, cols_t + 1, None])[:, 0]
            sizes = [len(completions[k]) for k in chunk]
            for k, lp in zip(chunk, picked.split(sizes)):
                logps[k] = lp
            if ents is not None:
                with torch.no_grad():
                    h = -(logp.exp() * logp).sum(-1)
                for k, e in zip(chunk, h.split(sizes)):
                    ents[k] = e
        i = j
    return logps, ents
