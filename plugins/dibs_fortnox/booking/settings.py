"""The booking step's own settings: which accounts, series and mode of payment to use.

The pipeline maps a tenant's YAML (``tenants.TenantConfig``) onto these, so the booking
package depends on nothing but the standard library, pandas and ``model``/``money``.

Example:
    >>> accounts = BookingAccounts(3001, 3106, 3105, receivable=1516, bank=1930, fees=6040)
    >>> BookingSettings("demo", accounts).voucher_series
    'A'
"""

from __future__ import annotations

from dataclasses import dataclass

from dibs_fortnox.booking.regions import Region, SalesAccounts
from dibs_fortnox.model import Account


@dataclass(frozen=True)
class BookingAccounts:
    """The merchant's accounts (onboarding form), plus the öre-rounding account (BAS 3740)."""

    sales_se: Account
    sales_eu: Account
    sales_non_eu: Account
    receivable: Account
    bank: Account
    fees: Account
    rounding: Account = 3740

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
            }
        )


@dataclass(frozen=True)
class BookingSettings:
    """How one tenant books.

    Attributes:
        mode_of_payment: the Fortnox mode of payment code (betalsätt) whose account is
            ``accounts.receivable``.
        currency: the only payout currency booked; other currencies are held.
    """

    tenant_id: str
    accounts: BookingAccounts
    mode_of_payment: str = "NETS"
    voucher_series: str = "A"
    currency: str = "SEK"
