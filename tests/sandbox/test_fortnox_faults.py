"""Injected faults: the lost response must have committed the write; failures before it not."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests
from tests.sandbox.fortnox_harness import FortnoxHarness

from dibs_fortnox.sandbox.faults import FaultRule

VOUCHER = {
    "Voucher": {
        "VoucherSeries": "A",
        "TransactionDate": "2026-03-20",
        "Description": "Nets Easy utbetalning p7",
        "Year": 2,
        "VoucherRows": [
            {"Account": 1930, "Debit": Decimal("5.00")},
            {"Account": 1516, "Credit": Decimal("5.00")},
        ],
    }
}


@pytest.fixture
def f(fortnox: FortnoxHarness) -> FortnoxHarness:
    fortnox.customer()
    return fortnox


def test_lost_response_still_commits_the_invoice(f: FortnoxHarness) -> None:
    f.app.faults.add(
        FaultRule("lost_response", method="POST", route="/3/invoices", times=1, status=502)
    )
    body = {
        "Invoice": {
            "CustomerNumber": "1",
            "InvoiceDate": "2026-03-14",
            "ExternalInvoiceReference1": "ch_77",
            "InvoiceRows": [{"AccountNumber": 3001, "Price": Decimal("10.00"), "VAT": 25}],
        }
    }
    assert f.call("POST", "/3/invoices", body).status_code == 502
    found = f.ok("GET", "/3/invoices", externalinvoicereference1="ch_77")["Invoices"]
    assert [i["Total"] for i in found] == [Decimal("12.50")]
    assert f.ok("GET", "/_sandbox/stats")["faults_injected"] == {"lost_response": 1}


def test_dropped_connection_after_write_still_commits_the_voucher(f: FortnoxHarness) -> None:
    f.app.faults.add(FaultRule("drop_after", method="POST", route="/3/vouchers", times=1))
    with pytest.raises(requests.ConnectionError):
        f.call("POST", "/3/vouchers", VOUCHER)
    listed = f.ok("GET", "/3/vouchers/sublist/A", financialyear=2)["Vouchers"]
    assert [v["Description"] for v in listed] == ["Nets Easy utbetalning p7"]
    assert f.app.trial_balance("demo") == {1516: -500, 1930: 500}


def test_error_before_the_handler_writes_nothing(f: FortnoxHarness) -> None:
    f.app.faults.add(
        FaultRule("error_before", method="POST", route="/3/vouchers", times=1, status=503)
    )
    assert f.call("POST", "/3/vouchers", VOUCHER).status_code == 503
    assert f.ok("GET", "/3/vouchers/sublist/A", financialyear=2)["Vouchers"] == []
    assert f.call("POST", "/3/vouchers", VOUCHER).status_code == 201


def test_injected_rate_limit_is_429_without_writing(f: FortnoxHarness) -> None:
    f.app.faults.add(FaultRule("rate_limit", method="POST", route="/3/customers", times=1))
    assert f.call("POST", "/3/customers", {"Customer": {"Name": "X"}}).status_code == 429
    assert len(f.ok("GET", "/3/customers")["Customers"]) == 1


def test_latency_delays_the_answer(f: FortnoxHarness) -> None:
    f.app.faults.add(FaultRule("latency", route="/3/companyinformation", delay_s=0.3))
    started = time.perf_counter()
    assert f.call("GET", "/3/companyinformation").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_fault_routes_use_the_spec_path_names(f: FortnoxHarness) -> None:
    f.app.faults.configure(
        [{"kind": "error_before", "route": "/3/invoices/{DocumentNumber}", "status": 500}]
    )
    assert f.call("GET", "/3/invoices/1").status_code == 500
    assert f.call("GET", "/3/invoices").status_code == 200


def test_stats_count_requests_per_endpoint(f: FortnoxHarness) -> None:
    f.call("GET", "/3/invoices/1")
    f.call("GET", "/3/invoices/2")
    stats = f.ok("GET", "/_sandbox/stats")
    assert stats["requests_by_route"]["GET /3/invoices/{DocumentNumber}"] == 2
    assert stats["requests_by_route"]["POST /3/customers"] == 1
    assert stats["status_counts"]["404"] == 2
