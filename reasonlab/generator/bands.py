"""Op ranges ("bands"): the one type and its one validator.

A band is an inclusive op range `(lo, hi)` with 2 <= lo <= hi <= MAX_OP. It lives beside MAX_OP, which bounds
it, so that the generic checks in reasonlab.validation need not know the generator.

    check_band("in_dist", v)                           # an op range (lo, hi), integers (bools refused)
    check_disjoint_bands("bands", (("edge", 11, 14), ...))  # labelled, unique, not overlapping
"""

from __future__ import annotations

from ..validation import _fail, check_str, check_tuple
from .problem import MAX_OP

Band = tuple[int, int]  # inclusive op range (lo, hi)


def check_band(name: str, band, max_op: int = MAX_OP) -> Band:
    """An op range (lo, hi): two integers (not bools) with 2 <= lo <= hi <= max_op."""
    allowed = f"an op range (lo, hi) of integers with 2 <= lo <= hi <= {max_op}"
    try:
        lo, hi = band
    except (TypeError, ValueError):
        _fail(name, allowed, band)
    if not (isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and not isinstance(hi, bool)
            and 2 <= lo <= hi <= max_op):
        _fail(name, allowed, band)
    return lo, hi


def check_disjoint_bands(name: str, bands) -> tuple:
    """(label, lo, hi) triples: labels non-empty strings, unique; op ranges valid and not overlapping."""
    check_tuple(name, bands)
    for i, b in enumerate(bands):
        if not (isinstance(b, tuple) and len(b) == 3):
            _fail(f"{name}[{i}]", "a (label, lo, hi) tuple", b)
        check_str(f"{name}[{i}] label", b[0])
        check_band(f"{name}[{i}] ({b[0]!r})", b[1:])
    labels = [b[0] for b in bands]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} labels must be unique, got {labels}")
    ordered = sorted(bands, key=lambda b: b[1])
    for a, b in zip(ordered, ordered[1:]):
        if b[1] <= a[2]:
            raise ValueError(f"{name} must not overlap (an op belongs to one band), got {a[0]!r} {a[1]}-{a[2]} "
                             f"and {b[0]!r} {b[1]}-{b[2]}")
    return bands
