"""Endpoints for vouchers: create, list a series (no rows, as Fortnox lists), get one.

A voucher is unique only by series, number and financial year, so every read takes a
``financialyear`` (the year's Id). Without it the emulator uses the "preselected" year:
the one containing ``fromdate`` when given, else the one containing today, else the last.
"""

from __future__ import annotations

from dibs_fortnox.sandbox.fortnox.call import Call, RouteDecorator, ok
from dibs_fortnox.sandbox.fortnox.documents import Voucher
from dibs_fortnox.sandbox.fortnox.intake import voucher_draft
from dibs_fortnox.sandbox.fortnox.rules import NO_FINANCIAL_YEAR, bad, parse_date, parse_int
from dibs_fortnox.sandbox.fortnox.views import page, voucher_full, voucher_item
from dibs_fortnox.sandbox.router import Response


def _year(call: Call) -> int:
    company = call.book.company
    if call.query.get("financialyear"):
        wanted = parse_int("financialyear", call.query["financialyear"])
        if all(y.id != wanted for y in company.years()):
            raise bad(
                NO_FINANCIAL_YEAR, f"Fiscal year not available: no financial year with Id {wanted}"
            )
        return wanted
    anchor = (
        parse_date("fromdate", call.query["fromdate"]) if call.query.get("fromdate") else call.today
    )
    year = company.preselected_year(anchor)
    if year is None:
        raise bad(NO_FINANCIAL_YEAR, "Fiscal year not available: the company has no financial year")
    return year.id


def _select(call: Call, series: str | None) -> list[Voucher]:
    year = _year(call)
    query = call.query
    low = parse_date("fromdate", query["fromdate"]) if query.get("fromdate") else None
    high = parse_date("todate", query["todate"]) if query.get("todate") else None
    selected = [
        v
        for (s, y, _), v in call.book.vouchers.items()
        if y == year
        and (series is None or s == series)
        and (low is None or v.transaction_date >= low)
        and (high is None or v.transaction_date <= high)
    ]
    return sorted(selected, key=lambda v: (v.series, v.number))


def register(route: RouteDecorator) -> None:
    """Register the voucher endpoints (sublist before get: both match /vouchers/x/y)."""

    @route("POST", "/3/vouchers")
    def create_voucher(call: Call) -> Response:
        draft = voucher_draft(
            call.book.company, call.body("Voucher"), call.query.get("financialyear")
        )
        return ok({"Voucher": voucher_full(call.book.create_voucher(draft))}, 201)

    @route("GET", "/3/vouchers")
    def vouchers(call: Call) -> Response:
        return ok(page(call.query, "Vouchers", _select(call, None), voucher_item))

    @route("GET", "/3/vouchers/sublist")
    def sublist_all(call: Call) -> Response:
        return ok(page(call.query, "Vouchers", _select(call, None), voucher_item))

    @route("GET", "/3/vouchers/sublist/{VoucherSeries}")
    def sublist(call: Call) -> Response:
        series = call.params["VoucherSeries"]
        return ok(page(call.query, "Vouchers", _select(call, series), voucher_item))

    @route("GET", "/3/vouchers/{VoucherSeries}/{VoucherNumber}")
    def voucher(call: Call) -> Response:
        number = parse_int("VoucherNumber", call.params["VoucherNumber"])
        found = call.book.voucher(call.params["VoucherSeries"], number, _year(call))
        return ok({"Voucher": voucher_full(found)})
