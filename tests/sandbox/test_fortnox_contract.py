"""Bodies the emulator accepts are checked against the official Fortnox schemas."""

from __future__ import annotations

from decimal import Decimal

from tests.contract import spec_present, validate_entries, validate_journal
from tests.sandbox.fortnox_harness import FortnoxHarness, row

from dibs_fortnox.sandbox.fortnox import JournalEntry


def _flow(f: FortnoxHarness) -> None:
    f.customer()
    f.ok("POST", "/3/modesofpayments", {"ModeOfPayment": {"Code": "KORT", "AccountNumber": "1580"}})
    number = f.invoice(
        [row("80.00", 25), row("20.00", 6, 3003)],
        ExternalInvoiceReference1="ch_1",
        YourOrderNumber="1001",
        Currency="SEK",
        VATIncluded=False,
    )["DocumentNumber"]
    f.ok("PUT", f"/3/invoices/{number}/bookkeep")
    payment = f.payment(int(number), "121.20", ExternalInvoiceReference1="ch_1")
    f.ok("PUT", f"/3/invoicepayments/{payment['Number']}/bookkeep")
    credit = f.invoice(
        [row("80.00", 25, quantity="-1")],
        CreditInvoiceReference=number,
        ExternalInvoiceReference1="rf_1",
    )
    f.ok("PUT", f"/3/invoices/{credit['DocumentNumber']}/bookkeep")
    f.ok(
        "POST",
        "/3/vouchers",
        {
            "Voucher": {
                "VoucherSeries": "A",
                "TransactionDate": "2026-03-20",
                "Year": 2,
                "Description": "Nets Easy utbetalning p1",
                "VoucherRows": [
                    {
                        "Account": 1930,
                        "Debit": Decimal("19.20"),
                        "Credit": Decimal("0"),
                        "TransactionInformation": "p1",
                    },
                    {"Account": 1516, "Debit": Decimal("0"), "Credit": Decimal("19.20")},
                ],
            }
        },
    )


def test_representative_flow_matches_the_official_schemas(fortnox: FortnoxHarness) -> None:
    _flow(fortnox)
    routes = {(e.method, e.route) for e in fortnox.app.journal}
    assert ("POST", "/3/invoices") in routes and ("POST", "/3/vouchers") in routes
    assert validate_journal([fortnox.app]) == []


def test_contract_check_reports_a_body_the_emulator_is_lenient_about() -> None:
    voucher_without_year = {
        "Voucher": {
            "VoucherSeries": "A",
            "TransactionDate": "2026-03-20",
            "Description": "x",
            "VoucherRows": [{"Account": 1930, "Debit": 1}, {"Account": 1516, "Credit": 1}],
        }
    }
    invoice_with_numeric_customer = {"Invoice": {"CustomerNumber": 1}}
    problems = validate_entries(
        [
            JournalEntry("POST", "/3/vouchers", voucher_without_year),
            JournalEntry("POST", "/3/invoices", invoice_with_numeric_customer),
            JournalEntry("POST", "/3/nothing", {}),
        ]
    )
    if not spec_present():  # the spec lives outside the repo; without it the check is off
        assert problems == []
        return
    assert any("Year" in p and "/3/vouchers" in p for p in problems)
    assert any("CustomerNumber" in p for p in problems)
    assert any("/3/nothing" in p for p in problems)


def test_refused_bodies_are_not_journaled(fortnox: FortnoxHarness) -> None:
    fortnox.refused("POST", "/3/customers", {"Customer": {"Name": "X", "Nickname": "y"}})
    fortnox.refused("PUT", "/3/invoices/9/bookkeep", status=404)
    assert fortnox.app.journal == []
    fortnox.customer()
    assert [(e.method, e.route) for e in fortnox.app.journal] == [("POST", "/3/customers")]
