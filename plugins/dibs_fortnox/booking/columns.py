"""Read a day's raw Nets records into columns: one frame per kind of record, money as int64.

The bulk transform works on whole columns, so the Nets JSON is read field by field over
all records at once (a pass per field, numpy arrays for numbers) instead of record by
record. Payments come as dicts or, from the state database, as their JSON text, which
``booking.arrow_read`` reads into columns (and ``booking.wire`` structs read by attribute
whatever Arrow defers); every reader fills ``wire.PaymentFields``, and
``frames_of_fields`` applies the rules below to all of them. Only what is plainly
well-formed is read this way: integers for money, ISO 8601 strings with an offset for
times, strings for text. A payment or payout with anything else (a float amount, a
quantity as text, a missing id) is read by ``booking.parse``, whose lenient rules and
error messages stay the only ones, and its records are turned into the same rows; one
that cannot be read at all is listed in ``unreadable`` with its ``ParseError``.

Frames (rows in the order of the readers: read from text, then from structs, then from
dicts, then by ``booking.parse``, each in input order; ``*_row`` columns are positions in
another frame):

* ``payments``: ``key`` (the id it was passed under), ``payment_id``, ``currency`` (None
  when missing), ``order_reference``, ``country``/``company_name``/``company_number``
  (None when missing), ``n_charges``.
* ``sources``: charges then refunds of each payment: ``payment_row``, ``is_refund``,
  ``position`` (index in the payment's charges or refunds), ``source_id``, ``amount``,
  ``surcharge``, ``completed`` (always True for a charge), ``when`` (UTC ns; NaT when
  missing), ``n_lines``, ``first_line``.
* ``lines``: ``source_row``, ``reference``, ``name``, ``quantity`` (int, or Decimal when
  fractional), ``unit``, ``unit_price``, ``tax_rate``, ``tax_amount``,
  ``gross``, ``net``, ``text_code`` (shared only by lines of the same name, quantity and
  unit).
* ``actions``: ``payout_row``, ``action_id``, ``payment_key`` (None for none), ``kind``
  (``ActionKind`` value), ``timestamp`` (UTC ns), ``amount``, ``fee``, ``vat``, ``has_vat``,
  ``payment_at`` (the payment key's position in the keys ``read_payouts`` was given, -1
  where it is not among them).

Example:
    >>> cols = read_payments({"p1": payment_dict})                   # doctest: +SKIP
    >>> cols.lines["net"].sum()                                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dibs_fortnox.booking.arrow_actions import action_columns
from dibs_fortnox.booking.arrow_read import fields_of, parse_payment_texts
from dibs_fortnox.booking.codes import combined_codes
from dibs_fortnox.booking.countries import first_country
from dibs_fortnox.booking.frames import frame_of_arrays
from dibs_fortnox.booking.instants import read_times
from dibs_fortnox.booking.parse import KIND_BY_TEXT, ParseError, parse_payment, parse_payout
from dibs_fortnox.booking.wire import (
    ACTION_FIELDS,
    CHARGE_TEXT,
    LINE_MONEY,
    LINE_TEXT,
    REFUND_TEXT,
    SOURCE_MONEY,
    PaymentFields,
    StoredPayments,
    StoredPayout,
    Values,
    WireAddress,
    WireCompany,
    WireConsumer,
    WireOrder,
    WirePayment,
    decode_payment,
    payout_header,
)
from dibs_fortnox.model import Payment, Payout

# Who read a payment, fastest first: Arrow from text, structs, dicts, ``booking.parse``.
READERS = ("text", "structs", "dicts", "one by one")


class _Irregular(Exception):
    """The batch holds a record of unexpected shape: read it record by record instead."""


@dataclass(frozen=True)
class PaymentColumns:
    """Payments, their charges and refunds, and their order lines (see the module doc)."""

    payments: pd.DataFrame
    sources: pd.DataFrame
    lines: pd.DataFrame
    unreadable: dict[str, ParseError]
    read_by: Mapping[str, int] = field(default_factory=dict)  # payments per ``READERS``


@dataclass(frozen=True)
class PayoutColumns:
    """Payout headers (``Payout`` records with no actions) and all actions as one frame.

    Attributes:
        raw: the payout dicts that could be read, in the order of ``headers``.
        unreadable: the payout dicts that could not, with their ``ParseError``.
        payment_keys: the keys the actions' ``payment_at`` are positions in.
    """

    headers: list[Payout]
    raw: list[Mapping[str, Any]]
    actions: pd.DataFrame
    unreadable: list[tuple[Mapping[str, Any], ParseError]]
    payment_keys: Sequence[str] = ()


def _money(values: list[Any], bad: np.ndarray) -> np.ndarray:
    """int64 öre; ``None`` reads as 0; anything but an int marks its row in ``bad``."""
    kinds = set(map(type, values))
    if kinds <= {int}:
        return np.array(values, dtype=np.int64)
    if kinds <= {int, type(None)}:
        return np.array([0 if v is None else v for v in values], dtype=np.int64)
    wrong = np.fromiter((type(v) is not int and v is not None for v in values), bool, len(values))
    bad |= wrong
    return np.array([v if type(v) is int else 0 for v in values], dtype=np.int64)


def _texts(values: Values, bad: np.ndarray) -> Values:
    """Text as ``parse._text`` reads it ('' for None); a non-string marks its row."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if not kinds <= {str, type(None)}:
        bad |= np.fromiter((not isinstance(v, str | None) for v in values), bool, len(values))
    return ["" if v is None else str(v) for v in values]


