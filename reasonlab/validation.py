"""Checks that every public config runs at construction (issue 12): refuse, never coerce.

Each check raises ValueError with one message that names the field, says what is allowed and shows
the value, e.g. "batch_size must be an integer >= 1 (not a bool), got True", and returns the value
unchanged: a config's hash (reasonlab.provenance.config_hash) sees exactly what the caller passed.

    check_int("batch_size", v, lo=1)             # exactly an int (not a bool, not numpy's), lo <= v <= hi
    check_float("lr", v, lo=0, lo_open=True)     # exactly an int or float (not a bool, Fraction or numpy
                                                 # scalar: JSON and config_hash take only these), finite, in range
    check_temperature("temperature", v)          # 0 (greedy) or MIN_TEMPERATURE..MAX_TEMPERATURE
    check_bool("copy_steps", v)                  # True or False ("false" and 0 are refused)
    check_choice("split", v, SPLITS)             # one of the names
    check_str("name", v)                         # a non-empty string
    check_name("scale name", v)                  # a safe file-name part: letters, digits, '.', '_', '-'
    check_instance("mixture", v, Mixture)        # an instance of a class

Op ranges (bands) are checked beside the generator's MAX_OP: reasonlab.generator.check_band.

`allowed` replaces the generated description where a message is pinned by tests or needs context,
e.g. check_float("lr", v, 0, 0.1, lo_open=True, allowed="in (0, 0.1] (a finite number)").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

__all__ = ["check_int", "check_float", "check_bool", "check_choice", "check_str", "check_instance",
           "check_optional", "check_tuple", "range_text", "check_name",
           "check_temperature", "MIN_TEMPERATURE", "MAX_TEMPERATURE"]

# The sampler draws from softmax(logits / T) in float32 (reasonlab.sampling): a T near 0 rounds to 0 there (1e-300
# does), and logits / T turns to inf and the log-probs to NaN. At 0.01 a logit gap of 0.1 is already 10 nats, so
# nothing below it differs from greedy but the risk of overflow; greedy is T = 0 where a config allows it.
MIN_TEMPERATURE = 0.01
MAX_TEMPERATURE = 100.0  # logits / 100 is near uniform already; far above, it is uniform in float32


def range_text(lo=None, hi=None, lo_open: bool = False, hi_open: bool = False, integer: bool = False) -> str:
    """'>= 1', '< 1', 'in 1..20' (integers) or 'in (0, 0.1]' (numbers)."""
    if lo is not None and hi is not None:
        if integer:
            return f"in {lo}..{hi}"
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}" if not integer else f">= {lo}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi:g}" if not integer else f"<= {hi}"
    return ""


def _fail(name: str, allowed: str, value, note: str = "") -> None:
    raise ValueError(f"{name} must be {allowed}, got {value!r}{note}")


def _not_exact(value) -> str:
    """' (numpy.float32: pass a Python int or float, ...)' for a number of another type, else '': such a number
    passes a range check, then fails in json.dumps (config_hash, manifests) or hashes apart from the same float."""
    if type(value) in (int, float, bool) or not _numeric(value):
        return ""
    kind = type(value)
    return f" ({kind.__module__}.{kind.__qualname__}: pass a Python int or float, e.g. float(x))"


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


def _numeric(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return not isinstance(value, (str, bytes))


def check_int(name: str, value, lo: int | None = None, hi: int | None = None, allowed: str | None = None) -> int:
    """Exactly a Python int (not a bool, not a float such as 2.0 or 2.5, not a numpy integer) with lo <= value <= hi."""
    ok = type(value) is int
    if ok and lo is not None and value < lo:
        ok = False
    if ok and hi is not None and value > hi:
        ok = False
    if not ok:
        _fail(name, allowed or " ".join(filter(None, ("an integer", range_text(lo, hi, integer=True))))
              + " (not a bool)", value, _not_exact(value))
    return value


def check_float(name: str, value, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                hi_open: bool = False, allowed: str | None = None) -> float:
    """Exactly a Python int or float (not a bool, a string, a Fraction or a numpy scalar), finite (no NaN or inf),
    within [lo, hi] (or open ends). A sampling temperature takes check_temperature, which adds the sampler's bounds."""
    ok = type(value) in (int, float) and _finite(value)
    if ok and lo is not None and (value <= lo if lo_open else value < lo):
        ok = False
    if ok and hi is not None and (value >= hi if hi_open else value > hi):
        ok = False
    if not ok:
        _fail(name, allowed or " ".join(filter(None, ("a finite number", range_text(lo, hi, lo_open, hi_open)))),
              value, _not_exact(value))
    return value


