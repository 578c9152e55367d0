"""How long Airflow takes to parse the DAG folder with N tenants, against plain Airflow DAGs.

The project's side is its ``dags/`` folder: the tenants spread over the shard files
``dibs_fortnox_NN.py`` (``dibs_fortnox.dag_shards``) plus ``tenants_config_check.py`` and
the deadline DAG. The plain side is one file building the same DAGs (same ``@dag``
arguments, timetable, params, retry arguments and the same four chained tasks) from a
Python ``range`` instead of the tenants file, importing nothing but Airflow and pendulum.
The difference between the two is what the project adds: reading and validating the
tenants file, the extra DAG files and the modules they import.

Airflow's timeout is per file, and the dag-processor imports each file in a fresh process
(so each shard file pays for reading the tenants file itself): the figure that must stay
under the 30 s timeout is the largest shard file imported alone in a fresh process, with
the tenants' onboarding DAGs (2 DAGs per tenant, as deployed).

Each parse runs in a fresh subprocess (``benchmarks.dagbag_child``) with
``AIRFLOW__CORE__LOAD_EXAMPLES=False`` and a throwaway ``AIRFLOW_HOME``; the two folders
are parsed alternately so that load from other processes on the machine hits both alike.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.stats import Figure

REPO = Path(__file__).resolve().parents[1]

TENANT = """\
  - id: t{n:05d}
    name: Tenant {n} AB
    start_date: 2025-{month:02d}-{day:02d}
    email: ekonomi@t{n:05d}.example
    nets_conn_id: nets_t{n:05d}
    fortnox_conn_id: fortnox_t{n:05d}
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""

PLAIN_DAG = '''\
"""{n} plain Airflow DAGs shaped like the tenant DAGs, built without any tenants file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

DOC = """
### Nets Easy → Fortnox for {{name}} (`{{id}}`)

Each run books the Nets Easy payouts dated on the run's day.
"""


def step(name: str, tenant_id: str) -> dict[str, object]:
    return {{"step": name, "tenant": tenant_id}}


def closes_run(tenant_id: str) -> Callable[[Mapping[str, Any]], None]:
    def close(context: Mapping[str, Any]) -> None:
        step("close", tenant_id)

    return close


def build_dag(n: int) -> None:
    tenant_id = f"t{{n:05d}}"
    tz = pendulum.timezone("Europe/Stockholm")
    start = pendulum.datetime(2026, n % 12 + 1, n % 28 + 1, tz=tz)

    @dag(
        dag_id=f"plain__{{tenant_id}}",
        description=f"Book Tenant {{n}} AB's Nets Easy payouts in Fortnox, one day per run",
        schedule=CronDataIntervalTimetable("0 6 * * *", timezone=tz),
        start_date=start,
        catchup=True,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["dibs_fortnox", f"tenant:{{tenant_id}}"],
        doc_md=DOC.format(name=f"Tenant {{n}} AB", id=tenant_id),
        params={{
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Payout day to book (YYYY-MM-DD); empty = the run's logical date",
            )
        }},
        default_args={{
            "retries": 3,
            "retry_delay": timedelta(seconds=120),
            "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=30),
            "on_failure_callback": [closes_run(tenant_id), closes_run(tenant_id)],
        }},
    )
    def tenant_dag() -> None:
        @task
        def extract(**context: object) -> dict[str, object]:
            return step("extract", tenant_id)

        @task
        def transform(extracted: dict[str, object], **context: object) -> dict[str, object]:
            return step("transform", tenant_id)

        @task
        def load(transformed: dict[str, object], **context: object) -> dict[str, object]:
            return step("load", tenant_id)

        @task
        def reconcile(loaded: dict[str, object], **context: object) -> dict[str, object]:
            return step("reconcile", tenant_id)

        reconcile(load(transform(extract())))

    tenant_dag()


for _n in range({n}):
    build_dag(_n)
'''


