"""What differs between SQLite and Postgres: engine options and "insert unless present".

Several Airflow workers may write the same database at once. Both dialects get the same
guarantee from the same mechanism: a unique key per document, and an insert that does
nothing when the key exists (``INSERT … ON CONFLICT DO NOTHING``), so two workers can
never both create the same row.

SQLite is made fit for several processes with WAL (readers do not block the writer) and a
busy timeout (a writer waits for the lock instead of failing at once). The driver's default
transaction handling is kept on purpose: it begins a transaction at the first write, so a
read followed by a conditional ``UPDATE … WHERE status = :seen`` never tries to upgrade a
stale read snapshot (which SQLite would refuse without waiting).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from dibs_fortnox import money

ENV_URL = "DIBS_FORTNOX_DB_URL"
SQLITE_BUSY_TIMEOUT_S = 30

_REPO_ROOT = Path(__file__).resolve().parents[3]


def default_url() -> str:
    """Return ``DIBS_FORTNOX_DB_URL``, or the SQLite file ``var/dibs_fortnox.db`` of the repo.

    The default is resolved against the repository, not the working directory, so that the
    scheduler, the workers and the CLI started from elsewhere all open the same file.
    """
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return url
    return f"sqlite:///{_REPO_ROOT / 'var' / 'dibs_fortnox.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the options the dialect needs for several concurrent workers.

    JSON columns are written with :func:`money.dumps` and read with :func:`money.loads`, so a
    ``Decimal`` in a payload survives exactly and a ``float`` is refused.
    """
    parsed = sa.make_url(url)
    options: dict[str, Any] = {
        "json_serializer": money.dumps,
        "json_deserializer": money.loads,
    }
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if in_memory:
            # One shared connection, or every checkout would see a fresh empty database.
            options["poolclass"] = StaticPool
        else:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **options)
        if not in_memory:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options["pool_pre_ping"] = True
    return sa.create_engine(parsed, **options)


def insert_if_absent(
    conn: Connection, table: sa.Table, values: Mapping[str, Any], keys: Sequence[str]
) -> bool:
    """Insert a row unless one with the same ``keys`` exists; return True if this call inserted.

    Safe against a concurrent insert of the same key: the loser's insert does nothing.
    """
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if name == "sqlite" else pg_insert
        stmt = dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
        return conn.execute(stmt).rowcount == 1
    savepoint = conn.begin_nested()
    try:
        conn.execute(sa.insert(table).values(**values))
    except sa.exc.IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upsert(
    conn: Connection,
    table: sa.Table,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert a row, or update ``update``'s columns of the row with the same ``keys``.

    A value in ``update`` may be a callable: it gets the offered row (``excluded``) and
    returns an SQL expression, which may also use ``table``'s columns (the existing row).
    """
    name = conn.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"the ledger supports SQLite and Postgres, not {name}")
    dialect_insert = sqlite_insert if name == "sqlite" else pg_insert
    stmt = dialect_insert(table).values(**values)
    resolved = {k: (v(stmt.excluded) if callable(v) else v) for k, v in update.items()}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=resolved))
