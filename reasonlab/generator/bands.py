"""Op ranges ("bands"): an unlabelled op range and a labelled one, and their validators.

A band is an inclusive op range `(lo, hi)` with 2 <= lo <= hi <= MAX_OP. Where the stack passes bands by name (a
scale's in_dist / edge / hard, an evaluation's groups, S3's RL ranges by role), it passes a tuple of
`LabelledBand`s, in order. It lives beside MAX_OP, which bounds it, so that the generic checks in
reasonlab.validation need not know the generator.

    check_band("in_dist", v)                                # an op range (lo, hi), integers (bools refused)
    check_disjoint_bands("bands", (("edge", 11, 14), ...))  # -> (LabelledBand, ...): labels unique, no overlap
    band_named(bands, "edge").op_range                      # (11, 14)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..validation import _fail, check_str, check_tuple
from .problem import MAX_OP

Band = tuple[int, int]  # inclusive op range (lo, hi)


class LabelledBand(NamedTuple):
    """An op range with its label, e.g. LabelledBand("edge", 11, 14). A tuple: configs and keys record it as
    ["edge", 11, 14], as they recorded the plain (label, lo, hi) tuples before it."""

    label: str
    lo: int
    hi: int

    @property
    def op_range(self) -> Band:
        return self.lo, self.hi

    @property
    def ops(self) -> range:
        return range(self.lo, self.hi + 1)


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


def check_disjoint_bands(name: str, bands) -> tuple[LabelledBand, ...]:
    """(label, lo, hi) triples as LabelledBands: labels non-empty strings, unique; op ranges valid, not overlapping."""
    check_tuple(name, bands)
    for i, b in enumerate(bands):
        if not (isinstance(b, tuple) and len(b) == 3):
            _fail(f"{name}[{i}]", "a (label, lo, hi) tuple", b)
        check_str(f"{name}[{i}] label", b[0])
        check_band(f"{name}[{i}] ({b[0]!r})", b[1:])
    bands = tuple(LabelledBand(*b) for b in bands)
    labels = [b.label for b in bands]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} labels must be unique, got {labels}")
    ordered = sorted(bands, key=lambda b: b.lo)
    for a, b in zip(ordered, ordered[1:]):
        if b.lo <= a.hi:
            raise ValueError(f"{name} must not overlap (an op belongs to one band), got {a.label!r} {a.lo}-{a.hi} "
                             f"and {b.label!r} {b.lo}-{b.hi}")
    return bands


def band_named(bands: Sequence[LabelledBand], label: str) -> LabelledBand:
    """The band of `bands` labelled `label`."""
    for b in bands:
        if b.label == label:
            return b
    raise KeyError(f"no band {label!r}; the bands are {', '.join(b.label for b in bands)}")