def write_tenants(path: Path, count: int, onboarding: str = "skip") -> Path:
    """A valid tenants file with ``count`` tenants (start dates spread over 2026).

    ``onboarding: skip`` (the default here) leaves out the onboarding DAGs, so that the
    folder builds the same DAGs as the plain file; ``required`` adds one per tenant.
    """
    body = "".join(TENANT.format(n=n, month=n % 12 + 1, day=n % 28 + 1) for n in range(count))
    path.write_text(
        "defaults:\n  voucher_series: A\n  mode_of_payment: NETS\n"
        f"  onboarding: {onboarding}\ntenants:\n" + body,
        encoding="utf-8",
    )
    return path


def write_plain_folder(folder: Path, count: int) -> Path:
    """A DAG folder with one plain Airflow file building ``count`` tenant-shaped DAGs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plain_dags.py").write_text(PLAIN_DAG.format(n=count), encoding="utf-8")
    return folder


IMPORT_TIMEOUT_S = 30.0  # Airflow's default [core] dagbag_import_timeout

METHOD = (
    "Airflow's DagBag(dag_folder=...) parse, timed around the DagBag constructor in a fresh "
    "subprocess per repeat (Airflow imported before the clock starts), "
    "AIRFLOW__CORE__LOAD_EXAMPLES=False, throwaway AIRFLOW_HOME. 'tenants' = the project's "
    "dags/ folder (16 shard files dibs_fortnox_NN.py + tenants_config_check.py + deadline) "
    "with a generated tenants file; 'largest_shard_alone' = the shard file with the most "
    "tenants imported alone in a fresh process, tenants with onboarding DAGs (what one "
    "dag-processor import does, against the 30 s import timeout); "
    "'plain' = one generated Airflow file building the same number of DAGs with the same "
    "@dag arguments and the same four chained @task tasks from a Python range, no YAML. "
    "Generated tenants have 'onboarding: skip' (no onboarding DAGs) except in the "
    "'with_onboarding' figure, which builds 2 DAGs per tenant. The "
    "two are parsed alternately; the ratio is taken per pair. The import timeout is raised "
    "for the measurement so that a parse over 30 s still gives its time."
)


def parse_once(folder: Path, tenants_file: Path | None, airflow_home: Path) -> dict[str, Any]:
    """Parse ``folder`` with Airflow's ``DagBag`` in a fresh process; return its report."""
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "900",
        "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), str(REPO)]),
    }
    env.pop("DIBS_FORTNOX_TENANTS", None)
    if tenants_file is not None:
        env["DIBS_FORTNOX_TENANTS"] = str(tenants_file)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dagbag_child", str(folder)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"DagBag child failed: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if report["import_errors"]:
        raise RuntimeError(f"{folder}: import errors {report['import_errors']}")
    return report


