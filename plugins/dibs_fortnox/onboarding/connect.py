"""Connect a tenant's Fortnox: consent, authorization code, TenantId into its connection.

The "Fortnox API-kod" of the merchant's old form. A Fortnox administrator of the company
opens the consent URL this command prints (our scopes, ``access_type=offline`` and
``account_type=service``: the consent then belongs to the company, not to a person) and
approves; Fortnox sends the browser back with an authorization code, which this command
takes from its callback on 127.0.0.1 or from what the operator pastes. The code is
exchanged once for an access token, only to ask Fortnox which company approved
(``DatabaseNumber`` = TenantId, fortnox-api §1.4). From then on the daily booking gets its
tokens with the client-credentials grant from the client id, the secret and that TenantId.

No refresh token is kept, so there is nothing to encrypt, rotate or lose to a parallel
refresh: the refresh token in the answer is dropped unread. A revoked consent shows up as
``invalid_grant`` from the token endpoint, which the Fortnox client already turns into
"an administrator must activate the integration again" (``AuthFailed``, not retried).

Usage::

    python -m dibs_fortnox.onboarding.connect --tenant acme            # callback on 127.0.0.1
    python -m dibs_fortnox.onboarding.connect --tenant acme --paste    # paste the code
    python -m dibs_fortnox.onboarding.connect --tenant acme --create-mode-of-payment

The client id and secret come from the tenant's Airflow connection (``fortnox_conn_id``),
so they are typed nowhere; nothing secret is printed. The TenantId is written into that
connection with ``--apply`` (``airflow connections import --overwrite`` from a private
temporary file, so the secret is never on a command line), or the exact commands are
printed for the operator to run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from dibs_fortnox.errors import ConfigError, DibsFortnoxError, redact
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.onboarding.checks import REQUIRED_SCOPES
from dibs_fortnox.pipeline.preflight import mode_of_payment_problem
from dibs_fortnox.tenants import TenantConfig, load_tenants

AUTH_PATH = "/oauth-v1/auth"
TOKEN_PATH = "/oauth-v1/token"
DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"
CALLBACK_WAIT_S = 600.0  # an authorization code lives 10 minutes (fortnox-api §1.2)


class ConnectError(DibsFortnoxError):
    """Connecting failed; the message names the tenant, what Fortnox said and what to do."""


@dataclass(frozen=True)
class Integration:
    """Our Fortnox app as the tenant's connection holds it.

    Attributes:
        api_url / auth_url: Fortnox's API and OAuth hosts (the emulator's in the sandbox).
        host: the connection's host as written (kept when the connection is rewritten).
        extra: the connection's extra; ``tenant_id`` is None until connected.
    """

    conn_id: str
    client_id: str
    client_secret: str
    api_url: str
    auth_url: str
    host: str | None
    extra: dict[str, Any]

    def __repr__(self) -> str:  # the secret never reaches a log through repr
        return f"Integration(conn_id={self.conn_id!r}, client_id={self.client_id!r})"


def integration_of(tenant: TenantConfig) -> Integration:
    """Read the tenant's Fortnox connection (client id and secret must be there already)."""
    from dibs_fortnox.hooks import (
        FORTNOX_DEFAULT_AUTH,
        FORTNOX_DEFAULT_HOST,
        FortnoxHook,
        base_url,
        connection_of,
    )

    hook = FortnoxHook(tenant.fortnox_conn_id)
    conn = connection_of(
        hook,
        tenant.fortnox_conn_id,
        "Fortnox client id and client secret",
        "--conn-login CLIENT_ID --conn-password SECRET",
    )
    if not (conn.login and conn.password):
        raise ConfigError(
            f"tenant {tenant.id}: Airflow connection '{tenant.fortnox_conn_id}' needs login "
            "(the integration's client id) and password (its client secret) before connecting"
        )
    extra = dict(conn.extra_dejson)
    return Integration(
        conn_id=tenant.fortnox_conn_id,
        client_id=conn.login,
        client_secret=conn.password,
        api_url=base_url(conn.host, conn.schema, conn.port, FORTNOX_DEFAULT_HOST),
        auth_url=str(extra.get("auth_url") or FORTNOX_DEFAULT_AUTH).rstrip("/"),
        host=conn.host,
        extra=extra,
    )


def consent_url(integration: Integration, redirect_uri: str, state: str) -> str:
    """The page a Fortnox administrator of the company opens to let the integration in."""
    query = {
        "client_id": integration.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(sorted(REQUIRED_SCOPES)),
        "state": state,
        "access_type": "offline",
        "response_type": "code",
        "account_type": "service",
    }
    return f"{integration.auth_url}{AUTH_PATH}?{urlencode(query)}"


