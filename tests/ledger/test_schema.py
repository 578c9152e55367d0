"""The reviewed DDL matches the tables, and engines get their options."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.databases import migrated

from dibs_fortnox.ledger import ENV_URL, Ledger, default_url
from dibs_fortnox.ledger.dialects import make_engine
from dibs_fortnox.ledger.revisions import upgrade
from dibs_fortnox.ledger.schema import UtcDateTime, documents, metadata, schema_sql

REPO = Path(__file__).resolve().parents[2]
SCHEMA_SQL = REPO / "include" / "sql" / "schema.sql"


def _section(text: str, title: str) -> str:
    start = text.index(f"-- ===== {title}")
    end = text.find("-- =====", start + 1)
    return text[start : end if end != -1 else None]


def test_schema_sql_is_generated_from_the_tables() -> None:
    assert SCHEMA_SQL.read_text(encoding="utf-8") == schema_sql(), (
        "include/sql/schema.sql differs from ledger/schema.py: run `make schema` (and add a "
        "revision if a table changed, see docs/migrations.md)"
    )


def test_schema_sql_covers_both_dialects() -> None:
    text = SCHEMA_SQL.read_text(encoding="utf-8")
    assert "DATETIME NOT NULL" in _section(text, "SQLite")
    assert "TIMESTAMP WITH TIME ZONE NOT NULL" in _section(text, "PostgreSQL")
    for table in metadata.tables:
        assert text.count(f"CREATE TABLE {table} (") == 2


def test_the_database_refuses_a_posted_document_without_a_number(ledger: Ledger) -> None:
    ledger.claim("acme", "invoice", "ch_1", day=date(2026, 3, 1), payout_id=None, payload_hash=None)
    with pytest.raises(sa.exc.IntegrityError), ledger.engine.begin() as conn:
        conn.execute(sa.update(documents).values(status="posted"))
    with pytest.raises(sa.exc.IntegrityError), ledger.engine.begin() as conn:
        conn.execute(sa.update(documents).values(status="done", fortnox_id="1"))


def test_opening_twice_keeps_the_data(db_url: str) -> None:
    first = Ledger.from_url(db_url)
    first.record_payout("acme", date(2026, 3, 1), "po_1", "pending")
    first.close()
    second = Ledger.from_url(db_url)
    assert [p.payout_id for p in second.payouts("acme")] == ["po_1"]
    second.close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    ledger = Ledger.from_url(migrated(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'ledger.db'}"))
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    ledger.close()


def test_in_memory_sqlite_keeps_its_tables_across_connections() -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    ledger = Ledger(engine)
    ledger.record_payout("acme", date(2026, 3, 1), "po_1", "pending")
    assert len(ledger.payouts("acme")) == 1
    ledger.close()


def test_default_url_comes_from_the_environment_or_the_repo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_URL, "postgresql+psycopg2://u@db/x")
    assert default_url() == "postgresql+psycopg2://u@db/x"
    monkeypatch.delenv(ENV_URL)
    assert default_url() == f"sqlite:///{REPO / 'var' / 'dibs_fortnox.db'}"


def test_timestamps_without_a_time_zone_are_refused(tmp_path: Path) -> None:
    naive = datetime(2026, 3, 1, 12, 0)
    with pytest.raises(ValueError, match="without time zone"):
        UtcDateTime().process_bind_param(naive, sa.create_engine("sqlite://").dialect)
    ledger = Ledger.from_url(migrated(f"sqlite:///{tmp_path / 'l.db'}"), clock=lambda: naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        ledger.start_run("acme", date(2026, 3, 1), "r1")
    ledger.close()


def test_timestamps_come_back_in_utc_whatever_zone_went_in(db_url: str) -> None:
    stockholm_winter = timezone(timedelta(hours=1))
    ledger = Ledger.from_url(
        db_url, clock=lambda: datetime(2026, 3, 1, 7, 30, tzinfo=stockholm_winter)
    )
    pk = ledger.start_run("acme", date(2026, 3, 1), "r1")
    [run] = ledger.runs("acme")
    assert run.pk == pk
    assert run.started_at == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert run.started_at.utcoffset() == timedelta(0)
    ledger.close()
