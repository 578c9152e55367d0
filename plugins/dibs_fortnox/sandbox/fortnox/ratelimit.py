"""Fortnox's rate limit: 25 requests per 5-second sliding window per client and tenant.

Source: Fortnox developer pages "Rate limits for Fortnox API" (25 per 5 s, sliding, per
client id and tenant, answered with 429). A refused request does not count towards the
window, so a client that backs off gets through as soon as old requests age out. The
clock is injected so tests can move time without sleeping.

Example:
    >>> now = [0.0]
    >>> limiter = SlidingWindowLimiter(limit=2, window_s=5.0, clock=lambda: now[0])
    >>> [limiter.allow("k") for _ in range(3)]
    [True, True, False]
    >>> now[0] = 5.0
    >>> limiter.allow("k")
    True
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

LIMIT = 25
WINDOW_S = 5.0


class SlidingWindowLimiter:
    """Counts accepted requests per key over the last ``window_s`` seconds (thread safe)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock or time.monotonic
        self._seen: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self.refused = 0

    def allow(self, key: Hashable) -> bool:
        """Record a request for ``key`` and say whether it is within the limit."""
        with self._lock:
            now = self.clock()
            window = self._seen.setdefault(key, deque())
            while window and window[0] <= now - self.window_s:
                window.popleft()
            if len(window) >= self.limit:
                self.refused += 1
                return False
            window.append(now)
            return True

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` may send again (0 when it may now)."""
        with self._lock:
            window = self._seen.get(key)
            if not window or len(window) < self.limit:
                return 0.0
            return max(0.0, window[0] + self.window_s - self.clock())
