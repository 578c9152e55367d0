"""How much of Fortnox's allowance one tenant's booking uses, with the limit on.

One generated day of ``charges`` payments goes through the pipeline (extract → transform
→ load → reconcile) against the emulators on 127.0.0.1, with the Fortnox emulator enforcing
25 requests per 5 s (sliding, counted at arrival, no ``Retry-After``: fortnox-api
reference §2) and the client using the tenant's shared rate window in the state database,
as in production. The emulator's admission of every ``/3/`` request is timestamped, so the
rate is measured where Fortnox measures it: on arrival. Utilisation = the shortest time
the window allows for a run of requests over the time they took: request i and i+25 must
arrive 5 s apart, so 251 requests need at least 50 s, and 50 s / their span is 1.0 at
the limit. The spread is over consecutive segments of 251 requests.

Run alone: ``.venv/bin/python -m benchmarks.fortnox_rate --charges 2000``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.stats import Figure

METHOD = (
    "one generated day of {charges:,} payments (ScenarioConfig seed 11, one payout day) "
    "through extract -> reconcile against the emulators on 127.0.0.1; the Fortnox emulator "
    "enforces 25 requests per 5 s sliding (counted on arrival, refused requests not "
    "counted); the client uses the tenant's shared rate window in the SQLite state "
    "database. Each /3/ request's admission time is recorded in the emulator. Utilisation "
    "= the least time 25 per 5 s allows for a run of requests (5 s per 25 after the first) "
    "over the time the run took, median and spread over segments of 251 consecutive "
    "requests; worst window = most arrivals in any 5 s; one run."
)
SEGMENT = 251  # 10 full windows from the first to the last


def _utilisation(arrivals: list[float]) -> float:
    """The least time 25 per 5 s allows for these arrivals, over the time they took."""
    least = 5.0 * ((len(arrivals) - 1) // 25)
    return least / (arrivals[-1] - arrivals[0])


def bench_fortnox_rate(charges: int = 2000) -> dict[str, Any]:
    from tests.pipeline.world import make_world

    from dibs_fortnox.fortnox.auth import ClientCredentials
    from dibs_fortnox.fortnox.client import FortnoxClient
    from dibs_fortnox.pipeline.context import fortnox_window

    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(
            Path(tmp), days=1, payments_per_day=charges, deposit_every_days=0, rate_limit=True
        )
        try:
            arrivals: list[float] = []
            admit = world.fortnox_app.admit

            def timed_admit(request: Any) -> Any:
                if request.path.startswith("/3/"):
                    arrivals.append(time.monotonic())
                return admit(request)

            world.fortnox_app.admit = timed_admit  # type: ignore[method-assign]

            def client() -> FortnoxClient:
                auth = ClientCredentials(
                    "demo-client", world.client_secret, world.tenant.id, world.fortnox.url
                )
                limiter = fortnox_window(world.ledger, world.tenant.id)
                return FortnoxClient(
                    world.fortnox.url, auth, tenant=world.tenant.id, limiter=limiter
                )

            world.fortnox_client = client  # type: ignore[method-assign]
            day = world.payout_days()[0]
            started = time.perf_counter()
            summary = world.run_day(day)
            seconds = time.perf_counter() - started
            refused = world.fortnox_app.limiter.refused
        finally:
            world.close()
    invoices = summary["reconcile"]["invoices"] + summary["reconcile"]["credits"]
    rates = [
        _utilisation(arrivals[i : i + SEGMENT])
        for i in range(0, len(arrivals) - SEGMENT + 1, SEGMENT)
    ]
    overall = _utilisation(arrivals)
    worst = max(sum(1 for u in arrivals[i : i + 40] if u - t < 5.0) for i, t in enumerate(arrivals))
    return {
        "rate_utilisation": Figure.of(rates or [overall], "of 25/5s", 3),
        "rate_utilisation_whole_day": round(overall, 3),
        "rate_429_responses": refused,
        "rate_worst_5s_window_requests": worst,
        "rate_fortnox_requests": len(arrivals),
        "rate_documents": invoices,
        "rate_day_minutes": round(seconds / 60, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=2000)
    args = parser.parse_args()
    for name, value in bench_fortnox_rate(args.charges).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
