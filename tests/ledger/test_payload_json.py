"""Stored payloads are read with ``money.loads``: exactly what ``json.loads`` with
``parse_float=Decimal`` gives (msgspec reads them, the standard library what it refuses).

Python counts ``Decimal(1) == 1 == True``, so results are compared with their types.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dibs_fortnox import money


def typed(value: Any) -> Any:
    """The value with the type of every part spelled out, for an exact comparison."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, str(value))


def reference(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def same_outcome(text: str | bytes) -> None:
    try:
        expected = typed(reference(text))
    except ValueError:
        with pytest.raises(ValueError):
            money.loads(text)
        return
    assert typed(money.loads(text)) == expected


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_what_money_dumps_writes_reads_back_exactly(value: Any) -> None:
    text = money.dumps(value)
    same_outcome(text)
    same_outcome(text.encode("utf-8"))
    assert typed(money.loads(text)) == typed(value)


@given(st.text(alphabet='{}[]",:.-+eE0123456789 truefalsnNI\\u\n\ud800', max_size=30))
def test_any_text_reads_as_the_standard_library_reads_it_or_fails_alike(text: str) -> None:
    same_outcome(text)


@pytest.mark.parametrize(
    "text",
    [
        '"\\ud800"',  # a lone surrogate escape: msgspec refuses it
        "NaN",
        "[Infinity, -Infinity]",
        b'\xef\xbb\xbf{"a": 1}',  # UTF-8 with a byte-order mark
        '{"a": 1, "a": 2.50}',
        "123456789012345678901234567890",
        "1e400",
        "[1.0, -0.0, 1E2]",
        "",
        "{",
        b"\xff",
    ],
)
def test_edge_cases_read_as_the_standard_library_reads_them(text: str | bytes) -> None:
    same_outcome(text)
