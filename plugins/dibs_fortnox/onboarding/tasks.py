"""The Airflow side of onboarding: the onboarding DAG's tasks, the daily gate, alerts.

``check_and_create`` runs the checks, creates the TEST documents and sends the e-mail with
the approval link; ``decide`` reads the human-in-the-loop answer (given in the Airflow UI or
through the link, which completes the same approval) and activates or rejects the tenant,
reversing the TEST documents either way. ``gate`` is what the daily DAG asks before it
books anything. ``notify_problem_day`` is the daily DAG's failure notifier.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from dibs_fortnox.errors import ConfigError, DibsFortnoxError, redact
from dibs_fortnox.hooks import FortnoxHook, NetsEasyHook
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.onboarding import mail
from dibs_fortnox.onboarding.checks import run_checks
from dibs_fortnox.onboarding.links import sign_link
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.onboarding.testdocs import (
    TestDocuments,
    create_test_documents,
    reverse_test_documents,
)
from dibs_fortnox.pipeline.context import db_url
from dibs_fortnox.tenants import TenantConfig, load_tenants

log = logging.getLogger(__name__)

APPROVAL_CONN = "dibs_fortnox_approval"  # host: link server's base URL; password: signing key
APPROVAL_TASK = "approval"
APPROVE, REJECT = "Approve", "Reject"


def _records() -> tuple[Ledger, OnboardingRecords]:
    ledger = Ledger.from_url(db_url())
    return ledger, OnboardingRecords(ledger.engine)


def approval_link(tenant: TenantConfig, run_id: str) -> str | None:
    """The merchant's signed link, or None when no link server is configured."""
    try:
        conn = BaseHook.get_connection(APPROVAL_CONN)
    except AirflowNotFoundException:
        log.warning("no Airflow connection %s: the e-mail has no approval link", APPROVAL_CONN)
        return None
    if not (conn.host and conn.password):
        return None
    base = conn.host if "://" in conn.host else f"https://{conn.host}"
    if conn.port:
        base = f"{base}:{conn.port}"
    token = sign_link(conn.password.encode("utf-8"), tenant.id, run_id, now=time.time())
    return f"{base.rstrip('/')}/onboarding/approve?token={token}"