def _shared(values: Values) -> list[Any]:
    """The values with every repeat replaced by its first: one object per distinct text.

    Decoded JSON gives each order line its own copy of "pcs" or of a product's name, and
    the bulk booking groups and matches lines by these columns many times over; one
    object per distinct text is hashed once and stays in the CPU's cache.
    """
    first: dict[Any, Any] = {}
    return [first.setdefault(v, v) for v in values]


def _same(values: Any) -> Any:
    return values


def _shared_texts(values: Values, bad: np.ndarray) -> list[Any]:
    """``_texts``, with one object per distinct text (``_shared``)."""
    return _shared(_texts(values, bad))


def _quantity(q: Any) -> tuple[Any, bool]:
    """One quantity as the column holds it, and whether its payment must be read by
    ``parse`` instead (a float, a string, a negative number)."""
    if q is None:
        return 0, False
    if type(q) is Decimal and q.is_finite() and q >= 0:
        return (int(q), False) if q == q.to_integral_value() else (q, False)
    if type(q) is int and q >= 0:
        return q, False
    return 0, True


def _quantities(values: Values, bad: np.ndarray) -> Values:
    """Quantities: int, or Decimal when fractional.

    JSON read with ``parse_float=Decimal`` gives fractional quantities as ``Decimal``;
    each distinct one is judged once (a shop sells a few weights, many times over).
    """
    if set(map(type, values)) <= {int} and (len(values) == 0 or min(values) >= 0):
        return values  # whole pieces only, the usual day: nothing to look at one by one
    quantities = list(values)
    judged: dict[tuple[type, Any], tuple[Any, bool]] = {}
    for i in [i for i, q in enumerate(values) if type(q) is not int or q < 0]:
        q = values[i]
        key = (type(q), q)  # 1 == 1.0 == True == Decimal(1): the type keeps them apart
        outcome = judged.get(key)
        if outcome is None:
            outcome = judged[key] = _quantity(q)
        quantities[i] = outcome[0]
        bad[i] |= outcome[1]  # never clears what another column marked
    return quantities


def _ids(values: Values, bad: np.ndarray) -> Values:
    """Required ids: a non-empty string, else the row is marked."""
    if set(map(type, values)) <= {str} and (len(values) == 0 or min(map(len, values)) > 0):
        return values
    bad |= np.fromiter((not (type(v) is str and v) for v in values), bool, len(values))
    return values


def _flat(lists: list[Any]) -> tuple[list[Any], np.ndarray]:
    """Concatenate per-record lists (None counts as empty); the counts say whose is whose."""
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    return list(chain.from_iterable(lists)), counts


def _inner(data: Mapping[str, Any]) -> Mapping[str, Any]:
    wrapped = data.get("payment")
    if wrapped is None:
        return data
    return wrapped if isinstance(wrapped, Mapping) else data


def _dict_fields(records: list[Any], keys: tuple[str, ...]) -> list[list[Any]]:
    """One list per key of the dicts' values (None where missing), read in one pass."""
    if not records:
        return [[] for _ in keys]
    # One pass over the dicts (each visited once: they lie scattered in memory), then one
    # per key over the fresh tuples.
    try:
        rows = list(map(itemgetter(*keys), records))
    except KeyError:  # some dict lacks a key
        rows = [tuple(map(r.get, keys)) for r in records]
    return [list(map(itemgetter(j), rows)) for j in range(len(keys))]


