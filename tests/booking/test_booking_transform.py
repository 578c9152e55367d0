"""The transform, one named case per booking rule, written in the domain's notation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from tests.booking.booking_notation import (
    SETTINGS,
    assert_documents_equal,
    charge,
    charged,
    deposit,
    ore,
    payment,
    payments_by_id,
    payout,
    refund,
    refunded,
)
from tests.troubleshooting import assert_documented

from dibs_fortnox.booking import transform
from dibs_fortnox.booking.frames import (
    DATE,
    MONEY,
    FrameContractError,
    check_columns,
    frame_of_arrays,
)

VOUCHER = "voucher A 2024-03-12 Nets Easy utbetalning po1"


def book(*pays, payouts, already_booked=frozenset()):
    return transform(list(payouts), payments_by_id(*pays), SETTINGS, frozenset(already_booked))


def only_held_reason(result):
    assert result.bookings() == []
    assert len(result.held) == 1, result.held
    return result.held[0].reason


def test_single_se_charge():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%", "Frakt 1 × 39.20 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay, fee="11.13"))])
    assert result.held == [] and result.errors == [] and result.warnings == []
    assert_documents_equal(
        f"""
        invoice c-p1 2024-03-05 SE-SEK order o-p1 = 449.00
          3001 1 × 320.00 @25% Tröja (2 pcs × 160.00)
          3001 1 × 39.20 @25% Frakt (1 pcs × 39.20)
        payment c-p1 2024-03-05 449.00 NETS 1516
        {VOUCHER}
          1930 D 437.87
          6040 D 11.13
          1516 C 449.00
        """,
        result.bookings(),
    )


def test_frames_have_int64_money_and_one_row_per_invoice_row():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%", "Frakt 1 × 39.20 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay, fee="11.13"))])
    assert list(result.invoice_rows["price"]) == [32000, 3920]
    assert list(result.invoice_rows["vat"]) == [8000, 980]
    assert str(result.invoice_rows["price"].dtype) == "int64"
    assert list(result.invoice_rows["seq"]) == [1, 1]
    assert list(result.invoices["seq"]) == [1] and list(result.invoices["amount"]) == [44900]
    assert list(result.payments["amount"]) == [44900]
    assert list(result.vouchers[["debit", "credit"]].sum()) == [44900, 44900]


def test_frame_contract_is_checked_on_entry():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay))])
    broken = result.payments.assign(amount=result.payments["amount"].astype("float64"))
    with pytest.raises(
        FrameContractError, match=r"expected column 'amount' \(int64, minor units\), got float64"
    ):
        type(result)(
            result.invoices,
            result.invoice_rows,
            broken,
            result.vouchers,
            [],
            [],
            [],
            result.payouts,
        ).bookings()


def test_a_frame_of_arrays_keeps_each_array_and_its_dtype():
    days = np.array([date(2026, 11, 1), date(2026, 11, 2)], dtype=object)
    amounts = np.array([100, -40], dtype=np.int64)
    frame = frame_of_arrays({"day": days, "amount": amounts})
    # Dates stay the date objects the contract asks for (pandas would otherwise look
    # through the column and may infer datetime64), and nothing is copied.
    assert frame.dtypes.astype(str).tolist() == ["object", "int64"]
    assert frame["day"].tolist() == days.tolist()
    assert np.shares_memory(frame["amount"].to_numpy(), amounts)
    check_columns(frame, {"day": DATE, "amount": MONEY}, "test")


def test_invoice_date_is_the_stockholm_date_of_the_charge():
    late = charge("c1", ["Tröja 1 × 160.00 @25%"], at="2024-03-05T23:30:00.0000+00:00")
    pay = payment("p1", charges=[late])
    result = book(pay, payouts=[payout("po1", charged(pay))])
    (invoice,) = result.bookings()[0].invoices
    assert str(invoice.invoice_date) == "2024-03-06"
    assert str(result.bookings()[0].payments[0].payment_date) == "2024-03-06"


def test_eu_and_non_eu_rows():
    de = payment("p-de", country="DEU", lines=["Tröja 1 × 160.00 @25%"])
    us = payment("p-us", country="usa", lines=["Tröja 1 × 160.00 @0%"])
    result = book(de, us, payouts=[payout("po1", charged(de), charged(us))])
    assert_documents_equal(
        f"""
        invoice c-p-de 2024-03-05 EU-DE-SEK order o-p-de = 200.00
          3106 1 × 160.00 @25% Tröja (1 pcs × 160.00)
        invoice c-p-us 2024-03-05 NONEU-US-SEK order o-p-us = 160.00
          3105 1 × 160.00 @0% Tröja (1 pcs × 160.00)
        payment c-p-de 2024-03-05 200.00 NETS 1516
        payment c-p-us 2024-03-05 160.00 NETS 1516
        {VOUCHER}
          1930 D 360.00
          1516 C 360.00
        """,
        result.bookings(),
    )
    customers = {c.key: c for c in result.bookings()[0].customers}
    eu = customers["EU-DE-SEK"].to_payload()["Customer"]
    assert (eu["VATType"], eu["CountryCode"]) == ("EUVAT", "DE")
    assert customers["NONEU-US-SEK"].vat_type == "EXPORT"
    assert customers["NONEU-US-SEK"].country_code == "US"


def test_mixed_vat_rates():
    pay = payment("p1", lines=["Tröja 1 × 100.00 @25%", "Mat 1 × 100.00 @12%",
                               "Bok 1 × 100.00 @6%", "Present 1 × 100.00 @0%"])  # fmt: skip
    result = book(pay, payouts=[payout("po1", charged(pay))])
    (invoice,) = result.bookings()[0].invoices
    assert [(r.vat_percent, r.vat) for r in invoice.rows] == [
        (25, 2500),
        (12, 1200),
        (6, 600),
        (0, 0),
    ]
    assert invoice.total == ore("443.00") == invoice.amount


def test_fractional_quantity():
    pay = payment("p1", lines=["Äpplen 1.5 kg × 20.00 @12%"])
    result = book(pay, payouts=[payout("po1", charged(pay))])
    (invoice,) = result.bookings()[0].invoices
    assert [r.description for r in invoice.rows] == ["Äpplen (1.5 kg × 20.00)"]
    assert invoice.rows[0].price == 3000 and invoice.total == 3360
    assert invoice.to_payload("7")["Invoice"]["InvoiceRows"][0]["Price"] == Decimal("30.00")


def test_discount_line():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%", "Rabatt 1 × -32.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay))])
    (invoice,) = result.bookings()[0].invoices
    assert [(r.price, r.vat) for r in invoice.rows] == [(32000, 8000), (-3200, -800)]
    assert invoice.total == ore("360.00")


def test_nets_tax_off_by_one_ore_adds_rounding_row():
    pay = payment("p1", lines=["Tröja 1 × 160.03 @25% tax=40.00"])
    result = book(pay, payouts=[payout("po1", charged(pay))])
    (invoice,) = result.bookings()[0].invoices
    assert [(r.account, r.price, r.vat_percent) for r in invoice.rows] == [
        (3001, 16003, 25), (3740, -1, 0)]  # fmt: skip
    assert invoice.total == invoice.amount == ore("200.03")
    assert [w.external_ref for w in result.warnings] == ["c-p1"]
    assert "-0.01 SEK" in result.warnings[0].message and "3740" in result.warnings[0].message
    assert str(result.warnings[0]).startswith("payout po1, c-p1: Nets' VAT on Tröja differs")


def test_partial_charges_two_charges_one_payment():
    first = charge("c1", ["Tröja 1 × 160.00 @25%"])
    second = charge("c2", ["Byxor 1 × 400.00 @25%"], at="2024-03-06T09:00:00.0000+01:00")
    pay = payment("p1", charges=[first, second])
    result = book(pay, payouts=[payout("po1", charged(pay, "c1"), charged(pay, "c2"))])
    refs = [(i.external_ref, str(i.invoice_date), i.total) for i in result.bookings()[0].invoices]
    assert refs == [("c1", "2024-03-05", 20000), ("c2", "2024-03-06", 50000)]


def test_full_refund_in_the_same_payout():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%"],
                  refunds=[refund("r1", ["Tröja 2 × 160.00 @25%"])])  # fmt: skip
    result = book(pay, payouts=[payout("po1", charged(pay, fee="5.00"), refunded(pay))])
    assert_documents_equal(
        f"""
        invoice c-p1 2024-03-05 SE-SEK order o-p1 = 400.00
          3001 1 × 320.00 @25% Tröja (2 pcs × 160.00)
        credit r1 of c-p1 2024-03-09 SE-SEK order o-p1 = -400.00
          3001 -1 × 320.00 @25% Tröja (2 pcs × 160.00)
        payment c-p1 2024-03-05 400.00 NETS 1516
        payment r1 2024-03-09 -400.00 NETS 1516
        {VOUCHER}
          1930 C 5.00
          6040 D 5.00
        """,
        result.bookings(),
    )


def test_partial_refund():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%", "Frakt 1 × 39.20 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"])])  # fmt: skip
    result = book(pay, payouts=[payout("po1", charged(pay), refunded(pay))])
    credit = result.bookings()[0].invoices[1]
    assert credit.credits == "c-p1" and credit.total == -ore("200.00")
    payload = credit.to_payload("1", credit_invoice_reference="101")["Invoice"]
    assert payload["CreditInvoiceReference"] == "101"
    assert payload["ExternalInvoiceReference1"] == "r1"
    assert payload["InvoiceRows"][0]["DeliveredQuantity"] == "-1"
    assert [r.credit for r in result.bookings()[0].voucher.rows if r.account == 1516] == [24900]


def test_refund_in_a_later_payout_credits_an_already_booked_charge():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"])])  # fmt: skip
    result = book(pay, payouts=[payout("po2", refunded(pay), deposit("200.00"))],
                  already_booked={"c-p1"})  # fmt: skip
    assert result.held == []
    assert_documents_equal(
        """
        credit r1 of c-p1 2024-03-09 SE-SEK order o-p1 = -200.00
          3001 -1 × 160.00 @25% Tröja (1 pcs × 160.00)
        payment r1 2024-03-09 -200.00 NETS 1516
        voucher A 2024-03-12 Nets Easy utbetalning po2
          1930 C 200.00
          1516 D 200.00
        """,
        result.bookings(),
    )


def test_refund_whose_charge_is_unknown_is_held():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"])])  # fmt: skip
    result = book(pay, payouts=[payout("po2", refunded(pay), deposit("200.00"))])
    reason = only_held_reason(result)
    assert "refund r1" in reason and "c-p1" in reason and "run its day" in reason


def test_pending_refund_is_not_booked():
    pay = payment("p1", lines=["Tröja 2 × 160.00 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"], state="Pending")])  # fmt: skip
    result = book(pay, payouts=[payout("po1", charged(pay))])
    assert [i.external_ref for i in result.bookings()[0].invoices] == ["c-p1"]
    # A payout naming a Pending refund cannot be matched: Nets only pays out completed ones.
    held = book(
        pay, payouts=[payout("po2", refunded(pay), deposit("200.00"))], already_booked={"c-p1"}
    )
    assert "matches no completed refund" in only_held_reason(held)


def test_deposit_in_voucher():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay, fee="2.00"), deposit("50.00"))])
    rows = [(r.account, r.debit, r.credit) for r in result.bookings()[0].voucher.rows]
    assert rows == [(1930, 24800, 0), (1930, 0, 5000), (6040, 200, 0), (1516, 0, 20000)]


def test_refunds_larger_than_charges_put_receivable_on_the_debit_side():
    big = payment("p1", lines=["Jacka 1 × 800.00 @25%"],
                  refunds=[refund("r1", ["Jacka 1 × 800.00 @25%"])])  # fmt: skip
    small = payment("p2", lines=["Mössa 1 × 80.00 @25%"])
    out = payout("po1", charged(small), refunded(big), deposit("1000.00"))
    result = book(big, small, payouts=[out],
                  already_booked={"c-p1"})  # fmt: skip
    rows = [(r.account, r.debit, r.credit) for r in result.bookings()[0].voucher.rows]
    assert rows == [(1930, 10000, 0), (1930, 0, 100000), (1516, 90000, 0)]


def test_broken_payout_formula_is_held_with_the_numbers():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay, fee="3.00"), amount=ore("198.00"))])
    reason = only_held_reason(result)
    assert "amount 198.00 SEK != charged 200.00 − refunded 0.00 − fees 3.00" in reason
    assert "197.00 SEK (off by 1.00)" in reason


def test_header_sums_differing_from_actions_are_held():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    out = payout("po1", charged(pay), chargedAmount=ore("300.00"), amount=ore("300.00"))
    reason = only_held_reason(book(pay, payouts=[out]))
    assert "chargedAmount 300.00 SEK != sum of its actions 200.00 SEK" in reason


def test_ambiguous_match_two_identical_charges_is_held():
    twins = [charge("c1", ["Tröja 1 × 160.00 @25%"]), charge("c2", ["Tröja 1 × 160.00 @25%"])]
    pay = payment("p1", charges=twins)
    result = book(pay, payouts=[payout("po1", charged(pay, "c1"), charged(pay, "c2"))])
    reason = only_held_reason(result)
    assert "matches 2 charges with the same amount: c1 (" in reason and ", c2 (" in reason
    assert "po1" in reason


def test_action_id_equal_to_nothing_matches_by_amount_and_time():
    pay = payment("p1", charges=[charge("c1", ["Tröja 1 × 160.00 @25%"]),
                                 charge("c2", ["Byxor 1 × 400.00 @25%"])])  # fmt: skip
    action = charged(pay, "c2", action_id="zzz-unrelated", at="2024-03-05T16:30:11.221+02:00")
    result = book(pay, payouts=[payout("po1", action)])
    assert [i.external_ref for i in result.bookings()[0].invoices] == ["c2"]


def test_a_charge_already_booked_is_not_matched_again():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay))], already_booked={"c-p1"})
    assert "c-p1, which is already booked" in only_held_reason(result)


def test_currency_eur_is_held():
    pay = payment("p1", lines=["Tröja 1 × 16.00 @25%"], currency="EUR")
    result = book(pay, payouts=[payout("po1", charged(pay), currency="EUR")])
    assert "currency EUR is not booked yet" in only_held_reason(result)


def test_surcharge_is_held():
    pay = payment("p1", charges=[charge("c1", ["Tröja 1 × 160.00 @25%"], surchargeAmount=500)])
    reason = only_held_reason(book(pay, payouts=[payout("po1", charged(pay))]))
    assert "surcharge of 5.00 SEK" in reason


def test_unknown_country_is_held():
    typo = payment("p1", country="SWD", lines=["Tröja 1 × 160.00 @25%"])
    missing = payment("p2", country=None, lines=["Tröja 1 × 160.00 @25%"])
    result = book(
        typo, missing, payouts=[payout("po1", charged(typo)), payout("po2", charged(missing))]
    )
    reasons = {h.payout_id: h.reason for h in result.held}
    assert "unknown country 'SWD'" in reasons["po1"]
    assert "has no address at all" in reasons["po2"]


def test_vat_rate_fortnox_does_not_know_is_held():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @19%"])
    assert "VAT 19 %" in only_held_reason(book(pay, payouts=[payout("po1", charged(pay))]))


def test_missing_payment_details_are_held():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    result = transform([payout("po1", charged(pay))], {}, SETTINGS)
    assert "payment details for p1 are missing" in only_held_reason(result)


def test_charge_amount_not_sum_of_lines_is_held():
    pay = payment("p1", charges=[charge("c1", ["Tröja 1 × 160.00 @25%"], amount=ore("210.00"))])
    reason = only_held_reason(book(pay, payouts=[payout("po1", charged(pay))]))
    assert "amount 210.00 SEK != sum of its order lines 200.00 SEK" in reason


def test_unreadable_payout_is_an_error_and_held_while_others_book():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    bad = payout("po-bad", charged(pay), date="yesterday")
    result = book(pay, payouts=[bad, payout("po1", charged(pay))])
    assert [(e.source, e.payout_id) for e in result.errors] == [("payout", "po-bad")]
    assert [h.payout_id for h in result.held] == ["po-bad"]
    assert [b.payout_id for b in result.bookings()] == ["po1"]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            {"amount": 2**70},
            "paymentActions[0].amount: 1180591620717411303424 minor units is beyond",
        ),
        ("not an action", "paymentActions[0]: 'not an action' is not a payment action"),
    ],
)
def test_a_corrupt_action_holds_its_payout_while_others_book(fault, message):
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    action = {**charged(pay), **fault} if isinstance(fault, dict) else fault
    bad = payout("po-bad", charged(pay))
    bad["paymentActions"] = [action]
    result = book(pay, payouts=[bad, payout("po1", charged(pay))])
    [error] = result.errors
    assert error.payout_id == "po-bad" and message in error.message
    assert [h.payout_id for h in result.held] == ["po-bad"]
    assert [b.payout_id for b in result.bookings()] == ["po1"]


def test_lenient_parsing_missing_summary_and_lowercase_action():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    del pay["payment"]["summary"]
    action = {**charged(pay), "paymentAction": "cHaRgE"}
    out = payout("po1", action)
    del out["depositedAmount"]
    result = book(pay, payouts=[out])
    assert result.held == [] and len(result.bookings()) == 1


def test_empty_input_gives_typed_empty_frames():
    result = transform([], {}, SETTINGS)
    assert result.bookings() == [] and result.held == []
    assert (
        isinstance(result.invoices, pd.DataFrame)
        and str(result.invoices["amount"].dtype) == "int64"
    )


def test_payment_without_any_address_is_booked_to_the_tenants_default_country():
    # merchantHandlesConsumerData: the shop keeps the buyer's data, Nets has no address.
    anonymous = payment("p1", country=None, lines=["Tröja 1 × 160.00 @25%"])
    settings = replace(SETTINGS, default_country="SWE")
    result = transform([payout("po1", charged(anonymous))], payments_by_id(anonymous), settings)
    assert result.held == []
    [invoice] = result.bookings()[0].invoices
    assert [row.account for row in invoice.rows] == [3001]


def test_payment_without_any_address_and_no_default_country_is_held_with_the_fix():
    anonymous = payment("p1", country=None, lines=["Tröja 1 × 160.00 @25%"])
    reason = only_held_reason(book(anonymous, payouts=[payout("po1", charged(anonymous))]))
    assert "has no address at all" in reason and "set default_country" in reason
    assert_documented("has no address at all (the shop handles consumer data")


def test_unknown_payment_action_holds_only_its_payout():
    pay = payment("p1", lines=["Tröja 1 × 160.00 @25%"])
    odd = {**charged(pay), "paymentAction": "Chargeback"}
    result = book(pay, payouts=[payout("po-odd", odd), payout("po1", charged(pay))])
    assert [h.payout_id for h in result.held] == ["po-odd"]
    assert "unknown paymentAction 'Chargeback' (expected Charge, Refund, Deposit)" in (
        result.held[0].reason
    )
    assert_documented("unknown paymentAction 'Chargeback' (expected Charge, Refund, Deposit)")
    assert [b.payout_id for b in result.bookings()] == ["po1"]


def test_payout_of_zero_books_fees_against_the_receivable_without_a_bank_row():
    # The fees ate the whole charge: nothing reached the bank, the receivable is settled.
    pay = payment("p1", lines=["Tröja 1 × 8.00 @25%"])
    result = book(pay, payouts=[payout("po1", charged(pay, fee="10.00"))])
    rows = [(r.account, r.debit, r.credit) for r in result.bookings()[0].voucher.rows]
    assert rows == [(6040, 1000, 0), (1516, 0, 1000)]


def test_payout_where_everything_nets_to_zero_has_an_empty_voucher():
    pay = payment("p1", lines=["Tröja 1 × 80.00 @25%"],
                  refunds=[refund("r1", ["Tröja 1 × 80.00 @25%"])])  # fmt: skip
    result = book(pay, payouts=[payout("po1", charged(pay), refunded(pay))])
    [booking] = result.bookings()
    assert booking.voucher.rows == ()  # the loader posts no voucher: Fortnox refuses empty ones
    assert [i.total for i in booking.invoices] == [10000, -10000]


def test_negative_payout_credits_the_bank():
    # Refunds and fees above the charges and no deposit: Nets took the difference from the
    # bank account. The formula holds, so it is booked like any payout, sides swapped
    # (Fortnox refuses negative amounts; DESIGN "Booking model" 4).
    big = payment("p1", lines=["Jacka 1 × 800.00 @25%"],
                  refunds=[refund("r1", ["Jacka 1 × 800.00 @25%"])])  # fmt: skip
    small = payment("p2", lines=["Mössa 1 × 80.00 @25%"])
    out = payout("po1", charged(small, fee="2.00"), refunded(big))  # amount −902.00
    result = book(big, small, payouts=[out], already_booked={"c-p1"})
    rows = [(r.account, r.debit, r.credit) for r in result.bookings()[0].voucher.rows]
    assert rows == [(1930, 0, 90200), (6040, 200, 0), (1516, 90000, 0)]
