"""Checks against the tenant's Fortnox company before the first write of a run.

Fortnox refuses a document for an inactive account, a missing financial year, a locked
period, a mode of payment on the wrong account or a series without manual vouchers. Asking
first (a handful of GETs) means such a day posts nothing at all instead of stopping
half-way, and the message tells the bookkeeper exactly what to change in Fortnox.
"""

from __future__ import annotations

from datetime import date

from dibs_fortnox.booking.documents import PayoutBooking
from dibs_fortnox.errors import ConfigError, NotFound
from dibs_fortnox.fortnox.client import fortnox_true
from dibs_fortnox.pipeline.context import StepContext


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


def preflight(ctx: StepContext, bookings: list[PayoutBooking]) -> None:
    """Raise ``ConfigError`` listing every problem that would make Fortnox refuse a write."""
    if not bookings:
        return
    fortnox, tenant = ctx.fortnox, ctx.tenant
    problems: list[str] = []

    accounts = {int(a["Number"]): a for a in fortnox.list_accounts()}
    for number in sorted(_accounts(bookings) | {1510}):
        account = accounts.get(number)
        if account is None:
            problems.append(f"account {number} does not exist in Fortnox: add it to the chart")
        elif not fortnox_true(account.get("Active", True)):
            problems.append(f"account {number} is not active in Fortnox: activate it")

    try:
        mode = fortnox.get_mode_of_payment(tenant.mode_of_payment)
        if str(mode.get("AccountNumber")) != str(tenant.accounts.receivable):
            problems.append(
                f"mode of payment {tenant.mode_of_payment} books to account "
                f"{mode.get('AccountNumber')}, but accounts.receivable is "
                f"{tenant.accounts.receivable}: "
                "make them the same"
            )
    except NotFound:
        problems.append(
            f"mode of payment {tenant.mode_of_payment} does not exist in Fortnox: create it "
            f"with account {tenant.accounts.receivable}"
        )

    series = {str(s.get("Code")): s for s in fortnox.list_voucher_series()}
    chosen = series.get(tenant.voucher_series)
    if chosen is None:
        problems.append(f"voucher series {tenant.voucher_series} does not exist in Fortnox")
    elif not fortnox_true(chosen.get("Manual")):
        problems.append(f"voucher series {tenant.voucher_series} does not allow manual vouchers")

    for day in sorted(_dates(bookings)):
        if ctx.financial_year_id(day) is None:
            problems.append(f"no financial year in Fortnox covers {day}: create it")
            break

    locked = (fortnox.locked_period() or {}).get("EndDate")
    first = min(_dates(bookings))
    if locked and first.isoformat() <= str(locked):
        problems.append(
            f"Fortnox is locked up to {locked} but documents are dated from {first}: "
            "unlock the period or book these by hand"
        )

    if problems:
        raise ConfigError(
            f"{ctx.where()}: nothing was posted because Fortnox would refuse it:\n- "
            + "\n- ".join(problems)
        )
