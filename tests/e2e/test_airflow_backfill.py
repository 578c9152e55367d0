"""Airflow's own backfill, for real: 30 sandbox days against 30 sequential runs.

A real scheduler, dag-processor and api-server (LocalExecutor, SQLite metadata) import our
DAG folder; the days are booked with ``airflow backfill create`` and Airflow's defaults
(up to ten runs at once), the way an operator does it, while the sandbox's Fortnox enforces
its 25-requests-per-5-s limit. The same scenario is booked day after day by the pipeline on
a second Fortnox emulator; both must end with the same documents and trial balance.

Along the way: one invoice create loses its answer after the write landed, and one day in
the middle fails (a payment Nets cannot find) until the data is back and the day is
cleared, exactly as an operator would retrigger it. That day's alert goes out from the
task's failure callback over real SMTP with a password; no secret of the three connections
(Nets key, Fortnox client secret, SMTP password) may appear in any log, database, XCom or
mail.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.databases import migrated

from dibs_fortnox.demo.environment import Sandbox, airflow_env, start_sandbox
from dibs_fortnox.demo.report import fortnox_writes
from dibs_fortnox.demo.sequential import book_days
from dibs_fortnox.demo.stack import AirflowStack, DayRun, stack_env
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.fortnox.fingerprint import fingerprint
from dibs_fortnox.sandbox.mail import MailSandbox
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import Scenario
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import TenantConfig, load_tenants

pytestmark = pytest.mark.airflow

DAYS = 30
SEED = 99
DAG_ID = "dibs_fortnox__bf"
TENANTS = """\
tenants:
  - id: bf
    name: Backfill AB
    start_date: {start}
    email: ekonomi@bf.example
    nets_conn_id: nets_bf
    fortnox_conn_id: fortnox_bf
    paused: true
    onboarding: skip  # onboarding has its own end-to-end test (test_onboarding.py)
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""
SMTP_PASSWORD = "SMTP-pass-e2e-Wq71zR"


