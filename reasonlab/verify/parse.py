"""Parse a free-form solution into a predicted graph: steps, dependencies, values, answer.

The parser follows paper.md section 3: split the solution into "Define <quantity> as <X>; ..."
steps; a step's dependencies are the previously defined quantities its expressions use (through
temporary copies such as "I = x = 3"); its value is the last computable arithmetic expression
assigned to X (fallback: the last number in the step). It reads our format and the paper's
released one (same step grammar; answers as "<answer>N</answer>" or "Answer: N").

Model output is untrusted input: nothing here uses eval, nothing raises on any string, and work is
bounded (input length, steps, expression length, operator count), so a 100 KB string of garbage
or nested parentheses is parsed in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 64_000  # longer outputs are truncated (a 1,024-token completion is ~4 KB)
MAX_STEPS = 256  # "Define" steps considered
MAX_EXPR_CHARS = 256  # longer expressions are not evaluated (fallback: last number)

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "u-": 3}
_MUL_SIGNS = {"×": "*", "·": "*", "÷": "/"}


@dataclass(slots=True)
class Step:
    name: str  # normalised quantity name
    var: str  # the letter the solution gave it
    deps: frozenset[str]  # names of earlier quantities it uses
    value: float | None


@dataclass(slots=True)
class ParsedSolution:
    steps: list[Step]
    answer: float | None  # the number in the answer tag (or "Answer: N"), if any


def normalise_name(name: str) -> str:
    return " ".join(name.split()).strip(" .,;:").lower()


def _last_number(text: str) -> float | None:
    found = _NUMBER.findall(text[-MAX_EXPR_CHARS:])
    return float(found[-1]) if found else None


def evaluate(expr: str, env: dict[str, float | None], local: dict[str, float | None] | None = None) -> float | None:
    """Value of an arithmetic expression over numbers and known variables, or None.

    Shunting-yard without recursion: + - * / parentheses and unary minus. Returns None for
    anything else (unknown names, junk, division by zero, too long).
    """
    expr = expr.strip()
    if expr.isdigit():  # the common case in well-formed solutions
        return float(expr)
    if not expr or len(expr) > MAX_EXPR_CHARS:
        return None
    out: list[float] = []
    ops: list[str] = []

    def apply(op: str) -> bool:
        if op == "u-":
            if not out:
                return False
            out[-1] = -out[-1]
            return True
        if len(out) < 2:
            return False
        b, a = out.pop(), out.pop()
        if op == "+":
            out.append(a + b)
        elif op == "-":
            out.append(a - b)
        elif op == "*":
            out.append(a * b)
        elif b == 0:
            return False
        else:
            out.append(a / b)
        return abs(out[-1]) < 1e15

    expect_operand = True
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:  # only trailing whitespace left
            break
        pos = m.end()
        num, ident, sym = m.groups()
        if num is not None or ident is not None:
            if not expect_operand:
                return None
            if num is not None:
                out.append(float(num))
            else:
                val = local.get(ident) if local and ident in local else env.get(ident)
                if val is None:
                    return None
                out.append(val)
            expect_operand = False
            continue
        sym = _MUL_SIGNS.get(sym, sym)
        if sym == "(":
            if not expect_operand:
                return None
            ops.append(sym)
        elif sym == ")":
            if expect_operand:
                return None
            while ops and ops[-1] != "(":
                if not apply(ops.pop()):
                    return None
            if not ops:
                return None
            ops.pop()
        elif sym in "+-*/":
            if expect_operand:
                if sym != "-":
                    return None
                ops.append("u-")
                continue
            while ops and ops[-1] != "(" and _PRECEDENCE[ops[-1]] >= _PRECEDENCE[sym]:
                if not apply(ops.pop()):
                    return None
            ops.append(sym)
            expect_operand = True
        else:
            return None
    if expect_operand:
        return None
    while ops:
        op = ops.pop()
        if op == "(" or not apply(op):
            return None
    return out[0] if len(out) == 1 else None


def extract_answer(text: str) -> float | None:
    """The number after the last <answer> tag, else after the last "Answer:"."""
    i = text.rfind("<answer>")
    if i >= 0:
        chunk = text[i + 8 : i + 8 + 64]
    else:
        i = text.rfind("Answer:")
        if i < 0:
            return None
        chunk = text[i + 7 : i + 7 + 64]
    end = chunk.find("</answer>")
    m = _NUMBER.search(chunk if end < 0 else chunk[:end])
    return float(m.group()) if m else None


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


def parse_solution(text: str) -> ParsedSolution:
    """Never raises: any string gives a (possibly empty) ParsedSolution."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    answer = extract_answer(text)
    body = solution_region(text)

    name_of: dict[str, str] = {}  # variable letter -> quantity name (defined steps so far)
    value_of: dict[str, float | None] = {}
    steps: list[Step] = []
    for chunk in body.split("Define ")[1 : MAX_STEPS + 1]:
        semi = chunk.find(";")
        header = chunk[:semi] if semi >= 0 else chunk
        k = header.rfind(" as ")
        if k < 0:
            continue
        name, var = normalise_name(header[:k]), header[k + 4 :].strip()
        if not name or not _IDENT.fullmatch(var) or len(var) > 8:
            continue
        temps: dict[str, tuple[set[str], float | None]] = {}  # temporary copies: deps and value
        temp_values: dict[str, float | None] = {}
        deps: set[str] = set()
        value: float | None = None
        for stmt in (chunk[semi + 1 :] if semi >= 0 else "").split(";"):
            stmt = stmt.strip().rstrip(".").strip()
            if stmt.startswith("so "):
                stmt = stmt[3:]
            parts = stmt.split("=")
            if len(parts) < 2:
                continue
            lhs, exprs = parts[0].strip(), parts[1:]
            used: set[str] = set()
            for e in exprs:
                for tok in _IDENT.findall(e[:MAX_EXPR_CHARS]):
                    if tok in temps:
                        used |= temps[tok][0]
                    elif tok in name_of:
                        used.add(name_of[tok])
            val = None
            for e in reversed(exprs):
                val = evaluate(e, value_of, temp_values)
                if val is not None:
                    break
            if val is None:
                val = _last_number(stmt)
            if lhs == var:
                deps |= used
                value = val
            elif _IDENT.fullmatch(lhs):
                temps[lhs] = (used, val)
                temp_values[lhs] = val
        if value is None:
            value = _last_number(chunk[:MAX_EXPR_CHARS * 4])
        name_of[var] = name
        value_of[var] = value
        steps.append(Step(name, var, frozenset(deps), value))
    return ParsedSolution(steps, answer)
