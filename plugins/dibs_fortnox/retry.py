"""When a failed call is sent again, and how long to wait first: one named policy.

The rules, in order of importance:

1. A read (GET, HEAD) may be repeated after 429, 5xx or a lost connection: it changes nothing.
2. A write (POST, PUT, PATCH, DELETE) is repeated only after 429, because 429 means the API
   refused it before processing (Fortnox and Nets both throttle at the door), or when the
   connection was never opened. A 5xx or a dropped connection after a write was sent may
   mean the document exists; that is ``OutcomeUnknown`` and the pipeline resolves it.
3. Waits grow exponentially (``base_s * 2**(n-1)``) with jitter, never above ``max_wait_s``.
   A ``Retry-After`` header is honoured; when it asks for more than ``max_retry_after_s``
   the call is given up at once (waiting an hour inside a task is worse than letting
   Airflow retry the task later).
4. Fortnox sends no ``Retry-After`` on 429 and limits over a 5-second sliding window, so a
   429 waits at least ``min_rate_limit_wait_s``.

``sleep`` and ``jitter`` are injectable so tests run with zero waits and count attempts.

The mechanics (the attempt loop, stopping after ``max_attempts``, sleeping, the hook that
logs before each wait, handing back the last answer) are tenacity's: ``RetryPolicy.retrying``
builds a ``tenacity.Retrying`` from this module's rules. What stays here is the policy
tenacity cannot know: which method may repeat after which failure, ``Retry-After`` and its
cap, and the floor for Fortnox's 429.

Example:
    >>> waits = []
    >>> policy = RetryPolicy(sleep=waits.append, jitter=no_jitter)
    >>> policy.should_retry("GET", 503, attempt=1), policy.should_retry("POST", 503, attempt=1)
    (True, False)
    >>> policy.wait_s(attempt=3, status=503)
    4.0
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import tenacity

RETRY_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
"""Statuses after which a call may be sent again (subject to the method rule)."""

SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that never change anything on the server, so every retryable failure retries."""

WRITE_RETRY_STATUSES: tuple[int, ...] = (429,)
"""The only statuses after which a write is repeated: the request was not processed."""


def is_retryable_status(status: int) -> bool:
    """True when the status says the call might succeed if sent again."""
    return status in RETRY_STATUSES


def may_retry(method: str, status: int | None, *, sent: bool = True) -> bool:
    """True when a call with this method that failed this way may be sent again.

    Args:
        method: the HTTP method.
        status: the response status; None when no response arrived.
        sent: False when the connection was never established (nothing reached the server),
            which makes even a write safe to repeat.
    """
    method = method.upper()
    if status is None:
        return method in SAFE_METHODS or not sent
    if method in SAFE_METHODS:
        return is_retryable_status(status)
    return status in WRITE_RETRY_STATUSES


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP date).

    Returns None when the header is missing or unreadable; never a negative number.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class Failure:
    """How a retryable attempt failed: its status (None: no response) and ``Retry-After``."""

    status: int | None
    retry_after_s: float | None = None


def _last_outcome(state: tenacity.RetryCallState) -> Any:
    """Hand back what the last attempt gave: its result, or its exception raised again."""
    assert state.outcome is not None
    return state.outcome.result()


def backoff_s(attempt: int, base_s: float, max_wait_s: float) -> float:
    """Exponential wait before retry number ``attempt`` (1-based), capped."""
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    return float(min(max_wait_s, base_s * (2 ** (attempt - 1))))


def full_jitter(wait_s: float) -> float:
    """Spread a wait between half and all of it, so parallel tasks do not retry in step."""
    return wait_s * (0.5 + random.random() / 2)


def no_jitter(wait_s: float) -> float:
    """Keep the wait as computed (deterministic tests)."""
    return wait_s


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures retry, how often, and how long to wait.

    Attributes:
        max_attempts: total tries including the first one (1 disables retries).
        base_s: first exponential wait.
        max_wait_s: cap on any single computed wait.
        max_retry_after_s: a ``Retry-After`` above this gives up instead of waiting.
        min_rate_limit_wait_s: floor for the wait after a 429 without ``Retry-After``.
        sleep: how to wait (``time.sleep``; tests pass a recorder).
        jitter: how to spread a computed wait (``Retry-After`` is never jittered).
    """

    max_attempts: int = 5
    base_s: float = 1.0
    max_wait_s: float = 30.0
    max_retry_after_s: float = 60.0
    min_rate_limit_wait_s: float = 0.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float], float] = field(default=full_jitter, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.max_wait_s < 0:
            raise ValueError("waits cannot be negative")

    @classmethod
    def no_wait(
        cls, max_attempts: int = 5, sleep: Callable[[float], None] | None = None
    ) -> RetryPolicy:
        """A policy for tests: same decisions, waits of zero seconds (still passed to sleep)."""
        return cls(
            max_attempts=max_attempts,
            base_s=0.0,
            max_wait_s=0.0,
            min_rate_limit_wait_s=0.0,
            sleep=sleep or (lambda _s: None),
            jitter=no_jitter,
        )

    @classmethod
    def fortnox(cls) -> RetryPolicy:
        """Fortnox: no ``Retry-After`` on 429 and a 5-second window, so wait at least that."""
        return cls(min_rate_limit_wait_s=5.0)

    def retryable(
        self,
        method: str,
        status: int | None,
        *,
        sent: bool = True,
        retry_after_s: float | None = None,
    ) -> bool:
        """Whether a call that failed this way may be sent again (attempts not counted)."""
        if retry_after_s is not None and retry_after_s > self.max_retry_after_s:
            return False
        return may_retry(method, status, sent=sent)

    def should_retry(
        self,
        method: str,
        status: int | None,
        *,
        attempt: int,
        sent: bool = True,
        retry_after_s: float | None = None,
    ) -> bool:
        """Decide whether try number ``attempt`` (1-based), which just failed, is repeated."""
        return attempt < self.max_attempts and self.retryable(
            method, status, sent=sent, retry_after_s=retry_after_s
        )

    def retrying(
        self,
        failure: Callable[[tenacity.RetryCallState], Failure | None],
        before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
    ) -> tenacity.Retrying:
        """A tenacity ``Retrying`` that applies this policy to one logical call.

        Args:
            failure: reads an attempt's outcome: None when it must not be repeated (a success,
                or a failure the rules say is final), else how it failed.
            before_sleep: called before each wait (logging).

        Once the attempts are used up, or the outcome is final, the last outcome is handed
        back as it was: the last response is returned, the last exception raised.
        """

        def retry(state: tenacity.RetryCallState) -> bool:
            return failure(state) is not None

        def wait(state: tenacity.RetryCallState) -> float:
            failed = failure(state)
            status, retry_after = (failed.status, failed.retry_after_s) if failed else (None, None)
            return self.wait_s(
                attempt=state.attempt_number, status=status, retry_after_s=retry_after
            )

        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=retry,
            sleep=self.sleep,
            before_sleep=before_sleep,
            retry_error_callback=_last_outcome,
        )

    def wait_s(
        self, *, attempt: int, status: int | None, retry_after_s: float | None = None
    ) -> float:
        """Seconds to wait after failed try number ``attempt`` before the next one."""
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        wait = self.jitter(backoff_s(attempt, self.base_s, self.max_wait_s))
        if status == 429:
            wait = max(wait, self.min_rate_limit_wait_s)
        return min(wait, max(self.max_wait_s, self.min_rate_limit_wait_s))
