"""Instants of the sandbox's as-of clock: when a daily run happens, when a payout appears.

The Nets emulator can serve its data as it looked at a given instant (``NetsApp.set_now``).
Tests that compress weeks into seconds move that instant from one daily run to the next;
these helpers name the instants so every test and the emulator agree on them:

- a day's DAG run happens at 06:00 Europe/Stockholm (``run_instant``), the schedule the
  tenants' DAGs use;
- a payout is published at 00:00 Stockholm of its own date (``publish_instant``), so that
  day's run already sees it;
- a *late* payout is published the next day at 12:00 Stockholm (``late_publish_instant``):
  the run of its own day misses it, the run of the next day sees it.

All instants returned are aware UTC datetimes, the form ``NetsApp.now`` holds.

The timeline travels with the data in private keys (``_…``, never served by the emulator):
``_requestedAt`` on a refund and ``_publishedAt`` on a payout, both ISO 8601 with offset.
Their names live here so the generator and the emulator cannot drift apart.

Example:
    >>> run_instant(date(2026, 11, 5)).isoformat()
    '2026-11-05T05:00:00+00:00'
    >>> late_publish_instant(date(2026, 11, 5)).isoformat()
    '2026-11-06T11:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RUN_TIME = time(6, 0)
LATE_PUBLISH_TIME = time(12, 0)
PRIVATE_PREFIX = "_"  # keys of the timeline that are never served
REQUESTED_AT = "_requestedAt"  # refund: when it was requested (Pending from then on)
PUBLISHED_AT = "_publishedAt"  # payout: when it appears in the Reporting API

__all__ = [
    "PRIVATE_PREFIX",
    "PUBLISHED_AT",
    "REQUESTED_AT",
    "STOCKHOLM",
    "late_publish_instant",
    "parse_instant",
    "publish_instant",
    "run_instant",
    "to_utc",
]


def _stockholm(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=STOCKHOLM).astimezone(UTC)


def run_instant(day: date) -> datetime:
    """The moment the daily run of payout day ``day`` runs: 06:00 Stockholm, as UTC."""
    return _stockholm(day, RUN_TIME)


def publish_instant(day: date) -> datetime:
    """When a payout dated ``day`` is published by default: 00:00 Stockholm that day."""
    return _stockholm(day, time(0, 0))


def late_publish_instant(day: date) -> datetime:
    """When a late payout dated ``day`` is published: the next day at 12:00 Stockholm."""
    return _stockholm(day + timedelta(days=1), LATE_PUBLISH_TIME)


def to_utc(instant: datetime) -> datetime:
    """``instant`` in UTC; a naive datetime is refused because its zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"an instant needs a UTC offset, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset (Nets writes ``…T14:30:11.2210+01:00``), in UTC."""
    return to_utc(datetime.fromisoformat(text))
