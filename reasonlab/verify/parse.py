"""Parse a free-form solution into a predicted graph: steps, dependencies, values, copies, answer.

The parser follows paper.md section 3: split the solution into "Define <quantity> as <X>; ..."
steps; a step's dependencies are the previously defined quantities its expressions use (through
temporary copies such as "I = x = 3"); its value is the value written for X. It reads our format
and the paper's released one (same step grammar; answers as "<answer>N</answer>" or "Answer: N").

Model output is untrusted input (the verifier is the GRPO reward, so any hole is a reward-hacking
channel): nothing here uses eval, nothing raises on any input, and work is bounded (input length,
steps, expression length, literal size), so 100 KB of garbage or nested parentheses is parsed in
milliseconds.

Rules. [T] marks a deliberate tightening of the paper's released verifier, as this module
implemented it before (issue 12 lists the holes they close; only the last-number fallback is known
to be the paper's own, the others may be our earlier reading of it); [B] marks a report beyond the
paper that does not change what `verified` means.

1. Input: a str, or any completion shape TRL passes (see `completion_text`); anything unusable
   (None, numbers, bytes, malformed messages) is the empty text. Only the first MAX_CHARS count.
2. Digits are ASCII 0-9 only. "²", "①", "٣" or a full-width "６" are not digits, so a
   number written with them is junk (rule 5). [T: the old parser read Unicode decimal digits such
   as "٣" as numbers, and "²" or "①" made it raise]
3. Steps: "Define <quantity> as <X>; <statement>; <statement>; ..." where X is an identifier of at
   most 8 characters, read from the solution region: after "<solution>" up to "</solution>" or
   "<answer>". A text with more than one "<solution>" has no steps (two solutions are a hedge).
   A step runs from "Define " to the next "Define " and ends at its first full stop (a "." not
   followed by a digit), so a trailing "Answer: 6." or prose is not part of it.
   [T: before, everything up to the next "Define " was read]
4. Statements are assignments "L = e1 = e2 = ... = en" with L an identifier (after an optional
   "so "); other statements are ignored. The written value of an assignment is the value of en,
   its last expression.
5. An expression has a value only if it consists of numbers (ASCII digits with an optional
   decimal part, at most 15 digits before the point), known letters (the quantities of earlier
   steps and this step's temporaries), + - * / ( ) and ASCII whitespace, is well formed, divides
   by no zero and stays below 1e15 in magnitude (and, as a fraction, in denominator). Anything
   else ("lots + 4", "3e4", "9 / 0 + 4", "4²", "2 × 3", "2 ** 3") has no value. [T: the old
   parser fell back to an earlier expression of the chain, then to the last number in the
   statement, then in the step, so each
   of these read as 4; it also read × · ÷ as * and /]
6. A step's value is the written value of its assignments to X; none if it has no such assignment,
   if that value is none, or if its assignments to X write different values ("x = 3; so x = 4")
   (a step without a value is wrong). [T: see rule 5; two values for X: the last one counted]
7. A step's dependencies are the earlier quantities its assignments to X depend on, directly or
   through temporaries (a temporary brings the dependencies of its own chain). An expression
   depends on a name only if its value changes when that name's value does (tested exactly at
   two fixed sets of values), so "x = t * 0 + 3", "x = t - t + 3" or "x = 0 / t + 3" do not
   depend on t. An expression of more than 16 distinct names counts all of them, as before (the
   bound keeps the work linear; a gold step has at most 5 parents). [T: every name written
   counted, so a parent multiplied by 0 passed as used]
8. Claims: every expression of every assignment of a step ("T = e1 = ... = en", X's own chain
   and its temporaries') claims its assignment's written value. score.py checks each claim at the
   gold values: the earlier quantities it names take their gold values (quantities outside the
   gold graph their written ones), this step's temporaries their written values (their own chains
   are checked likewise). So a copy is checked however it is written: "T = E = 0", "T = (E) = 0",
   "T = E + 0 = 0", "T = 1 * E = 0" are all wrong when E is not 0; a chain "N = x = A = v" claims
   x = v and A = v and both are checked; "U = T + R = 4 + 2 = 6" needs T + R = 6 at those values
   and 4 + 2 = 6; an expression without a value (rule 5) makes its claim false. A quantity
   defined by several "Define" steps is correct only if every definition is (score.py).
   [T: before, only a bare letter was read as a copy and checked, so "L = (t) = 999" verified;
   before that, copied values were not checked at all]
9. Answer: the text between an "<answer>" and the next "</answer>" (or the end of the text);
   without an answer tag, the rest of the line after an "Answer:". After trimming ASCII whitespace
   and one final full stop it must be exactly one integer: an optional "-" and 1 to 15 ASCII
   digits. "6 or 8", "6.5", "6.0", "six", "6 apples" are no answer. With several tags (or several
   "Answer:" lines) every one must give the same integer, else there is no answer: hedging never
   pays. [T: the first number in the 64 characters after the tag was read; later, the last tag]
10. Values are exact: arithmetic is on integers and fractions (int when the value is an integer; a
   non-integral value is kept as a float for display only) and values and answers compare with the
   integer gold values by exact equality. [T: an absolute tolerance of 1e-6 on floats]
11. Arithmetic consistency [B]: an assignment is consistent iff every expression of its chain has
   a value and all equal its written value ("k = 3 * I = 3 * 3 = 9" with I = 3); a step is
   consistent iff it has a value and all its assignments are. Reported per step (Step.consistent,
   VerifyReport.inconsistent_steps) and in aggregate (VerifyReport.arithmetic_consistent and
   consistent_steps), beside `verified` and never part of it (rule 8 checks the same chains at the
   gold values, and that is part of `verified`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

MAX_CHARS = 64_000  # longer outputs are truncated (a 1,024-token completion is ~4 KB)
MAX_STEPS = 256  # "Define" steps considered
MAX_EXPR_CHARS = 256  # longer expressions have no value
MAX_DIGITS = 15  # longer number literals have no value (and int() never sees a 5,000-digit string)
LIMIT = 10**15  # values (and intermediate results) at or above this in magnitude have no value
MAX_PROBED_NAMES = 16  # rule 7 probes expressions of at most this many names (a gold step has at most 5 parents)

_WS = " \t\r\n"  # ASCII whitespace: the only whitespace an expression or answer may contain
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ANSWER = re.compile(r"-?[0-9]{1,15}")
_EXPR_CHARS = re.compile(r"[0-9A-Za-z_.+\-*/() \t\r\n]*")  # a cheap first filter: junk is refused here
_EXPR_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|[ \t\r\n]+|.")
_FULL_STOP = re.compile(r"\.(?![0-9])")  # a "." that is not a decimal point
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "u-": 3}
_MISSING = object()
QUANTITY = "="  # prefix of a quantity's name in a claim's expression: no name or operator starts with "="
# Dependency probes (rule 7): each name in an expression takes base + i * step (i its order), then base + i * step +
# shift. Two probes, so that a polynomial that happens to take one value at both points of one probe is still seen.
_PROBES = ((7, 6, 5), (31, 10, 11))

Value = int | float  # int when exact and integral; float only displays a non-integral value


class Claim(NamedTuple):
    """One expression of an assignment chain and the written value it claims (rule 8); score.py checks it."""

    text: str  # the expression as written
    rpn: tuple | None  # compiled; temporaries replaced by their written values, quantities as QUANTITY + name;
    #                    None when it has no value whatever the quantities are (junk, an unknown name)
    written: Value | None  # the written value of its assignment


@dataclass(slots=True)
class Step:
    name: str  # normalised quantity name
    var: str  # the letter the solution gave it
    deps: frozenset[str]  # names of earlier quantities its value depends on (rule 7)
    value: Value | None
    claims: tuple[Claim, ...] = ()  # every expression of its assignments with the value it claims (rule 8)
    consistent: bool = False  # rule 11


@dataclass(slots=True)
class ParsedSolution:
    steps: list[Step]
    answer: int | None  # the integer in the answer tag (or after "Answer:"), if exactly one (rule 9)


def normalise_name(name: str) -> str:
    return " ".join(name.split()).strip(" .,;:").lower()


# ----------------------------------------------------------------------------------- input shapes


def completion_text(completion) -> str:
    """The text of a completion in any shape TRL passes, "" for anything unusable (rule 1).

    Shapes: a str; a message dict {"role": ..., "content": ...} or a list of them, where content
    is a str, None, or a list of parts ({"type": "text", "text": ...} or plain strs).
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content"))
    if isinstance(completion, (list, tuple)):
        return "".join(_content_text(m.get("content")) for m in completion if isinstance(m, dict))
    return ""


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, (list, tuple)):
        return ""  # None or anything else: no text
    texts = [p if isinstance(p, str) else p.get("text") if isinstance(p, dict) else None for p in content]
    return "".join(t for t in texts if isinstance(t, str))


