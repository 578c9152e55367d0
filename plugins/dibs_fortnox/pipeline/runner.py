"""The Airflow side of a pipeline step: task context + connections → ``StepContext``.

Transient failures that outlast the in-task handling (rate limits and 5xx still there after
the HTTP retries, a write still unclear after the Poster's look-ups) are re-raised so
Airflow's retries with backoff take over; anything else is a problem a person
must fix, so it fails the task at once with the message (no pointless retries of a refused
account or a held payout).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException

from dibs_fortnox.errors import (
    DibsFortnoxError,
    OutcomeUnknown,
    StateSchemaError,
    Transient,
    WaitingForEarlierDay,
)
from dibs_fortnox.hooks import FortnoxHook, NetsEasyHook
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline.context import StepContext, db_url, fortnox_window
from dibs_fortnox.pipeline.dry_run import dry_run_wanted
from dibs_fortnox.pipeline.failures import failure_text
from dibs_fortnox.pipeline.steps import execute
from dibs_fortnox.preload import how_loaded
from dibs_fortnox.schedule import booking_day
from dibs_fortnox.tenants import load_tenants

log = logging.getLogger(__name__)

PAYMENT_CACHE_AGE = timedelta(hours=1)
# How soon a load that waited in vain for earlier days tries again (its slot is free meanwhile).
RESCHEDULE_AFTER = timedelta(seconds=10)
# How often a day of a tenant not yet onboarded asks again whether it may book.
GATE_RECHECK = timedelta(seconds=30)
# The process that imported this module: the task's own, or the worker it was forked from.
IMPORTED_IN_PID = os.getpid()


def context_for(tenant_id: str, context: Mapping[str, Any]) -> StepContext:
    """Build the step context of a running Airflow task."""
    tenant = load_tenants().by_id(tenant_id)
    params = context.get("params") or {}
    day = booking_day(context.get("logical_date"), params.get("day"))
    ledger = Ledger.from_url(db_url())
    return StepContext(
        tenant=tenant,
        day=day,
        run_id=str(context.get("run_id") or "manual"),
        ledger=ledger,
        dry_run=dry_run_wanted(tenant, params),
        nets_factory=lambda: NetsEasyHook(tenant.nets_conn_id).client(
            tenant.id, ledger.payment_cache(tenant.id, max_age=PAYMENT_CACHE_AGE)
        ),
        fortnox_factory=lambda: FortnoxHook(tenant.fortnox_conn_id).client(
            tenant.id, limiter=fortnox_window(ledger, tenant.id)
        ),
    )


def _record_unstartable(tenant_id: str, context: Mapping[str, Any], step: str, error: str) -> None:
    """Close the run's row as failed when the step could not even be set up."""
    try:
        params = context.get("params") or {}
        day = booking_day(context.get("logical_date"), params.get("day"))
    except DibsFortnoxError:
        return  # no day to record it under; the task log has the reason
    try:
        ledger = Ledger.from_url(db_url())
    except StateSchemaError:
        return  # the database cannot be used until it is migrated; the task log says how
    try:
        run_id = str(context.get("run_id") or "manual")
        if not ledger.close_open_run(tenant_id, run_id, error):
            key = ledger.start_run(tenant_id, day, run_id)
            ledger.finish_run(key, "failed", {"step": step, "error": error})
    finally:
        ledger.close()


def run_step(step: str, tenant_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Run one step for a tenant inside an Airflow task; return its summary (an XCom).

    Problems a person must fix (a broken tenant entry, a missing connection, a state
    database not migrated to this code's revision, a setting Fortnox would refuse) fail the
    task at once without retries, with the fix in the message; transient ones are left to
    Airflow's retries.
    """
    log.info("%s for tenant %s: %s", step, tenant_id, how_loaded(IMPORTED_IN_PID))
    try:
        ctx = context_for(tenant_id, context)
    except DibsFortnoxError as exc:
        log.error("%s cannot start for tenant %s: %s", step, tenant_id, exc)
        _record_unstartable(tenant_id, context, step, str(exc))
        raise AirflowFailException(str(exc)) from exc
    if ctx.dry_run:
        log.info("%s: dry run, %s step: nothing is posted to Fortnox", ctx.where(), step)
    if step == "extract" and not ctx.dry_run:  # a dry run books nothing: no gate to pass
        from dibs_fortnox.onboarding.tasks import gate

        waiting = gate(ctx.tenant)
        if waiting:
            log.warning(waiting)  # the one line the UI shows for this day
            when = datetime.now(UTC) + GATE_RECHECK
            raise AirflowRescheduleException(when)  # type: ignore[no-untyped-call]
    try:
        return execute(ctx, step)
    except WaitingForEarlierDay as exc:
        log.info("%s; the task reschedules itself", exc)
        when = datetime.now(UTC) + RESCHEDULE_AFTER
        raise AirflowRescheduleException(when) from exc  # type: ignore[no-untyped-call]
    except (Transient, OutcomeUnknown):
        raise  # Airflow retries; an unknown outcome is looked up before anything is resent
    except DibsFortnoxError as exc:
        text = failure_text(ctx, step, exc)
        log.error("%s", text)
        raise AirflowFailException(text) from exc


def close_failed_run(tenant_id: str, context: Mapping[str, Any]) -> None:
    """Airflow gave up on a task (retries used up, killed): close the run's row as failed,
    so that later days stop waiting for it and the runs table says what happened."""
    error = str(context.get("exception") or "the task failed in Airflow")
    try:
        ledger = Ledger.from_url(db_url())
    except StateSchemaError as exc:
        log.error("cannot record the failed run of tenant %s: %s", tenant_id, exc)
        return
    try:
        ledger.close_open_run(tenant_id, str(context.get("run_id") or "manual"), error[:2000])
    finally:
        ledger.close()
