"""Assemble the booking frames into typed documents, one ``PayoutBooking`` per payout.

The frames are the transform's result and may be stored or inspected in between, so this
step checks their column contracts on entry instead of trusting them.

Example:
    >>> bookings = bookings_from_frames(inv, rows, pay, vou, payouts)  # doctest: +SKIP
    >>> [d.to_payload for d in bookings[0].documents()]           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dibs_fortnox.booking import frames
from dibs_fortnox.booking.documents import (
    InvoiceDoc,
    InvoiceRow,
    PaymentDoc,
    PayoutBooking,
    VoucherDoc,
    VoucherRow,
    voucher_description,
)
from dibs_fortnox.booking.regions import CustomerSpec
from dibs_fortnox.model import Payout


class TransformWarning(NamedTuple):
    """Something booked but worth a look, e.g. a rounding row for Nets' VAT.

    ``external_ref`` is the charge or refund id of the document concerned.
    """

    payout_id: str
    external_ref: str
    message: str

    def __str__(self) -> str:
        return f"payout {self.payout_id}, {self.external_ref}: {self.message}"


Columns = dict[str, list[Any]]


def _columns_by_payout(frame: pd.DataFrame, order: list[str]) -> dict[str, Columns]:
    """The frame sorted by ``order`` within each payout, as one Python list per column,
    by payout id.

    One sort and one conversion per column for the whole frame: filtering and sorting it
    again for every payout made assembling a day of 20,000 payments take most of a
    minute, and making a record per row (``itertuples``) took about 30 % of assembling a
    day of a million actions.
    """
    ordered = frame.sort_values(["payout_id", *order], kind="stable")
    columns = {name: ordered[name].tolist() for name in ordered.columns}
    ids = columns["payout_id"]
    if ids and ids[0] == ids[-1]:  # sorted, so one payout: its lists are the columns
        return {str(ids[0]): columns}
    return {
        str(ids[start]): {name: values[start:end] for name, values in columns.items()}
        for start, end in _runs(ids)
    }


def _runs(values: list[Any]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of equal values."""
    start = 0
    for _, run in groupby(values):
        end = start + sum(1 for _ in run)
        yield start, end
        start = end


class _Rows(NamedTuple):
    """Every invoice row in (``seq``, ``row``) order, one list per column, and each
    document's rows found by its ``seq`` (one search per payout, not per document)."""

    seq: np.ndarray
    columns: Columns

    @classmethod
    def of(cls, rows: pd.DataFrame) -> _Rows:
        ordered = rows.sort_values(["seq", "row"], kind="stable")
        columns = {name: ordered[name].tolist() for name in _ROW_COLUMNS}
        return cls(ordered["seq"].to_numpy(), columns)

    def bounds(self, seqs: list[int]) -> Iterator[tuple[int, int]]:
        """(start, end) of the rows of each document of ``seqs``."""
        wanted = np.asarray(seqs, dtype=np.int64)
        starts = np.searchsorted(self.seq, wanted, side="left").tolist()
        ends = np.searchsorted(self.seq, wanted, side="right").tolist()
        return zip(starts, ends, strict=True)


# What an ``InvoiceRow`` is made of, in its order.
_ROW_COLUMNS = ("account", "quantity", "price", "vat_percent", "description")

# An invoice's customer columns, in the order ``_customer`` reads them.
_CUSTOMER_COLUMNS = (
    "customer", "customer_name", "customer_country", "vat_type", "currency", "customer_kind",
    "vat_number",
)  # fmt: skip


def _customer(c: Columns, at: int, known: dict[tuple[Any, ...], CustomerSpec]) -> CustomerSpec:
    """The invoice's customer; a day has few, and each is made once (it is immutable)."""
    fields = tuple(c[name][at] for name in _CUSTOMER_COLUMNS)
    spec = known.get(fields)
    if spec is None:
        key, name, country, vat_type, currency, kind, vat_number = map(str, fields)
        spec = known[fields] = CustomerSpec(
            key=key,
            name=name,
            country_code=country or None,
            vat_type=vat_type,
            currency=currency,
            kind=kind,
            vat_number=vat_number or None,
        )
    return spec


