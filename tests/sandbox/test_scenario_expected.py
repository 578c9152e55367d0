"""The expected trial balance: balanced, and equal to totals worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from dibs_fortnox.sandbox.scenario import ActionSource, Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance

ACCOUNTS = ScenarioAccounts()


def _line(ref: str, net: int, rate: int, tax: int) -> dict[str, Any]:
    return {"reference": ref, "name": ref, "quantity": 1, "unit": "pcs", "unitPrice": net,
            "taxRate": rate, "taxAmount": tax, "grossTotalAmount": net + tax,
            "netTotalAmount": net}  # fmt: skip


def _payment(pid: str, country: str, charges: list[Any], refunds: list[Any]) -> dict[str, Any]:
    return {"paymentId": pid, "consumer": {"shippingAddress": {"country": country}},
            "charges": charges, "refunds": refunds}  # fmt: skip


def _action(aid: str, kind: str, amount: int, fee: int) -> dict[str, Any]:
    return {"id": aid, "paymentAction": kind, "amount": amount, "fee": fee}


def _payout(day: str, amount: int, deposited: int, fees: int, actions: list[Any]) -> Any:
    return {"date": day, "currency": "SEK", "amount": amount, "depositedAmount": deposited,
            "fees": fees, "paymentActions": actions}  # fmt: skip


def _hand_built() -> Scenario:
    """Three customers (Sweden, Germany, USA), two payouts; figures chosen to add up by hand.

    Payout 2026-11-03: charges 18100 + 33480 + 30000, refund 8480, fees 1250 → 71850.
    Payout 2026-11-04: refund 5600, fee 100, deposit 10000 → 4300.
    """
    a, b = _line("A", 10000, 2500, 2500), _line("B", 5000, 1200, 600)
    c, d = _line("C", 20000, 2500, 5000), _line("D", 8000, 600, 480)
    e = _line("E", 30000, 0, 0)
    payments = [
        _payment("p1", "SWE", [{"chargeId": "c1", "orderItems": [a, b]}],
                 [{"refundId": "r1", "orderItems": [b]}]),
        _payment("p2", "DEU", [{"chargeId": "c2", "orderItems": [c, d]}],
                 [{"refundId": "r2", "orderItems": [d]}]),
        _payment("p3", "USA", [{"chargeId": "c3", "orderItems": [e]}], []),
    ]  # fmt: skip
    payouts = [
        _payout("2026-11-03", 71850, 0, 1250, [
            _action("x1", "Charge", 18100, 300), _action("x2", "Charge", 33480, 500),
            _action("x3", "Refund", 8480, 0), _action("x4", "Charge", 30000, 450)]),
        _payout("2026-11-04", 4300, 10000, 100, [
            _action("x5", "Refund", 5600, 100), _action("x6", "Deposit", 10000, 0)]),
    ]  # fmt: skip
    sources = {
        "x1": ActionSource("Charge", "p1", "c1"),
        "x2": ActionSource("Charge", "p2", "c2"),
        "x3": ActionSource("Refund", "p2", "r2"),
        "x4": ActionSource("Charge", "p3", "c3"),
        "x5": ActionSource("Refund", "p1", "r1"),
        "x6": ActionSource("Deposit", None, None),
    }
    return Scenario("live-secret-key-" + "0" * 32, payments, payouts, sources)


def test_hand_built_scenario_gives_hand_computed_balances() -> None:
    assert expected_trial_balance(_hand_built(), ACCOUNTS) == {
        1510: 0, 1516: 0, 1930: 66150, 6040: 1350,
        3001: -10000, 3002: 0, 3003: 0, 3004: 0, 3106: -20000, 3108: 0, 3105: -30000,
        2611: -7500, 2621: 0, 2631: 0,
    }  # fmt: skip


def test_window_leaves_out_later_payouts() -> None:
    balance = expected_trial_balance(_hand_built(), ACCOUNTS, payout_to=date(2026, 11, 3))
    assert balance == {
        1510: 0, 1516: 0, 1930: 71850, 6040: 1250,
        3001: -10000, 3002: -5000, 3003: 0, 3004: 0, 3106: -20000, 3108: 0, 3105: -30000,
        2611: -7500, 2621: -600, 2631: 0,
    }  # fmt: skip


def test_window_start_leaves_out_earlier_payouts() -> None:
    balance = expected_trial_balance(_hand_built(), ACCOUNTS, payout_from=date(2026, 11, 4))
    assert (balance[1930], balance[6040], balance[3002], balance[2621]) == (-5700, 100, 5000, 600)


def test_generated_scenario_balances_to_zero() -> None:
    scenario = generate(ScenarioConfig(seed=8, days=7, payments_per_day=25, deposit_every_days=3))
    balance = expected_trial_balance(scenario, ACCOUNTS)
    assert sum(balance.values()) == 0
    assert balance[1930] > 0 and balance[6040] > 0
    assert all(balance[a] < 0 for a in (3001, 3106, 3105, 2611, 2621, 2631))


def test_one_day_generated_scenario_matches_its_payout_totals() -> None:
    scenario = generate(ScenarioConfig(seed=4, days=1, payments_per_day=5, refund_percent=0))
    (payout,) = scenario.payouts
    balance = expected_trial_balance(scenario, ACCOUNTS)
    vat = sum(a["vatAmount"] for a in payout["paymentActions"])
    assert balance[1930] == payout["amount"]
    assert balance[6040] == payout["fees"]
    assert balance[2611] + balance[2621] + balance[2631] == -vat
    sales = sum(balance[a] for a in ACCOUNTS.all_sales())
    assert sales == -(payout["chargedAmount"] - vat)


def test_payouts_in_other_currencies_are_not_booked() -> None:
    mixed = generate(ScenarioConfig(seed=1, days=2, payments_per_day=40, currencies=("SEK", "EUR")))
    sek_only = Scenario(
        mixed.secret_key,
        mixed.payments,
        [p for p in mixed.payouts if p["currency"] == "SEK"],
        mixed.action_sources,
    )
    assert len(sek_only.payouts) < len(mixed.payouts)
    assert expected_trial_balance(mixed, ACCOUNTS) == expected_trial_balance(sek_only, ACCOUNTS)
