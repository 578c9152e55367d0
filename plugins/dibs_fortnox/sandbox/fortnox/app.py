"""The Fortnox emulator: OAuth, rate limit, the /3/ API over in-memory books, inspection.

``FortnoxApp`` is an ``EmulatorApp`` (request counting, fault injection, /_sandbox/
endpoints) serving many companies ("tenants"); the access token decides which company a
call sees, as a Fortnox token carries its tenant. Every write the emulator accepts is
journaled as (method, route pattern, body) so the contract test can check, at the end of
the session, that each body our client sent matches the official Fortnox schemas.

Example:
    >>> from dibs_fortnox.sandbox.fortnox import demo_company
    >>> app = FortnoxApp(seed=0)
    >>> app.add_company(demo_company(tenant_id="demo")).tenant_id
    'demo'
    >>> app.add_client("client-id", "client-secret", tenant_ids=["demo"])
    >>> with SandboxServer(app) as server:                    # doctest: +SKIP
    ...     requests.post(server.url + "/oauth-v1/token", ...)
"""

from __future__ import annotations

import copy
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from dibs_fortnox.sandbox.fortnox import sales_api, setup_api, voucher_api
from dibs_fortnox.sandbox.fortnox.book import Book
from dibs_fortnox.sandbox.fortnox.call import ApiHandler, Call
from dibs_fortnox.sandbox.fortnox.company import Company
from dibs_fortnox.sandbox.fortnox.oauth import OAuthError, TokenStore
from dibs_fortnox.sandbox.fortnox.ratelimit import SlidingWindowLimiter
from dibs_fortnox.sandbox.fortnox.rules import RATE_LIMITED, FortnoxError, check_scope
from dibs_fortnox.sandbox.fortnox.views import invoice_full, payment_full, voucher_full
from dibs_fortnox.sandbox.router import Request, Response
from dibs_fortnox.sandbox.server import EmulatorApp


@dataclass(frozen=True)
class JournalEntry:
    """One accepted write: method, route pattern (as in the spec's paths) and parsed body."""

    method: str
    route: str
    body: Any


# Every app ever created (weakly) and every journal (strongly, so a journal outlives an app
# that a test let go, and the session-end contract check still sees its bodies).
_APPS: weakref.WeakSet[FortnoxApp] = weakref.WeakSet()
_JOURNALS: list[list[JournalEntry]] = []
_REGISTRY_LOCK = threading.Lock()


def all_apps() -> list[FortnoxApp]:
    """The FortnoxApp instances still alive."""
    with _REGISTRY_LOCK:
        return list(_APPS)


def recorded_journals() -> list[JournalEntry]:
    """Every accepted write of every FortnoxApp created in this process."""
    with _REGISTRY_LOCK:
        return [entry for journal in _JOURNALS for entry in list(journal)]