def quiet_day(scenario: Scenario, days: list[date]) -> tuple[date, str]:
    """A day in the middle whose payments appear in no other day's payout (no later refund
    depends on it), and one payment charged that day."""
    dates: dict[str, set[str]] = {}
    for payout in scenario.payouts:
        for action in payout["paymentActions"]:
            if action.get("paymentId"):
                dates.setdefault(action["paymentId"], set()).add(payout["date"])
    for day in sorted(days, key=lambda d: abs((d - days[len(days) // 2]).days)):
        mine = [pid for pid, seen in dates.items() if day.isoformat() in seen]
        if mine and all(dates[pid] == {day.isoformat()} for pid in mine):
            return day, sorted(mine)[0]
    raise AssertionError("no day stands alone in this scenario")


def book_sequentially(tenant: TenantConfig, sandbox: Sandbox, state: Path) -> None:
    """The reference: the pipeline books each day after the other, outside Airflow."""
    ledger = Ledger.from_url(migrated(f"sqlite:///{state}"))
    try:
        days = [sandbox.first_day + timedelta(days=n) for n in range(DAYS)]
        book_days(tenant, sandbox, ledger, days, "sequential-")
    finally:
        ledger.close()


@dataclass
class Booked:
    stack: AirflowStack
    sandbox: Sandbox
    reference: dict[str, Any]
    days: list[date]
    first: dict[date, DayRun]
    failed_day: date
    writes_after_first: int
    state_db: Path
    mailbox: MailSandbox

    def secrets(self) -> list[str]:
        return [self.sandbox.nets_secret, self.sandbox.fortnox_client_secret, SMTP_PASSWORD]


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booked]:
    root = tmp_path_factory.mktemp("backfill")
    today = datetime.now(TIMEZONE).date()
    tenants_file = root / "tenants.yaml"
    tenants_file.write_text(
        TENANTS.format(start=(today - timedelta(days=DAYS + 2)).isoformat()), encoding="utf-8"
    )
    tenant = load_tenants(tenants_file).by_id("bf")
    sandboxes = [
        start_sandbox(tenant, days=DAYS, payments_per_day=3, seed=SEED, nets_port=0,
                      fortnox_port=0, rate_limit=limit)
        for limit in (False, True)
    ]  # fmt: skip
    reference_box, sandbox = sandboxes
    mailbox = MailSandbox(login=("robot", SMTP_PASSWORD)).start()
    try:
        book_sequentially(tenant, reference_box, root / "sequential.db")
        reference = fingerprint(reference_box.fortnox_app, "bf")
        days = [sandbox.first_day + timedelta(days=n) for n in range(DAYS)]
        failed_day, missing = quiet_day(sandbox.scenario, days)
        nets: NetsApp = sandbox.nets.app  # type: ignore[assignment]
        merchant = nets._merchants[sandbox.nets_secret]
        hidden = merchant.payments.pop(missing)
        sandbox.fortnox_app.faults.add(
            FaultRule("lost_response", method="POST", route="/3/invoices", times=1)
        )
        env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "state.db")
        env |= {"DIBS_FORTNOX_TENANTS": str(tenants_file), "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "1"}
        smtp = {
            "conn_type": "smtp", "host": "127.0.0.1", "port": mailbox.port,
            "login": "robot", "password": SMTP_PASSWORD,
            "extra": {"from_email": "robot@data.example", "disable_tls": True,
                      "disable_ssl": True, "data_team_email": "data@team.example"},
        }  # fmt: skip
        env["AIRFLOW_CONN_DIBS_FORTNOX_SMTP"] = json.dumps(smtp)
        env = stack_env(env)
        stack = AirflowStack(env, root / "logs")
        stack.migrate()
        with stack:
            stack.wait_for_dag(DAG_ID)
            stack.backfill(DAG_ID, days[0], days[-1])  # Airflow's defaults otherwise
            stack.airflow("dags", "unpause", DAG_ID)
            first = stack.wait_for_days(DAG_ID, days)
            writes = fortnox_writes(sandbox)
            merchant.payments[missing] = hidden  # the data is back: retrigger the day
            yield Booked(
                stack, sandbox, reference, days, first, failed_day, writes, root / "state.db",
                mailbox,
            )  # fmt: skip
    finally:
        mailbox.stop()
        for box in sandboxes:
            box.stop()


def test_backfill_books_every_day_but_the_broken_one(booked: Booked) -> None:
    states = {day: run.state for day, run in booked.first.items()}
    assert states[booked.failed_day] == "failed"
    assert {s for d, s in states.items() if d != booked.failed_day} == {"success"}
    assert {run.run_type for run in booked.first.values()} == {"backfill"}


def test_the_broken_day_failed_at_once_without_retries(booked: Booked) -> None:
    run = booked.first[booked.failed_day]
    assert booked.stack.try_numbers(DAG_ID, run.run_id)["extract"] == 1
    ledger = Ledger.from_url(f"sqlite:///{booked.state_db}")
    try:
        (row,) = ledger.runs("bf", booked.failed_day)
    finally:
        ledger.close()
    assert row.status == "failed" and "not found" in row.summary["error"].lower()


def test_no_429_and_the_lost_answer_was_not_posted_twice(booked: Booked) -> None:
    app = booked.sandbox.fortnox_app
    assert app.status_counts.get(429, 0) == 0
    assert app.faults.injected["lost_response"] == 1
    refs = Counter(str(i.get("ExternalInvoiceReference1")) for i in app.documents("bf")["invoices"])
    assert max(refs.values()) == 1


def test_clearing_the_failed_day_books_it_and_changes_nothing_else(booked: Booked) -> None:
    stack, day = booked.stack, booked.failed_day
    before = fingerprint(booked.sandbox.fortnox_app, "bf")
    started = time.time()
    stack.airflow_alone(
        "tasks", "clear", DAG_ID, "--only-failed", "--yes",
        "--start-date", day.isoformat(), "--end-date", (day + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    runs = stack.wait_for_days(DAG_ID, booked.days, since=started)
    assert {run.state for run in runs.values()} == {"success"}
    after = fingerprint(booked.sandbox.fortnox_app, "bf")
    for kind in ("invoices", "payments", "vouchers"):
        assert before[kind] - after[kind] == Counter(), f"{kind}: something changed or vanished"
    assert after == booked.reference  # now exactly what 30 sequential runs booked
    ledger = Ledger.from_url(f"sqlite:///{booked.state_db}")
    try:
        held = [p for p in ledger.payouts("bf") if p.status != "booked"]
    finally:
        ledger.close()
    assert held == []  # no refund held because its charge's day was not booked yet


def test_clearing_a_booked_day_sends_no_write(booked: Booked) -> None:
    stack, day = booked.stack, booked.days[3]
    writes = fortnox_writes(booked.sandbox)
    started = time.time()
    stack.airflow_alone(
        "tasks", "clear", DAG_ID, "--yes",
        "--start-date", day.isoformat(), "--end-date", (day + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    runs = stack.wait_for_days(DAG_ID, [day], since=started)
    assert runs[day].state == "success"
    assert fortnox_writes(booked.sandbox) == writes


@pytest.mark.parametrize("behavior", ["none", "failed", "completed"])
def test_second_backfill_sends_no_write(booked: Booked, behavior: str) -> None:
    stack = booked.stack
    writes = fortnox_writes(booked.sandbox)
    started = time.time()
    stack.backfill(DAG_ID, booked.days[0], booked.days[-1], "--reprocess-behavior", behavior)
    runs = stack.wait_for_days(DAG_ID, booked.days, since=started if behavior == "completed" else 0)
    stack.wait_for_no_backfill(DAG_ID)  # Airflow counts it complete: nothing left to run
    assert {run.state for run in runs.values()} == {"success"}
    assert fortnox_writes(booked.sandbox) == writes
    assert fingerprint(booked.sandbox.fortnox_app, "bf") == booked.reference


def test_no_secret_in_airflow_output(booked: Booked) -> None:
    home = Path(booked.stack.env["AIRFLOW_HOME"])
    text = "".join(
        p.read_text(errors="replace")
        for folder in (home / "logs", booked.stack.logs)
        for p in folder.rglob("*")
        if p.is_file()
    )
    assert "dibs_fortnox.pipeline" in text, "the task output was not captured"
    for secret in booked.secrets():
        assert secret not in text, f"a secret ({secret[:6]}…) is in Airflow's output"


def test_no_secret_in_the_state_database_or_xcoms(booked: Booked) -> None:
    """Every byte our database and Airflow's metadata (XComs, task states) hold after 30
    days, a failure and its retrigger: neither tenant secret may be among them."""
    home = Path(booked.stack.env["AIRFLOW_HOME"])
    files = [
        p for folder in (booked.state_db.parent, home) for p in folder.glob("*.db*") if p.is_file()
    ]
    assert any(p.name.startswith("airflow.db") for p in files)
    assert any(p.name.startswith("state.db") for p in files)
    secrets = booked.secrets()
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a tenant secret is stored in {path.name}"
    xcoms = booked.stack._query("SELECT count(*) FROM xcom WHERE dag_id = :d", d=DAG_ID)
    assert xcoms and xcoms[0][0] > 0  # the summaries are there, and were scanned above


def test_the_failed_days_alert_was_mailed_with_the_reason_and_no_secret(booked: Booked) -> None:
    """The failure callback of the real task sent it, logging in with the SMTP password."""
    day = booked.failed_day.isoformat()
    alert = booked.mailbox.wait_for(lambda m: day in m.subject and "failed" in m.subject)
    assert booked.mailbox.logins >= 1
    assert f"tenant bf, day {day}" in alert.text and "not found" in alert.text.lower()
    assert {"data@team.example", "ekonomi@bf.example"} <= set(alert.recipients)
    for mail in booked.mailbox.messages:
        text = mail.raw.decode("utf-8", "replace") + mail.text
        for secret in booked.secrets():
            assert secret not in text, f"a secret ({secret[:6]}…) is in the mail {mail.subject!r}"
