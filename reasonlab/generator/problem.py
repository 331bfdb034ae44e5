"""Render a sampled DAG into a (question, solution, answer) problem with its gold graph.

Solution steps follow the paper's format (paper.md section 2), e.g.
    Define adult parrot in Cedar Valley as k; I = x = 3; so k = 3 * I = 3 * 3 = 9.
The full training text of a problem is
    <question>...</question><solution>...</solution><answer>...</answer>
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import sys
from dataclasses import dataclass, field
from functools import cached_property

from ..validation import check_bool, check_choice, check_int
from . import dag as D
from .templates import Template, get_template

LETTERS = string.ascii_letters  # variables are single letters, as in the paper's format
MAX_OP = 40  # enough letters for any graph up to this size (tested)


@dataclass(frozen=True)
class GeneratorConfig:
    """How problems look. Defaults are the paper's zero-context forward setting."""

    max_distractors: int = 3  # 0..k unneeded sentences per problem
    shuffle_sentences: bool = True  # question sentences in random order (else topological)
    variable_names: str = "random"  # "random" letters (paper) or "ordered" (a, b, c ... by definition)
    copy_steps: bool = True  # temporary copies "I = x = 3;" before using an earlier quantity (paper)
    max_value: int = 1000  # reject graphs with a value above this (paper's generator)
    n_entities: int = 20  # entity kinds used per template (<= 20)
    n_locations: int = 16  # locations used per template (<= 16)
    locations_per_problem: tuple[int, int] = (2, 4)  # locations one problem spans

    def __post_init__(self):
        check_int("max_distractors", self.max_distractors, 0, 10)
        check_bool("shuffle_sentences", self.shuffle_sentences)
        check_choice("variable_names", self.variable_names, ("random", "ordered"),
                     allowed="'random' or 'ordered'")
        check_bool("copy_steps", self.copy_steps)
        check_int("max_value", self.max_value, 10, 10**6)
        check_int("n_entities", self.n_entities, 1, 20)
        check_int("n_locations", self.n_locations, 2, 16)
        lpp = self.locations_per_problem
        if isinstance(lpp, list):  # e.g. from JSON (train.lm --generator); a tuple hashes the same
            object.__setattr__(self, "locations_per_problem", lpp := tuple(lpp))
        top = min(self.n_locations, 8) - 1
        if not (isinstance(lpp, tuple) and len(lpp) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in lpp) and 1 <= lpp[0] <= lpp[1] <= top):
            raise ValueError(
                f"locations_per_problem must be a (lo, hi) tuple of integers with 1 <= lo <= hi <= "
                f"min(n_locations, 8) - 1 = {top} (one location is kept for distractors), got {lpp!r}"
            )

    @property
    def limits(self) -> D.DagLimits:
        return D.DagLimits(
            max_value=self.max_value,
            n_entities=self.n_entities,
            n_locations=self.n_locations,
            locations_per_problem=self.locations_per_problem,
        )


@dataclass(frozen=True, slots=True)
class GoldNode:
    name: str  # e.g. "adult parrot in Cedar Valley" or "total animals in Cedar Valley"
    var: str  # its letter in the gold solution
    kind: str  # one of dag.KINDS
    const: int | None
    value: int
    parents: tuple[str, ...]  # names of the quantities it is computed from
    implicit: bool  # True for totals: the relation is never stated in the question


