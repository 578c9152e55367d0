"""Customer regions: which sales account and which Fortnox customer a payment is booked to.

The onboarding form asks for three sales accounts (inside Sweden, inside the EU, outside the
EU), so a shipping country only matters through its region. Each region and currency gets
one collective Fortnox customer (key ``SE-SEK``, ``EU-SEK``, ``NONEU-SEK``): web-shop buyers
are private persons, and the order number on the invoice identifies the buyer well enough.

Nets sends the country as ISO 3166-1 alpha-3 (``SWE``, ``DEU``); the EU list is the 27
member states since 2020-02-01 (the United Kingdom left then).

Example:
    >>> region_of("DEU")
    <Region.EU: 'EU'>
    >>> customer_spec(Region.SE, "SEK").key
    'SE-SEK'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dibs_fortnox.model import Account

# The 27 EU member states (alpha-3) since the United Kingdom left on 2020-02-01.
EU_MEMBERS: frozenset[str] = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP", "SWE",
    }
)  # fmt: skip

_ALPHA3 = frozenset(
    # Enough of ISO 3166-1 to tell a real country from a typo; a code outside it is held,
    # because booking a typo as "export" would wrongly drop Swedish VAT from the sale.
    EU_MEMBERS
    | {
        "NOR", "ISL", "LIE", "CHE", "GBR", "USA", "CAN", "AUS", "NZL", "JPN", "CHN", "KOR",
        "IND", "SGP", "HKG", "TWN", "ISR", "TUR", "UKR", "SRB", "BIH", "MNE", "MKD", "ALB",
        "MDA", "GEO", "ARM", "AZE", "ARE", "SAU", "QAT", "ZAF", "EGY", "MAR", "BRA", "ARG",
        "CHL", "MEX", "COL", "PER", "THA", "MYS", "IDN", "PHL", "VNM", "FRO", "GRL", "AND",
        "MCO", "SMR", "VAT", "GIB", "IMN", "JEY", "GGY", "ALA", "KAZ", "URY", "CRI", "PAN",
    }
)  # fmt: skip


class Region(StrEnum):
    """Where the buyer is, as far as VAT and the sales account are concerned."""

    SE = "SE"
    EU = "EU"
    NONEU = "NONEU"


def region_of(country: str | None) -> Region | None:
    """Return the region of an alpha-3 country code, or ``None`` when it is missing or unknown."""
    if not country:
        return None
    code = country.strip().upper()
    if code == "SWE":
        return Region.SE
    if code in EU_MEMBERS:
        return Region.EU
    if code in _ALPHA3:
        return Region.NONEU
    return None


@dataclass(frozen=True)
class SalesAccounts:
    """The three sales accounts of the onboarding form, one per region."""

    sales_se: Account
    sales_eu: Account
    sales_non_eu: Account

    def for_region(self, region: Region) -> Account:
        return {
            Region.SE: self.sales_se,
            Region.EU: self.sales_eu,
            Region.NONEU: self.sales_non_eu,
        }[region]


@dataclass(frozen=True)
class CustomerSpec:
    """The Fortnox customer of an invoice: collective per country, or one company.

    Attributes:
        key: stable key the loader maps to a Fortnox ``CustomerNumber``: ``SE-SEK``, one
            per EU or non-EU country (``EU-DE-SEK``, ``NONEU-US-SEK``), and one per company
            VAT number (``VAT-DE123456789-SEK``).
        country_code: ISO alpha-2 (``CountryCode``), so the country shows on the customer
            and the invoice; ``None`` only for keys written before countries were kept.
        vat_type: Fortnox ``VATType``: SEVAT, EUVAT, EUREVERSEDVAT or EXPORT.
        kind: Fortnox ``Type``: PRIVATE for the collective customers, COMPANY for a company.
        vat_number: the company's VAT number (``VATNumber``); required by Fortnox for
            EUREVERSEDVAT and printed on the invoice.
    """

    key: str
    name: str
    country_code: str | None
    vat_type: str
    currency: str
    kind: str = "PRIVATE"
    vat_number: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The body of ``POST /3/customers``."""
        customer: dict[str, Any] = {
            "Name": self.name,
            "Type": self.kind,
            "VATType": self.vat_type,
            "Currency": self.currency,
            "ExternalReference": f"nets-easy-{self.key}",
        }
        if self.country_code is not None:
            customer["CountryCode"] = self.country_code
        if self.vat_number is not None:
            customer["VATNumber"] = self.vat_number
        return {"Customer": customer}


_NAMES = {
    Region.SE: ("Nets Easy kunder Sverige", "SE", "SEVAT"),
    Region.EU: ("Nets Easy kunder EU", None, "EUVAT"),
    Region.NONEU: ("Nets Easy kunder utanför EU", None, "EXPORT"),
}


def customer_spec(region: Region, currency: str, country_code: str | None = None) -> CustomerSpec:
    """Return the collective customer of a region (and, outside Sweden, a country)."""
    name, default_code, vat_type = _NAMES[region]
    code = default_code or country_code
    suffix = "" if currency == "SEK" else f" ({currency})"
    if region is Region.SE or code is None:
        return CustomerSpec(f"{region.value}-{currency}", name + suffix, code, vat_type, currency)
    return CustomerSpec(
        key=f"{region.value}-{code}-{currency}",
        name=f"{name} {code}{suffix}",
        country_code=code,
        vat_type=vat_type,
        currency=currency,
    )
