"""A layered Markov chain of reasoning steps: why RL forgets rare reasoning paths.

The model follows Bu et al., "Distributional Biases in Post-Training: A Markovian Analysis of Reasoning
Trajectories" (arXiv 2511.07368), built on Kim et al. (arXiv 2502.01694). Read top to bottom:

1. The true chain (`build_chain`): layers 0..L-1 with M states each. Every (layer, state) row marks some next
   states "high" (easy steps) and the rest "low" (hard steps). A chain of thought is one state per layer.
2. Tasks: a (start, target) pair of layer-0 / layer-(L-1) states. A chain is valid if it starts and ends there,
   easy if all its edges are high. A valid chain's *accuracy* is its true probability over the total true
   probability of the task's valid chains. A question *instance* is a random set of correct chains: each valid
   chain is in it independently with its accuracy. Reward = 1 if the sampled chain is in the set.
3. Pre-training (`pretrain`): a tabular softmax policy, one row per (layer, state), fit by next-state
   cross-entropy to chains sampled from the true chain. It learns the low edges too ("discovers the tree").
4. Post-training (`post_train`) on task 1 only: REINFORCE, REINFORCE with rejection of easy instances,
   KL-regularised REINFORCE; plus the path-level KL optimum and test-time reranking (ORM best-of-N, PRM greedy).
5. Metrics (`evaluate`): exact pass@k over instances (all 2^V instance sets are enumerated), the unbiased
   estimator from samples (a check), easy / hard / invalid mass, path entropy, and task 2's pass@k (forgetting).

Modelling choices the specification left open (documented in the chapter too):
- The policy conditions only on the current (layer, state), never on the task: the two tasks share parameters,
  which is what lets training on task 1 move task 2.
- The first state of a chain is the task's start state (given, as the question is given).
- Post-training uses the *exact expected* REINFORCE gradient (every path is enumerated), so runs are
  deterministic; `sampled_reinforce` runs the Monte-Carlo version with the same step size as a check.
- The filter in "rejection of easy instances" is data selection: it is not differentiated (stop-gradient).
- Rerankers get the *true* expected reward (ORM) and value (PRM): the best case for them.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np

from reasonlab.provenance import make_manifest, stable_seed
from reasonlab.validation import check_bool, check_choice, check_float, check_instance, check_int

RESULT_NAME = "theory_markov"


# ----------------------------------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainConfig:
    """The true layered Markov chain and its two tasks."""

    n_layers: int = 4  # L: layers 0..L-1; a chain of thought is one state per layer
    n_states: int = 2  # M: states per layer
    n_high: int = 1  # C: "high" next states per row, weight 1/C each (rows on two easy paths get both)
    eps_w: float = 0.1  # weight of each "low" next state before normalising (0.1 -> ~0.91 / 0.09 for M=2, C=1)
    shared_edge: bool = True  # task 2's easy path 1,0,..,0,1 shares task 1's row (L-2, 0); False: 1,1,..,1

    def __post_init__(self):
        check_int("n_layers", self.n_layers)
        check_int("n_states", self.n_states)
        check_int("n_high", self.n_high)
        check_float("eps_w", self.eps_w, 0, 1, lo_open=True, hi_open=True,
                    allowed="a finite number in (0, 1): low edges rarer than high ones")
        check_bool("shared_edge", self.shared_edge)
        if not 3 <= self.n_layers <= 8:
            raise ValueError(f"n_layers must be in 3..8 (a start, a target and a middle), got {self.n_layers}")
        if not 2 <= self.n_states <= 4:
            raise ValueError(f"n_states must be in 2..4 (task 2 needs state 1), got {self.n_states}")
        if not 1 <= self.n_high < self.n_states:
            raise ValueError(f"n_high must be in 1..n_states-1 so that low edges exist, got {self.n_high}")
        if not 0.0 < self.eps_w < 1.0:
            raise ValueError(f"eps_w must be in (0, 1): low edges rarer than high ones, got {self.eps_w}")
        if self.n_states ** (self.n_layers - 2) > 12:
            raise ValueError(
                "n_states**(n_layers-2) valid chains per task must be <= 12 so the 2^V instance sets can be "
                f"enumerated exactly, got {self.n_states ** (self.n_layers - 2)}"
            )

    @property
    def easy_paths(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Task 1 = 0 -> 0 along all-0 states; task 2 = 1 -> 1, through the shared row or not."""
        L = self.n_layers
        task1 = (0,) * L
        task2 = (1,) + (0,) * (L - 2) + (1,) if self.shared_edge else (1,) * L
        return task1, task2


