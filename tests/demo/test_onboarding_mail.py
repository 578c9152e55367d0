"""``make demo`` shows the onboarding e-mail: real checks, TEST documents, SMTP, reversal."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from dibs_fortnox.demo.environment import start_sandbox
from dibs_fortnox.demo.onboarding import show_onboarding_mail
from dibs_fortnox.tenants import load_tenants


def test_the_demo_tenants_onboarding_mail_is_received_and_the_test_is_reversed(
    tmp_path: Path,
) -> None:
    configured = load_tenants().by_id("demo")
    today = date.today()
    tenant = configured.model_copy(update={"start_date": today - timedelta(days=3)})
    sandbox = start_sandbox(tenant, days=1, payments_per_day=1, nets_port=0, fortnox_port=0)
    try:
        shown = show_onboarding_mail(tenant, sandbox, tmp_path / "mail", today)
        (invoice, credit) = sandbox.fortnox_app.documents("demo")["invoices"]
    finally:
        sandbox.stop()
    assert shown.subject.startswith("TEST: DIBS-Fortnox är kopplat")
    assert f"Kundfaktura nr {invoice['DocumentNumber']}" in shown.text
    assert "125.13 kr" in shown.text and "<pre" not in shown.text and "&quot;" not in shown.text
    assert b"Kundfaktura" in shown.eml.read_bytes() or b"TEST" in shown.eml.read_bytes()
    assert shown.reversed_to_zero and credit["DocumentNumber"] != invoice["DocumentNumber"]
