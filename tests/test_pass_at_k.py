"""Unbiased pass@k and bootstrap intervals."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from reasonlab.evaluate import bootstrap_ci, pass_at_k, pass_at_k_matrix, powers_of_two_up_to


@pytest.mark.parametrize("n", [1, 2, 5, 16, 64])
def test_matches_binomial_formula(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            exact = 1 - Fraction(comb(n - c, k), comb(n, k))
            assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


def test_stable_at_n_1024():
    n = 1024
    for c in (0, 1, 3, 100, 1023, 1024):
        for k in (1, 2, 128, 512, 1024):
            exact = 1 - Fraction(comb(n - c, k), comb(n, k))
            assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-9)


def test_pass_at_1_is_the_fraction_correct():
    assert pass_at_k(128, 32, 1) == pytest.approx(0.25)


def test_monotone_in_k():
    vals = [pass_at_k(128, 3, k) for k in powers_of_two_up_to(128)]
    assert vals == sorted(vals) and vals[-1] == 1.0


@pytest.mark.parametrize("args", [(4, 5, 1), (4, -1, 1), (4, 1, 0), (4, 1, 5), (4.0, 1, 1), (True, 1, 1)])
def test_bad_arguments(args):
    with pytest.raises(ValueError):
        pass_at_k(*args)


def test_matrix_and_powers():
    assert powers_of_two_up_to(128) == [1, 2, 4, 8, 16, 32, 64, 128]
    m = pass_at_k_matrix(4, [0, 2, 4], [1, 2])
    assert m.shape == (3, 2) and m[0, 0] == 0 and m[2, 1] == 1 and m[1, 0] == 0.5


def test_bootstrap_interval_contains_mean_and_shrinks():
    rng = np.random.default_rng(0)
    small = rng.random(20) < 0.5
    large = rng.random(2000) < 0.5
    m1, lo1, hi1 = bootstrap_ci(small)
    m2, lo2, hi2 = bootstrap_ci(large)
    assert lo1 <= m1 <= hi1 and lo2 <= m2 <= hi2
    assert hi2 - lo2 < hi1 - lo1
    mean, lo, hi = bootstrap_ci(np.stack([small, small], axis=1))
    assert mean.shape == (2,)
    with pytest.raises(ValueError):
        bootstrap_ci([])


# ------------------------------------------------------------------- RL controls: blind guess, hacking share


def test_the_blind_guess_draws_from_the_other_problems_answers():
    from reasonlab.evaluate import guess_pass_at_k

    # answers 3, 3, 3, 7: a 3-problem guesses 3 from the other three answers (3, 3, 7) with q = 2/3; the 7-problem
    # never (the others are all 3): its own answer does not count
    m = guess_pass_at_k([3, 3, 3, 7], [1, 2])
    assert m[:, 0] == pytest.approx([2 / 3, 2 / 3, 2 / 3, 0.0])
    assert m[:, 1] == pytest.approx([1 - (1 / 3) ** 2] * 3 + [0.0])
    assert guess_pass_at_k([1, 2, 3], [64]).max() == 0.0  # all answers distinct: nothing to guess from
    with pytest.raises(ValueError, match="at least two problems"):
        guess_pass_at_k([5], [1])


def test_the_hacking_share_is_right_answers_through_wrong_steps_pooled_over_samples():
    from reasonlab.evaluate import EvalSpec, ratio_ci, summarise

    assert ratio_ci([0, 0], [0, 0]) is None  # no right answer: no share
    share, lo, hi = ratio_ci([3, 0, 1], [4, 0, 4])
    assert share == pytest.approx(0.5) and 0 <= lo <= share <= hi <= 1
    spec = EvalSpec(bands=(("edge", 5, 6),), samples=4)
    records = [{"op": 5, "template": "animals-zoo", "n": 4, "verified": 1, "outcome": 4, "process_acc": 0.5},
               {"op": 6, "template": "animals-zoo", "n": 4, "verified": 0, "outcome": 0, "process_acc": 0.0}]
    t = summarise(records, spec, "m")
    row = t[(t.metric == "hacked_share") & (t.key == "edge")].iloc[0]
    assert row.value == pytest.approx(0.75)  # 3 of the band's 4 right answers did not verify
    assert t[(t.metric == "hacked_share") & (t.key == "6")].empty  # op 6 has no right answer


def test_rl_controls_table_puts_the_blind_guesser_beside_each_model():
    from types import SimpleNamespace

    from reasonlab.generator import LabelledBand
    from reasonlab.results import rl_controls

    recs = {"m": [{"op": 5, "n": 4, "verified": 1, "outcome": 2, "text_hash": "a"},
                  {"op": 6, "n": 4, "verified": 0, "outcome": 0, "text_hash": "b"}]}
    problems = {("all", 5): [SimpleNamespace(op=5, answer="3"), SimpleNamespace(op=5, answer="3")],
                ("all", 6): [SimpleNamespace(op=6, answer="4")]}
    t = rl_controls(recs, problems, (LabelledBand("edge", 5, 6),), k=4).set_index("model")
    assert t.loc["m", "verified pass@1"] == pytest.approx(0.125) and t.loc["m", "outcome pass@4"] == pytest.approx(0.5)
    assert t.loc["m", "hacked share"] == pytest.approx(0.5)  # 1 of the 2 right answers did not verify
    # answers 3, 3, 4: each 3-problem guesses 3 half the time (from the other two), the 4-problem never
    assert t.loc["blind guess", "outcome pass@1"] == pytest.approx(1 / 3)
