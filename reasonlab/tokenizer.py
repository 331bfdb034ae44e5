"""Byte-level BPE tokenizer trained on the generated corpus (paper.md section 4).

The paper trains a 2,200-token byte-level BPE on its synthetic corpus, with the special tokens
`[UNK] [PAD] [BOS] [EOS] <question> </question> <solution> </solution> <answer> </answer>`.
We do the same with `tokenizers` and wrap the result as a `transformers` fast tokenizer, so
`AutoTokenizer.from_pretrained(dir)` loads it offline next to any checkpoint.

Choices (measured on 400 eval-split problems, op 2-20, three templates, both variable-name styles;
see book/lab-notes-training.md):
- Pre-tokenizer `"words"` (default): exactly transformers' Qwen2 regex (a word with its leading
  space, digits one by one) plus NFC. AutoTokenizer on a Qwen2 checkpoint dir always rebuilds a
  Qwen2Tokenizer from our vocab and merges with that pre-tokenizer, so only this choice tokenises
  identically on both loading paths (tested). The corpus has few distinct words, so BPE runs out of
  merges at ~820 tokens: every word is one token and `vocab_size` (paper 2,200) is an upper bound.
  3.84 chars/token; the paper's released tokenizer got ~2.5 (it spelled words letter by letter).
  A trailing-space regex reached 4.18 but breaks under AutoTokenizer, so we do not use it.
- Digits one by one (default, and Qwen2's choice): a number is spelled with the same digit tokens
  wherever it appears, which helps small models with arithmetic; it costs 1% (3.84 vs 3.88
  chars/token with whole numbers) because values are short (<= 1000).
- `"phrases"`: merges may cross spaces (splits only at digits and punctuation), so frequent
  multi-word names ("adult parrot", " in Cedar Valley") become single tokens: 6.6 chars/token, a
  probe knob. Load such a tokenizer with `load_tokenizer(dir)` / `reasonlab.model.load_checkpoint`
  (never plain AutoTokenizer on a checkpoint dir, which would re-impose the Qwen2 regex).

Only [UNK] [PAD] [BOS] [EOS] are *special* in the transformers sense (dropped by
`decode(..., skip_special_tokens=True)`); the six tags are atomic added tokens that are never split
and always decoded, so a decoded completion still carries `</solution><answer>..</answer>` for the
verifier. Encoding with `add_special_tokens=True` (the default) prepends [BOS], exactly as every
training document starts, so `tokenizer(problem.prompt)` is what the model saw in training.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from .generator import GeneratorConfig, Mixture, problem_at
from .provenance import REPO_ROOT

# transformers (~1 s) loads in the functions that make a transformers tokenizer: reasonlab.model, which every scale
# imports for its presets, imports this module without needing it.

SPECIAL_TOKENS = ("[UNK]", "[PAD]", "[BOS]", "[EOS]")  # paper.md section 4
TAG_TOKENS = ("<question>", "</question>", "<solution>", "</solution>", "<answer>", "</answer>")  # ditto
ALL_SPECIALS = SPECIAL_TOKENS + TAG_TOKENS  # ids 0..9 in this order
DEFAULT_DIR = REPO_ROOT / "data" / "tokenizer"
DEFAULT_VOCAB_SIZE = 2200  # paper.md section 4
PRETOKENIZERS = ("words", "phrases")

# The deterministic training corpus: a few thousand problems spanning what any recipe will show.
CORPUS_TEMPLATES = ("animals-zoo", "teachers-school", "movie-festival")
CORPUS_OPS = (2, 20)


def corpus(n_per_style: int = 1500, seed: int = 0) -> list[str]:
    """Problem texts for tokenizer training: op 2-20, three templates, random and ordered letters."""
    texts = []
    for style in ("random", "ordered"):
        cfg = GeneratorConfig(variable_names=style)
        mix = Mixture.of([(t, *CORPUS_OPS, 1.0) for t in CORPUS_TEMPLATES], cfg)
        texts += [problem_at(mix, "pretrain", i, seed).text for i in range(n_per_style)]
    return texts


# transformers' Qwen2Tokenizer regex (tokenization_qwen2.py). AutoTokenizer on a Qwen2 checkpoint dir
# always builds a Qwen2Tokenizer, which keeps our vocabulary, merges and tags but re-imposes this
# pre-tokenizer and NFC; using exactly them makes both loading paths tokenise identically (tested).
QWEN2_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def _pre_tokenizer(pretokenize: str, split_digits: bool):
    if pretokenize == "words":  # a word with its leading space or punctuation; digits one by one
        rx = QWEN2_REGEX if split_digits else QWEN2_REGEX.replace(r"|\p{N}|", r"|\p{N}+|")
    else:  # "phrases": isolate digits and punctuation, keep runs of words (with spaces) together
        rx = r"[0-9]|[^\sA-Za-z0-9]" if split_digits else r"[0-9]+|[^\sA-Za-z0-9]"
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(rx), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),  # bytes -> printable symbols
    ])


def train_tokenizer(vocab_size: int = DEFAULT_VOCAB_SIZE, split_digits: bool = True, pretokenize: str = "words",
                    texts: list[str] | None = None, max_token_length: int | None = None):
    """Train the BPE; returns a transformers PreTrainedTokenizerFast. Deterministic in its arguments."""
    from transformers import PreTrainedTokenizerFast

    if pretokenize not in PRETOKENIZERS:
        raise ValueError(f"pretokenize must be one of {PRETOKENIZERS}, got {pretokenize!r}")
    if not 300 <= vocab_size <= 65536:  # 256 bytes + specials need room
        raise ValueError(f"vocab_size must be in 300..65536, got {vocab_size}")
    texts = corpus() if texts is None else texts

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()  # as Qwen2Tokenizer; a no-op on our ASCII text
    tok.pre_tokenizer = _pre_tokenizer(pretokenize, split_digits)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(ALL_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte encodable: lossless
        show_progress=False,
        max_token_length=max_token_length,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    # Tags are atomic but not "special": they survive skip_special_tokens=True.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    bos = tok.token_to_id("[BOS]")
    tok.post_processor = processors.TemplateProcessing(
        single="[BOS] $A", pair="[BOS] $A $B", special_tokens=[("[BOS]", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="[BOS]", eos_token="[EOS]", pad_token="[PAD]", unk_token="[UNK]",
        model_max_length=2048, clean_up_tokenization_spaces=False,
    )


def build_default_tokenizer(out_dir: Path | str = DEFAULT_DIR, **kwargs) -> Path:
    """Rebuild the committed tokenizer (data/tokenizer/) deterministically."""
    tok = train_tokenizer(**kwargs)
    out_dir = Path(out_dir)
    tok.save_pretrained(out_dir)
    settings = {"vocab_size": kwargs.get("vocab_size", DEFAULT_VOCAB_SIZE),
                "split_digits": kwargs.get("split_digits", True), "pretokenize": kwargs.get("pretokenize", "words"),
                "corpus": {"templates": CORPUS_TEMPLATES, "ops": CORPUS_OPS, "n_per_style": 1500, "seed": 0}}
    (out_dir / "reasonlab_tokenizer.json").write_text(json.dumps(settings, indent=1) + "\n")
    return out_dir


def load_tokenizer(path: Path | str | None = None):
    """The committed tokenizer (or the one saved at `path`, e.g. a checkpoint dir), offline."""
    from transformers import PreTrainedTokenizerFast

    path = Path(path) if path is not None else DEFAULT_DIR
    if not (path / "tokenizer.json").exists():
        raise FileNotFoundError(f"no tokenizer.json in {path}; rebuild with reasonlab.tokenizer.build_default_tokenizer()")
    # The generic class takes tokenizer.json as saved; AutoTokenizer would pick Qwen2Tokenizer beside a
    # Qwen2 config.json and re-impose its pre-tokenizer (harmless for the default, not for "phrases").
    return PreTrainedTokenizerFast.from_pretrained(str(path), local_files_only=True)


def chars_per_token(tokenizer, texts: list[str]) -> float:
    """Compression on `texts` (no [BOS])."""
    n_tok = sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    return sum(map(len, texts)) / n_tok


if __name__ == "__main__":
    print(build_default_tokenizer())
