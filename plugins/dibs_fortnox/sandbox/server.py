"""Serve an emulator over real HTTP on the loopback interface, in a background thread.

Each emulator is an ``EmulatorApp``: a router plus request counters, fault injection and
the ``/_sandbox/...`` inspection endpoints. ``SandboxServer`` binds it to 127.0.0.1 only
(the sandbox must never listen on a network interface).

Example:
    >>> with SandboxServer(app) as server:       # doctest: +SKIP
    ...     requests.get(server.url + "/_sandbox/stats")
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dibs_fortnox.sandbox.faults import FaultInjector
from dibs_fortnox.sandbox.router import DropConnection, Request, Response, Router

log = logging.getLogger(__name__)


class EmulatorApp:
    """Base of both emulators: counting, faults and inspection around a router.

    Subclasses register their API routes on ``self.router`` and may override
    ``admit`` (auth, rate limits) which runs before faults and handlers.
    """

    name = "emulator"

    def __init__(self, seed: int = 0) -> None:
        self.router = Router()
        self.faults = FaultInjector(seed)
        self.requests_by_route: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self._count_lock = threading.Lock()
        self.router.route("GET", "/_sandbox/stats")(self._stats)
        self.router.route("GET", "/_sandbox/faults")(self._get_faults)
        self.router.route("POST", "/_sandbox/faults")(self._set_faults)

    # -- hooks -------------------------------------------------------------------------
    def admit(self, request: Request) -> Response | None:
        """Return a refusal (401, 429, ...) or None to let the request through."""
        return None

    def stats(self) -> dict[str, Any]:
        """Extra figures for ``/_sandbox/stats`` (subclasses add theirs)."""
        return {}

    # -- request path ------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        handler, _ = self.router.match(request)
        inspection = request.path.startswith("/_sandbox/")
        if not inspection:
            with self._count_lock:
                self.requests_by_route[f"{request.method} {request.route or request.path}"] += 1
        response = None if inspection else self.admit(request)
        if response is None and not inspection:
            response = self.faults.before(request)
        if response is None:
            response = self.router.dispatch(request)
            if not inspection:
                response = self.faults.after(request, response)
        with self._count_lock:
            if not inspection:
                self.status_counts[response.status] += 1
        return response

    # -- inspection endpoints ----------------------------------------------------------
    def _stats(self, request: Request) -> Response:
        with self._count_lock:
            payload = {
                "requests": sum(self.requests_by_route.values()),
                "requests_by_route": dict(self.requests_by_route),
                "status_counts": {str(k): v for k, v in self.status_counts.items()},
                "faults_injected": dict(self.faults.injected),
            }
        payload.update(self.stats())
        return Response.json(200, payload)

    def _get_faults(self, request: Request) -> Response:
        return self._rules()

    def _set_faults(self, request: Request) -> Response:
        body = json.loads(request.body or b"{}")  # probabilities and delays are plain floats
        self.faults.configure(body.get("rules", []), body.get("seed"))
        return self._rules()

    def _rules(self) -> Response:
        payload = json.dumps({"rules": self.faults.describe()}).encode("utf-8")
        return Response(200, payload, {"Content-Type": "application/json"})


def _handler_for(app: EmulatorApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without TCP_NODELAY every keep-alive answer waits ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True
        server_version = f"dibs-fortnox-{app.name}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("%s %s", app.name, format % args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request.from_target(self.command, self.path, dict(self.headers), body)
            try:
                response = app.handle(request)
            except DropConnection:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            except Exception:  # a bug in an emulator must show as a 500, not a hang
                log.exception("%s crashed on %s %s", app.name, self.command, self.path)
                response = Response.json(500, {"message": "emulator error"})
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            payload = response.body or b""
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class SandboxServer:
    """Run an ``EmulatorApp`` on 127.0.0.1 in a daemon thread; port 0 picks a free port."""

    def __init__(self, app: EmulatorApp, port: int = 0, host: str = "127.0.0.1") -> None:
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            raise ValueError(f"the sandbox only listens on loopback, not {host}")
        self.app = app
        self._httpd = _Server((host, port), _handler_for(app))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.app.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
