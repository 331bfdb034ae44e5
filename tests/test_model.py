"""Model presets: the paper's shape, validation, parameter counts, offline checkpoints."""

import pytest
import torch

from reasonlab.model import PRESETS, count_params, get_preset, load_checkpoint, make_config, make_model, save_checkpoint
from reasonlab.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


def test_paper_preset_matches_paper(tok):
    c = make_config("paper-100m", tok)  # paper.md section 4
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads) == (768, 12, 12, 2)
    assert c.intermediate_size == 3072 and c.hidden_act == "silu" and c.rms_norm_eps == 1e-6
    assert c.rope_parameters["rope_theta"] == 1e6 and c.tie_word_embeddings and c.max_position_embeddings == 2048
    assert c.vocab_size == len(tok)


def test_unknown_preset_lists_allowed():
    with pytest.raises(ValueError, match="allowed: .*paper-100m.*smoke"):
        get_preset("huge")


def test_preset_validation():
    from reasonlab.model import ModelPreset

    with pytest.raises(ValueError, match="divisible"):
        ModelPreset(hidden=100, layers=1, heads=3, kv_heads=1, intermediate=10)


def test_param_counts(tok):
    m = make_model("smoke", tok, seed=0)
    emb = m.get_input_embeddings().weight.numel()
    assert count_params(m, non_embedding=False) == sum(p.numel() for p in m.parameters())
    assert count_params(m) == count_params(m, non_embedding=False) - emb  # tied head counted once
    assert 1_500_000 < count_params(make_model("laptop-2m", tok)) < 2_500_000


def test_init_is_seeded(tok):
    a, b = make_model("smoke", tok, seed=3), make_model("smoke", tok, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_checkpoint_round_trip_offline(tok, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    m = make_model("smoke", tok, seed=0)
    save_checkpoint(m, tok, tmp_path)
    m2 = AutoModelForCausalLM.from_pretrained(str(tmp_path), local_files_only=True)
    t2 = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    x = torch.tensor([tok("<question>The number")["input_ids"]])
    assert torch.allclose(m(x).logits, m2(x).logits)
    assert t2("a b")["input_ids"] == tok("a b")["input_ids"] and len(t2) == len(tok)
    m3, t3 = load_checkpoint(tmp_path)
    assert m3.config.tie_word_embeddings and t3.eos_token_id == tok.eos_token_id


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_a_config(tok, name):
    assert make_config(name, tok).vocab_size == len(tok)
