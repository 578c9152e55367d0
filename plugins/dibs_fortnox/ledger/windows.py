"""One rate window per tenant and API, shared by every process that calls the API.

Fortnox allows 25 requests per 5 s per tenant. Airflow runs a tenant's tasks in separate
processes, and several at once: a backfill starts up to ten runs of one DAG, a manual run
can race the scheduled one, reconcile of one day overlaps load of the next. A limiter in
each process would let each of them send a full window's worth and Fortnox would answer
429. So the window lives in the state database, which every worker already reaches: each
request first reserves its send time in the tenant's row.

The reservation is optimistic, like the document claims: read the row, compute, then
``UPDATE … WHERE updated_at = :seen``; a process that lost the race reads again. The row
holds the last ``max_requests`` request times as epoch milliseconds, rounded up so that
rounding never frees a slot early (wall clock, so that workers on several hosts agree to
within their clock skew). A request is entered at its send time and moved to its answer
time when the answer comes back (``answered``), because Fortnox counts arrivals and an
arrival lies between the two (``dibs_fortnox.ratelimit`` explains why that makes 25 per
5 s safe without a margin).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.dialects import insert_if_absent
from dibs_fortnox.ledger.schema import request_windows
from dibs_fortnox.ratelimit import wait_before_next

Clock = Callable[[], datetime]
# Two updates in the same microsecond must still differ, or the second would overwrite the
# first's reservation unseen.
_TICK = timedelta(microseconds=1)


class SharedWindowLimiter:
    """A sliding-window limiter whose send times are kept in the state database.

    Args:
        engine: the state database.
        tenant: whose window (limits are per Fortnox tenant).
        service: which API (``fortnox``).
        max_requests: requests allowed per window.
        window_s: window length in seconds.
        now: the ledger's clock (aware datetimes), stamped on each update.
        wall: epoch seconds; ``sleep`` must advance it in tests.

    Example:
        >>> limiter = ledger.rate_window("acme", "fortnox")   # doctest: +SKIP
        >>> limiter.acquire()                                 # waits when the window is full
        0.0
    """

    def __init__(
        self,
        engine: Engine,
        tenant: str,
        service: str,
        max_requests: int,
        window_s: float,
        *,
        now: Clock,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or window_s <= 0:
            raise ValueError("max_requests must be at least 1 and window_s positive")
        self._engine = engine
        self.tenant = tenant
        self.service = service
        self.max_requests = max_requests
        self.window_s = window_s
        self._now = now
        self._wall = wall
        self._sleep = sleep
        self._key = sa.and_(
            request_windows.c.tenant == tenant, request_windows.c.service == service
        )
        self._mine = threading.local()  # this thread's reservation (epoch ms) in flight

    def _ensure_row(self) -> None:
        with self._engine.begin() as conn:
            insert_if_absent(
                conn,
                request_windows,
                {"tenant": self.tenant, "service": self.service, "sent_at": [],
                 "updated_at": self._now()},
                ("tenant", "service"),
            )  # fmt: skip

    def _try_reserve(self) -> float:
        """Reserve a send now if the window allows; return 0, or the seconds to wait first."""
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(request_windows.c.sent_at, request_windows.c.updated_at).where(self._key)
            ).first()
            if row is None:
                return -1.0
            now = self._wall()
            sent = [int(t) / 1000 for t in row.sent_at]
            wait = wait_before_next(sent, now, self.max_requests, self.window_s)
            if wait > 0:
                return wait
            kept = sorted(t for t in sent if t > now - self.window_s)[-self.max_requests :]
            stamps = [math.ceil(t * 1000) for t in [*kept, now]]
            values: dict[str, Any] = {
                "sent_at": stamps,
                "updated_at": max(self._now(), row.updated_at + _TICK),
            }
            changed = conn.execute(
                sa.update(request_windows)
                .where(self._key, request_windows.c.updated_at == row.updated_at)
                .values(**values)
            ).rowcount
        if changed == 1:
            self._mine.sent = stamps[-1]
            return 0.0
        return -1.0

    def answered(self) -> None:
        """Move this thread's last reservation to now, the time its answer came back."""
        sent = getattr(self._mine, "sent", None)
        if sent is None:
            return
        self._mine.sent = None
        while True:
            with self._engine.begin() as conn:
                row = conn.execute(
                    sa.select(request_windows.c.sent_at, request_windows.c.updated_at).where(
                        self._key
                    )
                ).first()
                stamps = [int(t) for t in row.sent_at] if row is not None else []
                if sent not in stamps:
                    return  # already aged out of the row
                stamps[len(stamps) - 1 - stamps[::-1].index(sent)] = max(
                    sent, math.ceil(self._wall() * 1000)
                )
                assert row is not None
                changed = conn.execute(
                    sa.update(request_windows)
                    .where(self._key, request_windows.c.updated_at == row.updated_at)
                    .values(
                        sent_at=sorted(stamps),
                        updated_at=max(self._now(), row.updated_at + _TICK),
                    )
                ).rowcount
            if changed == 1:
                return

    def acquire(self) -> float:
        """Wait until the tenant's shared window allows a send, reserve it, return the wait."""
        waited = 0.0
        while True:
            outcome = self._try_reserve()
            if outcome == 0.0:
                return waited
            if outcome < 0:  # no row yet, or another process updated it first: try again
                self._ensure_row()
                continue
            self._sleep(outcome)
            waited += outcome

    def in_window(self) -> int:
        """How many sends the shared window holds now (for tests and logs)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(request_windows.c.sent_at).where(self._key)).first()
        now = self._wall()
        return 0 if row is None else sum(1 for t in row.sent_at if t / 1000 > now - self.window_s)
