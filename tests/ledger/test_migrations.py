"""Migrations: head equals the tables, a database of the release before migrations is
upgraded without losing a row, and a database at the wrong revision is refused with the fix.

Each test runs on SQLite and, when ``DIBS_FORTNOX_TEST_PG_URL`` is set, on Postgres.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from tests.databases import backends, database_url

from dibs_fortnox.errors import StateSchemaAhead, StateSchemaBehind, StateSchemaUnknown
from dibs_fortnox.ledger import Ledger, baseline, migrate, revisions
from dibs_fortnox.ledger.dialects import make_engine
from dibs_fortnox.ledger.schema import metadata
from dibs_fortnox.ledger.states import DocumentState

REPO = Path(__file__).resolve().parents[2]
# include/sql/schema.sql as code before migrations shipped it (tables created by
# ``metadata.create_all``, no revision recorded), with the revision each one matches.
FIXTURES = Path(__file__).parent / "fixtures"
BEFORE_MIGRATIONS = {
    "0001": FIXTURES / "schema_0001_before_migrations.sql",  # the last release
    "0002": FIXTURES / "schema_0002_before_migrations.sql",  # + reversals, just before
}
NOW = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


@pytest.fixture(params=backends())
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (no tables, no revision)."""
    with database_url(request.param, tmp_path) as url:
        yield url


def _section(backend: str, revision: str = "0001") -> str:
    text = BEFORE_MIGRATIONS[revision].read_text(encoding="utf-8")
    start = text.index("-- ===== SQLite") if backend == "sqlite" else text.index("-- ===== Postgre")
    end = text.index("-- ===== PostgreSQL") if backend == "sqlite" else len(text)
    return text[start:end]


def _create_as_before_migrations(url: str, revision: str = "0001") -> None:
    """Build the tables from the DDL of code before migrations, as an operator's database
    has them."""
    engine = sa.create_engine(url)
    try:
        ddl = _section(engine.dialect.name, revision)
        raw = engine.raw_connection()
        try:
            if engine.dialect.name == "sqlite":
                raw.driver_connection.executescript(ddl)  # type: ignore[union-attr]
            else:
                with raw.cursor() as cursor:
                    cursor.execute(ddl)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


# One row per table, in the previous release's columns, with the values that are easiest
# to lose: JSON, dates, timestamps, NULLs and text with quotes.
ROWS: dict[str, list[dict[str, Any]]] = {
    "raw_records": [
        {"tenant": "acme", "kind": "payout", "nets_id": "po_1", "day": date(2026, 11, 2),
         "payload": {"id": "po_1", "amount": 12345}, "fetched_at": NOW},
    ],
    "documents": [
        {"tenant": "acme", "kind": "invoice", "reference": "ch_1", "status": "bookkept",
         "fortnox_id": "1001", "day": date(2026, 11, 2), "payout_id": "po_1",
         "payload_hash": "9f2c", "detail": None, "created_at": NOW, "updated_at": NOW},
        {"tenant": "acme", "kind": "voucher", "reference": "po_1", "status": "unknown",
         "fortnox_id": None, "day": date(2026, 11, 2), "payout_id": "po_1",
         "payload_hash": None, "detail": "timed out after 30 s", "created_at": NOW,
         "updated_at": NOW},
    ],
    "payouts": [
        {"tenant": "acme", "payout_id": "po_1", "day": date(2026, 11, 2), "status": "held",
         "reason": "amount 123.45 SEK != charged − refunded − fees (1 öre too little)",
         "updated_at": NOW},
    ],
    "runs": [
        {"tenant": "acme", "day": date(2026, 11, 2), "run_id": "scheduled__2026-11-02",
         "status": "held", "summary": {"held": ["po_1"], "documents": 2}, "started_at": NOW,
         "finished_at": NOW},
    ],
    "payout_resolutions": [
        {"tenant": "acme", "payout_id": "po_0", "action": "booked_by_hand",
         "decided_by": "Anna O'Neill", "note": "booked by hand", "claims": ["ch_0"],
         "decided_at": NOW},
    ],
    "request_windows": [
        {"tenant": "acme", "service": "fortnox", "sent_at": [1764650000, 1764650001],
         "updated_at": NOW},
    ],
    "onboarding": [
        {"tenant": "acme", "status": "active", "checks": [{"name": "nets", "ok": True}],
         "documents": {"invoice": "9001"}, "emailed_at": NOW, "decided_by": "data team",
         "decided_at": NOW, "note": "ok", "run_id": "manual__1", "updated_at": NOW},
    ],
    "onboarding_links": [{"link_id": "lnk_1", "tenant": "acme", "used_at": NOW}],
    "alerts": [{"tenant": "acme", "kind": "late_day", "key": "2026-11-01", "sent_at": NOW}],
    "reversals": [
        {"tenant": "acme", "from_day": date(2026, 10, 1), "to_day": date(2026, 10, 2),
         "decided_by": "Anna", "note": "wrong accounts", "started_at": NOW,
         "finished_at": NOW, "documents": 1},
    ],
    "reversed_documents": [
        {"tenant": "acme", "reversal_id": 1, "kind": "invoice", "reference": "ch_0",
         "fortnox_id": "1000", "day": date(2026, 10, 1), "payout_id": "po_0",
         "reversal_kind": "credit", "reversal_reference": "rev:ch_0",
         "reversal_fortnox_id": "1002", "reversed_at": NOW},
    ],
}  # fmt: skip


