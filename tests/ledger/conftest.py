"""Fixtures: a fresh ledger on SQLite in tmp_path, and on Postgres when one is configured.

The backends and their databases come from ``tests/databases.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.databases import backends, state_database

from dibs_fortnox.ledger import Ledger


class FakeClock:
    """A clock the test moves by hand; always aware UTC."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now = self.now + delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a database of the backend under test, migrated to head, with no rows."""
    with state_database(request.param, tmp_path, "ledger.db") as url:
        yield url


@pytest.fixture
def make_ledger(db_url: str, clock: FakeClock) -> Iterator[Callable[..., Ledger]]:
    """Open ledgers on the test database (several = several workers); all closed afterwards."""
    opened: list[Ledger] = []

    def make(*, with_clock: bool = True) -> Ledger:
        ledger = Ledger.from_url(db_url, clock=clock) if with_clock else Ledger.from_url(db_url)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()
