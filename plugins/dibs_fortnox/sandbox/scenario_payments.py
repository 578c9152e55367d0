"""Build one scenario payment at a time: its order, charges, refunds and payout actions.

``PaymentFactory.payment(day)`` returns a Nets ``payment`` object and, as a side effect,
files the payment actions it causes (completed charges and refunds) under the day they
happen, so ``scenario`` can group them into payouts. Times are held as ticks of 0.1 ms
since midnight UTC: Nets writes four fractional digits, and an action's ``timestamp`` must
be the very instant of its charge's ``created`` or refund's ``lastUpdated``. All times fall
between 06:00 and 22:00 UTC, so the UTC date and the Swedish date of an action agree.

Each refund also carries the private ``_requestedAt`` (see ``sandbox.nets``, the as-of
clock): the instant it was asked for, a few hours to two days before its ``lastUpdated``
but never before its charge (for a refund still ``Pending``, its ``lastUpdated`` itself).
It is drawn from a generator of its own, seeded by the scenario's seed and the refund id,
so adding the timeline left every other generated value as it was.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from dibs_fortnox.money import round_half_up_div
from dibs_fortnox.sandbox.clock import REQUESTED_AT
from dibs_fortnox.sandbox.scenario_orders import (
    CATALOGUE,
    FIXED_FEE,
    FLEXIBLE_FEE_BASIS_POINTS,
    SHIPPING,
    JsonDict,
    LineBook,
    hundredths_of,
    is_zero_vat_consumer,
)

if TYPE_CHECKING:
    from dibs_fortnox.sandbox.scenario import ScenarioConfig

TICKS_PER_SECOND = 10000
_HOUR = 3600 * TICKS_PER_SECOND
_DAY = 24 * _HOUR
_EPOCH = date(2000, 1, 1)
_CARDS: tuple[JsonDict, ...] = tuple(
    {
        "paymentType": "CARD",
        "paymentMethod": method,
        "invoiceDetails": {},
        "cardDetails": {"maskedPan": pan, "expiryDate": expiry},
    }
    for method, pan, expiry in (
        ("Visa", "492500******0004", "1228"),
        ("MasterCard", "544400******0007", "0529"),
        ("Visa", "457110******1234", "0827"),
    )
)
_CHECKOUT: JsonDict = {"url": "https://shop.example.com/checkout", "cancelUrl": None}


class ActionSource(NamedTuple):
    """What a payout action really settles (the truth the pipeline must rediscover).

    Attributes:
        kind: ``Charge``, ``Refund`` or ``Deposit``.
        payment_id: the payment; None for a deposit.
        source_id: the ``chargeId`` or ``refundId``; None for a deposit.
    """

    kind: str
    payment_id: str | None
    source_id: str | None


class TimedAction(NamedTuple):
    """A payout action with its instant (ticks since midnight) for ordering in the payout."""

    ticks: int
    action: JsonDict


def hex_id(rng: random.Random) -> str:
    """A Nets-style id: 32 lowercase hex digits."""
    return f"{rng.getrandbits(128):032x}"


def stamp(day: date, ticks: int, offset_hours: int = 0) -> str:
    """Write an instant the Nets way, e.g. ``2026-11-01T14:30:11.2210+01:00``."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    hours, rest = divmod(seconds, 3600)
    hours += offset_hours
    return (
        f"{day.isoformat()}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{fraction:04d}"
        f"+{offset_hours:02d}:00"
    )


def side_rng(seed: int, *parts: str) -> random.Random:
    """A generator of its own for one decision, so it leaves the main draw sequence alone.

    String seeds are hashed with SHA-512 by ``random``, so the result is the same in every
    process (``PYTHONHASHSEED`` plays no part).
    """
    return random.Random("/".join((str(seed), *parts)))


def _absolute(day: date, ticks: int) -> int:
    return (day - _EPOCH).days * _DAY + ticks


def _instant(absolute: int) -> tuple[date, int]:
    days, ticks = divmod(absolute, _DAY)
    return _EPOCH + timedelta(days=days), ticks


def _gross(items: list[JsonDict]) -> int:
    return sum(item["grossTotalAmount"] for item in items)


