"""Ten tenants at once against one tenant alone, through a real Airflow (issue 9, target 4).

Fortnox limits each tenant to 25 requests per 5 s, so one tenant's day is bound by that
limit and ten tenants should book about ten times as much in the same wall time, if
nothing else is shared: the executor's slots, the state database, the 2 cores. This runs
what an operator runs: ``AirflowStack`` (api-server, scheduler, dag-processor,
LocalExecutor with 32 slots, SQLite metadata in WAL mode), one sandbox serving every
tenant with Fortnox's limit on, and the state database on SQLite (the default).

Each repeat unpauses one fresh tenant and waits for its day, then unpauses ten fresh
tenants with one ``airflow dags unpause --treat-dag-id-as-regex`` and waits for all ten
days. Throughput is documents confirmed in the state database (customers, invoices,
payments, vouchers) per second from the unpause command to the last run's end (Airflow's
own ``dag_run.end_date``). Besides the ratio it records where the time went: each step's
mean duration alone and among ten, Fortnox requests per second, 429 answers, how busy
the machine's CPUs were (``/proc/stat``, every process, other people's included) and the
CPU seconds our own processes used (Airflow's components, the task processes they reaped,
and this process with the emulators), in total and per document.
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.stats import Figure
from dibs_fortnox.demo.fleet import Fleet, last_closed_day, start_fleet, write_tenants
from dibs_fortnox.demo.stack import AirflowStack, stack_env
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.tenants import load_tenants

TENANTS = 10
STATE_URL_ENV = "DIBS_FORTNOX_BENCH_STATE_URL"
PAYMENTS_PER_DAY = 60
REPEATS = 3
STEPS = ("extract", "transform", "load", "reconcile")

METHOD = (
    "AirflowStack (api-server, scheduler, dag-processor; LocalExecutor, parallelism 32; "
    "SQLite metadata in WAL mode), state database on SQLite, one sandbox for every tenant "
    "with Fortnox's 25 requests / 5 s limit on (per tenant). Per repeat: one fresh tenant "
    "is unpaused and its one day (scheduled catch-up run) booked, then ten fresh tenants are "
    "unpaused with one `airflow dags unpause --treat-dag-id-as-regex` and their ten days "
    "booked at once; {payments} generated payments per tenant-day. Throughput = documents "
    "confirmed in the state database / seconds from the unpause command to the last "
    "dag_run.end_date; ratio = ten-tenant throughput / one-tenant throughput of the same "
    "repeat. cpu_busy = share of all CPUs busy (/proc/stat, every process on the machine); "
    "stack_cpu_s = CPU seconds of the Airflow processes, their reaped task processes and "
    "the benchmark process (emulators) during the phase."
)


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stack_cpu_s(stack: AirflowStack) -> float:
    """CPU seconds used so far by Airflow's processes and the task processes they reaped,
    plus this process (the emulators serve every tenant from here)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    for proc in stack.procs.values():
        try:
            tree = [psutil.Process(proc.pid)]
            tree += tree[0].children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for member in tree:
            try:
                t = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + t.children_user + t.children_system
    return total


_REQUEST_LINE = re.compile(r"fortnox \w+ \S+ -> \d+ in (\d+) ms")


def fortnox_latencies_ms(logs: Path, dag_ids: Iterable[str]) -> list[int]:
    """Each Fortnox request's time from send to answer, as the load tasks logged it
    (``dibs_fortnox.http``; the rate limiter's wait is not in it)."""
    found: list[int] = []
    for dag_id in dag_ids:
        for path in (logs / f"dag_id={dag_id}").glob("*/task_id=load/attempt=*.log"):
            found += [int(m) for m in _REQUEST_LINE.findall(path.read_text(errors="replace"))]
    return found


