"""The operator's reconciliation queries in ``include/sql/reconciliation.sql``, run by name.

The queries live in a reviewed SQL file rather than in Python so that an operator can run
the very same text in ``psql`` or ``sqlite3``. Each starts with a ``-- name:`` line.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

RECONCILIATION_SQL = Path(__file__).resolve().parents[3] / "include" / "sql" / "reconciliation.sql"

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, str]:
    """Split the file's text into ``{name: sql}``; the SQL keeps its comments."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} appears twice in {RECONCILIATION_SQL.name}")
        queries[name] = body.strip().rstrip(";")
    return queries


@cache
def queries() -> dict[str, str]:
    """Return the queries of ``include/sql/reconciliation.sql`` by name."""
    return parse_queries(RECONCILIATION_SQL.read_text(encoding="utf-8"))


def _normalise(key: str, value: Any) -> Any:
    # SQLite hands back dates and timestamps of a plain text query as strings; Postgres as
    # date/datetime. Give callers one shape: date, and aware UTC datetime.
    if isinstance(value, str) and key == "day":
        return date.fromisoformat(value)
    if isinstance(value, str) and key.endswith("_at"):
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def run_report(engine: Engine, name: str, tenant: str) -> list[dict[str, Any]]:
    """Run the named reconciliation query for a tenant; return its rows as dicts."""
    known = queries()
    if name not in known:
        raise KeyError(f"no reconciliation query {name!r}; known: {', '.join(sorted(known))}")
    with engine.connect() as conn:
        result = conn.execute(sa.text(known[name]), {"tenant": tenant})
        keys = list(result.keys())
        return [
            {key: _normalise(key, value) for key, value in zip(keys, row, strict=True)}
            for row in result
        ]
