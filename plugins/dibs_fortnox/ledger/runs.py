"""Payouts (pending, held, booked) and pipeline runs of a tenant and day.

A payout that cannot be booked whole is held with a reason a bookkeeper can act on, and
the reason stays in the ledger until a later run books it. ``booked`` is final: a rerun of
a booked day that records the payout as pending again does not reopen it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.dialects import insert_if_absent
from dibs_fortnox.ledger.schema import PAYOUT_STATUSES, RUN_STATUSES, payouts, runs
from dibs_fortnox.ledger.states import LedgerError, PayoutState, RunState

log = logging.getLogger(__name__)

_RETRIES = 20


def _payout(row: sa.Row[Any]) -> PayoutState:
    return PayoutState(
        tenant=row.tenant,
        day=row.day,
        payout_id=row.payout_id,
        status=row.status,
        reason=row.reason,
        updated_at=row.updated_at,
    )


def _run(row: sa.Row[Any]) -> RunState:
    return RunState(
        pk=row.id,
        tenant=row.tenant,
        day=row.day,
        run_id=row.run_id,
        status=row.status,
        summary=row.summary,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def record_payout(
    engine: Engine,
    now: datetime,
    tenant: str,
    day: date,
    payout_id: str,
    status: str,
    reason: str | None,
) -> None:
    """Record a payout's status; a held payout needs its reason, a booked one stays booked."""
    if status not in PAYOUT_STATUSES:
        raise ValueError(f"unknown payout status {status!r}; expected one of {PAYOUT_STATUSES}")
    if status == "held" and not (reason and reason.strip()):
        raise ValueError(f"payout {payout_id!r} of tenant {tenant!r} is held without a reason")
    reason = reason if status == "held" else None
    key = sa.and_(payouts.c.tenant == tenant, payouts.c.payout_id == payout_id)
    values = {"day": day, "status": status, "reason": reason, "updated_at": now}
    for _ in range(_RETRIES):
        with engine.begin() as conn:
            if insert_if_absent(
                conn,
                payouts,
                {"tenant": tenant, "payout_id": payout_id, **values},
                ("tenant", "payout_id"),
            ):
                log.info("payout %s: tenant=%s %s", status, tenant, payout_id)
                return
            current = conn.execute(sa.select(payouts.c.status).where(key)).scalar_one()
            if current == "booked":
                if status != "booked":
                    log.info("payout already booked, kept: tenant=%s %s", tenant, payout_id)
                return
            changed = conn.execute(
                sa.update(payouts).where(key, payouts.c.status == current).values(**values)
            ).rowcount
        if changed == 1:
            log.info("payout %s -> %s: tenant=%s %s", current, status, tenant, payout_id)
            return
    raise LedgerError(f"payout {payout_id!r} of tenant {tenant!r} kept changing; try again")


def payout_states(engine: Engine, tenant: str, day: date | None) -> list[PayoutState]:
    """Return a tenant's payouts, optionally of one day, by day then payout id."""
    stmt = sa.select(payouts).where(payouts.c.tenant == tenant)
    if day is not None:
        stmt = stmt.where(payouts.c.day == day)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(payouts.c.day, payouts.c.payout_id)).all()
    return [_payout(row) for row in rows]


def start_run(engine: Engine, now: datetime, tenant: str, day: date, run_id: str) -> int:
    """Record that a run of a tenant and day began; return the run's key for ``finish_run``."""
    values = {
        "tenant": tenant,
        "day": day,
        "run_id": run_id,
        "status": "running",
        "started_at": now,
    }
    with engine.begin() as conn:
        pk = conn.execute(sa.insert(runs).values(**values).returning(runs.c.id)).scalar_one()
    return int(pk)


def finish_run(
    engine: Engine, now: datetime, run_pk: int, status: str, summary: dict[str, Any]
) -> None:
    """Record how a run ended (``success``, ``held`` or ``failed``) and its summary."""
    if status not in RUN_STATUSES or status == "running":
        finals = tuple(s for s in RUN_STATUSES if s != "running")
        raise ValueError(f"a run ends as one of {finals}, not {status!r}")
    stmt = (
        sa.update(runs)
        .where(runs.c.id == run_pk)
        .values(status=status, summary=summary, finished_at=now)
    )
    with engine.begin() as conn:
        if conn.execute(stmt).rowcount != 1:
            raise LedgerError(f"there is no run {run_pk} in the ledger to finish")


def run_states(engine: Engine, tenant: str, day: date | None) -> list[RunState]:
    """Return a tenant's runs, optionally of one day, oldest first."""
    stmt = sa.select(runs).where(runs.c.tenant == tenant)
    if day is not None:
        stmt = stmt.where(runs.c.day == day)
    with engine.connect() as conn:
        return [_run(row) for row in conn.execute(stmt.order_by(runs.c.id))]


def mark_step_done(engine: Engine, run_pk: int, step: str) -> None:
    """Note in a running run's summary that ``step`` is done (``{"steps_done": [...]}``)."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(runs.c.summary, runs.c.status).where(runs.c.id == run_pk)
        ).first()
        if row is None or row.status != "running":
            return
        done = list((row.summary or {}).get("steps_done") or [])
        if step not in done:
            conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_pk)
                .values(summary={**(row.summary or {}), "steps_done": [*done, step]})
            )


def open_runs_before(
    engine: Engine, tenant: str, day: date, started_after: datetime
) -> list[RunState]:
    """Runs of days before ``day`` still running, started after ``started_after``
    (with their ``steps_done`` in the summary, for the caller to judge)."""
    stmt = sa.select(runs).where(
        runs.c.tenant == tenant,
        runs.c.day < day,
        runs.c.status == "running",
        runs.c.started_at > started_after,
    )
    with engine.connect() as conn:
        return [_run(row) for row in conn.execute(stmt.order_by(runs.c.day, runs.c.id))]


def open_runs_ahead(
    engine: Engine, tenant: str, day: date, run_pk: int | None, started_after: datetime
) -> list[RunState]:
    """Runs still running that come before run ``run_pk`` of ``day``: every run of an
    earlier day, and the runs of the same day created before it (a manual trigger racing
    the scheduler for one day: the older run writes first). ``run_pk`` None: earlier days
    only. Only runs started after ``started_after`` count."""
    ahead = runs.c.day < day
    if run_pk is not None:
        ahead = sa.or_(ahead, sa.and_(runs.c.day == day, runs.c.id < run_pk))
    stmt = sa.select(runs).where(
        runs.c.tenant == tenant,
        ahead,
        runs.c.status == "running",
        runs.c.started_at > started_after,
    )
    with engine.connect() as conn:
        return [_run(row) for row in conn.execute(stmt.order_by(runs.c.day, runs.c.id))]


def close_open_run(engine: Engine, now: datetime, tenant: str, run_id: str, error: str) -> int:
    """Mark a DAG run's still-running rows failed (Airflow gave up on it); return how many."""
    stmt = (
        sa.update(runs)
        .where(runs.c.tenant == tenant, runs.c.run_id == run_id, runs.c.status == "running")
        .values(status="failed", summary={"error": error}, finished_at=now)
    )
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)
