"""One JSON-over-HTTP sender shared by the Nets and Fortnox clients.

Everything both APIs have in common happens here, once: authentication headers, the rate
limiter, the retry policy (run by tenacity, see ``retry``), timeouts, exact-decimal JSON in
both directions, logging without secrets, and the translation of every failure into the
error tree of ``errors``. The
clients above it only name operations and unwrap resources; the session below it is a
plain ``requests.Session`` (tests pass one that counts, the hooks pass Airflow's).

Example:
    >>> http = JsonHttp("https://api.dibspayment.eu", service="nets",
    ...                 auth=RawKeyAuth("live-secret-key-..."))        # doctest: +SKIP
    >>> http.request("GET", "/v1/payments/abc", operation="get_payment")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import requests
from tenacity import RetryCallState, before_sleep_log
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from dibs_fortnox import money
from dibs_fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthFailed,
    BadRequest,
    ConfigError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    redact,
)
from dibs_fortnox.ratelimit import Limiter
from dibs_fortnox.retry import SAFE_METHODS, Failure, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
"""(connect, read) seconds: fail fast on a dead host, allow a slow bookkeeping call."""

REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Trace-Id")

_UNUSABLE_URL = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)
"""A base URL no attempt can fix: a configuration error, never retried."""

ErrorDecoder = Callable[[Any], tuple[str | None, str]]
"""Turns a parsed error body (None if it was empty or not JSON) into (code, detail)."""


class Auth(Protocol):
    """How a client authenticates; implemented by ``RawKeyAuth`` and Fortnox's OAuth."""

    def headers(self) -> dict[str, str]:
        """Headers to add to the next request (may fetch a token)."""
        ...

    def refresh_after_401(self, sent: Mapping[str, str]) -> bool:
        """React to a 401 for a request sent with ``sent``; True if repeating may help."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or errors."""
        ...


