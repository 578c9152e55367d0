"""Run every benchmark and print one line per figure (targets in BENCHMARKS.md).

Each benchmark is a plain function returning its figures; speed targets live here, never
in the test suite, because a loaded CI machine would make a timed test flaky.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import requests

from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer

Figures = dict[str, Any]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hammer(url: str, headers: dict[str, str], paths: list[str], threads: int = 2) -> float:
    """GET every path with ``threads`` keep-alive sessions; return requests per second."""
    chunks = [paths[i::threads] for i in range(threads)]
    errors: list[str] = []

    def worker(chunk: list[str]) -> None:
        with requests.Session() as session:
            for path in chunk:
                response = session.get(url + path, headers=headers, timeout=10)
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return len(paths) / elapsed


def bench_fortnox_emulator() -> Figures:
    app = FortnoxApp(rate_limit=False)
    app.add_company(demo_company("demo"))
    app.add_client("bench", "bench-secret", tenant_ids=["demo"])
    with SandboxServer(app) as server, requests.Session() as session:
        token = session.post(
            server.url + "/oauth-v1/token",
            auth=("bench", "bench-secret"),
            headers={"TenantId": "demo"},
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        customer = session.post(
            server.url + "/3/customers",
            headers=headers,
            data=json.dumps({"Customer": {"Name": "Bench"}}),
        ).json()
        number = customer["Customer"]["CustomerNumber"]
        body = json.dumps(
            {
                "Invoice": {
                    "CustomerNumber": number,
                    "InvoiceDate": "2026-11-02",
                    "InvoiceRows": [
                        {"AccountNumber": 3001, "Price": 100, "DeliveredQuantity": "1", "VAT": 25}
                    ],
                }
            }
        )
        posts = 500
        started = time.perf_counter()
        for _ in range(posts):
            assert (
                session.post(server.url + "/3/invoices", headers=headers, data=body).status_code
                == 201
            )
        post_rate = posts / (time.perf_counter() - started)
        get_rate = _hammer(
            server.url, headers, [f"/3/invoices/{n % posts + 1}" for n in range(3000)]
        )
    return {"fortnox_get_per_s": round(get_rate), "fortnox_post_invoice_per_s": round(post_rate)}


def bench_nets_emulator() -> Figures:
    scenario = generate(ScenarioConfig(seed=5, days=3, payments_per_day=200))
    app = NetsApp(mode="live", payment_get_limit=10**9)
    app.add_merchant(
        secret_key=scenario.secret_key, payments=scenario.payments, payouts=scenario.payouts
    )
    ids = [p["paymentId"] for p in scenario.payments]
    with SandboxServer(app) as server:
        rate = _hammer(
            server.url,
            {"Authorization": scenario.secret_key},
            [f"/v1/payments/{ids[n % len(ids)]}" for n in range(3000)],
        )
    return {"nets_get_payment_per_s": round(rate)}


def bench_scenario_100k() -> Figures:
    before = _rss_mb()
    started = time.perf_counter()
    scenario = generate(ScenarioConfig(seed=1, days=1, payments_per_day=100_000))
    seconds = time.perf_counter() - started
    actions = sum(len(p["paymentActions"]) for p in scenario.payouts)
    return {
        "scenario_100k_payments_s": round(seconds, 1),
        "scenario_100k_actions": actions,
        "scenario_100k_peak_rss_growth_mb": round(_rss_mb() - before),
    }


def bench_transform(payments_per_day: int = 20_000) -> Figures:
    from dibs_fortnox.booking.settings import BookingAccounts, BookingSettings
    from dibs_fortnox.booking.transform import transform

    scenario = generate(
        ScenarioConfig(seed=2, days=1, payments_per_day=payments_per_day, payout_delay_days=0)
    )
    settings = BookingSettings("bench", BookingAccounts(3001, 3106, 3105, 1516, 1930, 6040))
    payments = {p["paymentId"]: p for p in scenario.payments}
    before = _rss_mb()
    started = time.perf_counter()
    result = transform(scenario.payouts, payments, settings)
    bookings = result.bookings()
    seconds = time.perf_counter() - started
    invoices = sum(len(b.invoices) for b in bookings)
    return {
        f"transform_{payments_per_day // 1000}k_payments_s": round(seconds, 2),
        "transform_invoices": invoices,
        "transform_held": len(result.held),
        "transform_rss_growth_mb": round(_rss_mb() - before),
    }


def bench_pipeline_day(payments_per_day: int = 200) -> Figures:
    """One day end to end against unthrottled emulators: requests per document and seconds."""
    from tests.pipeline.world import make_world

    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(
            Path(tmp), days=1, payments_per_day=payments_per_day, deposit_every_days=0
        )
        try:
            day = world.payout_days()[0]
            started = time.perf_counter()
            summary = world.run_day(day)
            seconds = time.perf_counter() - started
            requests_sent = sum(world.fortnox_app.requests_by_route.values())
            invoices = summary["reconcile"]["invoices"] + summary["reconcile"]["credits"]
            started = time.perf_counter()
            world.run_day(day)
            rerun = time.perf_counter() - started
        finally:
            world.close()
    return {
        "pipeline_day_invoices": invoices,
        "pipeline_day_s_unthrottled": round(seconds, 1),
        "pipeline_fortnox_requests_per_invoice": round(requests_sent / invoices, 2),
        "pipeline_rerun_s": round(rerun, 1),
        "pipeline_day_min_at_fortnox_limit": round(requests_sent / (24 / 5.2) / 60, 1),
    }


BENCHMARKS: dict[str, Callable[[], Figures]] = {
    "fortnox-emulator": bench_fortnox_emulator,
    "nets-emulator": bench_nets_emulator,
    "scenario-100k": bench_scenario_100k,
    "transform": bench_transform,
    "pipeline-day": bench_pipeline_day,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="default: all")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures: Figures = {"date": date.today().isoformat()}
    for name in args.names or list(BENCHMARKS):
        started = time.perf_counter()
        result = BENCHMARKS[name]()
        figures.update(result)
        print(
            f"{name:<18} {json.dumps(result)}  ({time.perf_counter() - started:.0f} s)", flush=True
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
