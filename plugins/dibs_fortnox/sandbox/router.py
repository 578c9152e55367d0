"""Requests, responses and a router of small handlers, independent of the socket server.

Handlers are plain functions ``(request) -> Response`` registered on a pattern such as
``/3/invoices/{number}/bookkeep``; the server in ``server.py`` turns HTTP into ``Request``
objects and back. Keeping the two apart lets unit tests call an emulator without a socket.

Example:
    >>> router = Router()
    >>> @router.route("GET", "/ping/{name}")
    ... def ping(request):
    ...     return Response.json(200, {"pong": request.params["name"]})
    >>> router.dispatch(Request("GET", "/ping/x")).status
    200
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dibs_fortnox import money

Handler = Callable[["Request"], "Response"]


class DropConnection(Exception):
    """Raised by a handler or fault to close the socket without sending any response."""


@dataclass
class Request:
    """One HTTP request as an emulator sees it.

    Attributes:
        method: upper-case HTTP method.
        path: the path without query string.
        query: query parameters; a repeated key keeps its first value. Keys keep their case.
        headers: header names in lower case.
        body: the raw body, empty when none was sent.
        params: values captured from the route pattern (filled in by the router).
        route: the pattern that matched, e.g. ``/3/invoices/{number}`` (None before routing).
    """

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    route: str | None = None

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> Request:
        """Build a request from a request target such as ``/a/b?x=1``."""
        parts = urlsplit(target)
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, value)
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        return cls(method.upper(), parts.path, query, lowered, body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON with decimals kept exact (raises ValueError if invalid)."""
        return money.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """An HTTP response; ``body`` None means no body at all (as Nets sends on 401)."""

    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, money.dumps(payload).encode("utf-8"), merged)

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, None, dict(headers or {}))

    def parsed(self) -> Any:
        """The body as JSON (for tests and in-process callers)."""
        return money.loads(self.body or b"null")


_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass
class _Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler


class Router:
    """Maps (method, path pattern) to handlers; 404 for unknown paths, 405 for wrong methods."""

    def __init__(self, not_found: Callable[[Request], Response] | None = None) -> None:
        self._routes: list[_Route] = []
        self._not_found = not_found or (lambda r: Response.json(404, {"message": "Not found"}))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", pattern) + "/?$")

        def register(handler: Handler) -> Handler:
            self._routes.append(_Route(method.upper(), pattern, regex, handler))
            return handler

        return register

    def match(self, request: Request) -> tuple[Handler | None, bool]:
        """Return the handler for a request and whether the path exists for another method."""
        path_known = False
        for route in self._routes:
            found = route.regex.match(request.path)
            if not found:
                continue
            path_known = True
            if route.method == request.method:
                request.params = found.groupdict()
                request.route = route.pattern
                return route.handler, True
        return None, path_known

    def dispatch(self, request: Request) -> Response:
        handler, path_known = self.match(request)
        if handler is None:
            if path_known:
                return Response.json(405, {"message": f"Method {request.method} not allowed"})
            return self._not_found(request)
        return handler(request)
