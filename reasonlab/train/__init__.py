"""Training: next-token pre-/mid-training (`lm`), GRPO post-training (`grpo`), GRPO on edge prompts (`edge_filter`)."""

_LM = ["LMTrainConfig", "PackedStream", "greedy_exact_match", "midtrain_config", "train_lm"]
_GRPO = ["GRPORunConfig", "train_grpo"]
_EDGE = ["EdgeFilter", "steps_at_equal_compute", "train_grpo_edge_filtered"]
__all__ = _LM + _GRPO + _EDGE


def __getattr__(name):  # lazy, so `python -m reasonlab.train.lm` does not import lm twice (and trl loads on use)
    if name in _LM:
        from . import lm

        return getattr(lm, name)
    if name in _GRPO:
        from . import grpo

        return getattr(grpo, name)
    if name in _EDGE:
        from . import edge_filter

        return getattr(edge_filter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