def _moment(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Phase:
    """One measured batch of tenants: unpause them together, wait, read what happened."""

    def __init__(self, stack: AirflowStack, fleet: Fleet, ledger: Ledger, ids: list[str]):
        self.stack, self.fleet, self.ledger, self.ids = stack, fleet, ledger, ids
        self.dags = [f"dibs_fortnox__{tid}" for tid in ids]

    def run(self, pattern: str) -> dict[str, float]:
        app = self.fleet.fortnox_app
        requests_before = sum(app.requests_by_route.values())
        refused_before = app.status_counts.get(429, 0)
        busy0, total0 = _cpu_ticks()
        cpu0 = _stack_cpu_s(self.stack)
        started = time.time()
        self.stack.airflow("dags", "unpause", "--treat-dag-id-as-regex", "--yes", pattern)
        day = self.fleet.members[self.ids[0]].tenant.start_date
        for dag in self.dags:
            self.stack.wait_for_days(dag, [day], timeout_s=3600)
        busy1, total1 = _cpu_ticks()
        cpu1 = _stack_cpu_s(self.stack)
        runs = self._rows("SELECT dag_id, state, end_date FROM dag_run")
        if {r.state for r in runs} != {"success"}:
            raise RuntimeError(f"not every run succeeded: {[tuple(r) for r in runs]}")
        seconds = max(_moment(r.end_date) for r in runs).timestamp() - started
        documents = sum(len(self.ledger.documents(tid)) for tid in self.ids)
        tasks = self._rows("SELECT task_id, start_date, end_date FROM task_instance")
        latencies = fortnox_latencies_ms(
            Path(self.stack.env["AIRFLOW_HOME"]) / "logs", self.dags
        ) or [0]
        out = {
            "seconds": seconds,
            "documents": float(documents),
            "documents_per_s": documents / seconds,
            "fortnox_requests_per_s": (sum(app.requests_by_route.values()) - requests_before)
            / seconds,
            "fortnox_429": float(app.status_counts.get(429, 0) - refused_before),
            "cpu_busy": (busy1 - busy0) / max(total1 - total0, 1),
            "fortnox_latency_ms_median": statistics.median(latencies),
            "stack_cpu_s": cpu1 - cpu0,
            "stack_cpu_s_per_document": (cpu1 - cpu0) / max(documents, 1),
        }
        for step in STEPS:
            spans = [
                (_moment(t.end_date) - _moment(t.start_date)).total_seconds()
                for t in tasks
                if t.task_id == step
            ]
            out[f"{step}_s"] = statistics.mean(spans)
        return out

    def _rows(self, sql: str) -> list[Any]:
        names = ", ".join(f"'{d}'" for d in self.dags)  # our own generated ids, no user input
        return self.stack._query(f"{sql} WHERE dag_id IN ({names})")


def _figures(samples: Iterable[dict[str, float]], prefix: str) -> dict[str, Figure]:
    rows = list(samples)
    units = {
        "seconds": "s",
        "documents": "count",
        "documents_per_s": "1/s",
        "fortnox_requests_per_s": "1/s",
        "fortnox_429": "count",
        "cpu_busy": "share",
        "stack_cpu_s_per_document": "s",
        "fortnox_latency_ms_median": "ms",
    }
    return {
        f"{prefix}_{name}": Figure.of([row[name] for row in rows], units.get(name, "s"))
        for name in rows[0]
    }


def bench_fleet(
    tenants: int = TENANTS, payments_per_day: int = PAYMENTS_PER_DAY, repeats: int = REPEATS
) -> dict[str, Figure]:
    """Run ``repeats`` pairs (one tenant, then ``tenants`` at once); return the figures."""
    day = last_closed_day()
    solo = [f"r{r}_solo" for r in range(repeats)]
    many = [[f"r{r}_t{n:02d}" for n in range(tenants)] for r in range(repeats)]
    ids = [tid for r in range(repeats) for tid in (solo[r], *many[r])]
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = Path(tmp)
        tenants_file = write_tenants(root / "tenants.yaml", dict.fromkeys(ids, day))
        loaded = load_tenants(tenants_file).tenants
        with start_fleet(loaded, days=1, payments_per_day=payments_per_day) as fleet:
            env = fleet.env(root / "airflow", root / "state.db", tenants_file)
            env |= {"AIRFLOW__CORE__PARALLELISM": "32", "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "5"}
            # An empty Postgres database instead of the default SQLite file, to tell how
            # much of the ten tenants' time is SQLite's one write lock (BENCHMARKS.md).
            state_url = os.environ.get(STATE_URL_ENV) or f"sqlite:///{root / 'state.db'}"
            env["DIBS_FORTNOX_DB_URL"] = state_url
            stack = AirflowStack(stack_env(env), root / "logs")
            stack.migrate()
            ledger = Ledger.from_url(state_url)
            alone: list[dict[str, float]] = []
            together: list[dict[str, float]] = []
            try:
                with stack:
                    for tid in ids:
                        stack.wait_for_dag(f"dibs_fortnox__{tid}")
                    for r in range(repeats):
                        alone.append(
                            _Phase(stack, fleet, ledger, [solo[r]]).run(
                                f"^dibs_fortnox__{solo[r]}$"
                            )
                        )
                        together.append(
                            _Phase(stack, fleet, ledger, many[r]).run(f"^dibs_fortnox__r{r}_t")
                        )
                        print(
                            f"  repeat {r + 1}/{repeats}: one tenant "
                            f"{alone[-1]['documents_per_s']:.2f} documents/s, {tenants} tenants "
                            f"{together[-1]['documents_per_s']:.2f} documents/s",
                            flush=True,
                        )
            finally:
                ledger.close()
    ratios = [
        t["documents_per_s"] / a["documents_per_s"] for a, t in zip(alone, together, strict=True)
    ]
    return {
        f"fleet_{tenants}_vs_1_throughput_ratio": Figure.of(ratios, "x", digits=2),
        **_figures(alone, "fleet_1"),
        **_figures(together, f"fleet_{tenants}"),
    }
