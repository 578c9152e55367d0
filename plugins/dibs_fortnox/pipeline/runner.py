"""The Airflow side of a pipeline step: task context + connections → ``StepContext``.

Transient failures (rate limits, 5xx, no answer, a write whose answer was lost) are
re-raised so Airflow's retries with backoff take over; anything else is a problem a person
must fix, so it fails the task at once with the message (no pointless retries of a refused
account or a held payout).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from dibs_fortnox.errors import DibsFortnoxError, OutcomeUnknown, Transient
from dibs_fortnox.hooks import FortnoxHook, NetsEasyHook
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline.context import StepContext, db_url, fortnox_window
from dibs_fortnox.pipeline.steps import execute
from dibs_fortnox.schedule import booking_day
from dibs_fortnox.tenants import load_tenants

log = logging.getLogger(__name__)

PAYMENT_CACHE_AGE = timedelta(hours=1)


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
        nets_factory=lambda: NetsEasyHook(tenant.nets_conn_id).client(
            tenant.id, ledger.payment_cache(tenant.id, max_age=PAYMENT_CACHE_AGE)
        ),
        fortnox_factory=lambda: FortnoxHook(tenant.fortnox_conn_id).client(
            tenant.id, limiter=fortnox_window(ledger, tenant.id)
        ),
    )


def run_step(step: str, tenant_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Run one step for a tenant inside an Airflow task; return its summary (an XCom)."""
    try:
        return execute(context_for(tenant_id, context), step)
    except (Transient, OutcomeUnknown):
        raise  # Airflow retries; an unknown outcome is looked up before anything is resent
    except DibsFortnoxError as exc:
        log.error("%s failed for tenant %s: %s", step, tenant_id, exc)
        raise AirflowFailException(str(exc)) from exc
