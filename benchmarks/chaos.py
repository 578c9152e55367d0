"""``make chaos``: book weeks of payouts in real Airflow while the network and workers fail.

What it does, in order:

1. Generates the same scenario twice (several tenants, each with its own Nets merchant and
   Fortnox company) on two pairs of emulators. The *reference* pair is booked day after day
   by the pipeline alone, with no fault and no rate limit: the answer.
2. The *chaos* pair enforces Fortnox's rate limit and injects faults into about one call in
   ten (``fortnox_faults``, ``nets_faults``): 5xx before a write, 429, latency spikes, lost
   answers after a write, dropped connections, Nets 5xx.
3. A real Airflow (api-server, scheduler, dag-processor; LocalExecutor) books every tenant's
   days with ``airflow backfill create``, and a manual ``airflow dags trigger`` of some days
   races the backfill's runs of the same day.
4. Task processes die by SIGKILL: at planned points (``dibs_fortnox.pipeline.chaos``: just
   before a write, between a write and its record, between bookkeeping and its record) and
   from outside, at random moments of a running ``load`` task. Airflow retries them as it
   retries any task (``task_retry_args``).
5. Compares: every tenant's Fortnox must equal the reference (same documents by content and
   reference, same trial balance to the öre), no reference twice, nothing missing, every
   day's run successful. Prints the figures; exits 1 when an invariant breaks.

``python -m benchmarks.chaos`` runs the full size (``FULL``; its figures go to
``bench/results.json``), ``--size ci`` the small one the test suite runs
(``tests/e2e/test_chaos.py``). Timings on the shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil

from benchmarks import results
from benchmarks.stats import machine
from dibs_fortnox.demo.environment import PAYOUT_DELAY_DAYS, Sandbox, airflow_env
from dibs_fortnox.demo.fleet import last_closed_day
from dibs_fortnox.demo.sequential import book_days
from dibs_fortnox.demo.stack import AirflowStack, stack_env
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.ledger.revisions import upgrade
from dibs_fortnox.pipeline.chaos import CHAOS_ENV, KILL_POINTS, plan_file
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.fortnox.fingerprint import (
    difference,
    duplicate_references,
    fingerprint,
)
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.tenants import TenantConfig, load_tenants

TENANT = """\
  - id: {id}
    name: Chaos {n} AB
    start_date: {start}
    email: ekonomi@{id}.example
    nets_conn_id: nets_{id}
    fortnox_conn_id: fortnox_{id}
    paused: true
    onboarding: skip
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""
RESOLVED = re.compile(r"confirmed (\d+\.\d+) s after the loss")


@dataclass(frozen=True)
class Size:
    """How much chaos.

    Attributes:
        tenants: tenants booked in parallel (each has its own Fortnox rate window).
        days: payout days per tenant.
        payments_per_day: payments the scenario creates per day and tenant.
        fault_share: probability scale of the random faults (1.0 ≈ one call in ten).
        planned_kill_share: share of (tenant, day) loads given one planned SIGKILL.
        planned_kills: kills planned at the first point reached, regardless of the share
            (tenant index, day index, point), so a small run meets each point.
        external_kills: SIGKILLs sent from outside to running load tasks (at most one per run).
        external_gap_s: seconds between two looks for a load task to kill.
        race_days: days of the first tenant also triggered by hand, racing the backfill.
        max_active_runs: the backfill's ``--max-active-runs``.
        timeout_s: how long the Airflow part may take.
        seed: everything random derives from it.
    """

    tenants: int
    days: int
    payments_per_day: int
    fault_share: float = 1.0
    planned_kill_share: float = 0.3
    planned_kills: tuple[tuple[int, int, str], ...] = ()
    external_kills: int = 8
    external_gap_s: tuple[float, float] = (10.0, 30.0)
    race_days: int = 3
    max_active_runs: int = 4
    timeout_s: float = 5400.0
    seed: int = 11


FULL = Size(tenants=4, days=21, payments_per_day=24)
CI = Size(
    tenants=2,
    days=2,
    payments_per_day=4,
    planned_kill_share=0.0,
    planned_kills=((0, 0, "after_write"), (0, 1, "after_bookkeep"), (1, 0, "before_send")),
    external_kills=1,
    external_gap_s=(2.0, 5.0),
    race_days=1,
    max_active_runs=3,
    timeout_s=900.0,
)
SIZES = {"full": FULL, "ci": CI}


