"""One test per booking rule: each refusal comes with its ErrorInformation code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.sandbox.fortnox_harness import FortnoxHarness, row


@pytest.fixture
def f(fortnox: FortnoxHarness) -> FortnoxHarness:
    fortnox.customer()
    return fortnox


def _invoice_body(**fields: Any) -> dict[str, Any]:
    return {
        "Invoice": {
            "CustomerNumber": "1",
            "InvoiceDate": "2026-03-14",
            "InvoiceRows": [row()],
            **fields,
        }
    }


def _voucher(
    rows: list[dict[str, Any]], series: str = "A", day: str = "2026-03-20", **extra: Any
) -> dict[str, Any]:
    return {
        "Voucher": {
            "VoucherSeries": series,
            "TransactionDate": day,
            "Description": "Utbetalning p1",
            "VoucherRows": rows,
            **extra,
        }
    }


def _booked(f: FortnoxHarness, **fields: Any) -> dict[str, Any]:
    invoice = f.invoice(**fields)
    return f.ok("PUT", f"/3/invoices/{invoice['DocumentNumber']}/bookkeep")["Invoice"]


BALANCED = [
    {"Account": 1930, "Debit": Decimal("10.00")},
    {"Account": 1516, "Credit": Decimal("10.00")},
]


def test_unknown_invoice_field_is_2001399(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(ExternalReference="x"))
    assert info["code"] == 2001399 and "ExternalReference" in info["message"]


def test_unknown_row_field_is_2001399(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(InvoiceRows=[row(Account=3001)]))
    assert info["code"] == 2001399 and "Account" in info["message"]


def test_unknown_wrapper_key_is_2001399(f: FortnoxHarness) -> None:
    body = {**_invoice_body(), "Extra": {}}
    assert f.refused("POST", "/3/invoices", body)["code"] == 2001399


def test_row_without_account_is_2001304(f: FortnoxHarness) -> None:
    bare = row()
    del bare["AccountNumber"]
    assert f.refused("POST", "/3/invoices", _invoice_body(InvoiceRows=[bare]))["code"] == 2001304


def test_missing_account_is_2001304(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(InvoiceRows=[row(account=3009)]))
    assert info["code"] == 2001304 and "3009" in info["message"]


def test_inactive_account_is_refused(f: FortnoxHarness) -> None:
    f.app.company("demo").inactive_accounts.add(3001)
    info = f.refused("POST", "/3/invoices", _invoice_body())
    assert "inte aktivt" in info["message"] and "3001" in info["message"]


def test_vat_rate_must_be_0_6_12_or_25(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(InvoiceRows=[row(vat=20)]))
    assert "20" in info["message"]


def test_price_with_three_decimals_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(InvoiceRows=[row(price="1.005")]))
    assert info["code"] == 2000108 and "1.005" in info["message"]


def test_unknown_customer_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(CustomerNumber="99"))
    assert "99" in info["message"]


def test_unknown_currency_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(Currency="GBP"))
    assert "GBP" in info["message"]


def test_invoice_date_without_financial_year_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/invoices", _invoice_body(InvoiceDate="2024-12-31"))
    assert "2024-12-31" in info["message"]


def test_invoice_in_locked_period_is_2000401(f: FortnoxHarness) -> None:
    f.app.company("demo").locked_until = date(2026, 3, 31)
    assert f.refused("POST", "/3/invoices", _invoice_body())["code"] == 2000401


def test_bookkeeping_twice_is_refused(f: FortnoxHarness) -> None:
    invoice = _booked(f)
    info = f.refused("PUT", f"/3/invoices/{invoice['DocumentNumber']}/bookkeep")
    assert "redan bokförd" in info["message"]


def test_bookkeeping_a_cancelled_invoice_is_refused(f: FortnoxHarness) -> None:
    number = f.invoice()["DocumentNumber"]
    assert f.ok("PUT", f"/3/invoices/{number}/cancel")["Invoice"]["Cancelled"] is True
    assert "makulerad" in f.refused("PUT", f"/3/invoices/{number}/bookkeep")["message"]


def test_cancelling_a_booked_invoice_is_refused(f: FortnoxHarness) -> None:
    number = _booked(f)["DocumentNumber"]
    assert "kreditera" in f.refused("PUT", f"/3/invoices/{number}/cancel")["message"]


def test_paying_a_cancelled_invoice_is_refused(f: FortnoxHarness) -> None:
    number = f.invoice()["DocumentNumber"]
    f.ok("PUT", f"/3/invoices/{number}/cancel")
    body = {
        "InvoicePayment": {
            "InvoiceNumber": int(number),
            "Amount": Decimal("125.00"),
            "PaymentDate": "2026-03-14",
        }
    }
    assert "makulerad" in f.refused("POST", "/3/invoicepayments", body)["message"]


def test_payment_date_before_invoice_date_is_refused(f: FortnoxHarness) -> None:
    number = int(_booked(f)["DocumentNumber"])
    body = {
        "InvoicePayment": {
            "InvoiceNumber": number,
            "Amount": Decimal("125.00"),
            "PaymentDate": "2026-03-13",
        }
    }
    assert "precede" in f.refused("POST", "/3/invoicepayments", body)["message"]


def test_payment_larger_than_balance_is_refused(f: FortnoxHarness) -> None:
    number = int(_booked(f)["DocumentNumber"])
    f.payment(number, "100.00")
    body = {
        "InvoicePayment": {
            "InvoiceNumber": number,
            "Amount": Decimal("25.01"),
            "PaymentDate": "2026-03-14",
        }
    }
    info = f.refused("POST", "/3/invoicepayments", body)
    assert "25.01" in info["message"] and "25.00" in info["message"]


def test_positive_payment_on_a_credit_invoice_is_refused(f: FortnoxHarness) -> None:
    original = _booked(f)
    credit = f.invoice(
        CreditInvoiceReference=original["DocumentNumber"], InvoiceRows=[row(quantity="-1")]
    )
    body = {
        "InvoicePayment": {
            "InvoiceNumber": int(credit["DocumentNumber"]),
            "Amount": Decimal("125.00"),
            "PaymentDate": "2026-03-14",
        }
    }
    f.refused("POST", "/3/invoicepayments", body)
    assert f.payment(int(credit["DocumentNumber"]), "-125.00")["Amount"] == Decimal("-125.00")


def test_unknown_mode_of_payment_is_refused(f: FortnoxHarness) -> None:
    number = int(_booked(f)["DocumentNumber"])
    body = {
        "InvoicePayment": {
            "InvoiceNumber": number,
            "Amount": Decimal("125.00"),
            "PaymentDate": "2026-03-14",
            "ModeOfPayment": "KLARNA",
        }
    }
    assert "KLARNA" in f.refused("POST", "/3/invoicepayments", body)["message"]


def test_credit_of_an_unbooked_invoice_is_refused(f: FortnoxHarness) -> None:
    number = f.invoice()["DocumentNumber"]
    assert "inte bokförd" in f.refused("PUT", f"/3/invoices/{number}/credit")["message"]
    info = f.refused("POST", "/3/invoices", _invoice_body(CreditInvoiceReference=number))
    assert "inte bokförd" in info["message"]


def test_credit_of_a_cancelled_invoice_is_refused(f: FortnoxHarness) -> None:
    number = f.invoice()["DocumentNumber"]
    f.ok("PUT", f"/3/invoices/{number}/cancel")
    assert "makulerad" in f.refused("PUT", f"/3/invoices/{number}/credit")["message"]


def test_unbalanced_voucher_is_refused(f: FortnoxHarness) -> None:
    rows = [
        {"Account": 1930, "Debit": Decimal("10.00")},
        {"Account": 1516, "Credit": Decimal("9.99")},
    ]
    info = f.refused("POST", "/3/vouchers", _voucher(rows))
    assert "balans" in info["message"] and "0.01" in info["message"]


def test_negative_voucher_amount_is_refused(f: FortnoxHarness) -> None:
    rows = [
        {"Account": 1930, "Debit": Decimal("-10.00")},
        {"Account": 1516, "Credit": Decimal("-10.00")},
    ]
    assert "negative" in f.refused("POST", "/3/vouchers", _voucher(rows))["message"]


def test_voucher_series_not_manual_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/vouchers", _voucher(BALANCED, series="B"))
    assert "inte manuell" in info["message"]


def test_voucher_without_financial_year_is_refused(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/vouchers", _voucher(BALANCED, day="2027-01-02"))
    assert "2027-01-02" in info["message"]


def test_voucher_in_locked_period_is_2000401(f: FortnoxHarness) -> None:
    f.app.company("demo").locked_until = date(2026, 3, 31)
    assert f.refused("POST", "/3/vouchers", _voucher(BALANCED))["code"] == 2000401


def test_voucher_year_must_match_its_date(f: FortnoxHarness) -> None:
    assert "Year" in f.refused("POST", "/3/vouchers", _voucher(BALANCED, Year=1))["message"]
    assert f.ok("POST", "/3/vouchers", _voucher(BALANCED, Year=2))["Voucher"]["Year"] == 2


def test_voucher_on_inactive_account_is_refused(f: FortnoxHarness) -> None:
    f.app.company("demo").inactive_accounts.add(1516)
    assert "1516" in f.refused("POST", "/3/vouchers", _voucher(BALANCED))["message"]


def test_customer_number_used_is_2000637(f: FortnoxHarness) -> None:
    info = f.refused("POST", "/3/customers", {"Customer": {"CustomerNumber": "1", "Name": "Again"}})
    assert info["code"] == 2000637


def test_invalid_json_is_2002115(f: FortnoxHarness) -> None:
    response = f.http.post(
        f.url + "/3/invoices", data=b"{not json", headers={"Authorization": f"Bearer {f.token}"}
    )
    assert response.status_code == 400
    assert response.json()["ErrorInformation"]["code"] == 2002115


def test_unknown_invoice_is_404(f: FortnoxHarness) -> None:
    f.refused("GET", "/3/invoices/999", status=404)


def test_bookkept_documents_cannot_be_deleted_only_reversed(f: FortnoxHarness) -> None:
    """Fortnox keeps the books: a bookkept payment is refused deletion (an unbooked one
    may go), and invoices and vouchers have no delete at all."""
    number = int(_booked(f)["DocumentNumber"])
    loose = f.payment(number, "25.00")
    assert f.call("DELETE", f"/3/invoicepayments/{loose['Number']}").status_code == 204
    assert f.ok("GET", f"/3/invoices/{number}")["Invoice"]["Balance"] == Decimal("125.00")
    paid = f.payment(number, "125.00")
    f.ok("PUT", f"/3/invoicepayments/{paid['Number']}/bookkeep")
    info = f.refused("DELETE", f"/3/invoicepayments/{paid['Number']}")
    assert "bokförd" in info["message"] and "motsatt betalning" in info["message"]
    assert f.call("DELETE", f"/3/invoices/{number}").status_code == 405
    assert f.call("DELETE", "/3/vouchers/A/1").status_code == 405
