"""VAT codes of the emulated company, and the VAT rules Fortnox applies with them.

In Fortnox a sales account carries a VAT code (Inställningar → Bokföring → Moms); the code
fixes the rate a row on that account may have and the output-VAT account bookkeeping
credits. Out of the box only Swedish 25/12/6 % and VAT-free codes exist; under OSS the
company creates one code per country and rate and links it on that country's sales
account (support.fortnox.se, "MOSS – Mini One Stop Shop"). The code names below are the
sandbox's own; the rules are the ones Fortnox states:

* a row's VAT must fit its account's VAT code (an account without a code takes any
  Swedish rate, as before OSS);
* a customer with VATType ``EUREVERSEDVAT`` needs a ``VATNumber`` (it is printed on the
  invoice, and the EC sales list reports it);
* an invoice to an ``EXPORT`` or ``EUREVERSEDVAT`` customer carries no VAT.

Example:
    >>> DEMO_VAT_CODES[3002].rate
    12
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VatCode:
    """A VAT code on a sales account: its rate and the output-VAT account it books to.

    Attributes:
        account: the output-VAT account; ``None`` for a VAT-free code.
    """

    code: str
    rate: int
    account: int | None


DEMO_VAT_CODES: dict[int, VatCode] = {
    3001: VatCode("MP1", 25, 2611),
    3002: VatCode("MP2", 12, 2621),
    3003: VatCode("MP3", 6, 2631),
    3004: VatCode("MF", 0, None),
    3106: VatCode("MP1", 25, 2611),
    3108: VatCode("MFEU", 0, None),
    3105: VatCode("MFEXP", 0, None),
    # OSS, as the demo merchant set it up (docs/tenants.md, "OSS").
    3111: VatCode("OSSDE19", 19, 2681),
    3112: VatCode("OSSDE7", 7, 2683),
    3113: VatCode("OSSFR20", 20, 2682),
}

DEMO_VAT_ACCOUNTS: dict[int, str] = {
    3002: "Försäljning inom Sverige, 12 % moms",
    3003: "Försäljning inom Sverige, 6 % moms",
    3004: "Försäljning inom Sverige, momsfri",
    3111: "Försäljning OSS Tyskland 19 %",
    3112: "Försäljning OSS Tyskland 7 %",
    3113: "Försäljning OSS Frankrike 20 %",
    2681: "Utgående moms OSS Tyskland 19 %",
    2682: "Utgående moms OSS Frankrike 20 %",
    2683: "Utgående moms OSS Tyskland 7 %",
}

NO_VAT_TYPES = frozenset({"EXPORT", "EUREVERSEDVAT"})