def _temperature_bounds(name: str, value, allow_zero: bool) -> None:
    if value == 0 and allow_zero or MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
        return
    why = "the sampler computes softmax(logits / T) in float32, where a T nearer 0 gives NaN log-probs"
    _fail(name, f"{'0 (greedy) or ' if allow_zero else ''}in [{MIN_TEMPERATURE:g}, {MAX_TEMPERATURE:g}] ({why})",
          value)


def check_temperature(name: str, value, allow_zero: bool = True, hi: float = MAX_TEMPERATURE) -> float:
    """A sampling temperature the sampler honours: 0 (greedy, where allow_zero) or in [MIN_TEMPERATURE, hi]."""
    check_float(name, value, lo=0, hi=hi, lo_open=not allow_zero,
                allowed=f"{'0 (greedy) or ' if allow_zero else ''}a finite number in [{MIN_TEMPERATURE:g}, {hi:g}]")
    _temperature_bounds(name, value, allow_zero)
    return value


# A name that becomes part of a file name (a result's data/results/<recipe>-<scale>.json, a stage's directory): no
# path separators, no '..', no leading '.' or '-', nothing a shell or another file system treats specially.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_name(name: str, value, allowed: str | None = None) -> str:
    """A name safe inside a file name: ASCII letters, digits, '.', '_' and '-', starting with a letter or digit,
    without '..' (e.g. "laptop", "A.6.1", "rl-op10-13")."""
    if not (isinstance(value, str) and _SAFE_NAME.fullmatch(value) and ".." not in value and len(value) <= 100):
        _fail(name, allowed or "a name of ASCII letters, digits, '.', '_' and '-' (starting with a letter or digit, "
                               "no '..', at most 100 characters)", value)
    return value


def check_bool(name: str, value, allowed: str | None = None) -> bool:
    """True or False: strings such as "false" and ints such as 0 are refused (a truthy string is a trap)."""
    if not isinstance(value, bool):
        _fail(name, allowed or "True or False", value)
    return value


def check_choice(name: str, value, choices: Iterable[str], allowed: str | None = None) -> str:
    """One of `choices` (strings)."""
    choices = tuple(choices)
    if not (isinstance(value, str) and value in choices):
        _fail(name, allowed or f"one of {', '.join(choices)}", value)
    return value


def check_str(name: str, value, nonempty: bool = True, no_space: bool = False, allowed: str | None = None) -> str:
    """A string; non-empty unless nonempty=False; without whitespace when no_space."""
    ok = isinstance(value, str) and (bool(value.strip()) or not nonempty)
    if ok and no_space and any(c.isspace() for c in value):
        ok = False
    if not ok:
        _fail(name, allowed or ("a non-empty string" if nonempty else "a string")
              + (" without spaces" if no_space else ""), value)
    return value


def check_instance(name: str, value, cls: type | tuple[type, ...], allowed: str | None = None):
    """An instance of `cls` (named in the message by its module path)."""
    if not isinstance(value, cls):
        classes = cls if isinstance(cls, tuple) else (cls,)
        what = " or ".join(f"{c.__module__}.{c.__qualname__}" if c.__module__ != "builtins" else c.__name__
                           for c in classes)
        raise ValueError(f"{name} must be {allowed or 'a ' + what}, got {type(value).__name__} {value!r:.80}")
    return value


def check_optional(name: str, value, check, *args, **kwargs):
    """None, or a value that passes check(name, value, *args, **kwargs)."""
    if value is None:
        return None
    try:
        return check(name, value, *args, **kwargs)
    except ValueError as e:
        text = str(e)
        at = text.find(", got ")
        raise ValueError(text[:at] + " (or None)" + text[at:] if at >= 0 else f"{text} (or None)") from None


def check_tuple(name: str, value, item_check=None, nonempty: bool = True, unique: bool = False,
                allowed: str | None = None) -> tuple:
    """A tuple (a list is refused: frozen configs are hashable); item_check(f"{name}[i]", item) on each item."""
    if not isinstance(value, tuple) or (nonempty and not value):
        _fail(name, allowed or ("a non-empty tuple" if nonempty else "a tuple"), value)
    if item_check is not None:
        for i, item in enumerate(value):
            item_check(f"{name}[{i}]", item)
    if unique and any(v in value[:i] for i, v in enumerate(value)):
        raise ValueError(f"{name} has repeated values: {value!r}")
    return value
