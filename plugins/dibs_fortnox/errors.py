"""The exception tree of the package, and redaction of secrets in error text.

The task layer decides from the class alone what to do: retry later (``Transient``), stop
and tell a person (everything else), or look the document up before doing anything again
(``OutcomeUnknown``)::

    DibsFortnoxError
    ├── ConfigError                 tenant file, Airflow connection or argument is wrong
    ├── WaitingForEarlierDay [T]    an earlier day of the tenant is still being booked
    ├── DuplicateReference          Fortnox holds two live documents with one of our references
    ├── WritesForbidden             a dry run tried to write to Fortnox (nothing was sent)
    ├── ReversalRefused             a reversal would be wrong now (locked period, open writes)
    ├── StateSchemaError            the state database's schema does not fit this code
    │   ├── StateSchemaBehind       migrations not run yet: run the upgrade command
    │   ├── StateSchemaAhead        migrated by newer code: deploy that code here too
    │   └── StateSchemaUnknown      tables without a revision that are not the baseline
    └── ApiError                    Nets or Fortnox answered with an error (or not at all)
        ├── AuthFailed              401/403, or the token endpoint refused the credentials
        ├── NotFound                404
        ├── BadRequest              400 and other 4xx: the API refused the content
        │   └── Conflict            409
        ├── RateLimited    [T]      429 still there after the retries
        ├── ServerError    [T]      5xx on a read (a read can always be repeated)
        ├── ApiUnavailable [T]      no response at all: refused, reset, timed out
        ├── UnexpectedResponse      2xx we cannot use (not JSON, pages that do not add up)
        └── OutcomeUnknown          a write got a 5xx or no response: it may have landed

    [T] = also a ``Transient``: waiting and trying again may help.

``OutcomeUnknown`` is deliberately not transient. Fortnox has no idempotency key, so the
write must never be sent again blindly; the pipeline resolves it by searching Fortnox for
the document's reference first.

No message may ever contain a secret. ``redact`` removes Nets keys, bearer and basic
credentials, OAuth tokens and client secrets, plus any explicit values a client knows are
secret; every ``ApiError`` redacts its body when it is created and again in ``__str__``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_BODY_LIMIT = 300

# Patterns of secret material; each keeps its label and replaces only the value.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(live|test)-secret-key-[A-Za-z0-9]+"), r"\1-secret-key-***"),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I), r"\1 ***"),
    (
        re.compile(
            r"""(["']?(?:access_token|refresh_token|client_secret|secret_key|"""
            r"""authorization|password)["']?\s*[:=]\s*["']?)([^"'&,\s}]+)""",
            re.I,
        ),
        r"\1***",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "***jwt***"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every known kind of secret replaced by ``***``.

    Args:
        text: any text that may reach a log or an error message.
        secrets: exact values to remove as well (a client secret has no recognisable shape);
            values shorter than 4 characters are ignored so that redaction cannot shred text.
    """
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def shorten(text: str, limit: int = _BODY_LIMIT) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was left out."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


_HTML = re.compile(r"^\s*(<!doctype html|<html)", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def describe_html(body: str) -> str:
    """Say what an HTML page is instead of quoting its markup; other text is unchanged.

    An HTML answer from a JSON API is a gateway's, a firewall's or a maintenance page, never
    the API's own: the person needs to know that, and the page's title, not the markup.
    """
    if not _HTML.match(body):
        return body
    found = _TITLE.search(body)
    title = " ".join(found.group(1).split()) if found else "no title"
    return (
        f"an HTML page ('{title}') instead of the API's JSON: a proxy, firewall or "
        "maintenance page; check the connection's host, and if it is right the service "
        "is down for now"
    )


class DibsFortnoxError(Exception):
    """Root of every error the package raises on purpose."""


class ConfigError(DibsFortnoxError):
    """Configuration is wrong: tenant file, Airflow connection, or an argument."""


class StateSchemaError(DibsFortnoxError):
    """The state database's schema is not the one this code was written for.

    Nothing is read or written until a person fixes it; the message names the command.
    """


class StateSchemaBehind(StateSchemaError):
    """The state database lacks migrations this code needs (or has no tables yet)."""


class StateSchemaAhead(StateSchemaError):
    """The state database was migrated by newer code than the one running here."""


class StateSchemaUnknown(StateSchemaError):
    """The database has tables of ours but no revision, and they are not the baseline's."""


class Transient(Exception):
    """Marker: the same call may succeed later, so Airflow may retry the task."""


class WaitingForEarlierDay(DibsFortnoxError, Transient):
    """An earlier day of the same tenant is still being booked; this day writes after it.

    Attributes:
        blocking: the earlier days still in flight.
    """

    def __init__(self, message: str, blocking: list[str]) -> None:
        super().__init__(message)
        self.blocking = blocking


class DuplicateReference(DibsFortnoxError):
    """Fortnox holds more than one live document carrying one of our external references.

    Nothing is posted while this stands: a person has to credit or cancel the extra one.
    """


class WritesForbidden(DibsFortnoxError):
    """A write was attempted by a client that may only read (a dry run); it was not sent."""


class ReversalRefused(DibsFortnoxError):
    """A reversal cannot go ahead as asked; the message names the tenant, the days, the
    documents or period in the way, and the fix. Nothing was written when this is raised
    before the first reversal document."""


class ApiError(DibsFortnoxError):
    """Nets or Fortnox answered with an error, or did not answer at all.

    Attributes:
        service: ``"nets"``, ``"fortnox"`` or ``"fortnox-auth"`` (the token endpoint).
        operation: the client method, e.g. ``"create_invoice"``.
        status: HTTP status; None when no response arrived.
        body: the response body, redacted and shortened; "" when there was none.
        request_id: the server's request id header, None when it sent none.
        tenant: our tenant id, None when the client was built without one.
        code: the API's own error code (Fortnox ErrorInformation code, Nets ``code``),
            None when the body had none.
        detail: the explanation for a person: our wording for known codes, otherwise
            the API's own message; "" when there is nothing to add.
    """

    def __init__(
        self,
        service: str,
        operation: str,
        status: int | None = None,
        body: str = "",
        request_id: str | None = None,
        tenant: str | None = None,
        *,
        code: str | None = None,
        detail: str = "",
        secrets: Iterable[str] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.service = service
        self.operation = operation
        self.status = status
        self.body = shorten(redact(describe_html(body or ""), secrets))
        self.request_id = request_id
        self.tenant = tenant
        self.code = code
        self.detail = redact(detail, secrets)
        super().__init__(str(self))

    def _what(self) -> str:
        return "failed"

    def _advice(self) -> str:
        return ""

    def __str__(self) -> str:
        where = self.service.capitalize()
        if self.tenant:
            where += f" (tenant '{self.tenant}')"
        parts = [f"{where} {self.operation} {self._what()}"]
        facts = [f"HTTP {self.status}" if self.status is not None else "no response"]
        if self.code:
            facts.append(f"code {self.code}")
        if self.request_id:
            facts.append(f"request id {self.request_id}")
        text = f"{parts[0]} ({', '.join(facts)})"
        if self.detail:
            text += f": {self.detail}"
        if self._advice():
            text += f". {self._advice()}"
        if self.body and self.body not in self.detail:
            text += f" [response: {self.body}]"
        return redact(text)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors picklable (Airflow and multiprocessing move them between processes).
        return (
            _rebuild,
            (
                type(self),
                self.service,
                self.operation,
                self.status,
                self.body,
                self.request_id,
                self.tenant,
                self.code,
                self.detail,
            ),
        )


def _rebuild(cls: type[ApiError], *args: Any) -> ApiError:
    service, operation, status, body, request_id, tenant, code, detail = args
    return cls(service, operation, status, body, request_id, tenant, code=code, detail=detail)


class AuthFailed(ApiError):
    """The credentials were refused (401/403, or the token endpoint said no)."""

    def _what(self) -> str:
        return "was refused"

    def _advice(self) -> str:
        # A known refusal (a missing licence or scope) already says what to do instead.
        return "" if self.detail else "Check the credentials in the Airflow connection"


class NotFound(ApiError):
    """The resource does not exist (404)."""

    def _what(self) -> str:
        return "found nothing"


class BadRequest(ApiError):
    """The API refused the content of the request (400 and other 4xx not listed elsewhere)."""

    def _what(self) -> str:
        return "was refused"


class Conflict(BadRequest):
    """The request conflicts with the current state of the resource (409)."""


class RateLimited(ApiError, Transient):
    """The API still answered 429 after the allowed retries; try again later.

    Attributes:
        retry_after_s: what the server asked us to wait, None when it did not say.
    """

    retry_after_s: float | None = None

    def _what(self) -> str:
        return "was rate limited"

    def _advice(self) -> str:
        wait = f" (the API asked for {self.retry_after_s:.0f} s)" if self.retry_after_s else ""
        return f"Try again later{wait}"


class ServerError(ApiError, Transient):
    """The API failed on its side (5xx) on a call that is safe to repeat."""

    def _what(self) -> str:
        return "hit a server error"


class ApiUnavailable(ApiError, Transient):
    """No response arrived (connection refused or reset, timeout) on a call safe to repeat."""

    def _what(self) -> str:
        return "got no answer"

    def _advice(self) -> str:
        return "The service is unreachable; try again later"


class UnexpectedResponse(ApiError):
    """A successful status with content we cannot use (not JSON, counts that disagree)."""

    def _what(self) -> str:
        return "returned something unexpected"

    def _advice(self) -> str:
        return (
            "Nothing was booked from this answer; clear the day to ask again, and if it "
            "repeats, give the request id to the API's support"
        )


class OutcomeUnknown(ApiError):
    """A write got a 5xx or no response: it may or may not have been stored.

    Never retry the write itself: look the document up by its reference first.
    """

    def _what(self) -> str:
        return "may or may not have been saved"

    def _advice(self) -> str:
        return "Look the document up by its reference before sending it again"
