"""Seeded, switchable faults shared by both emulators.

A fault rule picks requests by method and route pattern and then fires on a schedule
(``every``-th matching call, the first ``times`` calls, or with a seeded ``probability``).
Kinds:

- ``error_before``: answer ``status`` (5xx) *before* the handler runs: nothing is written.
- ``rate_limit``: answer 429 before the handler runs.
- ``latency``: sleep ``delay_s`` before the handler runs.
- ``lost_response``: run the handler (the write commits), then answer ``status`` (5xx)
  instead of the real response: the client cannot know the write landed.
- ``drop_after``: run the handler, then close the socket without any response.
- ``html_page``: answer ``status`` with an HTML error page (a proxy's or a maintenance
  page, ``text/html``) *before* the handler runs, as gateways in front of APIs do.
- ``garbled``: run the handler, then send its answer with the JSON cut off half-way and
  the status unchanged (a truncated or corrupted body).

Example:
    >>> faults = FaultInjector(seed=1)
    >>> faults.add(FaultRule("lost_response", method="POST", route="/3/invoices", times=1))
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

from dibs_fortnox.sandbox.router import DropConnection, Request, Response

FaultKind = Literal[
    "error_before", "rate_limit", "latency", "lost_response", "drop_after", "html_page", "garbled"
]
_BEFORE = ("error_before", "rate_limit", "latency", "html_page")
_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} Service Unavailable</title></head>\n"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service "
    "your request. Please try again later.</p><hr><address>nginx</address></body></html>\n"
)


@dataclass
class FaultRule:
    """One switchable fault.

    Attributes:
        kind: what happens (see the module docstring).
        method: HTTP method to match; None matches any.
        route: route pattern to match exactly (e.g. ``/3/invoices``); None matches any.
        times: fire on the first ``times`` matching calls; None means no such limit.
        every: fire on every ``every``-th matching call; None means every call qualifies.
        probability: fire with this seeded probability; None means always.
        status: HTTP status for ``error_before`` and ``lost_response``.
        delay_s: sleep for ``latency``.
        echo: ``error_before`` answers with the request's headers and body quoted, as a
            debugging proxy or a careless API does: the secrets in them must not travel on
            into our errors, logs, database or e-mails.
    """

    kind: FaultKind
    method: str | None = None
    route: str | None = None
    times: int | None = None
    every: int | None = None
    probability: float | None = None
    status: int = 503
    delay_s: float = 0.0
    echo: bool = False
    seen: int = 0
    fired: int = 0

    def matches(self, request: Request) -> bool:
        if self.method is not None and self.method.upper() != request.method:
            return False
        return self.route is None or self.route == request.route


class FaultInjector:
    """Holds fault rules and applies them around an emulator's handlers (thread safe)."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def configure(self, rules: list[dict[str, Any]], seed: int | None = None) -> None:
        """Replace all rules from plain dicts (what the admin endpoint receives)."""
        with self._lock:
            self._rules = [FaultRule(**rule) for rule in rules]
            if seed is not None:
                self._rng = random.Random(seed)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def _fire(self, request: Request, kinds: tuple[str, ...]) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.kind not in kinds or not rule.matches(request):
                    continue
                rule.seen += 1
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.every is not None and rule.seen % rule.every != 0:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                self.injected[rule.kind] += 1
                return rule
        return None

    def before(self, request: Request) -> Response | None:
        """Return a fault response to send instead of running the handler, or None."""
        rule = self._fire(request, _BEFORE)
        if rule is None:
            return None
        if rule.kind == "latency":
            time.sleep(rule.delay_s)
            return None
        if rule.kind == "rate_limit":
            return Response.json(429, {"message": "Too many requests (injected fault)"})
        if rule.kind == "html_page":
            page = _HTML_PAGE.format(status=rule.status).encode("utf-8")
            return Response(rule.status, page, {"Content-Type": "text/html; charset=utf-8"})
        message = "Service unavailable (injected fault)"
        if rule.echo:
            sent = request.body.decode("utf-8", "replace")
            message = f"Bad request {request.method} {request.path}: {request.headers} {sent}"
        return Response.json(rule.status, {"message": message})

    def after(self, request: Request, response: Response) -> Response:
        """Return the response to send once the handler has run (and committed)."""
        if response.status >= 400:
            return response
        rule = self._fire(request, ("lost_response", "drop_after", "garbled"))
        if rule is None:
            return response
        if rule.kind == "drop_after":
            raise DropConnection()
        if rule.kind == "garbled":
            body = response.body or b"{}"
            return Response(response.status, body[: len(body) // 2], dict(response.headers))
        return Response.json(rule.status, {"message": "Bad gateway (injected fault)"})
