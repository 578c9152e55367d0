"""Recognisable secrets in the three connections never reach an error message, a log line,
the state database or an e-mail, even when the API echoes the request that carried them.

The tenant's days run through the real Airflow-side entry point (``runner.run_step``: the
connections are read from ``AIRFLOW_CONN_*`` by our hooks), against both emulators; the
failure alert goes out over real SMTP with the password (the sandbox server demands AUTH).
Airflow's own task logs, metadata and XComs are covered end to end in
``tests/e2e/test_airflow_backfill.py``.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dibs_fortnox.demo.environment import connection_env
from dibs_fortnox.onboarding.tasks import notify_problem_day
from dibs_fortnox.pipeline import runner
from dibs_fortnox.pipeline.steps import STEPS
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.mail import MailSandbox
from dibs_fortnox.schedule import TIMEZONE
from tests.pipeline.world import World, make_world

CLIENT_ID = "demo-client"
FORTNOX_SECRET = "FORTNOX-client-secret-7Hq2vX9zLp4"
SMTP_PASSWORD = "SMTP-pass-w0rd-Kf83nQ"
TENANTS = """\
tenants:
  - id: demo
    name: Demo Webbshop AB
    start_date: 2026-11-03
    email: ekonomi@demo.example
    nets_conn_id: nets_demo
    fortnox_conn_id: fortnox_demo
    onboarding: skip
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path, days=4, payments_per_day=3)
    world.fortnox_app.add_client(CLIENT_ID, FORTNOX_SECRET, tenant_ids=["demo"])
    try:
        yield world
    finally:
        world.close()


@pytest.fixture
def mailbox(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSandbox]:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS, encoding="utf-8")
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", world.db_url)
    env = connection_env(
        world.tenant,
        nets_url=world.nets.url,
        nets_secret=world.scenario.secret_key,
        fortnox_url=world.fortnox.url,
        client_id=CLIENT_ID,
        client_secret=FORTNOX_SECRET,
        fortnox_tenant_id="demo",
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with MailSandbox(login=("robot", SMTP_PASSWORD)) as box:
        smtp = {
            "conn_type": "smtp", "host": "127.0.0.1", "port": box.port,
            "login": "robot", "password": SMTP_PASSWORD,
            "extra": {"from_email": "robot@data.example", "disable_tls": True,
                      "disable_ssl": True, "data_team_email": "data@team.example"},
        }  # fmt: skip
        monkeypatch.setenv("AIRFLOW_CONN_DIBS_FORTNOX_SMTP", json.dumps(smtp))
        yield box


def airflow_context(day: date) -> dict[str, object]:
    logical = datetime.combine(day, time(6), tzinfo=TIMEZONE)
    return {"logical_date": logical, "run_id": f"scheduled__{day}", "params": {}}


def run_day(day: date) -> None:
    for step in STEPS:
        runner.run_step(step, "demo", airflow_context(day))


def fail_day(day: date, step: str) -> str:
    """Run the day until ``step`` fails as Airflow sees it; alert as the DAG's callback does."""
    context = airflow_context(day)
    with pytest.raises(AirflowFailException) as caught:
        for name in STEPS:
            runner.run_step(name, "demo", context)
            assert name != step, f"{step} did not fail"
    notify_problem_day("demo", {**context, "exception": caught.value})
    return str(caught.value)


def test_no_secret_in_errors_logs_state_or_mail(
    world: World, mailbox: MailSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nets_key = world.scenario.secret_key
    basic = base64.b64encode(f"{CLIENT_ID}:{FORTNOX_SECRET}".encode()).decode()
    secrets = [nets_key, nets_key.rsplit("-", 1)[-1], FORTNOX_SECRET, SMTP_PASSWORD, basic]
    first, second, third = world.payout_days()[:3]

    run_day(first)  # a full day, booked
    # Nets answers 400 quoting the request: its Authorization header is the secret key.
    world.nets_app.faults.add(FaultRule("error_before", route="/report/v1/payouts", status=400,
                                        echo=True))  # fmt: skip
    nets_error = fail_day(second, "extract")
    world.nets_app.faults.clear()
    # Fortnox's token endpoint quotes the request: Basic client id and secret.
    world.fortnox_app.faults.add(FaultRule("error_before", route="/oauth-v1/token", status=400,
                                           echo=True))  # fmt: skip
    fortnox_error = fail_day(third, "load")

    assert "Bad request GET /report/v1/payouts" in nets_error  # the echo did arrive
    assert "Bad request POST /oauth-v1/token" in fortnox_error
    assert "the client secret in password" in fortnox_error  # the advice itself survives
    mails = [mailbox.wait_for(lambda m, d=d: str(d) in m.subject) for d in (second, third)]
    assert mailbox.logins == len(mails)  # each alert logged in with the SMTP password
    state = Path(world.db_url.removeprefix("sqlite:///")).read_bytes()
    places = {
        "error messages": nets_error + fortnox_error,
        "log records": caplog.text,
        "e-mails": "".join(m.raw.decode("utf-8", "replace") + m.text for m in mails),
        "state database": state.decode("utf-8", "replace"),
    }
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:6]}…) is in the {where}"