@dataclass(frozen=True)
class PretrainConfig:
    """Next-state cross-entropy on chains sampled from the true chain (start state uniform)."""

    n_chains: int = 20_000  # size of the pre-training corpus
    batch_size: int = 500  # chains per Adam step
    steps: int = 600  # Adam steps
    lr: float = 0.05  # Adam learning rate on the logits

    def __post_init__(self):
        for name in ("n_chains", "batch_size", "steps"):
            check_int(name, getattr(self, name), lo=1, allowed="a positive integer (not a bool)")
        check_float("lr", self.lr, lo=0, lo_open=True)


@dataclass(frozen=True)
class PostConfig:
    """Post-training on task 1 and test-time reranking."""

    steps: int = 200  # gradient-ascent steps for every RL method
    lr: float = 2.0  # step size on the logits (exact expected gradient, plain ascent)
    beta: float = 0.5  # KL coefficient: KL-regularised RL and the optimum base * exp(reward / beta)
    m: int = 5  # rejection of easy instances: skip an instance that one of m samples already solves
    orm_n: int = 16  # ORM reranking: best of N samples from the base
    n_checkpoints: int = 20  # training-curve points recorded

    def __post_init__(self):
        check_int("steps", self.steps, lo=0)
        check_float("lr", self.lr, lo=0, lo_open=True)
        check_float("beta", self.beta, lo=0, lo_open=True,
                    allowed="a finite number > 0 (beta -> 0 is plain RL, large beta stays at the base)")
        check_int("m (probe samples for rejection)", self.m, lo=1)
        check_int("orm_n (best-of-N)", self.orm_n, lo=1)
        check_int("n_checkpoints", self.n_checkpoints, lo=1)


@dataclass(frozen=True)
class EvalConfig:
    """Sizes of the sampled checks; the exact metrics do not depend on them."""

    k_max: int = 256  # pass@k for k = 1..k_max
    n_instances: int = 2000  # instances for the sampled (unbiased-estimator) check
    n_samples: int = 512  # samples per instance for the unbiased estimator (must be >= k_max)
    sampled_batch: int = 256  # instances per step of the Monte-Carlo REINFORCE check

    def __post_init__(self):
        check_int("k_max", self.k_max, lo=1)
        check_int("n_samples", self.n_samples)
        if self.n_samples < self.k_max:
            raise ValueError(f"n_samples must be >= k_max for the unbiased estimator, got {self.n_samples} < {self.k_max}")
        check_int("n_instances", self.n_instances, lo=1)
        check_int("sampled_batch", self.sampled_batch, lo=1)


