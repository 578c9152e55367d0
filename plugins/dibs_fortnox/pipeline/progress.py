"""Progress of a long load in the task log: n of m documents, rate and time left.

A big day or a backfill of a busy shop posts thousands of documents at Fortnox's pace
(about 5 requests a second per tenant, some 4 requests per charge), so one load can run
for many minutes. Without a line now and then an operator cannot tell a slow load from a
stuck one. ``Progress`` logs a line every ``every_docs`` documents or ``every_s`` seconds,
whichever comes first, and always for the last document; the arithmetic and wording are
pure functions, so they are tested without a clock.

Example:
    >>> progress = Progress(total=800, where="tenant acme, day 2026-11-03")  # doctest: +SKIP
    >>> progress.advance()  # after each document is confirmed              # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dibs_fortnox.booking.documents import PayoutBooking

log = logging.getLogger(__name__)

EVERY_DOCS = 250
EVERY_S = 30.0


def documents_to_post(bookings: Iterable[PayoutBooking]) -> int:
    """How many documents the load posts for these payouts.

    Customers (shared by the payouts of a day, each counted once), each invoice and its
    payment, and one voucher per payout that moves money; the same walk the load makes.
    """
    chosen = list(bookings)
    customers = {c.key for booking in chosen for c in booking.customers}
    return len(customers) + sum(
        len(b.invoices) + len(b.payments) + (1 if b.voucher.rows else 0) for b in chosen
    )


def estimate(done: int, total: int, elapsed_s: float) -> tuple[float, float | None]:
    """Documents per second so far and the seconds left at that rate.

    Returns:
        ``(rate, left)``; ``left`` is None while nothing is done or no time has passed
        (no rate to extrapolate from), and 0 once everything is done.
    """
    if done >= total:
        return (done / elapsed_s if elapsed_s > 0 else 0.0), 0.0
    if done <= 0 or elapsed_s <= 0:
        return 0.0, None
    rate = done / elapsed_s
    return rate, (total - done) / rate


def format_duration(seconds: float) -> str:
    """A duration as a person reads it: '45 s', '4 min 10 s', '1 h 3 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def format_progress(where: str, done: int, total: int, elapsed_s: float) -> str:
    """One progress line: '<where>: 150 of 800 documents (19 %), 1.2/s, about 9 min 2 s left'."""
    rate, left = estimate(done, total, elapsed_s)
    share = 100 * done / total if total else 100.0
    line = f"{where}: {done} of {total} documents ({share:.0f} %), {rate:.1f}/s"
    if left is None:
        return line + ", time left not known yet"
    if left == 0:
        return line + f", done in {format_duration(elapsed_s)}"
    return line + f", about {format_duration(left)} left"


@dataclass
class Progress:
    """Counts documents as the load confirms them and logs a line now and then.

    Attributes:
        total: documents the load will post (``documents_to_post``).
        where: who and which day, as in every other message of the run.
        every_docs: log at least every this many documents.
        every_s: ... and at least every this many seconds (checked as documents arrive).
        clock: monotonic seconds (tests pass a fake).
        emit: where a line goes (the task log by default).
    """

    total: int
    where: str
    every_docs: int = EVERY_DOCS
    every_s: float = EVERY_S
    clock: Callable[[], float] = time.monotonic
    emit: Callable[[str], None] = log.info
    done: int = 0
    _started: float = field(init=False)
    _last_done: int = field(init=False, default=0)
    _last_at: float = field(init=False)

    def __post_init__(self) -> None:
        self._started = self._last_at = self.clock()

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more documents confirmed; log when a line is due."""
        self.done += count
        now = self.clock()
        due = (
            self.done >= self.total
            or self.done - self._last_done >= self.every_docs
            or now - self._last_at >= self.every_s
        )
        if due and self.done != self._last_done:
            self.emit(format_progress(self.where, self.done, self.total, now - self._started))
            self._last_done, self._last_at = self.done, now
