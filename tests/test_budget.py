"""Compute formulas of paper.md section 6, checked against hand arithmetic."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasonlab.budget import (
    full_rl_budget, rl_flops, rl_token_equivalent, split_budget, training_flops,
)

# The paper's full-RL run: 100 steps x 1024 prompts, r = 6, L = 2048 (paper.md sections 5-6).
# T_RL = 5/3 * 102400 * 6 * 2048 = 5 * 102400 * 2 * 2048 = 2,097,152,000 tokens.
T_FULL = 5 * 102_400 * 2 * 2048


def test_training_flops_is_6PT():
    assert training_flops(100e6, 10e9) == 6 * 100e6 * 10e9 == 6e18


def test_rl_flops_with_and_without_reference():
    # (8 + 2) P N r L with a reference model, 8 P N r L without.
    assert rl_flops(1e8, 1024, 6, 2048) == 10 * 1e8 * 1024 * 6 * 2048
    assert rl_flops(1e8, 1024, 6, 2048, with_reference=False) == 8 * 1e8 * 1024 * 6 * 2048


def test_rl_token_equivalent_hand_values():
    # 5/3 * 1024 * 6 * 2048 = 5 * 1024 * 2 * 2048; 4/3 * ... = 4 * 1024 * 2 * 2048
    assert rl_token_equivalent(1024, 6, 2048) == pytest.approx(20_971_520)
    assert rl_token_equivalent(1024, 6, 2048, with_reference=False) == pytest.approx(16_777_216)
    assert rl_token_equivalent(102_400, 6, 2048) == pytest.approx(T_FULL)


@given(p=st.floats(1e3, 1e10), n=st.integers(1, 10**6), r=st.integers(1, 64), L=st.integers(1, 8192),
       ref=st.booleans())
def test_token_equivalent_is_rl_flops_over_6P(p, n, r, L, ref):
    assert rl_token_equivalent(n, r, L, ref) == pytest.approx(rl_flops(p, n, r, L, ref) / (6 * p), rel=1e-12)


def test_split_full_rl_gives_100_steps():
    s = split_budget(T_FULL, beta=1.0)
    assert s.t_rl == T_FULL and s.t_mid == 0
    assert s.n_prompts == pytest.approx(102_400)  # (3/5) T / (r L) = 0.6 * T / 12288
    assert s.rl_steps == pytest.approx(100) and s.rl_steps_int == 100
    assert s.mid_steps == 0


def test_split_full_mid_steps_use_512K_token_batches():
    s = split_budget(T_FULL, beta=0.0)
    assert s.t_mid == T_FULL and s.rl_steps == 0 and s.n_prompts == 0
    assert s.mid_steps == pytest.approx(T_FULL / (512 * 1024)) == pytest.approx(4000)


def test_split_light_rl():
    s = split_budget(T_FULL, beta=0.2)
    assert s.t_mid == pytest.approx(0.8 * T_FULL) == pytest.approx(1_677_721_600)
    assert s.n_prompts == pytest.approx(0.6 * 0.2 * T_FULL / (6 * 2048)) == pytest.approx(20_480)
    assert s.rl_steps_int == 20
    assert s.mid_steps == pytest.approx(3200)


def test_split_without_reference_uses_4_thirds():
    s = split_budget(T_FULL, beta=1.0, with_reference=False)
    assert s.n_prompts == pytest.approx(T_FULL / (4 / 3 * 6 * 2048)) == pytest.approx(128_000)


def test_split_custom_scale_numbers():
    # laptop-like: r = 6, L = 512, 32 prompts a step, 16K-token batches; T = full RL of 40 steps.
    T = 5 / 3 * 40 * 32 * 6 * 512
    s = split_budget(T, 0.5, rollouts=6, seq_len=512, batch_prompts=32, mid_batch_tokens=16 * 1024)
    assert s.rl_steps == pytest.approx(20)
    assert s.mid_steps == pytest.approx(T / 2 / 16384) == pytest.approx(200)


@given(T=st.floats(1e3, 1e12), beta=st.floats(0, 1))
def test_split_conserves_budget(T, beta):
    s = split_budget(T, beta)
    assert s.t_mid + s.t_rl == pytest.approx(T)
    assert rl_token_equivalent(s.n_prompts, 6, 2048) == pytest.approx(s.t_rl, abs=1e-6 * T)


def test_full_rl_budget_matches_A10_budgets():
    assert full_rl_budget(100) == pytest.approx(T_FULL)
    assert full_rl_budget(200) / 1e9 == pytest.approx(4.19, abs=0.01)  # the paper's "4.2B" (paper.md A.10)
    assert full_rl_budget(400) / 1e9 == pytest.approx(8.39, abs=0.01)  # the paper's "8.4B"


@pytest.mark.parametrize("beta", [-0.1, 1.5])
def test_bad_beta_says_allowed_range(beta):
    with pytest.raises(ValueError, match=r"beta .* must be in \[0, 1\]"):
        split_budget(T_FULL, beta)


def test_negative_and_zero_inputs_rejected():
    with pytest.raises(ValueError, match="tokens must be >= 0"):
        training_flops(1e8, -1)
    with pytest.raises(ValueError, match="batch_prompts must be > 0"):
        split_budget(T_FULL, 0.5, batch_prompts=0)