def _dict_money(records: list[Any], keys: tuple[str, ...], bad: np.ndarray) -> list[np.ndarray]:
    return [_money(values, bad) for values in _dict_fields(records, keys)]


def _struct_fields(records: list[Any], keys: tuple[str, ...]) -> list[list[Any]]:
    """One list per attribute: a struct is small, so a pass per key beats making tuples."""
    return [list(map(attrgetter(key), records)) for key in keys]


def _struct_money(records: list[Any], keys: tuple[str, ...], bad: np.ndarray) -> list[np.ndarray]:
    """``_money`` of each attribute; the structs hold only int or None there, so the usual
    day (no None) is read in one pass straight into int64."""
    n = len(records)
    try:
        flat = chain.from_iterable(map(attrgetter(*keys), records))  # keys: two or more
        table = np.fromiter(flat, np.int64, n * len(keys)).reshape(n, len(keys))
    except TypeError:  # a None among them: the general rule
        return [_money(values, bad) for values in _struct_fields(records, keys)]
    return [np.ascontiguousarray(table[:, j]) for j in range(len(keys))]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _by_value(values: Values, rule: Callable[[Any], Any]) -> list[Any]:
    """``rule`` of each value, worked out once per distinct value (a day has few).

    Only for a rule that gives equal values equal results: ``1``, ``1.0``, ``True`` and
    ``Decimal(1)`` are one dict key, so callers pass text (or check the types first).
    """
    outcome = {v: rule(v) for v in set(values)}
    return list(map(outcome.__getitem__, values))


def _payment_fields(data: Mapping[str, Any]) -> tuple[Any, ...]:
    """The fields of one payment dict that booking reads, all in one visit.

    One visit per payment, not one pass per field: the dicts lie scattered in memory,
    and a pass per nested field measured slower than this function's calls.
    """
    p = _inner(data)
    order = p.get("orderDetails") or _EMPTY
    consumer = p.get("consumer") or _EMPTY
    company = consumer.get("company") or _EMPTY
    return (
        p.get("paymentId"),
        order.get("currency"),
        order.get("reference"),
        (
            (consumer.get("shippingAddress") or _EMPTY).get("country"),
            (consumer.get("billingAddress") or _EMPTY).get("country"),
        ),
        company.get("name"),
        company.get("registrationNumber"),
        p.get("charges") or [],
        p.get("refunds") or [],
    )


_NO_ORDER, _NO_CONSUMER = WireOrder(), WireConsumer()
_NO_COMPANY, _NO_ADDRESS = WireCompany(), WireAddress()


def _wire_payment_fields(data: WirePayment) -> tuple[Any, ...]:
    """``_payment_fields`` of a payment decoded into ``wire`` structs."""
    p = data.inner
    order = p.orderDetails or _NO_ORDER
    consumer = p.consumer or _NO_CONSUMER
    company = consumer.company or _NO_COMPANY
    return (
        p.paymentId,
        order.currency,
        order.reference,
        (
            (consumer.shippingAddress or _NO_ADDRESS).country,
            (consumer.billingAddress or _NO_ADDRESS).country,
        ),
        company.name,
        company.registrationNumber,
        p.charges or [],
        p.refunds or [],
    )


@dataclass(frozen=True)
class _Shape:
    """How to read one kind of record: a dict by key, a ``wire`` struct by attribute."""

    payment_fields: Callable[[Any], tuple[Any, ...]]
    fields: Callable[[list[Any], tuple[str, ...]], list[list[Any]]]
    money: Callable[[list[Any], tuple[str, ...], np.ndarray], list[np.ndarray]]


_DICTS = _Shape(_payment_fields, _dict_fields, _dict_money)
_STRUCTS = _Shape(_wire_payment_fields, _struct_fields, _struct_money)


def _blank_none(values: Values) -> list[str | None]:
    """Text with blanks as None, stripped (as ``parse`` reads company fields)."""

    def rule(v: Any) -> str | None:
        return None if v is None or not str(v).strip() else str(v).strip()

    if set(map(type, values)) <= {str, type(None)}:
        return _by_value(values, rule)
    return list(map(rule, values))


