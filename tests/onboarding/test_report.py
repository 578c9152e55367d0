"""The problem report names what support needs and never a secret."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dibs_fortnox.onboarding import report
from dibs_fortnox.onboarding.state import OnboardingRecords
from tests.databases import migrated

NETS_KEY = "live-secret-key-" + "7c" * 16
CLIENT_SECRET = "s3cr3t-client-secret-of-acme"
TENANTS = """\
tenants:
  - id: acme
    name: Acme AB
    start_date: 2026-11-03
    email: ekonomi@acme.example
    nets_conn_id: nets_acme
    fortnox_conn_id: fortnox_acme
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}
"""


def test_report_has_config_onboarding_runs_and_held_payouts_but_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tenants.yaml").write_text(TENANTS)
    db = tmp_path / "state.db"
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tmp_path / "tenants.yaml"))
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", f"sqlite:///{db}")
    monkeypatch.setenv(
        "AIRFLOW_CONN_NETS_ACME",
        json.dumps({"conn_type": "http", "host": "https://api.dibspayment.eu",
                    "password": NETS_KEY}),
    )  # fmt: skip
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_ACME",
        json.dumps({"conn_type": "http", "login": "acme-client", "password": CLIENT_SECRET,
                    "extra": {"tenant_id": "1234567", "client_secret": CLIENT_SECRET}}),
    )  # fmt: skip
    from dibs_fortnox.ledger import Ledger

    ledger = Ledger.from_url(migrated(f"sqlite:///{db}"))
    records = OnboardingRecords(ledger.engine)
    failed = {"name": "accounts", "ok": False, "message": "account 6040 is not active"}
    passed = {"name": "nets", "ok": True, "message": "the Nets live key works", "fix": ""}
    records.update("acme", "checks_failed", checks=[{**failed, "fix": "Kontoplan"}, passed])
    key = ledger.start_run("acme", date(2026, 11, 4), "scheduled__2026-11-04")
    # An error text that once quoted the key: the report must still not show it.
    ledger.finish_run(key, "failed", {"error": f"Nets refused key {NETS_KEY} (401)"})
    ledger.record_payout("acme", date(2026, 11, 5), "po-77", "held", "payout does not add up")
    ledger.close()

    out = tmp_path / "report.txt"
    said: list[str] = []
    assert report.main(["--tenant", "acme", "--out", str(out)], say=said.append) == 0
    text = out.read_text()
    assert '"receivable": 1516' in text and "ekonomi@acme.example" in text
    assert "status: checks_failed" in text
    assert "check accounts: FAILED: account 6040 is not active -> fix: Kontoplan" in text
    assert "2026-11-04 failed" in text and "Nets refused key" in text
    assert "payout po-77 of 2026-11-05: payout does not add up" in text
    assert "extra.tenant_id is 1234567" in text and "password is set" in text
    assert NETS_KEY not in text and CLIENT_SECRET not in text
    assert NETS_KEY[16:] not in text  # not even the key's random part
