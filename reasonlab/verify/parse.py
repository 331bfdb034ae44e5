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
   most 8 characters. A step runs from "Define " to the next "Define " and ends at its first full
   stop (a "." not followed by a digit), so a trailing "Answer: 6." or prose is not part of it.
   [T: before, everything up to the next "Define " was read]
4. Statements are assignments "L = e1 = e2 = ... = en" with L an identifier (after an optional
   "so "); other statements are ignored. The written value of an assignment is the value of en,
   its last expression.
5. An expression has a value only if it consists of numbers (ASCII digits with an optional
   decimal part, at most 15 digits before the point), known letters (the quantities of earlier
   steps and this step's temporaries), + - * / ( ) and ASCII whitespace, is well formed, divides
   by no zero and stays below 1e15 in magnitude. Anything else ("lots + 4", "3e4", "9 / 0 + 4",
   "4²", "2 × 3", "2 ** 3") has no value. [T: the old parser fell back to an earlier
   expression of the chain, then to the last number in the statement, then in the step, so each
   of these read as 4; it also read × · ÷ as * and /]
6. A step's value is the written value of its last assignment to X; none if it has no such
   assignment or that value is none (a step without a value is wrong). [T: see rule 5]
7. A step's dependencies are the earlier quantities named in its assignments to X, directly or
   through temporaries (a temporary brings the dependencies of its own expressions).
8. Copies: an assignment "T = E = n" to a temporary T whose chain has a bare letter E of an
   earlier quantity (or of a temporary that copies one) copies that quantity; its written value n is
   checked against the gold value of the copied quantity like any step value (score.py), so
   "T = E = 0; R = M = 77; so U = T + R = 4 + 2 = 6" is wrong when E and M are not 0 and 77.
   [T: copied values were not checked]
9. Answer: the text between the last "<answer>" and the next "</answer>" (or the end of the
   text); without an answer tag, the rest of the line after the last "Answer:". After trimming ASCII
   whitespace and one final full stop it must be exactly one integer: an optional "-" and 1 to 15
   ASCII digits. "6 or 8", "6.5", "6.0", "six", "6 apples" are no answer. [T: the first number in
   the 64 characters after the tag was read]
10. Values are exact: arithmetic is on integers and fractions (int when the value is an integer; a
   non-integral value is kept as a float for display only) and values and answers compare with the
   integer gold values by exact equality. [T: an absolute tolerance of 1e-6 on floats]
11. Arithmetic consistency [B]: an assignment is consistent iff every expression of its chain has
   a value and all equal its written value ("k = 3 * I = 3 * 3 = 9" with I = 3); a step is
   consistent iff it has a value and all its assignments are. Reported per step (Step.consistent,
   VerifyReport.inconsistent_steps) and in aggregate (VerifyReport.arithmetic_consistent and
   consistent_steps), beside `verified` and never part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

MAX_CHARS = 64_000  # longer outputs are truncated (a 1,024-token completion is ~4 KB)
MAX_STEPS = 256  # "Define" steps considered
MAX_EXPR_CHARS = 256  # longer expressions have no value
MAX_DIGITS = 15  # longer number literals have no value (and int() never sees a 5,000-digit string)
LIMIT = 10**15  # values (and intermediate results) at or above this in magnitude have no value

_WS = " \t\r\n"  # ASCII whitespace: the only whitespace an expression or answer may contain
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ANSWER = re.compile(r"-?[0-9]{1,15}")
_EXPR_CHARS = re.compile(r"[0-9A-Za-z_.+\-*/() \t\r\n]*")  # a cheap first filter: junk is refused here
_EXPR_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|[ \t\r\n]+|.")
_FULL_STOP = re.compile(r"\.(?![0-9])")  # a "." that is not a decimal point
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "u-": 3}
_MISSING = object()

Value = int | float  # int when exact and integral; float only displays a non-integral value


@dataclass(slots=True)
class Step:
    name: str  # normalised quantity name
    var: str  # the letter the solution gave it
    deps: frozenset[str]  # names of earlier quantities it uses
    value: Value | None
    copies: tuple[tuple[str, Value | None], ...] = ()  # (copied quantity, written value) per copy (rule 8)
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
            if r is None or abs(r) >= LIMIT:
                return None
            stack[-1] = r
        else:  # a name: this step's temporaries first, then earlier quantities
            v = local.get(t, _MISSING) if local else _MISSING
            v = _exact(env.get(t) if v is _MISSING else v)
            if v is None:
                return None
            stack.append(v)
    return stack[0] if len(stack) == 1 else None


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
    """The answer: exactly one integer in the last answer tag, else after the last "Answer:" (rule 9)."""
    if not isinstance(text, str):
        return None
    i = text.rfind("<answer>")
    if i >= 0:
        region = text[i + 8 :]
        end = region.find("</answer>")
        region = region if end < 0 else region[:end]  # an unclosed tag: a completion cut at its answer
    else:
        i = text.rfind("Answer:")
        if i < 0:
            return None
        region = text[i + 7 :].split("\n", 1)[0]
    region = region.strip(_WS)
    if region.endswith("."):
        region = region[:-1].rstrip(_WS)
    return int(region) if _ANSWER.fullmatch(region) else None


# ---------------------------------------------------------------------------------------- steps


def solution_region(text: str) -> str:
    """The part of a completion that holds the steps (tags removed)."""
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


def _copied_quantity(exprs: list[str], temps: dict, name_of: dict[str, str]) -> str | None:
    """The quantity a chain copies (rule 8): that of its first bare letter naming a quantity or a copy."""
    for e in exprs:
        e = e.strip(_WS)
        if e in temps:
            return temps[e][1]
        if e in name_of:
            return name_of[e]
    return None


def _parse_step(chunk: str, name_of: dict[str, str], value_of: dict[str, Value | None]) -> Step | None:
    """One "Define <quantity> as <X>; ..." step (the text after "Define "), or None if it is not one."""
    head, _, body = _first_sentence(chunk).partition(";")
    k = head.rfind(" as ")
    if k < 0:
        return None
    name, var = normalise_name(head[:k]), head[k + 4 :].strip()
    if not name or len(var) > 8 or not _IDENT.fullmatch(var):
        return None
    temps: dict[str, tuple[set[str], str | None]] = {}  # temporary -> (its dependencies, quantity it copies)
    temp_values: dict[str, Value | None] = {}
    deps: set[str] = set()
    value: Value | None = None
    copies: list[tuple[str, Value | None]] = []
    consistent = True
    for stmt in body.split(";"):
        stmt = stmt.strip()
        if stmt.startswith("so "):
            stmt = stmt[3:]
        lhs, eq, rhs = stmt.partition("=")
        lhs = lhs.strip()
        if not eq or not _IDENT.fullmatch(lhs):
            continue  # not an assignment (rule 4)
        exprs = rhs.split("=")
        values = [evaluate(e, value_of, temp_values) for e in exprs]
        written = values[-1]
        if consistent and (written is None or values.count(written) != len(values)):
            consistent = False  # some expression of the chain has no value or another one
        used: set[str] = set()
        for tok in _IDENT.findall(rhs):
            if tok in temps:
                used |= temps[tok][0]
            elif tok in name_of:
                used.add(name_of[tok])
        if lhs == var:
            deps |= used
            value = written
        else:
            copied = _copied_quantity(exprs, temps, name_of)
            if copied is not None:
                copies.append((copied, written))
            temps[lhs] = (used, copied)
            temp_values[lhs] = written
    return Step(name, var, frozenset(deps), value, tuple(copies), consistent and value is not None)


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
