"""Evaluation metrics: unbiased pass@k and bootstrap confidence intervals over problems.

pass@k (Chen et al. 2021; paper.md section 3): with n samples of which c are correct,
    pass@k = 1 - C(n - c, k) / C(n, k)
computed as a product, 1 - prod_{i = n-c+1}^{n} (1 - k / i), which stays exact in floating point
for n up to thousands (the binomials themselves overflow doubles past n ~ 1030).
"""

from __future__ import annotations

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k samples is correct) from c correct out of n."""
    for label, v in (("n", n), ("c", c), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{label} must be an integer, got {v!r}")
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_matrix(n: int, correct_counts, ks) -> np.ndarray:
    """pass@k for each problem (rows) and each k (columns)."""
    counts = np.asarray(correct_counts, dtype=int)
    return np.array([[pass_at_k(n, int(c), int(k)) for k in ks] for c in counts]).reshape(len(counts), len(ks))


def powers_of_two_up_to(n: int) -> list[int]:
    """k = 1, 2, 4, ... <= n (the paper's pass@1 ... pass@128 grid)."""
    return [2**i for i in range(int(np.log2(n)) + 1)] if n >= 1 else []


def bootstrap_ci(per_problem, n_boot: int = 2000, level: float = 0.95, seed: int = 0):
    """Mean over problems with a percentile bootstrap interval (resampling problems).

    `per_problem` is 1-D (one value per problem) or 2-D (problems x metrics, e.g. one column per k);
    returns (mean, lo, hi) with the shape of one row.
    """
    x = np.asarray(per_problem, dtype=float)
    if x.shape[0] == 0:
        raise ValueError("bootstrap_ci needs at least one problem")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    means = x[idx].mean(axis=1)
    tail = (1 - level) / 2
    return x.mean(axis=0), np.quantile(means, tail, axis=0), np.quantile(means, 1 - tail, axis=0)
