"""Several workers racing for the same document: exactly one intent, exactly one sender.

Threads each open their own Ledger (own engine and pool, as separate workers would); the
process test starts real Python interpreters against the same database file or server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from dibs_fortnox.ledger import Ledger

DAY = date(2026, 3, 1)
WORKERS = 8
REPO = Path(__file__).resolve().parents[2]


def test_threads_claiming_one_document_create_one_intent_and_one_sender(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledgers = [make_ledger() for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)

    def work(ledger: Ledger) -> tuple[str, bool]:
        barrier.wait()
        state = ledger.claim("acme", "invoice", "ch_1", day=DAY, payout_id="po", payload_hash="h")
        return state.status, ledger.begin_write("acme", "invoice", "ch_1")

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(work, ledgers))

    assert len(ledgers[0].documents("acme")) == 1
    assert sorted(took for _, took in results) == [False] * (WORKERS - 1) + [True]
    assert {status for status, _ in results} <= {"intent", "unknown"}
    final = ledgers[0].document("acme", "invoice", "ch_1")
    assert final is not None and final.status == "unknown"


def test_threads_writing_many_documents_lose_nothing(make_ledger: Callable[..., Ledger]) -> None:
    ledgers = [make_ledger() for _ in range(4)]
    barrier = threading.Barrier(len(ledgers))

    def work(worker: int) -> int:
        ledger = ledgers[worker]
        barrier.wait()
        sent = 0
        for n in range(25):
            ref = f"ch_{n}"
            ledger.claim("acme", "invoice", ref, day=DAY, payout_id="po", payload_hash=None)
            if ledger.begin_write("acme", "invoice", ref):
                ledger.mark_posted("acme", "invoice", ref, f"{n}")
                sent += 1
            ledger.record_payout("acme", DAY, f"po_{worker}", "pending")
        return sent

    with ThreadPoolExecutor(len(ledgers)) as pool:
        sent = list(pool.map(work, range(len(ledgers))))

    assert sum(sent) == 25
    docs = ledgers[0].documents("acme")
    assert len(docs) == 25 and {d.status for d in docs} == {"posted"}
    assert len(ledgers[0].payouts("acme")) == 4


_WORKER = """
import sys, time
from datetime import date
from pathlib import Path
from dibs_fortnox.ledger import Ledger
url, go = sys.argv[1], Path(sys.argv[2])
ledger = Ledger.from_url(url)
while not go.exists():
    time.sleep(0.005)
ledger.claim("acme", "invoice", "ch_1", day=date(2026, 3, 1), payout_id="po", payload_hash="h")
print("sent" if ledger.begin_write("acme", "invoice", "ch_1") else "skipped")
ledger.close()
"""


def test_processes_claiming_one_document_create_one_intent_and_one_sender(
    db_url: str, tmp_path: Path, make_ledger: Callable[..., Ledger]
) -> None:
    ledger = make_ledger()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, db_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    time.sleep(0.5)  # let every interpreter start and open its connection
    go.touch()
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, [err for _, err in outputs]
    assert sorted(out.strip() for out, _ in outputs) == ["sent", "skipped", "skipped", "skipped"]
    assert len(ledger.documents("acme")) == 1
