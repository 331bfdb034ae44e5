"""The next-token loss of a Qwen2 model, computed fast on its own weights; and the plain path beside it.

Both modules return the same thing: the summed cross-entropy of `labels` (-100 = not a target) given
`input_ids`, for one micro-batch of unpadded, fixed-length training blocks. The optimizer and the checkpoint
still hold the `transformers` model; only the way its loss is computed differs:

- `PlainLoss`: `model(input_ids).logits` then cross-entropy, as a user of transformers writes it.
- `FastLoss`: the same math (transformers' Qwen2 op order, fp32 residual stream and RoPE, fp32 softmax)
  written out on the model's parameters, with three changes that do not change what is computed:
  q/k/v and gate/up run as one matmul each; on CPU, causal attention runs in query blocks against the keys up
  to the block's end (block-causal), so the masked upper triangle is mostly skipped and each score block stays
  in cache (on CUDA the flash kernel runs instead); and the whole loss is compiled with `torch.compile`, which fuses RMSNorm, RoPE, the SiLU gate, the
  softmax and the loss into a few kernels. On CPU, `tune_allocator` stops glibc returning large freed
  buffers to the OS, so the score and logit temporaries are not page-faulted in again at every step.

Measured on the 2-core dev CPU (benchmarks/bench_train.py, laptop-2m, 8 x 512 tokens, bf16 autocast):
the CPU flash-attention kernel took about half of an eager step; the softmax of a 32 x 512 x 512 block took
16 ms with fresh pages and 3 ms with the allocator tuned. `fast_enabled()` is the switch: REASONLAB_FAST=0
in the environment selects the plain path everywhere (debugging, devices where compile is not wanted).
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from ..sampling import _rms_norm, _rotate_half, qwen2_unsupported  # transformers' Qwen2 op order, written once

BLOCK = 128  # query block of the block-causal attention (64-256 measured within noise on 2 cores)


def fast_enabled(requested: bool | None = None) -> bool:
    """The fast-path switch: an explicit request wins; else REASONLAB_FAST (default on; 0/false/no = off)."""
    if requested is not None:
        return bool(requested)
    return os.environ.get("REASONLAB_FAST", "1").strip().lower() not in ("0", "false", "no", "off")


_ALLOCATOR_TUNED = False


def tune_allocator() -> bool:
    """Keep freed memory in the process heap (glibc only): large temporaries are reused, not re-faulted.

    glibc serves allocations above ~128 KB-32 MB with mmap and returns them to the OS on free, so every new
    score matrix or logit buffer pays a page fault per 4 KB page. With mmap off and a high trim threshold,
    the heap keeps them (the process's resident memory stays at its peak). Process-wide; returns whether set."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4  # malloc.h
    ok = libc.mallopt(m_mmap_max, 0) == 1
    ok &= libc.mallopt(m_trim_threshold, 1 << 30) == 1
    ok &= libc.mallopt(m_top_pad, 64 << 20) == 1
    _ALLOCATOR_TUNED = bool(ok)
    return _ALLOCATOR_TUNED


def can_compile(device: torch.device) -> bool:
    """torch.compile needs a C++ compiler on CPU (inductor writes C++) and triton on CUDA."""
    if device.type == "cpu":
        return shutil.which(os.environ.get("CXX", "c++")) is not None or shutil.which("g++") is not None
    if device.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            return False
        return True
    return False


def supports_fast(model) -> str | None:
    """None if FastLoss implements this model's architecture, else the reason it does not."""
    reason = qwen2_unsupported(model)  # the same forward as reasonlab.sampling's
    if reason is not None:
        return reason
    rope = getattr(model.config, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") != "default":  # the RoPE tables here are the default ones
        return f"rope_type {rope['rope_type']!r}"
    return None


class PlainLoss(nn.Module):
    """Summed next-token cross-entropy through the transformers forward (the reference path)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, labels):
        logits = self.model(input_ids=input_ids).logits[:, :-1]
        return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1),
                               ignore_index=-100, reduction="sum")


def block_causal_attention(q, k, v, scale: float, block: int = BLOCK):
    """softmax(q k^T * scale + causal mask) v, query block by query block; q [B, H, T, d], k/v [B, KV, T, d].

    Block i (queries i*block ..) only multiplies keys up to its own end. Grouped-query heads are folded into
    the query rows of their kv head (no repeated k/v). Scores and softmax in fp32, as the SDPA kernels do."""
    B, H, T, d = q.shape
    kv = k.shape[1]
    g = H // kv
    out = []
    for start in range(0, T, block):
        end = min(T, start + block)
        n = end - start
        qb = q[:, :, start:end].reshape(B, kv, g * n, d)
        s = (qb @ k[:, :, :end].transpose(-1, -2)).float() * scale  # [B, kv, g*n, end]
        future = torch.ones(n, end, dtype=torch.bool, device=q.device).triu(start + 1)
        s = s.view(B, kv, g, n, end).masked_fill(future, float("-inf"))
        p = s.softmax(-1).to(v.dtype).view(B, kv, g * n, end)
        out.append((p @ v[:, :, :end]).view(B, H, n, d))
    return torch.cat(out, dim=2)


class FastLoss(nn.Module):
    """Summed next-token cross-entropy of a Qwen2ForCausalLM, on its parameters (see the module docstring).

    `seq_len` fixes the RoPE tables; `compile=True` compiles the loss (static shapes: blocks are fixed length)."""

    def __init__(self, model, seq_len: int, compile: bool = True, block: int = BLOCK):
        super().__init__()
        reason = supports_fast(model)
        if reason is not None:
            raise NotImplementedError(f"FastLoss does not implement this model: {reason}")
        self.model = model
        cfg = model.config
        self.n_heads, self.n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps, self.block = cfg.rms_norm_eps, block
        rotary = model.model.rotary_emb
        with torch.no_grad():  # fp32 tables, as transformers' rotary embedding gives the fp32 residual stream
            freqs = torch.arange(seq_len, dtype=torch.float32)[:, None] * rotary.inv_freq.float().cpu()
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos() * rotary.attention_scaling, emb.sin() * rotary.attention_scaling
        device = model.model.embed_tokens.weight.device
        # CUDA's flash kernel beats any blocking done here; on CPU its kernel is what block_causal replaces
        self.block_causal = device.type == "cpu"
        self.register_buffer("cos", cos.to(device), persistent=False)
        self.register_buffer("sin", sin.to(device), persistent=False)
        self._loss = torch.compile(self._eager_loss, dynamic=False) if compile else self._eager_loss

    def forward(self, input_ids, labels):
        return self._loss(input_ids, labels)

    def _eager_loss(self, input_ids, labels):
        m = self.model.model
        B, T = input_ids.shape
        H, KV, d = self.n_heads, self.n_kv, self.head_dim
        cos, sin = self.cos[:T, None], self.sin[:T, None]  # [T, 1, d]: broadcast over heads
        x = m.embed_tokens(input_ids)
        for layer in m.layers:
            a, mlp = layer.self_attn, layer.mlp
            h = _rms_norm(x, layer.input_layernorm.weight, self.eps)
            w_qkv = torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight])
            b_qkv = torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias])
            q, k, v = F.linear(h, w_qkv, b_qkv).split([H * d, KV * d, KV * d], dim=-1)
            # RoPE in the projection's own [B, T, heads, d] layout, then heads first for the attention
            q = (q.view(B, T, H, d) * cos + _rotate_half(q.view(B, T, H, d)) * sin).transpose(1, 2)
            k = (k.view(B, T, KV, d) * cos + _rotate_half(k.view(B, T, KV, d)) * sin).transpose(1, 2)
            v = v.view(B, T, KV, d).transpose(1, 2)
            if self.block_causal:
                o = block_causal_attention(q, k, v, d**-0.5, self.block)
            else:
                o = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=H != KV)
            x = x + a.o_proj(o.transpose(1, 2).reshape(B, T, H * d))
            h = _rms_norm(x, layer.post_attention_layernorm.weight, self.eps)
            gate, up = F.linear(h, torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight])).chunk(2, dim=-1)
            x = x + mlp.down_proj(F.silu(gate) * up)
        logits = self.model.lm_head(_rms_norm(x, m.norm.weight, self.eps))[:, :-1]
        return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1),
                               ignore_index=-100, reduction="sum")


# Compiling takes ~20-60 s on 2 CPU cores and saves ~0.1 s a step at the laptop scale: shorter runs (tests,
# smoke) run FastLoss eager, which already has the fused projections, block-causal attention and allocator.
COMPILE_MIN_STEPS = 200


def loss_module(model, seq_len: int, device: torch.device, fast: bool | None = None, steps: int = 0) -> nn.Module:
    """The training loss of `model`: FastLoss where the switch is on and the model is supported, else PlainLoss.

    FastLoss is compiled when the run has at least COMPILE_MIN_STEPS `steps` left and a compiler is present."""
    if not fast_enabled(fast):
        return PlainLoss(model)
    reason = supports_fast(model)
    if reason is not None:
        warnings.warn(f"fast training path unavailable ({reason}); using the plain transformers forward")
        return PlainLoss(model)
    if device.type == "cpu":
        tune_allocator()
    return FastLoss(model, seq_len, compile=steps >= COMPILE_MIN_STEPS and can_compile(device))
