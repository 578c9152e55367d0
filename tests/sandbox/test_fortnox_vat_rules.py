"""The emulator refuses, over HTTP, what Fortnox refuses about VAT (sandbox/fortnox/vat_codes)."""

from __future__ import annotations

from decimal import Decimal

from tests.sandbox.fortnox_harness import FortnoxHarness, row

from dibs_fortnox.sandbox.fortnox.rules import (
    CREDIT_NOT_ALLOWED,
    CURRENCY_AMOUNTS,
    MISSING_FIELD,
    VAT_RATE,
)


def company_customer(f: FortnoxHarness, vat_type: str, **extra: str) -> None:
    body = {"CustomerNumber": "9", "Name": "Muster GmbH", "Type": "COMPANY", "VATType": vat_type}
    f.ok("POST", "/3/customers", {"Customer": {**body, **extra}})


def test_reverse_charge_customer_needs_a_vat_number(fortnox: FortnoxHarness) -> None:
    body = {"Customer": {"Name": "Muster GmbH", "VATType": "EUREVERSEDVAT"}}
    info = fortnox.refused("POST", "/3/customers", body)
    assert info["code"] == MISSING_FIELD and "VATNumber" in info["message"]


def test_reverse_charge_and_export_invoices_carry_no_vat(fortnox: FortnoxHarness) -> None:
    company_customer(fortnox, "EUREVERSEDVAT", VATNumber="DE123456789", CountryCode="DE")
    body = {"CustomerNumber": "9", "InvoiceDate": "2026-03-14", "InvoiceRows": [row()]}
    info = fortnox.refused("POST", "/3/invoices", {"Invoice": body})
    assert info["code"] == VAT_RATE and "EUREVERSEDVAT" in info["message"]
    fine = {**body, "InvoiceRows": [row("100.00", 0, 3108)]}
    assert fortnox.ok("POST", "/3/invoices", {"Invoice": fine})["Invoice"]["Total"] == 100


def test_row_vat_must_fit_the_accounts_vat_code(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    body = {"CustomerNumber": "1", "InvoiceDate": "2026-03-14", "InvoiceRows": [row(vat=12)]}
    info = fortnox.refused("POST", "/3/invoices", {"Invoice": body})
    assert (
        info["code"] == VAT_RATE and "MP1 (25 %)" in info["message"] and "3001" in info["message"]
    )


def test_oss_account_books_the_countrys_vat_on_its_own_account(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = fortnox.invoice([row("100.00", 19, 3111)])["DocumentNumber"]
    fortnox.ok("PUT", f"/3/invoices/{number}/bookkeep")
    assert fortnox.app.trial_balance("demo") == {1510: 11900, 2681: -1900, 3111: -10000}
    body = {"CustomerNumber": "1", "InvoiceDate": "2026-03-14", "InvoiceRows": [row(vat=19)]}
    assert fortnox.refused("POST", "/3/invoices", {"Invoice": body})["code"] == VAT_RATE


def test_an_invoice_takes_one_credit_invoice_reference(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = fortnox.invoice([row("100.00"), row("50.00")])["DocumentNumber"]
    fortnox.ok("PUT", f"/3/invoices/{number}/bookkeep")
    first = fortnox.invoice([row("100.00", quantity="-1")], CreditInvoiceReference=number)
    assert first["Credit"] is True
    second = [row("50.00", quantity="-1")]
    body = {"CustomerNumber": "1", "InvoiceDate": "2026-03-14", "InvoiceRows": second,
            "CreditInvoiceReference": number}  # fmt: skip
    info = fortnox.refused("POST", "/3/invoices", {"Invoice": body})
    assert info["code"] == CREDIT_NOT_ALLOWED and "redan krediterad" in info["message"]
    original = fortnox.ok("GET", f"/3/invoices/{number}")["Invoice"]
    assert original["CreditInvoiceReference"] == first["DocumentNumber"]


def test_payment_amount_must_be_amount_currency_times_rate(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = int(fortnox.invoice()["DocumentNumber"])
    body = {"InvoiceNumber": number, "Amount": Decimal("125.00"),
            "AmountCurrency": Decimal("120.00"), "CurrencyRate": 1,
            "PaymentDate": "2026-03-14", "ModeOfPayment": "NETS"}  # fmt: skip
    info = fortnox.refused("POST", "/3/invoicepayments", {"InvoicePayment": body})
    assert info["code"] == CURRENCY_AMOUNTS
    paid = fortnox.payment(number, "125.00", AmountCurrency=Decimal("125.00"), CurrencyRate=1)
    assert paid["Amount"] == Decimal("125.00")


def test_eu_vat_limit_regulation_reports_the_companys_flag(fortnox: FortnoxHarness) -> None:
    answer = fortnox.ok("GET", "/3/euvatlimitregulation", year="2026")["EUVatLimitRegulation"]
    assert (answer["Year"], answer["IsOverLimit"]) == ("2026", False)
    fortnox.app.company("demo").eu_sales_over_limit = True
    answer = fortnox.ok("GET", "/3/euvatlimitregulation", year="2026")["EUVatLimitRegulation"]
    assert answer["IsOverLimit"] is True
