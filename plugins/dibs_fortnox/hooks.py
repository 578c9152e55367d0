"""Airflow side of the clients: read a tenant's connection and build the plain client.

A hook here is a connection reader, nothing more: every rule about Nets or Fortnox lives
in the Airflow-free clients. Credentials come only from Airflow connections, so any
secrets backend works and nothing secret is ever in the tenants file.

The hooks derive from Airflow's plain ``BaseHook``, not from the HTTP provider's
``HttpHook``: that hook's session would send the login and password as basic auth and every
key of the connection's extra as a header, which is wrong for both APIs (Nets wants the raw
key in ``Authorization``, Fortnox a bearer token from OAuth) and would put the Fortnox
``tenant_id`` and ``auth_url`` on every request. Its retry loop (tenacity around one
``run``) knows nothing of which writes are safe to repeat. So the clients keep their own
session and retry policy, and connections keep the provider's ``http`` connection type
(its form in the UI: host, login, password, extra).

Connections:
    Nets (``nets_conn_id``): ``password`` = secret key, ``host`` = API base
    (default ``https://api.dibspayment.eu``).
    Fortnox (``fortnox_conn_id``): ``login`` = client id, ``password`` = client secret,
    ``host`` = API base (default ``https://api.fortnox.se``), ``extra`` =
    ``{"tenant_id": ..., "auth_url": ...}`` (auth default ``https://apps.fortnox.se``).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook, Connection
from airflow.sdk.exceptions import AirflowNotFoundException

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.nets.client import NetsClient, PaymentCache
from dibs_fortnox.ratelimit import Limiter
from dibs_fortnox.retry import RetryPolicy

NETS_DEFAULT_HOST = "https://api.dibspayment.eu"
FORTNOX_DEFAULT_HOST = "https://api.fortnox.se"
FORTNOX_DEFAULT_AUTH = "https://apps.fortnox.se"


def base_url(host: str | None, schema: str | None, port: int | None, default: str) -> str:
    """Build ``scheme://host[:port]`` from a connection's parts, accepting a full URL as host."""
    if not host:
        return default
    url = host if "://" in host else f"{schema or 'https'}://{host}"
    if port and url.count(":") < 2:
        url = f"{url}:{port}"
    return url.rstrip("/")


def connection_of(hook: BaseHook, conn_id: str, what: str, example: str) -> Connection:
    """The hook's Airflow connection; a missing one is a ``ConfigError`` with the fix.

    Airflow's own "isn't defined" error would be retried three times to no avail; a
    missing connection is something a person must add, so the task fails at once.
    """
    try:
        return hook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConfigError(
            f"Airflow connection '{conn_id}' does not exist: create it with the {what} "
            f"(any secrets backend works), e.g. `airflow connections add {conn_id} "
            f"--conn-type http {example}`; docs/tenants.md shows every field"
        ) from None


def test_key_problem(key: str, conn_id: str, tenant: str) -> str | None:
    """Why ``key`` may not book (a Nets *test* key); None for anything else.

    Nets Easy keys say what they are (``test-secret-key-…`` / ``live-secret-key-…``,
    reference/nets-easy-api.md). A test key talks to the test environment, whose payouts are not
    the merchant's money: booking them in the real Fortnox would be wrong, so it is
    refused before any call, with the connection to change named.
    """
    if not key.strip().lower().startswith("test-secret-key"):
        return None
    return (
        f"tenant {tenant}: Airflow connection '{conn_id}' holds a Nets Easy *test* key "
        "(test-secret-key-…): booking needs the live key. Put the live secret key (Nets Easy "
        "portal → Company → Integration → live-secret-key-…) in the connection's password, "
        f"e.g. `airflow connections delete {conn_id}` and add it again with "
        '--conn-password "$NETS_LIVE_KEY"'
    )


class NetsEasyHook(BaseHook):
    """Builds a ``NetsClient`` from an Airflow connection."""

    conn_name_attr = "nets_conn_id"
    conn_type = "http"
    hook_name = "Nets Easy (DIBS Easy)"

    def __init__(self, nets_conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nets_conn_id = nets_conn_id

    def client(self, tenant: str, payment_cache: PaymentCache | None = None) -> NetsClient:
        conn = connection_of(
            self, self.nets_conn_id, "Nets Easy live secret key", '--conn-password "$NETS_KEY"'
        )
        if not conn.password:
            raise ConfigError(
                f"Airflow connection '{self.nets_conn_id}' has no password: put the Nets Easy "
                "secret key (live-secret-key-...) in the connection's password field"
            )
        refused = test_key_problem(conn.password, self.nets_conn_id, tenant)
        if refused:
            raise ConfigError(refused)
        url = base_url(conn.host, conn.schema, conn.port, NETS_DEFAULT_HOST)
        return NetsClient(url, conn.password, payment_cache=payment_cache, tenant=tenant)


class FortnoxHook(BaseHook):
    """Builds a ``FortnoxClient`` (client-credentials OAuth) from an Airflow connection."""

    conn_name_attr = "fortnox_conn_id"
    conn_type = "http"
    hook_name = "Fortnox"

    def __init__(self, fortnox_conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fortnox_conn_id = fortnox_conn_id

    def client(
        self, tenant: str, limiter: Limiter | None = None, retry: RetryPolicy | None = None
    ) -> FortnoxClient:
        """The tenant's client; ``limiter`` is its rate window (a per-process one when None),
        ``retry`` the retry policy of its API and token calls (Fortnox's default when None)."""
        conn = connection_of(
            self,
            self.fortnox_conn_id,
            "Fortnox client id, client secret and tenant id",
            "--conn-login CLIENT_ID --conn-password SECRET "
            """--conn-extra '{"tenant_id": "..."}'""",
        )
        extra = conn.extra_dejson
        if not (conn.login and conn.password and extra.get("tenant_id")):
            raise ConfigError(
                f"Airflow connection '{self.fortnox_conn_id}' needs login (client id), password "
                "(client secret) and extra.tenant_id (the Fortnox TenantId / DatabaseNumber)"
            )
        url = base_url(conn.host, conn.schema, conn.port, FORTNOX_DEFAULT_HOST)
        auth = ClientCredentials(
            conn.login,
            conn.password,
            str(extra["tenant_id"]),
            str(extra.get("auth_url") or FORTNOX_DEFAULT_AUTH).rstrip("/"),
            conn_hint=f"Airflow connection '{self.fortnox_conn_id}'",
            # An invalid_grant is a person's job, not a retry: the day fails at once and the
            # failure e-mail names this command (docs/troubleshooting.md, "Onboarding").
            reconnect_hint=f"python -m dibs_fortnox.onboarding.connect --tenant {tenant}",
            retry=retry,
        )
        return FortnoxClient(url, auth, tenant=tenant, limiter=limiter, retry=retry)
