"""Qwen2-style decoder configs by preset name (paper.md section 4) and model construction.

`paper-100m` is the paper's model; the smaller presets keep its shape (SiLU MLP of 4x width,
RMSNorm, RoPE, grouped KV heads, tied embeddings) and shrink width and depth for a CPU or one GPU.
Checkpoints are plain `transformers` directories: `AutoModelForCausalLM.from_pretrained(dir)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tokenizer import load_tokenizer
from .validation import check_bool, check_float, check_int

# torch and transformers (~3 s) load in the functions that build or load a model: a scale names its preset
# (PRESETS) without them.


@dataclass(frozen=True)
class ModelPreset:
    """Shape of a Qwen2 decoder; the vocabulary comes from the tokenizer."""

    hidden: int  # residual width
    layers: int  # transformer blocks
    heads: int  # attention (query) heads; head dim = hidden / heads
    kv_heads: int  # key/value heads (grouped-query attention)
    intermediate: int  # SiLU-gated MLP width
    max_positions: int = 2048  # context length (paper: 2048)
    rope_theta: float = 1e6  # paper.md section 4
    rms_eps: float = 1e-6  # paper.md section 4
    tied_embeddings: bool = True  # paper.md section 4
    init_std: float = 0.02  # transformers' default initializer range

    def __post_init__(self):
        for k in ("hidden", "layers", "heads", "kv_heads", "intermediate"):
            check_int(k, getattr(self, k), lo=1)
        check_int("max_positions", self.max_positions, lo=8)
        check_float("rope_theta", self.rope_theta, lo=0, lo_open=True)
        check_float("rms_eps", self.rms_eps, 0, 1, lo_open=True, hi_open=True)
        check_bool("tied_embeddings", self.tied_embeddings)
        check_float("init_std", self.init_std, 0, 1, lo_open=True)
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")
        if self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be divisible by kv_heads ({self.kv_heads})")
        if (self.hidden // self.heads) % 2:
            raise ValueError(f"head dim {self.hidden // self.heads} must be even (RoPE)")


PRESETS: dict[str, ModelPreset] = {
    # paper.md section 4: hidden 768, 12 layers, 12 heads, 2 KV heads, MLP 3072 (101M non-embedding).
    "paper-100m": ModelPreset(hidden=768, layers=12, heads=12, kv_heads=2, intermediate=3072),
    # Tests and CI: trains in seconds (0.12M non-embedding).
    "smoke": ModelPreset(hidden=64, layers=2, heads=2, kv_heads=1, intermediate=256, max_positions=1024),
    # Laptop candidates (2 CPU cores, ~1 h per chapter); the ladder calibration picks one.
    # Names give non-embedding parameters.
    "laptop-2m": ModelPreset(hidden=192, layers=4, heads=4, kv_heads=2, intermediate=768, max_positions=1024),
    "laptop-3m": ModelPreset(hidden=192, layers=6, heads=4, kv_heads=2, intermediate=768, max_positions=1024),
    "laptop-4m": ModelPreset(hidden=256, layers=4, heads=4, kv_heads=2, intermediate=1024, max_positions=1024),
    "laptop-6m": ModelPreset(hidden=256, layers=6, heads=4, kv_heads=2, intermediate=1024, max_positions=1024),
    # One GPU (~30 min per chapter on an H100).
    "gpu-20m": ModelPreset(hidden=512, layers=6, heads=8, kv_heads=2, intermediate=2048),
    "gpu-30m": ModelPreset(hidden=512, layers=8, heads=8, kv_heads=2, intermediate=2048),
}


def get_preset(name: str) -> ModelPreset:
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; allowed: {', '.join(PRESETS)}")
    return PRESETS[name]


def make_config(preset: str, tokenizer):
    """A transformers Qwen2Config for `preset` with the tokenizer's vocabulary and special ids."""
    from transformers import Qwen2Config

    p = get_preset(preset)
    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=p.hidden,
        num_hidden_layers=p.layers,
        num_attention_heads=p.heads,
        num_key_value_heads=p.kv_heads,
        intermediate_size=p.intermediate,
        hidden_act="silu",
        max_position_embeddings=p.max_positions,
        rms_norm_eps=p.rms_eps,
        rope_parameters={"rope_type": "default", "rope_theta": p.rope_theta},
        tie_word_embeddings=p.tied_embeddings,
        initializer_range=p.init_std,
        attention_dropout=0.0,
        use_sliding_window=False,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def make_model(preset: str, tokenizer, seed: int | None = None):
    """A freshly initialised Qwen2ForCausalLM (fp32). `seed` makes the init reproducible."""
    import torch
    from transformers import Qwen2ForCausalLM

    config = make_config(preset, tokenizer)
    if seed is not None:
        torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model


def count_params(model, non_embedding: bool = True) -> int:
    """Parameters; with non_embedding, minus the token embedding (the paper's P in C = 6PT).

    Tied output head shares the embedding, so it is counted once (or not at all).
    """
    total = sum(p.numel() for p in model.parameters())  # parameters() deduplicates tied weights
    if non_embedding:
        total -= model.get_input_embeddings().weight.numel()
        out = model.get_output_embeddings()
        if out is not None and out.weight is not model.get_input_embeddings().weight:
            total -= out.weight.numel()
    return total


def save_checkpoint(model, tokenizer, out_dir) -> None:
    """transformers format: config + safetensors + generation config + tokenizer files."""
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def load_checkpoint(path, dtype=None):
    """(model, tokenizer) from a checkpoint directory, offline (tokenizer.json taken as saved)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, dtype=dtype)
    return model, load_tokenizer(path)
