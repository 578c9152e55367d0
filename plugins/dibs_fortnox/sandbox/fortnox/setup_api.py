"""Endpoints for a company's setup: information, years, accounts, series, modes, currencies.

These are what the onboarding checks read before the first booking (is the account
active, is the series manual, is the receivable a mode of payment, which period is
locked). Modes of payment can also be created, as onboarding may do.
"""

from __future__ import annotations

from decimal import Decimal

from dibs_fortnox.money import to_decimal
from dibs_fortnox.sandbox.fortnox import fields
from dibs_fortnox.sandbox.fortnox.call import Call, RouteDecorator, ok
from dibs_fortnox.sandbox.fortnox.company import FinancialYear
from dibs_fortnox.sandbox.fortnox.rules import (
    bad,
    check_account,
    check_fields,
    not_found,
    parse_date,
    parse_int,
    require,
)
from dibs_fortnox.sandbox.fortnox.views import account, financial_year, page
from dibs_fortnox.sandbox.router import Response

# Illustrative rates (SEK per unit) for the sandbox; real companies fetch them daily.
_RATES = {"SEK": "1", "EUR": "11.50", "NOK": "1.00", "DKK": "1.54", "USD": "10.60"}
_CURRENCY_NAMES = {
    "SEK": "Svenska kronor",
    "EUR": "Euro",
    "NOK": "Norska kronor",
    "DKK": "Danska kronor",
    "USD": "US-dollar",
}


def _currency(code: str) -> dict[str, object]:
    rate = Decimal(_RATES.get(code, "1"))
    return {
        "@url": f"/3/currencies/{code}",
        "Code": code,
        "Description": _CURRENCY_NAMES.get(code, code),
        "BuyRate": rate,
        "SellRate": rate,
        "Unit": Decimal(1),
        "IsAutomatic": code != "SEK",
    }


def _mode(call: Call, code: str) -> dict[str, object]:
    return {
        "@url": f"/3/modesofpayments/{code}",
        "Code": code,
        "Description": call.book.mode_descriptions.get(code, code),
        "AccountNumber": str(call.book.company.modes_of_payment[code]),
    }


def _preselected_year(call: Call) -> FinancialYear | None:
    return call.book.company.preselected_year(call.today)


def register(route: RouteDecorator) -> None:
    """Register the setup endpoints on the app's API router."""

    @route("GET", "/3/companyinformation")
    def company_information(call: Call) -> Response:
        company = call.book.company
        return ok(
            {
                "CompanyInformation": {
                    "CompanyName": company.name,
                    "OrganizationNumber": company.organisation_number,
                    "DatabaseNumber": int(company.tenant_id)
                    if company.tenant_id.isdigit()
                    else company.tenant_id,
                    "Address": "Storgatan 1",
                    "City": "Stockholm",
                    "ZipCode": "111 22",
                    "CountryCode": "SE",
                }
            }
        )

    @route("GET", "/3/financialyears")
    def financial_years(call: Call) -> Response:
        years = call.book.company.years()
        on = call.query.get("date")
        if on:
            day = parse_date("date", on)
            years = [y for y in years if y.contains(day)]
        method = call.book.company.accounting_method
        return ok(
            page(
                call.query,
                "FinancialYears",
                years,
                lambda y: {**financial_year(y), "AccountingMethod": method},
            )
        )

    @route("GET", "/3/financialyears/{Id}")
    def financial_year_by_id(call: Call) -> Response:
        wanted = parse_int("Id", call.params["Id"])
        for year in call.book.company.years():
            if year.id == wanted:
                method = call.book.company.accounting_method
                return ok({"FinancialYear": {**financial_year(year), "AccountingMethod": method}})
        raise not_found(f"räkenskapsår {wanted}")

    @route("GET", "/3/accounts")
    def accounts(call: Call) -> Response:
        year = _preselected_year(call)
        company = call.book.company
        return ok(
            page(
                call.query,
                "Accounts",
                sorted(company.accounts),
                lambda n: account(company, n, year.id if year else None),
            )
        )

    @route("GET", "/3/accounts/{Number}")
    def account_by_number(call: Call) -> Response:
        number = parse_int("Number", call.params["Number"])
        company = call.book.company
        if number not in company.accounts:
            raise not_found(f"kontot {number}")
        year = _preselected_year(call)
        view = account(company, number, year.id if year else None)
        if year is not None:
            brought, carried = call.book.account_balance(number, year.id)
            view["BalanceBroughtForward"] = to_decimal(brought)
            view["BalanceCarriedForward"] = to_decimal(carried)
        return ok({"Account": view})

    def series_view(call: Call, code: str) -> dict[str, object]:
        year = _preselected_year(call)
        return {
            "@url": f"/3/voucherseries/{code}",
            "Code": code,
            "Description": f"Serie {code}",
            "Manual": call.book.company.voucher_series[code],
            "NextVoucherNumber": call.book.next_voucher_number(code, year.id if year else 0),
            "Year": year.id if year else None,
        }

    @route("GET", "/3/voucherseries")
    def voucher_series(call: Call) -> Response:
        codes = sorted(call.book.company.voucher_series)
        return ok(
            page(call.query, "VoucherSeriesCollection", codes, lambda c: series_view(call, c))
        )

    @route("GET", "/3/voucherseries/{Code}")
    def voucher_series_by_code(call: Call) -> Response:
        code = call.params["Code"]
        if code not in call.book.company.voucher_series:
            raise not_found(f"verifikationsserie {code}")
        return ok({"VoucherSeries": series_view(call, code)})

    @route("GET", "/3/modesofpayments")
    def modes(call: Call) -> Response:
        codes = sorted(call.book.company.modes_of_payment)
        return ok(page(call.query, "ModesOfPayments", codes, lambda c: _mode(call, c)))

    @route("GET", "/3/modesofpayments/{Code}")
    def mode_by_code(call: Call) -> Response:
        code = call.params["Code"]
        if code not in call.book.company.modes_of_payment:
            raise not_found(f"betalsätt {code}")
        return ok({"ModeOfPayment": _mode(call, code)})

    @route("POST", "/3/modesofpayments")
    def create_mode(call: Call) -> Response:
        obj = call.body("ModeOfPayment")
        check_fields(obj, fields.MODE_OF_PAYMENT, "ModeOfPayment")
        code = str(require(obj, "Code", "ModeOfPayment"))
        number = check_account(
            call.book.company,
            parse_int("AccountNumber", require(obj, "AccountNumber", "ModeOfPayment")),
        )
        if code in call.book.company.modes_of_payment:
            raise bad(2999018, f"Betalsättet {code} finns redan")
        call.book.company.modes_of_payment[code] = number
        call.book.mode_descriptions[code] = str(obj.get("Description") or code)
        return ok({"ModeOfPayment": _mode(call, code)}, 201)

    @route("GET", "/3/currencies")
    def currencies(call: Call) -> Response:
        return ok(page(call.query, "Currencies", sorted(call.book.company.currencies), _currency))

    @route("GET", "/3/currencies/{Code}")
    def currency_by_code(call: Call) -> Response:
        code = call.params["Code"].upper()
        if code not in call.book.company.currencies:
            raise not_found(f"valuta {code}")
        return ok({"Currency": _currency(code)})

    @route("GET", "/3/settings/lockedperiod")
    def locked_period(call: Call) -> Response:
        until = call.book.company.locked_until
        return ok({"LockedPeriod": {"EndDate": until.isoformat() if until else ""}})