def _previous_tables(url: str) -> sa.MetaData:
    """The tables as code before migrations created them (reflected: schema.py moves on)."""
    engine = make_engine(url)
    try:
        found = sa.MetaData()
        found.reflect(engine, only=lambda name, _meta: name in ROWS)
        return found
    finally:
        engine.dispose()


def _fill(url: str, tables: sa.MetaData) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for name, table in tables.tables.items():
                conn.execute(sa.insert(table), ROWS[name])
    finally:
        engine.dispose()


def _dump(url: str, tables: sa.MetaData) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the previous release's columns, in a stable order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for name, table in tables.tables.items()
            }
    finally:
        engine.dispose()


def _command(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, run for real in a new process."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins"), "DIBS_FORTNOX_DB_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "dibs_fortnox.ledger.migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("revision", sorted(BEFORE_MIGRATIONS))
def test_the_fixtures_are_the_revisions_before_migrations_and_rows_fill_every_table(
    revision: str,
) -> None:
    assert set(BEFORE_MIGRATIONS) == set(revisions.BEFORE_MIGRATIONS)
    created = {
        line.split()[2]
        for line in _section("sqlite", revision).splitlines()
        if line.startswith("CREATE TABLE ")
    }
    assert created <= set(ROWS)


def test_head_creates_exactly_the_tables_of_schema_py(empty_url: str) -> None:
    revisions.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert not diff, (
        "ledger/schema.py and the migrations' head differ:\n"
        + "\n".join(f"  {d}" for d in diff)
        + "\nA table or column changed in schema.py needs a revision: run\n"
        "  PYTHONPATH=plugins .venv/bin/python -m dibs_fortnox.ledger.migrate revision -m "
        "'what changed'\nreview the new file in ledger/migrations/versions/, then `make schema` "
        "(docs/migrations.md)."
    )


def test_the_migrations_have_one_head() -> None:
    # Two heads (two branches each added a revision) raise here: merge them (docs/migrations.md).
    assert revisions.known(revisions.head())
    assert revisions.known(revisions.base())


