"""Days run in compressed time against a Nets emulator whose data changes as time passes.

Each day's run happens at that day's 06:00 Stockholm on the emulator's clock: refunds are
Pending before they complete, payouts appear when Nets publishes them, and the days run
back to back as in a backfill or a retrigger.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from dibs_fortnox.sandbox.clock import REQUESTED_AT, parse_instant, publish_instant, run_instant
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance, nonzero
from tests.pipeline.world import World, make_world


@pytest.fixture
def refund_world(tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path, days=8, payments_per_day=5, seed=5, refund_percent=60)
    try:
        yield world
    finally:
        world.close()


def refunds_completed_after_their_charge_was_booked(world: World) -> int:
    """Completed refunds whose charge's payout ran while the refund was not completed yet."""
    charge_day = {}
    for payout in world.scenario.payouts:
        for action in payout["paymentActions"]:
            if action["paymentAction"] == "Charge":
                charge_day[action["paymentId"]] = date.fromisoformat(payout["date"])
    count = 0
    for payment in world.scenario.payments:
        for refund in payment.get("refunds", []):
            day = charge_day.get(payment["paymentId"])
            if refund["state"] == "Completed" and day is not None:
                count += parse_instant(refund["lastUpdated"]) > run_instant(day)
    return count


def run_days_in_compressed_time(world: World, days: list[date]) -> None:
    for day in days:
        world.nets_app.set_now(run_instant(day))
        world.run_day_tolerating_held(day)


def test_refunds_completing_after_their_charge_was_booked_are_booked(refund_world: World) -> None:
    world = refund_world
    assert refunds_completed_after_their_charge_was_booked(world) >= 2
    assert all(REQUESTED_AT in r for p in world.scenario.payments for r in p.get("refunds", []))
    days = world.payout_days()
    run_days_in_compressed_time(world, days)
    held = [p for p in world.ledger.payouts("demo") if p.status == "held"]
    assert held == []
    expected = expected_trial_balance(world.scenario, ScenarioAccounts(), days[0], days[-1])
    assert nonzero(world.fortnox_app.trial_balance("demo")) == nonzero(expected)


def test_a_payout_published_a_day_late_is_booked_by_the_next_run(tmp_path: Path) -> None:
    world = make_world(tmp_path, days=5, payments_per_day=3, seed=8)
    try:
        days = world.payout_days()
        late = next(p for p in world.scenario.payouts if p["date"] == days[1].isoformat())
        # Published a day late, after its own day's run, before the next day's run.
        world.scenario.mark_payout_late(late["id"], publish_instant(days[1] + timedelta(days=1)))
        world.nets_app.set_now(run_instant(days[1]))
        own = world.run_day_tolerating_held(days[1])
        assert own["extract"]["payouts"] == 0  # not published yet at its own day's run
        run_days_in_compressed_time(world, [days[0]])  # an earlier day, run out of order
        next_day = days[1] + timedelta(days=1)
        world.nets_app.set_now(run_instant(next_day))
        summary = world.run_day_tolerating_held(next_day)
        assert summary["extract"]["late_payouts"] == [
            {"payout": late["id"], "date": days[1].isoformat()}
        ]
        state = {p.payout_id: p for p in world.ledger.payouts("demo")}[late["id"]]
        assert state.status == "booked" and state.day == days[1]
        run_days_in_compressed_time(world, [d for d in days if d > next_day])
        expected = expected_trial_balance(world.scenario, ScenarioAccounts(), days[0], days[-1])
        assert nonzero(world.fortnox_app.trial_balance("demo")) == nonzero(expected)
        # A re-run of the late payout's own day now sees it, and finds it booked.
        world.nets_app.set_now(run_instant(days[-1]))
        assert world.run_day_tolerating_held(days[1])["load"]["writes"] == 0
    finally:
        world.close()


def test_payouts_their_own_run_saw_or_that_no_run_listed_are_left_alone(tmp_path: Path) -> None:
    world = make_world(tmp_path, days=4, payments_per_day=3, seed=8)
    try:
        days = world.payout_days()
        world.nets_app.set_now(run_instant(days[2]))
        # days[0] was never run, days[1]'s run listed its payouts (and failed later on).
        assert world.run_day(days[1], steps=("extract",))["extract"]["payouts"] >= 1
        summary = world.run_day(days[2], steps=("extract",))
        assert summary["extract"]["late_payouts"] == []
    finally:
        world.close()
