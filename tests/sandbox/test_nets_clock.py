"""The Nets emulator's as-of clock over real HTTP: data that changes between runs.

Each test moves the sandbox time across one instant of the timeline (a refund's request and
completion, a charge, a payment's creation, a payout's publication) and checks the served
data on both sides of it; ``now=None`` must serve exactly what the emulator served before
the clock existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from dibs_fortnox import money
from dibs_fortnox.sandbox.clock import (
    PUBLISHED_AT,
    REQUESTED_AT,
    late_publish_instant,
    parse_instant,
    publish_instant,
    run_instant,
)
from dibs_fortnox.sandbox.nets import NetsApp, public
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance
from dibs_fortnox.sandbox.server import SandboxServer

TICK = timedelta(microseconds=100)  # Nets writes 0.1 ms; one tick before is "before"
CONFIG = ScenarioConfig(
    seed=21, days=6, payments_per_day=30, refund_percent=40, partial_charge_percent=50,
    deposit_every_days=3,
)  # fmt: skip


@dataclass
class Nets:
    url: str
    app: NetsApp
    scenario: Scenario

    def get(self, path: str, **params: object) -> requests.Response:
        headers = {"Authorization": self.scenario.secret_key}
        return requests.get(self.url + path, headers=headers, params=params, timeout=10)

    def body(self, path: str, **params: object) -> Any:
        """The JSON body with decimals kept exact, as the pipeline's client reads it."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return money.loads(response.text)

    def payment(self, payment_id: str) -> Any:
        return self.body(f"/v1/payments/{payment_id}")["payment"]

    def payout_ids(self, day: date) -> list[str]:
        listing = self.body("/report/v1/payouts", fromDate=day.isoformat(), toDate=day.isoformat())
        assert listing["numberOfPayouts"] == len(listing["payouts"])
        return [p["id"] for p in listing["payouts"]]

    def clock(self, method: str = "GET", payload: Any = None) -> requests.Response:
        return requests.request(method, self.url + "/_sandbox/clock", json=payload, timeout=10)


@pytest.fixture
def nets() -> Iterator[Nets]:
    scenario = generate(CONFIG)  # per test: some tests mark payouts late in place
    app = NetsApp(mode="live")
    app.add_merchant(scenario.secret_key, scenario.payments, scenario.payouts)
    with SandboxServer(app) as server:
        yield Nets(server.url, app, scenario)


