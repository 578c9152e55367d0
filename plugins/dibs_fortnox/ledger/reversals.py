"""Reversals: who took back which booked days, and which Fortnox documents are reversed.

Fortnox never deletes a bookkept document; a reversal books its mirror image (credit
invoice, negative payment, mirrored voucher). For the product the reversed documents must
then stop counting as booked, in two places:

- the ``documents`` table: their rows leave it (one transaction per payout, together with
  the rows of the reversing documents, which were written through the ordinary exactly-once
  protocol), and the payout is ``pending`` again, so a later run books the day anew under
  the same Nets references;
- Fortnox itself still holds the reversed documents under those references. Their numbers
  are kept here, and the loader and reconciliation skip them (:func:`reversed_ids`), so the
  re-booking is never mistaken for the reversed original.

Each run of the reverse command is a ``reversals`` row with who, when and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.dialects import insert_if_absent
from dibs_fortnox.ledger.schema import documents, payouts, reversals, reversed_documents
from dibs_fortnox.ledger.states import DocumentState, RunState

log = logging.getLogger(__name__)

INVOICE_KINDS = ("invoice", "credit")  # one DocumentNumber series in Fortnox
PAYMENT_KINDS = ("invoice_payment", "credit_payment")


@dataclass(frozen=True)
class Reversal:
    """One run of the reverse command.

    Attributes:
        finished_at: None while running, or when the run stopped half-way (a later run
            with the same days finishes the job).
        documents: how many documents the run reversed; None until it finished.
    """

    id: int
    tenant: str
    from_day: date
    to_day: date
    decided_by: str
    note: str
    started_at: datetime
    finished_at: datetime | None
    documents: int | None


@dataclass(frozen=True)
class ReversedDocument:
    """A booked document and the Fortnox document that reverses it."""

    original: DocumentState
    reversal_kind: str
    reversal_reference: str
    reversal_fortnox_id: str


@dataclass(frozen=True)
class ReversedIds:
    """Fortnox numbers of a tenant's reversed documents (invoice, payment, voucher handle)."""

    invoices: frozenset[str]
    payments: frozenset[str]
    vouchers: frozenset[str]


def start(
    engine: Engine,
    now: datetime,
    tenant: str,
    from_day: date,
    to_day: date,
    decided_by: str,
    note: str,
) -> int:
    """Record that a person starts reversing days; return the reversal's id."""
    if not decided_by.strip() or not note.strip():
        raise ValueError("a reversal needs who decided it (--by) and why (--note)")
    values = {
        "tenant": tenant,
        "from_day": from_day,
        "to_day": to_day,
        "decided_by": decided_by.strip(),
        "note": note.strip(),
        "started_at": now,
    }
    with engine.begin() as conn:
        pk = conn.execute(
            sa.insert(reversals).values(**values).returning(reversals.c.id)
        ).scalar_one()
    return int(pk)


def finish(engine: Engine, now: datetime, reversal_id: int, count: int) -> None:
    """Record that a reversal is complete and how many documents it took back."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(reversals)
            .where(reversals.c.id == reversal_id)
            .values(finished_at=now, documents=count)
        )


def archive_payout(
    engine: Engine,
    now: datetime,
    reversal_id: int,
    payout_id: str | None,
    done: list[ReversedDocument],
) -> None:
    """Close one payout's reversal in one transaction.

    Keeps each original with its reversing document, removes both from ``documents`` and
    makes the payout ``pending`` again (a held-then-booked payout's history stays in
    ``payout_resolutions``). Running it twice changes nothing the second time.
    """
    with engine.begin() as conn:
        for item in done:
            o = item.original
            insert_if_absent(
                conn,
                reversed_documents,
                {
                    "tenant": o.tenant,
                    "reversal_id": reversal_id,
                    "kind": o.kind,
                    "reference": o.reference,
                    "fortnox_id": str(o.fortnox_id),
                    "day": o.day,
                    "payout_id": o.payout_id,
                    "reversal_kind": item.reversal_kind,
                    "reversal_reference": item.reversal_reference,
                    "reversal_fortnox_id": item.reversal_fortnox_id,
                    "reversed_at": now,
                },
                ("tenant", "kind", "fortnox_id"),
            )
            for kind, reference in (
                (o.kind, o.reference),
                (item.reversal_kind, item.reversal_reference),
            ):
                conn.execute(
                    sa.delete(documents).where(
                        documents.c.tenant == o.tenant,
                        documents.c.kind == kind,
                        documents.c.reference == reference,
                    )
                )
        if done and payout_id is not None:
            conn.execute(
                sa.update(payouts)
                .where(payouts.c.tenant == done[0].original.tenant)
                .where(payouts.c.payout_id == payout_id)
                .values(status="pending", reason=None, updated_at=now)
            )
    log.info("reversal %s: payout %s archived (%d documents)", reversal_id, payout_id, len(done))


def reversed_ids(engine: Engine, tenant: str) -> ReversedIds:
    """The Fortnox numbers a booking must never take for its own (they are reversed)."""
    stmt = sa.select(reversed_documents.c.kind, reversed_documents.c.fortnox_id).where(
        reversed_documents.c.tenant == tenant
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return ReversedIds(
        invoices=frozenset(r.fortnox_id for r in rows if r.kind in INVOICE_KINDS),
        payments=frozenset(r.fortnox_id for r in rows if r.kind in PAYMENT_KINDS),
        vouchers=frozenset(r.fortnox_id for r in rows if r.kind == "voucher"),
    )


def reversed_days(engine: Engine, tenant: str) -> dict[date, datetime]:
    """Days of a tenant whose documents a reversal took back, with the latest such time."""
    stmt = (
        sa.select(reversed_documents.c.day, sa.func.max(reversed_documents.c.reversed_at))
        .where(reversed_documents.c.tenant == tenant)
        .group_by(reversed_documents.c.day)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    found: dict[date, datetime] = {}
    for day, at in rows:
        # SQLite hands an aggregate back as text, without the column's type.
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        found[date.fromisoformat(day) if isinstance(day, str) else day] = (
            moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        )
    return found


def still_booked(run: RunState, reversed_at: datetime | None) -> bool:
    """True when ``run`` booked its day and no reversal took the day back since.

    Args:
        reversed_at: when the day's documents were last reversed (``reversed_days``);
            None when never.
    """
    if not run.books_the_day:
        return False
    return reversed_at is None or reversed_at < (run.finished_at or run.started_at)


def _reversal(row: sa.Row[Any]) -> Reversal:
    return Reversal(
        id=row.id,
        tenant=row.tenant,
        from_day=row.from_day,
        to_day=row.to_day,
        decided_by=row.decided_by,
        note=row.note,
        started_at=row.started_at,
        finished_at=row.finished_at,
        documents=row.documents,
    )


def history(engine: Engine, tenant: str) -> list[Reversal]:
    """A tenant's reversals, oldest first."""
    stmt = sa.select(reversals).where(reversals.c.tenant == tenant).order_by(reversals.c.id)
    with engine.connect() as conn:
        return [_reversal(row) for row in conn.execute(stmt)]


def reversed_rows(engine: Engine, tenant: str) -> list[dict[str, Any]]:
    """Every reversed document of a tenant with its reversal (for reports and tests)."""
    stmt = (
        sa.select(reversed_documents)
        .where(reversed_documents.c.tenant == tenant)
        .order_by(reversed_documents.c.id)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]
