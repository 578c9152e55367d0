"""Many tenants on one sandbox: one Nets and one Fortnox emulator serving every merchant.

The fleet benchmark and the per-tenant concurrency test need what production has: several
merchants booked by one Airflow at once, each with its own Nets secret key, its own Fortnox
company and client, and so its own Fortnox rate window (the emulator limits per client and
tenant, as Fortnox does). Secrets are generated here and reach Airflow only as
``AIRFLOW_CONN_*`` variables of the child processes.

Example:
    >>> tenants = load_tenants(write_tenants(path, {"a": day, "b": day}))  # doctest: +SKIP
    >>> with start_fleet(tenants.tenants, payments_per_day=50) as fleet:  # doctest: +SKIP
    ...     env = fleet.env(home, state_db, tenants.path)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType

from dibs_fortnox.demo.environment import PAYOUT_DELAY_DAYS, base_env, connection_env
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import TenantConfig

_TENANT = """\
  - id: {id}
    name: {id} AB
    start_date: {start}
    email: ekonomi@{id}.example
    nets_conn_id: nets_{id}
    fortnox_conn_id: fortnox_{id}
    paused: true
    onboarding: skip
{extra}    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def write_tenants(
    path: Path, starts: Mapping[str, date], extra: Mapping[str, str] | None = None
) -> Path:
    """Write a tenants file: every tenant paused, onboarding skipped, the demo chart.

    Args:
        starts: tenant id → ``start_date``, in file order.
        extra: per tenant id, more YAML keys (``"max_parallel_days: 1"``).
    """
    extra = extra or {}
    entries = [
        _TENANT.format(
            id=tid,
            start=start.isoformat(),
            extra="".join(f"    {line}\n" for line in extra.get(tid, "").splitlines()),
        )
        for tid, start in starts.items()
    ]
    path.write_text("tenants:\n" + "".join(entries), encoding="utf-8")
    return path


def last_closed_day(now: datetime | None = None) -> date:
    """The latest payout day whose run is due: its interval closed at 06:00 Stockholm the
    next morning (a tenant starting on this day gets exactly one scheduled run)."""
    local = (now or datetime.now(TIMEZONE)).astimezone(TIMEZONE)
    closed = local.date() - timedelta(days=1)
    return closed if local.hour >= 6 else closed - timedelta(days=1)


@dataclass(frozen=True)
class Member:
    """One tenant of the fleet: its scenario and the credentials the sandbox made for it."""

    tenant: TenantConfig
    scenario: Scenario
    client_id: str
    client_secret: str


@dataclass
class Fleet:
    """Both emulators, running, and every tenant they serve."""

    nets: SandboxServer
    fortnox: SandboxServer
    fortnox_app: FortnoxApp
    members: dict[str, Member] = field(default_factory=dict)

    def env(self, home: Path, state_db: Path, tenants_file: Path) -> dict[str, str]:
        """Environment for Airflow's processes: every tenant's connections, this tenants file."""
        env = base_env(home, state_db) | {"DIBS_FORTNOX_TENANTS": str(tenants_file)}
        for member in self.members.values():
            env |= connection_env(
                member.tenant,
                nets_url=self.nets.url,
                nets_secret=member.scenario.secret_key,
                fortnox_url=self.fortnox.url,
                client_id=member.client_id,
                client_secret=member.client_secret,
                fortnox_tenant_id=member.tenant.id,
            )
        return env

    def stop(self) -> None:
        self.nets.stop()
        self.fortnox.stop()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def start_fleet(
    tenants: Iterable[TenantConfig],
    *,
    days: int = 1,
    payments_per_day: int = 6,
    seed: int = 2026,
    rate_limit: bool = True,
) -> Fleet:
    """Start both emulators (free ports on 127.0.0.1) with a scenario per tenant.

    Each tenant's payouts fall on its first ``days`` days from ``start_date``; seeds differ
    per tenant, so no two merchants share a payment or a secret key.
    """
    nets_app = NetsApp(mode="live", seed=seed)
    fortnox_app = FortnoxApp(seed=seed, rate_limit=rate_limit)
    members: dict[str, Member] = {}
    for n, tenant in enumerate(tenants):
        scenario = generate(
            ScenarioConfig(
                seed=seed + n,
                start=tenant.start_date - timedelta(days=PAYOUT_DELAY_DAYS),
                days=days,
                payments_per_day=payments_per_day,
                payout_delay_days=PAYOUT_DELAY_DAYS,
            )
        )
        nets_app.add_merchant(
            secret_key=scenario.secret_key, payments=scenario.payments, payouts=scenario.payouts
        )
        fortnox_app.add_company(demo_company(tenant_id=tenant.id, name=tenant.name))
        client_id, client_secret = f"{tenant.id}-client", secrets.token_urlsafe(24)
        fortnox_app.add_client(client_id, client_secret, tenant_ids=[tenant.id])
        members[tenant.id] = Member(tenant, scenario, client_id, client_secret)
    nets = SandboxServer(nets_app, port=0).start()
    try:
        fortnox = SandboxServer(fortnox_app, port=0).start()
    except BaseException:
        nets.stop()
        raise
    return Fleet(nets, fortnox, fortnox_app, members)
