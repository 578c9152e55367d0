"""The booking step's own settings: which accounts, series and mode of payment to use.

Sales accounts follow BAS and Fortnox's own chart: one account per VAT rate in Sweden
(3001 25 %, 3002 12 %, 3003 6 %, 3004 0 %), 3106 for EU consumers paying Swedish VAT,
3108 for EU companies under reverse charge, 3105 for exports. Under OSS each EU country
and rate has its own sales account (``OssAccounts``), whose Fortnox VAT code books the
buyer country's VAT on its own output-VAT account.

The pipeline maps a tenant's YAML (``tenants.TenantConfig``) onto these, so the booking
package depends on nothing but the standard library, pandas and ``model``/``money``.

Example:
    >>> accounts = BookingAccounts(3001, 3106, 3105, receivable=1516, bank=1930, fees=6040)
    >>> BookingSettings("demo", accounts).voucher_series
    'A'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dibs_fortnox.booking.regions import Region, SalesAccounts
from dibs_fortnox.model import Account


@dataclass(frozen=True)
class BookingAccounts:
    """The merchant's accounts (onboarding form), plus the öre-rounding account (BAS 3740).

    Attributes:
        sales_se, sales_eu: the 25 % accounts (EU: consumers paying Swedish VAT); an EU
            consumer line at 12 or 6 % goes on ``sales_se_12`` / ``sales_se_6``, because
            below the OSS threshold it is a Swedish sale in the VAT return.
        sales_eu_business: EU companies with a VAT number (reverse charge, no VAT).
        sales_non_eu: exports (no VAT).
    """

    sales_se: Account
    sales_eu: Account
    sales_non_eu: Account
    receivable: Account
    bank: Account
    fees: Account
    rounding: Account = 3740
    sales_se_12: Account = 3002
    sales_se_6: Account = 3003
    sales_se_0: Account = 3004
    sales_eu_business: Account = 3108

    def sales(self, region: Region) -> Account:
        return SalesAccounts(self.sales_se, self.sales_eu, self.sales_non_eu).for_region(region)

    def all(self) -> frozenset[Account]:
        return frozenset(
            {
                self.sales_se,
                self.sales_eu,
                self.sales_non_eu,
                self.receivable,
                self.bank,
                self.fees,
                self.rounding,
                self.sales_se_12,
                self.sales_se_6,
                self.sales_se_0,
                self.sales_eu_business,
            }
        )

    def swedish_rate(self, percent: int) -> Account | None:
        """The Swedish sales account of a VAT rate; ``None`` for a rate Sweden does not have."""
        by_rate = {25: self.sales_se, 12: self.sales_se_12, 6: self.sales_se_6, 0: self.sales_se_0}
        return by_rate.get(percent)


@dataclass(frozen=True)
class OssAccounts:
    """One EU country's rate under OSS: its sales account and its output-VAT account.

    Fortnox books the VAT on the account its VAT code names; ``vat`` is what the tenant
    expects it to be, used by the checks and the reports.
    """

    sales: Account
    vat: Account


@dataclass(frozen=True)
class BookingSettings:
    """How one tenant books.

    Attributes:
        mode_of_payment: the Fortnox mode of payment code (betalsätt) whose account is
            ``accounts.receivable``.
        currency: the only payout currency booked; other currencies are held.
        oss: the merchant is above the EU distance-selling threshold (EUR 10 000 a year)
            and books EU consumers' VAT of the buyer country through OSS.
        oss_accounts: alpha-3 country → VAT percent → accounts; a rate missing here holds
            the payout (it has no account to go on).
        default_country: alpha-3 country of a buyer Nets has no address for (the shop
            handles consumer data itself); None holds such payments. The tenant's setting
            of the same name is its one source (default there: SWE).
    """

    tenant_id: str
    accounts: BookingAccounts
    mode_of_payment: str = "NETS"
    voucher_series: str = "A"
    currency: str = "SEK"
    oss: bool = False
    oss_accounts: Mapping[str, Mapping[int, OssAccounts]] = field(default_factory=dict)
    default_country: str | None = None
