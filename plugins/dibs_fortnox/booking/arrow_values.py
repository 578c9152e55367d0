"""Arrow columns as the values the readers hand to ``booking.columns``.

Both Arrow readers (``booking.arrow_read`` for payments, ``booking.arrow_actions`` for a
payout's actions) give their columns as the other readers do: text as Python strings
(None where missing), money as int64 (0 where missing), and a column of few distinct
values as those values once each and a code per row.

Example:
    >>> words, codes = encoded(pa.chunked_array([["kg", None], ["pcs", "kg"]]))
    >>> words, codes.tolist()
    (['kg', 'pcs'], [0, 2, 1, 0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def objects(values: pa.ChunkedArray) -> np.ndarray:
    """Text as Python strings (None where missing), as the other readers give it."""
    out: np.ndarray = values.to_numpy()
    return out


def money(values: pa.ChunkedArray) -> np.ndarray:
    """Integers as int64, 0 where missing.

    A column with nothing missing (the usual day) goes to numpy as it is: filling it
    first would copy every value once more (fresh memory, which this VM faults in at
    great cost: BENCHMARKS.md, 2026-12-08).
    """
    filled = pc.fill_null(values, 0) if values.null_count else values
    out: np.ndarray = np.asarray(filled.to_numpy(), dtype=np.int64)
    return out


def encoded(values: pa.ChunkedArray) -> tuple[list[Any], np.ndarray]:
    """The distinct values as Python objects, and each value's position among them (one
    past the last where missing)."""
    encoding = pc.dictionary_encode(values)
    chunks = encoding.chunks
    if not chunks:
        return [], np.zeros(0, np.int64)
    # Encoding a chunked column gives every chunk the whole column's dictionary, so the
    # chunks are not joined first (a copy of every text, 0.3 s at three million lines).
    dictionary = chunks[0].dictionary
    if not all(chunk.dictionary.equals(dictionary) for chunk in chunks[1:]):
        encoding = encoding.unify_dictionaries()
        dictionary = encoding.chunk(0).dictionary
    indices = pa.chunked_array([chunk.indices for chunk in encoding.chunks])
    codes: np.ndarray = pc.fill_null(indices, len(dictionary)).to_numpy()
    return dictionary.to_pylist(), codes
