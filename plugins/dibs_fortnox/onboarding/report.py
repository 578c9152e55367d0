"""The problem report ("Vill du felanmäla något?"): what support needs, with no secret in it.

When a merchant reports a problem, the person who picks it up needs the tenant's whole
picture at once: how it is configured, whether its connections are filled in, where its
onboarding stands, what the last runs did and which payouts are held and why. This command
writes that as one plain-text report to attach to the ticket.

Nothing secret goes in: the tenants file holds none, connections are shown as which fields
are set (never their values, except the host and the Fortnox TenantId, which are not
secrets), and the finished text passes ``redact`` with every secret of the tenant's
connections named explicitly, so even an error message that once quoted a key is cleaned.

Usage::

    python -m dibs_fortnox.onboarding.report --tenant acme [--runs 20] [--out report.txt]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dibs_fortnox.errors import DibsFortnoxError, redact
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.pipeline.context import db_url
from dibs_fortnox.tenants import TenantConfig, load_tenants

SECRET_EXTRA_KEYS = ("secret", "password", "token", "key")


@dataclass(frozen=True)
class ConnectionView:
    """What the report may say about one Airflow connection.

    Attributes:
        fields: field name → "set" / "missing" (or the value, for host and tenant_id).
        secrets: the values that must never appear (password, secret extras).
    """

    conn_id: str
    fields: dict[str, str]
    secrets: tuple[str, ...]


def connection_view(conn_id: str) -> ConnectionView:
    """Which fields of the connection are set; missing when Airflow does not know it."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return ConnectionView(conn_id, {"connection": "missing"}, ())
    extra = conn.extra_dejson
    secret_extras = {
        k: str(v) for k, v in extra.items() if any(s in k.lower() for s in SECRET_EXTRA_KEYS)
    }
    fields = {
        "host": conn.host or "missing",
        "login": "set" if conn.login else "missing",
        "password": "set" if conn.password else "missing",
    }
    if conn.password and conn.password.lower().startswith("test-secret-key"):
        fields["password"] = "set (a Nets TEST key: booking needs the live key)"
    for key in sorted(extra):
        fields[f"extra.{key}"] = "set" if key in secret_extras else str(extra[key])
    secrets = tuple(v for v in (conn.password, conn.login, *secret_extras.values()) if v)
    return ConnectionView(conn_id, fields, secrets)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _section(title: str, lines: list[str]) -> str:
    return f"## {title}\n" + ("\n".join(lines) if lines else "(none)") + "\n"


def build_report(
    tenant: TenantConfig,
    ledger: Ledger,
    connections: Sequence[ConnectionView],
    now: datetime,
    last_runs: int = 20,
) -> str:
    """The report as text; every secret of ``connections`` is redacted from it."""
    config = json.dumps(tenant.model_dump(mode="json"), indent=2, ensure_ascii=False)
    conn_lines = [
        f"- {view.conn_id}: " + ", ".join(f"{k} is {v}" for k, v in view.fields.items())
        for view in connections
    ]
    found = OnboardingRecords(ledger.engine).get(tenant.id)
    if found is None:
        onboarding = [f"- not started (onboarding: {tenant.onboarding})"]
    else:
        onboarding = [
            f"- status: {found.status} (updated {_when(found.updated_at)})",
            f"- e-mailed: {_when(found.emailed_at)}",
            f"- decided by: {found.decided_by or '-'} at {_when(found.decided_at)}",
            f"- note: {found.note or '-'}",
        ]
        onboarding += [
            f"- check {c.get('name')}: {'ok' if c.get('ok') else 'FAILED'}: {c.get('message')}"
            + ("" if c.get("ok") else f" -> fix: {c.get('fix')}")
            for c in found.checks or []
        ]
        if found.documents:
            onboarding.append(f"- TEST documents: {json.dumps(found.documents, sort_keys=True)}")
    runs = ledger.runs(tenant.id)[-last_runs:]
    run_lines = []
    for run in reversed(runs):
        summary: dict[str, Any] = run.summary or {}
        error = summary.get("error")
        line = f"- {run.day} {run.status:<7} run {run.run_id} started {_when(run.started_at)}"
        run_lines.append(line + (f"\n    error: {error}" if error else ""))
    held = [
        f"- payout {p.payout_id} of {p.day}: {p.reason or 'no reason recorded'}"
        for p in ledger.payouts(tenant.id)
        if p.status == "held"
    ]
    decisions = [
        f"- payout {r.payout_id}: {r.action} by {r.decided_by} at {_when(r.decided_at)}: {r.note}"
        for r in ledger.payout_history(tenant.id)
    ]
    text = "\n".join(
        [
            f"# Problem report: {tenant.name} ({tenant.id}), written {_when(now)}\n",
            _section("Configuration (tenants file; it holds no secrets)", config.splitlines()),
            _section("Airflow connections (values of secrets never shown)", conn_lines),
            _section("Onboarding", onboarding),
            _section(f"Last {len(runs)} runs, newest first", run_lines),
            _section("Held payouts", held),
            _section("Decisions about payouts", decisions),
        ]
    )
    secrets = tuple(s for view in connections for s in view.secrets)
    return redact(text, secrets)


def main(argv: Sequence[str] | None = None, say: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m dibs_fortnox.onboarding.report")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--runs", type=int, default=20, help="how many of the last runs")
    parser.add_argument("--out", help="write the report to this file instead of printing it")
    args = parser.parse_args(argv)
    try:
        tenant = load_tenants().by_id(args.tenant)
    except DibsFortnoxError as exc:
        say(f"error: {exc}")
        return 1
    views = [connection_view(tenant.nets_conn_id), connection_view(tenant.fortnox_conn_id)]
    ledger = Ledger.from_url(db_url())
    try:
        text = build_report(tenant, ledger, views, ledger.now(), args.runs)
    finally:
        ledger.close()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
        say(f"problem report for {tenant.id} written to {args.out}")
    else:
        say(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
