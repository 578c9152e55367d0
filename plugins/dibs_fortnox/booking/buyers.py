"""Who bought: a private person or a company with a VAT number, and in which country.

The buyer decides the VAT treatment and the Fortnox customer of an invoice:

* a Swedish buyer (person or company) pays Swedish VAT (customer ``SEVAT``);
* an EU company with a VAT number of its own country buys under reverse charge
  (``EUREVERSEDVAT``, 0 %, the VAT number on the customer and so on the invoice);
* an EU private person pays Swedish VAT below the OSS threshold, or the buyer country's VAT
  under OSS (``EUVAT`` either way; the accounts tell the two apart);
* a buyer outside the EU is an export (``EXPORT``, 0 %).

A company without a VAT number is treated like a private person: reverse charge needs the
buyer's VAT number on the invoice (ML 17 kap. 24 §; Skatteverket), and Nets does not check
it. Nets has no VAT-number field: the number comes from ``consumer.company.registrationNumber``
and counts only when it looks like a VAT number of the buyer's country (``DE…`` for Germany,
``EL…`` for Greece). The VIES check of the number is the merchant's, before the sale.

Example:
    >>> vat_number_for("de 123.456.789", "DEU")
    'DE123456789'
    >>> vat_number_for("556677-8899", "SWE") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dibs_fortnox.booking.countries import alpha2
from dibs_fortnox.booking.regions import CustomerSpec, Region, customer_spec, region_of
from dibs_fortnox.model import Payment

_VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")
# Greece's VAT numbers start with EL, not with its ISO code GR (EU VAT directive art. 215).
_VAT_PREFIX = {"GRC": "EL"}


def vat_number_for(text: str | None, country: str | None) -> str | None:
    """The normalised VAT number in ``text`` if it is one of ``country``'s, else ``None``."""
    if not text or not country:
        return None
    cleaned = re.sub(r"[\s.\-]", "", text).upper()
    prefix = _VAT_PREFIX.get(country, alpha2(country))
    if prefix is None or not _VAT_NUMBER.match(cleaned) or not cleaned.startswith(prefix):
        return None
    return cleaned


@dataclass(frozen=True)
class Buyer:
    """The buyer of a payment, as far as VAT is concerned.

    Attributes:
        country: ISO alpha-3 (``None`` when Nets sent none or an unknown code).
        region: ``None`` exactly when ``country`` is unusable.
        company: the company name; ``None`` for a private person.
        vat_number: the buyer's own VAT number; ``None`` when there is none, which makes a
            company a consumer for VAT.
    """

    country: str | None
    region: Region | None
    company: str | None = None
    vat_number: str | None = None

    @property
    def is_business(self) -> bool:
        """A company with a VAT number: reverse charge in the EU, a company customer."""
        return self.vat_number is not None

    @property
    def reverse_charge(self) -> bool:
        return self.is_business and self.region is Region.EU


def buyer_of(payment: Payment, default_country: str | None = None) -> Buyer:
    """Read the buyer from the payment's country and ``consumer.company``.

    Args:
        default_country: the country of a payment without any address (the tenant's
            ``default_country``); None leaves such a buyer without a region (held).
    """
    country = payment.country or default_country
    region = region_of(country)
    code = country.strip().upper() if country and region is not None else None
    name = payment.company_name
    number = vat_number_for(payment.company_number, code) if name else None
    return Buyer(code, region, name, number)


def customer_for(buyer: Buyer, currency: str) -> CustomerSpec:
    """The Fortnox customer of an invoice to ``buyer`` (``buyer.region`` must be known)."""
    assert buyer.region is not None
    code = alpha2(buyer.country)
    if not buyer.is_business:
        return customer_spec(buyer.region, currency, code)
    vat_type = {Region.SE: "SEVAT", Region.EU: "EUREVERSEDVAT", Region.NONEU: "EXPORT"}
    assert buyer.company is not None and buyer.vat_number is not None
    return CustomerSpec(
        key=f"VAT-{buyer.vat_number}-{currency}",
        name=buyer.company[:1024],
        country_code=code,
        vat_type=vat_type[buyer.region],
        currency=currency,
        kind="COMPANY",
        vat_number=buyer.vat_number,
    )
