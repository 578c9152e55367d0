"""Fortnox OAuth with client credentials: one access token per tenant, refreshed by itself.

Since the legacy API codes died (30 April 2025) a server integration gets its tokens with
``grant_type=client_credentials``: ``POST {auth_url}/oauth-v1/token``, Basic auth with the
client id and secret, and the customer's ``TenantId`` in a header. The answer holds an
access token valid ``expires_in`` seconds (3600) and no refresh token (fortnox-api §1.4).

The token is fetched lazily, kept until shortly before it expires, and fetched again behind
a lock, so parallel calls of one client never ask twice. When the API answers 401 anyway
(revoked, or the server's clock disagrees), ``refresh_after_401`` fetches a new token once
unless another thread already did; ``JsonHttp`` then repeats the request once.

Building the token request and reading its answer are separate methods so a subclass can
change either (another grant, another endpoint) without touching the caching.

Example:
    >>> auth = ClientCredentials("id", "secret", "1234567", AUTH_URL)  # doctest: +SKIP
    >>> auth.headers()["Authorization"][:7]  # doctest: +SKIP
    'Bearer '
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from dibs_fortnox.errors import ApiError, AuthFailed, BadRequest, ConfigError, UnexpectedResponse
from dibs_fortnox.fortnox.errors_map import decode_token_error
from dibs_fortnox.http import JsonHttp
from dibs_fortnox.retry import RetryPolicy

SERVICE = "fortnox-auth"
TOKEN_PATH = "/oauth-v1/token"
DEFAULT_LIFETIME_S = 3600  # Fortnox access tokens live one hour (fortnox-api §1.2)

# OAuth error codes that mean "this tenant has not (or no longer) let the app in".
_NO_CONSENT = {"invalid_grant", "unauthorized_client", "access_denied", "consent_required"}


@dataclass(frozen=True)
class Token:
    """An access token and when (on the auth object's clock) to stop using it."""

    access_token: str
    refresh_at: float
    scope: str | None = None  # the scopes the token endpoint named; None when it named none

    def usable(self, now: float) -> bool:
        return now < self.refresh_at


@dataclass(frozen=True)
class TokenRequest:
    """What to send to the token endpoint."""

    path: str
    form: dict[str, str]
    headers: dict[str, str]


class ClientCredentials:
    """Bearer tokens for one Fortnox tenant via the client-credentials grant.

    Args:
        client_id: the integration's client id (Airflow connection login).
        client_secret: its secret (connection password); never logged.
        tenant_id: the customer's Fortnox TenantId (= ``DatabaseNumber``).
        auth_url: ``https://apps.fortnox.se`` in production.
        session: the ``requests.Session`` to use; a new one when None.
        clock: monotonic seconds, for expiry (tests pass a fake).
        margin_s: stop using a token this long before it expires.
        retry: retry policy for the token call; ``RetryPolicy()`` when None.
        conn_hint: how the person reading an error finds the credentials (e.g. the
            Airflow connection id).
        reconnect_hint: the command that gives the consent again, named when Fortnox says
            the tenant's consent is missing or revoked (empty: none is named).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        auth_url: str,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        margin_s: float = 60.0,
        retry: RetryPolicy | None = None,
        conn_hint: str = "the Airflow connection",
        reconnect_hint: str = "",
    ) -> None:
        if not (client_id and client_secret and tenant_id):
            raise ConfigError(
                "Fortnox needs a client id, a client secret and a tenant id: fill in "
                f"{conn_hint} (login, password, extra.tenant_id)"
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.tenant_id = str(tenant_id)
        self.auth_url = auth_url.rstrip("/")
        self._clock = clock
        self.margin_s = margin_s
        self.conn_hint = conn_hint
        self.reconnect_hint = reconnect_hint
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        self._http = JsonHttp(
            self.auth_url,
            service=SERVICE,
            tenant=self.tenant_id,
            session=session,
            retry=retry,
            decode_error=decode_token_error,
            extra_secrets=(client_secret, self._basic),
        )
        self._token: Token | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, tenant_id={self.tenant_id!r})"

    # -- overridable pieces --------------------------------------------------------------
    def build_token_request(self) -> TokenRequest:
        """The client-credentials request: Basic auth, ``TenantId`` header, form grant."""
        return TokenRequest(
            path=TOKEN_PATH,
            form={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {self._basic}", "TenantId": self.tenant_id},
        )

    def parse_token_response(self, body: Any, now: float) -> Token:
        """Read ``access_token`` and ``expires_in``; a missing lifetime means one hour."""
        if not isinstance(body, Mapping) or not body.get("access_token"):
            raise UnexpectedResponse(
                SERVICE,
                "obtain_token",
                200,
                tenant=self.tenant_id,
                detail="the token endpoint answered without an access_token",
            )
        lifetime = body.get("expires_in", DEFAULT_LIFETIME_S)
        try:
            lifetime_s = float(lifetime)
        except (TypeError, ValueError):
            lifetime_s = DEFAULT_LIFETIME_S
        # Keep at least half the lifetime so a tiny expires_in cannot mean "always expired".
        usable_s = max(lifetime_s - self.margin_s, lifetime_s / 2)
        scope = body.get("scope")
        return Token(
            str(body["access_token"]), now + usable_s, str(scope) if scope is not None else None
        )

    def obtain_token(self) -> Token:
        """Ask the token endpoint for a new token (I/O; callers hold the lock).

        Raises:
            AuthFailed: the credentials or the tenant's consent were refused, with a
                message that says what to fix.
            RateLimited, ServerError, ApiUnavailable: the endpoint is struggling.
        """
        request = self.build_token_request()
        try:
            body = self._http.request(
                "POST",
                request.path,
                operation="obtain_token",
                form=request.form,
                headers=request.headers,
                idempotent=True,  # a second token harms nobody
            )
        except (AuthFailed, BadRequest) as exc:
            raise self._refused(exc) from exc
        return self.parse_token_response(body, self._clock())

    def _refused(self, exc: ApiError) -> AuthFailed:
        code = (exc.code or "").lower()
        if code in _NO_CONSENT:
            detail = (
                f"Fortnox tenant {self.tenant_id} has not given this integration access "
                "(no consent, or it was revoked): a Fortnox administrator of the company must "
                "activate the integration again"
                + (
                    f" (reconnect this tenant: {self.reconnect_hint})"
                    if self.reconnect_hint
                    else ""
                )
            )
        else:
            detail = (
                f"Fortnox refused the client id/secret for tenant {self.tenant_id}: check "
                f"{self.conn_hint} (the client id in login, the client secret in password, "
                "extra.tenant_id = the company's TenantId)"
            )
        if exc.detail:
            detail += f". Fortnox said: {exc.detail}"
        return AuthFailed(
            SERVICE,
            "obtain_token",
            exc.status,
            exc.body,
            exc.request_id,
            self.tenant_id,
            code=exc.code,
            detail=detail,
            secrets=self.secrets(),
        )

    # -- the Auth protocol used by JsonHttp ----------------------------------------------
    def access_token(self) -> str:
        """A usable access token, fetched only when none is held or it is about to expire."""
        with self._lock:
            if self._token is None or not self._token.usable(self._clock()):
                self._token = self.obtain_token()
            return self._token.access_token

    def granted_scopes(self) -> frozenset[str] | None:
        """The scopes of the current token (fetching one if needed); None when not named."""
        self.access_token()
        with self._lock:
            scope = self._token.scope if self._token else None
        return None if scope is None else frozenset(scope.split())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def refresh_after_401(self, sent: Mapping[str, str]) -> bool:
        """Fetch a new token unless the one that got the 401 was already replaced."""
        with self._lock:
            current = self._token.access_token if self._token else None
            if current is not None and sent.get("Authorization") == f"Bearer {current}":
                self._token = self.obtain_token()
            elif current is None:
                self._token = self.obtain_token()
        return True

    def invalidate(self) -> None:
        """Forget the held token (the next call fetches a new one)."""
        with self._lock:
            self._token = None

    def secrets(self) -> tuple[str, ...]:
        token = self._token.access_token if self._token else ""
        return tuple(s for s in (self._client_secret, self._basic, token) if s)
