"""Fixtures: a fresh ledger on SQLite in tmp_path, and on Postgres when one is configured.

Postgres cases exist only when ``DIBS_FORTNOX_TEST_PG_URL`` is set (no skips: the parameter
list is built from the environment). Each Postgres case gets its own new database, created
through the server's ``postgres`` maintenance database and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from dibs_fortnox.ledger import Ledger

PG_URL_ENV = "DIBS_FORTNOX_TEST_PG_URL"


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_URL_ENV):
        params.append(pytest.param("postgresql", id="postgres", marks=pytest.mark.postgres))
    return params


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


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of the backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server = sa.make_url(os.environ[PG_URL_ENV])
    name = f"dibs_ledger_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
