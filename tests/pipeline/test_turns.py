"""A day's load waits for earlier days of the tenant still in flight, and only for those."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dibs_fortnox.errors import Transient, WaitingForEarlierDay
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline.turns import STALE_AFTER, wait_for_earlier_days
from tests.pipeline.world import World


class Ticks:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1


def test_an_earlier_day_in_flight_blocks_then_reschedules(world: World) -> None:
    days = world.payout_days()
    world.ledger.start_run("demo", days[0], "backfill__day0")
    ticks = Ticks()
    with pytest.raises(WaitingForEarlierDay) as caught:
        wait_for_earlier_days(world.context(days[1]), wait_s=5, clock=ticks, sleep=ticks.sleep)
    assert caught.value.blocking == [days[0].isoformat()]
    assert "waits for earlier days" in str(caught.value) and ticks.sleeps == 5
    assert isinstance(caught.value, Transient)  # the run stays open; Airflow reschedules


def test_the_wait_ends_when_the_earlier_day_finishes(world: World) -> None:
    days = world.payout_days()
    key = world.ledger.start_run("demo", days[0], "backfill__day0")
    ticks = Ticks()

    def sleep(seconds: float) -> None:
        ticks.sleep(seconds)
        if ticks.sleeps == 3:
            world.ledger.finish_run(key, "success", {})

    waited = wait_for_earlier_days(world.context(days[1]), clock=ticks, sleep=sleep)
    assert waited == 3.0


def test_failed_same_day_later_day_and_stale_runs_do_not_block(world: World) -> None:
    days = world.payout_days()
    failed = world.ledger.start_run("demo", days[0], "failed-run")
    world.ledger.finish_run(failed, "failed", {"error": "refused"})
    world.ledger.start_run("demo", days[1], "same-day-other-run")
    world.ledger.start_run("demo", days[2], "a-later-day")
    world.ledger.start_run("other_tenant", days[0], "another-tenant")
    long_ago = Ledger(
        world.ledger.engine, clock=lambda: datetime.now(UTC) - STALE_AFTER - timedelta(hours=1)
    )
    long_ago.start_run("demo", days[0], "crashed-long-ago")
    ticks = Ticks()
    assert wait_for_earlier_days(world.context(days[1]), clock=ticks, sleep=ticks.sleep) == 0.0


def test_failure_callback_closes_the_run_so_later_days_go_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dibs_fortnox.pipeline import runner

    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", world.db_url)
    days = world.payout_days()
    world.ledger.start_run("demo", days[0], "scheduled__day0")
    runner.close_failed_run("demo", {"run_id": "scheduled__day0", "exception": "Nets 503"})
    (run,) = world.ledger.runs("demo", days[0])
    assert run.status == "failed" and run.summary == {"error": "Nets 503"}
    ticks = Ticks()
    assert wait_for_earlier_days(world.context(days[1]), clock=ticks, sleep=ticks.sleep) == 0.0


def test_an_earlier_day_whose_load_is_done_no_longer_blocks(world: World) -> None:
    days = world.payout_days()
    key = world.ledger.start_run("demo", days[0], "backfill__day0")
    world.ledger.mark_step_done(key, "extract")
    ticks = Ticks()
    with pytest.raises(WaitingForEarlierDay):
        wait_for_earlier_days(world.context(days[1]), wait_s=2, clock=ticks, sleep=ticks.sleep)
    world.ledger.mark_step_done(key, "load")  # reconcile may still run: writing is over
    assert wait_for_earlier_days(world.context(days[1]), clock=ticks, sleep=ticks.sleep) == 0.0


def test_a_day_with_nothing_left_to_write_does_not_wait(world: World) -> None:
    days = world.payout_days()
    world.run_day(days[1])
    world.ledger.start_run("demo", days[0], "backfill__day0")  # in flight, load not done
    summary = world.run_day(days[1])  # a retrigger of a booked day
    assert summary["load"]["writes"] == 0 and summary["load"]["waited_for_earlier_days_s"] == 0


def test_two_runs_of_one_day_take_turns_the_older_first(world: World) -> None:
    day = world.payout_days()[1]
    older = world.ledger.start_run("demo", day, "scheduled__day1")
    world.ledger.start_run("demo", day, f"test-{day}")  # world.context's run: the newer one
    ticks = Ticks()
    with pytest.raises(WaitingForEarlierDay) as caught:
        wait_for_earlier_days(world.context(day), wait_s=3, clock=ticks, sleep=ticks.sleep)
    assert caught.value.blocking == [f"{day.isoformat()} (scheduled__day1)"]
    world.ledger.mark_step_done(older, "load")  # the older run's documents are confirmed
    assert wait_for_earlier_days(world.context(day), clock=ticks, sleep=ticks.sleep) == 0.0


def test_the_older_run_of_a_day_does_not_wait_for_the_newer(world: World) -> None:
    day = world.payout_days()[1]
    world.ledger.start_run("demo", day, f"test-{day}")
    world.ledger.start_run("demo", day, "manual__later")
    ticks = Ticks()
    assert wait_for_earlier_days(world.context(day), clock=ticks, sleep=ticks.sleep) == 0.0
