"""Tables of our own state database, and the DDL a reviewer reads in ``include/sql``.

Eleven tables, one job each:

- ``raw_records``: what Nets returned (payout lists, payout details, payments), kept for
  audit, for re-running the transform without calling Nets again, and as the payment cache.
- ``documents``: one row per Fortnox document we intend to create, keyed by the
  deterministic reference built from Nets ids. The unique key is what makes a second
  worker's claim of the same document a no-op.
- ``payouts``: whether a payout is pending, held (with the reason) or booked.
- ``runs``: one row per pipeline run of a tenant and day, with its summary.
- ``payout_resolutions``: who booked a held payout by hand or released it, when and why.
- ``request_windows``: each tenant's Fortnox rate window, shared by every worker.
- ``onboarding``: where each tenant's onboarding stands (checks, test documents, e-mail,
  the decision with who, when and why): the gate the daily DAG reads.
- ``onboarding_links``: approval links already used (a link works once).
- ``alerts``: alerts already sent, so a late day is reported once, not every check.
- ``reversals``: who reversed which days of a tenant, when and why.
- ``reversed_documents``: each document a reversal took back, with the Fortnox number of
  the document that reverses it; its Fortnox number is never matched to a booking again.

Timestamps are stored in UTC. SQLite has no time zone type, so :class:`UtcDateTime` writes
naive UTC there and hands back aware UTC datetimes on every dialect.

This module is the one source of truth for the tables. After changing a table, add a
revision and regenerate the reviewed DDL (docs/migrations.md; tests/ledger fail until both
are done)::

    PYTHONPATH=plugins .venv/bin/python -m dibs_fortnox.ledger.migrate revision -m "what"
    make schema     # include/sql/schema.sql from these tables
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

RAW_KINDS: tuple[str, ...] = ("payouts_list", "payout", "payment")
DOCUMENT_KINDS: tuple[str, ...] = (
    "customer",
    "invoice",
    "invoice_payment",
    "credit",
    "credit_payment",
    "voucher",
)
DOCUMENT_STATUSES: tuple[str, ...] = ("intent", "unknown", "posted", "bookkept", "failed")
PAYOUT_STATUSES: tuple[str, ...] = ("pending", "held", "booked")
RUN_STATUSES: tuple[str, ...] = ("running", "success", "held", "failed")
RESOLUTION_ACTIONS: tuple[str, ...] = ("booked_by_hand", "released")
ONBOARDING_STATUSES: tuple[str, ...] = (
    "checking",
    "checks_failed",
    "awaiting_approval",
    "active",
    "rejected",
)

# Stable constraint names, so the generated DDL and migrations do not depend on the dialect's
# own naming.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Naive datetimes are refused on the way in: a naive value is ambiguous, and the ledger
    compares timestamps across workers in different zones.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing a timestamp without time zone: {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


raw_records = sa.Table(
    "raw_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("nets_id", sa.String(128), nullable=False),
    # The payout day that needed the record; a payment needed by two days keeps the later one.
    sa.Column("day", sa.Date, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "kind", "nets_id"),
    _one_of("kind", RAW_KINDS, "kind"),
    sa.Index(None, "tenant", "day"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fortnox_id", sa.String(64), nullable=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("payout_id", sa.String(128), nullable=True),
    sa.Column("payload_hash", sa.String(128), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "kind", "reference"),
    _one_of("kind", DOCUMENT_KINDS, "kind"),
    _one_of("status", DOCUMENT_STATUSES, "status"),
    sa.CheckConstraint(
        "status NOT IN ('posted', 'bookkept') OR fortnox_id IS NOT NULL", name="posted_has_id"
    ),
    sa.Index(None, "tenant", "day"),
    sa.Index(None, "tenant", "payout_id"),
)

payouts = sa.Table(
    "payouts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("payout_id", sa.String(128), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "payout_id"),
    _one_of("status", PAYOUT_STATUSES, "status"),
    sa.Index(None, "tenant", "day"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("run_id", sa.String(250), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", sa.JSON, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    _one_of("status", RUN_STATUSES, "status"),
    sa.Index(None, "tenant", "day"),
)

# What a person decided about a held payout: booked by hand, or released for a re-run.
# ``claims`` lists the charge and refund ids a hand-booked payout settled, so no later payout
# matches them again and refunds of those charges can credit the hand-made invoices.
payout_resolutions = sa.Table(
    "payout_resolutions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("payout_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    _one_of("action", RESOLUTION_ACTIONS, "action"),
    sa.Index(None, "tenant", "payout_id"),
)

# When a tenant's recent API calls were sent (epoch seconds), handed from one task to the
# next: each task builds a new client, and a fresh limiter would otherwise burst straight
# into the previous task's window and meet Fortnox's 429.
request_windows = sa.Table(
    "request_windows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("service", sa.String(16), nullable=False),
    sa.Column("sent_at", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "service"),
)

# One row per tenant: the onboarding's progress and outcome. ``documents`` holds the Fortnox
# numbers of the test documents and of their reversal, ``checks`` the last check results.
onboarding = sa.Table(
    "onboarding",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("checks", sa.JSON, nullable=True),
    sa.Column("documents", sa.JSON, nullable=True),
    sa.Column("emailed_at", UtcDateTime, nullable=True),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    _one_of("status", ONBOARDING_STATUSES, "status"),
)

onboarding_links = sa.Table(
    "onboarding_links",
    metadata,
    sa.Column("link_id", sa.String(64), primary_key=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("key", sa.String(250), nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "kind", "key"),
)

# A person's reversal of a range of days (python -m dibs_fortnox.reverse --apply): one row
# per run of the command, so a reversal resumed after a crash shows both runs.
reversals = sa.Table(
    "reversals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("from_day", sa.Date, nullable=False),
    sa.Column("to_day", sa.Date, nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("documents", sa.Integer, nullable=True),
    sa.Index(None, "tenant"),
)

# The documents a reversal took back. Their rows leave ``documents`` (so the day can be
# booked anew under the same Nets references) and are kept here with the reversing
# document, which is what tells the loader that Fortnox's copy is reversed, not booked.
reversed_documents = sa.Table(
    "reversed_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("reversal_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(128), nullable=False),
    sa.Column("fortnox_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("payout_id", sa.String(128), nullable=True),
    sa.Column("reversal_kind", sa.String(16), nullable=False),
    sa.Column("reversal_reference", sa.String(128), nullable=False),
    sa.Column("reversal_fortnox_id", sa.String(64), nullable=False),
    sa.Column("reversed_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "kind", "fortnox_id"),
    _one_of("kind", DOCUMENT_KINDS, "kind"),
    sa.Index(None, "tenant", "day"),
)


_DIALECTS: dict[str, Any] = {"sqlite": sqlite.dialect, "postgresql": postgresql.dialect}


def _tidy(compiled: Any) -> str:
    """Drop the trailing blanks SQLAlchemy leaves after commas, and end with a semicolon."""
    lines = [line.rstrip() for line in str(compiled).strip().splitlines()]
    return "\n".join(lines) + ";"


def ddl(dialect_name: str) -> str:
    """Return the CREATE statements of every table and index, as one dialect writes them."""
    dialect = _DIALECTS[dialect_name]()
    statements: list[str] = []
    for table in metadata.sorted_tables:
        statements.append(_tidy(CreateTable(table).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            statements.append(_tidy(CreateIndex(index).compile(dialect=dialect)))
    return "\n\n".join(statements) + "\n"


def schema_sql() -> str:
    """Return the text of ``include/sql/schema.sql``: the DDL for SQLite and for Postgres."""
    parts = [
        "-- DIBS-Fortnox state database (our own database, never Airflow's metadata DB).\n"
        "-- Generated from plugins/dibs_fortnox/ledger/schema.py by `make schema`;\n"
        "-- do not edit by hand: tests/ledger fail when this file and the tables differ.\n"
        "-- This file is for review. The tables are created and upgraded by the migration\n"
        "-- command, `python -m dibs_fortnox.ledger.migrate upgrade` (Alembic, see\n"
        "-- docs/migrations.md); `... migrate sql` prints the same as SQL for a DBA.\n"
    ]
    for name, title in (("sqlite", "SQLite (default, one file)"), ("postgresql", "PostgreSQL")):
        parts.append(f"\n-- ===== {title} =====\n\n{ddl(name)}")
    return "".join(parts)
