"""Mail goes out through an Airflow SMTP connection to a real SMTP server; links are signed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from dibs_fortnox.onboarding import tasks
from dibs_fortnox.onboarding.links import LinkRefused, sign_link, verify_link
from dibs_fortnox.sandbox.mail import MailSandbox
from tests.onboarding.world import TENANT

KEY = b"a-signing-key-of-some-length"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSandbox]:
    with MailSandbox() as mail:
        monkeypatch.setenv(
            "AIRFLOW_CONN_DIBS_FORTNOX_SMTP",
            json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": mail.port,
                        "extra": {"from_email": "robot@data.example", "disable_tls": True,
                                  "disable_ssl": True, "data_team_email": "data@team.example"}}),
        )  # fmt: skip
        yield mail


def test_a_failed_days_notification_reaches_the_smtp_server(
    mailbox: MailSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        tasks, "load_tenants", lambda: type("L", (), {"by_id": lambda _s, _i: TENANT})()
    )
    secret = "live-secret-key-" + "9" * 32
    context = {
        "exception": f"tenant acme, day 2026-11-04: account 6040 is not active ({secret})",
        "logical_date": datetime(2026, 11, 4, 5, 0, tzinfo=UTC),
        "run_id": "scheduled__2026-11-04",
        "params": {},
    }
    tasks.notify_problem_day("acme", context)
    mail = mailbox.wait_for(lambda m: "2026-11-04" in m.subject, timeout_s=10)
    assert set(mail.recipients) == {"data@team.example", "ekonomi@acme.example"}
    assert "account 6040 is not active" in mail.text and "failed" in mail.subject
    assert secret not in mail.text and "live-secret-key-***" in mail.text


def test_a_link_verifies_and_tampering_or_expiry_is_refused() -> None:
    token = sign_link(KEY, "acme", "run-1", now=1000, ttl_s=60)
    assert verify_link(KEY, token, now=1059).run_id == "run-1"
    with pytest.raises(LinkRefused, match="expired"):
        verify_link(KEY, token, now=1061)
    with pytest.raises(LinkRefused, match="not valid"):
        verify_link(b"another-key-entirely-xx", token, now=1000)
    body, mac = token.split(".")
    with pytest.raises(LinkRefused, match="not valid"):
        verify_link(KEY, body[:-2] + "xx." + mac, now=1000)
