"""``make demo`` / ``make airflow``: sandbox + Airflow + the demo tenant.

Default: start the emulators and a real Airflow (api-server, scheduler, dag-processor with
the LocalExecutor and SQLite metadata under ``var/demo``), book the demo tenant's last 14
days with ``airflow backfill create`` as an operator would, book them all a second time
(``--reprocess-behavior completed``) to show that nothing is sent twice, and print a
summary a bookkeeper reads.
``--standalone``: start ``airflow standalone`` (the UI) against the same sandbox instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from dibs_fortnox.demo.environment import VAR, Sandbox, airflow_env, fresh_dir, start_sandbox
from dibs_fortnox.demo.onboarding import quiet, show_onboarding_mail
from dibs_fortnox.demo.report import fortnox_writes, gather_report
from dibs_fortnox.demo.stack import MIGRATE_STATE, AirflowStack, DayRun, stack_env
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import TenantConfig, load_tenants


def _airflow(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=env,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def demo_tenants_file(tenant: TenantConfig, days: int, path: Path) -> TenantConfig:
    """The demo tenant, starting ``days + 1`` days ago and paused until the backfill exists.

    Its scenario then ends the day before yesterday, so Airflow's own catch-up from
    ``start_date`` finds every demo day already taken by the backfill.
    """
    start = datetime.now(TIMEZONE).date() - timedelta(days=days + 1)
    entry = tenant.model_dump(mode="json") | {"start_date": start.isoformat(), "paused": True}
    path.write_text(yaml.safe_dump({"tenants": [entry]}, sort_keys=False), encoding="utf-8")
    return load_tenants(path).by_id(tenant.id)


def print_day(run: DayRun) -> None:
    print(f"  {run.day}  {run.state}", flush=True)


def book_days(
    stack: AirflowStack, tenant: TenantConfig, sandbox: Sandbox, *extra: str
) -> list[dict[str, str]]:
    """``airflow backfill create`` over the demo days; wait for them; one record per day."""
    days = [
        sandbox.first_day + timedelta(days=n)
        for n in range((sandbox.last_day - sandbox.first_day).days + 1)
    ]
    started = time.time()
    stack.backfill(tenant.dag_id, sandbox.first_day, sandbox.last_day, *extra)
    stack.airflow("dags", "unpause", tenant.dag_id)
    runs = stack.wait_for_days(
        tenant.dag_id, days, since=started if extra else 0.0, on_finished=print_day
    )
    return [{"day": d.isoformat(), "state": r.state, "run_id": r.run_id} for d, r in runs.items()]


def print_onboarding_mail(tenant: TenantConfig, sandbox: Sandbox, folder: Path) -> None:
    """What the merchant gets at onboarding (docs/onboarding.md), then reversed to zero."""
    print("Onboarding: checks, TEST invoice and voucher, e-mail over SMTP ...", flush=True)
    with quiet("mail.log", "dibs_fortnox.http"):
        shown = show_onboarding_mail(tenant, sandbox, folder, datetime.now(TIMEZONE).date())
    rule = "-" * 72
    print(f"{rule}\nSubject: {shown.subject}\n\n{shown.text.strip()}\n{rule}")
    zero = "every account back at zero" if shown.reversed_to_zero else "NOT back at zero"
    print(
        f"  kept by the sandbox SMTP server: {os.path.relpath(shown.eml)}; TEST "
        f"documents reversed ({zero})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--payments-per-day", type=int, default=6)
    parser.add_argument("--standalone", action="store_true", help="start the Airflow UI instead")
    args = parser.parse_args(argv)

    root = fresh_dir(VAR / "demo")
    log = root / "airflow.log"
    configured = load_tenants().by_id(args.tenant)
    tenant = (
        configured
        if args.standalone
        else demo_tenants_file(configured, args.days, root / "tenants.yaml")
    )
    print(f"Starting the sandbox for tenant '{tenant.id}' ...", flush=True)
    sandbox = start_sandbox(tenant, days=args.days, payments_per_day=args.payments_per_day)
    print(f"  Nets Easy emulator  {sandbox.nets.url}\n  Fortnox emulator    {sandbox.fortnox.url}")
    env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "state.db")
    if not args.standalone:
        env["DIBS_FORTNOX_TENANTS"] = str(root / "tenants.yaml")
    try:
        if not args.standalone:
            print_onboarding_mail(tenant, sandbox, root / "mail")
        print("Preparing Airflow (SQLite metadata under var/demo) ...", flush=True)
        if args.standalone:
            _airflow(env, "db", "migrate", log=log)
            with log.open("ab") as out:  # our state database, as an operator migrates it
                subprocess.run(MIGRATE_STATE, env=env, check=True, stdout=out, stderr=out)
            print(
                "Starting airflow standalone: http://127.0.0.1:8080, tenants page "
                "http://127.0.0.1:8080/plugin/dibs-fortnox (Ctrl-C stops)",
                flush=True,
            )
            try:
                subprocess.run(
                    [sys.executable, "-m", "airflow", "standalone"], env=env, check=False
                )
            except KeyboardInterrupt:
                pass
            return 0
        logs = root / "logs"
        print(
            f"Starting Airflow (api-server, scheduler, dag-processor; logs: "
            f"{logs.relative_to(VAR.parent)}) ...",
            flush=True,
        )
        stack = AirflowStack(stack_env(env), logs)
        stack.migrate()  # both databases; WAL mode: our polling never blocks Airflow's writers
        with stack:
            stack.wait_for_dag(tenant.dag_id)
            started = time.monotonic()
            print(
                f"airflow backfill create --dag-id {tenant.dag_id} --from-date "
                f"{sandbox.first_day} --to-date {sandbox.last_day + timedelta(days=1)}",
                flush=True,
            )
            first = book_days(stack, tenant, sandbox)
            first_s = time.monotonic() - started
            writes_before = fortnox_writes(sandbox)
            print(
                "Booking every day again: airflow backfill create ... --reprocess-behavior "
                "completed (must send no write to Fortnox) ...",
                flush=True,
            )
            second = book_days(stack, tenant, sandbox, "--reprocess-behavior", "completed")
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
