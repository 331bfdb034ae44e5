"""Compute accounting that puts mid-training and RL on one axis (paper.md section 6).

The paper compares mid-training and GRPO at equal compute by converting RL work into
"token-equivalents": the number of next-token training tokens that would cost the same FLOPs.

    training:  C = 6 P T                                  (forward 2P + backward 4P per token)
    GRPO:      C_RL = (8 + 2 gamma) P N r L               (rollout 2P, reference 2P*gamma, policy 2P + 4P)
    token-eq.: T_RL = C_RL / 6P = (4/3 + gamma/3) N r L   (= 5/3 N r L with a reference model)

P = non-embedding parameters, N = prompts, r = rollouts per prompt, L = prompt + response length
(L_total), gamma = 1 when a frozen reference model is run for the KL term, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass

# paper.md section 4: GRPO with r = 6 rollouts, L_total = 1024 prompt + 1024 response, 1024 prompts a
# step; mid-training batch 512K tokens.
PAPER_ROLLOUTS = 6
PAPER_SEQ_LEN = 2048
PAPER_BATCH_PROMPTS = 1024
PAPER_MID_BATCH_TOKENS = 512 * 1024


def _gamma(with_reference: bool) -> int:
    return 1 if with_reference else 0


def _check_nonneg(**values: float) -> None:
    for name, v in values.items():
        if v < 0:
            raise ValueError(f"{name} must be >= 0, got {v}")


def training_flops(non_embedding_params: float, tokens: float) -> float:
    """FLOPs of next-token training on `tokens` tokens: C = 6 P T (paper.md section 6)."""
    _check_nonneg(non_embedding_params=non_embedding_params, tokens=tokens)
    return 6.0 * non_embedding_params * tokens


def rl_flops(params: float, n_prompts: float, rollouts: int, seq_len: int, with_reference: bool = True) -> float:
    """FLOPs of a GRPO run over `n_prompts` prompts: C_RL = (8 + 2 gamma) P N r L (paper.md section 6).

    Per token: rollout generation 2P, reference forward 2P (only with a reference model),
    policy forward 2P and backward 4P.
    """
    _check_nonneg(params=params, n_prompts=n_prompts, rollouts=rollouts, seq_len=seq_len)
    return (8 + 2 * _gamma(with_reference)) * params * n_prompts * rollouts * seq_len


def rl_token_equivalent(n_prompts: float, rollouts: int, seq_len: int, with_reference: bool = True) -> float:
    """Training tokens costing the same as a GRPO run: T_RL = (4/3 + gamma/3) N r L (paper.md section 6).

    Equals rl_flops(P, ...) / (6 P) for any P; 5/3 N r L with a reference model, 4/3 N r L without.
    """
    _check_nonneg(n_prompts=n_prompts, rollouts=rollouts, seq_len=seq_len)
    return (8 + 2 * _gamma(with_reference)) / 6 * n_prompts * rollouts * seq_len


@dataclass(frozen=True)
class BudgetSplit:
    """A total token budget split between mid-training and RL (paper.md section 6)."""

    total_tokens: float  # T: the budget in token-equivalents
    beta: float  # RL share of the budget
    t_mid: float  # (1 - beta) T: mid-training tokens
    t_rl: float  # beta T: RL token-equivalents
    n_prompts: float  # N: RL prompts that cost t_rl
    rl_steps: float  # N / batch_prompts (GRPO steps)
    mid_steps: float  # t_mid / mid_batch_tokens (optimizer steps)

    @property
    def rl_steps_int(self) -> int:
        """RL steps rounded to a whole number (what a runner executes)."""
        return round(self.rl_steps)

    @property
    def mid_steps_int(self) -> int:
        """Mid-training steps rounded to a whole number."""
        return round(self.mid_steps)


def split_budget(total_tokens: float, beta: float, rollouts: int = PAPER_ROLLOUTS, seq_len: int = PAPER_SEQ_LEN,
                 batch_prompts: int = PAPER_BATCH_PROMPTS, mid_batch_tokens: int = PAPER_MID_BATCH_TOKENS,
                 with_reference: bool = True) -> BudgetSplit:
    """Split `total_tokens` with RL share `beta`: T_mid = (1 - beta) T, T_RL = beta T (paper.md section 6).

    N = T_RL / ((4/3 + gamma/3) r L), i.e. (3/5) beta T / (r L) with a reference model;
    RL steps = N / batch_prompts.

    Mid steps = T_mid / mid_batch_tokens. paper.md writes `T_mid / (512*1024*2048)`; we read the
    batch as 512K *tokens* (paper.md section 4: "batch 512K tokens" = 256 sequences of 2048), so the
    divisor is 512*1024. Dividing by a further 2048 would make one step 1.07T tokens, more than
    the whole 10B-token pre-training, and give S5's full-mid run (2.1B tokens) 0.002 steps.
    """
    if not 0 <= beta <= 1:
        raise ValueError(f"beta (the RL share of the budget) must be in [0, 1], got {beta}")
    _check_nonneg(total_tokens=total_tokens)
    for name, v in (("rollouts", rollouts), ("seq_len", seq_len), ("batch_prompts", batch_prompts),
                    ("mid_batch_tokens", mid_batch_tokens)):
        if v <= 0:
            raise ValueError(f"{name} must be > 0, got {v}")
    t_rl = beta * total_tokens
    t_mid = total_tokens - t_rl
    n_prompts = t_rl / rl_token_equivalent(1, rollouts, seq_len, with_reference)
    return BudgetSplit(
        total_tokens=total_tokens, beta=beta, t_mid=t_mid, t_rl=t_rl, n_prompts=n_prompts,
        rl_steps=n_prompts / batch_prompts, mid_steps=t_mid / mid_batch_tokens,
    )


def full_rl_budget(rl_steps: int, batch_prompts: int = PAPER_BATCH_PROMPTS, rollouts: int = PAPER_ROLLOUTS,
                   seq_len: int = PAPER_SEQ_LEN, with_reference: bool = True) -> float:
    """The token budget T of a full-RL run of `rl_steps` steps (beta = 1).

    Section 5 fixes its budget this way: full RL = 100 steps x 1024 prompts (paper.md section 5, S5),
    so T = 5/3 * 102400 * 6 * 2048 = 2.097B tokens; appendix A.10's 4.2B and 8.4B budgets are 2x and 4x it.
    """
    return rl_token_equivalent(rl_steps * batch_prompts, rollouts, seq_len, with_reference)
