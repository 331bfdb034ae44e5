"""LM trainer: packing, loss masking, schedule, config validation, exact resume, mid-training."""

import json
import math

import pytest
import torch

from reasonlab.generator import Mixture
from reasonlab.model import load_checkpoint
from reasonlab.tokenizer import load_tokenizer
from reasonlab.train import LMTrainConfig, PackedStream, greedy_exact_match, midtrain_config, train_lm
from reasonlab.train import lm as lr_module
from reasonlab.train.lm import lr_factor

MIX = Mixture.band(2, 4)


def tiny(**kw):
    base = dict(mixture=MIX, total_tokens=6 * 2 * 64, preset="smoke", seq_len=64, batch_size=2, warmup_frac=0.2)
    return LMTrainConfig(**{**base, **kw})


def test_packing_is_bos_text_eos_concatenated():
    tok = load_tokenizer()
    s = PackedStream(MIX, "pretrain", 0, tok, seq_len=50)
    blocks = [s.next_block()[0] for _ in range(20)]
    flat = [t for b in blocks for t in b]
    assert all(len(b) == 50 for b in blocks)
    from reasonlab.generator import problem_at

    p0 = problem_at(MIX, "pretrain", 0, 0)
    doc = [tok.bos_token_id, *tok(p0.text, add_special_tokens=False)["input_ids"], tok.eos_token_id]
    assert flat[: len(doc)] == doc and flat[len(doc)] == tok.bos_token_id


def test_solution_only_masks_the_question():
    tok = load_tokenizer()
    s = PackedStream(MIX, "pretrain", 0, tok, seq_len=400, loss_on="solution")
    ids, labels = s.next_block()
    text = tok.decode([t for t, y in zip(ids, labels) if y != -100])
    assert "<question>" not in text and "</solution>" in text and "Define" in text
    first = ids.index(tok.convert_tokens_to_ids("<solution>"))
    assert all(y == -100 for y in labels[: first + 1]) and labels[first + 1] == ids[first + 1]


def test_stream_state_round_trip():
    tok = load_tokenizer()
    a = PackedStream(MIX, "pretrain", 1, tok, seq_len=64)
    for _ in range(3):
        a.next_block()
    b = PackedStream(MIX, "pretrain", 1, tok, seq_len=64)
    b.load_state_dict(a.state_dict())
    assert [a.next_block() for _ in range(5)] == [b.next_block() for _ in range(5)]


def test_schedule_warmup_cosine_floor():
    c = LMTrainConfig(mixture=MIX, total_tokens=100 * 64, seq_len=64, batch_size=1, lr=2e-4, min_lr=3e-5,
                      warmup_frac=0.05)
    assert lr_factor(0, c) == pytest.approx(1 / 5) and lr_factor(4, c) == pytest.approx(1.0)
    assert lr_factor(99, c) * c.lr == pytest.approx(3e-5, rel=1e-3)
    assert all(lr_factor(s, c) >= lr_factor(s + 1, c) for s in range(5, 99))


@pytest.mark.parametrize("bad, match", [
    (dict(loss_on="question"), "loss_on"), (dict(dtype="fp16"), "dtype"), (dict(preset="big"), "allowed"),
    (dict(total_tokens=10), "one step"), (dict(seq_len=4096), "seq_len"), (dict(min_lr=1e-3), "min_lr"),
    (dict(batch_size=4, micro_batch_size=3), "multiple"), (dict(split="test"), "split"),
])
def test_config_validation(bad, match):
    with pytest.raises(ValueError, match=match):
        tiny(**bad)


def test_midtrain_defaults_are_the_papers():
    c = midtrain_config(MIX, 10_000)
    assert (c.lr, c.warmup_frac, c.min_lr, c.split) == (1e-4, 0.15, 3e-5, "midtrain")


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_exact_resume(tmp_path, dtype):
    cfg = tiny(dtype=dtype, micro_batch_size=1)
    straight = train_lm(cfg, tmp_path / "a", progress=False)
    stopped = train_lm(cfg, tmp_path / "b", stop_at_step=3, progress=False)
    assert stopped.name == "step_0000003" and not (tmp_path / "b" / "final").exists()
    resumed = train_lm(cfg, tmp_path / "b", progress=False)
    ma, _ = load_checkpoint(straight)
    mb, _ = load_checkpoint(resumed)
    assert all(torch.equal(x, y) for x, y in zip(ma.state_dict().values(), mb.state_dict().values()))
    la = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    lb = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lb] == list(range(1, 7)) and [r["loss"] for r in la] == [r["loss"] for r in lb]
    manifest = json.loads((straight / "manifest.json").read_text())
    assert manifest["steps"] == 6 and manifest["dtype"] == dtype and manifest["kind"] == "lm"


def test_a_resumed_run_counts_the_wall_time_of_its_earlier_sessions(tmp_path):
    """Provenance gives the wall time of the work itself: a run stopped and resumed counts both sessions."""
    cfg = tiny()
    stopped = train_lm(cfg, tmp_path, stop_at_step=3, progress=False)
    state = torch.load(stopped / "state.pt", weights_only=False)
    assert 0 < state["wall_seconds"] < 600
    state["wall_seconds"] = 5000.0  # as if the first session had taken that long
    torch.save(state, stopped / "state.pt")
    manifest = json.loads((train_lm(cfg, tmp_path, progress=False) / "manifest.json").read_text())
    assert 5000 < manifest["wall_time_s"] < 5600


