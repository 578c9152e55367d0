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

Payouts are kept as their text too (``StoredPayout``): split into top-level fields,
with the actions read as structs of the fields booking reads.

Example:
    >>> decode_payment('{"paymentId": "p1"}').paymentId
    'p1'
    >>> StoredPayout('{"id": "o1", "paymentActions": [{"amount": 100}]}').wire_actions()[0].amount
    100
    >>> StoredPayments({"p1": '{"paymentId": "p1"}'})["p1"]
    {'paymentId': 'p1'}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import msgspec
import numpy as np

from dibs_fortnox.booking.gc_pause import collector_paused
from dibs_fortnox.booking.parse import ParseError
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


class WireAction(msgspec.Struct, gc=False):
    """A payout's payment action, the fields booking reads (``ACTION_FIELDS``)."""

    id: str | None = None
    paymentId: str | None = None
    paymentAction: str | None = None
    timestamp: str | None = None
    amount: int | None = None
    fee: int | None = None
    vatAmount: int | None = None


class WireActionPayment(msgspec.Struct, gc=False):
    """Only the payment an action names: what the extract needs to find the payments."""

    paymentId: str | None = None


# The names the column reader asks for, grouped by how it reads them: money (int, read
# straight into int64) and the rest. The lenient path reads the same keys from dicts;
# ``tests/booking/test_wire.py`` checks that together they are the structs' fields.
SOURCE_MONEY = ("amount", "surchargeAmount")
CHARGE_TEXT = ("chargeId", "created", "orderItems")
REFUND_TEXT = ("refundId", "lastUpdated", "orderItems", "state")
LINE_MONEY = ("unitPrice", "taxRate", "taxAmount", "grossTotalAmount", "netTotalAmount")
LINE_TEXT = ("reference", "name", "quantity", "unit")
ACTION_FIELDS = ("id", "paymentId", "paymentAction", "timestamp", "amount", "fee", "vatAmount")


# A column of values as read: a list, or an object array (from Arrow, without the list).
Values = list[Any] | np.ndarray


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

    payment_ids: Values
    currencies: Values
    order_references: Values
    # (shipping, billing) per payment; or, from a reader that judged them already, each
    # payment's ``countries.first_country`` of the two.
    countries: list[tuple[Any, Any]] | np.ndarray
    company_names: Values
    company_numbers: Values
    n_charges: np.ndarray
    n_refunds: np.ndarray
    source_ids: Values
    # A charge's created, a refund's lastUpdated; or, from a reader that judged them
    # already (``instants.plain_times``), their UTC nanoseconds.
    whens: Values
    states: list[Any]  # "" for a charge
    amounts: np.ndarray
    surcharges: np.ndarray
    source_bad: np.ndarray
    n_lines: np.ndarray
    references: Values
    names: Values
    quantities: Values
    units: Values
    line_money: list[np.ndarray]  # LINE_MONEY, in that order
    line_bad: np.ndarray
    # The reader gave the line texts as strings ('' where missing), each distinct one
    # as one object, and quantities as the column holds them (int, Decimal when
    # fractional), judged already.
    prepared_lines: bool = False
    # Per line, a code that only lines of the same name, quantity and unit share, from
    # a reader that has one at hand; ``columns`` numbers the others' lines itself.
    text_codes: np.ndarray | None = None


_DECODER = msgspec.json.Decoder(WirePayment, float_hook=Decimal)


def decode_payment(text: str | bytes) -> WirePayment | None:
    """The payment as a struct, or None when its text does not fit the strict types."""
    try:
        return _DECODER.decode(text)
    except ValueError:  # msgspec's DecodeError and ValidationError are ValueErrors
        return None


_TOP_LEVEL = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ACTIONS = msgspec.json.Decoder(list[WireAction])
_ACTION_PAYMENTS = msgspec.json.Decoder(list[WireActionPayment])


