"""Mixtures over op ranges and templates, and disjoint pre-/mid-/RL/eval splits.

Split membership is decided by the problem's canonical text hash: a text belongs to exactly one
split, so splits are disjoint by construction even where the same text could be sampled twice
(small op values have few distinct problems). Problem `i` of split `s` is a pure function of
(mixture, seed, s, i): its op and template are drawn from (seed, s, i), then candidate problems
are drawn from (seed, s, i, attempt) until one's text hash falls in split `s`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..provenance import stable_seed
from .problem import DEFAULT_CONFIG, MAX_OP, GeneratorConfig, Problem, generate_problem
from .templates import get_template

# Share of the text-hash space owned by each split. Pre-training gets most so its stream rejects
# few candidates; eval sets are small, so their higher rejection rate costs little.
SPLIT_SHARES: dict[str, float] = {"pretrain": 0.70, "midtrain": 0.10, "rl": 0.10, "eval": 0.10}
SPLITS = tuple(SPLIT_SHARES)


def split_of(text_hash: str) -> str:
    """The split a problem text belongs to."""
    u = int(text_hash[:12], 16) / 16**12
    acc = 0.0
    for name, share in SPLIT_SHARES.items():
        acc += share
        if u < acc:
            return name
    return SPLITS[-1]


@dataclass(frozen=True)
class Component:
    """One part of a mixture: a template and an op range, with its share of problems."""

    template: str  # template name or letter
    op_lo: int
    op_hi: int
    weight: float = 1.0
    op_tilt: float = 0.0  # 0 = uniform over ops; > 0 weights op**tilt (toward harder problems)

    def __post_init__(self):
        object.__setattr__(self, "template", get_template(self.template).name)  # validates, canonical
        if not (isinstance(self.op_lo, int) and isinstance(self.op_hi, int) and 2 <= self.op_lo <= self.op_hi <= MAX_OP):
            raise ValueError(f"op range must satisfy 2 <= lo <= hi <= {MAX_OP}, got {self.op_lo}-{self.op_hi}")
        if not self.weight > 0:
            raise ValueError(f"component weight must be > 0, got {self.weight}")
        if not 0 <= self.op_tilt <= 4:
            raise ValueError(f"op_tilt must be in [0, 4], got {self.op_tilt}")

    @property
    def label(self) -> str:
        letter = get_template(self.template).letter
        ops = f"{self.op_lo}" if self.op_lo == self.op_hi else f"{self.op_lo}-{self.op_hi}"
        return f"{letter}{ops}" + (f"^{self.op_tilt:g}" if self.op_tilt else "")


@dataclass(frozen=True)
class Mixture:
    """A distribution over (op, template); its name is derived from its values."""

    components: tuple[Component, ...]
    config: GeneratorConfig = field(default=DEFAULT_CONFIG)

    def __post_init__(self):
        if not self.components:
            raise ValueError("a mixture needs at least one component")

    @classmethod
    def band(cls, op_lo: int, op_hi: int, template: str = "animals-zoo", config: GeneratorConfig = DEFAULT_CONFIG,
             op_tilt: float = 0.0) -> "Mixture":
        """Uniform over op_lo..op_hi in one template."""
        return cls((Component(template, op_lo, op_hi, 1.0, op_tilt),), config)

    @classmethod
    def of(cls, parts: list[tuple[str, int, int, float]], config: GeneratorConfig = DEFAULT_CONFIG) -> "Mixture":
        """From (template, op_lo, op_hi, weight) tuples; weights are normalised."""
        return cls(tuple(Component(t, lo, hi, w) for t, lo, hi, w in parts), config)

    @property
    def weights(self) -> list[float]:
        total = sum(c.weight for c in self.components)
        return [c.weight / total for c in self.components]

    @property
    def name(self) -> str:
        if len(self.components) == 1:
            return self.components[0].label
        return "+".join(f"{c.label}:{w:.4g}" for c, w in zip(self.components, self.weights))

    @property
    def op_range(self) -> tuple[int, int]:
        return min(c.op_lo for c in self.components), max(c.op_hi for c in self.components)

    def draw(self, rng: random.Random) -> tuple[int, str]:
        """(op, template) for one problem."""
        comp = self.components[0] if len(self.components) == 1 else rng.choices(self.components, self.weights)[0]
        ops = range(comp.op_lo, comp.op_hi + 1)
        op = rng.choice(ops) if not comp.op_tilt else rng.choices(ops, [o**comp.op_tilt for o in ops])[0]
        return op, comp.template


def problem_at(mixture: Mixture, split: str, index: int, seed: int = 0, max_attempts: int = 500) -> Problem:
    """Problem `index` of `split`: a pure function of (mixture, seed, split, index)."""
    if split not in SPLIT_SHARES:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    op, template = mixture.draw(random.Random(stable_seed(seed, split, index)))
    for attempt in range(max_attempts):
        s = stable_seed(seed, split, index, attempt)
        p = generate_problem(op, template, s, mixture.config)
        if split_of(p.text_hash) == split:
            p.meta.update(split=split, index=index)
            return p
    raise RuntimeError(f"no {split} problem at op={op} after {max_attempts} attempts (too few distinct texts?)")


def iter_problems(mixture: Mixture, split: str, seed: int = 0, start: int = 0) -> Iterator[Problem]:
    """Endless stream for training (no within-stream dedup; splits stay disjoint)."""
    i = start
    while True:
        yield problem_at(mixture, split, i, seed)
        i += 1


def make_dataset(mixture: Mixture, split: str, n: int, seed: int = 0) -> list[Problem]:
    """`n` distinct problems (deduplicated by text hash), deterministic in (mixture, split, n, seed)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out, seen, i = [], set(), 0
    while len(out) < n:
        p = problem_at(mixture, split, i, seed)
        i += 1
        if p.text_hash not in seen:
            seen.add(p.text_hash)
            out.append(p)
        if i > 20 * n + 1000:
            raise RuntimeError(f"only {len(out)} distinct problems of {mixture.name} after {i} draws")
    return out


def eval_sets(op_values: list[int] | range, n_per_op: int, template: str = "animals-zoo", seed: int = 0,
              config: GeneratorConfig = DEFAULT_CONFIG) -> dict[int, list[Problem]]:
    """Held-out evaluation problems per op value (the eval split)."""
    return {op: make_dataset(Mixture.band(op, op, template, config), "eval", n_per_op, seed) for op in op_values}
