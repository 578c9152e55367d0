"""The production shape of docker-compose.yaml, for real: Airflow 3 with the CeleryExecutor,
Postgres (Airflow's metadata and our state database) and Redis as the broker.

Separate processes, as in production: api-server, scheduler, dag-processor and a Celery
worker, each started here; the scheduler itself creates the catch-up runs from the tenant's
``start_date`` and the worker books them against the sandbox. Collected only when CI (or a
developer) provides Postgres and Redis (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from tests.databases import postgres_database

from dibs_fortnox.demo.environment import Sandbox, airflow_env, start_sandbox
from dibs_fortnox.demo.stack import COMPONENTS, AirflowStack, free_port
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.preload import NOT_PRELOADED, PRELOADED
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance, nonzero
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import load_tenants

pytestmark = pytest.mark.airflow

REDIS_URL_ENV = "DIBS_FORTNOX_TEST_REDIS_URL"
REPO = Path(__file__).resolve().parents[2]
DAG_ID = "dibs_fortnox__topo"
WAIT_S = 600

TENANTS = """\
tenants:
  - id: topo
    name: Topologi AB
    start_date: {start}
    email: ekonomi@topo.example
    nets_conn_id: nets_topo
    fortnox_conn_id: fortnox_topo
    onboarding: skip  # this test is about the topology; tests/e2e/test_onboarding.py onboards
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def compose_setting(name: str) -> str:
    """A setting of docker-compose.yaml's Airflow services, so this runs what compose runs."""
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text(encoding="utf-8"))
    return str(compose["x-airflow"]["environment"][name])


@dataclass
class Deployment:
    sandbox: Sandbox
    state_url: str
    runs: list[tuple[date, str]]
    logs: Path


def wait_for_runs(
    metadata_url: str, expected_days: int, procs: dict[str, subprocess.Popen[bytes]]
) -> list[tuple[date, str]]:
    """Poll Airflow's metadata database until the catch-up runs have finished.

    Raises:
        AssertionError: an Airflow component exited (its log says why).
    """
    engine = sa.create_engine(metadata_url)
    deadline = time.monotonic() + WAIT_S
    runs: list[tuple[date, str]] = []
    try:
        while time.monotonic() < deadline:
            dead = [name for name, proc in procs.items() if proc.poll() is not None]
            assert not dead, f"Airflow components exited: {dead}; see their logs"
            try:
                with engine.connect() as conn:
                    rows = conn.execute(
                        sa.text(
                            "SELECT logical_date, state FROM dag_run WHERE dag_id = :d "
                            "ORDER BY logical_date"
                        ),
                        {"d": DAG_ID},
                    ).all()
            except sa.exc.DBAPIError:
                rows = []  # tables not visible yet
            runs = [(r.logical_date.astimezone(TIMEZONE).date(), str(r.state)) for r in rows]
            finished = [r for r in runs if r[1] in ("success", "failed")]
            if len(finished) >= expected_days:
                return runs
            time.sleep(2)
    finally:
        engine.dispose()
    return runs


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("topology")
    today = datetime.now(TIMEZONE).date()
    start = today - timedelta(days=3)
    tenants_file = root / "tenants.yaml"
    tenants_file.write_text(TENANTS.format(start=start.isoformat()), encoding="utf-8")
    tenant = load_tenants(tenants_file).by_id("topo")
    # Scheduled intervals end at 06:00 Stockholm: the runs for start and start+1 are due now.
    sandbox = start_sandbox(
        tenant, days=2, payments_per_day=3, seed=21, nets_port=0, fortnox_port=0
    )
    api_port = free_port()
    with (
        postgres_database("airflow_meta") as meta_url,
        postgres_database("dibs_state") as state_url,
    ):
        env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "unused.db")
        pg = sa.make_url(meta_url)
        env.update(
            {
                "DIBS_FORTNOX_TENANTS": str(tenants_file),
                "DIBS_FORTNOX_DB_URL": state_url,
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
                "AIRFLOW__CELERY__BROKER_URL": os.environ[REDIS_URL_ENV],
                "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": compose_setting(
                    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"
                ),
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+"
                + pg.set(drivername="postgresql").render_as_string(hide_password=False),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(api_port),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
                "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "2",
            }
        )
        stack = AirflowStack(
            env, root / "logs", components=(*COMPONENTS, "celery worker --concurrency 2")
        )
        stack.migrate()
        try:
            with stack:
                runs = wait_for_runs(meta_url, 2, stack.procs)
                yield Deployment(sandbox, state_url, runs, stack.logs)
        finally:
            sandbox.stop()


def test_scheduler_catches_up_and_every_run_succeeds(deployment: Deployment) -> None:
    first = deployment.sandbox.first_day
    booked = {day: state for day, state in deployment.runs}
    assert booked.get(first) == "success", deployment.runs
    assert booked.get(first + timedelta(days=1)) == "success", deployment.runs
    assert all(state in ("success", "running", "queued") for state in booked.values())


def test_celery_worker_booked_to_the_expected_trial_balance(deployment: Deployment) -> None:
    sandbox = deployment.sandbox
    # The tenant in TENANTS uses the same accounts as ScenarioAccounts' defaults.
    expected = expected_trial_balance(
        sandbox.scenario, ScenarioAccounts(), sandbox.first_day, sandbox.last_day
    )
    actual = sandbox.fortnox_app.trial_balance("topo")
    assert nonzero(actual) == nonzero(expected)
    assert sandbox.fortnox_app.status_counts.get(429, 0) == 0


def test_state_went_to_postgres(deployment: Deployment) -> None:
    ledger = Ledger.from_url(deployment.state_url)
    try:
        kinds = {d.kind for d in ledger.documents("topo")}
    finally:
        ledger.close()
    assert {"invoice", "invoice_payment", "voucher", "customer"} <= kinds


def test_the_workers_preload_the_task_code(deployment: Deployment) -> None:
    """Compose's Celery settings import the task code in each worker before it forks its
    pool (dibs_fortnox.celery_config): no task imports pandas and the pipeline itself."""
    folder = deployment.logs.parent / "airflow" / "logs"
    texts = [p.read_text(errors="replace") for p in folder.glob(f"dag_id={DAG_ID}/*/*/*.log")]
    # Two booked days, four steps each (a task still starting may not have logged yet).
    assert sum(PRELOADED in text for text in texts) >= 8, f"{len(texts)} task logs"
    assert not any(NOT_PRELOADED in text for text in texts)
