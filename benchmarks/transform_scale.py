"""The transform at a million payment actions: time, rows per second and peak memory.

Generating a million payments with the scenario generator takes minutes, so the day is
built from one generated day of ``base`` payments, copied until it has the wanted number
of payment actions: each copy gets fresh payment, charge, refund and action ids, its own
dicts (order lines included), and the payout's header sums grow with it, so the copies
are as independent as real payments and the payout still reconciles.

The transform is fed what the pipeline feeds it (``pipeline.plan.raw_inputs``): the
day is written out as the JSON texts the state database keeps and handed over as that
text, which ``transform()`` reads itself: the payout as ``booking.wire.StoredPayout``
(its actions read by ``booking.arrow_actions``), the payments as ``StoredPayments``
(``booking.arrow_read``).
The decode and the transform are timed apart, in a child process per repeat (so peak
memory is that run's alone). Memory is the growth of peak resident size (``ru_maxrss``)
over the size before the decode (the decoded input included) and over the size after it
(the transform's own).

Each repeat runs twice, in turn: in a plain environment, and in the environment the
production worker gives its tasks (``worker_environment``), since on this VM a page
the process touches for the first time costs far more than the work done on it.

Run alone: ``.venv/bin/python -m benchmarks.transform_scale --actions 1000000``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import time
from typing import Any

import yaml

from benchmarks.fresh import ROOT, fresh_runs
from benchmarks.stats import Figure

METHOD = (
    "booking.transform of one payout day built from a generated day of {base:,} payments "
    "(ScenarioConfig(seed=2, days=1, payout_delay_days=0)) copied with fresh ids up to "
    "{actions:,} payment actions, written as stored JSON texts (money.dumps, UTF-8 bytes "
    "as ledger.raw.get_texts gives them) and handed over as pipeline.plan.raw_inputs does "
    "(the payout as booking.wire.StoredPayout, the payments as booking.wire.StoredPayments, "
    "whose text transform() reads itself: the payout's actions with booking.arrow_actions, "
    "the payments with booking.arrow_read); each repeat in a fresh child process, in turn "
    "in a plain environment and in the production worker's (docker-compose.yaml's "
    "GLIBC_TUNABLES for airflow-worker: glibc's malloc on huge pages; figures named "
    "*_worker_env); decode and transform() "
    "timed apart (wall and CPU); peak RSS (ru_maxrss) growth over the RSS before the "
    "decode (the decoded input included) and over the RSS after it (the transform's own). "
    "Rows/s = invoice rows out per wall second of transform(). The frames only: "
    "result.bookings() (typed documents) is not part of it."
)


def _copy_payment(payment: dict[str, Any], tag: str) -> dict[str, Any]:
    def source(s: dict[str, Any], key: str) -> dict[str, Any]:
        return {
            **s,
            key: s[key] + tag,
            "orderItems": [dict(item) for item in s.get("orderItems") or []],
        }

    copy = {**payment, "paymentId": payment["paymentId"] + tag}
    if "charges" in payment:
        copy["charges"] = [source(c, "chargeId") for c in payment["charges"]]
    if "refunds" in payment:
        copy["refunds"] = [source(r, "refundId") for r in payment["refunds"]]
    return copy


def build_day(actions: int, base: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One SEK payout with about ``actions`` payment actions, and its payments by id."""
    from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate

    scenario = generate(ScenarioConfig(seed=2, days=1, payments_per_day=base, payout_delay_days=0))
    (payout,) = [p for p in scenario.payouts if p["currency"] == "SEK"]
    by_id = {p["paymentId"]: p for p in scenario.payments}
    per_copy = len(payout["paymentActions"])
    copies = max(1, round(actions / per_copy))
    payments: dict[str, Any] = {}
    all_actions: list[dict[str, Any]] = []
    for n in range(copies):
        tag = f"-{n:04d}"
        for action in payout["paymentActions"]:
            pid = action.get("paymentId")
            all_actions.append(
                {**action, "id": action["id"] + tag, "paymentId": pid + tag if pid else pid}
            )
            if pid and pid + tag not in payments:
                payments[pid + tag] = _copy_payment(by_id[pid], tag)
    day = dict(payout)
    for key in ("amount", "chargedAmount", "refundedAmount", "depositedAmount", "fees"):
        if key in day:
            day[key] = payout[key] * copies
    day["numberOfPaymentActions"] = len(all_actions)
    day["paymentActions"] = all_actions
    return [day], payments


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(actions: int, base: int, profile: bool = False) -> dict[str, Any]:
    """One measured run (in this process): build and store the day, decode, transform."""
    from dibs_fortnox import money
    from dibs_fortnox.booking.settings import BookingAccounts, BookingSettings
    from dibs_fortnox.booking.transform import transform
    from dibs_fortnox.booking.wire import StoredPayments, StoredPayout

    built_payouts, built_payments = build_day(actions, base)
    # UTF-8 bytes, as the ledger gives them (ledger.raw.get_texts).
    payout_texts = [money.dumps(p).encode() for p in built_payouts]
    payment_texts = {key: money.dumps(p).encode() for key, p in built_payments.items()}
    del built_payouts, built_payments
    settings = BookingSettings("bench", BookingAccounts(3001, 3106, 3105, 1516, 1930, 6040))
    before = _rss_mb()
    started = time.perf_counter()
    payouts = [StoredPayout(text) for text in payout_texts]
    payments = StoredPayments(payment_texts)
    decode_seconds = time.perf_counter() - started
    decoded = _rss_mb()
    profiler = cProfile.Profile(time.process_time) if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = transform(payouts, payments, settings)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if result.held or result.errors:
        raise RuntimeError(f"the benchmark day did not book: {result.held[:1]} {result.errors[:1]}")
    return {
        "actions": payouts[0]["numberOfPaymentActions"],
        "invoice_rows": len(result.invoice_rows),
        "documents": len(result.payments),
        "payments": len(payments),
        "decode_seconds": decode_seconds,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "input_rss_mb": before,
        "decoded_mb": decoded - before,
        "peak_growth_mb": max(0.0, peak - before),
        "transform_peak_growth_mb": max(0.0, peak - decoded),
    }


