"""Tests of the theory chapter's Markov-chain simulation (reasonlab.sim)."""

from dataclasses import replace
from math import comb

import numpy as np
import pytest

from reasonlab.sim import markov as mk

H, LO = 1 / 1.1, 0.1 / 1.1  # default rows: high 1/(1+eps_w), low eps_w/(1+eps_w) with M=2, C=1, eps_w=0.1


@pytest.fixture(scope="module")
def default_run():
    return mk.run_experiment(mk.chapter_config("smoke"))


def test_true_transition_table_default():
    P = mk.build_chain(mk.ChainConfig()).P
    expected = np.array([
        [[H, LO], [H, LO]],  # layer 0: both states' easy paths go to state 0
        [[H, LO], [LO, H]],  # layer 1: state 0 on both easy paths; state 1 padded with its own state
        [[0.5, 0.5], [LO, H]],  # layer 2: state 0 is left by both easy paths -> two high edges
    ])
    np.testing.assert_allclose(P, expected, atol=1e-12)


def test_path_probability_table_default():
    chain = mk.build_chain(mk.ChainConfig())
    t1, t2 = mk.make_tasks(chain)
    probs1 = dict(zip(map(tuple, t1.paths.tolist()), mk.path_probs(chain.P, t1.paths)))
    by_hand = {(0, 0, 0, 0): H * H * 0.5, (0, 0, 1, 0): H * LO * LO, (0, 1, 0, 0): LO * LO * 0.5,
               (0, 1, 1, 0): LO * H * LO, (0, 0, 0, 1): H * H * 0.5, (0, 1, 1, 1): LO * H * H}
    for path, p in by_hand.items():
        assert probs1[path] == pytest.approx(p, abs=1e-12)
    assert sum(probs1.values()) == pytest.approx(1.0)
    # accuracies: true probability over the task's valid mass
    valid1 = sum(by_hand[p] for p in [(0, 0, 0, 0), (0, 0, 1, 0), (0, 1, 0, 0), (0, 1, 1, 0)])
    assert t1.accuracy[t1.easy_index] == pytest.approx(H * H * 0.5 / valid1)
    assert t1.accuracy[~t1.valid].sum() == 0
    v2 = {(1, 0, 0, 1): H * H * 0.5, (1, 0, 1, 1): H * LO * H, (1, 1, 0, 1): LO * LO * 0.5, (1, 1, 1, 1): LO * H * H}
    assert t2.easy_path == (1, 0, 0, 1)
    assert t2.accuracy[t2.easy_index] == pytest.approx(v2[(1, 0, 0, 1)] / sum(v2.values()))
    # instance sets: 2^4 subsets whose probabilities sum to 1; hard = lacks the easy chain
    assert t1.sets.shape == (16, 8) and t1.set_probs.sum() == pytest.approx(1.0)
    assert t1.set_probs[t1.hard_sets].sum() == pytest.approx(1 - t1.accuracy[t1.easy_index])


def test_exact_pass_at_k_by_hand():
    t1, _ = mk.make_tasks(mk.build_chain(mk.ChainConfig()))
    q = np.zeros(len(t1.paths))
    q[t1.easy_index] = 1.0  # always the easy chain: pass@k = its accuracy for every k
    np.testing.assert_allclose(mk.exact_pass_at_k(q, t1, np.array([1, 7, 256])), t1.accuracy[t1.easy_index])
    np.testing.assert_allclose(mk.exact_pass_at_k(q, t1, np.array([1, 256]), hard_only=True), 0.0)
    # pass@1 = sum_c accuracy(c) q(c) for any q
    q = np.random.default_rng(0).dirichlet(np.ones(len(t1.paths)))
    assert mk.exact_pass_at_k(q, t1, np.array([1]))[0] == pytest.approx((t1.accuracy * q).sum())


def test_unbiased_estimator_formula():
    for n, k in [(10, 1), (10, 3), (20, 20), (256, 100)]:
        c = np.arange(n + 1)
        expected = [1 - comb(n - ci, k) / comb(n, k) for ci in c]
        np.testing.assert_allclose(mk.unbiased_pass_at_k(n, c, k), expected, atol=1e-9)


def test_estimator_agrees_with_exact(default_run):
    est = default_run["estimator"]
    for name in ("base", "rlvr"):
        gap = np.abs(np.array(est[name]["mean"]) - np.array(est[name]["exact"]))
        assert np.all(gap <= 4 * np.array(est[name]["se"]) + 1e-3), (name, gap, est[name]["se"])


def test_pretraining_learns_low_edges():
    chain = mk.build_chain(mk.ChainConfig())
    P = mk.softmax(mk.pretrain(chain, mk.PretrainConfig(), seed=0))
    np.testing.assert_allclose(P, chain.P, atol=0.02)
    assert P.min() > 0.05  # the rare edges are learned, not zeroed


