"""Test databases: SQLite in a temporary folder, and a real Postgres when one is configured.

A test that opens a ``Ledger`` first brings its database to the code's revision with
:func:`migrated` (the same ``upgrade`` the migration command runs), as an operator would.
A new SQLite file is a copy of one the upgrade made once per session: the same bytes,
without running the revisions again for each of the few hundred tests that need one.

Postgres cases exist only when ``DIBS_FORTNOX_TEST_PG_URL`` is set (CI starts one): the
parameter list is built from the environment, so nothing is skipped. Each Postgres case
gets its own new database, created through the server's ``postgres`` maintenance database
and dropped afterwards.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from dibs_fortnox.ledger.revisions import upgrade

PG_URL_ENV = "DIBS_FORTNOX_TEST_PG_URL"


def backends() -> list[object]:
    """``sqlite`` always, ``postgresql`` when a server is configured (for ``params=``)."""
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_URL_ENV):
        params.append(pytest.param("postgresql", id="postgres", marks=pytest.mark.postgres))
    return params


@contextmanager
def postgres_database(prefix: str = "dibs_test") -> Iterator[str]:
    """A new, empty Postgres database on the configured server; dropped afterwards."""
    server = sa.make_url(os.environ[PG_URL_ENV])
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path, name: str = "state.db") -> Iterator[str]:
    """The URL of an empty database of ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / name}"
        return
    with postgres_database() as url:
        yield url


@lru_cache(maxsize=1)
def _sqlite_at_head() -> Path:
    """A SQLite database the upgrade brought to head, made once per test session."""
    folder = Path(tempfile.mkdtemp(prefix="dibs-fortnox-state-head-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "state.db"
    upgrade(f"sqlite:///{path}")  # disposes its engine: the WAL is folded into the file
    return path


def migrated(url: str) -> str:
    """Bring the database at ``url`` to the code's revision (as the operator's
    ``python -m dibs_fortnox.ledger.migrate upgrade`` does); return ``url``."""
    parsed = sa.make_url(url)
    database = Path(parsed.database or "")
    if parsed.get_backend_name() == "sqlite" and parsed.database and not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_at_head(), database)
        return url
    upgrade(url)
    return url


@contextmanager
def state_database(backend: str, tmp_path: Path, name: str = "state.db") -> Iterator[str]:
    """The URL of a state database of ``backend`` at the code's revision, with no rows."""
    with database_url(backend, tmp_path, name) as url:
        yield migrated(url)