class PaymentFactory:
    """Makes payments one by one and collects the payout actions they cause.

    Attributes:
        actions: (action day, currency) → the actions settled by that day's payout.
        sources: action id → the charge or refund it settles.
    """

    def __init__(self, rng: random.Random, config: ScenarioConfig, customers: list[JsonDict]):
        self.rng = rng
        self.config = config
        self.customers = customers
        self.lines = LineBook()
        self.actions: dict[tuple[date, str], list[TimedAction]] = {}
        self.sources: dict[str, ActionSource] = {}
        self._order_number = 100000

    # -- the payment ---------------------------------------------------------------------
    def payment(self, day: date) -> JsonDict:
        rng, config = self.rng, self.config
        self._order_number += 1
        reference = str(self._order_number)
        consumer = rng.choice(self.customers)
        currency = self._currency()
        zero_vat = is_zero_vat_consumer(consumer)
        lines, first_part = self._order_lines(currency, zero_vat)
        amount = _gross(lines)
        created = rng.randrange(6 * _HOUR, 18 * _HOUR)
        payment: JsonDict = {
            "paymentId": hex_id(rng),
            "summary": {"reservedAmount": amount},
            "consumer": consumer,
            "paymentDetails": rng.choice(_CARDS),
            "orderDetails": {"amount": amount, "currency": currency, "reference": reference},
            "checkout": _CHECKOUT,
            "created": stamp(day, created),
            "myReference": reference,
        }
        if rng.randrange(100) < config.uncharged_percent:
            if rng.randrange(2):
                payment["summary"]["cancelledAmount"] = amount
            return payment
        split = len(lines) > first_part and rng.randrange(100) < config.partial_charge_percent
        parts = [lines[:first_part], lines[first_part:]] if split else [lines]
        charges: list[tuple[JsonDict, date, int]] = []
        when = (day, created + rng.randrange(60, 3600) * TICKS_PER_SECOND)
        for index, items in enumerate(parts):
            if index:
                when = self._later(*when)
            charge: JsonDict = {
                "chargeId": hex_id(rng),
                "amount": _gross(items),
                "surchargeAmount": 0,
                "created": stamp(*when),
                "orderItems": items,
            }
            charges.append((charge, *when))
            self._action("Charge", payment, charge["chargeId"], when, charge["amount"], items)
        payment["charges"] = [charge for charge, _, _ in charges]
        payment["summary"]["chargedAmount"] = amount
        if rng.randrange(100) < config.refund_percent:
            charge, charge_day, charge_ticks = rng.choice(charges)
            refund = self._refund(
                payment, charge, self._later(charge_day, charge_ticks), (charge_day, charge_ticks)
            )
            payment["refunds"] = [refund]
            if refund["state"] == "Completed":
                payment["summary"]["refundedAmount"] = refund["amount"]
        return payment

    def _currency(self) -> str:
        others = [c for c in self.config.currencies if c != "SEK"]
        if others and self.rng.randrange(4) == 0:
            return self.rng.choice(others)
        return "SEK"

    def _order_lines(self, currency: str, zero_vat: bool) -> tuple[list[JsonDict], int]:
        """Products (the first maybe discounted), then shipping; and the first charge's size.

        A partial charge takes the first line (with its discount, so no charge is negative)
        and the rest goes in the second charge.
        """
        rng = self.rng
        products = rng.sample(CATALOGUE, rng.randrange(1, 5))
        lines = [
            self.lines.product_line(p, rng.choice(p.quantities), currency, zero_vat)
            for p in products
        ]
        first_part = 1
        if rng.randrange(100) < 15:
            first = lines[0]
            lines.insert(1, self.lines.discount_line(first["netTotalAmount"], first["taxRate"]))
            first_part = 2
        if rng.randrange(100) < 70:
            lines.append(self.lines.product_line(SHIPPING, 100, currency, zero_vat))
        return lines, first_part

    def _later(self, day: date, ticks: int) -> tuple[date, int]:
        """A later instant: 1 to 4 days on (capped at the last day), else later that day."""
        later = min(day + timedelta(days=self.rng.randrange(1, 5)), self.config.end)
        if later == day:
            return day, ticks + self.rng.randrange(_HOUR // 2, _HOUR)
        return later, self.rng.randrange(6 * _HOUR, 19 * _HOUR)

    # -- refunds -------------------------------------------------------------------------
    def _refund(
        self, payment: JsonDict, charge: JsonDict, when: tuple[date, int],
        charged: tuple[date, int],
    ) -> JsonDict:  # fmt: skip
        items = self._refund_items(charge["orderItems"])
        if _gross(items) > charge["amount"]:  # lines without their discount: refund all
            items = charge["orderItems"]
        roll = self.rng.randrange(10)
        state = "Pending" if roll == 0 else "Cancelled" if roll == 1 else "Completed"
        refund: JsonDict = {
            "refundId": hex_id(self.rng),
            "amount": _gross(items),
            "surchargeAmount": 0,
            "state": state,
            "lastUpdated": stamp(*when),
            "orderItems": items,
        }
        refund[REQUESTED_AT] = (
            refund["lastUpdated"] if state == "Pending" else self._requested(refund, when, charged)
        )
        if state == "Completed":
            self._action("Refund", payment, refund["refundId"], when, refund["amount"], items)
        return refund

    def _requested(
        self, refund: JsonDict, when: tuple[date, int], charged: tuple[date, int]
    ) -> str:
        """When a refund settled at ``when`` was asked for: 3 to 48 hours before, not before
        its charge (a minute after it at the earliest)."""
        rng = side_rng(self.config.seed, "requested", refund["refundId"])
        done = _absolute(*when)
        earliest = _absolute(*charged) + 60 * TICKS_PER_SECOND
        requested = max(earliest, done - rng.randrange(3 * _HOUR, 48 * _HOUR))
        return stamp(*_instant(requested))

    def _refund_items(self, charged: list[JsonDict]) -> list[JsonDict]:
        """All lines, some whole lines, or fewer units of one line."""
        rng = self.rng
        positive = [item for item in charged if item["netTotalAmount"] > 0]
        how = rng.randrange(3)
        if how == 1 and len(positive) >= 2:
            return rng.sample(positive, rng.randrange(1, len(positive)))
        if how == 2:
            divisible = [i for i in positive if hundredths_of(i) >= 200 or i["unit"] == "kg"]
            if divisible:
                item = rng.choice(divisible)
                quantity = hundredths_of(item)
                fewer = (
                    quantity // 2
                    if item["unit"] == "kg"
                    else 100 * rng.randrange(1, quantity // 100)
                )
                return [
                    self.lines.line(item["reference"], item["name"], item["unit"],
                                    item["unitPrice"], fewer, item["taxRate"])
                ]  # fmt: skip
        return list(charged)

    # -- payout actions ------------------------------------------------------------------
    def _action(
        self, kind: str, payment: JsonDict, source_id: str, when: tuple[date, int], amount: int,
        items: list[JsonDict],
    ) -> None:  # fmt: skip
        rng = self.rng
        currency = payment["orderDetails"]["currency"]
        tax: dict[int, int] = {}
        for item in items:
            tax[item["taxRate"]] = tax.get(item["taxRate"], 0) + item["taxAmount"]
        flexible = 0
        fixed = FIXED_FEE[currency]
        if kind == "Charge":
            flexible = round_half_up_div(amount * FLEXIBLE_FEE_BASIS_POINTS, 10000)
        elif rng.randrange(2):
            fixed = 0  # many refunds carry no fee at all
        details = payment["paymentDetails"]
        action = {
            "id": hex_id(rng),
            "paymentId": payment["paymentId"],
            "paymentAction": kind,
            "paymentMethod": details["paymentMethod"],
            "paymentType": details["paymentType"],
            "timestamp": stamp(*when, offset_hours=rng.randrange(2)),
            "reference": payment["orderDetails"]["reference"],
            "invoiceNumber": None,
            "amount": amount,
            "vatAmount": sum(tax.values()),
            "currency": currency,
            "fee": flexible + fixed,
            "flexibleFee": flexible,
            "fixedFee": fixed,
            "feeVATpercent": 0,
            "feeTaxRate": 0,
            "feeTaxAmount": 0,
            "transactionTaxDetails": [{"rate": r, "amount": a} for r, a in sorted(tax.items())],
            "subscriptionId": None,
        }
        self.actions.setdefault((when[0], currency), []).append(TimedAction(when[1], action))
        self.sources[action["id"]] = ActionSource(kind, payment["paymentId"], source_id)
