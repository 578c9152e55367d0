"""Client-side throttle so that a tenant's calls stay under the API's sliding window.

Fortnox allows 25 requests per 5 seconds per client id and tenant, over a sliding window,
and answers 429 beyond it (fortnox-api reference §2). Integrators that limited at exactly
that rate still met 429s, because the server counts arrival times and ours are send times,
so the Fortnox default keeps a margin: 24 requests per 5.2 seconds.

The limiter remembers when each of the last ``max_requests`` calls was let through; a new
call waits until the oldest of them is more than ``window_s`` old. It is thread safe: the
lock is held while waiting, which queues the other threads of the same tenant in order.

Example:
    >>> now = [0.0]
    >>> limiter = SlidingWindowLimiter(2, 1.0, clock=lambda: now[0],
    ...                                sleep=lambda s: now.__setitem__(0, now[0] + s))
    >>> [limiter.acquire() for _ in range(3)]
    [0.0, 0.0, 1.0]
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

FORTNOX_LIMIT = 25
FORTNOX_WINDOW_S = 5.0
# What our clients allow themselves: one request and 0.2 s of margin under Fortnox's limit,
# because Fortnox counts arrival times and we count send times.
FORTNOX_CLIENT_LIMIT = FORTNOX_LIMIT - 1
FORTNOX_CLIENT_WINDOW_S = FORTNOX_WINDOW_S + 0.2


class Limiter(Protocol):
    """Anything that makes a caller wait until one more request may be sent."""

    def acquire(self) -> float:
        """Wait until a call may be sent, record it, and return the seconds waited."""
        ...


def wait_before_next(
    sent: Iterable[float], now: float, max_requests: int, window_s: float
) -> float:
    """Seconds to wait before one more send fits the sliding window (0 when it fits now).

    Args:
        sent: send times (any clock, same as ``now``) of earlier calls; old ones are ignored.
    """
    recent = sorted(t for t in sent if t > now - window_s)
    if len(recent) < max_requests:
        return 0.0
    # The floor keeps a float-rounded remainder from looping without progress.
    return max(recent[len(recent) - max_requests] + window_s - now, 1e-6)


class SlidingWindowLimiter:
    """Let at most ``max_requests`` calls through in any ``window_s`` seconds.

    Args:
        max_requests: calls allowed per window.
        window_s: the window length in seconds.
        clock: monotonic seconds (``time.monotonic``; tests pass a fake).
        sleep: how to wait (``time.sleep``; a fake must advance the fake clock).
    """

    def __init__(
        self,
        max_requests: int = 24,
        window_s: float = 5.2,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.max_requests = max_requests
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    @classmethod
    def fortnox(
        cls,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SlidingWindowLimiter:
        """Fortnox's 25 per 5 s with a safety margin: 24 per 5.2 s."""
        return cls(FORTNOX_CLIENT_LIMIT, FORTNOX_CLIENT_WINDOW_S, clock=clock, sleep=sleep)

    def acquire(self) -> float:
        """Wait until a call may be sent, record it, and return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window_s:
                    self._sent.popleft()
                pause = wait_before_next(self._sent, now, self.max_requests, self.window_s)
                if pause == 0.0:
                    self._sent.append(now)
                    return waited
                self._sleep(pause)
                waited += pause

    def in_window(self) -> int:
        """How many calls were let through within the current window (for tests and logs)."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._sent if t > now - self.window_s)
