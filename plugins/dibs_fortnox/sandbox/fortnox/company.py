"""The setup records of one emulated Fortnox company: chart, series, years, settings.

A ``Company`` is what a merchant configured in Fortnox before any integration ran. The
emulator reads it to decide whether a document may be booked (account active, series
manual, financial year open, period not locked). It is plain data so a test can build an
odd company (an inactive account, a locked period) with ``dataclasses.replace``.

Example:
    >>> company = demo_company(tenant_id="demo")
    >>> company.modes_of_payment["NETS"]
    1516
    >>> company.financial_year_for(date(2025, 6, 1)).id
    1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dibs_fortnox.sandbox.fortnox.vat_codes import DEMO_VAT_ACCOUNTS, DEMO_VAT_CODES, VatCode

Account = int

# The chart the sandbox tenant "demo" has (docs/architecture.md, sandbox conventions).
DEMO_ACCOUNTS: dict[Account, str] = {
    1510: "Kundfordringar",
    1516: "Fordringar Nets Easy (avstämning)",
    1580: "Fordringar för kontokort och kuponger",
    1930: "Företagskonto",
    2611: "Utgående moms på försäljning inom Sverige, 25 %",
    2621: "Utgående moms på försäljning inom Sverige, 12 %",
    2631: "Utgående moms på försäljning inom Sverige, 6 %",
    3001: "Försäljning inom Sverige, 25 % moms",
    3105: "Försäljning varor till land utanför EU",
    3106: "Försäljning varor till annat EU-land, momspliktig",
    3108: "Försäljning varor till annat EU-land, momsfri",
    3740: "Öres- och kronutjämning",
    6040: "Kontokortsavgifter",
    6570: "Bankkostnader",
    **DEMO_VAT_ACCOUNTS,
}


@dataclass(frozen=True)
class FinancialYear:
    """One financial year; ``id`` is what Fortnox calls ``Id`` and vouchers call ``Year``."""

    id: int
    from_date: date
    to_date: date

    def contains(self, day: date) -> bool:
        return self.from_date <= day <= self.to_date


@dataclass
class Company:
    """A Fortnox company (one tenant) as set up by its owner.

    Attributes:
        tenant_id: the TenantId, equal to Fortnox's ``DatabaseNumber`` (digits as text, or
            any id the sandbox was given).
        name: company name.
        organisation_number: Swedish organisation number ("556677-8899").
        accounts: chart of accounts, number -> description.
        inactive_accounts: accounts in the chart that may not be booked on.
        modes_of_payment: mode-of-payment code -> the account it books to.
        voucher_series: series code -> whether manual vouchers are allowed in it.
        financial_years: (from, to) dates, inclusive; ids are assigned 1, 2, ... in order.
        locked_until: last locked day (nothing may be booked on or before it); None means
            no period is locked.
        currencies: currency codes the company has set up (SEK always included).
        vat_codes: sales account -> its VAT code (rate and output-VAT account).
        eu_sales_over_limit: what ``/3/euvatlimitregulation`` reports as ``IsOverLimit``:
            the company's EU distance sales passed the OSS threshold this year.
        invoice_round_off: the company rounds invoice totals to whole kronor (a setting the
            API does not expose; it shows on each invoice as ``RoundOff``).
        accounting_method: ``ACCRUAL`` (fakturametoden) or ``CASH`` (kontantmetoden), as
            Fortnox reports it on each financial year.
        unlicensed: API scopes whose Fortnox licence the company lacks (``invoice`` without
            the Fakturering licence); their resources answer 403 with code 2001101.
    """

    tenant_id: str
    name: str
    organisation_number: str
    accounts: dict[Account, str]
    inactive_accounts: set[Account] = field(default_factory=set)
    modes_of_payment: dict[str, Account] = field(default_factory=dict)
    voucher_series: dict[str, bool] = field(default_factory=dict)
    financial_years: list[tuple[date, date]] = field(default_factory=list)
    locked_until: date | None = None
    currencies: set[str] = field(default_factory=lambda: {"SEK"})
    vat_codes: dict[Account, VatCode] = field(default_factory=dict)
    eu_sales_over_limit: bool = False
    invoice_round_off: bool = False
    accounting_method: str = "ACCRUAL"
    unlicensed: set[str] = field(default_factory=set)

    def years(self) -> list[FinancialYear]:
        """The financial years with their ids (1-based, in the order given)."""
        return [FinancialYear(i, lo, hi) for i, (lo, hi) in enumerate(self.financial_years, 1)]

    def financial_year_for(self, day: date) -> FinancialYear | None:
        """The financial year containing ``day``; None means there is none."""
        for year in self.years():
            if year.contains(day):
                return year
        return None

    def preselected_year(self, today: date) -> FinancialYear | None:
        """The year Fortnox uses when a call names none: today's, else the last one."""
        years = self.years()
        return self.financial_year_for(today) or (years[-1] if years else None)

    def is_locked(self, day: date) -> bool:
        return self.locked_until is not None and day <= self.locked_until


def demo_company(tenant_id: str = "demo", name: str = "Demo Webbshop AB") -> Company:
    """The sandbox's standard company: the chart, mode NETS -> 1516, series A/B/C, 2025-2026."""
    return Company(
        tenant_id=tenant_id,
        name=name,
        organisation_number="556677-8899",
        accounts=dict(DEMO_ACCOUNTS),
        modes_of_payment={"NETS": 1516},
        voucher_series={"A": True, "B": False, "C": False},
        financial_years=[
            (date(2025, 1, 1), date(2025, 12, 31)),
            (date(2026, 1, 1), date(2026, 12, 31)),
        ],
        currencies={"SEK", "EUR", "NOK", "DKK"},
        vat_codes=dict(DEMO_VAT_CODES),
    )
