"""Who bought: a VAT number counts only when it is one of the shipping country's."""

from __future__ import annotations

import pytest

from dibs_fortnox.booking.buyers import buyer_of, customer_for, vat_number_for
from dibs_fortnox.booking.regions import Region
from dibs_fortnox.model import Payment


def pay(country: str | None, name: str | None = None, number: str | None = None) -> Payment:
    return Payment("p1", "SEK", "o1", country, (), (), name, number)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("DE 123.456.789", "DEU", "DE123456789"),
        ("el-094259216", "GRC", "EL094259216"),  # Greece writes EL, not GR
        ("GR094259216", "GRC", None),
        ("FR12345678901", "DEU", None),  # another country's number
        ("556677-8899", "SWE", None),  # an organisation number is not a VAT number
        ("SE556677889901", "SWE", "SE556677889901"),
        ("", "DEU", None),
        ("DE123456789", None, None),
    ],
)
def test_vat_number_for(text: str, country: str | None, expected: str | None) -> None:
    assert vat_number_for(text, country) == expected


def test_eu_company_with_vat_number_is_a_reverse_charge_company_customer() -> None:
    buyer = buyer_of(pay("DEU", "Muster GmbH", "DE123456789"))
    assert buyer.reverse_charge and buyer.region is Region.EU
    spec = customer_for(buyer, "SEK")
    body = spec.to_payload()["Customer"]
    assert (spec.key, body["Type"], body["VATType"], body["VATNumber"], body["CountryCode"]) == (
        "VAT-DE123456789-SEK", "COMPANY", "EUREVERSEDVAT", "DE123456789", "DE")  # fmt: skip


def test_a_vat_number_without_a_company_name_is_a_consumer() -> None:
    buyer = buyer_of(pay("DEU", None, "DE123456789"))
    assert not buyer.is_business
    assert customer_for(buyer, "SEK").key == "EU-DE-SEK"


def test_swedish_company_with_vat_number_pays_swedish_vat() -> None:
    buyer = buyer_of(pay("SWE", "Konsult AB", "SE556677889901"))
    assert buyer.is_business and not buyer.reverse_charge
    assert customer_for(buyer, "SEK").vat_type == "SEVAT"


def test_export_customer_per_country() -> None:
    spec = customer_for(buyer_of(pay("usa")), "SEK")
    assert (spec.key, spec.vat_type, spec.country_code) == ("NONEU-US-SEK", "EXPORT", "US")
