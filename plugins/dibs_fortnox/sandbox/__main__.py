"""``python -m dibs_fortnox.sandbox`` (``make sandbox``): both emulators and a mail server.

Serves the demo scenario from the Nets Easy emulator and the demo company from the Fortnox
emulator until Ctrl-C or SIGTERM (exit 0), so a developer can point the pipeline, a REPL or
curl at them. Secrets are never printed: the Fortnox client secret is random unless given,
and every value a client needs is written to ``--connections-file`` with mode 0600.

The default scenario starts 2026-11-01 with a two-day payout delay, so its payouts fall on
the demo tenant's days from its ``start_date`` (2026-11-03) in ``config/tenants.yaml``.

Example:
    $ python -m dibs_fortnox.sandbox --connections-file var/sandbox.json --ready-file var/ready
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.mail import MailSandbox
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer

TENANT_ID = "demo"
CLIENT_ID = "demo-client"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dibs_fortnox.sandbox",
        description="Run the Nets Easy and Fortnox emulators on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--nets-port", type=int, default=8061, help="0 picks a free port")
    parser.add_argument("--fortnox-port", type=int, default=8062, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--days", type=int, default=14, help="days with payments")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--payments-per-day", type=int, default=6)
    parser.add_argument("--no-rate-limit", action="store_true", help="Fortnox: no 25 per 5 s")
    parser.add_argument(
        "--fortnox-client-secret", default=None, help="default: a random secret per run"
    )
    parser.add_argument(
        "--connections-file", type=Path, default=None, help="write keys and URLs here (0600)"
    )
    parser.add_argument(
        "--ready-file", type=Path, default=None, help="written once both servers listen"
    )
    parser.add_argument("--smtp-port", type=int, default=8025, help="mail server; 0 picks one")
    parser.add_argument(
        "--mail-dir", type=Path, default=Path("var/sandbox/mail"),
        help="every received mail is kept here as NNNN.eml",
    )  # fmt: skip
    return parser.parse_args(argv)


def write_private(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON readable by the owner only, atomically (a waiting script never sees half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the file may have existed with wider rights
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = ScenarioConfig(
            seed=args.seed, start=args.start, days=args.days,
            payments_per_day=args.payments_per_day,
        )  # fmt: skip
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    scenario = generate(config)
    nets_app = NetsApp(mode="live", seed=args.seed)
    nets_app.add_merchant(scenario.secret_key, scenario.payments, scenario.payouts)
    fortnox_app = FortnoxApp(seed=args.seed, rate_limit=not args.no_rate_limit)
    fortnox_app.add_company(demo_company(tenant_id=TENANT_ID))
    client_secret = args.fortnox_client_secret or secrets.token_urlsafe(24)
    fortnox_app.add_client(CLIENT_ID, client_secret, tenant_ids=[TENANT_ID])

    try:
        nets = SandboxServer(nets_app, port=args.nets_port).start()
    except OSError as exc:
        print(
            f"sandbox: cannot listen on 127.0.0.1:{args.nets_port} for Nets: {exc}", file=sys.stderr
        )
        return 1
    try:
        fortnox = SandboxServer(fortnox_app, port=args.fortnox_port).start()
    except OSError as exc:
        nets.stop()
        print(f"sandbox: cannot listen on 127.0.0.1:{args.fortnox_port} for Fortnox: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1

    # The onboarding e-mails and the failed-day alerts go over SMTP (an Airflow SMTP
    # connection); pointed here, they are kept as files a person can open.
    try:
        mailbox = MailSandbox(port=args.smtp_port, folder=args.mail_dir).start()
    except (OSError, RuntimeError):  # the port is taken (another sandbox?): take any free one
        mailbox = MailSandbox(port=0, folder=args.mail_dir).start()

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if args.connections_file:
            write_private(
                args.connections_file,
                {
                    "nets": {"base_url": nets.url, "secret_key": scenario.secret_key},
                    "smtp": {"host": "127.0.0.1", "port": mailbox.port},
                    "fortnox": {
                        "base_url": fortnox.url,
                        "token_url": fortnox.url + "/oauth-v1/token",
                        "client_id": CLIENT_ID,
                        "client_secret": client_secret,
                        "tenant_id": TENANT_ID,
                    },
                },
            )
        days = scenario.payout_days()
        print(f"Nets Easy emulator: {nets.url}  ({len(scenario.payments)} payments, "
              f"{len(scenario.payouts)} payouts {days[0]} .. {days[-1]})" if days else
              f"Nets Easy emulator: {nets.url}  (no payouts)")  # fmt: skip
        print(f"Fortnox emulator:   {fortnox.url}  (tenant {TENANT_ID!r}, client {CLIENT_ID!r})")
        print(f"SMTP server:        127.0.0.1:{mailbox.port}  (keeps every mail as "
              f"{args.mail_dir}/NNNN.eml)")  # fmt: skip
        extra = {"from_email": "dibs-fortnox@sandbox.example", "disable_tls": True,
                 "disable_ssl": True, "data_team_email": "data@sandbox.example"}  # fmt: skip
        smtp = {"conn_type": "smtp", "host": "127.0.0.1", "port": mailbox.port, "extra": extra}
        print(f"  Airflow: AIRFLOW_CONN_DIBS_FORTNOX_SMTP='{json.dumps(smtp)}'")
        if args.connections_file:
            print(f"Connection values (secrets): {args.connections_file}")
        print("Ctrl-C stops.", flush=True)
        if args.ready_file:
            write_private(args.ready_file, {"nets_port": nets.port, "fortnox_port": fortnox.port})
        while not stop.wait(0.5):
            pass
    finally:
        nets.stop()
        fortnox.stop()
        mailbox.stop()
    print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
