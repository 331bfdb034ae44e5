"""Tokenizer: special tokens, offline loading, round trip (to the NFC form), compression, determinism."""

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reasonlab.generator import GeneratorConfig, Mixture, problem_at
from reasonlab.tokenizer import ALL_SPECIALS, chars_per_token, load_tokenizer, train_tokenizer


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


def eval_texts(n_per_style=40):
    out = []
    for style in ("random", "ordered"):
        mix = Mixture.of([(t, 2, 20, 1.0) for t in ("A", "B", "C")], GeneratorConfig(variable_names=style))
        out += [problem_at(mix, "eval", i, 0).text for i in range(n_per_style)]
    return out


def test_special_tokens_are_the_papers_in_order(tok):
    assert tok.convert_ids_to_tokens(list(range(10))) == list(ALL_SPECIALS)
    assert (tok.unk_token, tok.pad_token, tok.bos_token, tok.eos_token) == ("[UNK]", "[PAD]", "[BOS]", "[EOS]")


def test_auto_tokenizer_loads_offline():
    from transformers import AutoTokenizer

    from reasonlab.tokenizer import DEFAULT_DIR

    t = AutoTokenizer.from_pretrained(str(DEFAULT_DIR), local_files_only=True)
    assert t.bos_token_id == 2 and t.eos_token_id == 3 and t.pad_token_id == 1


def test_round_trip_and_bos(tok):
    for text in eval_texts(20):
        ids = tok(text)["input_ids"]
        assert ids[0] == tok.bos_token_id  # training documents start with [BOS]
        assert tok.decode(ids, skip_special_tokens=True) == text  # tags survive skip_special_tokens
        assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_tags_are_single_tokens(tok):
    for tag in ALL_SPECIALS[4:]:
        assert len(tok(f"x{tag}y", add_special_tokens=False)["input_ids"]) == 3


def test_prompt_plus_completion_tokenises_like_text(tok):
    # The trainer tokenises prompt and completion apart to find the solution start.
    from reasonlab.generator import generate_problem

    for op in (2, 7, 15):
        p = generate_problem(op, "B", op)
        parts = tok(p.prompt, add_special_tokens=False)["input_ids"] + tok(p.completion, add_special_tokens=False)["input_ids"]
        assert parts == tok(p.text, add_special_tokens=False)["input_ids"]


def test_digits_are_split(tok):
    ids = tok("so a = 347.", add_special_tokens=False)["input_ids"]
    pieces = [tok.decode([i]) for i in ids]
    assert "3" in pieces and "4" in pieces and not any("34" in s for s in pieces)


def test_compression_at_least_3_5_chars_per_token(tok):
    assert chars_per_token(tok, eval_texts()) >= 3.5


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
@example("\uf900")  # a CJK compatibility ideograph: NFC maps it to U+8C48 (found by hypothesis, 2026-12-06)
def test_round_trip_any_text(text):
    """Any text comes back as its NFC form: the tokenizer normalises to NFC, as Qwen2's does (module docstring)."""
    t = load_tokenizer()
    assert t.decode(t(text, add_special_tokens=False)["input_ids"]) == unicodedata.normalize("NFC", text)


def test_training_is_deterministic():
    texts = eval_texts(30)
    a = train_tokenizer(vocab_size=400, texts=texts)
    b = train_tokenizer(vocab_size=400, texts=texts)
    assert a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()


def test_bad_arguments():
    with pytest.raises(ValueError, match="pretokenize"):
        train_tokenizer(pretokenize="letters", texts=["a"])
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(vocab_size=10, texts=["a"])


def test_checkpoint_dir_loading_paths_agree(tmp_path):
    # AutoTokenizer beside a Qwen2 config.json builds a Qwen2Tokenizer: identical for the default tokenizer;
    # load_checkpoint keeps any tokenizer (e.g. "phrases") exactly as saved.
    from transformers import AutoTokenizer

    from reasonlab.model import load_checkpoint, make_model, save_checkpoint

    texts = eval_texts(15)
    for name, tok in (("default", load_tokenizer()), ("phrases", train_tokenizer(600, pretokenize="phrases", texts=texts))):
        save_checkpoint(make_model("smoke", tok), tok, tmp_path / name)
        _, t2 = load_checkpoint(tmp_path / name)
        assert all(t2(x)["input_ids"] == tok(x)["input_ids"] for x in texts)
    auto = AutoTokenizer.from_pretrained(str(tmp_path / "default"), local_files_only=True)
    assert all(auto(x)["input_ids"] == load_tokenizer()(x)["input_ids"] for x in texts)