def fortnox_faults(share: float) -> list[FaultRule]:
    """About one Fortnox call in ten fails (``share`` scales it); each kind fires at least once.

    The first rule of each kind fires on its first matching call (a small run meets every
    kind); the random ones follow. 429s are rarer because each costs a 5-second wait.
    """
    writes = ("POST", "PUT")
    once = [  # on document writes, not the token call (which any failure simply repeats)
        FaultRule("error_before", method="POST", route="/3/invoices", status=503, times=1),
        FaultRule("error_before", method="GET", status=500, times=1),
        FaultRule("rate_limit", method="GET", times=1),
        FaultRule("latency", method="GET", delay_s=1.5, times=1),
        FaultRule("lost_response", method="POST", route="/3/invoices", status=502, times=1),
        FaultRule("drop_after", method="POST", route="/3/invoicepayments", times=1),
    ]
    random_rules = [
        *(
            FaultRule("error_before", method=m, status=503, probability=0.03 * share)
            for m in writes
        ),
        FaultRule("error_before", method="GET", status=500, probability=0.02 * share),
        FaultRule("rate_limit", probability=0.01 * share),
        FaultRule("latency", delay_s=1.5, probability=0.02 * share),
        *(
            FaultRule("lost_response", method=m, status=502, probability=0.03 * share)
            for m in writes
        ),
        FaultRule("drop_after", method="POST", probability=0.015 * share),
    ]
    return once + random_rules


def nets_faults(share: float) -> list[FaultRule]:
    """Nets answers 5xx to about one read in twenty, and is slow now and then."""
    return [
        FaultRule("error_before", method="GET", status=503, times=1),
        FaultRule("error_before", method="GET", status=503, probability=0.05 * share),
        FaultRule("latency", method="GET", delay_s=1.0, probability=0.02 * share),
    ]


def rule_label(rule: dict[str, Any], service: str) -> str:
    what = {
        ("fortnox", "error_before"): "fortnox_5xx_before",
        ("fortnox", "rate_limit"): "fortnox_429",
        ("fortnox", "latency"): "fortnox_latency",
        ("fortnox", "lost_response"): "fortnox_lost_answer",
        ("fortnox", "drop_after"): "fortnox_dropped_connection",
        ("nets", "error_before"): "nets_5xx",
        ("nets", "latency"): "nets_latency",
    }[(service, rule["kind"])]
    if rule["kind"] == "error_before" and service == "fortnox":
        what += "_read" if rule["method"] == "GET" else "_write"
    return what


@dataclass
class World:
    """Both emulators, serving every tenant's scenario."""

    tenants: list[TenantConfig]
    nets: SandboxServer
    fortnox: SandboxServer
    nets_app: NetsApp
    fortnox_app: FortnoxApp
    sandboxes: dict[str, Sandbox]
    days: list[date]
    payments: int
    charges: int

    def stop(self) -> None:
        self.nets.stop()
        self.fortnox.stop()


def start_world(tenants: list[TenantConfig], size: Size, *, rate_limit: bool) -> World:
    """Start a Nets and a Fortnox emulator holding every tenant's merchant and company."""
    nets_app = NetsApp(mode="live", seed=size.seed)
    fortnox_app = FortnoxApp(seed=size.seed, rate_limit=rate_limit)
    nets = SandboxServer(nets_app, port=0).start()
    fortnox = SandboxServer(fortnox_app, port=0).start()
    sandboxes: dict[str, Sandbox] = {}
    payments = charges = 0
    first = tenants[0].start_date
    for index, tenant in enumerate(tenants):
        scenario = generate(
            ScenarioConfig(
                seed=size.seed * 100 + index,
                start=tenant.start_date - timedelta(days=PAYOUT_DELAY_DAYS),
                days=size.days,
                payments_per_day=size.payments_per_day,
                payout_delay_days=PAYOUT_DELAY_DAYS,
                deposit_every_days=6,
            )
        )
        nets_app.add_merchant(
            secret_key=scenario.secret_key, payments=scenario.payments, payouts=scenario.payouts
        )
        fortnox_app.add_company(demo_company(tenant_id=tenant.id, name=tenant.name))
        client_id, client_secret = f"{tenant.id}-client", secrets.token_urlsafe(24)
        fortnox_app.add_client(client_id, client_secret, tenant_ids=[tenant.id])
        payments += len(scenario.payments)
        charges += sum(
            1
            for payout in scenario.payouts
            for action in payout["paymentActions"]
            if action.get("paymentAction") == "Charge"
        )
        sandboxes[tenant.id] = Sandbox(
            scenario=scenario,
            nets=nets,
            fortnox=fortnox,
            fortnox_app=fortnox_app,
            nets_secret=scenario.secret_key,
            fortnox_client_id=client_id,
            fortnox_client_secret=client_secret,
            fortnox_tenant_id=tenant.id,
            first_day=tenant.start_date,
            last_day=tenant.start_date + timedelta(days=size.days - 1),
        )
    days = [first + timedelta(days=n) for n in range(size.days)]
    return World(tenants, nets, fortnox, nets_app, fortnox_app, sandboxes, days, payments, charges)


