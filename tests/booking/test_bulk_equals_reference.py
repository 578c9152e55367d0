"""The bulk transform books exactly what the straightforward per-payout reference books.

``transform`` reads columns and books clean payouts in bulk; ``transform_reference`` plans
every payout from records, one action and one line at a time. On generated days, and on
the same days with faults put in (wrong sums, floats, ties, lost timestamps, refunds
without lines, unknown countries, earlier bookings), the two must give the same frames,
held payouts, errors, warnings and payouts, to the öre and in the same order.
"""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from dibs_fortnox.booking.reference import transform_reference
from dibs_fortnox.booking.settings import BookingAccounts, BookingSettings
from dibs_fortnox.booking.transform import TransformResult, transform
from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate

SETTINGS = BookingSettings("t", BookingAccounts(3001, 3106, 3105, 1516, 1930, 6040))


def assert_same_result(a: TransformResult, b: TransformResult) -> None:
    """Same frames, held payouts, errors, warnings and payouts, to the öre and in order."""
    for name in ("invoices", "invoice_rows", "payments", "vouchers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.held == b.held
    assert a.errors == b.errors
    assert a.warnings == b.warnings
    assert list(a.payouts) == list(b.payouts)


def assert_same(payouts: list[dict[str, Any]], payments: dict[str, Any], booked=frozenset()):
    bulk = transform(payouts, payments, SETTINGS, booked)
    assert_same_result(bulk, transform_reference(payouts, payments, SETTINGS, booked))
    return bulk


def _day(seed: int, days: int = 4, per_day: int = 25) -> tuple[list[Any], dict[str, Any]]:
    scenario = generate(
        ScenarioConfig(
            seed=seed,
            days=days,
            payments_per_day=per_day,
            currencies=("SEK", "EUR"),
            refund_percent=40,
            partial_charge_percent=40,
        )
    )
    payments = {p["paymentId"]: p for p in scenario.payments}
    return copy.deepcopy(scenario.payouts), copy.deepcopy(payments)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_days_book_alike(seed):
    payouts, payments = _day(seed)
    result = assert_same(payouts, payments)
    assert len(result.invoices) > 0  # the comparison saw real documents


def _actions(payouts: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    actions = [a for p in payouts for a in p["paymentActions"] if a.get("paymentId")]
    return rng.choice(actions)


def _source(payments: dict[str, Any], rng: random.Random, kind: str = "charges") -> dict[str, Any]:
    having = [p for p in payments.values() if p.get(kind)]
    return rng.choice(rng.choice(having)[kind])


FAULTS = {
    "float amount on a line": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(
        netTotalAmount=float(_source(pa, r)["orderItems"][0]["netTotalAmount"])
    ),
    "quantity as text": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(quantity="2"),
    "fractional quantity": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(
        quantity=Decimal("1.25")
    ),
    "gross off by one": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(
        grossTotalAmount=_source(pa, r)["orderItems"][0]["grossTotalAmount"] + 1
    ),
    "VAT off by one öre": lambda po, pa, r: _off_by_one_vat(pa, r),
    "missing charge time": lambda po, pa, r: _source(pa, r).pop("created"),
    "unknown country": lambda po, pa, r: (
        r.choice(list(pa.values()))
        .setdefault("consumer", {})
        .update(shippingAddress={"country": "XXX"})
    ),
    "payment missing": lambda po, pa, r: pa.pop(_actions(po, r)["paymentId"], None),
    "unreadable payment": lambda po, pa, r: pa[_actions(po, r)["paymentId"]].pop("paymentId"),
    "unknown action kind": lambda po, pa, r: _actions(po, r).update(paymentAction="Chargeback"),
    "header sum off": lambda po, pa, r: r.choice(po).update(fees=r.choice(po).get("fees", 0) + 1),
    "refund without lines": lambda po, pa, r: _source(pa, r, "refunds").update(orderItems=[]),
    "same amount twice": lambda po, pa, r: _twin_charge(pa, r),
    "action VAT differs": lambda po, pa, r: _actions(po, r).update(vatAmount=1),
    "surcharge": lambda po, pa, r: _source(pa, r).update(surchargeAmount=100),
    "company buyer": lambda po, pa, r: (
        r.choice(list(pa.values()))
        .setdefault("consumer", {})
        .update(company={"name": "Acme GmbH", "registrationNumber": "DE123456789"})
    ),
    "wrapped payment": lambda po, pa, r: _wrap(pa, r),
    "consumer as text": lambda po, pa, r: pa[_actions(po, r)["paymentId"]].update(
        consumer="Anna Larsson"
    ),
    "order details null": lambda po, pa, r: r.choice(list(pa.values())).update(orderDetails=None),
    "blank company name": lambda po, pa, r: (
        r.choice(list(pa.values()))
        .setdefault("consumer", {})
        .update(company={"name": "  ", "registrationNumber": " SE556677889901 "})
    ),
    "billing country only": lambda po, pa, r: (
        r.choice(list(pa.values()))
        .setdefault("consumer", {})
        .update(shippingAddress=None, billingAddress={"country": " nor "})
    ),
    "quantity as true": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(quantity=True),
    "quantity as float one": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(quantity=1.0),
    "empty charge id": lambda po, pa, r: _source(pa, r).update(chargeId=""),
    "negative quantity": lambda po, pa, r: _source(pa, r)["orderItems"][0].update(quantity=-1),
    "time without offset": lambda po, pa, r: _source(pa, r).update(created="2026-11-01T07:09:27"),
    "action time with a line break": lambda po, pa, r: _actions(po, r).update(
        timestamp="2026-11-01T07:09:27+01:00\n2026-11-01T07:09:27+01:00"
    ),
}


def _off_by_one_vat(payments: dict[str, Any], rng: random.Random) -> None:
    line = _source(payments, rng)["orderItems"][0]
    line.update(taxAmount=line["taxAmount"] + 1, grossTotalAmount=line["grossTotalAmount"] + 1)


def _twin_charge(payments: dict[str, Any], rng: random.Random) -> None:
    payment = rng.choice([p for p in payments.values() if p.get("charges")])
    twin = copy.deepcopy(payment["charges"][0])
    twin["chargeId"] += "-twin"
    payment["charges"].append(twin)


def _wrap(payments: dict[str, Any], rng: random.Random) -> None:
    key = rng.choice(list(payments))
    payments[key] = {"payment": payments[key]}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_are_held_or_booked_alike(fault):
    rng = random.Random(fault)
    payouts, payments = _day(7, days=3, per_day=15)
    FAULTS[fault](payouts, payments, rng)
    assert_same(payouts, payments)


def test_earlier_bookings_are_respected_alike():
    payouts, payments = _day(11, days=4, per_day=20)
    rng = random.Random(11)
    charges = [c["chargeId"] for p in payments.values() for c in p.get("charges") or []]
    assert_same(payouts, payments, frozenset(rng.sample(charges, 5)))


def test_payouts_in_any_order_book_alike():
    payouts, payments = _day(13, days=4, per_day=20)
    random.Random(13).shuffle(payouts)
    assert_same(payouts, payments)
