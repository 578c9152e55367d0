"""Run every benchmark, print its figures and merge them into bench/results.json.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from benchmarks import results
from benchmarks.dag_parse import METHOD as DAG_PARSE_METHOD
from benchmarks.fleet import METHOD as FLEET_METHOD
from benchmarks.fleet import PAYMENTS_PER_DAY
from benchmarks.fortnox_rate import METHOD as FORTNOX_RATE_METHOD
from benchmarks.stats import Figure, machine
from benchmarks.stored_day import METHOD as STORED_DAY_METHOD
from benchmarks.transform_scale import METHOD as TRANSFORM_SCALE_METHOD
from benchmarks.window_contention import METHOD as WINDOW_METHOD
from benchmarks.window_contention import bench_window_contention
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
        "pipeline_day_min_at_fortnox_limit": round(requests_sent / (25 / 5.0) / 60, 1),
    }


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: ``run(quick)`` returns its figures; ``method`` says how they are measured."""

    run: Callable[[bool], Figures]
    method: str


def _fleet(quick: bool) -> Figures:
    from benchmarks.fleet import bench_fleet

    if quick:
        return bench_fleet(tenants=10, payments_per_day=30, repeats=1)
    return bench_fleet()


def _transform_scale(quick: bool) -> Figures:
    from benchmarks.transform_scale import bench_transform_scale

    if quick:
        return bench_transform_scale(actions=200_000, repeats=1)
    return bench_transform_scale(actions=1_000_000, repeats=3)


def _stored_day(quick: bool) -> Figures:
    from benchmarks.stored_day import bench_stored_day

    return bench_stored_day(actions=20_000 if quick else 100_000, repeats=1 if quick else 3)


def _fortnox_rate(quick: bool) -> Figures:
    from benchmarks.fortnox_rate import bench_fortnox_rate

    return bench_fortnox_rate(charges=200 if quick else 2000)


def _dag_parse(quick: bool) -> Figures:
    from benchmarks.dag_parse import bench_dag_parse

    if quick:
        return bench_dag_parse(tenants=1000, big=0, repeats=3)
    return bench_dag_parse(tenants=1000, big=10_000, repeats=5)


BENCHMARKS: dict[str, Benchmark] = {
    "fortnox-emulator": Benchmark(
        lambda quick: bench_fortnox_emulator(),
        "Fortnox emulator on 127.0.0.1 in this process, rate limit off: 500 POST /3/invoices "
        "from 1 client, then 3,000 GET /3/invoices/{n} from 2 keep-alive clients; one run",
    ),
    "nets-emulator": Benchmark(
        lambda quick: bench_nets_emulator(),
        "Nets emulator on 127.0.0.1 in this process: 3,000 GET /v1/payments/{id} from 2 "
        "keep-alive clients; one run",
    ),
    "scenario-100k": Benchmark(
        lambda quick: bench_scenario_100k(),
        "generate(ScenarioConfig(seed=1, days=1, payments_per_day=100_000)); wall time and "
        "peak RSS growth; one run",
    ),
    "transform": Benchmark(
        lambda quick: bench_transform(),
        "booking.transform of one day of 20,000 generated payments, then .bookings() (the "
        "typed documents, which the 1M benchmark leaves out); one run",
    ),
    "pipeline-day": Benchmark(
        lambda quick: bench_pipeline_day(),
        "one generated day (200 payments) extract -> reconcile against unthrottled emulators, "
        "then the same day again; one run",
    ),
    "dag-parse": Benchmark(_dag_parse, DAG_PARSE_METHOD),
    "fleet": Benchmark(_fleet, FLEET_METHOD.format(payments=PAYMENTS_PER_DAY)),
    "window-contention": Benchmark(
        lambda quick: bench_window_contention(repeats=1 if quick else 3),
        WINDOW_METHOD.format(seconds=5, repeats=3),
    ),
    "transform-1m": Benchmark(
        _transform_scale, TRANSFORM_SCALE_METHOD.format(base=20_000, actions=1_000_000)
    ),
    "stored-day": Benchmark(_stored_day, STORED_DAY_METHOD.format(actions=100_000)),
    "fortnox-rate": Benchmark(_fortnox_rate, FORTNOX_RATE_METHOD.format(charges=2000)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="default: all")
    parser.add_argument("--json", type=Path, help="also write this run's entries to this file")
    parser.add_argument(
        "--results",
        type=Path,
        help="merge the figures into this file (default: bench/results.json, except --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller and fewer: dag-parse 1,000 tenants x 3 (no 10,000); fleet: 30 payments, "
        "1 repeat; transform-1m 200,000 actions once per environment; stored-day 20,000 "
        "actions once; fortnox-rate 200 charges; "
        "results.json left alone",
    )
    args = parser.parse_args(argv)
    entries: dict[str, dict[str, Any]] = {}
    for name in args.names or list(BENCHMARKS):
        started = time.perf_counter()
        bench = BENCHMARKS[name]
        on = machine()
        found = bench.run(args.quick)
        figures = {
            **results.single_shot(found),
            **{k: v for k, v in found.items() if isinstance(v, Figure)},
        }
        entries[name] = results.entry(bench.method, figures, on)
        shown = ", ".join(f"{k}: {v}" for k, v in figures.items())
        print(f"{name:<18} {shown}  ({time.perf_counter() - started:.0f} s)", flush=True)
    # A quick run is not comparable with a full one: it never replaces the recorded figures.
    target = args.results or (None if args.quick else results.RESULTS)
    if target is not None:
        results.save(entries, target)
    if args.json:
        args.json.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
