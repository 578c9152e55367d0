"""Fortnox's refusals: error codes, the ErrorInformation body, and the parsing of values.

Every refusal the emulator can give is a ``FortnoxError`` carrying the HTTP status, the
``code`` and a message a bookkeeper can act on. Where the real code is documented (the
Fortnox "errors" page, or integrators' help desks quoted in the reference) the emulator
uses it; where no source gives one, it uses a code in the 2999xxx range so that nobody
mistakes a sandbox guess for a real Fortnox number. Messages are Swedish where the real
text is known and English otherwise, with the offending value in them.

Example:
    >>> parse_money("Price", Decimal("12.50"))
    1250
    >>> refusal = FortnoxError(400, UNKNOWN_FIELD, "Felaktigt fältnamn (Pris)")
    >>> refusal.body()["ErrorInformation"]["code"]
    2001399
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from dibs_fortnox import money
from dibs_fortnox.sandbox.fortnox.company import Account, Company, FinancialYear

# Documented codes (Fortnox developer pages "Errors"; reference §3).
SYSTEM_EXCEPTION = 1000003
NOT_NUMERIC = 2000108
INVALID_LOGIN = 2000310
NO_CREDENTIALS = 2000311
LOCKED_PERIOD = 2000401  # "... har låst perioden t.o.m. ..." (integrators' help desks)
INVALID_PARAMETER = 2000588
CUSTOMER_NUMBER_USED = 2000637
ACCOUNT_NOT_FOUND = 2001304
WRONG_BODY = 2001392
UNKNOWN_FIELD = 2001399
BAD_JSON = 2002115

# Sandbox codes: the real refusal exists (messages quoted in the reference) but no source
# gives its number.
INACTIVE_ACCOUNT = 2999001
VAT_RATE = 2999002
PAYMENT_BEFORE_INVOICE = 2999003
ALREADY_BOOKED = 2999004
CANCELLED = 2999005
UNBALANCED_VOUCHER = 2999006
SERIES_NOT_MANUAL = 2999007
NO_FINANCIAL_YEAR = 2999008
UNKNOWN_MODE_OF_PAYMENT = 2999009
UNKNOWN_CURRENCY = 2999010
UNKNOWN_CUSTOMER = 2999011
NOT_FOUND = 2999012
CREDIT_NOT_ALLOWED = 2999013
OVERPAYMENT = 2999014
BOOKED_CANNOT_CANCEL = 2999015
MISSING_FIELD = 2999016
RATE_LIMITED = 2999017
CURRENCY_AMOUNTS = 2999019
BOOKED_CANNOT_DELETE = 2999020
SCOPE_MISSING = 2999020  # integrators see 403 with "behörighet ... scope"; no code published

NO_LICENCE_FOR_SCOPE = 2001101  # "Det finns ingen aktiv licens för önskat scope"

# The scope each API resource needs (Fortnox "Scopes" page; reference §1.5). Vouchers,
# accounts, years and series are "bookkeeping"; the locked period is read under "settings".
SCOPE_OF_RESOURCE = {
    "companyinformation": "companyinformation",
    "currencies": "currency",
    "customers": "customer",
    "invoices": "invoice",
    "invoicepayments": "payment",
    "modesofpayments": "settings",
    "settings": "settings",
    "accounts": "bookkeeping",
    "financialyears": "bookkeeping",
    "voucherseries": "bookkeeping",
    "vouchers": "bookkeeping",
    "euvatlimitregulation": "bookkeeping",
}

VAT_ACCOUNTS: dict[int, Account] = {25: 2611, 12: 2621, 6: 2631}
ALLOWED_VAT = (0, 6, 12, 25)


class FortnoxError(Exception):
    """A refusal, answered as ``{"ErrorInformation": {"error": 1, "message", "code"}}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"ErrorInformation": {"error": 1, "message": self.message, "code": self.code}}


def bad(code: int, message: str) -> FortnoxError:
    """A 400 refusal (most of them)."""
    return FortnoxError(400, code, message)


def not_found(what: str) -> FortnoxError:
    return FortnoxError(404, NOT_FOUND, f"Kan inte hitta {what}.")


