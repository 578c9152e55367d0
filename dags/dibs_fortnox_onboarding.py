"""One onboarding DAG per tenant: check, TEST documents, e-mail, OK (human in the loop).

It runs by itself once, as soon as a tenant appears in the tenants file (``@once``, not
paused at creation): no one has to trigger it. Wiring only; the work is in
``dibs_fortnox.onboarding``.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, dag, get_parsing_context, task

from dibs_fortnox.schedule import task_retry_args
from dibs_fortnox.tenants import TenantConfig, load_tenants

DOC = """
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
    @dag(
        dag_id=tenant.onboarding_dag_id,
        description=f"Onboard {tenant.name}: checks, TEST documents, e-mail, approval",
        schedule="@once",
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["dibs_fortnox", "onboarding", f"tenant:{tenant.id}"],
        doc_md=DOC.format(
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
        @task(**task_retry_args())
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

        @task(**task_retry_args())
        def decide(**context: Any) -> dict[str, Any]:
            from dibs_fortnox.onboarding import tasks  # heavy: import at run time only

            return tasks.decide(tenant.id, context)

        check_and_create() >> approval >> decide()

    onboarding()


_wanted = get_parsing_context().dag_id
for _tenant in sorted(load_tenants().tenants, key=lambda t: t.id):
    if _tenant.onboarding == "required" and _wanted in (None, _tenant.onboarding_dag_id):
        build_onboarding_dag(_tenant)
