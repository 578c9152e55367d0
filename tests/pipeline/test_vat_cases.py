"""One named case per VAT rule, booked through the pipeline into the Fortnox emulator.

Each test builds a payment and its payout in the booking notation, runs the day over HTTP
(Nets emulator → pipeline → Fortnox emulator) and compares the voucher Fortnox booked for
the invoice (series B: D 1510 / C sales / C output VAT) with rows computed by hand here,
as (account, debit, credit) in öre. The payout voucher (series A) is checked where the
case is about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.money import from_decimal
from dibs_fortnox.pipeline.steps import execute
from dibs_fortnox.tenants import OssRate
from tests.booking.booking_notation import charge, charged, payout, refund, refunded
from tests.pipeline.world import TENANT, World, make_world

DAY = date(2026, 11, 6)
AT = "2026-11-05T10:00:00.0000+01:00"
LATER = "2026-11-05T15:00:00.0000+01:00"
Row = tuple[int, int, int]


def buyer(pid: str, country: str, *charges: dict[str, Any], company: dict[str, str] | None = None,
          refunds: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "paymentId": pid,
        "summary": {"chargedAmount": sum(c["amount"] for c in charges)},
        "consumer": {
            "shippingAddress": {"country": country},
            "privatePerson": {},
            "company": company or {},
        },  # fmt: skip
        "orderDetails": {"amount": 0, "currency": "SEK", "reference": f"o-{pid}"},
        "charges": list(charges),
        "refunds": list(refunds or []),
    }


def wrapped(pay: dict[str, Any]) -> dict[str, Any]:
    return {"payment": pay}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    worlds: list[World] = []

    def build(
        payments: list[dict[str, Any]], payouts: list[dict[str, Any]], **tenant: Any
    ) -> World:
        def replace(scenario: Any) -> None:
            scenario.payments[:] = payments
            scenario.payouts[:] = payouts

        home = tmp_path / str(len(worlds))
        home.mkdir()
        world = make_world(home, mutate=replace)
        world.tenant = TENANT.model_copy(update=tenant)
        worlds.append(world)
        return world

    yield build
    for world in worlds:
        world.close()


def run(world: World, day: date = DAY) -> dict[str, Any]:
    return world.run_day_tolerating_held(day)


def invoice_vouchers(world: World) -> list[set[Row]]:
    """Rows of every voucher bookkeeping made for an invoice, in invoice order."""
    docs = world.fortnox_app.documents(world.tenant.id)
    found = []
    for voucher in sorted(docs["vouchers"], key=lambda v: int(v["VoucherNumber"])):
        if voucher["ReferenceType"] != "INVOICE":
            continue
        found.append({(int(r["Account"]), _ore(r["Debit"]), _ore(r["Credit"]))
                      for r in voucher["VoucherRows"]})  # fmt: skip
    return found


def payout_voucher(world: World) -> set[Row]:
    docs = world.fortnox_app.documents(world.tenant.id)
    (voucher,) = [v for v in docs["vouchers"] if v["VoucherSeries"] == "A"]
    return {
        (int(r["Account"]), _ore(r["Debit"]), _ore(r["Credit"])) for r in voucher["VoucherRows"]
    }


def customers(world: World) -> list[dict[str, Any]]:
    book = world.fortnox_app._book(world.tenant.id)  # noqa: SLF001 - inspection in a test
    return [c.fields for c in book.customers.values()]


def _ore(value: Any) -> int:
    return from_decimal(Decimal(str(value)))


def one_line(pid: str, country: str, text: str, **kwargs: Any) -> tuple[dict, dict]:
    pay = buyer(pid, country, charge(f"c-{pid}", [text], at=AT), **kwargs)
    return pay, payout("po1", charged(wrapped(pay)), day=DAY.isoformat())


@pytest.mark.parametrize(
    ("rate", "sales", "vat_account", "vat"),
    [(25, 3001, 2611, 2500), (12, 3002, 2621, 1200), (6, 3003, 2631, 600)],
)
def test_swedish_rate_books_its_own_sales_and_vat_account(make, rate, sales, vat_account, vat):
    pay, out = one_line("p1", "SWE", f"Vara 1 × 100.00 @{rate}%")
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [{(1510, 10000 + vat, 0), (sales, 0, 10000),
                                        (vat_account, 0, vat)}]  # fmt: skip


def test_swedish_zero_rate_books_on_3004_without_vat(make):
    pay, out = one_line("p1", "SWE", "Tidning 1 × 100.00 @0%")
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [{(1510, 10000, 0), (3004, 0, 10000)}]


def test_eu_consumer_below_oss_pays_swedish_vat_on_3106(make):
    pay, out = one_line("p1", "DEU", "Tröja 1 × 200.00 @25%")
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [{(1510, 25000, 0), (3106, 0, 20000), (2611, 0, 5000)}]
    (customer,) = customers(world)
    assert (customer["VATType"], customer["CountryCode"]) == ("EUVAT", "DE")


def test_eu_consumer_at_a_foreign_rate_without_oss_is_held(make):
    pay, out = one_line("p1", "DEU", "Tröja 1 × 200.00 @19%")
    world = make([pay], [out])
    summary = run(world)
    (held,) = summary["reconcile"]["held"]
    assert "VAT 19 %, not a Swedish rate" in held and "oss: true" in held
    assert invoice_vouchers(world) == []


OSS = {"DEU": {19: OssRate(sales=3111, vat=2681)}, "FRA": {20: OssRate(sales=3113, vat=2682)}}


def test_eu_consumers_above_oss_book_each_countrys_vat_on_its_own_accounts(make):
    de = buyer("p-de", "DEU", charge("c-de", ["Tröja 1 × 100.00 @19%"], at=AT))
    fr = buyer("p-fr", "FRA", charge("c-fr", ["Tröja 1 × 100.00 @20%"], at=LATER))
    out = payout("po1", charged(wrapped(de)), charged(wrapped(fr)), day=DAY.isoformat())
    world = make([de, fr], [out], oss=True, oss_countries=OSS)
    run(world)
    assert invoice_vouchers(world) == [
        {(1510, 11900, 0), (3111, 0, 10000), (2681, 0, 1900)},
        {(1510, 12000, 0), (3113, 0, 10000), (2682, 0, 2000)},
    ]
    balance = world.fortnox_app.trial_balance("demo")
    assert 2611 not in balance  # nothing of it in the Swedish VAT return
    assert {c["CountryCode"] for c in customers(world)} == {"DE", "FR"}


def test_oss_rate_missing_from_the_tenant_table_is_held_naming_country_and_rate(make):
    pay, out = one_line("p1", "DEU", "Bok 1 × 100.00 @7%")
    world = make([pay], [out], oss=True, oss_countries=OSS)
    (held,) = run(world)["reconcile"]["held"]
    assert "to DEU has VAT 7 %, which has no OSS accounts" in held


def test_oss_account_without_vat_code_in_fortnox_stops_the_day_in_preflight(make):
    pay, out = one_line("p1", "DEU", "Tröja 1 × 100.00 @19%")
    world = make([pay], [out], oss=True, oss_countries=OSS)
    del world.fortnox_app.company("demo").vat_codes[3111]
    with pytest.raises(ConfigError, match="OSS DEU 19 %: sales account 3111 has no VAT code"):
        for step in ("extract", "transform", "load"):
            execute(world.context(DAY), step)
    assert world.fortnox_writes() == 0


def test_fortnox_over_the_oss_threshold_stops_swedish_vat_on_eu_consumers(make):
    pay, out = one_line("p1", "DEU", "Tröja 1 × 100.00 @25%")
    world = make([pay], [out])
    world.fortnox_app.company("demo").eu_sales_over_limit = True
    with pytest.raises(ConfigError, match="over the OSS threshold"):
        for step in ("extract", "transform", "load"):
            execute(world.context(DAY), step)


def test_cash_method_company_is_refused_in_preflight(make):
    pay, out = one_line("p1", "SWE", "Tröja 1 × 100.00 @25%")
    world = make([pay], [out])
    world.fortnox_app.company("demo").accounting_method = "CASH"
    with pytest.raises(ConfigError, match="cash method"):
        for step in ("extract", "transform", "load"):
            execute(world.context(DAY), step)
    assert world.fortnox_writes() == 0


def test_eu_business_with_vat_number_is_reverse_charge_on_3108(make):
    company = {"name": "Muster GmbH", "registrationNumber": "DE 123 456 789"}
    pay, out = one_line("p1", "DEU", "Maskin 1 × 1000.00 @0%", company=company)
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [{(1510, 100000, 0), (3108, 0, 100000)}]
    (customer,) = customers(world)
    assert (customer["Type"], customer["VATType"], customer["VATNumber"]) == (
        "COMPANY", "EUREVERSEDVAT", "DE123456789")  # fmt: skip
    (invoice,) = world.fortnox_app.documents("demo")["invoices"]
    assert "Omvänd skattskyldighet" in invoice["Remarks"] and "DE123456789" in invoice["Remarks"]


def test_eu_company_without_vat_number_follows_consumer_rules(make):
    pay, out = one_line("p1", "DEU", "Maskin 1 × 100.00 @0%", company={"name": "Muster GmbH"})
    world = make([pay], [out])
    (held,) = run(world)["reconcile"]["held"]
    assert "VAT 0 % but no buyer VAT number" in held


def test_export_books_3105_without_vat_and_an_export_customer(make):
    pay, out = one_line("p1", "USA", "Tröja 1 × 160.00 @0%")
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [{(1510, 16000, 0), (3105, 0, 16000)}]
    (customer,) = customers(world)
    assert (customer["VATType"], customer["CountryCode"]) == ("EXPORT", "US")


def test_export_line_with_vat_is_held(make):
    pay, out = one_line("p1", "NOR", "Tröja 1 × 160.00 @25%")
    world = make([pay], [out])
    (held,) = run(world)["reconcile"]["held"]
    assert "outside the EU) carries VAT 25 %" in held


def test_one_ore_rounding_goes_on_3740_and_the_invoice_equals_the_charge(make):
    # 25 % of 160.03 is 40.0075 → Fortnox 40.01; Nets said 40.00: 1 öre on the rounding row.
    pay, out = one_line("p1", "SWE", "Tröja 1 × 160.03 @25% tax=40.00")
    world = make([pay], [out])
    run(world)
    assert invoice_vouchers(world) == [
        {(1510, 20003, 0), (3001, 0, 16003), (2611, 0, 4001), (3740, 1, 0)}
    ]
    assert payout_voucher(world) == {(1930, 20003, 0), (1516, 0, 20003)}


def test_tax_amount_off_by_more_than_the_limit_holds_the_payout_naming_the_line(make):
    pay, out = one_line("p1", "SWE", "Tröja 1 × 100.00 @25% tax=0.00")
    world = make([pay], [out])
    (held,) = run(world)["reconcile"]["held"]
    assert "line 'Tröja' has taxAmount 0.00 SEK but 25 % of 100.00 is 25.00" in held
    assert world.fortnox_writes() == 0


def test_payout_vat_figure_differing_from_the_lines_holds_the_payout(make):
    pay, _ = one_line("p1", "SWE", "Tröja 1 × 100.00 @25%")
    action = {**charged(wrapped(pay)), "vatAmount": 2400}
    world = make([pay], [payout("po1", action, day=DAY.isoformat())])
    (held,) = run(world)["reconcile"]["held"]
    assert "the payout reports VAT 24.00 SEK but its order lines add up to 25.00" in held


def test_two_partial_refunds_of_one_charge_credit_once_linked_then_stand_alone(make):
    lines = ["Tröja 1 × 100.00 @25%", "Byxor 1 × 200.00 @25%"]
    refunds = [refund("r1", ["Tröja 1 × 100.00 @25%"], at="2026-11-05T16:00:00+01:00"),
               refund("r2", ["Byxor 1 × 200.00 @25%"], at="2026-11-05T17:00:00+01:00")]  # fmt: skip
    pay = buyer("p1", "SWE", charge("c1", lines, at=AT), refunds=refunds)
    out = payout("po1", charged(wrapped(pay)), refunded(wrapped(pay), "r1"),
                 refunded(wrapped(pay), "r2"), day=DAY.isoformat())  # fmt: skip
    world = make([pay], [out])
    run(world)
    invoices = world.fortnox_app.documents("demo")["invoices"]
    original, first, second = sorted(invoices, key=lambda i: int(i["DocumentNumber"]))
    assert original["CreditInvoiceReference"] == first["DocumentNumber"]
    assert first["Credit"] is True and second["Credit"] is False
    assert f"Kreditering av faktura {original['DocumentNumber']}" in second["Remarks"]
    assert invoice_vouchers(world) == [
        {(1510, 37500, 0), (3001, 0, 30000), (2611, 0, 7500)},
        {(1510, 0, 12500), (3001, 10000, 0), (2611, 2500, 0)},
        {(1510, 0, 25000), (3001, 20000, 0), (2611, 5000, 0)},
    ]
    balance = world.fortnox_app.trial_balance("demo")
    assert [balance.get(a, 0) for a in (1510, 1516, 3001, 2611)] == [0, 0, 0, 0]


def test_payments_send_currency_amounts_and_vouchers_the_financial_year(make):
    pay, out = one_line("p1", "SWE", "Tröja 1 × 100.00 @25%")
    world = make([pay], [out])
    run(world)
    writes = {(j.method, j.route): j.body for j in world.fortnox_app.journal}
    payment = writes[("POST", "/3/invoicepayments")]["InvoicePayment"]
    assert (payment["AmountCurrency"], payment["CurrencyRate"]) == (payment["Amount"], 1)
    voucher = writes[("POST", "/3/vouchers")]["Voucher"]
    assert voucher["Year"] == 2  # and in ?financialyear=, so never the preselected year
    assert {r["TransactionInformation"] for r in voucher["VoucherRows"]} == {"Nets po1"}
    (booked,) = [v for v in world.fortnox_app.documents("demo")["vouchers"]
                 if v["VoucherSeries"] == "A"]  # fmt: skip
    assert booked["Year"] == 2  # the emulator's 2026


def test_invoice_round_off_in_fortnox_leaves_the_invoice_unbookkept_with_the_fix(make):
    pay, out = one_line("p1", "SWE", "Tröja 1 × 160.03 @25% tax=40.00")
    world = make([pay], [out])
    world.fortnox_app.company("demo").invoice_round_off = True
    with pytest.raises(Exception, match="RoundOff -0.03: turn off öresavrundning"):
        for step in ("extract", "transform", "load"):
            execute(world.context(DAY), step)
    (invoice,) = world.fortnox_app.documents("demo")["invoices"]
    assert invoice["Booked"] is False and invoice["Total"] == Decimal("200.00")


def test_companies_are_customers_by_vat_number_found_again_after_a_lost_state(make):
    one = buyer(
        "p1",
        "DEU",
        charge("c1", ["Maskin 1 × 100.00 @0%"], at=AT),
        company={"name": "Muster GmbH", "registrationNumber": "DE123456789"},
    )
    two = buyer("p2", "DEU", charge("c2", ["Maskin 1 × 200.00 @0%"], at=LATER),
                company={"name": "Muster GmbH", "registrationNumber": "DE987654321"})  # fmt: skip
    out = payout("po1", charged(wrapped(one)), charged(wrapped(two)), day=DAY.isoformat())
    world = make([one, two], [out])
    run(world)
    assert sorted(c["VATNumber"] for c in customers(world)) == ["DE123456789", "DE987654321"]
    writes = world.fortnox_writes()
    assert world.ledger.forget_documents("demo") > 0
    run(world)
    assert world.fortnox_writes() == writes
    assert len(customers(world)) == 2
