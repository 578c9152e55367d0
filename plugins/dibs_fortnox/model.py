"""Frozen records of what Nets Easy reports: payouts, their actions, payments and order lines.

These are the booking step's inputs after lenient parsing (``booking.parse``). Every amount
is an ``int`` of minor units (öre), exactly as Nets sends it; the only ``Decimal`` here is an
order line's quantity, which Nets allows to be fractional (e.g. 1.5 kg). Records are never
mutated: derive a new one with ``dataclasses.replace``.

Example:
    >>> line = OrderLine("TS-1", "Tröja", Decimal("2"), "pcs", 16000, 2500, 8000, 40000, 32000)
    >>> line.tax_percent
    25
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from dibs_fortnox.money import Ore

Account = int
Currency = str


class ActionKind(StrEnum):
    """The kind of a payout's payment action (compared case-insensitively when parsed)."""

    CHARGE = "Charge"
    REFUND = "Refund"
    DEPOSIT = "Deposit"


@dataclass(frozen=True)
class PayoutAction:
    """One payment action settled in a payout (Reporting API ``paymentActions[]``).

    Attributes:
        action_id: Nets' own id of the action. It is NOT the charge or refund id, so it is
            only used in messages, never for matching.
        payment_id: the payment the action belongs to; ``None`` for a deposit.
        kind: charge, refund or deposit.
        timestamp: when the charge was created (a refund: its ``lastUpdated``), tz-aware.
        amount: positive öre for every kind.
        fee: the card fee Nets withheld for this action, positive öre (0 for deposits).
        vat: Nets' ``vatAmount`` of the action; ``None`` when Nets left it out.
    """

    action_id: str
    payment_id: str | None
    kind: ActionKind
    timestamp: datetime | None
    amount: Ore
    fee: Ore
    vat: Ore | None = None


@dataclass(frozen=True)
class Payout:
    """A payout (Reporting API ``GET /report/v1/payouts/{id}``) with all its actions.

    Attributes:
        payout_id: the id, also the reference on the merchant's bank statement.
        day: the payout date (the day a DAG run books).
        currency: ISO 4217 code of every amount below.
        amount: what reached the bank: charged − refunded − fees + deposited.
        charged, refunded, deposited, fees: the header sums in öre (missing keys read as 0).
        actions: every action; ``expected_actions`` says how many Nets announced.
        expected_actions: ``numberOfPaymentActions``; ``None`` when Nets left it out.
    """

    payout_id: str
    day: date
    currency: Currency
    amount: Ore
    charged: Ore
    refunded: Ore
    deposited: Ore
    fees: Ore
    actions: tuple[PayoutAction, ...]
    expected_actions: int | None = None


@dataclass(frozen=True)
class OrderLine:
    """One order item of a charge or refund, amounts for the whole line.

    Attributes:
        reference: the merchant's SKU ('' when missing).
        name: the item name shown on the invoice row.
        quantity: may be fractional, never negative.
        unit: e.g. 'pcs' or 'kg' ('' when missing).
        unit_price: net price per unit in öre (negative for a discount line).
        tax_rate: percent × 100 as Nets sends it (2500 = 25 %).
        tax_amount: Nets' own VAT for the line; Nets does not validate it, so it is checked.
        gross: ``grossTotalAmount`` (net + tax).
        net: ``netTotalAmount`` (unit price × quantity).
    """

    reference: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Ore
    tax_rate: int
    tax_amount: Ore
    gross: Ore
    net: Ore

    @property
    def tax_percent(self) -> int | None:
        """The VAT percentage, or ``None`` when the rate is not a whole percent."""
        whole, rest = divmod(self.tax_rate, 100)
        return None if rest else whole


@dataclass(frozen=True)
class Charge:
    """A charge (capture) of a payment: becomes one customer invoice and its payment."""

    charge_id: str
    amount: Ore
    surcharge: Ore
    created: datetime | None
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class Refund:
    """A refund of a payment; only ``Completed`` refunds are booked (as credit invoices).

    Attributes:
        state: 'Pending', 'Cancelled', 'Failed', 'Completed' or 'Expired' as Nets sends it.
        last_updated: the completion time for a completed refund (refunds have no ``created``).
    """

    refund_id: str
    amount: Ore
    surcharge: Ore
    state: str
    last_updated: datetime | None
    lines: tuple[OrderLine, ...]

    @property
    def completed(self) -> bool:
        return self.state.casefold() == "completed"


@dataclass(frozen=True)
class Payment:
    """A payment (``GET /v1/payments/{id}`` → ``payment``), reduced to what booking needs.

    Attributes:
        currency: ``orderDetails.currency``; ``None`` when missing.
        order_reference: the shop's order number ('' when missing).
        country: ISO alpha-3 of the shipping address, falling back to the billing address;
            ``None`` when neither has one (such a payment cannot be given a sales account).
        company_name: ``consumer.company.name``; ``None`` for a private person.
        company_number: ``consumer.company.registrationNumber`` as sent (a VAT number or an
            organisation number); ``None`` when missing.
    """

    payment_id: str
    currency: Currency | None
    order_reference: str
    country: str | None
    charges: tuple[Charge, ...]
    refunds: tuple[Refund, ...]
    company_name: str | None = None
    company_number: str | None = None
