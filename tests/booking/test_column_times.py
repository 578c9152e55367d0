"""The column reader's shortcut for times agrees with its regex, time by time.

``columns._all_plain_times`` checks a whole column by layout (digits folded to "0") so a
million times cost one regex per layout; a time it lets through that the regex would
refuse would skip the lenient parser and its error message.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dibs_fortnox.booking.columns import _PLAIN_TIME, _all_plain_times

PLAIN = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", ".1", ".4683", ".1234567", ".12345678"]),
    st.sampled_from(["Z", "+01:00", "-05:30", "", "+0100", "z"]),
)
ODD = st.sampled_from(
    [
        "2026-11-01T07:09:27.4683+01:00\n2026-11-01T07:09:27+01:00",  # two times in one
        "２026-11-01T07:09:27Z",  # a full-width digit: \d matches it, ASCII does not
        "2026-11-01T07:09:27Z ",
        "2026-11-01 07:09:27Z",
        "2026-11-01",
        "",
        "\n",
    ]
)
TIMES = st.lists(st.one_of(PLAIN, ODD, st.text(max_size=12)), max_size=8)


@given(TIMES)
def test_layout_check_agrees_with_the_regex(values: list[str]) -> None:
    expected = all(_PLAIN_TIME.fullmatch(v) is not None for v in values)
    if not expected:
        assert not _all_plain_times(values), values
    else:
        # A time the regex takes may only be refused for a reason the slow path then
        # re-checks one by one (non-ASCII digits): never the other way round.
        assert _all_plain_times(values) or any(not v.isascii() for v in values), values


def test_a_column_of_real_times_is_plain() -> None:
    times = [f"2026-11-01T07:{m:02d}:27.{m * 7:04d}+01:00" for m in range(60)] + ["2026-11-01Z"]
    assert _all_plain_times(times[:-1])
    assert not _all_plain_times(times)
    assert _all_plain_times([])
