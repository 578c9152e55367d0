"""End to end through real Airflow: 14 days of the demo tenant against the sandbox.

The emulators run in this process (real HTTP on 127.0.0.1, Fortnox's rate limit on);
Airflow runs in a child process with SQLite metadata, importing our DAG folder, exactly as
``make demo`` does. One invoice create loses its answer after the write landed: Airflow's
retry must resolve it by reference instead of posting it twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dibs_fortnox.demo.environment import Sandbox, airflow_env, start_sandbox
from dibs_fortnox.demo.report import fortnox_writes, scenario_accounts
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.scenario_expected import expected_trial_balance, nonzero
from dibs_fortnox.tenants import load_tenants

pytestmark = pytest.mark.airflow


@dataclass
class Backfilled:
    sandbox: Sandbox
    env: dict[str, str]
    first: list[dict[str, str]]
    output: str
    writes_after_first: int


def run_backfill(sandbox: Sandbox, env: dict[str, str]) -> tuple[list[dict[str, str]], str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dibs_fortnox.demo.backfill",
            "--dag-id",
            "dibs_fortnox__demo",
            "--from",
            sandbox.first_day.isoformat(),
            "--to",
            sandbox.last_day.isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    days = [json.loads(line) for line in out.stdout.splitlines() if line.startswith('{"day"')]
    assert days, out.stdout[-3000:] + out.stderr[-5000:]
    return days, out.stdout + out.stderr


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    root = tmp_path_factory.mktemp("airflow-e2e")
    tenant = load_tenants().by_id("demo")
    sandbox = start_sandbox(
        tenant, days=14, payments_per_day=4, seed=99, nets_port=0, fortnox_port=0
    )
    sandbox.fortnox_app.faults.add(
        FaultRule("lost_response", method="POST", route="/3/invoices", times=1)
    )
    env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "state.db")
    env["DIBS_FORTNOX_RETRY_DELAY_SECONDS"] = "1"
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    try:
        first, output = run_backfill(sandbox, env)
        yield Backfilled(sandbox, env, first, output, fortnox_writes(sandbox))
    finally:
        sandbox.stop()


def test_every_day_succeeds_through_airflow(backfilled: Backfilled) -> None:
    assert [d["state"] for d in backfilled.first] == ["success"] * 14


def test_trial_balance_equals_the_scenarios_to_the_ore(backfilled: Backfilled) -> None:
    sandbox = backfilled.sandbox
    tenant = load_tenants().by_id("demo")
    expected = expected_trial_balance(
        sandbox.scenario, scenario_accounts(tenant), sandbox.first_day, sandbox.last_day
    )
    actual = sandbox.fortnox_app.trial_balance("demo")
    assert nonzero(actual) == nonzero(expected)
    assert actual.get(1516, 0) == 0 and actual.get(1510, 0) == 0


def test_lost_response_was_retried_without_duplicate(backfilled: Backfilled) -> None:
    app = backfilled.sandbox.fortnox_app
    assert app.faults.injected["lost_response"] == 1
    refs = Counter(
        str(i.get("ExternalInvoiceReference1")) for i in app.documents("demo")["invoices"]
    )
    assert refs and max(refs.values()) == 1


def test_client_stays_under_the_rate_limit(backfilled: Backfilled) -> None:
    assert backfilled.sandbox.fortnox_app.status_counts.get(429, 0) == 0


def test_second_backfill_sends_no_write(backfilled: Backfilled) -> None:
    second, _ = run_backfill(backfilled.sandbox, backfilled.env)
    assert [d["state"] for d in second] == ["success"] * 14
    assert fortnox_writes(backfilled.sandbox) == backfilled.writes_after_first


def test_no_secret_in_airflow_output(backfilled: Backfilled) -> None:
    logs = Path(backfilled.env["AIRFLOW_HOME"]) / "logs"
    text = backfilled.output + "".join(
        p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()
    )
    assert "dibs_fortnox.pipeline" in text, "the task output was not captured"
    assert backfilled.sandbox.nets_secret not in text
    assert backfilled.sandbox.fortnox_client_secret not in text
