"""Which sales account and VAT rate an order line is booked on, or why it cannot be.

The VAT return (momsdeklaration) and the OSS return are what the merchant's accountant
signs, so every line either lands in the right box or holds its payout with a reason:

==========================  ==========================  ===================================
buyer                       Nets ``taxRate``            booked on
==========================  ==========================  ===================================
Sweden (person or company)  25 / 12 / 6 / 0 %           sales_se / _se_12 / _se_6 / _se_0
EU company + VAT number     0 % only                    sales_eu_business (reverse charge)
EU person, no OSS           25 / 12 / 6 %               sales_eu / sales_se_12 / sales_se_6
EU person, OSS              the country's rates         oss_countries[country][rate].sales
outside the EU              0 % only                    sales_non_eu (export)
==========================  ==========================  ===================================

Then the amount: Fortnox computes a row's VAT as ``round_half_up(net × rate / 100)``. Nets
does not validate ``taxAmount``, so a line whose VAT differs from that by at most
``ROUNDING_LIMIT`` öre is booked with the difference on the rounding account; a larger
difference is an error in the shop's data and holds the payout with the line named.

Example:
    >>> booking = book_line(buyer, line, settings)                   # doctest: +SKIP
    >>> booking.account if isinstance(booking, LineBooking) else booking  # doctest: +SKIP
"""

from __future__ import annotations

from typing import NamedTuple

from dibs_fortnox.booking.buyers import Buyer
from dibs_fortnox.booking.regions import Region
from dibs_fortnox.booking.settings import BookingSettings
from dibs_fortnox.model import OrderLine
from dibs_fortnox.money import format_amount, round_half_up_div

# Öre per line Nets' taxAmount may differ from Fortnox's row VAT: Nets and Fortnox may
# round the same line differently (half up vs half even, per unit vs per line); more than
# one öre is not rounding.
ROUNDING_LIMIT = 1


class LineBooking(NamedTuple):
    """Where one order line goes: the sales account and the VAT percent of its row."""

    account: int
    vat_percent: int


def fortnox_vat(net: int, percent: int) -> int:
    """The VAT Fortnox computes on a row of ``net`` öre (half away from zero)."""
    return round_half_up_div(net * percent, 100)


def book_line(buyer: Buyer, line: OrderLine, settings: BookingSettings) -> LineBooking | str:
    """Return the line's booking, or the reason (without the document prefix) it cannot be."""
    percent = line.tax_percent
    shown = f"{line.tax_rate / 100:g} %"
    name = f"line '{line.name}'"
    if percent is None:
        return (
            f"{name} has VAT {shown}; Fortnox invoice rows take whole percents only: "
            "book it by hand"
        )
    accounts = settings.accounts
    if buyer.region is Region.SE:
        account = accounts.swedish_rate(percent)
        if account is None:
            return f"{name} has VAT {shown}, not a Swedish rate (25, 12, 6 or 0 %): book it by hand"
        return LineBooking(account, percent)
    if buyer.region is Region.NONEU:
        if percent:
            return (
                f"{name} to {buyer.country} (outside the EU) carries VAT {shown}; an export "
                "is booked without VAT: correct the order in Nets (refund the VAT) or book it "
                "by hand"
            )
        return LineBooking(accounts.sales_non_eu, 0)
    if buyer.reverse_charge:
        if percent:
            return (
                f"{name} to {buyer.company} (VAT number {buyer.vat_number}) carries VAT "
                f"{shown}; an EU company with a VAT number buys under reverse charge without "
                "Swedish VAT: refund the VAT to the buyer in Nets or book it by hand"
            )
        return LineBooking(accounts.sales_eu_business, 0)
    return _eu_consumer(buyer, line, percent, shown, settings)


def _eu_consumer(
    buyer: Buyer, line: OrderLine, percent: int, shown: str, settings: BookingSettings
) -> LineBooking | str:
    name = f"line '{line.name}'"
    if percent == 0:
        return (
            f"{name} to {buyer.country} has VAT 0 % but no buyer VAT number; 0 % in the EU "
            "is reverse charge and needs the company's VAT number (consumer.company."
            "registrationNumber in Nets): book it by hand"
        )
    if settings.oss:
        rates = settings.oss_accounts.get(buyer.country or "", {})
        oss = rates.get(percent)
        if oss is None:
            return (
                f"{name} to {buyer.country} has VAT {shown}, which has no OSS accounts: add "
                f"oss_countries: {{{buyer.country}: {{{percent}: {{sales: …, vat: …}}}}}} to "
                "the tenant (with the VAT code in Fortnox) and run the day again"
            )
        return LineBooking(oss.sales, percent)
    accounts = settings.accounts
    account = {25: accounts.sales_eu, 12: accounts.sales_se_12, 6: accounts.sales_se_6}.get(percent)
    if account is None:
        return (
            f"{name} to {buyer.country} has VAT {shown}, not a Swedish rate; below the OSS "
            "threshold an EU consumer pays Swedish VAT. If the merchant is above it, set "
            "oss: true with oss_countries for the tenant; otherwise correct the rate in the shop"
        )
    return LineBooking(account, percent)


def rounding_reason(line: OrderLine, percent: int, currency: str) -> str | None:
    """Why Nets' VAT of a line is too far from Fortnox's to be rounding; None when close."""
    expected = fortnox_vat(line.net, percent)
    diff = line.tax_amount - expected
    if abs(diff) <= ROUNDING_LIMIT:
        return None
    return (
        f"line '{line.name}' has taxAmount {format_amount(line.tax_amount)} {currency} but "
        f"{percent} % of {format_amount(line.net)} is {format_amount(expected)} (off by "
        f"{format_amount(diff)}, more than {format_amount(ROUNDING_LIMIT)} per line); the "
        "shop sent wrong VAT to Nets: correct the order or book it by hand"
    )