@dataclass(frozen=True)
class Problem:
    question: str
    solution: str
    answer: str
    op: int
    template: str
    nodes: tuple[GoldNode, ...]  # gold graph in topological order; the last node is the query
    text_hash: str  # hash of the canonicalised question+solution+answer (dedup, split membership)
    graph_hash: str  # hash of the abstract structure (template- and name-free)
    seed: int
    meta: dict = field(default_factory=dict, compare=False)  # e.g. split, index

    @property
    def query(self) -> GoldNode:
        return self.nodes[-1]

    @property
    def prompt(self) -> str:
        """What a model is given at evaluation and RL time."""
        return f"<question>{self.question}</question><solution>"

    @property
    def completion(self) -> str:
        """The gold continuation of `prompt`."""
        return f"{self.solution}</solution><answer>{self.answer}</answer>"

    @property
    def text(self) -> str:
        """Full training document."""
        return self.prompt + self.completion

    @cached_property
    def graph(self):
        """The gold graph as a networkx.DiGraph (built on first use)."""
        import networkx as nx  # here: every process imports the generator, few build a graph (~0.3 s)

        g = nx.DiGraph(query=self.query.name, op=self.op, template=self.template)
        for n in self.nodes:
            g.add_node(n.name, var=n.var, kind=n.kind, const=n.const, value=n.value, implicit=n.implicit)
            for p in n.parents:
                g.add_edge(p, n.name, implicit=n.implicit)
        return g

    def to_dict(self) -> dict:
        return {
            "question": self.question, "solution": self.solution, "answer": self.answer,
            "op": self.op, "template": self.template, "text_hash": self.text_hash,
            "graph_hash": self.graph_hash, "seed": self.seed, "meta": self.meta,
            "nodes": [[n.name, n.var, n.kind, n.const, n.value, list(n.parents), n.implicit] for n in self.nodes],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Problem":
        """The inverse of to_dict(); a malformed record raises ValueError naming the field and what it allows."""
        if not isinstance(d, dict):
            raise ValueError(f"a problem record must be a JSON object (Problem.to_dict()), got {type(d).__name__}")
        missing = [k for k in _RECORD_FIELDS if k not in d]
        if missing:
            raise ValueError(f"a problem record needs the fields {', '.join(_RECORD_FIELDS)}; missing: "
                             f"{', '.join(missing)}")
        for k in ("question", "solution", "answer", "template", "text_hash", "graph_hash"):
            if not isinstance(d[k], str):
                raise ValueError(f"field {k!r} must be a string, got {d[k]!r:.80}")
        for k in ("op", "seed"):
            if isinstance(d[k], bool) or not isinstance(d[k], int):
                raise ValueError(f"field {k!r} must be an integer, got {d[k]!r:.80}")
        # the verifier reads the answer with int(), which refuses more digits than sys.get_int_max_str_digits()
        answer, limit = d["answer"], sys.get_int_max_str_digits() or None
        digits = answer.removeprefix("-")
        if not (re.fullmatch(r"[0-9]+", digits) and (limit is None or len(digits) <= limit)):
            at_most = f" (at most {limit:,} of them)" if limit else ""
            size = f" ({len(answer):,} characters)" if len(answer) > 40 else ""
            raise ValueError(f"field 'answer' must be an integer in decimal digits{at_most}, got {answer!r:.40}{size}")
        meta = d.get("meta", {})
        if not isinstance(meta, dict):
            raise ValueError(f"field 'meta' must be an object (or absent), got {meta!r:.80}")
        raw = d["nodes"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValueError(f"field 'nodes' must be a non-empty list of {_NODE_SHAPE} (the last is the query), "
                             f"got {raw!r:.80}")
        nodes = []
        for i, n in enumerate(raw):
            if not (isinstance(n, (list, tuple)) and len(n) == 7):
                raise ValueError(f"nodes[{i}] must be a list {_NODE_SHAPE}, got {n!r:.80}")
            name, var, kind, const, value, parents, implicit = n
            ok = (isinstance(name, str) and isinstance(var, str) and kind in D.KINDS
                  and (const is None or _is_int(const)) and _is_int(value)
                  and isinstance(parents, (list, tuple)) and all(isinstance(p, str) for p in parents)
                  and isinstance(implicit, bool))
            if not ok:
                raise ValueError(f"nodes[{i}] must be {_NODE_SHAPE} with name, var strings, kind one of "
                                 f"{', '.join(D.KINDS)}, const an integer or null, value an integer, parents a "
                                 f"list of names, implicit true/false; got {n!r:.120}")
            nodes.append(GoldNode(name, var, kind, const, value, tuple(parents), implicit))
        if int(answer) != nodes[-1].value:  # the answer is the query's value (the last node)
            raise ValueError(f"field 'answer' ({answer!r:.40}) must be the value of the query, the last of 'nodes' "
                             f"({nodes[-1].value!r:.40})")
        return cls(d["question"], d["solution"], d["answer"], d["op"], d["template"], tuple(nodes),
                   d["text_hash"], d["graph_hash"], d["seed"], meta)


_RECORD_FIELDS = ("question", "solution", "answer", "op", "template", "nodes", "text_hash", "graph_hash", "seed")
_NODE_SHAPE = "[name, var, kind, const, value, parents, implicit]"


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_LETTER_TOKEN = re.compile(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])")  # a variable letter: one letter standing alone


def canonical_letters(solution: str) -> str:
    """The solution with its variable letters renamed a, b, c, ... in order of first appearance.

    The same question with other letters (the paper's random-letter format) is then one text, so it can
    neither sit in two splits nor count twice. A solution whose letters already come in that order (the
    "ordered" format without copy steps: the laptop and smoke scales) is unchanged, so its hash is too."""
    names: dict[str, str] = {}
    canon = string.ascii_lowercase + string.ascii_uppercase

    def rename(m: re.Match) -> str:
        return names.setdefault(m.group(0), canon[len(names)] if len(names) < len(canon) else m.group(0))
    return _LETTER_TOKEN.sub(rename, solution)


def canonical_text(question: str, solution: str, answer: str) -> str:
    """Whitespace collapsed and variable letters canonical (`canonical_letters`); numbers are canonical integers."""
    return " ".join(question.split()) + "\x1e" + " ".join(canonical_letters(solution).split()) + "\x1e" + answer.strip()


def text_hash(question: str, solution: str, answer: str) -> str:
    return hashlib.blake2b(canonical_text(question, solution, answer).encode(), digest_size=10).hexdigest()


def graph_hash(nodes: list[D.Node]) -> str:
    """Merkle hash of the abstract DAG: node kinds and wiring, no names or values.

    Each node's signature hashes its kind with its parents' signatures (sorted, since sums are
    commutative); the graph hash is the query's signature plus the sorted multiset of all node
    signatures, so a shared parent (a diamond) differs from two copies of it.
    """
    sigs: list[str] = []
    for n in nodes:
        parent_sigs = sorted(sigs[p] for p in n.parents)
        if n.kind == D.SUB:  # order matters for a difference
            parent_sigs = [sigs[p] for p in n.parents]
        sigs.append(hashlib.blake2b(f"{n.kind}({','.join(parent_sigs)})".encode(), digest_size=6).hexdigest())
    body = sigs[-1] + "|" + ",".join(sorted(sigs))
    return hashlib.blake2b(body.encode(), digest_size=10).hexdigest()


_UNARY_EXPR = {D.SCALE: "{c} * {x}", D.ADD_CONST: "{x} + {c}", D.SUB_CONST: "{x} - {c}"}


def render(nodes: list[D.Node], template: Template, rng: random.Random, config: GeneratorConfig,
           op: int, seed: int) -> Problem:
    t = template
    n_slots = 1 + max(n.location for n in nodes)
    # Real locations for the slots, plus one spare for distractors when all slots are closed.
    loc_names = [t.locations[i] for i in rng.sample(range(config.n_locations), n_slots + 1)]
    cat = t.category + "s"

    names: list[str] = []  # solution-side name of each node
    phrases: list[str] = []  # how the question refers to it
    for n in nodes:
        loc = loc_names[n.location]
        if n.entity < 0:
            names.append(f"total {cat} {t.preposition} {loc}")
            phrases.append(f"the total number of {cat} {t.preposition} {loc}")
        else:
            name = f"{t.entities[n.entity]} {t.preposition} {loc}"
            names.append(name)
            phrases.append(f"the number of {name}")

    # Variable letters: one per node; temporaries come from the letters left over.
    if config.variable_names == "random":
        letters = rng.sample(LETTERS, len(LETTERS))
    else:
        letters = list(string.ascii_lowercase + string.ascii_uppercase)
    var = letters[: len(nodes)]
    spare = letters[len(nodes):]

    sentences: list[str] = []
    steps: list[str] = []
    for i, n in enumerate(nodes):
        v = var[i]
        head = f"Define {names[i]} as {v}; "
        if n.kind == D.CONST:
            sentences.append(f"The number of {names[i]} equals {n.const}.")
            steps.append(f"{head}so {v} = {n.const}.")
            continue
        # References to the parents, through temporary copies when the format uses them.
        refs, copies = [], []
        temps = (rng.sample(spare, len(n.parents)) if config.variable_names == "random"
                 else spare[: len(n.parents)]) if config.copy_steps else None
        for j, p in enumerate(n.parents):
            if config.copy_steps:
                copies.append(f"{temps[j]} = {var[p]} = {nodes[p].value}; ")
                refs.append(temps[j])
            else:
                refs.append(var[p])
        vals = [str(nodes[p].value) for p in n.parents]
        if n.kind in _UNARY_EXPR:
            fmt = _UNARY_EXPR[n.kind]
            expr = fmt.format(c=n.const, x=refs[0]) + " = " + fmt.format(c=n.const, x=vals[0])
            p_ph = phrases[n.parents[0]]
            rel = {D.SCALE: "times", D.ADD_CONST: "more than", D.SUB_CONST: "less than"}[n.kind]
            sentences.append(f"The number of {names[i]} equals {n.const} {rel} {p_ph}.")
        else:
            sign = " - " if n.kind == D.SUB else " + "
            expr = sign.join(refs) + " = " + sign.join(vals) if len(refs) > 1 else f"{refs[0]}"
            pp = [phrases[p] for p in n.parents]
            if n.kind == D.SUB:
                sentences.append(f"The number of {names[i]} equals the difference between {pp[0]} and {pp[1]}.")
            elif n.kind in (D.ADD, D.SUM):
                sentences.append(f"The number of {names[i]} equals the sum of {', '.join(pp[:-1])} and {pp[-1]}.")
            # TOTAL: implicit, no sentence.
        steps.append(f"{head}{''.join(copies)}so {v} = {expr} = {n.value}.")

    # Distractors: quantities the query does not need, at locations no total counts.
    n_distract = rng.randint(0, config.max_distractors) if config.max_distractors else 0
    if n_distract:
        closed = {n.location for n in nodes if n.kind == D.TOTAL}
        open_slots = [s for s in range(n_slots + 1) if s not in closed]
        used = {(n.entity, n.location) for n in nodes}
        for _ in range(n_distract):
            for _try in range(20):
                pair = (rng.randrange(config.n_entities), rng.choice(open_slots))
                if pair not in used:
                    break
            else:
                continue
            used.add(pair)
            d_name = f"{t.entities[pair[0]]} {t.preposition} {loc_names[pair[1]]}"
            c = rng.randint(1, 4)
            if rng.random() < 0.5:
                sentences.append(f"The number of {d_name} equals {c}.")
            else:
                rel = rng.choice(("times", "more than"))
                sentences.append(f"The number of {d_name} equals {max(c, 2)} {rel} {rng.choice(phrases)}.")
    if config.shuffle_sentences:
        rng.shuffle(sentences)

    question = " ".join(sentences) + f" What is {phrases[-1]}?"
    solution = " ".join(steps)
    answer = str(nodes[-1].value)
    gold = tuple(
        GoldNode(names[i], var[i], n.kind, n.const, n.value, tuple(names[p] for p in n.parents), n.kind == D.TOTAL)
        for i, n in enumerate(nodes)
    )
    return Problem(question, solution, answer, op, t.name, gold, text_hash(question, solution, answer),
                   graph_hash(nodes), seed)


def generate_problem(op: int, template: str = "animals-zoo", seed: int = 0,
                     config: GeneratorConfig | None = None) -> Problem:
    """Problem with exactly `op` operations in `template`; a pure function of its arguments."""
    config = config or DEFAULT_CONFIG
    if not isinstance(op, int) or isinstance(op, bool) or not 2 <= op <= MAX_OP:
        raise ValueError(f"op must be an integer in 2..{MAX_OP}, got {op!r}")
    tmpl = get_template(template)
    rng = random.Random(seed)
    nodes = D.sample_dag(op, rng, config.limits)
    return render(nodes, tmpl, rng, config, op, seed)


DEFAULT_CONFIG = GeneratorConfig()
