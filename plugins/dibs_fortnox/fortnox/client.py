"""Fortnox API v3 client for one tenant: one method per operation the booking needs.

Each method sends one documented call (or pages through a list), unwraps the resource key
(``{"Invoice": {...}}`` → the inner dict) and returns plain dicts whose decimal numbers are
``Decimal``. Payloads are plain dicts built by the booking module (kronor as ``Decimal``);
they may be given bare or already wrapped in their resource key.

Writes are sent once. Only a 429 is retried on a write, because Fortnox refuses it before
doing anything; a 5xx or a lost connection raises ``OutcomeUnknown`` and the pipeline looks
the document up (``find_invoice_by_reference``, ``find_voucher_by_description``) before it
decides to send again. Fortnox's search filters match substrings (``ch1`` also finds
``ch10``), so the ``find_*`` methods compare exactly and skip cancelled documents.

Every client has a rate limiter: Fortnox's 25 calls per 5 s sliding window (fortnox-api
§2), counted from answer times so that no margin is needed (``dibs_fortnox.ratelimit``).

Example:
    >>> auth = ClientCredentials("id", "secret", "1234567", AUTH_URL)  # doctest: +SKIP
    >>> fortnox = FortnoxClient("https://api.fortnox.se", auth, tenant="acme")  # doctest: +SKIP
    >>> fortnox.find_invoice_by_reference("01ee00006091b2196937598058c4e488")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from dibs_fortnox.errors import DuplicateReference, UnexpectedResponse, WritesForbidden
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.errors_map import decode_fortnox_error
from dibs_fortnox.fortnox.paging import PAGE_LIMIT, TotalPagesPaginator
from dibs_fortnox.http import JsonHttp
from dibs_fortnox.money import Ore, from_decimal
from dibs_fortnox.ratelimit import Limiter, SlidingWindowLimiter
from dibs_fortnox.retry import RetryPolicy

SERVICE = "fortnox"
Json = dict[str, Any]


def _seg(value: object) -> str:
    """One URL path segment, encoded (document numbers, series codes, account numbers)."""
    return quote(str(value), safe="")


def fortnox_true(value: Any) -> bool:
    """Fortnox booleans arrive as JSON booleans, occasionally as strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _wrap(key: str, payload: Mapping[str, Any]) -> Json:
    """``{key: payload}`` unless the payload is already wrapped in ``key``."""
    if len(payload) == 1 and key in payload and isinstance(payload[key], Mapping):
        return dict(payload)
    return {key: dict(payload)}


