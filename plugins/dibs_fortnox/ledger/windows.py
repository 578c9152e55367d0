"""Hand a tenant's recent API send times from one task to the next.

Airflow runs each task in a new process with a new client; a limiter that starts empty
would let a full burst through right after the previous task's burst and Fortnox (25 calls
per 5 s per tenant) would answer 429. The tasks of one tenant run one after another, so
saving the send times at the end of a task and loading them at the start of the next is
enough to keep the window continuous across processes and hosts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.dialects import upsert
from dibs_fortnox.ledger.schema import request_windows


def save(engine: Engine, now: datetime, tenant: str, service: str, sent_at: list[float]) -> None:
    """Replace the stored send times (epoch seconds; stored as integer milliseconds)."""
    values: dict[str, Any] = {"tenant": tenant, "service": service,
                              "sent_at": [int(t * 1000) for t in sent_at], "updated_at": now}
    with engine.begin() as conn:
        upsert(conn, request_windows, values, ("tenant", "service"),
               {"sent_at": values["sent_at"], "updated_at": now})


def load(engine: Engine, tenant: str, service: str) -> list[float]:
    """The stored send times (epoch seconds), oldest first; empty when none were saved."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(request_windows.c.sent_at).where(
                request_windows.c.tenant == tenant, request_windows.c.service == service)
        ).first()
    return sorted(int(t) / 1000 for t in row.sent_at) if row else []