# ------------------------------------------------------------------------------------ arithmetic


def _number(token: str) -> int | Fraction | None:
    """An ASCII number literal, exactly; None when too long or too large (rule 5)."""
    whole = token.split(".", 1)[0]
    if len(whole.lstrip("0")) > MAX_DIGITS or len(token) > 2 * MAX_DIGITS + 1:
        return None
    return Fraction(token) if "." in token else int(token)


@lru_cache(maxsize=1 << 16)
def _compile(expr: str) -> tuple | None:
    """Reverse Polish form of a well-formed expression (numbers, names, + - * / ( ) and unary minus),
    or None. Shunting-yard without recursion; cached, since the same expressions recur constantly
    (callers pass at most MAX_EXPR_CHARS characters, which bounds the cache at 64K short keys)."""
    if not _EXPR_CHARS.fullmatch(expr):
        return None
    out: list = []  # numbers (int | Fraction), names (str) and operators (str of symbols)
    ops: list[str] = []
    expect_operand = True
    for tok in _EXPR_TOKEN.findall(expr):
        c = tok[0]
        if c in _WS:
            continue
        if c.isdigit() or c.isalpha() or c == "_":  # ASCII only: _EXPR_CHARS let nothing else through
            num = _number(tok) if c.isdigit() else tok
            if not expect_operand or num is None:  # "3e4" is a number followed by a name
                return None
            out.append(num)
            expect_operand = False
        elif c == "(" and expect_operand:
            ops.append(c)
        elif c == ")" and not expect_operand:
            while ops and ops[-1] != "(":
                out.append(ops.pop())
            if not ops:
                return None
            ops.pop()
        elif c == "-" and expect_operand:
            ops.append("u-")
        elif c in "+-*/" and not expect_operand:
            while ops and ops[-1] != "(" and _PRECEDENCE[ops[-1]] >= _PRECEDENCE[c]:
                out.append(ops.pop())
            ops.append(c)
            expect_operand = True
        else:  # a stray ".", an operator where an operand belongs, "(" after an operand, ...
            return None
    if expect_operand or "(" in ops:
        return None
    rpn = tuple(out + ops[::-1])
    if any(type(t) is str and t not in _PRECEDENCE for t in rpn):
        return rpn
    value = _run(rpn, {}, None)  # no names: fold the constant once ("3 + 4" recurs in every solution)
    return None if value is None else (_display(value),)


