"""Training: next-token pre-/mid-training (`lm`) and GRPO post-training (`grpo`)."""

_LM = ["LMTrainConfig", "PackedStream", "greedy_exact_match", "midtrain_config", "train_lm"]
_GRPO = ["GRPORunConfig", "train_grpo"]
__all__ = _LM + _GRPO


def __getattr__(name):  # lazy, so `python -m reasonlab.train.lm` does not import lm twice (and trl loads on use)
    if name in _LM:
        from . import lm

        return getattr(lm, name)
    if name in _GRPO:
        from . import grpo

        return getattr(grpo, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