def book_reference(world: World, state_db: Path) -> set[tuple[str, date]]:
    """Book every tenant's days one after the other without Airflow; return the held days."""
    url = f"sqlite:///{state_db}"
    upgrade(url)  # a new database, migrated as an operator would
    ledger = Ledger.from_url(url)
    held: set[tuple[str, date]] = set()
    try:
        for tenant in world.tenants:
            held_days = book_days(
                tenant, world.sandboxes[tenant.id], ledger, world.days, "reference-"
            )
            held |= {(tenant.id, day) for day in held_days}
    finally:
        ledger.close()
    return held


class Killer(threading.Thread):
    """Sends SIGKILL to running ``load`` task processes of our Airflow, at random moments.

    Only processes below our own scheduler are candidates (nothing else on the machine is
    touched), and each DAG run is killed at most once from outside.
    """

    def __init__(self, stack: AirflowStack, budget: int, gap_s: tuple[float, float], seed: int):
        super().__init__(daemon=True)
        self.stack = stack
        self.budget = budget
        self.gap_s = gap_s
        self.rng = random.Random(seed)
        self.done = threading.Event()
        self.killed: list[tuple[str, str]] = []

    def run(self) -> None:
        while len(self.killed) < self.budget and not self.done.wait(self.rng.uniform(*self.gap_s)):
            try:
                self._kill_one()
            except (psutil.Error, OSError):
                continue  # the process ended by itself meanwhile

    def _kill_one(self) -> None:
        rows = self.stack._query(
            "SELECT id, dag_id, run_id FROM task_instance WHERE state = 'running' "
            "AND task_id = 'load' AND dag_id LIKE 'dibs_fortnox__chaos%'"
        )
        rows = [r for r in rows if (r.dag_id, r.run_id) not in self.killed]
        if not rows:
            return
        row = self.rng.choice(rows)
        scheduler = self.stack.procs.get("scheduler")
        if scheduler is None:
            return
        title = f"-- {uuid.UUID(str(row.id))}"  # the process title; SQLite stores hex only
        for proc in psutil.Process(scheduler.pid).children(recursive=True):
            if title in " ".join(proc.cmdline()):
                proc.send_signal(signal.SIGKILL)
                self.killed.append((str(row.dag_id), str(row.run_id)))
                return


@dataclass
class Report:
    """What the chaos run did and found; ``broken`` lists every invariant that failed."""

    figures: dict[str, Any] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.broken.append(what)


