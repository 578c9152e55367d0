"""What an API handler of the Fortnox emulator receives: the request and its company's book.

Handlers are registered with ``Api.route`` and look like ``(call) -> Response``; they
raise ``FortnoxError`` to refuse. The app resolves the bearer token to a tenant, takes
the book lock, turns refusals into ErrorInformation bodies and journals accepted writes,
so the handlers stay a few lines each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from dibs_fortnox.sandbox.fortnox.book import Book
from dibs_fortnox.sandbox.fortnox.rules import BAD_JSON, bad, unwrap
from dibs_fortnox.sandbox.router import Request, Response

ApiHandler = Callable[["Call"], Response]
RouteDecorator = Callable[[str, str], Callable[[ApiHandler], ApiHandler]]


@dataclass
class Call:
    """One authenticated API call.

    Attributes:
        request: the HTTP request (route params in ``request.params``).
        book: the book of the tenant the access token belongs to.
        today: the emulator's idea of today (default date for documents).
    """

    request: Request
    book: Book
    today: date

    @property
    def params(self) -> dict[str, str]:
        return self.request.params

    @property
    def query(self) -> dict[str, str]:
        """Query parameters with lower-case names (Fortnox documents them lower case)."""
        return {k.lower(): v for k, v in self.request.query.items()}

    def body(self, key: str) -> dict[str, Any]:
        """The object under ``key`` in the JSON body, or a 400 refusal."""
        try:
            parsed = self.request.json()
        except (ValueError, UnicodeDecodeError):
            raise bad(BAD_JSON, "Error deserializing JSON: JSON_ERROR_SYNTAX") from None
        return unwrap(parsed, key)


def ok(payload: Any, status: int = 200) -> Response:
    return Response.json(status, payload)


def contains(haystack: str, needle: str | None) -> bool:
    """Fortnox's search: a case-insensitive SUBSTRING match (``A100`` also finds ``A1001``)."""
    return needle is None or needle.lower() in haystack.lower()
