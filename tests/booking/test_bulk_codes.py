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
