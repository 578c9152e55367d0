"""Book a tenant's sandbox days one after the other through the pipeline, without Airflow.

The end-to-end tests and the chaos suite compare what Airflow booked with a reference: the
same days run step by step in this process (the steps the DAG's tasks run, in the DAG's
order), against the same sandbox, with no rate limit to wait for. It is also the quickest
way to put booked days into a state database for a test of what reads them (the UI page).

Example:
    >>> held = book_days(tenant, sandbox, ledger, days, "reference-")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dibs_fortnox.demo.environment import Sandbox
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.reconcile import ReconcileFailed
from dibs_fortnox.pipeline.steps import STEPS, execute
from dibs_fortnox.ratelimit import SlidingWindowLimiter
from dibs_fortnox.tenants import TenantConfig

# The sandbox's own limit still applies; the reference has no reason to wait for it.
UNTHROTTLED = (10_000, 1.0)


def book_days(
    tenant: TenantConfig, sandbox: Sandbox, ledger: Ledger, days: Iterable[date], run_prefix: str
) -> set[date]:
    """Run extract, transform, load and reconcile for each day in turn.

    Each day's steps share the run id ``run_prefix`` + the day (``manual__`` makes it look
    like a run triggered by hand).

    A day whose reconcile finds a held payout is part of the answer, not a failure: it is
    returned, and the next day is booked as Airflow would book it.

    Returns:
        The days reconcile held.
    """
    auth = ClientCredentials(
        sandbox.fortnox_client_id, sandbox.fortnox_client_secret, tenant.id, sandbox.fortnox.url
    )
    fortnox = FortnoxClient(
        sandbox.fortnox.url, auth, tenant=tenant.id, limiter=SlidingWindowLimiter(*UNTHROTTLED)
    )
    held: set[date] = set()
    for day in days:
        for step in STEPS:
            ctx = StepContext(
                tenant=tenant,
                day=day,
                run_id=f"{run_prefix}{day}",
                ledger=ledger,
                nets_factory=lambda: NetsClient(
                    sandbox.nets.url,
                    sandbox.nets_secret,
                    payment_cache=ledger.payment_cache(tenant.id),
                ),
                fortnox_factory=lambda: fortnox,
            )
            try:
                execute(ctx, step)
            except ReconcileFailed:
                held.add(day)
    return held
