"""The tenant's Fortnox rate window, shared through the state database by several processes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable

from dibs_fortnox.ledger import Ledger


class WallClock:
    """Epoch seconds that only move when someone sleeps: several limiters share it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_two_processes_share_one_window(make_ledger: Callable[..., Ledger]) -> None:
    wall = WallClock()
    first, second = make_ledger(), make_ledger()  # two workers, one database
    windows = [ledger.rate_window("acme", "fortnox", 4, 1.0) for ledger in (first, second)]
    for window in windows:
        window._wall = wall
        window._sleep = wall.sleep
    sent: list[float] = []
    for i in range(12):
        windows[i % 2].acquire()
        sent.append(wall.now)
    # Four per second in total, not four per worker: 12 sends need two full waits.
    assert wall.now - 1_800_000_000.0 == 2.0
    for t in sent:
        assert sum(1 for u in sent if t - 1.0 < u <= t) <= 4


def test_tenants_do_not_share_a_window(make_ledger: Callable[..., Ledger]) -> None:
    wall = WallClock()
    ledger = make_ledger()
    acme = ledger.rate_window("acme", "fortnox", 2, 1.0)
    other = ledger.rate_window("other", "fortnox", 2, 1.0)
    for window in (acme, other):
        window._wall = wall
        window._sleep = wall.sleep
    assert [acme.acquire(), acme.acquire(), other.acquire(), other.acquire()] == [0.0] * 4
    assert acme.acquire() == 1.0


def _hammer(url: str, calls: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    ledger = Ledger.from_url(url)
    window = ledger.rate_window("acme", "fortnox", 5, 0.5)
    last = [0.0]

    def wall() -> float:  # the real clock, remembering the instant of the reservation
        last[0] = time.time()
        return last[0]

    window._wall = wall
    for _ in range(calls):
        window.acquire()
        out.put(last[0])
    ledger.close()


def test_real_processes_never_exceed_the_window(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_hammer, args=(db_url, 10, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    sent = sorted(out.get(timeout=5) for _ in range(30))
    worst = max(sum(1 for u in sent if t - 0.5 < u <= t) for t in sent)
    assert worst <= 5
    assert sent[-1] - sent[0] >= 2.5  # 30 sends at 5 per 0.5 s take at least 5 windows


def test_an_answer_moves_the_reservation_to_the_answer_time(
    make_ledger: Callable[..., Ledger],
) -> None:
    wall = WallClock()
    window = make_ledger().rate_window("acme", "fortnox", 2, 1.0)
    window._wall = wall
    window._sleep = wall.sleep
    window.acquire()
    wall.sleep(0.4)  # the answer took 400 ms: the request may have arrived that late
    window.answered()
    window.acquire()
    window.answered()
    # The third waits until the first's answer (not its send) is 1 s old: 1.0 s, not 0.6 s.
    assert window.acquire() == 1.0
