"""Where each tenant's onboarding stands, in our state database: the daily DAG's gate.

A tenant books only when its row says ``active``; the row also keeps the test documents'
Fortnox numbers, who decided and when, and the reason of a rejection, because "who let
this tenant start booking?" is a question an auditor asks. Links already used are kept so
an approval link works once; alerts already sent so a late day is reported once.

Example:
    >>> records = OnboardingRecords(ledger.engine)                  # doctest: +SKIP
    >>> records.get("acme").status                                  # doctest: +SKIP
    'awaiting_approval'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.schema import ONBOARDING_STATUSES, alerts, onboarding, onboarding_links


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Onboarding:
    """One tenant's onboarding.

    Attributes:
        status: ``checking``, ``checks_failed``, ``awaiting_approval``, ``active`` or
            ``rejected``.
        checks: the last check results (name, ok, message, fix); None before any check.
        documents: Fortnox numbers of the test documents and their reversal; None before.
        decided_by / decided_at / note: who approved or rejected, when, and why; None
            while undecided.
    """

    tenant: str
    status: str
    checks: list[dict[str, Any]] | None
    documents: dict[str, Any] | None
    emailed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    run_id: str | None
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status == "active"


class OnboardingRecords:
    """Read and write the ``onboarding``, ``onboarding_links`` and ``alerts`` tables."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, tenant: str) -> Onboarding | None:
        """The tenant's onboarding; None when it has not started."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(onboarding).where(onboarding.c.tenant == tenant)).first()
        return None if row is None else Onboarding(**row._mapping)

    def update(self, tenant: str, status: str | None = None, **values: Any) -> Onboarding:
        """Create or change the tenant's row; ``values`` are column values."""
        if status is not None:
            if status not in ONBOARDING_STATUSES:
                raise ValueError(f"unknown onboarding status {status!r}")
            values["status"] = status
        values["updated_at"] = self._clock()
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(onboarding).where(onboarding.c.tenant == tenant).values(**values)
            )
            if done.rowcount == 0:
                values.setdefault("status", "checking")
                conn.execute(sa.insert(onboarding).values(tenant=tenant, **values))
        found = self.get(tenant)
        assert found is not None
        return found

    def decide(self, tenant: str, status: str, decided_by: str, note: str) -> Onboarding:
        """Record an approval (``active``) or a rejection, with who, when and why."""
        if status not in ("active", "rejected"):
            raise ValueError("a decision makes the tenant active or rejected")
        if not decided_by.strip():
            raise ValueError("a decision needs who made it")
        return self.update(
            tenant, status, decided_by=decided_by.strip(), decided_at=self._clock(), note=note
        )

    def use_link(self, link_id: str, tenant: str) -> bool:
        """Mark an approval link used; False when it was used before (a link works once)."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    sa.insert(onboarding_links).values(
                        link_id=link_id, tenant=tenant, used_at=self._clock()
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def release_link(self, link_id: str) -> None:
        """Make a link usable again: its approval did not reach Airflow (the merchant may
        press OK again; Airflow itself refuses a second answer with 409)."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(onboarding_links).where(onboarding_links.c.link_id == link_id))

    def first_alert(self, tenant: str, kind: str, key: str) -> bool:
        """Note an alert about to be sent; False when the same alert was sent already."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    sa.insert(alerts).values(
                        tenant=tenant, kind=kind, key=key[:250], sent_at=self._clock()
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def forget_alert(self, tenant: str, kind: str, key: str) -> None:
        """Undo ``first_alert`` when the alert could not be sent (the next check tries again)."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.delete(alerts).where(
                    alerts.c.tenant == tenant, alerts.c.kind == kind, alerts.c.key == key[:250]
                )
            )
