"""Mixtures over op ranges and templates, and disjoint pre-/mid-/RL/eval splits.

Split membership is decided by the problem's canonical text hash: a text belongs to exactly one
split, so splits are disjoint by construction even where the same text could be sampled twice
(small op values have few distinct problems). Problem `i` of split `s` is a pure function of
(mixture, seed, s, i): its op and template are drawn from (seed, s, i), then candidate problems
are drawn from (seed, s, i, attempt) until one's text hash falls in split `s`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..provenance import IDENTITY_IF_SET, stable_seed
from ..validation import check_choice, check_float, check_instance, check_int, check_tuple
from .bands import check_band
from .problem import DEFAULT_CONFIG, GeneratorConfig, Problem, generate_problem
from .templates import get_template

# Unseen-shape test: a fixed share of the graph shapes (by graph-hash bucket) at ops that have many shapes
# (op 6 has ~49 distinct shapes, op 7 ~150, op 10 ~1,400; below op 6 there are 1-15) is "held out": a mixture
# with shapes="seen" never draws them (training), one with shapes="held-out" draws only them (evaluation).
# A model that learned the step procedure solves held-out shapes about as well as seen ones; a memoriser not.
HELD_OUT_SHARE = 0.2
HELD_OUT_MIN_OP = 6
SHAPES = ("all", "seen", "held-out")


def shape_held_out(problem: Problem) -> bool:
    """Whether the problem's graph shape is one of the held-out shapes (decided by its graph hash alone)."""
    return problem.op >= HELD_OUT_MIN_OP and int(problem.graph_hash[:8], 16) / 16**8 < HELD_OUT_SHARE


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
        check_band("component ops", (self.op_lo, self.op_hi))
        check_float("component weight", self.weight, lo=0, lo_open=True, allowed="a finite number > 0")
        check_float("op_tilt", self.op_tilt, 0, 4)

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
    # which graph shapes it draws: "all", "seen" (never a held-out shape: training), "held-out" (only those:
    # the unseen-shape evaluation); part of the artifact key only when not "all"
    shapes: str = field(default="all", metadata=IDENTITY_IF_SET)

    def __post_init__(self):
        if not self.components:
            raise ValueError("a mixture needs at least one component")
        if isinstance(self.components, list):  # hashes the same as a tuple (config_hash); a tuple keeps it hashable
            object.__setattr__(self, "components", tuple(self.components))
        check_tuple("components", self.components, lambda k, c: check_instance(k, c, Component))
        check_instance("config", self.config, GeneratorConfig)
        check_choice("shapes", self.shapes, SHAPES)
        # Weights are normalised by their sum: it must be finite (two weights of 1e308 sum to inf, and every share
        # would be 0), and no share may round to 0 against the others (a part that names the mixture, never drawn).
        total = sum(c.weight for c in self.components)
        if not (math.isfinite(total) and all(c.weight / total > 0 for c in self.components)):
            raise ValueError(f"component weights must have a finite sum and each a share > 0 of it (they are "
                             f"normalised), got {[c.weight for c in self.components]}")
        if self.shapes == "held-out" and min(c.op_lo for c in self.components) < HELD_OUT_MIN_OP:
            raise ValueError(f"shapes='held-out' needs every op >= {HELD_OUT_MIN_OP} (no shape is held out below), "
                             f"got ops {self.op_range}")

    @classmethod
    def band(cls, op_lo: int, op_hi: int, template: str = "animals-zoo", config: GeneratorConfig = DEFAULT_CONFIG,
             op_tilt: float = 0.0) -> "Mixture":
        """Uniform over op_lo..op_hi in one template."""
        return cls((Component(template, op_lo, op_hi, 1.0, op_tilt),), config)

    @classmethod
    def of(cls, parts: list[tuple[str, int, int, float]], config: GeneratorConfig = DEFAULT_CONFIG,
           shapes: str = "all") -> "Mixture":
        """From (template, op_lo, op_hi, weight) tuples; weights are normalised."""
        return cls(tuple(Component(t, lo, hi, w) for t, lo, hi, w in parts), config, shapes)

    @property
    def weights(self) -> list[float]:
        total = sum(c.weight for c in self.components)
        return [c.weight / total for c in self.components]

    @property
    def name(self) -> str:
        if len(self.components) == 1:
            name = self.components[0].label
        else:
            name = "+".join(f"{c.label}:{w:.4g}" for c, w in zip(self.components, self.weights))
        return name + ("" if self.shapes == "all" else f"[{self.shapes}]")

    def accepts(self, problem: Problem) -> bool:
        """Whether a drawn problem's graph shape belongs to this mixture (see `shapes`)."""
        if self.shapes == "all":
            return True
        return shape_held_out(problem) == (self.shapes == "held-out")

    @property
    def op_range(self) -> tuple[int, int]:
        return min(c.op_lo for c in self.components), max(c.op_hi for c in self.components)

    def draw(self, rng: random.Random) -> tuple[int, str]:
        """(op, template) for one problem."""
        comp = self.components[0] if len(self.components) == 1 else rng.choices(self.components, self.weights)[0]
        ops = range(comp.op_lo, comp.op_hi + 1)
        op = rng.choice(ops) if not comp.op_tilt else rng.choices(ops, [o**comp.op_tilt for o in ops])[0]
        return op, comp.template


def problem_at(mixture: Mixture, split: str, index: int, seed: int = 0, max_attempts: int | None = None) -> Problem:
    """Problem `index` of `split`: a pure function of (mixture, seed, split, index)."""
    if not (isinstance(split, str) and split in SPLIT_SHARES):
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    if max_attempts is None:  # held-out shapes are ~20% of shapes, fewer of the draws: allow more attempts
        max_attempts = 5000 if mixture.shapes == "held-out" else 500
    op, template = mixture.draw(random.Random(stable_seed(seed, split, index)))
    for attempt in range(max_attempts):
        s = stable_seed(seed, split, index, attempt)
        p = generate_problem(op, template, s, mixture.config)
        if split_of(p.text_hash) == split and mixture.accepts(p):
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
    check_instance("mixture", mixture, Mixture)
    check_int("n", n, lo=0)  # 2.5 is refused, not rounded
    check_int("seed", seed)
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