@dataclass(frozen=True)
class SimConfig:
    """Everything one run of the chapter needs."""

    chain: ChainConfig = field(default_factory=ChainConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    post: PostConfig = field(default_factory=PostConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0  # every random draw derives from it via stable_seed(seed, label)
    scale: str = "laptop"  # smoke / laptop / gpu: only changes the sampled checks' sizes

    def __post_init__(self):
        check_instance("chain", self.chain, ChainConfig)
        check_instance("pretrain", self.pretrain, PretrainConfig)
        check_instance("post", self.post, PostConfig)
        check_instance("eval", self.eval, EvalConfig)
        check_int("seed", self.seed)
        check_choice("scale", self.scale, tuple(SCALE_EVAL))


# Scales change only the sampled checks (estimator samples, Monte-Carlo REINFORCE batch), never the exact model.
SCALE_EVAL = {
    "smoke": EvalConfig(n_instances=300, n_samples=256, sampled_batch=64),
    "laptop": EvalConfig(n_instances=2000, n_samples=512, sampled_batch=256),
    "gpu": EvalConfig(n_instances=8000, n_samples=1024, sampled_batch=1024),
}


def chapter_config(scale: str = "laptop", seed: int = 0, eps_w: float = 0.1, beta: float = 0.5, m: int = 5,
                   steps: int = 200, shared_edge: bool = True) -> SimConfig:
    """The chapter's config from its knobs."""
    if scale not in SCALE_EVAL:
        raise ValueError(f"scale must be one of {tuple(SCALE_EVAL)}, got {scale!r}")
    return SimConfig(
        chain=ChainConfig(eps_w=eps_w, shared_edge=shared_edge),
        post=PostConfig(beta=beta, m=m, steps=steps),
        eval=SCALE_EVAL[scale],
        seed=seed,
        scale=scale,
    )


# ----------------------------------------------------------------------------------------------------------
# The true chain, paths and tasks
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """The true transition tensor P[l, s, s'] = P(state s' at layer l+1 | state s at layer l)."""

    config: ChainConfig
    P: np.ndarray  # (L-1, M, M), rows sum to 1
    high: np.ndarray  # (L-1, M, M) bool: which edges are "high"


def build_chain(cfg: ChainConfig) -> Chain:
    """Mark each row's high next states and normalise: high weight 1/C, low weight eps_w.

    A row's high set is the union of the easy paths' next states through it (so the row both easy paths leave
    gets two high edges, 0.5 / 0.5 for M=2), padded up to C with s, s+1, ... (mod M) for rows no easy path uses.
    """
    L, M, C = cfg.n_layers, cfg.n_states, cfg.n_high
    high = np.zeros((L - 1, M, M), dtype=bool)
    for path in cfg.easy_paths:
        for layer in range(L - 1):
            high[layer, path[layer], path[layer + 1]] = True
    for layer in range(L - 1):
        for s in range(M):
            for j in range(M):
                if high[layer, s].sum() >= C:
                    break
                high[layer, s, (s + j) % M] = True
    weights = np.where(high, 1.0 / C, cfg.eps_w)
    return Chain(cfg, weights / weights.sum(axis=-1, keepdims=True), high)


def enumerate_paths(n_layers: int, n_states: int, start: int) -> np.ndarray:
    """All chains that start at `start`: an (M^(L-1), L) int array in lexicographic order."""
    tails = np.array(list(itertools.product(range(n_states), repeat=n_layers - 1)), dtype=np.int64)
    return np.concatenate([np.full((len(tails), 1), start, dtype=np.int64), tails], axis=1)


def path_probs(P: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """Probability of each path given its start state, under transition tensor P."""
    prob = np.ones(len(paths))
    for layer in range(P.shape[0]):
        prob = prob * P[layer, paths[:, layer], paths[:, layer + 1]]
    return prob


@dataclass(frozen=True)
class Task:
    """A (start, target) task with its paths, accuracies and the 2^V instance sets."""

    name: str
    start: int
    target: int
    easy_path: tuple[int, ...]
    paths: np.ndarray  # (n_paths, L): every chain from `start`
    valid: np.ndarray  # (n_paths,) bool: ends at `target`
    easy_index: int  # row of the easy path in `paths`
    accuracy: np.ndarray  # (n_paths,): inclusion probability in an instance (0 for invalid chains)
    sets: np.ndarray  # (2^V, n_paths) bool: every possible instance (set of correct chains)
    set_probs: np.ndarray  # (2^V,): probability of each instance
    hard_sets: np.ndarray  # (2^V,) bool: instances whose set lacks the easy chain


def make_task(chain: Chain, name: str, easy_path: tuple[int, ...]) -> Task:
    cfg = chain.config
    start, target = easy_path[0], easy_path[-1]
    paths = enumerate_paths(cfg.n_layers, cfg.n_states, start)
    valid = paths[:, -1] == target
    true_prob = path_probs(chain.P, paths)
    accuracy = np.where(valid, true_prob / true_prob[valid].sum(), 0.0)
    easy_index = int(np.flatnonzero((paths == np.array(easy_path)).all(axis=1))[0])
    # Every subset of the V valid chains: bit j of the subset index says whether valid chain j is correct.
    valid_idx = np.flatnonzero(valid)
    V = len(valid_idx)
    bits = ((np.arange(2**V)[:, None] >> np.arange(V)[None, :]) & 1).astype(bool)
    sets = np.zeros((2**V, len(paths)), dtype=bool)
    sets[:, valid_idx] = bits
    a = accuracy[valid_idx]
    set_probs = np.prod(np.where(bits, a, 1 - a), axis=1)
    return Task(name, start, target, tuple(easy_path), paths, valid, easy_index, accuracy, sets, set_probs,
                ~sets[:, easy_index])


def make_tasks(chain: Chain) -> tuple[Task, Task]:
    e1, e2 = chain.config.easy_paths
    return make_task(chain, "task 1", e1), make_task(chain, "task 2", e2)


# ----------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------
def exact_pass_at_k(q: np.ndarray, task: Task, ks: np.ndarray, hard_only: bool = False) -> np.ndarray:
    """E over instances S of 1 - (1 - q(S))^k, where q is the distribution over the task's paths."""
    p_set = task.sets.astype(float) @ q  # probability one sample solves instance S
    w = task.set_probs * (task.hard_sets if hard_only else 1.0)
    fail = np.power.outer(np.clip(1.0 - p_set, 0.0, 1.0), np.asarray(ks, dtype=float))
    return (w @ (1.0 - fail)) / w.sum()


def unbiased_pass_at_k(n: int, c: np.ndarray, k: int) -> np.ndarray:
    """Chen et al. (2021): 1 - C(n-c, k) / C(n, k) per instance with c correct of n samples.

    C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i); a suffix sum of logs evaluates it for every c at once.
    """
    c = np.asarray(c, dtype=np.int64)
    i = np.arange(1, n + 1)
    log_terms = np.where(i > k, np.log1p(-k / np.maximum(i, k + 1)), 0.0)
    suffix = np.concatenate([np.cumsum(log_terms[::-1])[::-1], [0.0]])  # suffix[j] = sum_{i>=j+1} log_terms
    return np.where(n - c >= k, 1.0 - np.exp(suffix[np.clip(n - c, 0, n)]), 1.0)


def sampled_pass_at_k(q: np.ndarray, task: Task, ks: np.ndarray, n_instances: int, n_samples: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw instances and n samples each; return the mean unbiased pass@k and its standard error."""
    in_set = rng.random((n_instances, len(task.paths))) < task.accuracy  # sample instances
    counts = rng.multinomial(n_samples, q / q.sum(), size=n_instances)  # n samples per instance, as counts
    correct = (counts * in_set).sum(axis=1)
    per_k = np.stack([unbiased_pass_at_k(n_samples, correct, int(k)) for k in ks])  # (n_k, n_instances)
    return per_k.mean(axis=1), per_k.std(axis=1, ddof=1) / np.sqrt(n_instances)


def path_metrics(q: np.ndarray, task: Task, ks: np.ndarray) -> dict:
    """Pass@k (all and hard instances), easy / hard / invalid mass and path entropy (bits)."""
    easy = q[task.easy_index]
    valid_mass = q[task.valid].sum()
    nz = q[q > 0]
    return {
        "pass_at_k": exact_pass_at_k(q, task, ks),
        "pass_at_k_hard": exact_pass_at_k(q, task, ks, hard_only=True),
        "easy_mass": float(easy),
        "hard_mass": float(valid_mass - easy),
        "invalid_mass": float(1.0 - valid_mass),
        "entropy_bits": max(0.0, float(-(nz * np.log2(nz)).sum())),
    }


# ----------------------------------------------------------------------------------------------------------
# The tabular softmax policy
# ----------------------------------------------------------------------------------------------------------
def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sample_chains(P: np.ndarray, starts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample chains from transition tensor P, one per start state: (n, L) int array."""
    n, L = len(starts), P.shape[0] + 1
    chains = np.empty((n, L), dtype=np.int64)
    chains[:, 0] = starts
    for layer in range(L - 1):
        cdf = np.cumsum(P[layer, chains[:, layer]], axis=1)
        chains[:, layer + 1] = (rng.random((n, 1)) > cdf).sum(axis=1).clip(max=P.shape[-1] - 1)
    return chains


def pretrain(chain: Chain, cfg: PretrainConfig, seed: int) -> np.ndarray:
    """Fit per-row softmax logits by next-state cross-entropy (Adam) on a corpus from the true chain."""
    rng = np.random.default_rng(stable_seed(seed, "pretrain"))
    L, M = chain.config.n_layers, chain.config.n_states
    corpus = sample_chains(chain.P, rng.integers(0, M, cfg.n_chains), rng)
    logits = np.zeros((L - 1, M, M))
    m1, m2 = np.zeros_like(logits), np.zeros_like(logits)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, cfg.steps + 1):
        batch = corpus[rng.integers(0, cfg.n_chains, cfg.batch_size)]
        probs = softmax(logits)
        grad = np.zeros_like(logits)
        for layer in range(L - 1):
            s, s_next = batch[:, layer], batch[:, layer + 1]
            np.add.at(grad[layer], s, probs[layer, s])  # d CE / d logits = softmax - onehot
            np.add.at(grad[layer], (s, s_next), -1.0)
        grad /= cfg.batch_size
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad**2
        logits -= cfg.lr * (m1 / (1 - b1**step)) / (np.sqrt(m2 / (1 - b2**step)) + eps)
    return logits


def policy_path_grad(logits: np.ndarray, paths: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """sum_c coef(c) * pi(c) * d log pi(c) / d logits, for paths c sharing a start state.

    For a per-row softmax, d log pi(c) / d logits[l, s_l] = onehot(s_{l+1}) - softmax(logits[l, s_l]).
    """
    probs = softmax(logits)
    weight = coef * path_probs(probs, paths)
    grad = np.zeros_like(logits)
    for layer in range(logits.shape[0]):
        s, s_next = paths[:, layer], paths[:, layer + 1]
        np.add.at(grad[layer], (s, s_next), weight)
        row_weight = np.bincount(s, weights=weight, minlength=logits.shape[1])
        grad[layer] -= row_weight[:, None] * probs[layer]
    return grad


# ----------------------------------------------------------------------------------------------------------
# Post-training (task 1) and test-time reranking
# ----------------------------------------------------------------------------------------------------------
METHODS = ("rlvr", "rejection", "kl")
METHOD_LABELS = {
    "base": "base (pre-trained)",
    "rlvr": "RLVR (REINFORCE)",
    "rejection": "RLVR + reject easy instances",
    "kl": "KL-regularised RLVR",
    "kl_opt": "KL optimum  base·exp(r/β)",
    "orm": "ORM best-of-N",
    "prm": "PRM greedy by value",
    "rlvr_sampled": "RLVR, Monte-Carlo",
}


def expected_reward_coef(method: str, q: np.ndarray, q_base: np.ndarray, task: Task, post: PostConfig) -> np.ndarray:
    """d objective / d pi(c) for each path c: the per-path weight of the exact REINFORCE gradient."""
    if method == "rlvr":  # objective E_S[pi(S)] = sum_c accuracy(c) pi(c)
        return task.accuracy
    if method == "rejection":  # keep S only if m probes all fail (prob (1 - pi(S))^m), filter not differentiated
        keep = (1.0 - task.sets.astype(float) @ q) ** post.m
        return (task.set_probs * keep) @ task.sets.astype(float)
    if method == "kl":  # objective sum_c pi(c) [accuracy(c) - beta log(pi(c) / base(c))]
        return task.accuracy - post.beta * (np.log(q + 1e-300) - np.log(q_base + 1e-300))
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def post_train(base_logits: np.ndarray, task: Task, method: str, post: PostConfig, tasks: tuple[Task, ...],
               ks: np.ndarray) -> tuple[np.ndarray, dict]:
    """Exact expected-gradient ascent on task 1; returns final logits and a training curve for every task."""
    logits = base_logits.copy()
    q_base = path_probs(softmax(base_logits), task.paths)
    record_at = set(np.unique(np.linspace(0, post.steps, post.n_checkpoints + 1).round().astype(int)).tolist())
    curve = {"step": []}
    for step in range(post.steps + 1):
        probs = softmax(logits)
        if step in record_at:
            curve["step"].append(step)
            for t in tasks:
                met = path_metrics(path_probs(probs, t.paths), t, ks)
                for key in ("easy_mass", "hard_mass", "invalid_mass", "entropy_bits"):
                    curve.setdefault(f"{t.name}/{key}", []).append(met[key])
                curve.setdefault(f"{t.name}/pass@1", []).append(float(met["pass_at_k"][0]))
                curve.setdefault(f"{t.name}/pass@{ks[-1]}", []).append(float(met["pass_at_k"][-1]))
        if step == post.steps:
            break
        q = path_probs(probs, task.paths)
        coef = expected_reward_coef(method, q, q_base, task, post)
        logits = logits + post.lr * policy_path_grad(logits, task.paths, coef)
    return logits, curve


def sampled_reinforce(base_logits: np.ndarray, task: Task, post: PostConfig, batch: int, seed: int,
                      method: str = "rlvr") -> np.ndarray:
    """Monte-Carlo REINFORCE (no baseline) with the same step size: draw instances, sample, reward, update.

    With rejection, m probe samples are drawn first and a solved instance contributes no update; dividing by
    the full batch keeps the expected update equal to the exact one.
    """
    rng = np.random.default_rng(stable_seed(seed, "sampled_reinforce", method))
    logits = base_logits.copy()
    starts = np.full(batch, task.start)
    for _ in range(post.steps):
        probs = softmax(logits)
        in_set = rng.random((batch, len(task.paths))) < task.accuracy  # one instance per row
        keep = np.ones(batch, dtype=bool)
        if method == "rejection":
            for _ in range(post.m):
                probe = path_index(sample_chains(probs, starts, rng), task.paths.shape[1], probs.shape[-1])
                keep &= ~in_set[np.arange(batch), probe]
        rollout = sample_chains(probs, starts, rng)
        reward = in_set[np.arange(batch), path_index(rollout, task.paths.shape[1], probs.shape[-1])] & keep
        grad = np.zeros_like(logits)
        for layer in range(logits.shape[0]):
            s, s_next = rollout[:, layer], rollout[:, layer + 1]
            np.add.at(grad[layer], (s, s_next), reward.astype(float))
            np.add.at(grad[layer], s, -reward[:, None].astype(float) * probs[layer, s])
        logits = logits + post.lr * grad / batch
    return logits


def path_index(chains: np.ndarray, n_layers: int, n_states: int) -> np.ndarray:
    """Row of each chain in `enumerate_paths` order (states after the start read as base-M digits)."""
    idx = np.zeros(len(chains), dtype=np.int64)
    for layer in range(1, n_layers):
        idx = idx * n_states + chains[:, layer]
    return idx


def kl_optimum(q_base: np.ndarray, task: Task, beta: float) -> np.ndarray:
    """Path-level optimum of E[reward] - beta KL(pi || base): base(c) exp(accuracy(c) / beta), normalised."""
    w = q_base * np.exp((task.accuracy - task.accuracy.max()) / beta)
    return w / w.sum()


def orm_best_of_n(q_base: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
    """Distribution of the chain best-of-N picks: P(max score level = v), split among ties by base mass."""
    out = np.zeros_like(q_base)
    levels = np.unique(score)
    for v in levels:
        at = score == v
        below = q_base[score < v].sum()
        p_level = (below + q_base[at].sum()) ** n - below**n
        if q_base[at].sum() > 0:
            out[at] = p_level * q_base[at] / q_base[at].sum()
    return out


def prm_greedy(q_base: np.ndarray, task: Task) -> np.ndarray:
    """Greedy decoding by the true value V(prefix) = E_base[accuracy | prefix]: a point mass on one chain."""
    paths, alive = task.paths, np.ones(len(task.paths), dtype=bool)
    for layer in range(1, paths.shape[1]):
        best_value, best_state = -1.0, None
        for s in np.unique(paths[alive, layer]):
            ext = alive & (paths[:, layer] == s)
            value = (q_base[ext] * task.accuracy[ext]).sum() / max(q_base[ext].sum(), 1e-300)
            if value > best_value:
                best_value, best_state = value, s
        alive &= paths[:, layer] == best_state
    return alive.astype(float)


# ----------------------------------------------------------------------------------------------------------
# One run and the chapter's result
# ----------------------------------------------------------------------------------------------------------
def _metrics_json(met: dict) -> dict:
    return {k: (np.round(v, 6).tolist() if isinstance(v, np.ndarray) else round(v, 6)) for k, v in met.items()}


def run_experiment(cfg: SimConfig, sampled_checks: bool = True) -> dict:
    """Pre-train, post-train on task 1 with every method, and evaluate both tasks. JSON-ready."""
    chain = build_chain(cfg.chain)
    task1, task2 = make_tasks(chain)
    ks = np.arange(1, cfg.eval.k_max + 1)
    base_logits = pretrain(chain, cfg.pretrain, cfg.seed)
    base_P = softmax(base_logits)
    q1_base, q2_base = path_probs(base_P, task1.paths), path_probs(base_P, task2.paths)

    policies, curves, out = {"base": base_logits}, {}, {}
    for method in METHODS:
        policies[method], curves[method] = post_train(base_logits, task1, method, cfg.post, (task1, task2), ks)

    for name, logits in policies.items():
        P = softmax(logits)
        out[name] = {
            "task1": _metrics_json(path_metrics(path_probs(P, task1.paths), task1, ks)),
            "task2": _metrics_json(path_metrics(path_probs(P, task2.paths), task2, ks)),
            "path_probs_task1": np.round(path_probs(P, task1.paths), 6).tolist(),
        }
    # Test-time methods change what is submitted for task 1 only; task 2 keeps the base policy.
    rerankers = {
        "kl_opt": kl_optimum(q1_base, task1, cfg.post.beta),
        "orm": orm_best_of_n(q1_base, task1.accuracy, cfg.post.orm_n),
        "prm": prm_greedy(q1_base, task1),
    }
    for name, q in rerankers.items():
        out[name] = {"task1": _metrics_json(path_metrics(q, task1, ks)), "task2": out["base"]["task2"],
                     "path_probs_task1": np.round(q, 6).tolist()}

    result = {
        "k": ks.tolist(),
        "methods": out,
        "curves": {m: {k: np.round(v, 6).tolist() for k, v in c.items()} for m, c in curves.items()},
        "table": {
            "paths_task1": [",".join(map(str, p)) for p in task1.paths],
            "paths_task2": [",".join(map(str, p)) for p in task2.paths],
            "true_P": np.round(chain.P, 6).tolist(),
            "base_P": np.round(base_P, 6).tolist(),
            "true_path_probs_task1": np.round(path_probs(chain.P, task1.paths), 6).tolist(),
            "true_path_probs_task2": np.round(path_probs(chain.P, task2.paths), 6).tolist(),
            "accuracy_task1": np.round(task1.accuracy, 6).tolist(),
            "accuracy_task2": np.round(task2.accuracy, 6).tolist(),
            "p_hard_task1": round(float(task1.set_probs[task1.hard_sets].sum()), 6),
            "p_hard_task2": round(float(task2.set_probs[task2.hard_sets].sum()), 6),
        },
    }
    if sampled_checks:  # the unbiased estimator against the exact curves, and Monte-Carlo vs exact REINFORCE
        rng = np.random.default_rng(stable_seed(cfg.seed, "estimator"))
        check_ks = np.array([k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= cfg.eval.k_max])
        est = {}
        for name in ("base", "rlvr"):
            q = path_probs(softmax(policies[name]), task1.paths)
            mean, se = sampled_pass_at_k(q, task1, check_ks, cfg.eval.n_instances, cfg.eval.n_samples, rng)
            est[name] = {"mean": np.round(mean, 6).tolist(), "se": np.round(se, 6).tolist(),
                         "exact": np.round(exact_pass_at_k(q, task1, check_ks), 6).tolist()}
        result["estimator"] = {"k": check_ks.tolist(), **est}
        mc = sampled_reinforce(base_logits, task1, cfg.post, cfg.eval.sampled_batch, cfg.seed)
        result["methods"]["rlvr_sampled"] = {
            "task1": _metrics_json(path_metrics(path_probs(softmax(mc), task1.paths), task1, ks)),
            "task2": _metrics_json(path_metrics(path_probs(softmax(mc), task2.paths), task2, ks)),
            "path_probs_task1": np.round(path_probs(softmax(mc), task1.paths), 6).tolist(),
        }
    return result


GRID_EPS = (0.05, 0.1, 0.2, 0.3)
GRID_BETA = (0.1, 0.3, 1.0)
GRID_M = (1, 2, 5, 10, 20)
GRID_K = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _summary(res: dict, ks=GRID_K) -> dict:
    """The small part of a run a small-multiples panel needs: pass@k at a few k, per method and task."""
    idx = [k - 1 for k in ks if k <= len(res["k"])]
    return {name: {t: [m[t]["pass_at_k"][i] for i in idx] for t in ("task1", "task2")} | {
        "task1_hard": [m["task1"]["pass_at_k_hard"][i] for i in idx],
        "easy_mass": m["task1"]["easy_mass"], "hard_mass": m["task1"]["hard_mass"]}
        for name, m in res["methods"].items()}


def run_chapter(cfg: SimConfig) -> dict:
    """The main run, the no-shared-edge control, and the grids over (eps_w, beta) and m."""
    t0 = time.perf_counter()
    main = run_experiment(cfg)
    control = run_experiment(replace(cfg, chain=replace(cfg.chain, shared_edge=not cfg.chain.shared_edge)),
                             sampled_checks=False)
    grid = []
    for eps_w in GRID_EPS:
        for beta in GRID_BETA:
            c = replace(cfg, chain=replace(cfg.chain, eps_w=eps_w), post=replace(cfg.post, beta=beta))
            grid.append({"eps_w": eps_w, "beta": beta, **_summary(run_experiment(c, sampled_checks=False))})
    m_sweep = []
    for m in GRID_M:
        c = replace(cfg, post=replace(cfg.post, m=m))
        m_sweep.append({"m": m, **_summary(run_experiment(c, sampled_checks=False))})
    data = {"main": main, "control": {"shared_edge": not cfg.chain.shared_edge, **_summary(control)},
            "grid": {"k": list(GRID_K), "eps_w": list(GRID_EPS), "beta": list(GRID_BETA), "cells": grid},
            "m_sweep": m_sweep}
    manifest = make_manifest(kind="sim", config=cfg, wall_time_s=time.perf_counter() - t0,
                             recipe=RESULT_NAME, scale=cfg.scale)
    return {"manifest": manifest, "data": data}
