"""The server behind the merchant's approval link: it completes the same Airflow approval.

``GET /onboarding/approve?token=…`` only shows what is being approved, with a button: mail
scanners open links, and opening must not approve. ``POST`` checks the signature and the
expiry, marks the link used (once only, in our state database) and answers the waiting
human-in-the-loop task through Airflow's REST API, exactly as the OK in the Airflow UI
does (``PATCH /api/v2/dags/{dag}/dagRuns/{run}/taskInstances/approval/-1/hitlDetails``),
so the onboarding DAG continues the same way whichever button was pressed. The Airflow
user it signs in as is a dedicated service user; its password comes from the caller
(an Airflow connection or the environment), never from the link.

Example:
    >>> server = ApprovalServer(config).start()          # doctest: +SKIP

Run it as a service (behind the company's HTTPS proxy, whose public URL is the ``host`` of
the ``dibs_fortnox_approval`` connection)::

    DIBS_FORTNOX_APPROVER_USER=approver DIBS_FORTNOX_APPROVER_PASSWORD=... \
        python -m dibs_fortnox.onboarding.approve --port 8090 --airflow-url http://airflow:8080
"""

from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import requests

from dibs_fortnox.onboarding.links import LinkRefused, verify_link
from dibs_fortnox.onboarding.state import OnboardingRecords

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApprovalConfig:
    """What the link server needs: the signing key, Airflow's API and our database."""

    signing_key: bytes
    airflow_url: str
    airflow_user: str
    airflow_password: str
    records: OnboardingRecords
    tenant_emails: dict[str, str]
    host: str = "127.0.0.1"
    port: int = 0
    # How long a press of OK waits for the approval task to start: the e-mail goes out at
    # the end of the task before it, so a quick merchant can be a few seconds early.
    wait_for_task_s: float = 60.0
    # Seconds between the approval task starting to wait for input and our answer (see
    # _wait_until_parked); generous, because a loaded scheduler reads executor events late.
    settle_s: float = 20.0


class ApprovalNotReady(LinkRefused):
    """The onboarding run has no approval waiting yet (or any more); the link stays usable."""


