"""A person's decision about a held payout: booked by hand, or released for a re-run.

A held payout posts nothing. Someone either books it in Fortnox by hand (then the pipeline
must treat it as booked for good, and the charges it settled as taken, so that later
refunds of them can go on), or fixes the cause and releases it so its day can run again.
Each decision is kept with who made it, when and why: the audit trail a bookkeeper needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.schema import RESOLUTION_ACTIONS, payout_resolutions


@dataclass(frozen=True)
class Resolution:
    """One decision about a payout.

    Attributes:
        action: ``booked_by_hand`` or ``released``.
        claims: charge and refund ids a hand-booked payout settled (empty for a release).
    """

    tenant: str
    payout_id: str
    action: str
    decided_by: str
    note: str
    claims: tuple[str, ...]
    decided_at: datetime


def _resolution(row: sa.Row[Any]) -> Resolution:
    return Resolution(
        tenant=row.tenant,
        payout_id=row.payout_id,
        action=row.action,
        decided_by=row.decided_by,
        note=row.note,
        claims=tuple(row.claims),
        decided_at=row.decided_at,
    )


def record(
    engine: Engine,
    now: datetime,
    tenant: str,
    payout_id: str,
    action: str,
    decided_by: str,
    note: str,
    claims: list[str],
) -> None:
    """Keep a decision; who and why are required, because an auditor will ask."""
    if action not in RESOLUTION_ACTIONS:
        raise ValueError(f"unknown decision {action!r}; expected one of {RESOLUTION_ACTIONS}")
    if not decided_by.strip() or not note.strip():
        raise ValueError("a decision about a payout needs who made it and a note saying why")
    values = {
        "tenant": tenant,
        "payout_id": payout_id,
        "action": action,
        "decided_by": decided_by.strip(),
        "note": note.strip(),
        "claims": sorted(set(claims)),
        "decided_at": now,
    }
    with engine.begin() as conn:
        conn.execute(sa.insert(payout_resolutions).values(**values))


def history(engine: Engine, tenant: str, payout_id: str | None = None) -> list[Resolution]:
    """A tenant's decisions (optionally of one payout), oldest first."""
    stmt = sa.select(payout_resolutions).where(payout_resolutions.c.tenant == tenant)
    if payout_id is not None:
        stmt = stmt.where(payout_resolutions.c.payout_id == payout_id)
    with engine.connect() as conn:
        return [_resolution(r) for r in conn.execute(stmt.order_by(payout_resolutions.c.id))]


def hand_booked_claims(engine: Engine, tenant: str) -> frozenset[str]:
    """Charge and refund ids settled by payouts booked by hand (and not released since)."""
    latest: dict[str, Resolution] = {}
    for decision in history(engine, tenant):
        latest[decision.payout_id] = decision
    return frozenset(
        claim for d in latest.values() if d.action == "booked_by_hand" for claim in d.claims
    )
