"""The sliding-window limiter, driven by a fake clock so no test waits for real."""

from __future__ import annotations

import random
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
        limiter.answered()
    # Check every 5-second window the real API would look at (25 allowed).
    worst = max(sum(1 for t in sent if start <= t < start + 5.0) for start in sent)
    assert worst <= 25
    assert limiter.max_requests == 25 and limiter.window_s == pytest.approx(5.0)
    # ... and the limiter does not slow down more than needed: 200 calls in 7 windows.
    assert clock.now - 1000.0 == pytest.approx(7 * 5.0)


def _arrivals(limiter: SlidingWindowLimiter, clock: FakeClock, answers: bool) -> list[float]:
    """A sequential client whose requests take 1-20 ms to arrive, now and then 300 ms."""
    rng = random.Random(7)
    arrived = []
    for _ in range(400):
        limiter.acquire()
        clock.sleep(0.3 if rng.random() < 0.1 else rng.uniform(0.001, 0.02))
        arrived.append(clock.now)  # what the server counts
        clock.sleep(rng.uniform(0.001, 0.02))
        if answers:
            limiter.answered()
    return arrived


def _worst_window(arrived: list[float]) -> int:
    return max(sum(1 for t in arrived if start - 5.0 < t <= start) for start in arrived)


def test_counting_answer_times_keeps_every_arrival_window_within_the_limit() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(25, 5.0, clock=clock, sleep=clock.sleep)
    assert _worst_window(_arrivals(limiter, clock, answers=True)) <= 25


def test_counting_send_times_alone_lets_arrivals_bunch_up() -> None:
    # The reason for answered(): the same client counting only send times overshoots.
    clock = FakeClock()
    limiter = SlidingWindowLimiter(25, 5.0, clock=clock, sleep=clock.sleep)
    assert _worst_window(_arrivals(limiter, clock, answers=False)) > 25


def test_an_answer_from_another_thread_does_not_move_this_threads_call() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, 1.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.sleep(0.5)
    other = threading.Thread(target=limiter.answered)
    other.start()
    other.join()
    assert list(limiter._sent) == [1000.0]
    limiter.answered()
    assert list(limiter._sent) == [1000.5]


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
