"""A tenant to onboard, with both emulators and a mail server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.ratelimit import SlidingWindowLimiter
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.fortnox.company import Company
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.tenants import Accounts, TenantConfig

TODAY = date(2026, 12, 2)
NETS_KEY = "live-secret-key-" + "0a" * 16
SECRET = "onboarding-client-secret"
TENANT = TenantConfig(
    id="acme",
    name="Acme AB",
    start_date=date(2026, 11, 3),
    email="ekonomi@acme.example",
    nets_conn_id="nets_acme",
    fortnox_conn_id="fortnox_acme",
    accounts=Accounts(
        sales_se=3001, sales_eu=3106, sales_non_eu=3105, receivable=1516, bank=1930, fees=6040
    ),
)


@dataclass
class OnboardingWorld:
    fortnox_app: FortnoxApp
    nets_app: NetsApp
    fortnox_server: SandboxServer
    nets_server: SandboxServer
    tenant: TenantConfig = TENANT

    @property
    def company(self) -> Company:
        return self.fortnox_app.company(self.tenant.id)

    def fortnox(self) -> FortnoxClient:
        auth = ClientCredentials("acme-client", SECRET, self.tenant.id, self.fortnox_server.url)
        return FortnoxClient(
            self.fortnox_server.url, auth, tenant=self.tenant.id,
            limiter=SlidingWindowLimiter(10_000, 1.0),
        )  # fmt: skip

    def nets(self, key: str = NETS_KEY) -> NetsClient:
        return NetsClient(self.nets_server.url, key, tenant=self.tenant.id)


def onboarding_world(scopes: str | None = None) -> Iterator[OnboardingWorld]:
    fortnox_app = FortnoxApp(rate_limit=False, today=lambda: TODAY)
    fortnox_app.add_company(demo_company(tenant_id=TENANT.id, name=TENANT.name))
    fortnox_app.add_client("acme-client", SECRET, [TENANT.id], scopes)
    nets_app = NetsApp(mode="live")
    nets_app.add_merchant(NETS_KEY, payments=[], payouts=[])
    with SandboxServer(fortnox_app) as fortnox, SandboxServer(nets_app) as nets:
        yield OnboardingWorld(fortnox_app, nets_app, fortnox, nets)
