"""The demo's world: sandbox servers in this process and the environment Airflow reads.

Secrets for the sandbox are generated per demo and handed to Airflow only as
``AIRFLOW_CONN_*`` environment variables of the child processes: never written to the
repository, never printed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.tenants import TenantConfig

REPO = Path(__file__).resolve().parents[3]
VAR = REPO / "var"
PAYOUT_DELAY_DAYS = 2


@dataclass
class Sandbox:
    """Both emulators, running, with the scenario they serve."""

    scenario: Scenario
    nets: SandboxServer
    fortnox: SandboxServer
    fortnox_app: FortnoxApp
    nets_secret: str
    fortnox_client_id: str
    fortnox_client_secret: str
    fortnox_tenant_id: str
    first_day: date
    last_day: date

    def stop(self) -> None:
        self.nets.stop()
        self.fortnox.stop()


def _server(app: NetsApp | FortnoxApp, port: int) -> SandboxServer:
    try:
        return SandboxServer(app, port=port).start()
    except OSError:  # the default port is taken (another sandbox?): take any free one
        return SandboxServer(app, port=0).start()


def start_sandbox(
    tenant: TenantConfig,
    days: int = 14,
    payments_per_day: int = 6,
    seed: int = 2026,
    nets_port: int = 8061,
    fortnox_port: int = 8062,
    rate_limit: bool = True,
) -> Sandbox:
    """Start the emulators; the scenario's payouts fall on the tenant's first ``days`` days."""
    first_day = tenant.start_date
    config = ScenarioConfig(
        seed=seed,
        start=first_day - timedelta(days=PAYOUT_DELAY_DAYS),
        days=days,
        payments_per_day=payments_per_day,
        payout_delay_days=PAYOUT_DELAY_DAYS,
        deposit_every_days=6,
    )
    scenario = generate(config)
    nets_app = NetsApp(mode="live", seed=seed)
    nets_app.add_merchant(
        secret_key=scenario.secret_key, payments=scenario.payments, payouts=scenario.payouts
    )
    fortnox_app = FortnoxApp(seed=seed, rate_limit=rate_limit)
    fortnox_app.add_company(demo_company(tenant_id=tenant.id))
    client_id, client_secret = f"{tenant.id}-client", secrets.token_urlsafe(24)
    fortnox_app.add_client(client_id, client_secret, tenant_ids=[tenant.id])
    return Sandbox(
        scenario=scenario,
        nets=_server(nets_app, nets_port),
        fortnox=_server(fortnox_app, fortnox_port),
        fortnox_app=fortnox_app,
        nets_secret=scenario.secret_key,
        fortnox_client_id=client_id,
        fortnox_client_secret=client_secret,
        fortnox_tenant_id=tenant.id,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
    )


def _conn_var(conn_id: str) -> str:
    return "AIRFLOW_CONN_" + conn_id.upper()


def connection_env(
    tenant: TenantConfig,
    *,
    nets_url: str,
    nets_secret: str,
    fortnox_url: str,
    client_id: str,
    client_secret: str,
    fortnox_tenant_id: str,
) -> dict[str, str]:
    """The tenant's two Airflow connections as ``AIRFLOW_CONN_*`` variables (sandbox URLs)."""
    return {
        _conn_var(tenant.nets_conn_id): json.dumps(
            {"conn_type": "http", "host": nets_url, "password": nets_secret}
        ),
        _conn_var(tenant.fortnox_conn_id): json.dumps(
            {
                "conn_type": "http",
                "host": fortnox_url,
                "login": client_id,
                "password": client_secret,
                "extra": {"tenant_id": fortnox_tenant_id, "auth_url": fortnox_url},
            }
        ),
    }


def base_env(home: Path, state_db: Path) -> dict[str, str]:
    """Environment for Airflow child processes without connections: SQLite metadata under
    ``home``, our folders, the state database ``state_db``."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO / "plugins"), env.get("PYTHONPATH")])
            ),
            # `airflow standalone` starts its components as `airflow ...` from PATH.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            "DIBS_FORTNOX_DB_URL": f"sqlite:///{state_db}",
            "DIBS_FORTNOX_TENANTS": env.get(
                "DIBS_FORTNOX_TENANTS", str(REPO / "config" / "tenants.yaml")
            ),
        }
    )
    return env


def airflow_env(
    tenant: TenantConfig, sandbox: Sandbox, home: Path, state_db: Path
) -> dict[str, str]:
    """Environment for Airflow child processes: SQLite metadata, our folders, connections."""
    return base_env(home, state_db) | connection_env(
        tenant,
        nets_url=sandbox.nets.url,
        nets_secret=sandbox.nets_secret,
        fortnox_url=sandbox.fortnox.url,
        client_id=sandbox.fortnox_client_id,
        client_secret=sandbox.fortnox_client_secret,
        fortnox_tenant_id=sandbox.fortnox_tenant_id,
    )


def fresh_dir(path: Path) -> Path:
    """Empty ``path`` (the demo always starts from a clean state database)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