def _completed_refund(scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
    """A payment with one charge and a Completed refund (so the amounts are unambiguous)."""
    return next(
        (p, p["refunds"][0])
        for p in scenario.payments
        if len(p.get("charges", [])) == 1 and p.get("refunds", [{}])[0].get("state") == "Completed"
    )


def _at(nets: Nets, instant: str | datetime, shift: timedelta = timedelta(0)) -> None:
    when = parse_instant(instant) if isinstance(instant, str) else instant
    nets.app.set_now(when + shift)


def _private_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [k for k in value if k.startswith("_")]
        return own + [k for inner in value.values() for k in _private_keys(inner)]
    if isinstance(value, list):
        return [k for inner in value for k in _private_keys(inner)]
    return []


# -- payments ----------------------------------------------------------------------------
def test_refund_is_pending_from_its_request_and_completed_from_its_last_update(
    nets: Nets,
) -> None:
    payment, refund = _completed_refund(nets.scenario)
    pid = payment["paymentId"]
    _at(nets, refund[REQUESTED_AT], -TICK)
    before = nets.payment(pid)
    _at(nets, refund[REQUESTED_AT])
    requested = nets.payment(pid)
    _at(nets, refund["lastUpdated"], -TICK)
    still_pending = nets.payment(pid)
    _at(nets, refund["lastUpdated"])
    completed = nets.payment(pid)

    assert "refunds" not in before and "refundedAmount" not in before["summary"]
    for view in (requested, still_pending):
        (shown,) = view["refunds"]
        assert (shown["state"], shown["lastUpdated"]) == ("Pending", refund[REQUESTED_AT])
        assert shown["amount"] == refund["amount"]
        assert "refundedAmount" not in view["summary"]
    assert completed["refunds"][0]["state"] == "Completed"
    assert completed["refunds"][0]["lastUpdated"] == refund["lastUpdated"]
    assert completed["summary"]["refundedAmount"] == refund["amount"]
    assert completed["summary"]["chargedAmount"] == payment["summary"]["chargedAmount"]


def test_cancelled_refund_is_pending_first_and_never_counts(nets: Nets) -> None:
    payment, refund = next(
        (p, r) for p in nets.scenario.payments for r in p.get("refunds", [])
        if r["state"] == "Cancelled"
    )  # fmt: skip
    _at(nets, refund[REQUESTED_AT])
    pending = nets.payment(payment["paymentId"])
    _at(nets, refund["lastUpdated"])
    cancelled = nets.payment(payment["paymentId"])
    assert pending["refunds"][0]["state"] == "Pending"
    assert cancelled["refunds"][0]["state"] == "Cancelled"
    assert "refundedAmount" not in pending["summary"] | cancelled["summary"]


def test_a_later_charge_is_invisible_before_its_created(nets: Nets) -> None:
    payment = next(p for p in nets.scenario.payments if len(p.get("charges", [])) == 2)
    first, second = payment["charges"]
    assert parse_instant(first["created"]) < parse_instant(second["created"])
    _at(nets, second["created"], -TICK)
    early = nets.payment(payment["paymentId"])
    _at(nets, second["created"])
    late = nets.payment(payment["paymentId"])
    assert [c["chargeId"] for c in early["charges"]] == [first["chargeId"]]
    assert early["summary"]["chargedAmount"] == first["amount"]
    assert [c["chargeId"] for c in late["charges"]] == [first["chargeId"], second["chargeId"]]
    assert late["summary"]["chargedAmount"] == first["amount"] + second["amount"]


def test_reserved_payment_has_no_charges_before_its_first_charge(nets: Nets) -> None:
    payment = next(p for p in nets.scenario.payments if p.get("charges"))
    _at(nets, payment["charges"][0]["created"], -TICK)
    reserved = nets.payment(payment["paymentId"])
    assert "charges" not in reserved and "chargedAmount" not in reserved["summary"]
    assert reserved["summary"]["reservedAmount"] == payment["summary"]["reservedAmount"]


def test_payment_created_later_is_404_before_and_not_counted(nets: Nets) -> None:
    payment = nets.scenario.payments[-1]
    path = f"/v1/payments/{payment['paymentId']}"
    _at(nets, payment["created"], -TICK)
    missing = nets.get(path)
    _at(nets, payment["created"])
    found = nets.get(path)
    assert missing.status_code == 404
    assert set(missing.json()) == {"message", "code", "source"}
    assert found.status_code == 200
    assert nets.app.stats()["payment_gets"] == {payment["paymentId"]: 1}


# -- payouts -----------------------------------------------------------------------------
def test_payout_is_listed_from_its_publish_instant(nets: Nets) -> None:
    payout = nets.scenario.payouts[0]
    day = date.fromisoformat(payout["date"])
    details = f"/report/v1/payouts/{payout['id']}"
    nets.app.set_now(publish_instant(day) - TICK)
    hidden = (nets.payout_ids(day), nets.get(details).status_code)
    nets.app.set_now(publish_instant(day))
    shown = (nets.payout_ids(day), nets.get(details).status_code)
    nets.app.set_now(run_instant(day))
    assert hidden == ([], 404)
    assert shown == ([payout["id"]], 200)
    assert nets.payout_ids(day) == [payout["id"]]


def test_late_payout_is_listed_only_the_next_day(nets: Nets) -> None:
    late, on_time = nets.scenario.payouts[1], nets.scenario.payouts[0]
    day = date.fromisoformat(late["date"])
    nets.scenario.mark_payout_late(late["id"])  # in place: the running emulator sees it
    window = {"fromDate": CONFIG.start.isoformat(), "toDate": "2026-12-31"}
    nets.app.set_now(run_instant(day))
    own_day = nets.body("/report/v1/payouts", **window)
    own_day_details = nets.get(f"/report/v1/payouts/{late['id']}").status_code
    nets.app.set_now(late_publish_instant(day) - TICK)
    next_morning = nets.payout_ids(day)
    nets.app.set_now(run_instant(day + timedelta(days=1)))
    listed_late = [p["id"] for p in nets.body("/report/v1/payouts", **window)["payouts"]]
    nets.app.set_now(late_publish_instant(day))
    assert own_day["numberOfPayouts"] == 1  # the day before's payout only
    assert [p["id"] for p in own_day["payouts"]] == [on_time["id"]]
    assert own_day_details == 404 and next_morning == []
    assert late["id"] not in listed_late  # the next day's 06:00 run is before 12:00
    assert nets.payout_ids(day) == [late["id"]]
    assert nets.body(f"/report/v1/payouts/{late['id']}")["date"] == late["date"]


def test_late_payout_published_at_a_chosen_instant(nets: Nets) -> None:
    payout = nets.scenario.payouts[2]
    day = date.fromisoformat(payout["date"])
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    nets.scenario.mark_payout_late(payout["id"], when)
    nets.app.set_now(when - TICK)
    before = nets.payout_ids(day)
    nets.app.set_now(when)
    assert (before, nets.payout_ids(day)) == ([], [payout["id"]])


# -- the end of time ---------------------------------------------------------------------
def _served_everything(nets: Nets) -> list[Any]:
    window = {"fromDate": CONFIG.start.isoformat(), "toDate": "2026-12-31"}
    listing = nets.body("/report/v1/payouts", **window)
    bodies: list[Any] = [listing]
    bodies += [
        nets.body(f"/report/v1/payouts/{p['id']}", pageSize=1000) for p in listing["payouts"]
    ]
    for payment in nets.scenario.payments:
        response = nets.get(f"/v1/payments/{payment['paymentId']}")
        if response.status_code == 200:
            bodies.append(money.loads(response.text))
    return bodies


def test_now_none_serves_the_stored_data_without_private_keys(nets: Nets) -> None:
    nets.scenario.mark_payout_late(nets.scenario.payouts[0]["id"])
    stored_before = money.dumps([nets.scenario.payments, nets.scenario.payouts])
    assert nets.app.now is None
    served = _served_everything(nets)
    payouts = nets.scenario.payouts
    expected_payments = []
    for payment in nets.scenario.payments:
        view = public(payment)
        view["summary"] = {k: v for k, v in payment["summary"].items() if v}
        expected_payments.append({"payment": view})
    assert served[0]["numberOfPayouts"] == len(payouts)
    assert served[1 : 1 + len(payouts)] == money.loads(money.dumps(public(payouts)))
    assert served[1 + len(payouts) :] == money.loads(money.dumps(expected_payments))
    nets.app.set_now(datetime(2100, 1, 1, tzinfo=UTC))  # after every change: the same
    assert _served_everything(nets) == served
    assert money.dumps([nets.scenario.payments, nets.scenario.payouts]) == stored_before


def test_private_keys_are_never_served(nets: Nets) -> None:
    nets.scenario.mark_payout_late(nets.scenario.payouts[0]["id"])
    assert _private_keys(nets.scenario.payments) and _private_keys(nets.scenario.payouts)
    days = nets.scenario.payout_days()
    # the end of time, then a run in the middle: refunds mid-way, a payout not yet published
    for instant in (None, run_instant(days[0]), run_instant(days[len(days) // 2])):
        nets.app.set_now(instant)
        assert _private_keys(_served_everything(nets)) == [], instant


# -- the control endpoint ----------------------------------------------------------------
def test_control_endpoint_reads_and_sets_the_sandbox_time(nets: Nets) -> None:
    payout = nets.scenario.payouts[0]
    day = date.fromisoformat(payout["date"])
    initial = nets.clock().json()
    set_early = nets.clock("POST", {"now": "2026-11-01T07:00:00+01:00"})
    hidden = nets.payout_ids(day)
    set_run = nets.clock("PUT", {"now": run_instant(day).isoformat()})
    shown = nets.payout_ids(day)
    read_back = nets.clock().json()
    reset = nets.clock("POST", {"now": None})
    assert initial == {"now": None} and set_run.status_code == 200
    assert set_early.json() == {"now": "2026-11-01T06:00:00+00:00"}
    assert (hidden, shown) == ([], [payout["id"]])
    assert read_back == {"now": run_instant(day).isoformat()}
    assert nets.app.now is None and reset.json() == {"now": None}


@pytest.mark.parametrize(
    "payload", [{"now": "2026-11-05T06:00:00"}, {"now": 1700000000}, {"when": None}, "x"]
)
def test_control_endpoint_refuses_a_naive_or_malformed_time(nets: Nets, payload: object) -> None:
    nets.app.set_now(run_instant(date(2026, 11, 3)))
    response = nets.clock("POST", payload)
    assert response.status_code == 400 and "now" in response.json()["errors"]
    assert nets.app.now == run_instant(date(2026, 11, 3))


def test_set_now_keeps_utc_and_refuses_naive(nets: Nets) -> None:
    nets.app.set_now(datetime.fromisoformat("2026-11-05T06:00:00+01:00"))
    assert nets.app.now == datetime(2026, 11, 5, 5, tzinfo=UTC)
    assert nets.app.now is not None and nets.app.now.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="offset"):
        nets.app.set_now(datetime(2026, 11, 5, 6))


# -- the compressed-time helpers and the generator ---------------------------------------
def test_run_instant_is_six_in_stockholm_in_winter_and_summer() -> None:
    assert run_instant(date(2026, 11, 5)) == datetime(2026, 11, 5, 5, tzinfo=UTC)
    assert run_instant(date(2026, 6, 1)) == datetime(2026, 6, 1, 4, tzinfo=UTC)
    assert publish_instant(date(2026, 11, 5)) == datetime(2026, 11, 4, 23, tzinfo=UTC)
    assert late_publish_instant(date(2026, 11, 5)) == datetime(2026, 11, 6, 11, tzinfo=UTC)


def test_every_refund_is_requested_after_its_charge_and_before_it_settles() -> None:
    scenario = generate(CONFIG)
    gaps = []
    for payment in scenario.payments:
        for refund in payment.get("refunds", []):
            requested = parse_instant(refund[REQUESTED_AT])
            settled = parse_instant(refund["lastUpdated"])
            lines = {item["reference"] for item in refund["orderItems"]}
            refunded_charges = [
                parse_instant(charge["created"])
                for charge in payment["charges"]
                if lines <= {item["reference"] for item in charge["orderItems"]}
            ]
            assert refunded_charges and requested > max(refunded_charges)
            if refund["state"] == "Pending":
                assert requested == settled
            else:
                assert requested < settled
                gaps.append(settled - requested)
    assert min(gaps) < timedelta(hours=3) and max(gaps) > timedelta(hours=24)
    assert max(gaps) <= timedelta(hours=48)


def test_late_payouts_are_drawn_from_the_seed_and_keep_their_date() -> None:
    late_config = ScenarioConfig(seed=CONFIG.seed, days=20, payments_per_day=3,
                                 late_payout_percent=40)  # fmt: skip
    on_time, late, again = (
        generate(ScenarioConfig(seed=CONFIG.seed, days=20, payments_per_day=3)),
        generate(late_config),
        generate(late_config),
    )
    marked = [p for p in late.payouts if PUBLISHED_AT in p]
    assert not any(PUBLISHED_AT in p for p in on_time.payouts)
    assert 0 < len(marked) < len(late.payouts)
    for payout in marked:
        day = date.fromisoformat(payout["date"])
        assert parse_instant(payout[PUBLISHED_AT]) == late_publish_instant(day)
    assert money.dumps(late.payouts) == money.dumps(again.payouts)
    assert money.dumps(public(late.payouts)) == money.dumps(on_time.payouts)
    accounts = ScenarioAccounts()
    assert expected_trial_balance(late, accounts) == expected_trial_balance(on_time, accounts)


def test_marking_an_unknown_payout_late_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        generate(ScenarioConfig(days=1, payments_per_day=1)).mark_payout_late("f" * 32)
