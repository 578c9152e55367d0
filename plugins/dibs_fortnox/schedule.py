"""Which day of payouts a DAG run books, whatever started it.

The rule users rely on: the day a run names is the day of payouts it books. Airflow 3
makes that easy to get wrong: a manual run (``airflow dags test dag 2026-11-02``) gets an
inferred data interval that ends *before* its logical date, while a scheduled run of a
``CronDataIntervalTimetable`` has ``logical_date == data_interval_start``. Reading the
logical date (in the tenant's timezone) is right for scheduled runs, backfills and
``dags test`` alike; an explicit ``day`` param wins over both, so a person can book any day
from the UI's trigger form.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dibs_fortnox.errors import ConfigError

TIMEZONE = ZoneInfo("Europe/Stockholm")
# 06:00 Stockholm time: Nets has published the previous day's payouts by then.
DAILY_CRON = "0 6 * * *"


def booking_day(logical_date: datetime | None, day_param: str | date | None = None) -> date:
    """Return the payout day a run books.

    Args:
        logical_date: the run's logical date (None for a manual run without one).
        day_param: the ``day`` param from the trigger form (``YYYY-MM-DD``), None when unset.

    Raises:
        ConfigError: neither is given, or the param is not a date.
    """
    if isinstance(day_param, date):
        return day_param
    if day_param:
        try:
            return date.fromisoformat(str(day_param).strip())
        except ValueError as exc:
            raise ConfigError(
                f"the 'day' param must be a date like 2026-11-02, got {day_param!r}"
            ) from exc
    if logical_date is None:
        raise ConfigError(
            "this run has no logical date and no 'day' param: trigger it with a logical date "
            "or set 'day' to the payout day to book (YYYY-MM-DD)"
        )
    if logical_date.tzinfo is None:
        raise ConfigError(f"logical date {logical_date} has no timezone")
    return logical_date.astimezone(TIMEZONE).date()


RETRY_DELAY_ENV = "DIBS_FORTNOX_RETRY_DELAY_SECONDS"


def task_retry_args() -> dict[str, object]:
    """Airflow retry settings for every task: transient faults (rate limits, lost answers)
    are retried with exponential backoff; ``$DIBS_FORTNOX_RETRY_DELAY_SECONDS`` sets the
    first delay (default 120 s; tests use 1 s)."""
    seconds = float(os.environ.get(RETRY_DELAY_ENV) or 120)
    return {
        "retries": 3,
        "retry_delay": timedelta(seconds=seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
    }
