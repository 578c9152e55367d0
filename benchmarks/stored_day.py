"""Reading a big day back from the state database, as every plan of a day does.

The transform and the load task each plan the day from the raw Nets responses stored by
the extract (``pipeline.plan.raw_inputs``): the payout details and every payment their
actions name, parsed from JSON. At a million payment actions that is hundreds of
thousands of payments, so the reading can cost as much as the transform itself. This
stores one day (``transform_scale.build_day``) in a fresh SQLite state database, then
times ``raw_inputs`` in a fresh process per repeat (nothing cached in the interpreter).

Run alone: ``.venv/bin/python -m benchmarks.stored_day --actions 100000``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks.fresh import fresh_runs
from benchmarks.stats import Figure
from benchmarks.transform_scale import build_day

TENANT = "bench"
DAY = date(2026, 12, 1)
METHOD = (
    "pipeline.plan.raw_inputs of one payout day stored in a fresh SQLite state database "
    "(transform_scale.build_day: {actions:,} payment actions, their payments, saved with "
    "Ledger.save_raw); each repeat in a fresh process, wall time of raw_inputs alone "
    "(read as JSON text in UTF-8; the payout decoded into dicts; the payments left as "
    "their text, which transform() reads with booking.arrow_read)."
)


def store_day(url: str, actions: int) -> int:
    """Save a built day into the state database at ``url``; return its payments."""
    from dibs_fortnox.ledger import Ledger, revisions

    revisions.upgrade(url)
    (payout,), payments = build_day(actions, 20_000)
    ledger = Ledger.from_url(url)
    try:
        listing = {"payouts": [{"id": payout["id"]}]}
        ledger.save_raw(TENANT, "payouts_list", DAY.isoformat(), DAY, listing)
        ledger.save_raw(TENANT, "payout", payout["id"], DAY, payout)
        for payment_id, payment in payments.items():
            ledger.save_raw(TENANT, "payment", payment_id, DAY, payment)
    finally:
        ledger.close()
    return len(payments)


def child(url: str) -> dict[str, Any]:
    """One measured read (in this process)."""
    from dibs_fortnox.ledger import Ledger
    from dibs_fortnox.pipeline.plan import raw_inputs

    ledger = Ledger.from_url(url)
    ctx = SimpleNamespace(ledger=ledger, tenant=SimpleNamespace(id=TENANT), day=DAY)
    try:
        started = time.perf_counter()
        payouts, payments = raw_inputs(ctx)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    return {
        "seconds": seconds,
        "payments": len(payments),
        "actions": len(payouts[0]["paymentActions"]),
    }


def bench_stored_day(actions: int = 100_000, repeats: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-stored-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        store_day(url, actions)
        runs = fresh_runs("benchmarks.stored_day", ["--child", url], repeats)
    k = f"{round(runs[0]['actions'] / 1000)}k"
    return {
        f"stored_day_{k}_actions_read_s": Figure.of([r["seconds"] for r in runs], "s"),
        f"stored_day_{k}_payments_per_s": Figure.of(
            [r["payments"] / r["seconds"] for r in runs], "1/s", 0
        ),
        f"stored_day_{k}_payments": runs[0]["payments"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    for name, value in bench_stored_day(args.actions, args.repeats).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
