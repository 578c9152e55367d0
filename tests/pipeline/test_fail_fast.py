"""Problems retries cannot fix fail the task at once, with the fix, and close the run's row."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline import runner
from dibs_fortnox.schedule import TIMEZONE
from tests.databases import migrated

TENANTS = """\
tenants:
  - id: noconn
    name: Utan Koppling AB
    start_date: 2026-11-01
    email: ekonomi@noconn.example
    nets_conn_id: nets_noconn_missing
    fortnox_conn_id: fortnox_noconn_missing
    onboarding: skip
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}
"""


@pytest.fixture
def state_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS, encoding="utf-8")
    url = migrated(f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", url)
    return url


def context(run_id: str) -> dict[str, object]:
    logical = datetime(2026, 11, 2, 6, 0, tzinfo=TIMEZONE)
    return {"logical_date": logical, "run_id": run_id, "params": {}}


def test_missing_connection_fails_at_once_and_closes_the_run(state_url: str) -> None:
    with pytest.raises(AirflowFailException, match="'nets_noconn_missing' does not exist"):
        runner.run_step("extract", "noconn", context("scheduled__2026-11-02"))
    ledger = Ledger.from_url(state_url)
    (run,) = ledger.runs("noconn", date(2026, 11, 2))
    assert run.status == "failed" and "airflow connections add" in run.summary["error"]
    ledger.close()


def test_tenant_gone_from_the_file_fails_at_once_and_is_recorded(state_url: str) -> None:
    with pytest.raises(AirflowFailException, match="gone"):
        runner.run_step("load", "gone", context("manual__x"))
    ledger = Ledger.from_url(state_url)
    (run,) = ledger.runs("gone", date(2026, 11, 2))
    assert run.status == "failed" and run.summary["step"] == "load"
    ledger.close()


def test_a_state_database_not_migrated_fails_the_task_at_once_with_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS, encoding="utf-8")
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(AirflowFailException, match="has no tables yet") as failed:
        runner.run_step("extract", "noconn", context("scheduled__2026-11-02"))
    assert "python -m dibs_fortnox.ledger.migrate upgrade" in str(failed.value)
    runner.close_failed_run("noconn", {"run_id": "scheduled__2026-11-02"})  # logs, no raise