def _invoice(
    c: Columns,
    at: int,
    rows: Columns,
    start: int,
    end: int,
    notes: dict[str, tuple[str, ...]],
    customers: dict[tuple[Any, ...], CustomerSpec],
) -> InvoiceDoc:
    """The invoice or credit at ``at`` of the payout's columns, its rows ``start:end``."""
    ref = str(c["external_ref"][at])
    account, quantity, price, vat_percent, description = (
        rows[name][start:end] for name in _ROW_COLUMNS
    )
    return InvoiceDoc(
        external_ref=ref,
        payment_id=str(c["payment_id"][at]),
        order_reference=str(c["order_reference"][at]),
        invoice_date=c["invoice_date"][at],
        currency=str(c["currency"][at]),
        customer=_customer(c, at, customers),
        # The contract made the numbers int64, so the lists hold Python ints.
        rows=tuple(map(InvoiceRow, account, quantity, price, vat_percent, map(str, description))),
        amount=c["amount"][at],
        credits=str(c["credits"][at]) if c["kind"][at] == "credit" else None,
        warnings=notes.get(ref, ()),
    )


def bookings_from_frames(
    invoices: pd.DataFrame,
    invoice_rows: pd.DataFrame,
    payments: pd.DataFrame,
    vouchers: pd.DataFrame,
    payouts: Iterable[Payout],
    warnings: Iterable[TransformWarning] = (),
    series: str = "A",
) -> list[PayoutBooking]:
    """Return one booking per payout, in ``payouts`` order.

    A payout whose amounts all net to zero gets a voucher without rows (``series`` names
    its series); Fortnox refuses empty vouchers, so the loader skips posting it.

    Raises:
        FrameContractError: a frame misses a contract column or has a wrong dtype.
    """
    frames.check_columns(invoices, frames.INVOICES, "invoices")
    frames.check_columns(invoice_rows, frames.INVOICE_ROWS, "invoice rows")
    frames.check_columns(payments, frames.PAYMENTS, "payments")
    frames.check_columns(vouchers, frames.VOUCHER_ROWS, "vouchers")
    notes: dict[str, tuple[str, ...]] = {}
    for warning in warnings:
        notes[warning.external_ref] = notes.get(warning.external_ref, ()) + (warning.message,)
    invoice_columns = _columns_by_payout(invoices, ["seq"])
    rows = _Rows.of(invoice_rows)
    payment_columns = _columns_by_payout(payments, ["seq"])
    voucher_columns = _columns_by_payout(vouchers, ["row"])
    customers: dict[tuple[Any, ...], CustomerSpec] = {}
    result = []
    for payout in payouts:
        pid = payout.payout_id
        inv = invoice_columns.get(pid)
        docs = (
            [
                _invoice(inv, at, rows.columns, start, end, notes, customers)
                for at, (start, end) in enumerate(rows.bounds(inv["seq"]))
            ]
            if inv
            else []
        )
        docs.sort(key=lambda d: d.is_credit)  # stable: invoices before credits
        pay = payment_columns.get(pid)
        payment_docs = (
            tuple(
                map(
                    PaymentDoc,
                    map(str, pay["external_ref"]),
                    pay["payment_date"],
                    map(str, pay["currency"]),
                    pay["amount"],
                    map(str, pay["mode_of_payment"]),
                    pay["account"],
                )
            )
            if pay
            else ()
        )
        vou = voucher_columns.get(pid)
        voucher = VoucherDoc(
            payout_id=pid,
            series=str(vou["series"][0]) if vou else series,
            transaction_date=payout.day,
            description=voucher_description(pid),
            rows=tuple(map(VoucherRow, vou["account"], vou["debit"], vou["credit"])) if vou else (),
        )
        result.append(PayoutBooking(payout, tuple(docs), payment_docs, voucher))
    return result
