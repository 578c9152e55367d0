"""Read a tenant's receivable balance in Fortnox, through its Airflow connection.

The page asks once per tenant and page view, through the tenant's shared rate window (the
page must not push a running backfill over Fortnox's 25 requests per 5 s) and with a
single attempt: a person is waiting, and an unreachable Fortnox is shown as that tenant's
error rather than retried for minutes.
"""

from __future__ import annotations

from collections.abc import Callable

from dibs_fortnox.hooks import FortnoxHook
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.money import Ore
from dibs_fortnox.pipeline.context import fortnox_window
from dibs_fortnox.retry import RetryPolicy
from dibs_fortnox.tenants import TenantConfig

ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def fortnox_reader(ledger: Ledger) -> Callable[[TenantConfig], Ore]:
    """A ``BalanceReader`` that asks Fortnox with the tenant's connection."""

    def read(tenant: TenantConfig) -> Ore:
        client = FortnoxHook(tenant.fortnox_conn_id).client(
            tenant.id, limiter=fortnox_window(ledger, tenant.id), retry=ONE_ATTEMPT
        )
        return client.account_balance(tenant.accounts.receivable)

    return read
