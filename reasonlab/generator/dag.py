"""Sample a dependency DAG with an exact operation count op(G) = |E|.

Counting follows the paper's generator (paper.md section 2): a constant assigned to a quantity is
one edge ("x = 3" is 1 op), "k = 3 * x" is 2 (the constant and x), "y = k + x" is 2, an n-ary sum
or an implicit total over n quantities is n.

Construction is forward: we keep the set of *sinks* (nodes nothing depends on yet) and add nodes
until one sink remains and the op budget is spent exactly. Every move is checked against an exact
feasibility table, so sampling never dead-ends and never retries a whole graph for its op count.
The last node is the query; every other node is an ancestor of it by construction.

Quantities are (entity, location) slots given as integer indices; a template maps them to words
later, which is why one graph renders in any template with identical structure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from ..validation import check_int

# Node kinds and their op cost (edges into the node, constants included).
CONST = "const"  # x = c                     cost 1
SCALE = "scale"  # x = c * p                 cost 2
ADD_CONST = "add_const"  # x = p + c         cost 2
SUB_CONST = "sub_const"  # x = p - c         cost 2
ADD = "add"  # x = p1 + p2                   cost 2
SUB = "sub"  # x = p1 - p2                   cost 2
SUM = "sum"  # x = p1 + ... + pn  (n >= 3)   cost n
TOTAL = "total"  # implicit: all entities at a location; cost n; never stated in the question
KINDS = (CONST, SCALE, ADD_CONST, SUB_CONST, ADD, SUB, SUM, TOTAL)


@dataclass(slots=True)
class Node:
    kind: str
    parents: tuple[int, ...]  # indices of parent nodes (earlier in the list)
    const: int | None  # the constant for const / scale / add_const / sub_const
    value: int
    entity: int  # entity index, or -1 for a location total
    location: int  # location slot index

    @property
    def cost(self) -> int:
        if self.kind == CONST:
            return 1
        if self.kind in (SUM, TOTAL):
            return len(self.parents)
        return 2


@dataclass(frozen=True)
class DagLimits:
    """Value rules of the paper's generator plus the vocabulary the slots are drawn from."""

    max_value: int = 1000  # reject any value above this (paper's generator)
    const_range: tuple[int, int] = (1, 4)  # small constants (paper's generator)
    n_entities: int = 20  # entity kinds available
    n_locations: int = 16  # locations available
    locations_per_problem: tuple[int, int] = (2, 4)  # how many locations one problem spans

    def __post_init__(self):
        check_int("max_value", self.max_value, lo=1)
        check_int("n_entities", self.n_entities, lo=1)
        check_int("n_locations", self.n_locations, lo=2)
        for name, lo_min in (("const_range", 1), ("locations_per_problem", 1)):
            pair = getattr(self, name)
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(_is_int(v) for v in pair)
                    and lo_min <= pair[0] <= pair[1]):
                raise ValueError(f"{name} must be a (lo, hi) tuple of integers with {lo_min} <= lo <= hi, got {pair!r}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@lru_cache(maxsize=None)
def feasible(sinks: int, budget: int) -> bool:
    """Can (sinks, budget) reach exactly one sink with zero budget using ordinary moves?

    Moves: a constant (+1 sink, 1 op); a unary op on a sink (same sinks, 2 ops); merging k >= 2
    sinks with a sum (k-1 fewer sinks, k ops). Totals are extra options checked on the spot.
    """
    if budget < 0 or sinks < 0:
        return False
    if budget == 0:
        return sinks == 1
    if sinks == 0:
        return feasible(1, budget - 1)
    if feasible(sinks + 1, budget - 1) or feasible(sinks, budget - 2):
        return True
    return any(feasible(sinks - k + 1, budget - k) for k in range(2, sinks + 1))


# Relative weights of the move families; chosen so graphs mix chains, merges and implicit totals.
MOVE_WEIGHTS = {"const": 0.22, "unary_sink": 0.30, "unary_any": 0.08, "merge": 0.25, "total": 0.15}


class _Builder:
    def __init__(self, op: int, rng: random.Random, limits: DagLimits):
        self.rng = rng
        self.limits = limits
        self.budget = op
        self.nodes: list[Node] = []
        self.sinks: list[int] = []
        n_loc = rng.randint(*limits.locations_per_problem)
        # Location slots 0..n_loc-1 map to distinct real locations later.
        self.n_slots = n_loc
        self.open_locations = list(range(n_loc))
        self.entities_at: dict[int, list[int]] = {loc: [] for loc in self.open_locations}
        self.used_pairs: set[tuple[int, int]] = set()

    # -- quantity slots -------------------------------------------------------------------
    def fresh_pair(self) -> tuple[int, int]:
        rng = self.rng
        for _ in range(64):
            pair = (rng.randrange(self.limits.n_entities), rng.choice(self.open_locations))
            if pair not in self.used_pairs:
                return pair
        # Dense corner: scan deterministically for any free pair.
        for loc in self.open_locations:
            for ent in range(self.limits.n_entities):
                if (ent, loc) not in self.used_pairs:
                    return ent, loc
        # Every open location is full (large op, small vocabulary): open one more location,
        # keeping one real location spare for distractors.
        if self.n_slots + 1 < self.limits.n_locations:
            self.open_locations.append(self.n_slots)
            self.entities_at[self.n_slots] = []
            self.n_slots += 1
            return self.rng.randrange(self.limits.n_entities), self.n_slots - 1
        raise RuntimeError("no free (entity, location) pair; raise n_entities or locations_per_problem")

    def add(self, kind: str, parents: tuple[int, ...], const: int | None, value: int) -> None:
        if kind == TOTAL:
            loc = self.nodes[parents[0]].location
            entity = -1
            self.open_locations.remove(loc)  # closed: a total must count every entity there
        else:
            entity, loc = self.fresh_pair()
            self.used_pairs.add((entity, loc))
            self.entities_at[loc].append(len(self.nodes))
        for p in parents:
            if p in self.sinks:
                self.sinks.remove(p)
        self.sinks.append(len(self.nodes))
        self.nodes.append(Node(kind, parents, const, value, entity, loc))
        self.budget -= self.nodes[-1].cost

    def valid(self, value: int, kind: str) -> bool:
        return 0 < value <= self.limits.max_value or (kind == TOTAL and value == 0)

    # -- moves ------------------------------------------------------------------------------
    def try_move(self, family: str) -> bool:
        rng, nodes, sinks, budget = self.rng, self.nodes, self.sinks, self.budget
        lo, hi = self.limits.const_range
        s = len(sinks)
        if family == "const":
            if not feasible(s + 1, budget - 1):
                return False
            self.add(CONST, (), c := rng.randint(lo, hi), c)
            return True
        if family in ("unary_sink", "unary_any"):
            if family == "unary_sink":
                if not sinks or not feasible(s, budget - 2):
                    return False
                p = rng.choice(sinks)
            else:
                inner = [i for i in range(len(nodes)) if i not in sinks]
                if not inner or not feasible(s + 1, budget - 2):
                    return False
                p = rng.choice(inner)
            pv = nodes[p].value
            kind = rng.choice((SCALE, ADD_CONST, SUB_CONST))
            c = rng.randint(max(lo, 2) if kind == SCALE else lo, hi)
            value = pv * c if kind == SCALE else pv + c if kind == ADD_CONST else pv - c
            if not self.valid(value, kind):
                return False
            self.add(kind, (p,), c, value)
            return True
        if family == "merge":
            if s < 2:
                return False
            # Mostly binary; an n-ary sum when the budget allows.
            k = 2 if s == 2 or rng.random() < 0.7 else rng.randint(3, min(s, 4))
            if not feasible(s - k + 1, budget - k):
                k = 2
                if not feasible(s - 1, budget - 2):
                    return False
            parents = tuple(rng.sample(sinks, k))
            if k == 2 and rng.random() < 0.4:
                a, b = sorted(parents, key=lambda i: -nodes[i].value)
                value = nodes[a].value - nodes[b].value
                if not self.valid(value, SUB):
                    return False
                self.add(SUB, (a, b), None, value)
            else:
                value = sum(nodes[i].value for i in parents)
                if not self.valid(value, ADD):
                    return False
                self.add(ADD if k == 2 else SUM, parents, None, value)
            return True
        if family == "total":
            return self.try_total(final=False)
        raise ValueError(family)

    def try_total(self, final: bool) -> bool:
        """An implicit total over every entity at one open location."""
        candidates = [loc for loc in self.open_locations if self.entities_at[loc]]
        if not candidates:
            return False
        loc = self.rng.choice(candidates)
        parents = tuple(self.entities_at[loc])
        k = len(parents)
        s_after = len(self.sinks) - sum(1 for p in parents if p in self.sinks) + 1
        if not feasible(s_after, self.budget - k):
            return False
        # Keep one location open for later quantities unless this total ends the problem.
        if len(self.open_locations) == 1 and not (s_after == 1 and self.budget == k) and not final:
            return False
        value = sum(self.nodes[p].value for p in parents)
        if not self.valid(value, TOTAL):
            return False
        self.add(TOTAL, parents, None, value)
        return True


def sample_dag(op: int, rng: random.Random, limits: DagLimits = DagLimits()) -> list[Node]:
    """Nodes in topological order; the last one is the query; sum of costs == op exactly."""
    if not isinstance(op, int) or op < 2:
        raise ValueError(f"op must be an integer >= 2, got {op!r}")
    families = list(MOVE_WEIGHTS)
    weights = list(MOVE_WEIGHTS.values())
    for _attempt in range(100):
        b = _Builder(op, rng, limits)
        # op == 2 is a single constant told through an implicit total ("x = 3; total = x").
        if op == 2:
            c = rng.randint(*limits.const_range)
            b.add(CONST, (), c, c)
            if b.try_total(final=True):
                return b.nodes
            continue
        stuck = 0
        while b.budget > 0 and stuck < 200:
            if b.try_move(rng.choices(families, weights)[0]):
                stuck = 0
            else:
                stuck += 1
        if b.budget == 0 and len(b.sinks) == 1:
            return b.nodes
    raise RuntimeError(f"could not sample a graph with op={op}; limits {limits}")


def op_count(nodes: list[Node]) -> int:
    return sum(n.cost for n in nodes)
