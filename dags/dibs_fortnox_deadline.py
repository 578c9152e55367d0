"""Once an hour: is every tenant's day booked by its ``booked_by_hour``? If not, tell a person.

A failed day alerts through its failure callback; this catches the day that never ran or
never finished (paused DAG, scheduler down, a day waiting on another). One e-mail per tenant
and day (docs/onboarding.md, "Alerts"). Wiring only: the work is in
``dibs_fortnox.onboarding.deadline``.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import load_tenants


@dag(
    dag_id="dibs_fortnox_deadline",
    description="Alert when a tenant's day is not booked by its booked_by_hour",
    schedule=CronTriggerTimetable("5 * * * *", timezone=pendulum.timezone(TIMEZONE.key)),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE.key),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    tags=["dibs_fortnox", "alerts"],
    doc_md=__doc__,
)
def deadline() -> None:
    @task(retries=1)
    def check_deadlines(**context: Any) -> list[str]:
        from dibs_fortnox.onboarding import tasks  # heavy: import at run time only

        return tasks.check_deadlines(context)

    check_deadlines()


if load_tenants().tenants:
    deadline()
