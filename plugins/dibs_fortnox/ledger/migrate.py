"""The state database's migration command, for operators and developers.

Operators (the database is ``DIBS_FORTNOX_DB_URL``, or ``--url``)::

    python -m dibs_fortnox.ledger.migrate upgrade    # create the tables, or apply new revisions
    python -m dibs_fortnox.ledger.migrate current    # the revision the database is at
    python -m dibs_fortnox.ledger.migrate check      # exit 1, with the fix, unless at head
    python -m dibs_fortnox.ledger.migrate sql --dialect postgresql   # the SQL, for a DBA

Developers, after changing ``ledger/schema.py`` (docs/migrations.md)::

    python -m dibs_fortnox.ledger.migrate revision -m "add payout currency"
    python -m dibs_fortnox.ledger.migrate ddl > include/sql/schema.sql
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from dibs_fortnox.errors import StateSchemaError
from dibs_fortnox.ledger import revisions
from dibs_fortnox.ledger.dialects import default_url, make_engine
from dibs_fortnox.ledger.schema import schema_sql

_DIALECT_URLS = {"sqlite": "sqlite://", "postgresql": "postgresql+psycopg2://"}


def _upgrade(url: str) -> int:
    done = revisions.upgrade(url)
    where = sa.make_url(url).render_as_string(hide_password=True)
    if done.adopted:
        print(f"{where}: tables from before migrations recognised as revision {done.adopted}")
    if done.before == done.after:
        print(f"{where}: already at {done.after} (head)")
    else:
        print(f"{where}: upgraded from {done.before or 'empty'} to {done.after}")
    return 0


def _current(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = revisions.current(conn)
    finally:
        engine.dispose()
    print(", ".join(found) if found else "none (no migrations run yet)")
    return 0


def _check(url: str) -> int:
    engine = make_engine(url)
    try:
        revision = revisions.check(engine)
    except StateSchemaError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"{revisions.shown(engine)}: at {revision} (head)")
    return 0


def _sql(dialect: str, start: str | None) -> int:
    """Print the SQL of the revisions from ``start`` (or from nothing) to head."""
    buffer = io.StringIO()
    config = revisions.alembic_config(_DIALECT_URLS[dialect])
    config.output_buffer = buffer
    command.upgrade(config, f"{start}:head" if start else "head", sql=True)
    print(buffer.getvalue(), end="")
    return 0


def _next_id() -> str:
    """The next revision id: one more than the newest ``r0001_…`` file's number."""
    numbers = [
        int(m.group(1))
        for p in (revisions.MIGRATIONS / "versions").glob("r*.py")
        if (m := re.match(r"r(\d{4})_", p.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def _revision(message: str) -> int:
    """Write a new revision from the difference between head and ``schema.py``.

    The difference is taken against a scratch SQLite database brought to head; review the
    file (autogenerate misses renames and some type changes) and run the tests, which
    upgrade SQLite and Postgres and compare both with the tables.
    """
    with tempfile.TemporaryDirectory(prefix="dibs-fortnox-revision-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'head.db'}")
        try:
            revisions.upgrade(engine)
            with engine.begin() as conn:
                config = revisions.alembic_config()
                config.attributes["connection"] = conn
                written = command.revision(
                    config, message=message, autogenerate=True, rev_id=_next_id()
                )
        finally:
            engine.dispose()
    scripts = written if isinstance(written, list) else [written]
    for script in scripts:
        if script is None:
            continue
        subprocess.run([sys.executable, "-m", "ruff", "format", script.path], check=False)
        print(f"wrote {script.path}: review it, then run tests/ledger")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dibs_fortnox.ledger.migrate",
        description="Create, upgrade and check the DIBS-Fortnox state database.",
    )
    parser.add_argument("--url", help="database URL (default: $DIBS_FORTNOX_DB_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="create the tables or apply the missing revisions")
    sub.add_parser("current", help="print the revision the database is at")
    sub.add_parser("check", help="exit 1 with the fix unless the database is at head")
    sql = sub.add_parser("sql", help="print the SQL of the revisions instead of running it")
    sql.add_argument("--dialect", choices=sorted(_DIALECT_URLS), default="postgresql")
    sql.add_argument("--from", dest="start", help="the revision the database is at")
    sub.add_parser("ddl", help="print include/sql/schema.sql, generated from ledger/schema.py")
    rev = sub.add_parser("revision", help="(developers) new revision from schema.py changes")
    rev.add_argument("-m", "--message", required=True, help="what the revision changes")
    args = parser.parse_args(argv)

    url = args.url or default_url()
    try:
        if args.command == "upgrade":
            return _upgrade(url)
        if args.command == "current":
            return _current(url)
        if args.command == "check":
            return _check(url)
        if args.command == "sql":
            return _sql(args.dialect, args.start)
        if args.command == "revision":
            return _revision(args.message)
        print(schema_sql(), end="")
        return 0
    except StateSchemaError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