class FortnoxClient:
    """The Fortnox operations of one tenant.

    Args:
        base_url: ``https://api.fortnox.se`` (paths start with ``/3/``).
        auth: the tenant's ``ClientCredentials`` (or any object with the same protocol).
        tenant: our tenant id, named in every error.
        session: the ``requests.Session`` to use; a new one when None.
        limiter: the tenant's throttle; ``SlidingWindowLimiter.fortnox()`` when None.
        retry: retry policy; ``RetryPolicy.fortnox()`` when None.
        page_limit: items per page when listing.
        max_pages: a listing needing more pages raises instead of truncating.
    """

    def __init__(
        self,
        base_url: str,
        auth: ClientCredentials,
        *,
        tenant: str,
        session: requests.Session | None = None,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        page_limit: int = PAGE_LIMIT,
        max_pages: int = 200,
    ) -> None:
        self.tenant = tenant
        self.auth = auth
        self.limiter: Limiter = limiter or SlidingWindowLimiter.fortnox()
        self._http = JsonHttp(
            base_url,
            service=SERVICE,
            tenant=tenant,
            auth=auth,
            session=session,
            limiter=self.limiter,
            retry=retry or RetryPolicy.fortnox(),
            decode_error=decode_fortnox_error,
        )
        self.page_limit = page_limit
        self.max_pages = max_pages
        self._writes_forbidden: str | None = None

    def forbid_writes(self, why: str) -> None:
        """Refuse every write from now on (a dry run): reads still go out, writes raise.

        ``why`` names the run in the error, e.g. "tenant acme, day 2026-11-02 is a dry run".
        """
        self._writes_forbidden = why

    def __repr__(self) -> str:
        return f"FortnoxClient({self._http.base_url!r}, tenant={self.tenant!r})"

    # -- plumbing ------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        key: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Json:
        if self._writes_forbidden is not None and method != "GET":
            raise WritesForbidden(
                f"{self._writes_forbidden}: {operation} ({method} {path}) was not sent; "
                "nothing is written to Fortnox in a dry run"
            )
        answer = self._http.request(
            method, path, operation=operation, params=params, json_body=body
        )
        inner = answer.get(key) if isinstance(answer, Mapping) else None
        if not isinstance(inner, dict):
            raise UnexpectedResponse(
                SERVICE,
                operation,
                200,
                tenant=self.tenant,
                detail=f"the answer has no '{key}' object",
            )
        return inner

    def _list(
        self, path: str, operation: str, key: str, params: Mapping[str, Any] | None = None
    ) -> list[Json]:
        paginator = TotalPagesPaginator(
            key,
            operation=operation,
            tenant=self.tenant,
            limit=self.page_limit,
            max_pages=self.max_pages,
        )
        return paginator.collect(
            lambda page: self._http.request(
                "GET", path, operation=operation, params={**(params or {}), **page}
            )
        )

    # -- company and settings ------------------------------------------------------------
    def company_information(self) -> Json:
        """``CompanyInformation`` (name, organisation number, ``DatabaseNumber`` = TenantId)."""
        return self._call(
            "GET", "/3/companyinformation", "company_information", "CompanyInformation"
        )

    def eu_vat_limit(self, year: int) -> Json:
        """Fortnox's own OSS threshold check for a calendar year (``IsOverLimit``, ``Limit``)."""
        return self._call(
            "GET",
            "/3/euvatlimitregulation",
            "eu_vat_limit",
            "EUVatLimitRegulation",
            params={"year": str(year)},
        )

    def financial_years(self, on: date | None = None) -> list[Json]:
        """Financial years; only the one containing ``on`` when given (None: all of them)."""
        params = {"date": on.isoformat()} if on else None
        return self._list("/3/financialyears", "financial_years", "FinancialYears", params)

    def get_account(self, number: int) -> Json:
        """One account (``Active``, ``VATCode``, ...). Raises ``NotFound`` if missing."""
        return self._call("GET", f"/3/accounts/{_seg(number)}", "get_account", "Account")

    def account_balance(self, number: int) -> Ore:
        """The account's balance now, in öre (debit − credit).

        Fortnox gives it as ``BalanceCarriedForward`` of the single account in the current
        financial year: the balance brought forward plus every voucher of the year so far
        (fortnox_AccountSingleItem in the OpenAPI document; the list item lacks it).
        """
        account = self.get_account(number)
        value = account.get("BalanceCarriedForward")
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise UnexpectedResponse(
                SERVICE,
                "get_account",
                200,
                tenant=self.tenant,
                detail=f"account {number} has no BalanceCarriedForward",
            )
        return from_decimal(Decimal(str(value)))

    def list_accounts(self, financial_year: int | None = None) -> list[Json]:
        """The chart of accounts of ``financial_year`` (Fortnox's ``Id``; None: the current)."""
        params = {"financialyear": str(financial_year)} if financial_year is not None else None
        return self._list("/3/accounts", "list_accounts", "Accounts", params)

    def get_mode_of_payment(self, code: str) -> Json:
        """One mode of payment (betalsätt) with its ``AccountNumber``."""
        return self._call(
            "GET", f"/3/modesofpayments/{_seg(code)}", "get_mode_of_payment", "ModeOfPayment"
        )

    def create_mode_of_payment(self, code: str, account: int, description: str) -> Json:
        """Create a mode of payment (betalsätt) booking to ``account`` (sent once)."""
        # The OpenAPI schema types AccountNumber as a string.
        mode = {"Code": code, "Description": description, "AccountNumber": str(account)}
        body = {"ModeOfPayment": mode}
        return self._call(
            "POST", "/3/modesofpayments", "create_mode_of_payment", "ModeOfPayment", body=body
        )

    def list_voucher_series(self) -> list[Json]:
        """Voucher series with ``Code`` and ``Manual`` (manual vouchers allowed)."""
        return self._list("/3/voucherseries", "list_voucher_series", "VoucherSeriesCollection")

    def locked_period(self) -> Json:
        """``LockedPeriod``; its ``EndDate`` is empty or missing when nothing is locked."""
        return self._call("GET", "/3/settings/lockedperiod", "locked_period", "LockedPeriod")

    # -- customers -----------------------------------------------------------------------
    def list_customers(self) -> list[Json]:
        """Every customer."""
        return self._list("/3/customers", "list_customers", "Customers")

    def get_customer(self, number: str) -> Json:
        """One customer with every field (the list lacks ``VATNumber``, ``VATType``...)."""
        return self._call("GET", f"/3/customers/{_seg(number)}", "get_customer", "Customer")

    def create_customer(self, payload: Mapping[str, Any]) -> Json:
        """Create a customer (sent once; see the module docstring)."""
        return self._call(
            "POST", "/3/customers", "create_customer", "Customer", body=_wrap("Customer", payload)
        )

    # -- invoices ------------------------------------------------------------------------
    def list_invoices(
        self,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
        external_ref1: str | None = None,
        your_order_number: str | None = None,
    ) -> list[Json]:
        """Invoices (list items, without rows), every page.

        Fortnox takes one resource filter at a time, so ``external_ref1`` and
        ``your_order_number`` cannot be combined; both are substring matches.
        """
        if external_ref1 is not None and your_order_number is not None:
            raise ValueError("Fortnox filters on one field at a time: pick one reference")
        params: dict[str, str] = {}
        if from_date is not None:
            params["fromdate"] = from_date.isoformat()
        if to_date is not None:
            params["todate"] = to_date.isoformat()
        if external_ref1 is not None:
            params["externalinvoicereference1"] = external_ref1
        if your_order_number is not None:
            params["yourordernumber"] = your_order_number
        return self._list("/3/invoices", "list_invoices", "Invoices", params)

    def find_invoice_by_reference(self, ref: str, *, ignore: Collection[str] = ()) -> Json | None:
        """The live invoice whose ``ExternalInvoiceReference1`` is exactly ``ref``.

        Returns None when there is none (cancelled ones, and the DocumentNumbers in
        ``ignore``, e.g. invoices a reversal took back, do not count).

        Raises:
            DuplicateReference: more than one live invoice carries ``ref``.
        """
        if not ref:
            raise ValueError("an empty reference matches every invoice")
        hits = [
            item
            for item in self.list_invoices(external_ref1=ref)
            if str(item.get("ExternalInvoiceReference1") or "") == ref
            and not fortnox_true(item.get("Cancelled"))
            and str(item.get("DocumentNumber")) not in ignore
        ]
        if len(hits) > 1:
            numbers = ", ".join(str(h.get("DocumentNumber")) for h in hits)
            raise DuplicateReference(
                f"Fortnox (tenant '{self.tenant}') holds {len(hits)} invoices with reference "
                f"{ref!r} (numbers {numbers}): credit or cancel the extra ones before booking "
                "continues"
            )
        return hits[0] if hits else None

    def get_invoice(self, number: int | str) -> Json:
        """One invoice with its rows."""
        return self._call("GET", f"/3/invoices/{_seg(number)}", "get_invoice", "Invoice")

    def create_invoice(self, payload: Mapping[str, Any]) -> Json:
        """Create an invoice (sent once; see the module docstring)."""
        return self._call(
            "POST", "/3/invoices", "create_invoice", "Invoice", body=_wrap("Invoice", payload)
        )

    def bookkeep_invoice(self, number: int | str) -> Json:
        """Bookkeep an invoice: Fortnox posts D 1510 / C sales / C VAT."""
        return self._call(
            "PUT", f"/3/invoices/{_seg(number)}/bookkeep", "bookkeep_invoice", "Invoice"
        )

    def cancel_invoice(self, number: int | str) -> Json:
        """Cancel an invoice that is not bookkept yet."""
        return self._call("PUT", f"/3/invoices/{_seg(number)}/cancel", "cancel_invoice", "Invoice")

    # -- invoice payments ----------------------------------------------------------------
    def list_invoice_payments(self, invoice_number: int | str) -> list[Json]:
        """Payments registered on one invoice."""
        return self._list(
            "/3/invoicepayments",
            "list_invoice_payments",
            "InvoicePayments",
            {"invoicenumber": str(invoice_number)},
        )

    def get_invoice_payment(self, number: int | str) -> Json:
        """One invoice payment with its mode of payment and account."""
        return self._call(
            "GET",
            f"/3/invoicepayments/{_seg(number)}",
            "get_invoice_payment",
            "InvoicePayment",
        )

    def create_invoice_payment(self, payload: Mapping[str, Any]) -> Json:
        """Register a payment on an invoice (sent once)."""
        return self._call(
            "POST",
            "/3/invoicepayments",
            "create_invoice_payment",
            "InvoicePayment",
            body=_wrap("InvoicePayment", payload),
        )

    def bookkeep_invoice_payment(self, number: int | str) -> Json:
        """Bookkeep a payment: Fortnox posts D mode-of-payment account / C 1510."""
        return self._call(
            "PUT",
            f"/3/invoicepayments/{_seg(number)}/bookkeep",
            "bookkeep_invoice_payment",
            "InvoicePayment",
        )

    # -- vouchers ------------------------------------------------------------------------
    def create_voucher(self, payload: Mapping[str, Any], financial_year: int | None = None) -> Json:
        """Create a manual voucher (sent once); the year follows ``TransactionDate`` if None."""
        params = {"financialyear": str(financial_year)} if financial_year is not None else None
        return self._call(
            "POST",
            "/3/vouchers",
            "create_voucher",
            "Voucher",
            params=params,
            body=_wrap("Voucher", payload),
        )

    def _years_between(self, from_date: date, to_date: date) -> list[int]:
        ids = []
        for year in self.financial_years():
            try:
                starts = date.fromisoformat(str(year.get("FromDate")))
                ends = date.fromisoformat(str(year.get("ToDate")))
            except ValueError:
                continue
            if starts <= to_date and ends >= from_date:
                ids.append(int(year["Id"]))
        return ids

    def list_vouchers(
        self, series: str, *, from_date: date, to_date: date, financial_year: int | None = None
    ) -> list[Json]:
        """Vouchers of one series dated ``from_date``..``to_date`` (list items, no rows).

        Vouchers live per financial year, so without ``financial_year`` every year that
        overlaps the dates is listed (one extra call to find them).
        """
        years = (
            [financial_year]
            if financial_year is not None
            else self._years_between(from_date, to_date)
        )
        found: list[Json] = []
        for year in years:
            found.extend(
                self._list(
                    f"/3/vouchers/sublist/{_seg(series)}",
                    "list_vouchers",
                    "Vouchers",
                    {
                        "financialyear": str(year),
                        "fromdate": from_date.isoformat(),
                        "todate": to_date.isoformat(),
                    },
                )
            )
        return found

    def get_voucher(
        self, series: str, number: int | str, financial_year: int | None = None
    ) -> Json:
        """One voucher with its rows; ``financial_year`` None means the current year."""
        params = {"financialyear": str(financial_year)} if financial_year is not None else None
        return self._call(
            "GET",
            f"/3/vouchers/{_seg(series)}/{_seg(number)}",
            "get_voucher",
            "Voucher",
            params=params,
        )

    def find_voucher_by_description(
        self,
        series: str,
        from_date: date,
        to_date: date,
        description: str,
        *,
        financial_year: int | None = None,
        ignore: Collection[str] = (),
    ) -> Json | None:
        """The voucher of ``series`` in the dates whose ``Description`` is exactly ``description``.

        Returns None when there is none. ``financial_year`` saves the call that finds the
        years overlapping the dates. ``ignore`` holds vouchers that do not count, as
        ``series-number-year`` handles (those a reversal took back).

        Raises:
            DuplicateReference: more than one voucher carries the description.
        """
        if not description:
            raise ValueError("an empty description matches every voucher")
        hits = [
            v
            for v in self.list_vouchers(
                series, from_date=from_date, to_date=to_date, financial_year=financial_year
            )
            if str(v.get("Description") or "") == description
            and f"{v.get('VoucherSeries')}-{v.get('VoucherNumber')}-{v.get('Year', '')}"
            not in ignore
        ]
        if len(hits) > 1:
            numbers = ", ".join(f"{v.get('VoucherSeries')}{v.get('VoucherNumber')}" for v in hits)
            raise DuplicateReference(
                f"Fortnox (tenant '{self.tenant}') holds {len(hits)} vouchers described "
                f"{description!r} ({numbers}): reverse the extra ones before booking continues"
            )
        return hits[0] if hits else None
