"""An account's balance as Fortnox reports it (``BalanceCarriedForward``), from the vouchers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.sandbox.fortnox_harness import FortnoxHarness


def voucher(f: FortnoxHarness, day: str, year: int, debit: int, credit: int, amount: str) -> None:
    f.ok(
        "POST",
        "/3/vouchers",
        {
            "Voucher": {
                "VoucherSeries": "A",
                "TransactionDate": day,
                "Year": year,
                "Description": "test",
                "VoucherRows": [
                    {"Account": debit, "Debit": Decimal(amount), "Credit": Decimal("0")},
                    {"Account": credit, "Debit": Decimal("0"), "Credit": Decimal(amount)},
                ],
            }
        },
        financialyear=year,
    )


def account(f: FortnoxHarness, number: int) -> Any:
    return f.ok("GET", f"/3/accounts/{number}")["Account"]


def test_balance_sheet_accounts_carry_earlier_years_result_accounts_do_not(
    fortnox: FortnoxHarness,
) -> None:
    f = fortnox
    voucher(f, "2025-12-30", 1, 1516, 3001, "100.00")  # last year: a sale not yet paid out
    voucher(f, "2026-03-01", 2, 1930, 1516, "60.00")  # this year: part of it reaches the bank
    voucher(f, "2026-03-02", 2, 1516, 3001, "5.50")

    receivable = account(f, 1516)
    assert receivable["BalanceBroughtForward"] == Decimal("100.00")
    assert receivable["BalanceCarriedForward"] == Decimal("45.50")
    sales = account(f, 3001)
    assert sales["BalanceBroughtForward"] == Decimal("0.00")  # a new year starts at zero
    assert sales["BalanceCarriedForward"] == Decimal("-5.50")