def code_from(pasted: str, state: str) -> str:
    """The authorization code in what was pasted: the code itself, or the whole URL the
    browser was sent back to (whose ``state`` must be ours: someone else's code is refused)."""
    text = pasted.strip()
    if "?" not in text and "=" not in text:
        if not text:
            raise ConnectError("nothing was pasted: paste the code or the address Fortnox showed")
        return text
    query = parse_qs(urlparse(text).query or text)
    if "error" in query:
        raise ConnectError(
            f"Fortnox did not give a code: {query['error'][0]} "
            f"({(query.get('error_description') or [''])[0]}); the administrator must approve "
            "the integration on the consent page"
        )
    if (query.get("state") or [state])[0] != state:
        raise ConnectError("the code belongs to another consent (state differs): start again")
    code = (query.get("code") or [""])[0]
    if not code:
        raise ConnectError("the pasted address has no code= in it")
    return code


class Callback:
    """A one-shot HTTP listener on 127.0.0.1 that catches Fortnox's redirect with the code.

    Example:
        >>> with Callback(port=0, state="s") as cb:            # doctest: +SKIP
        ...     print(cb.redirect_uri); code = cb.wait(600)
    """

    def __init__(self, port: int, state: str, path: str = "/callback") -> None:
        self.state = state
        self.path = path
        self._got: list[str] = []
        self._error: list[ConnectError] = []
        self._done = threading.Event()
        self._httpd = HTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # the query holds the code: never logged

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                if url.path != callback.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                try:
                    callback._got.append(code_from(url.query, callback.state))
                    status, text = 200, "Klart: Fortnox är kopplat. Du kan stänga fönstret."
                except ConnectError as exc:
                    callback._error.append(exc)
                    status, text = 400, f"Det gick inte: {exc}"
                payload = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                callback._done.set()

        return Handler

    def __enter__(self) -> Callback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait(self, timeout_s: float) -> str:
        """The code the browser brought back.

        Raises:
            ConnectError: nothing came within ``timeout_s``, or Fortnox sent an error.
        """
        if not self._done.wait(timeout_s):
            raise ConnectError(
                f"no answer from Fortnox on {self.redirect_uri} within {timeout_s:.0f} s: "
                "start again, or use --paste"
            )
        if self._error:
            raise self._error[0]
        return self._got[0]


def exchange_code(
    integration: Integration, code: str, redirect_uri: str, tenant: str, session: requests.Session
) -> str:
    """Exchange the authorization code (single use) for an access token; return the token.

    The refresh token in the answer is not kept: client credentials replace it.
    """
    response = session.post(
        integration.auth_url + TOKEN_PATH,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(integration.client_id, integration.client_secret),
        timeout=30,
    )
    body: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        pass
    if response.status_code != 200 or not body.get("access_token"):
        said = redact(
            f"{body.get('error', response.status_code)}: {body.get('error_description', '')}",
            (integration.client_secret, code),
        )
        fix = (
            "the code is used or older than 10 minutes: run this command again"
            if body.get("error") == "invalid_grant"
            else f"check the client id and secret in Airflow connection '{integration.conn_id}'"
        )
        raise ConnectError(f"tenant {tenant}: Fortnox refused the code ({said}); {fix}")
    return str(body["access_token"])


def tenant_id_from(
    integration: Integration, access_token: str, tenant: str, session: requests.Session
) -> str:
    """The approving company's TenantId (``DatabaseNumber`` of ``/3/companyinformation``)."""
    response = session.get(
        integration.api_url + "/3/companyinformation",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        timeout=30,
    )
    if response.status_code != 200:
        raise ConnectError(
            f"tenant {tenant}: Fortnox did not show the company information "
            f"(HTTP {response.status_code}): the integration needs the scope companyinformation"
        )
    number = (response.json().get("CompanyInformation") or {}).get("DatabaseNumber")
    if number in (None, ""):
        raise ConnectError(f"tenant {tenant}: Fortnox's company information has no DatabaseNumber")
    return str(number)


def connection_json(integration: Integration, tenant_id: str) -> dict[str, Any]:
    """The tenant's connection with the TenantId added (what ``airflow connections import``
    reads); it holds the secret, so it only ever goes to a private file."""
    return {
        integration.conn_id: {
            "conn_type": "http",
            "host": integration.host,
            "login": integration.client_id,
            "password": integration.client_secret,
            "extra": json.dumps({**integration.extra, "tenant_id": tenant_id}),
        }
    }


def connection_commands(integration: Integration, tenant_id: str) -> list[str]:
    """What an operator runs to store the TenantId; the secret stays in ``$FORTNOX_SECRET``."""
    extra = json.dumps({**integration.extra, "tenant_id": tenant_id})
    host = f" --conn-host {integration.host}" if integration.host else ""
    return [
        f"airflow connections delete {integration.conn_id}",
        f"airflow connections add {integration.conn_id} --conn-type http{host} "
        f'--conn-login {integration.client_id} --conn-password "$FORTNOX_SECRET" '
        f"--conn-extra '{extra}'",
    ]


