"""``make demo`` / ``make airflow``: sandbox + Airflow + the demo tenant.

Default: start the emulators, prepare an Airflow home with SQLite metadata under
``var/demo``, book the demo tenant's 14 days through real Airflow DagRuns, book them all a
second time to show that nothing is sent twice, and print a summary a bookkeeper reads.
``--standalone``: start ``airflow standalone`` (the UI) against the same sandbox instead.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from dibs_fortnox.demo.environment import VAR, Sandbox, airflow_env, fresh_dir, start_sandbox
from dibs_fortnox.demo.report import fortnox_writes, gather_report
from dibs_fortnox.tenants import load_tenants


def _airflow(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=env,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def backfill(env: dict[str, str], dag_id: str, sandbox: Sandbox, log: Path) -> list[dict[str, str]]:
    """Run every day through real Airflow DagRuns; return one record per day."""
    cmd = [
        sys.executable,
        "-m",
        "dibs_fortnox.demo.backfill",
        "--dag-id",
        dag_id,
        "--from",
        sandbox.first_day.isoformat(),
        "--to",
        sandbox.last_day.isoformat(),
    ]
    days: list[dict[str, str]] = []
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=out)
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "day" in record:
                days.append(record)
                print(f"  {record['day']}  {record['state']}", flush=True)
            else:
                print(f"  {record}", flush=True)
        proc.wait()
    return days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--payments-per-day", type=int, default=6)
    parser.add_argument("--standalone", action="store_true", help="start the Airflow UI instead")
    args = parser.parse_args(argv)

    tenant = load_tenants().by_id(args.tenant)
    root = fresh_dir(VAR / "demo")
    log = root / "airflow.log"
    print(f"Starting the sandbox for tenant '{tenant.id}' ...", flush=True)
    sandbox = start_sandbox(tenant, days=args.days, payments_per_day=args.payments_per_day)
    print(f"  Nets Easy emulator  {sandbox.nets.url}\n  Fortnox emulator    {sandbox.fortnox.url}")
    env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "state.db")
    try:
        print("Preparing Airflow (SQLite metadata under var/demo) ...", flush=True)
        _airflow(env, "db", "migrate", log=log)
        if args.standalone:
            print("Starting airflow standalone: http://127.0.0.1:8080 (Ctrl-C stops)", flush=True)
            try:
                subprocess.run(
                    [sys.executable, "-m", "airflow", "standalone"], env=env, check=False
                )
            except KeyboardInterrupt:
                pass
            return 0
        started = time.monotonic()
        print(
            f"Booking {sandbox.first_day} .. {sandbox.last_day} through Airflow "
            f"(dag {tenant.dag_id}; log: {log.relative_to(VAR.parent)}) ...",
            flush=True,
        )
        first = backfill(env, tenant.dag_id, sandbox, log)
        first_s = time.monotonic() - started
        writes_before = fortnox_writes(sandbox)
        print("Booking every day a second time (must send no write to Fortnox) ...", flush=True)
        second = backfill(env, tenant.dag_id, sandbox, log)
        extra_writes = fortnox_writes(sandbox) - writes_before
        report = gather_report(
            tenant, sandbox, root / "state.db", first, second, extra_writes, first_s
        )
        print(report.text)
        return 0 if report.ok else 1
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
