"""Runs of one tenant write to Fortnox one after the other: earlier days first, and of two
runs of the same day the older one.

``airflow backfill create`` starts up to ten runs of a DAG at once (the backfill's own
``max_active_runs``; the DAG's limit does not apply to backfill runs), and a scheduled run
can overlap a manual one. Booking is not order-free: a refund credits the invoice of its
charge, so the payout of the charge must be booked before the payout of the refund, or the
refund is held. So before writing, the load step of day D waits while any run of the same
tenant for an earlier day is in flight and has not finished its own load (our ``runs``
table, where every step notes that it is done). A day with nothing left to write does not
wait at all.

Two runs of the *same* day (a manual trigger racing the scheduler, a second backfill) take
turns the same way: the run whose row was created first writes, the other waits for its
load and then finds every document confirmed. Without this, the second run could take a
document the first is still sending for a crashed one and look it up too early. A retry of
a task keeps its run id, so it never waits for itself.

Only runs in flight block: a day that failed or was held does not stop later days, which is
what a retriggered day in the middle of a booked range needs. A run row that Airflow gave up
on is closed by the task failure callback; one older than ``STALE_AFTER`` is ignored, so a
crashed run can never block a tenant forever.

The wait happens in the task for up to ``wait_s``; after that ``WaitingForEarlierDay`` is
raised and the Airflow task reschedules itself (freeing its worker slot, no retry used).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from dibs_fortnox.errors import WaitingForEarlierDay
from dibs_fortnox.pipeline.context import StepContext

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=12)
WAIT_S = 300.0
POLL_S = 1.0


def _own_run(ctx: StepContext) -> int | None:
    """The key of this run's row (created by its first step); None when it has none."""
    mine = [r.pk for r in ctx.ledger.runs(ctx.tenant.id, ctx.day) if r.run_id == ctx.run_id]
    return min(mine) if mine else None


def wait_for_earlier_days(
    ctx: StepContext,
    *,
    wait_s: float = WAIT_S,
    poll_s: float = POLL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Return once no earlier day of the tenant is in flight; the seconds waited.

    Raises:
        WaitingForEarlierDay: still blocked after ``wait_s``.
    """
    started = clock()
    announced = False
    own = _own_run(ctx)
    while True:
        bound = ctx.ledger.now() - STALE_AFTER
        blocking = sorted(
            {
                r.day.isoformat() if r.day != ctx.day else f"{r.day.isoformat()} ({r.run_id})"
                for r in ctx.ledger.open_runs_ahead(ctx.tenant.id, ctx.day, own, bound)
                if "load" not in ((r.summary or {}).get("steps_done") or [])
            }
        )
        waited = clock() - started
        if not blocking:
            if announced:
                log.info("%s: earlier days done after %.1f s; writing now", ctx.where(), waited)
            return waited
        if not announced:
            log.info(
                "%s: waiting for earlier days still being booked: %s",
                ctx.where(),
                ", ".join(blocking),
            )
            announced = True
        if waited >= wait_s:
            raise WaitingForEarlierDay(
                f"{ctx.where()}: waits for earlier days still being booked "
                f"({', '.join(blocking)}); a refund must not be booked before its charge",
                blocking,
            )
        sleep(poll_s)