def plan_kills(folder: Path, world: World, size: Size) -> int:
    """Create the planned-kill files; return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(size.seed)
    planned = 0
    for t, d, at in size.planned_kills:
        point = KILL_POINTS[KILL_POINTS.index(at)]  # type: ignore[arg-type,unused-ignore]
        plan_file(folder, world.tenants[t].id, world.days[d].isoformat(), point, 1).touch()
        planned += 1
    for tenant in world.tenants:
        for day in world.days:
            if rng.random() < size.planned_kill_share:
                point = rng.choice(KILL_POINTS)
                nth = rng.randint(1, max(1, size.payments_per_day))
                plan_file(folder, tenant.id, day.isoformat(), point, nth).touch()
                planned += 1
    return planned


def tenants_file(path: Path, size: Size) -> list[TenantConfig]:
    """Write the tenants file; the last booked day is the latest due one, so that the
    backfill covers every due day and the scheduler creates no run of its own (a manual
    run would queue behind it: the DAG allows one non-backfill run at a time).

    Due, not yesterday: before 06:00 Stockholm yesterday's interval is still open, and
    Airflow's backfill creates no run for an interval that has not ended, so the suite
    waited in vain for that day between midnight and six.
    """
    start = last_closed_day() - timedelta(days=size.days - 1)
    body = "tenants:\n" + "".join(
        TENANT.format(id=f"chaos{n}", n=n, start=start.isoformat())
        for n in range(1, size.tenants + 1)
    )
    path.write_text(body, encoding="utf-8")
    return sorted(load_tenants(path).tenants, key=lambda t: t.id)


def chaos_env(world: World, root: Path, kills: Path, tenants_path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for tenant in world.tenants:
        own = airflow_env(
            tenant, world.sandboxes[tenant.id], home=root / "airflow", state_db=root / "state.db"
        )
        env = own | {k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}
    env |= {
        "DIBS_FORTNOX_TENANTS": str(tenants_path),
        "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "1",
        CHAOS_ENV: str(kills),
        "AIRFLOW__CORE__PARALLELISM": "8",
    }
    return stack_env(env)


def run_chaos(size: Size, root: Path, progress: bool = False) -> Report:
    """The whole chaos run in ``root``; the report says what happened and what broke."""
    started = time.monotonic()
    report = Report()
    say = print if progress else (lambda *_a, **_k: None)
    tenants = tenants_file(root / "tenants.yaml", size)
    reference = start_world(tenants, size, rate_limit=False)
    try:
        say(f"reference: booking {len(tenants)} tenants x {size.days} days without faults")
        held = book_reference(reference, root / "reference.db")
        expected = {t.id: fingerprint(reference.fortnox_app, t.id) for t in tenants}
        payments, charges = reference.payments, reference.charges
    finally:
        reference.stop()
    world = start_world(tenants, size, rate_limit=True)
    try:
        world.fortnox_app.faults.configure(
            [vars(r) for r in fortnox_faults(size.fault_share)], seed=size.seed
        )
        world.nets_app.faults.configure(
            [vars(r) for r in nets_faults(size.fault_share)], seed=size.seed
        )
        kills = root / "kills"
        planned = plan_kills(kills, world, size)
        stack = AirflowStack(chaos_env(world, root, kills, root / "tenants.yaml"), root / "logs")
        stack.migrate()  # Airflow's database and ours (ledger.migrate upgrade), before tasks race
        dag_ids = [t.dag_id for t in tenants]
        with stack:
            for dag_id in dag_ids:
                stack.wait_for_dag(dag_id)
                stack.backfill(
                    dag_id, world.days[0], world.days[-1],
                    "--max-active-runs", str(size.max_active_runs),
                )  # fmt: skip
            killer = Killer(stack, size.external_kills, size.external_gap_s, size.seed)
            # Triggered while paused, so each starts with the backfill's run of its day.
            race = _trigger_races(stack, dag_ids[0], world.days[: size.race_days])
            airflow_started = time.monotonic()
            for dag_id in dag_ids:
                stack.airflow("dags", "unpause", dag_id)
            killer.start()
            say(f"airflow: {len(dag_ids)} backfills running, {len(race)} manual runs racing")
            runs = {}
            for dag_id in dag_ids:
                runs[dag_id] = stack.wait_for_days(dag_id, world.days, timeout_s=size.timeout_s)
            race_states = _wait_for_runs(stack, dag_ids[0], race, size.timeout_s)
            airflow_s = time.monotonic() - airflow_started
            killer.done.set()
            killer.join(timeout=5)
            retries = _retries(stack)
        for tenant in tenants:
            for day, run in runs[tenant.dag_id].items():
                want = "failed" if (tenant.id, day) in held else "success"
                report.check(run.state == want, f"{tenant.id} {day}: run {run.state}, want {want}")
        for run_id, state in race_states.items():
            report.check(state == "success", f"manual run {run_id} racing the backfill: {state}")
        missing = extra = duplicates = 0
        for tenant in tenants:
            actual = fingerprint(world.fortnox_app, tenant.id)
            lacking, surplus = difference(expected[tenant.id], actual)
            missing, extra = missing + lacking, extra + surplus
            duplicates += duplicate_references(world.fortnox_app, tenant.id)
            report.check(
                actual["trial_balance"] == expected[tenant.id]["trial_balance"],
                f"{tenant.id}: trial balance differs from the fault-free run",
            )
            report.check(actual == expected[tenant.id], f"{tenant.id}: documents differ")
        report.check(duplicates == 0, f"{duplicates} duplicate references in Fortnox")
        report.check(missing == 0, f"{missing} documents missing")
        report.check(extra == 0, f"{extra} documents too many")
        executed = _executed_kills(kills)
        resolved = _resolved_seconds(Path(stack.env["AIRFLOW_HOME"]) / "logs")
        injected = _faults_by_kind(world)
        requests = sum(world.fortnox_app.requests_by_route.values()) + sum(
            world.nets_app.requests_by_route.values()
        )
        report.check(sum(executed.values()) > 0, "no planned kill happened")
        report.check(all(injected.values()), f"a fault kind never fired: {injected}")
        report.figures = {
            "tenants": len(tenants),
            "days": size.days,
            "payments": payments,
            "charges": charges,
            "documents": sum(
                sum(expected[t.id][k].total() for k in ("invoices", "payments", "vouchers"))
                for t in tenants
            ),
            "requests": requests,
            "faults_injected": sum(injected.values()),
            "fault_share_of_requests": round(sum(injected.values()) / max(1, requests), 3),
            **{f"faults_{k}": v for k, v in sorted(injected.items())},
            "kills_planned": planned,
            **{f"kills_{p}": executed.get(p, 0) for p in KILL_POINTS},
            "kills_external": len(killer.killed),
            "task_retries": retries,
            "manual_race_runs": len(race),
            "duplicates": duplicates,
            "missing": missing,
            "extra": extra,
            "lost_answers_resolved_in_task": len(resolved),
            "lost_to_confirmed_median_s": _round(statistics.median(resolved) if resolved else 0),
            "lost_to_confirmed_p95_s": _round(_quantile(resolved, 0.95)),
            "lost_to_confirmed_max_s": _round(max(resolved, default=0.0)),
            "airflow_wall_s": round(airflow_s, 1),
            "total_wall_s": round(time.monotonic() - started, 1),
        }
    finally:
        world.stop()
    return report


def _trigger_races(stack: AirflowStack, dag_id: str, days: list[date]) -> list[str]:
    """Trigger a manual run for each day (the ``day`` param), racing its backfill run."""
    run_ids = []
    for day in days:
        run_id = f"manual__race_{day.isoformat()}"
        stack.airflow(
            "dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps({"day": str(day)})
        )
        run_ids.append(run_id)
    return run_ids


def _wait_for_runs(
    stack: AirflowStack, dag_id: str, run_ids: list[str], timeout_s: float
) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        rows = stack._query("SELECT run_id, state FROM dag_run WHERE dag_id = :d", d=dag_id)
        states = {str(r.run_id): str(r.state) for r in rows if r.run_id in run_ids}
        if len(states) == len(run_ids) and all(s in ("success", "failed") for s in states.values()):
            return states
        time.sleep(2)
    return states


def _retries(stack: AirflowStack) -> int:
    """Task tries that ended and were retried (Airflow's own history of earlier tries)."""
    rows = stack._query(
        "SELECT count(*) FROM task_instance_history WHERE dag_id LIKE 'dibs_fortnox__chaos%' "
        "AND state IN ('up_for_retry', 'failed')"
    )
    return int(rows[0][0]) if rows else 0


def _executed_kills(folder: Path) -> Counter[str]:
    log = folder / "kills.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return Counter(line.split()[3] for line in lines if line.strip())


def _resolved_seconds(logs: Path) -> list[float]:
    found: list[float] = []
    for path in logs.rglob("*.log"):
        if "task_id=load" in str(path):
            found += [float(m) for m in RESOLVED.findall(path.read_text(errors="replace"))]
    return found


def _faults_by_kind(world: World) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for service, app in (("fortnox", world.fortnox_app), ("nets", world.nets_app)):
        for rule in app.faults.describe():
            counts[rule_label(rule, service)] += int(rule["fired"])
    return dict(counts)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _round(value: float) -> float:
    return round(value, 3)


METHOD = (
    "benchmarks/chaos.py: {tenants} tenants x {days} days in real Airflow (LocalExecutor, "
    "airflow backfill create, SQLite metadata and state) against the sandbox with Fortnox's "
    "rate limit on; faults injected at random into about one call in ten, planned and "
    "external SIGKILLs of task processes, manual runs racing the backfill; compared with a "
    "fault-free sequential booking of the same scenario. Lost-to-confirmed times are read "
    "from the load tasks' logs (time.monotonic in the task). Single run on the shared 2-core "
    "VM: timings are noisy."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp one)")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    on = machine()
    with tempfile.TemporaryDirectory(prefix="dibs-fortnox-chaos-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        report = run_chaos(size, root, progress=True)
    width = max(len(k) for k in report.figures)
    for name, value in report.figures.items():
        print(f"{name:<{width}}  {value}")
    if args.size == "full":
        method = METHOD.format(tenants=size.tenants, days=size.days)
        results.save({"chaos": results.entry(method, results.single_shot(report.figures), on)})
    if report.broken:
        print("BROKEN:\n  " + "\n  ".join(report.broken))
        return 1
    print("every invariant held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
