"""Column contracts of the booking frames, and the check that enforces them on entry.

Money columns are ``int64`` minor units; a float there would mean öre were lost somewhere
upstream, so the check refuses it with a message naming the frame, column and dtype.
The frames' meaning is documented where they are built (``booking.transform``).

Example:
    >>> frame = pd.DataFrame({"amount": [1.5]})
    >>> check_columns(frame, {"amount": MONEY}, "payments")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    FrameContractError: payments: expected column 'amount' (int64, minor units), got float64
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MONEY = "int64, minor units"
INT = "int64"
TEXT = "text"
DATE = "date"

INVOICES: dict[str, str] = {  # one row per invoice or credit invoice
    "payout_id": TEXT,
    "seq": INT,  # posting order of the document within the run
    "external_ref": TEXT,  # charge id (invoice) or refund id (credit)
    "kind": TEXT,  # "invoice" or "credit"
    "payment_id": TEXT,
    "credits": TEXT,  # charge id credited by a credit invoice, "" on an invoice
    "order_reference": TEXT,
    "customer": TEXT,  # customer key, e.g. "SE-SEK", "EU-DE-SEK", "VAT-DE123456789-SEK"
    "customer_name": TEXT,
    "customer_country": TEXT,  # ISO alpha-2, "" when unknown
    "customer_kind": TEXT,  # PRIVATE or COMPANY
    "vat_type": TEXT,  # SEVAT, EUVAT, EUREVERSEDVAT or EXPORT
    "vat_number": TEXT,  # the company's VAT number, "" for a private person
    "invoice_date": DATE,
    "currency": TEXT,
    "amount": MONEY,  # Nets' amount of the whole document (negative on a credit)
}

# One row per invoice row; ``seq`` names its document in ``INVOICES``. A document's
# columns are not repeated onto its rows: at a million documents that was 16 more
# columns of three million values to make, sort and read back.
INVOICE_ROWS: dict[str, str] = {
    "seq": INT,
    "row": INT,  # 1, 2, ... within the document
    "account": INT,
    "quantity": INT,  # 1, or -1 on a credit invoice
    "price": MONEY,  # line net total; the row's net is quantity × price
    "vat_percent": INT,
    "vat": MONEY,  # Fortnox's VAT of the row: round_half_up(net × vat_percent / 100)
    "description": TEXT,
}

# Invoice rows as booked, before ``rounding`` works out Fortnox's VAT: with Nets' gross
# of each row (signed like the row) instead.
ROWS_BEFORE_VAT: dict[str, str] = {
    **{name: kind for name, kind in INVOICE_ROWS.items() if name != "vat"},
    "gross": MONEY,
}

PAYMENTS: dict[str, str] = {
    "payout_id": TEXT,
    "seq": INT,
    "external_ref": TEXT,  # the charge or refund id, equal to the paid document's
    "kind": TEXT,
    "payment_date": DATE,
    "currency": TEXT,
    "amount": MONEY,  # negative for a refund
    "mode_of_payment": TEXT,
    "account": INT,
}

VOUCHER_ROWS: dict[str, str] = {
    "payout_id": TEXT,
    "series": TEXT,
    "transaction_date": DATE,
    "description": TEXT,
    "row": INT,
    "account": INT,
    "debit": MONEY,
    "credit": MONEY,
}


class FrameContractError(TypeError):
    """A frame lacks a column of its contract or has the wrong dtype."""


def _fits(series: pd.Series, kind: str) -> bool:
    dtype = series.dtype
    if kind in (MONEY, INT):
        return str(dtype) == "int64"
    if kind == TEXT:
        return bool(pd.api.types.is_string_dtype(dtype) or str(dtype) == "object")
    return str(dtype) == "object"  # dates stay datetime.date objects


def check_columns(frame: pd.DataFrame, contract: Mapping[str, str], name: str) -> None:
    """Raise ``FrameContractError`` unless every contract column exists with its dtype."""
    for column, kind in contract.items():
        if column not in frame.columns:
            raise FrameContractError(f"{name}: expected column '{column}' ({kind}), missing")
        if not _fits(frame[column], kind):
            raise FrameContractError(
                f"{name}: expected column '{column}' ({kind}), got {frame[column].dtype}"
            )


def frame_from_records(
    records: list[dict[str, object]], contract: Mapping[str, str]
) -> pd.DataFrame:
    """Build a frame with exactly the contract's columns, typed even when empty."""
    frame = pd.DataFrame.from_records(records, columns=list(contract))
    return typed(frame, contract)


def typed(frame: pd.DataFrame, contract: Mapping[str, str]) -> pd.DataFrame:
    """The contract's columns in its order: int64 for numbers, ``object`` for text and dates.

    Text stays ``object`` rather than pandas 3's inferred ``str``: inferring it checks
    every string again, a second or more for a day of millions of invoice rows.
    """
    columns = {}
    for column, kind in contract.items():
        values = frame[column]
        if kind in (MONEY, INT):
            columns[column] = values.astype("int64")
        else:
            columns[column] = values.astype(object)
    return pd.DataFrame(columns, copy=False)


def frame_of_arrays(columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """A frame holding the arrays as they are, each keeping its dtype.

    Handed plain arrays, pandas copies nothing with ``copy=False`` but still looks
    through every object column for dates to infer (about 11 ms per million rows and
    column: 0.35 s for the invoice rows of a million-action day). A Series given its
    dtype is taken as it is.
    """
    series: dict[str, Any] = {
        name: pd.Series(values, dtype=values.dtype, copy=False) for name, values in columns.items()
    }
    return pd.DataFrame(series, copy=False)
