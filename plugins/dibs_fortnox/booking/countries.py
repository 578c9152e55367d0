"""ISO 3166-1 alpha-3 → alpha-2, for the countries ``regions`` knows.

Nets sends alpha-3 (``DEU``); Fortnox's ``CountryCode`` on a customer is alpha-2 (``DE``,
at most two characters in the OpenAPI schema), and so is a VAT number's prefix.

Example:
    >>> alpha2("DEU")
    'DE'
"""

from __future__ import annotations

from collections.abc import Iterable

ALPHA2: dict[str, str] = {
    "ALA": "AX", "ALB": "AL", "AND": "AD", "ARE": "AE", "ARG": "AR", "ARM": "AM", "AUS": "AU",
    "AUT": "AT", "AZE": "AZ", "BEL": "BE", "BGR": "BG", "BIH": "BA", "BRA": "BR", "CAN": "CA",
    "CHE": "CH", "CHL": "CL", "CHN": "CN", "COL": "CO", "CRI": "CR", "CYP": "CY", "CZE": "CZ",
    "DEU": "DE", "DNK": "DK", "EGY": "EG", "ESP": "ES", "EST": "EE", "FIN": "FI", "FRA": "FR",
    "FRO": "FO", "GBR": "GB", "GEO": "GE", "GGY": "GG", "GIB": "GI", "GRC": "GR", "GRL": "GL",
    "HKG": "HK", "HRV": "HR", "HUN": "HU", "IDN": "ID", "IMN": "IM", "IND": "IN", "IRL": "IE",
    "ISL": "IS", "ISR": "IL", "ITA": "IT", "JEY": "JE", "JPN": "JP", "KAZ": "KZ", "KOR": "KR",
    "LIE": "LI", "LTU": "LT", "LUX": "LU", "LVA": "LV", "MAR": "MA", "MCO": "MC", "MDA": "MD",
    "MEX": "MX", "MKD": "MK", "MLT": "MT", "MNE": "ME", "MYS": "MY", "NLD": "NL", "NOR": "NO",
    "NZL": "NZ", "PAN": "PA", "PER": "PE", "PHL": "PH", "POL": "PL", "PRT": "PT", "QAT": "QA",
    "ROU": "RO", "SAU": "SA", "SGP": "SG", "SMR": "SM", "SRB": "RS", "SVK": "SK", "SVN": "SI",
    "SWE": "SE", "THA": "TH", "TUR": "TR", "TWN": "TW", "UKR": "UA", "URY": "UY", "USA": "US",
    "VAT": "VA", "VNM": "VN", "ZAF": "ZA",
}  # fmt: skip


def alpha2(alpha3: str | None) -> str | None:
    """The alpha-2 code of an alpha-3 code, or ``None`` when it is not in the table."""
    return ALPHA2.get(alpha3.strip().upper()) if alpha3 else None


def first_country(candidates: Iterable[object]) -> str | None:
    """The first non-blank country text, upper-cased: booking reads the shipping address's
    country, else the billing address's (one rule for the reference and the bulk reader)."""
    for country in candidates:
        if isinstance(country, str) and country.strip():
            return country.strip().upper()
    return None
