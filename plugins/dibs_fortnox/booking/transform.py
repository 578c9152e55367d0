"""Turn a day's Nets payouts and their payments into Fortnox documents, as pandas frames.

``transform`` is pure: raw Nets dicts in, frames and records out, no I/O. A payout is
booked whole or not at all: every check that fails adds a reason, and a payout with any
reason is held (``result.held``), never half-posted. Bad input is reported as
``TransformError`` records, so one run shows every problem at once.

Frames (column contracts in ``booking.frames``; money is int64 öre):

* ``invoices``: one row per invoice and credit invoice, in posting order (``seq``).
* ``invoice_rows``: one row per invoice row, with its document's ``seq``. A credit's rows
  have ``quantity`` -1 (Fortnox credits by negative quantities).
* ``payments``: one row per invoice payment, negative on a credit invoice.
* ``vouchers``: one row per voucher row, ``debit`` or ``credit`` ≥ 0.

Example:
    >>> result = transform([payout_dict], {"p1": payment_dict}, settings)  # doctest: +SKIP
    >>> [b.voucher.description for b in result.bookings()]                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from dibs_fortnox.booking import frames
from dibs_fortnox.booking.bulk import (
    BulkPlan,
    PreparedPayments,
    bulk_rows,
    doc_counts,
    plan_bulk,
    prepare_payments,
)
from dibs_fortnox.booking.columns import (
    PaymentColumns,
    PayoutColumns,
    read_payments,
    read_payouts,
)
from dibs_fortnox.booking.gc_pause import collector_paused
from dibs_fortnox.booking.parse import ParseError, parse_payment, parse_payout
from dibs_fortnox.booking.reference import plan_payout, voucher_records
from dibs_fortnox.booking.result import (
    HeldPayout,
    ParsedPayouts,
    TransformError,
    TransformResult,
    local_day,
)
from dibs_fortnox.booking.rounding import with_vat_and_rounding
from dibs_fortnox.booking.settings import BookingSettings
from dibs_fortnox.booking.wire import StoredPayout, lean_payout
from dibs_fortnox.model import Payment

__all__ = ["HeldPayout", "TransformError", "TransformResult", "local_day", "transform"]


class _Day:
    """The payouts of one transform taken in day order: bulk where clean, else the reference."""

    def __init__(
        self,
        payments: Mapping[str, Mapping[str, Any]],
        pay: PaymentColumns,
        out: PayoutColumns,
        plan: BulkPlan,
        settings: BookingSettings,
        already_booked: frozenset[str],
    ) -> None:
        self.payments, self.pay, self.out, self.plan = payments, pay, out, plan
        self.settings, self.already_booked = settings, already_booked
        self.seq = 0
        self.bulk: dict[int, int] = {}  # payout row -> seq before its first document
        self.reference_claims: set[str] = set()
        self.reference_invoices: list[dict[str, Any]] = []
        self.reference_lines: list[dict[str, Any]] = []
        self.reference_payments: list[dict[str, Any]] = []
        self.vouchers: list[dict[str, Any]] = []
        self.booked: list[Mapping[str, Any]] = []
        self.held: list[HeldPayout] = []
        self._parsed: dict[str, Payment] = {}

    def book_all(self) -> None:
        headers = self.out.headers
        counts = doc_counts(self.plan, len(headers))
        for row in sorted(range(len(headers)), key=lambda i: headers[i].day):
            needs = self.plan.depends_on.get(row, set())
            if self.plan.clean[row] and needs <= self.bulk.keys():
                self.bulk[row] = self.seq
                self.seq += int(counts[row])
                self.vouchers += voucher_records(headers[row], self.settings)
                self.booked.append(self.out.raw[row])
            else:
                self._plan_by_reference(row)

    def _claimed(self) -> frozenset[str]:
        """What the reference planner must treat as booked: earlier payouts' documents."""
        docs = self.plan.docs
        bulk = docs[docs["payout_row"].isin(list(self.bulk))]["source"].to_numpy()
        ids = self.pay.sources["source_id"].to_numpy(dtype=object)[bulk]
        return self.already_booked | self.reference_claims | set(ids)

    def _plan_by_reference(self, row: int) -> None:
        raw = self.out.raw[row]
        payout = parse_payout(lean_payout(raw))
        for action in payout.actions:
            key = action.payment_id
            if key is None or key in self._parsed or key not in self.payments:
                continue
            try:
                self._parsed[key] = parse_payment(self.payments[key])
            except ParseError:
                pass  # reported once as a TransformError; its actions hold the payout
        plan = plan_payout(payout, self._parsed, self.settings, self._claimed(), self.seq)
        if plan.reasons:
            self.held.append(HeldPayout(payout.payout_id, payout.day, "; ".join(plan.reasons)))
            return
        self.seq += len(plan.payments)
        self.reference_claims.update(plan.claims)
        self.reference_invoices += plan.invoices
        self.reference_lines += plan.lines
        self.reference_payments += plan.payments
        self.vouchers += plan.vouchers
        self.booked.append(raw)