# -- bodies ------------------------------------------------------------------------------
def unwrap(body: Any, key: str) -> dict[str, Any]:
    """Return the object under ``key`` (``{"Invoice": {...}}``), or refuse the body."""
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise bad(WRONG_BODY, f"Ingen eller felaktig typ av data: expected an object under '{key}'")
    extra = sorted(set(body) - {key})
    if extra:
        raise bad(UNKNOWN_FIELD, f"Felaktigt fältnamn ({extra[0]})")
    return dict(body[key])


def check_fields(obj: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    """Refuse a body with a field the resource does not have (code 2001399)."""
    unknown = sorted(set(obj) - set(known))
    if unknown:
        raise bad(UNKNOWN_FIELD, f"Felaktigt fältnamn ({unknown[0]}) in {where}")


def require(obj: Mapping[str, Any], name: str, where: str) -> Any:
    value = obj.get(name)
    if value is None or value == "":
        raise bad(MISSING_FIELD, f"{where}: the field {name} is required")
    return value


# -- values ------------------------------------------------------------------------------
def parse_money(name: str, value: Any) -> int:
    """Kronor from JSON (Decimal or int, or a numeric string) -> öre; 2 decimals at most."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})")
    try:
        return money.from_decimal(Decimal(value))
    except money.AmountPrecisionError:
        raise bad(NOT_NUMERIC, f"{name} {value} has more than two decimals") from None
    except (InvalidOperation, ValueError):
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})") from None


def parse_decimal(name: str, value: Any) -> Decimal:
    """A quantity (Fortnox sends ``DeliveredQuantity`` as a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})") from None
    if not parsed.is_finite():
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})")
    return parsed


def parse_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise bad(NOT_NUMERIC, f"Värdet måste vara numeriskt ({name}: {value!r})")


def parse_date(name: str, value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise bad(INVALID_PARAMETER, f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


def parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise bad(2000134, f"Värdet måste vara en boolean ({name}: {value!r})")


# -- company setup -----------------------------------------------------------------------
def check_account(company: Company, account: int) -> Account:
    """The account must exist in the chart and be active."""
    if account not in company.accounts:
        raise bad(ACCOUNT_NOT_FOUND, f"Kunde inte hitta konto {account}")
    if account in company.inactive_accounts:
        raise bad(INACTIVE_ACCOUNT, f'Konto "{account}" är inte aktivt')
    return account


def check_vat(rate: int) -> int:
    if rate not in ALLOWED_VAT:
        raise bad(VAT_RATE, f"Kunde inte hitta moms: VAT rate {rate} % is not 0, 6, 12 or 25")
    return rate


def check_booking_date(company: Company, day: date, what: str) -> FinancialYear:
    """The date needs an open financial year and must lie after the locked period."""
    year = company.financial_year_for(day)
    if year is None:
        raise bad(
            NO_FINANCIAL_YEAR, f"Fiscal year not available: no financial year for {day} ({what})"
        )
    if company.is_locked(day):
        raise bad(
            LOCKED_PERIOD,
            f"{company.name} har låst perioden t.o.m. {company.locked_until}: "
            f"cannot book {what} on {day}",
        )
    return year


def check_currency(company: Company, code: str) -> str:
    if code not in company.currencies:
        raise bad(UNKNOWN_CURRENCY, f"Could not find currency {code}")
    return code


def check_scope(pattern: str, granted: set[str], company: Company) -> None:
    """The token's scopes must cover the resource, and the company must hold its licence."""
    resource = pattern.split("/")[2] if pattern.startswith("/3/") else ""
    scope = SCOPE_OF_RESOURCE.get(resource)
    if scope is None:
        return
    if scope not in granted:
        raise FortnoxError(403, SCOPE_MISSING, f"Har inte behörighet för scope {scope} ({pattern})")
    if scope in company.unlicensed:
        raise FortnoxError(
            403, NO_LICENCE_FOR_SCOPE, f"Det finns ingen aktiv licens för önskat scope ({scope})"
        )


def check_series(company: Company, series: str) -> str:
    if series not in company.voucher_series:
        raise bad(SERIES_NOT_MANUAL, f"Verifikationsserien {series} finns inte")
    if not company.voucher_series[series]:
        raise bad(SERIES_NOT_MANUAL, f"Verifikationsserien är inte manuell ({series})")
    return series
