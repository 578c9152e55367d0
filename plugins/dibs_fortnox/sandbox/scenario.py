"""A deterministic Nets Easy merchant history (payments and payouts) generated from a seed.

The demo and the end-to-end tests need realistic data whose correct bookkeeping is known
to the öre: several VAT rates, customers in Sweden, the EU and outside it, discounts,
fractional quantities, partial charges, full and partial refunds (some ``Pending`` or
``Cancelled``, which never reach a payout), card fees and the merchant's own deposits.
``generate`` builds all of it from a ``ScenarioConfig``; the same seed gives the same
bytes, another seed a different history. ``scenario_expected.expected_trial_balance``
then says what Fortnox must show once the payouts are booked.

Conventions follow docs/architecture.md "Sandbox conventions / Nets": an action's ``id``
is its own (not the charge or refund id), its ``timestamp`` is the charge's ``created`` or
the refund's ``lastUpdated`` (sometimes written with a +01:00 offset instead of +00:00),
deposits have ``paymentId`` null and ``fee`` 0, and a payout's
``amount = chargedAmount − refundedAmount − fees + depositedAmount``.

Data changes over time (``NetsApp.set_now``, the as-of clock): refunds carry the private
``_requestedAt`` (when they turned ``Pending``), and a *late* payout the private
``_publishedAt`` (the next day at 12:00 Stockholm instead of its own date's 00:00). Which
payouts are late is ``ScenarioConfig.late_payout_percent`` (0 by default) or
``Scenario.mark_payout_late`` by hand. A late payout keeps its ``date``, so what is booked
for a payout day (``scenario_expected``) does not change. The timeline comes from
generators of its own seeded by the seed and the object's id, so the rest of the history
is byte for byte what it was before the timeline existed.

Example:
    >>> scenario = generate(ScenarioConfig(seed=7, days=2, payments_per_day=3))
    >>> len(scenario.payments)
    6
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dibs_fortnox.sandbox.clock import PUBLISHED_AT, late_publish_instant, to_utc
from dibs_fortnox.sandbox.scenario_orders import JsonDict, build_customers
from dibs_fortnox.sandbox.scenario_payments import (
    ActionSource,
    PaymentFactory,
    TimedAction,
    hex_id,
    side_rng,
)

__all__ = ["ActionSource", "Scenario", "ScenarioConfig", "generate"]

SUPPORTED_CURRENCIES = ("SEK", "EUR", "NOK", "DKK")
_SCHEDULED_DEPOSIT = 100000  # 1 000.00 in the payout's currency
_DEPOSIT_STEP = 10000  # a covering deposit is rounded up to whole 100.00


@dataclass(frozen=True)
class ScenarioConfig:
    """What to generate.

    Attributes:
        seed: everything random derives from it.
        start: the first day with payments.
        days: number of days with payments (payouts run ``payout_delay_days`` longer).
        payments_per_day: payments created per day.
        currencies: currencies to draw payments from; SEK is always the most common.
        payout_delay_days: days between an action and the payout that settles it.
        deposit_every_days: 0 means deposits only when a payout would be negative; N adds a
            1 000.00 deposit to the SEK payout of every N-th day's actions.
        refund_percent: share of charged payments that get a refund (any state).
        partial_charge_percent: share of multi-line orders charged in two charges.
        uncharged_percent: share of payments reserved but never charged (never paid out).
        customers: size of the customer pool.
        late_payout_percent: share of payouts published late (the next day at 12:00
            Stockholm), so the run of their own day does not see them yet.
    """

    seed: int = 0
    start: date = date(2026, 11, 1)
    days: int = 14
    payments_per_day: int = 6
    currencies: tuple[str, ...] = ("SEK",)
    payout_delay_days: int = 2
    deposit_every_days: int = 0
    refund_percent: int = 15
    partial_charge_percent: int = 12
    uncharged_percent: int = 3
    customers: int = 200
    late_payout_percent: int = 0

    def __post_init__(self) -> None:
        if self.days < 1 or self.payments_per_day < 0 or self.payout_delay_days < 0:
            raise ValueError("days must be ≥ 1, payments_per_day and payout_delay_days ≥ 0")
        if not self.currencies or "SEK" not in self.currencies:
            raise ValueError("currencies must include SEK")
        unknown = set(self.currencies) - set(SUPPORTED_CURRENCIES)
        if unknown:
            raise ValueError(
                f"unsupported currencies {sorted(unknown)}; use {SUPPORTED_CURRENCIES}"
            )
        for name in (
            "refund_percent", "partial_charge_percent", "uncharged_percent", "late_payout_percent",
        ):  # fmt: skip
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"{name} must be between 0 and 100")
        if self.deposit_every_days < 0 or self.customers < 1:
            raise ValueError("deposit_every_days must be ≥ 0 and customers ≥ 1")

    @property
    def end(self) -> date:
        """The last day with payments."""
        return self.start + timedelta(days=self.days - 1)


@dataclass
class Scenario:
    """A generated merchant history.

    Attributes:
        secret_key: the merchant's ``live-secret-key-…``.
        payments: ``GET /v1/payments/{id}`` ``payment`` objects (read-only; dicts are shared).
        payouts: payout details including ``paymentActions``, sorted by date and currency.
        action_sources: payout action id → what it settles.
        config: how it was generated; None for a hand-built scenario.
    """

    secret_key: str
    payments: list[JsonDict]
    payouts: list[JsonDict]
    action_sources: dict[str, ActionSource]
    config: ScenarioConfig | None = None
    _by_id: dict[str, JsonDict] = field(default_factory=dict, repr=False)

    def payout_days(self) -> list[date]:
        """Sorted dates that have at least one payout."""
        return sorted({date.fromisoformat(p["date"]) for p in self.payouts})

    def payment(self, payment_id: str) -> JsonDict:
        """The payment object with this id (raises KeyError when unknown)."""
        if len(self._by_id) != len(self.payments):
            self._by_id = {p["paymentId"]: p for p in self.payments}
        return self._by_id[payment_id]

    def mark_payout_late(self, payout_id: str, published_at: datetime | None = None) -> JsonDict:
        """Publish this payout late: at ``published_at``, by default its next day 12:00.

        It keeps its ``date`` (it still books that day); only when the Reporting API shows
        it changes. The payout dict is changed in place, so an emulator already serving the
        scenario sees it at once.

        Returns:
            The payout.

        Raises:
            KeyError: no payout has this id.
            ValueError: ``published_at`` is naive.
        """
        payout = next((p for p in self.payouts if p["id"] == payout_id), None)
        if payout is None:
            raise KeyError(f"no payout {payout_id}")
        when = published_at or late_publish_instant(date.fromisoformat(payout["date"]))
        payout[PUBLISHED_AT] = to_utc(when).isoformat()
        return payout


def generate(config: ScenarioConfig) -> Scenario:
    """Build the scenario for ``config`` (same config, same output)."""
    rng = random.Random(config.seed)
    secret_key = "live-secret-key-" + hex_id(rng)
    factory = PaymentFactory(rng, config, build_customers(rng, config.customers))
    payments: list[JsonDict] = []
    for day_index in range(config.days):
        day = config.start + timedelta(days=day_index)
        for _ in range(config.payments_per_day):
            payments.append(factory.payment(day))
    payouts = _build_payouts(rng, config, factory.actions, factory.sources)
    return Scenario(secret_key, payments, payouts, factory.sources, config)


def _build_payouts(
    rng: random.Random,
    config: ScenarioConfig,
    actions: dict[tuple[date, str], list[TimedAction]],
    sources: dict[str, ActionSource],
) -> list[JsonDict]:
    """One payout per currency per action day, ``payout_delay_days`` later."""
    delay = timedelta(days=config.payout_delay_days)
    keys = set(actions)
    if config.deposit_every_days:
        every = config.deposit_every_days
        for day_index in range(every - 1, config.days, every):
            keys.add((config.start + timedelta(days=day_index), "SEK"))
    payouts: list[JsonDict] = []
    for action_day, currency in sorted(keys):
        timed = sorted(actions.get((action_day, currency), []), key=lambda t: t.ticks)
        entries = [t.action for t in timed]
        payout = _payout(rng, config, action_day, currency, entries)
        payout["date"] = (action_day + delay).isoformat()
        if payout["depositedAmount"]:
            sources[entries[-1]["id"]] = ActionSource("Deposit", None, None)
        late = config.late_payout_percent
        if late and side_rng(config.seed, "late", payout["id"]).randrange(100) < late:
            payout[PUBLISHED_AT] = late_publish_instant(action_day + delay).isoformat()
        payouts.append(payout)
    return payouts


def _deposit_needed(config: ScenarioConfig, action_day: date, currency: str, net: int) -> int:
    """The merchant's deposit: covers a negative balance, or the scheduled top-up."""
    needed = 0
    if net < 0:
        needed = -(net // _DEPOSIT_STEP) * _DEPOSIT_STEP  # round the shortfall up
    every = config.deposit_every_days
    if every and currency == "SEK" and ((action_day - config.start).days + 1) % every == 0:
        needed = max(needed, _SCHEDULED_DEPOSIT)
    return needed


def _payout(
    rng: random.Random, config: ScenarioConfig, action_day: date, currency: str,
    entries: list[JsonDict],
) -> JsonDict:  # fmt: skip
    charged = refunded = fees = 0
    charges = refunds = 0
    tax: dict[int, int] = {}
    for action in entries:
        sign = 1
        if action["paymentAction"] == "Charge":
            charged += action["amount"]
            charges += 1
        else:
            refunded += action["amount"]
            refunds += 1
            sign = -1
        fees += action["fee"]
        for detail in action["transactionTaxDetails"]:
            tax[detail["rate"]] = tax.get(detail["rate"], 0) + sign * detail["amount"]
    deposited = _deposit_needed(config, action_day, currency, charged - refunded - fees)
    if deposited:
        entries.append(_deposit_action(rng, action_day, currency, deposited))
    payout_id = hex_id(rng)
    return {
        "id": payout_id,
        "reference": payout_id,
        "date": "",
        "bankAccountIban": "SE4550000000058398257466",
        "bankAccountBic": "ESSESESS",
        "currency": currency,
        "amount": charged - refunded - fees + deposited,
        "chargedAmount": charged,
        "numberOfCharges": charges,
        "refundedAmount": refunded,
        "numberOfRefunds": refunds,
        "depositedAmount": deposited,
        "numberOfDeposits": 1 if deposited else 0,
        "fees": fees,
        "feeVATpercent": 0,
        "feeTaxRate": 0,
        "feeTaxAmount": 0,
        "transactionTaxDetails": [{"rate": r, "amount": a} for r, a in sorted(tax.items())],
        "numberOfPaymentActions": len(entries),
        "paymentActions": entries,
    }


def _deposit_action(rng: random.Random, day: date, currency: str, amount: int) -> JsonDict:
    return {
        "id": hex_id(rng),
        "paymentId": None,
        "paymentAction": "Deposit",
        "paymentMethod": None,
        "paymentType": None,
        "timestamp": f"{day.isoformat()}T21:30:00.0000+00:00",
        "reference": None,
        "invoiceNumber": None,
        "amount": amount,
        "vatAmount": 0,
        "currency": currency,
        "fee": 0,
        "flexibleFee": 0,
        "fixedFee": 0,
        "feeVATpercent": 0,
        "feeTaxRate": 0,
        "feeTaxAmount": 0,
        "transactionTaxDetails": [],
        "subscriptionId": None,
    }