def test_a_run_resumed_on_another_kind_of_cpu_keeps_its_dtype(tmp_path, monkeypatch):
    """dtype "auto" is the faster arithmetic of the machine at hand; a run that starts in fp32 on one machine and goes
    on another with native bf16 (runs longer than a session do) stays one run in fp32, and its manifest says so."""
    cfg = tiny()
    monkeypatch.setattr(lr_module, "resolve_dtype", lambda config, device: "fp32")
    stopped = train_lm(cfg, tmp_path, stop_at_step=3, progress=False)
    assert torch.load(stopped / "state.pt", weights_only=False)["dtype"] == "fp32"
    monkeypatch.setattr(lr_module, "resolve_dtype", lambda config, device: "bf16")  # the next machine's choice
    manifest = json.loads((train_lm(cfg, tmp_path, progress=False) / "manifest.json").read_text())
    assert manifest["dtype"] == "fp32" and manifest["steps"] == 6


def test_weights_that_turn_nan_are_never_saved_as_finished(tmp_path, monkeypatch):
    """The known bug's shape (lab notes, 2026-12-06): every logged loss finite, the last update leaves NaN weights.
    The run refuses to write final/ (nothing downstream can take it as a finished artifact), and a checkpoint
    with NaN weights is refused the same way."""
    cfg = tiny(total_tokens=3 * 2 * 64)
    real = lr_module.lr_factor
    monkeypatch.setattr(lr_module, "lr_factor", lambda s, c: float("nan") if s == 2 else real(s, c))  # the 3rd update
    with pytest.raises(FloatingPointError, match="final weights at step 3: .* not finite"):
        train_lm(cfg, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "final").exists()
    losses = [json.loads(x)["loss"] for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)
    with pytest.raises(FloatingPointError, match="checkpoint at step 3"):
        train_lm(tiny(total_tokens=5 * 2 * 64), tmp_path / "stopped", stop_at_step=3, progress=False)
    assert not (tmp_path / "stopped" / "checkpoints").exists()


def test_finished_run_returns_at_once_and_other_config_refused(tmp_path):
    cfg = tiny(total_tokens=2 * 2 * 64)
    final = train_lm(cfg, tmp_path, progress=False)
    assert train_lm(cfg, tmp_path, progress=False) == final
    train_lm(tiny(total_tokens=4 * 2 * 64), tmp_path / "x", stop_at_step=1, progress=False)
    with pytest.raises(ValueError, match="another config"):
        train_lm(tiny(total_tokens=4 * 2 * 64, seed=1), tmp_path / "x", progress=False)


def test_loss_decreases_and_midtraining_from_parent(tmp_path):
    cfg = tiny(total_tokens=20 * 4 * 64, batch_size=4, lr=3e-3, min_lr=3e-4, loss_on="solution")
    final = train_lm(cfg, tmp_path / "pre", progress=False)
    log = [json.loads(x) for x in (tmp_path / "pre" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < log[0]["loss"] - 1.0
    mid = midtrain_config(Mixture.band(5, 6), 2 * 4 * 64, preset="smoke", seq_len=64, batch_size=4)
    mfinal = train_lm(mid, tmp_path / "mid", parent_dir=final, progress=False)
    manifest = json.loads((mfinal / "manifest.json").read_text())
    pre_manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["parents"] == [pre_manifest["config_hash"]] and manifest["stage"] == "midtrain"
    # Mid-training starts from the parent's weights: a run stopped before its first step holds them.
    stopped = train_lm(mid, tmp_path / "mid0", parent_dir=final, stop_at_step=0, progress=False)
    parent_model, _ = load_checkpoint(final)
    state = torch.load(stopped / "state.pt", weights_only=False)["model"]
    assert all(torch.equal(v, state[k]) for k, v in parent_model.state_dict().items())
    mid_log = [json.loads(x) for x in (tmp_path / "mid" / "log.jsonl").read_text().splitlines()]
    assert mid_log[0]["loss"] < log[0]["loss"] - 1.0
    model, tok = load_checkpoint(mfinal)
    from reasonlab.generator import problem_at

    res = greedy_exact_match(model, tok, [problem_at(MIX, "eval", i) for i in range(3)], batch_size=2)
    assert len(res) == 3 and all(isinstance(r, bool) for r in res)


def test_corrupt_newest_checkpoint_falls_back_and_logs_stay_clean(tmp_path):
    """A truncated newest state.pt (a kill or full disk mid-write) falls back to the previous checkpoint with a
    warning; a partial last log line is dropped; the resumed run is still bitwise the straight one."""
    cfg = tiny(ckpt_every=2)
    straight = train_lm(cfg, tmp_path / "a", progress=False)
    train_lm(cfg, tmp_path / "b", stop_at_step=4, progress=False)  # checkpoints at steps 2 and 4
    newest = tmp_path / "b" / "checkpoints" / "step_0000004" / "state.pt"
    newest.write_bytes(newest.read_bytes()[:100])
    with open(tmp_path / "b" / "log.jsonl", "a") as f:
        f.write('{"step": 5, "lo')  # a line cut by a kill
    with pytest.warns(UserWarning, match="step_0000004.*unreadable"):
        resumed = train_lm(cfg, tmp_path / "b", progress=False)
    la = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    lb = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lb] == list(range(1, 7)) and [r["loss"] for r in la] == [r["loss"] for r in lb]
    ma, _ = load_checkpoint(straight)
    mb, _ = load_checkpoint(resumed)
    assert all(torch.equal(x, y) for x, y in zip(ma.state_dict().values(), mb.state_dict().values()))


def test_run_killed_before_its_first_checkpoint_does_not_repeat_log_lines(tmp_path):
    cfg = tiny()
    (tmp_path / "log.jsonl").write_text('{"step": 1, "loss": 9.0}\n{"step": 2, "loss": 8.0}\n')  # no checkpoint
    train_lm(cfg, tmp_path, progress=False)
    steps = [json.loads(x)["step"] for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7))
