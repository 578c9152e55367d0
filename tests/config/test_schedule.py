"""The day a run names is the day of payouts it books, however the run was started."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from airflow.timetables.base import DataInterval, TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.schedule import DAILY_CRON, TIMEZONE, booking_day


def test_dags_test_date_books_that_day() -> None:
    # `airflow dags test dag 2026-11-02` gives logical date 2026-11-02T00:00Z.
    assert booking_day(datetime(2026, 11, 2, tzinfo=UTC)) == date(2026, 11, 2)


def test_param_wins_over_logical_date() -> None:
    assert booking_day(datetime(2026, 11, 2, tzinfo=UTC), "2026-10-30") == date(2026, 10, 30)


def test_manual_run_without_date_or_param_is_refused() -> None:
    with pytest.raises(ConfigError, match="'day' to the payout day"):
        booking_day(None)


def test_bad_param_is_explained() -> None:
    with pytest.raises(ConfigError, match="like 2026-11-02"):
        booking_day(None, "2 nov")


def test_scheduled_runs_book_one_day_each_without_gaps() -> None:
    timetable = CronDataIntervalTimetable(DAILY_CRON, timezone=TIMEZONE)
    start = datetime(2026, 10, 30, tzinfo=TIMEZONE)
    restriction = TimeRestriction(earliest=start, latest=None, catchup=True)
    last: DataInterval | None = None
    days = []
    for _ in range(5):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        assert info is not None
        days.append(booking_day(info.logical_date))
        last = info.data_interval
    assert days == [date(2026, 10, 30) + timedelta(days=n) for n in range(5)]
