"""Deterministic crash points for the chaos suite: off unless ``$DIBS_FORTNOX_CHAOS_KILLS`` is set.

The exactly-once promise is about crashes at the worst moments: after a write left this
process and before the state database recorded its answer. An external ``kill -9`` lands
there only by luck, so the chaos suite (``benchmarks/chaos.py``) also plans kills at named
points. A plan is a folder of empty files named ``<tenant>__<day>__<point>__<n>.kill``:
when this process reaches ``point`` for the ``n``-th time while loading that tenant's day,
it removes the file (so the kill happens once, whichever try gets there) and sends itself
SIGKILL, exactly what the kernel's out-of-memory killer does. Nothing runs after it: no
``finally``, no log flush, no ledger update. Each kill is noted in ``kills.log`` first.

Points:
    ``before_send``: the ledger says ``unknown`` (the write is about to go), nothing sent.
    ``after_write``: Fortnox answered the create; the number is not recorded yet.
    ``after_bookkeep``: Fortnox bookkept the document; the ledger does not know yet.

In production the variable is unset and ``reached`` returns after one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Literal

CHAOS_ENV = "DIBS_FORTNOX_CHAOS_KILLS"

KillPoint = Literal["before_send", "after_write", "after_bookkeep"]
KILL_POINTS: tuple[KillPoint, ...] = ("before_send", "after_write", "after_bookkeep")

_reached: Counter[tuple[str, str, str]] = Counter()


def plan_file(folder: Path, tenant: str, day: str, point: KillPoint, nth: int) -> Path:
    """The file that plans one kill (the suite creates it; ``reached`` consumes it)."""
    return folder / f"{tenant}__{day}__{point}__{nth}.kill"


def reached(tenant: str, day: str, point: KillPoint, what: str) -> None:
    """Note that this process reached ``point``; die here if the chaos plan says so."""
    folder = os.environ.get(CHAOS_ENV)
    if not folder:
        return
    key = (tenant, day, point)
    _reached[key] += 1
    planned = plan_file(Path(folder), tenant, day, point, _reached[key])
    try:
        planned.unlink()  # atomic: only one process can take a planned kill
    except FileNotFoundError:
        return
    with (Path(folder) / "kills.log").open("a", encoding="utf-8") as log:
        log.write(f"{time.time():.3f} {tenant} {day} {point} {what}\n")
    os.kill(os.getpid(), signal.SIGKILL)
