"""``codes.combined_codes``: one code per distinct combination, and a row holding each.

The bulk booking works out account, VAT and row text once per distinct combination of
columns and hands the result back to every row by these codes, so a wrong code books a
row with another row's account or text.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dibs_fortnox.booking.codes import combined_codes

columns = st.integers(1, 3).flatmap(
    lambda k: st.lists(st.tuples(*[st.integers(-1, 5)] * k), max_size=60)
)


@given(columns)
def test_each_distinct_combination_has_one_code_and_a_row_of_its_own(rows):
    k = len(rows[0]) if rows else 1
    codes = [np.array([r[j] for r in rows], dtype=np.int64) for j in range(k)]
    inverse, first = combined_codes(*codes)
    assert len(inverse) == len(rows)
    assert len(first) == len(set(rows))  # as many codes as combinations
    for i, row in enumerate(rows):
        assert rows[first[inverse[i]]] == row  # the code's row holds this combination
    assert [int(inverse[f]) for f in first] == list(range(len(first)))


def test_columns_of_many_distinct_values_do_not_overflow_the_key():
    # Five columns whose largest code is 65,534 make each step of the key 2**16 wide:
    # a plain product would be 2**80, and the first column would fall out of int64,
    # so rows that differ only there would share a code.
    top = 2**16 - 2
    rows = [(0, 1, 2, 3, 4), (1, 1, 2, 3, 4), (top, top, top, top, top), (0, 1, 2, 3, 4)]
    inverse, first = combined_codes(*(np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)))
    assert inverse.tolist() == [0, 1, 2, 0]
    assert first.tolist() == [0, 1, 2]