@pytest.mark.parametrize("revision", sorted(BEFORE_MIGRATIONS))
def test_upgrade_adopts_a_database_from_before_migrations_and_keeps_every_row(
    empty_url: str, revision: str
) -> None:
    _create_as_before_migrations(empty_url, revision)
    previous = _previous_tables(empty_url)
    _fill(empty_url, previous)
    before = _dump(empty_url, previous)
    assert len(before) >= 9 and all(before.values()), "rows in every table"

    done = _command(empty_url, "upgrade")

    assert done.returncode == 0, done.stderr
    assert f"recognised as revision {revision}" in done.stdout
    assert f"to {revisions.head()}" in done.stdout
    assert _dump(empty_url, previous) == before
    ledger = Ledger.from_url(empty_url)  # the check at task start now passes
    try:
        voucher = ledger.document("acme", "voucher", "po_1")
        assert isinstance(voucher, DocumentState) and voucher.status == "unknown"
        assert [p.reason for p in ledger.payouts("acme")] == [ROWS["payouts"][0]["reason"]]
        ledger.claim(
            "acme", "invoice", "ch_2", day=date(2026, 11, 3), payout_id=None, payload_hash=None
        )
        assert len(ledger.documents("acme")) == 3
        assert sa.inspect(ledger.engine).has_table("reversed_documents")
    finally:
        ledger.close()
    again = _command(empty_url, "upgrade")
    assert again.returncode == 0 and "already at" in again.stdout


def test_upgrade_refuses_tables_that_are_not_the_baseline_and_changes_nothing(
    empty_url: str,
) -> None:
    _create_as_before_migrations(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alerts"))
        conn.execute(sa.text("DROP INDEX ix_runs_tenant_day"))
    with pytest.raises(StateSchemaUnknown) as refused:
        revisions.upgrade(engine)
    message = str(refused.value)
    assert "table alerts is missing" in message
    assert "runs indexes: missing ix_runs_tenant_day on (tenant, day)" in message
    with engine.connect() as conn:
        assert revisions.current(conn) == ()
        assert "alerts" not in sa.inspect(conn).get_table_names()
    engine.dispose()


def test_a_new_database_gets_head_and_the_ledger_opens_it(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate.main(["--url", empty_url, "upgrade"]) == 0
    assert f"upgraded from empty to {revisions.head()}" in capsys.readouterr().out
    assert migrate.main(["--url", empty_url, "check"]) == 0
    assert "(head)" in capsys.readouterr().out
    assert migrate.main(["--url", empty_url, "current"]) == 0
    assert capsys.readouterr().out.strip() == revisions.head()
    Ledger.from_url(empty_url).close()


def test_the_ledger_refuses_a_database_without_tables_and_names_the_command(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StateSchemaBehind, match="has no tables yet") as refused:
        Ledger.from_url(empty_url)
    assert "python -m dibs_fortnox.ledger.migrate upgrade" in str(refused.value)
    assert migrate.main(["--url", empty_url, "check"]) == 1
    assert "migrate upgrade" in capsys.readouterr().err


def test_the_ledger_refuses_the_release_before_migrations_until_upgraded(
    empty_url: str,
) -> None:
    _create_as_before_migrations(empty_url)
    with pytest.raises(StateSchemaBehind, match="created before migrations existed"):
        Ledger.from_url(empty_url)


def test_the_ledger_refuses_a_database_a_newer_release_migrated(empty_url: str) -> None:
    revisions.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StateSchemaAhead, match="revision 9999, which this code does not know"):
        Ledger.from_url(empty_url)


def test_a_database_built_from_the_sql_output_is_at_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The DBA's path: ``migrate sql`` run by hand gives the same database as ``upgrade``."""
    assert migrate.main(["sql", "--dialect", "sqlite"]) == 0
    by_hand = tmp_path / "by_hand.db"
    with sqlite3.connect(by_hand) as conn:
        conn.executescript(capsys.readouterr().out)
    upgraded = f"sqlite:///{tmp_path / 'upgraded.db'}"
    revisions.upgrade(upgraded)
    shapes = []
    for url in (f"sqlite:///{by_hand}", upgraded):
        engine = make_engine(url)
        with engine.connect() as conn:
            shapes.append((baseline.shape(conn), revisions.current(conn)))
        engine.dispose()
    assert shapes[0] == shapes[1]
    Ledger.from_url(f"sqlite:///{by_hand}").close()


def test_messages_never_show_the_database_password() -> None:
    engine = sa.create_engine("postgresql+psycopg2://airflow:s3cret-pw@db/dibs_fortnox")
    assert "s3cret-pw" not in revisions.shown(engine)
    assert "airflow:***@db" in revisions.shown(engine)
