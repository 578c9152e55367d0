"""The e-mails a merchant and the data team receive, and sending them over SMTP.

Texts are plain Swedish/English a bookkeeper reads: what was created (numbers, accounts,
amounts), what to look at in Fortnox and how to confirm; or which check failed and how to
fix it; or which day failed and why. They go out through an Airflow SMTP connection
(``dibs_fortnox_smtp`` unless ``DIBS_FORTNOX_SMTP_CONN_ID`` names another), whose extra
holds ``from_email`` and ``data_team_email``. No secret is ever part of a text: the bodies
are built from our own records, and every text passes ``redact`` once more before sending.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

from dibs_fortnox.errors import redact
from dibs_fortnox.money import format_amount
from dibs_fortnox.onboarding.checks import CheckResult
from dibs_fortnox.onboarding.testdocs import NET_ORE, VAT_ORE, TestDocuments
from dibs_fortnox.tenants import TenantConfig

SMTP_CONN_ENV = "DIBS_FORTNOX_SMTP_CONN_ID"
DEFAULT_SMTP_CONN = "dibs_fortnox_smtp"


@dataclass(frozen=True)
class Mail:
    """One e-mail: recipients, subject and a plain-text body."""

    to: tuple[str, ...]
    subject: str
    body: str


def kr(ore: int) -> str:
    return f"{format_amount(ore)} kr"


def test_documents_mail(tenant: TenantConfig, docs: TestDocuments, link: str | None) -> Mail:
    """The onboarding e-mail: what was created, what to look at, how to confirm."""
    a = tenant.accounts
    confirm = (
        f"Om allt stämmer: godkänn med länken nedan (den fungerar en gång):\n\n  {link}\n\n"
        if link
        else ""
    )
    body = f"""Hej {tenant.name}!

Kopplingen mellan Nets Easy och Fortnox är kontrollerad och vi har skapat TEST-dokument i
er Fortnox. Allt är märkt TEST och återförs automatiskt när ni godkänt (eller avböjt).

Skapat den {docs.day.isoformat()}:
  - Kundfaktura nr {docs.invoice_number} (kund "TEST – DIBS-Fortnox anslutningstest"):
      {kr(NET_ORE)} på konto {a.sales_se} + moms 25 % {kr(VAT_ORE)} = {kr(docs.total_ore)}
  - Inbetalning nr {docs.payment_number} på fakturan, betalsätt {tenant.mode_of_payment},
      konto {a.receivable}: {kr(docs.total_ore)} (fakturan ska visas som betald, grön)
  - Verifikation {docs.voucher_series}{docs.voucher_number}: debet {a.bank} / kredit \
{a.receivable}, {kr(docs.total_ore)} (som en utbetalning från Nets)

Titta i Fortnox:
  1. Fakturering → Kundfakturor: faktura {docs.invoice_number} är bokförd och betald (grön).
  2. Bokföring → Verifikationer, serie {docs.voucher_series}: verifikation \
{docs.voucher_number}.
  3. Kontona {a.sales_se}, 2611, {a.receivable} och {a.bank} visar beloppen ovan.

{confirm}Datateamet kan också godkänna i Airflow (Required actions, DAG \
{tenant.onboarding_dag_id}).
Från och med godkännandet bokförs varje Nets-försäljning automatiskt från {tenant.start_date}.

Vill ni felanmäla något? Svara på detta mejl.
"""
    return Mail(
        (tenant.email,), f"TEST: DIBS-Fortnox är kopplat till Fortnox för {tenant.name}", body
    )


def checks_failed_mail(tenant: TenantConfig, results: list[CheckResult]) -> Mail:
    """Which checks failed and how to fix each; nothing was created in Fortnox."""
    failed = [r for r in results if not r.ok]
    lines = "\n".join(
        f"  {n}. {r.message}\n     Så åtgärdar ni det: {r.fix}" for n, r in enumerate(failed, 1)
    )
    body = f"""Hej {tenant.name}!

Innan vi bokför något kontrollerar vi er Fortnox och Nets Easy. {len(failed)} kontroll(er)
gick inte igenom, så inget har skapats i Fortnox:

{lines}

När det är åtgärdat kör datateamet anslutningen igen (DAG {tenant.onboarding_dag_id}).
"""
    return Mail(
        (tenant.email,), f"Åtgärd krävs: DIBS-Fortnox kan inte kopplas för {tenant.name}", body
    )


def problem_day_mail(
    tenant: TenantConfig, to: tuple[str, ...], day: str, cause: str, status: str, run_link: str
) -> Mail:
    """A failed or held day: the cause in plain words, the fix, the day, a link to the run."""
    what = "hölls inne (held)" if status == "held" else "misslyckades (failed)"
    body = f"""Bokföringen för {tenant.name} ({tenant.id}) den {day} {what}.

Orsak och åtgärd:
  {cause}

Dagens körning i Airflow: {run_link}
Inget bokförs dubbelt: när orsaken är åtgärdad körs dagen om (docs/troubleshooting.md).
"""
    return Mail(to, f"DIBS-Fortnox: {tenant.id} {day} {status}", body)


def smtp_conn_id() -> str:
    return os.environ.get(SMTP_CONN_ENV) or DEFAULT_SMTP_CONN


def data_team(conn_id: str | None = None) -> str | None:
    """The data team's address (``extra.data_team_email`` of the SMTP connection)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    extra = (
        SmtpHook(smtp_conn_id=conn_id or smtp_conn_id())
        .get_connection(conn_id or smtp_conn_id())
        .extra_dejson
    )
    found = extra.get("data_team_email")
    return str(found) if found else None


def send(mail: Mail, conn_id: str | None = None) -> None:
    """Send ``mail`` through the Airflow SMTP connection (plain text in an HTML wrapper)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = redact(mail.body)
    html_body = f"<pre style='font-family:sans-serif'>{html.escape(body)}</pre>"
    with SmtpHook(smtp_conn_id=conn_id or smtp_conn_id()) as hook:
        hook.send_email_smtp(to=list(mail.to), subject=redact(mail.subject), html_content=html_body)
