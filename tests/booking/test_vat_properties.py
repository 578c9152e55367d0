"""Properties of the booking over generated scenarios that mix every VAT case.

A scenario is a handful of payments: Swedish buyers at 25/12/6/0 %, EU consumers (Swedish
VAT, or under OSS the buyer country's rate), EU companies with a VAT number, exports, some
lines whose Nets ``taxAmount`` is 1 öre off, and zero to two partial refunds per payment.
The charges are paid out on one day, the refunds on the next. The documents are then
"bookkept" by a ledger written here, the way Fortnox books them (invoice: D 1510 / C row
account net / C the VAT code's account; payment: D receivable / C 1510; the payout voucher
as it is), and three things must hold:

* every voucher balances;
* the receivable and 1510 are zero after the last payout;
* output VAT per account equals the sum of the lines' VAT (Fortnox's per-row rounding of
  net × rate) with refunds reversed, and differs from Nets' ``taxAmount`` by at most one
  öre per line, that difference being exactly what the rounding account holds.

``test_generated_scenarios`` runs a fixed set of seeds, so it runs everywhere;
``test_property_hypothesis`` lets hypothesis choose the seeds when it is installed.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings, strategies
from tests.booking.booking_notation import ACCOUNTS, charged, payout, refunded

from dibs_fortnox.booking import BookingSettings, transform
from dibs_fortnox.booking.settings import OssAccounts
from dibs_fortnox.money import round_half_up_div

SWEDISH_VAT = {25: 2611, 12: 2621, 6: 2631}
OSS = {
    "DEU": {19: OssAccounts(3111, 2681), 7: OssAccounts(3112, 2683)},
    "FRA": {20: OssAccounts(3113, 2682)},
}
CHARGE_AT = "2026-11-05T10:00:00.0000+01:00"


def _line(rng: random.Random, i: int, rate: int) -> dict[str, Any]:
    qty = rng.randint(1, 3)
    unit = rng.randint(100, 50000)
    net = qty * unit
    vat = int((Decimal(net) * rate / 100).to_integral_value(ROUND_HALF_UP))
    if rate and rng.random() < 0.2:
        vat += rng.choice((-1, 1))  # a shop rounding differently: at most 1 öre
    return {"reference": f"A{i}", "name": f"Vara {i}", "quantity": qty, "unit": "pcs",
            "unitPrice": unit, "taxRate": rate * 100, "taxAmount": vat,
            "grossTotalAmount": net + vat, "netTotalAmount": net}  # fmt: skip


def _buyer(rng: random.Random, oss: bool) -> tuple[str, dict[str, str], list[int]]:
    """Country, consumer.company and the VAT rates its lines may have."""
    kind = rng.choice(("se", "se", "eu", "business", "export"))
    if kind == "se":
        return "SWE", {}, [25, 12, 6, 0]
    if kind == "business":
        return "DEU", {"name": "Muster GmbH", "registrationNumber": "DE123456789"}, [0]
    if kind == "export":
        return rng.choice(("USA", "NOR", "GBR")), {}, [0]
    if oss:
        country = rng.choice(("DEU", "FRA"))
        return country, {}, sorted(OSS[country])
    return rng.choice(("DEU", "FRA", "FIN")), {}, [25, 12, 6]


def scenario(seed: int) -> tuple[BookingSettings, list[dict[str, Any]], dict[str, Any]]:
    rng = random.Random(seed)
    oss = rng.random() < 0.5
    settings = BookingSettings("demo", ACCOUNTS, oss=oss, oss_accounts=OSS if oss else {})
    payments: dict[str, Any] = {}
    charges, refunds = [], []
    for p in range(rng.randint(1, 6)):
        country, company, rates = _buyer(rng, oss)
        lines = [_line(rng, i, rng.choice(rates)) for i in range(rng.randint(1, 3))]
        pid = f"p{seed}-{p}"
        charge = {"chargeId": f"c-{pid}", "amount": sum(x["grossTotalAmount"] for x in lines),
                  "created": CHARGE_AT, "orderItems": lines}  # fmt: skip
        refund_list = []
        left = list(lines)
        for r in range(rng.randint(0, 2)):
            if not left:
                break
            taken = [left.pop(rng.randrange(len(left)))]
            refund_list.append({"refundId": f"r-{pid}-{r}", "state": "Completed",
                                "amount": sum(x["grossTotalAmount"] for x in taken),
                                "lastUpdated": f"2026-11-06T1{r}:00:00+01:00",
                                "orderItems": taken})  # fmt: skip
        payments[pid] = {"payment": {
            "paymentId": pid, "orderDetails": {"currency": "SEK", "reference": f"o-{pid}"},
            "consumer": {"shippingAddress": {"country": country}, "company": company},
            "charges": [charge], "refunds": refund_list}}  # fmt: skip
        charges.append(charged(payments[pid], fee=f"{rng.randint(0, 5)}.00"))
        refunds += [refunded(payments[pid], r["refundId"]) for r in refund_list]
    payouts = [payout(f"po{seed}-1", *charges, day="2026-11-06")]
    if refunds:
        payouts.append(payout(f"po{seed}-2", *refunds, day="2026-11-07"))
    return settings, payouts, payments


def vat_account(settings: BookingSettings, account: int, percent: int) -> int:
    for rates in settings.oss_accounts.values():
        for rate, oss in rates.items():
            if oss.sales == account and rate == percent:
                return oss.vat
    return SWEDISH_VAT[percent]


def check_properties(seed: int) -> None:
    settings, payouts, payments = scenario(seed)
    first = transform(payouts[:1], payments, settings)
    assert first.held == [] and first.errors == [], (seed, first.held)
    booked = frozenset(first.payments["external_ref"])
    rest = transform(payouts[1:], payments, settings, booked)
    assert rest.held == [] and rest.errors == [], (seed, rest.held)
    ledger: Counter[int] = Counter()
    vat_of_lines: Counter[int] = Counter()
    nets_vat = 0
    for booking in first.bookings() + rest.bookings():
        v = booking.voucher
        assert v.debit == v.credit, (seed, booking.payout_id)
        for row in v.rows:
            ledger[row.account] += row.debit - row.credit
        for invoice in booking.invoices:
            ledger[1510] += invoice.total
            for row in invoice.rows:
                ledger[row.account] -= row.net
                if row.vat:
                    ledger[vat_account(settings, row.account, row.vat_percent)] -= row.vat
        for pay in booking.payments:
            ledger[pay.account] += pay.amount
            ledger[1510] -= pay.amount
    for raw in payments.values():
        pay = raw["payment"]
        for sign, docs in ((1, pay["charges"]), (-1, pay["refunds"])):
            for line in (x for d in docs for x in d["orderItems"]):
                percent = line["taxRate"] // 100
                if percent:
                    account = _vat_account_for(settings, pay, percent)
                    vat_of_lines[account] += sign * round_half_up_div(
                        line["netTotalAmount"] * percent, 100
                    )
                nets_vat += sign * line["taxAmount"]
    assert ledger[1510] == 0 and ledger[ACCOUNTS.receivable] == 0, seed
    booked_vat = {a: -ledger[a] for a in vat_of_lines}
    assert booked_vat == dict(vat_of_lines), seed
    assert nets_vat - sum(vat_of_lines.values()) == -ledger[ACCOUNTS.rounding], seed
    assert sum(ledger.values()) == 0, seed


def _vat_account_for(settings: BookingSettings, pay: dict[str, Any], percent: int) -> int:
    """The VAT account of a line, from the buyer's country alone (independent of booking)."""
    country = pay["consumer"]["shippingAddress"]["country"]
    if settings.oss and country in settings.oss_accounts:
        return settings.oss_accounts[country][percent].vat
    return SWEDISH_VAT[percent]


@pytest.mark.parametrize("seed", range(60))
def test_generated_scenarios(seed: int) -> None:
    check_properties(seed)


@settings(max_examples=200, deadline=None)
@given(strategies.integers(min_value=0, max_value=2**32 - 1))
def test_property_hypothesis(seed: int) -> None:
    check_properties(seed)