def transform(
    payouts: Sequence[Mapping[str, Any]],
    payments: Mapping[str, Mapping[str, Any]],
    settings: BookingSettings,
    already_booked: frozenset[str] = frozenset(),
) -> TransformResult:
    """Book a day's payouts.

    Clean payouts are booked in bulk (``booking.bulk``), the others one by one by
    ``booking.reference``, which holds them with every reason or books an ambiguous
    match; both give the same frames (``tests/booking/test_bulk_equals_reference.py``).

    Args:
        payouts: payout DETAIL dicts (with every ``paymentActions`` entry).
        payments: payment objects by payment id (``GET /v1/payments/{id}``, wrapped or not).
        already_booked: charge and refund ids booked by earlier payouts; they are never
            matched again, and a refund may credit their invoices.
    """
    with collector_paused():
        return _transform(payouts, payments, settings, frozenset(already_booked))


def _transform(
    payouts: Sequence[Mapping[str, Any]],
    payments: Mapping[str, Mapping[str, Any]],
    settings: BookingSettings,
    already_booked: frozenset[str],
) -> TransformResult:
    prepared, out = _read_both(payments, payouts, settings)
    pay = prepared.columns
    unreadable = pay.unreadable
    errors = [  # in the payments' order; usually none, and the keys are not walked
        TransformError("payment", None, key, str(unreadable[key]))
        for key in (payments if unreadable else ())
        if key in unreadable
    ]
    held: list[HeldPayout] = []
    for raw, exc in out.unreadable:
        payout_id = _payout_id(raw)
        errors.append(TransformError("payout", payout_id, None, str(exc)))
        held.append(HeldPayout(payout_id, None, f"payout {payout_id} could not be read: {exc}"))
    plan = plan_bulk(prepared, out, settings, already_booked)
    day = _Day(payments, pay, out, plan, settings, already_booked)
    day.book_all()
    doc_cols, line_cols, payment_cols = bulk_rows(plan, prepared, out, settings, day.bulk)
    invoices = _in_seq_order(_combined(doc_cols, day.reference_invoices, frames.INVOICES))
    lines = _combined(line_cols, day.reference_lines, frames.ROWS_BEFORE_VAT)
    rows, warnings = with_vat_and_rounding(lines, invoices, settings.accounts.rounding)
    payment_frame = _combined(payment_cols, day.reference_payments, frames.PAYMENTS)
    return TransformResult(
        invoices=frames.typed(invoices, frames.INVOICES),
        invoice_rows=rows,
        payments=frames.typed(_in_seq_order(payment_frame), frames.PAYMENTS),
        vouchers=frames.frame_from_records(day.vouchers, frames.VOUCHER_ROWS),
        held=held + day.held,
        errors=errors,
        warnings=warnings,
        payouts=ParsedPayouts(day.booked),
        voucher_series=settings.voucher_series,
    )


def _read_both(
    payments: Mapping[str, Mapping[str, Any]],
    payouts: Sequence[Mapping[str, Any]],
    settings: BookingSettings,
) -> tuple[PreparedPayments, PayoutColumns]:
    """The payments (read and prepared for the bulk path) and the payouts' columns, the
    two cores kept busy throughout.

    The payouts are read on a second thread from the start: Arrow parses the payout's
    text with the interpreter lock released (``booking.arrow_actions``) and locates each
    action's payment among the payments' keys. Meanwhile this thread has Arrow parse the
    payments' texts on both cores, then makes their columns and works out what the bulk
    path needs of them alone (holding the lock). The payout's parse takes one core; it
    fills the moments the payments' parse leaves a core idle (copying each chunk's
    texts, checking what Arrow read). At a million actions, five runs in turn against
    the thread started after the payments' parse: 11.0 to 13.3 s against 11.3 to 14.2 s,
    no difference beyond this machine's noise (BENCHMARKS.md); this order needs no
    separate parse step. The two reads share nothing, and an exception in either
    reaches the caller as it would without the thread.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-payouts") as pool:
        reading_payouts = pool.submit(read_payouts, payouts, list(payments))
        prepared = prepare_payments(read_payments(payments), settings)
        return prepared, reading_payouts.result()


def _payout_id(raw: Mapping[str, Any]) -> str:
    """An unreadable payout's id, as far as its record tells it."""
    try:
        return str(raw.get("id") or "?")
    except ParseError:  # stored text that is not a JSON object: the id it is stored under
        return (raw.key if isinstance(raw, StoredPayout) else None) or "?"


_DTYPES: dict[str, Any] = {
    frames.MONEY: np.int64, frames.INT: np.int64, frames.TEXT: object, frames.DATE: object
}  # fmt: skip


def _in_seq_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The documents in posting order (``seq``): the bulk path and the reference made
    theirs apart, and ``seq`` interleaves them in the payouts' day order."""
    return frame.sort_values("seq", kind="stable").reset_index(drop=True)


def _combined(
    columns: dict[str, Any], records: list[dict[str, Any]], contract: dict[str, str]
) -> pd.DataFrame:
    """Bulk columns and reference records as one frame with the contract's columns."""
    bulk = frames.frame_of_arrays(
        {name: np.asarray(columns[name], dtype=_DTYPES[contract[name]]) for name in contract}
    )
    if not records:
        return bulk
    more = frames.frame_from_records(records, contract)
    return pd.concat([bulk, more], ignore_index=True) if len(bulk) else more
