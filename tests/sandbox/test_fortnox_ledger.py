"""The double-entry book: row arithmetic, bookkeeping vouchers and the trial balance."""

from __future__ import annotations

from decimal import Decimal

from tests.sandbox.fortnox_harness import FortnoxHarness, row


def test_trial_balance_after_invoice_payment_credit_and_voucher(fortnox: FortnoxHarness) -> None:
    f = fortnox
    f.customer()
    invoice = f.invoice([row("100.00", 25), row("50.00", 12, 3002), row("10.00", 6, 3003)])
    number = int(invoice["DocumentNumber"])
    assert invoice["Total"] == Decimal("191.60")
    f.ok("PUT", f"/3/invoices/{number}/bookkeep")
    paid = f.payment(number, "191.60")
    f.ok("PUT", f"/3/invoicepayments/{paid['Number']}/bookkeep")
    credit = f.invoice([row("100.00", 25, quantity="-1")], CreditInvoiceReference=str(number))
    assert credit["Credit"] is True and credit["Total"] == Decimal("-125.00")
    f.ok("PUT", f"/3/invoices/{credit['DocumentNumber']}/bookkeep")
    refund = f.payment(int(credit["DocumentNumber"]), "-125.00")
    f.ok("PUT", f"/3/invoicepayments/{refund['Number']}/bookkeep")
    f.ok(
        "POST",
        "/3/vouchers",
        {
            "Voucher": {
                "VoucherSeries": "A",
                "TransactionDate": "2026-03-16",
                "Year": 2,
                "Description": "Nets Easy utbetalning p1",
                "VoucherRows": [
                    {"Account": 1930, "Debit": Decimal("64.60"), "Credit": Decimal("0")},
                    {"Account": 6040, "Debit": Decimal("2.00"), "Credit": Decimal("0")},
                    {"Account": 1516, "Debit": Decimal("0"), "Credit": Decimal("66.60")},
                ],
            }
        },
    )
    assert f.app.trial_balance("demo") == {
        1510: 0,
        1516: 0,
        1930: 6460,
        2611: 0,
        2621: -600,
        2631: -60,
        3001: 0,
        3002: -5000,
        3003: -1000,
        6040: 200,
    }
    over_http = f.ok("GET", "/_sandbox/fortnox/demo/trial-balance")["balances"]
    assert over_http["1930"] == 6460


def test_bookkeeping_posts_receivable_sales_and_vat_in_series_b(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = fortnox.invoice([row("80.00", 25), row("20.00", 6, 3003)])["DocumentNumber"]
    booked = fortnox.ok("PUT", f"/3/invoices/{number}/bookkeep")["Invoice"]
    assert booked["Booked"] is True and booked["VoucherSeries"] == "B"
    voucher = fortnox.ok("GET", f"/3/vouchers/B/{booked['VoucherNumber']}", financialyear=2)[
        "Voucher"
    ]
    rows = {(r["Account"], r["Debit"], r["Credit"]) for r in voucher["VoucherRows"]}
    assert rows == {
        (1510, Decimal("121.20"), Decimal("0.00")),
        (3001, Decimal("0.00"), Decimal("80.00")),
        (3003, Decimal("0.00"), Decimal("20.00")),
        (2611, Decimal("0.00"), Decimal("20.00")),
        (2631, Decimal("0.00"), Decimal("1.20")),
    }


def test_row_arithmetic_rounds_half_up_per_row(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    invoice = fortnox.invoice(
        [
            row("0.99", 25, quantity="3"),  # net 2.97, VAT 0.7425 -> 0.74
            row("10.01", 25, quantity="0.5"),  # net 5.005 -> 5.01, VAT 1.2525 -> 1.25
            row("0.10", 25),  # net 0.10, VAT 0.025 -> 0.03
        ]
    )
    assert invoice["Net"] == Decimal("8.08")
    assert invoice["TotalVAT"] == Decimal("2.02")
    assert invoice["Total"] == Decimal("10.10")


def test_vat_included_prices_are_gross(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    invoice = fortnox.invoice([row("125.00", 25), row("0.99", 25)], VATIncluded=True)
    assert invoice["Total"] == Decimal("125.99")
    assert invoice["TotalVAT"] == Decimal("25.20")  # 25.00 + 0.198 -> 0.20
    assert invoice["Net"] == Decimal("100.79")


def test_payment_lowers_balance_and_sets_final_pay_date(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = int(fortnox.invoice()["DocumentNumber"])
    fortnox.payment(number, "100.00")
    assert fortnox.ok("GET", f"/3/invoices/{number}")["Invoice"]["Balance"] == Decimal("25.00")
    fortnox.payment(number, "25.00", PaymentDate="2026-03-20")
    paid = fortnox.ok("GET", f"/3/invoices/{number}")["Invoice"]
    assert paid["Balance"] == Decimal("0.00") and paid["FinalPayDate"] == "2026-03-20"


def test_payment_bookkeeping_posts_mode_account_against_1510(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = int(fortnox.invoice()["DocumentNumber"])
    payment = fortnox.payment(number, "125.00")
    assert fortnox.app.trial_balance("demo") == {}
    booked = fortnox.ok("PUT", f"/3/invoicepayments/{payment['Number']}/bookkeep")["InvoicePayment"]
    assert booked["Booked"] is True and booked["VoucherSeries"] == "C"
    assert fortnox.app.trial_balance("demo") == {1510: -12500, 1516: 12500}
    fortnox.refused("PUT", f"/3/invoicepayments/{payment['Number']}/bookkeep")


def test_put_credit_returns_a_full_credit_invoice_linked_both_ways(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = fortnox.invoice([row("40.00", 12, 3002)], ExternalInvoiceReference1="ch_9")[
        "DocumentNumber"
    ]
    fortnox.ok("PUT", f"/3/invoices/{number}/bookkeep")
    credit = fortnox.ok("PUT", f"/3/invoices/{number}/credit")["Invoice"]
    assert credit["Credit"] is True and credit["CreditInvoiceReference"] == number
    assert credit["Total"] == Decimal("-44.80")
    assert credit["InvoiceRows"][0]["DeliveredQuantity"] == "-1"
    original = fortnox.ok("GET", f"/3/invoices/{number}")["Invoice"]
    assert original["CreditInvoiceReference"] == credit["DocumentNumber"]
    fortnox.ok("PUT", f"/3/invoices/{credit['DocumentNumber']}/bookkeep")
    assert fortnox.app.trial_balance("demo") == {1510: 0, 2621: 0, 3002: 0}


def test_documents_inspection_lists_everything(fortnox: FortnoxHarness) -> None:
    fortnox.customer()
    number = int(fortnox.invoice()["DocumentNumber"])
    fortnox.payment(number, "125.00")
    documents = fortnox.ok("GET", "/_sandbox/fortnox/demo/documents")
    assert [i["DocumentNumber"] for i in documents["invoices"]] == [str(number)]
    assert [p["Amount"] for p in documents["payments"]] == [Decimal("125.00")]
    assert documents["vouchers"] == []
