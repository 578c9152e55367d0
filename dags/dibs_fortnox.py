"""One DAG per tenant in config/tenants.yaml: book each day's Nets Easy payouts in Fortnox.

Wiring only: every task is one call into the ``dibs_fortnox`` package. Tenants whose
entry is broken are left out here and reported by ``tenants_config_check.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_parsing_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from dibs_fortnox.schedule import DAILY_CRON, TIMEZONE, task_retry_args
from dibs_fortnox.tenants import TenantConfig, load_tenants

DOC = """
### Nets Easy → Fortnox for {name} (`{id}`)

Each run books **the Nets Easy payouts dated on the run's day** (the logical date, or the
`day` param when you trigger by hand):

1. **extract** – payouts of the day, their payment actions and the payments (raw JSON kept
   in the state database for audit);
2. **transform** – invoices, invoice payments, credit invoices and one voucher per payout;
   payouts that don't add up are *held* with their reason, the rest is booked;
3. **load** – posts to Fortnox exactly once (every document carries its Nets id);
4. **reconcile** – checks what Fortnox now holds, to the öre.

With the `dry_run` param (or the tenant's `dry_run: true`) nothing is posted: the day's
report lists every document the run would post ("DRY RUN — nothing was posted").
Retrying or re-running a day is always safe. Operator guide: `docs/troubleshooting.md`.
Until the tenant's onboarding (`dibs_fortnox_onboarding__{id}`) is approved, **extract**
waits and books nothing; its log says why in one line. A failed or held day e-mails the
data team (and the merchant, per tenant setting).
"""


def _closes_run(tenant_id: str) -> Callable[[Mapping[str, Any]], None]:
    """A failure callback that closes the run's row in the state database (Airflow gave up)."""

    def close(context: Mapping[str, Any]) -> None:
        from dibs_fortnox.pipeline.runner import close_failed_run

        close_failed_run(tenant_id, context)

    return close


def _notifies(tenant_id: str) -> Callable[[Mapping[str, Any]], None]:
    """A failure callback that e-mails the data team (and the merchant, per tenant setting)."""

    def notify(context: Mapping[str, Any]) -> None:
        from dibs_fortnox.onboarding.tasks import notify_problem_day

        notify_problem_day(tenant_id, context)

    return notify


def build_dag(tenant: TenantConfig) -> None:
    tz = pendulum.timezone(TIMEZONE.key)  # Airflow serialises pendulum zones only
    start = pendulum.datetime(
        tenant.start_date.year, tenant.start_date.month, tenant.start_date.day, tz=tz
    )

    @dag(
        dag_id=tenant.dag_id,
        description=f"Book {tenant.name}'s Nets Easy payouts in Fortnox, one day per run",
        schedule=CronDataIntervalTimetable(DAILY_CRON, timezone=tz),
        start_date=start,
        catchup=True,
        max_active_runs=1,
        is_paused_upon_creation=tenant.paused,
        tags=["dibs_fortnox", f"tenant:{tenant.id}"],
        doc_md=DOC.format(name=tenant.name, id=tenant.id),
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Payout day to book (YYYY-MM-DD); empty = the run's logical date",
            ),
            "dry_run": Param(
                False,
                type="boolean",
                description="Book nothing: write what would be posted into the day's report "
                "(the tenant's dry_run setting turns this on for every run)",
            ),
        },
        default_args={
            **task_retry_args(),
            # Per task across all runs, backfills included (the DAG's max_active_runs does
            # not bind a backfill): the tenant's share of the worker slots (docs/backfill.md).
            "max_active_tis_per_dag": tenant.max_parallel_days,
            # Close the run's row first, then tell a person (docs/onboarding.md, "Alerts").
            "on_failure_callback": [_closes_run(tenant.id), _notifies(tenant.id)],
        },
    )
    def tenant_dag() -> None:
        @task
        def extract(**context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("extract", tenant.id, context)

        @task
        def transform(extracted: dict[str, object], **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("transform", tenant.id, context)

        @task
        def load(transformed: dict[str, object], **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("load", tenant.id, context)

        @task
        def reconcile(loaded: dict[str, object], **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("reconcile", tenant.id, context)

        extracted = extract()
        documents = transform(extracted)
        posted = load(documents)
        reconcile(posted)

    tenant_dag()


_wanted = get_parsing_context().dag_id
for _tenant in sorted(load_tenants().tenants, key=lambda t: t.id):
    if _wanted is None or _wanted == _tenant.dag_id:
        build_dag(_tenant)
