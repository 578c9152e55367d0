"""The column reader's times agree with ``parse.parse_timestamp``, time by time.

``instants.read_times`` reads a whole column with Arrow; a time it lets through must be
one ``parse`` reads, as the same instant (floored to the microsecond), and a time it
refuses is read by ``parse`` instead, so refusing too much costs only speed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dibs_fortnox.booking.instants import NAT, read_times
from dibs_fortnox.booking.parse import ParseError, parse_timestamp

PLAIN = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(1600, 2300),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", ".1", ".4683", ".1234567", ".12345678", ".999999999"]),
    st.sampled_from(["Z", "+01:00", "-05:30", "+23:59", "+24:00", "", "+0100", "z"]),
)
ODD = st.sampled_from(
    [
        "2026-11-01T07:09:27.4683+01:00\n2026-11-01T07:09:27+01:00",  # two times in one
        "２026-11-01T07:09:27Z",  # a full-width digit
        "2026-11-01T07:09:27Z ",
        " 2026-11-01T07:09:27Z",
        "2026-11-01 07:09:27Z",
        "2026-11-01",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "\n",
        "2026-11-01T07:09:27\ud800Z",
    ]
)
TIMES = st.lists(st.one_of(PLAIN, ODD, st.text(max_size=12), st.none(), st.just("")), max_size=8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _parsed_nanos(value: str) -> int:
    moment = parse_timestamp(value)
    assert moment is not None
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


@given(TIMES)
def test_a_time_read_from_the_column_is_the_instant_parse_reads(values: list[str | None]) -> None:
    bad = np.zeros(len(values), bool)
    nanos = read_times(values, bad)
    for value, is_bad, got in zip(values, bad, nanos, strict=True):
        if value is None or value == "":
            assert not is_bad and got == NAT
        elif not is_bad:
            assert got == _parsed_nanos(value), value


@pytest.mark.parametrize(
    "value",
    ["2026-11-01T07:09:27.4683+01:00", "1969-12-31T23:59:59.9999999Z", "2026-03-29T02:30:00-05:30"],
)
def test_plain_times_are_read_from_the_column(value: str) -> None:
    bad = np.zeros(3, bool)
    nanos = read_times([value, None, ""], bad)
    assert not bad.any()
    assert nanos.tolist() == [_parsed_nanos(value), NAT, NAT]


@pytest.mark.parametrize(
    "value",
    ["2026-02-30T07:09:27Z", "2026-11-01T24:00:00Z", "2026-11-01T07:09:27", 1, "", None],
)
def test_what_parse_refuses_is_never_read_from_the_column(value: object) -> None:
    try:
        parse_timestamp(value)
    except ParseError:
        bad = np.zeros(2, bool)
        assert read_times([value, "2026-11-01T07:09:27Z"], bad)[0] == NAT
        assert bad.tolist() == [True, False]


def test_times_that_are_plain_but_no_instant_are_found_among_many() -> None:
    values: list[str | None] = [f"2026-11-01T07:{m % 60:02d}:27.4683+01:00" for m in range(5000)]
    for at, odd in (
        (0, "2026-02-30T07:09:27Z"),
        (2718, "2026-11-01T24:00:00Z"),
        (4999, "9999-12-31T23:59:59Z"),
    ):
        values[at] = odd
    values[100] = None
    bad = np.zeros(len(values), bool)
    nanos = read_times(values, bad)
    assert np.flatnonzero(bad).tolist() == [0, 2718, 4999]
    assert nanos[1] == _parsed_nanos(str(values[1])) and nanos[100] == NAT
