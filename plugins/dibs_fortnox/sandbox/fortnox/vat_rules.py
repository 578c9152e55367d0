"""Fortnox's VAT refusals: a row's rate against its account's VAT code, and VAT types.

The rules and their sources are in ``vat_codes``; this module only applies them.
"""

from __future__ import annotations

from dibs_fortnox.sandbox.fortnox.rules import MISSING_FIELD, VAT_RATE, bad, check_vat
from dibs_fortnox.sandbox.fortnox.vat_codes import NO_VAT_TYPES, VatCode


def check_row_vat(vat_codes: dict[int, VatCode], account: int, rate: int | None) -> int:
    """The row's VAT rate: the account's code decides; a row rate that does not fit is refused.

    Raises:
        FortnoxError: the rate is not the account's code's rate, or (account without a code)
            not a Swedish rate.
    """
    code = vat_codes.get(account)
    if code is None:
        return check_vat(25 if rate is None else rate)
    if rate is not None and rate != code.rate:
        raise bad(
            VAT_RATE,
            f"Momssatsen {rate} % passar inte momskoden {code.code} ({code.rate} %) på konto "
            f"{account}",
        )
    return code.rate


def check_customer_vat_type(fields: dict[str, object]) -> None:
    """A reverse-charge customer must have its VAT number."""
    if fields.get("VATType") == "EUREVERSEDVAT" and not fields.get("VATNumber"):
        raise bad(
            MISSING_FIELD,
            "Kunden har momstyp EUREVERSEDVAT men saknar VAT-nummer (VATNumber)",
        )


def check_invoice_vat_type(vat_type: object, rates: list[int], customer: str) -> None:
    """An invoice to an export or reverse-charge customer carries no VAT."""
    if vat_type in NO_VAT_TYPES and any(rates):
        raise bad(
            VAT_RATE,
            f"Kund {customer} har momstyp {vat_type}: fakturan får inte ha moms "
            f"(rader med {', '.join(f'{r} %' for r in sorted(set(rates)) if r)})",
        )
