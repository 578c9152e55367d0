"""The invoice rows come out by document and row number, sorted only when they are not.

A usual day's bulk rows are already in that order, so ``rounding`` skips the sort;
rows of the reference path, or rounding rows, come after them and must be sorted in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dibs_fortnox.booking import frames
from dibs_fortnox.booking.rounding import _in_order, with_vat_and_rounding


@pytest.mark.parametrize(
    ("seq", "row", "ordered"),
    [
        ([1, 1, 2, 3], [1, 2, 1, 1], True),
        ([], [], True),
        ([5], [1], True),
        ([1, 2, 1], [1, 1, 2], False),  # a document's row after another document
        ([1, 1], [2, 1], False),  # rows of one document out of order
        ([1, 1], [1, 1], False),  # the same row twice: left to the stable sort
    ],
)
def test_in_order(seq, row, ordered):
    assert _in_order(np.array(seq, np.int64), np.array(row, np.int64)) is ordered


def _rows(seq: list[int], row: list[int], gross: list[int]) -> pd.DataFrame:
    n = len(seq)
    return pd.DataFrame(
        {
            "seq": seq,
            "row": row,
            "account": [3001] * n,
            "quantity": [1] * n,
            "price": [100] * n,
            "vat_percent": [25] * n,
            "gross": gross,
            "description": [f"line {s}.{r}" for s, r in zip(seq, row, strict=True)],
        }
    )[list(frames.ROWS_BEFORE_VAT)]


def _invoices(seqs: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: [f"{c}{s}" if k == frames.TEXT else s for s in seqs]
            for c, k in frames.INVOICES.items()
        }
    )


@pytest.mark.parametrize(
    ("gross", "expected"),
    [
        ([125, 125, 125], [(1, 1), (1, 2), (2, 1)]),
        ([125, 126, 125], [(1, 1), (1, 2), (1, 3), (2, 1)]),  # document 1 gets a rounding row
    ],
    ids=["exact", "rounded"],
)
def test_rows_out_of_order_are_sorted_with_their_rounding_rows(gross, expected):
    lines = _rows([2, 1, 1], [1, 1, 2], gross)
    rows, warnings = with_vat_and_rounding(lines, _invoices([1, 2]), 3740)
    assert list(zip(rows["seq"], rows["row"], strict=True)) == expected
    assert len(warnings) == len(expected) - 3
    assert rows.index.equals(pd.RangeIndex(len(rows)))
