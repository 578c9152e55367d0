"""Checks against the tenant's Fortnox company before the first write of a run.

Fortnox refuses a document for an inactive account, a missing financial year, a locked
period, a mode of payment on the wrong account or a series without manual vouchers. Asking
first (a handful of GETs) means such a day posts nothing at all instead of stopping
half-way, and the message tells the bookkeeper exactly what to change in Fortnox.

The single checks are public: onboarding (``dibs_fortnox.onboarding.checks``) asks the same
questions once, before the tenant's first day, with the fix spelled out for the merchant.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dibs_fortnox.booking.documents import PayoutBooking
from dibs_fortnox.errors import ConfigError, NotFound
from dibs_fortnox.fortnox.client import FortnoxClient, fortnox_true
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.tenants import TenantConfig


def _dates(bookings: list[PayoutBooking]) -> set[date]:
    found = {b.voucher.transaction_date for b in bookings}
    for booking in bookings:
        found |= {i.invoice_date for i in booking.invoices}
        found |= {p.payment_date for p in booking.payments}
    return found


def _accounts(bookings: list[PayoutBooking]) -> set[int]:
    found: set[int] = set()
    for booking in bookings:
        found |= {row.account for row in booking.voucher.rows}
        found |= {p.account for p in booking.payments}
        found |= {row.account for i in booking.invoices for row in i.rows}
    return found


BOOKING_ACCOUNT = 1510  # Fortnox's own receivable for customer invoices (predefined)


def account_problems(chart: list[dict[str, Any]], numbers: set[int]) -> list[str]:
    """What is wrong with ``numbers`` in ``chart`` (Fortnox's account listing): missing or
    inactive accounts, one message each."""
    accounts = {int(a["Number"]): a for a in chart}
    problems: list[str] = []
    for number in sorted(numbers):
        account = accounts.get(number)
        if account is None:
            problems.append(f"account {number} does not exist in Fortnox: add it to the chart")
        elif not fortnox_true(account.get("Active", True)):
            problems.append(f"account {number} is not active in Fortnox: activate it")
    return problems


def mode_of_payment_problem(fortnox: FortnoxClient, tenant: TenantConfig) -> str | None:
    """Why the tenant's mode of payment cannot be used; None when it books to the receivable."""
    try:
        mode = fortnox.get_mode_of_payment(tenant.mode_of_payment)
    except NotFound:
        return (
            f"mode of payment {tenant.mode_of_payment} does not exist in Fortnox: create it "
            f"with account {tenant.accounts.receivable}"
        )
    if str(mode.get("AccountNumber")) != str(tenant.accounts.receivable):
        return (
            f"mode of payment {tenant.mode_of_payment} books to account "
            f"{mode.get('AccountNumber')}, but accounts.receivable is "
            f"{tenant.accounts.receivable}: "
            "make them the same"
        )
    return None


def voucher_series_problem(fortnox: FortnoxClient, tenant: TenantConfig) -> str | None:
    """Why the tenant's voucher series cannot take our vouchers; None when it can."""
    series = {str(s.get("Code")): s for s in fortnox.list_voucher_series()}
    chosen = series.get(tenant.voucher_series)
    if chosen is None:
        return f"voucher series {tenant.voucher_series} does not exist in Fortnox"
    if not fortnox_true(chosen.get("Manual")):
        return f"voucher series {tenant.voucher_series} does not allow manual vouchers"
    return None


def locked_problem(fortnox: FortnoxClient, first: date) -> str | None:
    """Why documents dated from ``first`` would fall in a locked period; None when open."""
    locked = (fortnox.locked_period() or {}).get("EndDate")
    if locked and first.isoformat() <= str(locked):
        return (
            f"Fortnox is locked up to {locked} but documents are dated from {first}: "
            "unlock the period or book these by hand"
        )
    return None


def preflight(ctx: StepContext, bookings: list[PayoutBooking]) -> None:
    """Raise ``ConfigError`` listing every problem that would make Fortnox refuse a write."""
    if not bookings:
        return
    fortnox, tenant = ctx.fortnox, ctx.tenant
    problems = account_problems(fortnox.list_accounts(), _accounts(bookings) | {BOOKING_ACCOUNT})
    for found in (
        mode_of_payment_problem(fortnox, tenant),
        voucher_series_problem(fortnox, tenant),
    ):
        if found:
            problems.append(found)

    for day in sorted(_dates(bookings)):
        if ctx.financial_year_id(day) is None:
            problems.append(f"no financial year in Fortnox covers {day}: create it")
            break

    locked = locked_problem(fortnox, min(_dates(bookings)))
    if locked:
        problems.append(locked)

    if problems:
        raise ConfigError(
            f"{ctx.where()}: nothing was posted because Fortnox would refuse it:\n- "
            + "\n- ".join(problems)
        )
