"""One code per distinct combination of columns, so a rule runs once per combination.

A day of a million payment actions has a few buyers, VAT rates, products and countries,
repeated over millions of rows. The booking works out an account, a row text or a
country once per distinct combination and hands the result back to every row by its
code (``bulk``, ``arrow_read``); a wrong code would give a row another row's result
(``tests/booking/test_bulk_codes.py``).

Example:
    >>> inverse, first = combined_codes(np.array([0, 1, 0]), np.array([2, 2, 2]))
    >>> inverse.tolist(), first.tolist()
    ([0, 1, 0], [0, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_LARGEST = 2**62


def combined_codes(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of integer codes (each ≥ -1), and a row of each.

    Hashed, not sorted: at three million rows sorting the keys cost more than the rest
    of the function. Codes follow first appearance, so a combination's first row is
    where its code exceeds every code before it.
    """
    key = np.zeros(len(codes[0]), np.int64)
    span = 1  # every key so far is below this
    for c in codes:
        width = int(c.max(initial=0)) + 2
        if span * width > _LARGEST:  # many distinct values in many columns: number the
            key = pd.factorize(key)[0]  # combinations so far densely, or the key overflows
            span = int(key.max(initial=0)) + 1
        key = key * width + (c + 1)
        span *= width
    inverse = pd.factorize(key)[0]
    earlier = np.maximum.accumulate(np.concatenate([[-1], inverse[:-1]]))
    return inverse, np.flatnonzero(inverse > earlier)
