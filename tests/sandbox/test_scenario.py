"""The scenario generator: deterministic, and every Nets rule and convention holds in it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dibs_fortnox import money
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.scenario_orders import EU_COUNTRIES

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(
        ScenarioConfig(
            seed=5, days=10, payments_per_day=40, refund_percent=40, deposit_every_days=4
        )
    )


def _actions(scenario: Scenario) -> list[dict]:
    return [a for payout in scenario.payouts for a in payout["paymentActions"]]


def _lines(scenario: Scenario) -> list[dict]:
    return [
        line
        for payment in scenario.payments
        for entry in payment.get("charges", []) + payment.get("refunds", [])
        for line in entry["orderItems"]
    ]


def test_same_seed_gives_the_same_scenario() -> None:
    config = ScenarioConfig(seed=9, days=3, payments_per_day=20)
    first, second = generate(config), generate(config)
    assert money.dumps(first.payments) == money.dumps(second.payments)
    assert money.dumps(first.payouts) == money.dumps(second.payouts)
    assert first.secret_key == second.secret_key


def test_another_seed_gives_another_scenario() -> None:
    first = generate(ScenarioConfig(seed=9, days=3, payments_per_day=20))
    other = generate(ScenarioConfig(seed=10, days=3, payments_per_day=20))
    assert money.dumps(first.payouts) != money.dumps(other.payouts)


def test_payout_amount_formula_holds_on_every_payout(scenario: Scenario) -> None:
    for payout in scenario.payouts:
        expected = (
            payout["chargedAmount"]
            - payout["refundedAmount"]
            - payout["fees"]
            + payout["depositedAmount"]
        )
        assert payout["amount"] == expected, payout["id"]


def test_payout_totals_are_the_sums_of_their_actions(scenario: Scenario) -> None:
    for payout in scenario.payouts:
        by_kind: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        for action in payout["paymentActions"]:
            by_kind[action["paymentAction"]] += action["amount"]
            counts[action["paymentAction"]] += 1
        assert by_kind["Charge"] == payout["chargedAmount"]
        assert by_kind["Refund"] == payout["refundedAmount"]
        assert by_kind["Deposit"] == payout["depositedAmount"]
        assert sum(a["fee"] for a in payout["paymentActions"]) == payout["fees"]
        assert (counts["Charge"], counts["Refund"], counts["Deposit"]) == (
            payout["numberOfCharges"],
            payout["numberOfRefunds"],
            payout["numberOfDeposits"],
        )
        assert payout["numberOfPaymentActions"] == len(payout["paymentActions"])


def test_one_payout_per_currency_per_day(scenario: Scenario) -> None:
    keys = Counter((p["date"], p["currency"]) for p in scenario.payouts)
    assert max(keys.values()) == 1 and len(keys) == 10


def test_ids_are_32_hex_and_payout_reference_is_its_id(scenario: Scenario) -> None:
    ids = [p["id"] for p in scenario.payouts] + [a["id"] for a in _actions(scenario)]
    ids += [p["paymentId"] for p in scenario.payments]
    assert all(HEX32.match(i) for i in ids) and len(set(ids)) == len(ids)
    assert all(p["reference"] == p["id"] for p in scenario.payouts)
    assert re.match(r"^live-secret-key-[0-9a-f]{32}$", scenario.secret_key)


def test_action_id_is_not_the_charge_or_refund_id(scenario: Scenario) -> None:
    source_ids = {
        entry.get("chargeId") or entry.get("refundId")
        for payment in scenario.payments
        for entry in payment.get("charges", []) + payment.get("refunds", [])
    }
    assert not source_ids & {a["id"] for a in _actions(scenario)}


def test_action_timestamp_is_the_charge_or_refund_instant(scenario: Scenario) -> None:
    offsets = set()
    for action in _actions(scenario):
        source = scenario.action_sources[action["id"]]
        if source.kind == "Deposit":
            continue
        payment = scenario.payment(source.payment_id or "")
        if source.kind == "Charge":
            entry = next(c for c in payment["charges"] if c["chargeId"] == source.source_id)
            instant = entry["created"]
        else:
            entry = next(r for r in payment["refunds"] if r["refundId"] == source.source_id)
            instant = entry["lastUpdated"]
        assert datetime.fromisoformat(action["timestamp"]) == datetime.fromisoformat(instant)
        assert action["amount"] == entry["amount"]
        offsets.add(action["timestamp"][-6:])
    assert offsets == {"+00:00", "+01:00"}


def test_pending_and_cancelled_refunds_never_reach_a_payout(scenario: Scenario) -> None:
    paid_out = {s.source_id for s in scenario.action_sources.values() if s.kind == "Refund"}
    states: Counter[str] = Counter()
    for payment in scenario.payments:
        completed = 0
        for refund in payment.get("refunds", []):
            states[refund["state"]] += 1
            assert (refund["refundId"] in paid_out) == (refund["state"] == "Completed")
            completed += refund["amount"] if refund["state"] == "Completed" else 0
        assert payment["summary"].get("refundedAmount", 0) == completed
    assert states["Pending"] and states["Cancelled"] and states["Completed"]


def test_refund_lines_are_a_subset_of_the_charged_lines(scenario: Scenario) -> None:
    partial = 0
    for payment in scenario.payments:
        for refund in payment.get("refunds", []):
            charged = {
                item["reference"]: item
                for charge in payment["charges"]
                for item in charge["orderItems"]
            }
            for item in refund["orderItems"]:
                assert Decimal(item["quantity"]) <= Decimal(charged[item["reference"]]["quantity"])
            refunded = sum(item["grossTotalAmount"] for item in refund["orderItems"])
            assert refund["amount"] == refunded <= payment["summary"]["chargedAmount"]
            partial += refunded < payment["summary"]["chargedAmount"]
    assert partial > 0


def test_order_lines_follow_the_nets_arithmetic(scenario: Scenario) -> None:
    for line in _lines(scenario):
        exact = Decimal(line["unitPrice"]) * Decimal(line["quantity"])
        net = int(exact.to_integral_value(ROUND_HALF_UP))
        tax_exact = Decimal(net) * line["taxRate"] / 10000
        assert line["netTotalAmount"] == net
        assert line["taxAmount"] == int(tax_exact.to_integral_value(ROUND_HALF_UP))
        assert line["grossTotalAmount"] == net + line["taxAmount"]


def test_amounts_add_up_from_the_lines(scenario: Scenario) -> None:
    for payment in scenario.payments:
        charges = payment.get("charges", [])
        for charge in charges:
            assert charge["amount"] == sum(i["grossTotalAmount"] for i in charge["orderItems"])
        if charges:
            assert payment["summary"]["chargedAmount"] == payment["orderDetails"]["amount"]
            assert sum(c["amount"] for c in charges) == payment["orderDetails"]["amount"]


def test_fractional_quantities_discounts_and_partial_charges_are_present(
    scenario: Scenario,
) -> None:
    lines = _lines(scenario)
    assert any(isinstance(line["quantity"], Decimal) for line in lines)
    assert any(line["unitPrice"] < 0 for line in lines)
    assert any(line["reference"] == "SHIPPING" for line in lines)
    assert any(len(p.get("charges", [])) == 2 for p in scenario.payments)
    assert {line["taxRate"] for line in lines} == {0, 600, 1200, 2500}


def test_customers_outside_the_eu_and_eu_companies_pay_no_vat(scenario: Scenario) -> None:
    regions: Counter[str] = Counter()
    for payment in scenario.payments:
        country = payment["consumer"]["shippingAddress"]["country"]
        outside = country != "SWE" and country not in EU_COUNTRIES
        number = (payment["consumer"].get("company") or {}).get("registrationNumber") or ""
        business = country in EU_COUNTRIES and number[:2].isalpha()
        kind = "outside" if outside else "SWE" if country == "SWE" else "EU"
        regions["EU business" if business else kind] += 1
        for charge in payment.get("charges", []):
            rates = {item["taxRate"] for item in charge["orderItems"]}
            assert (rates == {0}) == (outside or business)
    assert all(regions[r] for r in ("SWE", "EU", "EU business", "outside")), regions


def test_fees_are_flexible_plus_fixed_and_some_refunds_are_free(scenario: Scenario) -> None:
    actions = _actions(scenario)
    assert all(a["fee"] == a["flexibleFee"] + a["fixedFee"] for a in actions)
    refund_fees = {a["fee"] == 0 for a in actions if a["paymentAction"] == "Refund"}
    assert refund_fees == {True, False}
    assert all(a["fee"] > 0 for a in actions if a["paymentAction"] == "Charge")


def test_deposits_have_no_payment_and_no_fee(scenario: Scenario) -> None:
    deposits = [a for a in _actions(scenario) if a["paymentAction"] == "Deposit"]
    assert len(deposits) >= 2
    assert all(d["paymentId"] is None and d["fee"] == 0 for d in deposits)


def test_a_deposit_covers_a_payout_that_would_be_negative() -> None:
    scenario = generate(ScenarioConfig(seed=2, days=20, payments_per_day=1, refund_percent=100))
    covered = [
        p
        for p in scenario.payouts
        if p["depositedAmount"] and p["chargedAmount"] - p["refundedAmount"] - p["fees"] < 0
    ]
    assert covered
    assert all(p["amount"] >= 0 for p in scenario.payouts)


def test_other_currencies_get_their_own_payouts() -> None:
    scenario = generate(
        ScenarioConfig(seed=1, days=2, payments_per_day=40, currencies=("SEK", "EUR"))
    )
    currencies = Counter(p["currency"] for p in scenario.payouts)
    assert currencies == {"SEK": 2, "EUR": 2}
    for payout in scenario.payouts:
        assert {a["currency"] for a in payout["paymentActions"]} == {payout["currency"]}


def test_bad_config_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="currencies"):
        ScenarioConfig(currencies=("SEK", "XXX"))
