"""Lists: paging with MetaInformation, substring search, filters and list-item subsets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.sandbox.fortnox_harness import FortnoxHarness


@pytest.fixture
def f(fortnox: FortnoxHarness) -> FortnoxHarness:
    fortnox.customer()
    return fortnox


def test_paging_with_limit_and_page(f: FortnoxHarness) -> None:
    for i in range(5):
        f.invoice(ExternalInvoiceReference1=f"ch_{i}")
    second = f.ok("GET", "/3/invoices", limit=2, page=2)
    assert [i["DocumentNumber"] for i in second["Invoices"]] == ["3", "4"]
    assert second["MetaInformation"] == {"@TotalResources": 5, "@TotalPages": 3, "@CurrentPage": 2}
    last = f.ok("GET", "/3/invoices", limit=2, page=3)
    assert [i["DocumentNumber"] for i in last["Invoices"]] == ["5"]


def test_limit_above_500_is_refused(f: FortnoxHarness) -> None:
    assert f.refused("GET", "/3/invoices", limit=501)["code"] == 2000588


def test_default_page_size_is_100(f: FortnoxHarness) -> None:
    for _ in range(101):
        f.invoice()
    first = f.ok("GET", "/3/invoices")
    assert len(first["Invoices"]) == 100 and first["MetaInformation"]["@TotalPages"] == 2


def test_external_reference_search_matches_substrings_case_insensitively(f: FortnoxHarness) -> None:
    for ref in ("ch_1", "ch_10", "CH_11x", "ch_2"):
        f.invoice(ExternalInvoiceReference1=ref)
    found = f.ok("GET", "/3/invoices", externalinvoicereference1="ch_1")["Invoices"]
    assert [i["ExternalInvoiceReference1"] for i in found] == ["ch_1", "ch_10", "CH_11x"]


def test_your_order_number_search_matches_substrings(f: FortnoxHarness) -> None:
    f.invoice(YourOrderNumber="100234")
    f.invoice(YourOrderNumber="1002")
    found = f.ok("GET", "/3/invoices", yourordernumber="1002")["Invoices"]
    assert sorted(i["YourOrderNumber"] for i in found) == ["1002", "100234"]


def test_date_filters_are_inclusive(f: FortnoxHarness) -> None:
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        f.invoice(InvoiceDate=day)
    found = f.ok("GET", "/3/invoices", fromdate="2026-03-02", todate="2026-03-03")["Invoices"]
    assert [i["InvoiceDate"] for i in found] == ["2026-03-02", "2026-03-03"]


def test_state_filters(f: FortnoxHarness) -> None:
    cancelled = f.invoice()["DocumentNumber"]
    f.ok("PUT", f"/3/invoices/{cancelled}/cancel")
    paid = f.invoice()["DocumentNumber"]
    f.ok("PUT", f"/3/invoices/{paid}/bookkeep")
    f.payment(int(paid), "125.00")
    unpaid = f.invoice()["DocumentNumber"]

    def numbers(state: str) -> list[str]:
        return [i["DocumentNumber"] for i in f.ok("GET", "/3/invoices", filter=state)["Invoices"]]

    assert numbers("cancelled") == [cancelled]
    assert numbers("fullypaid") == [paid]
    assert numbers("unpaid") == [unpaid]
    assert numbers("unbooked") == [unpaid]
    assert f.refused("GET", "/3/invoices", filter="everything")["code"] == 2000588


def test_invoice_list_items_are_a_subset(f: FortnoxHarness) -> None:
    f.invoice(ExternalInvoiceReference1="ch_1", YourOrderNumber="42")
    item = f.ok("GET", "/3/invoices")["Invoices"][0]
    assert "InvoiceRows" not in item
    for name in (
        "DocumentNumber",
        "CustomerNumber",
        "InvoiceDate",
        "Total",
        "Balance",
        "Booked",
        "Cancelled",
        "Currency",
        "ExternalInvoiceReference1",
        "ExternalInvoiceReference2",
        "YourOrderNumber",
        "Credit",
        "CreditInvoiceReference",
    ):
        assert name in item, name
    assert item["Total"] == Decimal("125.00")


def test_payments_listed_by_invoice_number(f: FortnoxHarness) -> None:
    first = int(f.invoice()["DocumentNumber"])
    second = int(f.invoice()["DocumentNumber"])
    f.payment(first, "25.00")
    f.payment(second, "125.00")
    f.payment(first, "100.00")
    listed = f.ok("GET", "/3/invoicepayments", invoicenumber=first)["InvoicePayments"]
    assert [p["Amount"] for p in listed] == [Decimal("25.00"), Decimal("100.00")]
    assert all(p["InvoiceNumber"] == first for p in listed)


def test_voucher_sublist_has_no_rows_and_filters_by_date(f: FortnoxHarness) -> None:
    for day in ("2026-03-01", "2026-03-05"):
        f.ok(
            "POST",
            "/3/vouchers",
            {
                "Voucher": {
                    "VoucherSeries": "A",
                    "TransactionDate": day,
                    "Description": f"Utbetalning {day}",
                    "Year": 2,
                    "VoucherRows": [
                        {"Account": 1930, "Debit": Decimal("1.00")},
                        {"Account": 1516, "Credit": Decimal("1.00")},
                    ],
                }
            },
        )
    listed = f.ok(
        "GET", "/3/vouchers/sublist/A", financialyear=2, fromdate="2026-03-02", todate="2026-03-31"
    )
    assert [v["Description"] for v in listed["Vouchers"]] == ["Utbetalning 2026-03-05"]
    item = listed["Vouchers"][0]
    assert "VoucherRows" not in item
    assert (
        item["VoucherSeries"],
        item["VoucherNumber"],
        item["Year"],
        item["TransactionDate"],
    ) == ("A", 2, 2, "2026-03-05")
    assert f.ok("GET", "/3/vouchers/sublist/A", financialyear=1)["Vouchers"] == []


def test_customer_search_by_name_is_a_substring(f: FortnoxHarness) -> None:
    f.customer("2", "Anna Andersson")
    f.customer("3", "Bo Ek")
    found = f.ok("GET", "/3/customers", name="anders")["Customers"]
    assert [c["CustomerNumber"] for c in found] == ["2"]


def test_setup_resources_of_the_demo_company(f: FortnoxHarness) -> None:
    years = f.ok("GET", "/3/financialyears", date="2025-06-01")["FinancialYears"]
    assert [(y["Id"], y["FromDate"]) for y in years] == [(1, "2025-01-01")]
    accounts = [a["Number"] for a in f.ok("GET", "/3/accounts")["Accounts"]]
    assert accounts == [
        1510,
        1516,
        1580,
        1930,
        2611,
        2621,
        2631,
        2681,
        2682,
        2683,
        3001,
        3002,
        3003,
        3004,
        3105,
        3106,
        3108,
        3111,
        3112,
        3113,
        3740,
        6040,
        6570,
    ]
    assert f.ok("GET", "/3/modesofpayments/NETS")["ModeOfPayment"]["AccountNumber"] == "1516"
    series = {
        s["Code"]: s["Manual"] for s in f.ok("GET", "/3/voucherseries")["VoucherSeriesCollection"]
    }
    assert series == {"A": True, "B": False, "C": False}
    assert {c["Code"] for c in f.ok("GET", "/3/currencies")["Currencies"]} == {
        "SEK",
        "EUR",
        "NOK",
        "DKK",
    }
    assert f.ok("GET", "/3/settings/lockedperiod")["LockedPeriod"]["EndDate"] == ""


def test_mode_of_payment_can_be_created(f: FortnoxHarness) -> None:
    created = f.ok(
        "POST",
        "/3/modesofpayments",
        {"ModeOfPayment": {"Code": "KORT", "Description": "Kort", "AccountNumber": "1580"}},
    )
    assert created["ModeOfPayment"]["AccountNumber"] == "1580"
    assert f.ok("GET", "/3/modesofpayments/KORT")["ModeOfPayment"]["Description"] == "Kort"
    number = int(f.invoice()["DocumentNumber"])
    paid = f.payment(number, "125.00", ModeOfPayment="KORT", ModeOfPaymentAccount=1580)
    assert paid["ModeOfPaymentAccount"] == 1580
