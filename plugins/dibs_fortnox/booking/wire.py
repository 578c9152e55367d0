"""The Nets payment fields booking reads, as typed records decoded straight from JSON text.

A day's payments reach the transform as the JSON text the state database keeps. Read
into dicts first, a day of a million payment actions is some three million order-line
dicts scattered over gigabytes, and walking them field by field cost more than the whole
rest of the transform. Decoded into these structs instead, only the fields booking
reads are made, each line is one compact object, and the types are checked while
decoding (money must be a JSON integer, text a string), so the column reader
(``booking.columns``) needs no per-value type scans for them.

The structs are strict on purpose: a payment whose text does not fit them (a float
amount, a number where text belongs, a nested field of the wrong kind, text that only
the standard library reads) is kept as a dict and read by the lenient path, whose rules
and error messages stay the only ones. So the two paths can only differ in speed;
``tests/booking/test_wire.py`` holds them to the same frames.

Field names are Nets' own, so one tuple of names serves both paths.

Example:
    >>> decode_payment('{"paymentId": "p1"}').paymentId
    'p1'
    >>> StoredPayments({"p1": '{"paymentId": "p1"}'})["p1"]
    {'paymentId': 'p1'}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np

from dibs_fortnox.booking.gc_pause import collector_paused
from dibs_fortnox.money import loads


class WireLine(msgspec.Struct, gc=False):
    """An order item. The quantity is left as JSON gave it (int, or Decimal when
    fractional): ``columns`` judges it, as the lenient path does."""

    reference: str | None = None
    name: str | None = None
    quantity: Any = None
    unit: str | None = None
    unitPrice: int | None = None
    taxRate: int | None = None
    taxAmount: int | None = None
    grossTotalAmount: int | None = None
    netTotalAmount: int | None = None


class WireCharge(msgspec.Struct, gc=False):
    chargeId: str | None = None
    amount: int | None = None
    surchargeAmount: int | None = None
    created: str | None = None
    orderItems: list[WireLine] | None = None


class WireRefund(msgspec.Struct, gc=False):
    refundId: str | None = None
    amount: int | None = None
    surchargeAmount: int | None = None
    lastUpdated: str | None = None
    orderItems: list[WireLine] | None = None
    state: str | None = None


class WireOrder(msgspec.Struct, gc=False):
    currency: str | None = None
    reference: str | None = None


class WireAddress(msgspec.Struct, gc=False):
    country: str | None = None


class WireCompany(msgspec.Struct, gc=False):
    name: str | None = None
    registrationNumber: str | None = None


class WireConsumer(msgspec.Struct, gc=False):
    shippingAddress: WireAddress | None = None
    billingAddress: WireAddress | None = None
    company: WireCompany | None = None


class WirePayment(msgspec.Struct, gc=False):
    """A payment object, or the API's ``{"payment": {...}}`` wrapper around one."""

    paymentId: str | None = None
    orderDetails: WireOrder | None = None
    consumer: WireConsumer | None = None
    charges: list[WireCharge] | None = None
    refunds: list[WireRefund] | None = None
    payment: WirePayment | None = None

    @property
    def inner(self) -> WirePayment:
        """The payment itself, unwrapped."""
        return self.payment if self.payment is not None else self


# The names the column reader asks for, grouped by how it reads them: money (int, read
# straight into int64) and the rest. The lenient path reads the same keys from dicts;
# ``tests/booking/test_wire.py`` checks that together they are the structs' fields.
SOURCE_MONEY = ("amount", "surchargeAmount")
CHARGE_TEXT = ("chargeId", "created", "orderItems")
REFUND_TEXT = ("refundId", "lastUpdated", "orderItems", "state")
LINE_MONEY = ("unitPrice", "taxRate", "taxAmount", "grossTotalAmount", "netTotalAmount")
LINE_TEXT = ("reference", "name", "quantity", "unit")


@dataclass
class PaymentFields:
    """A batch of payments' fields as read, before booking's rules judge them.

    Whoever reads the payments (``booking.columns`` from dicts or structs,
    ``booking.arrow_read`` from text) fills one of these, and one function
    (``columns.frames_of_fields``) applies the rules, so every reader gives the same
    frames. Lists hold values as the JSON had them (None where missing); money is int64
    (0 where missing), and a ``*_bad`` mask marks a row whose money was not an integer.
    Charges come before refunds in the source lists, their lines likewise.
    """

    payment_ids: list[Any]
    currencies: list[Any]
    order_references: list[Any]
    countries: list[tuple[Any, Any]]  # (shipping, billing) per payment
    company_names: list[Any]
    company_numbers: list[Any]
    n_charges: np.ndarray
    n_refunds: np.ndarray
    source_ids: list[Any]
    whens: list[Any]  # a charge's created, a refund's lastUpdated
    states: list[Any]  # "" for a charge
    amounts: np.ndarray
    surcharges: np.ndarray
    source_bad: np.ndarray
    n_lines: np.ndarray
    references: list[Any]
    names: list[Any]
    quantities: list[Any]
    units: list[Any]
    line_money: list[np.ndarray]  # LINE_MONEY, in that order
    line_bad: np.ndarray
    # The reader gave each distinct line text as one object and quantities as the
    # column holds them (int, Decimal when fractional), judged already.
    prepared_lines: bool = False


_DECODER = msgspec.json.Decoder(WirePayment, float_hook=Decimal)


def decode_payment(text: str | bytes) -> WirePayment | None:
    """The payment as a struct, or None when its text does not fit the strict types."""
    try:
        return _DECODER.decode(text)
    except ValueError:  # msgspec's DecodeError and ValidationError are ValueErrors
        return None


def decode_payouts(texts: list[str | bytes]) -> list[dict[str, Any]]:
    """Payout details from their stored text, as dicts (``booking.parse`` reads their
    header and, for ``bookings()``, every action): a payout may hold a million actions,
    so the collector is paused while they are made (no cycles among them)."""
    with collector_paused():
        return [loads(text) for text in texts]


class StoredPayments(Mapping[str, Mapping[str, Any]]):
    """Payments by id as their stored JSON text.

    The column reader reads ``texts`` itself (``booking.arrow_read``, then these
    structs); as a mapping this gives each payment as the dict ``money.loads`` reads,
    for the lenient path and the one-by-one reference planner, which see few payments.
    """

    def __init__(self, texts: Mapping[str, str | bytes]) -> None:
        self.texts = dict(texts)

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        value: Mapping[str, Any] = loads(self.texts[key])
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.texts  # without decoding it

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)
