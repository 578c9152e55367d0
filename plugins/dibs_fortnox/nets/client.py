"""Nets Easy (DIBS Easy) client: payouts from the Reporting API, payments from the Payment API.

Methods return the API's JSON objects unchanged (numbers as the API sent them: integers of
minor units). That is on purpose: the pipeline stores the raw extract for audit and for
re-running the transform, and the booking module parses it leniently.

Authentication is the merchant's secret key, sent raw in ``Authorization`` (no scheme).
``GET /v1/payments/{id}`` is limited to 30 calls per payment per hour (nets-easy-api §2), so
``get_payment`` consults a ``PaymentCache`` (the state database in production) first.

Example:
    >>> client = NetsClient("https://api.dibspayment.eu", "live-secret-key-...")  # doctest: +SKIP
    >>> payouts = client.list_payouts(date(2026, 3, 2), date(2026, 3, 2))       # doctest: +SKIP
    >>> details = client.get_payout(payouts[0]["id"])                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol
from urllib.parse import quote

import requests

from dibs_fortnox.errors import ConfigError, UnexpectedResponse
from dibs_fortnox.http import JsonHttp, RawKeyAuth
from dibs_fortnox.nets.paging import PageNumberPaginator
from dibs_fortnox.retry import RetryPolicy

SERVICE = "nets"
PLATFORM_TAG = "dibs-fortnox"


class PaymentCache(Protocol):
    """Where fetched payments are kept so one payment is not fetched twice.

    ``get`` returns None when the payment was never stored.
    """

    def get(self, payment_id: str) -> dict[str, Any] | None: ...

    def put(self, payment_id: str, payment: dict[str, Any]) -> None: ...


def decode_nets_error(body: Any) -> tuple[str | None, str]:
    """Read a Nets error body: ``{"errors": {field: [messages]}}`` or ``{message, code, source}``.

    A 401 has no body at all (nets-easy-api §6), which yields (None, "").
    """
    if not isinstance(body, Mapping):
        return None, ""
    errors = body.get("errors")
    if isinstance(errors, Mapping) and errors:
        parts = []
        for field_name, messages in errors.items():
            if isinstance(messages, list):
                text = "; ".join(str(m) for m in messages)
            else:
                text = str(messages)
            parts.append(f"{field_name}: {text}")
        return None, "; ".join(parts)
    code = body.get("code")
    message = body.get("message")
    source = body.get("source")
    detail = str(message) if message else ""
    if source and detail:
        detail += f" (source: {source})"
    return (str(code) if code not in (None, "") else None), detail


def _path_id(value: str, what: str) -> str:
    if not value or not isinstance(value, str):
        raise ConfigError(f"a Nets {what} id is needed, got {value!r}")
    return quote(value, safe="")


class NetsClient:
    """Read payouts and payments of one Nets Easy merchant.

    Args:
        base_url: ``https://api.dibspayment.eu`` (live) or ``https://test.api.dibspayment.eu``.
        secret_key: the merchant's ``live-secret-key-…`` (or test key on the test host).
        session: the ``requests.Session`` to use; a new one when None.
        retry: retry policy; ``RetryPolicy()`` when None.
        payment_cache: consulted before and filled after each payment fetch; None disables.
        tenant: our tenant id, for error messages.
        page_size: items per Reporting API page.
        max_pages: a listing needing more pages raises instead of truncating.
    """

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        payment_cache: PaymentCache | None = None,
        tenant: str | None = None,
        page_size: int = 100,
        max_pages: int = 1000,
    ) -> None:
        if not secret_key:
            raise ConfigError("the Nets secret key is empty: set it in the Airflow connection")
        self._http = JsonHttp(
            base_url,
            service=SERVICE,
            tenant=tenant,
            auth=RawKeyAuth(secret_key),
            session=session,
            retry=retry,
            decode_error=decode_nets_error,
        )
        self.payment_cache = payment_cache
        self.page_size = page_size
        self.max_pages = max_pages

    def __repr__(self) -> str:
        return f"NetsClient({self._http.base_url!r}, tenant={self._http.tenant!r})"

    def _get(self, path: str, operation: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._http.request(
            "GET",
            path,
            operation=operation,
            params=params,
            headers={"CommercePlatformTag": PLATFORM_TAG},
        )

    def list_payouts(
        self, from_date: date, to_date: date, currency: str | None = None
    ) -> list[dict[str, Any]]:
        """Every payout dated ``from_date``..``to_date`` (both inclusive, as the API takes them).

        Args:
            currency: ISO 4217 code to filter on; None returns all currencies.

        Raises:
            UnexpectedResponse: the pages do not add up to ``numberOfPayouts``.
        """
        if to_date < from_date:
            raise ConfigError(f"payout window ends ({to_date}) before it starts ({from_date})")
        base: dict[str, Any] = {"fromDate": from_date.isoformat(), "toDate": to_date.isoformat()}
        if currency:
            base["currency"] = currency
        paginator = PageNumberPaginator(
            "payouts",
            "numberOfPayouts",
            page_size=self.page_size,
            max_pages=self.max_pages,
            operation="list_payouts",
        )
        return paginator.collect(
            lambda page: self._get("/report/v1/payouts", "list_payouts", {**base, **page})
        )

    def get_payout(self, payout_id: str) -> dict[str, Any]:
        """One payout with ALL its ``paymentActions`` (every page merged into the first).

        Raises:
            NotFound: no such payout.
            UnexpectedResponse: the actions do not add up to ``numberOfPaymentActions``.
        """
        path = f"/report/v1/payouts/{_path_id(payout_id, 'payout')}"
        paginator = PageNumberPaginator(
            "paymentActions",
            "numberOfPaymentActions",
            page_size=self.page_size,
            max_pages=self.max_pages,
            operation="get_payout",
        )
        actions = paginator.collect(lambda page: self._get(path, "get_payout", page))
        payout = dict(paginator.first or {})
        if payout.get("id") not in (None, payout_id):
            raise UnexpectedResponse(
                SERVICE,
                "get_payout",
                200,
                tenant=self._http.tenant,
                detail=f"asked for payout {payout_id} but got {payout.get('id')}",
            )
        payout["paymentActions"] = actions
        return payout

    def get_payment(self, payment_id: str, *, refresh: bool = False) -> dict[str, Any]:
        """The ``payment`` object of ``GET /v1/payments/{id}``, from the cache when stored.

        Args:
            refresh: ask Nets even when the cache holds the payment (it may have changed:
                a refund completed, a new charge); the answer replaces the cached one.

        Raises:
            NotFound: no such payment.
            RateLimited: the 30-per-hour limit for this payment is used up.
            UnexpectedResponse: the answer has no ``payment`` object.
        """
        path = f"/v1/payments/{_path_id(payment_id, 'payment')}"
        if self.payment_cache is not None and not refresh:
            cached = self.payment_cache.get(payment_id)
            if cached is not None:
                return cached
        body = self._get(path, "get_payment")
        payment = body.get("payment") if isinstance(body, Mapping) else None
        if not isinstance(payment, dict):
            raise UnexpectedResponse(
                SERVICE,
                "get_payment",
                200,
                tenant=self._http.tenant,
                detail=f"the answer for payment {payment_id} has no 'payment' object",
            )
        if self.payment_cache is not None:
            self.payment_cache.put(payment_id, payment)
        return payment
