"""Booking: Nets Easy payouts and payments → Fortnox documents, pure and without I/O.

The pipeline calls ``transform`` with raw Nets dicts and posts ``result.bookings()``
after ``invariants.VALIDATIONS`` found nothing wrong. Nothing here imports ``requests``,
``sqlalchemy`` or ``airflow`` (a test enforces it).

Example:
    >>> result = transform(payouts, payments, settings, already_booked)  # doctest: +SKIP
    >>> result.held, [b.payout_id for b in result.bookings()]            # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

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

# With pyarrow installed (``booking.arrow_read`` reads with it) pandas 3 keeps inferred
# text columns as Arrow strings, which refuse a lone surrogate that a merchant's text may
# carry and the lenient path reads. Booking's frames keep Python strings, as they were.
pd.set_option("mode.string_storage", "python")

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
