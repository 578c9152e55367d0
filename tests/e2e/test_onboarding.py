"""Onboarding end to end in a real Airflow against the sandbox and a real SMTP server.

A tenant is added to the tenants file while Airflow runs; its onboarding DAG starts by
itself, the checks pass, the TEST documents are created and paid, the e-mail arrives with
the numbers, the merchant approves through the link (which answers Airflow's human-in-the-
loop task), the TEST documents are reversed to zero, and the daily DAG then books.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from tests.databases import migrated

from dibs_fortnox.demo.environment import airflow_env, start_sandbox
from dibs_fortnox.demo.stack import AirflowStack, free_port, stack_env
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.onboarding.approve import ApprovalConfig, ApprovalServer
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.sandbox.mail import MailSandbox
from dibs_fortnox.tenants import load_tenants

pytestmark = pytest.mark.airflow

ENTRY = """\
  - id: onb
    name: Onboard AB
    start_date: {start}
    email: ekonomi@onb.example
    nets_conn_id: nets_onb
    fortnox_conn_id: fortnox_onb
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def wait_for_api(api: str, stack: AirflowStack, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            if requests.get(f"{api}/api/v2/monitor/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"Airflow's api-server at {api} did not answer within {timeout_s:.0f} s")


def test_a_new_tenant_is_onboarded_approved_by_link_and_then_books(tmp_path: Path) -> None:
    start = date.today() - timedelta(days=2)
    tenants_file = tmp_path / "tenants.yaml"
    tenants_file.write_text("tenants:\n" + ENTRY.format(start=start))
    tenant = load_tenants(tenants_file).by_id("onb")
    tenants_file.write_text("tenants: []\n")  # added only once Airflow runs
    sandbox = start_sandbox(tenant, days=1, payments_per_day=3, nets_port=0, fortnox_port=0)
    state_db = tmp_path / "state.db"
    ledger = Ledger.from_url(migrated(f"sqlite:///{state_db}"))
    records = OnboardingRecords(ledger.engine)
    home = tmp_path / "airflow"
    home.mkdir()
    (home / "passwords.json").write_text(json.dumps({"approver": "approver-pw"}))
    env = stack_env(airflow_env(tenant, sandbox, home, state_db))
    api = f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}"
    key = "link-signing-key-for-the-e2e-test"
    link_port = free_port()
    with MailSandbox() as mailbox:
        env.update(
            {
                "DIBS_FORTNOX_TENANTS": str(tenants_file),
                "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "1",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "approver:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
                "AIRFLOW_CONN_DIBS_FORTNOX_SMTP": json.dumps(
                    {"conn_type": "smtp", "host": "127.0.0.1", "port": mailbox.port,
                     "extra": {"from_email": "dibs-fortnox@data.example", "disable_tls": True,
                               "disable_ssl": True, "data_team_email": "data@team.example"}}
                ),
                "AIRFLOW_CONN_DIBS_FORTNOX_APPROVAL": json.dumps(
                    {"conn_type": "http", "host": f"http://127.0.0.1:{link_port}",
                     "password": key}
                ),
            }
        )  # fmt: skip
        links = ApprovalServer(
            ApprovalConfig(key.encode(), api, "approver", "approver-pw", records,
                           {"onb": tenant.email}, port=link_port)
        ).start()  # fmt: skip
        try:
            AirflowStack(env, logs=tmp_path / "logs").migrate()  # SQLite in WAL mode
            with AirflowStack(env, logs=tmp_path / "logs") as stack:
                # A task the scheduler queues before the api-server answers dies at its start
                # (the execution API times out): add the tenant to a running Airflow.
                wait_for_api(api, stack)
                tenants_file.write_text("tenants:\n" + ENTRY.format(start=start))
                added = time.monotonic()
                mail = mailbox.wait_for(lambda m: m.subject.startswith("TEST"), timeout_s=300)
                picked_up_s = time.monotonic() - added
                assert picked_up_s < 300
                assert mail.recipients == ("ekonomi@onb.example",)
                docs = sandbox.fortnox_app.documents("onb")
                (invoice,) = docs["invoices"]
                assert str(invoice["Balance"]) in ("0", "0.00") and invoice["Booked"]
                assert f"Kundfaktura nr {invoice['DocumentNumber']}" in mail.text
                assert "125.13 kr" in mail.text.replace(",", ".") and "1516" in mail.text
                assert records.get("onb").status == "awaiting_approval"

                # Nothing is booked while the approval waits: the daily DAG holds its days.
                link = re.search(
                    r"http://127\.0\.0\.1:\d+/onboarding/approve\?token=\S+", mail.text
                )
                assert link is not None
                assert requests.get(link.group(0), timeout=10).status_code == 200
                assert records.get("onb").status == "awaiting_approval"  # opening is not OK
                token = link.group(0).split("token=", 1)[1]
                url = f"{links.url}/onboarding/approve"
                assert requests.post(url, data={"token": token}, timeout=120).status_code == 200
                assert requests.post(url, data={"token": token}, timeout=30).status_code == 400

                deadline = time.monotonic() + 300
                while time.monotonic() < deadline and records.get("onb").status != "active":
                    time.sleep(2)
                done = records.get("onb")
                assert done.status == "active" and done.decided_at is not None
                assert "ekonomi@onb.example" in (done.note or "")
                balance = sandbox.fortnox_app.trial_balance("onb")
                assert balance and set(balance.values()) == {0}

                runs = stack.wait_for_days("dibs_fortnox__onb", [start], timeout_s=600)
                # While it waited, the daily DAG said why in one line (extract's task log).
                waited = [
                    line
                    for log in home.glob("logs/dag_id=dibs_fortnox__onb/**/task_id=extract/*.log")
                    for line in log.read_text().splitlines()
                    if "tenant onb is not onboarded yet (onboarding" in line
                ]
                assert waited, "extract never logged why it waited"
                assert runs[start].state == "success"
                assert len(sandbox.fortnox_app.documents("onb")["invoices"]) > 2
                print(f"\npicked up and e-mailed {picked_up_s:.0f} s after the tenant was added")
        finally:
            links.stop()
            sandbox.stop()
            ledger.close()
