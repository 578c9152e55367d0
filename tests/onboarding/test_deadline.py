"""A day not booked by the tenant's ``booked_by_hour`` is e-mailed once, over real SMTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dibs_fortnox.ledger import Ledger
from dibs_fortnox.onboarding import mail
from dibs_fortnox.onboarding.deadline import alert_unbooked, due_day
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.sandbox.mail import MailSandbox
from tests.databases import migrated
from tests.onboarding.world import TENANT

# 12:30 in Stockholm (UTC+1 in December): past the default booked_by_hour of 12.
NOON_PAST = datetime(2026, 12, 2, 11, 30, tzinfo=UTC)
MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSandbox]:
    with MailSandbox() as box:
        monkeypatch.setenv(
            "AIRFLOW_CONN_DIBS_FORTNOX_SMTP",
            json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": box.port,
                        "extra": {"from_email": "robot@data.example", "disable_tls": True,
                                  "disable_ssl": True}}),
        )  # fmt: skip
        yield box


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    found = Ledger.from_url(migrated(f"sqlite:///{tmp_path / 'state.db'}"))
    OnboardingRecords(found.engine).decide(TENANT.id, "active", "data team", "ok")
    yield found
    found.close()


def run(ledger: Ledger, now: datetime, tenants: list = [TENANT]) -> list[str]:  # noqa: B006
    records = OnboardingRecords(ledger.engine)
    late = alert_unbooked(tenants, ledger, records, now, mail.send, "data@team.example")
    return [f"{d.tenant.id} {d.day}" for d in late]


def test_the_due_day_is_yesterday_in_stockholm() -> None:
    assert due_day(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert due_day(NOON_PAST) == DAY


def test_a_failed_day_past_the_hour_is_mailed_once_with_the_cause(
    ledger: Ledger, mailbox: MailSandbox
) -> None:
    key = ledger.start_run(TENANT.id, DAY, "scheduled__2026-12-01")
    ledger.finish_run(key, "failed", {"error": "account 6040 is not active"})
    assert run(ledger, MORNING) == []  # before the hour: nothing yet
    assert run(ledger, NOON_PAST) == ["acme 2026-12-01"]
    assert run(ledger, NOON_PAST) == []  # the next hourly check does not repeat it
    got = mailbox.wait_for(lambda m: "not booked" in m.subject, timeout_s=10)
    assert set(got.recipients) == {"data@team.example", "ekonomi@acme.example"}
    assert "2026-12-01" in got.subject and "12:00" in got.text
    assert "the last run failed: account 6040 is not active" in got.text
    assert len(mailbox.messages) == 1


def test_a_day_that_never_ran_is_mailed_to_the_team_only_when_the_merchant_opts_out(
    ledger: Ledger, mailbox: MailSandbox
) -> None:
    quiet = TENANT.model_copy(update=dict(notify_merchant=False, booked_by_hour=10))
    assert run(ledger, datetime(2026, 12, 2, 9, 5, tzinfo=UTC), [quiet]) == ["acme 2026-12-01"]
    got = mailbox.wait_for(lambda m: "not booked" in m.subject, timeout_s=10)
    assert got.recipients == ("data@team.example",)
    assert "no run of this day has started" in got.text and "10:00" in got.text


def test_a_booked_day_a_paused_or_unapproved_tenant_raise_nothing(
    ledger: Ledger, mailbox: MailSandbox
) -> None:
    key = ledger.start_run(TENANT.id, DAY, "scheduled__2026-12-01")
    ledger.finish_run(key, "success", {})
    assert run(ledger, NOON_PAST) == []
    other = TENANT.model_copy(update=dict(id="newco"))  # onboarding not approved yet
    paused = TENANT.model_copy(update=dict(id="paused", paused=True))
    assert run(ledger, NOON_PAST, [other, paused]) == []
    assert mailbox.messages == []


def test_an_alert_that_could_not_be_sent_is_tried_again(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = OnboardingRecords(ledger.engine)

    def down(_mail: mail.Mail) -> None:
        raise ConnectionRefusedError("SMTP server down")

    with pytest.raises(ConnectionRefusedError):
        alert_unbooked([TENANT], ledger, records, NOON_PAST, down, "data@team.example")
    sent: list[mail.Mail] = []
    alert_unbooked([TENANT], ledger, records, NOON_PAST, sent.append, "data@team.example")
    assert len(sent) == 1