def _parse_time(value: object) -> float | None:
    """Epoch seconds of an ISO timestamp from Airflow's API; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _wait_until_parked(
    config: ApprovalConfig, ti_url: str, headers: dict[str, str], dag_id: str
) -> None:
    """Wait until the approval task waits for input, and a moment longer.

    The e-mail goes out at the end of the task before the approval, so a quick merchant can
    press OK before the approval task has asked (404). And in Airflow 3.3 an answer given
    within about a second of the task parking itself races the scheduler: it re-queues the
    resumed task before it has read the parked worker's exit, then reads that exit as the
    task "changed externally" and fails it (scheduler_job_runner.process_executor_events
    forgives this only while the task is still ``scheduled``). A person never answers that
    fast; this server could, so it lets the scheduler settle first.
    """
    deadline = time.monotonic() + config.wait_for_task_s
    while True:
        found = requests.get(ti_url, headers=headers, timeout=30)
        state = found.json().get("state") if found.status_code == 200 else None
        if state == "awaiting_input":
            # Settle relative to when the task started asking: a merchant who clicks minutes
            # after the e-mail waits not at all, an instant click (a test) waits the rest.
            started = _parse_time(found.json().get("start_date"))
            elapsed = time.time() - started if started is not None else 0.0
            time.sleep(max(0.0, config.settle_s - elapsed))
            return
        if state in ("success", "failed", "skipped", "upstream_failed", "removed"):
            return  # over already: the answer itself says so (409)
        if time.monotonic() >= deadline:
            raise ApprovalNotReady(
                f"the onboarding of {dag_id.removeprefix('dibs_fortnox_onboarding__')} is not "
                "waiting for an OK right now: try the link again in a few minutes"
            )
        time.sleep(1)


def answer_approval(config: ApprovalConfig, dag_id: str, run_id: str, note: str) -> None:
    """Answer the onboarding run's approval task with "Approve" through Airflow's REST API."""
    base = config.airflow_url.rstrip("/")
    login = requests.post(
        f"{base}/auth/token",
        json={"username": config.airflow_user, "password": config.airflow_password},
        timeout=30,
    )
    login.raise_for_status()
    token = login.json()["access_token"]
    path = (
        f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        "/taskInstances/approval"
    )
    headers = {"Authorization": f"Bearer {token}"}
    _wait_until_parked(config, base + path, headers, dag_id)
    path += "/-1/hitlDetails"
    done = requests.patch(
        base + path,
        json={"chosen_options": ["Approve"], "params_input": {"note": note}},
        headers=headers,
        timeout=30,
    )
    if done.status_code == 404:
        raise ApprovalNotReady(
            f"the onboarding of {dag_id.removeprefix('dibs_fortnox_onboarding__')} is not "
            "waiting for an OK right now: try the link again in a few minutes"
        )
    if done.status_code == 409:
        raise LinkRefused("this onboarding was already answered (in Airflow or by another link)")
    done.raise_for_status()


def approve(config: ApprovalConfig, token: str) -> str:
    """Approve through ``token``; return the message shown to the merchant.

    Raises:
        LinkRefused: forged, expired or used link, or the approval was already answered.
    """
    claims = verify_link(config.signing_key, token, now=time.time())
    if not config.records.use_link(claims.link_id, claims.tenant):
        raise LinkRefused("this approval link was already used")
    who = config.tenant_emails.get(claims.tenant, "the merchant")
    try:
        answer_approval(
            config,
            f"dibs_fortnox_onboarding__{claims.tenant}",
            claims.run_id,
            f"approved by {who} through the link in the onboarding e-mail",
        )
    except (ApprovalNotReady, requests.RequestException):
        config.records.release_link(claims.link_id)  # not answered: the link still works
        raise
    return "Tack! Godkänt. Testdokumenten återförs och bokföringen startar."


def _page(title: str, text: str, form: str = "") -> bytes:
    body = (
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}"
    )
    return body.encode("utf-8")


def _handler(config: ApprovalConfig) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("approval link server: %s", format % args)  # never logs the token

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            token = (parse_qs(url.query).get("token") or [""])[0]
            if url.path != "/onboarding/approve" or not token:
                self._send(404, _page("Okänd länk", "Länken är ofullständig."))
                return
            try:
                claims = verify_link(config.signing_key, token, now=time.time())
            except LinkRefused as refused:
                self._send(400, _page("Länken fungerar inte", str(refused)))
                return
            form = (
                "<form method='post' action='/onboarding/approve'>"
                f"<input type='hidden' name='token' value='{html.escape(token)}'>"
                "<button type='submit'>OK – starta bokföringen</button></form>"
            )
            self._send(200, _page(f"Godkänn {claims.tenant}", "Stämmer TEST-dokumenten?", form))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            fields = parse_qs(self.rfile.read(length).decode("utf-8"))
            token = (fields.get("token") or [""])[0]
            try:
                message = approve(config, token)
            except ApprovalNotReady as early:
                self._send(503, _page("Försök igen", str(early)))
                return
            except LinkRefused as refused:
                self._send(400, _page("Länken fungerar inte", str(refused)))
                return
            except requests.RequestException:
                log.exception("approval link server: Airflow did not take the answer")
                self._send(502, _page("Försök igen", "Airflow svarar inte just nu."))
                return
            self._send(200, _page("Godkänt", message))

    return Handler


class ApprovalServer:
    """The link server in a background thread (tests, the demo; production runs it as a
    small service behind the company's HTTPS proxy)."""

    def __init__(self, config: ApprovalConfig) -> None:
        self._httpd = ThreadingHTTPServer((config.host, config.port), _handler(config))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ApprovalServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def config_from_environment(host: str, port: int, airflow_url: str) -> ApprovalConfig:
    """Build the server's settings the way the workers find theirs: the signing key from the
    ``dibs_fortnox_approval`` Airflow connection (any secrets backend), the service user's
    credentials from the environment (never from the command line), tenants and the state
    database from ``DIBS_FORTNOX_TENANTS`` and ``DIBS_FORTNOX_DB_URL``."""
    import os

    from airflow.sdk.bases.hook import BaseHook

    from dibs_fortnox.errors import ConfigError
    from dibs_fortnox.ledger import Ledger
    from dibs_fortnox.onboarding.tasks import APPROVAL_CONN
    from dibs_fortnox.tenants import load_tenants

    user = os.environ.get("DIBS_FORTNOX_APPROVER_USER", "")
    password = os.environ.get("DIBS_FORTNOX_APPROVER_PASSWORD", "")
    if not (user and password):
        raise ConfigError(
            "set DIBS_FORTNOX_APPROVER_USER and DIBS_FORTNOX_APPROVER_PASSWORD to the Airflow "
            "user the link server answers approvals as (docs/onboarding.md)"
        )
    key = BaseHook.get_connection(APPROVAL_CONN).password or ""
    if not key:
        raise ConfigError(
            f"Airflow connection '{APPROVAL_CONN}' has no password: put the link signing key "
            "there (the same connection the onboarding e-mails are signed with)"
        )
    tenants = load_tenants().tenants
    return ApprovalConfig(
        signing_key=key.encode(),
        airflow_url=airflow_url.rstrip("/"),
        airflow_user=user,
        airflow_password=password,
        records=OnboardingRecords(Ledger.from_env().engine),
        tenant_emails={t.id: t.email for t in tenants},
        host=host,
        port=port,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the merchants' approval links until stopped (Ctrl-C, SIGTERM)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dibs_fortnox.onboarding.approve")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--airflow-url", default="http://127.0.0.1:8080", help="Airflow's API")
    args = parser.parse_args(argv)
    server = ApprovalServer(config_from_environment(args.host, args.port, args.airflow_url))
    print(f"approval links served on {server.url}", flush=True)
    try:
        server.start()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
