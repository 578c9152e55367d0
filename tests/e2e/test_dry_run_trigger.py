"""A dry run through Airflow itself: the DAG's ``dry_run`` param, given as a trigger's conf
(what ``airflow dags trigger -c`` and the UI's trigger form send), reaches the tasks; the run
posts nothing to the Fortnox emulator and the day's report lists the documents.

``airflow dags test`` runs the four tasks with Airflow's own task runner and context (no
scheduler to start), which keeps this test to the part that lives in Airflow: conf → params.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from dibs_fortnox.demo.environment import airflow_env, start_sandbox
from dibs_fortnox.demo.stack import AirflowStack, stack_env
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline.dry_run import DRY_RUN_NOTICE
from dibs_fortnox.tenants import load_tenants

pytestmark = pytest.mark.airflow

ENTRY = """\
tenants:
  - id: dry
    name: Granskning AB
    start_date: {start}
    email: ekonomi@dry.example
    nets_conn_id: nets_dry
    fortnox_conn_id: fortnox_dry
    paused: true
    onboarding: skip
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def test_a_dry_run_triggered_with_conf_posts_nothing_and_reports(tmp_path: Path) -> None:
    start = date.today() - timedelta(days=2)
    tenants_file = tmp_path / "tenants.yaml"
    tenants_file.write_text(ENTRY.format(start=start), encoding="utf-8")
    tenant = load_tenants(tenants_file).by_id("dry")
    sandbox = start_sandbox(tenant, days=1, payments_per_day=3, nets_port=0, fortnox_port=0)
    state_db = tmp_path / "state.db"
    home = tmp_path / "airflow"
    home.mkdir()
    env = stack_env(airflow_env(tenant, sandbox, home, state_db))
    env["DIBS_FORTNOX_TENANTS"] = str(tenants_file)
    ledger: Ledger | None = None
    try:
        stack = AirflowStack(env, logs=tmp_path / "logs")
        stack.migrate()  # Airflow's database and ours
        ledger = Ledger.from_url(f"sqlite:///{state_db}")
        conf = json.dumps({"day": start.isoformat(), "dry_run": True})
        output = stack.airflow("dags", "test", tenant.dag_id, "-c", conf)

        assert sandbox.fortnox_app.api_writes() == 0
        assert sandbox.fortnox_app.trial_balance("dry") == {}
        runs = ledger.runs("dry", start)
        assert runs, output[-3000:]
        report = runs[-1].summary or {}
        assert runs[-1].status == "success", report
        assert report["dry_run"] is True and report["notice"] == DRY_RUN_NOTICE
        assert report["documents"] and report["invoices"] > 0
        assert not runs[-1].books_the_day
        assert {p.status for p in ledger.payouts("dry", start)} == {"pending"}
    finally:
        if ledger is not None:
            ledger.close()
        sandbox.stop()