class RawKeyAuth:
    """``Authorization: <key>``, the raw key with no scheme (how Nets Easy wants it)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._key}

    def refresh_after_401(self, sent: Mapping[str, str]) -> bool:
        return False  # a static key cannot get better by asking again

    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    def __repr__(self) -> str:
        return "RawKeyAuth(***)"


def error_class(status: int) -> type[ApiError]:
    """The error class for an HTTP status that is not a success.

    Every status maps to a specific class: 401/403 refused credentials, 404 missing, 409
    conflict, 429 throttled, other 4xx refused content, 5xx server side, and anything else
    (1xx/3xx, which we never ask for) an unexpected response.
    """
    if status in (401, 403):
        return AuthFailed
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 429:
        return RateLimited
    if 400 <= status < 500:
        return BadRequest
    if 500 <= status < 600:
        return ServerError
    return UnexpectedResponse


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before any byte of the request left this machine."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _no_error_detail(body: Any) -> tuple[str | None, str]:
    return None, ""


class JsonHttp:
    """Send JSON requests to one API base URL, with auth, limiter, retries and error mapping.

    Args:
        base_url: scheme and host, e.g. ``https://api.fortnox.se`` (paths are absolute).
        service: ``"nets"`` or ``"fortnox"``; names the service in errors and logs.
        tenant: our tenant id for messages; None when unknown.
        auth: adds credentials; None sends none (the token endpoint adds its own).
        session: the ``requests.Session`` to send with; a new one when None.
        limiter: throttles every attempt (retries included); None does not throttle.
        retry: the retry policy; ``RetryPolicy()`` when None.
        timeout: (connect, read) seconds.
        decode_error: reads the API's error body into (code, detail).
        extra_secrets: more values to redact (e.g. a client secret sent in a form).
    """

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        tenant: str | None = None,
        auth: Auth | None = None,
        session: requests.Session | None = None,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        decode_error: ErrorDecoder | None = None,
        extra_secrets: tuple[str, ...] = (),
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{service} base URL must start with https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.tenant = tenant
        self.auth = auth
        self.session = session or requests.Session()
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._decode_error = decode_error or _no_error_detail
        self._extra_secrets = extra_secrets

    def _secrets(self) -> tuple[str, ...]:
        own = self.auth.secrets() if self.auth is not None else ()
        return own + self._extra_secrets

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one logical call (several attempts if the policy allows) and return its JSON.

        Args:
            method: HTTP method.
            path: absolute path under the base URL, e.g. ``/3/invoices``.
            operation: the client method's name, for errors and logs.
            params: query parameters.
            json_body: serialised with ``money.dumps`` (Decimal stays exact).
            form: sent form-encoded instead of JSON.
            headers: extra headers for this call.
            idempotent: overrides the method rule (True lets a POST retry like a GET,
                e.g. a token request); None decides by method.

        Returns:
            The parsed body (numbers with decimals as ``Decimal``), None for an empty body.

        Raises:
            ApiError: a subclass saying what went wrong; ``OutcomeUnknown`` for a write
                whose result cannot be known.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        retry_method = "GET" if safe else method
        url = self.base_url + path
        base_headers = {"Accept": "application/json", **(headers or {})}
        data: str | Mapping[str, str] | None = None
        if json_body is not None:
            data = money.dumps(json_body)
            base_headers["Content-Type"] = "application/json"
        elif form is not None:
            data = dict(form)
        refreshed = False

        def send() -> requests.Response:
            """One attempt, through the limiter; a repeat after a token refresh is part of it."""
            nonlocal refreshed
            while True:
                sent_headers = dict(base_headers)
                if self.auth is not None:
                    sent_headers.update(self.auth.headers())
                if self.limiter is not None:
                    self.limiter.acquire()
                started = time.monotonic()
                try:
                    response = self.session.request(
                        method,
                        url,
                        params=dict(params) if params else None,
                        data=data.encode("utf-8") if isinstance(data, str) else data,
                        headers=sent_headers,
                        timeout=self.timeout,
                    )
                finally:
                    if self.limiter is not None:  # the request arrived by now, if at all
                        self.limiter.answered()
                log.info(
                    "%s %s %s -> %d in %.0f ms (try %d)",
                    self.service,
                    method,
                    path,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                    retrying.statistics.get("attempt_number", 1),
                )
                if response.status_code == 401 and self.auth is not None and not refreshed:
                    refreshed = True
                    if self.auth.refresh_after_401(sent_headers):
                        continue
                return response

        def failure(state: RetryCallState) -> Failure | None:
            """How this attempt failed, if the policy lets it be repeated (else None)."""
            assert state.outcome is not None
            if state.outcome.failed:
                exc = state.outcome.exception()
                if not isinstance(exc, requests.RequestException) or isinstance(exc, _UNUSABLE_URL):
                    return None
                sent = not _never_sent(exc)
                return (
                    Failure(None) if self.retry.retryable(retry_method, None, sent=sent) else None
                )
            response: requests.Response = state.outcome.result()
            if 200 <= response.status_code < 300:
                return None
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if self.retry.retryable(retry_method, status, retry_after_s=retry_after):
                return Failure(status, retry_after)
            return None

        retrying = self.retry.retrying(failure, before_sleep_log(log, logging.INFO))
        try:
            response = retrying(send)
        except _UNUSABLE_URL as exc:
            raise ConfigError(
                f"{self.service} base URL {self.base_url!r} is not usable: {exc}"
            ) from exc
        except requests.RequestException as exc:
            cls: type[ApiError] = ApiUnavailable if (safe or _never_sent(exc)) else OutcomeUnknown
            raise cls(
                self.service,
                operation,
                None,
                redact(str(exc), self._secrets()),
                tenant=self.tenant,
                secrets=self._secrets(),
            ) from exc
        if 200 <= response.status_code < 300:
            return self._parse_success(response, operation)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise self._error(response, operation, safe=safe, retry_after=retry_after)

    def _parse_success(self, response: requests.Response, operation: str) -> Any:
        if not response.content:
            return None
        try:
            return money.loads(response.content)
        except ValueError as exc:
            raise UnexpectedResponse(
                self.service,
                operation,
                response.status_code,
                response.text,
                _request_id(response),
                self.tenant,
                detail="the answer was not JSON",
                secrets=self._secrets(),
            ) from exc

    def _error(
        self, response: requests.Response, operation: str, *, safe: bool, retry_after: float | None
    ) -> ApiError:
        status = response.status_code
        try:
            parsed = money.loads(response.content) if response.content else None
        except ValueError:
            parsed = None
        code, detail = self._decode_error(parsed)
        cls = error_class(status)
        if not safe and cls is ServerError:
            cls = OutcomeUnknown  # the write may have been stored before the server failed
        error = cls(
            self.service,
            operation,
            status,
            response.text,
            _request_id(response),
            self.tenant,
            code=code,
            detail=detail,
            secrets=self._secrets(),
        )
        if isinstance(error, RateLimited):
            error.retry_after_s = retry_after
        return error


def _request_id(response: requests.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    return None
