"""What a pipeline step needs: the tenant, the day, the state database and client factories.

Clients are built lazily through factories so a step that needs no Fortnox call (a
re-run whose documents are all confirmed) opens no Fortnox session and fetches no token.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from dibs_fortnox.booking.settings import BookingAccounts, BookingSettings, OssAccounts
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.ratelimit import FORTNOX_CLIENT_LIMIT, FORTNOX_CLIENT_WINDOW_S, Limiter
from dibs_fortnox.tenants import TenantConfig

DB_URL_ENV = "DIBS_FORTNOX_DB_URL"
DEFAULT_DB_PATH = Path(__file__).resolve().parents[3] / "var" / "dibs_fortnox.db"


def db_url() -> str:
    """The state database: ``$DIBS_FORTNOX_DB_URL`` or a SQLite file under ``var/``."""
    url = os.environ.get(DB_URL_ENV)
    if url:
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


def fortnox_window(ledger: Ledger, tenant_id: str) -> Limiter:
    """The tenant's Fortnox rate window, shared by every process of the tenant (a backfill
    runs up to ten days at once; Fortnox's limit is per tenant, not per process)."""
    return ledger.rate_window(tenant_id, "fortnox", FORTNOX_CLIENT_LIMIT, FORTNOX_CLIENT_WINDOW_S)


def booking_settings(tenant: TenantConfig) -> BookingSettings:
    """Map the tenant's YAML settings to the booking module's own settings."""
    a = tenant.accounts
    return BookingSettings(
        tenant_id=tenant.id,
        accounts=BookingAccounts(
            sales_se=a.sales_se,
            sales_eu=a.sales_eu,
            sales_non_eu=a.sales_non_eu,
            receivable=a.receivable,
            bank=a.bank,
            fees=a.fees,
            rounding=a.rounding,
            sales_se_12=a.sales_se_12,
            sales_se_6=a.sales_se_6,
            sales_se_0=a.sales_se_0,
            sales_eu_business=a.sales_eu_business,
        ),
        mode_of_payment=tenant.mode_of_payment,
        voucher_series=tenant.voucher_series,
        currency=tenant.currency,
        oss=tenant.oss,
        default_country=tenant.default_country,
        oss_accounts={
            country: {rate: OssAccounts(r.sales, r.vat) for rate, r in rates.items()}
            for country, rates in tenant.oss_countries.items()
        },
    )


@dataclass
class StepContext:
    """One tenant, one day, one run.

    Attributes:
        run_id: Airflow's run id (or any label outside Airflow), stored with the run.
        nets_factory / fortnox_factory: build the clients on first use.
        dry_run: book nothing: the Fortnox client refuses every write, and the load and
            reconcile steps write what they would post into the day's report instead
            (:mod:`dibs_fortnox.pipeline.dry_run`).
    """

    tenant: TenantConfig
    day: date
    run_id: str
    ledger: Ledger
    nets_factory: Callable[[], NetsClient]
    fortnox_factory: Callable[[], FortnoxClient]
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @cached_property
    def nets(self) -> NetsClient:
        return self.nets_factory()

    @cached_property
    def fortnox(self) -> FortnoxClient:
        client = self.fortnox_factory()
        if self.dry_run:
            # A second guard behind the dry-run steps: even a read path that turned into a
            # write by mistake cannot reach Fortnox.
            client.forbid_writes(f"{self.where()} is a dry run")
        return client

    def finish(self) -> None:
        """Release what the step held (nothing today: the rate window lives in the ledger)."""

    @cached_property
    def financial_years(self) -> list[dict[str, Any]]:
        """The company's financial years (read once per step)."""
        return self.fortnox.financial_years()

    def financial_year_id(self, day: date) -> int | None:
        """Fortnox's id of the financial year containing ``day``; None when there is none."""
        for year in self.financial_years:
            if str(year["FromDate"]) <= day.isoformat() <= str(year["ToDate"]):
                return int(year["Id"])
        return None

    @property
    def settings(self) -> BookingSettings:
        return booking_settings(self.tenant)

    def where(self) -> str:
        """'tenant acme, day 2026-11-02': the prefix of every message a person reads."""
        return f"tenant {self.tenant.id}, day {self.day.isoformat()}"