def _exact(v) -> int | Fraction | None:
    """A known value as an exact number (floats come only from callers of `evaluate`)."""
    if type(v) in (int, Fraction, float) and abs(v) < LIMIT:  # NaN and infinities fail this; bools are refused
        return Fraction(v) if type(v) is float else v
    return None


def _apply(op: str, a, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    return a // b if type(a) is int and type(b) is int and a % b == 0 else Fraction(a) / b


def _run(rpn: tuple, env: dict, local: dict | None) -> int | Fraction | None:
    stack: list = []
    for t in rpn:
        if type(t) is not str:
            stack.append(t)
        elif t == "u-":
            stack[-1] = -stack[-1]
        elif t in _PRECEDENCE:
            b = stack.pop()
            r = _apply(t, stack[-1], b)
            if r is None or abs(r) >= LIMIT or (type(r) is Fraction and r.denominator >= LIMIT):
                return None  # (a bounded denominator also bounds the work: "a / b / c / ..." grows it fast)
            stack[-1] = r
        else:  # a name: this step's temporaries first, then earlier quantities
            v = local.get(t, _MISSING) if local else _MISSING
            v = _exact(env.get(t) if v is _MISSING else v)
            if v is None:
                return None
            stack.append(v)
    return stack[0] if len(stack) == 1 else None


@lru_cache(maxsize=1 << 16)
def _live_names(rpn: tuple) -> frozenset[str]:
    """The names a compiled expression's value depends on (rule 7): those whose change changes the value at either
    probe. Exact arithmetic within LIMIT; a probe where the expression has no value (a division by zero, a value
    past LIMIT, which also bounds the work) counts the name as used, as before this rule."""
    names = list(dict.fromkeys(t for t in rpn if type(t) is str and t not in _PRECEDENCE))
    if len(names) > MAX_PROBED_NAMES:  # bounds the work (names x runs): every name counts, as before rule 7
        return frozenset(names)
    live = set()
    for base, step, shift in _PROBES:
        env = {n: base + i * step for i, n in enumerate(names)}
        at_base = _run(rpn, env, None)
        for n in names:
            moved = _run(rpn, {**env, n: env[n] + shift}, None)
            if at_base is None or moved is None or moved != at_base:
                live.add(n)
    return frozenset(live)


def quantity_env(values: dict[str, Value | None]) -> dict[str, Value | None]:
    """Quantity values by name as the environment `claim_value` reads (names prefixed with QUANTITY)."""
    return {QUANTITY + name: v for name, v in values.items()}


def claim_value(claim: Claim, env: dict[str, Value | None]) -> Value | None:
    """A claim's expression evaluated with the quantities it names at their values in `env` (quantity_env)."""
    return None if claim.rpn is None else _display(_run(claim.rpn, env, None))


def _display(v: int | Fraction | None) -> Value | None:
    if v is None or type(v) is int:
        return v
    return int(v) if v.denominator == 1 else float(v)


def evaluate(expr: str, env: dict, local: dict | None = None) -> Value | None:
    """Exact value of an arithmetic expression over numbers and known names, or None (rule 5).

    int when the value is an integer; a float for a non-integral value (display only: it never
    matches a gold value). None for anything else: unknown names, junk, division by zero, too long.
    """
    if not isinstance(expr, str):
        return None
    expr = expr.strip(_WS)
    if len(expr) > MAX_EXPR_CHARS:  # checked before the cache, so that it only ever holds short keys
        return None
    rpn = _compile(expr)
    if rpn is None:
        return None
    if len(rpn) == 1:  # the common cases: a number, a folded constant ("3 + 4") or a bare letter (a copy)
        t = rpn[0]
        if type(t) is not str:
            return t
        v = local.get(t, _MISSING) if local else _MISSING
        return _display(_exact(env.get(t) if v is _MISSING else v))
    return _display(_run(rpn, env, local))


# -------------------------------------------------------------------------------------- answers


def extract_answer(text: str) -> int | None:
    """The answer: one integer in every answer tag, else after every "Answer:" (rule 9)."""
    if not isinstance(text, str):
        return None
    tag, close = ("<answer>", "</answer>") if "<answer>" in text else ("Answer:", "\n")
    answer, i = None, text.find(tag)
    while i >= 0:
        start = i + len(tag)
        end = text.find(close, start)  # an unclosed tag runs to the end: a completion cut at its answer
        got = _one_integer(text[start:] if end < 0 else text[start:end])
        if got is None or (answer is not None and got != answer):
            return None  # a tag without one integer, or another integer than before: a hedge pays nothing
        answer, i = got, text.find(tag, start)
    return answer


def _one_integer(region: str) -> int | None:
    region = region.strip(_WS)
    if region.endswith("."):
        region = region[:-1].rstrip(_WS)
    return int(region) if _ANSWER.fullmatch(region) else None


# ---------------------------------------------------------------------------------------- steps


def solution_region(text: str) -> str:
    """The part of a completion that holds the steps (tags removed); "" when it opens two solutions (rule 3)."""
    if text.count("<solution>") > 1:
        return ""
    start = text.find("<solution>")
    if start >= 0:
        text = text[start + 10 :]
    for stop in ("</solution>", "<answer>"):
        k = text.find(stop)
        if k >= 0:
            text = text[:k]
    return text


def _first_sentence(chunk: str) -> str:
    """A step ends at its first full stop (rule 3)."""
    m = _FULL_STOP.search(chunk)
    return chunk if m is None else chunk[: m.start()]


def _claim_rpn(rpn: tuple | None, temp_values: dict, name_of: dict[str, str]) -> tuple | None:
    """A compiled expression as a claim (rule 8): temporaries by their written values, quantities by name."""
    if rpn is None:
        return None
    out = []
    for t in rpn:
        if type(t) is not str:
            t = _exact(t)  # a folded constant may be a display float
            if t is None:
                return None
            out.append(t)
        elif t in _PRECEDENCE:
            out.append(t)
        elif t in temp_values:  # this step's temporaries shadow earlier quantities, as in `evaluate`
            v = _exact(temp_values[t])
            if v is None:
                return None
            out.append(v)
        elif t in name_of:
            out.append(QUANTITY + name_of[t])
        else:
            return None  # an unknown name: no value at any gold values
    return tuple(out)


def _parse_step(chunk: str, name_of: dict[str, str], value_of: dict[str, Value | None]) -> Step | None:
    """One "Define <quantity> as <X>; ..." step (the text after "Define "), or None if it is not one."""
    head, _, body = _first_sentence(chunk).partition(";")
    k = head.rfind(" as ")
    if k < 0:
        return None
    name, var = normalise_name(head[:k]), head[k + 4 :].strip()
    if not name or len(var) > 8 or not _IDENT.fullmatch(var):
        return None
    temp_deps: dict[str, set[str]] = {}  # temporary -> the quantities its chain depends on
    temp_values: dict[str, Value | None] = {}
    deps: set[str] = set()
    values_of_x: list[Value | None] = []  # the written value of each assignment to X (rule 6)
    claims: list[Claim] = []
    consistent = True
    for stmt in body.split(";"):
        stmt = stmt.strip()
        if stmt.startswith("so "):
            stmt = stmt[3:]
        lhs, eq, rhs = stmt.partition("=")
        lhs = lhs.strip()
        if not eq or not _IDENT.fullmatch(lhs):
            continue  # not an assignment (rule 4)
        exprs = [e.strip(_WS) for e in rhs.split("=")]
        values = [evaluate(e, value_of, temp_values) for e in exprs]
        written = values[-1]
        if consistent and (written is None or values.count(written) != len(values)):
            consistent = False  # some expression of the chain has no value or another one
        used: set[str] = set()
        for e in exprs:
            rpn = _compile(e) if len(e) <= MAX_EXPR_CHARS else None
            claims.append(Claim(e, _claim_rpn(rpn, temp_values, name_of), written))
            names = _IDENT.findall(e) if rpn is None else _live_names(rpn)  # junk: every name written (rule 7)
            for tok in names:
                if tok in temp_deps:
                    used |= temp_deps[tok]
                elif tok in name_of:
                    used.add(name_of[tok])
        if lhs == var:
            deps |= used
            values_of_x.append(written)
        else:
            temp_deps[lhs] = used
            temp_values[lhs] = written
    value = values_of_x[0] if values_of_x and values_of_x.count(values_of_x[0]) == len(values_of_x) else None
    return Step(name, var, frozenset(deps), value, tuple(claims), consistent and value is not None)


def parse_solution(text) -> ParsedSolution:
    """Never raises: any input gives a (possibly empty) ParsedSolution."""
    text = completion_text(text)[:MAX_CHARS]
    answer = extract_answer(text)
    name_of: dict[str, str] = {}  # variable letter -> quantity name (defined steps so far)
    value_of: dict[str, Value | None] = {}
    steps: list[Step] = []
    for chunk in solution_region(text).split("Define ")[1 : MAX_STEPS + 1]:
        step = _parse_step(chunk, name_of, value_of)
        if step is not None:
            name_of[step.var] = step.name
            value_of[step.var] = step.value
            steps.append(step)
    return ParsedSolution(steps, answer)
