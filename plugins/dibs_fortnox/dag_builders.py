"""The DAGs of one tenant: its daily booking DAG and, unless it skips it, its onboarding DAG.

The DAG files under ``dags/`` are wiring only: each calls ``build_shard`` for its share of
the tenants (``dibs_fortnox.dag_shards``), and the DAGs are built here, one definition for
every shard. Airflow records the calling DAG file as each DAG's file (its importer sets
``fileloc`` to the module it imported), so a task's run parses only that file.

Building a DAG needs Airflow and pendulum only: the tasks import the pipeline (pandas,
SQLAlchemy, requests) when they run (``tests/dags/test_dag_file_imports.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, dag, get_parsing_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from dibs_fortnox.dag_shards import tenants_of_shard
from dibs_fortnox.schedule import DAILY_CRON, TIMEZONE, task_retry_args
from dibs_fortnox.tenants import TenantConfig

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
    """The daily booking DAG ``dibs_fortnox__<id>``: extract, transform, load, reconcile."""
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
        def transform(extracted: Any, **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("transform", tenant.id, context)

        @task
        def load(transformed: Any, **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("load", tenant.id, context)

        @task
        def reconcile(loaded: Any, **context: object) -> dict[str, object]:
            from dibs_fortnox.pipeline import runner  # heavy: import at run time only

            return runner.run_step("reconcile", tenant.id, context)

        # The arguments are XComArgs at parse time; the tasks receive the upstream dicts.
        extracted = extract()
        documents = transform(extracted)
        posted = load(documents)
        reconcile(posted)

    tenant_dag()


ONBOARDING_DOC = """
### Onboarding of {name} (`{id}`)

1. **check_and_create** – checks Fortnox and Nets (each failure is e-mailed to the merchant
   with its fix), creates a TEST invoice (paid through mode of payment {mode}) and a test
   voucher in series {series}, and e-mails {email} the numbers and an approval link;
2. **approval** – the OK button: approve or reject here (*Required actions*), or the
   merchant approves through the link in the e-mail;
3. **decide** – reverses the TEST documents and makes the tenant active (or rejected, with
   the reason). Only then does `dibs_fortnox__{id}` book.

Fix a failed check, then clear this run to try again. Guide: `docs/onboarding.md`.
"""


def build_onboarding_dag(tenant: TenantConfig) -> None:
    """The onboarding DAG ``dibs_fortnox_onboarding__<id>`` (checks, approval, decision)."""
    _retry: dict[str, Any] = task_retry_args()

    @dag(
        dag_id=tenant.onboarding_dag_id,
        description=f"Onboard {tenant.name}: checks, TEST documents, e-mail, approval",
        schedule="@once",
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["dibs_fortnox", "onboarding", f"tenant:{tenant.id}"],
        doc_md=ONBOARDING_DOC.format(
            name=tenant.name,
            id=tenant.id,
            mode=tenant.mode_of_payment,
            series=tenant.voucher_series,
            email=tenant.email,
        ),  # fmt: skip
    )
    def onboarding() -> None:
        # Transient faults (Fortnox 429/5xx, a lost answer) retry like the daily DAG's tasks;
        # a failed check fails at once (AirflowFailException), retrying would not fix it.
        @task(**_retry)  # type: ignore[untyped-decorator]  # kwargs unpacked: no overload
        def check_and_create(**context: Any) -> dict[str, Any]:
            from dibs_fortnox.onboarding import tasks  # heavy: import at run time only

            return tasks.check_and_create(tenant.id, context)

        approval = HITLOperator(
            task_id="approval",
            subject=f"OK to start booking {tenant.name} ({tenant.id})?",
            body=(
                "The TEST invoice, its payment and the test voucher are in Fortnox "
                "(numbers in the upstream task's log and in the e-mail to the merchant). "
                "Approve: they are reversed and the daily booking starts. Reject: they are "
                "reversed and the tenant stays inactive; say why in the note."
            ),
            options=["Approve", "Reject"],
            params={"note": Param("", type="string", description="Why (kept with the decision)")},
        )

        @task(**_retry)  # type: ignore[untyped-decorator]  # kwargs unpacked: no overload
        def decide(**context: Any) -> dict[str, Any]:
            from dibs_fortnox.onboarding import tasks  # heavy: import at run time only

            return tasks.decide(tenant.id, context)

        check_and_create() >> approval >> decide()

    onboarding()


def build_shard(dag_file: str) -> None:
    """Build the DAGs of the tenants that ``dag_file`` (a ``dibs_fortnox_NN.py``) holds.

    When Airflow runs a task it sets the parsing context's DAG id: then only that DAG is
    built (Airflow's dynamic DAG generation advice, ``get_parsing_context``).
    """
    wanted = get_parsing_context().dag_id
    for tenant in tenants_of_shard(dag_file):
        if wanted in (None, tenant.dag_id):
            build_dag(tenant)
        if tenant.onboarding == "required" and wanted in (None, tenant.onboarding_dag_id):
            build_onboarding_dag(tenant)
