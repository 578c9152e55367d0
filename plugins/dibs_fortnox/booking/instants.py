"""Nets' ISO 8601 times as UTC nanoseconds, a whole column at a time, by Arrow.

A day of a million payment actions carries some two million times (each action's
timestamp, each charge's ``created``, each refund's ``lastUpdated``). Made into a Python
string each and parsed again by pandas, they cost most of a second; Arrow checks their
layout with one regex over the column and casts them in C++.

Only the plain layout is read this way (``PLAIN_TIME``: date, ``T``, time, at most
seven fractional digits as .NET writes four, and an offset). Anything else, a missing
offset, another layout, digits that are not ASCII, a day that does not exist, is left
to ``booking.parse.parse_timestamp``, whose rules and messages stay the only ones: the
readers mark such a record to be read by it. Both agree on every plain time
(``tests/booking/test_column_times.py``), floored to the microsecond as ``parse``
keeps them.

Example:
    >>> bad = np.zeros(2, bool)
    >>> read_times(["2026-11-01T07:09:27.4683+01:00", "yesterday"], bad).tolist()
    [1793513367468300000, -9223372036854775808]
    >>> bad.tolist()
    [False, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PLAIN_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(?:Z|[+-]\d{2}:\d{2})"
NAT = np.iinfo(np.int64).min  # NaT as int64 nanoseconds: a time that is missing
# The whole text in that layout; RE2's \d is ASCII only.
_WHOLE_TIME = f"^{PLAIN_TIME}$"
_STAMP = pa.timestamp("ns", tz="UTC")


def plain_times(times: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per time, whether ``instants`` reads it as ``parse`` would: missing, blank, or
    ``PLAIN_TIME`` naming a real instant. Arrow's cast alone would take more layouts
    than ``parse`` reads, so the layout is checked first."""
    present = pc.fill_null(pc.not_equal(times, ""), False)
    plain = pc.fill_null(pc.match_substring_regex(times, _WHOLE_TIME), False)
    ok: np.ndarray = ~present.to_numpy(zero_copy_only=False)
    ok |= plain.to_numpy(zero_copy_only=False)
    # 30 February, hour 24, beyond 2262: the layout is plain, the instant is not.
    ok &= _castable(pc.if_else(pa.array(ok), times, pa.scalar(None, pa.string())))
    return ok


def instants(times: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """UTC nanoseconds floored to the microsecond, NAT where missing or blank, of times
    ``plain_times`` passed (others raise ``pa.ArrowInvalid``)."""
    present = pc.if_else(pc.equal(times, ""), pa.scalar(None, pa.string()), times)
    nanos: np.ndarray = pc.fill_null(pc.cast(present, _STAMP).cast(pa.int64()), NAT).to_numpy()
    floored: np.ndarray = np.where(nanos == NAT, NAT, nanos // 1000 * 1000)
    return floored


def read_times(values: list[Any], bad: np.ndarray) -> np.ndarray:
    """``instants`` of Python values; a value that is not a plain time (or None, or
    blank) is marked in ``bad`` and reads as NAT."""
    if not set(map(type, values)) <= {str, type(None)}:
        wrong = np.fromiter((v is not None and type(v) is not str for v in values), bool)
        bad |= wrong
        values = [None if w else v for v, w in zip(values, wrong, strict=True)]
    try:
        times = pa.array(values, pa.string())
    except UnicodeEncodeError:  # a lone surrogate: not a time, and Arrow holds UTF-8 only
        unfit = np.fromiter((v is not None and not _utf8(v) for v in values), bool)
        bad |= unfit
        kept = [None if u else v for v, u in zip(values, unfit, strict=True)]
        times = pa.array(kept, pa.string())
    ok = plain_times(times)
    bad |= ~ok
    return instants(pc.if_else(pa.array(ok), times, pa.scalar(None, pa.string())))


def _castable(times: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per time, whether Arrow's cast reads it. The column is cast whole; only when that
    fails are the times that fail found, by halving: one among a million costs some forty
    casts of ever smaller parts, not a million casts of one."""
    ok = np.ones(len(times), bool)

    def mark(start: int, end: int) -> None:
        try:
            instants(times.slice(start, end - start))
        except pa.ArrowInvalid:
            if end - start == 1:
                ok[start] = False
                return
            middle = (start + end) // 2
            mark(start, middle)
            mark(middle, end)

    if len(times):
        mark(0, len(times))
    return ok


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
