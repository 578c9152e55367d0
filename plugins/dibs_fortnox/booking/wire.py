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
    >>> payments = StoredPayments({"p1": '{"paymentId": "p1"}'})
    >>> payments.typed["p1"].paymentId
    'p1'
    >>> payments["p1"]
    {'paymentId': 'p1'}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import msgspec

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
    """Payments by id from their stored JSON text: typed where they fit, dicts on demand.

    As a mapping it gives each payment as the dict ``money.loads`` reads (for the lenient
    path and the one-by-one reference planner, which see few payments); ``typed`` holds
    the structs of those that fit, decoded once here.
    """

    def __init__(self, texts: Mapping[str, str | bytes]) -> None:
        self._texts = dict(texts)
        self.typed: dict[str, WirePayment] = {}
        with collector_paused():  # millions of new objects, no cycles among them
            for key, text in self._texts.items():
                decoded = decode_payment(text)
                if decoded is not None:
                    self.typed[key] = decoded

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        value: Mapping[str, Any] = loads(self._texts[key])
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._texts  # without decoding it

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)
