"""A small real world for pipeline tests: both emulators on 127.0.0.1, real clients, SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.reconcile import ReconcileFailed
from dibs_fortnox.pipeline.steps import STEPS, execute
from dibs_fortnox.ratelimit import SlidingWindowLimiter
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.tenants import Accounts, TenantConfig
from tests.databases import database_url, migrated

TENANT = TenantConfig(
    id="demo",
    name="Demo Webbshop AB",
    start_date=date(2026, 11, 3),
    email="ekonomi@demo.example",
    nets_conn_id="nets_demo",
    fortnox_conn_id="fortnox_demo",
    accounts=Accounts(
        sales_se=3001, sales_eu=3106, sales_non_eu=3105, receivable=1516, bank=1930, fees=6040
    ),
)


@dataclass
class World:
    scenario: Scenario
    nets_app: NetsApp
    fortnox_app: FortnoxApp
    nets: SandboxServer
    fortnox: SandboxServer
    ledger: Ledger
    db_url: str
    tenant: TenantConfig = TENANT
    client_secret: str = "s3cret-for-tests"
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def payout_days(self) -> list[date]:
        return sorted({date.fromisoformat(str(p["date"])[:10]) for p in self.scenario.payouts})

    def fortnox_client(self) -> FortnoxClient:
        auth = ClientCredentials(
            "demo-client", self.client_secret, self.tenant.id, self.fortnox.url
        )
        # The emulator runs unthrottled in most pipeline tests; the real limit is tested
        # with the clients and end to end through Airflow.
        return FortnoxClient(
            self.fortnox.url, auth, tenant=self.tenant.id, limiter=SlidingWindowLimiter(10_000, 1.0)
        )

    def context(self, day: date, ledger: Ledger | None = None) -> StepContext:
        used = ledger or self.ledger
        return StepContext(
            tenant=self.tenant,
            day=day,
            run_id=f"test-{day}",
            ledger=used,
            nets_factory=lambda: NetsClient(
                self.nets.url,
                self.scenario.secret_key,
                payment_cache=used.payment_cache(self.tenant.id),
            ),
            fortnox_factory=self.fortnox_client,
        )

    def run_day(self, day: date, steps: tuple[str, ...] = tuple(STEPS)) -> dict[str, Any]:
        """Run the steps of one day as the DAG does (one context per task)."""
        out: dict[str, Any] = {}
        for name in steps:
            out[name] = execute(self.context(day), name)
        self.summaries.append(out)
        return out

    def run_day_tolerating_held(self, day: date) -> dict[str, Any]:
        """Run a day; a held payout fails reconcile (as in Airflow) but the summary is kept."""
        return self.run_day_tolerating_held_with(day, self.ledger)

    def run_day_tolerating_held_with(self, day: date, ledger: Ledger) -> dict[str, Any]:
        """The same, with another state database (another installation booking Fortnox)."""
        out: dict[str, Any] = {}
        for name in STEPS:
            try:
                out[name] = execute(self.context(day, ledger), name)
            except ReconcileFailed as exc:
                out[name] = exc.summary
        self.summaries.append(out)
        return out

    def fortnox_writes(self) -> int:
        return self.fortnox_app.api_writes()

    def close(self) -> None:
        self.nets.stop()
        self.fortnox.stop()
        self.ledger.close()


def make_world(
    tmp_path: Path,
    *,
    days: int = 4,
    payments_per_day: int = 4,
    seed: int = 11,
    deposit_every_days: int = 2,
    rate_limit: bool = False,
    mutate: Callable[[Scenario], None] | None = None,
    db_url: str | None = None,
    **config: Any,
) -> World:
    """Start both emulators with a fresh scenario; ``mutate`` may damage it first.

    ``db_url`` is the state database (default: SQLite in ``tmp_path``).
    """
    scenario = generate(
        ScenarioConfig(
            seed=seed,
            start=TENANT.start_date - timedelta(days=2),
            days=days,
            payments_per_day=payments_per_day,
            payout_delay_days=2,
            deposit_every_days=deposit_every_days,
            **config,
        )
    )
    if mutate is not None:
        mutate(scenario)
    nets_app = NetsApp(mode="live", seed=seed)
    nets_app.add_merchant(
        secret_key=scenario.secret_key, payments=scenario.payments, payouts=scenario.payouts
    )
    fortnox_app = FortnoxApp(seed=seed, rate_limit=rate_limit)
    fortnox_app.add_company(demo_company(tenant_id=TENANT.id))
    fortnox_app.add_client("demo-client", "s3cret-for-tests", tenant_ids=[TENANT.id])
    db_url = db_url or f"sqlite:///{tmp_path / 'state.db'}"
    return World(
        scenario,
        nets_app,
        fortnox_app,
        SandboxServer(nets_app).start(),
        SandboxServer(fortnox_app).start(),
        Ledger.from_url(migrated(db_url)),
        db_url,
    )


def world_fixture(tmp_path: Path, backend: str = "sqlite", **kwargs: Any) -> Iterator[World]:
    with database_url(backend, tmp_path) as url:
        world = make_world(tmp_path, db_url=url, **kwargs)
        try:
            yield world
        finally:
            world.close()
