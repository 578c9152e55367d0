"""Turn a day's Nets payouts and their payments into Fortnox documents, as pandas frames.

``transform`` is pure: raw Nets dicts in, frames and records out, no I/O. A payout is
booked whole or not at all: every check that fails adds a reason, and a payout with any
reason is held (``result.held``), never half-posted. Bad input is reported as
``TransformError`` records, so one run shows every problem at once.

Frames (column contracts in ``booking.frames``; money is int64 öre):

* ``invoices``: one row per invoice row of every invoice and credit invoice. A credit's
  rows have ``quantity`` -1 (Fortnox credits by negative quantities).
* ``payments``: one row per invoice payment, negative on a credit invoice.
* ``vouchers``: one row per voucher row, ``debit`` or ``credit`` ≥ 0.

Example:
    >>> result = transform([payout_dict], {"p1": payment_dict}, settings)  # doctest: +SKIP
    >>> [b.voucher.description for b in result.bookings()]                # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from dibs_fortnox.booking.reference import transform_reference
from dibs_fortnox.booking.result import HeldPayout, TransformError, TransformResult, local_day
from dibs_fortnox.booking.settings import BookingSettings

__all__ = ["HeldPayout", "TransformError", "TransformResult", "local_day", "transform"]


def transform(
    payouts: list[dict[str, Any]],
    payments: dict[str, dict[str, Any]],
    settings: BookingSettings,
    already_booked: frozenset[str] = frozenset(),
) -> TransformResult:
    """Book a day's payouts.

    Args:
        payouts: payout DETAIL dicts (with every ``paymentActions`` entry).
        payments: payment objects by payment id (``GET /v1/payments/{id}``, wrapped or not).
        already_booked: charge and refund ids booked by earlier payouts; they are never
            matched again, and a refund may credit their invoices.
    """
    return transform_reference(payouts, payments, settings, already_booked)
