"""Booking: Nets Easy payouts and payments → Fortnox documents, pure and without I/O.

The pipeline calls ``transform`` with raw Nets dicts and posts ``result.bookings()``
after ``invariants.VALIDATIONS`` found nothing wrong. Nothing here imports ``requests``,
``sqlalchemy`` or ``airflow`` (a test enforces it).

Example:
    >>> result = transform(payouts, payments, settings, already_booked)  # doctest: +SKIP
    >>> result.held, [b.payout_id for b in result.bookings()]            # doctest: +SKIP
"""

from __future__ import annotations

from dibs_fortnox.booking.assemble import TransformWarning
from dibs_fortnox.booking.documents import (
    InvoiceDoc,
    InvoiceRow,
    PaymentDoc,
    PayoutBooking,
    VoucherDoc,
    VoucherRow,
)
from dibs_fortnox.booking.regions import CustomerSpec, Region
from dibs_fortnox.booking.settings import BookingAccounts, BookingSettings
from dibs_fortnox.booking.transform import (
    HeldPayout,
    TransformError,
    TransformResult,
    transform,
)

__all__ = [
    "BookingAccounts",
    "BookingSettings",
    "CustomerSpec",
    "HeldPayout",
    "InvoiceDoc",
    "InvoiceRow",
    "PaymentDoc",
    "PayoutBooking",
    "Region",
    "TransformError",
    "TransformResult",
    "TransformWarning",
    "VoucherDoc",
    "VoucherRow",
    "transform",
]
