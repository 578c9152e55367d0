"""Before a tenant's first booking: can Fortnox and Nets do what the booking needs?

Each check asks one question and, when the answer is no, says in a bookkeeper's words
what is wrong and where to fix it. The Fortnox-side questions are the ones the daily
preflight asks before every write (``pipeline.preflight``), asked once here for the
dates that matter (``start_date`` and today) and with the fix spelled out for the
merchant. A check that cannot even ask (Fortnox unreachable) stops the ones after it that
need Fortnox, so the merchant gets the one real cause instead of ten echoes.

Example:
    >>> results = run_checks(tenant, fortnox, nets, today=date(2026, 12, 2))  # doctest: +SKIP
    >>> [r.name for r in results if not r.ok]                                 # doctest: +SKIP
    ['mode_of_payment']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from dibs_fortnox.errors import ApiError, AuthFailed, ConfigError, DibsFortnoxError
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.pipeline.preflight import (
    BOOKING_ACCOUNT,
    account_problems,
    locked_problem,
    mode_of_payment_problem,
    voucher_series_problem,
)
from dibs_fortnox.tenants import TenantConfig

# What the booking calls need (fortnox-api §1.5): invoices, their payments, customers,
# accounts/years/vouchers, modes of payment and locked period, company information.
REQUIRED_SCOPES = frozenset(
    {"invoice", "payment", "customer", "bookkeeping", "settings", "companyinformation"}
)
NO_LICENCE_CODES = {"2001101", "2001103"}  # no licence for the scope / no API licence
CONNECT_HINT = "python -m dibs_fortnox.onboarding.connect --tenant {tenant}"


@dataclass(frozen=True)
class CheckResult:
    """The answer to one check.

    Attributes:
        name: the check's id (``mode_of_payment``), stable for tests and the e-mail.
        ok: the booking can rely on it.
        message: what was found; for a failure, what is wrong.
        fix: what to do (empty when ok).
        offer: an action the operator may let us take instead (``create_mode_of_payment``);
            empty when there is none.
    """

    name: str
    ok: bool
    message: str
    fix: str = ""
    offer: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ok(name: str, message: str) -> CheckResult:
    return CheckResult(name, True, message)


def _fail(name: str, message: str, fix: str, offer: str = "") -> CheckResult:
    return CheckResult(name, False, message, fix, offer)


# -- Fortnox -----------------------------------------------------------------------------


def check_fortnox_reachable(tenant: TenantConfig, fortnox: FortnoxClient) -> CheckResult:
    """Fortnox answers with the tenant's credentials (token and company information)."""
    try:
        info = fortnox.company_information()
    except AuthFailed as exc:
        return _fail(
            "fortnox_reachable",
            f"Fortnox refused the integration's access for tenant {tenant.id}: {exc.detail}",
            "a Fortnox administrator of the company connects the integration again: "
            + CONNECT_HINT.format(tenant=tenant.id),
        )
    except ApiError as exc:
        return _fail(
            "fortnox_reachable",
            f"Fortnox cannot be reached for tenant {tenant.id}: {exc}",
            "check the Fortnox connection's host; if Fortnox itself is down, the onboarding "
            "can simply be run again later",
        )
    return _ok(
        "fortnox_reachable",
        f"Fortnox answers: company {info.get('CompanyName')} "
        f"(organisation number {info.get('OrganizationNumber')})",
    )


