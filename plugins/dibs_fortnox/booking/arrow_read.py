"""Read stored payment texts straight into columns with Arrow's JSON reader.

A day of a million payment actions is about 1.6 GB of stored payment text. Decoding it
into Python objects first (dicts, or even ``booking.wire`` structs) made millions of
objects only to take them apart again field by field, and that was most of the
transform's time and memory. Arrow's C++ reader parses the text into columns directly,
on every core, keeping only the fields booking reads (the schema below is built from
``booking.wire``'s field groups, so both readers ask for the same fields).

Arrow is as strict as the structs where it matters: a float or a string where money
belongs, a number where text belongs, a duplicate key or an escape that is not valid
UTF-16 fails the whole chunk of texts. What Arrow accepts but would read differently is
found after reading: a wrapped payment, a null inside a list, a quantity a float64
cannot give back exactly, a time the others would not read as plain. Those payments,
and every payment of a chunk Arrow refuses, are *deferred*: ``booking.columns`` reads
them the slower way, whose rules stay the only ones. ``tests/booking/test_wire.py``
holds the readers to the same bookings.

Quantities are read as float64: a whole number below 2**53 comes back exactly, and a
fraction such as 2.25 as ``Decimal("2.25")``, equal in value to what the JSON wrote,
when its shortest form has at most 15 significant digits (a float64 keeps 15). The one
difference left: a fraction written with more than 15 significant digits whose float
has a shorter form (0.30000000000000001) reads as that form (0.3).

Reading is two steps: ``parse_payment_texts`` parses (every core, the interpreter lock
released) and ``fields_of`` takes the fields out as numpy arrays and Python strings (one
core, holding the lock); ``transform`` reads the payouts on another thread meanwhile.

Example:
    >>> parsed = parse_payment_texts(["p1", "p2"], ['{"paymentId": "p1"}', '{"payment": {}}'])
    >>> parsed.keys, parsed.deferred
    (['p1'], ['p2'])
    >>> fields_of(parsed).payment_ids.tolist()
    ['p1']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from dibs_fortnox.booking.arrow_values import encoded, money, objects
from dibs_fortnox.booking.codes import combined_codes
from dibs_fortnox.booking.countries import first_country
from dibs_fortnox.booking.instants import instants, plain_times
from dibs_fortnox.booking.wire import (
    CHARGE_TEXT,
    LINE_MONEY,
    LINE_TEXT,
    REFUND_TEXT,
    SOURCE_MONEY,
    PaymentFields,
)

# Arrow's own allocator (mimalloc) keeps what it frees for later: at a million actions
# the transform peaked 450 MB higher with it and ran slower (BENCHMARKS.md, 2026-12-07).
# The C library's malloc gives it back. An operator's ARROW_DEFAULT_MEMORY_POOL wins.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    pa.set_memory_pool(pa.system_memory_pool())

# Texts per read: a chunk Arrow refuses is deferred whole, and the buffer one chunk's text
# is written into (about 130 MB at this size) is the extra memory of reading the text.
CHUNK = 65_536
# A float64 holds every whole number below this exactly, and any decimal of this many
# significant digits; other quantities are deferred.
_EXACT = 2.0**53
_DIGITS = 15


def _schema() -> pa.Schema:
    """The payment fields booking reads, typed as the structs type them."""
    line = pa.struct(
        [(f, pa.float64() if f == "quantity" else pa.string()) for f in LINE_TEXT]
        + [(f, pa.int64()) for f in LINE_MONEY]
    )

    def source(texts: tuple[str, ...]) -> pa.DataType:
        fields = [(f, pa.list_(line) if f == "orderItems" else pa.string()) for f in texts]
        return pa.struct(fields + [(f, pa.int64()) for f in SOURCE_MONEY])

    address = pa.struct([("country", pa.string())])
    company = pa.struct([("name", pa.string()), ("registrationNumber", pa.string())])
    return pa.schema(
        [
            ("paymentId", pa.string()),
            ("orderDetails", pa.struct([("currency", pa.string()), ("reference", pa.string())])),
            (
                "consumer",
                pa.struct(
                    [
                        ("shippingAddress", address),
                        ("billingAddress", address),
                        ("company", company),
                    ]
                ),
            ),
            ("charges", pa.list_(source(CHARGE_TEXT))),
            ("refunds", pa.list_(source(REFUND_TEXT))),
            # Only to see that a text is wrapped ({"payment": {...}}): deferred.
            ("payment", pa.struct([("paymentId", pa.string())])),
        ]
    )


_PARSE = pj.ParseOptions(explicit_schema=_schema(), unexpected_field_behavior="ignore")
# Blocks of 16 MB (a chunk is some 130 MB) kept both cores busy and read 25 % faster
# than the default 1 MB on a day of 250,000 payments.
_READ = pj.ReadOptions(block_size=16 << 20)


@dataclass(frozen=True)
class ArrowTexts:
    """Payments Arrow parsed: the keys it read, their rows (None if none), and the keys
    it deferred to the slower readers."""

    keys: list[str]
    table: pa.Table | None
    deferred: list[str]


def parse_payment_texts(keys: Sequence[str], texts: Sequence[str | bytes]) -> ArrowTexts:
    """Parse the texts chunk by chunk, on every core, and defer what Arrow reads
    differently from the structs (``_deferred_rows``).

    The chunks' tables are put together before their fields are taken out
    (``fields_of``), so the fields are made once, charges before refunds over the whole
    batch (taking them per chunk and joining the lists cost 2 s at a million actions).
    """
    tables: list[pa.Table] = []
    read_keys: list[str] = []
    deferred: list[str] = []
    buffer = _ChunkBuffer()
    for start in range(0, len(keys), CHUNK):
        chunk_keys = list(keys[start : start + CHUNK])
        table = _read_chunk(texts[start : start + CHUNK], buffer)
        if table is None:
            deferred += chunk_keys
            continue
        later = _deferred_rows(table)
        if later.any():
            deferred += [k for k, d in zip(chunk_keys, later, strict=True) if d]
            chunk_keys = [k for k, d in zip(chunk_keys, later, strict=True) if not d]
            table = table.filter(pa.array(~later))
        if chunk_keys:
            tables.append(table)
            read_keys += chunk_keys
    return ArrowTexts(read_keys, pa.concat_tables(tables) if tables else None, deferred)


def fields_of(parsed: ArrowTexts) -> PaymentFields | None:
    """The fields of what Arrow parsed (of ``parsed.keys``), as numpy arrays and Python
    strings (one core); None when it parsed nothing."""
    return None if parsed.table is None else _fields(parsed.table)


class _ChunkBuffer:
    """One buffer every chunk's texts are written into in turn, one text per line.

    Joining each chunk into fresh bytes cost 3.6 s at a million actions against 0.4 s
    for the copy itself: every new 130 MB had to be faulted in page by page. Arrow
    copies what it reads out of the buffer, so the next chunk may overwrite it.
    """

    def __init__(self) -> None:
        self._data = bytearray()

    def lines(self, texts: list[bytes]) -> memoryview:
        size = sum(map(len, texts)) + len(texts)
        if len(self._data) < size:  # room for larger chunks to come: each new buffer
            self._data = bytearray(size + size // 4)  # is faulted in anew
        view = memoryview(self._data)
        at = 0
        for text in texts:
            end = at + len(text)
            view[at:end] = text
            view[end] = 10  # b"\n"
            at = end + 1
        return view[: max(0, at - 1)]


def _read_chunk(texts: Sequence[str | bytes], buffer: _ChunkBuffer) -> pa.Table | None:
    """The chunk as one table (a row per text), or None when Arrow cannot read it so."""
    try:
        encoded = [t if isinstance(t, bytes) else t.encode() for t in texts]
    except UnicodeEncodeError:  # a lone surrogate in the text itself
        return None
    # Arrow skips a blank line and reads two objects in one text as two rows, so a blank
    # text beside a text of two would shift the rows unseen. With no blank text, one row
    # per text is certain once the count matches (a pretty-printed text is still one).
    if not all(encoded) or any(map(bytes.isspace, encoded)):
        return None
    try:
        data = pa.py_buffer(buffer.lines(encoded))
        table = pj.read_json(data, read_options=_READ, parse_options=_PARSE)
    except pa.ArrowInvalid:  # a type the schema refuses, duplicate keys, bad escapes
        return None
    if table.num_rows != len(texts):
        return None
    # Compacted: the reader's buffers keep room to grow, and every chunk's table is kept
    # until the last is read (at a million actions the peak was 2,224 MB without this,
    # 1,853 MB with it).
    return table.combine_chunks()


def _owners(lists: pa.ChunkedArray, of: np.ndarray) -> np.ndarray:
    """For each value in ``lists``, the position in ``of`` of the row holding it."""
    return np.repeat(of, _lengths(lists))


def _lengths(lists: pa.ChunkedArray) -> np.ndarray:
    lengths: np.ndarray = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    return lengths.astype(np.int64, copy=False)


def _deferred_rows(table: pa.Table) -> np.ndarray:
    """Payments Arrow reads but not as the structs would: for the slower reader."""
    later: np.ndarray = table["payment"].is_valid().to_numpy().copy()
    rows = np.arange(table.num_rows)
    for name, time_field in (("charges", "created"), ("refunds", "lastUpdated")):
        sources = table[name]
        values = pc.list_flatten(sources)
        source_owner = _owners(sources, rows)
        later[source_owner[~plain_times(pc.struct_field(values, time_field))]] = True
        items = pc.struct_field(values, "orderItems")
        lines = pc.list_flatten(items)
        line_owner = _owners(items, source_owner)
        later[source_owner[values.is_null().to_numpy()]] = True
        later[line_owner[lines.is_null().to_numpy()]] = True
        quantity = pc.struct_field(lines, "quantity").to_numpy()
        later[line_owner[~_plain_quantity(quantity)]] = True
    return later


def _plain_quantity(quantity: np.ndarray) -> np.ndarray:
    """Which quantities Arrow's float64 gives exactly as the JSON wrote them: missing
    (NaN), whole numbers up to 2**53, and fractions of at most 15 significant digits
    (a float64 keeps 15 digits, and its shortest repr gives them back)."""
    with np.errstate(invalid="ignore"):
        whole = (quantity >= 0) & (quantity < _EXACT) & (quantity == np.floor(quantity))
        fraction = (quantity > 0) & (quantity < _EXACT) & ~whole
    plain: np.ndarray = whole | np.isnan(quantity)
    if fraction.any():
        values, at = np.unique(quantity[fraction], return_inverse=True)
        short = np.array([len(_decimal(v).as_tuple().digits) <= _DIGITS for v in values])
        plain[np.flatnonzero(fraction)] = short[at]
    return plain


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _quantities(quantity: np.ndarray) -> np.ndarray:
    """Quantities as the other readers give them: int, or Decimal when fractional."""
    quantity = np.nan_to_num(quantity, nan=0.0)
    out: np.ndarray = quantity.astype(np.int64).astype(object)
    fraction = np.flatnonzero(quantity != np.floor(quantity))
    if len(fraction):
        values, at = np.unique(quantity[fraction], return_inverse=True)
        out[fraction] = np.array([_decimal(v) for v in values] + [None], object)[:-1][at]
    return out


def _shared(values: pa.ChunkedArray, missing: str | None) -> np.ndarray:
    """Text with ``missing`` where missing, one Python string per distinct value: for
    columns of few values (units, product names, currencies, countries), whose strings
    would otherwise be made once per row."""
    return _shared_coded(values, missing)[0]


def _shared_coded(values: pa.ChunkedArray, missing: str | None) -> tuple[np.ndarray, np.ndarray]:
    """``_shared``, and each row's code among the distinct values."""
    words, codes = encoded(values)
    out: np.ndarray = np.array([*words, missing], dtype=object)[codes]
    return out, codes