class FortnoxApp(EmulatorApp):
    """An emulated Fortnox with any number of companies.

    Args:
        seed: seed of the fault injector.
        rate_limit: enforce 25 requests / 5 s per (client, tenant); False for benchmarks.
        token_lifetime_s: lifetime of access tokens (Fortnox: 3600).
        clock: monotonic clock for tokens and the rate limit (inject one in tests).
        today: the date documents default to; None means the real date.
    """

    name = "fortnox"

    def __init__(
        self,
        seed: int = 0,
        rate_limit: bool = True,
        token_lifetime_s: float = 3600,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__(seed)
        self.tokens = TokenStore(token_lifetime_s, clock)
        self.limiter = SlidingWindowLimiter(clock=clock)
        self.rate_limit = rate_limit
        self._today = today or date.today
        self._books: dict[str, Book] = {}
        self._book_lock = threading.Lock()
        self.journal: list[JournalEntry] = []
        with _REGISTRY_LOCK:
            _APPS.add(self)
            _JOURNALS.append(self.journal)
        self.router.route("POST", "/oauth-v1/token")(self._token)
        self.router.route("GET", "/_sandbox/fortnox/{tenant}/trial-balance")(self._inspect_balance)
        self.router.route("GET", "/_sandbox/fortnox/{tenant}/documents")(self._inspect_documents)
        self.router.route("POST", "/_sandbox/fortnox/expire-tokens")(self._inspect_expire)
        setup_api.register(self._api)
        sales_api.register(self._api)
        voucher_api.register(self._api)

    # -- setup -------------------------------------------------------------------------
    def add_company(self, company: Company) -> Company:
        """Add a company (a copy: the caller's object stays as it was)."""
        own = copy.deepcopy(company)
        with self._book_lock:
            self._books[own.tenant_id] = Book(own)
        return own

    def company(self, tenant_id: str) -> Company:
        """The live company record (tests may lock a period or deactivate an account)."""
        return self._book(tenant_id).company

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        tenant_ids: list[str],
        scopes: str | None = None,
    ) -> None:
        """Register an integration, the tenants that consented and (None: all) its scopes."""
        if scopes is None:
            self.tokens.add_client(client_id, client_secret, tenant_ids)
        else:
            self.tokens.add_client(client_id, client_secret, tenant_ids, scopes)

    def issue_authorization_code(self, client_id: str, tenant_id: str) -> str:
        return self.tokens.issue_authorization_code(client_id, tenant_id)

    def expire_tokens(self) -> None:
        self.tokens.expire_tokens()

    # -- inspection (plain Python, for tests) ------------------------------------------
    def trial_balance(self, tenant_id: str) -> dict[int, int]:
        """Account -> debit minus credit in öre, for every account a voucher touched."""
        with self._book_lock:
            return self._book(tenant_id).trial_balance()

    def documents(self, tenant_id: str) -> dict[str, Any]:
        """All invoices, payments and vouchers of a tenant as Fortnox JSON (full views)."""
        with self._book_lock:
            book = self._book(tenant_id)
            return {
                "invoices": [invoice_full(i) for i in book.invoices.values()],
                "payments": [
                    payment_full(p, book.invoices[p.invoice_number]) for p in book.payments.values()
                ],
                "vouchers": [voucher_full(v) for v in book.vouchers.values()],
            }

    def api_writes(self) -> int:
        """POST and PUT requests received on the /3/ API, accepted or not (token calls excluded).

        The exactly-once tests and the demo compare this before and after a re-run.
        """
        return sum(
            count
            for key, count in self.requests_by_route.items()
            if key.split(" ", 1)[0] in ("POST", "PUT") and " /3/" in key
        )

    def stats(self) -> dict[str, Any]:
        return {
            "rate_limited": self.limiter.refused,
            "tokens_issued": self.tokens.issued,
            "accepted_writes": len(self.journal),
            "api_writes": self.api_writes(),
        }

    def _book(self, tenant_id: str) -> Book:
        book = self._books.get(tenant_id)
        if book is None:
            raise KeyError(f"no company with tenant id {tenant_id!r} in the Fortnox sandbox")
        return book

    # -- request path ------------------------------------------------------------------
    def admit(self, request: Request) -> Response | None:
        """Bearer token for /3/, then the rate limit of its (client, tenant)."""
        if not request.path.startswith("/3/"):
            return None
        try:
            grant = self.tokens.authenticate(request.header("Authorization"))
        except FortnoxError as refusal:
            return Response.json(refusal.status, refusal.body())
        if self.rate_limit and not self.limiter.allow((grant.client_id, grant.tenant_id)):
            wait = self.limiter.retry_after((grant.client_id, grant.tenant_id))
            return Response.json(
                429,
                {
                    "ErrorInformation": {
                        "error": 1,
                        "code": RATE_LIMITED,
                        "message": "Too many requests: 25 per 5 seconds per client and tenant "
                        f"(free again in {wait:.1f} s)",
                    }
                },
            )
        return None

    def _api(self, method: str, pattern: str) -> Callable[[ApiHandler], ApiHandler]:
        """Register an API handler wrapped with tenant lookup, locking, errors and journal."""

        def register(handler: ApiHandler) -> ApiHandler:
            def serve(request: Request) -> Response:
                try:
                    grant = self.tokens.authenticate(request.header("Authorization"))
                    with self._book_lock:
                        book = self._books.get(grant.tenant_id)
                        if book is None:
                            raise FortnoxError(
                                403, 2001103, f"Api-licens saknas: no company {grant.tenant_id}"
                            )
                        check_scope(pattern, self.tokens.scopes_of(grant.client_id), book.company)
                        response = handler(Call(request, book, self._today()))
                        if (
                            method in ("POST", "PUT")
                            and response.status < 300
                            and request.body.strip()
                        ):
                            self.journal.append(JournalEntry(method, pattern, request.json()))
                    return response
                except FortnoxError as refusal:
                    return Response.json(refusal.status, refusal.body())

            self.router.route(method, pattern)(serve)
            return handler

        return register

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            payload = self.tokens.token(form, request.headers)
        except OAuthError as refusal:
            return Response.json(refusal.status, refusal.body())
        return Response.json(200, payload, {"Cache-Control": "no-store"})

    def _inspect_balance(self, request: Request) -> Response:
        tenant = request.params["tenant"]
        try:
            balance = self.trial_balance(tenant)
        except KeyError as missing:
            return Response.json(404, {"message": str(missing)})
        return Response.json(
            200, {"tenant": tenant, "balances": {str(a): b for a, b in balance.items()}}
        )

    def _inspect_documents(self, request: Request) -> Response:
        try:
            return Response.json(200, self.documents(request.params["tenant"]))
        except KeyError as missing:
            return Response.json(404, {"message": str(missing)})

    def _inspect_expire(self, request: Request) -> Response:
        self.expire_tokens()
        return Response.json(200, {"expired": True})