def check_scopes(tenant: TenantConfig, fortnox: FortnoxClient) -> CheckResult:
    """The token carries every scope the booking needs, and the company holds the licences."""
    granted = fortnox.auth.granted_scopes()
    missing = sorted(REQUIRED_SCOPES - granted) if granted is not None else []
    if missing:
        return _fail(
            "fortnox_scopes",
            f"the Fortnox integration lacks the scopes {', '.join(missing)}",
            "add them to the integration in Fortnox's developer portal, then connect again "
            "(a new scope needs a new consent): " + CONNECT_HINT.format(tenant=tenant.id),
        )
    try:
        fortnox.list_invoices(from_date=date.today(), to_date=date.today())
    except AuthFailed as exc:
        if str(exc.code or "") in NO_LICENCE_CODES or exc.status == 403:
            return _fail(
                "fortnox_scopes",
                f"the company has no Fortnox licence for invoices through the API ({exc.detail})",
                "the company adds the Fortnox licences Fakturering and Integration "
                "(Fortnox: Administration → Hantera licenser)",
            )
        raise
    return _ok("fortnox_scopes", "scopes and licences for invoices, payments and vouchers present")


def _year_of(years: list[dict[str, Any]], day: date) -> dict[str, Any] | None:
    for year in years:
        if str(year.get("FromDate")) <= day.isoformat() <= str(year.get("ToDate")):
            return year
    return None


def _days(tenant: TenantConfig, today: date) -> list[date]:
    return sorted({tenant.start_date, today})


def check_financial_years(
    tenant: TenantConfig, years: list[dict[str, Any]], today: date
) -> CheckResult:
    """A financial year covers ``start_date`` and today."""
    missing = [d for d in _days(tenant, today) if _year_of(years, d) is None]
    if missing:
        shown = " and ".join(d.isoformat() for d in missing)
        return _fail(
            "financial_years",
            f"no financial year in Fortnox covers {shown}",
            "create the financial year in Fortnox (Inställningar → Bokföring → Räkenskapsår)",
        )
    return _ok("financial_years", f"financial years cover {tenant.start_date} and {today}")


def check_accrual_method(
    tenant: TenantConfig, years: list[dict[str, Any]], today: date
) -> CheckResult:
    """The company books invoices by the accrual method (fakturametoden)."""
    cash = [
        str(year.get("FromDate"))[:4]
        for d in _days(tenant, today)
        if (year := _year_of(years, d)) is not None
        and str(year.get("AccountingMethod") or "ACCRUAL").upper() != "ACCRUAL"
    ]
    if cash:
        return _fail(
            "accrual_method",
            "the company uses the cash method (kontantmetoden) in the financial year "
            f"{', '.join(sorted(set(cash)))}: Fortnox then books an invoice only when it is paid, "
            "and the card receivable would not add up",
            "switch the financial year to fakturametoden (Inställningar → Bokföring → "
            "Räkenskapsår → Bokföringsmetod), after asking the company's accountant",
        )
    return _ok("accrual_method", "the company uses the accrual method (fakturametoden)")


def check_accounts(
    tenant: TenantConfig, fortnox: FortnoxClient, years: list[dict[str, Any]], today: date
) -> CheckResult:
    """Every configured account exists and is active in the years of start_date and today."""
    a = tenant.accounts
    numbers = {a.sales_se, a.sales_eu, a.sales_non_eu, a.receivable, a.bank, a.fees}
    numbers |= {a.rounding, BOOKING_ACCOUNT}
    problems: list[str] = []
    for year_id in sorted(
        {int(y["Id"]) for d in _days(tenant, today) if (y := _year_of(years, d))}
    ):
        for problem in account_problems(fortnox.list_accounts(year_id), numbers):
            label = f"{problem} (financial year {year_id})"
            if label not in problems:
                problems.append(label)
    if problems:
        return _fail(
            "accounts",
            "; ".join(problems),
            "in Fortnox: Inställningar → Bokföring → Kontoplan, add or activate the accounts "
            "named, or change accounts.* of the tenant in the tenants file",
        )
    return _ok("accounts", f"accounts {', '.join(str(n) for n in sorted(numbers))} are active")


