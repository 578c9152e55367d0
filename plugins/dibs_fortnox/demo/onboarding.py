"""The demo's onboarding step: the checks, the TEST documents and the e-mail, for real.

The demo tenant books from a start date in the past and skips the onboarding gate
(``onboarding: skip``), because the demo shows booking, not waiting for a person's OK. What
a merchant would receive is still shown honestly: the onboarding's own checks run against
the sandbox, its TEST invoice and voucher are created and paid in the Fortnox emulator, and
the e-mail goes over SMTP through an Airflow SMTP connection to the sandbox mail server,
which keeps it as an ``.eml`` file. Then the TEST documents are reversed exactly as an
approval would, so every account is back at zero before the booking starts (the demo's
trial-balance checks would otherwise see them). The approval itself, through Airflow's
human-in-the-loop task and the signed link, is what ``tests/e2e/test_onboarding.py`` runs.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dibs_fortnox.demo.environment import Sandbox
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.onboarding import mail
from dibs_fortnox.onboarding.checks import run_checks
from dibs_fortnox.onboarding.testdocs import create_test_documents, reverse_test_documents
from dibs_fortnox.sandbox.mail import MailSandbox
from dibs_fortnox.tenants import TenantConfig

DEMO_SMTP_CONN = "dibs_fortnox_demo_smtp"


@dataclass(frozen=True)
class OnboardingShown:
    """The mail as the SMTP server kept it, and where it lies as a file."""

    subject: str
    text: str
    eml: Path
    reversed_to_zero: bool


def show_onboarding_mail(
    tenant: TenantConfig, sandbox: Sandbox, folder: Path, today: date
) -> OnboardingShown:
    """Run the tenant's onboarding against the sandbox up to the e-mail, then reverse it."""
    url = sandbox.fortnox.url
    auth = ClientCredentials(
        sandbox.fortnox_client_id, sandbox.fortnox_client_secret, sandbox.fortnox_tenant_id, url
    )
    fortnox = FortnoxClient(url, auth, tenant=tenant.id)
    results = run_checks(
        tenant,
        fortnox,
        lambda: NetsClient(sandbox.nets.url, sandbox.nets_secret, tenant=tenant.id),
        today,
    )
    failed = [r for r in results if not r.ok]
    var = "AIRFLOW_CONN_" + DEMO_SMTP_CONN.upper()
    with MailSandbox(folder=folder) as box:
        os.environ[var] = json.dumps(
            {"conn_type": "smtp", "host": "127.0.0.1", "port": box.port,
             "extra": {"from_email": "dibs-fortnox@demo.example", "disable_tls": True,
                       "disable_ssl": True}}
        )  # fmt: skip
        try:
            if failed:
                mail.send(mail.checks_failed_mail(tenant, results), conn_id=DEMO_SMTP_CONN)
                docs = None
            else:
                docs = create_test_documents(fortnox, tenant, today)
                mail.send(mail.test_documents_mail(tenant, docs, None), conn_id=DEMO_SMTP_CONN)
            got = box.wait_for(lambda _m: True, timeout_s=30)
        finally:
            del os.environ[var]
    if docs is not None:
        reverse_test_documents(fortnox, tenant, docs)
    balance = sandbox.fortnox_app.trial_balance(tenant.id)
    # The mail is HTML (Airflow's SMTP hook sends HTML); a terminal wants its text.
    text = html.unescape(re.sub(r"<[^>]+>", "", got.text))
    return OnboardingShown(got.subject, text, folder / "0001.eml", not any(balance.values()))


@contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Silence the SMTP server's and the HTTP client's INFO lines while the mail is shown."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