def apply_connection(
    integration: Integration, tenant_id: str, run: Callable[[list[str]], int] | None = None
) -> None:
    """Write the TenantId into the Airflow connection (metadata database) in one import.

    Raises:
        ConnectError: ``airflow connections import`` failed (its output is not shown: it
            could echo the file).
    """
    runner = run or (lambda argv: subprocess.run(argv, capture_output=True, check=False).returncode)
    fd, path = tempfile.mkstemp(prefix="dibs-fortnox-conn-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp: mode 0600
            json.dump(connection_json(integration, tenant_id), out)
        argv = [sys.executable, "-m", "airflow", "connections", "import", "--overwrite", path]
        if runner(argv) != 0:
            raise ConnectError(
                f"`airflow connections import` did not store connection '{integration.conn_id}':"
                " run the printed commands by hand"
            )
    finally:
        os.unlink(path)


def create_mode_of_payment(tenant: TenantConfig, fortnox: FortnoxClient) -> str:
    """Create the tenant's mode of payment on ``accounts.receivable`` when it is missing."""
    problem = mode_of_payment_problem(fortnox, tenant)
    if problem is None:
        return f"mode of payment {tenant.mode_of_payment} is already there"
    if "does not exist" not in problem:
        raise ConnectError(
            f"tenant {tenant.id}: {problem}; change it in Fortnox (Inställningar → Bokföring → "
            "Betalsätt): an existing mode of payment is not changed by this command"
        )
    fortnox.create_mode_of_payment(
        tenant.mode_of_payment, tenant.accounts.receivable, "Nets Easy kortbetalningar"
    )
    return (
        f"created mode of payment {tenant.mode_of_payment} on account {tenant.accounts.receivable}"
    )


def connect(
    tenant: TenantConfig,
    integration: Integration,
    get_code: Callable[[str], str],
    redirect_uri: str,
    state: str,
    say: Callable[[str], None],
    session: requests.Session | None = None,
) -> str:
    """Print the consent URL, take the code, exchange it; return the TenantId."""
    http = session or requests.Session()
    say(
        f"A Fortnox administrator of {tenant.name} opens this address and approves:\n\n"
        f"  {consent_url(integration, redirect_uri, state)}\n"
    )
    code = get_code(redirect_uri)
    token = exchange_code(integration, code, redirect_uri, tenant.id, http)
    return tenant_id_from(integration, token, tenant.id, http)


def main(argv: Sequence[str] | None = None, say: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m dibs_fortnox.onboarding.connect")
    parser.add_argument("--tenant", required=True, help="tenant id in the tenants file")
    parser.add_argument("--paste", action="store_true", help="paste the code instead of a callback")
    parser.add_argument(
        "--redirect-uri",
        default=DEFAULT_REDIRECT,
        help="as registered for the integration (a 127.0.0.1 one is listened on)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="store the TenantId in the Airflow connection (else print commands)",
    )
    parser.add_argument(
        "--create-mode-of-payment",
        action="store_true",
        help="create the tenant's mode of payment when it is missing",
    )
    parser.add_argument("--timeout", type=float, default=CALLBACK_WAIT_S, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        tenant = load_tenants().by_id(args.tenant)
        integration = integration_of(tenant)
        tenant_id = integration.extra.get("tenant_id")
        if not (args.create_mode_of_payment and tenant_id):
            tenant_id = _consent(tenant, integration, args, say)
        if args.create_mode_of_payment:
            auth = ClientCredentials(
                integration.client_id,
                integration.client_secret,
                str(tenant_id),
                integration.auth_url,
                conn_hint=f"Airflow connection '{integration.conn_id}'",
            )
            fortnox = FortnoxClient(integration.api_url, auth, tenant=tenant.id)
            say(create_mode_of_payment(tenant, fortnox))
    except DibsFortnoxError as exc:
        say(f"error: {exc}")
        return 1
    return 0


def _consent(
    tenant: TenantConfig,
    integration: Integration,
    args: argparse.Namespace,
    say: Callable[[str], None],
) -> str:
    state = secrets.token_urlsafe(16)
    if args.paste:
        tenant_id = connect(
            tenant,
            integration,
            lambda _uri: code_from(input("Paste the code (or the address you landed on): "), state),
            args.redirect_uri,
            state,
            say,
        )
    else:
        wanted = urlparse(args.redirect_uri)
        if wanted.hostname != "127.0.0.1":
            raise ConnectError(
                f"the callback listens on 127.0.0.1 only, not {wanted.hostname}: use --paste"
            )
        port = wanted.port if wanted.port is not None else 80  # :0 picks a free port
        with Callback(port, state, wanted.path or "/callback") as callback:
            tenant_id = connect(
                tenant,
                integration,
                lambda _uri: callback.wait(args.timeout),
                callback.redirect_uri,
                state,
                say,
            )
    say(f"Connected: {tenant.name} is Fortnox TenantId {tenant_id}.")
    if args.apply:
        apply_connection(integration, tenant_id)
        say(f"Stored tenant_id {tenant_id} in Airflow connection '{integration.conn_id}'.")
    else:
        say("Store it in the tenant's Airflow connection ($FORTNOX_SECRET = the client secret):")
        for command in connection_commands(integration, tenant_id):
            say(f"  {command}")
    return tenant_id


if __name__ == "__main__":
    raise SystemExit(main())
