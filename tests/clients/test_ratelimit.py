"""The sliding-window limiter, driven by a fake clock so no test waits for real."""

from __future__ import annotations

import threading
from collections import deque

import pytest

from dibs_fortnox.ratelimit import SlidingWindowLimiter


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_lets_the_first_burst_through_without_waiting() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(5)] == [0.0] * 5
    assert clock.now == 1000.0


def test_the_next_call_waits_for_the_oldest_to_leave_the_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 2.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    clock.sleep(0.5)
    assert limiter.acquire() == pytest.approx(1.5)
    assert clock.now == pytest.approx(1002.0)


def test_no_window_ever_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter.fortnox(clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(200):
        limiter.acquire()
        sent.append(clock.now)
    # Check every 5-second window the real API would look at (25 allowed).
    worst = max(sum(1 for t in sent if start <= t < start + 5.0) for start in sent)
    assert worst <= 24
    assert limiter.max_requests == 24 and limiter.window_s == pytest.approx(5.2)
    # ... and the limiter does not slow down more than needed: 200 calls in about 8 windows.
    assert clock.now - 1000.0 == pytest.approx(8 * 5.2)


def test_threads_share_one_budget() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    times: list[float] = []

    class Recording(deque[float]):
        def append(self, value: float) -> None:  # called under the limiter's lock
            times.append(value)
            super().append(value)

    limiter._sent = Recording()

    def work() -> None:
        for _ in range(10):
            limiter.acquire()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(times) == 40
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 10


def test_refuses_a_configuration_without_a_limit() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 1.0)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(5, 0.0)