def check_and_create(tenant_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Check, create the TEST documents and e-mail the merchant; fail with the fixes if not."""
    tenant = load_tenants().by_id(tenant_id)
    run_id = str(context.get("run_id") or "manual")
    today = date.today()
    ledger, records = _records()
    try:
        records.update(tenant.id, "checking", run_id=run_id)
        fortnox = FortnoxHook(tenant.fortnox_conn_id).client(tenant.id)
        try:
            results = run_checks(
                tenant, fortnox, lambda: NetsEasyHook(tenant.nets_conn_id).client(tenant.id), today
            )
        except ConfigError as exc:
            raise AirflowFailException(str(exc)) from exc
        records.update(tenant.id, checks=[r.as_dict() for r in results])
        failed = [r for r in results if not r.ok]
        if failed:
            records.update(tenant.id, "checks_failed")
            mail.send(mail.checks_failed_mail(tenant, results))
            raise AirflowFailException(
                f"tenant {tenant.id}: onboarding checks failed (the merchant was e-mailed the "
                "fixes): " + "; ".join(f"{r.name}: {r.message} -> {r.fix}" for r in failed)
            )
        try:
            docs = create_test_documents(fortnox, tenant, today)
        except ConfigError as exc:
            records.update(tenant.id, "checks_failed", note=str(exc))
            raise AirflowFailException(str(exc)) from exc
        records.update(tenant.id, "awaiting_approval", documents=docs.as_dict())
        mail.send(mail.test_documents_mail(tenant, docs, approval_link(tenant, run_id)))
        records.update(tenant.id, emailed_at=ledger.now())
        log.info(
            "tenant %s: TEST invoice %s (paid), voucher %s%s created; e-mail sent to %s",
            tenant.id, docs.invoice_number, docs.voucher_series, docs.voucher_number, tenant.email,
        )  # fmt: skip
        return docs.as_dict()
    finally:
        ledger.close()


def decide(tenant_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the approval's answer: reverse the TEST documents; activate or reject."""
    tenant = load_tenants().by_id(tenant_id)
    answer = context["ti"].xcom_pull(task_ids=APPROVAL_TASK) or {}
    chosen = list(answer.get("chosen_options") or [])
    who = answer.get("responded_by_user") or {}
    note = str((answer.get("params_input") or {}).get("note") or "").strip()
    decided_by = str(who.get("name") or who.get("id") or "unknown")
    ledger, records = _records()
    try:
        current = records.get(tenant.id)
        if current is None or not current.documents:
            raise AirflowFailException(f"tenant {tenant.id}: no TEST documents recorded")
        fortnox = FortnoxHook(tenant.fortnox_conn_id).client(tenant.id)
        try:
            docs = reverse_test_documents(
                fortnox, tenant, TestDocuments.from_dict(current.documents)
            )
        except DibsFortnoxError as exc:
            raise AirflowFailException(str(exc)) from exc
        records.update(tenant.id, documents=docs.as_dict())
        status = "active" if chosen == [APPROVE] else "rejected"
        if status == "rejected" and not note:
            note = "rejected without a reason"
        done = records.decide(tenant.id, status, decided_by, note)
        log.info(
            "tenant %s is %s (by %s at %s); TEST documents reversed (credit invoice %s, "
            "voucher %s%s)", tenant.id, status, decided_by, done.decided_at,
            docs.credit_number, docs.voucher_series, docs.reversal_voucher,
        )  # fmt: skip
        return {"status": status, "decided_by": decided_by, "note": note}
    finally:
        ledger.close()


def gate(tenant: TenantConfig) -> str | None:
    """Why the tenant may not book yet (one line); None when it may."""
    if tenant.onboarding == "skip":
        return None
    ledger, records = _records()
    try:
        found = records.get(tenant.id)
    finally:
        ledger.close()
    if found is not None and found.active:
        return None
    state = "not started" if found is None else found.status.replace("_", " ")
    return (
        f"tenant {tenant.id} is not onboarded yet (onboarding {state}): nothing is booked until "
        f"the TEST invoice is approved in DAG {tenant.onboarding_dag_id} or through the "
        "merchant's e-mail link; this day waits and books by itself then"
    )


def _run_link(context: Mapping[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    url = getattr(ti, "log_url", None)
    if url:
        return str(url)
    dag_run = context.get("dag_run")
    return f"/dags/{getattr(dag_run, 'dag_id', '?')}/runs/{context.get('run_id')}"


def notify_problem_day(tenant_id: str, context: Mapping[str, Any]) -> None:
    """E-mail the data team (and the merchant, per tenant) that a day failed or was held."""
    from dibs_fortnox.schedule import booking_day

    tenant = load_tenants().by_id(tenant_id)
    error = redact(str(context.get("exception") or "the task failed in Airflow"))
    params = context.get("params") or {}
    try:
        day = booking_day(context.get("logical_date"), params.get("day")).isoformat()
    except DibsFortnoxError:
        day = str(context.get("logical_date"))
    status = "held" if " held" in error or "held:" in error else "failed"
    to = [addr for addr in (mail.data_team(),) if addr]
    if tenant.notify_merchant:
        to.append(tenant.email)
    if not to:
        log.warning("tenant %s, day %s %s: nobody to notify", tenant.id, day, status)
        return
    mail.send(mail.problem_day_mail(tenant, tuple(to), day, error, status, _run_link(context)))


def check_deadlines(context: Mapping[str, Any]) -> list[str]:
    """The hourly deadline DAG's task: alert every tenant day not booked by its hour."""
    from dibs_fortnox.onboarding.deadline import alert_unbooked

    try:
        team = mail.data_team()
    except AirflowNotFoundException:
        log.warning("no SMTP connection %s: late days cannot be e-mailed", mail.smtp_conn_id())
        return []
    ledger, records = _records()
    try:
        late = alert_unbooked(
            load_tenants().tenants, ledger, records, ledger.now(), mail.send, team
        )
    finally:
        ledger.close()
    for day in late:
        log.warning("tenant %s: day %s not booked by %s:00: %s", day.tenant.id, day.day,
                    day.tenant.booked_by_hour, day.reason)  # fmt: skip
    return [f"{day.tenant.id} {day.day.isoformat()}" for day in late]
