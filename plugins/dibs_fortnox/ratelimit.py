"""Client-side throttle so that a tenant's calls stay under the API's sliding window.

Fortnox allows 25 requests per 5 seconds per client id and tenant, over a sliding window,
and answers 429 beyond it (fortnox-api reference §2). Integrators that limited at exactly
that rate still met 429s, because the server counts when a request *arrives* and a
client knows only when it sent it: an earlier request that travels longer than a later
one makes the server see the two closer together than the client did. Others add slack
(24 per 5.2 s here before); we bound the arrival instead. A request arrives after it is
sent and before its answer comes back, so the limiter keeps, for each request, its
answer time (``answered()``), and lets a new request go when fewer than 25 answers lie
within the last 5 s. The server then never sees 26 in any 5 s: the new one arrives after
it is sent, the old ones arrived before their answers. The price is one round trip per
window (25 per 5 s + one answer's latency), not a fixed 8 %.

The limiter remembers the last ``max_requests`` calls; a new call waits until the oldest
of them is more than ``window_s`` old. A call still waiting for its answer counts with its
send time (for one sequential client it is always the newest, so this never matters). It
is thread safe: the lock is held while waiting, which queues the other threads of the
same tenant in order.

Example:
    >>> now = [0.0]
    >>> limiter = SlidingWindowLimiter(2, 1.0, clock=lambda: now[0],
    ...                                sleep=lambda s: now.__setitem__(0, now[0] + s))
    >>> [limiter.acquire() for _ in range(3)]
    [0.0, 0.0, 1.0]
    >>> now[0] = 1.5; limiter.answered()          # the third answer came back at 1.5
    >>> limiter.acquire(), now[0]                 # 2 within 1 s of 1.5 - wait for the first
    (0.0, 1.5)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

FORTNOX_LIMIT = 25
FORTNOX_WINDOW_S = 5.0
# What our clients allow themselves: Fortnox's own limit, counted from answer times
# (see the module doc), so no margin is needed.
FORTNOX_CLIENT_LIMIT = FORTNOX_LIMIT
FORTNOX_CLIENT_WINDOW_S = FORTNOX_WINDOW_S


class Limiter(Protocol):
    """Anything that makes a caller wait until one more request may be sent."""

    def acquire(self) -> float:
        """Wait until a call may be sent, record it, and return the seconds waited."""
        ...

    def answered(self) -> None:
        """The call this thread last let through has its answer (or failed): record when."""
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
        max_requests: int = FORTNOX_CLIENT_LIMIT,
        window_s: float = FORTNOX_CLIENT_WINDOW_S,
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
        self._mine = threading.local()  # the entry of this thread's call in flight

    @classmethod
    def fortnox(
        cls,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SlidingWindowLimiter:
        """Fortnox's 25 per 5 s, counted from answer times (no margin needed)."""
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
                    self._mine.sent = now
                    return waited
                self._sleep(pause)
                waited += pause

    def answered(self) -> None:
        """Move this thread's last call from its send time to now, its answer time."""
        sent = getattr(self._mine, "sent", None)
        if sent is None:
            return
        self._mine.sent = None
        with self._lock:
            now = self._clock()
            for i in range(len(self._sent) - 1, -1, -1):
                if self._sent[i] == sent:
                    self._sent[i] = max(sent, now)
                    return

    def in_window(self) -> int:
        """How many calls were let through within the current window (for tests and logs)."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._sent if t > now - self.window_s)