def side_by_side(
    ours: tuple[Path, Path], plain: Path, count: int, repeats: int, home: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parse the project's folder and the plain folder alternately; both must build ``count``."""
    ours_reports: list[dict[str, Any]] = []
    plain_reports: list[dict[str, Any]] = []
    for _ in range(repeats):
        ours_reports.append(parse_once(ours[0], ours[1], home))
        plain_reports.append(parse_once(plain, None, home))
    # Ours has one DAG more: the hourly deadline check (dags/dibs_fortnox_deadline.py).
    built = {r["dags"] for r in ours_reports} | {r["dags"] + 1 for r in plain_reports}
    if built != {count + 1}:
        raise RuntimeError(f"expected {count} DAGs (+1) in every parse, got {sorted(built)}")
    return ours_reports, plain_reports


def bench_dag_parse(tenants: int = 1000, big: int = 10_000, repeats: int = 5) -> dict[str, Any]:
    """The DAG folder's parse time with ``tenants`` and ``big`` tenants, next to plain Airflow.

    Args:
        tenants: tenants (and plain DAGs) in the side-by-side comparison.
        big: tenants in the import-timeout check, also side by side (0 skips it).
        repeats: parses per folder at ``tenants``; ``big`` gets ``max(2, repeats // 2)``.
    """
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="dibs-fortnox-bench-") as tmp:
        root = Path(tmp)
        home = root / "airflow"
        home.mkdir()
        check_only = root / "check_only"
        check_only.mkdir()
        shutil.copy(REPO / "dags" / "tenants_config_check.py", check_only)
        for count, runs in ((tenants, repeats), (big, max(2, repeats // 2))):
            if not count:
                continue
            file = write_tenants(root / f"tenants_{count}.yaml", count)
            plain = write_plain_folder(root / f"plain_{count}", count)
            ours, base = side_by_side((REPO / "dags", file), plain, count, runs, home)
            figures.update(_figures(count, ours, base))
            if count == big:
                figures.update(_largest_shard_alone(root, count, runs, home))
        file = root / f"tenants_{tenants}.yaml"
        alone = [parse_once(check_only, file, home)["seconds"] for _ in range(3)]
        figures[f"parse_{tenants}_tenants_check_file_alone_s"] = Figure.of(alone, "s")
        # The folder as deployed: each tenant also gets its onboarding DAG (2 x N DAGs).
        full = write_tenants(root / "onboarding.yaml", tenants, onboarding="required")
        runs = [parse_once(REPO / "dags", full, home) for _ in range(3)]
        if {r["dags"] for r in runs} != {2 * tenants + 1}:
            raise RuntimeError(f"expected {2 * tenants} DAGs (+1) with onboarding")
        figures[f"parse_{tenants}_tenants_with_onboarding_dags_s"] = Figure.of(
            [r["seconds"] for r in runs], "s"
        )
    return figures


def _figures(
    count: int, ours: list[dict[str, Any]], plain: list[dict[str, Any]]
) -> dict[str, Figure]:
    ours_s = [r["seconds"] for r in ours]
    plain_s = [r["seconds"] for r in plain]
    return {
        f"parse_{count}_tenants_s": Figure.of(ours_s, "s"),
        f"parse_{count}_plain_dags_s": Figure.of(plain_s, "s"),
        f"parse_{count}_ratio": Figure.of(
            [o / p for o, p in zip(ours_s, plain_s, strict=True)], "x", 2
        ),
        # In one process the tenants file is read once, by the first shard file parsed.
        f"parse_{count}_slowest_dag_file_in_folder_s": Figure.of(
            [max(r["per_file_s"].values()) for r in ours], "s"
        ),
        f"parse_{count}_ms_per_tenant": Figure.of([1000 * s / count for s in ours_s], "ms", 2),
        f"parse_{count}_ms_per_plain_dag": Figure.of([1000 * s / count for s in plain_s], "ms", 2),
    }


def _largest_shard_alone(root: Path, count: int, runs: int, home: Path) -> dict[str, Any]:
    """Import the shard file with the most tenants alone, onboarding DAGs included."""
    from dibs_fortnox.dag_shards import shard_of

    sizes: dict[int, int] = {}
    for n in range(count):
        shard = shard_of(f"t{n:05d}")
        sizes[shard] = sizes.get(shard, 0) + 1
    shard, tenants = max(sizes.items(), key=lambda item: item[1])
    folder = root / f"shard_{count}"
    folder.mkdir()
    shutil.copy(REPO / "dags" / f"dibs_fortnox_{shard:02d}.py", folder)
    file = write_tenants(root / f"onboarding_{count}.yaml", count, onboarding="required")
    reports = [parse_once(folder, file, home) for _ in range(runs)]
    if {r["dags"] for r in reports} != {2 * tenants}:
        raise RuntimeError(f"expected {2 * tenants} DAGs in shard {shard}")
    return {
        f"parse_{count}_largest_shard_alone_s": Figure.of([r["seconds"] for r in reports], "s"),
        f"parse_{count}_largest_shard_dags": 2 * tenants,
    }


def main() -> int:
    """``python -m benchmarks.dag_parse [TENANTS [BIG [REPEATS]]]``: print the figures."""
    args = [int(a) for a in sys.argv[1:]]
    for name, figure in bench_dag_parse(*args).items():
        print(f"{name:<42} {figure}")
    print(f"(import timeout: {IMPORT_TIMEOUT_S:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
