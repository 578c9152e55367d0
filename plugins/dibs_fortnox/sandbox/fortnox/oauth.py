"""Fortnox's OAuth endpoint (``POST /oauth-v1/token``) and bearer-token checks.

Three grants, as the Fortnox developer pages describe them: ``client_credentials`` (Basic
client id:secret plus a ``TenantId`` header, allowed once the company consented),
``authorization_code`` (a code minted by ``issue_authorization_code`` stands in for the
browser consent) and ``refresh_token`` (rotates; each refresh token works once, so a
second use answers ``invalid_grant`` exactly like two workers refreshing in parallel).
Tokens are opaque random strings mapped to (client, tenant, expiry).

Example:
    >>> store = TokenStore(lifetime_s=3600, clock=lambda: 0.0)
    >>> store.add_client("id", "secret", ["demo"])
    >>> code = store.issue_authorization_code("id", "demo")
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from dibs_fortnox.sandbox.fortnox.rules import INVALID_LOGIN, NO_CREDENTIALS, FortnoxError

CODE_LIFETIME_S = 600.0  # an authorization code is valid 10 minutes (Fortnox FAQ)


class OAuthError(Exception):
    """A refusal of the token endpoint: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Grant:
    """Who a token speaks for and until when (on the store's clock)."""

    client_id: str
    tenant_id: str
    expires_at: float


ALL_SCOPES = "bookkeeping companyinformation currency customer invoice payment settings"


@dataclass
class _Client:
    secret: str
    tenants: set[str]
    scopes: str = ALL_SCOPES


class TokenStore:
    """Clients, consents, codes and tokens of one emulator (thread safe)."""

    def __init__(self, lifetime_s: float, clock: Callable[[], float]) -> None:
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._clients: dict[str, _Client] = {}
        self._codes: dict[str, Grant] = {}
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def add_client(
        self,
        client_id: str,
        secret: str,
        tenant_ids: Iterable[str],
        scopes: str = ALL_SCOPES,
    ) -> None:
        """Register an integration, the companies that consented and the scopes it was given."""
        with self._lock:
            self._clients[client_id] = _Client(secret, set(tenant_ids), scopes)

    def issue_authorization_code(self, client_id: str, tenant_id: str) -> str:
        """Mint the code a user's consent in the browser would have produced."""
        with self._lock:
            if client_id not in self._clients:
                raise KeyError(f"unknown client {client_id}")
            # An administrator's approval on the consent page (account_type=service) is also
            # the company's consent: client credentials work for it from now on (§1.4).
            self._clients[client_id].tenants.add(tenant_id)
            code = secrets.token_urlsafe(16)
            self._codes[code] = Grant(client_id, tenant_id, self.clock() + CODE_LIFETIME_S)
            return code

    def expire_tokens(self) -> None:
        """Make every access token expired now (the "expires now" switch for tests)."""
        with self._lock:
            now = self.clock()
            self._access = {
                t: Grant(g.client_id, g.tenant_id, min(g.expires_at, now - 1))
                for t, g in self._access.items()
            }

    # -- token endpoint ----------------------------------------------------------------
    def token(self, form: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, object]:
        """Answer one token request or raise ``OAuthError``."""
        client_id = self._client_from_basic(headers.get("authorization"))
        grant_type = form.get("grant_type", "")
        with self._lock:
            if grant_type == "client_credentials":
                tenant = headers.get("tenantid") or form.get("tenant_id") or ""
                if not tenant:
                    raise OAuthError(400, "invalid_request", "the TenantId header is required")
                if tenant not in self._clients[client_id].tenants:
                    raise OAuthError(
                        400,
                        "invalid_grant",
                        f"no consent for tenant {tenant}: an administrator of the company must "
                        "activate the integration (service account) first",
                    )
                return self._issue(Grant(client_id, tenant, 0), refresh=False)
            if grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)
                if grant is None or grant.client_id != client_id or grant.expires_at < self.clock():
                    raise OAuthError(400, "invalid_grant", "invalid or used authorization code")
                return self._issue(grant, refresh=True)
            if grant_type == "refresh_token":
                grant = self._refresh.pop(form.get("refresh_token", ""), None)
                if grant is None or grant.client_id != client_id:
                    raise OAuthError(
                        400,
                        "invalid_grant",
                        "Invalid refresh token: it was already used or has expired",
                    )
                return self._issue(grant, refresh=True)
        raise OAuthError(
            400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported"
        )

    def _client_from_basic(self, header: str | None) -> str:
        if not header or not header.lower().startswith("basic "):
            raise OAuthError(
                401, "invalid_client", "Basic authentication with client id and secret is required"
            )
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", "malformed Basic authentication") from None
        client_id, _, secret = decoded.partition(":")
        client = self._clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            raise OAuthError(401, "invalid_client", "unknown client id or wrong client secret")
        return client_id

    def _issue(self, grant: Grant, refresh: bool) -> dict[str, object]:
        access = secrets.token_urlsafe(24)
        self._access[access] = Grant(
            grant.client_id, grant.tenant_id, self.clock() + self.lifetime_s
        )
        self.issued += 1
        payload: dict[str, object] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.lifetime_s),
            "scope": self._clients[grant.client_id].scopes,
        }
        if refresh:
            token = secrets.token_urlsafe(24)
            self._refresh[token] = Grant(grant.client_id, grant.tenant_id, 0)
            payload["refresh_token"] = token
        return payload

    # -- API calls ---------------------------------------------------------------------
    def scopes_of(self, client_id: str) -> set[str]:
        """The scopes the integration was given (what its tokens may do)."""
        with self._lock:
            client = self._clients.get(client_id)
            return set(client.scopes.split()) if client is not None else set()

    def authenticate(self, authorization: str | None) -> Grant:
        """The grant of a ``Bearer`` header, or a 401 ``FortnoxError``."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise FortnoxError(
                401,
                NO_CREDENTIALS,
                "Kan inte logga in, access-token saknas (Authorization: Bearer)",
            )
        with self._lock:
            grant = self._access.get(authorization[7:].strip())
        if grant is None:
            raise FortnoxError(401, INVALID_LOGIN, "Ogiltig inloggning: unknown access token")
        if grant.expires_at <= self.clock():
            raise FortnoxError(
                401, INVALID_LOGIN, "Ogiltig inloggning: the access token has expired"
            )
        return grant