def worker_environment() -> dict[str, str]:
    """What the production worker (``docker-compose.yaml``, ``airflow-worker``) sets for
    its tasks' memory: glibc's huge pages (docs/deploy.md)."""
    with open(ROOT / "docker-compose.yaml", encoding="utf-8") as compose:
        worker = yaml.safe_load(compose)["services"]["airflow-worker"]["environment"]
    return {"GLIBC_TUNABLES": worker["GLIBC_TUNABLES"]}


def bench_transform_scale(actions: int, base: int = 20_000, repeats: int = 3) -> dict[str, Any]:
    """Repeat ``child`` in fresh processes, in a plain environment and in the worker's
    (``worker_environment``) turn about; figures with median and spread."""
    args = ["--child", "--actions", str(actions), "--base", str(base)]
    plain: list[dict[str, Any]] = []
    worker: list[dict[str, Any]] = []
    env = worker_environment()
    for _ in range(repeats):
        plain += fresh_runs("benchmarks.transform_scale", args, 1)
        worker += fresh_runs("benchmarks.transform_scale", args, 1, env)
    k = f"{round(plain[0]['actions'] / 1000)}k"
    return {
        **_figures(plain, f"transform_{k}"),
        **_figures(worker, f"transform_{k}_worker_env"),
        f"transform_{k}_invoice_rows": plain[0]["invoice_rows"],
        f"transform_{k}_actions": plain[0]["actions"],
        f"transform_{k}_input_rss_mb": round(plain[0]["input_rss_mb"]),
    }


def _figures(runs: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """One environment's figures, each named from ``prefix`` (one source for both sets)."""
    return {
        f"{prefix}_actions_s": Figure.of([r["seconds"] for r in runs], "s"),
        f"{prefix}_decode_s": Figure.of([r["decode_seconds"] for r in runs], "s"),
        f"{prefix}_stored_text_to_frames_s": Figure.of(
            [r["decode_seconds"] + r["seconds"] for r in runs], "s"
        ),
        f"{prefix}_actions_cpu_s": Figure.of([r["cpu_seconds"] for r in runs], "s"),
        f"{prefix}_rows_per_s": Figure.of(
            [r["invoice_rows"] / r["seconds"] for r in runs], "rows/s", 0
        ),
        f"{prefix}_peak_growth_mb": Figure.of([r["peak_growth_mb"] for r in runs], "MB", 0),
        f"{prefix}_decoded_input_mb": Figure.of([r["decoded_mb"] for r in runs], "MB", 0),
        f"{prefix}_transform_peak_growth_mb": Figure.of(
            [r["transform_peak_growth_mb"] for r in runs], "MB", 0
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="one run here, cProfile on")
    args = parser.parse_args()
    if args.child or args.profile:
        print(json.dumps(child(args.actions, args.base, args.profile)))
        return
    for name, value in bench_transform_scale(args.actions, args.base, args.repeats).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