def _record_fields(raws: list[Any], shape: _Shape) -> PaymentFields:
    """The raw fields of payment records (dicts or structs), read a field at a time."""
    n = len(raws)
    (payment_ids, currencies, order_refs, countries, names, numbers, charges, refunds) = (
        (list(column) for column in zip(*map(shape.payment_fields, raws), strict=True))
        if n
        else ([] for _ in range(8))
    )
    charges, n_charges = _flat(charges)
    refunds, n_refunds = _flat(refunds)
    source_bad = np.zeros(len(charges) + len(refunds), bool)
    charge_ids, created, charge_items = shape.fields(charges, CHARGE_TEXT)
    refund_ids, updated, refund_items, states = shape.fields(refunds, REFUND_TEXT)
    amounts, surcharges = (
        np.concatenate(halves)
        for halves in zip(
            shape.money(charges, SOURCE_MONEY, source_bad[: len(charges)]),
            shape.money(refunds, SOURCE_MONEY, source_bad[len(charges) :]),
            strict=True,
        )
    )
    items, n_lines = _flat([s or [] for s in charge_items + refund_items])
    del charges, refunds, charge_items, refund_items
    line_bad = np.zeros(len(items), bool)
    reference, name, quantity, unit = shape.fields(items, LINE_TEXT)
    line_money = shape.money(items, LINE_MONEY, line_bad)
    return PaymentFields(
        payment_ids=payment_ids,
        currencies=currencies,
        order_references=order_refs,
        countries=countries,
        company_names=names,
        company_numbers=numbers,
        n_charges=n_charges,
        n_refunds=n_refunds,
        source_ids=charge_ids + refund_ids,
        whens=created + updated,
        states=[""] * len(charge_ids) + states,
        amounts=amounts,
        surcharges=surcharges,
        source_bad=source_bad,
        n_lines=n_lines,
        references=reference,
        names=name,
        quantities=quantity,
        units=unit,
        line_money=line_money,
        line_bad=line_bad,
    )


