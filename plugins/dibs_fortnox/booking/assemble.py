"""Assemble the booking frames into typed documents, one ``PayoutBooking`` per payout.

The frames are the transform's result and may be stored or inspected in between, so this
step checks their column contracts on entry instead of trusting them.

Example:
    >>> bookings = bookings_from_frames(inv, pay, vou, payouts)   # doctest: +SKIP
    >>> [d.to_payload for d in bookings[0].documents()]           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any, NamedTuple

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


def _records_by_payout(frame: pd.DataFrame, order: list[str]) -> dict[str, list[Any]]:
    """The frame's rows as records, sorted by ``order`` and grouped by payout id.

    One pass over the whole frame: filtering and sorting it again for every payout made
    assembling a day of 20,000 payments take most of a minute.
    """
    grouped: dict[str, list[Any]] = {}
    for record in frame.sort_values(["payout_id", *order], kind="stable").itertuples(index=False):
        grouped.setdefault(str(record.payout_id), []).append(record)
    return grouped


def _invoice(rows: list[Any], notes: dict[str, tuple[str, ...]]) -> InvoiceDoc:
    head = rows[0]
    ref = str(head.external_ref)
    return InvoiceDoc(
        external_ref=ref,
        payment_id=str(head.payment_id),
        order_reference=str(head.order_reference),
        invoice_date=head.invoice_date,
        currency=str(head.currency),
        customer=CustomerSpec(
            key=str(head.customer),
            name=str(head.customer_name),
            country_code=str(head.customer_country) or None,
            vat_type=str(head.vat_type),
            currency=str(head.currency),
            kind=str(head.customer_kind),
            vat_number=str(head.vat_number) or None,
        ),
        rows=tuple(
            InvoiceRow(
                account=int(r.account),
                quantity=int(r.quantity),
                price=int(r.price),
                vat_percent=int(r.vat_percent),
                description=str(r.description),
            )
            for r in rows
        ),
        amount=int(head.amount),
        credits=str(head.credits) if head.kind == "credit" else None,
        warnings=notes.get(ref, ()),
    )


def bookings_from_frames(
    invoices: pd.DataFrame,
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
    frames.check_columns(invoices, frames.INVOICE_ROWS, "invoices")
    frames.check_columns(payments, frames.PAYMENTS, "payments")
    frames.check_columns(vouchers, frames.VOUCHER_ROWS, "vouchers")
    notes: dict[str, tuple[str, ...]] = {}
    for warning in warnings:
        notes[warning.external_ref] = notes.get(warning.external_ref, ()) + (warning.message,)
    invoice_rows = _records_by_payout(invoices, ["seq", "row"])
    payment_rows = _records_by_payout(payments, ["seq"])
    voucher_rows = _records_by_payout(vouchers, ["row"])
    result = []
    for payout in payouts:
        pid = payout.payout_id
        docs = [
            _invoice(list(group), notes)
            for _, group in groupby(invoice_rows.get(pid, []), key=lambda r: r.seq)
        ]
        docs.sort(key=lambda d: d.is_credit)  # stable: invoices before credits
        payment_docs = tuple(
            PaymentDoc(
                external_ref=str(p.external_ref),
                payment_date=p.payment_date,
                currency=str(p.currency),
                amount=int(p.amount),
                mode_of_payment=str(p.mode_of_payment),
                account=int(p.account),
            )
            for p in payment_rows.get(pid, [])
        )
        vrows = voucher_rows.get(pid, [])
        voucher = VoucherDoc(
            payout_id=pid,
            series=str(vrows[0].series) if vrows else series,
            transaction_date=payout.day,
            description=voucher_description(pid),
            rows=tuple(VoucherRow(int(v.account), int(v.debit), int(v.credit)) for v in vrows),
        )
        result.append(PayoutBooking(payout, tuple(docs), payment_docs, voucher))
    return result
