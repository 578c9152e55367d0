"""The retry policy: which failures repeat, how long each wait is, and where it stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from dibs_fortnox.retry import (
    RETRY_STATUSES,
    Failure,
    RetryPolicy,
    backoff_s,
    full_jitter,
    may_retry,
    no_jitter,
    parse_retry_after,
)


@pytest.mark.parametrize("status", RETRY_STATUSES)
def test_reads_retry_every_retryable_status(status: int) -> None:
    assert may_retry("GET", status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_reads_do_not_retry_refusals(status: int) -> None:
    assert not may_retry("GET", status)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_retry_only_on_429(method: str) -> None:
    assert may_retry(method, 429)
    assert [s for s in RETRY_STATUSES if may_retry(method, s)] == [429]


def test_a_lost_connection_retries_a_read_but_not_a_sent_write() -> None:
    assert may_retry("GET", None)
    assert not may_retry("POST", None, sent=True)
    assert may_retry("POST", None, sent=False)  # never reached the server


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n, 1.0, 10.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    with pytest.raises(ValueError):
        backoff_s(0, 1.0, 10.0)


def test_jitter_stays_between_half_and_all_of_the_wait() -> None:
    waits = [full_jitter(8.0) for _ in range(200)]
    assert all(4.0 <= w <= 8.0 for w in waits)
    assert len(set(waits)) > 1


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_is_honoured_without_jitter() -> None:
    policy = RetryPolicy(jitter=lambda w: 999.0)
    assert policy.wait_s(attempt=1, status=429, retry_after_s=3.0) == 3.0


def test_retry_after_beyond_the_cap_gives_up_instead_of_waiting() -> None:
    policy = RetryPolicy(max_retry_after_s=60.0)
    assert policy.should_retry("GET", 429, attempt=1, retry_after_s=30.0)
    assert not policy.should_retry("GET", 429, attempt=1, retry_after_s=3600.0)


def test_waits_never_exceed_the_cap() -> None:
    policy = RetryPolicy(base_s=1.0, max_wait_s=5.0, jitter=no_jitter)
    assert [policy.wait_s(attempt=n, status=503) for n in range(1, 8)] == [
        1.0,
        2.0,
        4.0,
        5.0,
        5.0,
        5.0,
        5.0,
    ]


def test_fortnox_429_waits_for_the_window_to_slide() -> None:
    policy = RetryPolicy.fortnox()
    assert policy.wait_s(attempt=1, status=429) >= 5.0
    assert policy.wait_s(attempt=1, status=503) < 5.0


def test_attempts_stop_at_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.should_retry("GET", 503, attempt=n) for n in (1, 2, 3)] == [True, True, False]
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_no_wait_policy_decides_like_the_default_but_sleeps_zero() -> None:
    slept: list[float] = []
    policy = RetryPolicy.no_wait(sleep=slept.append)
    policy.sleep(policy.wait_s(attempt=4, status=429))
    assert slept == [0.0]
    assert policy.should_retry("GET", 503, attempt=1) and not policy.should_retry(
        "POST", 503, attempt=1
    )


def test_retrying_hands_back_the_last_answer_once_attempts_are_used_up() -> None:
    slept: list[float] = []
    answers = iter([503, 502, 500, 200])
    retrying = RetryPolicy.no_wait(3, sleep=slept.append).retrying(lambda state: Failure(503))
    assert retrying(lambda: next(answers)) == 500  # the third answer, not a RetryError
    assert slept == [0.0, 0.0]


def test_retrying_raises_the_last_exception_and_stops_at_a_final_failure() -> None:
    calls: list[int] = []

    def boom() -> None:
        calls.append(1)
        raise ConnectionError(f"try {len(calls)}")

    retrying = RetryPolicy.no_wait(4).retrying(lambda state: Failure(None))
    with pytest.raises(ConnectionError, match="try 4"):
        retrying(boom)
    calls.clear()
    final = RetryPolicy.no_wait(4).retrying(lambda state: None)  # the policy says: do not repeat
    with pytest.raises(ConnectionError, match="try 1"):
        final(boom)
