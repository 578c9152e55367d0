"""Assemble the booking frames into typed documents, one ``PayoutBooking`` per payout.

The frames are the transform's result and may be stored or inspected in between, so this
step checks their column contracts on entry instead of trusting them.

Example:
    >>> bookings = bookings_from_frames(inv, pay, vou, payouts)   # doctest: +SKIP
    >>> [d.to_payload for d in bookings[0].documents()]           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

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
from dibs_fortnox.booking.regions import customer_spec_for_key
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


def _invoice(group: pd.DataFrame, notes: dict[str, tuple[str, ...]]) -> InvoiceDoc:
    head = group.iloc[0]
    ref = str(head["external_ref"])
    return InvoiceDoc(
        external_ref=ref,
        payment_id=str(head["payment_id"]),
        order_reference=str(head["order_reference"]),
        invoice_date=head["invoice_date"],
        currency=str(head["currency"]),
        customer=customer_spec_for_key(str(head["customer"])),
        rows=tuple(
            InvoiceRow(
                account=int(r.account),
                quantity=int(r.quantity),
                price=int(r.price),
                vat_percent=int(r.vat_percent),
                description=str(r.description),
            )
            for r in group.sort_values("row").itertuples()
        ),
        amount=int(head["amount"]),
        credits=str(head["credits"]) if head["kind"] == "credit" else None,
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
    result = []
    for payout in payouts:
        pid = payout.payout_id
        rows = invoices[invoices["payout_id"] == pid]
        docs = [_invoice(group, notes) for _, group in rows.groupby("seq", sort=True)]
        docs.sort(key=lambda d: d.is_credit)  # stable: invoices before credits
        pays = payments[payments["payout_id"] == pid].sort_values("seq")
        payment_docs = tuple(
            PaymentDoc(
                external_ref=str(p.external_ref),
                payment_date=p.payment_date,
                currency=str(p.currency),
                amount=int(p.amount),
                mode_of_payment=str(p.mode_of_payment),
                account=int(p.account),
            )
            for p in pays.itertuples()
        )
        vrows = vouchers[vouchers["payout_id"] == pid].sort_values("row")
        voucher = VoucherDoc(
            payout_id=pid,
            series=str(vrows["series"].iloc[0]) if len(vrows) else series,
            transaction_date=payout.day,
            description=voucher_description(pid),
            rows=tuple(
                VoucherRow(int(v.account), int(v.debit), int(v.credit)) for v in vrows.itertuples()
            ),
        )
        result.append(PayoutBooking(payout, tuple(docs), payment_docs, voucher))
    return result