def check_mode_of_payment(tenant: TenantConfig, fortnox: FortnoxClient) -> CheckResult:
    """The mode of payment exists and books to ``accounts.receivable``."""
    problem = mode_of_payment_problem(fortnox, tenant)
    if problem is None:
        return _ok(
            "mode_of_payment",
            f"mode of payment {tenant.mode_of_payment} books to {tenant.accounts.receivable}",
        )
    if "does not exist" in problem:
        return _fail(
            "mode_of_payment",
            problem,
            "we can create it for you: run the onboarding again with "
            f"`python -m dibs_fortnox.onboarding.connect --tenant {tenant.id} "
            "--create-mode-of-payment`, or add it in Fortnox (Inställningar → Bokföring → "
            f"Betalsätt: code {tenant.mode_of_payment}, account {tenant.accounts.receivable})",
            offer="create_mode_of_payment",
        )
    return _fail(
        "mode_of_payment",
        problem,
        "in Fortnox: Inställningar → Bokföring → Betalsätt, set the account of "
        f"{tenant.mode_of_payment} to {tenant.accounts.receivable} (or change "
        "accounts.receivable in the tenants file)",
    )


def check_voucher_series(tenant: TenantConfig, fortnox: FortnoxClient) -> CheckResult:
    """The voucher series exists and takes manual vouchers."""
    problem = voucher_series_problem(fortnox, tenant)
    if problem is None:
        return _ok("voucher_series", f"voucher series {tenant.voucher_series} takes vouchers")
    return _fail(
        "voucher_series",
        problem,
        "in Fortnox: Inställningar → Bokföring → Verifikationsserier, create the series or "
        "allow manual vouchers in it (or choose another voucher_series in the tenants file)",
    )


def check_locked_period(tenant: TenantConfig, fortnox: FortnoxClient) -> CheckResult:
    """No period from ``start_date`` on is locked."""
    problem = locked_problem(fortnox, tenant.start_date)
    if problem is None:
        return _ok("locked_period", f"nothing from {tenant.start_date} on is locked")
    return _fail(
        "locked_period",
        problem,
        "unlock the period in Fortnox (Inställningar → Bokföring → Låsning av period), or "
        "move start_date in the tenants file after the locked period",
    )


# -- Nets --------------------------------------------------------------------------------


def check_nets(
    tenant: TenantConfig, nets_factory: Callable[[], NetsClient], today: date
) -> CheckResult:
    """The Nets key is a live key and the Reporting API answers with it."""
    try:
        nets = nets_factory()
    except ConfigError as exc:  # no key, or a test key: the message names the connection
        return _fail(
            "nets",
            str(exc),
            f"put the live secret key (Nets Easy portal → Company → Integration → "
            f"live-secret-key-…) in the Airflow connection '{tenant.nets_conn_id}'",
        )
    try:
        nets.list_payouts(today - timedelta(days=1), today)
    except DibsFortnoxError as exc:
        return _fail(
            "nets",
            f"Nets Easy does not answer for tenant {tenant.id}: {exc}",
            f"put the live secret key (Nets Easy portal → Company → Integration → "
            f"live-secret-key-…) in the Airflow connection '{tenant.nets_conn_id}'",
        )
    return _ok("nets", "the Nets live key works and the Reporting API answers")


def run_checks(
    tenant: TenantConfig,
    fortnox: FortnoxClient,
    nets_factory: Callable[[], NetsClient],
    today: date,
) -> list[CheckResult]:
    """Every check, in the order a person would fix them; the Fortnox ones stop when it is
    down or the integration lacks scopes or licences (Fortnox would answer each with 403)."""
    results = [check_fortnox_reachable(tenant, fortnox)]
    if results[0].ok:
        results.append(check_scopes(tenant, fortnox))
    if results[-1].ok:
        years = fortnox.financial_years()
        results += [
            check_financial_years(tenant, years, today),
            check_accrual_method(tenant, years, today),
            check_accounts(tenant, fortnox, years, today),
            check_mode_of_payment(tenant, fortnox),
            check_voucher_series(tenant, fortnox),
            check_locked_period(tenant, fortnox),
        ]
    results.append(check_nets(tenant, nets_factory, today))
    return results
