"""Invariants catch tampered documents; reconcile_with_fortnox catches what Fortnox lacks."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tests.booking.booking_notation import (
    ACCOUNTS,
    SETTINGS,
    charged,
    deposit,
    payment,
    payments_by_id,
    payout,
    refund,
    refunded,
)

from dibs_fortnox.booking import PayoutBooking, VoucherRow, transform
from dibs_fortnox.booking.invariants import (
    VALIDATIONS,
    ValidationContext,
    reconcile_with_fortnox,
    validate,
    validate_accounts_exist,
    validate_invoices_match_charges,
    validate_payout_reconciles,
    validate_unique_external_refs,
    validate_vouchers_balance,
)
from dibs_fortnox.money import to_decimal

CONTEXT = ValidationContext(ACCOUNTS)


def sample() -> list[PayoutBooking]:
    """One payout with an invoice, a credit, a deposit and fees: every row kind."""
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%", "Frakt 1 × 39.20 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"])])  # fmt: skip
    out = payout("po1", charged(pay, fee="11.13"), refunded(pay, fee="1.00"), deposit("10.00"))
    result = transform([out], payments_by_id(pay), SETTINGS)
    assert result.held == []
    return result.bookings()


def fortnox_state(bookings: list[PayoutBooking]) -> tuple[list[dict], list[dict]]:
    """What Fortnox would list after a correct run, as the Fortnox client would parse it."""
    invoices = [
        {
            "DocumentNumber": str(100 + n),
            "ExternalInvoiceReference1": inv.external_ref,
            "Total": to_decimal(inv.amount),
            "Balance": Decimal("0.00"),
            "Booked": True,
            "Cancelled": False,
        }  # fmt: skip
        for n, inv in enumerate(i for b in bookings for i in b.invoices)
    ]
    vouchers = [b.voucher.to_payload() for b in bookings]
    return invoices, vouchers


def test_all_validations_pass_on_a_correct_booking():
    bookings = sample()
    assert len(VALIDATIONS) == 5
    assert validate(bookings, ValidationContext(ACCOUNTS, frozenset(ACCOUNTS.all()))) == []


def test_voucher_balances():
    (booking,) = sample()
    # D bank 246.87 + D fees 12.13 = C deposit 10.00 + C receivable 249.00
    assert booking.voucher.debit == booking.voucher.credit == 25900


def test_invariants_catch_a_tampered_voucher():
    (booking,) = sample()
    rows = list(booking.voucher.rows)
    rows[0] = replace(rows[0], debit=rows[0].debit - 400)  # bank row 4.00 short
    tampered = replace(booking, voucher=replace(booking.voucher, rows=tuple(rows)))
    balance = validate_vouchers_balance([tampered], CONTEXT)
    assert [e.source for e in balance] == ["vouchers_balance"]
    assert "does not balance" in balance[0].message and "(4.00)" in balance[0].message
    assert str(balance[0]) == balance[0].message
    reconcile = validate_payout_reconciles([tampered], CONTEXT)
    assert [e.message for e in reconcile] == [
        "Payout po1 does not reconcile: "
        "expected 236.87 SEK != documents 232.87 SEK (4.00 too little)",
        "Payout po1 bank receipt: expected 246.87 SEK != documents 242.87 SEK (4.00 too little)",
    ]


def test_reconcile_recomputes_from_raw_actions_not_from_the_header():
    (booking,) = sample()
    lying = replace(booking.payout, amount=booking.payout.amount + 100)
    errors = validate_payout_reconciles([replace(booking, payout=lying)], CONTEXT)
    assert ["amount reported by Nets" in e.message for e in errors] == [True]


def test_invoice_not_matching_its_charge_is_caught():
    (booking,) = sample()
    invoice = booking.invoices[0]
    short = replace(invoice, rows=invoice.rows[:1])
    errors = validate_invoices_match_charges(
        [replace(booking, invoices=(short, booking.invoices[1]))], CONTEXT
    )
    assert any("Invoice c-p1 does not match Nets: expected 449.00 SEK" in e.message for e in errors)


def test_duplicate_external_refs_are_caught():
    bookings = sample()
    errors = validate_unique_external_refs(bookings + bookings, CONTEXT)
    assert sorted(e.message for e in errors) == [
        "2 invoices carry the reference 'c-p1'",
        "2 invoices carry the reference 'r1'",
        "2 payments carry the reference 'c-p1'",
        "2 payments carry the reference 'r1'",
        "2 vouchers carry the reference 'Nets Easy utbetalning po1'",
    ]


def test_inactive_account_is_caught_and_unknown_chart_is_skipped():
    bookings = sample()
    active = frozenset(ACCOUNTS.all() - {6040})
    errors = validate_accounts_exist(bookings, ValidationContext(ACCOUNTS, active))
    assert len(errors) == 1 and "6040" in errors[0].message
    assert validate_accounts_exist(bookings, ValidationContext(ACCOUNTS, None)) == []


def test_voucher_row_with_both_sides_is_caught():
    (booking,) = sample()
    rows = booking.voucher.rows + (VoucherRow(1930, 100, 100),)
    bad = replace(booking, voucher=replace(booking.voucher, rows=rows))
    assert any(
        "one non-negative side" in e.message for e in validate_vouchers_balance([bad], CONTEXT)
    )


def test_reconcile_with_fortnox_accepts_a_correct_state():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    assert reconcile_with_fortnox(bookings, invoices, vouchers) == []


def test_reconcile_with_fortnox_finds_a_missing_invoice():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    errors = reconcile_with_fortnox(bookings, invoices[1:], vouchers)
    assert [e.message for e in errors] == ["Invoice c-p1 is in Fortnox 0 times"]


def test_reconcile_with_fortnox_finds_an_unpaid_balance():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    invoices[0] = {**invoices[0], "Balance": Decimal("449.00"), "Booked": False}
    messages = [e.message for e in reconcile_with_fortnox(bookings, invoices, vouchers)]
    assert messages == [
        "Invoice c-p1 (Fortnox 100) is not bookkept",
        "Invoice c-p1 (Fortnox 100) has an unpaid balance of 449.00 SEK",
    ]


def test_reconcile_with_fortnox_finds_a_duplicate():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    duplicate = {**invoices[1], "DocumentNumber": "999"}
    errors = reconcile_with_fortnox(bookings, invoices + [duplicate], vouchers + vouchers)
    assert [e.message for e in errors] == [
        "Credit invoice r1 is in Fortnox 2 times (101, 999)",
        "Voucher 'Nets Easy utbetalning po1' is in Fortnox 2 times",
    ]


def test_reconcile_with_fortnox_ignores_cancelled_and_checks_voucher_rows():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    cancelled = {**invoices[0], "DocumentNumber": "555", "Cancelled": True}
    rows = vouchers[0]["Voucher"]["VoucherRows"]
    changed = {"Voucher": {**vouchers[0]["Voucher"], "VoucherRows": rows[:-1]}}
    errors = reconcile_with_fortnox(bookings, invoices + [cancelled], [changed])
    assert len(errors) == 2
    assert "rows differ: missing [(1516, 0, 24900)]" in errors[0].message
    assert "does not balance" in errors[1].message


def test_reconcile_with_fortnox_reads_float_amounts_exactly():
    bookings = sample()
    invoices, vouchers = fortnox_state(bookings)
    invoices[0] = {**invoices[0], "Total": 449.0, "Balance": 0.0}
    assert reconcile_with_fortnox(bookings, invoices, vouchers) == []