def test_exact_gradient_matches_finite_differences():
    chain = mk.build_chain(mk.ChainConfig())
    t1, _ = mk.make_tasks(chain)
    logits = np.random.default_rng(1).normal(size=(3, 2, 2))
    objective = lambda lg: (t1.accuracy * mk.path_probs(mk.softmax(lg), t1.paths)).sum()  # noqa: E731
    grad = mk.policy_path_grad(logits, t1.paths, t1.accuracy)
    fd = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        d = np.zeros_like(logits)
        d[idx] = 1e-6
        fd[idx] = (objective(logits + d) - objective(logits - d)) / 2e-6
    np.testing.assert_allclose(grad, fd, atol=1e-7)


def test_deterministic_under_seed():
    cfg = mk.chapter_config("smoke")
    a, b = mk.run_experiment(cfg), mk.run_experiment(cfg)
    assert a == b
    c = mk.run_experiment(replace(cfg, seed=1))
    assert c["methods"]["base"]["path_probs_task1"] != a["methods"]["base"]["path_probs_task1"]


def test_rlvr_raises_pass1_lowers_pass256_and_forgets(default_run):
    m = default_run["methods"]
    base, rl = m["base"], m["rlvr"]
    assert rl["task1"]["pass_at_k"][0] > base["task1"]["pass_at_k"][0] + 0.3
    assert rl["task1"]["pass_at_k"][-1] < base["task1"]["pass_at_k"][-1]  # the curves cross (by ~0.002 here)
    assert rl["task1"]["pass_at_k_hard"][-1] < 0.2 * base["task1"]["pass_at_k_hard"][-1]
    assert rl["task2"]["pass_at_k"][-1] < base["task2"]["pass_at_k"][-1] - 0.3  # task 2 forgets
    # rejection and KL keep more of the rare paths than plain RLVR
    for name in ("rejection", "kl"):
        assert m[name]["task1"]["hard_mass"] > 5 * rl["task1"]["hard_mass"]
        assert m[name]["task1"]["pass_at_k"][-1] > rl["task1"]["pass_at_k"][-1]
    # rerankers concentrate on the common path
    for name in ("orm", "prm"):
        assert m[name]["task1"]["easy_mass"] > 0.99


@pytest.mark.parametrize("method", ["rlvr", "rejection"])
def test_sampled_reinforce_tracks_exact(method):
    """Monte-Carlo REINFORCE (sampled instances, probes and rollouts) ends near the exact-gradient run."""
    cfg = mk.chapter_config("smoke", steps=60)
    chain = mk.build_chain(cfg.chain)
    t1, _ = mk.make_tasks(chain)
    base = mk.pretrain(chain, cfg.pretrain, cfg.seed)
    exact, _ = mk.post_train(base, t1, method, cfg.post, (t1,), np.array([1]))
    mc = mk.sampled_reinforce(base, t1, cfg.post, batch=256, seed=0, method=method)
    q_exact, q_mc = (mk.path_probs(mk.softmax(x), t1.paths) for x in (exact, mc))
    np.testing.assert_allclose(q_mc, q_exact, atol=0.03)


def test_no_shared_edge_no_forgetting():
    res = mk.run_experiment(mk.chapter_config("smoke", shared_edge=False), sampled_checks=False)
    base, rl = res["methods"]["base"]["task2"], res["methods"]["rlvr"]["task2"]
    assert abs(rl["pass_at_k"][-1] - base["pass_at_k"][-1]) < 0.02


def test_kl_training_approaches_path_optimum(default_run):
    m = default_run["methods"]
    assert m["kl"]["task1"]["easy_mass"] == pytest.approx(m["kl_opt"]["task1"]["easy_mass"], abs=0.02)


def test_orm_best_of_n_distribution():
    q = np.array([0.5, 0.3, 0.2])
    score = np.array([0.0, 1.0, 0.5])
    out = mk.orm_best_of_n(q, score, n=2)
    np.testing.assert_allclose(out, [0.25, 1 - 0.7**2, 0.7**2 - 0.25])


@pytest.mark.parametrize("make, message", [
    (lambda: mk.ChainConfig(eps_w=0.0), "eps_w"),
    (lambda: mk.ChainConfig(eps_w=1.5), "eps_w"),
    (lambda: mk.ChainConfig(n_high=2), "n_high"),
    (lambda: mk.ChainConfig(n_layers=2), "n_layers"),
    (lambda: mk.ChainConfig(n_layers=8, n_states=3), "enumerated"),
    (lambda: mk.PostConfig(beta=0), "beta"),
    (lambda: mk.PostConfig(m=0), "m "),
    (lambda: mk.EvalConfig(n_samples=100, k_max=256), "n_samples"),
    (lambda: mk.SimConfig(scale="paper"), "scale"),
    (lambda: mk.chapter_config("huge"), "scale"),
])
def test_config_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()
