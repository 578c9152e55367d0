"""Alembic's environment for the state database, configured in code by ``ledger.revisions``.

Alembic runs this file for every command. It takes what it needs from the ``Config`` that
:mod:`dibs_fortnox.ledger.revisions` builds (no ``alembic.ini``): an open connection in
``config.attributes["connection"]`` for online runs, or a URL for ``--sql`` output.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from dibs_fortnox.ledger.schema import UtcDateTime, metadata

config = context.config


def render_item(kind: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy type the database stores, so that a
    revision never imports ``schema.py`` (which keeps changing after the revision)."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_offline() -> None:
    """Write the migrations' SQL instead of running it (``migrate sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the connection ``ledger.revisions`` opened."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: autogenerate writes "batch" operations, which
        # copy the table on SQLite and are plain ALTERs on Postgres.
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
