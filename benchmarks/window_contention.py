"""Can one SQLite state database keep up with many tenants' rate windows at once?

Every Fortnox request first reserves its send time in the tenant's row of
``request_windows`` (``ledger/windows.py``): one read and one conditional write. Rows are
per tenant, but SQLite has one write lock per database, so tenants could still queue
behind each other there. This measures reservations per second with one process and with
ten processes, each on its own tenant, against one SQLite file in WAL mode (as the
workers use it), with a window so short that no reservation ever waits for the limit: what
is left is the database's cost. Ten tenants at Fortnox's pace need about 46 a second.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.stats import Figure

METHOD = (
    "SharedWindowLimiter.acquire() in a loop for {seconds} s, window 24 requests / 1 ms (never "
    "waits for the limit), each process on its own tenant, one SQLite state database file in "
    "WAL mode; 1 process, then 10 processes at once (fork); reservations per second in total; "
    "{repeats} repeats"
)


def _reserve(url: str, tenant: str, seconds: float, start_at: float, out: object) -> None:
    from dibs_fortnox.ledger import Ledger

    ledger = Ledger.from_url(url)
    limiter = ledger.rate_window(tenant, "fortnox", 24, 0.001)
    limiter.acquire()  # creates the row before the clock starts
    while time.time() < start_at:
        time.sleep(0.001)
    count, stop = 0, start_at + seconds
    while time.time() < stop:
        limiter.acquire()
        count += 1
    ledger.close()
    out.put(count)  # type: ignore[attr-defined]


def _run(url: str, processes: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 2.0
    workers = [
        ctx.Process(target=_reserve, args=(url, f"t{n:02d}", seconds, start_at, queue))
        for n in range(processes)
    ]
    for w in workers:
        w.start()
    total: int = sum(queue.get(timeout=120) for _ in workers)
    for w in workers:
        w.join()
    return total / seconds


def bench_window_contention(seconds: float = 5.0, repeats: int = 3) -> dict[str, Figure]:
    from dibs_fortnox.ledger.revisions import upgrade

    one: list[float] = []
    ten: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-windows-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        upgrade(url)  # the tables first, once, as the operator's migration command does
        for _ in range(repeats):
            one.append(_run(url, 1, seconds))
            ten.append(_run(url, 10, seconds))
    return {
        "window_reservations_per_s_1_process": Figure.of(one, "1/s", digits=0),
        "window_reservations_per_s_10_processes": Figure.of(ten, "1/s", digits=0),
        "window_10_vs_1": Figure.of([t / o for o, t in zip(one, ten, strict=True)], "x", digits=2),
        "window_needed_per_s_10_tenants": Figure.of([10 * 24 / 5.2], "1/s", digits=0),
        "window_headroom_10_tenants": Figure.of(
            [statistics.median(ten) / (10 * 24 / 5.2)], "x", digits=1
        ),
    }