def _first_countries(shipping: pa.ChunkedArray, billing: pa.ChunkedArray) -> np.ndarray:
    """``countries.first_country`` of each payment's (shipping, billing) countries, worked
    out once per distinct pair (a day has few) instead of a tuple per payment."""
    (ships, ship), (bills, bill) = encoded(shipping), encoded(billing)
    ships.append(None)
    bills.append(None)
    pair, first = combined_codes(ship, bill)
    decided = [first_country((ships[ship[i]], bills[bill[i]])) for i in first]
    out: np.ndarray = np.array([*decided, None], dtype=object)[:-1][pair]
    return out


def _field(values: pa.ChunkedArray, *path: str) -> pa.ChunkedArray:
    """A nested field, missing wherever any struct on the way is missing."""
    for name in path:
        values = pc.struct_field(values, name)
    return values


def _fields(table: pa.Table) -> PaymentFields:
    """The ``PaymentFields`` of a table that ``_deferred_rows`` found nothing odd in.

    The chunks' tables are not combined into one: only each leaf column is put
    together, as it becomes a numpy array.
    """

    def column(*path: str) -> np.ndarray:
        return objects(_field(table.column(path[0]), *path[1:]))

    def few(*path: str) -> np.ndarray:
        return _shared(_field(table.column(path[0]), *path[1:]), None)

    charges, refunds = table.column("charges"), table.column("refunds")
    charge_values, refund_values = pc.list_flatten(charges), pc.list_flatten(refunds)
    # Every chunk's charges, then every chunk's refunds.
    sources = pa.chunked_array(
        [_struct_part(c, "chargeId", "created") for c in _chunks(charge_values)]
        + [_struct_part(r, "refundId", "lastUpdated") for r in _chunks(refund_values)]
    )
    items = pc.struct_field(sources, "orderItems")
    lines = pc.list_flatten(items)
    quantity = pc.struct_field(lines, "quantity").to_numpy()
    names, name_codes = _shared_coded(pc.struct_field(lines, "name"), "")
    units, unit_codes = _shared_coded(pc.struct_field(lines, "unit"), "")
    n_charges = len(charge_values)
    return PaymentFields(
        payment_ids=column("paymentId"),
        currencies=few("orderDetails", "currency"),
        order_references=column("orderDetails", "reference"),
        countries=_first_countries(
            _field(table.column("consumer"), "shippingAddress", "country"),
            _field(table.column("consumer"), "billingAddress", "country"),
        ),
        company_names=few("consumer", "company", "name"),
        company_numbers=few("consumer", "company", "registrationNumber"),
        n_charges=_lengths(charges),
        n_refunds=_lengths(refunds),
        source_ids=objects(pc.struct_field(sources, "id")),
        whens=instants(pc.struct_field(sources, "when")),
        states=[""] * n_charges + _shared(pc.struct_field(refund_values, "state"), None).tolist(),
        amounts=money(pc.struct_field(sources, "amount")),
        surcharges=money(pc.struct_field(sources, "surchargeAmount")),
        source_bad=np.zeros(len(sources), bool),
        n_lines=_lengths(items),
        references=_shared(pc.struct_field(lines, "reference"), ""),
        names=names,
        quantities=_quantities(quantity),
        units=units,
        line_money=[money(pc.struct_field(lines, f)) for f in LINE_MONEY],
        line_bad=np.zeros(len(lines), bool),
        prepared_lines=True,
        # Equal floats give equal quantities (``_quantities``), and a missing one is 0.
        text_codes=combined_codes(
            name_codes, unit_codes, pd.factorize(np.nan_to_num(quantity, nan=0.0))[0]
        )[0],
    )


def _chunks(values: pa.ChunkedArray) -> list[pa.Array]:
    """The chunks, or one empty chunk of the type when there are none: flattening a
    column in which no payment has a charge (or refund) leaves no chunk at all."""
    return values.chunks or [pa.array([], values.type)]


def _struct_part(values: pa.StructArray, id_field: str, time_field: str) -> pa.StructArray:
    """Charges or refunds as the fields both have, their id and time under one name each
    (no element is null here: ``_deferred_rows`` deferred such payments)."""
    return pa.StructArray.from_arrays(
        [
            pc.struct_field(values, id_field),
            pc.struct_field(values, time_field),
            *(pc.struct_field(values, f) for f in (*SOURCE_MONEY, "orderItems")),
        ],
        names=["id", "when", *SOURCE_MONEY, "orderItems"],
    )
