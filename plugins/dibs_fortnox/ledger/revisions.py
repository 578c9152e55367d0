"""Alembic revisions of the state database: bring it to head, and check it before use.

The tables are declared once, in :mod:`dibs_fortnox.ledger.schema`; each change to them is a
revision in ``ledger/migrations/versions/`` (docs/migrations.md says how to add one). Alembic
is configured here in code, so nothing but the package is needed at run time (no
``alembic.ini``).

Two verbs:

- :func:`upgrade` creates the tables of a new database or applies the missing revisions.
  Operators run it as ``python -m dibs_fortnox.ledger.migrate upgrade``, before the Airflow
  components start (docker-compose's ``airflow-init``, the demo and the tests do the same).
- :func:`check` compares the database's revision with the code's head; :class:`Ledger`
  calls it whenever it opens a database, so a task stops at once with the command to run
  instead of failing half-way on a missing column.

Example:
    >>> engine = make_engine("sqlite:////tmp/state.db")
    >>> upgrade(engine).after == head()
    True
    >>> check(engine)  # raises StateSchemaBehind / StateSchemaAhead when not at head
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from dibs_fortnox.errors import StateSchemaAhead, StateSchemaBehind
from dibs_fortnox.ledger import baseline
from dibs_fortnox.ledger.dialects import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Revisions whose tables code before migrations created with ``create_all`` (0002 landed a
# few minutes before Alembic did): a database without a revision is adopted at the one it
# matches exactly. Never add a later revision here.
BEFORE_MIGRATIONS = ("0001", "0002")
UPGRADE_COMMAND = "python -m dibs_fortnox.ledger.migrate upgrade"

# Any constant: two upgrades of one Postgres database take turns, and the second finds the
# work done instead of creating the same tables again.
_PG_LOCK_KEY = 74_117_001


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration, built in code: our migrations folder, and ``url`` if given
    (only the ``--sql`` output needs a URL; online runs get an open connection)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Revision files are named r0002_what_changes.py: sorted, and valid module names for mypy.
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision of the code; the only one a database may be at to be used.

    Raises alembic's ``CommandError`` when the revisions have two heads (two branches each
    added one): merge them with ``alembic merge`` semantics, see docs/migrations.md.
    """
    current = _script().get_current_head()
    if current is None:
        raise RuntimeError(f"no revisions in {MIGRATIONS / 'versions'}")
    return current


def base() -> str:
    """The first revision: the schema of the last release before migrations existed."""
    found = _script().get_base()
    if found is None:
        raise RuntimeError(f"no revisions in {MIGRATIONS / 'versions'}")
    return found


def known(revision: str) -> bool:
    """Whether the code has ``revision`` (a database at an unknown one is ahead of us)."""
    return any(script.revision == revision for script in _script().walk_revisions())


def current(connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database: one, or none for a database never migrated."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def shown(engine: Engine | Connection) -> str:
    """The database's URL for a message: the password hidden."""
    return engine.engine.url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class Upgraded:
    """What :func:`upgrade` did.

    Attributes:
        before: the revision the database was at; None for a new (or pre-Alembic) database.
        after: the revision it is at now (the head unless another target was asked for).
        adopted: the revision recorded for tables that existed without one (created by code
            before migrations, recognised as one of :data:`BEFORE_MIGRATIONS`); None when
            the database had a revision or no tables.
    """

    before: str | None
    after: str | None
    adopted: str | None


def upgrade(target: str | Engine, revision: str = "head") -> Upgraded:
    """Create the tables of a new database, or apply the revisions it lacks, in one go.

    A database whose tables code before migrations created (``create_all``, no
    ``alembic_version``) is compared with the revisions of :data:`BEFORE_MIGRATIONS` first;
    the one it matches exactly is recorded and only later revisions run. When none matches,
    :class:`~dibs_fortnox.errors.StateSchemaUnknown` says what differs and nothing changes.

    Args:
        target: a database URL, or an engine (an in-memory SQLite database must be passed as
            the engine that will use it).
        revision: where to go; the head unless a test asks for an older revision.
    """
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config = alembic_config()
            config.attributes["connection"] = conn
            before = current(conn)
            adopted = None
            if not before and baseline.has_tables(conn):
                adopted = baseline.match(conn, _shapes_before_migrations())
                command.stamp(config, adopted)
            command.upgrade(config, revision)
            after = current(conn)
    finally:
        if isinstance(target, str):
            engine.dispose()
    return Upgraded(
        before=before[0] if before else None, after=after[0] if after else None, adopted=adopted
    )


@lru_cache(maxsize=1)
def _shapes_before_migrations() -> dict[str, baseline.Shape]:
    """The shape of a database at each of :data:`BEFORE_MIGRATIONS`, built by running the
    revisions on a scratch SQLite database, so the tables are written down once: in them."""
    scratch = make_engine("sqlite://")
    shapes: dict[str, baseline.Shape] = {}
    try:
        with scratch.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            for revision in BEFORE_MIGRATIONS:
                command.upgrade(config, revision)
                shapes[revision] = baseline.shape(conn)
    finally:
        scratch.dispose()
    return shapes


def check(engine: Engine) -> str:
    """Return the database's revision if it is the code's head; raise with the fix if not.

    Raises:
        StateSchemaBehind: the database has no tables yet, was created before migrations,
            or lacks revisions: run the upgrade command.
        StateSchemaAhead: newer code migrated it: deploy that code here too.
    """
    wanted = head()
    with engine.connect() as conn:
        found = current(conn)
        if found == (wanted,):
            return wanted
        untracked = not found and baseline.has_tables(conn)
    where = f"the state database {shown(engine)}"
    run = (
        f"run `{UPGRADE_COMMAND}` with the same DIBS_FORTNOX_DB_URL before starting Airflow "
        "(docker compose: `docker compose up airflow-init`)"
    )
    if not found and untracked:
        raise StateSchemaBehind(
            f"{where} was created before migrations existed (no revision recorded): {run}; "
            "it recognises the tables, records the baseline and applies what is missing"
        )
    if not found:
        raise StateSchemaBehind(f"{where} has no tables yet: {run}")
    newer = [rev for rev in found if not known(rev)]
    if newer:
        raise StateSchemaAhead(
            f"{where} is at revision {', '.join(newer)}, which this code does not know: a "
            f"newer release of dibs-fortnox migrated it (this code's head is {wanted}). "
            "Deploy that release on every Airflow component (scheduler, workers, "
            "dag-processor); never downgrade a database that holds booked documents"
        )
    raise StateSchemaBehind(
        f"{where} is at revision {', '.join(found)} but this code needs {wanted}: {run}"
    )