def _read_plain_payments(
    keys: list[str], raws: list[Any], shape: _Shape
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Read payment records column by column; the mask marks those to read one by one.

    Raises:
        _Irregular: a record is not shaped like a payment at all (not a dict, say).
    """
    try:
        fields = _record_fields(raws, shape)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        raise _Irregular from exc
    return frames_of_fields(keys, fields)


def frames_of_fields(
    keys: list[str], f: PaymentFields
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The payments, sources and lines frames of one batch's raw fields, and the mask of
    payments that are not plainly well-formed (to be read by ``booking.parse``).

    Raises:
        _Irregular: a field holds something no rule here can judge.
    """
    try:
        n, m = len(f.payment_ids), len(f.source_ids)
        bad = np.zeros(n, bool)
        source_bad = f.source_bad.copy()
        line_bad = f.line_bad.copy()
        countries = (
            f.countries
            if isinstance(f.countries, np.ndarray)
            else _by_value(f.countries, first_country)
        )
        payment_ids = _ids(f.payment_ids, bad)
        order_refs = _texts(f.order_references, bad)
        company_names = _blank_none(f.company_names)
        company_numbers = _blank_none(f.company_numbers)
        owner = np.concatenate(
            [np.repeat(np.arange(n), f.n_charges), np.repeat(np.arange(n), f.n_refunds)]
        )
        n_charge_rows = int(f.n_charges.sum())
        is_refund = np.arange(m) >= n_charge_rows
        source_ids = _ids(f.source_ids, source_bad)
        whens = f.whens if isinstance(f.whens, np.ndarray) else read_times(f.whens, source_bad)
        states = _texts(f.states, source_bad)
        if f.prepared_lines:  # nothing to look at value by value (3 million of each)
            quantities, text = f.quantities, _same
        else:
            quantities = _quantities(f.quantities, line_bad)
            text = partial(_shared_texts, bad=line_bad)
        unit_price, rate, tax, gross, net = f.line_money
        line_cols = {
            "reference": text(f.references),
            "name": text(f.names),
            "quantity": quantities,
            "unit": text(f.units),
            "unit_price": unit_price,
            "tax_rate": rate,
            "tax_amount": tax,
            "gross": gross,
            "net": net,
        }
        currencies = f.currencies
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        raise _Irregular from exc
    # A bad line marks its source, a bad source its payment.
    line_source = np.repeat(np.arange(m), f.n_lines)
    source_bad |= np.bincount(line_source[line_bad], minlength=m) > 0
    bad |= np.bincount(owner[source_bad], minlength=n) > 0
    if not set(map(type, currencies)) <= {str, type(None)}:
        bad |= np.fromiter((not (c is None or isinstance(c, str)) for c in currencies), bool, n)
        currencies = [c if isinstance(c, str) else None for c in currencies]
    payments = _object_frame(
        {
            "key": keys,
            "payment_id": payment_ids,
            "currency": _by_value(currencies, lambda c: c.upper() if c else None),
            "order_reference": order_refs,
            "country": countries,
            "company_name": company_names,
            "company_number": company_numbers,
        }
    )
    sources_frame = _object_frame(
        {
            "payment_row": owner,
            "is_refund": is_refund,
            "source_id": source_ids,
            "amount": f.amounts,
            "surcharge": f.surcharges,
            "completed": ~is_refund
            | np.array(_by_value(states, lambda t: t.casefold() == "completed"), bool),
            "when": whens,
            "n_lines": f.n_lines,
        }
    )
    lines = _object_frame({"source_row": line_source, **line_cols})
    lines["text_code"] = _text_codes(lines) if f.text_codes is None else f.text_codes
    return payments, sources_frame, lines, bad


def _text_codes(lines: pd.DataFrame) -> np.ndarray:
    """Per line, a code that only lines of the same name, quantity and unit share: the
    bulk path makes each distinct row text once (``bulk.prepare_payments``)."""
    columns = (lines[c].to_numpy(dtype=object) for c in ("name", "quantity", "unit"))
    codes: np.ndarray = combined_codes(*(pd.factorize(c)[0] for c in columns))[0]
    return codes


def _object_frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A frame whose list columns stay ``object`` (no pandas 3 string inference pass)."""
    return frame_of_arrays(
        {
            name: np.fromiter(values, object, len(values))
            if isinstance(values, list)
            else np.asarray(values)
            for name, values in columns.items()
        }
    )


def _records_to_frames(
    parsed: list[Payment], keys: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The same frames from records read by ``booking.parse`` (for irregular payments)."""
    payment_rows, source_rows, line_rows = [], [], []
    for row, (key, p) in enumerate(zip(keys, parsed, strict=True)):
        payment_rows.append(
            {
                "key": key,
                "payment_id": p.payment_id,
                "currency": p.currency,
                "order_reference": p.order_reference,
                "country": p.country,
                "company_name": p.company_name,
                "company_number": p.company_number,
            }
        )
        for is_refund, items in ((False, p.charges), (True, p.refunds)):
            for s in items:
                lines = s.lines
                source_rows.append(
                    {
                        "payment_row": row,
                        "is_refund": is_refund,
                        "source_id": getattr(s, "refund_id" if is_refund else "charge_id"),
                        "amount": s.amount,
                        "surcharge": s.surcharge,
                        "completed": getattr(s, "completed", True),
                        "when": getattr(s, "last_updated" if is_refund else "created"),
                        "n_lines": len(lines),
                    }
                )
                for ln in lines:
                    integral = ln.quantity == ln.quantity.to_integral_value()
                    line_rows.append(
                        {
                            "source_row": len(source_rows) - 1,
                            "reference": ln.reference,
                            "name": ln.name,
                            "quantity": int(ln.quantity) if integral else ln.quantity,
                            "unit": ln.unit,
                            "unit_price": ln.unit_price,
                            "tax_rate": ln.tax_rate,
                            "tax_amount": ln.tax_amount,
                            "gross": ln.gross,
                            "net": ln.net,
                        }
                    )
    sources = pd.DataFrame(source_rows, columns=_SOURCE_COLUMNS)
    sources["when"] = _utc_ns(sources["when"])
    lines = pd.DataFrame(line_rows, columns=_LINE_COLUMNS)
    lines["text_code"] = _text_codes(lines)
    return pd.DataFrame(payment_rows, columns=_PAYMENT_COLUMNS), sources, lines


_PAYMENT_COLUMNS = [
    "key", "payment_id", "currency", "order_reference", "country", "company_name",
    "company_number",
]  # fmt: skip
_SOURCE_COLUMNS = [
    "payment_row", "is_refund", "source_id", "amount", "surcharge", "completed", "when",
    "n_lines",
]  # fmt: skip
_LINE_COLUMNS = [
    "source_row", "reference", "name", "quantity", "unit", "unit_price",
    "tax_rate", "tax_amount", "gross", "net",
]  # fmt: skip


def _utc_ns(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values.astype(object), utc=True)
    nanos: np.ndarray = stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return nanos


def _split_plain(
    keys: list[Any], raws: list[Any], reader: Callable[..., Any]
) -> tuple[Any, np.ndarray]:
    """Run ``reader`` on the whole batch; if its shape surprises, find the odd records.

    The odd ones are found by halving: a million records with one odd among them cost
    about two more reads, not a million reads of one record each.
    """
    try:
        return reader(keys, raws), np.zeros(len(raws), bool)
    except _Irregular:
        odd = np.zeros(len(raws), bool)
        _mark_odd(keys, raws, reader, 0, odd)
        ok = np.flatnonzero(~odd)
        return reader([keys[i] for i in ok], [raws[i] for i in ok]), odd


def _mark_odd(
    keys: list[Any], raws: list[Any], reader: Callable[..., Any], at: int, odd: np.ndarray
) -> None:
    """Mark in ``odd`` (from position ``at``) the records ``reader`` cannot read."""
    if len(raws) == 1:
        odd[at] = True
        return
    mid = len(raws) // 2
    for lo, hi in ((0, mid), (mid, len(raws))):
        try:
            reader(keys[lo:hi], raws[lo:hi])
        except _Irregular:
            _mark_odd(keys[lo:hi], raws[lo:hi], reader, at + lo, odd)


def read_payments(payments: Mapping[str, Mapping[str, Any]]) -> PaymentColumns:
    """Read every payment into frames; irregular ones through ``booking.parse``.

    ``StoredPayments`` are read from their text by Arrow (``booking.arrow_read``); what
    it defers is decoded into ``booking.wire`` structs where it fits them, and the rest
    is read as dicts. The frames list the payments in that order of readers.
    """
    counts = dict.fromkeys(READERS, 0)
    read: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
    irregular_keys: list[str] = []

    def take(reader: str, keys: list[str], frames: tuple[Any, ...]) -> None:
        pay, src, lines, bad = frames
        if bad.any():  # usually none: the million keys are not walked
            irregular_keys.extend(k for k, b in zip(keys, bad, strict=True) if b)
            pay, src, lines = _drop_payments(pay, src, lines, bad)
        counts[reader] += len(pay)
        read.append((pay, src, lines))

    typed: dict[str, WirePayment] = {}
    if isinstance(payments, StoredPayments):
        texts = payments.texts
        arrow_texts = parse_payment_texts(list(texts), list(texts.values()))
        fields, deferred = fields_of(arrow_texts), list(arrow_texts.deferred)
        if fields is not None:
            try:
                take("text", arrow_texts.keys, frames_of_fields(arrow_texts.keys, fields))
            except _Irregular:
                deferred += arrow_texts.keys
        for key in deferred:
            decoded = decode_payment(texts[key])
            if decoded is not None:
                typed[key] = decoded
        # What neither Arrow nor the structs read, in input order; usually nothing, and
        # then the million keys are not walked again.
        pending = set(deferred).difference(typed)
        rest = [key for key in payments if key in pending] if pending else []
    else:
        rest = list(payments)
    unreadable: dict[str, ParseError] = {}
    loose: dict[str, Mapping[str, Any]] = {}
    for key in rest:
        try:
            loose[key] = payments[key]
        except ParseError as exc:  # stored text that is not JSON
            unreadable[key] = exc
    for keys, raws, shape, reader in (
        (list(typed), list(typed.values()), _STRUCTS, "structs"),
        (list(loose), list(loose.values()), _DICTS, "dicts"),
    ):
        if not keys and (read or reader == "structs"):
            continue  # an empty frame would make the concatenation's text columns object
        frames, odd = _split_plain(keys, raws, partial(_read_plain_payments, shape=shape))
        take(reader, [k for k, o in zip(keys, odd, strict=True) if not o], frames)
        irregular_keys += [k for k, o in zip(keys, odd, strict=True) if o]
    parsed: list[Payment] = []
    parsed_keys: list[str] = []
    for key in irregular_keys:
        try:
            parsed.append(parse_payment(payments[key]))  # not loose[key]: maybe a struct
            parsed_keys.append(key)
        except ParseError as exc:
            unreadable[key] = exc
    if parsed:
        read.append(_records_to_frames(parsed, parsed_keys))
        counts["one by one"] = len(parsed)
    pay, src, lines = _concat(read)
    return PaymentColumns(pay, src, lines, unreadable, counts)


def _concat(
    read: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Frames of several reads as one, their row references renumbered (one copy)."""
    if len(read) == 1:
        return read[0]
    pays, srcs, lines = [], [], []
    n_pay = n_src = n_texts = 0
    for pay, src, line in read:
        pays.append(pay)
        srcs.append(src.assign(payment_row=src["payment_row"] + n_pay))
        texts = line["text_code"].to_numpy()
        lines.append(line.assign(source_row=line["source_row"] + n_src, text_code=texts + n_texts))
        n_pay, n_src = n_pay + len(pay), n_src + len(src)
        n_texts += int(texts.max(initial=-1)) + 1
    return (
        pd.concat(pays, ignore_index=True),
        pd.concat(srcs, ignore_index=True),
        pd.concat(lines, ignore_index=True),
    )


def _drop_payments(
    pay: pd.DataFrame, src: pd.DataFrame, lines: pd.DataFrame, drop: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    keep_pay = np.flatnonzero(~drop)
    new_pay = np.full(len(pay), -1)
    new_pay[keep_pay] = np.arange(len(keep_pay))
    keep_src = np.flatnonzero(~drop[src["payment_row"].to_numpy()])
    new_src = np.full(len(src), -1)
    new_src[keep_src] = np.arange(len(keep_src))
    src = src.iloc[keep_src].reset_index(drop=True)
    src["payment_row"] = new_pay[src["payment_row"].to_numpy()]
    line_src = lines["source_row"].to_numpy()
    lines = lines.iloc[np.flatnonzero(new_src[line_src] >= 0)].reset_index(drop=True)
    lines["source_row"] = new_src[lines["source_row"].to_numpy()]
    return pay.iloc[keep_pay].reset_index(drop=True), src, lines


def _read_plain_actions(
    keys: list[int], raws: list[Mapping[str, Any]]
) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        per_payout = list(map(_action_fields, raws))
        counts = np.fromiter((len(f[0]) for f in per_payout), np.int64, len(raws))
        (action_ids, payment_ids, kind_texts, stamps, amounts, fees, vats) = (
            per_payout[0] if len(raws) == 1 else _joined_fields(per_payout, len(ACTION_FIELDS))
        )
        del per_payout
        kind_of = {v: _kind_value(v) for v in set(kind_texts)}
        kinds = list(map(kind_of.__getitem__, kind_texts))
        bad_action = np.zeros(len(kinds), bool)
        if None in kind_of.values():
            bad_action |= np.fromiter((k is None for k in kinds), bool, len(kinds))
        if not set(map(type, payment_ids)) <= {str, type(None)}:
            bad_action |= np.fromiter(
                (not (p is None or (type(p) is str)) for p in payment_ids), bool, len(kinds)
            )
        frame = _object_frame(
            {
                "payout_row": np.repeat(np.asarray(keys, dtype=np.int64), counts),
                "action_id": _texts(action_ids, bad_action),
                "payment_key": (
                    [p if p else None for p in payment_ids] if "" in payment_ids else payment_ids
                ),
                "kind": kinds,
                "timestamp": read_times(stamps, bad_action),
                "amount": _money(amounts, bad_action),
                "fee": _money(fees, bad_action),
                "vat": _money(vats, bad_action),
                "has_vat": (
                    np.fromiter((v is not None for v in vats), bool, len(vats))
                    if None in vats
                    else np.ones(len(vats), bool)
                ),
            }
        )
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        raise _Irregular from exc
    owner = np.repeat(np.arange(len(raws)), counts)
    return frame, np.bincount(owner[bad_action], minlength=len(raws)) > 0


def _arrow_action_frames(
    raw: list[Mapping[str, Any]], payment_keys: pa.Array | None
) -> dict[int, pd.DataFrame]:
    """The actions frames of the stored payouts Arrow reads (``booking.arrow_actions``),
    by payout row; the others are left to the structs and dicts."""
    frames: dict[int, pd.DataFrame] = {}
    for row, payout in enumerate(raw):
        text = payout.action_text() if isinstance(payout, StoredPayout) else None
        columns = None if text is None else action_columns(text, payment_keys)
        if columns is not None:  # without keys Arrow can hold, ``_located`` adds them
            n = len(columns["kind"])
            frames[row] = frame_of_arrays({"payout_row": np.full(n, row, np.int64)} | columns)
    return frames


def _arrow_keys(keys: Sequence[str]) -> pa.Array | None:
    """The payments' keys as Arrow text, or None when one is not valid UTF-8 (a lone
    surrogate): then pandas locates them."""
    try:
        return pa.array(keys, pa.string())
    except (pa.ArrowException, UnicodeError):
        return None


def _located(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The frame with ``payment_at`` (see ``PayoutColumns``), if a reader left it out."""
    if "payment_at" in frame:
        return frame
    found = positions(frame["payment_key"].to_numpy(dtype=object), keys)
    return frame.assign(payment_at=found)


def positions(values: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Each value's position among the keys, -1 where it is not one of them."""
    found: np.ndarray = pd.Index(np.asarray(keys, dtype=object), dtype=object).get_indexer(values)
    return found.astype(np.int64)


def _kind_value(text: Any) -> str | None:
    """The ``ActionKind`` value ``parse`` reads from an action's kind, or None."""
    kind = KIND_BY_TEXT.get(str(text or "").strip().casefold())
    return None if kind is None else kind.value


def _action_fields(payout: Mapping[str, Any]) -> list[list[Any]]:
    """A payout's actions, one list per ``ACTION_FIELDS`` name: from the structs of a
    ``StoredPayout`` whose actions fit them, else from the action dicts."""
    structs = payout.wire_actions() if isinstance(payout, StoredPayout) else None
    if structs is not None:
        return _struct_fields(structs, ACTION_FIELDS)
    return _dict_fields(list(payout.get("paymentActions") or []), ACTION_FIELDS)


def _joined_fields(per_record: list[list[list[Any]]], width: int) -> list[list[Any]]:
    """Records' field lists, field by field, one after the other."""
    return [list(chain.from_iterable(f[j] for f in per_record)) for j in range(width)]


def read_payouts(
    payouts: Sequence[Mapping[str, Any]], payment_keys: Sequence[str] = ()
) -> PayoutColumns:
    """Read the payouts: headers as records, actions as one frame, each action's
    payment located among ``payment_keys`` (``payment_at``)."""
    headers: list[Payout] = []
    raw: list[Mapping[str, Any]] = []
    unreadable: list[tuple[Mapping[str, Any], ParseError]] = []
    for data in payouts:
        try:
            head = parse_payout(payout_header(data))
        except ParseError as exc:
            unreadable.append((data, exc))
            continue
        headers.append(head)
        raw.append(data)
    stored = any(isinstance(payout, StoredPayout) for payout in raw)
    by_arrow = _arrow_action_frames(raw, _arrow_keys(payment_keys) if stored else None)
    rest = [row for row in range(len(raw)) if row not in by_arrow]
    (frame, bad), odd = _split_plain(rest, [raw[row] for row in rest], _read_plain_actions)
    odd_rows = [row for row, o in zip(rest, odd, strict=True) if o]
    plain_rows = [row for row, o in zip(rest, odd, strict=True) if not o]
    bad_rows = [plain_rows[i] for i in np.flatnonzero(bad)]
    if len(bad_rows):
        frame = frame[~frame["payout_row"].isin(bad_rows)]
    extra: list[dict[str, Any]] = []
    keep = np.ones(len(raw), bool)
    for row in sorted(odd_rows + bad_rows):
        try:
            payout = parse_payout(raw[row])
        except ParseError as exc:
            unreadable.append((raw[row], exc))
            keep[row] = False
            continue
        extra.extend(
            {
                "payout_row": row,
                "action_id": a.action_id,
                "payment_key": a.payment_id,
                "kind": a.kind.value,
                "timestamp": a.timestamp,
                "amount": a.amount,
                "fee": a.fee,
                "vat": a.vat or 0,
                "has_vat": a.vat is not None,
            }
            for a in payout.actions
        )
    # The readers' frames in payout order; the usual day has Arrow's alone, not copied.
    pieces = [*([frame] if rest or not by_arrow else []), *by_arrow.values()]
    if extra:
        more = pd.DataFrame(extra, columns=list(frame.columns))
        more["timestamp"] = _utc_ns(more["timestamp"])
        pieces.append(more)
    pieces = [_located(piece, payment_keys) for piece in pieces]
    frame = pieces[0]
    if len(pieces) > 1:
        frame = pd.concat(pieces, ignore_index=True)
        frame = frame.sort_values("payout_row", kind="stable", ignore_index=True)
    # Payouts that fail only on their actions are unreadable too: renumber the rest.
    if odd_rows or bad_rows:  # else nothing to renumber: no copy of a million actions
        new_row = np.cumsum(keep) - 1
        frame = frame[keep[frame["payout_row"].to_numpy()]].reset_index(drop=True)
        frame["payout_row"] = new_row[frame["payout_row"].to_numpy()]
    kept = np.flatnonzero(keep)
    return PayoutColumns(
        [headers[i] for i in kept], [raw[i] for i in kept], frame, unreadable, payment_keys
    )
