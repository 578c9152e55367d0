"""Checks of the Fortnox settings that change the VAT arithmetic, before the first write.

``preflight`` asks whether Fortnox would accept the documents at all; this asks whether it
would book them the way the VAT return needs:

* accounting method: the booking model is fakturametoden (accrual: the invoice books the
  sale and its VAT, the payment clears 1510). Under kontantmetoden (cash) Fortnox books
  the sale at payment, so the invoices posted here would be booked twice over; such a
  company is refused with the fix, not supported.
* OSS: a row at a rate Sweden does not have needs a sales account with that country's
  VAT code in Fortnox, or Fortnox refuses the row; asked here so the day posts nothing.
  And when Fortnox's own threshold check (``/3/euvatlimitregulation``) says the company's
  EU distance sales passed EUR 10 000 while the tenant books EU consumers with Swedish
  VAT, the day stops: the buyer country's VAT is owed from that sale on.
* VAT included in prices and invoice round-off are Fortnox settings too, but every
  invoice sent here says ``VATIncluded: false`` and its rows carry their own VAT, and the
  loader compares the invoice total Fortnox computed with the Nets charge before
  bookkeeping (a whole-kronor round-off shows there as a difference, with its fix).

Example:
    >>> vat_preflight(ctx, bookings)   # doctest: +SKIP  (raises ConfigError on a problem)
"""

from __future__ import annotations

from datetime import date

from dibs_fortnox.booking.documents import PayoutBooking
from dibs_fortnox.errors import ConfigError
from dibs_fortnox.pipeline.context import StepContext

SWEDISH_RATES = frozenset({0, 6, 12, 25})


def accounting_method_problems(ctx: StepContext, days: set[date]) -> list[str]:
    """Each financial year of the documents that Fortnox keeps under the cash method."""
    problems = []
    for year in ctx.financial_years:
        method = str(year.get("AccountingMethod") or "ACCRUAL").upper()
        covers = [d for d in days if str(year["FromDate"]) <= d.isoformat() <= str(year["ToDate"])]
        if covers and method == "CASH":
            problems.append(
                f"Fortnox keeps financial year {year['FromDate']}–{year['ToDate']} under the "
                "cash method (kontantmetoden); Nets payments are booked with invoices "
                "(fakturametoden): change the accounting method in Fortnox (Inställningar → "
                "Bokföring) or book this year by hand"
            )
    return problems


def oss_problems(ctx: StepContext, bookings: list[PayoutBooking]) -> list[str]:
    """Sales accounts at non-Swedish rates that have no VAT code in Fortnox."""
    wanted: dict[int, set[int]] = {}
    for booking in bookings:
        for invoice in booking.invoices:
            for row in invoice.rows:
                if row.vat_percent not in SWEDISH_RATES:
                    wanted.setdefault(row.account, set()).add(row.vat_percent)
    if not wanted:
        return []
    where = {
        oss.sales: (country, rate)
        for country, rates in ctx.settings.oss_accounts.items()
        for rate, oss in rates.items()
    }
    codes = {int(a["Number"]): str(a.get("VATCode") or "") for a in ctx.fortnox.list_accounts()}
    problems = []
    for account, rates in sorted(wanted.items()):
        if codes.get(account):
            continue
        country, rate = where.get(account, ("?", min(rates)))
        problems.append(
            f"OSS {country} {rate} %: sales account {account} has no VAT code in Fortnox, so "
            f"Fortnox cannot book {rate} % VAT: create the VAT code for {country} {rate} % "
            "(Inställningar → Bokföring → Moms) and link it on the account"
        )
    return problems


def threshold_problems(ctx: StepContext, bookings: list[PayoutBooking]) -> list[str]:
    """EU consumers booked with Swedish VAT although Fortnox says the OSS threshold passed."""
    if ctx.settings.oss:
        return []
    years = sorted(
        {
            invoice.invoice_date.year
            for booking in bookings
            for invoice in booking.invoices
            if invoice.customer.vat_type == "EUVAT"
        }
    )
    problems = []
    for year in years:
        limit = ctx.fortnox.eu_vat_limit(year)
        if limit.get("IsOverLimit") is True:
            problems.append(
                f"Fortnox reports the company's EU distance sales for {year} over the OSS "
                f"threshold ({limit.get('Limit')} SEK), but the tenant books EU consumers "
                "with Swedish VAT: set oss: true and oss_countries for the tenant "
                "(docs/tenants.md, OSS), then run the day again"
            )
    return problems


def vat_preflight(ctx: StepContext, bookings: list[PayoutBooking]) -> None:
    """Raise ``ConfigError`` naming every VAT setting that would book the day wrongly."""
    if not bookings:
        return
    days = {i.invoice_date for b in bookings for i in b.invoices}
    problems = accounting_method_problems(ctx, days)
    problems += oss_problems(ctx, bookings)
    problems += threshold_problems(ctx, bookings)
    if problems:
        raise ConfigError(
            f"{ctx.where()}: nothing was posted because Fortnox would book the VAT wrongly:\n- "
            + "\n- ".join(problems)
        )