class StoredPayout(Mapping[str, Any]):
    """A payout detail as its stored JSON text, decoded a field at a time.

    A payout may hold a million payment actions: as dicts they took seconds to make and
    gigabytes to keep, while booking reads seven fields of each. So the text is split
    into its top-level fields once (each kept as its raw JSON), the header fields are
    decoded as they are asked for, and the actions are read either as ``WireAction``
    structs (``wire_actions``, for the column reader) or, for the lenient path, as the
    dicts ``money.loads`` makes (``self["paymentActions"]``, kept once made). Text that
    msgspec cannot split is decoded whole by ``money.loads``: as a mapping this is always
    the dict ``money.loads`` makes of the text.
    """

    def __init__(self, text: str | bytes, key: str | None = None) -> None:
        self.text = text
        self.key = key  # the id it is stored under, for an error about text that is not JSON
        try:
            self._parts: dict[str, msgspec.Raw] | None = _TOP_LEVEL.decode(text)
        except ValueError:  # not an object, or text only the standard library reads
            self._parts = None
        self._values: dict[str, Any] = {}

    @cached_property
    def _whole(self) -> Mapping[str, Any]:
        try:
            whole = loads(self.text)
        except ValueError as exc:
            raise self._not_an_object(str(exc)) from exc
        if not isinstance(whole, Mapping):
            raise self._not_an_object(f"it is a {type(whole).__name__}")
        return whole

    def _not_an_object(self, why: str) -> ParseError:
        return ParseError(
            f"payout {self.key or '?'}: its stored text is not a JSON object ({why}); run "
            "the day's extract again to fetch it anew"
        )

    def __getitem__(self, key: str) -> Any:
        if self._parts is None:
            return self._whole[key]
        if key not in self._values:
            self._values[key] = loads(self._parts[key])
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in (self._whole if self._parts is None else self._parts)  # not decoded

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole if self._parts is None else self._parts)

    def __len__(self) -> int:
        return len(self._whole if self._parts is None else self._parts)

    def _strict(self, decoder: msgspec.json.Decoder[Any]) -> list[Any] | None:
        raw = None if self._parts is None else self._parts.get("paymentActions")
        if raw is None:
            return None
        try:
            decoded: list[Any] = decoder.decode(raw)
        except ValueError:  # a field of another type: the lenient path judges it
            return None
        return decoded

    def action_text(self) -> str | bytes | None:
        """The whole text, when its top level splits and holds ``paymentActions``: what
        ``booking.arrow_actions`` may read the actions from."""
        if self._parts is None or "paymentActions" not in self._parts:
            return None
        return self.text

    def wire_actions(self) -> list[WireAction] | None:
        """The actions as structs (made anew each call, not kept), or None when they do
        not fit the strict types (or are missing): then read ``self["paymentActions"]``."""
        with collector_paused():
            return self._strict(_ACTIONS)

    def with_wire_actions(self) -> dict[str, Any] | None:
        """The payout as a dict whose actions hold only the fields booking reads, made
        from the structs: what ``booking.parse`` needs, at a fraction of the dicts of the
        whole text (at a million actions 0.6 GB against 1.6 GB, and seconds sooner).
        None when the actions do not fit the structs."""
        actions = self.wire_actions()
        if actions is None:
            return None
        return payout_header(self) | {
            "paymentActions": [msgspec.structs.asdict(a) for a in actions]
        }

    def action_payment_ids(self) -> list[str | None] | None:
        """Each action's ``paymentId`` as the strict types read it, or None as above."""
        actions = self._strict(_ACTION_PAYMENTS)
        return None if actions is None else [a.paymentId for a in actions]

    def payment_ids(self) -> list[str | None]:
        """The payments the actions name (``str`` of an id that is not text, None for
        none); none at all when the payout cannot be read (the transform holds it)."""
        strict = self.action_payment_ids()
        if strict is not None:
            return strict
        try:
            actions = self.get("paymentActions") or []
        except ParseError:
            return []
        if not isinstance(actions, list):
            return []
        return [
            str(a["paymentId"]) if isinstance(a, Mapping) and a.get("paymentId") else None
            for a in actions
        ]


def payout_header(payout: Mapping[str, Any]) -> dict[str, Any]:
    """The payout without its actions (a ``StoredPayout`` leaves them undecoded)."""
    return {key: payout[key] for key in payout if key != "paymentActions"} | {"paymentActions": []}


def lean_payout(payout: Mapping[str, Any]) -> Mapping[str, Any]:
    """What ``booking.parse.parse_payout`` should read: a stored payout's header with only
    the action fields booking reads, where the actions fit the structs; else the payout."""
    lean = payout.with_wire_actions() if isinstance(payout, StoredPayout) else None
    return payout if lean is None else lean


class StoredPayments(Mapping[str, Mapping[str, Any]]):
    """Payments by id as their stored JSON text.

    The column reader reads ``texts`` itself (``booking.arrow_read``, then these
    structs); as a mapping this gives each payment as the dict ``money.loads`` reads,
    for the lenient path and the one-by-one reference planner, which see few payments.
    """

    def __init__(self, texts: Mapping[str, str | bytes]) -> None:
        self.texts = dict(texts)

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        text = self.texts[key]
        try:
            value: Mapping[str, Any] = loads(text)
        except ValueError as exc:
            raise ParseError(
                f"payment {key}: its stored text is not JSON ({exc}); run the day's extract "
                "again to fetch it anew"
            ) from exc
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.texts  # without decoding it

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)
